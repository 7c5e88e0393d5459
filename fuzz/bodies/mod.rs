//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs`
//! (cargo-fuzz, nightly) and by `tests/fuzz_corpus.rs`, which replays the
//! seed corpus in `fuzz/corpus/` with stable Rust on every `make test`.
//!
//! Every body drives the library through its C functions only, declared
//! here as C sees them, so what is fuzzed is the ABI a C program uses. An
//! input is a byte string read front to back as a program of calls; when it
//! runs out, the body frees whatever is still live (the fuzzer's leak check
//! then holds the library to freeing everything).
//!
//! - [`calls`]: sequences of calls across every kind, with bad, stale and
//!   wrong-kind handles, extreme sizes, foreign pointers and interleaved
//!   frees. Checked: nothing crashes, and every failure is a known error
//!   code (never a caught panic) with a message.
//! - [`grow_trace`]: malloc / zeroed malloc / realloc / free traces of the
//!   growing arena, checked against a shadow copy of every live block
//!   (contents, alignment, no overlap), with the malloc edges (free of
//!   NULL, 0 bytes, realloc of NULL and to 0 bytes): each either fails
//!   cleanly or acts as malloc does, and the shadow follows.
//! - [`byte_arenas`]: buffers and frozen bytes of the fixed and buddy byte
//!   arenas, written, frozen, cloned, sliced and dropped in any order, and
//!   checked against a shadow copy.

#![allow(dead_code)]

use std::ffi::{CStr, c_int, c_void};

/// The C functions, as `include/arn.h` declares them (handles are `u64`,
/// struct pointers opaque).
mod c {
    use std::ffi::{c_char, c_int, c_void};

    type H = u64;
    type P = *mut c_void;
    type Cp = *const c_void;

    unsafe extern "C" {
        pub fn arner() -> c_int;
        pub fn arnem() -> *const c_char;
        pub fn arnec();

        pub fn arnmk(size: usize) -> H;
        pub fn arnal(a: H, bytes: usize) -> P;
        pub fn arnaa(a: H, bytes: usize, align: usize) -> P;
        pub fn arnrs(a: H) -> c_int;
        pub fn arnfr(a: H) -> c_int;
        pub fn arnst(a: H, out: P) -> c_int;
        pub fn arnow(a: H, p: Cp) -> c_int;
        pub fn arncp(a: H, src: Cp, len: usize) -> P;
        pub fn arnsd(a: H, s: *const c_char) -> *mut c_char;
        pub fn arntm(type_size: usize, capacity: usize) -> H;
        pub fn arnta(t: H, index_out: *mut usize) -> P;
        pub fn arnti(t: H, index: usize) -> P;

        pub fn bmpmk(size: usize) -> H;
        pub fn bumpl(b: H, size: usize) -> P;
        pub fn bmprs(b: H) -> c_int;
        pub fn bmpfr(b: H) -> c_int;
        pub fn bmpst(b: H, out: P) -> c_int;

        pub fn polmk(ctor: Cp, reset: Cp, initial_capacity: usize) -> H;
        pub fn polmx(opts: Cp) -> H;
        pub fn polgt(p: H) -> P;
        pub fn polrt(p: H, obj: P) -> c_int;
        pub fn polst(p: H, out: P) -> c_int;
        pub fn polsh(p: H) -> c_int;
        pub fn polfr(p: H) -> c_int;

        pub fn blckm(block_size: usize, block_count: usize) -> H;
        pub fn blckl(b: H) -> P;
        pub fn blckf(b: H, p: P) -> c_int;
        pub fn blcks(b: H, out: P) -> c_int;
        pub fn blckd(b: H) -> c_int;

        pub fn stckm(size: usize) -> H;
        pub fn stckt(s: H, marker_out: *mut usize) -> c_int;
        pub fn stckl(s: H, data: Cp, size: usize) -> P;
        pub fn stckp(s: H, size: usize) -> c_int;
        pub fn stckr(s: H, marker: usize) -> c_int;
        pub fn stckf(s: H) -> c_int;

        pub fn mmpmk(size: usize, opts: Cp) -> H;
        pub fn mmpcm(m: H, size: usize) -> c_int;
        pub fn mmapl(m: H, bytes: usize) -> P;
        pub fn mmprs(m: H) -> c_int;
        pub fn mmpfr(m: H) -> c_int;
        pub fn mmpst(m: H, out: P) -> c_int;

        pub fn regin() -> H;
        pub fn regnl(r: H, size: usize) -> P;
        pub fn rgnfr(r: H) -> c_int;
        pub fn rgnst(r: H, out: P) -> c_int;
        pub fn rgndl(r: H) -> c_int;

        pub fn scrt1(size: usize) -> H;
        pub fn scrt3(s: H) -> c_int;
        pub fn scrtc(s: H, bytes: usize) -> P;
        pub fn scrt2(s: H) -> c_int;
        pub fn scrt0(s: H) -> c_int;

        pub fn fxdmk(slot_count: usize, slot_size: usize, opts: Cp) -> H;
        pub fn fxdal(f: H) -> H;
        pub fn fxdwt(f: H, timeout_ms: u64) -> H;
        pub fn fxdfr(f: H) -> c_int;
        pub fn bdymk(total: usize, min_block: usize, opts: Cp) -> H;
        pub fn bdyal(b: H, size: usize) -> H;
        pub fn bdyfr(b: H) -> c_int;
        pub fn bufwr(b: H, data: Cp, len: usize) -> c_int;
        pub fn bufln(b: H) -> usize;
        pub fn bufca(b: H) -> usize;
        pub fn bufsp(b: H) -> c_int;
        pub fn bufrz(b: H) -> H;
        pub fn bufdr(b: H) -> c_int;
        pub fn bytdt(b: H) -> Cp;
        pub fn bytln(b: H) -> usize;
        pub fn bytcl(b: H) -> H;
        pub fn bytsl(b: H, offset: usize, len: usize) -> H;
        pub fn bytdr(b: H) -> c_int;
        pub fn bytcp(b: H, dst: P, dst_size: usize) -> c_int;

        pub fn chkmk(elem_size: usize, elem_align: usize, chunk_capacity: usize) -> H;
        pub fn chkal(c: H, len: usize, init: Cp) -> H;
        pub fn chkst(c: H, out: P) -> c_int;
        pub fn chkfr(c: H) -> c_int;
        pub fn slcdt(s: H) -> Cp;
        pub fn slcln(s: H) -> usize;
        pub fn slccl(s: H) -> H;
        pub fn slcdr(s: H) -> c_int;

        pub fn grwmk(opts: Cp) -> H;
        pub fn grwal(g: H, size: usize, align: usize) -> P;
        pub fn grwaz(g: H, size: usize, align: usize) -> P;
        pub fn grwfe(g: H, p: P) -> c_int;
        pub fn grwre(g: H, p: P, new_size: usize) -> P;
        pub fn grwrs(g: H) -> c_int;
        pub fn grwst(g: H, out: P) -> c_int;
        pub fn grwfr(g: H) -> c_int;

        pub fn vecmk(g: H, elem_size: usize, capacity: usize) -> H;
        pub fn vecps(v: H, elem: Cp) -> c_int;
        pub fn vecat(v: H, index: usize) -> P;
        pub fn vecri(v: H, index: usize) -> c_int;
        pub fn vecln(v: H) -> usize;
        pub fn vecfr(v: H) -> c_int;
        pub fn mapmk(g: H, capacity: usize) -> H;
        pub fn mappt(m: H, key: Cp, klen: usize, val: Cp, vlen: usize) -> c_int;
        pub fn mapgt(m: H, key: Cp, klen: usize, vlen: *mut usize) -> Cp;
        pub fn maprm(m: H, key: Cp, klen: usize) -> c_int;
        pub fn mapln(m: H) -> usize;
        pub fn mapfr(m: H) -> c_int;
    }
}

