//! The mesh router: 5 ports (N, E, S, W, L), XY dimension-order routing, wormhole switching and
//! credit-based flow control, with the same cycle-level rules as the simulator's router
//! (`sim/src/noc/router.rs` and `mesh.rs`).
//!
//! ```text
//!  in_<s>_valid/head/tail/data ─► R link/pipeline registers ─► input FIFO (B flits, LUT RAM)
//!                                                               │ head flit: route = XY(dest)
//!                                                               │ body flit: route of its packet
//!  out_<s>_credit ◄── one pulse per flit that leaves the FIFO ◄─┘
//!
//!  per output o: held by an input (wormhole)? serve only it : round-robin (arbiter_rr_n5) among
//!  the inputs whose front flit wants o; fire needs a credit (N/E/S/W: credit_q != 0, +1 per
//!  in_<o>_credit pulse, -1 per flit sent) or, for L, in_l_ready (the NI sink is not stalled)
//!  ─► out_<o>_valid/head/tail/data (combinational from the FIFO fronts)
//! ```
//!
//! Timing, as in the simulator: a flit presented on `in_<s>_*` in cycle `c` passes `R =
//! noc.router_latency` registers and is written into the FIFO, so it can be sent from cycle
//! `c + 1 + R` on; a credit pulse in cycle `c` can be used in cycle `c + 1`.
//!
//! Flit format: `head` and `tail` flags beside `W = noc.flit_bits` data bits; a head flit carries
//! the destination in its low data bits: `data[XB-1:0]` = x, `data[XB+YB-1:XB]` = y (`XB`,
//! `YB` = bits for the mesh's x and y, at least 1). The router's own position comes from the
//! `my_x`/`my_y` inputs, tied to constants by the mesh, so one module serves every router.

use super::OrTree;
use std::collections::VecDeque;

use super::arbiter::{arbiter, ArbiterParams};
use crate::rtl::names::{port, Io, Side};
use crate::rtl::tb::{self, Model as TbModel};
use crate::rtl::ty::bits_for;
use crate::rtl::{cat, clog2, zeros, Design, Expr, ModRef, Module, Params, RamStyle, RtlError};
use crate::ChipConfig;

/// The five sides in port-index order (the simulator's `Port`: N=0, E=1, S=2, W=3, L=4).
pub const SIDES: [Side; 5] = [Side::N, Side::E, Side::S, Side::W, Side::L];

/// Router parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouterParams {
    /// Data bits per flit (`noc.flit_bits`).
    pub flit_bits: u32,
    /// Input buffer capacity in flits (`noc.buffer_flits`; the credits each sender starts with).
    pub buffer_flits: u32,
    /// Router latency in cycles (`noc.router_latency`, 1..=16).
    pub latency: u32,
    /// Bits of the x coordinate.
    pub xb: u32,
    /// Bits of the y coordinate.
    pub yb: u32,
}

impl RouterParams {
    /// The router of a chip configuration.
    pub fn from_config(cfg: &ChipConfig) -> RouterParams {
        RouterParams {
            flit_bits: cfg.noc.flit_bits,
            buffer_flits: cfg.noc.buffer_flits,
            latency: cfg.noc.router_latency,
            xb: clog2(u64::from(cfg.mesh.x)).max(1),
            yb: clog2(u64::from(cfg.mesh.y)).max(1),
        }
    }

    /// The FIFO depth: `buffer_flits` rounded up to a power of two (at least 2).
    pub fn fifo_depth(&self) -> u32 {
        self.buffer_flits.max(2).next_power_of_two()
    }

    /// The module name.
    pub fn name(&self) -> String {
        format!(
            "router_w{}_b{}_r{}_x{}y{}",
            self.flit_bits, self.buffer_flits, self.latency, self.xb, self.yb
        )
    }
}

