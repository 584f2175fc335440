//! Thread state and thread select: when may each thread issue (`docs/pipeline.md`).
//!
//! A thread is ready when it is not in WFI (or an enabled interrupt is pending), its next
//! instruction has arrived (`if_rsp` this cycle or buffered), its refill countdown (branch,
//! jump, FENCE.I: `branch`; trap, MRET: `trap`) has run out, its load or atomic has been
//! answered (this cycle counts), its store buffer holds at most `store_buffer` stores not yet
//! acknowledged (`st_ack` says how many complete in a cycle; this cycle's count), a
//! FENCE has seen all its stores acknowledged, the scoreboard countdowns of the next
//! instruction's sources and destination are zero (load-use, mul, div), and, for a divide, the
//! core's divider is free. Among ready threads the least recently issued wins (a pairwise age
//! matrix; never-issued threads in index order).

use super::decode::Decoded;
use super::CoreParams;
use crate::isa::Class;
use crate::rtl::{cat, clog2, lit, mux, zeros, Expr, ModuleBuilder, Sig};

/// Width of the refill countdown.
pub const REFILL_W: u32 = 8;
/// Width of a scoreboard countdown.
pub const SCORE_W: u32 = 8;

/// One thread's front-end and timing state.
pub struct Thread {
    /// pc of the next instruction.
    pub pc: Sig,
    /// Buffered instruction word (when `ib_v`).
    pub ib: Sig,
    ib_v: Sig,
    /// Buffered fetch fault.
    pub ib_f: Sig,
    refill: Sig,
    /// A load or atomic is waiting for its answer.
    pub ldp: Sig,
    /// Its destination register.
    pub ld_rd: Sig,
    /// Its size (log2 bytes).
    pub ld_size: Sig,
    /// Sign-extend its value.
    pub ld_sgn: Sig,
    stc: Sig,
    fence: Sig,
    wfi: Sig,
    /// The thread slept in WFI since it last issued: as in the simulator, its next instruction
    /// is neither fetched with latency nor checked against the scoreboard or the divider
    /// (unless one of the thread's divides is still in flight, or the instruction divides
    /// while the divider is busy: see `ready`).
    woke: Sig,
    /// One of the thread's divides is in flight (its result is not yet in bank C).
    divp: Sig,
    score: Vec<Sig>,
    st_w: u32,
}

/// What the issuing instruction does to its thread's state.
pub struct IssueUpdate {
    /// One-hot winner of thread select.
    pub win: Vec<Expr>,
    /// It retired.
    pub commit: Expr,
    /// It trapped (or an interrupt was taken).
    pub trap: Expr,
    /// The thread's new pc.
    pub next_pc: Expr,
    /// Refill countdown to start.
    pub refill: Expr,
    /// Scoreboard countdown for rd.
    pub score: Expr,
    /// rd.
    pub rd: Expr,
    /// A load/atomic retired (the thread waits for its answer).
    pub late: Expr,
    /// Its size.
    pub ld_size: Expr,
    /// Its sign extension.
    pub ld_sgn: Expr,
    /// A store retired.
    pub store: Expr,
    /// A FENCE/FENCE.I retired.
    pub fence: Expr,
    /// A WFI retired with no interrupt pending: the thread sleeps.
    pub wfi_sleep: Expr,
    /// A divide retired (it starts the divider).
    pub div: Expr,
    /// Boot pc.
    pub reset_pc: Expr,
    /// Boot cycle.
    pub boot: Expr,
}

fn sat_dec(x: &Sig) -> Expr {
    let w = x.width();
    mux(x.ne(zeros(w)), x.sub_const(1), zeros(w))
}

/// Bits of a store count (0 ..= `store_buffer + 1` stores outstanding): the width of the
/// store counter and of each thread's `st_ack` lane.
pub fn st_ack_width(p: &CoreParams) -> u32 {
    clog2(u64::from(p.store_buffer) + 2)
}

impl Thread {
    /// Registers of thread `i`.
    pub fn new(m: &mut ModuleBuilder, i: u32, p: &CoreParams) -> Thread {
        let st_w = st_ack_width(p);
        let r = |m: &mut ModuleBuilder, n: &str, w: u32| m.reg(&format!("{n}_t{i}"), w, 0);
        Thread {
            pc: r(m, "pc", 64),
            ib: r(m, "ibuf", 32),
            ib_v: r(m, "ibuf_v", 1),
            ib_f: r(m, "ibuf_fault", 1),
            refill: r(m, "refill", REFILL_W),
            ldp: r(m, "ld_pend", 1),
            ld_rd: r(m, "ld_rd", 5),
            ld_size: r(m, "ld_size", 2),
            ld_sgn: r(m, "ld_sgn", 1),
            stc: r(m, "st_count", st_w),
            fence: r(m, "fence", 1),
            wfi: r(m, "wfi", 1),
            woke: r(m, "wfi_woke", 1),
            divp: r(m, "div_pend", 1),
            score: (1..32)
                .map(|k| m.reg(&format!("score_t{i}_x{k}"), SCORE_W, 0))
                .collect(),
            st_w,
        }
    }

    fn stores_left(&self, ack: &Expr) -> Expr {
        &self.stc - ack.zext(self.st_w)
    }

