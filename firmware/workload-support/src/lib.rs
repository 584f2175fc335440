//! Helpers shared by the workload firmware (`graph500-bfs`, `kg-query`, `thinclient-frame`):
//!
//! * [`open_share`]: find the virtio-fs device by tag, start the driver, make the results folder;
//! * [`SharedSlice`]: a heap array that every hart may write at distinct indices (the parallel
//!   phases write disjoint elements between barriers);
//! * [`WorkCounter`]: dynamic chunked work distribution inside a phase, without
//!   `parallel_for`'s barriers (so a hart can flush its local state before the phase's barrier);
//! * [`percentile`]: nearest-rank percentile of sorted samples.

#![no_std]

use core::sync::atomic::{AtomicUsize, Ordering};

use strand_rt::alloc::format;
use strand_rt::alloc::string::String;
use strand_rt::alloc::vec::Vec;
use strand_rt::CachePadded;
use virtio_fs::{Error, IdentityHal, MmioTransport, Transport, VirtioFs};

/// The virtio-fs driver the workloads use.
pub type Fs = VirtioFs<IdentityHal, MmioTransport>;

/// Finds the virtio-fs device whose tag is `tag`, starts the driver and creates `dir` (an
/// existing folder is fine; files in it are overwritten, `create` truncates).
pub fn open_share(tag: &str, dir: &str) -> Result<Fs, String> {
    // SAFETY: QEMU virt and Strand put virtio-mmio register blocks at the slot addresses.
    let t = unsafe {
        MmioTransport::find_where(26, |t| {
            (0..36)
                .map(|i| t.config_u8(i))
                .take_while(|&b| b != 0)
                .eq(tag.bytes())
        })
    }
    .map_err(|e| format!("no virtio-fs device with tag `{tag}` ({e}); run with a share"))?;
    let fs = Fs::new(t).map_err(|e| format!("virtio-fs init: {e}"))?;
    match fs.mkdir(dir, 0o755) {
        Ok(_) | Err(Error::Errno(virtio_fs::errno::EEXIST)) => Ok(fs),
        Err(e) => Err(format!("mkdir {dir}: {e}")),
    }
}

/// A fixed-size heap array shared by all harts, written at distinct indices in parallel phases
/// and read after a barrier. It is leaked (lives for the rest of the run).
pub struct SharedSlice<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: access goes through the `unsafe` methods, whose callers guarantee that no element is
// written by one hart while another hart reads or writes it (phases separated by barriers).
unsafe impl<T: Send> Sync for SharedSlice<T> {}
// SAFETY: as above; the array itself is plain heap memory.
unsafe impl<T: Send> Send for SharedSlice<T> {}

impl<T: Copy> SharedSlice<T> {
    /// `len` copies of `fill`.
    pub fn new(len: usize, fill: T) -> Self {
        let v: Vec<T> = strand_rt::alloc::vec![fill; len];
        Self::from_vec(v)
    }

    /// Takes over `v`.
    pub fn from_vec(v: Vec<T>) -> Self {
        let s = strand_rt::alloc::boxed::Box::leak(v.into_boxed_slice());
        Self {
            ptr: s.as_mut_ptr(),
            len: s.len(),
        }
    }

    /// The array as an owned `Vec` (same memory, no copy).
    ///
    /// # Safety
    /// Call once, and use neither `self` nor any slice taken from it afterwards.
    pub unsafe fn take_vec(&self) -> Vec<T> {
        // SAFETY: the memory is the leaked boxed slice of `len` elements from `from_vec`, and
        // the caller hands its ownership to the returned `Vec`.
        unsafe {
            strand_rt::alloc::boxed::Box::from_raw(core::ptr::slice_from_raw_parts_mut(
                self.ptr, self.len,
            ))
            .into_vec()
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes element `i`.
    ///
    /// # Safety
    /// No other hart accesses element `i` until the next barrier.
    #[inline]
    pub unsafe fn write(&self, i: usize, v: T) {
        assert!(i < self.len);
        // SAFETY: in bounds; exclusive per the caller's contract.
        unsafe { self.ptr.add(i).write(v) }
    }

    /// Reads element `i`.
    ///
    /// # Safety
    /// No hart writes element `i` meanwhile.
    #[inline]
    pub unsafe fn read(&self, i: usize) -> T {
        assert!(i < self.len);
        // SAFETY: in bounds; no concurrent writer per the caller's contract.
        unsafe { self.ptr.add(i).read() }
    }

    /// The whole array.
    ///
    /// # Safety
    /// No hart writes any element while the slice is alive.
    #[inline]
    pub unsafe fn as_slice(&self) -> &[T] {
        // SAFETY: the leaked allocation holds `len` initialised elements.
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Elements `start..start + len`, mutably.
    ///
    /// # Safety
    /// No other hart accesses these elements while the slice is alive.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn range_mut(&self, start: usize, len: usize) -> &mut [T] {
        assert!(start <= self.len && len <= self.len - start);
        // SAFETY: in bounds; exclusive per the caller's contract.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
}

/// Dynamic work distribution inside a phase: harts take `chunk` consecutive indices per AMO
/// until `n` are handed out. Hart 0 calls [`WorkCounter::reset`] before the barrier that opens
/// the phase; the phase ends with the caller's own barrier.
pub struct WorkCounter(CachePadded<AtomicUsize>);

impl Default for WorkCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkCounter {
    /// A counter at 0.
    pub const fn new() -> Self {
        Self(CachePadded(AtomicUsize::new(0)))
    }

    /// Back to 0 (one hart, before a barrier).
    pub fn reset(&self) {
        self.0 .0.store(0, Ordering::Relaxed);
    }

    /// Calls `f(i)` for the indices this hart takes from `0..n`.
    pub fn for_each(&self, n: usize, chunk: usize, mut f: impl FnMut(usize)) {
        let chunk = chunk.max(1);
        loop {
            let start = self.0 .0.fetch_add(chunk, Ordering::Relaxed);
            if start >= n {
                break;
            }
            for i in start..n.min(start + chunk) {
                f(i);
            }
        }
    }
}

/// Nearest-rank percentile `p` (0..=100) of ascending `sorted` samples (0 when empty).
pub fn percentile(sorted: &[u64], p: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).clamp(1, n);
    sorted[rank as usize - 1]
}

/// `count * hz / ticks` as a float rate (per second), `ticks` at `hz` (0 ticks count as 1).
pub fn per_second(count: u64, ticks: u64, hz: u64) -> f64 {
    count as f64 * hz as f64 / ticks.max(1) as f64
}