/// Builds (or reuses) `router_w<W>_b<B>_r<R>_x<XB>y<YB>` (and the `arbiter_rr_n5` it uses).
pub fn router(d: &mut Design, p: &RouterParams) -> Result<ModRef, RtlError> {
    let w = p.flit_bits;
    if !(1..=16).contains(&p.latency)
        || !(1..=64).contains(&p.buffer_flits)
        || w < p.xb + p.yb
        || w > 1024
    {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!(
                "{p:?}; allowed latency 1..=16, buffer_flits 1..=64, xb + yb <= flit_bits <= 1024"
            ),
        });
    }
    let arb = arbiter(d, &ArbiterParams { n: 5 })?;
    let depth = p.fifo_depth();
    let a = clog2(u64::from(depth));
    let cb = bits_for(u64::from(p.buffer_flits));
    let fw = w + 2;
    let params = Params::new()
        .with("flit_bits", w)
        .with("buffer_flits", p.buffer_flits)
        .with("latency", p.latency)
        .with("xb", p.xb)
        .with("yb", p.yb);
    d.build(&p.name(), module_path!(), params, |m| {
        m.doc("Mesh router: ports N/E/S/W/L, XY routing, wormhole, credit flow control.");
        m.doc("See hw/src/rtl/blocks/router.rs and docs/rtl.md for the timing and flit format.");
        let my_x = m.input("my_x", p.xb);
        let my_y = m.input("my_y", p.yb);
        // Ports, in side order.
        let mut ins = Vec::new();
        for s in SIDES {
            let valid = m.input(&port(Io::In, s, "valid"), 1);
            let head = m.input(&port(Io::In, s, "head"), 1);
            let tail = m.input(&port(Io::In, s, "tail"), 1);
            let data = m.input(&port(Io::In, s, "data"), w);
            let flow = if s == Side::L {
                m.input(&port(Io::In, s, "ready"), 1)
            } else {
                m.input(&port(Io::In, s, "credit"), 1)
            };
            ins.push((valid, head, tail, data, flow));
        }
        // Input side: pipeline registers, FIFO, route of the front flit.
        let mut req: Vec<Expr> = Vec::new(); // per input: 5-bit one-hot wanted output (0 if empty)
        let mut front: Vec<Expr> = Vec::new(); // per input: {head, tail, data}
        let mut route_regs = Vec::new();
        for (i, s) in SIDES.iter().enumerate() {
            let l = s.letter();
            let (valid, head, tail, data, _) = &ins[i];
            let mut v: Expr = valid.expr();
            let mut f: Expr = cat([head.expr(), tail.expr(), data.expr()]);
            for k in 1..=p.latency {
                let rv = m.reg(&format!("pv{k}_{l}"), 1, 0);
                let rf = m.reg(&format!("pf{k}_{l}"), fw, 0);
                m.next(&rv, v.clone());
                m.next_when(&rf, v.clone(), f.clone());
                v = rv.expr();
                f = rf.expr();
            }
            let mem = m.memory(
                &format!("buf_{l}"),
                fw,
                u64::from(depth),
                RamStyle::Distributed,
            );
            let wr = m.reg(&format!("wr_{l}"), a + 1, 0);
            let rd = m.reg(&format!("rd_{l}"), a + 1, 0);
            m.mem_write(&mem, v.clone(), wr.trunc(a), f);
            m.next_when(&wr, v, wr.add_const(1));
            let nonempty = m.wire_from(&format!("ne_{l}"), wr.ne(&rd));
            let fr = m.wire_from(&format!("front_{l}"), mem.read(rd.trunc(a)));
            let dx = fr.slice(p.xb - 1, 0);
            let dy = fr.slice(p.xb + p.yb - 1, p.xb);
            let xeq = dx.eq(&my_x);
            let yeq = dy.eq(&my_y);
            // One-hot in port order {L, W, S, E, N} (bit k = port k).
            let xy = cat([
                &xeq & &yeq,
                dx.lt(&my_x),
                &xeq & dy.gt(&my_y),
                dx.gt(&my_x),
                &xeq & dy.lt(&my_y),
            ]);
            let route_q = m.reg(&format!("route_{l}"), 5, 0);
            let route = m.wire_from(&format!("want_{l}"), fr.bit(w + 1).mux(xy, route_q.expr()));
            req.push(nonempty.repeat(5) & &route);
            front.push(fr.expr());
            route_regs.push((route_q, route, rd, nonempty));
        }
        // Output side: arbitration, credits, switch.
        let mut pops: Vec<Vec<Expr>> = vec![Vec::new(); 5];
        for (o, s) in SIDES.iter().enumerate() {
            let l = s.letter();
            let wants = m.wire_from(
                &format!("req_{l}"),
                cat((0..5).rev().map(|i| req[i].bit(o as u32))),
            );
            let own = m.reg(&format!("own_{l}"), 5, 0);
            let u = m.instance(&format!("arb_{l}"), &arb);
            m.assign(&u.port("req"), &wants);
            m.allow_unused(&u.port("grant_idx"));
            m.allow_unused(&u.port("grant_valid"));
            let held = m.wire_from(&format!("held_{l}"), own.any());
            let win = m.wire_from(
                &format!("win_{l}"),
                held.mux(&own & &wants, u.port("grant").expr()),
            );
            let can: Expr = if *s == Side::L {
                ins[o].4.expr()
            } else {
                let credit = m.reg(&format!("credit_{l}"), cb, u128::from(p.buffer_flits));
                let fire_c = win.any() & credit.ne(zeros(cb));
                let back = &ins[o].4;
                m.seq(|q| {
                    q.when_else(
                        &fire_c & !back,
                        |q| q.set(&credit, credit.sub_const(1)),
                        |q| q.when(!&fire_c & back, |q| q.set(&credit, credit.add_const(1))),
                    );
                });
                credit.ne(zeros(cb))
            };
            let fire = m.wire_from(&format!("fire_{l}"), win.any() & can);
            m.assign(&u.port("ack"), &fire & !&held);
            let sel = (0..5)
                .map(|i| win.bit(i as u32).repeat(fw) & &front[i])
                .or_tree()
                .expect("5 inputs");
            let flit = m.wire_from(&format!("flit_{l}"), sel);
            let tail = flit.bit(w);
            m.seq(|q| {
                q.when(&fire, |q| {
                    q.when_else(
                        &held,
                        |q| q.when(tail.clone(), |q| q.set(&own, zeros(5))),
                        |q| q.set(&own, tail.mux(zeros(5), win.expr())),
                    )
                })
            });
            m.output_from(&port(Io::Out, *s, "valid"), &fire);
            m.output_from(&port(Io::Out, *s, "head"), flit.bit(w + 1));
            m.output_from(&port(Io::Out, *s, "tail"), tail);
            m.output_from(&port(Io::Out, *s, "data"), flit.slice(w - 1, 0));
            for (i, pop) in pops.iter_mut().enumerate() {
                pop.push(&fire & win.bit(i as u32));
            }
        }
        for (i, s) in SIDES.iter().enumerate() {
            let l = s.letter();
            let pop = m.wire_from(
                &format!("pop_{l}"),
                pops[i].iter().cloned().or_tree().expect("5 outputs"),
            );
            let (route_q, route, rd, _) = &route_regs[i];
            m.next_when(rd, &pop, rd.add_const(1));
            m.next_when(route_q, &pop & front[i].bit(w + 1), route.expr());
            m.output_from(&port(Io::Out, *s, "credit"), &pop);
        }
        Ok(())
    })
}

