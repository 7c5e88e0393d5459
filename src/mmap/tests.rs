// Miri cannot run `mmap`, `mprotect` or `madvise`: every test that makes an
// arena is skipped there. The size arithmetic (`Plan`) runs everywhere.

use std::sync::Mutex;

use proptest::prelude::*;

use super::*;
use crate::error::Error;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const GIB: usize = 1024 * MIB;

/// Tests that measure the process's memory run one at a time.
static MEASURE: Mutex<()> = Mutex::new(());

fn measure() -> std::sync::MutexGuard<'static, ()> {
    MEASURE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resident memory of the whole process, from `/proc/self/statm`.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * os::page_size()
}

/// Resident bytes in `len` bytes at `p`, from `mincore`.
fn resident(p: *const u8, len: usize) -> usize {
    let page = os::page_size();
    let mut vec = vec![0u8; len.div_ceil(page)];
    // SAFETY: `p..p + len` is mapped (mincore does not need access) and
    // `vec` has one byte per page.
    let rc = unsafe { libc::mincore(p.cast_mut().cast(), len, vec.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore: {}", io::Error::last_os_error());
    vec.iter().filter(|&&b| b & 1 != 0).count() * page
}

/// The mappings of this process, from `/proc/self/maps`: range and
/// permissions, e.g. `rw-p`.
fn mappings() -> Vec<(usize, usize, String)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .map(|line| {
            let mut fields = line.split_whitespace();
            let (a, b) = fields.next().unwrap().split_once('-').unwrap();
            let a = usize::from_str_radix(a, 16).unwrap();
            let b = usize::from_str_radix(b, 16).unwrap();
            (a, b, fields.next().unwrap().to_owned())
        })
        .collect()
}

/// The mapping containing `addr`.
fn mapping(addr: usize) -> (usize, usize, String) {
    mappings()
        .into_iter()
        .find(|(a, b, _)| (*a..*b).contains(&addr))
        .unwrap_or_else(|| panic!("no mapping contains {addr:#x}"))
}

/// Checks that exactly `base..base + committed` is readable and writable
/// and the rest of the reservation and the guard page have no access.
fn check_protections(m: &MmapArena) {
    let base = m.base().as_ptr() as usize;
    let committed = m.committed();
    if committed > 0 {
        let (_, end, perms) = mapping(base);
        assert_eq!(perms, "rw-p");
        assert_eq!(
            end,
            base + committed,
            "the writable part ends where the commit ends"
        );
    }
    // The rest may be more than one mapping (huge-page advice covers the
    // reservation but not the guard page); all of it has no access.
    let mut at = base + committed;
    while at < base + m.len {
        let (_, end, perms) = mapping(at);
        assert_eq!(perms, "---p", "at {:#x}", at - base);
        at = end;
    }
}

fn bytes(p: NonNull<u8>, len: usize) -> &'static [u8] {
    // SAFETY: callers pass committed memory of an arena that outlives the
    // use of the slice, and do not write it meanwhile.
    unsafe { std::slice::from_raw_parts(p.as_ptr(), len) }
}

#[test]
fn plans_round_clamp_and_refuse_overflow() {
    let dflt = Options::default();
    let p = Plan::new(1, &dflt, 4096).unwrap();
    assert_eq!(
        (p.reserved, p.len, p.map_len, p.align),
        (4096, 8192, 8192, 4096)
    );
    let no_guard = Options {
        guard_page: false,
        ..dflt
    };
    let p = Plan::new(8192, &no_guard, 4096).unwrap();
    assert_eq!((p.reserved, p.len, p.map_len), (8192, 8192, 8192));
    let huge = Options {
        huge_pages: true,
        ..dflt
    };
    let p = Plan::new(5000, &huge, 4096).unwrap();
    assert_eq!(
        (p.reserved, p.len, p.align),
        (8192, 12288, ARN_MMAP_HUGE_PAGE)
    );
    assert_eq!(p.map_len, 12288 + ARN_MMAP_HUGE_PAGE - 4096);

    // Retain: rounded up to pages, at most the reservation.
    for (retain, want) in [
        (0, 0),
        (1, 4096),
        (65536, 65536),
        (65537, 69632),
        (MIB, MIB),
        (MIB + 1, MIB),
        (usize::MAX, MIB),
    ] {
        let p = Plan::new(MIB, &Options { retain, ..dflt }, 4096).unwrap();
        assert_eq!(p.retain, want, "retain {retain}");
    }

    for size in [0, usize::MAX, usize::MAX - 4095, isize::MAX as usize] {
        assert!(
            matches!(Plan::new(size, &dflt, 4096), Err(Error::InvalidArgument(_))),
            "size {size}"
        );
    }
    // Without a guard page the largest page multiple below isize::MAX fits.
    let top = (isize::MAX as usize) & !4095;
    assert!(Plan::new(top, &no_guard, 4096).is_ok());
    assert!(Plan::new(top, &dflt, 4096).is_err());
    let huge_no_guard = Options {
        guard_page: false,
        ..huge
    };
    assert!(Plan::new(top, &huge_no_guard, 4096).is_err());
    assert_eq!(
        Plan::new(0, &dflt, 4096).unwrap_err().to_string(),
        "invalid argument: mmap arena size 0"
    );
}

