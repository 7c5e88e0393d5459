/*
 * arn.hpp: the C++17 face of libarn, header-only, over the C interface in
 * arn.h. Link with libarn as for C (`pkg-config --libs arn`, or the CMake
 * targets arn::arn / arn::arn_static).
 *
 *   arn::error            what every failing call throws: the ARN_E_* code
 *                         (code()) and the library's message (what()).
 *   arn::arena, ...       move-only owners, one per handle kind: the
 *                         destructor frees, get() gives the raw handle,
 *                         release() gives it up, close() frees and throws
 *                         on failure. Methods are the C functions, named.
 *   arn::arena_resource,  std::pmr::memory_resource adapters: they throw
 *   region_resource,      std::bad_alloc when memory runs out, as the
 *   grow_resource,        standard resources do, and accept size 0.
 *   block_resource
 *
 * Each allocator function of arn.h is called from exactly one place in
 * this file, so a renamed C function is a one-line change here.
 *
 * Threads: as in C. An owner is used by one thread at a time (the byte
 * arenas, buffers, bytes and slices excepted); the resources likewise,
 * except a grow_resource made with `lock` set.
 */

#ifndef ARN_HPP
#define ARN_HPP

#include "arn.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory_resource>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace arn {

/* ---- errors ---------------------------------------------------------- */

/** A failed arn call: the `ARN_E_*` code and the library's message. */
class error : public std::runtime_error {
public:
    error(int code, const std::string &message) : std::runtime_error(message), code_(code) {}

    /** The `ARN_E_*` code (never `ARN_OK`). */
    int code() const noexcept { return code_; }

    /** This thread's last error (`arner`, `arnem`) as an exception. */
    static error last() {
        int code = ::arner();
        std::string message = ::arnem();
        if (code == ARN_OK)
            return error(ARN_E_PANIC, "arn: a call failed without setting the last error");
        return error(code, message);
    }

private:
    int code_;
};

/** The library's version string (`arnvr`), e.g. "0.1.0". */
inline const char *version() noexcept { return ::arnvr(); }

/** The library's version as `major * 10000 + minor * 100 + patch` (`arnvn`). */
inline unsigned version_number() noexcept { return ::arnvn(); }

/** `size` rounded up to `align`, a power of two up to `ARN_MAX_ALIGN` (`arnln`). */
inline std::size_t align_size(std::size_t size, std::size_t align) {
    ::arnec();
    std::size_t rounded = ::arnln(size, align);
    if (rounded == 0 && ::arner() != ARN_OK)
        throw error::last();
    return rounded;
}

/** Tag of the constructors that take over a raw handle made in C. */
struct adopt_t {
    explicit adopt_t() = default;
};
inline constexpr adopt_t adopt{};

