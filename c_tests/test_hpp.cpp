// arn.hpp's owners: one per handle kind, their errors and their moves.
#include "arn.hpp"

#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "harness.h"

// Whether `handle` names a freed object now (the owner freed it).
static bool stale(arn_arena handle) {
    arn_arena_stats st;
    int rc = arnst(handle, &st);
    arnec();
    return rc == ARN_E_STALE_HANDLE;
}

// Runs `fn`, which must throw arn::error with `code` and a message that
// starts with the C function's name.
template <class F> static bool throws(int code, const char *fn_name, F &&fn) {
    try {
        fn();
    } catch (const arn::error &e) {
        std::string want = std::string(fn_name) + ": ";
        bool ok = e.code() == code && std::string(e.what()).compare(0, want.size(), want) == 0;
        if (!ok)
            fprintf(stderr, "  got %d: %s\n", e.code(), e.what());
        arnec();
        return ok;
    }
    fprintf(stderr, "  no arn::error from %s\n", fn_name);
    return false;
}

static_assert(!std::is_copy_constructible_v<arn::arena>, "owners are move-only");
static_assert(!std::is_copy_assignable_v<arn::bytes>, "owners are move-only");
static_assert(std::is_nothrow_move_constructible_v<arn::grow_arena>, "moves do not throw");
static_assert(std::is_nothrow_move_assignable_v<arn::buffer>, "moves do not throw");
static_assert(std::is_base_of_v<std::runtime_error, arn::error>, "arn::error is a runtime_error");

static void test_version() {
    CHECK(arn::version_number() == ARN_VERSION_NUMBER);
    CHECK(std::string(arn::version()) == ARN_VERSION_STRING);
    CHECK(arn::align_size(13, 8) == 16);
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "arnln", [] { arn::align_size(8, 3); }));
}

static void test_arena() {
    arn::arena a(1024);
    char *s = a.copy("hello");
    CHECK(std::strcmp(s, "hello") == 0);
    auto *v = static_cast<double *>(a.alloc(4 * sizeof(double)));
    CHECK(all_zero(v, 4 * sizeof(double)));
    void *page = a.alloc(16, 256);
    CHECK(reinterpret_cast<std::uintptr_t>(page) % 256 == 0);
    CHECK(a.owns(s) && !a.owns(&s));
    CHECK(a.stats().objects == 3);
    CHECK(throws(ARN_E_CAPACITY, "arnal", [&] { a.alloc(4096); }));
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "arnaa", [&] { a.alloc(8, 3); }));
    CHECK(a.try_alloc(8, 3) == nullptr);
    arnec();
    a.reset();
    CHECK(a.stats().offset == 0);
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "arnmk", [] { arn::arena bad(0); }));
}

static void test_typed_arena() {
    arn::typed_arena t(12, 4);
    std::size_t index = 99;
    void *first = t.alloc(&index);
    CHECK(index == 0 && t.at(0) == first);
    t.alloc();
    CHECK(t.stats().count == 2);
    CHECK(throws(ARN_E_OUT_OF_BOUNDS, "arnti", [&] { t.at(2); }));
}

static void test_moves() {
    arn::arena a(256);
    arn_arena raw = a.get();
    arn::arena b(std::move(a));
    CHECK(a.get() == 0 && !a && b.get() == raw);
    arn::arena c(128);
    arn_arena old = c.get();
    c = std::move(b);                 // c's own arena is freed
    CHECK(stale(old) && c.get() == raw && !stale(raw));
    c = std::move(c);                 // self-move keeps it
    CHECK(c.get() == raw);
    arn_arena taken = c.release();    // the caller owns it now
    CHECK(!c && !stale(taken));
    arn::arena back(arn::adopt, taken);
    back.close();
    CHECK(stale(taken) && !back);
    back.close();                     // closing an empty owner does nothing
    {
        arn::arena scoped(64);
        raw = scoped.get();
    }
    CHECK(stale(raw));                // the destructor freed it
    // A handle freed behind the owner's back: close() reports it.
    arn::bump bm(64);
    CHECK(bmpfr(bm.get()) == ARN_OK);
    CHECK(throws(ARN_E_DOUBLE_FREE, "bmpfr", [&] { bm.close(); }));
}