/// A flit as the model sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flit {
    /// First flit of a packet.
    pub head: bool,
    /// Last flit of a packet.
    pub tail: bool,
    /// Data bits (a head flit's low bits are the destination).
    pub data: u128,
}

/// The XY route (port index: N=0, E=1, S=2, W=3, L=4) at router `(rx, ry)` towards `(dx, dy)`,
/// the simulator's `route_xy`.
pub fn route_xy(rx: u32, ry: u32, dx: u32, dy: u32) -> usize {
    if dx > rx {
        1
    } else if dx < rx {
        3
    } else if dy > ry {
        2
    } else if dy < ry {
        0
    } else {
        4
    }
}

/// The simulator's round-robin rule: the first requesting input at or after `start`, wrapping.
pub fn round_robin(req: u8, start: usize) -> usize {
    (0..5)
        .map(|k| (start + k) % 5)
        .find(|&i| req >> i & 1 == 1)
        .expect("a request")
}

#[derive(Clone, Debug)]
struct State {
    pipe: Vec<VecDeque<Option<Flit>>>,
    fifo: Vec<VecDeque<Flit>>,
    route: Vec<usize>,
    owner: Vec<Option<usize>>,
    rr: Vec<usize>,
    credits: Vec<u32>,
}

/// The reference model of one router, written from the simulator's rules (queues, not
/// pointers). Rows and outputs are in testbench order ([`tb::inputs`], [`tb::outputs`]).
#[derive(Clone, Debug)]
pub struct Model {
    p: RouterParams,
    ins: Vec<String>,
    outs: Vec<String>,
    state: Option<State>,
}

impl Model {
    /// A router model for module `m` generated from `p`, not yet reset.
    pub fn new(p: &RouterParams, m: &Module) -> Model {
        Model {
            p: *p,
            ins: tb::inputs(m).into_iter().map(|q| q.name).collect(),
            outs: tb::outputs(m).into_iter().map(|q| q.name).collect(),
            state: None,
        }
    }

    fn get(&self, row: &[u128], name: &str) -> u128 {
        let i = self.ins.iter().position(|n| n == name);
        row[i.unwrap_or_else(|| panic!("no input {name}"))]
    }