namespace detail {

[[noreturn]] inline void throw_last() { throw error::last(); }

inline std::uint64_t check(std::uint64_t handle) {
    if (handle == 0)
        throw_last();
    return handle;
}

template <class P> inline P *check(P *ptr) {
    if (ptr == nullptr)
        throw_last();
    return ptr;
}

inline void check_rc(int rc) {
    if (rc != ARN_OK)
        throw_last();
}

/* Runs a call whose 0 may be a value or a failure, telling them apart by
 * the last error (cleared first). */
template <class F> inline auto check_zero(F &&call) {
    ::arnec();
    auto value = call();
    if (value == 0 && ::arner() != ARN_OK)
        throw_last();
    return value;
}

/* A move-only owner of one handle, freed by `Free`. */
template <int (*Free)(std::uint64_t)> class owner {
public:
    owner() noexcept = default;
    explicit owner(std::uint64_t handle) noexcept : h_(handle) {}
    owner(const owner &) = delete;
    owner &operator=(const owner &) = delete;
    owner(owner &&other) noexcept : h_(other.release()) {}
    owner &operator=(owner &&other) noexcept {
        if (this != &other) {
            destroy();
            h_ = other.release();
        }
        return *this;
    }
    ~owner() { destroy(); }

    /** The raw handle, still owned here (0 once released or closed). */
    std::uint64_t get() const noexcept { return h_; }
    /** Gives up the handle without freeing it; the caller frees it. */
    std::uint64_t release() noexcept { return std::exchange(h_, 0); }
    /** Frees the object now; throws `arn::error` when the library refuses. */
    void close() {
        if (h_ != 0)
            check_rc(Free(release()));
    }
    explicit operator bool() const noexcept { return h_ != 0; }

protected:
    std::uint64_t h_ = 0;

private:
    void destroy() noexcept {
        if (h_ != 0)
            (void)Free(release());
    }
};

/* The counters a C stats call writes for `handle`. */
template <class S> inline S stats_of(int (*call)(std::uint64_t, S *), std::uint64_t handle) {
    S out{};
    check_rc(call(handle, &out));
    return out;
}

/* Calls a C walk with a callable, keeping exceptions on the C++ side: the
 * first one stops the walk and is rethrown after it. */
template <class F> struct walker {
    F &fn;
    std::exception_ptr caught;
};

} // namespace detail

/* ---- arena and typed arena ------------------------------------------- */

namespace detail {
class arena_base : public owner<&::arnfr> {
public:
    using owner::owner;
    /** Offset back to 0; the used bytes are zeroed (`arnrs`). */
    void reset() { check_rc(::arnrs(h_)); }
    /** Counters (`arnst`). */
    ::arn_arena_stats stats() const { return stats_of(::arnst, h_); }
    /** Whether `ptr` lies in the bytes handed out since the last reset (`arnow`). */
    bool owns(const void *ptr) const { return check_zero([&] { return ::arnow(h_, ptr); }) == 1; }
};
} // namespace detail

/** An arena: one zero-filled buffer, bump-allocated, reset in one call. */
class arena : public detail::arena_base {
public:
    arena() noexcept = default;
    /** `size` bytes (`arnmk`). */
    explicit arena(std::size_t size) : arena_base(detail::check(::arnmk(size))) {}
    arena(adopt_t, arn_arena handle) noexcept : arena_base(handle) {}

    /** `n` zeroed bytes, 8-aligned (`arnal`). */
    void *alloc(std::size_t n) { return detail::check(::arnal(h_, n)); }
    /** `n` zeroed bytes at a multiple of `align`; NULL on failure (`arnaa`). */
    void *try_alloc(std::size_t n, std::size_t align) noexcept { return ::arnaa(h_, n, align); }
    /** `n` zeroed bytes at a multiple of `align`, up to `ARN_MAX_ALIGN`. */
    void *alloc(std::size_t n, std::size_t align) { return detail::check(try_alloc(n, align)); }
    /** A copy of `len` bytes (`arncp`). */
    void *copy(const void *src, std::size_t len) { return detail::check(::arncp(h_, src, len)); }
    /** A copy of a C string (`arnsd`). */
    char *copy(const char *s) { return detail::check(::arnsd(h_, s)); }
};

/** A typed arena: slots of one size, addressed by index. */
class typed_arena : public detail::arena_base {
public:
    typed_arena() noexcept = default;
    /** `capacity` slots of `type_size` bytes (`arntm`). */
    typed_arena(std::size_t type_size, std::size_t capacity)
        : arena_base(detail::check(::arntm(type_size, capacity))) {}
    typed_arena(adopt_t, arn_arena handle) noexcept : arena_base(handle) {}

    /** The next slot; its index to `*index` when not null (`arnta`). */
    void *alloc(std::size_t *index = nullptr) { return detail::check(::arnta(h_, index)); }
    /** The slot at `index` (`arnti`). */
    void *at(std::size_t index) const { return detail::check(::arnti(h_, index)); }
};

