//! CLINT: per-hart software interrupt (`msip`) and timer compare (`mtimecmp`) registers and the
//! shared `mtime`, laid out as in [`strand_hw::memmap`] (SiFive layout plus Strand's extended
//! windows for more than 4,095 harts).
//!
//! `mtime` runs at [`TIMEBASE_HZ`] (10 MHz, as on QEMU `virt`) and is derived from the core
//! cycle: `mtime = cycle * 10 MHz / clock` (+ an offset when the guest writes `mtime`). The
//! timer line of hart `h` is `mtime >= mtimecmp[h]`; `mtimecmp` resets to `u64::MAX` (no
//! interrupt), `msip` to 0.

use std::collections::BTreeSet;
use strand_hw::isa::csr::irq;
use strand_hw::memmap::*;

/// The core-local interruptor.
pub struct Clint {
    msip: Vec<u32>,
    mtimecmp: Vec<u64>,
    clock_hz: u64,
    mtime_offset: u64,
    /// Armed timers `(mtimecmp, hart)`, ordered by compare value.
    timers: BTreeSet<(u64, u32)>,
    /// `mtime` up to which expired timers have been reported through `changed`.
    scanned_to: u64,
    /// Harts whose `msip`/`mtimecmp` the guest wrote since the engine last looked: their
    /// interrupt lines may have changed, and the engine re-reads [`Clint::mip`] for them.
    pub changed: Vec<u32>,
    /// Set when `mtime` was written: every hart's timer line may have changed.
    pub all_changed: bool,
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
            timers: BTreeSet::new(),
            scanned_to: 0,
            changed: Vec::new(),
            all_changed: false,
        }
    }

    /// Whether some interrupt line may have changed since the engine last looked.
    #[inline]
    pub fn dirty(&self) -> bool {
        self.all_changed || !self.changed.is_empty()
    }

    /// `mtime` at core cycle `cycle`.
    #[inline]
    pub fn mtime(&self, cycle: u64) -> u64 {
        ((u128::from(cycle) * u128::from(TIMEBASE_HZ) / u128::from(self.clock_hz)) as u64)
            .wrapping_add(self.mtime_offset)
    }

    /// The first core cycle at which `mtime` reaches `t`.
    fn cycle_of(&self, t: u64) -> u64 {
        let Some(ticks) = t.checked_sub(self.mtime_offset) else {
            return 0;
        };
        let c = (u128::from(ticks) * u128::from(self.clock_hz)).div_ceil(u128::from(TIMEBASE_HZ));
        u64::try_from(c).unwrap_or(u64::MAX)
    }

    /// The first core cycle after `cycle` at which an armed timer that has not yet fired fires
    /// (`u64::MAX` if there is none).
    pub fn next_deadline(&self, cycle: u64) -> u64 {
        let now = self.mtime(cycle);
        match self.timers.range((now.saturating_add(1), 0)..).next() {
            Some(&(t, _)) => self.cycle_of(t).max(cycle + 1),
            None => u64::MAX,
        }
    }

    /// Report every hart whose timer fired since the last call (up to `cycle`) in `changed`.
    pub fn collect_expired(&mut self, cycle: u64) {
        let now = self.mtime(cycle);
        if now < self.scanned_to {
            // mtime was written backwards: everything may have changed.
            self.all_changed = true;
        } else {
            let from = self.scanned_to;
            self.changed.extend(
                self.timers
                    .range((from, 0)..=(now, u32::MAX))
                    .map(|&(_, h)| h),
            );
        }
        self.scanned_to = now;
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
                self.changed.push(h as u32);
            }
            Some(Reg::Mtimecmp(h, b)) => {
                let old = self.mtimecmp[h];
                let new = merge(old, b);
                self.mtimecmp[h] = new;
                self.timers.remove(&(old, h as u32));
                if new != u64::MAX {
                    self.timers.insert((new, h as u32));
                }
                self.changed.push(h as u32);
            }
            Some(Reg::Mtime(b)) => {
                let now = self.mtime(cycle);
                let new = merge(now, b);
                self.mtime_offset = self.mtime_offset.wrapping_add(new.wrapping_sub(now));
                self.all_changed = true;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_fires_at_the_computed_cycle() {
        let mut c = Clint::new(4, 500_000_000); // 50 cycles per mtime tick
        assert_eq!(c.next_deadline(0), u64::MAX);
        assert!(c.write(CLINT_MTIMECMP + 8 * 2, 8, 10, 0));
        assert_eq!(c.next_deadline(0), 500);
        // A second, later timer is found once the first has fired.
        assert!(c.write(CLINT_MTIMECMP + 8 * 3, 8, 20, 0));
        assert_eq!(c.next_deadline(600), 1000);
        c.changed.clear();
        c.collect_expired(700);
        assert_eq!(c.changed, vec![2]);
        c.collect_expired(1000);
        assert_eq!(c.changed, vec![2, 3]);
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
