//! Integer execution: ALU, branches and jumps (next pc), and the load/store address.

use super::decode::Decoded;
use crate::isa::{Class, Format, Op};
use crate::rtl::{lit, mux, Expr, ModuleBuilder};

/// What the ALU/branch unit computes for the issuing instruction.
pub struct Exec {
    /// Value for `rd` (ALU, LUI/AUIPC, JAL/JALR link).
    pub alu: Expr,
    /// The branch is taken or the instruction jumps.
    pub redirect: Expr,
    /// Target of a taken branch or jump.
    pub target: Expr,
    /// Effective address of a load/store (rs1 for AMO/LR/SC).
    pub addr: Expr,
    /// pc + 4.
    pub pc4: Expr,
}

/// Compute [`Exec`] for `dec` at `pc` with operands `a` (rs1) and `b` (rs2).
pub fn execute(m: &mut ModuleBuilder, dec: &Decoded, pc: &Expr, a: &Expr, b: &Expr) -> Exec {
    let imm = &dec.imm;
    let uses_imm = dec.format(Format::I)
        | dec.format(Format::S)
        | dec.format(Format::Shift)
        | dec.format(Format::ShiftW);
    let ob = m.wire_from("alu_b", mux(uses_imm, imm.clone(), b.clone()));
    let sx32 = |v: Expr| v.trunc(32).sext(64);
    let sum = m.wire_from("alu_sum", a + &ob);
    let diff = m.wire_from("alu_diff", a - &ob);
    let sh6 = ob.slice(5, 0);
    let sh5 = ob.slice(4, 0);
    let a32 = a.trunc(32);
    let sel = |ops: &[Op], v: Expr| dec.any(ops).repeat(64) & v;
    let pc4 = m.wire_from("pc_plus4", pc + lit(64, 4));
    let alu = sel(&[Op::Lui], imm.clone())
        | sel(&[Op::Auipc], pc + imm)
        | sel(&[Op::Jal, Op::Jalr], pc4.expr())
        | sel(&[Op::Addi, Op::Add], sum.expr())
        | sel(&[Op::Sub], diff.expr())
        | sel(&[Op::Slti, Op::Slt], a.lt_s(&ob).zext(64))
        | sel(&[Op::Sltiu, Op::Sltu], a.lt(&ob).zext(64))
        | sel(&[Op::Xori, Op::Xor], a ^ &ob)
        | sel(&[Op::Ori, Op::Or], a | &ob)
        | sel(&[Op::Andi, Op::And], a & &ob)
        | sel(&[Op::Slli, Op::Sll], a.shl(&sh6))
        | sel(&[Op::Srli, Op::Srl], a.shr(&sh6))
        | sel(&[Op::Srai, Op::Sra], a.sra(&sh6))
        | sel(&[Op::Addiw, Op::Addw], sx32(sum.expr()))
        | sel(&[Op::Subw], sx32(diff.expr()))
        | sel(&[Op::Slliw, Op::Sllw], sx32(a32.shl(&sh5)))
        | sel(&[Op::Srliw, Op::Srlw], sx32(a32.shr(&sh5)))
        | sel(&[Op::Sraiw, Op::Sraw], a32.sra(&sh5).sext(64));
    let alu = m.wire_from("alu_out", alu);
    let taken = (dec.is(Op::Beq) & a.eq(b))
        | (dec.is(Op::Bne) & a.ne(b))
        | (dec.is(Op::Blt) & a.lt_s(b))
        | (dec.is(Op::Bge) & a.ge_s(b))
        | (dec.is(Op::Bltu) & a.lt(b))
        | (dec.is(Op::Bgeu) & a.ge(b));
    let redirect = m.wire_from("redirect", taken | dec.class(Class::Jump));
    let jalr_t = (a + imm) & !lit(64, 1);
    let target = m.wire_from("target", mux(dec.is(Op::Jalr), jalr_t, pc + imm));
    let atomic = dec.class(Class::Atomic);
    let addr = m.wire_from("mem_addr", mux(atomic, a.clone(), sum.expr()));
    Exec {
        alu: alu.expr(),
        redirect: redirect.expr(),
        target: target.expr(),
        addr: addr.expr(),
        pc4: pc4.expr(),
    }
}
