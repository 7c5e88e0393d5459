//! C functions of the buddy byte arena.
