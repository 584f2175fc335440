use alloc::vec;
use alloc::vec::Vec;

use super::*;

fn graph(scale: u32, seed: u64) -> (KroneckerParams, Vec<Edge>, Csr) {
    let p = KroneckerParams::new(scale, seed);
    let edges = generate_edges(&p);
    let csr = Csr::from_edges(p.num_vertices() as usize, &edges);
    (p, edges, csr)
}

#[test]
fn generator_shape_and_determinism() {
    let (p, edges, _) = graph(10, 1);
    assert_eq!(edges.len() as u64, p.num_edges());
    assert_eq!(edges.len(), 16 * 1024);
    assert!(edges.iter().all(|e| e.u < 1024 && e.v < 1024));
    assert_eq!(edges, generate_edges(&p));
    assert_ne!(edges, generate_edges(&KroneckerParams::new(10, 2)));
    // Raw edges are a pure function of the index (parallel generation).
    let perm = vertex_permutation(&p);
    let mut relabelled: Vec<Edge> = (0..p.num_edges())
        .map(|i| kronecker_edge(&p, &perm, i))
        .collect();
    let mut sorted = edges.clone();
    relabelled.sort_unstable();
    sorted.sort_unstable();
    assert_eq!(relabelled, sorted);
}

#[test]
fn generator_is_skewed_like_kronecker() {
    let (p, edges, csr) = graph(12, 5);
    let n = p.num_vertices() as u32;
    let max_deg = (0..n).map(|v| csr.degree(v)).max().unwrap();
    let isolated = (0..n).filter(|&v| csr.degree(v) == 0).count();
    // Average degree is ~32 before deduplication; Kronecker hubs are far above it and many
    // vertices are isolated.
    assert!(max_deg > 400, "max degree {max_deg}");
    assert!(isolated > 200, "isolated {isolated}");
    // Raw quadrant frequencies: level bits are 1 with probability C+D = 0.24 (u) and B+D (v).
    let ones: u32 = (0..p.num_edges())
        .map(|i| raw_kronecker_edge(&p, i).u.count_ones())
        .sum();
    let frac = ones as f64 / (p.num_edges() as f64 * 12.0);
    assert!((frac - 0.24).abs() < 0.005, "u one-bit fraction {frac}");
    assert!(edges.iter().any(|e| e.is_self_loop()));
}

#[test]
fn pinned_checksums() {
    let (_, edges, csr) = graph(10, 1);
    assert_eq!(edges_checksum(&edges), PIN_EDGES_S10);
    assert_eq!(csr.checksum(), PIN_CSR_S10);
    assert_eq!(csr.num_adjacencies(), PIN_ADJ_S10);
    let roots = sample_roots(&csr, 16, 1);
    assert_eq!(roots, PIN_ROOTS_S10);
}

const PIN_EDGES_S10: u64 = 0x7471_1480_94A8_9627;
const PIN_CSR_S10: u64 = 0x59A7_C779_DAB4_FE15;
const PIN_ADJ_S10: u64 = 21_214;
const PIN_ROOTS_S10: [u32; 16] = [
    711, 765, 871, 815, 540, 58, 308, 136, 480, 406, 6, 591, 828, 524, 879, 517,
];

#[test]
fn csr_invariants() {
    let (p, edges, csr) = graph(11, 9);
    let n = p.num_vertices() as u32;
    for v in 0..n {
        let row = csr.neighbors(v);
        assert!(row.windows(2).all(|w| w[0] < w[1]));
        assert!(!row.contains(&v));
        for &u in row {
            assert!(csr.has_edge(u, v));
        }
    }
    for e in &edges {
        assert_eq!(csr.has_edge(e.u, e.v), !e.is_self_loop());
    }
    let mut distinct: Vec<(u32, u32)> = edges
        .iter()
        .filter(|e| !e.is_self_loop())
        .map(|e| (e.u.min(e.v), e.u.max(e.v)))
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(csr.num_adjacencies(), 2 * distinct.len() as u64);
}

#[test]
fn roots_are_distinct_and_connected() {
    let (_, _, csr) = graph(10, 3);
    let roots = sample_roots(&csr, 16, 77);
    assert_eq!(roots.len(), 16);
    assert_eq!(roots, sample_roots(&csr, 16, 77));
    for (i, &r) in roots.iter().enumerate() {
        assert!(csr.degree(r) > 0);
        assert!(!roots[..i].contains(&r));
    }
    // A graph with fewer eligible vertices than asked for.
    let tiny = Csr::from_edges(8, &[Edge::new(1, 2), Edge::new(3, 3)]);
    let mut r = sample_roots(&tiny, 16, 1);
    r.sort_unstable();
    assert_eq!(r, vec![1, 2]);
}

