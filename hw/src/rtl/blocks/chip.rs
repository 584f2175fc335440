//! The chip top: the mesh of tiles on three physical networks (request, forward, response), the
//! memory front end (HBM hash + one AXI4 master per channel), the CLINT and the MMIO bridge to
//! the host, and [`generate`], which `strand rtl` writes out.
//!
//! ```text
//!        x →                               ┌──────────────┐   m<c>_axi_* (one AXI4 master
//!   y  tile_0_0 ═ tile_0_1 ═ ...           │ memfront     │──► per HBM pseudo-channel)
//!   ↓     ║          ║     (3 links per    │ hash + AXI   │
//!      tile_1_0 ═ tile_1_1    neighbour    └──────▲───────┘
//!         ...                 pair)               │ mem_req (round-robin over the home slices)
//!                                                 │
//!   tiles' mmio ─► round-robin ─► mmio_bridge ─┬─► clint (msip/mtip to every tile)
//!                                              └─► host_req_* / host_resp_* (finisher, UART, virtio)
//! ```
//!
//! Mesh links: tile `(x, y)`'s `out_e_<class>_*` drive `(x+1, y)`'s `in_w_<class>_*` and the
//! reverse, likewise `out_s`/`in_n`; ports at the mesh edge are tied off (no valid, no credit).
//! The memory controllers sit logically at the edge tiles in the simulator
//! (`hbm::controller_tile`); in this RTL the home slices reach the front end point to point
//! (one request at a time per cycle, round-robin), and the AXI masters are placed by the FPGA
//! floorplan, next to their HBM ports.

use super::arbiter::{arbiter, ArbiterParams};
use super::clint::{clint, ClintParams};
use super::host_bridge::mmio_bridge;
use super::memctrl::{axi_signals, memfront, MemParams};
use super::router::RouterParams;
use super::tile::{config_params, fit, sanitize, tile, CLASSES};
use super::OrTree;
use crate::rtl::names::{self, port, Io, Side};
use crate::rtl::{cat, clog2, lit, zeros, Design, Expr, ModRef, RtlError};
use crate::ChipConfig;

/// The chip top's module name.
pub fn chip_name(cfg: &ChipConfig) -> String {
    format!("chip_{}", sanitize(&cfg.name))
}

/// The memory front end of the chip: ids name the requesting tile.
pub fn chip_mem_params(cfg: &ChipConfig) -> MemParams {
    let tidb = clog2(u64::from(cfg.tiles())).max(1);
    MemParams {
        id_bits: tidb,
        ..MemParams::from_config(cfg)
    }
}

/// Builds (or reuses) the chip top of `cfg` (and everything under it).
pub fn chip(d: &mut Design, cfg: &ChipConfig) -> Result<ModRef, RtlError> {
    chip_with(d, cfg, false)
}

/// The chip top with every core's commit record, late register writes and divider results as
/// outputs `trace<k>_<port>` (core `k` = tile * cores + core, its harts `k * T ..`): the
/// module `chip_<config>_trace` that `strand-cosim --chip` runs.
pub fn chip_traced(d: &mut Design, cfg: &ChipConfig) -> Result<ModRef, RtlError> {
    chip_with(d, cfg, true)
}

