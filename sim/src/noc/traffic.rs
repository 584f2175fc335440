//! Synthetic traffic: open-loop Bernoulli sources with a destination pattern, measured the way
//! Dally & Towles prescribe for open-loop simulation: warm-up, then a measurement window whose
//! packets are tagged, then a drain phase (sources keep injecting) until every tagged packet
//! arrived.
//!
//! ```text
//!   cycle c:  every node: with probability `rate` create a packet (dst from the pattern) at the
//!             tail of its unbounded source queue
//!             every node: move its source queue's head into the NI queue (if not full)
//!             mesh.tick(); drain deliveries
//!   |-- warmup --|------ measure ------|-- drain (<= drain cycles) --|
//!                 packets created here are measured; flits ejected here are the accepted load
//! ```
//!
//! Latency counts from creation, so source queueing is included; accepted throughput counts
//! every flit ejected during the window. All randomness comes from one seeded [`SplitMix64`]
//! drawn in a fixed order: the same seed gives the same report, bit for bit.

use super::analytic;
use super::mesh::Mesh;
use super::packet::Class;
use super::{NocError, NocParams};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use strand_hw::ChipConfig;

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast generator with a 64-bit state that passes
/// BigCrush; enough for traffic generation, and no dependency.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; bias below 2^-32, irrelevant here).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Where a synthetic packet goes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pattern {
    /// Uniformly random over all tiles, the source included (as Dally & Towles and BookSim's
    /// `uniform`; a packet to its own tile makes a 0-hop trip through the router).
    Uniform,
    /// `(x, y) -> (y, x)`. On a non-square mesh the coordinates are scaled:
    /// `(x, y) -> (y * kx / ky, x * ky / kx)` (then it is not a permutation).
    Transpose,
    /// `(x, y) -> (kx - 1 - x, ky - 1 - y)` (bit complement for power-of-two sides).
    BitComplement,
    /// With probability `fraction` to `tile`, otherwise uniformly random.
    Hotspot {
        /// The hot tile.
        tile: u32,
        /// Share of packets sent to it (0..=1).
        fraction: f64,
    },
}

impl Pattern {
    /// Check the pattern against a mesh.
    pub fn validate(&self, p: &NocParams) -> Result<(), NocError> {
        if let Pattern::Hotspot { tile, fraction } = *self {
            if tile >= p.tiles() {
                return Err(NocError::Invalid {
                    field: "hotspot.tile",
                    value: tile.to_string(),
                    why: format!("the mesh has tiles 0..{}", p.tiles()),
                });
            }
            if !(0.0..=1.0).contains(&fraction) {
                return Err(NocError::Invalid {
                    field: "hotspot.fraction",
                    value: fraction.to_string(),
                    why: "must be between 0 and 1".into(),
                });
            }
        }
        Ok(())
    }

    /// The fixed destination of `src` for a permutation-like pattern, `None` for random ones.
    pub fn fixed_destination(&self, p: &NocParams, src: u32) -> Option<u32> {
        let (x, y) = p.coords(src);
        match self {
            Pattern::Transpose => {
                let nx = (u64::from(y) * u64::from(p.x) / u64::from(p.y)) as u32;
                let ny = (u64::from(x) * u64::from(p.y) / u64::from(p.x)) as u32;
                Some(ny * p.x + nx)
            }
            Pattern::BitComplement => Some((p.y - 1 - y) * p.x + (p.x - 1 - x)),
            Pattern::Uniform | Pattern::Hotspot { .. } => None,
        }
    }

    /// Draw the destination of a packet from `src`.
    pub fn destination(&self, p: &NocParams, src: u32, rng: &mut SplitMix64) -> u32 {
        match *self {
            Pattern::Uniform => rng.below(p.tiles()),
            Pattern::Hotspot { tile, fraction } => {
                if rng.next_f64() < fraction {
                    tile
                } else {
                    rng.below(p.tiles())
                }
            }
            _ => self.fixed_destination(p, src).expect("fixed pattern"),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Uniform => write!(f, "uniform"),
            Pattern::Transpose => write!(f, "transpose"),
            Pattern::BitComplement => write!(f, "bitcomp"),
            Pattern::Hotspot { tile, fraction } => write!(f, "hotspot:{tile}:{fraction}"),
        }
    }
}

impl FromStr for Pattern {
    type Err = NocError;

