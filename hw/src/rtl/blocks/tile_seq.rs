//! The tile's memory sequencer: it serves the cores' fetches, loads, stores, atomics and device
//! accesses from the tile's L1I/L1D/L2 arrays and, on an L2 miss, from memory through the tile's
//! line port, one operation at a time.
//!
//! ```text
//!  core c, thread t ──► fetch slot (pc)          ┐
//!                  └──► data FIFO (program order:│ round-robin ─► one operation at a time:
//!                       loads, stores, atomics,  │  fetch/load: L1 READ ─hit─► answer
//!                       device accesses)         ┘              └─miss─► L2 READ ─► (miss: write
//!                                                     back a dirty victim, read the line from
//!                                                     memory, FILL the L2) ─► FILL the L1 ─► answer
//!                                                  store/AMO/LR/SC: L2 READ (miss: as above),
//!                                                     compute, WRITE L2 + own L1D, INVAL the
//!                                                     other L1Ds and every L1I, mark dirty ─► answer
//!                                                  device: the MMIO port ─► answer
//! ```
//!
//! Answers go back on the core's per-thread lanes (`if_rsp_*`, `d_rsp_*`, `st_ack`: one per
//! cycle at most). The order of a thread's data operations is its program order (one FIFO per
//! thread, `store_buffer + 1` entries rounded up to a power of two), so a load sees the
//! thread's older stores; operations of different threads are serialised by the sequencer, and
//! every write is visible to every core of the tile once it is answered (L1Ds are write-through
//! and the sequencer invalidates the other cores' copies), which is enough for RVWMO within the
//! tile. LR/SC follow the simulator's platform rule: a reservation is the LR's address, SC
//! succeeds only at that exact address, a store or AMO of another hart of the tile to the same
//! 64-byte line breaks it, an SC releases it either way. L1 misses and the L2 are not
//! pipelined: correctness first; the cycle counts are therefore not the simulator's (reported
//! by `strand-cosim --chip`). Across tiles the line port goes straight to memory: the MSI
//! sequencer between tiles is still to be written (`docs/rtl.md`).

use super::cache::{op, CacheParams};
use super::chip::RrTree;
use super::tile::fit;
use super::tile_noc::{ty, Layout, Received};
use super::OrTree;
use crate::memmap::{
    CLINT_BASE, CLINT_SIZE, FINISHER_BASE, FINISHER_SIZE, UART_BASE, UART_SIZE, VIRTIO_BASE,
    VIRTIO_SLOTS, VIRTIO_STRIDE,
};
use crate::rtl::{cat, clog2, lit, mux, zeros, Expr, Inst, ModRef, ModuleBuilder, Sig};
use crate::ChipConfig;

/// The modules the sequencer instantiates (built before the tile's module).
pub(crate) struct SeqMods {
    pub l1i: ModRef,
    pub l1d: ModRef,
    pub l2: ModRef,
    pub l1p: CacheParams,
    pub l2p: CacheParams,
    pub fifo: ModRef,
    pub fifo_width: u32,
    pub arb: RrTree,
}

/// Entries of a thread's data FIFO.
pub(crate) fn fifo_depth(cfg: &ChipConfig) -> u32 {
    (cfg.core.store_buffer + 1).next_power_of_two().max(2)
}

/// Width of a data FIFO entry: `{io, kind, amo, size, addr, wdata}`.
pub(crate) fn fifo_width(pa: u32) -> u32 {
    1 + 3 + 5 + 2 + pa + 64
}

// Sequencer states.
const IDLE: u128 = 0;
const DECIDE: u128 = 1;
const L1_LOOK: u128 = 2;
const L1_RESP: u128 = 3;
const L2_LOOK: u128 = 4;
const L2_RESP: u128 = 5;
const WB_RD: u128 = 6;
const WB_CAP: u128 = 7;
const WB_REQ: u128 = 8;
const WB_RSP: u128 = 9;
const MEM_REQ: u128 = 10;
const MEM_RSP: u128 = 11;
const L2_FILL: u128 = 12;
const L2_RD: u128 = 14;
const L2_CAP: u128 = 15;
const L1_FILL: u128 = 16;
const EXEC: u128 = 18;
const META: u128 = 19;
const MMIO_REQ: u128 = 20;
const MMIO_RSP: u128 = 21;
const RESP: u128 = 22;
const VINV: u128 = 23;
const SN_LOOK: u128 = 24;
const SN_RESP: u128 = 25;
const SN_RD: u128 = 26;
const SN_CAP: u128 = 27;
const SN_INV: u128 = 28;
const SN_ACK: u128 = 29;
const UNB: u128 = 30;
const SB: u32 = 5;

// Data operation kinds (the core's `d_req_kind`).
const K_LOAD: u128 = 0;
const K_STORE: u128 = 1;
const K_AMO: u128 = 2;
const K_LR: u128 = 3;
const K_SC: u128 = 4;

/// `a` within `[base, base + size)` (`a` is 64 bits).
fn within(a: &Expr, base: u64, size: u64) -> Expr {
    a.ge(lit(64, u128::from(base))) & a.lt(lit(64, u128::from(base + size)))
}

/// The name of a per-issue core port of group `g` (`g<g>_<name>` when the core has groups).
fn gport(groups: u32, g: u32, name: &str) -> String {
    if groups > 1 {
        format!("g{g}_{name}")
    } else {
        name.to_string()
    }
}

/// The sequencer's side of the coherence protocol in a mesh (`tile_noc.rs`, `home.rs`): the
/// signals it drives (`Sig`s) and reads.
pub(crate) struct SeqNoc {
    /// Message layout.
    pub layout: Layout,
    /// This tile's id.
    pub my_id: Expr,
    /// `{y, x}` of a tile id.
    pub coords: Box<dyn Fn(&Expr) -> Expr>,
    /// `{y, x}` of the home of a line address.
    pub home_dest: Box<dyn Fn(&Expr) -> Expr>,
    /// GETS/GETM/PUTM out: valid, head, with data, the line.
    pub req: [Sig; 4],
    /// The request sender takes it.
    pub req_ready: Expr,
    /// ACK/ACKD out: valid, head, with data, the line.
    pub rsp: [Sig; 4],
    /// The response sender takes it.
    pub rsp_ready: Expr,
    /// INV in.
    pub inv: Received,
    /// Take it.
    pub inv_pop: Sig,
    /// DATAS/DATAM/PUTACK in.
    pub ans: Received,
    /// Take it.
    pub ans_pop: Sig,
}

