//! Machine-mode CSRs of every thread, trap entry and MRET, as `sim/src/core/csr.rs` and
//! `hart.rs` define them (Spike `--priv=m`): `mstatus` (MIE, MPIE; MPP reads M), `misa`, `mie`,
//! `mip` (the CLINT lines), `mtvec`, `mscratch`, `mepc`, `mcause`, `mtval`, `mcycle`/`cycle`
//! (core cycle + per-thread offset), `minstret`/`instret`, `time` (CLINT `mtime` input),
//! `mhartid`, and the zero ID registers. Anything else is an illegal instruction.

use crate::isa::csr as c;
use crate::rtl::{cat, lit, mux, zeros, Expr, ModuleBuilder, Sig};

/// `misa` of an RV64IMA hart.
const MISA: u128 = (2 << 62) | 1 | (1 << 8) | (1 << 12);

/// One thread's CSR registers.
pub struct ThreadCsrs {
    /// mstatus.MIE.
    pub mie_g: Sig,
    /// mstatus.MPIE.
    pub mpie: Sig,
    /// mie.{MEIE, MTIE, MSIE}.
    pub mie: Sig,
    /// mtvec (bit 1 always 0).
    pub mtvec: Sig,
    /// mscratch.
    pub mscratch: Sig,
    /// mepc (bit 0 always 0).
    pub mepc: Sig,
    /// mcause.
    pub mcause: Sig,
    /// mtval.
    pub mtval: Sig,
    /// minstret.
    pub minstret: Sig,
    /// mcycle - core cycle.
    pub mcycle_off: Sig,
}

impl ThreadCsrs {
    /// The registers of thread `t`.
    pub fn new(m: &mut ModuleBuilder, t: u32) -> ThreadCsrs {
        let r = |m: &mut ModuleBuilder, n: &str, w: u32| m.reg(&format!("{n}_t{t}"), w, 0);
        ThreadCsrs {
            mie_g: r(m, "mstatus_mie", 1),
            mpie: r(m, "mstatus_mpie", 1),
            mie: r(m, "mie", 3),
            mtvec: r(m, "mtvec", 64),
            mscratch: r(m, "mscratch", 64),
            mepc: r(m, "mepc", 64),
            mcause: r(m, "mcause", 64),
            mtval: r(m, "mtval", 64),
            minstret: r(m, "minstret", 64),
            mcycle_off: r(m, "mcycle_off", 64),
        }
    }

    /// mstatus as software reads it.
    pub fn mstatus(&self) -> Expr {
        cat([
            zeros(51),
            lit(2, 3),
            zeros(3),
            self.mpie.expr(),
            zeros(3),
            self.mie_g.expr(),
            zeros(3),
        ])
    }
}

/// Spread 3 interrupt bits {MEI, MTI, MSI} to their `mip`/`mie` positions (11, 7, 3).
pub fn irq_bits(b: &Expr) -> Expr {
    cat([
        zeros(52),
        b.bit(2),
        zeros(3),
        b.bit(1),
        zeros(3),
        b.bit(0),
        zeros(3),
    ])
}

/// What the selected thread's CSR read sees.
pub struct CsrView<'a> {
    /// Its registers (already muxed to the selected thread).
    pub regs: &'a SelCsrs,
    /// Core cycle.
    pub cycle: Expr,
    /// CLINT mtime.
    pub mtime: Expr,
    /// mhartid.
    pub hartid: Expr,
    /// mip (64-bit form).
    pub mip: Expr,
}

/// The selected thread's CSR values (one mux per register).
pub struct SelCsrs {
    /// mstatus (read form).
    pub mstatus: Expr,
    /// mstatus.MIE.
    pub mie_g: Expr,
    /// mie (3 bits).
    pub mie: Expr,
    /// mtvec.
    pub mtvec: Expr,
    /// mscratch.
    pub mscratch: Expr,
    /// mepc.
    pub mepc: Expr,
    /// mcause.
    pub mcause: Expr,
    /// mtval.
    pub mtval: Expr,
    /// minstret.
    pub minstret: Expr,
    /// mcycle offset.
    pub mcycle_off: Expr,
}

/// CSR read: (value, exists).
pub fn read(m: &mut ModuleBuilder, num: &Expr, v: &CsrView<'_>) -> (Sig, Sig) {
    let r = v.regs;
    let mcycle = &v.cycle + &r.mcycle_off;
    let table: Vec<(u16, Expr)> = vec![
        (c::MSTATUS, r.mstatus.clone()),
        (c::MISA, lit(64, MISA)),
        (c::MIE, irq_bits(&r.mie)),
        (c::MIP, v.mip.clone()),
        (c::MTVEC, r.mtvec.clone()),
        (c::MSCRATCH, r.mscratch.clone()),
        (c::MEPC, &r.mepc & !lit(64, 2)),
        (c::MCAUSE, r.mcause.clone()),
        (c::MTVAL, r.mtval.clone()),
        (c::MCYCLE, mcycle.clone()),
        (c::CYCLE, mcycle),
        (c::MINSTRET, r.minstret.clone()),
        (c::INSTRET, r.minstret.clone()),
        (c::TIME, v.mtime.clone()),
        (c::MHARTID, v.hartid.clone()),
        (c::MVENDORID, zeros(64)),
        (c::MARCHID, zeros(64)),
        (c::MIMPID, zeros(64)),
        (c::MCONFIGPTR, zeros(64)),
    ];
    let mut val: Option<Expr> = None;
    let mut hit: Option<Expr> = None;
    for (n, x) in table {
        let is = num.eq(lit(12, u128::from(n)));
        let term = is.repeat(64) & x;
        val = Some(match val {
            None => term,
            Some(a) => a | term,
        });
        hit = Some(match hit {
            None => is,
            Some(a) => a | is,
        });
    }
    let val = m.wire_from("csr_old", val.expr_or_zero(64));
    let hit = m.wire_from("csr_exists", hit.expr_or_zero(1));
    (val, hit)
}

