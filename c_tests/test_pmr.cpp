// arn.hpp's std::pmr::memory_resource adapters under the standard
// containers: vector, string, map and unordered_map on each resource,
// over-aligned types, exhaustion (std::bad_alloc), size 0 and moves.
#include "arn.hpp"

#include <cstdint>
#include <map>
#include <memory_resource>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness.h"

// An over-aligned element: pmr asks for its alignment.
struct alignas(64) line {
    std::uint64_t words[8];
};

static bool aligned(const void *p, std::size_t align) {
    return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

// A memory resource that counts what reaches it (block_resource's upstream).
class counting : public std::pmr::memory_resource {
public:
    std::size_t live = 0, calls = 0;

private:
    void *do_allocate(std::size_t bytes, std::size_t align) override {
        live++;
        calls++;
        return std::pmr::new_delete_resource()->allocate(bytes, align);
    }
    void do_deallocate(void *p, std::size_t bytes, std::size_t align) override {
        live--;
        std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    }
    bool do_is_equal(const std::pmr::memory_resource &o) const noexcept override {
        return this == &o;
    }
};

// The same workout on any resource: every container kind, long strings
// (not in the small-string buffer), over-aligned elements, size 0.
static void containers_on(std::pmr::memory_resource *r) {
    std::pmr::vector<int> v(r);
    for (int i = 0; i < 1000; i++)
        v.push_back(i);
    long sum = 0;
    for (int x : v)
        sum += x;
    CHECK(sum == 999L * 1000 / 2);

    std::pmr::string s("a string long enough to leave the small buffer", r);
    for (int i = 0; i < 5; i++)
        s += s;
    CHECK(s.size() == 46u * 32);

    std::pmr::map<int, std::pmr::string> m(r);
    for (int i = 0; i < 200; i++)
        m.emplace(i, std::pmr::string(std::to_string(i) + " is a number of some length", r));
    CHECK(m.size() == 200 && m.at(150).compare(0, 3, "150") == 0);
    m.erase(m.begin(), m.find(100));
    CHECK(m.size() == 100);

    std::pmr::unordered_map<std::pmr::string, int> u(r);
    for (int i = 0; i < 300; i++)
        u[std::pmr::string("key number " + std::to_string(i), r)] = i;
    CHECK(u.size() == 300 && u.at(std::pmr::string("key number 299", r)) == 299);

    std::pmr::vector<line> lines(r);
    for (int i = 0; i < 20; i++)
        lines.push_back(line{{std::uint64_t(i)}});
    CHECK(aligned(lines.data(), 64) && lines[19].words[0] == 19);

    void *nothing = r->allocate(0, 8);  // size 0 gives a usable pointer
    CHECK(nothing != nullptr);
    r->deallocate(nothing, 0, 8);
}

// Moves: within one resource the storage moves with the container; across
// resources the elements are copied into the other's memory.
static void moves_on(std::pmr::memory_resource *r, std::pmr::memory_resource *other) {
    std::pmr::vector<std::pmr::string> a(r);
    a.emplace_back("first element, long enough for its own allocation");
    a.emplace_back("second");
    const auto *storage = a.data();
    std::pmr::vector<std::pmr::string> b(std::move(a));
    CHECK(b.data() == storage && b.get_allocator().resource() == r);
    std::pmr::vector<std::pmr::string> c(other);
    c = std::move(b);  // allocators differ: element-wise move into `other`
    CHECK(c.get_allocator().resource() == other && c.size() == 2 && c[1] == "second");
    CHECK(c.data() != storage);
}

static void test_arena_resource() {
    arn::arena_resource r(1 << 20);
    containers_on(&r);
    arn::arena_resource other(1 << 16);
    moves_on(&r, &other);
    CHECK(r.is_equal(r) && !r.is_equal(other));
    void *page = r.allocate(100, 4096);
    CHECK(aligned(page, 4096));
    std::size_t before = r.arena().stats().offset;
    r.deallocate(page, 100, 4096);  // a no-op, as for monotonic_buffer_resource
    CHECK(r.arena().stats().offset == before);
    r.release();
    CHECK(r.arena().stats().offset == 0);

    bool threw = false;
    try {
        (void)r.allocate(16, 8192);  // above ARN_MAX_ALIGN
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    arnec();

    arn::arena_resource small(4096);
    std::pmr::vector<int> v(&small);
    threw = false;
    try {
        for (int i = 0; i < 100000; i++)
            v.push_back(i);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw && !v.empty() && v.back() == int(v.size()) - 1);  // strong guarantee
    arnec();

    threw = false;
    try {
        arn::arena_resource none(0);
    } catch (const arn::error &e) {
        threw = e.code() == ARN_E_INVALID_ARGUMENT;
    }
    CHECK(threw);
    arnec();
}

static void test_region_resource() {
    arn::region_resource r;
    containers_on(&r);
    arn::region_resource other;
    moves_on(&r, &other);
    void *odd = r.allocate(3, 1);
    void *wide = r.allocate(10, 8192);  // any alignment: the region over-allocates
    void *big = r.allocate(1 << 20, 16);
    CHECK(odd && aligned(wide, 8192) && aligned(big, 16));
    CHECK(r.region().stats().arns >= 3);
    r.release();
    CHECK(r.region().stats().arns == 0);

    bool threw = false;
    volatile std::size_t huge = SIZE_MAX - 8;  // unknown to the compiler's size checks
    try {
        (void)r.allocate(huge, 16);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    arnec();
}

static void test_grow_resource() {
    arn::grow_resource r;
    containers_on(&r);
    arn::grow_resource other;
    moves_on(&r, &other);
    // Deallocation really frees: the block comes back for the next request.
    void *p = r.allocate(48, 16);
    r.deallocate(p, 48, 16);
    void *q = r.allocate(48, 16);
    CHECK(p == q);
    r.deallocate(q, 48, 16);
    arn_grow_stats st = r.arena().stats();
    CHECK(st.frees >= 1 && st.reused >= 1);
    // Everything the containers took went back when they were destroyed.
    CHECK(st.bytes_live == 0);

    bool threw = false;
    try {
        (void)r.allocate(64, 8192);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    arnec();

    arn_grow_opts opts{};
    opts.chunk_size = 4096;
    opts.lock = 1;
    arn::grow_resource locked(opts);
    containers_on(&locked);
    CHECK(locked.arena().stats().chunk_size == 4096);
}

static void test_block_resource() {
    counting up;
    {
        arn::block_resource r(64, 4096, &up);
        CHECK(r.upstream_resource() == &up);
        containers_on(&r);
        arn::block_resource other(64, 16, &up);
        moves_on(&r, &other);
        CHECK(r.blocks().stats().used == 0);
        std::size_t before = up.calls;
        void *small = r.allocate(40, 8);
        void *zero = r.allocate(0, 1);
        CHECK(r.blocks().stats().used == 2 && up.calls == before);
        void *large = r.allocate(65, 8);   // larger than a block
        void *wide = r.allocate(16, 64);   // aligned beyond a block's 8
        CHECK(up.calls == before + 2 && aligned(wide, 64));
        r.deallocate(small, 40, 8);
        r.deallocate(zero, 0, 1);
        r.deallocate(large, 65, 8);
        r.deallocate(wide, 16, 64);
        CHECK(r.blocks().stats().used == 0);

        arn::block_resource tiny(32, 2, &up);
        (void)tiny.allocate(8, 8);
        (void)tiny.allocate(8, 8);
        bool threw = false;
        try {
            (void)tiny.allocate(8, 8);  // every block in use
        } catch (const std::bad_alloc &) {
            threw = true;
        }
        CHECK(threw);
        arnec();
    }
    CHECK(up.live == 0);  // every upstream allocation was given back
}

int main() {
    RUN(test_arena_resource);
    RUN(test_region_resource);
    RUN(test_grow_resource);
    RUN(test_block_resource);
    return finish();
}
