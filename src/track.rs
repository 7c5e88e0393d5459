//! Telling memory checkers which bytes inside arn's memory are live.
//!
//! AddressSanitizer and valgrind's memcheck see an arena, a block pool or
//! a byte arena as one big heap block or mapping: a read after a reset, a
//! write past a block into the next one or a use of a returned object
//! looks to them like any other access to live memory. Every allocator
//! therefore reports its events here, in one line each:
//!
//! | call | when | AddressSanitizer | memcheck |
//! |---|---|---|---|
//! | [`fresh`] | memory arn got from the system and has not handed out | poison | no access |
//! | [`handed_out`] | bytes given to a user | unpoison | defined |
//! | [`taken_back`] | bytes reset, rewound, popped, restored, freed or returned | poison | no access |
//! | [`open`] | arn itself is about to write there (zeroing, scrubbing) | unpoison | undefined |
//! | [`unmapping`] | pages about to go back to the system for good | unpoison | (the unmap does it) |
//!
//! In the normal build every one of them is an empty `#[inline(always)]`
//! function and [`RED`] is 0: the allocators compile to exactly the same
//! instructions as without them. The `track` cargo feature turns them on
//! (`make lib-track` builds `target/track/release/libarn.so` and `.a`
//! with it). One library then serves both checkers:
//!
//! - AddressSanitizer: `__asan_poison_memory_region` and
//!   `__asan_unpoison_memory_region` are looked up once, at the first
//!   event, with `dlsym(RTLD_DEFAULT, ...)`. A program built with
//!   `-fsanitize=address` carries them and the calls go through; any other
//!   program has none and the calls cost one load.
//! - memcheck: the client requests `VALGRIND_MAKE_MEM_NOACCESS`,
//!   `_UNDEFINED` and `_DEFINED`, as the documented instruction sequence
//!   that valgrind recognises (x86-64 only; a no-op of a few rotates when
//!   the program does not run under valgrind).
//!
//! The tracking build also changes the layout where checking needs room:
//! the block allocator, the arena (and so scratch space and the mmap
//! arena), the bump allocator and the region leave a poisoned red zone of
//! [`RED`] bytes after every block, so that running off the end of one
//! block is reported instead of landing in the next. Each block is
//! unpoisoned to its exact size, so the rounding up to 8 is poisoned too
//! (byte for byte under memcheck; AddressSanitizer tracks the last
//! partial 8 bytes of a block by their count).
//!
//! AddressSanitizer sees through the instrumented program's own accesses
//! and through the C library calls it intercepts (`memcpy`, `memset`, ...);
//! memcheck sees every access, arn's own included. So arn opens ([`open`])
//! what it is about to zero before it writes, and poisons it again after.

/// Bytes of poisoned red zone after each block of the allocators that
/// leave one (see the module documentation); 0 in the normal build.
pub(crate) const RED: usize = if ON { 16 } else { 0 };

/// Whether the tracking layer is built in.
pub(crate) const ON: bool = cfg!(all(feature = "track", not(any(miri, arn_loom))));

/// What a bump step of `size` bytes (a multiple of 8, at most `room`)
/// moves the fill by: `size` plus the red zone, as far as there is room
/// (at the end of the memory, its own end is the bound). The normal build
/// returns `size` as it is.
#[inline(always)]
pub(crate) fn pad(size: usize, room: usize) -> usize {
    if ON {
        (size + RED).min(room)
    } else {
        let _ = room;
        size
    }
}

/// `n` bytes at `p` were handed to a user: unpoison them, as defined.
#[inline(always)]
pub(crate) fn handed_out(p: *const u8, n: usize) {
    #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
    on::mark(p, n, on::State::Defined);
    let _ = (p, n);
}

/// `n` bytes at `p` came back from their user: poison them, no access.
#[inline(always)]
pub(crate) fn taken_back(p: *const u8, n: usize) {
    #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
    on::mark(p, n, on::State::NoAccess);
    let _ = (p, n);
}

/// `n` bytes at `p` are new from the system and not handed out yet:
/// poison them, no access.
#[inline(always)]
pub(crate) fn fresh(p: *const u8, n: usize) {
    taken_back(p, n);
}

/// arn itself is about to write the `n` bytes at `p` (to zero or scrub
/// them), which may be poisoned: make them writable. The caller poisons
/// them again ([`taken_back`]) or hands them out afterwards.
#[inline(always)]
pub(crate) fn open(p: *const u8, n: usize) {
    #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
    on::mark(p, n, on::State::Undefined);
    let _ = (p, n);
}

/// The `n` bytes at `p` are about to be unmapped: AddressSanitizer forgets
/// their poison, so that a later mapping at the same address does not
/// inherit it (memcheck learns of the unmap by itself).
#[inline(always)]
pub(crate) fn unmapping(p: *const u8, n: usize) {
    #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
    on::forget(p, n);
    let _ = (p, n);
}

/// The end of the furthest range an allocator poisoned in memory it maps
/// and unmaps by parts (the mmap arena commits and decommits pages), so
/// that [`unmapping`] covers every page it ever poisoned. Takes no room in
/// the normal build.
#[derive(Default)]
pub(crate) struct HighWater {
    #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
    end: std::cell::Cell<usize>,
}

impl HighWater {
    /// Poison may now reach `end`.
    #[inline(always)]
    pub(crate) fn raise(&self, end: usize) {
        #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
        self.end.set(self.end.get().max(end));
        let _ = end;
    }

    /// How far poison may reach (0 in the normal build).
    #[inline(always)]
    pub(crate) fn get(&self) -> usize {
        #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
        return self.end.get();
        #[cfg(not(all(feature = "track", not(any(miri, arn_loom)))))]
        0
    }
}

