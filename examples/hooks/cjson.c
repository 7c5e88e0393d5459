/* cJSON on a growing arena: its hooks are grwal and grwfe. Build: make
 * examples-hooks (needs the cJSON development package). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"

static arn_grow arena;

static void *json_malloc(size_t n) { return grwal(arena, n, 0); }
static void json_free(void *p) { grwfe(arena, p); }

int main(void) {
    arena = grwmk(NULL);
    cJSON_Hooks hooks = {json_malloc, json_free};
    cJSON_InitHooks(&hooks);

    cJSON *doc = cJSON_Parse("{\"name\":\"arn\",\"tags\":[\"arena\",\"hooks\"],\"n\":3}");
    cJSON *items = cJSON_AddArrayToObject(doc, "items");
    for (int i = 0; i < 1000; i++)
        cJSON_AddItemToArray(items, cJSON_CreateNumber(i));
    char *text = cJSON_PrintUnformatted(doc);
    int tags = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "tags"));
    arn_grow_stats s;
    grwst(arena, &s);
    printf("cjson: %zu characters, %d tags; arena: %zu bytes live\n", text ? strlen(text) : 0,
           tags, s.bytes_live);
    json_free(text);
    cJSON_Delete(doc);
    grwst(arena, &s);
    int ok = tags == 2 && s.bytes_live == 0;
    grwfr(arena);
    return ok ? 0 : 1;
}
