//! HBM: one memory controller per pseudo-channel, standalone, deterministic and fast.
//!
//! Physical addresses are hashed over the channels ([`ChannelMap`]); each channel has a memory
//! controller at a mesh edge tile ([`controller_tile`]) with a bounded request queue, a timing
//! model chosen by `memory.model` ([`HbmModel`]) and a data bus that moves
//! `memory.hbm_channel_gbps` GB/s. See `docs/hbm.md` for the derivations and measured numbers.
//!
//! ```text
//!   access(addr, bytes, write, now) -> completion cycle         (zsim style: commits at once)
//!   enqueue(...) -> Ok(id) | Err(Backpressure); tick(now); drain_completions()   (cycle level)
//!          |
//!          v
//!   ChannelMap::channel(addr) --- XOR-fold of the granule index (addr >> log2 interleave_bytes)
//!          |
//!   +------+----------------- one controller per channel, at controller_tile(channel) --------+
//!   |  queue (<= queue_depth requests, accepted .. completed)                                |
//!   |    [r0 r1 r2 ...] --pick (FCFS | FR-FCFS)--> timing model --data_ready--> data bus -----+--> completion
//!   |                         at decision time T      fixed:  T                 bytes / (GB/s  |    = ceil(bus end)
//!   |                                                 banked: ACT/PRE/RD on      / clock)     |      + tail
//!   |                                                         the bank's row     per request  |
//!   +----------------------------------------------------------------------------------------+
//! ```
//!
//! | file | concern |
//! |---|---|
//! | `mod.rs` | [`HbmParams`] (the configuration in cycles), [`HbmError`], [`Backpressure`] |
//! | [`hash`] | [`ChannelMap`]: address to (channel, channel-local address) and back |
//! | [`placement`] | [`controller_tile`]: which edge tile holds each channel's controller |
//! | [`timing`] | the [`ChannelTiming`] contract and the `fixed` model |
//! | [`banked`] | the open-row `banked` model with FR-FCFS |
//! | `channel` | one controller: queue, scheduler loop, data bus, statistics |
//! | [`controller`] | [`Hbm`]: every channel behind one `access` / `enqueue` / `tick` interface |
//! | [`stats`] | [`ChannelStats`], [`HbmReport`]: per-channel counters, utilization, row hit rate |
//! | [`report`] | measured-vs-configured table (idle latency, sustained bandwidth) |

pub mod banked;
mod channel;
pub mod controller;
pub mod hash;
pub mod placement;
pub mod report;
pub mod stats;
pub mod timing;

#[cfg(test)]
mod tests;

pub use controller::{Completion, Hbm};
pub use hash::ChannelMap;
pub use placement::{controller_tile, controller_tiles, edge_tiles};
pub use stats::{ChannelReport, ChannelStats, HbmReport};
pub use strand_hw::params::HbmModel;
pub use timing::{ChannelTiming, Issued, Request, RowOutcome};

use serde::Serialize;
use strand_hw::{ChipConfig, ConfigError};
use thiserror::Error;

/// Everything that can be wrong when building the HBM model.
#[derive(Debug, Error, PartialEq)]
pub enum HbmError {
    /// The chip configuration failed [`ChipConfig::validate`].
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The configured bandwidth cannot be represented exactly at this clock.
    #[error("memory.hbm_channel_gbps = {gbps} at clock_mhz = {mhz} gives bytes/cycle {num}/{den}, which is not a usable fraction; give the bandwidth in steps of 1e-6 GB/s and the clock in steps of 1 kHz")]
    Bandwidth {
        /// Configured GB/s per channel.
        gbps: f64,
        /// Configured clock.
        mhz: f64,
        /// Numerator of bytes per cycle.
        num: u128,
        /// Denominator of bytes per cycle.
        den: u128,
    },
}

/// The channel's queue is full: the request was not accepted. Tick and try again.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("HBM channel {channel} queue is full ({depth} requests); tick the memory and retry")]
pub struct Backpressure {
    /// Channel whose controller refused the request.
    pub channel: u32,
    /// Its queue depth (`memory.queue_depth`).
    pub depth: u32,
}

