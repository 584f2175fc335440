//! An up-counter with enable, synchronous clear and a wrap flag.
//!
//! ```text
//!          ┌──────────────┐
//!   en  ──►│ count_q + 1  │──► count [W]
//!   clr ──►│ (clr wins)   │──► wrap       (en, not clr, and count is all ones)
//!          └──────────────┘
//! ```
//!
//! The increment is `count_q.add_carry(1)`: a `W+1`-bit sum whose top bit is the carry, so the
//! wrap flag is explicit instead of relying on Verilog widening `count + 1`.

use crate::rtl::tb::Model as TbModel;
use crate::rtl::{lit, zeros, Design, ModRef, Params, RtlError};

/// Counter parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterParams {
    /// Width of the count in bits (1..=64).
    pub width: u32,
}

/// Builds (or reuses) `counter_w<W>`.
pub fn counter(d: &mut Design, p: &CounterParams) -> Result<ModRef, RtlError> {
    let w = p.width;
    if !(1..=64).contains(&w) {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("width = {w}; allowed 1..=64"),
        });
    }
    let params = Params::new().with("width", w);
    d.build(&format!("counter_w{w}"), module_path!(), params, |m| {
        m.doc("Up-counter: counts the cycles with `en` set; `clr` restarts it at 0 and wins over `en`.");
        m.doc("`wrap` is set in a counting cycle whose increment overflows back to 0.");
        let en = m.input("en", 1);
        let clr = m.input("clr", 1);
        let count = m.reg("count_q", w, 0);
        let sum = m.wire_from("sum", count.add_carry(lit(w, 1)));
        m.seq(|p| {
            p.when_else(
                &clr,
                |p| p.set(&count, zeros(w)),
                |p| p.when(&en, |p| p.set(&count, sum.trunc(w))),
            );
        });
        m.output_from("count", &count);
        m.output_from("wrap", &en & !&clr & sum.msb());
        Ok(())
    })
}

/// The reference model: rows are `[rst, en, clr]`, outputs `[count, wrap]`.
#[derive(Clone, Debug)]
pub struct Model {
    width: u32,
    count: Option<u128>,
}

impl Model {
    /// A counter of `p.width` bits, not yet reset.
    pub fn new(p: &CounterParams) -> Model {
        Model {
            width: p.width,
            count: None,
        }
    }
}

impl TbModel for Model {
    fn outputs(&self, row: &[u128]) -> Vec<Option<u128>> {
        let (en, clr) = (row[1] != 0, row[2] != 0);
        let max = (1u128 << self.width) - 1;
        vec![
            self.count,
            self.count.map(|c| u128::from(en && !clr && c == max)),
        ]
    }

    fn step(&mut self, row: &[u128]) {
        let (rst, en, clr) = (row[0] != 0, row[1] != 0, row[2] != 0);
        let max = (1u128 << self.width) - 1;
        self.count = if rst || clr {
            Some(0)
        } else if en {
            self.count.map(|c| if c == max { 0 } else { c + 1 })
        } else {
            self.count
        };
    }
}
