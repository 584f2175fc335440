//! Analytical latency and throughput of exactly the model in [`super::mesh`]; the tests hold the
//! simulator to these numbers (derivations in `docs/noc.md`).
//!
//! Notation: `R` router latency, `B` buffer flits, `F` flits per packet, `H` hops, `kx`, `ky`
//! mesh sides, `lambda` injection rate in flits/node/cycle.
//!
//! **Zero-load latency** (inject at `t`, tail in the destination NI at `t + T0`):
//!
//! ```text
//!   T0 = (H + 1) * (R + 1) + 1 + S(F)
//!        |  H+1 routers, each R cycles + the link (or the ejection channel) after it
//!                              | the injection channel NI -> router
//!                                  S(F) = (F - 1) + floor((F - 1) / B) * max(0, R + 2 - B)
//!                                  serialization; the second term is the credit stall of a
//!                                  packet longer than a buffer when B < R + 2
//! ```
//!
//! **Uniform random average** (destination uniform over all `kx * ky` tiles, source included):
//! `H_avg = (kx^2 - 1) / (3 kx) + (ky^2 - 1) / (3 ky)`, so `T0_avg = (H_avg + 1)(R + 1) + 1 + S(F)`.
//!
//! **Saturation throughput** (Dally & Towles, *Principles and Practices of Interconnection
//! Networks*, 2004, ch. 3: `Theta = b / gamma_max`; ch. 5 for the k-ary n-mesh): with XY routing
//! and uniform traffic the eastward link between columns `i` and `i + 1` carries
//! `lambda * (i + 1)(kx - 1 - i) / kx` (the `i + 1` sources of a row to its left, each sending a
//! fraction `(kx - 1 - i) / kx` of its packets past it), largest in the middle:
//! `gamma_x = floor(kx/2) * ceil(kx/2) / kx` (`kx / 4` for even `kx`); Y links likewise with `ky`.
//! A link carries at most `b = min(1, B / (R + 2))` flits per cycle (a slot is reused once per
//! credit round trip `R + 2`), the injection channel also `b`, the ejection channel 1. So
//!
//! ```text
//!   lambda_sat = min( b / max(gamma_x, gamma_y),  b,  1 )       (4b/k for an even k x k mesh)
//! ```
//!
//! Transpose on a `k x k` mesh loads the last link of row `k - 1` (and the first of column 0)
//! with `k - 1` sources: `lambda_sat = b / (k - 1)`. [`channel_loads`] computes the load of every
//! link exactly for any [`Pattern`], from which [`saturation`] takes the bound.

use super::traffic::Pattern;
use super::NocParams;
use serde::Serialize;

/// Router-to-router hops of the XY route from `src` to `dst`.
pub fn hops(p: &NocParams, src: u32, dst: u32) -> u32 {
    let (sx, sy) = p.coords(src);
    let (dx, dy) = p.coords(dst);
    sx.abs_diff(dx) + sy.abs_diff(dy)
}

/// Serialization of an `F`-flit packet: cycles between its head and tail flits at the
/// destination, `(F - 1) + floor((F - 1) / B) * max(0, R + 2 - B)`.
pub fn serialization(p: &NocParams, flits: u32) -> u64 {
    let f = u64::from(flits.max(1) - 1);
    let b = u64::from(p.buffer_flits);
    let gap = u64::from(p.credit_round_trip()).saturating_sub(b);
    f + (f / b) * gap
}

/// Exact zero-load latency of one `flits`-flit packet from `src` to `dst`:
/// `(H + 1)(R + 1) + 1 + serialization`.
pub fn zero_load_latency(p: &NocParams, src: u32, dst: u32, flits: u32) -> u64 {
    let h = u64::from(hops(p, src, dst));
    (h + 1) * (u64::from(p.router_latency) + 1) + 1 + serialization(p, flits)
}

/// Mean hops under uniform random traffic (destination uniform over all tiles, source
/// included): `(kx^2 - 1) / (3 kx) + (ky^2 - 1) / (3 ky)`.
pub fn average_hops_uniform(p: &NocParams) -> f64 {
    let d = |k: u32| {
        let k = f64::from(k);
        (k * k - 1.0) / (3.0 * k)
    };
    d(p.x) + d(p.y)
}

