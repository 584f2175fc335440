//! The tile: cores, their L1I/L1D arrays, the tile L2 arrays (with the L1 sharer bits), the home
//! slice's directory arrays and one router per message class (request, forward, response).
//!
//! ```text
//!        hart_base, msip, mtip                       mmio_req/resp (to the chip's MMIO bridge)
//!              │                                           ▲
//!   ┌──────────▼───────────────┐  ┌─────────────────────────┴──┐
//!   │ core 0..C-1 (core_ports) ├─►│ round-robin over the cores │
//!   └─┬─────────┬──────────────┘  └────────────────────────────┘
//!     │imem     │dmem
//!   ┌─▼──┐   ┌──▼─┐                       request  ┌────────┐ forward ┌────────┐ response ┌────────┐
//!   │L1I │   │L1D │ miss/store ─► L2 ──miss──────►│router R│        │router F│          │router P│
//!   └─▲──┘   └──▲─┘   (arbiter)  arrays◄─INVAL────┤        ├───────►│        │          │        │
//!     └──FILL───┴────────────────  ▲  ◄───FILL──────────────────────────────────────────┤        │
//!                                  │   directory ◄─ ejected requests;  I: mem_req ──► chip memfront
//!                                  │   arrays    ─► S/M: forward to the owner tile     mem_resp ─► P
//! ```
//!
//! **What works**: the cores' MMIO path (round-robin, responses routed by core and thread), the
//! L1 hit path (fetch, load, write-through store update, one cycle after the request), the three
//! routers and their mesh ports. **What is a skeleton**: the messages between L1s, L2, directory,
//! NoC and memory are single flits with a fixed layout (destination, source tile, address) and the
//! blocks' ops are driven straight from them; there is no miss buffer, no multi-word line fill,
//! no write-back, no invalidation fan-out and no retry when a block is busy. The tile therefore
//! lints and synthesises with every array and router in place (what `strand fit` needs), but it
//! does not run programs: the MSI protocol sequencer is still to be written (`docs/rtl.md`).
//! L2 banking (`tile.l2_banks`) is not modelled: one bank.

use super::arbiter::{arbiter, ArbiterParams};
use super::cache::{cache, op, CacheParams};
use super::core_ports::{core_placeholder, CorePorts};
use super::directory::{directory, DirParams};
use super::router::{router, RouterParams, SIDES};
use super::OrTree;
use crate::rtl::names::{port, Io};
use crate::rtl::ty::bits_for;
use crate::rtl::{
    cat, clog2, fnv1a64, lit, zeros, Design, Expr, ModRef, Params, RamStyle, RtlError, Sig,
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
        pa_bits: super::core_ports::pa_bits(cfg),
        meta_bits: 0,
        tag_ram: RamStyle::Distributed,
        data_ram: RamStyle::Block,
    }
}

