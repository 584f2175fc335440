//! Golden query engines: 2-hop path, star and triangle patterns, full and point forms.

use alloc::vec::Vec;

use super::{Adjacency, Class, KnowledgeGraph, Predicate};
use crate::hash::tuple_hash;
use crate::rng::{Rng, Xoshiro256};

/// Direction of a [`Hop`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// `(x, p, ?y)`: subject to objects.
    Forward,
    /// `(?y, p, x)`: object to subjects.
    Backward,
}

/// One triple pattern used as a step from a bound variable to a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hop {
    /// The predicate.
    pub pred: Predicate,
    /// Which way the step goes.
    pub dir: Dir,
}

impl Hop {
    /// `?x pred ?y` walked from `x`.
    pub const fn fwd(pred: Predicate) -> Self {
        Self {
            pred,
            dir: Dir::Forward,
        }
    }

    /// `?y pred ?x` walked from `x`.
    pub const fn bwd(pred: Predicate) -> Self {
        Self {
            pred,
            dir: Dir::Backward,
        }
    }

    /// The same pattern walked the other way.
    pub const fn reverse(self) -> Self {
        match self.dir {
            Dir::Forward => Self::bwd(self.pred),
            Dir::Backward => Self::fwd(self.pred),
        }
    }

    /// The index this hop reads.
    #[inline]
    pub fn adjacency<'a>(&self, kg: &'a KnowledgeGraph) -> &'a Adjacency {
        let idx = kg.pred(self.pred);
        match self.dir {
            Dir::Forward => &idx.by_subject,
            Dir::Backward => &idx.by_object,
        }
    }

    /// The sorted values reachable from `x` in one step.
    #[inline]
    pub fn step<'a>(&self, kg: &'a KnowledgeGraph, x: u32) -> &'a [u32] {
        self.adjacency(kg).get(x)
    }
}

/// Solution count and order-independent hash: `hash` is the wrapping sum of
/// [`tuple_hash`] over all solution tuples, so partial results [`QueryResult::merge`] in any order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueryResult {
    /// Number of solutions.
    pub count: u64,
    /// Wrapping sum of the solution tuples' hashes.
    pub hash: u64,
}

impl QueryResult {
    /// Adds one solution.
    #[inline]
    pub fn add(&mut self, tuple: &[u32]) {
        self.count += 1;
        self.hash = self.hash.wrapping_add(tuple_hash(tuple));
    }

    /// Adds another partial result.
    #[inline]
    pub fn merge(&mut self, other: QueryResult) {
        self.count += other.count;
        self.hash = self.hash.wrapping_add(other.hash);
    }
}

/// A pattern whose first variable `?x` ranges over [`Pattern::candidates`]; the full result is
/// the merge of [`Pattern::eval_at`] over the candidates (the point-query form binds `?x`).
pub trait Pattern {
    /// The values `?x` can take (every solution's `?x` is one of them; sorted, distinct).
    fn candidates<'a>(&self, kg: &'a KnowledgeGraph) -> &'a [u32];
    /// Solutions with `?x = x`.
    fn eval_at(&self, kg: &KnowledgeGraph, x: u32) -> QueryResult;
    /// All solutions.
    fn eval(&self, kg: &KnowledgeGraph) -> QueryResult {
        let mut r = QueryResult::default();
        for &x in self.candidates(kg) {
            r.merge(self.eval_at(kg, x));
        }
        r
    }
}

/// `?x first ?y . ?y second ?z`; solution tuple `(x, y, z)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathQuery {
    /// From `?x` to `?y`.
    pub first: Hop,
    /// From `?y` to `?z`.
    pub second: Hop,
}

impl Pattern for PathQuery {
    fn candidates<'a>(&self, kg: &'a KnowledgeGraph) -> &'a [u32] {
        &self.first.adjacency(kg).keys
    }

    fn eval_at(&self, kg: &KnowledgeGraph, x: u32) -> QueryResult {
        let mut r = QueryResult::default();
        for &y in self.first.step(kg, x) {
            for &z in self.second.step(kg, y) {
                r.add(&[x, y, z]);
            }
        }
        r
    }
}