fn chip_with(d: &mut Design, cfg: &ChipConfig, trace: bool) -> Result<ModRef, RtlError> {
    let t = tile(d, cfg)?;
    let trace_ports: Vec<(String, u32)> = t
        .ports()
        .into_iter()
        .filter(|p| {
            (p.name.starts_with("trace") || p.name.starts_with("dbg_"))
                && p.dir == crate::rtl::module::PortDir::Output
        })
        .map(|p| (p.name, p.width))
        .collect();
    let mp = chip_mem_params(cfg);
    let mem = memfront(d, &mp)?;
    let cl = clint(
        d,
        &ClintParams {
            harts: cfg.harts(),
            clock_hz: (cfg.clock_mhz * 1e6).round() as u64,
        },
    )?;
    let hart_bits = clog2(u64::from(cfg.harts())).max(1);
    let tiles = cfg.tiles();
    let tidb = clog2(u64::from(tiles)).max(1);
    let cb = clog2(u64::from(cfg.tile.cores)).max(1);
    let mid = cb + clog2(u64::from(cfg.core.threads)).max(1); // a tile's MMIO id: {core, tid}
    let br = mmio_bridge(d, tidb + mid)?;
    let tarb = if tiles >= 2 {
        Some(RrTree::new(d, tiles)?)
    } else {
        None
    };
    let rp = RouterParams::from_config(cfg);
    let (xd, yd) = (cfg.mesh.x, cfg.mesh.y);
    let w = rp.flit_bits;
    let per_tile = cfg.tile.cores * cfg.core.threads;
    let line_bits = cfg.tile.l2.line * 8;
    let name = if trace {
        format!("{}_trace", chip_name(cfg))
    } else {
        chip_name(cfg)
    };
    let cores = cfg.tile.cores;
    d.build(&name, module_path!(), config_params(cfg), |m| {
        m.doc("Chip top: mesh of tiles (3 networks), memory front end with one AXI4 master per");
        m.doc("HBM channel, CLINT, MMIO bridge to the host (see hw/src/rtl/blocks/tile.rs).");
        let reset_pc = m.input("reset_pc", 64);
        let dtb = m.input("dtb", 64);
        let clint_i = m.instance("clint", &cl);
        let mut ts = Vec::new();
        for y in 0..yd {
            for x in 0..xd {
                let u = m.instance(&names::tile(y, x), &t);
                let k = y * xd + x;
                m.assign(&u.port("my_x"), lit(rp.xb, u128::from(x)));
                m.assign(&u.port("my_y"), lit(rp.yb, u128::from(y)));
                m.assign(
                    &u.port("hart_base"),
                    lit(hart_bits, u128::from(k * per_tile)),
                );
                m.assign(&u.port("reset_pc"), &reset_pc);
                m.assign(&u.port("dtb"), &dtb);
                m.assign(&u.port("mtime"), clint_i.port("mtime"));
                for (p, _) in &trace_ports {
                    let inner = u.port(p);
                    if trace && p.starts_with("dbg_") {
                        m.output_from(&format!("dbg{k}_{}", &p["dbg_".len()..]), &inner);
                    } else if trace {
                        // trace<c>_<port> → trace<k * cores + c>_<port>
                        let rest = &p["trace".len()..];
                        let (c, port) = rest.split_once('_').expect("trace<c>_<port>");
                        let c: u32 = c.parse().expect("core index");
                        m.output_from(&format!("trace{}_{port}", k * cores + c), &inner);
                    } else {
                        m.allow_unused(&inner);
                    }
                }
                m.assign(
                    &u.port("msip"),
                    clint_i
                        .port("msip")
                        .slice((k + 1) * per_tile - 1, k * per_tile),
                );
                m.assign(
                    &u.port("mtip"),
                    clint_i
                        .port("mtip")
                        .slice((k + 1) * per_tile - 1, k * per_tile),
                );
                ts.push(u);
            }
        }
        // Mesh links (a one-tile chip has no routers).
        let yd = if tiles > 1 { yd } else { 0 };
        let fields = [
            ("valid", 1),
            ("head", 1),
            ("tail", 1),
            ("data", w),
            ("credit", 1),
        ];
        for y in 0..yd {
            for x in 0..xd {
                let u = &ts[(y * xd + x) as usize];
                for (side, nb) in [
                    (Side::N, (y > 0).then(|| (x, y - 1))),
                    (Side::E, (x + 1 < xd).then(|| (x + 1, y))),
                    (Side::S, (y + 1 < yd).then(|| (x, y + 1))),
                    (Side::W, (x > 0).then(|| (x - 1, y))),
                ] {
                    let opposite = match side {
                        Side::N => Side::S,
                        Side::E => Side::W,
                        Side::S => Side::N,
                        _ => Side::E,
                    };
                    for class in CLASSES {
                        for (f, fw) in fields {
                            let name = format!("{class}_{f}");
                            let inp = u.port(&port(Io::In, side, &name));
                            let out = u.port(&port(Io::Out, side, &name));
                            match nb {
                                Some((nx, ny)) => {
                                    let v = &ts[(ny * xd + nx) as usize];
                                    m.assign(&inp, v.port(&port(Io::Out, opposite, &name)));
                                }
                                None => {
                                    m.assign(&inp, zeros(fw));
                                    m.allow_unused(&out);
                                }
                            }
                        }
                    }
                }
            }
        }
        // MMIO: round-robin over the tiles, then the bridge.
        let bi = m.instance("mmio", &br);
        let tgrant: Expr = match &tarb {
            Some(a) => {
                let reqs: Vec<Expr> = ts.iter().map(|u| u.port("mmio_req_valid").expr()).collect();
                a.grant(m, "mmio_arb", &reqs, &bi.port("req_ready").expr())
            }
            None => lit(1, 1),
        };
        let pick = |ts: &[crate::rtl::Inst], g: &Expr, field: &str, wd: u32| -> Expr {
            ts.iter()
                .enumerate()
                .map(|(k, u)| g.bit(k as u32).repeat(wd) & u.port(field))
                .or_tree()
                .expect("tiles")
        };
        let index = super::onehot_index;
        m.assign(
            &bi.port("req_valid"),
            ts.iter()
                .map(|u| u.port("mmio_req_valid").expr())
                .or_tree()
                .expect("tiles"),
        );
        m.assign(
            &bi.port("req_write"),
            pick(&ts, &tgrant, "mmio_req_write", 1),
        );
        m.assign(
            &bi.port("req_addr"),
            pick(&ts, &tgrant, "mmio_req_addr", 32),
        );
        m.assign(
            &bi.port("req_wdata"),
            pick(&ts, &tgrant, "mmio_req_wdata", 64),
        );
        m.assign(&bi.port("req_size"), pick(&ts, &tgrant, "mmio_req_size", 2));
        m.assign(
            &bi.port("req_id"),
            cat([
                index(&tgrant, tiles, tidb),
                pick(&ts, &tgrant, "mmio_req_id", mid),
            ]),
        );
        for f in ["valid", "write", "addr", "wdata", "size"] {
            m.assign(
                &clint_i.port(&format!("req_{f}")),
                bi.port(&format!("clint_req_{f}")),
            );
        }
        m.assign(&bi.port("clint_resp_valid"), clint_i.port("resp_valid"));
        m.assign(&bi.port("clint_resp_data"), clint_i.port("resp_data"));
        for (f, wd, out) in [
            ("req_valid", 1, true),
            ("req_ready", 1, false),
            ("req_write", 1, true),
            ("req_addr", 32, true),
            ("req_wdata", 64, true),
            ("req_size", 2, true),
            ("resp_valid", 1, false),
            ("resp_data", 64, false),
        ] {
            let inner = bi.port(&format!("host_{f}"));
            if out {
                m.output_from(&format!("host_{f}"), &inner);
            } else {
                let i = m.input(&format!("host_{f}"), wd);
                m.assign(&inner, &i);
            }
        }
        m.output_from(
            "host_mmio_err",
            &bi.port("resp_valid") & bi.port("resp_err"),
        );
        let rid = bi.port("resp_id");
        for (k, u) in ts.iter().enumerate() {
            m.assign(
                &u.port("mmio_req_ready"),
                &bi.port("req_ready") & tgrant.bit(k as u32),
            );
            let mine = if tiles == 1 {
                lit(1, 1)
            } else {
                rid.slice(tidb + mid - 1, mid).eq(lit(tidb, k as u128))
            };
            m.assign(&u.port("mmio_resp_valid"), &bi.port("resp_valid") & mine);
            m.assign(&u.port("mmio_resp_data"), bi.port("resp_data"));
            m.assign(&u.port("mmio_resp_id"), rid.slice(mid - 1, 0));
        }
        if tiles == 1 {
            m.allow_unused(&rid);
        }
        // Memory: round-robin over the home slices, then the front end.
        let mi = m.instance("mem", &mem);
        let mgrant: Expr = match &tarb {
            Some(a) => {
                let reqs: Vec<Expr> = ts.iter().map(|u| u.port("mem_req_valid").expr()).collect();
                a.grant(m, "mem_arb", &reqs, &mi.port("req_ready").expr())
            }
            None => lit(1, 1),
        };
        m.assign(
            &mi.port("req_valid"),
            ts.iter()
                .map(|u| u.port("mem_req_valid").expr())
                .or_tree()
                .expect("tiles"),
        );
        m.assign(
            &mi.port("req_write"),
            pick(&ts, &mgrant, "mem_req_write", 1),
        );
        m.assign(
            &mi.port("req_addr"),
            pick(&ts, &mgrant, "mem_req_addr", mp.pa_bits),
        );
        m.assign(
            &mi.port("req_wdata"),
            pick(&ts, &mgrant, "mem_req_wdata", line_bits),
        );
        m.assign(&mi.port("req_id"), index(&mgrant, tiles, tidb));
        let mrid = mi.port("resp_id");
        let mut readies = Vec::new();
        for (k, u) in ts.iter().enumerate() {
            m.assign(
                &u.port("mem_req_ready"),
                &mi.port("req_ready") & mgrant.bit(k as u32),
            );
            let mine = if tiles == 1 {
                lit(1, 1)
            } else {
                mrid.eq(lit(tidb, k as u128))
            };
            m.assign(&u.port("mem_resp_valid"), &mi.port("resp_valid") & &mine);
            m.assign(&u.port("mem_resp_data"), mi.port("resp_rdata"));
            readies.push(mine & u.port("mem_resp_ready"));
        }
        if tiles == 1 {
            m.allow_unused(&mrid);
        }
        m.allow_unused(&mi.port("resp_write"));
        m.assign(
            &mi.port("resp_ready"),
            readies.into_iter().or_tree().expect("tiles"),
        );
        for c in 0..mp.channels {
            for (n, wd, out) in axi_signals(&mp) {
                let name = format!("m{c}_axi_{n}");
                if out {
                    m.output_from(&name, mi.port(&name));
                } else {
                    let i = m.input(&name, wd);
                    m.assign(&mi.port(&name), &i);
                }
            }
        }
        let _ = fit;
        Ok(())
    })
}

