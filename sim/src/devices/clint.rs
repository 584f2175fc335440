//! CLINT: per-hart software interrupt (`msip`) and timer compare (`mtimecmp`) registers and the
//! shared `mtime`, laid out as in [`strand_hw::memmap`] (SiFive layout plus Strand's extended
//! windows for more than 4,095 harts).
//!
//! `mtime` runs at [`TIMEBASE_HZ`] (10 MHz, as on QEMU `virt`) and is derived from the core
//! cycle: `mtime = cycle * 10 MHz / clock` (+ an offset when the guest writes `mtime`). The
//! timer line of hart `h` is `mtime >= mtimecmp[h]`; `mtimecmp` resets to `u64::MAX` (no
//! interrupt), `msip` to 0.

use strand_hw::isa::csr::irq;
use strand_hw::memmap::*;

/// The core-local interruptor.
pub struct Clint {
    msip: Vec<u32>,
    mtimecmp: Vec<u64>,
    clock_hz: u64,
    mtime_offset: u64,
    /// Earliest `mtimecmp` (cached; `u64::MAX` when no timer is armed).
    min_cmp: u64,
    /// Set when an interrupt line may have changed; the engine then re-reads [`Clint::mip`].
    pub dirty: bool,
}

/// Which register an offset names.
enum Reg {
    Msip(usize),
    Mtimecmp(usize, u64),
    Mtime(u64),
}

impl Clint {
    /// A CLINT for `harts` harts clocked at `clock_hz`.
    pub fn new(harts: u32, clock_hz: u64) -> Clint {
        Clint {
            msip: vec![0; harts as usize],
            mtimecmp: vec![u64::MAX; harts as usize],
            clock_hz,
            mtime_offset: 0,
            min_cmp: u64::MAX,
            dirty: false,
        }
    }

    /// `mtime` at core cycle `cycle`.
    #[inline]
    pub fn mtime(&self, cycle: u64) -> u64 {
        ((u128::from(cycle) * u128::from(TIMEBASE_HZ) / u128::from(self.clock_hz)) as u64)
            .wrapping_add(self.mtime_offset)
    }

    /// The first core cycle at which some timer fires (`u64::MAX` if none is armed).
    pub fn next_deadline(&self) -> u64 {
        if self.min_cmp == u64::MAX {
            return u64::MAX;
        }
        let t = self.min_cmp.wrapping_sub(self.mtime_offset);
        if self.min_cmp < self.mtime_offset {
            return 0;
        }
        let c = (u128::from(t) * u128::from(self.clock_hz)).div_ceil(u128::from(TIMEBASE_HZ));
        u64::try_from(c).unwrap_or(u64::MAX)
    }

    /// The CLINT-driven `mip` bits (MSIP, MTIP) of `hart` at `cycle`.
    #[inline]
    pub fn mip(&self, hart: u32, cycle: u64) -> u64 {
        let h = hart as usize;
        let mut v = 0;
        if self.msip[h] & 1 != 0 {
            v |= irq::MSI;
        }
        if self.mtime(cycle) >= self.mtimecmp[h] {
            v |= irq::MTI;
        }
        v
    }

    fn decode(&self, off: u64) -> Option<Reg> {
        let harts = self.msip.len() as u64;
        let legacy = u64::from(CLINT_LEGACY_HARTS).min(harts);
        if off < CLINT_MSIP + 4 * legacy {
            return Some(Reg::Msip((off / 4) as usize));
        }
        if (CLINT_MTIMECMP..CLINT_MTIMECMP + 8 * legacy).contains(&off) {
            let r = off - CLINT_MTIMECMP;
            return Some(Reg::Mtimecmp((r / 8) as usize, r % 8));
        }
        if (CLINT_MTIME..CLINT_MTIME + 8).contains(&off) {
            return Some(Reg::Mtime(off - CLINT_MTIME));
        }
        if (CLINT_MSIP_EXT..CLINT_MSIP_EXT + 4 * harts).contains(&off) {
            return Some(Reg::Msip(((off - CLINT_MSIP_EXT) / 4) as usize));
        }
        if (CLINT_MTIMECMP_EXT..CLINT_MTIMECMP_EXT + 8 * harts).contains(&off) {
            let r = off - CLINT_MTIMECMP_EXT;
            return Some(Reg::Mtimecmp((r / 8) as usize, r % 8));
        }
        None
    }

