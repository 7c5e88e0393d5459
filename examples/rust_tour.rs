//! The Rust face of arn: the same allocators as the C tour, as safe types.
//! Run with `cargo run --example rust_tour`.

use arn::{Arena, Bump, Error, TypedArena};

fn main() -> Result<(), Error> {
    let mut arena = Arena::new(1 << 16)?;
    let name = arena.copy_cstr(c"arena")?;
    let numbers = arena.alloc(8 * 4)?;
    numbers[0] = 42;
    println!(
        "{:?} holds {} bytes: {:?}",
        name,
        arena.offset(),
        arena.stats()
    );

    match arena.alloc(1 << 20) {
        Err(e) => println!("expected: {e}"),
        Ok(_) => unreachable!("the arena is only 64 KiB"),
    }
    arena.reset();

    let mut slots = TypedArena::new(24, 100)?;
    let (index, slot) = slots.alloc()?;
    slot[0] = 7;
    println!("slot {index}: first byte {}", slots.get_mut(index)?[0]);

    let bump = Bump::new(4096)?;
    let line = bump.alloc(16)?;
    line[..5].copy_from_slice(b"hello");
    println!("bump: {:?}", bump.stats());
    Ok(())
}
