//! Shared chunk slices (seed 003, arena-arc): a chunk allocator handing out
//! reference-counted slices; a chunk goes when its last slice drops.
