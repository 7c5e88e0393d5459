//! The memory under a byte arena: an anonymous mapping of our own, or
//! memory the caller lends with a hook that gives it back.

use std::ptr::NonNull;

use super::BuildError;

/// The page size memory is mapped with (byte arenas, mmap arenas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSize {
    /// The system's base pages (4 KiB on x86-64).
    #[default]
    Standard,
    /// Transparent huge pages: the mapping is 2 MiB aligned, a multiple of
    /// 2 MiB, and advised `MADV_HUGEPAGE`; the kernel may still use base
    /// pages.
    Huge,
}

/// Hands caller memory back when the arena over it is gone.
pub type Dealloc = Box<dyn FnOnce(NonNull<u8>, usize) + Send>;

/// An arena's memory. `ptr..ptr + len` stays valid, and ours, until drop.
pub(crate) struct Backing {
    ptr: NonNull<u8>,
    len: usize,
    source: Source,
}

enum Source {
    #[cfg(not(any(miri, arn_loom)))]
    Map(#[allow(dead_code)] memmap2::MmapMut),
    #[cfg(any(miri, arn_loom))]
    Heap(std::alloc::Layout),
    Caller(Option<Dealloc>),
}

// SAFETY: the backing is a plain run of bytes that the arena hands out in
// disjoint pieces; the dealloc hook is `Send`.
unsafe impl Send for Backing {}
// SAFETY: `&Backing` only reads the pointer and length.
unsafe impl Sync for Backing {}

impl Backing {
    /// Maps `len` zeroed bytes, made resident at once when `prefault` is set.
    pub(crate) fn map(len: usize, page: PageSize, prefault: bool) -> Result<Backing, BuildError> {
        let align = match page {
            PageSize::Standard => 1,
            PageSize::Huge => crate::mmap::ARN_MMAP_HUGE_PAGE,
        };
        let too_big = || BuildError::Overflow {
            what: "the arena's memory",
        };
        let rounded = len.checked_next_multiple_of(align).ok_or_else(too_big)?;
        let map_len = rounded.checked_add(align - 1).ok_or_else(too_big)?;
        Self::map_os(len, map_len, align, page, prefault)
    }

    #[cfg(not(any(miri, arn_loom)))]
    fn map_os(
        len: usize,
        map_len: usize,
        align: usize,
        page: PageSize,
        prefault: bool,
    ) -> Result<Backing, BuildError> {
        let mut opts = memmap2::MmapOptions::new();
        opts.len(map_len);
        if prefault && page == PageSize::Standard {
            opts.populate();
        }
        let map = opts.map_anon().map_err(|e| BuildError::System {
            bytes: map_len,
            reason: e.to_string(),
        })?;
        let raw = map.as_ptr() as usize;
        let head = raw.next_multiple_of(align) - raw;
        if page == PageSize::Huge {
            // Advice only: a kernel without transparent huge pages keeps
            // base pages, which is what the caller gets elsewhere too.
            let _ = map.advise_range(memmap2::Advice::HugePage, head, map_len - (align - 1));
        }
        // SAFETY: `head < align <= map_len`, inside the mapping, which is not
        // null.
        let ptr = unsafe { NonNull::new_unchecked(map.as_ptr().add(head).cast_mut()) };
        let backing = Backing {
            ptr,
            len,
            source: Source::Map(map),
        };
        if prefault && page == PageSize::Huge {
            backing.fault_in();
        }
        crate::track::fresh(backing.ptr.as_ptr(), backing.len);
        Ok(backing)
    }

    /// Miri and loom cannot map memory: a zeroed heap block stands in.
    #[cfg(any(miri, arn_loom))]
    fn map_os(
        len: usize,
        _map_len: usize,
        _align: usize,
        _page: PageSize,
        _prefault: bool,
    ) -> Result<Backing, BuildError> {
        let layout = std::alloc::Layout::from_size_align(len.max(1), 4096).map_err(|_| {
            BuildError::Overflow {
                what: "the arena's memory",
            }
        })?;
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(p).ok_or_else(|| BuildError::System {
            bytes: len,
            reason: "the heap refused".into(),
        })?;
        Ok(Backing {
            ptr,
            len,
            source: Source::Heap(layout),
        })
    }

    /// Wraps `len` bytes of caller memory at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` is valid for reads and writes, used by nothing else,
    /// until `dealloc` runs (or, without a hook, for as long as any arena
    /// or buffer over it lives).
    pub(crate) unsafe fn caller(ptr: NonNull<u8>, len: usize, dealloc: Option<Dealloc>) -> Backing {
        Backing {
            ptr,
            len,
            source: Source::Caller(dealloc),
        }
    }

    pub(crate) fn base(&self) -> NonNull<u8> {
        self.ptr
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes every page resident, on the calling thread (whose NUMA node
    /// the kernel then places them on).
    pub(crate) fn fault_in(&self) {
        #[cfg(all(
            any(target_os = "linux", target_os = "android"),
            not(any(miri, arn_loom))
        ))]
        if let Source::Map(map) = &self.source {
            let head = self.ptr.as_ptr() as usize - map.as_ptr() as usize;
            if map
                .advise_range(memmap2::Advice::PopulateWrite, head, self.len)
                .is_ok()
            {
                return;
            }
        }
        // A kernel before 5.14, or caller memory: write to each page. The
        // pages read as they did; the write makes them resident.
        crate::track::open(self.ptr.as_ptr(), self.len);
        for at in (0..self.len).step_by(4096) {
            // SAFETY: inside our memory; rewriting a byte with its own value
            // changes nothing a reader can see, and no buffer is out yet
            // (faulting happens before the arena hands anything out).
            unsafe {
                let p = self.ptr.as_ptr().add(at);
                p.write_volatile(p.read_volatile());
            }
        }
        crate::track::fresh(self.ptr.as_ptr(), self.len);
    }

    /// Zeroes the whole backing (caller memory under a zeroing arena).
    pub(crate) fn zero(&self) {
        // SAFETY: our memory, and no buffer is out yet.
        unsafe { self.ptr.as_ptr().write_bytes(0, self.len) };
    }
}

impl Drop for Backing {
    fn drop(&mut self) {
        crate::track::unmapping(self.ptr.as_ptr(), self.len);
        match &mut self.source {
            #[cfg(not(any(miri, arn_loom)))]
            Source::Map(_) => {}
            #[cfg(any(miri, arn_loom))]
            // SAFETY: allocated in `map_os` with this layout.
            Source::Heap(layout) => unsafe { std::alloc::dealloc(self.ptr.as_ptr(), *layout) },
            Source::Caller(hook) => {
                if let Some(hook) = hook.take() {
                    hook(self.ptr, self.len);
                }
            }
        }
    }
}

/// An arena whose pages have not been touched yet, so that the thread that
/// calls [`Unfaulted::fault_pages`] decides where they are placed (the
/// kernel puts a page on the NUMA node of the thread that first writes it).
pub struct Unfaulted<A> {
    pub(crate) arena: A,
    pub(crate) fault: fn(&A),
}

impl<A> Unfaulted<A> {
    /// Faults every page in on the calling thread and returns the arena.
    pub fn fault_pages(self) -> A {
        (self.fault)(&self.arena);
        self.arena
    }

    /// The arena, its pages left to fault in on first use.
    pub fn into_inner(self) -> A {
        self.arena
    }
}