/// One arm of a star: `?x hop ?v` (unbound) or `?x hop c` (bound to constant `c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Arm {
    /// The pattern, walked from the centre `?x`.
    pub hop: Hop,
    /// `Some(c)` when the far end is the constant `c`.
    pub bound: Option<u32>,
}

/// Most arms in a [`StarQuery`].
pub const MAX_ARMS: usize = 8;

/// A star around `?x`: every arm must match; solution tuple `(x, v1, v2, ...)` with one value
/// per unbound arm, in arm order (the cartesian product of the unbound arms' values).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StarQuery {
    /// 1..=[`MAX_ARMS`] arms; the first one chooses the candidates.
    pub arms: Vec<Arm>,
}

impl Pattern for StarQuery {
    fn candidates<'a>(&self, kg: &'a KnowledgeGraph) -> &'a [u32] {
        let a = &self.arms[0];
        match a.bound {
            Some(c) => a.hop.reverse().step(kg, c),
            None => &a.hop.adjacency(kg).keys,
        }
    }

    fn eval_at(&self, kg: &KnowledgeGraph, x: u32) -> QueryResult {
        assert!(
            (1..=MAX_ARMS).contains(&self.arms.len()),
            "star needs 1..=8 arms"
        );
        let mut lists: [&[u32]; MAX_ARMS] = [&[]; MAX_ARMS];
        let mut nl = 0;
        for a in &self.arms {
            let vals = a.hop.step(kg, x);
            match a.bound {
                Some(c) => {
                    if vals.binary_search(&c).is_err() {
                        return QueryResult::default();
                    }
                }
                None => {
                    if vals.is_empty() {
                        return QueryResult::default();
                    }
                    lists[nl] = vals;
                    nl += 1;
                }
            }
        }
        // Odometer over the unbound arms' lists.
        let mut r = QueryResult::default();
        let mut pos = [0usize; MAX_ARMS];
        let mut tuple = [0u32; MAX_ARMS + 1];
        tuple[0] = x;
        loop {
            for i in 0..nl {
                tuple[i + 1] = lists[i][pos[i]];
            }
            r.add(&tuple[..nl + 1]);
            let mut i = nl;
            loop {
                if i == 0 {
                    return r;
                }
                i -= 1;
                pos[i] += 1;
                if pos[i] < lists[i].len() {
                    break;
                }
                pos[i] = 0;
            }
        }
    }
}

/// `?x xy ?y . ?y yz ?z . ?x xz ?z`; solution tuple `(x, y, z)`. Evaluated per `x` by merging
/// the sorted lists `yz(y)` and `xz(x)` for each `y` in `xy(x)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TriangleQuery {
    /// From `?x` to `?y`.
    pub xy: Hop,
    /// From `?y` to `?z`.
    pub yz: Hop,
    /// From `?x` to `?z` (closes the triangle).
    pub xz: Hop,
}

impl Pattern for TriangleQuery {
    fn candidates<'a>(&self, kg: &'a KnowledgeGraph) -> &'a [u32] {
        &self.xy.adjacency(kg).keys
    }

    fn eval_at(&self, kg: &KnowledgeGraph, x: u32) -> QueryResult {
        let mut r = QueryResult::default();
        let xz = self.xz.step(kg, x);
        if xz.is_empty() {
            return r;
        }
        for &y in self.xy.step(kg, x) {
            let yz = self.yz.step(kg, y);
            let (mut i, mut j) = (0, 0);
            while i < yz.len() && j < xz.len() {
                match yz[i].cmp(&xz[j]) {
                    core::cmp::Ordering::Less => i += 1,
                    core::cmp::Ordering::Greater => j += 1,
                    core::cmp::Ordering::Equal => {
                        r.add(&[x, y, yz[i]]);
                        i += 1;
                        j += 1;
                    }
                }
            }
        }
        r
    }
}

/// Any of the three query shapes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Query {
    /// 2-hop path.
    Path(PathQuery),
    /// Star.
    Star(StarQuery),
    /// Triangle.
    Triangle(TriangleQuery),
}