/// `ARN_E_PANIC`: a panic the boundary caught, which is always a bug.
const PANIC: c_int = 12;

/// Reads a fuzzer's bytes as a program: numbers, choices and sizes.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    pub fn u64(&mut self) -> Option<u64> {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte()?;
        }
        Some(u64::from_le_bytes(b))
    }

    /// Up to `n` bytes, as many as are left.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// An index below `n` (which is not 0).
    pub fn below(&mut self, n: usize) -> Option<usize> {
        Some(self.u16()? as usize % n)
    }

    /// A size for a call on an existing object: small ones mostly, and the
    /// edges (0, around 8, past any capacity, overflowing).
    pub fn size(&mut self) -> Option<usize> {
        const EDGES: [usize; 12] = [
            0,
            1,
            7,
            8,
            9,
            4095,
            4096,
            1 << 20,
            1 << 40,
            usize::MAX,
            usize::MAX - 7,
            isize::MAX as usize + 1,
        ];
        let tag = self.byte()?;
        Some(match tag {
            0..=23 => EDGES[tag as usize % EDGES.len()],
            24..=199 => self.byte()? as usize + 1,
            _ => self.u16()? as usize + 1,
        })
    }

    /// A size for making an object: at most 1 MiB, or one of the sizes
    /// that are refused before any memory is asked for (so that the
    /// fuzzer's allocation limits never trip on a request the library
    /// rightly makes).
    pub fn make_size(&mut self) -> Option<usize> {
        const REFUSED: [usize; 4] = [0, usize::MAX, usize::MAX - 7, isize::MAX as usize + 1];
        let tag = self.byte()?;
        Some(match tag {
            0..=7 => REFUSED[tag as usize % REFUSED.len()],
            8..=15 => 1 << (tag as usize % 21),
            _ => self.u16()? as usize % (1 << 14) + 1,
        })
    }
}

/// The last call failed: its error must be a known code other than a
/// caught panic, with a message.
fn failed(what: &str) {
    // SAFETY: these read and clear the calling thread's last error; the
    // message is a NUL-terminated string valid until the next arn call.
    unsafe {
        let code = c::arner();
        assert!(code > 0, "{what} failed without an error code");
        assert!(
            code != PANIC,
            "{what} panicked: {:?}",
            CStr::from_ptr(c::arnem())
        );
        assert!(
            !CStr::from_ptr(c::arnem()).is_empty(),
            "{what} failed with code {code} and no message"
        );
        c::arnec();
    }
}

fn status(what: &str, rc: c_int) {
    if rc != 0 {
        failed(what);
    }
}

fn ptr<T>(what: &str, p: *mut T) -> *mut T {
    if p.is_null() {
        failed(what);
    }
    p
}

fn handle(what: &str, h: u64) -> u64 {
    if h == 0 {
        failed(what);
    }
    h
}

/// The kinds the `calls` body makes objects of.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Arena,
    Typed,
    Bump,
    Pool,
    Block,
    Stack,
    Mmap,
    Region,
    Scratch,
    Fixed,
    Buddy,
    Buffer,
    Bytes,
    Chunks,
    Slice,
    Grow,
    Vector,
    Map,
}

const KINDS: [Kind; 18] = [
    Kind::Arena,
    Kind::Typed,
    Kind::Bump,
    Kind::Pool,
    Kind::Block,
    Kind::Stack,
    Kind::Mmap,
    Kind::Region,
    Kind::Scratch,
    Kind::Fixed,
    Kind::Buddy,
    Kind::Buffer,
    Kind::Bytes,
    Kind::Chunks,
    Kind::Slice,
    Kind::Grow,
    Kind::Vector,
    Kind::Map,
];

