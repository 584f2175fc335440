//! Run statistics as one tree with hierarchical names (`tile[1].core[0].thread[3].retired`),
//! saved as JSON next to the resolved configuration.

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
}

/// Statistics of a whole run.
#[derive(Clone, Debug)]
pub struct RunStats {
    /// Cycles simulated.
    pub cycles: u64,
    /// Per hart, indexed by `mhartid`.
    pub harts: Vec<HartStats>,
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
    thread: Vec<ThreadNode<'a>>,
}

#[derive(Serialize)]
struct TileNode<'a> {
    retired: u64,
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
    pub fn new(cfg: &ChipConfig, cycles: u64, harts: Vec<HartStats>) -> RunStats {
        RunStats {
            cycles,
            harts,
            cfg: cfg.clone(),
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
                        CoreNode {
                            retired,
                            ipc: ipc(retired),
                            thread: threads,
                        }
                    })
                    .collect();
                TileNode {
                    retired: cores.iter().map(|c| c.retired).sum(),
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
        serde_json::json!({ "config": self.cfg, "chip": chip })
    }
}