/// The banked model's table converted to cycles (each entry rounded up on its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BankedCycles {
    /// Banks per channel.
    pub banks: u32,
    /// Row size in bytes.
    pub row_bytes: u32,
    /// Burst size in bytes.
    pub burst_bytes: u32,
    /// tRCD in cycles.
    pub rcd: u64,
    /// tRP in cycles.
    pub rp: u64,
    /// tCL in cycles.
    pub cl: u64,
    /// tRAS in cycles.
    pub ras: u64,
    /// tRRD in cycles.
    pub rrd: u64,
    /// tFAW in cycles.
    pub faw: u64,
}

/// The HBM part of a [`ChipConfig`] in the units the model works in (cycles, bytes/cycle as an
/// exact fraction).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HbmParams {
    /// Timing model of every channel.
    pub model: HbmModel,
    /// Number of channels (power of two).
    pub channels: u32,
    /// Interleave granule in bytes (power of two).
    pub interleave_bytes: u32,
    /// Requests a controller holds from acceptance to completion.
    pub queue_depth: u32,
    /// Core clock in MHz.
    pub clock_mhz: f64,
    /// Configured GB/s per channel.
    pub channel_gbps: f64,
    /// `ceil(hbm_latency_ns * clock_mhz / 1000)`: idle latency before serialization.
    pub latency_cycles: u64,
    /// Bytes per cycle of one channel's data bus is `bw_num / bw_den` (reduced fraction of
    /// `round(GB/s * 1e6) / round(MHz * 1e3)`).
    pub bw_num: u64,
    /// See [`HbmParams::bw_num`].
    pub bw_den: u64,
    /// The banked table in cycles (used when `model` is `Banked`).
    pub banked: BankedCycles,
    /// Mesh columns (for [`controller_tile`]).
    pub mesh_x: u32,
    /// Mesh rows (for [`controller_tile`]).
    pub mesh_y: u32,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl HbmParams {
    /// Validate `cfg` and convert its HBM parameters: latencies with [`ChipConfig::ns_to_cycles`]
    /// (round up), bandwidth to an exact bytes-per-cycle fraction.
    pub fn from_config(cfg: &ChipConfig) -> Result<HbmParams, HbmError> {
        cfg.validate()?;
        let m = &cfg.memory;
        let num = (m.hbm_channel_gbps * 1e6).round() as u128;
        let den = (cfg.clock_mhz * 1e3).round() as u128;
        let g = gcd(num, den).max(1);
        let (n, d) = (num / g, den / g);
        if n == 0 || d == 0 || n > u64::MAX.into() || d > u64::MAX.into() {
            return Err(HbmError::Bandwidth {
                gbps: m.hbm_channel_gbps,
                mhz: cfg.clock_mhz,
                num: n,
                den: d,
            });
        }
        let b = &m.banked;
        Ok(HbmParams {
            model: m.model,
            channels: m.hbm_channels,
            interleave_bytes: m.interleave_bytes,
            queue_depth: m.queue_depth,
            clock_mhz: cfg.clock_mhz,
            channel_gbps: m.hbm_channel_gbps,
            latency_cycles: cfg.ns_to_cycles(m.hbm_latency_ns),
            bw_num: n as u64,
            bw_den: d as u64,
            banked: BankedCycles {
                banks: b.banks,
                row_bytes: b.row_bytes,
                burst_bytes: b.burst_bytes,
                rcd: cfg.ns_to_cycles(b.t_rcd_ns),
                rp: cfg.ns_to_cycles(b.t_rp_ns),
                cl: cfg.ns_to_cycles(b.t_cl_ns),
                ras: cfg.ns_to_cycles(b.t_ras_ns),
                rrd: cfg.ns_to_cycles(b.t_rrd_ns),
                faw: cfg.ns_to_cycles(b.t_faw_ns),
            },
            mesh_x: cfg.mesh.x,
            mesh_y: cfg.mesh.y,
        })
    }

    /// Bytes one channel's data bus moves per cycle (`GB/s * 1000 / MHz`).
    pub fn bytes_per_cycle(&self) -> f64 {
        self.bw_num as f64 / self.bw_den as f64
    }

    /// Bytes a request of `bytes` moves on the bus: all of them (fixed) or whole bursts (banked).
    pub fn transfer_bytes(&self, bytes: u32) -> u64 {
        match self.model {
            HbmModel::Fixed => u64::from(bytes),
            HbmModel::Banked => {
                u64::from(bytes).div_ceil(u64::from(self.banked.burst_bytes))
                    * u64::from(self.banked.burst_bytes)
            }
        }
    }

    /// Cycles the data bus is busy with a request of `bytes` (a fraction).
    pub fn transfer_cycles(&self, bytes: u32) -> f64 {
        self.transfer_bytes(bytes) as f64 * self.bw_den as f64 / self.bw_num as f64
    }

    /// Cycles from the end of the data burst to completion: the part of the idle latency the
    /// model does not account for itself. Fixed: `latency_cycles`; banked:
    /// `latency_cycles - (tRCD + tCL)` (0 if the rounded table exceeds the latency).
    pub fn tail_cycles(&self) -> u64 {
        match self.model {
            HbmModel::Fixed => self.latency_cycles,
            HbmModel::Banked => self
                .latency_cycles
                .saturating_sub(self.banked.rcd + self.banked.cl),
        }
    }

    /// Analytical latency of one request of `bytes` to an idle channel (no queueing, bus free):
    ///
    /// ```text
    ///   fixed:            L + ceil(bytes * den / num)
    ///   banked, empty:    tail + tRCD + tCL + ceil(xfer)      (= L + ceil(xfer) when L >= tRCD+tCL)
    ///   banked, hit:      tail + tCL + ceil(xfer)
    ///   banked, conflict: tail + tRP + tRCD + tCL + ceil(xfer)  (tRAS since the ACT elapsed)
    /// ```
    /// where `xfer = transfer_bytes(bytes) * den / num` cycles and `L = latency_cycles`.
    pub fn idle_latency(&self, bytes: u32, row: Option<RowOutcome>) -> u64 {
        let xfer = (u128::from(self.transfer_bytes(bytes)) * u128::from(self.bw_den))
            .div_ceil(u128::from(self.bw_num)) as u64;
        let b = &self.banked;
        let array = match (self.model, row) {
            (HbmModel::Fixed, _) => 0,
            (HbmModel::Banked, Some(RowOutcome::Hit)) => b.cl,
            (HbmModel::Banked, Some(RowOutcome::Conflict)) => b.rp + b.rcd + b.cl,
            (HbmModel::Banked, _) => b.rcd + b.cl,
        };
        self.tail_cycles() + array + xfer
    }

    /// Smallest queue depth that lets a channel reach its peak bandwidth with requests of
    /// `bytes` (Little's law: requests in flight = (idle latency) / (transfer time)).
    pub fn depth_for_peak(&self, bytes: u32) -> u64 {
        let lat = self.idle_latency(bytes, None) as f64;
        (lat / self.transfer_cycles(bytes)).ceil() as u64 + 1
    }

    /// Bandwidth bound of all channels, in GB/s, for requests of `bytes` that each need their
    /// own ACT (no row hits): the bus, or (banked) at most 4 ACTs per tFAW and 1 per tRRD.
    pub fn activate_bound_gbps(&self, bytes: u32) -> f64 {
        let bus = self.bytes_per_cycle();
        let per_cycle = match self.model {
            HbmModel::Fixed => bus,
            HbmModel::Banked => {
                let b = &self.banked;
                let faw = 4.0 * f64::from(bytes) / b.faw.max(1) as f64;
                let rrd = f64::from(bytes) / b.rrd.max(1) as f64;
                bus.min(faw).min(rrd)
            }
        };
        per_cycle * self.clock_mhz / 1000.0 * f64::from(self.channels)
    }

    /// Total configured bandwidth of all channels in GB/s.
    pub fn total_gbps(&self) -> f64 {
        self.channel_gbps * f64::from(self.channels)
    }
}

impl TryFrom<&ChipConfig> for HbmParams {
    type Error = HbmError;
    fn try_from(cfg: &ChipConfig) -> Result<HbmParams, HbmError> {
        HbmParams::from_config(cfg)
    }
}
