//! Collective helpers: [`parallel_for`] (dynamic work distribution over all
//! harts) and [`share`] (hart 0 builds a value, every hart gets a reference).
//!
//! Both are collective calls: EVERY hart must make the same sequence of calls.
//!
//! `parallel_for` must be called with the same `n` on every hart. Indices are
//! handed out in chunks through one atomic counter (`amoadd`), so fast harts
//! take more work. The call starts and ends with a barrier over all harts;
//! hart 0 resets the counter before the first one, when no hart can still be
//! taking indices from the previous call.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::sync::{barrier, CachePadded};

/// Next index to hand out.
static NEXT: CachePadded<AtomicUsize> = CachePadded(AtomicUsize::new(0));

/// Runs `f(i)` exactly once for every `i` in `0..n`, spread over all harts.
pub fn parallel_for<F: Fn(usize)>(n: usize, f: F) {
    parallel_for_chunked(n, 1, f);
}

/// Like [`parallel_for`], handing out `chunk` consecutive indices per AMO
/// (use a larger chunk when `f` is cheap).
pub fn parallel_for_chunked<F: Fn(usize)>(n: usize, chunk: usize, f: F) {
    let chunk = chunk.max(1);
    if crate::hart_id() == 0 {
        NEXT.store(0, Ordering::Relaxed);
    }
    barrier();
    loop {
        let start = NEXT.fetch_add(chunk, Ordering::Relaxed);
        if start >= n {
            break;
        }
        for i in start..n.min(start + chunk) {
            f(i);
        }
    }
    barrier();
}

/// The value hart 0 is publishing through [`share`].
static SHARED: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());

/// Hart 0 runs `init` and every hart gets a reference to its result: the
/// usual way to set up data that all harts use (result slots, work arrays).
///
/// A collective call (every hart calls it, with the same `T`); it includes two
/// barriers over all harts. The value lives on the heap for the rest of the
/// run (it is leaked, never dropped). Only hart 0 runs `init`.
pub fn share<T: Sync + 'static>(init: impl FnOnce() -> T) -> &'static T {
    if crate::hart_id() == 0 {
        let value: &'static mut T = Box::leak(Box::new(init()));
        SHARED.store((value as *mut T).cast(), Ordering::Release);
    }
    barrier();
    let ptr = SHARED.load(Ordering::Acquire).cast_const().cast::<T>();
    // Nobody may start the next `share` (and overwrite SHARED) before every
    // hart has read this one.
    barrier();
    // SAFETY: hart 0 stored a pointer to a leaked `T` before the first
    // barrier; the leaked box lives forever and is only shared immutably,
    // which `T: Sync` allows across harts.
    unsafe { &*ptr }
}
