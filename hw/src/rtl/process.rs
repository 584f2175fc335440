//! Clocked (`seq`) and combinational (`comb`) blocks: statements built with closures.
//!
//! ```text
//!   m.seq(|p| {                                  always @(posedge clk) begin
//!       p.when(&push, |p| {                          if (rst) begin ... reset values ... end
//!           p.set(&wr_ptr, wr_ptr.add_const(1));     else begin
//!       });                                              if (push) begin
//!   });                                                      wr_ptr <= wr_ptr + 3'd1;
//!                                                       ...
//! ```
//!
//! A seq block assigns registers with `<=`; its reset branch is generated from the registers'
//! reset values. A comb block assigns wires with `=`; each target must get an unconditional
//! default before any conditional assignment (no latches), and a comb block may not read what it
//! drives (so its meaning does not depend on statement order).

use super::expr::Expr;
use super::module::Sig;

/// Which kind of block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcKind {
    /// `always @(posedge clk)` with a synchronous reset branch.
    Seq,
    /// `always @*`.
    Comb,
}

/// One `always` block.
#[derive(Debug)]
pub(crate) struct Process {
    pub(crate) kind: ProcKind,
    pub(crate) body: Vec<Stmt>,
}

/// A statement of a block.
#[derive(Debug)]
pub(crate) enum Stmt {
    /// `target <= value` (seq) or `target = value` (comb).
    Set(Sig, Expr),
    /// `if (cond) then else otherwise`.
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `case (selector)` with one value per arm and a default.
    Case(Expr, Vec<(u128, Vec<Stmt>)>, Vec<Stmt>),
}

/// Collects the statements of a block (see [`crate::rtl::ModuleBuilder::seq`] and
/// [`crate::rtl::ModuleBuilder::comb`]).
#[derive(Debug, Default)]
pub struct ProcBuilder {
    pub(crate) body: Vec<Stmt>,
}

impl ProcBuilder {
    /// Assigns `value` to `target` (a register in a seq block, a wire or output in a comb block).
    pub fn set(&mut self, target: &Sig, value: impl Into<Expr>) {
        self.body.push(Stmt::Set(target.clone(), value.into()));
    }

    /// Runs `then` only when `cond` (1 bit) is set.
    pub fn when(&mut self, cond: impl Into<Expr>, then: impl FnOnce(&mut ProcBuilder)) {
        let mut t = ProcBuilder::default();
        then(&mut t);
        self.body.push(Stmt::If(cond.into(), t.body, Vec::new()));
    }

    /// `if (cond) then else otherwise`.
    pub fn when_else(
        &mut self,
        cond: impl Into<Expr>,
        then: impl FnOnce(&mut ProcBuilder),
        otherwise: impl FnOnce(&mut ProcBuilder),
    ) {
        let mut t = ProcBuilder::default();
        then(&mut t);
        let mut e = ProcBuilder::default();
        otherwise(&mut e);
        self.body.push(Stmt::If(cond.into(), t.body, e.body));
    }

    /// A `case` on `selector`; arms are added with [`CaseBuilder::arm`].
    pub fn switch(&mut self, selector: impl Into<Expr>, arms: impl FnOnce(&mut CaseBuilder)) {
        let mut c = CaseBuilder::default();
        arms(&mut c);
        self.body
            .push(Stmt::Case(selector.into(), c.arms, c.otherwise));
    }
}

/// Collects the arms of a `case`.
#[derive(Debug, Default)]
pub struct CaseBuilder {
    arms: Vec<(u128, Vec<Stmt>)>,
    otherwise: Vec<Stmt>,
}

impl CaseBuilder {
    /// The arm taken when the selector equals `value` (sized to the selector's width).
    pub fn arm(&mut self, value: u128, body: impl FnOnce(&mut ProcBuilder)) {
        let mut b = ProcBuilder::default();
        body(&mut b);
        self.arms.push((value, b.body));
    }

    /// The arm taken for every other value (always emitted, empty if never given).
    pub fn otherwise(&mut self, body: impl FnOnce(&mut ProcBuilder)) {
        let mut b = ProcBuilder::default();
        body(&mut b);
        self.otherwise = b.body;
    }
}

/// Every statement's targets, in order of first appearance (signal ids).
pub(crate) fn targets(stmts: &[Stmt], out: &mut Vec<Sig>) {
    for s in stmts {
        match s {
            Stmt::Set(t, _) => {
                if !out.iter().any(|o| o.same(t)) {
                    out.push(t.clone());
                }
            }
            Stmt::If(_, a, b) => {
                targets(a, out);
                targets(b, out);
            }
            Stmt::Case(_, arms, d) => {
                for (_, a) in arms {
                    targets(a, out);
                }
                targets(d, out);
            }
        }
    }
}