/// Builds the sequencer into the tile's module `m` around the tile's `cores`; declares the
/// tile's `mmio_*` ports and, without `noc` (a one-tile chip), its `mem_*` (line) ports.
pub(crate) fn sequencer(
    m: &mut ModuleBuilder,
    cfg: &ChipConfig,
    mods: &SeqMods,
    cores: &[Inst],
    noc: Option<&SeqNoc>,
) {
    let nc = cores.len() as u32;
    let t = cfg.core.threads;
    let groups = cfg.core.thread_groups.max(1);
    let tg = t / groups;
    let pa = mods.l2p.pa_bits;
    let line = cfg.tile.l2.line;
    let lb = line * 8;
    let ob = clog2(u64::from(line));
    let words = line / 8;
    let wcb = clog2(u64::from(words)).max(1);
    let tb = clog2(u64::from(t)).max(1);
    let cb = clog2(u64::from(nc)).max(1);
    let lwb = clog2(u64::from(tg)).max(1);
    let st_w = clog2(u64::from(cfg.core.store_buffer) + 2);
    let dram_base = crate::params::DRAM_BASE;
    let dram_size = cfg.memory.dram_size;
    let fw = mods.fifo_width;
    let harts = nc * t;

    // ------------------------------------------------------------ state and operation registers
    let st = m.reg("seq_state", SB, IDLE);
    m.output_from("dbg_seq_state", &st); // for co-simulation's hang report
    let at = |v: u128| st.eq(lit(SB, v));
    let cur_core = m.reg("seq_core", cb, 0);
    let cur_tid = m.reg("seq_tid", tb, 0);
    let is_fetch = m.reg("seq_fetch", 1, 0);
    let op_io = m.reg("seq_io", 1, 0);
    let op_kind = m.reg("seq_kind", 3, 0);
    let op_amo = m.reg("seq_amo", 5, 0);
    let op_size = m.reg("seq_size", 2, 0);
    let op_addr = m.reg("seq_addr", pa, 0);
    let op_wdata = m.reg("seq_wdata", 64, 0);
    let fault_q = m.reg("seq_fault", 1, 0);
    let raw_q = m.reg("seq_raw", 1, 0); // the answer is already a value (device, SC)
    let rdata = m.reg("seq_rdata", 64, 0);
    let linebuf = m.reg("seq_line", lb, 0);
    let wcnt = m.reg("seq_word", wcb, 0);
    let l2_way = m.reg("seq_l2_way", mods.l2p.way_bits(), 0);
    let l1_way = m.reg("seq_l1_way", mods.l1p.way_bits(), 0);
    let vtag = m.reg("seq_vtag", mods.l2p.tag_bits(), 0);
    let after_fill = m.reg("seq_after_fill", 1, 0); // 1: the L2 fill serves an L1 (fetch/load)
    let vdirty = m.reg("seq_vdirty", 1, 0); // the victim is dirty (modified)
    let fill_m = m.reg("seq_fill_m", 1, 0); // the line comes modified (DATAM)
    let multi = noc.is_some();
    // Snoop state (mesh only; constant wires in a one-tile chip).
    let snoop_reg = |m: &mut ModuleBuilder, name: &str, w: u32| {
        if multi {
            m.reg(name, w, 0)
        } else {
            m.wire_from(name, zeros(w))
        }
    };
    let ret = snoop_reg(m, "seq_ret", SB); // where a snoop returns to
    let sn_m = snoop_reg(m, "seq_sn_m", 1); // the snooped line is modified here
    let sn_buf = snoop_reg(m, "seq_sn_line", if multi { lb } else { 1 });
    let inv_valid: Expr = noc.map_or_else(|| lit(1, 0), |n| n.inv.valid.expr());

    let is = |k: u128| op_kind.eq(lit(3, k));
    let store_like = m.wire_from("seq_store_like", !&is_fetch & !is(K_LOAD));
    let last_word = m.wire_from("seq_last_word", wcnt.eq(lit(wcb, u128::from(words - 1))));
    let set_bits = mods.l2p.set_bits();
    // Line addresses (the operation's, the L2 victim's) and the address of their word `wcnt`.
    let op_line = m.wire_from("seq_op_line", cat([op_addr.slice(pa - 1, ob), zeros(ob)]));
    let victim_line = m.wire_from(
        "seq_victim_line",
        cat([vtag.expr(), op_addr.slice(ob + set_bits - 1, ob), zeros(ob)]),
    );
    let word_of = |line: &Expr| -> Expr { cat([line.slice(pa - 1, ob), wcnt.expr(), zeros(3)]) };
    let my_line = m.wire_from("seq_line_addr", word_of(&op_line.expr()));
    let victim_addr = m.wire_from("seq_victim_addr", word_of(&victim_line.expr()));
    let byte = op_addr.slice(2, 0);
    let sh = m.wire_from("seq_shift", cat([byte.clone(), zeros(3)]));
    let size_mask = m.wire_from(
        "seq_size_mask",
        mux(
            op_size.eq(lit(2, 0)),
            lit(8, 0x1),
            mux(
                op_size.eq(lit(2, 1)),
                lit(8, 0x3),
                mux(op_size.eq(lit(2, 2)), lit(8, 0xf), lit(8, 0xff)),
            ),
        ),
    );
    let wmask = m.wire_from("seq_wmask", size_mask.shl(byte.clone()));

    // ------------------------------------------------------------ request sources
    // Per core and thread: a fetch slot and a data FIFO. Source index: 2 * (c * T + t) + {0
    // fetch, 1 data}.
    let mut reqs: Vec<Expr> = Vec::new();
    let mut fetch_pc: Vec<Expr> = Vec::new();
    let mut heads: Vec<Expr> = Vec::new();
    let mut fifos = Vec::new();
    let mut fslots = Vec::new();
    for (c, u) in cores.iter().enumerate() {
        let if_valid = u.port("if_req_valid");
        m.allow_unused(&u.port(&gport(groups, 0, "if_req_untimed")));
        for g in 1..groups {
            m.allow_unused(&u.port(&gport(groups, g, "if_req_untimed")));
        }
        for th in 0..t {
            let g = th / tg;
            let fv = m.reg(&format!("fetch_v_c{c}_t{th}"), 1, 0);
            let fpc = m.reg(&format!("fetch_pc_c{c}_t{th}"), 64, 0);
            let req = if_valid.bit(th);
            m.next_when(&fpc, req.clone(), u.port(&gport(groups, g, "if_req_pc")));
            fslots.push((fv, req));
            fetch_pc.push(fpc.expr());
            let q = m.instance(&format!("dq_c{c}_t{th}"), &mods.fifo);
            fifos.push(q);
        }
        // Data requests of each group go to their thread's FIFO.
        for g in 0..groups {
            let valid = u.port(&gport(groups, g, "d_req_valid"));
            let addr = u.port(&gport(groups, g, "d_req_addr"));
            let kind = u.port(&gport(groups, g, "d_req_kind"));
            let size = u.port(&gport(groups, g, "d_req_size"));
            let a = addr.expr();
            let nbytes_end = |k: u64| within(&a, dram_base, dram_size.saturating_sub(k - 1));
            let in_dram = mux(
                size.eq(lit(2, 0)),
                nbytes_end(1),
                mux(
                    size.eq(lit(2, 1)),
                    nbytes_end(2),
                    mux(size.eq(lit(2, 2)), nbytes_end(4), nbytes_end(8)),
                ),
            );
            let in_dram = m.wire_from(&format!("d_in_dram_c{c}_g{g}"), in_dram);
            let is_dev = within(&a, FINISHER_BASE, FINISHER_SIZE)
                | within(&a, UART_BASE, UART_SIZE)
                | within(&a, CLINT_BASE, CLINT_SIZE)
                | within(&a, VIRTIO_BASE, VIRTIO_STRIDE * VIRTIO_SLOTS);
            let atomic = kind.ge(lit(3, K_AMO));
            let fault = m.wire_from(
                &format!("d_fault_c{c}_g{g}"),
                &valid & !&in_dram & (atomic | !is_dev),
            );
            m.assign(&u.port(&gport(groups, g, "d_fault")), &fault);
            let entry = cat([
                !in_dram.expr(),
                kind.expr(),
                u.port(&gport(groups, g, "d_req_amo")).expr(),
                size.expr(),
                fit(a.clone(), pa),
                u.port(&gport(groups, g, "d_req_wdata")).expr(),
            ]);
            let entry = m.wire_from(&format!("d_entry_c{c}_g{g}"), entry);
            let tid = u.port(&gport(groups, g, "d_req_tid"));
            for lt in 0..tg {
                let th = g * tg + lt;
                let q = &fifos[(c as u32 * t + th) as usize];
                let mine = if tg > 1 {
                    tid.eq(lit(lwb, u128::from(lt)))
                } else {
                    lit(1, 1)
                };
                let push = &valid & !&fault & mine;
                // Several groups never share a thread, so one push per FIFO and cycle.
                m.assign(&q.port("in_valid"), push);
                m.assign(&q.port("in_data"), &entry);
            }
            if tg == 1 {
                m.allow_unused(&tid);
            }
        }
    }
    for q in &fifos {
        m.allow_unused(&q.port("in_ready"));
        m.allow_unused(&q.port("credits"));
    }
    for k in 0..(nc * t) as usize {
        reqs.push(fslots[k].0.expr());
        reqs.push(fifos[k].port("out_valid").expr());
        heads.push(fifos[k].port("out_data").expr());
    }
    let idle = m.wire_from("seq_idle", at(IDLE));
    let grant = mods.arb.grant(m, "seq_arb", &reqs, &idle.expr());
    let grant = m.wire_from("seq_grant", grant);
    let any_req = m.wire_from(
        "seq_any_req",
        reqs.iter().cloned().or_tree().expect("sources"),
    );
    // An INV is taken unless it would break a reservation held for an SC still to come.
    let take_inv = m.wire("seq_take_inv", 1);
    let accept = m.wire_from("seq_accept", &idle & &any_req & !&take_inv);
    let n_src = 2 * nc * t;
    let pick = |sel: &dyn Fn(u32) -> Option<Expr>, w: u32| -> Expr {
        (0..n_src)
            .filter_map(|k| sel(k).map(|v| grant.bit(k).repeat(w) & v))
            .or_tree()
            .unwrap_or_else(|| zeros(w))
    };
    let g_fetch = pick(&|k| (k % 2 == 0).then(|| lit(1, 1)), 1);
    let g_pc = pick(
        &|k| (k % 2 == 0).then(|| fetch_pc[(k / 2) as usize].clone()),
        64,
    );
    let g_head = pick(
        &|k| (k % 2 == 1).then(|| heads[(k / 2) as usize].clone()),
        fw,
    );
    let g_thread = |f: &dyn Fn(u32) -> u32, w: u32| -> Expr {
        cat((0..w).rev().map(|b| {
            (0..n_src)
                .filter(|k| f(k / 2) >> b & 1 == 1)
                .map(|k| grant.bit(k))
                .or_tree()
                .unwrap_or_else(|| lit(1, 0))
        }))
    };
    let g_core = g_thread(&|h| h / t, cb);
    let g_tid = g_thread(&|h| h % t, tb);
    // Pops: a fetch slot clears, a FIFO's head leaves.
    for k in 0..(nc * t) as usize {
        let (fv, req) = &fslots[k];
        let take = &accept & grant.bit(2 * k as u32);
        m.seq(|q| {
            q.when_else(
                req.clone(),
                |q| q.set(fv, lit(1, 1)),
                |q| q.when(take.clone(), |q| q.set(fv, lit(1, 0))),
            )
        });
        m.assign(
            &fifos[k].port("out_ready"),
            &accept & grant.bit(2 * k as u32 + 1),
        );
    }
    let h_wdata = g_head.slice(63, 0);
    let h_addr = g_head.slice(64 + pa - 1, 64);
    let h_size = g_head.slice(64 + pa + 1, 64 + pa);
    let h_amo = g_head.slice(64 + pa + 6, 64 + pa + 2);
    let h_kind = g_head.slice(64 + pa + 9, 64 + pa + 7);
    let h_io = g_head.bit(64 + pa + 10);
    let fetch_in_dram = within(&g_pc, dram_base, dram_size.saturating_sub(3));

    // ------------------------------------------------------------ arrays
    let l2 = m.instance("l2", &mods.l2);
    let mut l1s: Vec<(Inst, Inst)> = Vec::new();
    for c in 0..nc {
        let i = m.instance(&format!("l1i{c}"), &mods.l1i);
        let d = m.instance(&format!("l1d{c}"), &mods.l1d);
        l1s.push((i, d));
    }
    let core_is = |c: u32| cur_core.eq(lit(cb, u128::from(c)));
    // The L1 an operation looks up: L1I for a fetch, else L1D, of its core.
    let l1_sel = |field: &str, w: u32| -> Expr {
        l1s.iter()
            .enumerate()
            .map(|(c, (i, d))| {
                core_is(c as u32).repeat(w) & is_fetch.mux(i.port(field), d.port(field))
            })
            .or_tree()
            .expect("cores")
    };
    let l1_hit = m.wire_from("seq_l1_hit", l1_sel("resp_hit", 1));
    let l1_data = m.wire_from("seq_l1_data", l1_sel("resp_data", 64));
    let l1_victim = m.wire_from("seq_l1_victim", l1_sel("victim", mods.l1p.way_bits()));
    let l1_ready = m.wire_from("seq_l1_ready", l1_sel("req_ready", 1));
    let all_l1_ready = m.wire_from(
        "seq_all_l1_ready",
        l1s.iter()
            .flat_map(|(i, d)| [i.port("req_ready").expr(), d.port("req_ready").expr()])
            .reduce(|a, b| a & b)
            .expect("cores"),
    );
    let l2_ready = l2.port("req_ready");
    let l2_hit = l2.port("resp_hit");
    let word_of_line = |buf: &Expr, idx: Expr| -> Expr { buf.shr(cat([idx, zeros(6)])).trunc(64) };
    let line_word = m.wire_from("seq_line_word", word_of_line(&linebuf.expr(), wcnt.expr()));
    let op_word = op_addr.slice(ob - 1, 3);
    let my_word = m.wire_from(
        "seq_my_word",
        word_of_line(&linebuf.expr(), op_word.clone()),
    );
    let wlane = m.wire_from("seq_wlane", op_wdata.shl(sh.expr()));

    // AMO arithmetic on the old word (64 bits at `addr & !7`).
    let amo_w = op_size.eq(lit(2, 2));
    let old = rdata.shr(sh.expr());
    let a = m.wire_from("amo_a", amo_w.mux(old.trunc(32).sext(64), old.clone()));
    let b = m.wire_from(
        "amo_b",
        amo_w.mux(op_wdata.trunc(32).sext(64), op_wdata.expr()),
    );
    let f = |k: u128| op_amo.eq(lit(5, k));
    let amo_res = m.wire_from(
        "amo_result",
        mux(
            f(0b00000),
            &a + &b,
            mux(
                f(0b00001),
                b.expr(),
                mux(
                    f(0b00100),
                    &a ^ &b,
                    mux(
                        f(0b01100),
                        &a & &b,
                        mux(
                            f(0b01000),
                            &a | &b,
                            mux(
                                f(0b10000),
                                a.lt_s(&b).mux(&a, &b),
                                mux(
                                    f(0b10100),
                                    a.lt_s(&b).mux(&b, &a),
                                    mux(f(0b11000), a.lt(&b).mux(&a, &b), a.lt(&b).mux(&b, &a)),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    );
    let new_lane = m.wire_from(
        "seq_new_lane",
        is(K_AMO).mux(amo_res.shl(sh.expr()), wlane.expr()),
    );
    // ------------------------------------------------------------ reservations (LR/SC)
    let mut resv = Vec::new();
    for h in 0..harts {
        let v = m.reg(&format!("resv_v_h{h}"), 1, 0);
        let ra = m.reg(&format!("resv_addr_h{h}"), pa, 0);
        resv.push((v, ra));
    }
    // Harts are numbered core * T + tid; with T a power of two the index is {core, tid}.
    let h_is = |h: u32| {
        let (c, th) = (h / t, h % t);
        core_is(c) & cur_tid.eq(lit(tb, u128::from(th)))
    };
    let sc_ok = m.wire_from(
        "seq_sc_ok",
        (0..harts)
            .map(|h| h_is(h) & &resv[h as usize].0 & resv[h as usize].1.eq(&op_addr))
            .or_tree()
            .expect("harts"),
    );
    let writes = m.wire_from(
        "seq_writes",
        at(EXEC) & !&is_fetch & (is(K_STORE) | is(K_AMO) | (is(K_SC) & &sc_ok)),
    );

    // The snooped line (an INV from a home) and its words.
    let sn_addr = m.wire_from(
        "seq_sn_addr",
        noc.map_or_else(|| zeros(pa), |n| n.layout.addr(&n.inv.head.expr())),
    );
    let sn_word = m.wire_from("seq_sn_word", word_of(&sn_addr.expr()));
    let all_ready = m.wire_from("seq_all_ready", &all_l1_ready & &l2_ready);

    // ------------------------------------------------------------ array requests
    // L2: READ to look up (req_way = victim so the victim's entry comes back), READ words for a
    // write-back or an L1 fill, FILL from memory, WRITE, SETMETA (dirty).
    let l2_valid = m.wire("seq_l2_valid", 1);
    let l2_op = m.wire("seq_l2_op", 3);
    let l2_addr = m.wire("seq_l2_addr", pa);
    m.comb(|p| {
        p.set(&l2_valid, lit(1, 0));
        p.set(&l2_op, lit(3, op::READ));
        p.set(&l2_addr, op_addr.expr());
        p.switch(st.expr(), |c| {
            c.arm(L2_LOOK, |p| p.set(&l2_valid, lit(1, 1)));
            c.arm(WB_RD, |p| {
                p.set(&l2_valid, lit(1, 1));
                p.set(&l2_addr, victim_addr.expr());
            });
            c.arm(L2_RD, |p| {
                p.set(&l2_valid, lit(1, 1));
                p.set(&l2_addr, my_line.expr());
            });
            c.arm(L2_FILL, |p| {
                p.set(&l2_valid, lit(1, 1));
                p.set(&l2_op, lit(3, op::FILL));
                p.set(&l2_addr, my_line.expr());
            });
            c.arm(EXEC, |p| {
                p.set(&l2_valid, &writes & &all_l1_ready);
                p.set(&l2_op, lit(3, op::WRITE));
            });
            c.arm(META, |p| {
                p.set(&l2_valid, lit(1, 1));
                p.set(&l2_op, lit(3, op::SETMETA));
            });
            c.arm(SN_LOOK, |p| {
                p.set(&l2_valid, lit(1, 1));
                p.set(&l2_addr, sn_addr.expr());
            });
            c.arm(SN_RD, |p| {
                p.set(&l2_valid, lit(1, 1));
                p.set(&l2_addr, sn_word.expr());
            });
            c.arm(SN_INV, |p| {
                p.set(&l2_valid, all_ready.expr());
                p.set(&l2_op, lit(3, op::INVAL));
                p.set(&l2_addr, sn_addr.expr());
            });
            c.otherwise(|_| {});
        });
    });
    m.assign(&l2.port("req_valid"), &l2_valid);
    m.assign(&l2.port("req_op"), &l2_op);
    m.assign(&l2.port("req_addr"), &l2_addr);
    m.assign(
        &l2.port("req_wdata"),
        at(L2_FILL).mux(line_word.expr(), new_lane.expr()),
    );
    m.assign(&l2.port("req_wmask"), wmask.expr());
    m.assign(
        &l2.port("req_way"),
        at(L2_LOOK).mux(l2.port("victim").expr(), l2_way.expr()),
    );
    // Meta = dirty (one tile) or modified (mesh): set by a write, or by a fill of a line granted
    // modified.
    m.assign(&l2.port("req_meta"), at(META) | (at(L2_FILL) & &fill_m));
    m.allow_unused(&l2.port("resp_op"));
    m.allow_unused(&l2.port("resp_valid"));
    let l2_fire = m.wire_from(
        "seq_l2_fire",
        &l2_valid & (&l2_ready | l2_op.eq(lit(3, op::FILL))),
    );

    // L1s: the looked-up L1 gets READ and FILL; on a write every L1 of the tile takes part (own
    // L1D: WRITE, merged on a hit; other L1Ds and all L1Is: INVAL).
    for (c, (i, d)) in l1s.iter().enumerate() {
        let mine = core_is(c as u32);
        for (inst, is_i) in [(i, true), (d, false)] {
            let target = if is_i {
                &mine & &is_fetch
            } else {
                &mine & !&is_fetch
            };
            let look = at(L1_LOOK) & &target;
            let fill = at(L1_FILL) & &target;
            let wr = &writes & &all_ready;
            // Every L1 drops a line the L2 evicts (inclusion) or a home invalidates.
            let vinv = at(VINV) & &all_l1_ready;
            let sninv = at(SN_INV) & &all_ready;
            let inv_all = &vinv | &sninv;
            m.assign(&inst.port("req_valid"), &look | &fill | &wr | &inv_all);
            let write_op = if is_i {
                lit(3, op::INVAL)
            } else {
                mine.mux(lit(3, op::WRITE), lit(3, op::INVAL))
            };
            m.assign(
                &inst.port("req_op"),
                inv_all.mux(
                    lit(3, op::INVAL),
                    fill.mux(lit(3, op::FILL), look.mux(lit(3, op::READ), write_op)),
                ),
            );
            m.assign(
                &inst.port("req_addr"),
                vinv.mux(
                    victim_addr.expr(),
                    sninv.mux(sn_addr.expr(), fill.mux(my_line.expr(), op_addr.expr())),
                ),
            );
            m.assign(
                &inst.port("req_wdata"),
                fill.mux(line_word.expr(), new_lane.expr()),
            );
            m.assign(&inst.port("req_wmask"), wmask.expr());
            m.assign(&inst.port("req_way"), l1_way.expr());
            m.allow_unused(&inst.port("resp_op"));
            m.allow_unused(&inst.port("resp_valid"));
            m.allow_unused(&inst.port("resp_way"));
            m.allow_unused(&inst.port("resp_vvalid"));
            m.allow_unused(&inst.port("resp_vtag"));
        }
    }
    // A FILL is always taken (`cache.rs`).
    let l1_fire = m.wire_from("seq_l1_fire", (at(L1_LOOK) & &l1_ready) | at(L1_FILL));

    // ------------------------------------------------------------ line port
    // One tile: memory (`mem_*`). Mesh: the home of the line (PUTM, GETS/GETM; PUTACK, DATA*).
    // (request taken, write-back done, line arrived, the line, granted modified)
    let (lp_ready, lp_ack, lp_valid, lp_data, lp_m): (Expr, Expr, Expr, Expr, Expr) = match noc {
        None => {
            let mem_ready = m.input("mem_req_ready", 1);
            let mem_rv = m.input("mem_resp_valid", 1);
            let mem_rd = m.input("mem_resp_data", lb);
            m.output_from("mem_req_valid", at(WB_REQ) | at(MEM_REQ));
            m.output_from("mem_req_write", at(WB_REQ));
            m.output_from(
                "mem_req_addr",
                at(WB_REQ).mux(victim_line.expr(), op_line.expr()),
            );
            m.output_from("mem_req_wdata", &linebuf);
            m.output_from("mem_resp_ready", at(WB_RSP) | at(MEM_RSP));
            (
                mem_ready.expr(),
                mem_rv.expr(),
                mem_rv.expr(),
                mem_rd.expr(),
                lit(1, 0),
            )
        }
        Some(n) => {
            let l = &n.layout;
            // A message from this tile about `line` to the line's home, or to tile `to`.
            let to_home = |t: u128, line: &Sig| {
                l.head((n.home_dest)(&line.expr()), n.my_id.clone(), t, line.expr())
            };
            let to_tile = |to: Expr, t: u128| l.head(to, n.my_id.clone(), t, sn_addr.expr());
            let [rv, rh, rd, rdata] = &n.req;
            m.assign(rv, at(WB_REQ) | at(MEM_REQ));
            m.assign(
                rh,
                at(WB_REQ).mux(
                    to_home(ty::PUTM, &victim_line),
                    store_like.mux(to_home(ty::GETM, &op_line), to_home(ty::GETS, &op_line)),
                ),
            );
            m.assign(rd, at(WB_REQ));
            m.assign(rdata, &linebuf);
            let atyp = l.typ(&n.ans.head.expr());
            let is_t = |t: u128| atyp.eq(lit(super::tile_noc::TYPE_BITS, t));
            let ack = &n.ans.valid & is_t(ty::PUTACK);
            let data = &n.ans.valid & (is_t(ty::DATAS) | is_t(ty::DATAM));
            m.assign(
                &n.ans_pop,
                (at(WB_RSP) & ack.clone()) | (at(MEM_RSP) & data.clone()),
            );
            // Snoop answers: ACK, or ACKD with the modified line.
            let [sv, sh_, sd, sdata] = &n.rsp;
            // And the unblock: an ACK to the home once its DATA is here.
            let to = (n.coords)(&l.src(&n.inv.head.expr()));
            m.assign(sv, at(SN_ACK) | at(UNB));
            m.assign(
                sh_,
                at(UNB).mux(
                    to_home(ty::ACK, &op_line),
                    sn_m.mux(to_tile(to.clone(), ty::ACKD), to_tile(to, ty::ACK)),
                ),
            );
            m.assign(sd, at(SN_ACK) & &sn_m);
            m.assign(sdata, &sn_buf);
            m.assign(&n.inv_pop, at(SN_ACK) & n.rsp_ready.clone());
            (
                n.req_ready.clone(),
                ack,
                data,
                n.ans.data.expr(),
                is_t(ty::DATAM),
            )
        }
    };

    // ------------------------------------------------------------ MMIO port
    let mmio_ready = m.input("mmio_req_ready", 1);
    let mmio_rv = m.input("mmio_resp_valid", 1);
    let mmio_rd = m.input("mmio_resp_data", 64);
    let mmio_id = m.input("mmio_resp_id", cb + tb);
    m.allow_unused(&mmio_id); // one request at a time: the answer is the current operation's
    m.output_from("mmio_req_valid", at(MMIO_REQ));
    m.output_from("mmio_req_write", is(K_STORE));
    m.output_from("mmio_req_addr", op_addr.trunc(32));
    m.output_from("mmio_req_wdata", &op_wdata);
    m.output_from("mmio_req_size", &op_size);
    m.output_from("mmio_req_id", cat([cur_core.expr(), cur_tid.expr()]));

    // ------------------------------------------------------------ the sequence
    let go = |q: &mut crate::rtl::ProcBuilder, s: u128| q.set(&st, lit(SB, s));
    let l2_resp_meta = l2.port("resp_meta");
    let l2_vvalid = l2.port("resp_vvalid");
    let l2_vdirty = l2.port("resp_vmeta");
    let l2_vtag = l2.port("resp_vtag");
    // A snoop starts from a waiting state (or IDLE) and returns to it.
    let snoop = |q: &mut crate::rtl::ProcBuilder, from: u128| {
        q.when(take_inv.expr(), |q| {
            q.set(&ret, lit(SB, from));
            q.set(&wcnt, zeros(wcb));
            go(q, SN_LOOK);
        })
    };
    // Reading a line out of the L2 (write-back, L1 fill, snoop): one READ per cycle in `rd`,
    // each word shifted into `buf` the cycle after its READ; `cap` takes the last one.
    let rd_pend = m.reg("seq_rd_pend", 1, 0);
    m.next(
        &rd_pend,
        &l2_fire & (at(WB_RD) | at(L2_RD) | at(SN_RD)) & !&last_word,
    );
    let resp_word = l2.port("resp_data").expr();
    let read_line =
        |c: &mut crate::rtl::CaseBuilder, rd: u128, cap: u128, buf: &Sig, then: u128| {
            let shift_in = cat([resp_word.clone(), buf.slice(lb - 1, 64)]);
            c.arm(rd, |q| {
                q.when(rd_pend.expr(), |q| q.set(buf, shift_in.clone()));
                q.when(l2_fire.expr(), |q| {
                    q.set(&wcnt, wcnt.add_const(1));
                    q.when(last_word.expr(), |q| go(q, cap));
                });
            });
            c.arm(cap, |q| {
                q.set(buf, shift_in.clone());
                go(q, then);
            });
        };
    m.seq(|q| {
        q.switch(st.expr(), |c| {
            c.arm(IDLE, |q| {
                if multi {
                    snoop(q, IDLE);
                }
                q.when(accept.expr(), |q| {
                    q.set(&cur_core, g_core.clone());
                    q.set(&cur_tid, g_tid.clone());
                    q.set(&is_fetch, g_fetch.clone());
                    q.set(&op_addr, g_fetch.mux(fit(g_pc.clone(), pa), h_addr.clone()));
                    q.set(&op_io, !g_fetch.clone() & h_io.clone());
                    q.set(&op_kind, g_fetch.mux(lit(3, K_LOAD), h_kind.clone()));
                    q.set(&op_amo, h_amo.clone());
                    q.set(&op_size, g_fetch.mux(lit(2, 2), h_size.clone()));
                    q.set(&op_wdata, h_wdata.clone());
                    q.set(&fault_q, g_fetch.clone() & !fetch_in_dram.clone());
                    q.set(&raw_q, lit(1, 0));
                    // A fetch or load within DRAM looks its L1 up at once (and a hit answers
                    // from L1_RESP): 3 cycles of the sequencer instead of 5.
                    let fast = (g_fetch.clone() & fetch_in_dram.clone())
                        | (!g_fetch.clone() & !h_io.clone() & h_kind.eq(lit(3, K_LOAD)));
                    q.set(&after_fill, lit(1, 1));
                    q.set(&st, fast.mux(lit(SB, L1_LOOK), lit(SB, DECIDE)));
                });
            });
            c.arm(DECIDE, |q| {
                q.when_else(
                    fault_q.expr(),
                    |q| go(q, RESP),
                    |q| {
                        q.when_else(
                            op_io.expr(),
                            |q| go(q, MMIO_REQ),
                            |q| {
                                q.when_else(
                                    is(K_SC) & !&sc_ok,
                                    |q| {
                                        // Failed SC: no access; answer 1, release.
                                        q.set(&raw_q, lit(1, 1));
                                        q.set(&rdata, lit(64, 1));
                                        go(q, RESP);
                                    },
                                    |q| {
                                        q.set(&after_fill, !store_like.expr());
                                        q.set(
                                            &st,
                                            store_like.mux(lit(SB, L2_LOOK), lit(SB, L1_LOOK)),
                                        );
                                    },
                                )
                            },
                        )
                    },
                )
            });
            c.arm(L1_LOOK, |q| {
                q.when(l1_fire.expr(), |q| {
                    q.set(&l1_way, l1_victim.expr());
                    go(q, L1_RESP);
                })
            });
            c.arm(L1_RESP, |q| {
                q.when_else(
                    l1_hit.expr(),
                    |q| go(q, IDLE), // answered now (seq_resp)
                    |q| go(q, L2_LOOK),
                )
            });
            c.arm(L2_LOOK, |q| {
                q.when(l2_fire.expr(), |q| {
                    q.set(&l2_way, l2.port("victim").expr());
                    go(q, L2_RESP);
                })
            });
            c.arm(L2_RESP, |q| {
                q.set(&wcnt, zeros(wcb));
                q.when_else(
                    l2_hit.expr(),
                    |q| {
                        q.set(&l2_way, l2.port("resp_way").expr());
                        q.set(&rdata, l2.port("resp_data").expr());
                        q.set(&st, after_fill.mux(lit(SB, L2_RD), lit(SB, EXEC)));
                        if multi {
                            // A write to a shared line asks its home for it modified.
                            q.when(!after_fill.expr() & !l2_resp_meta.expr(), |q| {
                                go(q, MEM_REQ)
                            });
                        }
                    },
                    |q| {
                        q.set(&vtag, l2_vtag.expr());
                        q.set(&vdirty, l2_vdirty.expr());
                        q.set(&st, l2_vvalid.mux(lit(SB, VINV), lit(SB, MEM_REQ)));
                    },
                )
            });
            // The victim leaves every L1 (inclusion), then, if dirty, memory gets it back.
            c.arm(VINV, |q| {
                q.when(all_l1_ready.expr(), |q| {
                    q.set(&st, vdirty.mux(lit(SB, WB_RD), lit(SB, MEM_REQ)))
                })
            });
            // Write-back: read the victim's words into the line buffer, then write the line.
            read_line(c, WB_RD, WB_CAP, &linebuf, WB_REQ);
            c.arm(WB_REQ, |q| q.when(lp_ready.clone(), |q| go(q, WB_RSP)));
            c.arm(WB_RSP, |q| {
                if multi {
                    snoop(q, WB_RSP);
                }
                q.when(lp_ack.clone(), |q| go(q, MEM_REQ));
            });
            // The line from memory (or its home) into the line buffer, then FILL the L2.
            c.arm(MEM_REQ, |q| q.when(lp_ready.clone(), |q| go(q, MEM_RSP)));
            c.arm(MEM_RSP, |q| {
                if multi {
                    snoop(q, MEM_RSP);
                }
                q.when(lp_valid.clone(), |q| {
                    q.set(&linebuf, lp_data.clone());
                    q.set(&fill_m, lp_m.clone());
                    q.set(&wcnt, zeros(wcb));
                    go(q, if multi { UNB } else { L2_FILL });
                })
            });
            // One FILL per cycle (the arrays accept a FILL after a FILL).
            c.arm(L2_FILL, |q| {
                q.when(l2_fire.expr(), |q| {
                    q.set(&wcnt, wcnt.add_const(1));
                    // An L1 miss fills its L1 from the buffer; a write looks the line up again.
                    q.when(last_word.expr(), |q| {
                        q.set(&st, after_fill.mux(lit(SB, L1_FILL), lit(SB, L2_LOOK)))
                    });
                })
            });
            // L2 hit for an L1 miss: read the line's words into the buffer.
            read_line(c, L2_RD, L2_CAP, &linebuf, L1_FILL);
            c.arm(L1_FILL, |q| {
                q.when(l1_fire.expr(), |q| {
                    q.set(&wcnt, wcnt.add_const(1));
                    q.when(last_word.expr(), |q| {
                        q.set(&rdata, my_word.expr());
                        go(q, RESP);
                    });
                })
            });
            // Store, AMO, LR, SC on the L2 line (rdata = the old word).
            c.arm(EXEC, |q| {
                q.when_else(
                    writes.expr(),
                    |q| {
                        q.when(&all_l1_ready & &l2_ready, |q| {
                            // A successful SC answers 0.
                            q.when(is(K_SC), |q| {
                                q.set(&raw_q, lit(1, 1));
                                q.set(&rdata, zeros(64));
                            });
                            go(q, META)
                        })
                    },
                    |q| {
                        // LR; or an SC whose reservation broke while its line was fetched.
                        q.when(is(K_SC), |q| {
                            q.set(&raw_q, lit(1, 1));
                            q.set(&rdata, lit(64, 1));
                        });
                        go(q, RESP)
                    },
                );
            });
            c.arm(META, |q| q.when(l2_ready.expr(), |q| go(q, RESP)));
            c.arm(MMIO_REQ, |q| q.when(mmio_ready.expr(), |q| go(q, MMIO_RSP)));
            c.arm(MMIO_RSP, |q| {
                q.when(mmio_rv.expr(), |q| {
                    q.set(&rdata, mmio_rd.expr());
                    q.set(&raw_q, lit(1, 1));
                    go(q, RESP);
                })
            });
            c.arm(RESP, |q| go(q, IDLE));
            if multi {
                // Snoop: look the line up; a modified line is read out; the L2 and every L1 drop
                // it; ACK (or ACKD with the line) to the home.
                c.arm(SN_LOOK, |q| q.when(l2_fire.expr(), |q| go(q, SN_RESP)));
                c.arm(SN_RESP, |q| {
                    let dirty = l2_hit.expr() & l2_resp_meta.expr();
                    q.set(&sn_m, dirty.clone());
                    q.set(&st, dirty.mux(lit(SB, SN_RD), lit(SB, SN_INV)));
                });
                read_line(c, SN_RD, SN_CAP, &sn_buf, SN_INV);
                c.arm(SN_INV, |q| q.when(all_ready.expr(), |q| go(q, SN_ACK)));
                let sent = noc.map_or_else(|| lit(1, 0), |n| n.rsp_ready.clone());
                c.arm(SN_ACK, |q| q.when(sent.clone(), |q| q.set(&st, ret.expr())));
                c.arm(UNB, |q| q.when(sent.clone(), |q| go(q, L2_FILL)));
            }
            c.otherwise(|q| go(q, IDLE));
        });
    });

    // Reservations: LR sets the hart's; SC releases it; another hart's write to the line breaks
    // it.
    let lr_done = at(EXEC) & is(K_LR);
    let sc_seen = at(RESP) & !&is_fetch & is(K_SC); // after its write, if any
                                                    // Forward progress for LR/SC across tiles: for up to 255 cycles after an LR (or until an
                                                    // SC is answered) an INV of a reserved line waits, so the SC can still succeed; without
                                                    // it, two tiles' LR/SC loops on one line steal it from each other for ever.
    let hold = m.reg("seq_resv_hold", 8, 0);
    m.seq(|q| {
        q.when_else(
            lr_done.clone(),
            |q| q.set(&hold, lit(8, 255)),
            |q| {
                q.when_else(
                    sc_seen.clone(),
                    |q| q.set(&hold, zeros(8)),
                    |q| q.when(hold.ne(zeros(8)), |q| q.set(&hold, hold.sub_const(1))),
                )
            },
        )
    });
    let reserved = resv
        .iter()
        .map(|(v, ra)| v & ra.slice(pa - 1, 6).eq(sn_addr.slice(pa - 1, 6)))
        .or_tree()
        .expect("harts");
    m.assign(
        &take_inv,
        inv_valid.clone() & !(hold.ne(zeros(8)) & reserved),
    );
    let same_line = |ra: &Sig| ra.slice(pa - 1, 6).eq(op_addr.slice(pa - 1, 6));
    for h in 0..harts {
        let (v, ra) = &resv[h as usize];
        let me = h_is(h);
        let set = &lr_done & &me;
        let snooped = at(SN_INV) & ra.slice(pa - 1, 6).eq(sn_addr.slice(pa - 1, 6));
        let clear = (&sc_seen & &me) | (&writes & !&me & same_line(ra)) | snooped;
        m.seq(|q| {
            q.when_else(
                set.clone(),
                |q| {
                    q.set(v, lit(1, 1));
                    q.set(ra, op_addr.expr());
                },
                |q| q.when(clear.clone(), |q| q.set(v, lit(1, 0))),
            )
        });
    }

    // ------------------------------------------------------------ answers to the cores
    // RESP answers from `rdata`; an L1 hit answers in L1_RESP from the L1's word.
    let l1_answer = m.wire_from("seq_l1_answer", at(L1_RESP) & &l1_hit);
    let resp = m.wire_from("seq_resp", at(RESP) | &l1_answer);
    let word = m.wire_from("seq_word_out", l1_answer.mux(l1_data.expr(), rdata.expr()));
    let value = m.wire_from("seq_value", raw_q.mux(word.expr(), word.shr(sh.expr())));
    let insn = m.wire_from(
        "seq_insn",
        op_addr.bit(2).mux(word.slice(63, 32), word.slice(31, 0)),
    );
    for (c, u) in cores.iter().enumerate() {
        let mine = &resp & core_is(c as u32);
        let lane = |th: u32| &mine & cur_tid.eq(lit(tb, u128::from(th)));
        m.assign(
            &u.port("if_rsp_valid"),
            cat((0..t).rev().map(|th| lane(th) & &is_fetch)),
        );
        m.assign(&u.port("if_rsp_insn"), insn.repeat(t));
        m.assign(
            &u.port("if_rsp_fault"),
            cat((0..t).rev().map(|th| lane(th) & &is_fetch & &fault_q)),
        );
        let answers = !&is_fetch & !is(K_STORE);
        m.assign(
            &u.port("d_rsp_valid"),
            cat((0..t).rev().map(|th| lane(th) & answers.clone())),
        );
        m.assign(&u.port("d_rsp_data"), value.repeat(t));
        let ack = !&is_fetch & is(K_STORE);
        m.assign(
            &u.port("st_ack"),
            cat((0..t).rev().map(|th| fit(lane(th) & ack.clone(), st_w))),
        );
    }
    if !multi {
        m.allow_unused(&l2_resp_meta);
        m.allow_unused(&ret);
        m.allow_unused(&sn_m);
        m.allow_unused(&sn_buf);
        m.allow_unused(&sn_word);
        m.allow_unused(&fill_m);
    }
}