static void test_bump_stack_mmap_scratch() {
    arn::bump b(64);
    CHECK(all_zero(b.alloc(24), 24));
    CHECK(b.stats().used == 24 + RED);
    b.reset();
    CHECK(throws(ARN_E_CAPACITY, "bumpl", [&] { b.alloc(128); }));

    arn::stack s(128);
    std::size_t m = s.mark();
    const char msg[] = "pushed";
    CHECK(std::strcmp(static_cast<char *>(s.push(msg, sizeof msg)), "pushed") == 0);
    s.push(nullptr, 16);
    s.pop(16);
    s.restore(m);
    CHECK(throws(ARN_E_STACK, "stckp", [&] { s.pop(8); }));

    arn_mmap_opts opts{};
    opts.retain = 4096;
    arn::mmap_arena mm(1 << 20, &opts);
    mm.commit(8192);
    CHECK(all_zero(mm.alloc(100), 100));
    CHECK(mm.stats().committed >= 8192);
    mm.reset();
    CHECK(mm.stats().used == 0);

    arn::scratch sc(256);
    sc.checkpoint();
    sc.alloc(200);
    CHECK(throws(ARN_E_CAPACITY, "scrtc", [&] { sc.alloc(200); }));
    sc.restore();
    sc.alloc(200);
    CHECK(throws(ARN_E_NO_CHECKPOINT, "scrt2", [&] { sc.restore(); }));
}

static void *make_int(void *) { return new int(7); }
static void reset_int(void *obj, void *) { *static_cast<int *>(obj) = 7; }
static void delete_int(void *obj, void *) { delete static_cast<int *>(obj); }

static void test_pool_block_region() {
    arn::object_pool blocks(nullptr, nullptr, 2);
    void *o = blocks.get_object();
    CHECK(all_zero(o, ARN_POOL_DEFAULT_SIZE));
    blocks.put_object(o);
    CHECK(throws(ARN_E_DOUBLE_FREE, "polrt", [&] { blocks.put_object(o); }));
    blocks.shrink();
    CHECK(blocks.stats().available == 2);

    arn_pool_opts opts{};
    opts.ctor = make_int;
    opts.reset = reset_int;
    opts.destructor = delete_int;
    opts.initial_capacity = 1;
    arn::object_pool ints(opts);
    int *i = static_cast<int *>(ints.get_object());
    CHECK(*i == 7);
    *i = 9;
    ints.put_object(i);
    CHECK(*static_cast<int *>(ints.get_object()) == 7);  // reset ran; the destructor frees it

    arn::block_pool bp(24, 2);
    void *x = bp.alloc();
    void *y = bp.alloc();
    CHECK(throws(ARN_E_CAPACITY, "blckl", [&] { bp.alloc(); }));
    bp.free(x);
    CHECK(throws(ARN_E_DOUBLE_FREE, "blckf", [&] { bp.free(x); }));
    CHECK(throws(ARN_E_FOREIGN_POINTER, "blckf", [&] { bp.free(&x); }));
    CHECK(bp.stats().used == 1 && y != nullptr);

    arn::region r;
    CHECK(all_zero(r.alloc(100000), 100000));
    r.alloc(10);
    CHECK(r.stats().arns == 2);
    r.free_all();
    CHECK(r.stats().arns == 0);
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "regnl", [&] { r.alloc(0); }));
}

static void test_bytes() {
    arn::fixed_arena fa(2, 64);
    arn::buffer buf = fa.alloc();
    buf.write("hello, ");
    buf.write(std::string_view("world"));
    CHECK(buf.size() == 12 && buf.capacity() == 64 && !buf.spilled());
    arn_buffer raw = buf.get();
    arn::bytes b = buf.freeze();
    CHECK(!buf && buf.get() == 0 && bufln(raw) == 0);
    arnec();
    CHECK(b.view() == "hello, world" && b.size() == 12);
    arn::bytes world = b.slice(7, 5);
    arn::bytes again = b.clone();
    b = arn::bytes();                // drops one handle; the others keep the memory
    CHECK(world.view() == "world" && again.view() == "hello, world");
    char out[16] = {0};
    again.copy_to(out, sizeof out);
    CHECK(std::strcmp(out, "hello, world") == 0);
    CHECK(throws(ARN_E_OUT_OF_BOUNDS, "bytsl", [&] { again.slice(10, 5); }));
    CHECK(throws(ARN_E_INVALID_HANDLE, "bytln", [&] { (void)b.size(); }));  // empty owner: handle 0

    arn::buffer second = fa.alloc();
    CHECK(throws(ARN_E_CAPACITY, "fxdal", [&] { fa.alloc(); }));   // `again` and `world` hold one slot
    CHECK(throws(ARN_E_TIMEOUT, "fxdwt", [&] { fa.alloc_wait(1); }));
    CHECK(throws(ARN_E_CAPACITY, "bufwr", [&] { second.write(std::string(65, 'x')); }));
    CHECK(fa.stats().slots == 2);

    arn::buddy_arena ba(4096, 256);
    arn::buffer blk = ba.alloc(300);
    CHECK(blk.capacity() == 512);
    blk.write("x");
    arn::bytes frozen = blk.freeze();
    CHECK(frozen.view() == "x");
    CHECK(ba.stats().bytes_live == 512);
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "bdyal", [&] { ba.alloc(0); }));
    arn::buffer wait = ba.alloc_wait(256, 0);
    CHECK(wait.capacity() == 256);
}

