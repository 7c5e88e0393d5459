/* libcurl on a growing arena: curl_global_init_mem's five callbacks. The
 * arena has the lock, since libcurl may allocate from its resolver thread.
 * Reads a local file through a file:// URL, so it runs offline. Build: make
 * examples-hooks (needs the libcurl development package). */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"

static arn_grow arena;

static void *c_malloc(size_t n) { return grwal(arena, n, 0); }
static void c_free(void *p) { grwfe(arena, p); }
static void *c_realloc(void *p, size_t n) { return grwre(arena, p, n); }
static char *c_strdup(const char *s) { return grwsd(arena, s); }
static void *c_calloc(size_t n, size_t size) {
    return size && n > SIZE_MAX / size ? NULL : grwaz(arena, n * size, 0);
}

static size_t count(char *data, size_t size, size_t n, void *total) {
    (void)data;
    *(size_t *)total += size * n;
    return size * n;
}

int main(void) {
    arn_grow_opts opts = {0};
    opts.lock = 1;
    opts.retain = 1;
    arena = grwmk(&opts);
    if (!arena ||
        curl_global_init_mem(CURL_GLOBAL_DEFAULT, c_malloc, c_free, c_realloc, c_strdup,
                             c_calloc) != CURLE_OK)
        return 1;

    char path[] = "/tmp/arn-curl-XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    if (!f)
        return 1;
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d of a file read through libcurl\n", i);
    fclose(f);

    char url[64];
    snprintf(url, sizeof url, "file://%s", path);
    size_t total = 0;
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &total);
    CURLcode rc = curl_easy_perform(h);
    char *escaped = curl_easy_escape(h, "a b&c", 0);
    printf("curl: %s, %zu bytes read, \"%s\"\n", curl_easy_strerror(rc), total, escaped);
    curl_free(escaped);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    remove(path);

    arn_grow_stats s;
    grwst(arena, &s);
    printf("curl: arena: %llu allocations, %zu bytes live after cleanup\n",
           (unsigned long long)s.allocations, s.bytes_live);
    grwfr(arena);
    return rc == CURLE_OK && total > 0 ? 0 : 1;
}
