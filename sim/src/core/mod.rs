//! The core: harts (architectural state), instruction semantics and the hart's memory interface.
//!
//! ```text
//!            ┌──────────── core ────────────┐
//!  engine ──►│ thread select ─► Hart::step  │──► Bus (fetch/load/store/amo/lr/sc)
//!            │   (per cycle)    exec.rs     │        └─ platform: DRAM + devices
//!            └──────────────────────────────┘
//! ```
//!
//! The ISA layer ([`exec`], [`csr`], [`hart`]) knows nothing about time; the engine decides
//! which hart runs in which cycle.

pub mod bus;
pub mod csr;
pub mod exec;
pub mod hart;
pub mod pipeline;

pub use bus::{AccessFault, AmoOp, Bus};
pub use hart::{Ctx, Hart, RunState, Step};
