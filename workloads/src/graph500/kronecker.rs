//! The Graph500 Kronecker generator with integer thresholds.

use alloc::vec::Vec;

use super::{Csr, Edge};
use crate::rng::{derive_seed, permutation, Rng, SplitMix64, Xoshiro256};

/// Initiator probabilities are integer numerators over this denominator (as in the Graph500
/// reference C generator, `generator/graph_generator.c`).
pub const INITIATOR_DENOMINATOR: u64 = 10_000;
/// Quadrant A (top-left: both bits 0), probability 0.57.
pub const INITIATOR_A: u64 = 5_700;
/// Quadrant B (top-right: `u` bit 0, `v` bit 1), probability 0.19.
pub const INITIATOR_B: u64 = 1_900;
/// Quadrant C (bottom-left: `u` bit 1, `v` bit 0), probability 0.19.
pub const INITIATOR_C: u64 = 1_900;
/// Quadrant D (bottom-right: both bits 1), probability 0.05.
pub const INITIATOR_D: u64 = 500;
/// Graph500's edge factor.
pub const DEFAULT_EDGE_FACTOR: u32 = 16;

const _: () =
    assert!(INITIATOR_A + INITIATOR_B + INITIATOR_C + INITIATOR_D == INITIATOR_DENOMINATOR);

/// Sub-stream tags of the generator seed (see [`crate::rng::derive_seed`]).
const TAG_EDGES: u64 = 0x4B52_4F4E_4544_4745; // "KRONEDGE"
const TAG_VPERM: u64 = 0x4B52_4F4E_5650_524D; // "KRONVPRM"
const TAG_SHUFFLE: u64 = 0x4B52_4F4E_5348_5546; // "KRONSHUF"
const TAG_ROOTS: u64 = 0x4B52_4F4E_524F_4F54; // "KRONROOT"

/// Parameters of a Kronecker graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KroneckerParams {
    /// log2 of the vertex count, 1..=31.
    pub scale: u32,
    /// Edges per vertex (Graph500: 16).
    pub edge_factor: u32,
    /// Seed of every random choice.
    pub seed: u64,
}

impl KroneckerParams {
    /// Graph500 parameters: the given scale and seed, edge factor 16.
    ///
    /// # Panics
    /// If `scale` is not in `1..=31`.
    pub fn new(scale: u32, seed: u64) -> Self {
        assert!(
            (1..=31).contains(&scale),
            "Kronecker scale {scale} outside 1..=31"
        );
        Self {
            scale,
            edge_factor: DEFAULT_EDGE_FACTOR,
            seed,
        }
    }

    /// `2^scale`.
    pub const fn num_vertices(&self) -> u64 {
        1u64 << self.scale
    }

    /// `edge_factor * 2^scale`.
    pub const fn num_edges(&self) -> u64 {
        self.edge_factor as u64 * self.num_vertices()
    }
}

/// Edge `i` before relabelling: `scale` quadrant draws from the per-edge stream
/// `SplitMix64::new(derive_seed(derive_seed(seed, "KRONEDGE"), i))`, most significant bit first.
///
/// Each draw is `below(10_000)`: `[0, 5700)` picks A, `[5700, 7600)` B, `[7600, 9500)` C, the
/// rest D. Edges are independent, so any subset can be generated in parallel.
pub fn raw_kronecker_edge(params: &KroneckerParams, i: u64) -> Edge {
    let mut rng = SplitMix64::new(derive_seed(derive_seed(params.seed, TAG_EDGES), i));
    let (mut u, mut v) = (0u32, 0u32);
    for _ in 0..params.scale {
        let r = rng.below(INITIATOR_DENOMINATOR);
        let (bu, bv) = if r < INITIATOR_A {
            (0, 0)
        } else if r < INITIATOR_A + INITIATOR_B {
            (0, 1)
        } else if r < INITIATOR_A + INITIATOR_B + INITIATOR_C {
            (1, 0)
        } else {
            (1, 1)
        };
        u = (u << 1) | bu;
        v = (v << 1) | bv;
    }
    Edge::new(u, v)
}

/// The vertex relabelling: a uniformly random permutation of `0..2^scale` drawn with
/// `Xoshiro256::from_stream(seed, "KRONVPRM")`.
pub fn vertex_permutation(params: &KroneckerParams) -> Vec<u32> {
    let n = u32::try_from(params.num_vertices()).expect("scale <= 31 fits u32");
    permutation(&mut Xoshiro256::from_stream(params.seed, TAG_VPERM), n)
}

/// Edge `i` after relabelling (before the edge shuffle): `perm[raw.u], perm[raw.v]`.
pub fn kronecker_edge(params: &KroneckerParams, perm: &[u32], i: u64) -> Edge {
    let e = raw_kronecker_edge(params, i);
    Edge::new(perm[e.u as usize], perm[e.v as usize])
}

/// The full Graph500 edge list: `num_edges()` relabelled edges, then shuffled with
/// `Xoshiro256::from_stream(seed, "KRONSHUF")`. Self-loops and duplicates are kept.
pub fn generate_edges(params: &KroneckerParams) -> Vec<Edge> {
    let perm = vertex_permutation(params);
    let m = params.num_edges();
    let mut edges: Vec<Edge> = (0..m).map(|i| kronecker_edge(params, &perm, i)).collect();
    Xoshiro256::from_stream(params.seed, TAG_SHUFFLE).shuffle(&mut edges);
    edges
}

/// Up to `count` distinct BFS roots with degree > 0 in `csr`, drawn with
/// `Xoshiro256::from_stream(seed, "KRONROOT")`: repeat `v = below(n)`, keep `v` if its degree is
/// non-zero and it is not already chosen. Returns fewer when the graph has fewer such vertices.
pub fn sample_roots(csr: &Csr, count: usize, seed: u64) -> Vec<u32> {
    let n = csr.num_vertices();
    let eligible = (0..n as u32).filter(|&v| csr.degree(v) > 0).count();
    let want = count.min(eligible);
    let mut rng = Xoshiro256::from_stream(seed, TAG_ROOTS);
    let mut roots = Vec::with_capacity(want);
    while roots.len() < want {
        let v = rng.below(n as u64) as u32;
        if csr.degree(v) > 0 && !roots.contains(&v) {
            roots.push(v);
        }
    }
    roots
}
