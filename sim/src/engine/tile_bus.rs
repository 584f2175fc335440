//! Functional memory during a quantum: what a hart of one tile may see without looking at the
//! other tiles.
//!
//! ```text
//!  load  ─► DRAM as it was at the quantum's start ─► patched by this tile's own stores
//!  store ─► this tile's overlay (word → bytes, byte mask), written to DRAM at the quantum's end
//! ```
//!
//! Stores of one tile become visible to the other tiles at the end of the quantum (tiles in
//! tile order; within a tile a word holds the last value written). That is a legal RVWMO
//! execution: a store may take a while to become globally visible, every tile sees the same
//! order, and an instruction that needs more (AMO, LR/SC, a FENCE after the hart's own stores
//! of this quantum, device accesses) waits for the quantum's serial part ([`must_defer`]).
//! Because a tile never reads another tile's overlay, the result does not depend on how tiles
//! are spread over host threads.

use crate::cache::uncore::LineMap;
use crate::core::bus::{AccessFault, AmoOp, Bus};
use crate::core::Hart;
use crate::mem::Dram;
use crate::platform::MemView;
use strand_hw::isa::{Class, Insn};

/// One tile's stores of the current quantum: 8-byte word index → (bytes, byte mask), plus the
/// last hart that wrote each word (its own LR reservation survives its own store).
#[derive(Default)]
pub struct Overlay {
    words: LineMap<(u64, u64, u32)>,
}

#[inline]
fn size_mask(size: u8) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * size)) - 1
    }
}

impl Overlay {
    /// Whether the tile stored nothing this quantum.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Write every word to DRAM and forget them; appends `(hart, address)` of each word to
    /// `stored` (for LR reservations).
    pub fn apply(&mut self, dram: &mut Dram, stored: &mut Vec<(u32, u64)>) {
        for (word, (val, mask, hart)) in self.words.drain() {
            let addr = word << 3;
            let off = dram.offset(addr, 8).expect("overlay words lie in DRAM");
            let old = dram.read(off, 8);
            dram.write(off, 8, (old & !mask) | (val & mask));
            stored.push((hart, addr));
        }
    }

    /// `mem` (read from DRAM at `addr`, `size` bytes) patched with the tile's stores.
    #[inline]
    pub fn patch(&self, addr: u64, size: u8, mem: u64) -> u64 {
        match self.words.get(&(addr >> 3)) {
            None => mem,
            Some(&(val, mask, _)) => {
                let sh = (addr & 7) * 8;
                let m = (mask >> sh) & size_mask(size);
                (mem & !m) | ((val >> sh) & m)
            }
        }
    }

    /// Record a store of `size` bytes by `hart`.
    #[inline]
    pub fn store(&mut self, hart: u32, addr: u64, size: u8, val: u64) {
        let sh = (addr & 7) * 8;
        let m = size_mask(size) << sh;
        let e = self.words.entry(addr >> 3).or_insert((0, 0, hart));
        e.0 = (e.0 & !m) | ((val << sh) & m);
        e.1 |= m;
        e.2 = hart;
    }
}

/// The bus of one hart during the parallel part of a quantum.
pub struct TileBus<'a> {
    /// DRAM and code as of the quantum's start.
    pub view: &'a MemView<'a>,
    /// The hart's tile's stores.
    pub overlay: &'a mut Overlay,
    /// Set when the hart stores (a later FENCE must then wait for the quantum's end).
    pub stored: &'a mut bool,
}

impl Bus for TileBus<'_> {
    #[inline]
    fn fetch(&mut self, addr: u64) -> Result<u32, AccessFault> {
        self.view.fetch(addr)
    }

    #[inline]
    fn fetch_insn(&mut self, addr: u64) -> Result<Insn, AccessFault> {
        self.view.fetch_insn(addr)
    }

    #[inline]
    fn load(&mut self, _hart: u32, addr: u64, size: u8) -> Result<u64, AccessFault> {
        let off = self
            .view
            .dram
            .offset(addr, u64::from(size))
            .ok_or(AccessFault)?;
        let v = self.view.dram.read(off, size);
        Ok(if self.overlay.is_empty() {
            v
        } else {
            self.overlay.patch(addr, size, v)
        })
    }

    #[inline]
    fn store(&mut self, hart: u32, addr: u64, size: u8, val: u64) -> Result<(), AccessFault> {
        self.view
            .dram
            .offset(addr, u64::from(size))
            .ok_or(AccessFault)?;
        self.overlay.store(hart, addr, size, val);
        *self.stored = true;
        Ok(())
    }

    fn amo(&mut self, _: u32, _: u64, _: u8, _: AmoOp, _: u64) -> Result<u64, AccessFault> {
        debug_assert!(false, "AMOs run in the quantum's serial part");
        Err(AccessFault)
    }

    fn load_reserved(&mut self, _: u32, _: u64, _: u8) -> Result<u64, AccessFault> {
        debug_assert!(false, "LR runs in the quantum's serial part");
        Err(AccessFault)
    }

    fn store_conditional(&mut self, _: u32, _: u64, _: u8, _: u64) -> Result<bool, AccessFault> {
        debug_assert!(false, "SC runs in the quantum's serial part");
        Err(AccessFault)
    }
}

/// Whether `insn`, about to issue on `hart`, must wait for the quantum's serial part: AMOs and
/// LR/SC (performed at the home, in request order), a FENCE / FENCE.I after this hart's stores
/// of the quantum (they must be visible to everyone first), and loads and stores that do not
/// hit DRAM (devices) or touch the HTIF `tohost` word.
#[inline]
pub fn must_defer(hart: &Hart, insn: &Insn, stored: bool, view: &MemView<'_>) -> bool {
    defers(insn, &hart.x, stored, view.dram, view.tohost)
}

/// [`must_defer`] on a register file `x` (for models that keep registers elsewhere).
#[inline]
pub fn defers(insn: &Insn, x: &[u64; 32], stored: bool, dram: &Dram, tohost: Option<u64>) -> bool {
    match insn.class {
        Class::Atomic => true,
        Class::Fence => stored,
        Class::Load | Class::Store => {
            let addr = x[insn.rs1 as usize].wrapping_add(insn.imm as u64);
            if dram.offset(addr, 1).is_none() {
                return true;
            }
            insn.class == Class::Store
                && tohost.is_some_and(|t| addr.wrapping_add(8) > t && addr < t.wrapping_add(8))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strand_hw::memmap::DRAM_BASE;

    #[test]
    fn overlay_patches_bytes_and_applies_in_place() {
        let mut dram = Dram::new(4096);
        let off = dram.offset(DRAM_BASE, 8).unwrap();
        dram.write(off, 8, 0x1111_2222_3333_4444);
        let mut o = Overlay::default();
        o.store(3, DRAM_BASE + 2, 2, 0xabcd);
        o.store(3, DRAM_BASE + 7, 1, 0xee);
        assert_eq!(
            o.patch(DRAM_BASE, 8, 0x1111_2222_3333_4444),
            0xee11_2222_abcd_4444
        );
        assert_eq!(o.patch(DRAM_BASE + 4, 4, 0x1111_2222), 0xee11_2222);
        assert_eq!(o.patch(DRAM_BASE + 2, 2, 0x3333), 0xabcd);
        let mut seen = Vec::new();
        o.apply(&mut dram, &mut seen);
        assert_eq!(dram.read(off, 8), 0xee11_2222_abcd_4444);
        assert_eq!(seen, vec![(3, DRAM_BASE)]);
        assert!(o.is_empty());
    }
}
