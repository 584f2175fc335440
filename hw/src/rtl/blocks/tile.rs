//! The tile: cores, their L1I/L1D arrays, the tile L2 arrays, the memory sequencer
//! (`tile_seq.rs`) and, in a mesh, one router per message class (request, forward, response)
//! and the home slice's directory arrays.
//!
//! ```text
//!   hart_base, reset_pc, dtb, mtime, msip, mtip        trace<c>_* (commit records, late writes)
//!              │                                                ▲
//!   ┌──────────▼──────────────────────────────────────────────────┴─┐
//!   │ core 0..C-1 (hw/src/rtl/core: per-thread fetch/data lanes)    │
//!   └───────┬───────────────────────────────────▲──────────────────┘
//!           │ if_req, d_req (+ d_fault, decided │ if_rsp, d_rsp, st_ack
//!           ▼   from the address map)           │
//!   ┌──────────────────── memory sequencer (tile_seq.rs) ───────────┐
//!   │ fetch slot + data FIFO per thread ─► round-robin ─► one op:   │──► mmio_req/resp (to the
//!   │ L1I/L1D READ/FILL/WRITE/INVAL, L2 READ/FILL/WRITE/SETMETA     │    chip's MMIO bridge)
//!   └──────────────────────────────┬────────────────────────────────┘
//!                                  │ mem_req/resp: line reads, dirty write-backs (to the
//!                                  ▼ chip's memory front end)
//!   mesh only: routers R/F/P, directory: each line read is announced to its home (address
//!   only), the directory records it and forwards to the previous owner (address only)
//! ```
//!
//! **What runs**: within a tile everything (cores, caches, write-backs, atomics, LR/SC, device
//! accesses): a one-tile chip runs programs (`strand-cosim --chip`). **What does not yet**:
//! coherence between tiles. Each tile's line port goes to memory directly, and the routers
//! and directory only carry and record address-only messages (so `strand fit` counts them
//! and the NoC is exercised), without invalidations or data; programs that share written data
//! across tiles are therefore not correct on a multi-tile chip yet. L2 banking
//! (`tile.l2_banks`) is not modelled: one bank.

use super::cache::{cache, CacheParams};
use super::directory::{directory, DirParams};
use super::router::{router, RouterParams, SIDES};
use super::OrTree;
use super::{home, tile_noc, tile_seq};
use crate::rtl::names::{port, Io};
use crate::rtl::{
    clog2, fnv1a64, lit, zeros, Design, Expr, ModRef, Params, RamStyle, RtlError, Sig,
};
use crate::ChipConfig;

/// The three message classes (physical networks), in index order, with their port prefixes.
pub const CLASSES: [&str; 3] = ["req", "fwd", "rsp"];

/// The module name of a configuration's tile.
pub fn tile_name(cfg: &ChipConfig) -> String {
    format!("tile_of_{}", sanitize(&cfg.name))
}

/// `name` with every character that is not `[A-Za-z0-9_]` replaced by `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The parameters of the tile (and chip) modules: the resolved configuration's hash.
pub fn config_params(cfg: &ChipConfig) -> Params {
    Params::new().with("config", &cfg.name).with(
        "hash",
        format!("{:016x}", fnv1a64(cfg.to_toml_string().as_bytes())),
    )
}

/// The L1 arrays of a configuration.
pub fn l1_params(cfg: &ChipConfig, data: bool) -> CacheParams {
    let c = if data { &cfg.core.l1d } else { &cfg.core.l1i };
    CacheParams {
        kind: if data { "l1d" } else { "l1i" },
        size: c.size,
        ways: c.ways,
        line: c.line,
        pa_bits: super::pa_bits(cfg),
        meta_bits: 0,
        tag_ram: RamStyle::Distributed,
        data_ram: RamStyle::Block,
    }
}

/// The L2 arrays: meta = the dirty bit (the sequencer invalidates the tile's other L1 copies
/// on every write, so no sharer bits are kept).
pub fn l2_params(cfg: &ChipConfig) -> CacheParams {
    let c = &cfg.tile.l2;
    CacheParams {
        kind: "l2",
        size: c.size,
        ways: c.ways,
        line: c.line,
        pa_bits: super::pa_bits(cfg),
        meta_bits: 1,
        tag_ram: RamStyle::Block,
        data_ram: if c.size / u64::from(c.ways) >= 32 * 1024 {
            RamStyle::Ultra
        } else {
            RamStyle::Block
        },
    }
}

