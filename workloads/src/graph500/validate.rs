//! The five Graph500 BFS validation rules.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::{bfs_levels, Csr, Edge, NO_LEVEL, NO_PARENT};

/// The Graph500 validation rules, numbered as in the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// 1: the parent array is a tree rooted at the root (no cycles, every chain reaches the root).
    Tree = 1,
    /// 2: tree edges connect vertices whose BFS levels differ by exactly one.
    TreeEdgeLevels = 2,
    /// 3: every input edge joins vertices whose levels differ by at most one, or two unreached
    /// vertices.
    EdgeLevels = 3,
    /// 4: the tree spans exactly the root's connected component.
    Spanning = 4,
    /// 5: every tree edge `(v, parent[v])` is an input edge.
    TreeEdgesInGraph = 5,
}

/// Why a parent array failed validation: the first failing rule in the order 1, 2, 3, 4, 5,
/// with the vertices involved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationError {
    /// Rule 1: the parent array does not have one entry per vertex.
    WrongLength {
        /// Vertices in the graph.
        expected: usize,
        /// Entries in the parent array.
        found: usize,
    },
    /// Rule 1: the root is not a vertex of the graph.
    RootOutOfRange {
        /// The root.
        root: u32,
    },
    /// Rule 1: `parent[root] != root`.
    RootNotSelfParent {
        /// The root.
        root: u32,
        /// Its parent entry.
        parent: u32,
    },
    /// Rule 1: a parent entry is neither [`NO_PARENT`] nor a vertex.
    ParentOutOfRange {
        /// The vertex.
        vertex: u32,
        /// Its parent entry.
        parent: u32,
    },
    /// Rule 1: `vertex`'s parent has no parent itself (the chain stops outside the tree).
    ParentNotInTree {
        /// The vertex.
        vertex: u32,
        /// Its parent, whose own entry is [`NO_PARENT`].
        parent: u32,
    },
    /// Rule 1: the parent chain through `vertex` is a cycle that never reaches the root.
    Cycle {
        /// A vertex on the cycle.
        vertex: u32,
    },
    /// Rule 2: the BFS levels of `vertex` and its parent (hop distances from the root in the
    /// input graph) do not differ by exactly one.
    TreeEdgeLevel {
        /// The vertex.
        vertex: u32,
        /// Its parent.
        parent: u32,
        /// BFS level of `vertex`.
        level: u32,
        /// BFS level of `parent`.
        parent_level: u32,
    },
    /// Rule 3: an input edge joins two tree vertices whose tree levels differ by more than one.
    EdgeLevelGap {
        /// One endpoint.
        u: u32,
        /// The other endpoint.
        v: u32,
        /// Tree level (depth) of `u`.
        level_u: u32,
        /// Tree level (depth) of `v`.
        level_v: u32,
    },
    /// Rule 4: an input edge joins a tree vertex and a vertex outside the tree.
    EdgeLeavesTree {
        /// The endpoint in the tree.
        reached: u32,
        /// The endpoint outside the tree.
        unreached: u32,
    },
    /// Rule 4: a tree vertex is not in the root's connected component.
    OutsideComponent {
        /// The vertex.
        vertex: u32,
    },
    /// Rule 5: `(vertex, parent)` is a tree edge but not an input edge.
    NotAnEdge {
        /// The vertex.
        vertex: u32,
        /// Its parent.
        parent: u32,
    },
}

impl ValidationError {
    /// The rule this error violates.
    pub fn rule(&self) -> Rule {
        use ValidationError::*;
        match self {
            WrongLength { .. }
            | RootOutOfRange { .. }
            | RootNotSelfParent { .. }
            | ParentOutOfRange { .. }
            | ParentNotInTree { .. }
            | Cycle { .. } => Rule::Tree,
            TreeEdgeLevel { .. } => Rule::TreeEdgeLevels,
            EdgeLevelGap { .. } => Rule::EdgeLevels,
            EdgeLeavesTree { .. } | OutsideComponent { .. } => Rule::Spanning,
            NotAnEdge { .. } => Rule::TreeEdgesInGraph,
        }
    }

