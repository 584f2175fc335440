//! Measured against configured: idle latencies and sustained bandwidth of address streams.
//!
//! Every figure comes from running the model: idle latencies from single accesses to an idle
//! channel, bandwidth from streams of 64-byte reads offered faster than the memory can take them
//! (`access` at cycle 0, or `enqueue` every cycle until back-pressure), measured in steady state
//! between the completions of the 10th and 90th percentile requests. `docs/hbm.md` holds the
//! table for `u280`; `cargo test -p strand-sim --release --lib hbm::tests::u280_table --
//! --nocapture` prints it.

use super::banked::local_address;
use super::{Hbm, HbmError, HbmModel, RowOutcome};
use crate::noc::traffic::SplitMix64;
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt::Write;
use strand_hw::params::DRAM_BASE;
use strand_hw::ChipConfig;

/// An address stream starting at `DRAM_BASE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    /// Consecutive lines.
    Sequential,
    /// Every `n`-th byte (wrapping inside DRAM).
    Stride(u64),
    /// Uniformly random lines in DRAM, from a seeded generator.
    Random(u64),
}

/// `n` addresses of `stream`, `line`-aligned, inside a DRAM of `dram_size` bytes.
pub fn addresses(stream: Stream, n: usize, line: u32, dram_size: u64) -> Vec<u64> {
    let line = u64::from(line);
    match stream {
        Stream::Sequential => (0..n as u64).map(|i| DRAM_BASE + i * line).collect(),
        Stream::Stride(s) => (0..n as u64)
            .map(|i| DRAM_BASE + (i * s) % dram_size / line * line)
            .collect(),
        Stream::Random(seed) => {
            let mut rng = SplitMix64::new(seed);
            (0..n)
                .map(|_| DRAM_BASE + rng.next_u64() % (dram_size / line) * line)
                .collect()
        }
    }
}

/// Present every address at cycle 0 through [`Hbm::access`]; the completion cycles, in order.
pub fn run_access(hbm: &mut Hbm, addrs: &[u64], bytes: u32) -> Vec<u64> {
    addrs
        .iter()
        .map(|&a| hbm.access(a, bytes, false, 0))
        .collect()
}

/// Offer the addresses through [`Hbm::enqueue`], each channel's share in order, as many per
/// cycle as each channel accepts, ticking every cycle; the completion cycles.
pub fn run_ticked(hbm: &mut Hbm, addrs: &[u64], bytes: u32) -> Vec<u64> {
    let mut per: Vec<VecDeque<u64>> = vec![VecDeque::new(); hbm.params().channels as usize];
    for &a in addrs {
        per[hbm.channel_of(a) as usize].push_back(a);
    }
    let mut done = Vec::with_capacity(addrs.len());
    let mut now = 0;
    while done.len() < addrs.len() {
        hbm.tick(now);
        done.extend(hbm.drain_completions().map(|c| c.cycle));
        for q in per.iter_mut() {
            while let Some(&a) = q.front() {
                if hbm.enqueue(a, bytes, false, now).is_err() {
                    break;
                }
                q.pop_front();
            }
        }
        now += 1;
    }
    done
}

/// Steady-state bandwidth in GB/s of requests of `bytes` that completed at `completions`: the
/// bytes completing after the 10th percentile request up to the 90th, over that many cycles.
pub fn steady_gbps(completions: &[u64], bytes: u32, clock_mhz: f64) -> f64 {
    let mut c = completions.to_vec();
    c.sort_unstable();
    let (a, b) = (c.len() / 10, c.len() * 9 / 10);
    if b <= a || c[b] == c[a] {
        return 0.0;
    }
    (b - a) as f64 * f64::from(bytes) / (c[b] - c[a]) as f64 * clock_mhz / 1000.0
}

/// One line of the measured-vs-configured table. `configured` is the configured bandwidth for
/// sequential streams, and for strided and random streams the bound
/// [`HbmParams::activate_bound_gbps`](super::HbmParams::activate_bound_gbps) (which is the
/// configured bandwidth for the fixed model).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// What was measured.
    pub what: String,
    /// The configured or analytical value (`None` where there is none to compare with).
    pub configured: Option<f64>,
    /// The value the model produced.
    pub measured: f64,
    /// Unit of both.
    pub unit: &'static str,
}

fn row(what: impl Into<String>, configured: Option<f64>, measured: f64, unit: &'static str) -> Row {
    Row {
        what: what.into(),
        configured,
        measured,
        unit,
    }
}

