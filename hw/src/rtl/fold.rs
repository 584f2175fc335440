//! Constant folding: operators whose result is known when the design is built become constants,
//! so the Verilog holds no constant logic that lint tools flag (`x < -2'd0`, `&{4'd0, a}`).

use super::expr::{node, CmpOp, Expr, Kind};
use super::ty::mask;

/// Replaces an operator whose operands are all constants by its value (up to 128 bits), so the
/// Verilog never holds constant logic that lint tools flag (`x < -2'd0`).
pub(crate) fn fold(e: Expr) -> Expr {
    let all_const = match e.kind() {
        Kind::Unary(_, a)
        | Kind::Reduce(_, a)
        | Kind::Repeat(a, _)
        | Kind::Zext(a)
        | Kind::Sext(a) => a.as_const().is_some(),
        Kind::Binary(_, a, b) | Kind::Compare(_, a, b) | Kind::Shift(_, a, b) => {
            a.as_const().is_some() && b.as_const().is_some()
        }
        Kind::Mux(c, a, b) => [c, a, b].iter().all(|x| x.as_const().is_some()),
        Kind::Concat(parts) => parts.iter().all(|x| x.as_const().is_some()),
        _ => false,
    };
    let narrow = e.width() <= 128 && super::verify::children(&e).iter().all(|c| c.width() <= 128);
    if all_const && narrow {
        let v = super::eval::eval(&e, &|_| 0, &|_, _| 0);
        return node(e.width(), Kind::Const(v));
    }
    e
}

/// The constant result of a comparison that one constant operand at the end of the range
/// decides (`x < 0`, `x >= 0`, `x > max`, ...): Verilator warns about those.
pub(crate) fn degenerate(op: CmpOp, a: &Expr, b: &Expr) -> Option<bool> {
    let w = a.width();
    let max = mask(w);
    let (smin, smax) = (1u128 << (w - 1).min(127), mask(w) >> 1);
    // Normalise to `x OP k` by mirroring when the constant is on the left.
    let (op, k) = match (a.as_const(), b.as_const()) {
        (None, Some(k)) => (op, k),
        (Some(k), None) => (
            match op {
                CmpOp::Lt => CmpOp::Gt,
                CmpOp::Le => CmpOp::Ge,
                CmpOp::Gt => CmpOp::Lt,
                CmpOp::Ge => CmpOp::Le,
                CmpOp::LtS => CmpOp::GtS,
                CmpOp::LeS => CmpOp::GeS,
                CmpOp::GtS => CmpOp::LtS,
                CmpOp::GeS => CmpOp::LeS,
                other => other,
            },
            k,
        ),
        _ => return None,
    };
    match op {
        CmpOp::Lt if k == 0 => Some(false),
        CmpOp::Ge if k == 0 => Some(true),
        _ if w > 128 => None,
        CmpOp::Gt if k == max => Some(false),
        CmpOp::Le if k == max => Some(true),
        CmpOp::LtS if k == smin => Some(false),
        CmpOp::GeS if k == smin => Some(true),
        CmpOp::GtS if k == smax => Some(false),
        CmpOp::LeS if k == smax => Some(true),
        _ => None,
    }
}
