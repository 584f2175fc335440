//! Expressions: a width-typed tree of operators over signals, constants and memory reads.
//!
//! Every constructor computes the result width and checks its operands. A mismatch does not
//! panic: it yields an *invalid* expression that carries the problem, and the module builder
//! reports it (with the module and signal names) when the expression is assigned, so generator
//! code reads like arithmetic, without `?` after every operator.
//!
//! | IR | width | Verilog |
//! |---|---|---|
//! | `lit(8, 5)` | 8 | `8'd5` (hex from 256 up, `1'b1` for one bit) |
//! | `a + b`, `a - b`, `a * b`, `a & b`, `a \| b`, `a ^ b` | w (both w) | `a + b` … |
//! | `!a` (bitwise not), `-a` | w | `~a`, `-a` |
//! | `a.eq(b)` `ne` `lt` `le` `gt` `ge` (both w) | 1 | `a == b` … |
//! | `a.lt_s(b)` `le_s` `gt_s` `ge_s` | 1 | `$signed(a) < $signed(b)` |
//! | `a.shl(s)`, `a.shr(s)` (any width s) | w | `a << s`, `a >> s` |
//! | `a.sra(s)` | w | `{$signed(a) >>> s}` (braces: unsigned, self-determined) |
//! | `a.all()`, `a.any()`, `a.parity()` | 1 | `&a`, `\|a`, `^a` |
//! | `c.mux(a, b)` (c 1 bit, a and b w) | w | `c ? a : b` |
//! | `cat([a, b])` | wa + wb | `{a, b}` (first is most significant) |
//! | `a.repeat(n)` | n·w | `{n{a}}` |
//! | `a.slice(h, l)`, `a.bit(i)`, `a.trunc(n)` | h−l+1 | `a[h:l]` |
//! | `a.zext(n)` | n | `{(n-w)'d0, a}` |
//! | `a.sext(n)` | n | `{{(n-w){a[w-1]}}, a}` |
//! | `a.index(i)` (w a power of two, i log2(w) bits) | 1 | `a[i]` |
//! | `mem.read(addr)` | mem width | `mem[addr]` |
//!
//! Slices, indexes and sign extension need a name in Verilog; when their operand is a compound
//! expression the emitter gives it an intermediate wire (`_t0`). Because operands of every
//! context-determined operator have equal widths and assignments match exactly, Verilog never
//! widens an operand: each expression means the same in any context (see [`crate::rtl::eval`]).

use std::fmt;
use std::rc::Rc;

use super::describe::describe;
use super::fold::{degenerate, fold};
use super::ty::mask;

/// A width-typed expression. Cheap to clone (shared tree).
#[derive(Clone)]
pub struct Expr(pub(crate) Rc<Node>);

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) width: u32,
    pub(crate) kind: Kind,
}

/// A reference to a declared signal of one module.
#[derive(Clone, Debug)]
pub(crate) struct SigRef {
    /// Unique id of the builder that declared it.
    pub(crate) module: u64,
    /// That module's name (for messages).
    pub(crate) module_name: Rc<str>,
    /// Index in the module's signal table.
    pub(crate) id: usize,
    /// The signal's name.
    pub(crate) name: Rc<str>,
}