static void test_bytes_across_threads() {
    arn::fixed_arena fa(8, 32);
    arn::buffer buf = fa.alloc();
    buf.write("shared");
    arn::bytes b = buf.freeze();
    arn::bytes there = b.clone();
    std::string seen;
    std::thread t([&seen, moved = std::move(there)]() mutable {
        seen = std::string(moved.view());
        moved.close();
    });
    t.join();
    CHECK(seen == "shared" && b.view() == "shared");
}

static void test_chunks() {
    arn::chunk_allocator ch(sizeof(int), alignof(int), 16);
    int init[3] = {1, 2, 3};
    arn::slice s = ch.alloc(3, init);
    arn::slice z = ch.alloc(2);
    CHECK(s.size() == 3 && static_cast<const int *>(s.data())[2] == 3);
    CHECK(all_zero(z.data(), 2 * sizeof(int)));
    arn::slice c = s.clone();
    s.close();
    CHECK(static_cast<const int *>(c.data())[0] == 1);
    CHECK(ch.stats().slices == 2);
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "chkal", [&] { ch.alloc(0); }));
}

static void test_grow_vector_map() {
    arn::grow_arena g;
    void *p = g.alloc(40);
    void *q = g.alloc_zeroed(40, 64);
    CHECK(reinterpret_cast<std::uintptr_t>(q) % 64 == 0 && all_zero(q, 40));
    CHECK(g.owns(p) && !g.owns(&p));
    p = g.realloc(p, 400);
    g.free(p);
    CHECK(throws(ARN_E_DOUBLE_FREE, "grwfe", [&] { g.free(p); }));
    CHECK(std::strcmp(g.copy("grow"), "grow") == 0);
    CHECK(static_cast<char *>(g.copy("ab", 2))[1] == 'b');
    CHECK(g.stats().allocations >= 4);

    arn::arena_vector v(g, sizeof(int));
    for (int i = 0; i < 10; i++)
        v.push(&i);
    int five = 5, fifty = 50;
    CHECK(v.size() == 10 && v.capacity() >= 10 && *static_cast<int *>(v.at(5)) == 5);
    v.set(5, &fifty);
    CHECK(v.index_of(&fifty) == 5 && v.index_of(&five) == -1);
    CHECK(v.remove(&fifty) && !v.remove(&fifty));
    v.remove_at(0);
    int sum = 0;
    v.for_each([&](std::size_t, void *elem) {
        sum += *static_cast<int *>(elem);
        return true;
    });
    CHECK(sum == 1 + 2 + 3 + 4 + 6 + 7 + 8 + 9);
    CHECK(throws(ARN_E_INVALID_ARGUMENT, "vecau", [&] { v.audit(0); }));  // an int holds no pointer

    arn::arena_vector ptrs(g, sizeof(void *));
    void *inside = g.alloc(8), *outside = &sum, *none = nullptr;
    ptrs.push(&inside);
    ptrs.push(&outside);
    ptrs.push(&none);
    std::size_t bad[4] = {9, 9, 9, 9};
    CHECK(ptrs.audit(0, bad, 4) == 1 && bad[0] == 1);
    bool rethrown = false;
    try {
        v.for_each([](std::size_t index, void *) -> bool {
            if (index == 2)
                throw std::runtime_error("stop here");
            return true;
        });
    } catch (const std::runtime_error &e) {
        rethrown = std::string(e.what()) == "stop here";
    }
    CHECK(rethrown);
    v.clear();
    CHECK(v.size() == 0);
    CHECK(throws(ARN_E_OUT_OF_BOUNDS, "vecat", [&] { v.at(0); }));

    arn::arena_map m(g);
    m.put("one", "1");
    m.put("two", "2");
    CHECK(m.add("three", "3") && !m.add("three", "x"));
    CHECK(m.get("two") == "2" && m.get("none").data() == nullptr && m.contains("one"));
    CHECK(m.erase("one") && !m.erase("one") && m.size() == 2);
    std::string keys;
    m.for_each([&](std::string_view k, std::string_view) {
        keys += k;
        return true;
    });
    CHECK(keys.size() == std::string("twothree").size());
    CHECK(m.audit(0) == 0);
    m.clear();
    CHECK(m.size() == 0);

    g.reset();  // vectors and maps on the arena are stale now
    CHECK(throws(ARN_E_STALE_HANDLE, "vecps", [&] { v.push(&five); }));
    CHECK(throws(ARN_E_STALE_HANDLE, "mappt", [&] { m.put("k", "v"); }));
}

int main() {
    RUN(test_version);
    RUN(test_arena);
    RUN(test_typed_arena);
    RUN(test_moves);
    RUN(test_bump_stack_mmap_scratch);
    RUN(test_pool_block_region);
    RUN(test_bytes);
    RUN(test_bytes_across_threads);
    RUN(test_chunks);
    RUN(test_grow_vector_map);
    return finish();
}