#[test]
fn c_options_default_to_zero() {
    use super::ffi::MmapOpts;
    assert_eq!(MmapOpts::default().builder(5), MmapArena::builder(5));
    let o = MmapOpts {
        huge_pages: 1,
        prefault: 1,
        no_guard_page: 1,
        retain: 7,
    };
    let want = MmapArena::builder(5)
        .page_size(PageSize::Huge)
        .prefault(true)
        .guard_page(false)
        .retain(7);
    assert_eq!(o.builder(5), want);
    assert!(want.opts.huge_pages);
    assert_eq!(
        MmapArena::builder(5).guard_page(false).guard_page(true),
        MmapArena::builder(5)
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn reserving_64_gib_costs_nothing_until_used() {
    let _one = measure();
    let before = rss();
    let m = MmapArena::new(64 * GIB).unwrap();
    let after = rss();
    assert!(
        after < before + 8 * MIB,
        "reserving moved RSS from {before} to {after}"
    );
    assert_eq!(
        m.stats(),
        MmapStats {
            reserved: 64 * GIB,
            ..MmapStats::default()
        }
    );

    let a = m.alloc(100).unwrap();
    a.fill(1);
    let b = m.alloc(10_000).unwrap();
    assert!(b.iter().all(|&x| x == 0));
    b.fill(2);
    // 104 + 10000 = 10104 bytes: three pages.
    assert_eq!(
        m.stats(),
        MmapStats {
            reserved: 64 * GIB,
            committed: 3 * 4096,
            used: 10_104,
            allocations: 2,
            retain: 0
        }
    );
    assert_eq!(resident(m.base().as_ptr(), 64 * MIB), 3 * 4096);
    assert!(rss() < before + 8 * MIB);
    check_protections(&m);
    drop(m);
}

#[test]
#[cfg_attr(miri, ignore)]
fn alloc_commits_exactly_the_pages_it_needs() {
    let m = MmapArena::new(MIB).unwrap();
    assert_eq!((m.reserved(), m.committed(), m.used()), (MIB, 0, 0));
    check_protections(&m);
    let p = m.alloc_ptr(1).unwrap();
    assert_eq!(p, m.base());
    assert_eq!(p.as_ptr() as usize % 4096, 0);
    assert_eq!((m.committed(), m.used()), (4096, 8));
    // 8 + 4088 = 4096: still one page.
    let q = m.alloc_ptr(4088).unwrap();
    assert_eq!(q.as_ptr() as usize - p.as_ptr() as usize, 8);
    assert_eq!(m.committed(), 4096);
    // One byte more needs the second page.
    let r = m.alloc_ptr(1).unwrap();
    assert_eq!(r.as_ptr() as usize % 8, 0);
    assert_eq!(
        (m.committed(), m.used(), m.stats().allocations),
        (8192, 4104, 3)
    );
    // A large one commits all its pages at once.
    let s = m.alloc(100_000).unwrap();
    assert!(s.iter().all(|&x| x == 0));
    assert_eq!(m.committed(), (4104 + 100_000usize).next_multiple_of(4096));
    check_protections(&m);
}

#[test]
#[cfg_attr(miri, ignore)]
fn commit_rounds_and_refuses_beyond_the_reservation() {
    let m = MmapArena::new(10 * 4096).unwrap();
    m.commit(10_000).unwrap();
    assert_eq!(m.committed(), 12_288);
    check_protections(&m);
    // Less than committed, and 0: nothing happens.
    m.commit(100).unwrap();
    m.commit(0).unwrap();
    assert_eq!(m.committed(), 12_288);
    let before = m.stats();
    for size in [10 * 4096 + 1, usize::MAX, usize::MAX - 4095] {
        let e = m.commit(size).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        assert_eq!(m.stats(), before);
    }
    assert_eq!(
        m.commit(40_961).unwrap_err().to_string(),
        "invalid argument: commit of 40961 bytes exceeds the reservation of 40960"
    );
    // Committed memory is zero and usable before any allocation.
    let all = m.alloc(12_288).unwrap();
    assert!(all.iter().all(|&x| x == 0));
    assert_eq!(m.committed(), 12_288);
    m.commit(10 * 4096).unwrap();
    check_protections(&m);
}

#[test]
#[cfg_attr(miri, ignore)]
fn exhaustion_and_bad_sizes_leave_it_unchanged() {
    let m = MmapArena::new(8192).unwrap();
    m.alloc(8000).unwrap().fill(9);
    let before = m.stats();
    assert_eq!(
        m.alloc(193).unwrap_err().to_string(),
        "mmap arena out of memory: asked 193 bytes (200 with rounding and alignment), 192 left of 8192"
    );
    assert!(matches!(m.alloc(0), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        m.alloc(usize::MAX),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        m.alloc(usize::MAX - 7),
        Err(Error::OutOfMemory { left: 192, .. })
    ));
    assert_eq!(m.stats(), before);
    assert!(m.alloc(192).unwrap().iter().all(|&x| x == 0));
    assert_eq!(m.stats().used, 8192);
}

#[test]
#[cfg_attr(miri, ignore)]
fn reset_gives_pages_back_beyond_retain() {
    let mut m = MmapArena::builder(4 * MIB)
        .retain(64 * KIB)
        .build()
        .unwrap();
    assert_eq!(m.stats().retain, 64 * KIB);
    let used = m.alloc(MIB).unwrap();
    used.fill(0xA5);
    let first = used.as_ptr();
    assert_eq!(m.committed(), MIB);
    assert_eq!(resident(first, MIB), MIB);
    m.reset();
    assert_eq!(
        m.stats(),
        MmapStats {
            reserved: 4 * MIB,
            committed: 64 * KIB,
            used: 0,
            allocations: 0,
            retain: 64 * KIB
        }
    );
    check_protections(&m);
    // The pages past the retained ones left the process.
    assert_eq!(resident(first.wrapping_add(64 * KIB), MIB - 64 * KIB), 0);
    let again = m.alloc(MIB).unwrap();
    assert_eq!(again.as_ptr(), first);
    assert!(again.iter().all(|&x| x == 0), "used memory reads back zero");
    again.fill(1);
    assert_eq!(m.committed(), MIB);

    // Retain 0 gives everything back; retain all keeps everything.
    let mut m = MmapArena::new(MIB).unwrap();
    m.alloc(100_000).unwrap().fill(3);
    m.reset();
    assert_eq!(m.committed(), 0);
    check_protections(&m);
    let mut m = MmapArena::builder(MIB).retain(usize::MAX).build().unwrap();
    assert_eq!(m.stats().retain, MIB);
    m.commit(MIB).unwrap();
    m.alloc(100_000).unwrap().fill(3);
    m.reset();
    assert_eq!((m.committed(), m.used()), (MIB, 0));
    assert!(m.alloc(MIB).unwrap().iter().all(|&x| x == 0));
}

#[test]
#[cfg_attr(miri, ignore)]
fn prefault_makes_committed_pages_resident() {
    let _one = measure();
    let lazy = MmapArena::new(64 * MIB).unwrap();
    lazy.commit(32 * MIB).unwrap();
    assert_eq!(resident(lazy.base().as_ptr(), 32 * MIB), 0);

    let before = rss();
    let eager = MmapArena::builder(64 * MIB).prefault(true).build().unwrap();
    eager.commit(32 * MIB).unwrap();
    assert_eq!(resident(eager.base().as_ptr(), 64 * MIB), 32 * MIB);
    let after = rss();
    assert!(
        after >= before + 24 * MIB,
        "prefaulting 32 MiB moved RSS from {before} to {after}"
    );
    // Allocation commits (and prefaults) its pages too.
    eager.alloc(32 * MIB + 1).unwrap();
    assert_eq!(resident(eager.base().as_ptr(), 64 * MIB), 32 * MIB + 4096);
    assert!(
        bytes(eager.base(), eager.committed())
            .iter()
            .all(|&b| b == 0)
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn touching_prefaults_where_the_kernel_cannot() {
    // The fallback of kernels without MADV_POPULATE_WRITE.
    let m = MmapArena::new(MIB).unwrap();
    m.commit(256 * KIB).unwrap();
    assert_eq!(resident(m.base().as_ptr(), MIB), 0);
    // SAFETY: committed, zero, and nothing refers to it.
    unsafe { os::touch(m.base().as_ptr(), 256 * KIB) };
    assert_eq!(resident(m.base().as_ptr(), MIB), 256 * KIB);
    assert!(bytes(m.base(), 256 * KIB).iter().all(|&b| b == 0));
}

#[test]
#[cfg_attr(miri, ignore)]
fn huge_pages_align_the_reservation_and_advise_it() {
    for _ in 0..4 {
        let m = MmapArena::builder(5 * MIB)
            .page_size(PageSize::Huge)
            .build()
            .unwrap();
        let base = m.base().as_ptr() as usize;
        assert_eq!(base % ARN_MMAP_HUGE_PAGE, 0);
        m.alloc(3 * MIB).unwrap().fill(1);
        check_protections(&m);
        // The kernel records the advice as the `hg` flag of the mapping.
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let (start, _, _) = mapping(base);
        let head = format!("{start:x}-");
        let flags = smaps
            .lines()
            .skip_while(|l| !l.starts_with(&head))
            .find(|l| l.starts_with("VmFlags:"))
            .unwrap();
        assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn the_system_refuses_an_impossible_reservation() {
    // 1 PiB: without an address hint Linux maps below 128 TiB, also with
    // 5-level page tables.
    let e = MmapArena::new(1 << 50).err().unwrap();
    assert_eq!(
        e,
        Error::Refused {
            bytes: 1 << 50,
            reason: "Cannot allocate memory (os error 12)".into()
        }
    );
}

/// Runs the test `name` alone in a child process with `ARN_MMAP_CHILD` set,
/// and checks that it ran and passed.
fn in_child(name: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env("ARN_MMAP_CHILD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "child did not run the test:\n{text}"
    );
}

fn vm_data() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmData:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * KIB
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_commit_the_os_refuses_leaves_the_arena_unchanged() {
    if std::env::var_os("ARN_MMAP_CHILD").is_none() {
        return in_child("mmap::tests::a_commit_the_os_refuses_leaves_the_arena_unchanged");
    }
    // Linux counts private writable memory against RLIMIT_DATA, and
    // `mprotect` to writable checks it: with the limit a little above what
    // this process uses, a large commit fails with ENOMEM.
    let m = MmapArena::new(GIB).unwrap();
    let p = MmapArena::builder(GIB).prefault(true).build().unwrap();
    m.alloc(10).unwrap().fill(7);
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid out-pointer.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_DATA, &mut lim) }, 0);
    lim.rlim_cur = (vm_data() + 64 * MIB) as libc::rlim_t;
    // SAFETY: `lim` is valid; this process is a child of its own.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_DATA, &lim) }, 0);

    let before = m.stats();
    assert_eq!(
        m.commit(512 * MIB),
        Err(Error::Refused {
            bytes: 512 * MIB - 4096,
            reason: "Cannot allocate memory (os error 12)".into()
        })
    );
    assert_eq!(m.stats(), before);
    assert!(matches!(
        m.alloc(256 * MIB).unwrap_err(),
        Error::Refused { bytes, .. } if bytes == 256 * MIB
    ));
    assert_eq!(m.stats(), before);
    check_protections(&m);
    assert_eq!(bytes(m.base(), 10), &[7; 10]);
    assert!(m.alloc(8 * MIB).unwrap().iter().all(|&x| x == 0));
    assert!(matches!(p.commit(512 * MIB), Err(Error::Refused { .. })));
    assert_eq!(p.committed(), 0);
    check_protections(&p);
    p.commit(MIB).unwrap();
    assert_eq!(resident(p.base().as_ptr(), 2 * MIB), MIB);
}

/// What a test does to an mmap arena.
#[derive(Debug, Clone)]
enum Op {
    Alloc(usize),
    Commit(usize),
    /// Scribble on the n-th live allocation (modulo how many there are).
    Scribble(usize),
    Reset,
}

const MAX_PAGES: usize = 6;

fn op() -> impl Strategy<Value = Op> {
    let cap = MAX_PAGES * 4096;
    let size = prop_oneof![
        6 => 0..=4096usize,
        3 => 0..=cap + 16,
        1 => (usize::MAX - 16)..=usize::MAX,
    ];
    prop_oneof![
        6 => size.clone().prop_map(Op::Alloc),
        2 => size.prop_map(Op::Commit),
        3 => any::<usize>().prop_map(Op::Scribble),
        1 => Just(Op::Reset),
    ]
}

/// The model: offsets, commits and counts in plain arithmetic.
#[derive(Debug, Default)]
struct Model {
    reserved: usize,
    retain: usize,
    offset: usize,
    committed: usize,
    allocations: usize,
    live: Vec<(usize, usize)>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    #[cfg_attr(miri, ignore)]
    fn mmap_arena_follows_the_model(
        size in 1usize..=MAX_PAGES * 4096,
        retain in prop_oneof![0..=(MAX_PAGES + 2) * 4096, Just(usize::MAX)],
        prefault in any::<bool>(),
        guard in any::<bool>(),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut arena = MmapArena::builder(size)
            .retain(retain)
            .prefault(prefault)
            .guard_page(guard)
            .build()
            .unwrap();
        let base = arena.base().as_ptr() as usize;
        let reserved = size.next_multiple_of(4096);
        let mut m = Model {
            reserved,
            retain: retain.min(reserved).next_multiple_of(4096),
            ..Model::default()
        };
        for op in ops {
            match op {
                Op::Alloc(n) => {
                    let rounded = n.checked_next_multiple_of(8);
                    let want = match rounded {
                        _ if n == 0 => Err(true),
                        None => Err(true),
                        Some(r) => match m.offset.checked_add(r) {
                            Some(end) if end <= m.reserved => Ok(end),
                            _ => Err(false),
                        },
                    };
                    match (want, arena.alloc_ptr(n)) {
                        (Ok(end), Ok(p)) => {
                            prop_assert_eq!(p.as_ptr() as usize, base + m.offset);
                            prop_assert!(bytes(p, n).iter().all(|&b| b == 0), "fresh memory is zero");
                            m.live.push((m.offset, n));
                            m.offset = end;
                            m.committed = m.committed.max(end.next_multiple_of(4096));
                            m.allocations += 1;
                        }
                        (Err(true), Err(Error::InvalidArgument(_))) => {}
                        (Err(false), Err(Error::OutOfMemory { asked, left, capacity, .. })) => {
                            prop_assert_eq!((asked, left, capacity), (n, m.reserved - m.offset, m.reserved));
                        }
                        (want, got) => prop_assert!(false, "model {:?}, arena {:?}", want, got),
                    }
                }
                Op::Commit(n) => {
                    let end = n.checked_next_multiple_of(4096).filter(|&e| e <= m.reserved);
                    match (end, arena.commit(n)) {
                        (Some(end), Ok(())) => m.committed = m.committed.max(end),
                        (None, Err(Error::InvalidArgument(_))) => {}
                        (want, got) => prop_assert!(false, "model {:?}, arena {:?}", want, got),
                    }
                }
                Op::Scribble(k) => {
                    if !m.live.is_empty() {
                        let (start, n) = m.live[k % m.live.len()];
                        // SAFETY: a live allocation of n bytes.
                        unsafe { arena.base().as_ptr().add(start).write_bytes(0xA5, n) };
                    }
                }
                Op::Reset => {
                    arena.reset();
                    m.offset = 0;
                    m.allocations = 0;
                    m.committed = m.committed.min(m.retain);
                    m.live.clear();
                }
            }
            let st = arena.stats();
            prop_assert_eq!(
                st,
                MmapStats {
                    reserved: m.reserved,
                    committed: m.committed,
                    used: m.offset,
                    allocations: m.allocations,
                    retain: m.retain,
                }
            );
            // Everything from the offset to the committed end is zero, always.
            let tail = bytes(arena.base(), m.committed);
            prop_assert!(tail[m.offset..].iter().all(|&b| b == 0), "bytes past the offset are zero");
            check_protections(&arena);
            if prefault {
                prop_assert_eq!(resident(arena.base().as_ptr(), m.reserved), m.committed);
            }
        }
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn aligned_allocations_pad_and_commit_what_they_need() {
    let m = MmapArena::new(4 * 4096).unwrap();
    m.alloc(8).unwrap().fill(1);
    let p = m.alloc_aligned_ptr(100, 4096).unwrap();
    assert_eq!(p.as_ptr() as usize % 4096, 0);
    assert!(bytes(p, 100).iter().all(|&b| b == 0));
    // 8, then 4088 of padding, then 104: two pages committed.
    assert_eq!((m.used(), m.committed()), (4096 + 104, 2 * 4096));
    let q = m.alloc_aligned_ptr(24, 64).unwrap();
    assert_eq!(q.as_ptr() as usize % 64, 0);
    assert_eq!(q.as_ptr() as usize - p.as_ptr() as usize, 128);
    let before = m.stats();
    assert!(matches!(
        m.alloc_aligned_ptr(8, 12),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        m.alloc_aligned_ptr(0, 64),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        m.alloc_aligned_ptr(3 * 4096, 4096),
        Err(Error::OutOfMemory { .. })
    ));
    assert_eq!(m.stats(), before);
    let r = m.alloc_aligned_ptr(4096, 4096).unwrap();
    assert_eq!(r.as_ptr() as usize - m.base().as_ptr() as usize, 2 * 4096);
    assert_eq!(m.committed(), 3 * 4096);
}
