//! Both-direction predicate indexes.

use alloc::vec::Vec;

use super::{generate, LubmConfig, Predicate, Triple, NUM_PREDICATES};

/// A compact sorted multimap `u32 → [u32]`: distinct `keys` ascending, `values[offsets[i]..
/// offsets[i + 1]]` ascending and distinct for `keys[i]`. Lookups binary-search `keys`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adjacency {
    /// Distinct keys, ascending.
    pub keys: Vec<u32>,
    /// `keys.len() + 1` offsets into `values`.
    pub offsets: Vec<u32>,
    /// Value lists, concatenated.
    pub values: Vec<u32>,
}

impl Adjacency {
    /// Builds from `(key, value)` pairs (sorted and deduplicated here).
    pub fn from_pairs(mut pairs: Vec<(u32, u32)>) -> Self {
        pairs.sort_unstable();
        pairs.dedup();
        let mut keys = Vec::new();
        let mut offsets = Vec::new();
        let mut values = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            if keys.last() != Some(&k) {
                keys.push(k);
                offsets.push(values.len() as u32);
            }
            values.push(v);
        }
        offsets.push(values.len() as u32);
        Self {
            keys,
            offsets,
            values,
        }
    }

    /// The sorted values of `key` (empty when absent).
    #[inline]
    pub fn get(&self, key: u32) -> &[u32] {
        match self.keys.binary_search(&key) {
            Ok(i) => &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize],
            Err(_) => &[],
        }
    }

    /// `true` when `(key, value)` is present.
    #[inline]
    pub fn contains(&self, key: u32, value: u32) -> bool {
        self.get(key).binary_search(&value).is_ok()
    }

    /// Number of distinct keys.
    pub fn num_keys(&self) -> usize {
        self.keys.len()
    }

    /// Number of `(key, value)` pairs.
    pub fn num_pairs(&self) -> usize {
        self.values.len()
    }

    /// `(key, values)` in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[u32])> + '_ {
        self.keys.iter().enumerate().map(move |(i, &k)| {
            (
                k,
                &self.values[self.offsets[i] as usize..self.offsets[i + 1] as usize],
            )
        })
    }

    /// Bytes of the three arrays.
    pub fn size_bytes(&self) -> u64 {
        4 * (self.keys.len() + self.offsets.len() + self.values.len()) as u64
    }
}

/// The two indexes of one predicate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PredicateIndex {
    /// subject → objects.
    pub by_subject: Adjacency,
    /// object → subjects.
    pub by_object: Adjacency,
}

/// Triples plus per-predicate both-direction indexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnowledgeGraph {
    /// Entity ids are `0..num_entities` (classes first).
    pub num_entities: u32,
    /// The triples, in generation order.
    pub triples: Vec<Triple>,
    /// `index[p]` for predicate id `p`.
    pub index: Vec<PredicateIndex>,
}

impl KnowledgeGraph {
    /// Indexes `triples` (duplicate triples collapse in the indexes).
    ///
    /// # Panics
    /// If a predicate id is `>= NUM_PREDICATES`.
    pub fn new(num_entities: u32, triples: Vec<Triple>) -> Self {
        let mut fwd: Vec<Vec<(u32, u32)>> = (0..NUM_PREDICATES).map(|_| Vec::new()).collect();
        for t in &triples {
            assert!((t.p as usize) < NUM_PREDICATES, "unknown predicate {}", t.p);
            fwd[t.p as usize].push((t.s, t.o));
        }
        let index = fwd
            .into_iter()
            .map(|pairs| {
                let back: Vec<(u32, u32)> = pairs.iter().map(|&(s, o)| (o, s)).collect();
                PredicateIndex {
                    by_subject: Adjacency::from_pairs(pairs),
                    by_object: Adjacency::from_pairs(back),
                }
            })
            .collect();
        Self {
            num_entities,
            triples,
            index,
        }
    }

    /// [`generate`] then [`KnowledgeGraph::new`].
    pub fn generate(config: &LubmConfig) -> Self {
        let (n, triples) = generate(config);
        Self::new(n, triples)
    }

    /// The indexes of predicate `p`.
    #[inline]
    pub fn pred(&self, p: Predicate) -> &PredicateIndex {
        &self.index[p as usize]
    }

    /// Objects of `(s, p, ?)`, sorted.
    #[inline]
    pub fn objects(&self, s: u32, p: Predicate) -> &[u32] {
        self.pred(p).by_subject.get(s)
    }

    /// Subjects of `(?, p, o)`, sorted.
    #[inline]
    pub fn subjects(&self, p: Predicate, o: u32) -> &[u32] {
        self.pred(p).by_object.get(o)
    }

    /// Entities of class `c` (subjects of `type c`), sorted.
    pub fn instances(&self, c: super::Class) -> &[u32] {
        self.subjects(Predicate::Type, c as u32)
    }

    /// Bytes of all indexes.
    pub fn index_size_bytes(&self) -> u64 {
        self.index
            .iter()
            .map(|i| i.by_subject.size_bytes() + i.by_object.size_bytes())
            .sum()
    }
}
