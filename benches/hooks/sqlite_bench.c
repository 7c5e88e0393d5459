/* SQLite workload: an in-memory database of 100 000 users and 100 000
 * orders with indexes, then joins, grouped queries, updates, deletes and
 * VACUUM; with SQLite's default allocator (glibc) or on a growing arena
 * through SQLITE_CONFIG_MALLOC. Prints seconds and peak RSS (KiB). */
#include "common.h"

#include <sqlite3.h>

#include "arn.h"

static arn_grow arena;
static void *mem_malloc(int n) { return grwal(arena, (size_t)n, 0); }
static void mem_free(void *p) { grwfe(arena, p); }
static void *mem_realloc(void *p, int n) { return grwre(arena, p, (size_t)n); }
static int mem_size(void *p) { return (int)grwsz(arena, p); }
static int mem_roundup(int n) { return (n + 15) & ~15; }
static int mem_init(void *app) {
    (void)app;
    arena = make_arena();
    return arena ? SQLITE_OK : SQLITE_NOMEM;
}
static void mem_shutdown(void *app) {
    (void)app;
    grwfr(arena);
}
static const sqlite3_mem_methods methods = {
    mem_malloc, mem_free, mem_realloc, mem_size, mem_roundup, mem_init, mem_shutdown, NULL,
};

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s: %s\n", sql, err);
        sqlite3_free(err);
    }
}

static long scalar(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int main(int argc, char **argv) {
    int mode = arena_mode(argc, argv);
    if (mode < 0)
        return 2;
    double t0 = now();
    if (mode && sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK)
        return 1;
    sqlite3_initialize();
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return 1;
    exec(db, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INT, city INT);"
             "CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INT, amount REAL, note TEXT);"
             "CREATE INDEX users_city ON users(city); CREATE INDEX users_age ON users(age);"
             "CREATE INDEX orders_user ON orders(user_id); CREATE INDEX users_email ON users(email);");
    exec(db, "BEGIN");
    sqlite3_stmt *u, *o;
    sqlite3_prepare_v2(db, "INSERT INTO users VALUES(?, ?, ?, ?, ?)", -1, &u, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO orders VALUES(?, ?, ?, ?)", -1, &o, NULL);
    unsigned long x = 88172645463325252ul;
    char name[64], email[96], note[160];
    for (int i = 1; i <= 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        snprintf(name, sizeof name, "user %d %lx", i, x % 100000);
        snprintf(email, sizeof email, "u%lx.%d@example.org", x, i);
        sqlite3_bind_int(u, 1, i);
        sqlite3_bind_text(u, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(u, 3, email, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(u, 4, (int)(x % 90));
        sqlite3_bind_int(u, 5, (int)(x % 500));
        sqlite3_step(u);
        sqlite3_reset(u);
        snprintf(note, sizeof note, "order %d of user %lu: %.*s", i, x % 100000 + 1,
                 (int)(x % 100), "some words about what was ordered, how and when it was "
                                "sent, and to whom it went in the end of it all");
        sqlite3_bind_int(o, 1, i);
        sqlite3_bind_int(o, 2, (int)(x % 100000) + 1);
        sqlite3_bind_double(o, 3, (double)(x % 100000) / 100.0);
        sqlite3_bind_text(o, 4, note, -1, SQLITE_TRANSIENT);
        sqlite3_step(o);
        sqlite3_reset(o);
    }
    sqlite3_finalize(u);
    sqlite3_finalize(o);
    exec(db, "COMMIT");
    long sum = 0;
    sum += scalar(db, "SELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id WHERE u.age < 30");
    sum += scalar(db, "SELECT sum(n) FROM (SELECT u.city, count(*) AS n, sum(o.amount) FROM users u "
                      "JOIN orders o ON o.user_id = u.id GROUP BY u.city ORDER BY 3 DESC)");
    sum += scalar(db, "SELECT count(*) FROM (SELECT name FROM users WHERE email LIKE '%7%' ORDER BY name)");
    sum += scalar(db, "SELECT count(DISTINCT note) FROM orders WHERE amount > 500");
    exec(db, "UPDATE users SET name = name || ' (moved)', city = city + 1 WHERE age % 5 = 0");
    exec(db, "DELETE FROM orders WHERE amount < 300; DELETE FROM users WHERE age % 7 = 0");
    exec(db, "CREATE TABLE summary AS SELECT u.city, count(*) AS n, avg(o.amount) AS a FROM users u "
             "JOIN orders o ON o.user_id = u.id GROUP BY u.city");
    exec(db, "VACUUM");
    sum += scalar(db, "SELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id");
    sum += scalar(db, "SELECT count(*) FROM summary");
    sqlite3_close(db);
    sqlite3_shutdown();
    double t = now() - t0;
    fprintf(stderr, "sqlite %s: checksum %ld\n", mode ? "arena" : "glibc", sum);
    report(t);
    return 0;
}
