//! Per-channel counters and the derived report (`hbm.channel[3].utilization`, ...), saved as JSON.

use super::HbmModel;
use serde::Serialize;

/// Raw counters of one channel since construction or the last `reset_stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelStats {
    /// Requests issued to the DRAM (decided).
    pub requests: u64,
    /// Of which reads.
    pub reads: u64,
    /// Of which writes.
    pub writes: u64,
    /// Bytes requested by reads.
    pub bytes_read: u64,
    /// Bytes requested by writes.
    pub bytes_written: u64,
    /// Bytes moved on the data bus (requested bytes rounded up to whole bursts when banked).
    pub bus_bytes: u64,
    /// Sum over requests of (decision cycle - requested cycle).
    pub queue_delay_total: u64,
    /// Sum over requests of (completion - requested cycle).
    pub latency_total: u64,
    /// Largest (completion - requested cycle).
    pub latency_max: u64,
    /// Cycles `access` requests waited for a queue slot (included in the delays above).
    pub backpressure_cycles: u64,
    /// `enqueue` calls refused because the queue was full.
    pub rejected: u64,
    /// Row hits (banked model).
    pub row_hits: u64,
    /// Accesses to a closed bank (banked model).
    pub row_empty: u64,
    /// Accesses that had to close another row (banked model).
    pub row_conflicts: u64,
    /// Latest completion cycle of any request.
    pub last_completion: u64,
}

/// One channel's counters plus the derived figures, for a run of `cycles` cycles.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelReport {
    /// Channel index.
    pub channel: u32,
    /// Tile whose mesh node holds its controller.
    pub tile: u32,
    /// The raw counters.
    #[serde(flatten)]
    pub counters: ChannelStats,
    /// Cycles the data bus was busy (`bus_bytes / bytes per cycle`).
    pub busy_cycles: f64,
    /// `(bytes_read + bytes_written) / (cycles * bytes per cycle)`.
    pub utilization: f64,
    /// Mean cycles between a request being presented and being issued to the DRAM.
    pub mean_queue_delay: f64,
    /// Mean cycles between a request being presented and completing.
    pub mean_latency: f64,
    /// `row_hits / requests` (banked model only).
    pub row_hit_rate: Option<f64>,
}

/// The whole HBM subsystem's statistics: the `hbm` node of the stats tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HbmReport {
    /// Timing model.
    pub model: HbmModel,
    /// Number of channels.
    pub channels: u32,
    /// Cycles the figures are computed over.
    pub cycles: u64,
    /// Core clock in MHz.
    pub clock_mhz: f64,
    /// Configured bandwidth of all channels, GB/s.
    pub configured_gbps: f64,
    /// Bytes requested over `cycles`, in GB/s.
    pub measured_gbps: f64,
    /// `measured_gbps / configured_gbps`.
    pub utilization: f64,
    /// Requests over all channels.
    pub requests: u64,
    /// Mean latency over all channels.
    pub mean_latency: f64,
    /// Mean queueing delay over all channels.
    pub mean_queue_delay: f64,
    /// Row hit rate over all channels (banked model only).
    pub row_hit_rate: Option<f64>,
    /// Per channel, `hbm.channel[i]`.
    pub channel: Vec<ChannelReport>,
}

/// `a / b`, 0 when `b` is 0.
pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

impl ChannelReport {
    /// Derive the figures of `counters` over `cycles` cycles at `bytes_per_cycle`.
    pub fn new(
        channel: u32,
        tile: u32,
        counters: ChannelStats,
        cycles: u64,
        bytes_per_cycle: f64,
        model: HbmModel,
    ) -> ChannelReport {
        let c = &counters;
        let n = c.requests as f64;
        ChannelReport {
            channel,
            tile,
            busy_cycles: c.bus_bytes as f64 / bytes_per_cycle,
            utilization: ratio(
                (c.bytes_read + c.bytes_written) as f64,
                cycles as f64 * bytes_per_cycle,
            ),
            mean_queue_delay: ratio(c.queue_delay_total as f64, n),
            mean_latency: ratio(c.latency_total as f64, n),
            row_hit_rate: (model == HbmModel::Banked).then(|| ratio(c.row_hits as f64, n)),
            counters,
        }
    }
}