/// The L2 arrays: meta = one sharer bit per L1 (I and D of every core) and a dirty bit.
pub fn l2_params(cfg: &ChipConfig) -> CacheParams {
    let c = &cfg.tile.l2;
    CacheParams {
        kind: "l2",
        size: c.size,
        ways: c.ways,
        line: c.line,
        pa_bits: super::core_ports::pa_bits(cfg),
        meta_bits: 2 * cfg.tile.cores + 1,
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
        pa_bits: super::core_ports::pa_bits(cfg),
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

/// Builds (or reuses) the tile of `cfg` with the placeholder core (see [`core_placeholder`]).
pub fn tile(d: &mut Design, cfg: &ChipConfig) -> Result<ModRef, RtlError> {
    let cp = CorePorts::from_config(cfg);
    let core = core_placeholder(d, &cp)?;
    tile_with_core(d, cfg, &core)
}

/// Builds (or reuses) the tile of `cfg` around `core`, which must have the [`CorePorts`] of
/// `cfg`.
pub fn tile_with_core(d: &mut Design, cfg: &ChipConfig, core: &ModRef) -> Result<ModRef, RtlError> {
    let cp = CorePorts::from_config(cfg);
    cp.check(core).map_err(|why| RtlError::Param {
        generator: module_path!().into(),
        why,
    })?;
    let rp = RouterParams::from_config(cfg);
    let rtr = router(d, &rp)?;
    let l1i = cache(d, &l1_params(cfg, false))?;
    let l1d = cache(d, &l1_params(cfg, true))?;
    let l2p = l2_params(cfg);
    let l2 = cache(d, &l2p)?;
    let dp = dir_params(cfg);
    let dir = directory(d, &dp)?;
    let cores = cfg.tile.cores;
    let l1s = 2 * cores;
    let l1arb = arbiter(d, &ArbiterParams { n: l1s.max(2) })?;
    let carb = if cores >= 2 {
        Some(arbiter(d, &ArbiterParams { n: cores })?)
    } else {
        None
    };
    let (t, pa, tb) = (cp.threads, cp.pa_bits, cp.tid_bits());
    let cb = clog2(u64::from(cores)).max(1);
    let w = rp.flit_bits;
    let (xb, yb) = (rp.xb, rp.yb);
    let tiles = cfg.tiles();
    let tidb = clog2(u64::from(tiles)).max(1);
    let hb = cp.hart_bits;
    let line_bits = cfg.tile.l2.line * 8;
    let credit_bits = bits_for(u64::from(rp.buffer_flits));
    d.build(&tile_name(cfg), module_path!(), config_params(cfg), |m| {
        m.doc(
            "Tile: cores, L1I/L1D, L2 (sharer bits), directory, request/forward/response routers.",
        );
        m.doc("SKELETON between the arrays and the NoC: see hw/src/rtl/blocks/tile.rs.");
        let my_x = m.input("my_x", xb);
        let my_y = m.input("my_y", yb);
        let hart_base = m.input("hart_base", hb);
        let msip = m.input("msip", cores * t);
        let mtip = m.input("mtip", cores * t);
        // ---------------------------------------------------------------- routers
        let mut routers = Vec::new();
        for class in CLASSES {
            let u = m.instance(&format!("router_{class}"), &rtr);
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
        // Injection into a router's L input: one single-flit packet per cycle when a credit is
        // left; ejection: always accepted.
        let inject =
            |m: &mut crate::rtl::ModuleBuilder, k: usize, valid: Expr, data: Expr| -> Sig {
                let u = &routers[k];
                let credit = m.reg(
                    &format!("ni_credit_{}", CLASSES[k]),
                    credit_bits,
                    u128::from(rp.buffer_flits),
                );
                let can = m.wire_from(
                    &format!("ni_can_{}", CLASSES[k]),
                    credit.ne(zeros(credit_bits)),
                );
                let send = m.wire_from(&format!("ni_send_{}", CLASSES[k]), &valid & &can);
                let back = u.port("out_l_credit");
                m.seq(|q| {
                    q.when_else(
                        &send & !&back,
                        |q| q.set(&credit, credit.sub_const(1)),
                        |q| q.when(!&send & &back, |q| q.set(&credit, credit.add_const(1))),
                    )
                });
                m.assign(&u.port("in_l_valid"), &send);
                m.assign(&u.port("in_l_head"), lit(1, 1));
                m.assign(&u.port("in_l_tail"), lit(1, 1));
                m.assign(&u.port("in_l_data"), fit(data, w));
                m.assign(&u.port("in_l_ready"), lit(1, 1));
                m.allow_unused(&u.port("out_l_head"));
                m.allow_unused(&u.port("out_l_tail"));
                can
            };
        // Message layout in a flit: {address, source tile, destination y, destination x}.
        let msg = |dest: Expr, src: Expr, addr: Expr| -> Expr { cat([addr, src, dest]) };
        let msg_src = |data: &Expr| -> Expr { fit(data.shr(lit(8, u128::from(xb + yb))), tidb) };
        let msg_addr =
            |data: &Expr| -> Expr { fit(data.shr(lit(8, u128::from(xb + yb + tidb))), pa) };
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
        let coords = |id: &Expr| -> Expr {
            (0..tiles)
                .map(|k| {
                    id.eq(lit(tidb, u128::from(k))).repeat(xb + yb)
                        & lit(
                            xb + yb,
                            u128::from(((k / cfg.mesh.x) << xb) | (k % cfg.mesh.x)),
                        )
                })
                .or_tree()
                .expect("tiles")
        };
        // Home tile of an address: line address mod tiles (a power-of-two mesh takes low bits).
        let home_of = |a: &Expr| -> Expr {
            let line = a.shr(lit(8, u128::from(clog2(u64::from(cfg.tile.l2.line)))));
            if tiles.is_power_of_two() && tiles > 1 {
                fit(line, tidb)
            } else if tiles == 1 {
                zeros(tidb)
            } else {
                fit(line, tidb) // not uniform for other meshes; skeleton
            }
        };
        // ---------------------------------------------------------------- cores and L1s
        let mut l1_miss: Vec<Expr> = Vec::new();
        let mut l1_missaddr: Vec<Expr> = Vec::new();
        let mut mmio_valid = Vec::new();
        let mut cores_i = Vec::new();
        let mut l1_insts = Vec::new();
        for c in 0..cores {
            let u = m.instance(&format!("core{c}"), core);
            let base = hart_base.expr() + lit(hb, u128::from(c * t) & ((1u128 << hb) - 1));
            m.assign(&u.port("hart_base"), base);
            m.assign(&u.port("msip"), msip.slice((c + 1) * t - 1, c * t));
            m.assign(&u.port("mtip"), mtip.slice((c + 1) * t - 1, c * t));
            for (kind, cache_mod) in [("i", &l1i), ("d", &l1d)] {
                let l = m.instance(&format!("l1{kind}{c}"), cache_mod);
                let pre = if kind == "i" { "imem" } else { "dmem" };
                let fill = m.wire(&format!("l1{kind}{c}_fill"), 1);
                let fill_addr = m.wire(&format!("l1{kind}{c}_fill_addr"), pa);
                let fill_data = m.wire(&format!("l1{kind}{c}_fill_data"), 64);
                let rv = u.port(&format!("{pre}_req_valid"));
                // A fill takes the port; the core waits.
                m.assign(&l.port("req_valid"), &rv | &fill);
                let store = if kind == "d" {
                    u.port("dmem_req_op").eq(lit(3, 1))
                } else {
                    lit(1, 0)
                };
                m.assign(
                    &l.port("req_op"),
                    fill.mux(
                        lit(3, op::FILL),
                        store.mux(lit(3, op::WRITE), lit(3, op::READ)),
                    ),
                );
                m.assign(
                    &l.port("req_addr"),
                    fill.mux(fill_addr.expr(), u.port(&format!("{pre}_req_addr")).expr()),
                );
                if kind == "d" {
                    m.assign(
                        &l.port("req_wdata"),
                        fill.mux(fill_data.expr(), u.port("dmem_req_wdata").expr()),
                    );
                    m.assign(&l.port("req_wmask"), u.port("dmem_req_wmask"));
                    m.allow_unused(&u.port("dmem_req_amo"));
                } else {
                    m.assign(&l.port("req_wdata"), &fill_data);
                    m.assign(&l.port("req_wmask"), zeros(8));
                }
                m.assign(&l.port("req_way"), l.port("victim"));
                m.assign(
                    &u.port(&format!("{pre}_req_ready")),
                    &l.port("req_ready") & !&fill,
                );
                let tid_q = m.reg(&format!("{pre}{c}_tid_q"), tb, 0);
                m.next(&tid_q, u.port(&format!("{pre}_req_tid")));
                let addr_q = m.reg(&format!("{pre}{c}_addr_q"), pa, 0);
                m.next_when(
                    &addr_q,
                    &rv & &l.port("req_ready"),
                    u.port(&format!("{pre}_req_addr")),
                );
                let rd = l.port("resp_op").eq(lit(3, op::READ));
                let hit = &l.port("resp_valid") & &rd & l.port("resp_hit");
                m.assign(&u.port(&format!("{pre}_resp_valid")), hit);
                m.assign(&u.port(&format!("{pre}_resp_data")), l.port("resp_data"));
                m.assign(&u.port(&format!("{pre}_resp_tid")), &tid_q);
                m.allow_unused(&l.port("resp_way"));
                // Misses (and write-through stores) go to the L2.
                let wr = l.port("resp_op").eq(lit(3, op::WRITE));
                l1_miss.push(&l.port("resp_valid") & ((&rd & !l.port("resp_hit")) | wr));
                l1_missaddr.push(addr_q.expr());
                l1_insts.push((fill, fill_addr, fill_data));
            }
            mmio_valid.push(u.port("mmio_req_valid").expr());
            cores_i.push(u);
        }
        // ---------------------------------------------------------------- MMIO
        let mmio_ready = m.input("mmio_req_ready", 1);
        let mgrant: Expr = match &carb {
            Some(a) => {
                let ai = m.instance("mmio_arb", a);
                m.assign(&ai.port("req"), cat(mmio_valid.iter().rev().cloned()));
                m.assign(&ai.port("ack"), &mmio_ready & ai.port("grant_valid"));
                m.allow_unused(&ai.port("grant_idx"));
                ai.port("grant").expr()
            }
            None => lit(1, 1),
        };
        let pick = |field: &str, wd: u32| -> Expr {
            cores_i
                .iter()
                .enumerate()
                .map(|(c, u)| mgrant.bit(c as u32).repeat(wd) & u.port(field))
                .or_tree()
                .expect("cores")
        };
        let any_valid = mmio_valid.iter().cloned().or_tree().expect("cores");
        m.output_from("mmio_req_valid", any_valid);
        m.output_from("mmio_req_write", pick("mmio_req_write", 1));
        m.output_from("mmio_req_addr", pick("mmio_req_addr", 32));
        m.output_from("mmio_req_wdata", pick("mmio_req_wdata", 64));
        m.output_from("mmio_req_size", pick("mmio_req_size", 2));
        let core_idx: Expr = (0..cb)
            .rev()
            .map(|b| {
                (0..cores)
                    .filter(|c| c >> b & 1 == 1)
                    .map(|c| mgrant.bit(c))
                    .or_tree()
                    .unwrap_or_else(|| lit(1, 0))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(None, |acc: Option<Expr>, b| {
                Some(match acc {
                    None => b,
                    Some(a) => cat([a, b]),
                })
            })
            .expect("bits");
        m.output_from("mmio_req_id", cat([core_idx, pick("mmio_req_tid", tb)]));
        let mresp_valid = m.input("mmio_resp_valid", 1);
        let mresp_data = m.input("mmio_resp_data", 64);
        let mresp_id = m.input("mmio_resp_id", cb + tb);
        for (c, u) in cores_i.iter().enumerate() {
            m.assign(
                &u.port("mmio_req_ready"),
                &mmio_ready & mgrant.bit(c as u32),
            );
            let mine = if cores == 1 {
                lit(1, 1)
            } else {
                mresp_id.slice(cb + tb - 1, tb).eq(lit(cb, c as u128))
            };
            m.assign(&u.port("mmio_resp_valid"), &mresp_valid & mine);
            m.assign(&u.port("mmio_resp_data"), &mresp_data);
            m.assign(&u.port("mmio_resp_tid"), mresp_id.slice(tb - 1, 0));
        }
        if cores == 1 {
            m.allow_unused(&mresp_id);
        }
        // ---------------------------------------------------------------- L2
        let l2i = m.instance("l2", &l2);
        let a1 = m.instance("l1_arb", &l1arb);
        let mut reqs = l1_miss.clone();
        while reqs.len() < 2 {
            reqs.push(lit(1, 0));
        }
        m.assign(&a1.port("req"), cat(reqs.iter().rev().cloned()));
        m.allow_unused(&a1.port("grant_idx"));
        let g1 = a1.port("grant");
        let miss_addr = (0..l1s)
            .map(|k| g1.bit(k).repeat(pa) & &l1_missaddr[k as usize])
            .or_tree()
            .expect("l1s");
        // Ejected forwards invalidate; ejected responses fill; otherwise L1 misses look up.
        let fwd_in = routers[1].port("out_l_valid");
        let fwd_data = routers[1].port("out_l_data");
        let rsp_in = routers[2].port("out_l_valid");
        let rsp_data = routers[2].port("out_l_data");
        let l2_ready = l2i.port("req_ready");
        let take_l1 = m.wire_from("l2_take_l1", !&fwd_in & !&rsp_in & &l2_ready);
        m.assign(&a1.port("ack"), &take_l1 & a1.port("grant_valid"));
        m.assign(
            &l2i.port("req_valid"),
            &fwd_in | &rsp_in | a1.port("grant_valid"),
        );
        m.assign(
            &l2i.port("req_op"),
            fwd_in.mux(
                lit(3, op::INVAL),
                rsp_in.mux(lit(3, op::FILL), lit(3, op::READ)),
            ),
        );
        m.assign(
            &l2i.port("req_addr"),
            fwd_in.mux(
                msg_addr(&fwd_data.expr()),
                rsp_in.mux(msg_addr(&rsp_data.expr()), miss_addr),
            ),
        );
        m.assign(&l2i.port("req_wdata"), fit(rsp_data.expr(), 64));
        m.assign(&l2i.port("req_wmask"), crate::rtl::ones(8));
        m.assign(&l2i.port("req_way"), l2i.port("victim"));
        // Sharer bits: the L1s that missed, dirty clear.
        m.assign(
            &l2i.port("req_meta"),
            fit(cat([g1.expr(), lit(1, 0)]), l2p.meta_bits),
        );
        let l2_addr_q = m.reg("l2_addr_q", pa, 0);
        m.next_when(
            &l2_addr_q,
            &take_l1 & a1.port("grant_valid"),
            (0..l1s)
                .map(|k| g1.bit(k).repeat(pa) & &l1_missaddr[k as usize])
                .or_tree()
                .expect("l1s"),
        );
        let l2_grant_q = m.reg("l2_grant_q", l1s.max(2), 0);
        m.next_when(&l2_grant_q, &take_l1, g1.expr());
        let l2_rv = l2i.port("resp_valid");
        let l2_read = &l2_rv & l2i.port("resp_op").eq(lit(3, op::READ));
        m.allow_unused(&l2i.port("resp_way"));
        m.allow_unused(&l2i.port("resp_meta"));
        // L2 hit: fill the L1 that asked (one word).
        let l2_hit = m.wire_from("l2_hit", &l2_read & l2i.port("resp_hit"));
        for (k, (fill, fill_addr, fill_data)) in l1_insts.iter().enumerate() {
            m.assign(fill, &l2_hit & l2_grant_q.bit(k as u32));
            m.assign(fill_addr, &l2_addr_q);
            m.assign(fill_data, l2i.port("resp_data"));
        }
        // L2 miss: a request to the address's home tile.
        let l2_miss = &l2_read & !l2i.port("resp_hit");
        let home = home_of(&l2_addr_q.expr());
        let req_can = inject(
            m,
            0,
            l2_miss,
            msg(coords(&home), my_id.expr(), l2_addr_q.expr()),
        );
        m.allow_unused(&req_can);
        // ---------------------------------------------------------------- home: directory
        let di = m.instance("dir", &dir);
        let req_in = routers[0].port("out_l_valid");
        let req_data = routers[0].port("out_l_data");
        m.assign(&di.port("req_valid"), &req_in);
        m.assign(&di.port("req_op"), lit(1, 0));
        m.assign(&di.port("req_addr"), msg_addr(&req_data.expr()));
        m.assign(&di.port("req_state"), lit(2, 1));
        m.assign(&di.port("req_sharers"), zeros(dp.tiles));
        m.assign(&di.port("req_owner"), msg_src(&req_data.expr()));
        let dreq_q = m.reg("dir_req_q", w, 0);
        m.next_when(&dreq_q, &req_in, &req_data);
        let d_rv = di.port("resp_valid");
        let d_hit = di.port("resp_hit");
        m.allow_unused(&di.port("resp_state"));
        m.allow_unused(&di.port("resp_sharers"));
        // Cached elsewhere: forward to the owner; uncached: read memory.
        let fwd_can = inject(
            m,
            1,
            &d_rv & &d_hit,
            msg(
                coords(&di.port("resp_owner").expr()),
                my_id.expr(),
                msg_addr(&dreq_q.expr()),
            ),
        );
        m.allow_unused(&fwd_can);
        let mem_ready = m.input("mem_req_ready", 1);
        m.allow_unused(&mem_ready);
        m.output_from("mem_req_valid", &d_rv & !&d_hit);
        m.output_from("mem_req_addr", msg_addr(&dreq_q.expr()));
        m.output_from("mem_req_src", msg_src(&dreq_q.expr()));
        // Memory data back to the requester over the response network.
        let mem_rv = m.input("mem_resp_valid", 1);
        let mem_rd = m.input("mem_resp_data", line_bits);
        let mem_src = m.input("mem_resp_src", tidb);
        let rsp_can = inject(
            m,
            2,
            mem_rv.expr(),
            cat([
                fit(mem_rd.expr(), w.saturating_sub(xb + yb + tidb).max(1)),
                my_id.expr(),
                coords(&mem_src.expr()),
            ]),
        );
        m.allow_unused(&mem_rd);
        m.output_from("mem_resp_ready", &rsp_can);
        Ok(())
    })
}
