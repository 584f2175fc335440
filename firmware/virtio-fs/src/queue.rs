//! Split virtqueues (virtio 1.x, 2.6): a descriptor table, the driver's avail ring and the
//! device's used ring, in one zeroed DMA allocation. Completion is polled.
//!
//! ```text
//!  offset 0            desc[size]   16 B each: addr u64, len u32, flags u16, next u16
//!  16*size             avail        flags u16, idx u16, ring[size] u16, used_event u16
//!  align4(...)         used         flags u16, idx u16, ring[size] {id u32, len u32}, avail_event
//! ```

use alloc::vec;
use alloc::vec::Vec;
use core::ptr::{read_volatile, write_volatile};

use crate::hal::{DmaBuf, Hal};
use crate::Result;

const DESC_F_NEXT: u16 = 1;
const DESC_F_WRITE: u16 = 2;

/// One buffer of a chain: device address, length, whether the device writes it.
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    /// Device (physical) address.
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
    /// True: device-writable (a reply); false: device-readable (a request).
    pub writable: bool,
}

/// A split virtqueue and the driver's bookkeeping for it.
pub struct SplitQueue<H: Hal> {
    index: u16,
    size: u16,
    mem: DmaBuf<H>,
    avail_off: usize,
    used_off: usize,
    free_head: u16,
    num_free: u16,
    avail_idx: u16,
    last_used: u16,
    outstanding: u16,
    /// Per chain head: `Some(len)` once the device returned it, until the owner takes it.
    done: Vec<Option<u32>>,
}

// SAFETY: the queue owns its ring memory; raw accesses happen through `&mut self` only.
unsafe impl<H: Hal> Send for SplitQueue<H> {}

impl<H: Hal> SplitQueue<H> {
    /// Bytes of ring memory for `size` entries, and the avail/used offsets.
    fn layout(size: usize) -> (usize, usize, usize) {
        let avail_off = 16 * size;
        let used_off = (avail_off + 6 + 2 * size + 3) & !3;
        let total = used_off + 6 + 8 * size;
        (total, avail_off, used_off)
    }

    /// A queue of `size` entries (a power of two, at most 32768).
    pub fn new(index: u16, size: u16) -> Result<Self> {
        if size == 0 || !size.is_power_of_two() || size > 32768 {
            return Err(crate::Error::Device("bad queue size"));
        }
        let (total, avail_off, used_off) = Self::layout(size as usize);
        let mem = DmaBuf::<H>::new(total, 4096)?;
        let mut q = SplitQueue {
            index,
            size,
            mem,
            avail_off,
            used_off,
            free_head: 0,
            num_free: size,
            avail_idx: 0,
            last_used: 0,
            outstanding: 0,
            done: vec![None; size as usize],
        };
        for i in 0..size {
            q.write_desc(i, 0, 0, 0, (i + 1) % size);
        }
        Ok(q)
    }

    /// Queue number.
    pub fn index(&self) -> u16 {
        self.index
    }
    /// Number of entries.
    pub fn size(&self) -> u16 {
        self.size
    }
    /// Device address of the descriptor table.
    pub fn desc_addr(&self) -> u64 {
        self.mem.phys()
    }
    /// Device address of the avail ring.
    pub fn avail_addr(&self) -> u64 {
        self.mem.phys() + self.avail_off as u64
    }
    /// Device address of the used ring.
    pub fn used_addr(&self) -> u64 {
        self.mem.phys() + self.used_off as u64
    }
    /// Chains added and not yet taken back.
    pub fn outstanding(&self) -> u16 {
        self.outstanding
    }
    /// Free descriptors.
    pub fn num_free(&self) -> u16 {
        self.num_free
    }

    fn base(&self) -> *mut u8 {
        self.mem.as_ptr()
    }