/* ---- bump, pool, block, stack, mmap, region, scratch ----------------- */

/** A bump allocator (`bmp*`). */
class bump : public detail::owner<&::bmpfr> {
public:
    bump() noexcept = default;
    explicit bump(std::size_t size) : owner(detail::check(::bmpmk(size))) {}
    bump(adopt_t, arn_bump handle) noexcept : owner(handle) {}

    void *alloc(std::size_t n) { return detail::check(::bumpl(h_, n)); }
    void reset() { detail::check_rc(::bmprs(h_)); }
    ::arn_bump_stats stats() const { return detail::stats_of(::bmpst, h_); }
};

/** An object pool (`pol*`). */
class object_pool : public detail::owner<&::polfr> {
public:
    object_pool() noexcept = default;
    /** Objects from `ctor`, readied by `reset` (`polmk`); NULL `ctor`: 64-byte blocks. */
    object_pool(arn_ctor ctor, arn_reset reset, std::size_t initial_capacity)
        : owner(detail::check(::polmk(ctor, reset, initial_capacity))) {}
    /** From full options (`polmx`). */
    explicit object_pool(const ::arn_pool_opts &opts) : owner(detail::check(::polmx(&opts))) {}
    object_pool(adopt_t, arn_pool handle) noexcept : owner(handle) {}

    void *get_object() { return detail::check(::polgt(h_)); }
    void put_object(void *obj) { detail::check_rc(::polrt(h_, obj)); }
    void shrink() { detail::check_rc(::polsh(h_)); }
    ::arn_pool_stats stats() const { return detail::stats_of(::polst, h_); }
};

/** A fixed-size block allocator (`blck*`). */
class block_pool : public detail::owner<&::blckd> {
public:
    block_pool() noexcept = default;
    block_pool(std::size_t block_size, std::size_t block_count)
        : owner(detail::check(::blckm(block_size, block_count))) {}
    block_pool(adopt_t, arn_block handle) noexcept : owner(handle) {}

    /** A zeroed block; NULL when full or on failure (`blckl`). */
    void *try_alloc() noexcept { return ::blckl(h_); }
    void *alloc() { return detail::check(try_alloc()); }
    /** Gives a block back; the C code on failure (`blckf`). */
    int try_free(void *ptr) noexcept { return ::blckf(h_, ptr); }
    void free(void *ptr) { detail::check_rc(try_free(ptr)); }
    ::arn_block_stats stats() const { return detail::stats_of(::blcks, h_); }
};

/** A stack allocator (`stck*`). */
class stack : public detail::owner<&::stckf> {
public:
    stack() noexcept = default;
    explicit stack(std::size_t size) : owner(detail::check(::stckm(size))) {}
    stack(adopt_t, arn_stack handle) noexcept : owner(handle) {}

    /** Pushes a copy of `n` bytes at `data` (zeroes when null). */
    void *push(const void *data, std::size_t n) { return detail::check(::stckl(h_, data, n)); }
    /** A marker at the current top. */
    std::size_t mark() {
        std::size_t marker = 0;
        detail::check_rc(::stckt(h_, &marker));
        return marker;
    }
    void pop(std::size_t n) { detail::check_rc(::stckp(h_, n)); }
    void restore(std::size_t marker) { detail::check_rc(::stckr(h_, marker)); }
};

/** An mmap arena (`mmp*`). */
class mmap_arena : public detail::owner<&::mmpfr> {
public:
    mmap_arena() noexcept = default;
    explicit mmap_arena(std::size_t size, const ::arn_mmap_opts *opts = nullptr)
        : owner(detail::check(::mmpmk(size, opts))) {}
    mmap_arena(adopt_t, arn_mmap handle) noexcept : owner(handle) {}

    void commit(std::size_t size) { detail::check_rc(::mmpcm(h_, size)); }
    void *alloc(std::size_t n) { return detail::check(::mmapl(h_, n)); }
    void reset() { detail::check_rc(::mmprs(h_)); }
    ::arn_mmap_stats stats() const { return detail::stats_of(::mmpst, h_); }
};