/// Frees the object behind `h` of kind `k` with its own free function.
fn free(k: Kind, h: u64) -> c_int {
    // SAFETY: every free function takes any handle value and reports a bad
    // one as an error.
    unsafe {
        match k {
            Kind::Arena | Kind::Typed => c::arnfr(h),
            Kind::Bump => c::bmpfr(h),
            Kind::Pool => c::polfr(h),
            Kind::Block => c::blckd(h),
            Kind::Stack => c::stckf(h),
            Kind::Mmap => c::mmpfr(h),
            Kind::Region => c::rgndl(h),
            Kind::Scratch => c::scrt0(h),
            Kind::Fixed => c::fxdfr(h),
            Kind::Buddy => c::bdyfr(h),
            Kind::Buffer => c::bufdr(h),
            Kind::Bytes => c::bytdr(h),
            Kind::Chunks => c::chkfr(h),
            Kind::Slice => c::slcdr(h),
            Kind::Grow => c::grwfr(h),
            Kind::Vector => c::vecfr(h),
            Kind::Map => c::mapfr(h),
        }
    }
}

/// `arn_byte_opts`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct ByteOpts {
    alignment: usize,
    zero_init: c_int,
    auto_spill: c_int,
    prefault: c_int,
    huge_pages: c_int,
}

/// `arn_mmap_opts`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct MmapOpts {
    huge_pages: c_int,
    prefault: c_int,
    no_guard_page: c_int,
    retain: usize,
}

/// `arn_pool_opts`, without callbacks.
#[repr(C)]
struct PoolOpts {
    ctor: *const c_void,
    reset: *const c_void,
    destructor: *const c_void,
    ctx: *mut c_void,
    object_size: usize,
    initial_capacity: usize,
}

/// What the `calls` body has made: live handles of each kind, handles it
/// freed (stale from then on), and memory it was handed with its length.
struct World {
    live: Vec<(Kind, u64)>,
    dead: Vec<u64>,
    /// Pointers handed out, with their length and their owner's handle
    /// (for frees), most recent last; some of them stale by now.
    ptrs: Vec<(*mut u8, usize, u64)>,
    markers: Vec<usize>,
}

impl World {
    /// A handle to call with: mostly a live one of kind `k`, sometimes one
    /// of another kind, a freed one, 0 or noise.
    fn pick(&self, inp: &mut Input, k: Kind) -> Option<u64> {
        let tag = inp.byte()?;
        let of_kind: Vec<u64> = self
            .live
            .iter()
            .filter(|(kk, _)| *kk == k)
            .map(|&(_, h)| h)
            .collect();
        Some(match tag % 16 {
            0 => 0,
            1 => inp.u64()?,
            2 if !self.dead.is_empty() => self.dead[inp.below(self.dead.len())?],
            3 if !self.live.is_empty() => self.live[inp.below(self.live.len())?].1,
            _ if !of_kind.is_empty() => of_kind[tag as usize % of_kind.len()],
            _ => 0,
        })
    }

    /// A pointer to call with: one handed out (live or not), one inside or
    /// just past it, one on the stack, or NULL.
    fn pointer(&self, inp: &mut Input, local: *mut u8) -> Option<*mut u8> {
        let tag = inp.byte()?;
        if self.ptrs.is_empty() || tag % 8 == 0 {
            return Some(if tag % 2 == 0 {
                local
            } else {
                std::ptr::null_mut()
            });
        }
        let (p, len, _) = self.ptrs[tag as usize % self.ptrs.len()];
        Some(match tag % 8 {
            1 => p.wrapping_add(1),
            2 => p.wrapping_add(len),
            _ => p,
        })
    }

    fn adopt(&mut self, k: Kind, h: u64) {
        if h != 0 {
            self.live.push((k, h));
        }
    }

    /// Keeps `len` bytes at `p` (when not NULL) as handed out by `owner`,
    /// after writing to all of them.
    fn took(&mut self, p: *mut c_void, len: usize, owner: u64) {
        if p.is_null() {
            return;
        }
        let p = p.cast::<u8>();
        // SAFETY: the call succeeded, so `len` bytes at `p` are ours.
        unsafe { p.write_bytes(0xA5, len) };
        self.ptrs.push((p, len, owner));
        if self.ptrs.len() > 64 {
            self.ptrs.remove(0);
        }
    }

    /// Frees a live object chosen by the input (and forgets pointers into
    /// the objects that could die with it, which are all but the byte
    /// arenas' and chunks' own handles: conservatively, all pointers).
    fn free_one(&mut self, inp: &mut Input) -> Option<()> {
        if self.live.is_empty() {
            return Some(());
        }
        let i = inp.below(self.live.len())?;
        let (k, h) = self.live.swap_remove(i);
        status("free", free(k, h));
        self.dead.push(h);
        // Objects made on a growing arena die with it; everything else of
        // theirs is a handle of its own.
        if k == Kind::Grow {
            self.live
                .retain(|(kk, _)| !matches!(kk, Kind::Vector | Kind::Map));
        }
        self.ptrs.clear();
        Some(())
    }
}

/// Sequences of calls across every kind (see the module docs).
pub fn calls(data: &[u8]) {
    let mut inp = Input::new(data);
    let mut w = World {
        live: Vec::new(),
        dead: Vec::new(),
        ptrs: Vec::new(),
        markers: Vec::new(),
    };
    // A foreign pointer to hand in, and the source of element copies
    // (vectors' elements up to 4096 bytes, 16 chunk elements up to 4095).
    let mut local = vec![0u8; 1 << 16];
    let _ = step_all(&mut inp, &mut w, local.as_mut_ptr());
    // Whatever is left: containers before their growing arena, buffers and
    // bytes in any order (they outlive their arena).
    w.live
        .sort_by_key(|(k, _)| !matches!(k, Kind::Vector | Kind::Map));
    for (k, h) in w.live.drain(..) {
        status("free at the end", free(k, h));
    }
}

