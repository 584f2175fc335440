use alloc::vec::Vec;

use super::*;

fn small(seed: u64) -> KnowledgeGraph {
    KnowledgeGraph::generate(&LubmConfig::small(seed))
}

#[test]
fn generator_is_deterministic_and_duplicate_free() {
    let a = small(1);
    assert_eq!(a, small(1));
    assert_ne!(a.triples, small(2).triples);
    let mut sorted = a.triples.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), a.triples.len(), "duplicate triples");
    for t in &a.triples {
        assert!(t.s < a.num_entities && t.o < a.num_entities);
        assert!(Predicate::from_id(t.p).is_some());
    }
    // Every entity has exactly one type.
    let typed = a.pred(Predicate::Type).by_subject.num_keys() as u32;
    assert_eq!(typed, a.num_entities - NUM_CLASSES);
    assert_eq!(a.pred(Predicate::Type).by_subject.num_pairs() as u32, typed);
}

#[test]
fn pinned_checksums() {
    let kg = small(1);
    assert_eq!(
        (
            kg.num_entities,
            kg.triples.len(),
            triples_checksum(&kg.triples)
        ),
        PIN_SMALL1
    );
    let big = KnowledgeGraph::generate(&LubmConfig::lubm(1, 1));
    assert_eq!(
        (
            big.num_entities,
            big.triples.len(),
            triples_checksum(&big.triples)
        ),
        PIN_LUBM1
    );
}

const PIN_SMALL1: (u32, usize, u64) = (2_283, 10_322, 0x3A9E_0EED_813C_9609);
const PIN_LUBM1: (u32, usize, u64) = (22_858, 88_866, 0x1C43_A0E6_A569_22C6);

#[test]
fn cardinalities_follow_uba() {
    let kg = KnowledgeGraph::generate(&LubmConfig::lubm(1, 3));
    let count = |c: Class| kg.instances(c).len();
    let depts = count(Class::Department);
    assert!((15..=25).contains(&depts));
    assert_eq!(count(Class::University), 11);
    let faculty = count(Class::FullProfessor)
        + count(Class::AssociateProfessor)
        + count(Class::AssistantProfessor)
        + count(Class::Lecturer);
    assert!(faculty >= depts * 30 && faculty <= depts * 42);
    let ug = count(Class::UndergraduateStudent);
    assert!(ug >= faculty * 8 && ug <= faculty * 14);
    let grad = count(Class::GraduateStudent);
    assert!(grad >= faculty * 3 && grad <= faculty * 4);
    assert_eq!(kg.pred(Predicate::HeadOf).by_subject.num_pairs(), depts);
    // Every graduate student has exactly one advisor, who is a professor of the department.
    for &s in kg.instances(Class::GraduateStudent) {
        let adv = kg.objects(s, Predicate::Advisor);
        assert_eq!(adv.len(), 1);
        assert_eq!(
            kg.objects(adv[0], Predicate::WorksFor),
            kg.objects(s, Predicate::MemberOf)
        );
    }
}

