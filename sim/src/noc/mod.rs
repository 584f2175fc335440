//! Network-on-chip: a cycle-level model of the 2D mesh, standalone, deterministic and fast.
//!
//! One router per tile, tile id `y * x_dim + x` (row 0 at the top: N is `y - 1`, S is `y + 1`,
//! E is `x + 1`, W is `x - 1`). Three message classes travel on three physically separate,
//! identical networks (request, forward/invalidate, response — as OpenPiton), so a protocol
//! cannot deadlock on the network. Each network is a wormhole mesh with dimension-order XY
//! routing and credit-based flow control; a network interface (NI) per tile and class feeds the
//! router's local port from a bounded injection queue and takes flits off its local output.
//!
//! ```text
//!                         N
//!                         ^|
//!                         |v
//!              W  <-->  router  <-->  E      5 input ports, one FIFO of buffer_flits
//!                         ^|  \              flits per port and class; 5 output ports
//!                         |v   \             held by one packet from head to tail
//!                         S    L
//!                              ^|
//!          inject() -> [NI queue]  -> drain_delivered()
//!
//!   one hop:  buffer write | router_latency cycles (RC, SA, ST folded) | link 1 cycle | next
//! ```
//!
//! | file | concern |
//! |---|---|
//! | [`packet`] | message classes, ports, [`Delivered`] records, flit counts |
//! | `router` | one input-buffer slot (flit), XY route computation, round-robin arbitration |
//! | [`mesh`] | the [`Mesh`]: struct-of-arrays state of every router and NI, `tick()` |
//! | [`stats`] | [`NocStats`]: per-port, per-link and per-class latency statistics |
//! | [`traffic`] | synthetic traffic ([`Pattern`]), [`run_synthetic`], [`sweep`] |
//! | [`analytic`] | zero-load latency and saturation throughput of exactly this model |
//! | [`report`] | measured-vs-analytical validation table and a speed measurement |
//!
//! The exact timing (see `docs/noc.md` for the derivation): a packet of `F` flits injected at
//! cycle `t` between tiles `H` hops apart, with router latency `R` and `B` buffer flits per port,
//! is delivered (tail flit in the destination NI) at zero load at
//!
//! ```text
//!   t + (H + 1) * (R + 1) + 1 + (F - 1) + floor((F - 1) / B) * max(0, R + 2 - B)
//! ```

pub mod analytic;
pub mod links;
pub mod mesh;
pub mod packet;
pub mod report;
mod router;
pub mod stats;
pub mod traffic;

#[cfg(test)]
mod tests;

pub use mesh::Mesh;
pub use packet::{Class, Delivered, Port};
pub use stats::NocStats;
pub use traffic::{run_synthetic, sweep, Pattern, SyntheticParams, SyntheticReport};

use serde::Serialize;
use strand_hw::ChipConfig;
use thiserror::Error;

/// Default capacity of each NI injection queue, in packets (per tile and class).
pub const DEFAULT_INJECTION_QUEUE: u32 = 16;

/// Cycles a flit spends on a link between two routers (and between an NI and its router); a
/// credit also takes this long to return. Fixed: the timing formulas assume it.
pub const LINK_LATENCY: u32 = 1;

/// Everything that can be wrong with the parameters of a NoC model or a synthetic run.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum NocError {
    /// A parameter is out of range.
    #[error("invalid NoC parameter {field} = {value}: {why}")]
    Invalid {
        /// Name of the offending parameter.
        field: &'static str,
        /// Its value as given.
        value: String,
        /// What is wrong and which values are allowed.
        why: String,
    },
}

/// The injection queue of a tile's NI is full: tick the network and try again.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("NoC injection queue of tile {tile}, class {class:?} is full ({capacity} packets); tick the network and retry")]
pub struct Backpressure {
    /// Source tile.
    pub tile: u32,
    /// Message class whose queue is full.
    pub class: Class,
    /// Queue capacity in packets.
    pub capacity: u32,
}