fn step_all(inp: &mut Input, w: &mut World, local: *mut u8) -> Option<()> {
    let mut out = [0u64; 32];
    let out_p = out.as_mut_ptr().cast::<c_void>();
    for _ in 0..400 {
        let op = inp.byte()?;
        // SAFETY (every call below): arguments are handles (any value is
        // checked), sizes, `out` (room for any stats struct), pointers the
        // library handed out (the library checks them before use where it
        // takes them back) or NULL, and input bytes with their true length.
        unsafe {
            match op % 40 {
                0 => w.adopt(Kind::Arena, handle("arnmk", c::arnmk(inp.make_size()?))),
                1 => {
                    let (a, n) = (w.pick(inp, Kind::Arena)?, inp.size()?);
                    let p = ptr("arnal", c::arnal(a, n));
                    w.took(p, n, a);
                }
                2 => {
                    let (a, n, al) = (w.pick(inp, Kind::Arena)?, inp.size()?, inp.size()?);
                    let p = ptr("arnaa", c::arnaa(a, n, al));
                    if !p.is_null() {
                        assert!(al.is_power_of_two() && p as usize % al == 0);
                    }
                    w.took(p, n, a);
                }
                3 => {
                    let a = w.pick(inp, Kind::Arena)?;
                    let src = inp.bytes(64);
                    let p = ptr("arncp", c::arncp(a, src.as_ptr().cast(), src.len()));
                    if !p.is_null() {
                        assert_eq!(std::slice::from_raw_parts(p.cast::<u8>(), src.len()), src);
                    }
                    w.took(p, src.len(), a);
                }
                4 => {
                    let a = w.pick(inp, Kind::Arena)?;
                    status("arnrs", c::arnrs(a));
                    w.ptrs.clear();
                }
                5 => {
                    let a = w.pick(inp, Kind::Arena)?;
                    let p = w.pointer(inp, local)?;
                    let r = c::arnow(a, p.cast());
                    assert!(r == 0 || r == 1);
                    c::arnec();
                    status("arnst", c::arnst(a, out_p));
                }
                6 => {
                    let (ts, cap) = (inp.make_size()?, inp.make_size()? % 4096);
                    w.adopt(Kind::Typed, handle("arntm", c::arntm(ts, cap)));
                }
                7 => {
                    let t = w.pick(inp, Kind::Typed)?;
                    let mut index = usize::MAX;
                    ptr("arnta", c::arnta(t, &mut index));
                    let i = inp.size()?;
                    ptr("arnti", c::arnti(t, i));
                }
                8 => w.adopt(Kind::Bump, handle("bmpmk", c::bmpmk(inp.make_size()?))),
                9 => {
                    let (b, n) = (w.pick(inp, Kind::Bump)?, inp.size()?);
                    let p = ptr("bumpl", c::bumpl(b, n));
                    w.took(p, n, b);
                    if inp.byte()? % 4 == 0 {
                        status("bmprs", c::bmprs(b));
                        w.ptrs.clear();
                    }
                    status("bmpst", c::bmpst(b, out_p));
                }
                10 => {
                    let h = if inp.byte()? % 2 == 0 {
                        c::polmk(std::ptr::null(), std::ptr::null(), inp.make_size()? % 64)
                    } else {
                        let o = PoolOpts {
                            ctor: std::ptr::null(),
                            reset: std::ptr::null(),
                            destructor: std::ptr::null(),
                            ctx: std::ptr::null_mut(),
                            object_size: inp.make_size()?,
                            initial_capacity: inp.make_size()? % 64,
                        };
                        c::polmx((&o as *const PoolOpts).cast())
                    };
                    w.adopt(Kind::Pool, handle("polmk", h));
                }
                11 => {
                    let p = w.pick(inp, Kind::Pool)?;
                    let obj = ptr("polgt", c::polgt(p));
                    w.took(obj, 1, p);
                }
                12 => {
                    let p = w.pick(inp, Kind::Pool)?;
                    let obj = w.pointer(inp, local)?;
                    status("polrt", c::polrt(p, obj.cast()));
                    status("polst", c::polst(p, out_p));
                    if inp.byte()? % 4 == 0 {
                        status("polsh", c::polsh(p));
                    }
                }
                13 => {
                    let (size, count) = (inp.make_size()?, inp.make_size()? % 100_000);
                    w.adopt(Kind::Block, handle("blckm", c::blckm(size, count)));
                }
                14 => {
                    let b = w.pick(inp, Kind::Block)?;
                    let p = ptr("blckl", c::blckl(b));
                    w.took(p, 1, b);
                }
                15 => {
                    let b = w.pick(inp, Kind::Block)?;
                    let p = w.pointer(inp, local)?;
                    status("blckf", c::blckf(b, p.cast()));
                    status("blcks", c::blcks(b, out_p));
                }
                16 => w.adopt(Kind::Stack, handle("stckm", c::stckm(inp.make_size()?))),
                17 => {
                    let s = w.pick(inp, Kind::Stack)?;
                    let src = inp.bytes(32);
                    let n = if inp.byte()? % 2 == 0 {
                        src.len()
                    } else {
                        inp.size()?
                    };
                    let from = if n <= src.len() {
                        src.as_ptr().cast()
                    } else {
                        std::ptr::null()
                    };
                    let p = ptr("stckl", c::stckl(s, from, n));
                    w.took(p, n, s);
                    let mut m = 0usize;
                    status("stckt", c::stckt(s, &mut m));
                    w.markers.push(m);
                }
                18 => {
                    let s = w.pick(inp, Kind::Stack)?;
                    if inp.byte()? % 2 == 0 {
                        status("stckp", c::stckp(s, inp.size()?));
                    } else {
                        let m = match w.markers.len() {
                            0 => inp.size()?,
                            n => w.markers[inp.below(n)?],
                        };
                        status("stckr", c::stckr(s, m));
                    }
                    w.ptrs.clear();
                }
                19 => {
                    let o = MmapOpts {
                        huge_pages: c_int::from(inp.byte()? % 8 == 0),
                        prefault: c_int::from(inp.byte()? % 4 == 0),
                        no_guard_page: c_int::from(inp.byte()? % 2 == 0),
                        retain: inp.size()?,
                    };
                    let size = match inp.byte()? % 4 {
                        0 => 1 << 36,
                        _ => inp.make_size()?,
                    };
                    let opts = if inp.byte()? % 4 == 0 {
                        std::ptr::null()
                    } else {
                        (&o as *const MmapOpts).cast()
                    };
                    w.adopt(Kind::Mmap, handle("mmpmk", c::mmpmk(size, opts)));
                }
                20 => {
                    let m = w.pick(inp, Kind::Mmap)?;
                    let n = inp.size()?.min(1 << 21);
                    let p = ptr("mmapl", c::mmapl(m, n));
                    w.took(p, n, m);
                    status("mmpcm", c::mmpcm(m, inp.size()?.min(1 << 21)));
                    status("mmpst", c::mmpst(m, out_p));
                }
                21 => {
                    let m = w.pick(inp, Kind::Mmap)?;
                    status("mmprs", c::mmprs(m));
                    w.ptrs.clear();
                }
                22 => w.adopt(Kind::Region, handle("regin", c::regin())),
                23 => {
                    let r = w.pick(inp, Kind::Region)?;
                    let n = inp.size()?.min(1 << 20);
                    let p = ptr("regnl", c::regnl(r, n));
                    w.took(p, n, r);
                    status("rgnst", c::rgnst(r, out_p));
                    if inp.byte()? % 8 == 0 {
                        status("rgnfr", c::rgnfr(r));
                        w.ptrs.clear();
                    }
                }
                24 => w.adopt(Kind::Scratch, handle("scrt1", c::scrt1(inp.make_size()?))),
                25 => {
                    let s = w.pick(inp, Kind::Scratch)?;
                    match inp.byte()? % 3 {
                        0 => status("scrt3", c::scrt3(s)),
                        1 => {
                            status("scrt2", c::scrt2(s));
                            w.ptrs.clear();
                        }
                        _ => {
                            let n = inp.size()?;
                            let p = ptr("scrtc", c::scrtc(s, n));
                            w.took(p, n, s);
                        }
                    }
                }
                26 => {
                    let mut o = ByteOpts {
                        alignment: [0, 1, 8, 64, 3, 8192][inp.below(6)?],
                        zero_init: c_int::from(inp.byte()? % 2 == 0),
                        auto_spill: c_int::from(inp.byte()? % 2 == 0),
                        ..ByteOpts::default()
                    };
                    let h = if inp.byte()? % 2 == 0 {
                        let (n, size) = (inp.make_size()? % 512, inp.make_size()? % 8192);
                        let h = c::fxdmk(n, size, (&o as *const ByteOpts).cast());
                        w.adopt(Kind::Fixed, handle("fxdmk", h));
                        h
                    } else {
                        o.alignment = o.alignment.min(64);
                        let min: usize = [0, 64, 256, 100, 4096][inp.below(5)?];
                        let total = min.saturating_mul(1 << inp.below(10)?);
                        let h = c::bdymk(total, min, (&o as *const ByteOpts).cast());
                        w.adopt(Kind::Buddy, handle("bdymk", h));
                        h
                    };
                    let _ = h;
                }
                27 => {
                    let b = if inp.byte()? % 2 == 0 {
                        let f = w.pick(inp, Kind::Fixed)?;
                        if inp.byte()? % 8 == 0 {
                            handle("fxdwt", c::fxdwt(f, 0))
                        } else {
                            handle("fxdal", c::fxdal(f))
                        }
                    } else {
                        let (d, n) = (w.pick(inp, Kind::Buddy)?, inp.size()?);
                        handle("bdyal", c::bdyal(d, n))
                    };
                    w.adopt(Kind::Buffer, b);
                }
                28 => {
                    let b = w.pick(inp, Kind::Buffer)?;
                    let n = inp.u16()? as usize % 600;
                    let data = inp.bytes(n);
                    status("bufwr", c::bufwr(b, data.as_ptr().cast(), data.len()));
                    c::bufln(b);
                    let sp = c::bufsp(b);
                    if sp < 0 {
                        failed("bufsp");
                    }
                }
                29 => {
                    let b = w.pick(inp, Kind::Buffer)?;
                    let y = handle("bufrz", c::bufrz(b));
                    if y != 0 {
                        w.live.retain(|&(_, h)| h != b);
                        w.dead.push(b);
                        w.adopt(Kind::Bytes, y);
                    }
                }
                30 => {
                    let y = w.pick(inp, Kind::Bytes)?;
                    let n = c::bytln(y);
                    let p = c::bytdt(y);
                    if p.is_null() {
                        failed("bytdt");
                    } else if n > 0 {
                        let mut copy = vec![0u8; n];
                        status("bytcp", c::bytcp(y, copy.as_mut_ptr().cast(), n));
                        assert_eq!(std::slice::from_raw_parts(p.cast::<u8>(), n), &copy[..]);
                    }
                    match inp.byte()? % 3 {
                        0 => w.adopt(Kind::Bytes, handle("bytcl", c::bytcl(y))),
                        1 => {
                            let (o, l) = (inp.size()?, inp.size()?);
                            w.adopt(Kind::Bytes, handle("bytsl", c::bytsl(y, o, l)));
                        }
                        _ => {}
                    }
                }
                31 => {
                    let (es, al, cap) = (inp.make_size()? % 4096, inp.size()?, inp.make_size()?);
                    w.adopt(
                        Kind::Chunks,
                        handle("chkmk", c::chkmk(es, al, cap % 100_000)),
                    );
                }
                32 => {
                    let ch = w.pick(inp, Kind::Chunks)?;
                    let len = inp.size()?.min(1 << 16);
                    let init = if inp.byte()? % 2 == 0 {
                        std::ptr::null()
                    } else {
                        local.cast_const()
                    };
                    // `local` holds 64 KiB: only short slices copy from it.
                    let init = if len <= 16 { init } else { std::ptr::null() };
                    w.adopt(Kind::Slice, handle("chkal", c::chkal(ch, len, init.cast())));
                    status("chkst", c::chkst(ch, out_p));
                }
                33 => {
                    let s = w.pick(inp, Kind::Slice)?;
                    let n = c::slcln(s);
                    let p = c::slcdt(s);
                    if p.is_null() {
                        failed("slcdt");
                    } else if n > 0 {
                        std::ptr::read_volatile(p.cast::<u8>());
                    }
                    if inp.byte()? % 2 == 0 {
                        w.adopt(Kind::Slice, handle("slccl", c::slccl(s)));
                    }
                }
                34 => w.adopt(Kind::Grow, handle("grwmk", c::grwmk(std::ptr::null()))),
                35 => {
                    let g = w.pick(inp, Kind::Grow)?;
                    let (n, al) = (
                        inp.size()?.min(1 << 20),
                        [0, 1, 8, 16, 64, 3, 8192][inp.below(7)?],
                    );
                    let p = if inp.byte()? % 2 == 0 {
                        ptr("grwal", c::grwal(g, n, al))
                    } else {
                        ptr("grwaz", c::grwaz(g, n, al))
                    };
                    w.took(p, n, g);
                    status("grwst", c::grwst(g, out_p));
                }
                36 => {
                    let g = w.pick(inp, Kind::Grow)?;
                    let p = w.pointer(inp, local)?;
                    match inp.byte()? % 3 {
                        0 => status("grwfe", c::grwfe(g, p.cast())),
                        1 => {
                            let n = inp.size()?.min(1 << 20);
                            let q = c::grwre(g, p.cast(), n);
                            if q.is_null() && n != 0 {
                                failed("grwre");
                            }
                            c::arnec();
                        }
                        _ => status("grwrs", c::grwrs(g)),
                    }
                    w.ptrs.clear();
                }
                37 => {
                    let g = w.pick(inp, Kind::Grow)?;
                    if inp.byte()? % 2 == 0 {
                        let es = [0, 1, 8, 24, 4096][inp.below(5)?];
                        w.adopt(
                            Kind::Vector,
                            handle("vecmk", c::vecmk(g, es, inp.size()? % 256)),
                        );
                    } else {
                        w.adopt(Kind::Map, handle("mapmk", c::mapmk(g, inp.size()? % 256)));
                    }
                }
                38 => {
                    let v = w.pick(inp, Kind::Vector)?;
                    match inp.byte()? % 3 {
                        0 => status("vecps", c::vecps(v, local.cast_const().cast())),
                        1 => {
                            ptr("vecat", c::vecat(v, inp.size()?));
                        }
                        _ => status("vecri", c::vecri(v, inp.size()?)),
                    }
                    c::vecln(v);
                    c::arnec();
                }
                _ => {
                    let m = w.pick(inp, Kind::Map)?;
                    let kn = inp.byte()? as usize % 24;
                    let key = inp.bytes(kn);
                    let vn = inp.byte()? as usize % 40;
                    let val = inp.bytes(vn);
                    match inp.byte()? % 3 {
                        0 => status(
                            "mappt",
                            c::mappt(
                                m,
                                key.as_ptr().cast(),
                                key.len(),
                                val.as_ptr().cast(),
                                val.len(),
                            ),
                        ),
                        1 => {
                            let mut vlen = 0usize;
                            c::arnec();
                            let v = c::mapgt(m, key.as_ptr().cast(), key.len(), &mut vlen);
                            // NULL without an error is an absent key.
                            if v.is_null() && c::arner() != 0 {
                                failed("mapgt");
                            }
                        }
                        _ => {
                            // 1 when the key was there, 0 when it was not.
                            if c::maprm(m, key.as_ptr().cast(), key.len()) < 0 {
                                failed("maprm");
                            }
                        }
                    }
                    c::mapln(m);
                    c::arnec();
                }
            }
            if op >= 240 {
                w.free_one(inp)?;
            } else if op >= 232 {
                // A freed or made-up handle passed to some kind's free.
                let k = KINDS[inp.below(KINDS.len())?];
                let h = w.pick(inp, k)?;
                if !w.live.iter().any(|&(_, x)| x == h) {
                    let rc = free(k, h);
                    assert!(rc != 0, "freeing a dead handle of {k:?} succeeded");
                    failed("free of a dead handle");
                }
            }
        }
    }
    Some(())
}

