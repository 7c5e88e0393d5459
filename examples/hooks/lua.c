/* Lua on a growing arena: lua_Alloc is one call, grwre (realloc semantics:
 * NULL allocates, size 0 frees and returns NULL). Build: make
 * examples-hooks (needs the Lua 5.4 development package). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

#include "arn.h"

static void *arena_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)osize;
    return grwre(*(arn_grow *)ud, ptr, nsize);
}

static const char script[] =
    "local t = {}\n"
    "for i = 1, 20000 do t[i] = { id = i, name = 'item' .. i } end\n"
    "local words = {}\n"
    "for i = 1, #t, 7 do words[#words + 1] = t[i].name:upper() end\n"
    "local s = table.concat(words, ',')\n"
    "t = nil; collectgarbage()\n"
    "return #words, #s\n";

int main(void) {
    arn_grow arena = grwmk(NULL);
    lua_State *L = lua_newstate(arena_alloc, &arena);
    if (!arena || !L) {
        fprintf(stderr, "lua hook: %s\n", arnem());
        return 1;
    }
    luaL_openlibs(L);
    if (luaL_dostring(L, script) != LUA_OK) {
        fprintf(stderr, "lua hook: %s\n", lua_tostring(L, -1));
        return 1;
    }
    long words = (long)lua_tointeger(L, -2), chars = (long)lua_tointeger(L, -1);
    arn_grow_stats s;
    grwst(arena, &s);
    printf("lua: %ld words, %ld characters; arena: %zu bytes live, %zu held\n", words, chars,
           s.bytes_live, s.bytes_held);
    lua_close(L);
    grwst(arena, &s);
    int ok = words == 2858 && chars > 0 && s.bytes_live == 0;
    grwfr(arena);
    return ok ? 0 : 1;
}
