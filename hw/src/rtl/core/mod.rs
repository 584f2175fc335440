//! The fine-grained multithreaded RV64IMA machine-mode core.
//!
//! ```text
//!  if_rsp_* ─► instruction buffers ─► thread select (LRU among ready) ─► decode ─► execute
//!   (per thread)     (per thread)       ready = fetched, refill done,      (ISA     ALU, mul/div,
//!                                       load back, store buffer, fence,    TABLE)   CSR, trap
//!                                       scoreboard, divider, not in WFI              │
//!  d_rsp_*/st_ack ─► late writes (bank B) ◄── d_req_* (loads, stores, atomics) ◄─────┤
//!  divide results (bank C) ◄── iterative divider (one per core, `div` cycles) ◄──────┤
//!                                              if_req_* (next pc of the issuer) ◄────┘
//! ```
//!
//! Each thread group issues at most one instruction per cycle ([`groups`] builds a core of
//! several groups from one-group datapaths); the core applies an instruction's
//! architectural effect when it issues, as the simulator does; every stall rule of
//! `docs/pipeline.md` is a condition of the thread-select stage ([`sched`]). Memory latency
//! comes from outside through the ports:
//!
//! | port | direction | meaning |
//! |---|---|---|
//! | `hart_base[31:0]`, `reset_pc`, `dtb` | in | `mhartid` of thread 0; boot pc; `a1` at boot |
//! | `msip[T]`, `mtip[T]`, `mtime` | in | CLINT lines per thread; `time` CSR |
//! | `if_req_valid[T]`, `if_req_pc`, `if_req_untimed` | out | fetch of the issuing thread's next pc (all threads' `reset_pc` in the boot cycle); `untimed`: after a sleeping WFI (the simulator models no fetch there) |
//! | `if_rsp_valid[T]`, `if_rsp_insn[32T]`, `if_rsp_fault[T]` | in | the word, `request cycle + 1 + L1I latency` (0 on a hit) |
//! | `d_req_valid`, `_tid`, `_kind`, `_amo`, `_addr`, `_size`, `_wdata` | out | load 0, store 1, AMO 2 (`_amo` = funct5), LR 3, SC 4; issued with the instruction |
//! | `d_fault` | in | same cycle: the access faults (the memory map's PMA check) |
//! | `d_rsp_valid[T]`, `d_rsp_data[64T]` | in | load/atomic data (raw, zero-extended; SC: 0 = success): 1 cycle after an L1D hit, `miss` cycles after a miss, `atomic` cycles after an AMO/LR/SC |
//! | `st_ack[wT]` | in | how many of the thread's oldest outstanding stores complete this cycle (`w` = [`sched::st_ack_width`] bits per lane; several can complete together) |
//! | `c_*`, `lw_valid[T]`, `lw_data[64T]` | out | commit record of the issuing instruction; late register writes |
//! | `dw_valid`, `dw_tid`, `dw_rd`, `dw_data` | out | the divider's result, written this cycle into bank C of thread `dw_tid` |
//!
//! With several thread groups the per-issue ports (`d_req_*`, `d_fault`, `c_*`, `if_req_pc`,
//! `if_req_untimed`) are repeated per group as `g<g>_<port>` ([`groups`]).
//!
//! Cycle 0 after reset is a boot cycle (the fetch of `reset_pc`); simulator cycle `c` is core
//! cycle `c + 1`.

pub mod csr;
pub mod decode;
pub mod execute;
pub mod groups;
pub mod muldiv;
pub mod regfile;
pub mod sched;
pub mod trap;

use crate::isa::{Class, Op};
use crate::params::CoreTiming;
use crate::rtl::RtlError;
use crate::rtl::{cat, clog2, lit, mux, zeros, Design, Expr, ModRef, ModuleBuilder, Params};
use crate::ChipConfig;
use decode::Decoded;

/// Core generator parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct CoreParams {
    /// Hardware threads (1..=8).
    pub threads: u32,
    /// Thread groups (each issues one instruction per cycle).
    pub groups: u32,
    /// Store buffer entries per thread.
    pub store_buffer: u32,
    /// Latencies.
    pub timing: CoreTiming,
}