/// A live block of the growing arena and what it must hold.
struct Block {
    p: *mut u8,
    size: usize,
    seed: u8,
}

/// Bytes at each end of a block that the shadow covers (all of a small
/// block): blocks that overlap share an end, which `no_overlap` checks
/// too, and whole megabytes written byte by byte slow the fuzzer down a
/// hundredfold.
const WINDOW: usize = 256;

impl Block {
    /// The offsets the shadow covers, below `upto`.
    fn offsets(&self, upto: usize) -> impl Iterator<Item = usize> {
        let n = upto.min(self.size);
        let tail = n.saturating_sub(WINDOW).max(WINDOW.min(n));
        (0..WINDOW.min(n)).chain(tail..n)
    }

    fn fill(&self) {
        for i in self.offsets(self.size) {
            // SAFETY: the block's `size` bytes are ours.
            unsafe { self.p.add(i).write(self.seed.wrapping_add(i as u8)) };
        }
    }

    fn check(&self, upto: usize) {
        for i in self.offsets(upto) {
            // SAFETY: as in `fill`.
            let got = unsafe { self.p.add(i).read() };
            assert_eq!(
                got,
                self.seed.wrapping_add(i as u8),
                "byte {i} of a {}-byte block",
                self.size
            );
        }
    }
}