/// The complete design of `cfg` (header: `strand rtl --preset <preset> --out <out>`, with the
/// resolved configuration's hash) and its top.
pub fn generate(cfg: &ChipConfig, preset: &str, out: &str) -> Result<(Design, ModRef), RtlError> {
    cfg.validate().map_err(|e| RtlError::Param {
        generator: module_path!().into(),
        why: e.to_string(),
    })?;
    let mut d = Design::for_preset(preset, out);
    d.set_config(&cfg.to_toml_string());
    let top = chip(&mut d, cfg)?;
    Ok((d, top))
}

/// What `strand rtl` writes: every module file (`<module>.v`) and `filelist.f` (the module
/// files in compile order, children first).
pub fn rtl_files(
    cfg: &ChipConfig,
    preset: &str,
    out: &str,
) -> Result<Vec<(String, String)>, RtlError> {
    let (d, _) = generate(cfg, preset, out)?;
    Ok(d.files()
        .into_iter()
        .map(|(n, t)| {
            if n == "files.f" {
                ("filelist.f".to_string(), t)
            } else {
                (n, t)
            }
        })
        .collect())
}

/// Round-robin arbitration over any number of requesters: `arbiter_rr_n<k>` for up to 64, a
/// two-level tree (groups of 64, then round-robin over the groups) above that.
pub(crate) struct RrTree {
    groups: Vec<(u32, Option<ModRef>)>,
    top: Option<ModRef>,
}