/// A reference to a declared memory of one module.
#[derive(Clone, Debug)]
pub(crate) struct MemRef {
    pub(crate) module: u64,
    pub(crate) module_name: Rc<str>,
    pub(crate) id: usize,
    pub(crate) name: Rc<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LtS,
    LeS,
    GtS,
    GeS,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShiftOp {
    Shl,
    Shr,
    Sra,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RedOp {
    And,
    Or,
    Xor,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Const(u128),
    Sig(SigRef),
    Unary(UnOp, Expr),
    Binary(BinOp, Expr, Expr),
    Compare(CmpOp, Expr, Expr),
    Shift(ShiftOp, Expr, Expr),
    Reduce(RedOp, Expr),
    Mux(Expr, Expr, Expr),
    Concat(Vec<Expr>),
    Repeat(Expr, u32),
    Slice(Expr, u32, u32),
    Index(Expr, Expr),
    Zext(Expr),
    Sext(Expr),
    MemRead(MemRef, Expr),
    Invalid(Rc<ExprError>),
}

/// A problem found while building an expression; the builder adds module and signal names.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExprError {
    Width {
        what: String,
        expected: u32,
        actual: u32,
    },
    Other(String),
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::And => "&",
            BinOp::Or => "|",
            BinOp::Xor => "^",
        }
    }
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt | CmpOp::LtS => "<",
            CmpOp::Le | CmpOp::LeS => "<=",
            CmpOp::Gt | CmpOp::GtS => ">",
            CmpOp::Ge | CmpOp::GeS => ">=",
        }
    }

    pub(crate) fn signed(self) -> bool {
        matches!(self, CmpOp::LtS | CmpOp::LeS | CmpOp::GtS | CmpOp::GeS)
    }
}

impl ShiftOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ShiftOp::Shl => "<<",
            ShiftOp::Shr => ">>",
            ShiftOp::Sra => ">>>",
        }
    }
}

impl RedOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            RedOp::And => "&",
            RedOp::Or => "|",
            RedOp::Xor => "^",
        }
    }
}

pub(crate) fn node(width: u32, kind: Kind) -> Expr {
    Expr(Rc::new(Node { width, kind }))
}

fn invalid(err: ExprError) -> Expr {
    node(1, Kind::Invalid(Rc::new(err)))
}

fn width_err(what: String, expected: u32, actual: u32) -> Expr {
    invalid(ExprError::Width {
        what,
        expected,
        actual,
    })
}

fn other_err(msg: String) -> Expr {
    invalid(ExprError::Other(msg))
}

/// The first invalid operand, if any (its problem is reported, not a follow-on one).
fn first_invalid(ops: &[&Expr]) -> Option<Expr> {
    ops.iter()
        .find(|e| e.error().is_some())
        .map(|e| (*e).clone())
}

/// A sized constant. `value` must fit in `width` bits; values above 128 bits are not
/// representable (build wide constants with [`cat`], [`zeros`] or [`ones`]).
pub fn lit(width: u32, value: u128) -> Expr {
    if width == 0 {
        return other_err("constant of width 0: widths start at 1".into());
    }
    if value & !mask(width) != 0 {
        return other_err(format!("constant {value} does not fit in {width} bits"));
    }
    node(width, Kind::Const(value))
}

/// `width` zero bits.
pub fn zeros(width: u32) -> Expr {
    lit(width, 0)
}

/// `width` one bits.
pub fn ones(width: u32) -> Expr {
    if width <= 128 {
        lit(width, mask(width))
    } else {
        lit(1, 1).repeat(width)
    }
}

/// Concatenation, most significant part first: `cat([hi, lo])` is `{hi, lo}`.
pub fn cat<T: Into<Expr>>(parts: impl IntoIterator<Item = T>) -> Expr {
    let parts: Vec<Expr> = parts.into_iter().map(Into::into).collect();
    if let Some(e) = first_invalid(&parts.iter().collect::<Vec<_>>()) {
        return e;
    }
    match parts.len() {
        0 => other_err("empty concatenation".into()),
        1 => parts.into_iter().next().expect("one part"),
        _ => {
            let width = parts.iter().map(|p| p.width()).sum();
            fold(node(width, Kind::Concat(parts)))
        }
    }
}

