//! Strand workloads: seeded input generators, golden models and checkers.
//!
//! This crate is shared by the firmware (bare-metal RV64IMA, `no_std` + `alloc`) and the host
//! (simulator harness, golden checks). Everything is deterministic: every generator takes a
//! `u64` seed and uses the pinned PRNGs in [`rng`]; everything the firmware must reproduce is
//! integer-only, so results are bit-exact on every platform. Floating point appears only in
//! [`graph500::teps`], which needs the `std` feature (host side).
//!
//! * [`graph500`]: Kronecker graph generator, CSR, root sampling, BFS golden model, the five
//!   Graph500 validation rules, TEPS statistics.
//! * [`kg`]: LUBM-like knowledge graph, both-direction predicate indexes, golden query engines
//!   (2-hop path, star, triangle; full and point-query forms) with count + order-independent hash.
//! * [`compositor`]: thin-client compositor: scripted scenes, damage, 64x64 tiles, occlusion
//!   culling, exact integer Porter-Duff OVER, per-tile encodings, <= 1400-byte packets, decoder.
//! * [`wire`]: little-endian file layouts for moving inputs and results through virtio-fs.
//! * [`run`]: bootargs, canonical parameters and share file names that the workload firmware and
//!   the host checker (`strand workload check`) share.
//!
//! See `docs/workloads.md` for formats, rounding rules and byte layouts.
#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod compositor;
pub mod graph500;
pub mod hash;
pub mod kg;
pub mod rng;
pub mod run;
pub mod wire;
