//! Exceptions and interrupts of the issuing instruction, with Spike's causes and `mtval`
//! (`sim/src/core/exec.rs`), and whether its memory request goes out.
//!
//! Priority: a pending enabled interrupt is taken instead of the instruction; otherwise a fetch
//! fault, an illegal instruction (no table row, unknown CSR, write to a read-only CSR), ECALL,
//! EBREAK, a jump or taken branch to a misaligned target, a misaligned access, or an access
//! fault that the memory side reports on `d_fault` in the same cycle.

use super::decode::Decoded;
use super::execute::Exec;
use crate::isa::{Class, Op};
use crate::rtl::{cat, lit, mux, zeros, Expr, ModuleBuilder, Sig};

/// The memory side of the issuing instruction.
pub struct MemOp {
    /// Load.
    pub load: Expr,
    /// Store.
    pub store: Expr,
    /// AMO, LR or SC.
    pub atomic: Expr,
    /// LR.
    pub lr: Expr,
    /// SC.
    pub sc: Expr,
    /// Any of them.
    pub any: Sig,
    /// log2 of the access size (`funct3[1:0]`).
    pub size: Sig,
    /// The address is not aligned to the size.
    pub misaligned: Sig,
}

impl MemOp {
    /// Classify `dec` (word `insn`) accessing `addr`.
    pub fn new(m: &mut ModuleBuilder, dec: &Decoded, insn: &Expr, addr: &Expr) -> MemOp {
        let load = dec.class(Class::Load);
        let store = dec.class(Class::Store);
        let atomic = dec.class(Class::Atomic);
        let any = m.wire_from("is_mem", &load | &store | &atomic);
        let size = m.wire_from("mem_size", insn.slice(13, 12));
        let misaligned = m.wire_from(
            "mem_misaligned",
            (size.eq(lit(2, 1)) & addr.bit(0))
                | (size.eq(lit(2, 2)) & addr.slice(1, 0).ne(zeros(2)))
                | (size.eq(lit(2, 3)) & addr.slice(2, 0).ne(zeros(3))),
        );
        MemOp {
            load,
            store,
            atomic,
            lr: dec.any(&[Op::LrW, Op::LrD]),
            sc: dec.any(&[Op::ScW, Op::ScD]),
            any,
            size,
            misaligned,
        }
    }
}

/// What the checks look at.
pub struct Checks<'a> {
    /// An instruction issues this cycle.
    pub issue: Expr,
    /// Pending enabled interrupts {MEI, MTI, MSI} of the issuing thread.
    pub pend: Expr,
    /// Its mstatus.MIE.
    pub mie_g: Expr,
    /// Its decoded instruction.
    pub dec: &'a Decoded,
    /// The instruction word.
    pub insn: Expr,
    /// Its pc.
    pub pc: Expr,
    /// Execute results (jump target, address).
    pub ex: &'a Exec,
    /// The fetch faulted.
    pub fetch_fault: Expr,
    /// The CSR access is illegal.
    pub csr_illegal: Expr,
    /// The memory side reports an access fault (same cycle).
    pub d_fault: Expr,
    /// The memory operation.
    pub mem: &'a MemOp,
}

/// The outcome of the checks.
pub struct Trap {
    /// An interrupt is taken.
    pub take_irq: Sig,
    /// Its cause code (4 bits).
    pub irq_code: Expr,
    /// The memory request goes out.
    pub d_valid: Sig,
    /// The issue traps (exception or interrupt).
    pub trap: Sig,
    /// mcause.
    pub cause: Sig,
    /// mtval.
    pub tval: Sig,
    /// The instruction retires.
    pub commit: Sig,
}

/// Decide how the issuing instruction ends.
pub fn check(m: &mut ModuleBuilder, c: &Checks<'_>) -> Trap {
    let dec = c.dec;
    let ex = c.ex;
    let mo = c.mem;
    let take_irq = m.wire_from("take_irq", &c.issue & c.pend.any() & &c.mie_g);
    let irq_code = mux(
        c.pend.bit(2),
        lit(4, 11),
        mux(c.pend.bit(0), lit(4, 3), lit(4, 7)),
    );
    let ok = !c.fetch_fault.clone();
    let illegal = m.wire_from("illegal", &ok & (!dec.legal.clone() | &c.csr_illegal));
    let misjump = m.wire_from(
        "misjump",
        &ok & &ex.redirect & ex.target.slice(1, 0).ne(zeros(2)),
    );
    let mem_ok = &ok & &mo.any & !mo.misaligned.expr();
    let d_valid = m.wire_from("d_valid", &c.issue & !take_irq.expr() & mem_ok);
    let reads = &mo.load | &mo.lr;
    let ecall = &ok & dec.is(Op::Ecall);
    let ebreak = &ok & dec.is(Op::Ebreak);
    let mem_misal = &ok & &mo.any & &mo.misaligned;
    let acc_fault = &d_valid & &c.d_fault;
    let exc = m.wire_from(
        "exception",
        c.fetch_fault.clone()
            | &illegal
            | ecall.clone()
            | ebreak.clone()
            | &misjump
            | mem_misal.clone()
            | acc_fault.clone(),
    );
    // mtval of an illegal instruction: its bits (16 of them when bits 1:0 are not 0b11).
    let raw_bits = mux(
        c.insn.slice(1, 0).eq(lit(2, 3)),
        c.insn.zext(64),
        c.insn.slice(15, 0).zext(64),
    );
    let cause_sel = |x: Expr, v: u128| x.repeat(64) & lit(64, v);
    let exc_cause = cause_sel(c.fetch_fault.clone(), 1)
        | cause_sel(illegal.expr(), 2)
        | cause_sel(ebreak.clone(), 3)
        | cause_sel(ecall, 11)
        | cause_sel(mem_misal.clone() & &reads, 4)
        | cause_sel(mem_misal.clone() & !reads.clone(), 6)
        | cause_sel(acc_fault.clone() & &reads, 5)
        | cause_sel(acc_fault.clone() & !reads.clone(), 7);
    let exc_tval = (c.fetch_fault.repeat(64) & &c.pc)
        | (illegal.repeat(64) & raw_bits)
        | (ebreak.repeat(64) & &c.pc)
        | (misjump.repeat(64) & &ex.target)
        | ((mem_misal | acc_fault).repeat(64) & &ex.addr);
    let trap = m.wire_from("trap", take_irq.expr() | (&c.issue & &exc));
    let cause = m.wire_from(
        "cause",
        mux(
            take_irq.expr(),
            cat([lit(1, 1), zeros(59), irq_code.clone()]),
            exc_cause,
        ),
    );
    let tval = m.wire_from("tval", mux(take_irq.expr(), zeros(64), exc_tval));
    let commit = m.wire_from("commit", &c.issue & !trap.expr());
    Trap {
        take_irq,
        irq_code,
        d_valid,
        trap,
        cause,
        tval,
        commit,
    }
}