    /// The grants of this cycle: for each output, the input it takes a flit from.
    fn grants(&self, s: &State, row: &[u128]) -> [Option<usize>; 5] {
        let (mx, my) = (self.get(row, "my_x") as u32, self.get(row, "my_y") as u32);
        let xm = (1u128 << self.p.xb) - 1;
        let ym = (1u128 << self.p.yb) - 1;
        let mut want = [None; 5];
        for (i, f) in s.fifo.iter().enumerate() {
            if let Some(f) = f.front() {
                want[i] = Some(if f.head {
                    let dx = (f.data & xm) as u32;
                    let dy = (f.data >> self.p.xb & ym) as u32;
                    route_xy(mx, my, dx, dy)
                } else {
                    s.route[i]
                });
            }
        }
        let mut g = [None; 5];
        for (o, side) in SIDES.iter().enumerate() {
            let req = (0..5).fold(0u8, |r, i| r | (u8::from(want[i] == Some(o)) << i));
            if req == 0 {
                continue;
            }
            let winner = match s.owner[o] {
                Some(h) if req >> h & 1 == 1 => h,
                Some(_) => continue,
                None => round_robin(req, s.rr[o]),
            };
            let ok = if *side == Side::L {
                self.get(row, "in_l_ready") != 0
            } else {
                s.credits[o] != 0
            };
            if ok {
                g[o] = Some(winner);
            }
        }
        g
    }
}

impl TbModel for Model {
    fn outputs(&self, row: &[u128]) -> Vec<Option<u128>> {
        let Some(s) = &self.state else {
            return vec![None; self.outs.len()];
        };
        let g = self.grants(s, row);
        self.outs
            .iter()
            .map(|name| {
                let side = SIDES
                    .iter()
                    .position(|sd| name.starts_with(&format!("out_{}_", sd.letter())))
                    .expect("router outputs are out_<side>_*");
                let field = &name[6..];
                let flit = g[side].map(|i| s.fifo[i][0]);
                // head/tail/data are only defined while valid is set.
                match field {
                    "valid" => Some(u128::from(flit.is_some())),
                    "head" => flit.map(|f| u128::from(f.head)),
                    "tail" => flit.map(|f| u128::from(f.tail)),
                    "data" => flit.map(|f| f.data),
                    "credit" => Some(u128::from(g.contains(&Some(side)))),
                    other => panic!("unexpected output field {other}"),
                }
            })
            .collect()
    }

    fn step(&mut self, row: &[u128]) {
        if row[0] != 0 {
            let r = self.p.latency as usize;
            self.state = Some(State {
                pipe: vec![VecDeque::from(vec![None; r]); 5],
                fifo: vec![VecDeque::new(); 5],
                route: vec![0; 5],
                owner: vec![None; 5],
                rr: vec![0; 5],
                credits: vec![self.p.buffer_flits; 5],
            });
            return;
        }
        let Some(s) = &self.state else { return };
        let g = self.grants(s, row);
        let mut s = s.clone();
        for (o, w) in g.iter().enumerate() {
            let Some(i) = *w else { continue };
            let f = s.fifo[i].pop_front().expect("granted flit");
            if s.owner[o].is_none() {
                assert!(f.head, "body flit granted a free output");
                s.rr[o] = (i + 1) % 5;
                if !f.tail {
                    s.owner[o] = Some(i);
                }
            } else if f.tail {
                s.owner[o] = None;
            }
            if f.head {
                let (mx, my) = (self.get(row, "my_x") as u32, self.get(row, "my_y") as u32);
                let dx = (f.data & ((1u128 << self.p.xb) - 1)) as u32;
                let dy = (f.data >> self.p.xb & ((1u128 << self.p.yb) - 1)) as u32;
                s.route[i] = route_xy(mx, my, dx, dy);
            }
            if o != 4 {
                assert!(s.credits[o] > 0);
                s.credits[o] -= 1;
            }
        }
        for (o, side) in SIDES.iter().enumerate().take(4) {
            if self.get(row, &port(Io::In, *side, "credit")) != 0 {
                s.credits[o] += 1;
            }
        }
        for (i, side) in SIDES.iter().enumerate() {
            if let Some(f) = s.pipe[i].pop_back().flatten() {
                assert!(
                    s.fifo[i].len() < self.p.fifo_depth() as usize,
                    "input {i} overflowed: a sender ignored its credits"
                );
                s.fifo[i].push_back(f);
            }
            let v = self.get(row, &port(Io::In, *side, "valid")) != 0;
            s.pipe[i].push_front(v.then(|| Flit {
                head: self.get(row, &port(Io::In, *side, "head")) != 0,
                tail: self.get(row, &port(Io::In, *side, "tail")) != 0,
                data: self.get(row, &port(Io::In, *side, "data")),
            }));
        }
        self.state = Some(s);
    }
}
