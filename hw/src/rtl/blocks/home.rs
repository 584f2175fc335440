//! The home agent of a tile's home slice: the MSI directory protocol for the lines homed at
//! the tile (`line % tiles`), one request at a time (a blocking directory, so no two
//! transactions on a line ever overlap).
//!
//! ```text
//!  request (GETS/GETM/PUTM) ─► directory LOOKUP ─► entry of another line held? recall it:
//!                                                  INV its holders, collect ACK/ACKD
//!    GETS: M elsewhere → INV the owner (ACKD: write the line to memory);
//!          read memory ─► DATAS to the requester, wait for its unblock (an ACK: the DATA
//!          and a later INV travel on different networks, so the home must not send that INV
//!          before the DATA has arrived); entry S, sharers += requester
//!    GETM: M elsewhere → INV the owner; S → INV every other sharer; collect acks;
//!          read memory ─► DATAM to the requester; entry M, owner = requester
//!    PUTM: from the owner → write the line to memory, entry I; from anyone else (its line
//!          was taken by an INV first) → nothing; PUTACK either way
//! ```
//!
//! Data always passes through memory (an ACKD is written before the line is read again), so
//! the home never forwards between tiles: slower than the simulator's protocol (which forwards
//! to the owner), but every transaction is two or four messages on a fixed path. Acks are
//! taken while invalidations are still being sent (a holder's ack must never wait behind the
//! home's own sends). The directory is indexed by the line number without its home bits.

use super::directory::DirParams;
use super::tile::fit;
use super::tile_noc::{ty, Layout, Received};
use super::OrTree;
use crate::rtl::{cat, clog2, lit, zeros, Expr, Inst, ModuleBuilder, Sig};

// States.
const IDLE: u128 = 0;
const LOOK: u128 = 1;
const DIR: u128 = 2;
const ACT: u128 = 3;
const INV: u128 = 4;
const ACKW: u128 = 5;
const ACKW2: u128 = 6;
const MEMR: u128 = 7;
const MEMR2: u128 = 8;
const DATA: u128 = 9;
const UPD: u128 = 10;
const MEMW: u128 = 11;
const MEMW2: u128 = 12;
const PUPD: u128 = 13;
const PUTACK: u128 = 14;
const UNB: u128 = 15;
const HB: u32 = 4;

/// What the home agent drives and reads in the tile.
pub struct HomeIo {
    /// The request network's message (GETS, GETM, PUTM).
    pub req: Received,
    /// Take it.
    pub req_pop: Sig,
    /// The response network's home slot (ACK, ACKD).
    pub ack: Received,
    /// Take it.
    pub ack_pop: Sig,
    /// INV to send (forward network): valid, head.
    pub fwd_valid: Sig,
    /// Its head flit.
    pub fwd_head: Sig,
    /// The forward sender took it.
    pub fwd_ready: Expr,
    /// DATA*/PUTACK to send (response network).
    pub rsp_valid: Sig,
    /// Its head flit.
    pub rsp_head: Sig,
    /// It carries the line.
    pub rsp_hasd: Sig,
    /// The line.
    pub rsp_data: Sig,
    /// The response sender took it.
    pub rsp_ready: Expr,
}