/// `cond ? then : otherwise` (`cond` is 1 bit, the two values have equal widths).
pub fn mux(cond: impl Into<Expr>, then: impl Into<Expr>, otherwise: impl Into<Expr>) -> Expr {
    let (c, a, b) = (cond.into(), then.into(), otherwise.into());
    if let Some(e) = first_invalid(&[&c, &a, &b]) {
        return e;
    }
    let form = || format!("{} ? {} : {}", describe(&c), describe(&a), describe(&b));
    if c.width() != 1 {
        return width_err(format!("condition of `{}`", form()), 1, c.width());
    }
    if a.width() != b.width() {
        return width_err(format!("else value of `{}`", form()), a.width(), b.width());
    }
    match c.as_const() {
        Some(1) => a,
        Some(_) => b,
        None => node(a.width(), Kind::Mux(c, a, b)),
    }
}

pub(crate) fn binary(op: BinOp, a: Expr, b: Expr) -> Expr {
    if let Some(e) = first_invalid(&[&a, &b]) {
        return e;
    }
    if a.width() != b.width() {
        let form = format!("{} {} {}", describe(&a), op.symbol(), describe(&b));
        return width_err(format!("right operand of `{form}`"), a.width(), b.width());
    }
    fold(node(a.width(), Kind::Binary(op, a, b)))
}

fn compare(op: CmpOp, a: Expr, b: Expr) -> Expr {
    if let Some(e) = first_invalid(&[&a, &b]) {
        return e;
    }
    if a.width() != b.width() {
        let form = format!("{} {} {}", describe(&a), op.symbol(), describe(&b));
        return width_err(format!("right operand of `{form}`"), a.width(), b.width());
    }
    if let Some(v) = degenerate(op, &a, &b) {
        return lit(1, u128::from(v));
    }
    fold(node(1, Kind::Compare(op, a, b)))
}

fn shift(op: ShiftOp, a: Expr, amount: Expr) -> Expr {
    if let Some(e) = first_invalid(&[&a, &amount]) {
        return e;
    }
    fold(node(a.width(), Kind::Shift(op, a, amount)))
}

pub(crate) fn unary(op: UnOp, a: Expr) -> Expr {
    if a.error().is_some() {
        return a;
    }
    fold(node(a.width(), Kind::Unary(op, a)))
}

pub(crate) fn signal(r: SigRef, width: u32) -> Expr {
    node(width, Kind::Sig(r))
}

pub(crate) fn mem_read(r: MemRef, width: u32, depth: u64, addr: Expr) -> Expr {
    if addr.error().is_some() {
        return addr;
    }
    let abits = super::ty::clog2(depth);
    if addr.width() != abits {
        return width_err(
            format!(
                "address of `{}[{}]` ({depth} words)",
                r.name,
                describe(&addr)
            ),
            abits,
            addr.width(),
        );
    }
    node(width, Kind::MemRead(r, addr))
}

pub(crate) fn poisoned(msg: String) -> Expr {
    other_err(msg)
}

impl Expr {
    /// Width in bits (at least 1).
    pub fn width(&self) -> u32 {
        self.0.width
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.0.kind
    }

    pub(crate) fn error(&self) -> Option<&ExprError> {
        match &self.0.kind {
            Kind::Invalid(e) => Some(e),
            _ => None,
        }
    }

    /// The constant value, if this is a constant.
    pub fn as_const(&self) -> Option<u128> {
        match self.0.kind {
            Kind::Const(v) => Some(v),
            _ => None,
        }
    }

    /// Bits `hi` down to `lo` (both inclusive), `hi - lo + 1` bits wide.
    pub fn slice(&self, hi: u32, lo: u32) -> Expr {
        if self.error().is_some() {
            return self.clone();
        }
        let w = self.width();
        if lo > hi || hi >= w {
            return other_err(format!(
                "slice [{hi}:{lo}] of `{}` is out of range: it has {w} bits",
                describe(self)
            ));
        }
        if lo == 0 && hi == w - 1 {
            return self.clone();
        }
        match self.kind() {
            Kind::Const(v) => lit(
                hi - lo + 1,
                v.checked_shr(lo).unwrap_or(0) & mask(hi - lo + 1),
            ),
            Kind::Slice(inner, _, ilo) => inner.slice(hi + ilo, lo + ilo),
            _ => node(hi - lo + 1, Kind::Slice(self.clone(), hi, lo)),
        }
    }