impl CoreParams {
    /// The core of chip configuration `cfg`.
    pub fn from_config(cfg: &ChipConfig) -> CoreParams {
        CoreParams {
            threads: cfg.core.threads,
            groups: cfg.core.thread_groups,
            store_buffer: cfg.core.store_buffer,
            timing: cfg.core.timing.clone(),
        }
    }

    /// Module name: every parameter that changes the hardware.
    pub fn module_name(&self) -> String {
        let t = &self.timing;
        format!(
            "core_t{}_g{}_sb{}_lu{}_br{}_mul{}_div{}_trap{}",
            self.threads,
            self.groups,
            self.store_buffer,
            t.load_use,
            t.branch,
            t.mul,
            t.div,
            t.trap
        )
    }
}

/// Per-thread slice `i` of a flattened port `v` of `w`-bit lanes.
fn lane(v: &Expr, i: u32, w: u32) -> Expr {
    v.slice(i * w + w - 1, i * w)
}

/// One-hot select: OR of `sel[i] & v[i]`.
fn pick(sel: &[Expr], v: &[Expr]) -> Expr {
    sel.iter()
        .zip(v)
        .map(|(s, x)| s.repeat(x.width()) & x)
        .reduce(|a, b| a | b)
        .expect("at least one thread")
}

/// Builds (or reuses) the core.
pub fn core(d: &mut Design, p: &CoreParams) -> Result<ModRef, RtlError> {
    let param_err = |why: String| RtlError::Param {
        generator: module_path!().into(),
        why,
    };
    if !(1..=8).contains(&p.threads) {
        return Err(param_err(format!("threads = {}; allowed 1..=8", p.threads)));
    }
    if p.groups == 0 || !p.threads.is_multiple_of(p.groups) {
        return Err(param_err(format!(
            "thread_groups = {} must divide threads = {}",
            p.groups, p.threads
        )));
    }
    let t = &p.timing;
    if [t.load_use, t.branch, t.mul, t.div, t.trap]
        .iter()
        .any(|&x| !(1..=255).contains(&x))
        || !(1..=64).contains(&p.store_buffer)
    {
        return Err(param_err(
            "latencies must be 1..=255, store buffer 1..=64".into(),
        ));
    }
    decode::check_table()?;
    muldiv::radix(t.div)?;
    let params = Params::new()
        .with("threads", p.threads)
        .with("groups", p.groups)
        .with("store_buffer", p.store_buffer)
        .with("load_use", t.load_use)
        .with("branch", t.branch)
        .with("mul", t.mul)
        .with("div", t.div)
        .with("trap", t.trap);
    let p = p.clone();
    let tid_w = |threads: u32| clog2(u64::from(threads)).max(1);
    if p.groups == 1 {
        let div = muldiv::divider(d, t.div, tid_w(p.threads) + 5)?;
        return d.build(&p.module_name(), module_path!(), params, move |m| {
            body(m, &p, Some(&div));
            Ok(())
        });
    }
    // T2 style: one issue datapath per group of threads / groups threads, sharing the divider.
    let gp = CoreParams {
        threads: p.threads / p.groups,
        groups: 1,
        ..p.clone()
    };
    let gparams = params.clone().with("group_of", p.groups);
    let gname = format!("{}_grp", gp.module_name());
    let gp2 = gp.clone();
    let grp = d.build(&gname, module_path!(), gparams, move |m| {
        body(m, &gp2, None);
        Ok(())
    })?;
    let div = muldiv::divider(d, t.div, tid_w(p.groups) + tid_w(gp.threads) + 5)?;
    d.build(&p.module_name(), module_path!(), params, move |m| {
        groups::wrapper(m, &p, &grp, &div);
        Ok(())
    })
}