    /// `uniform`, `transpose`, `bitcomp` (or `bit-complement`), `hotspot:TILE:FRACTION`.
    fn from_str(s: &str) -> Result<Pattern, NocError> {
        let bad = || NocError::Invalid {
            field: "pattern",
            value: s.to_string(),
            why:
                "expected uniform, transpose, bitcomp or hotspot:TILE:FRACTION (e.g. hotspot:0:0.2)"
                    .into(),
        };
        match s {
            "uniform" => Ok(Pattern::Uniform),
            "transpose" => Ok(Pattern::Transpose),
            "bitcomp" | "bit-complement" => Ok(Pattern::BitComplement),
            _ => {
                let rest = s.strip_prefix("hotspot:").ok_or_else(bad)?;
                let (t, f) = rest.split_once(':').ok_or_else(bad)?;
                Ok(Pattern::Hotspot {
                    tile: t.parse().map_err(|_| bad())?,
                    fraction: f.parse().map_err(|_| bad())?,
                })
            }
        }
    }
}

/// Everything that defines a synthetic run (besides the mesh).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyntheticParams {
    /// Destination pattern.
    pub pattern: Pattern,
    /// Bernoulli injection rate, packets per node per cycle (0..=1).
    pub rate: f64,
    /// Flits per packet.
    pub packet_flits: u32,
    /// Cycles simulated before measuring.
    pub warmup: u64,
    /// Measurement window in cycles.
    pub measure: u64,
    /// At most this many cycles after the window to wait for the measured packets.
    pub drain: u64,
    /// RNG seed.
    pub seed: u64,
    /// The class network used (all three are identical).
    pub class: Class,
}

impl SyntheticParams {
    /// `cycles` of measurement after `cycles / 4` of warm-up, at most `cycles` of drain, on the
    /// request network.
    pub fn new(pattern: Pattern, rate: f64, packet_flits: u32, cycles: u64, seed: u64) -> Self {
        SyntheticParams {
            pattern,
            rate,
            packet_flits,
            warmup: cycles / 4,
            measure: cycles,
            drain: cycles,
            seed,
            class: Class::Request,
        }
    }
}

/// Result of one synthetic run. Throughputs are in flits per node per cycle.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyntheticReport {
    /// Mesh as `XxY`.
    pub mesh: String,
    /// Router latency (cycles).
    pub router_latency: u32,
    /// Buffer depth (flits).
    pub buffer_flits: u32,
    /// Destination pattern.
    pub pattern: Pattern,
    /// Injection rate asked for, packets per node per cycle.
    pub rate: f64,
    /// Flits per packet.
    pub packet_flits: u32,
    /// Nominal offered load: `rate * packet_flits`.
    pub offered: f64,
    /// Offered load actually generated during the window.
    pub offered_measured: f64,
    /// Accepted throughput: flits ejected during the window per node per cycle.
    pub accepted: f64,
    /// Mean latency of the measured packets that were delivered, from creation (source queueing
    /// included) to the tail in the destination NI.
    pub latency_mean: f64,
    /// Mean network latency of the same packets, from entering the NI queue.
    pub network_latency_mean: f64,
    /// Longest latency among them.
    pub latency_max: u64,
    /// Mean hops among them.
    pub hops_mean: f64,
    /// Packets created during the window.
    pub measured_packets: u64,
    /// Of those, delivered before the drain limit.
    pub delivered_packets: u64,
    /// Some measured packets were still undelivered at the drain limit: the offered load is
    /// beyond saturation and `latency_mean` is a lower bound.
    pub saturated: bool,
    /// Cycles simulated in all.
    pub cycles: u64,
    /// Analytical zero-load latency averaged over the pattern (see [`analytic`]).
    pub zero_load_analytic: f64,
    /// Analytical saturation throughput bound for the pattern (see [`analytic`]).
    pub saturation_analytic: f64,
}

/// Run synthetic traffic on the NoC of `cfg`: `rate` packets/node/cycle of `packet_flits` flits,
/// `cycles` measured after `cycles / 4` of warm-up (see [`SyntheticParams::new`]).
pub fn run_synthetic(
    cfg: &ChipConfig,
    pattern: &Pattern,
    rate: f64,
    packet_flits: u32,
    cycles: u64,
    seed: u64,
) -> Result<SyntheticReport, NocError> {
    run_synthetic_with(
        &NocParams::from_config(cfg),
        &SyntheticParams::new(pattern.clone(), rate, packet_flits, cycles, seed),
    )
}

/// [`run_synthetic`] at each of `rates` (a latency-vs-offered-load curve).
pub fn sweep(
    cfg: &ChipConfig,
    pattern: &Pattern,
    rates: &[f64],
    packet_flits: u32,
    cycles: u64,
    seed: u64,
) -> Result<Vec<SyntheticReport>, NocError> {
    rates
        .iter()
        .map(|&r| run_synthetic(cfg, pattern, r, packet_flits, cycles, seed))
        .collect()
}