impl Pattern for Query {
    fn candidates<'a>(&self, kg: &'a KnowledgeGraph) -> &'a [u32] {
        match self {
            Query::Path(q) => q.candidates(kg),
            Query::Star(q) => q.candidates(kg),
            Query::Triangle(q) => q.candidates(kg),
        }
    }

    fn eval_at(&self, kg: &KnowledgeGraph, x: u32) -> QueryResult {
        match self {
            Query::Path(q) => q.eval_at(kg, x),
            Query::Star(q) => q.eval_at(kg, x),
            Query::Triangle(q) => q.eval_at(kg, x),
        }
    }
}

/// The standard query set (name, query):
///
/// * `path-advisor-dept`: `?x advisor ?y . ?y worksFor ?z`
/// * `path-course-teacher`: `?x takesCourse ?y . ?z teacherOf ?y`
/// * `star-grad`: `?x type GraduateStudent . ?x memberOf ?d . ?x advisor ?a . ?x takesCourse ?c`
/// * `star-faculty`: `?x worksFor ?d . ?x teacherOf ?c . ?x doctoralDegreeFrom ?u`
/// * `triangle-q9` (LUBM Q9): `?x advisor ?y . ?y teacherOf ?z . ?x takesCourse ?z`
/// * `triangle-coauthor`: `?x publicationAuthor ?y . ?y advisor ?z . ?x publicationAuthor ?z`
pub fn standard_queries() -> Vec<(&'static str, Query)> {
    use Predicate::*;
    let unbound = |hop| Arm { hop, bound: None };
    alloc::vec![
        (
            "path-advisor-dept",
            Query::Path(PathQuery {
                first: Hop::fwd(Advisor),
                second: Hop::fwd(WorksFor)
            }),
        ),
        (
            "path-course-teacher",
            Query::Path(PathQuery {
                first: Hop::fwd(TakesCourse),
                second: Hop::bwd(TeacherOf)
            }),
        ),
        (
            "star-grad",
            Query::Star(StarQuery {
                arms: alloc::vec![
                    Arm {
                        hop: Hop::fwd(Type),
                        bound: Some(Class::GraduateStudent as u32)
                    },
                    unbound(Hop::fwd(MemberOf)),
                    unbound(Hop::fwd(Advisor)),
                    unbound(Hop::fwd(TakesCourse)),
                ],
            }),
        ),
        (
            "star-faculty",
            Query::Star(StarQuery {
                arms: alloc::vec![
                    unbound(Hop::fwd(WorksFor)),
                    unbound(Hop::fwd(TeacherOf)),
                    unbound(Hop::fwd(DoctoralDegreeFrom)),
                ],
            }),
        ),
        (
            "triangle-q9",
            Query::Triangle(TriangleQuery {
                xy: Hop::fwd(Advisor),
                yz: Hop::fwd(TeacherOf),
                xz: Hop::fwd(TakesCourse),
            }),
        ),
        (
            "triangle-coauthor",
            Query::Triangle(TriangleQuery {
                xy: Hop::fwd(PublicationAuthor),
                yz: Hop::fwd(Advisor),
                xz: Hop::fwd(PublicationAuthor),
            }),
        ),
    ]
}

const TAG_POINT: u64 = 0x4B47_504F_494E_5453; // "KGPOINTS"

/// `n` bound values for point queries of `query`: uniform draws (with replacement) from its
/// candidates with `Xoshiro256::from_stream(seed, "KGPOINTS")`. Empty when there are none.
pub fn sample_point_subjects<P: Pattern + ?Sized>(
    query: &P,
    kg: &KnowledgeGraph,
    n: usize,
    seed: u64,
) -> Vec<u32> {
    let c = query.candidates(kg);
    if c.is_empty() {
        return Vec::new();
    }
    let mut rng = Xoshiro256::from_stream(seed, TAG_POINT);
    (0..n)
        .map(|_| c[rng.below(c.len() as u64) as usize])
        .collect()
}