    /// Bit `i` (1 bit).
    pub fn bit(&self, i: u32) -> Expr {
        self.slice(i, i)
    }

    /// The most significant bit.
    pub fn msb(&self) -> Expr {
        self.bit(self.width().saturating_sub(1))
    }

    /// The low `width` bits; `width` must not exceed the current width (use [`Expr::zext`] or
    /// [`Expr::sext`] to widen).
    pub fn trunc(&self, width: u32) -> Expr {
        if self.error().is_some() {
            return self.clone();
        }
        if width == 0 || width > self.width() {
            return other_err(format!(
                "trunc of `{}` to {width} bits is not a truncation: it has {} bits (use zext or sext to widen)",
                describe(self),
                self.width()
            ));
        }
        self.slice(width - 1, 0)
    }

    /// Zero-extends to `width` bits (equal width returns the value unchanged; narrower is an
    /// error: use [`Expr::trunc`]).
    pub fn zext(&self, width: u32) -> Expr {
        self.extend(width, false)
    }

    /// Sign-extends to `width` bits (the top bit is replicated).
    pub fn sext(&self, width: u32) -> Expr {
        self.extend(width, true)
    }

    fn extend(&self, width: u32, signed: bool) -> Expr {
        if self.error().is_some() {
            return self.clone();
        }
        let w = self.width();
        let name = if signed { "sext" } else { "zext" };
        if width < w {
            return other_err(format!(
                "{name} of `{}` to {width} bits would truncate it: it has {w} bits (use trunc or slice)",
                describe(self)
            ));
        }
        if width == w {
            return self.clone();
        }
        fold(node(
            width,
            if signed {
                Kind::Sext(self.clone())
            } else {
                Kind::Zext(self.clone())
            },
        ))
    }

    /// `n` copies side by side (`{n{a}}`).
    pub fn repeat(&self, n: u32) -> Expr {
        if self.error().is_some() {
            return self.clone();
        }
        match n {
            0 => other_err(format!("repeat of `{}` 0 times", describe(self))),
            1 => self.clone(),
            _ => fold(node(self.width() * n, Kind::Repeat(self.clone(), n))),
        }
    }

    /// The bit selected by a run-time index. The width must be a power of two (≥ 2) and the
    /// index exactly log2(width) bits, so every index is in range (no `x` in simulation).
    pub fn index(&self, i: impl Into<Expr>) -> Expr {
        let i = i.into();
        if let Some(e) = first_invalid(&[self, &i]) {
            return e;
        }
        let w = self.width();
        if w < 2 || !w.is_power_of_two() {
            return other_err(format!(
                "run-time index into `{}` needs a power-of-two width of at least 2 (it has {w} bits); zext it first so that every index is in range",
                describe(self)
            ));
        }
        let bits = w.trailing_zeros();
        if i.width() != bits {
            return width_err(
                format!("index of `{}[{}]` ({w} bits)", describe(self), describe(&i)),
                bits,
                i.width(),
            );
        }
        match i.as_const() {
            Some(k) => self.bit(k as u32),
            None => node(1, Kind::Index(self.clone(), i)),
        }
    }

