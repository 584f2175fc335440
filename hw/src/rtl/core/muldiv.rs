//! Multiplier and divider datapaths of the core's shared mul/div unit.
//!
//! Timing is the scheduler's business (`core.timing.mul` for the pipelined multiplier, one
//! divider per core busy `core.timing.div` cycles): the values are computed when the instruction
//! issues, as the simulator does, and the scoreboard holds the result back from consumers.
//! The divider is a combinational restoring array (64 subtract stages); an iterative radix-4
//! divider with the same latency is a later area refinement.

use super::decode::Decoded;
use crate::isa::Op;
use crate::rtl::{cat, mux, ones, zeros, Expr, ModuleBuilder};

/// Result of the M-extension instruction in `dec` on operands `a` (rs1) and `b` (rs2).
pub fn muldiv(m: &mut ModuleBuilder, dec: &Decoded, a: &Expr, b: &Expr) -> Expr {
    let sx32 = |v: Expr| v.trunc(32).sext(64);
    // Multiply: one unsigned 64x64 product; the signed high halves are corrected from it.
    let p = m.wire_from("mul_p", a.mul_full(b));
    let hu = p.slice(127, 64);
    let a_neg = a.msb().repeat(64) & b;
    let b_neg = b.msb().repeat(64) & a;
    let mulh = &hu - &a_neg - &b_neg;
    let mulhsu = &hu - &a_neg;
    let sel = |op: Op, v: Expr| dec.is(op).repeat(64) & v;
    let mul = sel(Op::Mul, p.slice(63, 0))
        | sel(Op::Mulh, mulh)
        | sel(Op::Mulhsu, mulhsu)
        | sel(Op::Mulhu, hu.clone())
        | sel(Op::Mulw, sx32(p.slice(63, 0)));
    // Divide: operands extended per variant, magnitudes divided unsigned, signs fixed after.
    let w = dec.any(&[Op::Divw, Op::Divuw, Op::Remw, Op::Remuw]);
    let signed = dec.any(&[Op::Div, Op::Rem, Op::Divw, Op::Remw]);
    let rem = dec.any(&[Op::Rem, Op::Remu, Op::Remw, Op::Remuw]);
    let ext = |v: &Expr| {
        let v32 = mux(signed.clone(), v.trunc(32).sext(64), v.trunc(32).zext(64));
        m_mux(&w, v32, v.clone())
    };
    let da = m.wire_from("div_a", ext(a));
    let db = m.wire_from("div_b", ext(b));
    let neg_a = m.wire_from("div_neg_a", &signed & da.msb());
    let neg_b = m.wire_from("div_neg_b", &signed & db.msb());
    let ua = m.wire_from("div_ua", mux(neg_a.expr(), -da.expr(), da.expr()));
    let ub = m.wire_from("div_ub", mux(neg_b.expr(), -db.expr(), db.expr()));
    let ub65 = ub.zext(65);
    let mut r = zeros(64);
    let mut qbits = Vec::new();
    for i in (0..64).rev() {
        let cur = m.wire_from(&format!("div_s{i}"), cat([r.clone(), ua.bit(i)]));
        let ge = m.wire_from(&format!("div_ge{i}"), cur.ge(&ub65));
        let diff = &cur - &ub65;
        r = m
            .wire_from(
                &format!("div_r{i}"),
                mux(ge.expr(), diff.trunc(64), cur.trunc(64)),
            )
            .expr();
        qbits.push(ge.expr());
    }
    let q = m.wire_from("div_q", cat(qbits));
    let qs = mux(&neg_a ^ &neg_b, -q.expr(), q.expr());
    let rs = mux(neg_a.expr(), -r.clone(), r);
    let zero = db.eq(zeros(64));
    let quot = mux(zero.clone(), ones(64), qs);
    let remv = mux(zero, da.expr(), rs);
    let d = m.wire_from("div_res", mux(rem, remv, quot));
    let div = mux(w, sx32(d.expr()), d.expr());
    let is_div = dec.class(crate::isa::Class::Div);
    mux(is_div, div, mul)
}

fn m_mux(c: &Expr, a: Expr, b: Expr) -> Expr {
    mux(c.clone(), a, b)
}