    /// The (first) vertex the error is about ([`u32::MAX`] for [`ValidationError::WrongLength`]).
    pub fn vertex(&self) -> u32 {
        use ValidationError::*;
        match *self {
            WrongLength { .. } => u32::MAX,
            RootOutOfRange { root } | RootNotSelfParent { root, .. } => root,
            ParentOutOfRange { vertex, .. }
            | ParentNotInTree { vertex, .. }
            | Cycle { vertex }
            | TreeEdgeLevel { vertex, .. }
            | OutsideComponent { vertex }
            | NotAnEdge { vertex, .. } => vertex,
            EdgeLevelGap { u, .. } => u,
            EdgeLeavesTree { reached, .. } => reached,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ValidationError::*;
        write!(f, "Graph500 rule {}: ", self.rule() as u8)?;
        match *self {
            WrongLength { expected, found } => {
                write!(
                    f,
                    "parent array has {found} entries, graph has {expected} vertices"
                )
            }
            RootOutOfRange { root } => write!(f, "root {root} is not a vertex"),
            RootNotSelfParent { root, parent } => {
                write!(f, "parent of root {root} is {parent}, not itself")
            }
            ParentOutOfRange { vertex, parent } => {
                write!(f, "parent of {vertex} is {parent}, not a vertex")
            }
            ParentNotInTree { vertex, parent } => {
                write!(f, "parent {parent} of {vertex} is not in the tree")
            }
            Cycle { vertex } => write!(f, "parent chain of {vertex} is a cycle"),
            TreeEdgeLevel {
                vertex,
                parent,
                level,
                parent_level,
            } => write!(
                f,
                "tree edge {vertex}->{parent} joins BFS levels {level} and {parent_level}"
            ),
            EdgeLevelGap {
                u,
                v,
                level_u,
                level_v,
            } => {
                write!(
                    f,
                    "input edge {u}-{v} joins tree levels {level_u} and {level_v}"
                )
            }
            EdgeLeavesTree { reached, unreached } => {
                write!(
                    f,
                    "input edge {reached}-{unreached} leaves the tree at {unreached}"
                )
            }
            OutsideComponent { vertex } => {
                write!(f, "tree vertex {vertex} is not in the root's component")
            }
            NotAnEdge { vertex, parent } => {
                write!(f, "tree edge {vertex}->{parent} is not an input edge")
            }
        }
    }
}

impl core::error::Error for ValidationError {}

/// What a valid BFS tree covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BfsReport {
    /// Vertices in the tree (the root's component), root included.
    pub reached_vertices: u64,
    /// Input edge tuples inside the component, self-loops and duplicates included (Graph500's
    /// edge count for TEPS).
    pub edges_in_component: u64,
    /// Largest tree level (0 when only the root is reached).
    pub max_level: u32,
}

