//! The memory hierarchy's timing: every tile's caches ([`TileMem`]) and the uncore between
//! them ([`Uncore`]: home slices with MSI directories, the NoC's three networks, HBM).
//!
//! ```text
//!  core ─ L1I ─┐
//!  core ─ L1D ─┼─ tile L2 ── miss / write to a line not owned ──► home(line) ──► memory controller
//!              │  (TileMem, one per tile,                         (Uncore: directory, NoC links,
//!                  simulated in parallel)                          HBM; resolved in request order)
//! ```
//!
//! During a quantum each tile works alone: its accesses that need the home become requests
//! with [`PENDING`] latency. At the quantum's end [`Hierarchy::resolve_quantum`] serves every
//! tile's requests in `(cycle, tile, order)` order, so the result does not depend on how the
//! tiles were spread over host threads. The pipeline talks to both through [`MemPort`]: a tile
//! during the quantum, the whole hierarchy (answers at once) in the quantum's serial part.
//!
//! Functional data lives in [`crate::mem::Dram`]; these tags only decide latencies.

use super::tile::{ReqKind, Request, TileMem, Waiter, PENDING};
use super::uncore::{DirectoryStats, Uncore};
use super::Tags;
use crate::core::pipeline::{MemPort, Place};
use crate::hbm::HbmReport;
use crate::noc::links::LinkReport;
use serde::Serialize;
use strand_hw::memmap::DRAM_BASE;
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

/// Tag arrays of every cache and the uncore between them.
pub struct Hierarchy {
    /// One per tile, in tile order.
    pub tiles: Vec<TileMem>,
    /// Home slices, NoC links, HBM.
    pub uncore: Uncore,
    cores_per_tile: u32,
    order: Vec<(u64, u32, u32)>,
}

impl Hierarchy {
    /// Empty caches for every core and tile of `cfg`.
    pub fn new(cfg: &ChipConfig) -> Hierarchy {
        Hierarchy {
            tiles: (0..cfg.tiles()).map(|t| TileMem::new(cfg, t)).collect(),
            uncore: Uncore::new(cfg),
            cores_per_tile: cfg.tile.cores,
            order: Vec::new(),
        }
    }

    /// Serve every tile's requests of the quantum ending at `end`, in `(cycle, tile, order)`
    /// order, and tell each waiter when its answer arrives.
    pub fn resolve_quantum(&mut self, end: u64, mut answer: impl FnMut(Waiter, u64)) {
        self.order.clear();
        for (t, tile) in self.tiles.iter().enumerate() {
            for (i, r) in tile.requests.iter().enumerate() {
                self.order.push((r.cycle, t as u32, i as u32));
            }
        }
        self.order.sort_unstable();
        for k in 0..self.order.len() {
            let (_, t, i) = self.order[k];
            let req = self.tiles[t as usize].requests[i as usize];
            let done = self.serve(&req);
            self.tiles[t as usize].answered(i, done);
            debug_assert!(
                done >= end,
                "an answer inside its own quantum: {req:?} {done} < {end}"
            );
            answer(req.waiter, done.max(end));
        }
        for tile in &mut self.tiles {
            tile.next_quantum(end);
        }
    }

    /// Per-channel HBM statistics after `cycles` cycles.
    pub fn hbm_report(&self, cycles: u64) -> HbmReport {
        self.uncore.hbm_report(cycles)
    }

    /// NoC statistics of the memory path after `cycles` cycles.
    pub fn noc_report(&self, cycles: u64) -> LinkReport {
        self.uncore.noc_report(cycles)
    }

    /// Directory statistics.
    pub fn directory_stats(&self) -> DirectoryStats {
        self.uncore.directory_stats()
    }

    /// Counters of core `core`'s L1I and L1D.
    pub fn l1_stats(&self, core: u32) -> (CacheStats, CacheStats) {
        let t = &self.tiles[(core / self.cores_per_tile) as usize];
        let c = (core % self.cores_per_tile) as usize;
        (CacheStats::of(&t.l1i[c]), CacheStats::of(&t.l1d[c]))
    }

    /// Counters of tile `tile`'s L2.
    pub fn l2_stats(&self, tile: u32) -> CacheStats {
        CacheStats::of(&self.tiles[tile as usize].l2)
    }

    /// The answer to a request the tile just made, served at once (the serial part of a
    /// quantum, where nothing else is in flight).
    fn now(&mut self, tile: u32, lat: u64, now: u64) -> u64 {
        if lat != PENDING {
            return lat;
        }
        let req = *self.tiles[tile as usize]
            .requests
            .last()
            .expect("a pending access made a request");
        let done = self.serve(&req);
        self.tiles[tile as usize].served_now(done);
        done - now
    }

    /// The cycle `req`'s answer arrives: its leader's answer for a merge, else the uncore's.
    fn serve(&mut self, req: &Request) -> u64 {
        match req.kind {
            ReqKind::Merge(n) => {
                let leader = self.tiles[req.tile as usize].answer_of(n);
                debug_assert_ne!(leader, PENDING, "a leader is served before its merges");
                leader.max(req.cycle)
            }
            _ => self.uncore.resolve(req, &mut self.tiles),
        }
    }
}