    /// Read `size` bytes at offset `off` (naturally aligned). `None` for a hole.
    pub fn read(&self, off: u64, size: u8, cycle: u64) -> Option<u64> {
        let (word, shift) = match self.decode(off)? {
            Reg::Msip(h) => (u64::from(self.msip[h]), (off & 3) * 8),
            Reg::Mtimecmp(h, b) => (self.mtimecmp[h], b * 8),
            Reg::Mtime(b) => (self.mtime(cycle), b * 8),
        };
        let mask = if size == 8 {
            u64::MAX
        } else {
            (1u64 << (size * 8)) - 1
        };
        Some((word >> shift) & mask)
    }

    /// Write `size` bytes at offset `off`. Returns `false` for a hole.
    pub fn write(&mut self, off: u64, size: u8, val: u64, cycle: u64) -> bool {
        let mask = if size == 8 {
            u64::MAX
        } else {
            (1u64 << (size * 8)) - 1
        };
        let merge = |old: u64, byte: u64| {
            let m = mask << (byte * 8);
            (old & !m) | ((val << (byte * 8)) & m)
        };
        match self.decode(off) {
            None => return false,
            Some(Reg::Msip(h)) => {
                let v = merge(u64::from(self.msip[h]), off & 3);
                self.msip[h] = (v & 1) as u32;
            }
            Some(Reg::Mtimecmp(h, b)) => {
                self.mtimecmp[h] = merge(self.mtimecmp[h], b);
                self.min_cmp = self.mtimecmp.iter().copied().min().unwrap_or(u64::MAX);
            }
            Some(Reg::Mtime(b)) => {
                let now = self.mtime(cycle);
                let new = merge(now, b);
                self.mtime_offset = self.mtime_offset.wrapping_add(new.wrapping_sub(now));
            }
        }
        self.dirty = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_fires_at_the_computed_cycle() {
        let mut c = Clint::new(4, 500_000_000); // 50 cycles per mtime tick
        assert_eq!(c.next_deadline(), u64::MAX);
        assert!(c.write(CLINT_MTIMECMP + 8 * 2, 8, 10, 0));
        assert_eq!(c.next_deadline(), 500);
        assert_eq!(c.mip(2, 499), 0);
        assert_eq!(c.mip(2, 500), irq::MTI);
        assert_eq!(c.mip(1, 500), 0);
        assert!(c.write(CLINT_MSIP + 4, 4, 1, 0));
        assert_eq!(c.mip(1, 0), irq::MSI);
        assert_eq!(c.read(CLINT_MTIME, 8, 5000), Some(100));
        assert_eq!(c.read(CLINT_MTIMECMP + 8 * 2 + 4, 4, 0), Some(0));
    }

    #[test]
    fn extended_windows_reach_every_hart() {
        let mut c = Clint::new(5000, 1_000_000_000);
        assert!(c.write(CLINT_MSIP_EXT + 4 * 4999, 4, 1, 0));
        assert_eq!(c.mip(4999, 0), irq::MSI);
        assert!(c.write(CLINT_MTIMECMP_EXT + 8 * 4500, 8, 0, 0));
        assert_eq!(c.mip(4500, 0), irq::MTI);
        // Legacy and extended windows alias for low harts.
        assert!(c.write(CLINT_MSIP_EXT + 4 * 7, 4, 1, 0));
        assert_eq!(c.read(CLINT_MSIP + 4 * 7, 4, 0), Some(1));
        assert!(c.read(CLINT_MSIP_EXT + 4 * 5000, 4, 0).is_none());
    }
}
