//! Graph500-style graph walk: Kronecker generator, CSR, roots, BFS golden model, validation.
//!
//! * [`generate_edges`]: the Graph500 Kronecker edge list (`edge_factor * 2^scale` edges, initiator
//!   A,B,C,D = 0.57,0.19,0.19,0.05 as integer numerators over 10,000, vertex labels permuted, edge
//!   order shuffled; self-loops and duplicates kept, as Graph500 does).
//! * [`Csr`]: undirected compressed sparse rows (both directions, self-loops dropped, duplicate
//!   edges removed, neighbours sorted ascending).
//! * [`sample_roots`]: seeded distinct search keys with degree > 0.
//! * [`bfs`]: the golden BFS (parent array, `parent[root] == root`, [`NO_PARENT`] elsewhere).
//! * [`validate_bfs`]: the five Graph500 validation rules, returning a typed [`ValidationError`].
//! * `teps` (feature `std`): TEPS and harmonic-mean statistics (host only).

mod bfs;
mod csr;
mod kronecker;
#[cfg(any(test, feature = "std"))]
pub mod teps;
mod validate;

pub use bfs::{bfs, bfs_levels, NO_LEVEL, NO_PARENT};
pub use csr::Csr;
pub use kronecker::{
    generate_edges, kronecker_edge, raw_kronecker_edge, sample_roots, vertex_permutation,
    KroneckerParams, DEFAULT_EDGE_FACTOR, INITIATOR_A, INITIATOR_B, INITIATOR_C, INITIATOR_D,
    INITIATOR_DENOMINATOR,
};
pub use validate::{validate_bfs, BfsReport, Rule, ValidationError};

/// One input edge `(u, v)` of the generated edge list (vertex ids `< 2^scale`).
///
/// `#[repr(C)]`: two little-endian `u32`s per edge in files (see [`crate::wire`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C)]
pub struct Edge {
    /// First endpoint.
    pub u: u32,
    /// Second endpoint.
    pub v: u32,
}

impl Edge {
    /// An edge `(u, v)`.
    #[inline]
    pub const fn new(u: u32, v: u32) -> Self {
        Self { u, v }
    }

    /// `true` when `u == v`.
    #[inline]
    pub const fn is_self_loop(&self) -> bool {
        self.u == self.v
    }
}

/// [`crate::hash::Checksum64`] over an edge list (`u` then `v` per edge).
pub fn edges_checksum(edges: &[Edge]) -> u64 {
    let mut c = crate::hash::Checksum64::new();
    for e in edges {
        c.write_u32(e.u);
        c.write_u32(e.v);
    }
    c.finish()
}

#[cfg(test)]
mod tests;