#[test]
fn indexes_hold_every_triple_both_ways() {
    let kg = small(4);
    let mut per_pred = [0usize; NUM_PREDICATES];
    for t in &kg.triples {
        let idx = &kg.index[t.p as usize];
        assert!(idx.by_subject.contains(t.s, t.o));
        assert!(idx.by_object.contains(t.o, t.s));
        per_pred[t.p as usize] += 1;
    }
    for (p, idx) in kg.index.iter().enumerate() {
        assert_eq!(idx.by_subject.num_pairs(), per_pred[p]);
        assert_eq!(idx.by_object.num_pairs(), per_pred[p]);
        for adj in [&idx.by_subject, &idx.by_object] {
            assert!(adj.keys.windows(2).all(|w| w[0] < w[1]));
            for (_, vals) in adj.iter() {
                assert!(!vals.is_empty() && vals.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
    assert!(kg.objects(u32::MAX, Predicate::Advisor).is_empty());
}

// ---- naive nested-loop evaluators over the triple list ------------------------------------

fn hop_pairs(kg: &KnowledgeGraph, hop: Hop) -> Vec<(u32, u32)> {
    kg.triples
        .iter()
        .filter(|t| t.p == hop.pred as u32)
        .map(|t| match hop.dir {
            Dir::Forward => (t.s, t.o),
            Dir::Backward => (t.o, t.s),
        })
        .collect()
}

fn naive(kg: &KnowledgeGraph, q: &Query, only_x: Option<u32>) -> QueryResult {
    let mut r = QueryResult::default();
    let want = |x: u32| only_x.is_none_or(|b| b == x);
    match q {
        Query::Path(p) => {
            let (l1, l2) = (hop_pairs(kg, p.first), hop_pairs(kg, p.second));
            for &(x, y) in l1.iter().filter(|&&(x, _)| want(x)) {
                for &(y2, z) in &l2 {
                    if y2 == y {
                        r.add(&[x, y, z]);
                    }
                }
            }
        }
        Query::Triangle(t) => {
            let (lxy, lyz, lxz) = (
                hop_pairs(kg, t.xy),
                hop_pairs(kg, t.yz),
                hop_pairs(kg, t.xz),
            );
            for &(x, y) in lxy.iter().filter(|&&(x, _)| want(x)) {
                for &(y2, z) in &lyz {
                    if y2 != y {
                        continue;
                    }
                    for &(x3, z3) in &lxz {
                        if x3 == x && z3 == z {
                            r.add(&[x, y, z]);
                        }
                    }
                }
            }
        }
        Query::Star(s) => {
            let lists: Vec<Vec<(u32, u32)>> = s.arms.iter().map(|a| hop_pairs(kg, a.hop)).collect();
            for x in (0..kg.num_entities).filter(|&x| want(x)) {
                // Values per unbound arm; None when a bound arm fails.
                let mut vals: Vec<Vec<u32>> = Vec::new();
                let mut ok = true;
                for (a, l) in s.arms.iter().zip(&lists) {
                    let v: Vec<u32> = l
                        .iter()
                        .filter(|&&(f, _)| f == x)
                        .map(|&(_, t)| t)
                        .collect();
                    match a.bound {
                        Some(c) => ok &= v.contains(&c),
                        None => vals.push(v),
                    }
                }
                if !ok {
                    continue;
                }
                let mut tuples: Vec<Vec<u32>> = alloc::vec![alloc::vec![x]];
                for v in &vals {
                    let mut next = Vec::new();
                    for t in &tuples {
                        for &e in v {
                            let mut t2 = t.clone();
                            t2.push(e);
                            next.push(t2);
                        }
                    }
                    tuples = next;
                }
                for t in &tuples {
                    r.add(t);
                }
            }
        }
    }
    r
}

#[test]
fn queries_match_naive_nested_loops() {
    for seed in [1, 2] {
        let kg = small(seed);
        for (name, q) in standard_queries() {
            let fast = q.eval(&kg);
            assert_eq!(fast, naive(&kg, &q, None), "{name} seed {seed}");
            assert!(fast.count > 0, "{name} seed {seed} has no solutions");
        }
    }
}

#[test]
fn point_queries_match_naive_and_sum_up() {
    let kg = small(5);
    for (name, q) in standard_queries() {
        let points = sample_point_subjects(&q, &kg, 24, 9);
        assert_eq!(points.len(), 24);
        assert_eq!(points, sample_point_subjects(&q, &kg, 24, 9));
        for &x in &points {
            assert_eq!(q.eval_at(&kg, x), naive(&kg, &q, Some(x)), "{name} at {x}");
        }
        // The full result is the merge of the point results, in any order.
        let mut rev = QueryResult::default();
        for &x in q.candidates(&kg).iter().rev() {
            rev.merge(q.eval_at(&kg, x));
        }
        assert_eq!(rev, q.eval(&kg), "{name}");
    }
}

#[test]
fn pinned_query_results() {
    let kg = small(1);
    let got: Vec<(u64, u64)> = standard_queries()
        .iter()
        .map(|(_, q)| q.eval(&kg))
        .map(|r| (r.count, r.hash))
        .collect();
    assert_eq!(got, PIN_QUERIES_SMALL1);
}

const PIN_QUERIES_SMALL1: [(u64, u64); 6] = [
    (607, 3_997_707_179_980_620_977),
    (4_289, 4_527_076_340_178_123_395),
    (769, 5_051_273_533_629_289_170),
    (322, 2_069_535_738_833_676_524),
    (33, 7_658_208_117_237_395_784),
    (47, 8_312_181_528_805_944_713),
];