/// Mean zero-load latency under uniform random traffic.
pub fn zero_load_latency_uniform(p: &NocParams, flits: u32) -> f64 {
    (average_hops_uniform(p) + 1.0) * (f64::from(p.router_latency) + 1.0)
        + 1.0
        + serialization(p, flits) as f64
}

/// Mean zero-load latency of `pattern` (every source equally likely).
pub fn average_zero_load_latency(p: &NocParams, pattern: &Pattern, flits: u32) -> f64 {
    let n = p.tiles();
    let mean_to = |dst: &dyn Fn(u32) -> u32| {
        (0..n)
            .map(|s| zero_load_latency(p, s, dst(s), flits) as f64)
            .sum::<f64>()
            / f64::from(n)
    };
    match *pattern {
        Pattern::Uniform => zero_load_latency_uniform(p, flits),
        Pattern::Hotspot { tile, fraction } => {
            (1.0 - fraction) * zero_load_latency_uniform(p, flits) + fraction * mean_to(&|_| tile)
        }
        _ => mean_to(&|s| pattern.fixed_destination(p, s).expect("fixed pattern")),
    }
}

/// Link bandwidth in flits per cycle under credit flow control: `min(1, B / (R + 2))`.
pub fn channel_bandwidth(p: &NocParams) -> f64 {
    (f64::from(p.buffer_flits) / f64::from(p.credit_round_trip())).min(1.0)
}

/// The load of every channel per unit injection rate (1 flit/node/cycle at every node).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelLoads {
    /// `[tile * 4 + dir]` (dir N, E, S, W): the link leaving `tile` in that direction (0 for
    /// links off the mesh edge).
    pub link: Vec<f64>,
    /// Per tile: its injection channel (NI -> router).
    pub injection: Vec<f64>,
    /// Per tile: its ejection channel (router -> NI).
    pub ejection: Vec<f64>,
}

impl ChannelLoads {
    /// The most loaded router-to-router link (`gamma_max`).
    pub fn max_link(&self) -> f64 {
        self.link.iter().copied().fold(0.0, f64::max)
    }

    /// The most loaded injection channel.
    pub fn max_injection(&self) -> f64 {
        self.injection.iter().copied().fold(0.0, f64::max)
    }

    /// The most loaded ejection channel.
    pub fn max_ejection(&self) -> f64 {
        self.ejection.iter().copied().fold(0.0, f64::max)
    }
}

fn add_path(p: &NocParams, loads: &mut ChannelLoads, src: u32, dst: u32, w: f64) {
    let (mut x, mut y) = p.coords(src);
    let (dx, dy) = p.coords(dst);
    loads.injection[src as usize] += w;
    loads.ejection[dst as usize] += w;
    while x != dx {
        let t = (y * p.x + x) as usize;
        if dx > x {
            loads.link[t * 4 + 1] += w;
            x += 1;
        } else {
            loads.link[t * 4 + 3] += w;
            x -= 1;
        }
    }
    while y != dy {
        let t = (y * p.x + x) as usize;
        if dy > y {
            loads.link[t * 4 + 2] += w;
            y += 1;
        } else {
            loads.link[t * 4] += w;
            y -= 1;
        }
    }
}

fn add_uniform(p: &NocParams, loads: &mut ChannelLoads, w: f64) {
    let (kx, ky) = (f64::from(p.x), f64::from(p.y));
    for t in 0..p.tiles() {
        let (x, y) = p.coords(t);
        let (xf, yf) = (f64::from(x), f64::from(y));
        let t = t as usize;
        loads.injection[t] += w;
        loads.ejection[t] += w;
        // E: sources at columns <= x, destinations at columns > x.
        loads.link[t * 4 + 1] += w * (xf + 1.0) * (kx - 1.0 - xf) / kx;
        // W: sources at columns >= x, destinations at columns < x.
        loads.link[t * 4 + 3] += w * (kx - xf) * xf / kx;
        // S: after the X leg every packet is in its destination column.
        loads.link[t * 4 + 2] += w * (yf + 1.0) * (ky - 1.0 - yf) / ky;
        loads.link[t * 4] += w * (ky - yf) * yf / ky;
    }
}