/** A region: 64 KiB arenas made on demand (`regin`, `regnl`, `rgn*`). */
class region : public detail::owner<&::rgndl> {
public:
    /** An empty region (`regin`). */
    region() : owner(detail::check(::regin())) {}
    region(adopt_t, arn_region handle) noexcept : owner(handle) {}

    /** `n` zeroed bytes, 8-aligned; NULL on failure (`regnl`). */
    void *try_alloc(std::size_t n) noexcept { return ::regnl(h_, n); }
    void *alloc(std::size_t n) { return detail::check(try_alloc(n)); }
    /** Frees every arena; the region stays usable (`rgnfr`). */
    void free_all() { detail::check_rc(::rgnfr(h_)); }
    ::arn_region_stats stats() const { return detail::stats_of(::rgnst, h_); }
};

/** Scratch space with nested checkpoints (`scrt*`). */
class scratch : public detail::owner<&::scrt0> {
public:
    scratch() noexcept = default;
    explicit scratch(std::size_t size) : owner(detail::check(::scrt1(size))) {}
    scratch(adopt_t, arn_scratch handle) noexcept : owner(handle) {}

    void checkpoint() { detail::check_rc(::scrt3(h_)); }
    void *alloc(std::size_t n) { return detail::check(::scrtc(h_, n)); }
    void restore() { detail::check_rc(::scrt2(h_)); }
};

/* ---- byte arenas, buffers, bytes ------------------------------------- */

using fixed_stats = ::arn_fixed_stats;
using buddy_stats = ::arn_buddy_stats;

/** Frozen bytes (`byt*`): immutable, shared, safe from any thread. */
class bytes : public detail::owner<&::bytdr> {
public:
    bytes() noexcept = default;
    bytes(adopt_t, arn_bytes handle) noexcept : owner(handle) {}

    const unsigned char *data() const {
        return static_cast<const unsigned char *>(detail::check(::bytdt(h_)));
    }
    std::size_t size() const { return detail::check_zero([&] { return ::bytln(h_); }); }
    std::string_view view() const {
        std::size_t n = size();
        return std::string_view(reinterpret_cast<const char *>(data()), n);
    }
    /** A second handle on the same memory. */
    bytes clone() const { return bytes(adopt, detail::check(::bytcl(h_))); }
    /** A handle on `len` bytes from `offset`. */
    bytes slice(std::size_t offset, std::size_t len) const {
        return bytes(adopt, detail::check(::bytsl(h_, offset, len)));
    }
    /** Copies the bytes into `dst` (`dst_size` at least `size()`). */
    void copy_to(void *dst, std::size_t dst_size) const {
        detail::check_rc(::bytcp(h_, dst, dst_size));
    }
};

/** A writable buffer from a byte arena (`buf*`). */
class buffer : public detail::owner<&::bufdr> {
public:
    buffer() noexcept = default;
    buffer(adopt_t, arn_buffer handle) noexcept : owner(handle) {}

    void write(const void *data, std::size_t len) { detail::check_rc(::bufwr(h_, data, len)); }
    void write(std::string_view s) { write(s.data(), s.size()); }
    std::size_t size() const { return detail::check_zero([&] { return ::bufln(h_); }); }
    std::size_t capacity() const { return detail::check_zero([&] { return ::bufca(h_); }); }
    bool spilled() const {
        int r = ::bufsp(h_);
        if (r < 0)
            detail::throw_last();
        return r == 1;
    }
    /** Freezes into bytes without copying; this buffer is then empty. */
    bytes freeze() {
        arn_bytes frozen = detail::check(::bufrz(h_));
        release();
        return bytes(adopt, frozen);
    }
};