impl MemPort for TileMem {
    #[inline]
    fn fetch(&mut self, at: Place, pc: u64, now: u64) -> u64 {
        TileMem::fetch(self, at.core, pc, now, at.hart)
    }
    #[inline]
    fn load(&mut self, at: Place, addr: u64, now: u64, rd: u8) -> Option<u64> {
        TileMem::load(self, at.core, addr, now, at.hart, rd)
    }
    #[inline]
    fn store(&mut self, at: Place, addr: u64, now: u64, seq: u32) -> u64 {
        TileMem::store(self, at.core, addr, now, at.hart, seq)
    }
    fn atomic(&mut self, _at: Place, _addr: u64, _now: u64) -> u64 {
        // Atomics are performed in the quantum's serial part (through `Hierarchy`).
        debug_assert!(false, "an atomic reached a tile during the parallel part");
        self.l2_latency()
    }
}

/// Devices (everything below DRAM) are reached through the tile's host-bridge port, uncached.
#[inline]
fn is_device(addr: u64) -> bool {
    addr < DRAM_BASE
}

impl MemPort for Hierarchy {
    fn fetch(&mut self, at: Place, pc: u64, now: u64) -> u64 {
        let lat = self.tiles[at.tile as usize].fetch(at.core, pc, now, at.hart);
        self.now(at.tile, lat, now)
    }
    fn load(&mut self, at: Place, addr: u64, now: u64, rd: u8) -> Option<u64> {
        if is_device(addr) {
            return Some(self.tiles[at.tile as usize].l2_latency());
        }
        let lat = self.tiles[at.tile as usize].load(at.core, addr, now, at.hart, rd)?;
        Some(self.now(at.tile, lat, now))
    }
    fn store(&mut self, at: Place, addr: u64, now: u64, seq: u32) -> u64 {
        if is_device(addr) {
            return self.tiles[at.tile as usize].l2_latency();
        }
        let lat = self.tiles[at.tile as usize].store(at.core, addr, now, at.hart, seq);
        self.now(at.tile, lat, now)
    }
    fn atomic(&mut self, at: Place, addr: u64, now: u64) -> u64 {
        self.uncore
            .atomic(at.tile, at.core, addr, now, &mut self.tiles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::tile::WaitOn;
    use crate::hbm::Hbm;

    fn place(hart: u32, tile: u32) -> Place {
        Place {
            hart,
            core: tile,
            tile,
        }
    }

    #[test]
    fn latencies_compose() {
        let cfg = ChipConfig::preset("tiny").unwrap(); // 2x1 mesh, 500 MHz, 100 ns HBM
        let mut h = Hierarchy::new(&cfg);
        let idle_mem = {
            let mut hbm = Hbm::new(&cfg).unwrap();
            hbm.access(0x8000_0000, 64, false, 1000) - 1000
        };
        assert!(idle_mem >= cfg.ns_to_cycles(100.0), "{idle_mem}");
        let a = 0x8000_0000; // line 0: home tile 0
                             // Served at once (the serial path): L2 tag check, directory, memory, data back.
        let first = h.load(place(0, 0), a, 0, 5).unwrap();
        assert!(first >= 20 + 2 + idle_mem, "{first}");
        assert_eq!(h.load(place(0, 0), a, first + 1, 5), None, "L1D hit");
        // The other tile reads the same line: a second sharer, from memory again.
        let other = h.load(place(4, 1), a, 10_000, 5).unwrap();
        assert!(other > 20 + idle_mem, "{other}");
        // Tile 1 writes it: an upgrade that invalidates tile 0's copy.
        let st = h.store(place(4, 1), a, 20_000, 0);
        assert!(st < other, "an upgrade needs no data: {st} vs {other}");
        assert_eq!(
            h.store(place(4, 1), a, 30_000, 1),
            20,
            "owned: the L2 takes it"
        );
        assert!(
            h.load(place(0, 0), a, 40_000, 5).is_some(),
            "tile 0 lost its copies"
        );
        let d = h.directory_stats();
        assert_eq!((d.gets, d.getm, d.upgrades, d.forwards), (3, 1, 1, 1));
        assert!(d.invalidations >= 1);
    }

    #[test]
    fn parallel_requests_are_answered_at_the_quantum_end_in_request_order() {
        let cfg = ChipConfig::preset("u280").unwrap(); // 4 cores x 4 threads per tile
        let mut h = Hierarchy::new(&cfg);
        let q = h.uncore.min_latency();
        let a = 0x8000_0040;
        assert_eq!(h.tiles[1].load(4, a, 5, 64, 7), Some(PENDING));
        assert_eq!(h.tiles[0].load(0, a, 3, 0, 9), Some(PENDING));
        // Another core of tile 0 reads the line in flight: it merges.
        assert_eq!(h.tiles[0].load(1, a + 8, 4, 4, 9), Some(PENDING));
        assert_eq!(h.tiles[0].requests.len(), 2);
        let mut got = Vec::new();
        h.resolve_quantum(q, |w, done| got.push((w, done)));
        assert_eq!(got.len(), 3);
        // Tile 0's request (cycle 3) first, then its merge, then tile 1's.
        assert_eq!(got[0].0.hart, 0);
        assert_eq!(
            got[1].0,
            Waiter {
                hart: 4,
                on: WaitOn::Load(9)
            }
        );
        assert_eq!(got[1].1, got[0].1, "a merge takes its leader's answer");
        assert_eq!(got[2].0.hart, 64);
        assert!(got.iter().all(|&(_, d)| d >= q));
        assert!(h.tiles[0].requests.is_empty(), "a new quantum starts empty");
    }
}
