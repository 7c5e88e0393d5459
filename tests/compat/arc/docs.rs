// Copied from arena-arc 0.1.2 (the documentation example of src/lib.rs and
// the "Quick start" of README.md), MIT licence: see LICENSE-arena-arc in this
// folder. Changed: only the crate path; each example is a test function.

// src/lib.rs, "Example".
#[test]
fn lib_example() {
    use arn::compat::arena_arc::Allocator;

    let mut allocator: Allocator<u32, u32, 16> = Allocator::new();
    let handle = allocator.alloc(4, |i| (i * 2) as u32);
    assert_eq!(handle.get(), &[0, 2, 4, 6]);
}

// README.md, "Quick start".
#[test]
fn readme_quick_start() {
    use arn::compat::arena_arc::Allocator;

    let mut allocator: Allocator<u32, u32, 16> = Allocator::new();
    let handle = allocator.alloc(4, |i| (i * 2) as u32);
    assert_eq!(handle.get(), &[0, 2, 4, 6]);
}