/** A fixed-slot byte arena (`fxd*`), safe from any thread. */
class fixed_arena : public detail::owner<&::fxdfr> {
public:
    fixed_arena() noexcept = default;
    fixed_arena(std::size_t slot_count, std::size_t slot_size, const ::arn_byte_opts *opts = nullptr)
        : owner(detail::check(::fxdmk(slot_count, slot_size, opts))) {}
    fixed_arena(adopt_t, arn_fixed handle) noexcept : owner(handle) {}

    buffer alloc() { return buffer(adopt, detail::check(::fxdal(h_))); }
    buffer alloc_wait(std::uint64_t timeout_ms) {
        return buffer(adopt, detail::check(::fxdwt(h_, timeout_ms)));
    }
    fixed_stats stats() const { return detail::stats_of(::fxdst, h_); }
};

/** A buddy byte arena (`bdy*`), safe from any thread. */
class buddy_arena : public detail::owner<&::bdyfr> {
public:
    buddy_arena() noexcept = default;
    buddy_arena(std::size_t total_size, std::size_t min_block, const ::arn_byte_opts *opts = nullptr)
        : owner(detail::check(::bdymk(total_size, min_block, opts))) {}
    buddy_arena(adopt_t, arn_buddy handle) noexcept : owner(handle) {}

    buffer alloc(std::size_t size) { return buffer(adopt, detail::check(::bdyal(h_, size))); }
    buffer alloc_wait(std::size_t size, std::uint64_t timeout_ms) {
        return buffer(adopt, detail::check(::bdywt(h_, size, timeout_ms)));
    }
    buddy_stats stats() const { return detail::stats_of(::bdyst, h_); }
};

/* ---- chunk slices ---------------------------------------------------- */

/** A reference-counted slice from a chunk allocator (`slc*`). */
class slice : public detail::owner<&::slcdr> {
public:
    slice() noexcept = default;
    slice(adopt_t, arn_slice handle) noexcept : owner(handle) {}

    const void *data() const { return detail::check(::slcdt(h_)); }
    /** Elements in the slice. */
    std::size_t size() const { return detail::check_zero([&] { return ::slcln(h_); }); }
    slice clone() const { return slice(adopt, detail::check(::slccl(h_))); }
};

/** A chunk allocator handing out shared slices (`chk*`). */
class chunk_allocator : public detail::owner<&::chkfr> {
public:
    chunk_allocator() noexcept = default;
    chunk_allocator(std::size_t elem_size, std::size_t elem_align, std::size_t chunk_capacity)
        : owner(detail::check(::chkmk(elem_size, elem_align, chunk_capacity))) {}
    chunk_allocator(adopt_t, arn_chunks handle) noexcept : owner(handle) {}

    /** `len` elements copied from `init`, or zeroed when it is null. */
    slice alloc(std::size_t len, const void *init = nullptr) {
        return slice(adopt, detail::check(::chkal(h_, len, init)));
    }
    ::arn_chunk_stats stats() const { return detail::stats_of(::chkst, h_); }
};

/* ---- growing arena, vector, map -------------------------------------- */

/** A growing arena with individual frees (`grw*`). */
class grow_arena : public detail::owner<&::grwfr> {
public:
    /** Default options: 64 KiB chunks, one kept across reset, no lock. */
    grow_arena() : grow_arena(nullptr) {}
    explicit grow_arena(const ::arn_grow_opts &opts) : grow_arena(&opts) {}
    grow_arena(adopt_t, arn_grow handle) noexcept : owner(handle) {}

