//! Multiplier and divider of the core.
//!
//! Timing is the scheduler's business (`core.timing.mul` for the pipelined multiplier, one
//! divider per core busy `core.timing.div` cycles). A product is computed when the instruction
//! issues, as the simulator does, and the scoreboard holds it back from consumers.
//!
//! The divider ([`divider`]) is iterative, one per core, shared by its threads and thread
//! groups. A divide issuing in cycle `t` (the divider is free: [`divider`]'s `busy` is low)
//! loads it with the magnitudes of its operands; cycles `t + 1 ..= t + 64 / R` each retire `R`
//! quotient bits (restoring division, `R` subtract stages chained in one cycle, `R` the
//! smallest of 1, 2, 4, 8 that fits, see [`radix`]); in cycle `t + div - 1` the signs are
//! applied combinationally (`done`) and the core writes the result into the issuing thread's
//! divide bank (`regfile.rs`, bank C), where a consumer the scoreboard releases at `t + div`
//! reads it. So the divider is busy exactly `div` cycles (`t ..= t + div - 1`) and the visible
//! timing is the simulator's.

use super::decode::Decoded;
use crate::isa::Op;
use crate::rtl::{
    cat, clog2, lit, mux, zeros, Design, Expr, ModRef, ModuleBuilder, Params, RtlError,
};

/// Result of the multiply instruction in `dec` on operands `a` (rs1) and `b` (rs2).
pub fn mul(m: &mut ModuleBuilder, dec: &Decoded, a: &Expr, b: &Expr) -> Expr {
    let sx32 = |v: Expr| v.trunc(32).sext(64);
    // One unsigned 64x64 product; the signed high halves are corrected from it.
    let p = m.wire_from("mul_p", a.mul_full(b));
    let hu = p.slice(127, 64);
    let a_neg = a.msb().repeat(64) & b;
    let b_neg = b.msb().repeat(64) & a;
    let mulh = &hu - &a_neg - &b_neg;
    let mulhsu = &hu - &a_neg;
    let sel = |op: Op, v: Expr| dec.is(op).repeat(64) & v;
    sel(Op::Mul, p.slice(63, 0))
        | sel(Op::Mulh, mulh)
        | sel(Op::Mulhsu, mulhsu)
        | sel(Op::Mulhu, hu.clone())
        | sel(Op::Mulw, sx32(p.slice(63, 0)))
}

/// The divider's operation bits (`op` port): bit 0 signed, bit 1 32-bit (`*W`), bit 2
/// remainder.
pub fn div_op(dec: &Decoded) -> Expr {
    let signed = dec.any(&[Op::Div, Op::Rem, Op::Divw, Op::Remw]);
    let word = dec.any(&[Op::Divw, Op::Divuw, Op::Remw, Op::Remuw]);
    let rem = dec.any(&[Op::Rem, Op::Remu, Op::Remw, Op::Remuw]);
    cat([rem, word, signed])
}

/// Cycles of a divide that do not iterate: the issue cycle (operand magnitudes into the
/// registers) and the last cycle (signs applied as the result is written).
pub const DIV_OVERHEAD: u32 = 2;
/// Most quotient bits per cycle the divider supports (subtract stages chained in one cycle).
pub const MAX_RADIX: u32 = 8;

/// Quotient bits per cycle for a divider busy `div` cycles: the smallest power of two `R <=`
/// [`MAX_RADIX`] with `64 / R <= div - DIV_OVERHEAD`; an error when even [`MAX_RADIX`] does
/// not fit (`div < 64 / MAX_RADIX + DIV_OVERHEAD` = 10).
pub fn radix(div: u32) -> Result<u32, RtlError> {
    let budget = div.saturating_sub(DIV_OVERHEAD);
    [1, 2, 4, 8]
        .into_iter()
        .find(|&r| r <= MAX_RADIX && 64 / r <= budget)
        .ok_or_else(|| RtlError::Param {
            generator: module_path!().into(),
            why: format!(
                "core.timing.div = {div} is too small for the iterative divider: it needs \
                 64 / {MAX_RADIX} + {DIV_OVERHEAD} = {} cycles at its highest radix \
                 ({MAX_RADIX} quotient bits per cycle)",
                64 / MAX_RADIX + DIV_OVERHEAD
            ),
        })
}

/// The iterative divider busy `div` cycles, carrying a `tag_w`-bit tag (thread and `rd`) from
/// `start` to `done`. Module `divider_d<div>_r<R>_tag<tag_w>`.
///
/// | port | dir | meaning |
/// |---|---|---|
/// | `start` | in | a divide issues this cycle (only while not `busy`) |
/// | `op[2:0]` | in | {remainder, 32-bit, signed} (see [`div_op`]) |
/// | `a[63:0]`, `b[63:0]` | in | dividend (rs1) and divisor (rs2) |
/// | `tag` | in | carried to `res_tag` |
/// | `busy` | out | a divide is in flight (it started 1 ..= `div - 1` cycles ago) |
/// | `done`, `res[63:0]`, `res_tag` | out | the result, in the cycle `div - 1` after `start` |
pub fn divider(d: &mut Design, div: u32, tag_w: u32) -> Result<ModRef, RtlError> {
    let r = radix(div)?;
    let name = format!("divider_d{div}_r{r}_tag{tag_w}");
    let params = Params::new()
        .with("div", div)
        .with("radix", r)
        .with("tag_w", tag_w);
    d.build(&name, module_path!(), params, move |m| {
        divider_body(m, div, r, tag_w);
        Ok(())
    })
}

