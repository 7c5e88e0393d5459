// The header compiles as C++ and links against the C ABI (`make link-check`).
#include "arn.h"

int main() {
    arn_arena a = arnmk(64);
    void *p = arnal(a, 8);
    int rc = arnfr(a);
    return (p != nullptr && rc == ARN_OK) ? 0 : 1;
}