    /// Ready to issue this cycle.
    #[allow(clippy::too_many_arguments)]
    pub fn ready(
        &self,
        m: &mut ModuleBuilder,
        insn: &Expr,
        fault: &Expr,
        pend: &Expr,
        if_valid: &Expr,
        d_valid: &Expr,
        ack: &Expr,
        div_busy: &Sig,
        boot: &Sig,
        p: &CoreParams,
    ) -> Expr {
        let dec = Decoded::new(m, "", insn, false);
        let (u1, u2) = dec.sources();
        let busy = cat(self
            .score
            .iter()
            .rev()
            .map(|s| s.ne(zeros(SCORE_W)))
            .chain(std::iter::once(zeros(1))));
        let busy = m.wire_from(&format!("{}_busy", self.pc.name()), busy);
        let hazard =
            (u1 & busy.index(&dec.rs1)) | (u2 & busy.index(&dec.rs2)) | busy.index(&dec.rd);
        let is_div = dec.class(Class::Div);
        let div_wait = m.wire_from(&format!("{}_div_wait", self.pc.name()), is_div & div_busy);
        // After a sleeping WFI the simulator skips the scoreboard and divider checks; the core
        // keeps them while a divide of the thread is in flight or the divider is busy for a
        // divide, since its results only exist once the divider is done (the simulator's
        // values exist at issue). Only this corner can make the two part (docs/rtl.md).
        let woke_ok = &self.woke & !self.divp.expr() & !div_wait.expr();
        let next_ok = woke_ok | (!fault.clone() & !(hazard | div_wait.expr()));
        let left = self.stores_left(ack);
        let sb = lit(self.st_w, u128::from(p.store_buffer));
        let awake = !self.wfi.expr() | pend.any();
        !boot.expr()
            & awake
            & (&self.ib_v | if_valid)
            & self.refill.eq(zeros(REFILL_W))
            & (!self.ldp.expr() | d_valid)
            & left.le(&sb)
            & !(&self.fence & left.ne(zeros(self.st_w)))
            & (fault | next_ok)
    }

    /// Next-state logic of thread `i`.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &self,
        m: &mut ModuleBuilder,
        u: &IssueUpdate,
        i: usize,
        if_valid: &Expr,
        if_insn: &Expr,
        if_fault: &Expr,
        d_valid: &Expr,
        ack: &Expr,
        pend: &Expr,
        div_done: &Expr,
        _p: &CoreParams,
    ) {
        let me = u.win[i].clone();
        let issued = m.wire_from(&format!("issued_t{i}"), &me & (&u.commit | &u.trap));
        let committed = &me & &u.commit;
        m.next(
            &self.pc,
            mux(
                u.boot.clone(),
                u.reset_pc.clone(),
                mux(issued.expr(), u.next_pc.clone(), self.pc.expr()),
            ),
        );
        m.next(
            &self.ib_v,
            !u.boot.clone() & !issued.expr() & (&self.ib_v | if_valid),
        );
        m.next_when(&self.ib, if_valid.clone(), if_insn.clone());
        m.next_when(&self.ib_f, if_valid.clone(), if_fault.clone());
        m.next(
            &self.refill,
            mux(issued.expr(), u.refill.clone(), sat_dec(&self.refill)),
        );
        m.next(
            &self.ldp,
            mux(
                issued.expr(),
                &committed & &u.late,
                &self.ldp & !d_valid.clone(),
            ),
        );
        let start = &committed & &u.late;
        m.next_when(&self.ld_rd, start.clone(), u.rd.clone());
        m.next_when(&self.ld_size, start.clone(), u.ld_size.clone());
        m.next_when(&self.ld_sgn, start, u.ld_sgn.clone());
        let add = (&committed & &u.store).zext(self.st_w);
        m.next(&self.stc, self.stores_left(ack) + add);
        m.next(
            &self.fence,
            mux(issued.expr(), &committed & &u.fence, self.fence.expr()),
        );
        m.next(
            &self.wfi,
            (&committed & &u.wfi_sleep) | (&self.wfi & !pend.any()),
        );
        m.next(
            &self.woke,
            mux(issued.expr(), &committed & &u.wfi_sleep, self.woke.expr()),
        );
        m.next(
            &self.divp,
            (&committed & &u.div) | (&self.divp & !div_done.clone()),
        );
        for (k, s) in self.score.iter().enumerate() {
            let hit = &committed & u.rd.eq(lit(5, k as u128 + 1));
            m.next(s, mux(hit, u.score.clone(), sat_dec(s)));
        }
    }
}

/// Age bits `o[i][j]` (i < j): thread i issued less recently than j (reset: lower index older).
pub struct Lru {
    bits: Vec<(usize, usize, Sig)>,
}

/// The one-hot winner among `ready`: the least recently issued ready thread.
#[allow(clippy::needless_range_loop)] // a square matrix reads best with indexes
pub fn lru_select(m: &mut ModuleBuilder, ready: &[Expr]) -> (Vec<Expr>, Lru) {
    let n = ready.len();
    let mut age = vec![vec![None; n]; n];
    let mut bits = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let o = m.reg(&format!("lru_{i}_{j}"), 1, 1);
            age[i][j] = Some(o.expr());
            age[j][i] = Some(!o.expr());
            bits.push((i, j, o));
        }
    }
    let win = (0..n)
        .map(|i| {
            let mut w = ready[i].clone();
            for j in 0..n {
                if j != i {
                    w = w & (!ready[j].clone() | age[i][j].clone().expect("pair"));
                }
            }
            m.wire_from(&format!("win_t{i}"), w).expr()
        })
        .collect();
    (win, Lru { bits })
}

impl Lru {
    /// Make the issuing thread the most recently issued.
    pub fn update(&self, m: &mut ModuleBuilder, win: &[Expr]) {
        for (i, j, o) in &self.bits {
            m.next(
                o,
                mux(
                    win[*i].clone(),
                    zeros(1),
                    mux(win[*j].clone(), lit(1, 1), o.expr()),
                ),
            );
        }
    }
}
