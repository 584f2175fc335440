//! Measured against analytical: the validation table of `docs/noc.md` and a speed measurement.
//!
//! For each mesh and router latency, [`validate`] measures
//! - the zero-load latency of single packets between **every** (src, dst) pair, which must equal
//!   [`analytic::zero_load_latency`] exactly;
//! - the mean latency of uniform random traffic at a very low load (1% of saturation), to compare
//!   with [`analytic::zero_load_latency_uniform`];
//! - the accepted throughput of uniform random traffic offered well beyond saturation, to compare
//!   with [`analytic::saturation_uniform`];
//! - the same for hotspot traffic (20% of packets to the centre tile), whose single bottleneck
//!   channel checks the bound itself without head-of-line blocking in the way.

use super::analytic;
use super::mesh::Mesh;
use super::packet::Class;
use super::traffic::{run_synthetic_with, Pattern, SyntheticParams, SyntheticReport};
use super::{NocError, NocParams};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Instant;

/// Send one packet at a time between every (src, dst) pair of an idle mesh and compare its
/// latency with [`analytic::zero_load_latency`]. Returns the number of pairs checked, or the
/// first mismatch.
pub fn check_zero_load_all_pairs(p: &NocParams, flits: u32) -> Result<u64, String> {
    let mut mesh = Mesh::from_params(*p).map_err(|e| e.to_string())?;
    let n = p.tiles();
    for src in 0..n {
        for dst in 0..n {
            let t0 = mesh.now();
            mesh.inject_flits(src, dst, Class::Response, flits, 0)
                .map_err(|e| e.to_string())?;
            while !mesh.is_idle() {
                mesh.tick();
            }
            let d: Vec<_> = mesh.drain_delivered(dst).collect();
            let want = analytic::zero_load_latency(p, src, dst, flits);
            if d.len() != 1 || d[0].inject_cycle != t0 || d[0].latency() != want {
                return Err(format!(
                    "{}x{} R={} B={} F={flits}: {src} -> {dst}: delivered {d:?}, analytical latency {want}",
                    p.x, p.y, p.router_latency, p.buffer_flits
                ));
            }
        }
    }
    Ok(u64::from(n) * u64::from(n))
}

/// What [`validate`] runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationOptions {
    /// Flits per packet for the latency measurements.
    pub latency_flits: u32,
    /// Flits per packet for the throughput measurement.
    pub saturation_flits: u32,
    /// Low load as a fraction of the saturation bound.
    pub low_load: f64,
    /// Packets to measure at low load (sets the window length).
    pub low_load_packets: u64,
    /// Offered load of the throughput measurement as a multiple of the saturation bound
    /// (capped at 1 packet/node/cycle).
    pub overload: f64,
    /// Measurement window of the throughput measurement, cycles.
    pub saturation_cycles: u64,
    /// RNG seed.
    pub seed: u64,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            latency_flits: 5,
            saturation_flits: 1,
            low_load: 0.01,
            low_load_packets: 20_000,
            overload: 1.5,
            saturation_cycles: 4_000,
            seed: 1,
        }
    }
}

/// One row of the validation table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationRow {
    /// Mesh as `XxY`.
    pub mesh: String,
    /// Router latency.
    pub router_latency: u32,
    /// Buffer flits.
    pub buffer_flits: u32,
    /// Flits per packet of the latency columns.
    pub latency_flits: u32,
    /// Pairs whose single-packet latency equalled the analytical value (all of them, or
    /// [`validate`] fails).
    pub exact_pairs: u64,
    /// Analytical mean zero-load latency, uniform random.
    pub zero_load_analytic: f64,
    /// Measured mean latency at [`ValidationOptions::low_load`] of saturation.
    pub low_load_measured: f64,
    /// Flits per packet of the throughput columns.
    pub saturation_flits: u32,
    /// Analytical saturation throughput, uniform random, flits/node/cycle.
    pub saturation_analytic: f64,
    /// Offered load of the throughput measurement, flits/node/cycle.
    pub overload_offered: f64,
    /// Measured accepted throughput at that load, flits/node/cycle.
    pub saturation_measured: f64,
    /// The hotspot pattern measured.
    pub hotspot: Pattern,
    /// Its analytical saturation throughput.
    pub hotspot_analytic: f64,
    /// Its measured accepted throughput at [`ValidationOptions::overload`] times that.
    pub hotspot_measured: f64,
}

impl ValidationRow {
    /// Measured low-load latency relative to the analytical zero-load latency, minus 1.
    pub fn latency_error(&self) -> f64 {
        self.low_load_measured / self.zero_load_analytic - 1.0
    }

    /// Measured uniform saturation throughput as a fraction of the analytical bound.
    pub fn saturation_ratio(&self) -> f64 {
        self.saturation_measured / self.saturation_analytic
    }

    /// Measured hotspot saturation throughput as a fraction of the analytical bound.
    pub fn hotspot_ratio(&self) -> f64 {
        self.hotspot_measured / self.hotspot_analytic
    }
}