/// Injection rates (packets/node/cycle) for a sweep: `steps` points evenly spaced up to 120% of
/// the analytical saturation bound (capped at 1 packet/node/cycle).
pub fn sweep_rates(p: &NocParams, pattern: &Pattern, packet_flits: u32, steps: u32) -> Vec<f64> {
    let sat = analytic::saturation(p, pattern).throughput / f64::from(packet_flits.max(1));
    (1..=steps)
        .map(|i| (1.2 * sat * f64::from(i) / f64::from(steps)).min(1.0))
        .collect()
}

/// [`run_synthetic`] with explicit parameters.
pub fn run_synthetic_with(p: &NocParams, s: &SyntheticParams) -> Result<SyntheticReport, NocError> {
    let mut mesh = Mesh::from_params(*p)?;
    s.pattern.validate(p)?;
    if !(s.rate.is_finite() && (0.0..=1.0).contains(&s.rate)) {
        return Err(NocError::Invalid {
            field: "rate",
            value: s.rate.to_string(),
            why: "a Bernoulli source injects 0..=1 packets per node per cycle".into(),
        });
    }
    if s.packet_flits == 0 || s.measure == 0 {
        return Err(NocError::Invalid {
            field: if s.packet_flits == 0 {
                "packet_flits"
            } else {
                "measure"
            },
            value: "0".into(),
            why: "must be at least 1".into(),
        });
    }
    let n = p.tiles();
    let class = s.class;
    let flits = s.packet_flits;
    let mut rng = SplitMix64::new(s.seed);
    // Source queues: (creation cycle << 16) | destination.
    let mut srcq: Vec<VecDeque<u64>> = vec![VecDeque::new(); n as usize];
    let (w0, w1) = (s.warmup, s.warmup + s.measure);
    let limit = w1 + s.drain;
    let (mut measured, mut delivered) = (0u64, 0u64);
    let (mut lat_sum, mut net_sum, mut hops_sum, mut lat_max) = (0u64, 0u64, 0u64, 0u64);
    let (mut ej0, mut ej1) = (0u64, 0u64);
    loop {
        let cycle = mesh.now();
        if cycle == w0 {
            ej0 = mesh.flits_ejected(class);
        }
        if cycle == w1 {
            ej1 = mesh.flits_ejected(class);
        }
        if cycle >= limit || (cycle >= w1 && delivered == measured) {
            break;
        }
        for (src, q) in srcq.iter_mut().enumerate() {
            if rng.next_f64() < s.rate {
                let dst = s.pattern.destination(p, src as u32, &mut rng);
                q.push_back((cycle << 16) | u64::from(dst));
                if (w0..w1).contains(&cycle) {
                    measured += 1;
                }
            }
        }
        for (src, q) in srcq.iter_mut().enumerate() {
            if let Some(&head) = q.front() {
                let dst = (head & 0xffff) as u32;
                if mesh
                    .inject_flits(src as u32, dst, class, flits, head >> 16)
                    .is_ok()
                {
                    q.pop_front();
                }
            }
        }
        mesh.tick();
        for t in 0..n {
            for d in mesh.drain_delivered(t) {
                let created = d.tag;
                if (w0..w1).contains(&created) {
                    delivered += 1;
                    let lat = d.deliver_cycle - created;
                    lat_sum += lat;
                    lat_max = lat_max.max(lat);
                    net_sum += d.latency();
                    hops_sum += u64::from(d.hops);
                }
            }
        }
    }
    let denom = f64::from(n) * s.measure as f64;
    let mean = |sum: u64| {
        if delivered == 0 {
            0.0
        } else {
            sum as f64 / delivered as f64
        }
    };
    Ok(SyntheticReport {
        mesh: format!("{}x{}", p.x, p.y),
        router_latency: p.router_latency,
        buffer_flits: p.buffer_flits,
        pattern: s.pattern.clone(),
        rate: s.rate,
        packet_flits: flits,
        offered: s.rate * f64::from(flits),
        offered_measured: measured as f64 * f64::from(flits) / denom,
        accepted: ej1.saturating_sub(ej0) as f64 / denom,
        latency_mean: mean(lat_sum),
        network_latency_mean: mean(net_sum),
        latency_max: lat_max,
        hops_mean: mean(hops_sum),
        measured_packets: measured,
        delivered_packets: delivered,
        saturated: delivered < measured,
        cycles: mesh.now(),
        zero_load_analytic: analytic::average_zero_load_latency(p, &s.pattern, flits),
        saturation_analytic: analytic::saturation(p, &s.pattern).throughput,
    })
}