#[test]
fn golden_bfs_validates_for_every_root() {
    let (_, edges, csr) = graph(11, 4);
    for root in sample_roots(&csr, 16, 4) {
        let parent = bfs(&csr, root);
        let report = validate_bfs(&edges, &csr, root, &parent).unwrap();
        let level = bfs_levels(&csr, root);
        let reached = level.iter().filter(|&&l| l != NO_LEVEL).count() as u64;
        assert_eq!(report.reached_vertices, reached);
        assert_eq!(
            report.max_level,
            level
                .iter()
                .filter(|&&l| l != NO_LEVEL)
                .max()
                .copied()
                .unwrap()
        );
        let in_comp = edges
            .iter()
            .filter(|e| level[e.u as usize] != NO_LEVEL)
            .count() as u64;
        assert_eq!(report.edges_in_component, in_comp);
    }
}

#[test]
fn pinned_bfs_report() {
    let (_, edges, csr) = graph(10, 1);
    let root = sample_roots(&csr, 1, 1)[0];
    let report = validate_bfs(&edges, &csr, root, &bfs(&csr, root)).unwrap();
    assert_eq!(
        (
            report.reached_vertices,
            report.edges_in_component,
            report.max_level
        ),
        PIN_BFS_S10
    );
}

const PIN_BFS_S10: (u64, u64, u32) = (898, 16_384, 4);

/// Breaks the golden parent array of a scale-11 Kronecker graph in one way per rule.
#[test]
fn each_rule_catches_a_broken_parent_array_on_kronecker() {
    let (p, edges, csr) = graph(11, 4);
    let n = p.num_vertices() as u32;
    let root = sample_roots(&csr, 1, 4)[0];
    let good = bfs(&csr, root);
    let level = bfs_levels(&csr, root);
    let check = |parent: &[u32]| validate_bfs(&edges, &csr, root, parent).unwrap_err();
    let deep = |min: u32| {
        (0..n)
            .find(|&v| level[v as usize] != NO_LEVEL && level[v as usize] >= min)
            .unwrap()
    };

    // Rule 1: a two-cycle between a vertex and its parent.
    let v = deep(2);
    let mut bad = good.clone();
    bad[good[v as usize] as usize] = v;
    let err = check(&bad);
    assert_eq!(err.rule(), Rule::Tree, "{err}");

    // Rule 1: the root does not point to itself.
    let mut bad = good.clone();
    bad[root as usize] = NO_PARENT;
    assert_eq!(
        check(&bad),
        ValidationError::RootNotSelfParent {
            root,
            parent: NO_PARENT
        }
    );

    // Rule 2: a vertex re-parented to a neighbour on its own level.
    let (v, u) = (0..n)
        .filter(|&v| v != root && level[v as usize] != NO_LEVEL)
        .find_map(|v| {
            csr.neighbors(v)
                .iter()
                .find(|&&u| level[u as usize] == level[v as usize])
                .map(|&u| (v, u))
        })
        .unwrap();
    let mut bad = good.clone();
    bad[v as usize] = u;
    let err = check(&bad);
    assert_eq!(err.rule(), Rule::TreeEdgeLevels, "{err}");
    assert_eq!(err.vertex(), v);

    // Rule 3: a vertex at level >= 3 hung (through an isolated vertex) at tree level 2; its
    // deeper neighbour that is not its child keeps its level.
    let x = (0..n).find(|&x| csr.degree(x) == 0).unwrap();
    let (v, w) = (0..n)
        .filter(|&v| level[v as usize] != NO_LEVEL && level[v as usize] >= 3)
        .find_map(|v| {
            csr.neighbors(v)
                .iter()
                .find(|&&w| level[w as usize] == level[v as usize] + 1 && good[w as usize] != v)
                .map(|&w| (v, w))
        })
        .unwrap();
    let mut bad = good.clone();
    bad[v as usize] = x;
    bad[x as usize] = root;
    let err = check(&bad);
    assert_eq!(err.rule(), Rule::EdgeLevels, "{err}");
    let _ = w; // w witnesses that a gap exists; the first gap in edge order is reported.

    // Rule 4: a leaf dropped from the tree.
    let leaf = (0..n)
        .find(|&v| v != root && good[v as usize] != NO_PARENT && !good.contains(&v))
        .unwrap();
    let mut bad = good.clone();
    bad[leaf as usize] = NO_PARENT;
    let err = check(&bad);
    assert_eq!(err.rule(), Rule::Spanning, "{err}");
    assert!(matches!(err, ValidationError::EdgeLeavesTree { unreached, .. } if unreached == leaf));

    // Rule 4: an isolated vertex added to the tree.
    let mut bad = good.clone();
    bad[x as usize] = root;
    assert_eq!(check(&bad), ValidationError::OutsideComponent { vertex: x });

    // Rule 5: a vertex re-parented to a non-neighbour one level up.
    let (v, w) = (0..n)
        .filter(|&v| v != root && level[v as usize] != NO_LEVEL && level[v as usize] >= 1)
        .find_map(|v| {
            (0..n)
                .find(|&w| {
                    level[w as usize] != NO_LEVEL
                        && level[w as usize] + 1 == level[v as usize]
                        && !csr.has_edge(v, w)
                })
                .map(|w| (v, w))
        })
        .unwrap();
    let mut bad = good.clone();
    bad[v as usize] = w;
    assert_eq!(
        check(&bad),
        ValidationError::NotAnEdge {
            vertex: v,
            parent: w
        }
    );
}

