//! NoC statistics: flits forwarded per router output port, per-link utilization and latency per
//! message class, as one serde-serializable tree ([`NocStats`]).
//!
//! Counters cover the cycles since the mesh was built or since `Mesh::reset_stats` (to leave
//! out a warm-up). Latency is the network latency of [`super::Delivered::latency`]: from
//! acceptance into the NI queue to the tail flit in the destination NI.

use super::packet::{Class, Port};
use serde::Serialize;

/// Latencies below this many cycles get their own histogram bucket; longer ones are counted in
/// [`LatencyStats::overflow`].
pub const HISTOGRAM_BUCKETS: usize = 1024;

/// Running counters of one message class (hot path: one `record` per delivered packet).
#[derive(Clone, Debug)]
pub(crate) struct ClassCounters {
    pub packets_injected: u64,
    pub packets_delivered: u64,
    pub flits_injected: u64,
    pub flits_ejected: u64,
    pub latency_sum: u64,
    pub latency_min: u64,
    pub latency_max: u64,
    pub hops_sum: u64,
    pub histogram: Vec<u64>,
    pub overflow: u64,
}

impl Default for ClassCounters {
    fn default() -> Self {
        ClassCounters {
            packets_injected: 0,
            packets_delivered: 0,
            flits_injected: 0,
            flits_ejected: 0,
            latency_sum: 0,
            latency_min: u64::MAX,
            latency_max: 0,
            hops_sum: 0,
            histogram: vec![0; HISTOGRAM_BUCKETS],
            overflow: 0,
        }
    }
}

impl ClassCounters {
    #[inline]
    pub fn record(&mut self, latency: u64, hops: u32) {
        self.packets_delivered += 1;
        self.latency_sum += latency;
        self.latency_min = self.latency_min.min(latency);
        self.latency_max = self.latency_max.max(latency);
        self.hops_sum += u64::from(hops);
        match self.histogram.get_mut(latency as usize) {
            Some(b) => *b += 1,
            None => self.overflow += 1,
        }
    }

    pub fn snapshot(&self, class: Class) -> ClassStats {
        let n = self.packets_delivered;
        let last = self
            .histogram
            .iter()
            .rposition(|&c| c != 0)
            .map_or(0, |i| i + 1);
        ClassStats {
            class,
            packets_injected: self.packets_injected,
            packets_delivered: n,
            flits_injected: self.flits_injected,
            flits_delivered: self.flits_ejected,
            mean_hops: if n == 0 {
                0.0
            } else {
                self.hops_sum as f64 / n as f64
            },
            latency: LatencyStats {
                count: n,
                mean: if n == 0 {
                    0.0
                } else {
                    self.latency_sum as f64 / n as f64
                },
                min: if n == 0 { 0 } else { self.latency_min },
                max: self.latency_max,
                histogram: self.histogram[..last].to_vec(),
                overflow: self.overflow,
            },
        }
    }
}

/// Latency distribution of one class, in cycles.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyStats {
    /// Packets delivered.
    pub count: u64,
    /// Mean latency (0 when no packet was delivered).
    pub mean: f64,
    /// Shortest latency.
    pub min: u64,
    /// Longest latency.
    pub max: u64,
    /// `histogram[i]`: packets with a latency of exactly `i` cycles (trimmed after the last
    /// non-zero bucket; at most [`HISTOGRAM_BUCKETS`] long).
    pub histogram: Vec<u64>,
    /// Packets with a latency of [`HISTOGRAM_BUCKETS`] cycles or more.
    pub overflow: u64,
}

impl LatencyStats {
    /// The smallest latency `l` such that at least `q` (0..=1) of the packets took `l` cycles or
    /// less; `None` if it lies in the overflow bucket or nothing was delivered.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let target = (q.clamp(0.0, 1.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (l, &c) in self.histogram.iter().enumerate() {
            seen += c;
            if seen >= target {
                return Some(l as u64);
            }
        }
        None
    }
}

/// Counters of one message class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassStats {
    /// The class.
    pub class: Class,
    /// Packets accepted by `inject`.
    pub packets_injected: u64,
    /// Packets delivered to their destination NI.
    pub packets_delivered: u64,
    /// Flits sent from the NIs into their routers.
    pub flits_injected: u64,
    /// Flits taken off the routers' local output ports.
    pub flits_delivered: u64,
    /// Mean hops of the delivered packets.
    pub mean_hops: f64,
    /// Network latency of the delivered packets.
    pub latency: LatencyStats,
}

/// Flits forwarded through each output port of one router, for one class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PortCounts {
    /// To the north neighbour.
    pub n: u64,
    /// To the east neighbour.
    pub e: u64,
    /// To the south neighbour.
    pub s: u64,
    /// To the west neighbour.
    pub w: u64,
    /// To the local NI (ejected).
    pub l: u64,
}

impl PortCounts {
    pub(crate) fn from_slice(c: &[u64]) -> PortCounts {
        PortCounts {
            n: c[Port::N.index()],
            e: c[Port::E.index()],
            s: c[Port::S.index()],
            w: c[Port::W.index()],
            l: c[Port::L.index()],
        }
    }

    /// Sum over all five ports.
    pub fn total(&self) -> u64 {
        self.n + self.e + self.s + self.w + self.l
    }
}

/// One router's forwarded-flit counters (`tile[t].noc.request.e` in the chip's stats tree).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouterStats {
    /// Tile id.
    pub tile: u32,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Request network.
    pub request: PortCounts,
    /// Forward/invalidate network.
    pub forward: PortCounts,
    /// Response network.
    pub response: PortCounts,
}

/// One directed router-to-router link of one class network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkStats {
    /// The class network.
    pub class: Class,
    /// Sending tile.
    pub from: u32,
    /// Receiving tile.
    pub to: u32,
    /// Output port of `from` the link leaves by.
    pub dir: Port,
    /// Flits carried.
    pub flits: u64,
    /// `flits / cycles` (a link carries at most one flit per cycle).
    pub utilization: f64,
}

/// Statistics of a mesh since it was built or its stats were last reset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NocStats {
    /// Cycles covered.
    pub cycles: u64,
    /// Per class, in [`Class::ALL`] order.
    pub classes: Vec<ClassStats>,
    /// Per router, by tile id.
    pub routers: Vec<RouterStats>,
    /// Every directed router-to-router link of every class.
    pub links: Vec<LinkStats>,
    /// The highest link utilization (the bottleneck channel).
    pub max_link_utilization: f64,
}
