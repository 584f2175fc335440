//! LUBM-like knowledge graph: generator, both-direction predicate indexes, golden queries.
//!
//! * [`LubmConfig`] / [`generate`]: universities, departments, faculty, students, courses,
//!   research groups and publications with LUBM's (UBA's) cardinalities, as `(s, p, o)` triples
//!   of `u32` ids. Ids `0..NUM_CLASSES` are the classes (objects of `type`); entities follow.
//! * [`KnowledgeGraph`]: the triples plus, per predicate, a subject→objects and an
//!   object→subjects [`Adjacency`] (sorted keys, offsets, sorted values).
//! * Queries: [`PathQuery`] (2-hop path), [`StarQuery`], [`TriangleQuery`] (LUBM Q9 style), each
//!   with a full evaluation and a point form (`eval_at`, bound first variable). Results are a
//!   [`QueryResult`]: solution count and an order-independent hash (wrapping sum of
//!   [`crate::hash::tuple_hash`] of each solution tuple).

mod generate;
mod index;
mod query;

pub use generate::{generate, Class, LubmConfig, Predicate, NUM_CLASSES, NUM_PREDICATES};
pub use index::{Adjacency, KnowledgeGraph, PredicateIndex};
pub use query::{
    sample_point_subjects, standard_queries, Arm, Dir, Hop, PathQuery, Pattern, Query, QueryResult,
    StarQuery, TriangleQuery, MAX_ARMS,
};

/// One `(subject, predicate, object)` triple. `#[repr(C)]`: three little-endian `u32`s in files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C)]
pub struct Triple {
    /// Subject entity id.
    pub s: u32,
    /// Predicate id ([`Predicate`] as `u32`).
    pub p: u32,
    /// Object entity id (or class id for `type`).
    pub o: u32,
}

impl Triple {
    /// A triple.
    #[inline]
    pub const fn new(s: u32, p: Predicate, o: u32) -> Self {
        Self { s, p: p as u32, o }
    }
}

/// [`crate::hash::Checksum64`] of a triple list (`s`, `p`, `o` per triple).
pub fn triples_checksum(triples: &[Triple]) -> u64 {
    let mut c = crate::hash::Checksum64::new();
    for t in triples {
        c.write_u32(t.s);
        c.write_u32(t.p);
        c.write_u32(t.o);
    }
    c.finish()
}

#[cfg(test)]
mod tests;