    fn write_desc(&mut self, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        // SAFETY: `i < size`, so the 16-byte descriptor lies inside the ring memory (8-aligned).
        unsafe {
            let d = self.base().add(16 * i as usize);
            write_volatile(d as *mut u64, addr);
            write_volatile(d.add(8) as *mut u32, len);
            write_volatile(d.add(12) as *mut u16, flags);
            write_volatile(d.add(14) as *mut u16, next);
        }
    }

    fn desc_flags_next(&self, i: u16) -> (u16, u16) {
        // SAFETY: `i < size` (checked by callers), inside the ring memory.
        unsafe {
            let d = self.base().add(16 * i as usize);
            (
                read_volatile(d.add(12) as *const u16),
                read_volatile(d.add(14) as *const u16),
            )
        }
    }

    /// Adds a chain (readable buffers first, then writable ones) and publishes it in the avail
    /// ring. Returns its head, or `None` when there are not enough free descriptors (retry later).
    /// The caller notifies the device afterwards.
    pub fn add(&mut self, bufs: &[Buf]) -> Option<u16> {
        let n = bufs.len();
        if n == 0 || n > self.num_free as usize {
            return None;
        }
        let head = self.free_head;
        let mut cur = head;
        for (k, b) in bufs.iter().enumerate() {
            let (_, next) = self.desc_flags_next(cur);
            let mut flags = if b.writable { DESC_F_WRITE } else { 0 };
            if k + 1 < n {
                flags |= DESC_F_NEXT;
            }
            self.write_desc(cur, b.addr, b.len, flags, next);
            if k + 1 < n {
                cur = next;
            } else {
                self.free_head = next;
            }
        }
        self.num_free -= n as u16;
        self.outstanding += 1;
        self.done[head as usize] = None;
        let slot = (self.avail_idx % self.size) as usize;
        // SAFETY: ring slot and idx fields lie inside the avail ring.
        unsafe {
            let avail = self.base().add(self.avail_off);
            write_volatile(avail.add(4 + 2 * slot) as *mut u16, head);
            H::wmb(); // the entry before the index that publishes it
            self.avail_idx = self.avail_idx.wrapping_add(1);
            write_volatile(avail.add(2) as *mut u16, self.avail_idx);
        }
        H::mb(); // the index before the notify write
        Some(head)
    }

    /// Moves every newly used chain into the completion table. Returns how many.
    pub fn poll_used(&mut self) -> usize {
        let mut count = 0;
        loop {
            // SAFETY: the used ring's idx field lies inside the ring memory.
            let used_idx =
                unsafe { read_volatile(self.base().add(self.used_off + 2) as *const u16) };
            if used_idx == self.last_used {
                return count;
            }
            H::rmb(); // the index before the entries it covers
            let slot = (self.last_used % self.size) as usize;
            // SAFETY: the entry lies inside the used ring.
            let (id, len) = unsafe {
                let e = self.base().add(self.used_off + 4 + 8 * slot);
                (
                    read_volatile(e as *const u32),
                    read_volatile(e.add(4) as *const u32),
                )
            };
            self.last_used = self.last_used.wrapping_add(1);
            // A device that returns a head that is not outstanding is ignored.
            if let Some(d) = self.done.get_mut(id as usize) {
                *d = Some(len);
            }
            count += 1;
        }
    }

    /// If chain `head` has completed: frees its descriptors and returns the used length.
    pub fn take(&mut self, head: u16) -> Option<u32> {
        let len = self.done.get_mut(head as usize)?.take()?;
        let mut cur = head;
        let mut freed = 1u16;
        loop {
            let (flags, next) = self.desc_flags_next(cur);
            if flags & DESC_F_NEXT == 0 || freed >= self.size {
                // Link the chain's tail to the old free list.
                self.write_desc(cur, 0, 0, 0, self.free_head);
                break;
            }
            self.write_desc(cur, 0, 0, 0, next);
            cur = next % self.size;
            freed += 1;
        }
        self.free_head = head;
        self.num_free += freed;
        self.outstanding -= 1;
        Some(len)
    }
}