/// The directory arrays.
pub fn dir_params(cfg: &ChipConfig) -> DirParams {
    DirParams {
        entries: cfg.home.directory_entries.max(2).next_power_of_two(),
        tiles: cfg.tiles(),
        line: cfg.tile.l2.line,
        pa_bits: super::pa_bits(cfg),
        ram: RamStyle::Block,
    }
}

/// `e` zero-extended or truncated to `w` bits.
pub(crate) fn fit(e: Expr, w: u32) -> Expr {
    let have = e.width();
    if have == w {
        e
    } else if have < w {
        e.zext(w)
    } else {
        e.trunc(w)
    }
}

/// The core outputs a tile exposes as `trace<c>_<port>` (the commit record, late register
/// writes and the divider's results: what co-simulation compares).
pub fn is_trace_port(name: &str) -> bool {
    let base = match name.strip_prefix('g') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .strip_prefix('_')
            .unwrap_or(name),
        _ => name,
    };
    base.starts_with("c_") || base.starts_with("lw_") || base.starts_with("dw_")
}

/// Builds (or reuses) the tile of `cfg` with its cores (`hw/src/rtl/core/`).
pub fn tile(d: &mut Design, cfg: &ChipConfig) -> Result<ModRef, RtlError> {
    let core = crate::rtl::core::core(d, &crate::rtl::core::CoreParams::from_config(cfg))?;
    tile_with_core(d, cfg, &core)
}

