//! Synchronisation between harts: [`SpinLock`] and [`Barrier`], both on the
//! A extension's AMOs.
//!
//! * `SpinLock::lock` is test-and-test-and-set: `amoswap.w.aq` to take the
//!   lock, plain loads while it is held elsewhere (so waiting harts spin in
//!   their L1 instead of sending AMOs to the home node), and a release store
//!   (`fence rw,w; sw`) to free it.
//! * `Barrier` is a centralised sense-reversing barrier. The "sense" is a
//!   generation counter rather than one bit: a hart reads the generation,
//!   arrives with `amoadd`, and the last arrival resets the count and bumps
//!   the generation with a release store; the others spin on the generation.
//!   Using the whole counter as the sense means no per-hart local sense has to
//!   be kept anywhere, so a `Barrier` can be a plain `static`.
//!   Count and generation sit on separate 64-byte lines so that arrivals do
//!   not invalidate the line the waiters spin on.
//!
//! The barrier is O(harts) AMOs at one home node per episode; with thousands
//! of harts a combining-tree barrier would scale better (left for later).

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// Aligns (and pads) `T` to a 64-byte cache line.
#[repr(align(64))]
#[derive(Debug, Default)]
pub struct CachePadded<T>(pub T);

impl<T> Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A mutual-exclusion spin lock around a `T`.
pub struct SpinLock<T: ?Sized> {
    locked: AtomicU32,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `T` to one hart at a time, so sharing
// the lock between harts is sound whenever `T` itself may move between harts.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}
// SAFETY: moving the lock moves the `T`.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// A new, unlocked lock.
    pub const fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicU32::new(0),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> SpinLock<T> {
    /// Spins until the lock is free, then takes it.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        loop {
            if self.locked.swap(1, Ordering::Acquire) == 0 {
                return SpinLockGuard { lock: self };
            }
            while self.locked.load(Ordering::Relaxed) != 0 {
                core::hint::spin_loop();
            }
        }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        if self.locked.load(Ordering::Relaxed) == 0 && self.locked.swap(1, Ordering::Acquire) == 0 {
            Some(SpinLockGuard { lock: self })
        } else {
            None
        }
    }

    /// Mutable access without locking: `&mut self` proves exclusivity.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

/// Access to a [`SpinLock`]'s value; the lock is freed when this is dropped.
pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
}

impl<T: ?Sized> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this hart holds the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this hart holds the lock, and
        // `&mut self` makes this the only reference through the guard.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.locked.store(0, Ordering::Release);
    }
}

/// A reusable barrier for a fixed number of harts (or all harts).
#[derive(Debug)]
pub struct Barrier {
    /// Number of harts that must arrive; 0 = all harts ([`crate::num_harts`]).
    parties: usize,
    count: CachePadded<AtomicUsize>,
    generation: CachePadded<AtomicUsize>,
}

impl Barrier {
    /// A barrier that opens when `parties` harts have called [`Barrier::wait`].
    ///
    /// # Panics
    /// When `parties` is 0.
    pub const fn new(parties: usize) -> Self {
        assert!(parties > 0, "a barrier needs at least one party");
        Barrier {
            parties,
            count: CachePadded(AtomicUsize::new(0)),
            generation: CachePadded(AtomicUsize::new(0)),
        }
    }

    /// A barrier over every hart of the machine.
    pub const fn all_harts() -> Self {
        Barrier {
            parties: 0,
            count: CachePadded(AtomicUsize::new(0)),
            generation: CachePadded(AtomicUsize::new(0)),
        }
    }

    /// Waits until all parties have arrived. Returns `true` on exactly one
    /// hart per episode (the last to arrive). Everything a hart wrote before
    /// `wait` is visible to every hart after it.
    pub fn wait(&self) -> bool {
        let parties = if self.parties == 0 {
            crate::num_harts()
        } else {
            self.parties
        };
        // Read the generation before arriving: it cannot change until this
        // hart's arrival is counted.
        let gen = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == parties {
            self.count.store(0, Ordering::Relaxed);
            // Release: publishes the count reset and every arrival's writes
            // (which this hart acquired through the count).
            self.generation
                .store(gen.wrapping_add(1), Ordering::Release);
            true
        } else {
            while self.generation.load(Ordering::Acquire) == gen {
                core::hint::spin_loop();
            }
            false
        }
    }
}

/// The barrier over all harts behind [`barrier`].
static ALL_HARTS: Barrier = Barrier::all_harts();

/// Waits until every hart has called `barrier()`; a collective call.
pub fn barrier() {
    ALL_HARTS.wait();
}