/// The value the commit log shows for a write of `new` to CSR `num` (what a read returns
/// afterwards), as `Csrs::write` returns it.
pub fn logged(num: &Expr, new: &Expr, mstatus_after: &Expr, mip: &Expr) -> Expr {
    let is = |n: u16| num.eq(lit(12, u128::from(n)));
    let mie_mask = lit(64, (1 << 3) | (1 << 7) | (1 << 11));
    let special = [
        (c::MSTATUS, mstatus_after.clone()),
        (c::MIE, new & mie_mask),
        (c::MTVEC, new & !lit(64, 2)),
        (c::MEPC, new & !lit(64, 3)),
        (c::MISA, lit(64, MISA)),
        (c::MIP, mip.clone()),
    ];
    let mut any = zeros(1);
    let mut val = zeros(64);
    for (n, x) in special {
        any = any | is(n);
        val = val | (is(n).repeat(64) & x);
    }
    mux(any, val, new.clone())
}

trait OrZero {
    fn expr_or_zero(self, w: u32) -> Expr;
}

impl OrZero for Option<Expr> {
    fn expr_or_zero(self, w: u32) -> Expr {
        self.unwrap_or(zeros(w))
    }
}

/// What the issuing instruction does to the CSRs.
pub struct Update<'a> {
    /// One-hot issuing thread.
    pub win: &'a [Expr],
    /// It retired.
    pub commit: Expr,
    /// It trapped (exception or interrupt).
    pub trap: Expr,
    /// It is an MRET that retired.
    pub mret: Expr,
    /// It writes CSR `num` with `new`.
    pub write: Expr,
    /// CSR number.
    pub num: Expr,
    /// Value written.
    pub new: Expr,
    /// Its pc (mepc on a trap).
    pub pc: Expr,
    /// mcause on a trap.
    pub cause: Expr,
    /// mtval on a trap.
    pub tval: Expr,
    /// Core cycle (for `mcycle` writes).
    pub cycle: Expr,
}

/// Next state of every thread's CSRs: trap entry (MPIE = MIE, MIE = 0, mepc, mcause, mtval),
/// MRET (MIE = MPIE, MPIE = 1), CSR writes, `minstret` counting.
pub fn update(m: &mut ModuleBuilder, csrs: &[ThreadCsrs], u: &Update<'_>) {
    let new = &u.new;
    for (i, c) in csrs.iter().enumerate() {
        let me = u.win[i].clone();
        let tr = &u.trap & &me;
        let mr = &u.mret & &me;
        let w = |n: u16| &u.write & u.num.eq(lit(12, u128::from(n))) & &me;
        m.next(
            &c.mie_g,
            mux(
                tr.clone(),
                zeros(1),
                mux(
                    mr.clone(),
                    c.mpie.expr(),
                    mux(w(c::MSTATUS), new.bit(3), c.mie_g.expr()),
                ),
            ),
        );
        m.next(
            &c.mpie,
            mux(
                tr.clone(),
                c.mie_g.expr(),
                mux(mr, lit(1, 1), mux(w(c::MSTATUS), new.bit(7), c.mpie.expr())),
            ),
        );
        m.next_when(
            &c.mie,
            w(c::MIE),
            cat([new.bit(11), new.bit(7), new.bit(3)]),
        );
        m.next_when(&c.mtvec, w(c::MTVEC), new & !lit(64, 2));
        m.next_when(&c.mscratch, w(c::MSCRATCH), new.clone());
        m.next(
            &c.mepc,
            mux(
                tr.clone(),
                &u.pc & !lit(64, 1),
                mux(w(c::MEPC), new & !lit(64, 1), c.mepc.expr()),
            ),
        );
        m.next(
            &c.mcause,
            mux(
                tr.clone(),
                u.cause.clone(),
                mux(w(c::MCAUSE), new.clone(), c.mcause.expr()),
            ),
        );
        m.next(
            &c.mtval,
            mux(
                tr,
                u.tval.clone(),
                mux(w(c::MTVAL), new.clone(), c.mtval.expr()),
            ),
        );
        m.next(
            &c.minstret,
            mux(
                w(c::MINSTRET),
                new.clone(),
                mux(&u.commit & &me, c.minstret.add_const(1), c.minstret.expr()),
            ),
        );
        m.next_when(&c.mcycle_off, w(c::MCYCLE), new - &u.cycle - lit(64, 1));
    }
}