/// malloc / realloc / free traces of the growing arena against a shadow
/// copy (see the module docs). Sizes are at least 1.
pub fn grow_trace(data: &[u8]) {
    let mut inp = Input::new(data);
    // SAFETY: NULL options are the defaults.
    let g = unsafe { c::grwmk(std::ptr::null()) };
    assert_ne!(g, 0);
    let mut live: Vec<Block> = Vec::new();
    let _ = trace(&mut inp, g, &mut live);
    for b in &live {
        b.check(b.size);
    }
    // SAFETY: `g` is live.
    status("grwfr", unsafe { c::grwfr(g) });
}

fn trace(inp: &mut Input, g: u64, live: &mut Vec<Block>) -> Option<()> {
    const ALIGNS: [usize; 6] = [0, 1, 8, 16, 64, 4096];
    let mut seed = 0u8;
    for step in 0..2000 {
        let op = inp.byte()?;
        seed = seed.wrapping_add(37);
        let size = match inp.byte()? {
            0..=191 => inp.byte()? as usize + 1,
            192..=247 => inp.u16()? as usize + 1,
            _ => (inp.u16()? as usize + 1) * 16,
        };
        // SAFETY (every call): `g` is live, pointers are blocks it handed
        // out and has not taken back, or foreign ones it must refuse.
        unsafe {
            match op % 8 {
                0..=2 => {
                    let align = ALIGNS[op as usize / 8 % ALIGNS.len()];
                    let zeroed = op % 8 == 2;
                    let p = if zeroed {
                        c::grwaz(g, size, align)
                    } else {
                        c::grwal(g, size, align)
                    };
                    let p = ptr("grwal", p).cast::<u8>();
                    if p.is_null() {
                        continue;
                    }
                    assert_eq!(p as usize % align.max(16), 0, "alignment {align}");
                    if zeroed {
                        assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                    }
                    let b = Block { p, size, seed };
                    b.fill();
                    live.push(b);
                }
                3 | 4 if !live.is_empty() => {
                    let i = inp.below(live.len())?;
                    let old = &live[i];
                    old.check(old.size);
                    let q = ptr("grwre", c::grwre(g, old.p.cast(), size)).cast::<u8>();
                    if q.is_null() {
                        old.check(old.size); // unchanged on failure
                        continue;
                    }
                    // What the shadow knew of the old block, up to the new
                    // size, moved along.
                    for j in old.offsets(old.size).filter(|&j| j < size) {
                        let got = q.add(j).read();
                        assert_eq!(got, old.seed.wrapping_add(j as u8), "byte {j} after grwre");
                    }
                    let b = Block {
                        p: q,
                        size,
                        seed: old.seed,
                    };
                    b.fill();
                    live[i] = b;
                }
                5 | 6 if !live.is_empty() => {
                    let i = inp.below(live.len())?;
                    let b = live.swap_remove(i);
                    b.check(b.size);
                    status("grwfe", c::grwfe(g, b.p.cast()));
                }
                7 if op / 8 % 2 == 1 => {
                    let align = ALIGNS[op as usize / 16 % ALIGNS.len()];
                    if let Some(b) = malloc_edge(g, size % 4, align, live, inp)? {
                        live.push(b);
                    }
                }
                7 => {
                    // A pointer it never handed out: refused, nothing changes.
                    let mut local = 0u64;
                    let p: *mut c_void = match live.first() {
                        Some(b) if size % 2 == 0 => b.p.wrapping_add(1).cast(),
                        _ => (&mut local as *mut u64).cast(),
                    };
                    assert_ne!(c::grwfe(g, p), 0, "grwfe of a foreign pointer succeeded");
                    failed("grwfe");
                }
                _ => {}
            }
        }
        if step % 64 == 0 {
            no_overlap(live);
        }
    }
    no_overlap(live);
    Some(())
}