/// Requests per channel in each bandwidth stream.
pub const PER_CHANNEL: usize = 2000;

/// Measure `cfg`'s HBM: idle latency and streams, for its own model and (if it is `fixed`) for
/// the `banked` model with the same parameters.
pub fn measure(cfg: &ChipConfig) -> Result<Vec<Row>, HbmError> {
    let mut rows = Vec::new();
    let mut banked = cfg.clone();
    banked.memory.model = HbmModel::Banked;
    for c in [cfg, &banked] {
        let hbm = Hbm::new(c)?;
        let p = hbm.params().clone();
        let m = match p.model {
            HbmModel::Fixed => "fixed",
            HbmModel::Banked => "banked",
        };
        let line = 64;
        let n = PER_CHANNEL * p.channels as usize;
        // Idle latencies on channel 0.
        let mut h = hbm.clone();
        let at = |bank, row| {
            let b = &p.banked;
            h_addr(&hbm, local_address(b.banks, b.row_bytes, bank, row))
        };
        let t0 = 1_000;
        let first = h.access(at(0, 0), line, false, t0) - t0;
        match p.model {
            HbmModel::Fixed => rows.push(row(
                format!("{m}: idle latency, 64 B read"),
                Some(p.idle_latency(line, None) as f64),
                first as f64,
                "cycles",
            )),
            HbmModel::Banked => {
                let t1 = 2_000;
                let hit = h.access(at(0, 0) + 64, line, false, t1) - t1;
                let t2 = 3_000;
                let conflict = h.access(at(0, 1), line, false, t2) - t2;
                for (what, o, v) in [
                    ("row empty", RowOutcome::Empty, first),
                    ("row hit", RowOutcome::Hit, hit),
                    ("row conflict", RowOutcome::Conflict, conflict),
                ] {
                    rows.push(row(
                        format!("{m}: idle latency, 64 B read, {what}"),
                        Some(p.idle_latency(line, Some(o)) as f64),
                        v as f64,
                        "cycles",
                    ));
                }
            }
        }
        // One channel saturated.
        let one: Vec<u64> = (0..PER_CHANNEL as u64)
            .map(|i| hbm.map().address(0, i * u64::from(line)))
            .collect();
        let mut h = hbm.clone();
        let done = run_access(&mut h, &one, line);
        rows.push(row(
            format!("{m}: one channel, sequential 64 B reads"),
            Some(p.channel_gbps),
            steady_gbps(&done, line, p.clock_mhz),
            "GB/s",
        ));
        // All channels.
        let streams = [
            ("sequential", Stream::Sequential),
            ("4 KiB stride", Stream::Stride(4096)),
            ("random", Stream::Random(1)),
        ];
        for (name, s) in streams {
            let addrs = addresses(s, n, line, c.memory.dram_size);
            let reference = if name == "sequential" {
                p.total_gbps()
            } else {
                p.activate_bound_gbps(line)
            };
            let mut modes = vec![("access()", false)];
            if p.model == HbmModel::Banked && name != "sequential" {
                modes.push(("enqueue/tick, FR-FCFS", true));
            }
            for (how, ticked) in modes {
                let mut h = hbm.clone();
                let done = if ticked {
                    run_ticked(&mut h, &addrs, line)
                } else {
                    run_access(&mut h, &addrs, line)
                };
                let mut what = format!("{m}: all channels, {name} 64 B reads, {how}");
                if let Some(r) = h.report(1).row_hit_rate {
                    let _ = write!(what, ", row hits {:.0}%", r * 100.0);
                }
                rows.push(row(
                    what,
                    Some(reference),
                    steady_gbps(&done, line, p.clock_mhz),
                    "GB/s",
                ));
            }
        }
        if cfg.memory.model == HbmModel::Banked {
            break;
        }
    }
    Ok(rows)
}

fn h_addr(hbm: &Hbm, local: u64) -> u64 {
    hbm.map().address(0, local)
}

/// The rows as a Markdown table (`configured` is the configured or analytical value).
pub fn table(rows: &[Row]) -> String {
    let mut s =
        String::from("| measurement | configured | measured | unit |\n|---|---:|---:|---|\n");
    for r in rows {
        let conf = r
            .configured
            .map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} | {} |",
            r.what, conf, r.measured, r.unit
        );
    }
    s
}
