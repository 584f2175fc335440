//! Synchronisation between harts: [`SpinLock`] and [`Barrier`], both on the
//! A extension's AMOs; barriers sleep in `wfi` ([`crate::wait`]).
//!
//! * `SpinLock::lock` is test-and-test-and-set: `amoswap.w.aq` to take the
//!   lock, plain loads while it is held elsewhere (so waiting harts spin in
//!   their L1 instead of sending AMOs to the home node), and a release store
//!   (`fence rw,w; sw`) to free it.
//! * [`barrier`] (and any [`Barrier`] over all harts) is a combining tree:
//!   arrivals go up a 16-ary tree of harts, the release comes down the 4-ary
//!   wake-up tree, and waiting harts sleep in `wfi` until a child or the
//!   parent wakes them through the CLINT ([`crate::wait`]). O(log harts)
//!   steps per episode, and no word is written by more than 16 harts.
//! * A [`Barrier`] over fewer harts counts arrivals with `amoadd` and keeps a
//!   list of the sleeping waiters; the last arrival wakes them one by one.

use core::alloc::Layout;
use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

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

/// Per-hart state of the barriers: one cache line per hart, in an array that
/// hart 0 allocates at boot ([`init_hart_slots`]).
#[repr(C, align(64))]
pub(crate) struct HartSlot {
    /// Tree barrier: arrivals of this hart's children, summed over all
    /// episodes (each child adds 1 per episode).
    arrived: AtomicU64,
    /// Tree barrier: the last episode this hart's parent released to it.
    released: AtomicU64,
    /// Tree barrier: episodes this hart has entered (only this hart writes it).
    episode: AtomicU64,
    /// Subset barriers: bumped by the hart that opens the barrier this hart
    /// waits in.
    wake_seq: AtomicU64,
    /// Subset barriers: `hart + 1` of the next waiter in the barrier's list,
    /// 0 at the end.
    next: AtomicUsize,
}

/// The per-hart slots (`nharts` of them), published by the boot release.
static SLOTS: AtomicPtr<HartSlot> = AtomicPtr::new(core::ptr::null_mut());

/// Allocates the per-hart slots (all zero). Hart 0 calls this once at boot,
/// before it releases the other harts; the release store publishes it.
pub(crate) fn init_hart_slots(nharts: usize) {
    let layout = Layout::array::<HartSlot>(nharts).expect("per-hart slots layout");
    // SAFETY: the layout has a non-zero size (nharts >= 1); all-zero bytes
    // are valid atomics; the array is never freed.
    let p = unsafe { alloc::alloc::alloc_zeroed(layout) }.cast::<HartSlot>();
    if p.is_null() {
        alloc::alloc::handle_alloc_error(layout);
    }
    SLOTS.store(p, Ordering::Relaxed);
}

/// `hart`'s slot; `hart < num_harts()`.
#[inline]
fn slot(hart: usize) -> &'static HartSlot {
    debug_assert!(hart < crate::num_harts());
    // SAFETY: hart 0 allocated `num_harts()` zeroed slots before the boot
    // release (which every hart acquired), they live forever, and they are
    // only accessed through atomics.
    unsafe { &*SLOTS.load(Ordering::Relaxed).add(hart) }
}

/// Children per hart in the barrier's arrival tree (heap order: hart h's
/// children are `h*ARRIVAL_FANOUT+1 ..= h*ARRIVAL_FANOUT+ARRIVAL_FANOUT`).
/// Children arrive in parallel and only the last one wakes the parent, so a
/// level costs about the same whatever the fan-out and a wide tree is
/// shallow; the release goes down the boot wake-up tree
/// ([`crate::wait::WAKE_FANOUT`] children, woken one after the other).
/// docs/firmware.md has the measurements behind both values.
pub(crate) const ARRIVAL_FANOUT: usize = 16;

/// The children of `hart` in the arrival tree over `0..n`.
#[inline]
fn arrival_children(hart: usize, n: usize) -> core::ops::Range<usize> {
    let first = hart * ARRIVAL_FANOUT + 1;
    first.min(n)..(first + ARRIVAL_FANOUT).min(n)
}

/// One episode of the all-harts combining tree barrier on hart `me` of `n`.
///
/// Arrival goes up a tree: a hart waits until its children have arrived,
/// then adds 1 to its parent's `arrived` (`amoadd`, release); the child
/// that completes the parent's count wakes the parent. When hart 0's
/// children are all in, every hart has arrived, and the release goes down
/// the wake-up tree: each hart stores the episode into its children's
/// `released` and wakes them. Both take O(log n) steps, and no word is
/// written by more than `ARRIVAL_FANOUT` harts per episode, so there is no
/// single hot spot for 16,384 harts' AMOs.
fn tree_wait(me: usize, n: usize) -> bool {
    let s = slot(me);
    let e = s.episode.load(Ordering::Relaxed) + 1;
    s.episode.store(e, Ordering::Relaxed);
    let nkids = arrival_children(me, n).len() as u64;
    if nkids > 0 {
        // Acquire: see every write of the subtree before its arrival.
        crate::wait::wait_until(|| s.arrived.load(Ordering::Acquire) >= e * nkids);
    }
    if me != 0 {
        let parent = (me - 1) / ARRIVAL_FANOUT;
        let siblings = arrival_children(parent, n).len() as u64;
        // AcqRel: publishes this subtree's writes to the parent (and keeps
        // the release sequence of the other children's arrivals).
        if slot(parent).arrived.fetch_add(1, Ordering::AcqRel) + 1 == e * siblings {
            crate::wait::wake_listed(parent);
        }
        crate::wait::wait_until(|| s.released.load(Ordering::Acquire) >= e);
    }
    for kid in crate::wait::wake_tree_children(me, n) {
        // Release: passes on everything hart 0 acquired from all harts.
        slot(kid).released.store(e, Ordering::Release);
        crate::wait::wake_listed(kid);
    }
    me == 0
}

