//! Small reusable blocks, each a generator (`fn(&mut Design, &Params) -> ModRef`) with a
//! cycle-level Rust model ([`crate::rtl::tb::Model`]) that the tests run against the generated
//! Verilog.
//!
//! | block | module name | ports |
//! |---|---|---|
//! | [`counter`] | `counter_w<W>` | `en`, `clr` → `count`, `wrap` |
//! | [`arbiter`] | `arbiter_rr_n<N>` | `req`, `ack` → `grant`, `grant_valid`, `grant_idx` |
//! | [`fifo`] | `fifo_w<W>_d<D>_<dist\|bram\|uram>` | stream `in` → stream `out`, `credits` |

pub mod arbiter;
pub mod counter;
pub mod fifo;

use crate::rtl::{Design, ModRef, RamStyle, RtlError};

/// The command that regenerates the golden files in `hw/tests/golden/`.
pub const GOLDEN_REGENERATE: &str = "STRAND_BLESS=1 cargo test -p strand-hw --test rtl_golden";

/// The block configurations kept as golden files (`hw/tests/golden/<module>.v`) and linted,
/// synthesised and simulated by the `rtl_*` tests: one single-module design each, with its top.
pub fn reference_set() -> Result<Vec<(ModRef, Design)>, RtlError> {
    let mut out = Vec::new();
    let mut one = |f: &dyn Fn(&mut Design) -> Result<ModRef, RtlError>| -> Result<(), RtlError> {
        let mut d = Design::new(GOLDEN_REGENERATE);
        let top = f(&mut d)?;
        out.push((top, d));
        Ok(())
    };
    one(&|d| counter::counter(d, &counter::CounterParams { width: 8 }))?;
    one(&|d| arbiter::arbiter(d, &arbiter::ArbiterParams { n: 4 }))?;
    one(&|d| arbiter::arbiter(d, &arbiter::ArbiterParams { n: 5 }))?;
    for (width, depth, ram) in [
        (8, 16, RamStyle::Distributed),
        (32, 512, RamStyle::Block),
        (64, 4096, RamStyle::Ultra),
    ] {
        one(&|d| fifo::fifo(d, &fifo::FifoParams { width, depth, ram }))?;
    }
    Ok(out)
}