/// The malloc edges, `which` of: `grwfe(NULL)`, `grwal` of 0 bytes,
/// `grwre(NULL, n)`, `grwre(p, 0)`. Each may either fail with an error
/// and change nothing (the arena's first behaviour) or act as malloc does
/// (freeing NULL does nothing; 0 bytes get a unique smallest block;
/// `grwre(NULL, n)` allocates; `grwre(p, 0)` frees `p` and returns NULL
/// with no error), and the shadow follows whichever happened, keyed on the
/// result and the last error. Returns a block to add to `live`.
///
/// # Safety
///
/// `g` is live and `live` holds its blocks.
unsafe fn malloc_edge(
    g: u64,
    which: usize,
    align: usize,
    live: &mut Vec<Block>,
    inp: &mut Input,
) -> Option<Option<Block>> {
    // SAFETY (every call): the caller's promise; NULL is what is tested.
    unsafe {
        c::arnec();
        match which {
            0 => status("grwfe(NULL)", c::grwfe(g, std::ptr::null_mut())),
            1 => {
                let p = c::grwal(g, 0, align).cast::<u8>();
                if p.is_null() {
                    failed("grwal(0)");
                    return Some(None);
                }
                assert_eq!(c::arner(), 0, "grwal(0) succeeded with an error set");
                assert_eq!(p as usize % align.max(16), 0, "grwal(0) alignment {align}");
                let unique = live.iter().all(|b| b.p != p);
                assert!(unique, "grwal(0) returned a live block");
                return Some(Some(Block {
                    p,
                    size: 0,
                    seed: 0,
                }));
            }
            2 => {
                let n = 1 + inp.byte()? as usize;
                let p = ptr("grwre(NULL)", c::grwre(g, std::ptr::null_mut(), n)).cast::<u8>();
                if p.is_null() {
                    return Some(None);
                }
                assert_eq!(p as usize % 16, 0, "grwre(NULL) alignment");
                let b = Block {
                    p,
                    size: n,
                    seed: n as u8,
                };
                b.fill();
                return Some(Some(b));
            }
            _ if !live.is_empty() => {
                let i = inp.below(live.len())?;
                let q = c::grwre(g, live[i].p.cast(), 0);
                assert!(q.is_null(), "grwre(p, 0) returned a block");
                if c::arner() == 0 {
                    live.swap_remove(i); // freed
                } else {
                    failed("grwre(p, 0)");
                    live[i].check(live[i].size); // untouched
                }
            }
            _ => {}
        }
    }
    Some(None)
}

fn no_overlap(live: &[Block]) {
    // A block of 0 bytes still has an address of its own.
    let mut spans: Vec<(usize, usize)> =
        live.iter().map(|b| (b.p as usize, b.size.max(1))).collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "blocks overlap: {:?}", w);
    }
}