    /// `self == b` (1 bit).
    pub fn eq(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::Eq, self.clone(), b.into())
    }
    /// `self != b` (1 bit).
    pub fn ne(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::Ne, self.clone(), b.into())
    }
    /// Unsigned `self < b` (1 bit).
    pub fn lt(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::Lt, self.clone(), b.into())
    }
    /// Unsigned `self <= b` (1 bit).
    pub fn le(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::Le, self.clone(), b.into())
    }
    /// Unsigned `self > b` (1 bit).
    pub fn gt(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::Gt, self.clone(), b.into())
    }
    /// Unsigned `self >= b` (1 bit).
    pub fn ge(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::Ge, self.clone(), b.into())
    }
    /// Two's-complement `self < b` (1 bit).
    pub fn lt_s(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::LtS, self.clone(), b.into())
    }
    /// Two's-complement `self <= b` (1 bit).
    pub fn le_s(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::LeS, self.clone(), b.into())
    }
    /// Two's-complement `self > b` (1 bit).
    pub fn gt_s(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::GtS, self.clone(), b.into())
    }
    /// Two's-complement `self >= b` (1 bit).
    pub fn ge_s(&self, b: impl Into<Expr>) -> Expr {
        compare(CmpOp::GeS, self.clone(), b.into())
    }

    /// Logical shift left by a run-time amount of any width (bits shifted past the top are lost;
    /// an amount ≥ width gives 0).
    pub fn shl(&self, amount: impl Into<Expr>) -> Expr {
        shift(ShiftOp::Shl, self.clone(), amount.into())
    }
    /// Logical shift right (zeros enter at the top).
    pub fn shr(&self, amount: impl Into<Expr>) -> Expr {
        shift(ShiftOp::Shr, self.clone(), amount.into())
    }
    /// Arithmetic shift right (copies of the top bit enter at the top).
    pub fn sra(&self, amount: impl Into<Expr>) -> Expr {
        shift(ShiftOp::Sra, self.clone(), amount.into())
    }

    /// AND of all bits (1 bit).
    pub fn all(&self) -> Expr {
        self.reduce(RedOp::And)
    }
    /// OR of all bits (1 bit).
    pub fn any(&self) -> Expr {
        self.reduce(RedOp::Or)
    }
    /// XOR of all bits (1 bit).
    pub fn parity(&self) -> Expr {
        self.reduce(RedOp::Xor)
    }

    fn reduce(&self, op: RedOp) -> Expr {
        if self.error().is_some() {
            return self.clone();
        }
        // A zero-extension or a concatenation with a constant part can decide the result
        // (`&{4'd0, a}` is 0); Verilator flags comparisons with such constants, so fold them.
        let consts: Vec<(u128, u32)> = match self.kind() {
            Kind::Zext(a) => vec![(0, self.width() - a.width())],
            Kind::Concat(parts) => parts
                .iter()
                .filter_map(|p| p.as_const().map(|v| (v, p.width())))
                .collect(),
            _ => Vec::new(),
        };
        match op {
            RedOp::And if consts.iter().any(|&(v, w)| v != mask(w)) => return lit(1, 0),
            RedOp::Or if consts.iter().any(|&(v, _)| v != 0) => return lit(1, 1),
            _ => {}
        }
        fold(node(1, Kind::Reduce(op, self.clone())))
    }

    /// `self ? then : otherwise`; `self` must be 1 bit.
    pub fn mux(&self, then: impl Into<Expr>, otherwise: impl Into<Expr>) -> Expr {
        mux(self.clone(), then, otherwise)
    }

    /// Sum with the carry: both operands zero-extended by one bit, `w + 1` bits wide.
    pub fn add_carry(&self, b: impl Into<Expr>) -> Expr {
        let b = b.into();
        if let Some(e) = first_invalid(&[self, &b]) {
            return e;
        }
        if self.width() != b.width() {
            let form = format!("{}.add_carry({})", describe(self), describe(&b));
            return width_err(
                format!("right operand of `{form}`"),
                self.width(),
                b.width(),
            );
        }
        let w = self.width() + 1;
        self.zext(w) + b.zext(w)
    }

    /// Full unsigned product: both operands zero-extended to `wa + wb` bits.
    pub fn mul_full(&self, b: impl Into<Expr>) -> Expr {
        let b = b.into();
        if let Some(e) = first_invalid(&[self, &b]) {
            return e;
        }
        let w = self.width() + b.width();
        self.zext(w) * b.zext(w)
    }

    /// Adds a constant of the same width (`self + lit(w, k)`).
    pub fn add_const(&self, k: u128) -> Expr {
        self.clone() + lit(self.width(), k)
    }

    /// Subtracts a constant of the same width (`self - lit(w, k)`).
    pub fn sub_const(&self, k: u128) -> Expr {
        self.clone() - lit(self.width(), k)
    }

    /// `self == lit(w, k)` (1 bit).
    pub fn eq_const(&self, k: u128) -> Expr {
        self.eq(lit(self.width(), k))
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({} bits)", describe(self), self.width())
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

/// Expands the operator impls for a left-hand type that converts into [`Expr`].
macro_rules! expr_ops {
    ($lhs:ty) => {
        impl<R: Into<$crate::rtl::Expr>> std::ops::Add<R> for $lhs {
            type Output = $crate::rtl::Expr;
            fn add(self, r: R) -> $crate::rtl::Expr {
                $crate::rtl::expr::binary($crate::rtl::expr::BinOp::Add, self.into(), r.into())
            }
        }
        impl<R: Into<$crate::rtl::Expr>> std::ops::Sub<R> for $lhs {
            type Output = $crate::rtl::Expr;
            fn sub(self, r: R) -> $crate::rtl::Expr {
                $crate::rtl::expr::binary($crate::rtl::expr::BinOp::Sub, self.into(), r.into())
            }
        }
        impl<R: Into<$crate::rtl::Expr>> std::ops::Mul<R> for $lhs {
            type Output = $crate::rtl::Expr;
            fn mul(self, r: R) -> $crate::rtl::Expr {
                $crate::rtl::expr::binary($crate::rtl::expr::BinOp::Mul, self.into(), r.into())
            }
        }
        impl<R: Into<$crate::rtl::Expr>> std::ops::BitAnd<R> for $lhs {
            type Output = $crate::rtl::Expr;
            fn bitand(self, r: R) -> $crate::rtl::Expr {
                $crate::rtl::expr::binary($crate::rtl::expr::BinOp::And, self.into(), r.into())
            }
        }
        impl<R: Into<$crate::rtl::Expr>> std::ops::BitOr<R> for $lhs {
            type Output = $crate::rtl::Expr;
            fn bitor(self, r: R) -> $crate::rtl::Expr {
                $crate::rtl::expr::binary($crate::rtl::expr::BinOp::Or, self.into(), r.into())
            }
        }
        impl<R: Into<$crate::rtl::Expr>> std::ops::BitXor<R> for $lhs {
            type Output = $crate::rtl::Expr;
            fn bitxor(self, r: R) -> $crate::rtl::Expr {
                $crate::rtl::expr::binary($crate::rtl::expr::BinOp::Xor, self.into(), r.into())
            }
        }
        impl std::ops::Not for $lhs {
            type Output = $crate::rtl::Expr;
            fn not(self) -> $crate::rtl::Expr {
                $crate::rtl::expr::unary($crate::rtl::expr::UnOp::Not, self.into())
            }
        }
        impl std::ops::Neg for $lhs {
            type Output = $crate::rtl::Expr;
            fn neg(self) -> $crate::rtl::Expr {
                $crate::rtl::expr::unary($crate::rtl::expr::UnOp::Neg, self.into())
            }
        }
    };
}
pub(crate) use expr_ops;

expr_ops!(Expr);
expr_ops!(&Expr);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::describe::literal;

    fn err(e: &Expr) -> ExprError {
        e.error().cloned().expect("expected an invalid expression")
    }

    #[test]
    fn constants_are_sized_and_checked() {
        assert_eq!(literal(8, 5), "8'd5");
        assert_eq!(literal(1, 1), "1'b1");
        assert_eq!(literal(32, 0xdead_beef), "32'hdeadbeef");
        assert_eq!(lit(8, 255).width(), 8);
        assert_eq!(
            err(&lit(8, 256)),
            ExprError::Other("constant 256 does not fit in 8 bits".into())
        );
        assert_eq!(
            err(&lit(0, 0)),
            ExprError::Other("constant of width 0: widths start at 1".into())
        );
        assert_eq!(ones(200).width(), 200);
        // Wide constants are not folded through 128-bit arithmetic.
        assert_eq!(lit(200, 5).lt(lit(200, 7)).as_const(), None);
        assert_eq!(lit(200, 5).slice(199, 130).as_const(), Some(0));
        assert_eq!(ones(4).as_const(), Some(15));
    }

    #[test]
    fn widths_follow_the_rules() {
        let a = lit(8, 1);
        let b = lit(8, 2);
        assert_eq!((&a + &b).width(), 8);
        assert_eq!(a.add_carry(&b).width(), 9);
        assert_eq!(a.mul_full(lit(4, 3)).width(), 12);
        assert_eq!(a.eq(&b).width(), 1);
        assert_eq!(a.lt_s(&b).width(), 1);
        assert_eq!(a.shl(lit(3, 1)).width(), 8);
        assert_eq!(cat([&a, &b]).width(), 16);
        assert_eq!(a.repeat(3).width(), 24);
        assert_eq!(a.zext(12).width(), 12);
        assert_eq!(a.sext(12).width(), 12);
        assert_eq!(a.any().width(), 1);
        assert_eq!(lit(1, 1).mux(&a, &b).width(), 8);
        assert_eq!((!a.zext(16)).width(), 16);
        // Constant folding keeps widths.
        assert_eq!(lit(8, 0xa5).slice(7, 4).as_const(), Some(0xa));
        assert_eq!(lit(8, 0xa5).zext(16).as_const(), Some(0xa5));
    }

    #[test]
    fn mismatches_are_described() {
        let a = lit(8, 1);
        let b = lit(9, 2);
        assert_eq!(
            err(&(&a + &b)),
            ExprError::Width {
                what: "right operand of `8'd1 + 9'd2`".into(),
                expected: 8,
                actual: 9
            }
        );
        assert_eq!(
            err(&a.lt(&b)),
            ExprError::Width {
                what: "right operand of `8'd1 < 9'd2`".into(),
                expected: 8,
                actual: 9
            }
        );
        assert_eq!(
            err(&a.mux(&a, &a)),
            ExprError::Width {
                what: "condition of `8'd1 ? 8'd1 : 8'd1`".into(),
                expected: 1,
                actual: 8
            }
        );
        assert_eq!(
            err(&lit(1, 0).mux(&a, &b)),
            ExprError::Width {
                what: "else value of `1'b0 ? 8'd1 : 9'd2`".into(),
                expected: 8,
                actual: 9
            }
        );
        assert_eq!(
            err(&a.slice(8, 0)),
            ExprError::Other("slice [8:0] of `8'd1` is out of range: it has 8 bits".into())
        );
        assert_eq!(
            err(&b.zext(4)),
            ExprError::Other(
                "zext of `9'd2` to 4 bits would truncate it: it has 9 bits (use trunc or slice)"
                    .into()
            )
        );
        assert_eq!(
            err(&a.trunc(9)),
            ExprError::Other(
                "trunc of `8'd1` to 9 bits is not a truncation: it has 8 bits (use zext or sext to widen)"
                    .into()
            )
        );
        assert_eq!(
            err(&a.index(lit(4, 0))),
            ExprError::Width {
                what: "index of `8'd1[4'd0]` (8 bits)".into(),
                expected: 3,
                actual: 4
            }
        );
        assert!(
            matches!(err(&b.index(lit(4, 0))), ExprError::Other(m) if m.contains("power-of-two"))
        );
        // The first problem is kept through later operators.
        let bad = (&a + &b) & lit(3, 0);
        assert!(matches!(err(&bad), ExprError::Width { actual: 9, .. }));
    }
}