    /** `n` bytes at `align` (0: 16), not zeroed; NULL on failure (`grwal`). */
    void *try_alloc(std::size_t n, std::size_t align = 0) noexcept { return ::grwal(h_, n, align); }
    void *alloc(std::size_t n, std::size_t align = 0) { return detail::check(try_alloc(n, align)); }
    void *alloc_zeroed(std::size_t n, std::size_t align = 0) {
        return detail::check(::grwaz(h_, n, align));
    }
    /** Frees one block; the C code on failure (`grwfe`). */
    int try_free(void *ptr) noexcept { return ::grwfe(h_, ptr); }
    void free(void *ptr) { detail::check_rc(try_free(ptr)); }
    void *realloc(void *ptr, std::size_t n) { return detail::check(::grwre(h_, ptr, n)); }
    void *copy(const void *src, std::size_t len) { return detail::check(::grwcp(h_, src, len)); }
    char *copy(const char *s) { return detail::check(::grwsd(h_, s)); }
    bool owns(const void *ptr) const {
        int r = ::grwow(h_, ptr);
        if (r < 0)
            detail::throw_last();
        return r == 1;
    }
    void reset() { detail::check_rc(::grwrs(h_)); }
    ::arn_grow_stats stats() const { return detail::stats_of(::grwst, h_); }

private:
    explicit grow_arena(const ::arn_grow_opts *opts) : owner(detail::check(::grwmk(opts))) {}
};

/** A vector of fixed-size elements stored in a growing arena (`vec*`). */
class arena_vector : public detail::owner<&::vecfr> {
public:
    arena_vector() noexcept = default;
    arena_vector(const grow_arena &arena, std::size_t elem_size, std::size_t capacity = 0)
        : owner(detail::check(::vecmk(arena.get(), elem_size, capacity))) {}
    arena_vector(adopt_t, arn_vector handle) noexcept : owner(handle) {}

    void push(const void *elem) { detail::check_rc(::vecps(h_, elem)); }
    void *at(std::size_t index) const { return detail::check(::vecat(h_, index)); }
    void set(std::size_t index, const void *elem) { detail::check_rc(::vecpt(h_, index, elem)); }
    /** Removes the first equal element; whether there was one. */
    bool remove(const void *elem) {
        int r = ::vecrm(h_, elem);
        if (r < 0)
            detail::throw_last();
        return r == 1;
    }
    void remove_at(std::size_t index) { detail::check_rc(::vecri(h_, index)); }
    /** Index of the first equal element, or -1. */
    std::int64_t index_of(const void *elem) const {
        std::int64_t r = ::vecix(h_, elem);
        if (r < -1)
            detail::throw_last();
        return r;
    }
    std::size_t size() const { return detail::check_zero([&] { return ::vecln(h_); }); }
    std::size_t capacity() const { return detail::check_zero([&] { return ::vecca(h_); }); }
    void clear() { detail::check_rc(::vecrs(h_)); }
    /** Calls `fn(index, elem)` for each element; `fn` returns false to stop. */
    template <class F> void for_each(F &&fn) {
        detail::walker<F> w{fn, nullptr};
        int r = ::vecit(h_, &trampoline<F>, &w);
        if (w.caught)
            std::rethrow_exception(w.caught);
        if (r < 0)
            detail::throw_last();
    }
    /** Elements whose pointer at byte `offset` is neither null nor in the
     * arena: their count, and the first `max` indexes into `indices`. */
    std::size_t audit(std::size_t offset, std::size_t *indices = nullptr, std::size_t max = 0) const {
        std::size_t count = 0;
        detail::check_rc(::vecau(h_, offset, &count, indices, max));
        return count;
    }

private:
    template <class F> static int trampoline(void *ctx, std::size_t index, void *elem) {
        auto *w = static_cast<detail::walker<F> *>(ctx);
        try {
            return w->fn(index, elem) ? 0 : 1;
        } catch (...) {
            w->caught = std::current_exception();
            return 1;
        }
    }
};

/** A hash map of byte strings stored in a growing arena (`map*`). */
class arena_map : public detail::owner<&::mapfr> {
public:
    arena_map() noexcept = default;
    explicit arena_map(const grow_arena &arena, std::size_t capacity = 0)
        : owner(detail::check(::mapmk(arena.get(), capacity))) {}
    arena_map(adopt_t, arn_map handle) noexcept : owner(handle) {}

