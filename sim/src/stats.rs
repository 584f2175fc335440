//! Run statistics as one tree with hierarchical names (`tile[1].core[0].thread[3].retired`),
//! saved as JSON next to the resolved configuration.

use crate::cache::hierarchy::{CacheStats, Hierarchy};
use crate::core::pipeline::StateCycles;
use serde::Serialize;
use strand_hw::ChipConfig;

/// Counters of one hart.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HartStats {
    /// Instructions retired.
    pub retired: u64,
    /// Exceptions taken.
    pub exceptions: u64,
    /// Interrupts taken.
    pub interrupts: u64,
    /// Cycles by thread state (running, ready-not-picked, waiting on ..., idle).
    pub cycles: StateCycles,
}

/// Statistics of a whole run.
#[derive(Clone, Debug)]
pub struct RunStats {
    /// Cycles simulated.
    pub cycles: u64,
    /// Per hart, indexed by `mhartid`.
    pub harts: Vec<HartStats>,
    /// L1I and L1D counters per core.
    pub l1: Vec<(CacheStats, CacheStats)>,
    /// L2 counters per tile.
    pub l2: Vec<CacheStats>,
    /// HBM per-channel statistics.
    pub hbm: crate::hbm::HbmReport,
    /// The memory path's NoC messages and link use (per router).
    pub noc: crate::noc::links::LinkReport,
    /// Home-slice directory counters.
    pub directory: crate::cache::uncore::DirectoryStats,
    /// Quantum length of the parallel engine (cycles).
    pub quantum: u64,
    cfg: ChipConfig,
}

#[derive(Serialize)]
struct ThreadNode<'a> {
    hart: u32,
    #[serde(flatten)]
    counters: &'a HartStats,
    ipc: f64,
}

#[derive(Serialize)]
struct CoreNode<'a> {
    retired: u64,
    ipc: f64,
    /// Fraction of cycles in which the core issued an instruction.
    utilization: f64,
    l1i: CacheStats,
    l1d: CacheStats,
    thread: Vec<ThreadNode<'a>>,
}

#[derive(Serialize)]
struct TileNode<'a> {
    retired: u64,
    l2: CacheStats,
    core: Vec<CoreNode<'a>>,
}

#[derive(Serialize)]
struct ChipNode<'a> {
    cycles: u64,
    retired: u64,
    ipc: f64,
    tile: Vec<TileNode<'a>>,
}

impl RunStats {
    /// Collect the statistics of a run of `cfg`.
    pub fn new(cfg: &ChipConfig, cycles: u64, harts: Vec<HartStats>, mem: &Hierarchy) -> RunStats {
        RunStats {
            cycles,
            harts,
            l1: (0..cfg.cores()).map(|c| mem.l1_stats(c)).collect(),
            l2: (0..cfg.tiles()).map(|t| mem.l2_stats(t)).collect(),
            hbm: mem.hbm_report(cycles),
            noc: mem.noc_report(cycles),
            directory: mem.directory_stats(),
            quantum: 0,
            cfg: cfg.clone(),
        }
    }

    /// Fraction of cycles in which core `core` issued (sum of its threads' running cycles).
    pub fn core_utilization(&self, core: u32) -> f64 {
        let t = self.cfg.core.threads as usize;
        let first = core as usize * t;
        let running: u64 = self.harts[first..first + t]
            .iter()
            .map(|h| h.cycles.running)
            .sum();
        if self.cycles == 0 {
            0.0
        } else {
            running as f64 / self.cycles as f64
        }
    }

    /// Instructions retired by every hart.
    pub fn retired(&self) -> u64 {
        self.harts.iter().map(|h| h.retired).sum()
    }

    /// The statistics tree plus the resolved configuration, as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let ipc = |r: u64| {
            if self.cycles == 0 {
                0.0
            } else {
                r as f64 / self.cycles as f64
            }
        };
        let c = &self.cfg;
        let tiles = (0..c.tiles())
            .map(|t| {
                let cores: Vec<CoreNode> = (0..c.tile.cores)
                    .map(|k| {
                        let threads: Vec<ThreadNode> = (0..c.core.threads)
                            .map(|th| {
                                let hart = c.hart_id(t, k, th);
                                let counters = &self.harts[hart as usize];
                                ThreadNode {
                                    hart,
                                    counters,
                                    ipc: ipc(counters.retired),
                                }
                            })
                            .collect();
                        let retired = threads.iter().map(|t| t.counters.retired).sum();
                        let global = t * c.tile.cores + k;
                        let (l1i, l1d) = self.l1[global as usize];
                        CoreNode {
                            retired,
                            ipc: ipc(retired),
                            utilization: self.core_utilization(global),
                            l1i,
                            l1d,
                            thread: threads,
                        }
                    })
                    .collect();
                TileNode {
                    retired: cores.iter().map(|c| c.retired).sum(),
                    l2: self.l2[t as usize],
                    core: cores,
                }
            })
            .collect();
        let chip = ChipNode {
            cycles: self.cycles,
            retired: self.retired(),
            ipc: ipc(self.retired()),
            tile: tiles,
        };
        serde_json::json!({
            "config": self.cfg,
            "chip": chip,
            "hbm": self.hbm,
            "noc": self.noc,
            "directory": self.directory,
            "engine": { "quantum_cycles": self.quantum },
        })
    }
}
