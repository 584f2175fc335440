//! `vm-memory` view of the simulator's DRAM.
//!
//! Choice: the device works **in place** on the DRAM store (no copy): [`DramMemory`] is a
//! one-region [`GuestMemory`] built from a `&mut [u8]` borrow of the whole DRAM for the duration
//! of one QueueNotify. The borrow checker then guarantees that nothing else (no hart, no other
//! device) touches DRAM while `virtio-queue` and `fuse-backend-rs` read and write it through
//! `VolatileSlice`s, and every slice is bounds-checked against the region here, so a guest
//! address outside DRAM is an error (`InvalidGuestAddress`), never a host access.

use std::marker::PhantomData;
use vm_memory::bitmap::BS;
use vm_memory::guest_memory::Error as GmError;
use vm_memory::{
    Address, GuestAddress, GuestMemory, GuestMemoryRegion, GuestMemoryRegionBytes, GuestUsize,
    MemoryRegionAddress, VolatileSlice,
};

/// The DRAM region at guest physical `base`.
pub struct DramRegion<'a> {
    ptr: *mut u8,
    len: usize,
    base: u64,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl GuestMemoryRegion for DramRegion<'_> {
    type B = ();

    fn len(&self) -> GuestUsize {
        self.len as GuestUsize
    }

    fn start_addr(&self) -> GuestAddress {
        GuestAddress(self.base)
    }

    fn bitmap(&self) -> BS<'_, ()> {}

    fn get_slice(
        &self,
        offset: MemoryRegionAddress,
        count: usize,
    ) -> vm_memory::guest_memory::Result<VolatileSlice<'_, BS<'_, ()>>> {
        let off = offset.raw_value();
        let end = off
            .checked_add(count as u64)
            .ok_or(GmError::InvalidGuestAddress(GuestAddress(self.base)))?;
        if off > self.len as u64 || end > self.len as u64 {
            return Err(GmError::InvalidBackendAddress);
        }
        // SAFETY: `off..off + count` lies inside the `len`-byte allocation that `ptr` points to
        // (checked just above), and that allocation is exclusively borrowed (`&'a mut [u8]`) for
        // the region's whole lifetime, so no Rust reference aliases it while the slice (whose
        // lifetime is tied to `&self`) is in use; all access through the slice is volatile.
        Ok(unsafe { VolatileSlice::new(self.ptr.add(off as usize), count) })
    }
}

impl GuestMemoryRegionBytes for DramRegion<'_> {}

/// Guest memory = one DRAM region.
pub struct DramMemory<'a> {
    region: DramRegion<'a>,
}

impl<'a> DramMemory<'a> {
    /// View `bytes` as guest memory at guest physical address `base`.
    pub fn new(bytes: &'a mut [u8], base: u64) -> DramMemory<'a> {
        DramMemory {
            region: DramRegion {
                ptr: bytes.as_mut_ptr(),
                len: bytes.len(),
                base,
                _borrow: PhantomData,
            },
        }
    }
}

impl<'a> GuestMemory for DramMemory<'a> {
    type R = DramRegion<'a>;

    fn iter(&self) -> impl Iterator<Item = &Self::R> {
        std::iter::once(&self.region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_memory::Bytes;

    #[test]
    fn bounds() {
        let mut v = vec![0u8; 4096];
        {
            let m = DramMemory::new(&mut v, 0x8000_0000);
            m.write_obj(0x1234_5678u32, GuestAddress(0x8000_0ffc))
                .unwrap();
            assert_eq!(
                m.read_obj::<u32>(GuestAddress(0x8000_0ffc)).unwrap(),
                0x1234_5678
            );
            assert!(m.read_obj::<u32>(GuestAddress(0x8000_0ffe)).is_err());
            assert!(m.read_obj::<u32>(GuestAddress(0x7fff_fffe)).is_err());
            assert!(m.read_obj::<u64>(GuestAddress(u64::MAX - 2)).is_err());
        }
        assert_eq!(v[0xffc], 0x78);
    }
}
