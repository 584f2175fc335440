//! The reference meaning of every expression, as plain Rust arithmetic on `u128`.
//!
//! This is what an expression *means*; the emitter's Verilog must compute exactly the same
//! value in any context. `hw/tests/rtl_sim.rs` checks that on random expressions with Icarus
//! Verilog, which is how the IR guards against the context-dependent widths of Verilog.

use super::expr::{BinOp, CmpOp, Expr, Kind, RedOp, ShiftOp, UnOp};
use super::ty::mask;

/// Two's-complement value of the low `w` bits.
fn signed(v: u128, w: u32) -> i128 {
    if w >= 128 {
        v as i128
    } else {
        let s = 128 - w;
        ((v << s) as i128) >> s
    }
}

/// Evaluates `e`; `sig(name)` gives a signal's value and `mem(name, addr)` a memory word.
///
/// # Panics
/// If a width (of `e` or a subexpression) exceeds 128 bits, or `e` is invalid.
pub fn eval(e: &Expr, sig: &dyn Fn(&str) -> u128, mem: &dyn Fn(&str, u128) -> u128) -> u128 {
    let w = e.width();
    assert!(w <= 128, "eval supports widths up to 128 bits, got {w}");
    let ev = |x: &Expr| eval(x, sig, mem);
    let v = match e.kind() {
        Kind::Const(v) => *v,
        Kind::Sig(r) => sig(&r.name),
        Kind::Unary(op, a) => match op {
            UnOp::Not => !ev(a),
            UnOp::Neg => ev(a).wrapping_neg(),
        },
        Kind::Binary(op, a, b) => {
            let (a, b) = (ev(a), ev(b));
            match op {
                BinOp::Add => a.wrapping_add(b),
                BinOp::Sub => a.wrapping_sub(b),
                BinOp::Mul => a.wrapping_mul(b),
                BinOp::And => a & b,
                BinOp::Or => a | b,
                BinOp::Xor => a ^ b,
            }
        }
        Kind::Compare(op, a, b) => {
            let wa = a.width();
            let (a, b) = (ev(a), ev(b));
            let (sa, sb) = (signed(a, wa), signed(b, wa));
            u128::from(match op {
                CmpOp::Eq => a == b,
                CmpOp::Ne => a != b,
                CmpOp::Lt => a < b,
                CmpOp::Le => a <= b,
                CmpOp::Gt => a > b,
                CmpOp::Ge => a >= b,
                CmpOp::LtS => sa < sb,
                CmpOp::LeS => sa <= sb,
                CmpOp::GtS => sa > sb,
                CmpOp::GeS => sa >= sb,
            })
        }
        Kind::Shift(op, a, b) => {
            let (va, s) = (ev(a), ev(b));
            let big = s >= u128::from(w);
            match op {
                ShiftOp::Shl if big => 0,
                ShiftOp::Shl => va << s,
                ShiftOp::Shr if big => 0,
                ShiftOp::Shr => va >> s,
                ShiftOp::Sra => {
                    let sv = signed(va, w);
                    (if big { sv >> 127 } else { sv >> s }) as u128
                }
            }
        }
        Kind::Reduce(op, a) => {
            let wa = a.width();
            let a = ev(a);
            u128::from(match op {
                RedOp::And => a == mask(wa),
                RedOp::Or => a != 0,
                RedOp::Xor => a.count_ones() % 2 == 1,
            })
        }
        Kind::Mux(c, a, b) => {
            if ev(c) != 0 {
                ev(a)
            } else {
                ev(b)
            }
        }
        Kind::Concat(parts) => parts.iter().fold(0u128, |acc, p| {
            let pw = p.width();
            (if pw >= 128 { 0 } else { acc << pw }) | ev(p)
        }),
        Kind::Repeat(a, n) => {
            let (wa, va) = (a.width(), ev(a));
            (0..*n).fold(0u128, |acc, _| (if wa >= 128 { 0 } else { acc << wa }) | va)
        }
        Kind::Slice(a, _, lo) => ev(a) >> lo,
        Kind::Index(a, i) => (ev(a) >> ev(i)) & 1,
        Kind::Zext(a) => ev(a),
        Kind::Sext(a) => signed(ev(a), a.width()) as u128,
        Kind::MemRead(m, a) => mem(&m.name, ev(a)),
        Kind::Invalid(err) => panic!("eval of an invalid expression: {err:?}"),
    };
    v & mask(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::{cat, lit};

    fn k(e: &Expr) -> u128 {
        eval(e, &|_| 0, &|_, _| 0)
    }

    #[test]
    fn meanings() {
        let a = lit(4, 0b1010);
        let b = lit(4, 0b0111);
        assert_eq!(k(&(&a + &b)), 0b0001);
        assert_eq!(k(&a.add_carry(&b)), 0b10001);
        assert_eq!(k(&(&b - &a)), 0b1101);
        assert_eq!(k(&(-&b)), 0b1001);
        assert_eq!(k(&!a.zext(8)), 0b1111_0101);
        assert_eq!(k(&a.sext(8)), 0b1111_1010);
        assert_eq!(k(&a.lt_s(&b)), 1);
        assert_eq!(k(&a.lt(&b)), 0);
        assert_eq!(k(&a.sra(lit(2, 1))), 0b1101);
        assert_eq!(k(&a.sra(lit(8, 200))), 0b1111);
        assert_eq!(k(&a.shl(lit(8, 4))), 0);
        assert_eq!(k(&cat([&a, &b])), 0b1010_0111);
        assert_eq!(k(&b.repeat(2)), 0b0111_0111);
        assert_eq!(k(&a.index(lit(2, 1))), 1);
        assert_eq!(k(&a.parity()), 0);
        assert_eq!(k(&(&a * &b)), (10 * 7) & 15);
    }
}