/// Measure one configuration (see the [module docs](self)).
///
/// # Errors
/// A parameter error, or [`NocError::Invalid`] naming the first pair whose single-packet latency
/// differs from the analytical value.
pub fn validate(p: &NocParams, o: &ValidationOptions) -> Result<ValidationRow, NocError> {
    p.validate()?;
    let exact_pairs =
        check_zero_load_all_pairs(p, o.latency_flits).map_err(|why| NocError::Invalid {
            field: "zero-load latency",
            value: format!("{}x{} R={}", p.x, p.y, p.router_latency),
            why,
        })?;
    let n = f64::from(p.tiles());
    let sat = analytic::saturation_uniform(p);
    let rate = o.low_load * sat / f64::from(o.latency_flits);
    let measure = ((o.low_load_packets as f64 / (rate * n)).ceil() as u64).max(1_000);
    let low = run_synthetic_with(
        p,
        &SyntheticParams {
            warmup: 500,
            drain: 10_000,
            ..SyntheticParams::new(Pattern::Uniform, rate, o.latency_flits, measure, o.seed)
        },
    )?;
    let overload = |pattern: &Pattern, bound: f64| {
        let rate = (o.overload * bound / f64::from(o.saturation_flits)).min(1.0);
        run_synthetic_with(
            p,
            &SyntheticParams {
                warmup: o.saturation_cycles / 2,
                drain: 0,
                ..SyntheticParams::new(
                    pattern.clone(),
                    rate,
                    o.saturation_flits,
                    o.saturation_cycles,
                    o.seed,
                )
            },
        )
    };
    let high = overload(&Pattern::Uniform, sat)?;
    let hotspot = Pattern::Hotspot {
        tile: (p.y / 2) * p.x + p.x / 2,
        fraction: 0.2,
    };
    let hot_bound = analytic::saturation(p, &hotspot).throughput;
    let hot = overload(&hotspot, hot_bound)?;
    Ok(ValidationRow {
        mesh: format!("{}x{}", p.x, p.y),
        router_latency: p.router_latency,
        buffer_flits: p.buffer_flits,
        latency_flits: o.latency_flits,
        exact_pairs,
        zero_load_analytic: analytic::zero_load_latency_uniform(p, o.latency_flits),
        low_load_measured: low.latency_mean,
        saturation_flits: o.saturation_flits,
        saturation_analytic: sat,
        overload_offered: high.offered,
        saturation_measured: high.accepted,
        hotspot,
        hotspot_analytic: hot_bound,
        hotspot_measured: hot.accepted,
    })
}

/// The meshes and router latencies of the table in `docs/noc.md`: 4x4, 8x8 and 16x8 (sketch2k)
/// at router latency 1 and 4, `buffer_flits` flits per buffer.
pub fn standard_configs(buffer_flits: u32) -> Vec<NocParams> {
    let mut v = Vec::new();
    for (x, y) in [(4, 4), (8, 8), (16, 8)] {
        for r in [1, 4] {
            v.push(NocParams::mesh(x, y, r, buffer_flits));
        }
    }
    v
}

/// [`validate`] every configuration.
pub fn validation_table(
    configs: &[NocParams],
    o: &ValidationOptions,
) -> Result<Vec<ValidationRow>, NocError> {
    configs.iter().map(|p| validate(p, o)).collect()
}

/// The table as Markdown.
pub fn render_markdown(rows: &[ValidationRow]) -> String {
    let mut s = String::new();
    s.push_str("| mesh | R | B | single packets exact | T0 uniform: analytical | measured (1% load) | error | uniform saturation: bound | offered | accepted | accepted / bound | hotspot 20%: bound | accepted | accepted / bound |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} / {} pairs (F={}) | {:.2} | {:.2} | {:+.2}% | {:.3} | {:.3} | {:.3} | {:.1}% | {:.4} | {:.4} | {:.1}% |",
            r.mesh,
            r.router_latency,
            r.buffer_flits,
            r.exact_pairs,
            r.exact_pairs,
            r.latency_flits,
            r.zero_load_analytic,
            r.low_load_measured,
            100.0 * r.latency_error(),
            r.saturation_analytic,
            r.overload_offered,
            r.saturation_measured,
            100.0 * r.saturation_ratio(),
            r.hotspot_analytic,
            r.hotspot_measured,
            100.0 * r.hotspot_ratio()
        );
    }
    s
}

/// A latency-vs-offered-load curve ([`super::sweep`]) as Markdown: one row per rate.
pub fn render_sweep(reports: &[SyntheticReport]) -> String {
    let mut s = String::new();
    s.push_str("| offered (flits/node/cycle) | accepted | latency mean | network latency | max | saturated |\n");
    s.push_str("|---|---|---|---|---|---|\n");
    for r in reports {
        let _ = writeln!(
            s,
            "| {:.4} | {:.4} | {:.2} | {:.2} | {} | {} |",
            r.offered,
            r.accepted,
            r.latency_mean,
            r.network_latency_mean,
            r.latency_max,
            if r.saturated { "yes" } else { "no" }
        );
    }
    s
}

/// Simulation speed of one synthetic run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpeedReport {
    /// Mesh as `XxY`.
    pub mesh: String,
    /// Offered load, flits/node/cycle.
    pub offered: f64,
    /// Accepted load, flits/node/cycle.
    pub accepted: f64,
    /// Cycles simulated.
    pub cycles: u64,
    /// Wall-clock seconds (traffic generation included).
    pub seconds: f64,
    /// Simulated cycles per second.
    pub cycles_per_second: f64,
    /// Flits delivered per second of wall clock.
    pub flits_per_second: f64,
}

/// Time a uniform random run of `cycles` measured cycles at `rate` packets/node/cycle.
pub fn measure_speed(
    p: &NocParams,
    rate: f64,
    packet_flits: u32,
    cycles: u64,
    seed: u64,
) -> Result<SpeedReport, NocError> {
    let s = SyntheticParams {
        warmup: 0,
        drain: 0,
        ..SyntheticParams::new(Pattern::Uniform, rate, packet_flits, cycles, seed)
    };
    let start = Instant::now();
    let r = run_synthetic_with(p, &s)?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(SpeedReport {
        mesh: r.mesh,
        offered: r.offered,
        accepted: r.accepted,
        cycles: r.cycles,
        seconds,
        cycles_per_second: r.cycles as f64 / seconds,
        flits_per_second: r.accepted * f64::from(p.tiles()) * r.cycles as f64 / seconds,
    })
}
