//! The memory hierarchy's timing, step 1: tag arrays and fixed latencies.
//!
//! ```text
//!  core ─ L1I ─┐                    hit: 0 extra (fetch) / load-use (load)
//!  core ─ L1D ─┼─ tile L2 (shared) ─ miss ─► home tile ─► memory controller ─► HBM channel
//!              │  l2_latency        NoC hops x (router_latency + 1), there and back,
//!                                   plus the channel's queueing, latency and transfer time
//! ```
//!
//! The HBM channels ([`crate::hbm::Hbm`]) are a shared, contended resource: a line fill is an
//! `access` of one line at the cycle the request reaches the controller's tile.
//!
//! * L1I: allocate on miss; a miss costs the L2 path.
//! * L1D: write-through, no-write-allocate: loads allocate on miss, stores update only lines
//!   that are present; AMOs and LR/SC are performed at the L2 (and drop the L1D line, T1 style).
//! * L2: inclusive of nothing yet (coherence, sharer bits and back-invalidation come with the
//!   directory); allocates on every miss. The home tile of a line is `line % tiles`.
//!
//! Functional data lives in [`crate::mem::Dram`]; these tags only decide latencies.

use super::Tags;
use crate::hbm::{placement::controller_tiles, Hbm, HbmReport};
use crate::noc::NocParams;
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
    noc: NocParams,
    tiles: u32,
    l2_latency: u64,
    hop: u64,
    line_shift: u32,
    hbm: Hbm,
    controller_tile: Vec<u32>,
}

impl Hierarchy {
    /// Empty caches for every core and tile of `cfg`.
    pub fn new(cfg: &ChipConfig) -> Hierarchy {
        Hierarchy {
            l1i: (0..cfg.cores()).map(|_| Tags::new(&cfg.core.l1i)).collect(),
            l1d: (0..cfg.cores()).map(|_| Tags::new(&cfg.core.l1d)).collect(),
            l2: (0..cfg.tiles()).map(|_| Tags::new(&cfg.tile.l2)).collect(),
            noc: NocParams::from_config(cfg),
            tiles: cfg.tiles(),
            l2_latency: u64::from(cfg.tile.l2_latency),
            hop: u64::from(cfg.noc.router_latency) + 1,
            line_shift: cfg.tile.l2.line.trailing_zeros(),
            hbm: Hbm::new(cfg).expect("configuration validated"),
            controller_tile: controller_tiles(cfg.memory.hbm_channels, cfg.mesh.x, cfg.mesh.y),
        }
    }

    fn hops(&self, a: u32, b: u32) -> u64 {
        u64::from(crate::noc::analytic::hops(&self.noc, a, b))
    }

    /// Per-channel HBM statistics after `cycles` cycles.
    pub fn hbm_report(&self, cycles: u64) -> HbmReport {
        self.hbm.report(cycles)
    }

    /// Cycles from a core of `tile` to data back, for a request that reaches the L2 at `now`.
    fn l2_path(&mut self, tile: u32, addr: u64, now: u64) -> u64 {
        if self.l2[tile as usize].access(addr, true) {
            return self.l2_latency;
        }
        let line = addr >> self.line_shift;
        let home = (line % u64::from(self.tiles)) as u32;
        let mc = self.controller_tile[self.hbm.channel_of(addr) as usize];
        let there = self.hops(tile, home) + self.hops(home, mc);
        let at_controller = now + self.l2_latency + there * self.hop;
        let line_bytes = 1u32 << self.line_shift;
        let done = self
            .hbm
            .access(line << self.line_shift, line_bytes, false, at_controller);
        done + there * self.hop - now
    }

    /// Extra cycles before an instruction at `pc` can issue (0 on an L1I hit).
    #[inline]
    pub fn fetch(&mut self, core: u32, tile: u32, pc: u64, now: u64) -> u64 {
        if self.l1i[core as usize].access(pc, true) {
            0
        } else {
            self.l2_path(tile, pc, now)
        }
    }

    /// A load: `Ok(())` on an L1D hit, `Err(cycles)` on a miss (until the data is back).
    #[inline]
    pub fn load(&mut self, core: u32, tile: u32, addr: u64, now: u64) -> Result<(), u64> {
        if self.l1d[core as usize].access(addr, true) {
            Ok(())
        } else {
            Err(self.l2_path(tile, addr, now))
        }
    }

    /// A store leaving the store buffer: cycles until the L2 has it (write-through).
    #[inline]
    pub fn store(&mut self, core: u32, tile: u32, addr: u64, now: u64) -> u64 {
        let _ = self.l1d[core as usize].access(addr, false);
        self.l2_path(tile, addr, now)
    }

    /// An AMO / LR / SC performed at the L2: cycles until the result is back.
    #[inline]
    pub fn atomic(&mut self, core: u32, tile: u32, addr: u64, now: u64) -> u64 {
        let _ = self.l1d[core as usize].access(addr, false);
        self.l2_path(tile, addr, now)
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
        let hop = 2; // router_latency 1 + 1 link cycle
                     // An idle channel: latency + one line's transfer at 14.375 GB/s.
        let idle_mem = {
            let mut hbm = Hbm::new(&cfg).unwrap();
            hbm.access(0x8000_0000, 64, false, 1000) - 1000
        };
        assert!(idle_mem >= cfg.ns_to_cycles(100.0), "{idle_mem}");
        let trip = |h: &Hierarchy, tile: u32, addr: u64| {
            let home = ((addr >> 6) % 2) as u32;
            let mc = h.controller_tile[h.hbm.channel_of(addr) as usize];
            2 * (h.hops(tile, home) + h.hops(home, mc)) * hop
        };
        let a = 0x8000_0000;
        let t = trip(&h, 0, a);
        assert_eq!(h.load(0, 0, a, 0), Err(20 + t + idle_mem));
        assert_eq!(h.load(0, 0, a, 100), Ok(()));
        // Tile 1's core misses in its own L1 and L2.
        let t1 = trip(&h, 1, a);
        assert_eq!(h.load(1, 1, a, 10_000), Err(20 + t1 + idle_mem));
        assert_eq!(h.store(1, 1, a, 20_000), 20);
        assert_eq!(h.fetch(0, 0, a, 30_000), 20);
        assert_eq!(h.fetch(0, 0, a + 4, 30_001), 0);
        // Back-to-back misses to one channel queue behind each other.
        let b = 0x8010_0000;
        let first = h.load(0, 0, b, 40_000).unwrap_err();
        let second = h.load(0, 0, b + 64 * 4, 40_000).unwrap_err();
        assert!(second >= first, "{first} {second}");
    }
}
