//! DRAM backing store: the functional contents of the HBM-backed physical memory.
//!
//! The store is one zero-initialised allocation of `memory.dram_size` bytes. It comes from the
//! allocator's zeroed path (`calloc` → anonymous `mmap`), so the host commits a page only when
//! the guest touches it: a 16 GiB `sketch2k` DRAM costs what the firmware uses.

use strand_hw::memmap::DRAM_BASE;

/// Guest DRAM at [`DRAM_BASE`].
pub struct Dram {
    bytes: Vec<u8>,
}

impl Dram {
    /// Zeroed DRAM of `size` bytes.
    pub fn new(size: u64) -> Dram {
        Dram {
            bytes: vec![0u8; size as usize],
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Offset of `addr..addr+len` in the store, if it lies entirely inside DRAM.
    #[inline]
    pub fn offset(&self, addr: u64, len: u64) -> Option<usize> {
        let off = addr.wrapping_sub(DRAM_BASE);
        if off < self.size() && len <= self.size() - off {
            Some(off as usize)
        } else {
            None
        }
    }

    /// Read `size` (1, 2, 4, 8) bytes at offset `off`, zero-extended (little endian).
    #[inline]
    pub fn read(&self, off: usize, size: u8) -> u64 {
        let b = &self.bytes[off..off + size as usize];
        match size {
            1 => u64::from(b[0]),
            2 => u64::from(u16::from_le_bytes([b[0], b[1]])),
            4 => u64::from(u32::from_le_bytes(b.try_into().unwrap())),
            _ => u64::from_le_bytes(b.try_into().unwrap()),
        }
    }

    /// Write the low `size` bytes of `val` at offset `off`.
    #[inline]
    pub fn write(&mut self, off: usize, size: u8, val: u64) {
        let n = size as usize;
        self.bytes[off..off + n].copy_from_slice(&val.to_le_bytes()[..n]);
    }

    /// Copy `data` into DRAM at physical address `addr` (the caller has checked the range).
    pub fn load_bytes(&mut self, addr: u64, data: &[u8]) {
        let off = self
            .offset(addr, data.len() as u64)
            .expect("range checked by the loader");
        self.bytes[off..off + data.len()].copy_from_slice(data);
    }

    /// The whole store, mutably (for DMA-capable devices such as virtio-fs).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Borrow `len` bytes at physical address `addr`.
    pub fn slice(&self, addr: u64, len: u64) -> Option<&[u8]> {
        let off = self.offset(addr, len)?;
        Some(&self.bytes[off..off + len as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_and_bounds() {
        let mut d = Dram::new(1 << 20);
        let off = d.offset(DRAM_BASE + 8, 8).unwrap();
        d.write(off, 8, 0x1122_3344_5566_7788);
        assert_eq!(d.read(off, 1), 0x88);
        assert_eq!(d.read(off + 4, 4), 0x1122_3344);
        assert!(d.offset(DRAM_BASE + (1 << 20) - 4, 8).is_none());
        assert!(d.offset(DRAM_BASE - 8, 8).is_none());
        assert!(d.offset(0, 1).is_none());
    }
}
