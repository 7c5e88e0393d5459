//! A first tour of arn from Rust: one of each allocator, as `tour.c` does
//! from C, with their stats and a few errors. Run it with
//! `cargo run --example rust_tour`.

use arn::{
    ArcSlice, ArenaAlloc, ArenaMap, ArenaVec, BlockPool, BuddyArena, Bump, ChunkAllocator, Error,
    FixedArena, GrowArena, MmapArena, Pool, Region, Scratch, Stack, TypedArena,
};
use bytes::BufMut;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Particle {
    x: f32,
    vx: f32,
}

fn main() -> Result<(), Error> {
    println!("arn {}\n", env!("CARGO_PKG_VERSION"));

    // Arena: one buffer, bump-allocated, zero-filled, reset in one call.
    let mut arena = arn::Arena::new(1 << 20)?;
    let greeting = arena.copy_cstr(c"hello from the arena")?;
    let numbers = arena.alloc(16 * 8)?;
    numbers[0] = 42;
    let page = arena.alloc_aligned(4096, 4096)?;
    println!(
        "arena:       {greeting:?}, page aligned: {}",
        page.as_ptr() as usize % 4096 == 0
    );
    println!("             {:?}", arena.stats());
    // Asking for more than is left fails cleanly and says why.
    if let Err(e) = arena.alloc(2 << 20) {
        println!("             expected failure (code {}): {e}", e.code());
    }
    arena.reset();

    // Typed arena: equal slots addressed by index.
    let mut particles = TypedArena::new(size_of::<Particle>(), 1000)?;
    for _ in 0..10 {
        let (index, slot) = particles.alloc()?;
        slot[0] = index as u8;
    }
    let seventh = particles.get_mut(7)?[0];
    println!(
        "typed arena: slot 7 starts with {seventh}; {} slots of {} bytes handed out",
        particles.len(),
        particles.type_size()
    );

    // Bump: the fastest path, for short-lived scratch data.
    let mut bump = Bump::new(64 * 1024)?;
    for i in 0..100u8 {
        bump.alloc(32)?[0] = i;
    }
    println!("bump:        {:?}", bump.stats());
    bump.reset();

    // Object pool: objects made once and reused; the guard puts it back.
    let pool = Pool::new(4, Particle::default)?.with_reset(|p| *p = Particle::default());
    {
        let mut p = pool.get();
        p.x = 1.0;
    }
    let again = pool.get();
    println!(
        "pool:        reused and reset: x = {}; {:?}",
        again.x,
        pool.stats()
    );
    drop(again);

    // Block allocator: equal blocks from a bitmap, freed one by one.
    let mut blocks = BlockPool::new(size_of::<Particle>(), 1024)?;
    let a = blocks.alloc()?.as_ptr();
    blocks.free_ptr(a)?; // zeroed, free again
    let b = blocks.alloc()?.as_ptr(); // the same block back
    println!("block:       reused: {}; {:?}", a == b, blocks.stats());
    if let Err(e) = blocks.free_ptr(b.wrapping_add(1)) {
        println!("             expected failure: {e}");
    }

    // Stack: push and pop, or take a marker and restore to it.
    let mut stack = Stack::new(4096)?;
    stack.push(b"outer\0")?;
    let mark = stack.mark();
    for i in 0..3u8 {
        stack.push_zeroed(800)?[799] = i;
        stack.restore(mark)?; // drops the 800 bytes and zeroes them
    }
    println!("stack:       {:?}", stack.stats());
    if let Err(e) = stack.pop(64) {
        println!("             expected failure: {e}");
    }

    // mmap arena: reserve 64 GiB of address space, pay only for what is used.
    let mut huge = MmapArena::builder(64 << 30).retain(1 << 20).build()?;
    huge.alloc(10 << 20)?.fill(b'x');
    println!("mmap arena:  {:?}", huge.stats());
    huge.reset();
    println!(
        "             after reset: committed {} (retained)",
        huge.stats().committed
    );

    // Region: 64 KiB arenas made on demand, all freed in one call.
    let mut region = Region::new();
    for _ in 0..1000 {
        region.alloc(100)?;
    }
    region.alloc(200_000)?; // larger than 64 KiB: an arena of its own
    println!("region:      {:?}", region.stats());
    region.free_all();

    // Scratch: nested checkpoints; restoring reclaims and zeroes.
    let mut scratch = Scratch::new(4096)?;
    scratch.checkpoint()?;
    scratch.alloc(256)?[..14].copy_from_slice(b"per-frame data");
    let inner = scratch.scope(|s| s.alloc(512).map(|b| b.len()))??;
    println!(
        "scratch:     a {inner}-byte scope came and went; {:?}",
        scratch.stats()
    );
    scratch.restore()?;
    if let Err(e) = scratch.restore() {
        println!("             expected failure: {e}");
    }

    // Fixed-slot byte arena: lock-free slots from any thread; a buffer
    // freezes into reference-counted bytes without copying, and the slot
    // comes back when the last handle over it is dropped.
    let fixed = FixedArena::builder(1024, 64).auto_spill().build()?;
    let mut buf = fixed.allocate()?;
    buf.put_slice(b"GET /index.html");
    let msg = buf.freeze();
    let path = msg.slice(4..);
    println!("fixed:       {path:?} shares the slot of {msg:?}");
    let mut grown = fixed.allocate()?;
    grown.try_put_slice(&[b'='; 100])?; // past the 64-byte slot: spills to the heap
    println!(
        "             spilled: {}; {:?}",
        grown.is_spilled(),
        fixed.stats()
    );
    drop((grown, msg, path)); // the last handle: the slot goes back

    // Buddy byte arena: power-of-two blocks of one region, split on demand
    // and merged again when they come back.
    let buddy = BuddyArena::builder(1 << 20, 256).build()?;
    let small = buddy.allocate(300)?; // a 512-byte block
    let large = buddy.allocate(40_000)?; // a 64 KiB block
    print!(
        "buddy:       capacities {} and {}",
        small.capacity(),
        large.capacity()
    );
    drop((small, large));
    let st = buddy.stats();
    println!(
        "; after both came back, largest free block {} of {}",
        st.largest_free_block, st.total_size
    );

    // Growing arena: chunks as needed, blocks freed one by one and reused;
    // a vector and a map keep their storage in it.
    let grow = GrowArena::new();
    let hello = grow.copy_str("hello, growing arena")?;
    let mut v = ArenaVec::new_in(&grow);
    v.extend_from_slice(&(0..10).collect::<Vec<i32>>())?;
    let mut m = ArenaMap::new_in(&grow);
    m.insert("answer", 42)?;
    println!(
        "grow:        {hello:?}; vector of {} ints, map[\"answer\"] = {:?}",
        v.len(),
        m.get("answer")
    );
    drop((v, m));
    println!("             {:?}", grow.stats());

    // Chunk slices: many slices carved from one chunk, shared by handle;
    // the chunk goes when its last slice does.
    let mut chunks = ChunkAllocator::<f64>::new();
    let xs = chunks.from_slice(&[1.5, 2.5, 3.5]);
    let twin = xs.clone(); // no copy
    println!(
        "chunks:      shared slice {:?}, same chunk as a new one: {}",
        &twin[..],
        ArcSlice::same_chunk(&xs, &chunks.alloc(2, |i| i as f64))
    );
    Ok(())
}
