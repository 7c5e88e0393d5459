/* Lua workload: scripts that build binary trees, strings and tables, with
 * Lua's usual allocator (realloc and free from glibc) or with lua_Alloc on
 * a growing arena (one call: grwre). Prints seconds and peak RSS (KiB). */
#include "common.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>

#include "arn.h"

static void *glibc_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)ud, (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

static void *arena_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)osize;
    return grwre(*(arn_grow *)ud, ptr, nsize);
}

static const char script[] =
    /* Binary trees: many small tables made and dropped. */
    "local function tree(d) if d == 0 then return {} end return {tree(d-1), tree(d-1)} end\n"
    "local function check(t) if not t[1] then return 1 end return 1 + check(t[1]) + check(t[2]) end\n"
    "local long = tree(16)\n"
    "local n = 0\n"
    "for d = 4, 16, 2 do\n"
    "  for i = 1, 2^(18 - d) do n = n + check(tree(d)) end\n"
    "end\n"
    "n = n + check(long)\n"
    /* Strings: concatenation, formatting, substitution. */
    "local parts = {}\n"
    "for i = 1, 200000 do parts[#parts + 1] = string.format('%d:%s', i, ('x'):rep(i % 40)) end\n"
    "local s = table.concat(parts, ';')\n"
    "local t = s:gsub('x+', function(m) return #m end)\n"
    "local words = 0\n"
    "for w in t:gmatch('[^;]+') do words = words + 1 end\n"
    /* Tables: hash parts growing and shrinking, arrays sorted. */
    "local h = {}\n"
    "for i = 1, 300000 do h['k' .. i] = { i, tostring(i) } end\n"
    "for i = 1, 300000, 2 do h['k' .. i] = nil end\n"
    "collectgarbage()\n"
    "local a = {}\n"
    "for k, v in pairs(h) do a[#a + 1] = v[1] end\n"
    "table.sort(a)\n"
    "return n + words + #a\n";

int main(int argc, char **argv) {
    int mode = arena_mode(argc, argv);
    if (mode < 0)
        return 2;
    double t0 = now();
    arn_grow arena = mode ? make_arena() : 0;
    lua_State *L = mode ? lua_newstate(arena_alloc, &arena) : lua_newstate(glibc_alloc, NULL);
    luaL_openlibs(L);
    if (luaL_dostring(L, script) != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 1;
    }
    long sum = (long)lua_tointeger(L, -1);
    lua_close(L);
    if (mode)
        grwfr(arena);
    double t = now() - t0;
    fprintf(stderr, "lua %s: checksum %ld\n", mode ? "arena" : "glibc", sum);
    report(t);
    return 0;
}