/// Builds the home agent into the tile's module `m` around the directory instance `dir`;
/// declares the tile's `mem_*` (line) ports. `coords(tile id)` is `{y, x}`; `my_id` this tile.
pub fn home(
    m: &mut ModuleBuilder,
    l: &Layout,
    dp: &DirParams,
    dir: &Inst,
    io: &HomeIo,
    coords: &dyn Fn(&Expr) -> Expr,
    my_id: &Expr,
) {
    let (pa, lb, tb) = (l.pa, l.lb, l.tb);
    let tiles = dp.tiles;
    let ob = clog2(u64::from(dp.line));
    let ib = clog2(u64::from(dp.entries));
    let st = m.reg("home_state", HB, IDLE);
    m.output_from("dbg_home_state", &st); // for co-simulation's hang report
    let at = |v: u128| st.eq(lit(HB, v));
    let typ = m.reg("home_type", super::tile_noc::TYPE_BITS, 0);
    let src = m.reg("home_src", tb, 0);
    let addr = m.reg("home_addr", pa, 0); // the request's line address
    let e_state = m.reg("home_e_state", 2, 0);
    let e_sharers = m.reg("home_e_sharers", tiles, 0);
    let e_owner = m.reg("home_e_owner", dp.owner_bits(), 0);
    let recall = m.reg("home_recall", 1, 0);
    let inv_addr = m.reg("home_inv_addr", pa, 0);
    let pending = m.reg("home_pending", tiles, 0);
    let acks = m.reg("home_acks", clog2(u64::from(tiles) + 1).max(1), 0);
    let line = m.reg("home_line", lb, 0);
    let is_t = |t: u128| typ.eq(lit(super::tile_noc::TYPE_BITS, t));
    let onehot = |id: &Expr| -> Expr {
        cat((0..tiles)
            .rev()
            .map(|k| id.eq(lit(id.width(), u128::from(k))))
            .collect::<Vec<_>>())
    };
    // The directory sees the line number without the home bits (every line here has them).
    let dir_addr = |a: &Expr| -> Expr { cat([zeros(tb), a.slice(pa - 1, ob + tb), zeros(ob)]) };
    let from_dir = |da: Expr| -> Expr {
        // {tag, index} of a directory address back to the line address homed here.
        cat([da.slice(pa - tb - 1, ob), my_id.clone(), zeros(ob)])
    };

    // ------------------------------------------------------------ directory port
    let d_valid = m.wire("home_dir_valid", 1);
    let d_op = m.wire("home_dir_op", 1);
    let d_state = m.wire("home_dir_state", 2);
    let d_sharers = m.wire("home_dir_sharers", tiles);
    let d_owner = m.wire("home_dir_owner", dp.owner_bits());
    let src_bit = m.wire_from("home_src_bit", onehot(&src.expr()));
    m.comb(|p| {
        p.set(&d_valid, at(LOOK) | at(UPD) | at(PUPD));
        p.set(&d_op, at(UPD) | at(PUPD));
        p.set(&d_state, lit(2, 0));
        p.set(&d_sharers, zeros(tiles));
        p.set(&d_owner, zeros(dp.owner_bits()));
        p.when(at(UPD), |p| {
            p.when_else(
                is_t(ty::GETS),
                |p| {
                    p.set(&d_state, lit(2, 1));
                    p.set(
                        &d_sharers,
                        e_state.eq(lit(2, 1)).mux(e_sharers.expr(), zeros(tiles)) | &src_bit,
                    );
                },
                |p| {
                    p.set(&d_state, lit(2, 2));
                    p.set(&d_owner, fit(src.expr(), dp.owner_bits()));
                },
            )
        });
    });
    m.assign(&dir.port("req_valid"), &d_valid);
    m.assign(&dir.port("req_op"), &d_op);
    m.assign(&dir.port("req_addr"), dir_addr(&addr.expr()));
    m.assign(&dir.port("req_state"), &d_state);
    m.assign(&dir.port("req_sharers"), &d_sharers);
    m.assign(&dir.port("req_owner"), &d_owner);
    m.allow_unused(&dir.port("resp_valid"));
    m.allow_unused(&dir.port("resp_hit"));
    let v_state = dir.port("resp_vstate");
    let v_tag = dir.port("resp_vtag");
    let my_tag = dir_addr(&addr.expr()).slice(pa - 1, ob + ib);
    let conflict = m.wire_from("home_conflict", v_state.ne(lit(2, 0)) & v_tag.ne(my_tag));
    let v_addr = from_dir(cat([
        v_tag.expr(),
        dir_addr(&addr.expr()).slice(ob + ib - 1, ob),
        zeros(ob),
    ]));

    // ------------------------------------------------------------ memory port
    let mem_ready = m.input("mem_req_ready", 1);
    let mem_rv = m.input("mem_resp_valid", 1);
    let mem_rd = m.input("mem_resp_data", lb);
    let ack_is_d = l
        .typ(&io.ack.head.expr())
        .eq(lit(super::tile_noc::TYPE_BITS, ty::ACKD));
    m.output_from("mem_req_valid", at(ACKW) | at(MEMR) | at(MEMW));
    m.output_from("mem_req_write", at(ACKW) | at(MEMW));
    m.output_from(
        "mem_req_addr",
        at(ACKW).mux(l.addr(&io.ack.head.expr()), addr.expr()),
    );
    m.output_from(
        "mem_req_wdata",
        at(ACKW).mux(io.ack.data.expr(), line.expr()),
    );
    m.output_from("mem_resp_ready", at(ACKW2) | at(MEMR2) | at(MEMW2));

    // ------------------------------------------------------------ messages out
    // INV to the lowest pending tile.
    let low: Vec<Expr> = (0..tiles)
        .map(|k| {
            let below = (0..k).map(|j| pending.bit(j)).or_tree();
            match below {
                Some(b) => pending.bit(k) & !b,
                None => pending.bit(k),
            }
        })
        .collect();
    let low = m.wire_from("home_inv_pick", cat(low.iter().rev().cloned()));
    let low_id = m.wire_from("home_inv_to", super::onehot_index(&low.expr(), tiles, tb));
    let any_pending = m.wire_from("home_any_pending", pending.any());
    m.assign(&io.fwd_valid, at(INV) & &any_pending);
    m.assign(
        &io.fwd_head,
        l.head(
            coords(&low_id.expr()),
            my_id.clone(),
            ty::INV,
            inv_addr.expr(),
        ),
    );
    let inv_sent = m.wire_from(
        "home_inv_sent",
        at(INV) & &any_pending & io.fwd_ready.clone(),
    );
    m.assign(&io.rsp_valid, at(DATA) | at(PUTACK));
    m.assign(
        &io.rsp_head,
        at(PUTACK).mux(
            l.head(coords(&src.expr()), my_id.clone(), ty::PUTACK, addr.expr()),
            is_t(ty::GETS).mux(
                l.head(coords(&src.expr()), my_id.clone(), ty::DATAS, addr.expr()),
                l.head(coords(&src.expr()), my_id.clone(), ty::DATAM, addr.expr()),
            ),
        ),
    );
    m.assign(&io.rsp_hasd, at(DATA));
    m.assign(&io.rsp_data, &line);
    let rsp_sent = at(DATA) | at(PUTACK);
    let rsp_sent = m.wire_from("home_rsp_sent", rsp_sent & io.rsp_ready.clone());

    // ------------------------------------------------------------ the sequence
    let take_req = m.wire_from("home_take_req", at(IDLE) & &io.req.valid);
    m.assign(&io.req_pop, &take_req);
    // An ack in INV: a plain ACK is taken at once; an ACKD after its line is in memory.
    let ack_here = m.wire_from("home_ack_here", at(INV) & &io.ack.valid);
    let ack_plain = m.wire_from("home_ack_plain", &ack_here & !ack_is_d.clone());
    let ackw_done = m.wire_from("home_ackw_done", at(ACKW2) & &mem_rv);
    // The requester's unblock (an ACK after it took the DATA).
    let unblock = m.wire_from("home_unblock", at(UNB) & &io.ack.valid);
    m.assign(&io.ack_pop, &ack_plain | &ackw_done | &unblock);
    let ack_in = &ack_plain | &ackw_done;
    let go = |q: &mut crate::rtl::ProcBuilder, s: u128| q.set(&st, lit(HB, s));
    let req_head = io.req.head.expr();
    m.seq(|q| {
        // The ack count: +1 per INV sent, -1 per ack taken.
        q.when_else(
            &inv_sent & !ack_in.clone(),
            |q| q.set(&acks, acks.add_const(1)),
            |q| {
                q.when(!&inv_sent & ack_in.clone(), |q| {
                    q.set(&acks, acks.sub_const(1))
                })
            },
        );
        q.when(inv_sent.expr(), |q| q.set(&pending, &pending & !&low));
        q.switch(st.expr(), |c| {
            c.arm(IDLE, |q| {
                q.when(take_req.expr(), |q| {
                    q.set(&typ, l.typ(&req_head));
                    q.set(&src, l.src(&req_head));
                    q.set(&addr, l.addr(&req_head));
                    q.set(&line, io.req.data.expr());
                    go(q, LOOK);
                })
            });
            c.arm(LOOK, |q| go(q, DIR));
            c.arm(DIR, |q| {
                q.set(&e_state, dir.port("resp_state").expr());
                q.set(&e_sharers, dir.port("resp_sharers").expr());
                q.set(&e_owner, dir.port("resp_owner").expr());
                q.when_else(
                    conflict.expr(),
                    |q| {
                        // Recall the line this entry tracks: its owner, or its sharers.
                        q.set(&recall, lit(1, 1));
                        q.set(&inv_addr, v_addr.clone());
                        q.set(
                            &pending,
                            v_state.eq(lit(2, 2)).mux(
                                onehot(&dir.port("resp_vowner").expr()),
                                dir.port("resp_vsharers").expr(),
                            ),
                        );
                        go(q, INV);
                    },
                    |q| go(q, ACT),
                )
            });
            c.arm(ACT, |q| {
                q.set(&inv_addr, addr.expr());
                let m_state = e_state.eq(lit(2, 2));
                let s_state = e_state.eq(lit(2, 1));
                let owner_bit = onehot(&e_owner.expr());
                q.when_else(
                    is_t(ty::PUTM),
                    |q| {
                        q.set(
                            &st,
                            (m_state.clone() & e_owner.eq(fit(src.expr(), dp.owner_bits())))
                                .mux(lit(HB, MEMW), lit(HB, PUTACK)),
                        )
                    },
                    |q| {
                        q.when_else(
                            m_state.clone(),
                            |q| {
                                q.set(&pending, owner_bit.clone() & !&src_bit);
                                go(q, INV);
                            },
                            |q| {
                                q.when_else(
                                    s_state.clone() & is_t(ty::GETM),
                                    |q| {
                                        q.set(&pending, &e_sharers & !&src_bit);
                                        go(q, INV);
                                    },
                                    |q| go(q, MEMR),
                                )
                            },
                        )
                    },
                )
            });
            c.arm(INV, |q| {
                q.when_else(
                    &ack_here & ack_is_d.clone(),
                    |q| go(q, ACKW),
                    |q| {
                        // Done when nothing is left to send and every ack is in (counting the
                        // one taken now).
                        let last = !&any_pending
                            & (acks.eq(zeros(acks.width()))
                                | (acks.eq(lit(acks.width(), 1)) & &ack_plain));
                        q.when(last, |q| {
                            q.when_else(
                                recall.expr(),
                                |q| {
                                    // The entry is free now: this request finds the line in I.
                                    q.set(&recall, lit(1, 0));
                                    q.set(&e_state, lit(2, 0));
                                    q.set(&e_sharers, zeros(tiles));
                                    go(q, ACT);
                                },
                                |q| {
                                    // A GETS that took the line from its owner: the entry
                                    // becomes S with the requester only.
                                    q.when(e_state.eq(lit(2, 2)) & is_t(ty::GETS), |q| {
                                        q.set(&e_state, lit(2, 0))
                                    });
                                    go(q, MEMR);
                                },
                            )
                        });
                    },
                )
            });
            c.arm(ACKW, |q| q.when(mem_ready.expr(), |q| go(q, ACKW2)));
            c.arm(ACKW2, |q| q.when(mem_rv.expr(), |q| go(q, INV)));
            c.arm(MEMR, |q| q.when(mem_ready.expr(), |q| go(q, MEMR2)));
            c.arm(MEMR2, |q| {
                q.when(mem_rv.expr(), |q| {
                    q.set(&line, mem_rd.expr());
                    go(q, DATA);
                })
            });
            c.arm(DATA, |q| q.when(rsp_sent.expr(), |q| go(q, UNB)));
            c.arm(UNB, |q| q.when(unblock.expr(), |q| go(q, UPD)));
            c.arm(UPD, |q| go(q, IDLE));
            c.arm(MEMW, |q| q.when(mem_ready.expr(), |q| go(q, MEMW2)));
            c.arm(MEMW2, |q| q.when(mem_rv.expr(), |q| go(q, PUPD)));
            c.arm(PUPD, |q| go(q, PUTACK));
            c.arm(PUTACK, |q| q.when(rsp_sent.expr(), |q| go(q, IDLE)));
            c.otherwise(|q| go(q, IDLE));
        });
    });
}