/// The bytes of one handed-out range shared by clones (a C chunk slice):
/// the last clone to drop poisons them, although the memory itself lives
/// on with its chunk. Only the tracking build has it (a field of it, even
/// empty, changes how the normal build's slice code is compiled).
#[cfg(feature = "track")]
#[derive(Clone)]
pub(crate) struct Lease {
    #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
    _range: std::sync::Arc<on::Range>,
}

#[cfg(feature = "track")]
impl Lease {
    /// A lease on the `n` bytes at `p`, which must stay memory arn owns
    /// until the lease's last clone drops.
    #[inline(always)]
    pub(crate) fn new(p: *const u8, n: usize) -> Lease {
        let _ = (p, n);
        Lease {
            #[cfg(all(feature = "track", not(any(miri, arn_loom))))]
            _range: std::sync::Arc::new(on::Range(p as usize, n)),
        }
    }
}

/// The tracking build's two back ends.
#[cfg(all(feature = "track", not(any(miri, arn_loom))))]
mod on {
    use std::ffi::c_void;
    use std::sync::OnceLock;

    /// A range a [`super::Lease`] poisons when it drops (an address, so
    /// that the lease is `Send` and `Sync`).
    pub(crate) struct Range(pub(super) usize, pub(super) usize);

    impl Drop for Range {
        fn drop(&mut self) {
            mark(self.0 as *const u8, self.1, State::NoAccess);
        }
    }

    /// What memcheck is told about a range.
    #[derive(Clone, Copy)]
    pub(super) enum State {
        NoAccess,
        Undefined,
        Defined,
    }

    #[inline]
    pub(super) fn mark(p: *const u8, n: usize, state: State) {
        if n == 0 {
            return;
        }
        if let Some(asan) = asan() {
            let f = match state {
                State::NoAccess => asan.poison,
                State::Undefined | State::Defined => asan.unpoison,
            };
            // SAFETY: `p..p + n` lies in memory arn owns (the callers'
            // contract), which is all these functions ask.
            unsafe { f(p.cast(), n) };
        }
        memcheck(p, n, state);
    }

    #[inline]
    pub(super) fn forget(p: *const u8, n: usize) {
        if let (Some(asan), true) = (asan(), n > 0) {
            // SAFETY: as in `mark`.
            unsafe { (asan.unpoison)(p.cast(), n) };
        }
    }

    /// `__asan_poison_memory_region` and its inverse.
    type Region = unsafe extern "C" fn(*const c_void, usize);

    struct Asan {
        poison: Region,
        unpoison: Region,
    }

    /// The AddressSanitizer runtime's entry points, when the program
    /// carries it; looked up once.
    fn asan() -> Option<&'static Asan> {
        static ASAN: OnceLock<Option<Asan>> = OnceLock::new();
        ASAN.get_or_init(|| {
            let find = |name: &std::ffi::CStr| {
                // SAFETY: dlsym with RTLD_DEFAULT and a C string only
                // reads the loaded objects' symbol tables.
                let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
                (!f.is_null()).then(|| {
                    // SAFETY: the runtime's exported function of this
                    // signature (`sanitizer/asan_interface.h`).
                    unsafe { std::mem::transmute::<*mut c_void, Region>(f) }
                })
            };
            Some(Asan {
                poison: find(c"__asan_poison_memory_region")?,
                unpoison: find(c"__asan_unpoison_memory_region")?,
            })
        })
        .as_ref()
    }

    /// memcheck's tool requests (`VG_USERREQ_TOOL_BASE('M', 'C')` + 0, 1,
    /// 2: make no-access, undefined, defined).
    const MEMCHECK_BASE: usize = 0x4d43_0000;

    #[inline]
    fn memcheck(p: *const u8, n: usize, state: State) {
        let request = MEMCHECK_BASE + state as usize;
        let args: [usize; 6] = [request, p as usize, n, 0, 0, 0];
        client_request(&args);
    }

    /// Valgrind's client request: `rax` points at the request and its
    /// arguments, `rdx` carries the default result in and the answer out.
    /// The four rotates of `rdi` (by 3, 13, 61 and 51 bits: 128 in all, so
    /// `rdi` is unchanged) followed by `xchg rbx, rbx` are the marker that
    /// valgrind's translator replaces with the request; run natively, they
    /// change nothing but the flags.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn client_request(args: &[usize; 6]) {
        let _answer: usize;
        // SAFETY: the sequence only rotates `rdi` back to its value and
        // exchanges `rbx` with itself; valgrind reads `args`, which lives
        // across the block.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                in("rax") args.as_ptr(),
                inout("rdx") 0usize => _answer,
                options(nostack),
            );
        }
    }

    /// Elsewhere memcheck is not told (AddressSanitizer still is).
    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    fn client_request(_args: &[usize; 6]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_build_changes_no_layout() {
        if ON {
            assert_eq!(RED, 16);
            assert_eq!(pad(8, 64), 24);
            assert_eq!(pad(56, 64), 64);
        } else {
            assert_eq!(RED, 0);
            assert_eq!(pad(8, 64), 8);
            assert_eq!(pad(56, 64), 56);
        }
    }

    #[test]
    fn events_on_plain_memory_leave_it_usable() {
        // Outside a checker every event is harmless, on or off.
        let mut v = vec![7u8; 64];
        let p = v.as_mut_ptr();
        fresh(p, 64);
        open(p, 64);
        handed_out(p, 64);
        taken_back(p, 32);
        handed_out(p, 64);
        unmapping(p, 0);
        assert!(v.iter().all(|&b| b == 7));
    }
}
