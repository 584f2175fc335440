//! Per-thread integer register files: three LUT-RAM banks per thread and a live-value table.
//!
//! Bank A takes the issuing instruction's result (one write per cycle per core), bank B the
//! late results of the thread's loads and atomics (one per thread per cycle, when the memory
//! answers), bank C the results of the thread's divides (from the core's iterative divider, in
//! the cycle before the scoreboard releases a consumer). A live-value table per thread (two
//! 32-bit masks: "in B", "in C") says which bank holds each register's latest value, and a
//! 32-bit "written" mask replaces the reset values that LUT RAM cannot have (`a0 = mhartid`,
//! `a1 = dtb`, everything else 0, as the QEMU `virt` boot convention). A late (memory) result is
//! forwarded to a read in the cycle it arrives; a divide result is read from bank C.
//!
//! The scoreboard keeps the three writes of a thread to different registers in any one cycle
//! (a divide's `rd` is busy until its result is in bank C); should two meet, A wins over B
//! over C.

use crate::rtl::{lit, mux, zeros, Expr, Mem, ModuleBuilder, RamStyle, Sig};

/// One thread's register file.
pub struct ThreadRegs {
    bank_a: Mem,
    bank_b: Mem,
    bank_c: Mem,
    lvt: Sig,
    lvt_c: Sig,
    written: Sig,
    a0: Expr,
    a1: Expr,
    late_en: Expr,
    late_rd: Expr,
    late_val: Expr,
}

/// A write: enable, register number (5 bits), value.
pub struct Write {
    /// Write enable (never set for x0).
    pub en: Expr,
    /// Register.
    pub rd: Expr,
    /// Value.
    pub val: Expr,
}

impl ThreadRegs {
    /// Thread `t`'s registers with boot values `a0`, `a1`, the issue-side write `issue`, the
    /// late write `late` and the divide write `div`.
    pub fn new(
        m: &mut ModuleBuilder,
        t: u32,
        a0: Expr,
        a1: Expr,
        issue: Write,
        late: Write,
        div: Write,
    ) -> ThreadRegs {
        let bank_a = m.memory(&format!("rf_a_t{t}"), 64, 32, RamStyle::Distributed);
        let bank_b = m.memory(&format!("rf_b_t{t}"), 64, 32, RamStyle::Distributed);
        let bank_c = m.memory(&format!("rf_c_t{t}"), 64, 32, RamStyle::Distributed);
        let lvt = m.reg(&format!("rf_lvt_t{t}"), 32, 0);
        let lvt_c = m.reg(&format!("rf_lvtc_t{t}"), 32, 0);
        let written = m.reg(&format!("rf_wr_t{t}"), 32, 0);
        m.mem_write(
            &bank_a,
            issue.en.clone(),
            issue.rd.clone(),
            issue.val.clone(),
        );
        m.mem_write(&bank_b, late.en.clone(), late.rd.clone(), late.val.clone());
        m.mem_write(&bank_c, div.en.clone(), div.rd.clone(), div.val.clone());
        let onehot = |en: &Expr, rd: &Expr| mux(en.clone(), lit(32, 1).shl(rd), zeros(32));
        let ia = onehot(&issue.en, &issue.rd);
        let lb = onehot(&late.en, &late.rd);
        let dc = onehot(&div.en, &div.rd);
        m.next(&lvt, (&lvt | &lb) & !ia.clone());
        m.next(&lvt_c, (&lvt_c | &dc) & !ia.clone() & !lb.clone());
        m.next(&written, &written | &lb | &dc | ia);
        ThreadRegs {
            bank_a,
            bank_b,
            bank_c,
            lvt,
            lvt_c,
            written,
            a0,
            a1,
            late_en: late.en,
            late_rd: late.rd,
            late_val: late.val,
        }
    }

    /// The value of register `r` (5 bits) as an instruction issuing now reads it.
    pub fn read(&self, r: &Expr) -> Expr {
        let stored = mux(
            self.lvt_c.index(r),
            self.bank_c.read(r.clone()),
            mux(
                self.lvt.index(r),
                self.bank_b.read(r.clone()),
                self.bank_a.read(r.clone()),
            ),
        );
        let init = mux(
            r.eq(lit(5, 10)),
            self.a0.clone(),
            mux(r.eq(lit(5, 11)), self.a1.clone(), zeros(64)),
        );
        let val = mux(self.written.index(r), stored, init);
        mux(
            &self.late_en & self.late_rd.eq(r),
            self.late_val.clone(),
            val,
        )
    }
}
