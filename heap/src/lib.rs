//! Size classes in front of another allocator, for the wasm module's heap.
//!
//! lol_alloc's `FreeListAllocator` keeps every free block in one list sorted by address, so
//! a free walks the list down to its place. A bulk run keeps each item's result (a handful of
//! small strings) for the whole run while answers come and go around them, so the list grows
//! with the run, and freeing the results at its end cost time in the square of its items.
//!
//! [`SizeClasses`] answers every block of at most [`MAX_SMALL`] bytes (alignment at most
//! [`GRAIN`]) from its own list per size, a multiple of [`GRAIN`]: a free pushes the block on
//! the front of its list, an allocation takes the front one, both in constant time. Only when
//! a list is empty does it ask the allocator behind it, and small blocks never go back to it,
//! so its list holds only the holes of large blocks. Memory a workload frees is taken again by
//! the same workload (the same sizes come back): repeated calls stay flat.
//!
//! The one unsafe module of the workspace: the core and the wasm crate forbid unsafe code,
//! and the wasm crate only constructs this (safely) around lol_alloc's allocator.

#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

/// The step between size classes, and the largest alignment they serve, in bytes.
pub const GRAIN: usize = 8;
/// The largest block served from a size class, in bytes.
pub const MAX_SMALL: usize = 256;
const CLASSES: usize = MAX_SMALL / GRAIN;

/// Small blocks from a list per size class, the rest from `A`. Not `Sync`: wrap it in a lock
/// (lol_alloc's `LockedAllocator`) to make it the global allocator.
pub struct SizeClasses<A> {
    /// The first free block of each class (its address; 0 when the class has none). Each free
    /// block holds the address of the next in its first word.
    heads: UnsafeCell<[usize; CLASSES]>,
    inner: A,
}

impl<A> SizeClasses<A> {
    /// Size classes in front of `inner`, all empty.
    pub const fn new(inner: A) -> Self {
        Self {
            heads: UnsafeCell::new([0; CLASSES]),
            inner,
        }
    }
}

/// The class of a block of `layout`, if it is small.
fn class(layout: Layout) -> Option<usize> {
    if layout.align() > GRAIN || layout.size() > MAX_SMALL {
        return None;
    }
    Some(layout.size().max(1).div_ceil(GRAIN) - 1)
}

// SAFETY: every block handed out is either `inner`'s own block for the caller's layout, or a
// block of `(class + 1) * GRAIN` bytes aligned to GRAIN (got from `inner` with that layout, or
// freed earlier by a caller of the same class), which holds any layout of that class. A freed
// small block is only ever handed out again, never to `inner`, so `inner` is always given back
// exactly what it handed out. A free block's first word (a `usize`, at most GRAIN bytes and
// GRAIN-aligned) holds the next address; the caller no longer uses the block. `&self` gives
// no concurrent access here: the type is not `Sync`, and the lock around it serialises calls.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClasses<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            return self.inner.alloc(layout);
        };
        let heads = &mut *self.heads.get();
        let head = heads[c];
        if head != 0 {
            heads[c] = *(head as *const usize);
            return head as *mut u8;
        }
        self.inner
            .alloc(Layout::from_size_align_unchecked((c + 1) * GRAIN, GRAIN))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else {
            return self.inner.dealloc(ptr, layout);
        };
        let heads = &mut *self.heads.get();
        *(ptr as *mut usize) = heads[c];
        heads[c] = ptr as usize;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::cell::Cell;
    use std::alloc::System;
    use std::vec::Vec;

    /// The system allocator, counting what reaches it.
    #[derive(Default)]
    struct Counting {
        allocs: Cell<usize>,
        frees: Cell<usize>,
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.allocs.set(self.allocs.get() + 1);
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            self.frees.set(self.frees.get() + 1);
            System.dealloc(ptr, layout)
        }
    }

    #[test]
    fn classes_cover_small_layouts_only() {
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class(l(0, 1)), Some(0));
        assert_eq!(class(l(8, 8)), Some(0));
        assert_eq!(class(l(9, 4)), Some(1));
        assert_eq!(class(l(256, 8)), Some(CLASSES - 1));
        assert_eq!(class(l(257, 1)), None);
        assert_eq!(class(l(8, 16)), None);
    }

    /// A run's pattern: long-lived small blocks between short-lived ones, then all freed.
    /// Every small free stays here (the allocator behind sees none), the blocks of a size are
    /// taken again before it is asked for more, and blocks never overlap.
    #[test]
    fn small_blocks_are_kept_and_taken_again() {
        let heap = SizeClasses::new(Counting::default());
        let sizes = [5, 24, 17, 64, 200, 8];
        let mut kept = Vec::new();
        for round in 0..1000usize {
            let size = sizes[round % sizes.len()];
            let layout = Layout::from_size_align(size, 1 << (round % 4)).unwrap();
            unsafe {
                let transient = heap.alloc(layout);
                transient.write_bytes(0xAA, size);
                let long = heap.alloc(layout);
                long.write_bytes(round as u8, size);
                heap.dealloc(transient, layout);
                kept.push((long, layout, round as u8));
            }
        }
        let asked = heap.inner.allocs.get();
        assert!(asked <= 1000 + sizes.len(), "asked {asked} blocks");
        for &(p, layout, mark) in &kept {
            let bytes = unsafe { core::slice::from_raw_parts(p, layout.size()) };
            assert!(bytes.iter().all(|&b| b == mark), "a block was overwritten");
        }
        for (p, layout, _) in kept.drain(..) {
            unsafe { heap.dealloc(p, layout) };
        }
        assert_eq!(heap.inner.frees.get(), 0);
        // The same workload again asks nothing more of the allocator behind.
        for round in 0..1000usize {
            let size = sizes[round % sizes.len()];
            let layout = Layout::from_size_align(size, 1).unwrap();
            unsafe { kept.push((heap.alloc(layout), layout, 0)) };
        }
        assert_eq!(heap.inner.allocs.get(), asked);
        // Large blocks go straight through.
        let big = Layout::from_size_align(4096, 8).unwrap();
        unsafe {
            let p = heap.alloc(big);
            heap.dealloc(p, big);
        }
        assert_eq!(heap.inner.allocs.get(), asked + 1);
        assert_eq!(heap.inner.frees.get(), 1);
    }
}
