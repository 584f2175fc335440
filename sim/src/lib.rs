//! Strand simulator: a deterministic model of the many-core RISC-V chip described by
//! [`strand_hw::ChipConfig`], cycle by cycle.
//!
//! | module | block |
//! |---|---|
//! | [`cache`] | tag arrays and the hierarchy's latencies (L1I, L1D, tile L2) |
//! | [`core`] | harts: architectural state, instruction semantics, CSRs, traps |
//! | [`report`] | plots (SVG) of results |
//! | [`platform`] | physical address decode over DRAM and devices, LR/SC reservations |
//! | [`mem`] | DRAM backing store |
//! | [`noc`] | 2D mesh network-on-chip (XY, wormhole, credits, 3 classes) and synthetic traffic |
//! | [`hbm`] | HBM memory controllers: address hash, per-channel queues, fixed or banked timing |
//! | [`devices`] | UART, CLINT, test finisher, HTIF |
//! | [`loader`] | ELF loading and the device tree |
//! | [`top`] | the chip: every hart on one platform |
//! | [`engine`] | the cycle loop and how a run ends |
//! | [`stats`] | the statistics tree |
//! | [`trace`] | commit records and the Spike-format commit log |
//! | [`workload`] | `strand workload check`: workload results in a share against golden models |

pub mod cache;
pub mod core;
pub mod devices;
pub mod engine;
pub mod hbm;
pub mod loader;
pub mod mem;
pub mod noc;
pub mod platform;
pub mod report;
pub mod stats;
pub mod top;
pub mod trace;
pub mod workload;

pub use engine::{Exit, RunOptions, SimError};
pub use top::{LoadError, Machine};