/// A reusable barrier for a fixed number of harts (or all harts).
///
/// A barrier over all harts (`Barrier::all_harts()`, or `Barrier::new(n)`
/// with `n == num_harts()`) is a combining tree (see [`barrier`]); it uses
/// per-hart state shared by every all-harts barrier, which is sound because
/// every hart passes all-harts barriers in the same order (each one is a
/// collective call). A barrier over fewer harts keeps a count and a list of
/// its waiters; the last to arrive wakes them one by one. Waiting harts
/// sleep in `wfi` in both cases.
#[derive(Debug)]
pub struct Barrier {
    /// Number of harts that must arrive; 0 = all harts ([`crate::num_harts`]).
    parties: usize,
    /// Subset barriers: arrivals in this episode.
    count: CachePadded<AtomicUsize>,
    /// Subset barriers: `hart + 1` of the latest waiter (list head), 0 = none.
    waiters: CachePadded<AtomicUsize>,
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
            waiters: CachePadded(AtomicUsize::new(0)),
        }
    }

    /// A barrier over every hart of the machine.
    pub const fn all_harts() -> Self {
        Barrier {
            parties: 0,
            count: CachePadded(AtomicUsize::new(0)),
            waiters: CachePadded(AtomicUsize::new(0)),
        }
    }

    /// Waits until all parties have arrived. Returns `true` on exactly one
    /// hart per episode: hart 0 for a barrier over all harts, the last to
    /// arrive for a barrier over fewer. Everything a hart wrote before `wait`
    /// is visible to every hart after it.
    pub fn wait(&self) -> bool {
        let n = crate::num_harts();
        let me = crate::hart_id();
        if self.parties == 0 || self.parties == n {
            tree_wait(me, n)
        } else {
            self.subset_wait(me, self.parties)
        }
    }

    /// A barrier over `parties < num_harts()` harts: arrivals push themselves
    /// on the waiter list and count; the last one resets the barrier and
    /// wakes the listed harts.
    fn subset_wait(&self, me: usize, parties: usize) -> bool {
        let s = slot(me);
        let seq = s.wake_seq.load(Ordering::Relaxed);
        // The push is published by the `count` increment below (release),
        // which the last arriver acquires.
        let prev = self.waiters.swap(me + 1, Ordering::Relaxed);
        s.next.store(prev, Ordering::Relaxed);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 != parties {
            crate::wait::wait_until(|| s.wake_seq.load(Ordering::Acquire) != seq);
            return false;
        }
        // Last arrival: nobody can enter the next episode before this hart
        // wakes it, so resetting here does not race.
        self.count.store(0, Ordering::Relaxed);
        let mut h = self.waiters.swap(0, Ordering::Relaxed);
        while h != 0 {
            let w = h - 1;
            let ws = slot(w);
            // Read the link before waking `w`: once woken it may enter the
            // next episode and push itself again.
            h = ws.next.load(Ordering::Relaxed);
            if w != me {
                // Only the opener writes a waiting hart's wake_seq. Release:
                // publishes every arrival's writes (acquired through count).
                let v = ws.wake_seq.load(Ordering::Relaxed).wrapping_add(1);
                ws.wake_seq.store(v, Ordering::Release);
                crate::wait::wake_listed(w);
            }
        }
        true
    }
}

/// The barrier over all harts behind [`barrier`].
static ALL_HARTS: Barrier = Barrier::all_harts();

/// Waits, asleep, until every hart has called `barrier()`; a collective call.
///
/// A combining tree: arrivals go up a tree with [`ARRIVAL_FANOUT`] (16)
/// children per hart, the release comes down the wake-up tree with
/// [`crate::wait::WAKE_FANOUT`] (4) children per hart (both in heap order).
/// Waiting harts sleep in `wfi`.
///
/// ```text
///   arrival (up, 16 per node)              release (down, 4 per node)
///             0                                      0
///     ┌───┬───┴──...──┐  amoadd arrived         ┌──┬─┴┬──┐  released = e, msip
///     1   2   ...    16  last child wakes       1  2  3  4
///   17..32 ...             the parent        5..8 ...
/// ```
pub fn barrier() {
    ALL_HARTS.wait();
}
