//! The global allocator: `linked_list_allocator`'s first-fit free list behind
//! a [`SpinLock`].
//!
//! DRAM can hold the device tree in the middle: QEMU and the simulator put it
//! 2 MiB-aligned below min(DRAM end, 3 GiB), so with more than 1 GiB of DRAM
//! there is memory on both sides of it. The heap therefore has two regions,
//! `low` = `[heap_start, DTB)` and `high` = `[end of DTB, DRAM end)` (empty
//! when the DTB is at the end of DRAM); allocation tries `low` first.
//!
//! One lock serialises all harts' allocations; programs that allocate in hot
//! loops should allocate up front (as the examples do). An allocation that
//! cannot be satisfied panics ("memory allocation of N bytes failed").

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};

use linked_list_allocator::Heap;

use crate::sync::SpinLock;

/// The two heap regions.
struct Regions {
    low: Heap,
    high: Heap,
}

/// The allocator type: a locked pair of linked-list heaps.
struct LockedHeap(SpinLock<Regions>);

// SAFETY: every operation takes the lock, so the free lists are only changed
// by one hart at a time; `Heap` returns blocks that fit `layout`, and a block
// goes back to the heap whose range contains it.
unsafe impl GlobalAlloc for LockedHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut r = self.0.lock();
        r.low
            .allocate_first_fit(layout)
            .or_else(|()| r.high.allocate_first_fit(layout))
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(p) = NonNull::new(ptr) else { return };
        let mut r = self.0.lock();
        let addr = ptr as usize;
        let heap = if r.high.size() > 0
            && addr >= r.high.bottom() as usize
            && addr < r.high.top() as usize
        {
            &mut r.high
        } else {
            &mut r.low
        };
        // SAFETY: the caller passes a block this allocator returned for the
        // same layout (GlobalAlloc's contract), from the heap chosen above.
        unsafe { heap.deallocate(p, layout) };
    }
}

#[global_allocator]
static HEAP: LockedHeap = LockedHeap(SpinLock::new(Regions {
    low: Heap::empty(),
    high: Heap::empty(),
}));

/// Hands `low` and `high` (`(start, size)`, size 0 = none) to the allocator.
///
/// # Safety
/// Called once, by hart 0 at boot, with disjoint memory nothing else uses.
pub(crate) unsafe fn init(low: (usize, usize), high: (usize, usize)) {
    let mut r = HEAP.0.lock();
    // SAFETY: the caller guarantees both ranges are unused, writable DRAM.
    unsafe {
        if low.1 > 0 {
            r.low.init(low.0 as *mut u8, low.1);
        }
        if high.1 > 0 {
            r.high.init(high.0 as *mut u8, high.1);
        }
    }
}

/// Bytes currently allocated (including the allocator's rounding).
pub fn heap_used() -> usize {
    let r = HEAP.0.lock();
    r.low.used() + r.high.used()
}

/// Bytes currently free, over both regions.
pub fn heap_free() -> usize {
    let r = HEAP.0.lock();
    r.low.free() + r.high.free()
}

/// Bytes free in the largest region: the most one allocation can hope for.
pub fn heap_free_contiguous() -> usize {
    let r = HEAP.0.lock();
    r.low.free().max(r.high.free())
}
