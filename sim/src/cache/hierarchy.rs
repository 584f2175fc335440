//! The memory hierarchy's timing, step 1: tag arrays and fixed latencies.
//!
//! ```text
//!  core ─ L1I ─┐                    hit: 0 extra (fetch) / load-use (load)
//!  core ─ L1D ─┼─ tile L2 (shared) ─ miss ─► NoC to the home tile ─► HBM ─► back
//!              │  l2_latency        (hops x (router_latency + 1), both ways) + hbm_latency_ns
//! ```
//!
//! * L1I: allocate on miss; a miss costs the L2 path.
//! * L1D: write-through, no-write-allocate: loads allocate on miss, stores update only lines
//!   that are present; AMOs and LR/SC are performed at the L2 (and drop the L1D line, T1 style).
//! * L2: inclusive of nothing yet (coherence, sharer bits and back-invalidation come with the
//!   directory); allocates on every miss. The home tile of a line is `line % tiles`.
//!
//! Functional data lives in [`crate::mem::Dram`]; these tags only decide latencies.

use super::Tags;
use serde::Serialize;
use strand_hw::ChipConfig;

/// Hit/miss counters of one cache.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CacheStats {
    /// Hits.
    pub hits: u64,
    /// Misses.
    pub misses: u64,
    /// hits / (hits + misses).
    pub hit_rate: f64,
}

impl CacheStats {
    fn of(t: &Tags) -> CacheStats {
        let n = t.hits + t.misses;
        CacheStats {
            hits: t.hits,
            misses: t.misses,
            hit_rate: if n == 0 {
                0.0
            } else {
                t.hits as f64 / n as f64
            },
        }
    }
}

/// Tag arrays of every cache and the latencies between them.
pub struct Hierarchy {
    l1i: Vec<Tags>,
    l1d: Vec<Tags>,
    l2: Vec<Tags>,
    mesh_x: u32,
    tiles: u32,
    l2_latency: u64,
    hop: u64,
    memory: u64,
    line_shift: u32,
}

impl Hierarchy {
    /// Empty caches for every core and tile of `cfg`.
    pub fn new(cfg: &ChipConfig) -> Hierarchy {
        Hierarchy {
            l1i: (0..cfg.cores()).map(|_| Tags::new(&cfg.core.l1i)).collect(),
            l1d: (0..cfg.cores()).map(|_| Tags::new(&cfg.core.l1d)).collect(),
            l2: (0..cfg.tiles()).map(|_| Tags::new(&cfg.tile.l2)).collect(),
            mesh_x: cfg.mesh.x,
            tiles: cfg.tiles(),
            l2_latency: u64::from(cfg.tile.l2_latency),
            hop: u64::from(cfg.noc.router_latency) + 1,
            memory: cfg.ns_to_cycles(cfg.memory.hbm_latency_ns),
            line_shift: cfg.tile.l2.line.trailing_zeros(),
        }
    }

    /// Cycles from a core of `tile` to data back, for a request that reaches the L2.
    fn l2_path(&mut self, tile: u32, addr: u64) -> u64 {
        if self.l2[tile as usize].access(addr, true) {
            return self.l2_latency;
        }
        let home = ((addr >> self.line_shift) % u64::from(self.tiles)) as u32;
        let (x0, y0) = (tile % self.mesh_x, tile / self.mesh_x);
        let (x1, y1) = (home % self.mesh_x, home / self.mesh_x);
        let hops = u64::from(x0.abs_diff(x1) + y0.abs_diff(y1));
        self.l2_latency + 2 * hops * self.hop + self.memory
    }

    /// Extra cycles before an instruction at `pc` can issue (0 on an L1I hit).
    #[inline]
    pub fn fetch(&mut self, core: u32, tile: u32, pc: u64) -> u64 {
        if self.l1i[core as usize].access(pc, true) {
            0
        } else {
            self.l2_path(tile, pc)
        }
    }

    /// A load: `Ok(())` on an L1D hit, `Err(cycles)` on a miss (until the data is back).
    #[inline]
    pub fn load(&mut self, core: u32, tile: u32, addr: u64) -> Result<(), u64> {
        if self.l1d[core as usize].access(addr, true) {
            Ok(())
        } else {
            Err(self.l2_path(tile, addr))
        }
    }

    /// A store leaving the store buffer: cycles until the L2 has it (write-through).
    #[inline]
    pub fn store(&mut self, core: u32, tile: u32, addr: u64) -> u64 {
        let _ = self.l1d[core as usize].access(addr, false);
        self.l2_path(tile, addr)
    }

    /// An AMO / LR / SC performed at the L2: cycles until the result is back.
    #[inline]
    pub fn atomic(&mut self, core: u32, tile: u32, addr: u64) -> u64 {
        let _ = self.l1d[core as usize].access(addr, false);
        self.l2_path(tile, addr)
    }

    /// Counters of core `core`'s L1I and L1D.
    pub fn l1_stats(&self, core: u32) -> (CacheStats, CacheStats) {
        (
            CacheStats::of(&self.l1i[core as usize]),
            CacheStats::of(&self.l1d[core as usize]),
        )
    }

    /// Counters of tile `tile`'s L2.
    pub fn l2_stats(&self, tile: u32) -> CacheStats {
        CacheStats::of(&self.l2[tile as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_compose() {
        let cfg = ChipConfig::preset("tiny").unwrap(); // 2x1 mesh, 500 MHz, 100 ns HBM
        let mut h = Hierarchy::new(&cfg);
        let mem = cfg.ns_to_cycles(100.0);
        assert_eq!(mem, 50);
        // Line 0 is homed on tile 0: no hops.
        assert_eq!(h.load(0, 0, 0x8000_0000), Err(20 + mem));
        assert_eq!(h.load(0, 0, 0x8000_0000), Ok(()));
        // Line 1 is homed on tile 1: one hop each way, 2 cycles per hop.
        assert_eq!(h.load(0, 0, 0x8000_0040), Err(20 + 4 + mem));
        // Another core of tile 0... (tiny has one core per tile) tile 1's core misses its L1
        // but the line is not in its L2 either.
        assert_eq!(h.load(1, 1, 0x8000_0000), Err(20 + 4 + mem));
        assert_eq!(h.store(1, 1, 0x8000_0000), 20);
        assert_eq!(h.fetch(0, 0, 0x8000_0000), 20);
        assert_eq!(h.fetch(0, 0, 0x8000_0004), 0);
    }
}
