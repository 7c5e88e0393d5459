/* SQLite on a growing arena: all of sqlite3_mem_methods, each one call.
 * xSize is grwsz (no size header per block); xInit makes the arena and
 * xShutdown frees it. One thread here; with several, set opts.lock = 1.
 * Build: make examples-hooks (needs the SQLite development package). */
#include <sqlite3.h>
#include <stdio.h>

#include "arn.h"

static arn_grow arena;

static void *mem_malloc(int n) { return grwal(arena, (size_t)n, 0); }
static void mem_free(void *p) { grwfe(arena, p); }
static void *mem_realloc(void *p, int n) { return grwre(arena, p, (size_t)n); }
static int mem_size(void *p) { return (int)grwsz(arena, p); }
static int mem_roundup(int n) { return (n + 15) & ~15; }
static int mem_init(void *app) {
    (void)app;
    arena = grwmk(NULL);
    return arena ? SQLITE_OK : SQLITE_NOMEM;
}
static void mem_shutdown(void *app) {
    (void)app;
    grwfr(arena);
}

static const sqlite3_mem_methods arena_methods = {
    mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup, mem_init, mem_shutdown, NULL,
};

int main(void) {
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &arena_methods) != SQLITE_OK ||
        sqlite3_initialize() != SQLITE_OK)
        return 1;
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return 1;
    char *err = NULL;
    int rc = sqlite3_exec(db,
                          "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INT);"
                          "CREATE INDEX t_n ON t(n);"
                          "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                          "WHERE i < 20000) INSERT INTO t SELECT i, 'row' || i, i % 97 FROM c;"
                          "DELETE FROM t WHERE n = 3; VACUUM;",
                          NULL, NULL, &err);
    sqlite3_stmt *st = NULL;
    long rows = -1;
    if (rc == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rows = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sqlite hook: %s\n", err);
    sqlite3_free(err);
    arn_grow_stats s;
    grwst(arena, &s);
    printf("sqlite: %ld rows; arena: %zu bytes live, %zu held\n", rows, s.bytes_live,
           s.bytes_held);
    sqlite3_close(db);
    sqlite3_shutdown();
    long expect = 0;
    for (long i = 1; i <= 20000; i++)
        expect += i % 97 != 3;
    return rows == expect ? 0 : 1;
}