/// Exact channel loads of `pattern` under XY routing, per unit injection rate.
///
/// # Panics
/// If the pattern names a tile outside the mesh (check with [`Pattern::validate`]).
pub fn channel_loads(p: &NocParams, pattern: &Pattern) -> ChannelLoads {
    let n = p.tiles() as usize;
    let mut loads = ChannelLoads {
        link: vec![0.0; n * 4],
        injection: vec![0.0; n],
        ejection: vec![0.0; n],
    };
    match *pattern {
        Pattern::Uniform => add_uniform(p, &mut loads, 1.0),
        Pattern::Hotspot { tile, fraction } => {
            add_uniform(p, &mut loads, 1.0 - fraction);
            for s in 0..p.tiles() {
                add_path(p, &mut loads, s, tile, fraction);
            }
        }
        _ => {
            for s in 0..p.tiles() {
                let d = pattern.fixed_destination(p, s).expect("fixed pattern");
                add_path(p, &mut loads, s, d, 1.0);
            }
        }
    }
    loads
}

/// Which channel limits the throughput.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// A router-to-router link.
    Link,
    /// A source's injection channel.
    Injection,
    /// A destination's ejection channel.
    Ejection,
}

/// The ideal saturation throughput of a pattern: the injection rate at which the most loaded
/// channel reaches its bandwidth.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SaturationBound {
    /// Flits per node per cycle.
    pub throughput: f64,
    /// The channel that limits it.
    pub bottleneck: Bottleneck,
    /// `gamma_max` of the links per unit injection rate.
    pub max_link_load: f64,
    /// Largest injection-channel load per unit rate.
    pub max_injection_load: f64,
    /// Largest ejection-channel load per unit rate.
    pub max_ejection_load: f64,
    /// Bandwidth of a link and of an injection channel, `min(1, B / (R + 2))`.
    pub channel_bandwidth: f64,
}

/// The saturation throughput bound of `pattern` on this mesh.
pub fn saturation(p: &NocParams, pattern: &Pattern) -> SaturationBound {
    let loads = channel_loads(p, pattern);
    let bw = channel_bandwidth(p);
    let bound = |cap: f64, load: f64| {
        if load > 0.0 {
            cap / load
        } else {
            f64::INFINITY
        }
    };
    let (gl, gi, ge) = (
        loads.max_link(),
        loads.max_injection(),
        loads.max_ejection(),
    );
    let cands = [
        (bound(bw, gl), Bottleneck::Link),
        (bound(bw, gi), Bottleneck::Injection),
        (bound(1.0, ge), Bottleneck::Ejection),
    ];
    // Ties go to the earliest (link, then injection, then ejection).
    let (throughput, bottleneck) =
        cands
            .into_iter()
            .fold((f64::INFINITY, Bottleneck::Link), |a, c| {
                if c.0 < a.0 {
                    c
                } else {
                    a
                }
            });
    SaturationBound {
        throughput,
        bottleneck,
        max_link_load: gl,
        max_injection_load: gi,
        max_ejection_load: ge,
        channel_bandwidth: bw,
    }
}

/// Closed form for uniform traffic:
/// `min(b / max(gamma(kx), gamma(ky)), b, 1)` with `gamma(k) = floor(k/2) ceil(k/2) / k`.
pub fn saturation_uniform(p: &NocParams) -> f64 {
    let g = |k: u32| f64::from((k / 2) * k.div_ceil(2)) / f64::from(k);
    let bw = channel_bandwidth(p);
    let gamma = g(p.x).max(g(p.y));
    let link = if gamma > 0.0 {
        bw / gamma
    } else {
        f64::INFINITY
    };
    link.min(bw).min(1.0)
}

/// Closed form for transpose on a square `k x k` mesh (`k >= 2`): `b / (k - 1)`; `None` for a
/// non-square or 1x1 mesh (use [`saturation`]).
pub fn saturation_transpose(p: &NocParams) -> Option<f64> {
    (p.x == p.y && p.x >= 2).then(|| channel_bandwidth(p) / f64::from(p.x - 1))
}