/// The parameters the NoC model uses, taken from [`ChipConfig`] (`mesh.x`, `mesh.y`,
/// `noc.router_latency`, `noc.flit_bits`, `noc.buffer_flits`) plus the NI queue capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NocParams {
    /// Tiles in X (columns).
    pub x: u32,
    /// Tiles in Y (rows).
    pub y: u32,
    /// Router pipeline latency in cycles per hop (the link adds [`LINK_LATENCY`]).
    pub router_latency: u32,
    /// Flit width in bits.
    pub flit_bits: u32,
    /// Input buffer depth in flits, per input port and class; credits start at this value.
    pub buffer_flits: u32,
    /// NI injection queue capacity in packets, per tile and class.
    pub injection_queue: u32,
}

impl NocParams {
    /// The NoC parameters of a chip configuration, with [`DEFAULT_INJECTION_QUEUE`].
    pub fn from_config(cfg: &ChipConfig) -> NocParams {
        NocParams {
            x: cfg.mesh.x,
            y: cfg.mesh.y,
            router_latency: cfg.noc.router_latency,
            flit_bits: cfg.noc.flit_bits,
            buffer_flits: cfg.noc.buffer_flits,
            injection_queue: DEFAULT_INJECTION_QUEUE,
        }
    }

    /// A `x` by `y` mesh with the given router latency and buffer depth, 64-bit flits.
    pub fn mesh(x: u32, y: u32, router_latency: u32, buffer_flits: u32) -> NocParams {
        NocParams {
            x,
            y,
            router_latency,
            flit_bits: 64,
            buffer_flits,
            injection_queue: DEFAULT_INJECTION_QUEUE,
        }
    }

    /// Check every parameter against what the model supports.
    pub fn validate(&self) -> Result<(), NocError> {
        fn bad(field: &'static str, value: u32, why: &str) -> Result<(), NocError> {
            Err(NocError::Invalid {
                field,
                value: value.to_string(),
                why: why.into(),
            })
        }
        if !(1..=255).contains(&self.x) {
            return bad("mesh.x", self.x, "mesh columns must be 1..=255");
        }
        if !(1..=255).contains(&self.y) {
            return bad("mesh.y", self.y, "mesh rows must be 1..=255");
        }
        if !(1..=64).contains(&self.router_latency) {
            return bad("noc.router_latency", self.router_latency, "must be 1..=64");
        }
        if self.flit_bits == 0 {
            return bad("noc.flit_bits", 0, "must be at least 1");
        }
        if !(1..=255).contains(&self.buffer_flits) {
            return bad(
                "noc.buffer_flits",
                self.buffer_flits,
                "must be 1..=255 (credits are 8-bit)",
            );
        }
        if self.injection_queue == 0 {
            return bad("injection_queue", 0, "must be at least 1 packet");
        }
        Ok(())
    }

    /// Number of tiles (routers) in the mesh.
    pub fn tiles(&self) -> u32 {
        self.x * self.y
    }

    /// `(x, y)` of a tile.
    pub fn coords(&self, tile: u32) -> (u32, u32) {
        (tile % self.x, tile / self.x)
    }

    /// Flits of a packet of `bits` bits (header included): `ceil(bits / flit_bits)`, at least 1.
    pub fn flits(&self, bits: u32) -> u32 {
        bits.div_ceil(self.flit_bits).max(1)
    }

    /// Credit round-trip time in cycles: a buffer slot freed when its flit leaves at cycle `c` is
    /// refilled at the earliest by a flit that leaves the upstream router at `c + R + 2`
    /// (credit link 1, upstream output 0, data link 1, downstream pipeline R).
    pub fn credit_round_trip(&self) -> u32 {
        self.router_latency + 2 * LINK_LATENCY
    }
}

impl From<&ChipConfig> for NocParams {
    fn from(cfg: &ChipConfig) -> NocParams {
        NocParams::from_config(cfg)
    }
}