/// Builds (or reuses) the tile of `cfg` around `core` (the core module of `cfg`).
pub fn tile_with_core(d: &mut Design, cfg: &ChipConfig, core: &ModRef) -> Result<ModRef, RtlError> {
    let rp = RouterParams::from_config(cfg);
    let tiles = cfg.tiles();
    let noc = tiles > 1;
    if noc && !tiles.is_power_of_two() {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!(
                "{tiles} tiles: the coherence RTL homes line L at tile L mod tiles with the low \
                 line bits, so it needs a power-of-two tile count (mesh.x * mesh.y)"
            ),
        });
    }
    let rtr = if noc { Some(router(d, &rp)?) } else { None };
    let l1p = l1_params(cfg, true);
    let l1i = cache(d, &l1_params(cfg, false))?;
    let l1d = cache(d, &l1p)?;
    let l2p = l2_params(cfg);
    let l2 = cache(d, &l2p)?;
    let dp = dir_params(cfg);
    let dir = if noc { Some(directory(d, &dp)?) } else { None };
    let cores = cfg.tile.cores;
    let t = cfg.core.threads;
    let pa = super::pa_bits(cfg);
    let fw = tile_seq::fifo_width(pa);
    let fifo = super::fifo::fifo(
        d,
        &super::fifo::FifoParams {
            width: fw,
            depth: tile_seq::fifo_depth(cfg),
            ram: RamStyle::Distributed,
        },
    )?;
    let mods = tile_seq::SeqMods {
        l1i,
        l1d,
        l2,
        l1p,
        l2p,
        fifo,
        fifo_width: fw,
        arb: super::chip::RrTree::new(d, 2 * cores * t)?,
    };
    let w = rp.flit_bits;
    let (xb, yb) = (rp.xb, rp.yb);
    let tidb = clog2(u64::from(tiles)).max(1);
    let hb = clog2(u64::from(cfg.harts())).max(1);
    let trace: Vec<(String, u32)> = core
        .ports()
        .into_iter()
        .filter(|p| p.dir == crate::rtl::module::PortDir::Output && is_trace_port(&p.name))
        .map(|p| (p.name, p.width))
        .collect();
    d.build(&tile_name(cfg), module_path!(), config_params(cfg), |m| {
        m.doc("Tile: cores, L1I/L1D, L2, the memory sequencer; with a mesh: routers, directory.");
        m.doc("Across tiles the NoC carries address-only requests: see hw/src/rtl/blocks/tile.rs.");
        let my_x = m.input("my_x", xb);
        let my_y = m.input("my_y", yb);
        let hart_base = m.input("hart_base", hb);
        let reset_pc = m.input("reset_pc", 64);
        let dtb = m.input("dtb", 64);
        let mtime = m.input("mtime", 64);
        let msip = m.input("msip", cores * t);
        let mtip = m.input("mtip", cores * t);
        // ---------------------------------------------------------------- cores
        let mut cores_i = Vec::new();
        for c in 0..cores {
            let u = m.instance(&format!("core{c}"), core);
            let base = fit(hart_base.expr(), 32) + lit(32, u128::from(c * t));
            m.assign(&u.port("hart_base"), base);
            m.assign(&u.port("reset_pc"), &reset_pc);
            m.assign(&u.port("dtb"), &dtb);
            m.assign(&u.port("mtime"), &mtime);
            m.assign(&u.port("msip"), msip.slice((c + 1) * t - 1, c * t));
            m.assign(&u.port("mtip"), mtip.slice((c + 1) * t - 1, c * t));
            for (name, _) in &trace {
                m.output_from(&format!("trace{c}_{name}"), u.port(name));
            }
            cores_i.push(u);
        }
        let Some(rtr) = &rtr else {
            // One tile: the sequencer reaches memory directly.
            tile_seq::sequencer(m, cfg, &mods, &cores_i, None);
            m.allow_unused(&my_x);
            m.allow_unused(&my_y);
            return Ok(());
        };
        let dir = dir.as_ref().expect("a mesh has a directory");
        // ---------------------------------------------------------------- routers (mesh)
        let mut routers = Vec::new();
        for class in CLASSES {
            let u = m.instance(&format!("router_{class}"), rtr);
            m.assign(&u.port("my_x"), &my_x);
            m.assign(&u.port("my_y"), &my_y);
            for s in SIDES.iter().take(4) {
                for (f, wd) in [
                    ("valid", 1),
                    ("head", 1),
                    ("tail", 1),
                    ("data", w),
                    ("credit", 1),
                ] {
                    let inner_in = u.port(&port(Io::In, *s, f));
                    let outer_in = m.input(&port(Io::In, *s, &format!("{class}_{f}")), wd);
                    m.assign(&inner_in, &outer_in);
                    m.output_from(
                        &port(Io::Out, *s, &format!("{class}_{f}")),
                        u.port(&port(Io::Out, *s, f)),
                    );
                }
            }
            routers.push(u);
        }
        let my_id = m.wire_from(
            "my_tile",
            (0..tiles)
                .map(|k| {
                    let (kx, ky) = (k % cfg.mesh.x, k / cfg.mesh.x);
                    (my_x.eq(lit(xb, u128::from(kx))) & my_y.eq(lit(yb, u128::from(ky))))
                        .repeat(tidb)
                        & lit(tidb, u128::from(k))
                })
                .or_tree()
                .expect("tiles"),
        );
        // Tile id → mesh coordinates {y, x} (row-major, as the simulator numbers tiles).
        let mesh_x = cfg.mesh.x;
        let coords = move |id: &Expr| -> Expr {
            (0..tiles)
                .map(|k| {
                    id.eq(lit(tidb, u128::from(k))).repeat(xb + yb)
                        & lit(xb + yb, u128::from(((k / mesh_x) << xb) | (k % mesh_x)))
                })
                .or_tree()
                .expect("tiles")
        };
        // Home tile of a line address: line number mod tiles (a power of two: its low bits).
        let ob = clog2(u64::from(cfg.tile.l2.line));
        let home_dest = move |a: &Expr| -> Expr { coords(&a.slice(ob + tidb - 1, ob)) };
        let lay = tile_noc::Layout {
            xb,
            yb,
            tb: tidb,
            pa,
            w,
            lb: cfg.tile.l2.line * 8,
        };
        let bf = rp.buffer_flits;
        let four = |m: &mut crate::rtl::ModuleBuilder, who: &str| -> [Sig; 4] {
            [
                m.wire(&format!("{who}_valid"), 1),
                m.wire(&format!("{who}_head"), w),
                m.wire(&format!("{who}_hasd"), 1),
                m.wire(&format!("{who}_data"), lay.lb),
            ]
        };
        // Request network: the sequencer sends, the home receives.
        let sq_req = four(m, "sq_req");
        let req_ready = tile_noc::sender(
            m,
            "ni_req",
            &routers[0],
            &lay,
            bf,
            sq_req[0].expr(),
            sq_req[1].expr(),
            sq_req[2].expr(),
            sq_req[3].expr(),
        );
        let h_req_pop = m.wire("home_req_pop", 1);
        let req_in = tile_noc::receiver(
            m,
            "ni_reqin",
            &routers[0],
            &lay,
            1,
            &|_| vec![lit(1, 1)],
            &[h_req_pop.expr()],
        );
        // Forward network: the home sends INV, the sequencer receives.
        let h_fwd_valid = m.wire("home_fwd_valid", 1);
        let h_fwd_head = m.wire("home_fwd_head", w);
        let fwd_ready = tile_noc::sender(
            m,
            "ni_fwd",
            &routers[1],
            &lay,
            bf,
            h_fwd_valid.expr(),
            h_fwd_head.expr(),
            lit(1, 0),
            zeros(lay.lb),
        );
        let sq_inv_pop = m.wire("sq_inv_pop", 1);
        let fwd_in = tile_noc::receiver(
            m,
            "ni_fwdin",
            &routers[1],
            &lay,
            1,
            &|_| vec![lit(1, 1)],
            &[sq_inv_pop.expr()],
        );
        // Response network: the sequencer (snoop acks) and the home (DATA*, PUTACK) send, the
        // sequencer first; ACK/ACKD go to the home's slot, the rest to the sequencer's.
        let sq_rsp = four(m, "sq_rsp");
        let h_rsp = four(m, "home_rsp");
        let pick_sq = sq_rsp[0].expr();
        let rsp_ready = tile_noc::sender(
            m,
            "ni_rsp",
            &routers[2],
            &lay,
            bf,
            &sq_rsp[0] | &h_rsp[0],
            pick_sq.mux(sq_rsp[1].expr(), h_rsp[1].expr()),
            pick_sq.mux(sq_rsp[2].expr(), h_rsp[2].expr()),
            pick_sq.mux(sq_rsp[3].expr(), h_rsp[3].expr()),
        );
        let h_ack_pop = m.wire("home_ack_pop", 1);
        let sq_ans_pop = m.wire("sq_ans_pop", 1);
        let is_ack = move |h: &Expr| -> Vec<Expr> {
            let t = lay.typ(h);
            let a = t.eq(lit(tile_noc::TYPE_BITS, tile_noc::ty::ACK))
                | t.eq(lit(tile_noc::TYPE_BITS, tile_noc::ty::ACKD));
            vec![a.clone(), !a]
        };
        let mut rsp_in = tile_noc::receiver(
            m,
            "ni_rspin",
            &routers[2],
            &lay,
            2,
            &is_ack,
            &[h_ack_pop.expr(), sq_ans_pop.expr()],
        );
        let ans = rsp_in.pop().expect("two slots");
        let ack = rsp_in.pop().expect("two slots");
        // ---------------------------------------------------------------- home agent
        let di = m.instance("dir", dir);
        let [h_rv, h_rh, h_rd, h_rdata] = h_rsp;
        home::home(
            m,
            &lay,
            &dp,
            &di,
            &home::HomeIo {
                req: req_in.into_iter().next().expect("one slot"),
                req_pop: h_req_pop,
                ack,
                ack_pop: h_ack_pop,
                fwd_valid: h_fwd_valid,
                fwd_head: h_fwd_head,
                fwd_ready: fwd_ready.expr(),
                rsp_valid: h_rv,
                rsp_head: h_rh,
                rsp_hasd: h_rd,
                rsp_data: h_rdata,
                rsp_ready: &rsp_ready & !&pick_sq,
            },
            &coords,
            &my_id.expr(),
        );
        // ---------------------------------------------------------------- memory sequencer
        let sq_rsp_ready = &rsp_ready & &pick_sq;
        tile_seq::sequencer(
            m,
            cfg,
            &mods,
            &cores_i,
            Some(&tile_seq::SeqNoc {
                layout: lay,
                my_id: my_id.expr(),
                coords: Box::new(coords),
                home_dest: Box::new(home_dest),
                req: sq_req,
                req_ready: req_ready.expr(),
                rsp: sq_rsp,
                rsp_ready: sq_rsp_ready,
                inv: fwd_in.into_iter().next().expect("one slot"),
                inv_pop: sq_inv_pop,
                ans,
                ans_pop: sq_ans_pop,
            }),
        );
        Ok(())
    })
}