fn divider_body(m: &mut ModuleBuilder, div: u32, radix: u32, tag_w: u32) {
    let steps = 64 / radix;
    m.doc(&format!(
        "Iterative restoring divider (RV64M DIV/DIVU/REM/REMU and the W forms): busy {div} cycles,"
    ));
    m.doc(&format!(
        "{radix} quotient bit(s) per cycle over {steps} cycles after the start, signs applied in the last."
    ));
    let start = m.input("start", 1);
    let op = m.input("op", 3);
    let a = m.input("a", 64);
    let b = m.input("b", 64);
    let tag = m.input("tag", tag_w);

    let cw = clog2(u64::from(div) + 1);
    let cnt = m.reg("cnt", cw, 0);
    let busy = m.wire_from("busy_w", cnt.ne(zeros(cw)));
    m.next(
        &cnt,
        mux(
            start.expr(),
            lit(cw, u128::from(div - 1)),
            mux(busy.expr(), cnt.sub_const(1), zeros(cw)),
        ),
    );

    // The issue cycle: operands extended per variant, magnitudes, result sign.
    let (signed, word, rem) = (op.bit(0), op.bit(1), op.bit(2));
    let ext = |v: &Expr| {
        let v32 = mux(signed.clone(), v.trunc(32).sext(64), v.trunc(32).zext(64));
        mux(word.clone(), v32, v.clone())
    };
    let da = m.wire_from("da", ext(&a.expr()));
    let db = m.wire_from("db", ext(&b.expr()));
    let neg_a = m.wire_from("neg_a", &signed & da.msb());
    let neg_b = m.wire_from("neg_b", &signed & db.msb());
    let ua = mux(neg_a.expr(), -da.expr(), da.expr());
    let ub = mux(neg_b.expr(), -db.expr(), db.expr());
    // Division by zero: the unsigned quotient is all ones and the remainder the dividend, as
    // RISC-V wants once the quotient is not negated. Overflow (MIN / -1) needs no case: the
    // magnitude quotient 2^63 negated is MIN, the remainder 0.
    let zero = db.eq(zeros(64));
    let neg = mux(rem.clone(), neg_a.expr(), (&neg_a ^ &neg_b) & !zero);

    // State: partial remainder, dividend shifting into the quotient, divisor.
    let rr = m.reg("rem", 64, 0);
    let qq = m.reg("quo", 64, 0);
    let dv = m.reg("dvs", 64, 0);
    let neg_r = m.reg("neg", 1, 0);
    let word_r = m.reg("word", 1, 0);
    let rem_r = m.reg("is_rem", 1, 0);
    let tag_r = m.reg("tag_q", tag_w, 0);

    // One cycle of iteration: `radix` restoring steps chained.
    let d65 = dv.zext(65);
    let (mut r, mut q) = (rr.expr(), qq.expr());
    for s in 0..radix {
        let cur = cat([r.clone(), q.msb()]);
        let diff = m.wire_from(&format!("diff{s}"), &cur - &d65);
        let ge = m.wire_from(&format!("ge{s}"), !diff.msb());
        r = mux(ge.expr(), diff.trunc(64), cur.trunc(64));
        q = cat([q.slice(62, 0), ge.expr()]);
    }
    let iterate = m.wire_from("iterate", cnt.ge(lit(cw, u128::from(div - steps))));
    m.next(
        &rr,
        mux(start.expr(), zeros(64), mux(iterate.expr(), r, rr.expr())),
    );
    m.next(
        &qq,
        mux(start.expr(), ua, mux(iterate.expr(), q, qq.expr())),
    );
    m.next_when(&dv, start.expr(), ub);
    m.next_when(&neg_r, start.expr(), neg);
    m.next_when(&word_r, start.expr(), word);
    m.next_when(&rem_r, start.expr(), rem);
    m.next_when(&tag_r, start.expr(), tag.expr());

    // The last cycle: the sign applied, 32-bit results sign-extended.
    let sel = mux(rem_r.expr(), rr.expr(), qq.expr());
    let v = m.wire_from("signed_res", mux(neg_r.expr(), -sel.clone(), sel));
    m.output_from("busy", busy.expr());
    m.output_from("done", cnt.eq(lit(cw, 1)));
    m.output_from("res", mux(word_r.expr(), v.trunc(32).sext(64), v.expr()));
    m.output_from("res_tag", tag_r.expr());
}