    /** Puts a copy of `value` under a copy of `key`, replacing an old value. */
    void put(std::string_view key, std::string_view value) {
        detail::check_rc(::mappt(h_, key.data(), key.size(), value.data(), value.size()));
    }
    /** The value in the arena, or `nullptr` data when the key is absent
     * (valid until the map or this key changes). */
    std::string_view get(std::string_view key) const {
        ::arnec();
        std::size_t len = 0;
        const void *v = ::mapgt(h_, key.data(), key.size(), &len);
        if (v == nullptr && ::arner() != ARN_OK)
            detail::throw_last();
        return std::string_view(static_cast<const char *>(v), v ? len : 0);
    }
    bool contains(std::string_view key) const {
        int r = ::maphs(h_, key.data(), key.size());
        if (r < 0)
            detail::throw_last();
        return r == 1;
    }
    /** Removes the key; whether it was there. */
    bool erase(std::string_view key) {
        int r = ::maprm(h_, key.data(), key.size());
        if (r < 0)
            detail::throw_last();
        return r == 1;
    }
    /** Puts only when the key is absent; whether it was added. */
    bool add(std::string_view key, std::string_view value) {
        int r = ::mapad(h_, key.data(), key.size(), value.data(), value.size());
        if (r < 0)
            detail::throw_last();
        return r == 1;
    }
    std::size_t size() const { return detail::check_zero([&] { return ::mapln(h_); }); }
    void clear() { detail::check_rc(::maprs(h_)); }
    /** Calls `fn(key, value)` for each entry; `fn` returns false to stop. */
    template <class F> void for_each(F &&fn) const {
        detail::walker<F> w{fn, nullptr};
        int r = ::mapit(h_, &trampoline<F>, &w);
        if (w.caught)
            std::rethrow_exception(w.caught);
        if (r < 0)
            detail::throw_last();
    }
    /** Entries whose value's pointer at byte `offset` is neither null nor
     * in the arena (see `mapau`): their count, the first `max` keys. */
    std::size_t audit(std::size_t offset, const void **keys = nullptr, std::size_t *klens = nullptr,
                      std::size_t max = 0) const {
        std::size_t count = 0;
        detail::check_rc(::mapau(h_, offset, &count, keys, klens, max));
        return count;
    }

private:
    template <class F>
    static int trampoline(void *ctx, const void *key, std::size_t klen, const void *val,
                          std::size_t vlen) {
        auto *w = static_cast<detail::walker<F> *>(ctx);
        try {
            return w->fn(std::string_view(static_cast<const char *>(key), klen),
                         std::string_view(static_cast<const char *>(val), vlen))
                       ? 0
                       : 1;
        } catch (...) {
            w->caught = std::current_exception();
            return 1;
        }
    }
};

/* ---- std::pmr::memory_resource adapters ------------------------------ */

namespace detail {
/* pmr asks for 0 bytes at times; the C calls want at least one. */
inline std::size_t at_least_one(std::size_t bytes) noexcept { return bytes != 0 ? bytes : 1; }

class resource : public std::pmr::memory_resource {
public:
    resource() = default;
    resource(const resource &) = delete;
    resource &operator=(const resource &) = delete;

private:
    bool do_is_equal(const std::pmr::memory_resource &other) const noexcept override {
        return this == &other;
    }
};
} // namespace detail

/** A fixed-size arena as a memory resource: allocation bumps, deallocation
 * does nothing (like std::pmr::monotonic_buffer_resource), `release()`
 * takes everything back at once. Alignments up to `ARN_MAX_ALIGN`. */