/// A buffer or bytes handle of the byte arenas and what it must hold.
struct Held {
    h: u64,
    frozen: bool,
    data: Vec<u8>,
    cap: usize,
}

/// Buffers and bytes of the fixed and buddy arenas against a shadow copy
/// (see the module docs).
pub fn byte_arenas(data: &[u8]) {
    let mut inp = Input::new(data);
    let mut held: Vec<Held> = Vec::new();
    let mut arenas: Vec<(bool, u64)> = Vec::new();
    let _ = bytes_steps(&mut inp, &mut held, &mut arenas);
    // SAFETY: every handle here is live; bytes and buffers outlive their
    // arena, so the order does not matter.
    unsafe {
        for (fixed, a) in arenas {
            status("free", if fixed { c::fxdfr(a) } else { c::bdyfr(a) });
        }
        for x in held {
            verify(&x);
            status(
                "drop",
                if x.frozen {
                    c::bytdr(x.h)
                } else {
                    c::bufdr(x.h)
                },
            );
        }
    }
}

/// Checks a handle's bytes against its shadow.
fn verify(x: &Held) {
    // SAFETY: `x.h` is live.
    unsafe {
        if x.frozen {
            let n = c::bytln(x.h);
            assert_eq!(n, x.data.len());
            if n > 0 {
                let p = c::bytdt(x.h).cast::<u8>();
                assert_eq!(std::slice::from_raw_parts(p, n), &x.data[..]);
            }
        } else {
            assert_eq!(c::bufln(x.h), x.data.len());
        }
    }
}

fn bytes_steps(inp: &mut Input, held: &mut Vec<Held>, arenas: &mut Vec<(bool, u64)>) -> Option<()> {
    for _ in 0..600 {
        let op = inp.byte()?;
        // SAFETY (every call): handles are live (or refused), data pointers
        // come with their true lengths.
        unsafe {
            match op % 10 {
                0 => {
                    let o = ByteOpts {
                        alignment: [0, 8, 16, 64][inp.below(4)?],
                        zero_init: c_int::from(inp.byte()? % 2 == 0),
                        auto_spill: c_int::from(inp.byte()? % 2 == 0),
                        ..ByteOpts::default()
                    };
                    let fixed = inp.byte()? % 2 == 0;
                    let a = if fixed {
                        c::fxdmk(
                            inp.below(64)? + 1,
                            inp.below(2048)? + 1,
                            (&o as *const ByteOpts).cast(),
                        )
                    } else {
                        let min = 64usize << inp.below(4)?;
                        c::bdymk(min << inp.below(8)?, min, (&o as *const ByteOpts).cast())
                    };
                    if handle("make", a) != 0 {
                        arenas.push((fixed, a));
                    }
                }
                1 | 2 if !arenas.is_empty() => {
                    let (fixed, a) = arenas[inp.below(arenas.len())?];
                    let b = if fixed {
                        c::fxdal(a)
                    } else {
                        c::bdyal(a, inp.below(4096)? + 1)
                    };
                    if handle("allocate", b) != 0 {
                        let cap = c::bufca(b);
                        held.push(Held {
                            h: b,
                            frozen: false,
                            data: Vec::new(),
                            cap,
                        });
                    }
                }
                3 | 4 if !held.is_empty() => {
                    let i = inp.below(held.len())?;
                    let n = inp.below(700)?;
                    let chunk = inp.bytes(n).to_vec();
                    let x = &mut held[i];
                    if x.frozen {
                        continue;
                    }
                    let rc = c::bufwr(x.h, chunk.as_ptr().cast(), chunk.len());
                    if rc == 0 {
                        x.data.extend_from_slice(&chunk);
                    } else {
                        failed("bufwr");
                        assert!(
                            x.data.len() + chunk.len() > x.cap,
                            "refused a write that fits"
                        );
                    }
                    verify(x);
                }
                5 if !held.is_empty() => {
                    let i = inp.below(held.len())?;
                    if !held[i].frozen {
                        let y = handle("bufrz", c::bufrz(held[i].h));
                        held[i].h = y;
                        held[i].frozen = true;
                        verify(&held[i]);
                    }
                }
                6 if !held.is_empty() => {
                    let i = inp.below(held.len())?;
                    if held[i].frozen {
                        let (o, l) = (inp.below(800)?, inp.below(800)?);
                        let x = &held[i];
                        if inp.byte()? % 2 == 0 {
                            let y = handle("bytcl", c::bytcl(x.h));
                            let copy = Held {
                                h: y,
                                frozen: true,
                                data: x.data.clone(),
                                cap: 0,
                            };
                            verify(&copy);
                            held.push(copy);
                        } else {
                            let y = c::bytsl(x.h, o, l);
                            if o + l <= x.data.len() {
                                assert_ne!(y, 0);
                                let part = Held {
                                    h: y,
                                    frozen: true,
                                    data: x.data[o..o + l].to_vec(),
                                    cap: 0,
                                };
                                verify(&part);
                                held.push(part);
                            } else {
                                assert_eq!(y, 0);
                                failed("bytsl");
                            }
                        }
                    }
                }
                7 if !held.is_empty() => {
                    let x = held.swap_remove(inp.below(held.len())?);
                    verify(&x);
                    status(
                        "drop",
                        if x.frozen {
                            c::bytdr(x.h)
                        } else {
                            c::bufdr(x.h)
                        },
                    );
                    // Twice is an error, never a crash.
                    let again = if x.frozen {
                        c::bytdr(x.h)
                    } else {
                        c::bufdr(x.h)
                    };
                    assert_ne!(again, 0);
                    failed("second drop");
                }
                8 if !arenas.is_empty() => {
                    // The arena goes; its buffers and bytes stay valid.
                    let (fixed, a) = arenas.swap_remove(inp.below(arenas.len())?);
                    status("free", if fixed { c::fxdfr(a) } else { c::bdyfr(a) });
                }
                _ => {
                    for x in held.iter() {
                        verify(x);
                    }
                }
            }
        }
    }
    Some(())
}