impl RrTree {
    /// The arbiters for `n` requesters (built in `d`).
    pub(crate) fn new(d: &mut Design, n: u32) -> Result<RrTree, RtlError> {
        let mut groups = Vec::new();
        let mut left = n;
        while left > 0 {
            let len = left.min(64);
            let a = if len >= 2 {
                Some(arbiter(d, &ArbiterParams { n: len })?)
            } else {
                None
            };
            groups.push((len, a));
            left -= len;
        }
        let top = if groups.len() >= 2 {
            Some(arbiter(
                d,
                &ArbiterParams {
                    n: groups.len() as u32,
                },
            )?)
        } else {
            None
        };
        Ok(RrTree { groups, top })
    }

    /// Instantiates the tree as `<name>_*` over `reqs` (one bit each, requester 0 first); a grant
    /// moves the priority when `ready`. Returns the one-hot grant (`reqs.len()` bits).
    pub(crate) fn grant(
        &self,
        m: &mut crate::rtl::ModuleBuilder,
        name: &str,
        reqs: &[Expr],
        ready: &Expr,
    ) -> Expr {
        let mut start = 0usize;
        let mut leaf = Vec::new();
        for (k, (len, a)) in self.groups.iter().enumerate() {
            let part = &reqs[start..start + *len as usize];
            start += *len as usize;
            let valid = part.iter().cloned().or_tree().expect("a requester");
            let u = a.as_ref().map(|a| m.instance(&format!("{name}_g{k}"), a));
            leaf.push((part.to_vec(), valid, u));
        }
        let top: Expr = match &self.top {
            Some(t) => {
                let u = m.instance(&format!("{name}_top"), t);
                m.assign(
                    &u.port("req"),
                    cat(leaf.iter().rev().map(|(_, v, _)| v.clone())),
                );
                m.assign(&u.port("ack"), ready & u.port("grant_valid"));
                m.allow_unused(&u.port("grant_idx"));
                u.port("grant").expr()
            }
            None => lit(1, 1),
        };
        let mut bits = Vec::new();
        for (k, (part, _, u)) in leaf.iter().enumerate() {
            let mine = top.bit(k as u32);
            let g: Expr = match u {
                Some(u) => {
                    m.assign(&u.port("req"), cat(part.iter().rev().cloned()));
                    m.assign(&u.port("ack"), ready & &mine & u.port("grant_valid"));
                    m.allow_unused(&u.port("grant_idx"));
                    u.port("grant").expr()
                }
                None => part[0].clone(),
            };
            bits.push(g & mine.repeat(part.len() as u32));
        }
        bits.reverse();
        cat(bits)
    }
}