/// The same rules on a hand-made path graph 0-1-2-3-4-5 plus an isolated vertex 6.
#[test]
fn each_rule_on_a_path_graph() {
    let edges: Vec<Edge> = (0..5).map(|i| Edge::new(i, i + 1)).collect();
    let csr = Csr::from_edges(7, &edges);
    let good = bfs(&csr, 0);
    assert_eq!(good, vec![0, 0, 1, 2, 3, 4, NO_PARENT]);
    let ok = validate_bfs(&edges, &csr, 0, &good).unwrap();
    assert_eq!(
        ok,
        BfsReport {
            reached_vertices: 6,
            edges_in_component: 5,
            max_level: 5
        }
    );
    let check = |p: &[u32]| validate_bfs(&edges, &csr, 0, p).unwrap_err();
    let m = NO_PARENT;
    assert_eq!(
        check(&[0, 0, 3, 2, 3, 4, m]),
        ValidationError::Cycle { vertex: 2 }
    );
    assert_eq!(
        check(&[0, 0, 1, 2, 3, 4, 6]),
        ValidationError::Cycle { vertex: 6 }
    );
    assert_eq!(
        check(&[0, 0, 1, 6, 3, 4, m]),
        ValidationError::ParentNotInTree {
            vertex: 3,
            parent: 6
        }
    );
    assert_eq!(
        check(&[0, 0, 1, 2, 3, 9, m]),
        ValidationError::ParentOutOfRange {
            vertex: 5,
            parent: 9
        }
    );
    assert_eq!(
        check(&[0; 6]),
        ValidationError::WrongLength {
            expected: 7,
            found: 6
        }
    );
    // 3 hangs off the root directly (not an edge, levels 3 and 0).
    assert_eq!(
        check(&[0, 0, 1, 0, 3, 4, m]),
        ValidationError::TreeEdgeLevel {
            vertex: 3,
            parent: 0,
            level: 3,
            parent_level: 0
        }
    );
    // 5 hangs (via the isolated 6) at depth 2 next to 4 at depth 4.
    assert_eq!(
        check(&[0, 0, 1, 2, 3, 6, 0]),
        ValidationError::EdgeLevelGap {
            u: 4,
            v: 5,
            level_u: 4,
            level_v: 2
        }
    );
    assert_eq!(
        check(&[0, 0, 1, 2, 3, m, m]),
        ValidationError::EdgeLeavesTree {
            reached: 4,
            unreached: 5
        }
    );
    assert_eq!(
        check(&[0, 0, 1, 2, 3, 4, 0]),
        ValidationError::OutsideComponent { vertex: 6 }
    );
    // A triangle 0-1-2 with a pendant 3 on 2 and 4 on 1: 4's parent 2 is at level 1, no edge.
    let tri = [
        Edge::new(0, 1),
        Edge::new(1, 2),
        Edge::new(2, 0),
        Edge::new(2, 3),
        Edge::new(1, 4),
    ];
    let tcsr = Csr::from_edges(5, &tri);
    assert_eq!(
        validate_bfs(&tri, &tcsr, 0, &[0, 0, 0, 2, 2]).unwrap_err(),
        ValidationError::NotAnEdge {
            vertex: 4,
            parent: 2
        }
    );
    assert_eq!(
        ValidationError::NotAnEdge {
            vertex: 4,
            parent: 2
        }
        .rule() as u8,
        5
    );
}

#[test]
fn teps_statistics() {
    use teps::*;
    assert_eq!(teps(1000, 0.5), 2000.0);
    assert_eq!(teps_from_cycles(1000, 1_000_000, 1e9), 1e6);
    let hm = harmonic_mean(&[1.0, 2.0, 4.0]);
    assert!((hm - 3.0 / 1.75).abs() < 1e-12);
    let s = TepsStats::from_values(&[4.0, 1.0, 2.0, 8.0, 16.0]);
    assert_eq!(
        (s.min, s.first_quartile, s.median, s.third_quartile, s.max),
        (1.0, 2.0, 4.0, 8.0, 16.0)
    );
    assert!((s.harmonic_mean - 5.0 / (1.0 + 0.5 + 0.25 + 0.125 + 0.0625)).abs() < 1e-12);
    assert!(s.harmonic_stddev > 0.0);
    let one = TepsStats::from_values(&[3.0]);
    assert_eq!((one.harmonic_mean, one.harmonic_stddev), (3.0, 0.0));
}