/// The issue datapath of one thread group; `divider` is the core's divider to instantiate, or
/// `None` when the divider is outside (thread groups, [`groups`]): then the module has the
/// ports `div_issue`, `div_op`, `div_a`, `div_b`, `div_tag` (out: a divide starts, with
/// `{tid, rd}`), `div_busy_in` and `div_wb_valid`, `div_wb_tag`, `div_wb_data` (in: the
/// divider's result for one of this group's threads).
fn body(m: &mut ModuleBuilder, p: &CoreParams, divider: Option<&ModRef>) {
    let n = p.threads;
    let tw = clog2(u64::from(n)).max(1);
    m.doc("Fine-grained multithreaded RV64IMA M-mode core: LRU thread select, one issue per");
    m.doc("cycle, stall rules of docs/pipeline.md; memory latency supplied through the ports.");
    // ---- ports
    let hart_base = m.input("hart_base", 32);
    let reset_pc = m.input("reset_pc", 64);
    let dtb = m.input("dtb", 64);
    let mtime = m.input("mtime", 64);
    let msip = m.input("msip", n);
    let mtip = m.input("mtip", n);
    let if_rsp_valid = m.input("if_rsp_valid", n);
    let if_rsp_insn = m.input("if_rsp_insn", 32 * n);
    let if_rsp_fault = m.input("if_rsp_fault", n);
    let d_rsp_valid = m.input("d_rsp_valid", n);
    let d_rsp_data = m.input("d_rsp_data", 64 * n);
    let d_fault = m.input("d_fault", 1);
    let st_w = sched::st_ack_width(p);
    let st_ack = m.input("st_ack", n * st_w);

    // ---- core state
    let boot = m.reg("boot", 1, 1);
    m.next(&boot, zeros(1));
    let cycle = m.reg("cycle", 64, 0);
    m.next(&cycle, mux(boot.expr(), cycle.expr(), cycle.add_const(1)));

    // ---- per-thread front end state
    let th: Vec<sched::Thread> = (0..n).map(|i| sched::Thread::new(m, i, p)).collect();
    let csrs: Vec<csr::ThreadCsrs> = (0..n).map(|i| csr::ThreadCsrs::new(m, i)).collect();
    let insn: Vec<Expr> = (0..n)
        .map(|i| {
            let v = if_rsp_valid.bit(i);
            let w = mux(v, lane(&if_rsp_insn, i, 32), th[i as usize].ib.expr());
            m.wire_from(&format!("insn_t{i}"), w).expr()
        })
        .collect();
    let ffault: Vec<Expr> = (0..n)
        .map(|i| {
            mux(
                if_rsp_valid.bit(i),
                if_rsp_fault.bit(i),
                th[i as usize].ib_f.expr(),
            )
        })
        .collect();
    // Pending interrupts per thread: {MEI (no line), MTI, MSI} & mie.
    let pend: Vec<Expr> = (0..n)
        .map(|i| {
            let lines = cat([zeros(1), mtip.bit(i), msip.bit(i)]);
            m.wire_from(&format!("irq_pend_t{i}"), lines & &csrs[i as usize].mie)
                .expr()
        })
        .collect();

    // ---- the divider (inside, or the core's shared one outside) and its result
    let div_u = divider.map(|dm| m.instance("divider", dm));
    let (div_busy, div_wb_valid, div_wb_tag, div_wb_data) = match &div_u {
        Some(u) => (
            m.wire_from("div_busy", u.port("busy").expr()),
            u.port("done").expr(),
            u.port("res_tag").expr(),
            u.port("res").expr(),
        ),
        None => (
            m.input("div_busy_in", 1),
            m.input("div_wb_valid", 1).expr(),
            m.input("div_wb_tag", tw + 5).expr(),
            m.input("div_wb_data", 64).expr(),
        ),
    };
    let div_wb_rd = m.wire_from("div_wb_rd", div_wb_tag.slice(4, 0));
    let div_wb_tid = m.wire_from("div_wb_tid", div_wb_tag.slice(tw + 4, 5));
    let div_done: Vec<Expr> = (0..n)
        .map(|i| {
            let v = &div_wb_valid & div_wb_tid.eq(lit(tw, u128::from(i)));
            m.wire_from(&format!("div_done_t{i}"), v).expr()
        })
        .collect();

    // ---- thread select
    let ready: Vec<Expr> = (0..n)
        .map(|i| {
            let iu = i as usize;
            let r = th[iu].ready(
                m,
                &insn[iu],
                &ffault[iu],
                &pend[iu],
                &if_rsp_valid.bit(i),
                &d_rsp_valid.bit(i),
                &lane(&st_ack, i, st_w),
                &div_busy,
                &boot,
                p,
            );
            m.wire_from(&format!("ready_t{i}"), r).expr()
        })
        .collect();
    let (win, lru) = sched::lru_select(m, &ready);
    let iss = m.wire_from("issue", ready.iter().cloned().reduce(|a, b| a | b).unwrap());
    let tid = m.wire_from(
        "issue_tid",
        cat((0..tw).rev().map(|k| {
            win.iter()
                .enumerate()
                .filter(|(i, _)| i >> k & 1 == 1)
                .map(|(_, w)| w.clone())
                .reduce(|a, b| a | b)
                .unwrap_or(zeros(1))
        })),
    );

    // ---- the selected thread
    let s_insn = m.wire_from("s_insn", pick(&win, &insn));
    let s_fault = m.wire_from("s_ffault", pick(&win, &ffault));
    let pcs: Vec<Expr> = th.iter().map(|t| t.pc.expr()).collect();
    let s_pc = m.wire_from("s_pc", pick(&win, &pcs));
    let s_pend = m.wire_from("s_pend", pick(&win, &pend));
    let sel_csrs = csr::SelCsrs {
        mstatus: pick(&win, &csrs.iter().map(|c| c.mstatus()).collect::<Vec<_>>()),
        mie_g: pick(
            &win,
            &csrs.iter().map(|c| c.mie_g.expr()).collect::<Vec<_>>(),
        ),
        mie: pick(&win, &csrs.iter().map(|c| c.mie.expr()).collect::<Vec<_>>()),
        mtvec: pick(
            &win,
            &csrs.iter().map(|c| c.mtvec.expr()).collect::<Vec<_>>(),
        ),
        mscratch: pick(
            &win,
            &csrs.iter().map(|c| c.mscratch.expr()).collect::<Vec<_>>(),
        ),
        mepc: pick(
            &win,
            &csrs.iter().map(|c| c.mepc.expr()).collect::<Vec<_>>(),
        ),
        mcause: pick(
            &win,
            &csrs.iter().map(|c| c.mcause.expr()).collect::<Vec<_>>(),
        ),
        mtval: pick(
            &win,
            &csrs.iter().map(|c| c.mtval.expr()).collect::<Vec<_>>(),
        ),
        minstret: pick(
            &win,
            &csrs.iter().map(|c| c.minstret.expr()).collect::<Vec<_>>(),
        ),
        mcycle_off: pick(
            &win,
            &csrs.iter().map(|c| c.mcycle_off.expr()).collect::<Vec<_>>(),
        ),
    };
    let dec = Decoded::new(m, "dec", &s_insn, true);
    let rd = m.wire_from("rd", dec.rd.clone());
    let rs1 = m.wire_from("rs1", dec.rs1.clone());
    let rs2 = m.wire_from("rs2", dec.rs2.clone());

    // ---- late writes (loads/atomics answered by memory) per thread
    let late: Vec<(Expr, Expr, Expr)> = (0..n)
        .map(|i| {
            let t = &th[i as usize];
            let en = d_rsp_valid.bit(i) & &t.ldp & t.ld_rd.ne(zeros(5));
            let raw = lane(&d_rsp_data, i, 64);
            let ext = |bits: u32| {
                mux(
                    t.ld_sgn.expr(),
                    raw.trunc(bits).sext(64),
                    raw.trunc(bits).zext(64),
                )
            };
            let v = mux(
                t.ld_size.eq(lit(2, 0)),
                ext(8),
                mux(
                    t.ld_size.eq(lit(2, 1)),
                    ext(16),
                    mux(t.ld_size.eq(lit(2, 2)), ext(32), raw.clone()),
                ),
            );
            let en = m.wire_from(&format!("lw_en_t{i}"), en);
            let v = m.wire_from(&format!("lw_val_t{i}"), v);
            (en.expr(), t.ld_rd.expr(), v.expr())
        })
        .collect();

    // ---- register files (issue write defined below through wires)
    let rf_we = m.wire("rf_we", 1);
    let rf_wval = m.wire("rf_wval", 64);
    let hartid = |i: u32| (hart_base.zext(64)) + lit(64, u128::from(i));
    let regs: Vec<regfile::ThreadRegs> = (0..n)
        .map(|i| {
            let (le, lrd, lv) = late[i as usize].clone();
            regfile::ThreadRegs::new(
                m,
                i,
                hartid(i),
                dtb.expr(),
                regfile::Write {
                    en: &rf_we & &win[i as usize],
                    rd: rd.expr(),
                    val: rf_wval.expr(),
                },
                regfile::Write {
                    en: le,
                    rd: lrd,
                    val: lv,
                },
                regfile::Write {
                    en: &div_done[i as usize] & div_wb_rd.ne(zeros(5)),
                    rd: div_wb_rd.expr(),
                    val: div_wb_data.clone(),
                },
            )
        })
        .collect();
    let rs1_all: Vec<Expr> = regs.iter().map(|r| r.read(&rs1)).collect();
    let rs2_all: Vec<Expr> = regs.iter().map(|r| r.read(&rs2)).collect();
    let a = m.wire_from("rs1_val", pick(&win, &rs1_all));
    let b = m.wire_from("rs2_val", pick(&win, &rs2_all));

    // ---- execute
    let ex = execute::execute(m, &dec, &s_pc, &a, &b);
    let md = muldiv::mul(m, &dec, &a, &b);
    let md = m.wire_from("mul_out", md);
    let hartids: Vec<Expr> = (0..n).map(hartid).collect();
    let s_hartid = pick(&win, &hartids);
    let mip_of = |i: u32| csr::irq_bits(&cat([zeros(1), mtip.bit(i), msip.bit(i)]));
    let s_mip = m.wire_from("s_mip", pick(&win, &(0..n).map(mip_of).collect::<Vec<_>>()));
    let csr_num = m.wire_from("csr_num", s_insn.slice(31, 20));
    let view = csr::CsrView {
        regs: &sel_csrs,
        cycle: cycle.expr(),
        mtime: mtime.expr(),
        hartid: s_hartid,
        mip: s_mip.expr(),
    };
    let (csr_old, csr_exists) = csr::read(m, &csr_num, &view);
    let is_csr = dec.class(Class::Csr);
    let csr_imm = dec.any(&[Op::Csrrwi, Op::Csrrsi, Op::Csrrci]);
    let csr_src = mux(csr_imm, rs1.zext(64), a.expr());
    let csr_wr_all = dec.any(&[Op::Csrrw, Op::Csrrwi]);
    let csr_writes = m.wire_from(
        "csr_writes",
        &is_csr & (csr_wr_all.clone() | rs1.ne(zeros(5))),
    );
    let csr_new = m.wire_from(
        "csr_new",
        mux(
            csr_wr_all,
            csr_src.clone(),
            mux(
                dec.any(&[Op::Csrrs, Op::Csrrsi]),
                &csr_old | &csr_src,
                &csr_old & !csr_src.clone(),
            ),
        ),
    );
    let csr_ro = csr_num.slice(11, 10).eq(lit(2, 3));
    let csr_illegal = &is_csr & (!csr_exists.expr() | (&csr_writes & csr_ro));

    // ---- memory operation, exceptions and interrupts
    let mo = trap::MemOp::new(m, &dec, &s_insn, &ex.addr);
    let t = trap::check(
        m,
        &trap::Checks {
            issue: iss.expr(),
            pend: s_pend.expr(),
            mie_g: sel_csrs.mie_g.clone(),
            dec: &dec,
            insn: s_insn.expr(),
            pc: s_pc.expr(),
            ex: &ex,
            fetch_fault: s_fault.expr(),
            csr_illegal,
            d_fault: d_fault.expr(),
            mem: &mo,
        },
    );
    let (is_load, is_store, is_atomic) = (mo.load.clone(), mo.store.clone(), mo.atomic.clone());
    let (is_lr, is_sc, size, addr) = (
        mo.lr.clone(),
        mo.sc.clone(),
        mo.size.clone(),
        ex.addr.clone(),
    );
    let (take_irq, irq_code, d_valid) = (t.take_irq.clone(), t.irq_code.clone(), t.d_valid.clone());
    let (trap, cause, tval, commit) = (
        t.trap.clone(),
        t.cause.clone(),
        t.tval.clone(),
        t.commit.clone(),
    );

    // ---- results
    let is_mret = dec.is(Op::Mret);
    let is_wfi = dec.is(Op::Wfi);
    // Divides write later, from the divider (bank C).
    let writes_now =
        dec.class(Class::Alu) | dec.class(Class::Jump) | dec.class(Class::Mul) | is_csr.clone();
    let is_div = dec.class(Class::Div);
    let late_class = m.wire_from("late_class", &is_load | &is_atomic);
    let rd_nz = rd.ne(zeros(5));
    m.assign(&rf_we, &commit & writes_now & &rd_nz);
    m.assign(
        &rf_wval,
        mux(
            is_csr.clone(),
            csr_old.expr(),
            mux(dec.class(Class::Mul), md.expr(), ex.alu.clone()),
        ),
    );
    let wfi_sleep = m.wire_from("wfi_sleep", &commit & is_wfi & !s_pend.any());

    // ---- next pc
    let base = &sel_csrs.mtvec & !lit(64, 3);
    let vectored = sel_csrs.mtvec.bit(0) & &take_irq;
    let tvec = mux(
        vectored,
        &base + cat([zeros(58), irq_code, zeros(2)]),
        base.clone(),
    );
    let next_pc = m.wire_from(
        "next_pc",
        mux(
            trap.expr(),
            tvec,
            mux(
                is_mret.clone(),
                &sel_csrs.mepc & !lit(64, 3),
                mux(ex.redirect.clone(), ex.target.clone(), ex.pc4.clone()),
            ),
        ),
    );

    // ---- per-thread updates
    let refill_val = {
        let w = sched::REFILL_W;
        let trap_v = lit(w, u128::from(p.timing.trap - 1));
        let br_v = lit(w, u128::from(p.timing.branch - 1));
        let br = dec.class(Class::Branch) | dec.class(Class::Jump) | dec.is(Op::FenceI);
        let v = mux(
            trap.expr() | (&commit & &is_mret),
            trap_v,
            mux(&commit & br, br_v, zeros(w)),
        );
        // FENCE.I after a trap-free issue also waits for the stores (fence flag below).
        m.wire_from("refill_val", v).expr()
    };
    let sb_val = {
        let lat = |x: u32| u128::from(x - 1);
        let v = mux(
            is_load.clone(),
            lit(8, lat(p.timing.load_use)),
            mux(
                dec.class(Class::Mul),
                lit(8, lat(p.timing.mul)),
                mux(dec.class(Class::Div), lit(8, lat(p.timing.div)), zeros(8)),
            ),
        );
        m.wire_from("score_val", v).expr()
    };
    let ld_size = mux(is_sc.clone(), lit(2, 3), size.expr());
    let ld_sgn = !s_insn.bit(14) | &is_atomic;
    let is_fence = dec.class(Class::Fence);
    let upd = sched::IssueUpdate {
        win: win.clone(),
        commit: commit.expr(),
        trap: trap.expr(),
        next_pc: next_pc.expr(),
        refill: refill_val,
        score: sb_val,
        rd: rd.expr(),
        late: &commit & &late_class,
        ld_size,
        ld_sgn,
        store: &commit & &is_store,
        fence: &commit & is_fence,
        wfi_sleep: wfi_sleep.expr(),
        div: is_div.clone(),
        reset_pc: reset_pc.expr(),
        boot: boot.expr(),
    };
    for (i, t) in th.iter().enumerate() {
        let iu = i as u32;
        t.update(
            m,
            &upd,
            i,
            &if_rsp_valid.bit(iu),
            &lane(&if_rsp_insn, iu, 32),
            &if_rsp_fault.bit(iu),
            &d_rsp_valid.bit(iu),
            &lane(&st_ack, iu, st_w),
            &pend[i],
            &div_done[i],
            p,
        );
    }
    lru.update(m, &win);
    // A divide starts the divider with its operands and `{tid, rd}`.
    let div_issue = m.wire_from("div_issue_w", &commit & &is_div);
    let div_op = muldiv::div_op(&dec);
    let div_tag = cat([tid.expr(), rd.expr()]);
    match &div_u {
        Some(u) => {
            m.assign(&u.port("start"), div_issue.expr());
            m.assign(&u.port("op"), div_op);
            m.assign(&u.port("a"), a.expr());
            m.assign(&u.port("b"), b.expr());
            m.assign(&u.port("tag"), div_tag);
            // The divider's results, for the co-simulation harness (as `lw_*` for memory).
            m.output_from("dw_valid", &div_wb_valid & div_wb_rd.ne(zeros(5)));
            m.output_from("dw_tid", div_wb_tid.expr());
            m.output_from("dw_rd", div_wb_rd.expr());
            m.output_from("dw_data", div_wb_data.clone());
        }
        None => {
            m.output_from("div_issue", div_issue.expr());
            m.output_from("div_op", div_op);
            m.output_from("div_a", a.expr());
            m.output_from("div_b", b.expr());
            m.output_from("div_tag", div_tag);
        }
    }

    // ---- CSR updates
    let csr_commit = m.wire_from("csr_commit", &commit & &csr_writes);
    let new = csr_new.expr();
    csr::update(
        m,
        &csrs,
        &csr::Update {
            win: &win,
            commit: commit.expr(),
            trap: trap.expr(),
            mret: &commit & &is_mret,
            write: csr_commit.expr(),
            num: csr_num.expr(),
            new: new.clone(),
            pc: s_pc.expr(),
            cause: cause.expr(),
            tval: tval.expr(),
            cycle: cycle.expr(),
        },
    );
    let mstatus_after = cat([
        zeros(51),
        lit(2, 3),
        zeros(3),
        new.bit(7),
        zeros(3),
        new.bit(3),
        zeros(3),
    ]);
    let csr_logged = csr::logged(&csr_num, &new, &mstatus_after, &s_mip);
    let mret_status = cat([
        zeros(51),
        lit(2, 3),
        zeros(3),
        lit(1, 1),
        zeros(3),
        sel_csrs.mstatus.bit(7),
        zeros(3),
    ]);

    // ---- outputs
    let if_valid = (0..n)
        .rev()
        .map(|i| &boot | (&iss & &win[i as usize]))
        .collect::<Vec<_>>();
    m.output_from("if_req_valid", cat(if_valid));
    m.output_from(
        "if_req_pc",
        mux(boot.expr(), reset_pc.expr(), next_pc.expr()),
    );
    m.output_from("if_req_untimed", wfi_sleep.expr());
    m.output_from("d_req_valid", d_valid.expr());
    m.output_from("d_req_tid", tid.expr());
    let kind = mux(
        is_load.clone(),
        lit(3, 0),
        mux(
            is_store.clone(),
            lit(3, 1),
            mux(is_lr, lit(3, 3), mux(is_sc, lit(3, 4), lit(3, 2))),
        ),
    );
    m.output_from("d_req_kind", kind);
    m.output_from("d_req_amo", s_insn.slice(31, 27));
    m.output_from("d_req_addr", addr.clone());
    m.output_from("d_req_size", size.expr());
    let wmask = mux(
        size.eq(lit(2, 0)),
        lit(64, 0xff),
        mux(
            size.eq(lit(2, 1)),
            lit(64, 0xffff),
            mux(size.eq(lit(2, 2)), lit(64, 0xffff_ffff), !zeros(64)),
        ),
    );
    m.output_from("d_req_wdata", &b & wmask);
    m.output_from("c_valid", iss.expr());
    m.output_from("c_tid", tid.expr());
    m.output_from("c_pc", s_pc.expr());
    m.output_from("c_insn", s_insn.expr());
    m.output_from("c_trap", trap.expr());
    m.output_from("c_cause", cause.expr());
    m.output_from("c_tval", tval.expr());
    m.output_from("c_rd_we", rf_we.expr());
    m.output_from("c_late", &commit & (&late_class | &is_div) & &rd_nz);
    m.output_from("c_rd", rd.expr());
    m.output_from("c_rd_val", rf_wval.expr());
    m.output_from("c_csr_we", &csr_commit | (&commit & &is_mret));
    m.output_from(
        "c_csr_num",
        mux(
            is_mret.clone(),
            lit(12, u128::from(crate::isa::csr::MSTATUS)),
            csr_num.expr(),
        ),
    );
    m.output_from("c_csr_val", mux(is_mret, mret_status, csr_logged));
    m.output_from(
        "lw_valid",
        cat((0..n).rev().map(|i| late[i as usize].0.clone())),
    );
    m.output_from(
        "lw_data",
        cat((0..n).rev().map(|i| late[i as usize].2.clone())),
    );
}