/// Checks `parent` (a BFS tree from `root`) against the input `edges` with the five Graph500
/// rules; `csr` must be [`Csr::from_edges`] of the same edges.
///
/// Levels for rules 1 and 3 are tree depths computed from `parent` (as the Graph500 reference
/// validator does). Rule 2 compares each tree edge with the true BFS levels from
/// [`bfs_levels`] (with tree depths it would hold by construction). The rules overlap (1, 3, 4
/// and 5 together imply 2), so the error reported is the first failing rule in the order 1, 2,
/// 3, 4, 5; within a rule, the first offending vertex (ascending) or input edge (list order).
pub fn validate_bfs(
    edges: &[Edge],
    csr: &Csr,
    root: u32,
    parent: &[u32],
) -> Result<BfsReport, ValidationError> {
    let n = csr.num_vertices();
    if parent.len() != n {
        return Err(ValidationError::WrongLength {
            expected: n,
            found: parent.len(),
        });
    }
    if root as usize >= n {
        return Err(ValidationError::RootOutOfRange { root });
    }
    if parent[root as usize] != root {
        return Err(ValidationError::RootNotSelfParent {
            root,
            parent: parent[root as usize],
        });
    }
    for (v, &p) in parent.iter().enumerate() {
        if p != NO_PARENT && p as usize >= n {
            return Err(ValidationError::ParentOutOfRange {
                vertex: v as u32,
                parent: p,
            });
        }
    }

    // Rule 1: tree depths by walking parent chains; `stamp` marks the walk that visited a vertex
    // so a walk that meets itself is a cycle.
    let mut depth = vec![NO_LEVEL; n];
    depth[root as usize] = 0;
    let mut stamp = vec![0u32; n];
    let mut stack: Vec<u32> = Vec::new();
    for v in 0..n as u32 {
        if parent[v as usize] == NO_PARENT || depth[v as usize] != NO_LEVEL {
            continue;
        }
        let walk = v + 1;
        stack.clear();
        stack.push(v);
        stamp[v as usize] = walk;
        let mut x = parent[v as usize];
        while depth[x as usize] == NO_LEVEL {
            if parent[x as usize] == NO_PARENT {
                let child = *stack.last().expect("walk stack is never empty");
                return Err(ValidationError::ParentNotInTree {
                    vertex: child,
                    parent: x,
                });
            }
            if stamp[x as usize] == walk {
                return Err(ValidationError::Cycle { vertex: x });
            }
            stamp[x as usize] = walk;
            stack.push(x);
            x = parent[x as usize];
        }
        let mut d = depth[x as usize];
        while let Some(y) = stack.pop() {
            d += 1;
            depth[y as usize] = d;
        }
    }
    drop(stamp);
    let reached = |v: u32| depth[v as usize] != NO_LEVEL;

    // Rule 2: tree edges against true BFS levels (vertices outside the root's component are
    // rule 4's business).
    let level = bfs_levels(csr, root);
    for v in 0..n as u32 {
        let p = parent[v as usize];
        if v == root || p == NO_PARENT {
            continue;
        }
        let (lv, lp) = (level[v as usize], level[p as usize]);
        if lv != NO_LEVEL && lp != NO_LEVEL && lv != lp + 1 {
            return Err(ValidationError::TreeEdgeLevel {
                vertex: v,
                parent: p,
                level: lv,
                parent_level: lp,
            });
        }
    }

    // Rule 3: input edges between tree vertices span at most one tree level.
    for e in edges {
        if reached(e.u) && reached(e.v) {
            let (du, dv) = (depth[e.u as usize], depth[e.v as usize]);
            if du.abs_diff(dv) > 1 {
                return Err(ValidationError::EdgeLevelGap {
                    u: e.u,
                    v: e.v,
                    level_u: du,
                    level_v: dv,
                });
            }
        }
    }

    // Rule 4: no input edge leaves the tree, and the tree stays inside the root's component.
    let mut edges_in_component = 0u64;
    for e in edges {
        match (reached(e.u), reached(e.v)) {
            (true, true) => edges_in_component += 1,
            (true, false) => {
                return Err(ValidationError::EdgeLeavesTree {
                    reached: e.u,
                    unreached: e.v,
                })
            }
            (false, true) => {
                return Err(ValidationError::EdgeLeavesTree {
                    reached: e.v,
                    unreached: e.u,
                })
            }
            (false, false) => {}
        }
    }
    for v in 0..n as u32 {
        if reached(v) && level[v as usize] == NO_LEVEL {
            return Err(ValidationError::OutsideComponent { vertex: v });
        }
    }

    // Rule 5: tree edges are input edges.
    let mut reached_vertices = 1u64;
    let mut max_level = 0u32;
    for v in 0..n as u32 {
        let p = parent[v as usize];
        if v == root || p == NO_PARENT {
            continue;
        }
        if !csr.has_edge(v, p) {
            return Err(ValidationError::NotAnEdge {
                vertex: v,
                parent: p,
            });
        }
        reached_vertices += 1;
        max_level = max_level.max(depth[v as usize]);
    }

    Ok(BfsReport {
        reached_vertices,
        edges_in_component,
        max_level,
    })
}