class arena_resource : public detail::resource {
public:
    explicit arena_resource(std::size_t size) : arena_(size) {}
    /** Everything back at once; memory from this resource is dead. */
    void release() { arena_.reset(); }
    arn::arena &arena() noexcept { return arena_; }

private:
    void *do_allocate(std::size_t bytes, std::size_t align) override {
        void *p = arena_.try_alloc(detail::at_least_one(bytes), align);
        if (p == nullptr)
            throw std::bad_alloc();
        return p;
    }
    void do_deallocate(void *, std::size_t, std::size_t) override {}

    arn::arena arena_;
};

/** A region as a memory resource: grows by 64 KiB arenas without bound,
 * deallocation does nothing, `release()` frees every arena. Any alignment
 * (above 8 by allocating a little more). */
class region_resource : public detail::resource {
public:
    region_resource() = default;
    void release() { region_.free_all(); }
    arn::region &region() noexcept { return region_; }

private:
    static constexpr std::size_t natural = 8;

    void *do_allocate(std::size_t bytes, std::size_t align) override {
        std::size_t n = detail::at_least_one(bytes);
        std::size_t extra = align > natural ? align - natural : 0;
        if (n > SIZE_MAX - extra)
            throw std::bad_alloc();
        void *p = region_.try_alloc(n + extra);
        if (p == nullptr)
            throw std::bad_alloc();
        if (extra == 0)
            return p;
        std::uintptr_t at = reinterpret_cast<std::uintptr_t>(p);
        return reinterpret_cast<void *>((at + align - 1) & ~(std::uintptr_t)(align - 1));
    }
    void do_deallocate(void *, std::size_t, std::size_t) override {}

    arn::region region_;
};

/** A growing arena as a memory resource: deallocation really frees (the
 * block is reused by later requests of its size class). Alignments up to
 * `ARN_MAX_ALIGN`. Safe from any thread when made with `lock` set. */
class grow_resource : public detail::resource {
public:
    grow_resource() = default;
    explicit grow_resource(const ::arn_grow_opts &opts) : arena_(opts) {}
    /** Every block back at once; memory from this resource is dead. */
    void release() { arena_.reset(); }
    grow_arena &arena() noexcept { return arena_; }

private:
    void *do_allocate(std::size_t bytes, std::size_t align) override {
        void *p = arena_.try_alloc(detail::at_least_one(bytes), align);
        if (p == nullptr)
            throw std::bad_alloc();
        return p;
    }
    void do_deallocate(void *p, std::size_t, std::size_t) override { (void)arena_.try_free(p); }

    grow_arena arena_;
};

/** A block allocator as a memory resource: a request of at most
 * `block_size` bytes and alignment at most 8 takes a block (std::bad_alloc
 * when every block is in use); any other goes to `upstream`. */
class block_resource : public detail::resource {
public:
    block_resource(std::size_t block_size, std::size_t block_count,
                   std::pmr::memory_resource *upstream = std::pmr::get_default_resource())
        : blocks_(block_size, block_count), block_size_(block_size), upstream_(upstream) {}
    std::pmr::memory_resource *upstream_resource() const noexcept { return upstream_; }
    block_pool &blocks() noexcept { return blocks_; }

private:
    static constexpr std::size_t natural = 8;

    bool fits(std::size_t bytes, std::size_t align) const noexcept {
        return detail::at_least_one(bytes) <= block_size_ && align <= natural;
    }
    void *do_allocate(std::size_t bytes, std::size_t align) override {
        if (!fits(bytes, align))
            return upstream_->allocate(bytes, align);
        void *p = blocks_.try_alloc();
        if (p == nullptr)
            throw std::bad_alloc();
        return p;
    }
    void do_deallocate(void *p, std::size_t bytes, std::size_t align) override {
        if (fits(bytes, align))
            (void)blocks_.try_free(p);
        else
            upstream_->deallocate(p, bytes, align);
    }

    block_pool blocks_;
    std::size_t block_size_;
    std::pmr::memory_resource *upstream_;
};

} // namespace arn

#endif /* ARN_HPP */
