//! A set-associative tag array with true LRU replacement.
//!
//! ```text
//!  line address = addr / line;  set = line % sets;  tag = line / sets
//!  ways of a set: [tag | valid | last-use stamp]   (LRU = smallest stamp)
//! ```

use strand_hw::params::CacheConfig;

/// Tags of one cache.
#[derive(Clone, Debug)]
pub struct Tags {
    line_shift: u32,
    sets: u64,
    ways: usize,
    /// `tags[set * ways + way]`; `u64::MAX` = invalid.
    tags: Vec<u64>,
    /// Last-use stamp per way (LRU).
    stamps: Vec<u64>,
    clock: u64,
    /// Hits so far.
    pub hits: u64,
    /// Misses so far.
    pub misses: u64,
}

const INVALID: u64 = u64::MAX;

impl Tags {
    /// An empty cache of the given geometry (validated by `ChipConfig::validate`).
    pub fn new(c: &CacheConfig) -> Tags {
        let lines = c.size / u64::from(c.line);
        let ways = c.ways as usize;
        let sets = lines / c.ways as u64;
        Tags {
            line_shift: c.line.trailing_zeros(),
            sets,
            ways,
            tags: vec![INVALID; lines as usize],
            stamps: vec![0; lines as usize],
            clock: 0,
            hits: 0,
            misses: 0,
        }
    }

    /// Line address (address without the offset bits).
    #[inline]
    pub fn line_of(&self, addr: u64) -> u64 {
        addr >> self.line_shift
    }

    #[inline]
    fn set_range(&self, line: u64) -> (usize, u64) {
        let set = (line % self.sets) as usize;
        (set * self.ways, line / self.sets)
    }

    /// Look up `addr`; on a miss, allocate it (evicting the LRU way) when `allocate` is set.
    /// Returns whether it hit. Counts hits and misses.
    #[inline]
    pub fn access(&mut self, addr: u64, allocate: bool) -> bool {
        let line = self.line_of(addr);
        let (base, tag) = self.set_range(line);
        self.clock += 1;
        let ways = &mut self.tags[base..base + self.ways];
        if let Some(w) = ways.iter().position(|&t| t == tag) {
            self.stamps[base + w] = self.clock;
            self.hits += 1;
            return true;
        }
        self.misses += 1;
        if allocate {
            let stamps = &self.stamps[base..base + self.ways];
            let victim = (0..self.ways)
                .min_by_key(|&w| stamps[w])
                .expect("at least one way");
            self.tags[base + victim] = tag;
            self.stamps[base + victim] = self.clock;
        }
        false
    }

    /// Whether `addr` is present (no LRU update, no counting).
    pub fn probe(&self, addr: u64) -> bool {
        let (base, tag) = self.set_range(self.line_of(addr));
        self.tags[base..base + self.ways].contains(&tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_within_a_set() {
        // 4 lines, 2 ways, 64 B lines: 2 sets.
        let mut t = Tags::new(&CacheConfig {
            size: 256,
            ways: 2,
            line: 64,
        });
        assert!(!t.access(0x000, true)); // set 0
        assert!(!t.access(0x080, true)); // set 0
        assert!(t.access(0x000, true)); // hit, 0x080 becomes LRU
        assert!(!t.access(0x100, true)); // set 0: evicts 0x080
        assert!(t.probe(0x000) && t.probe(0x100) && !t.probe(0x080));
        assert!(!t.access(0x040, false)); // set 1, not allocated
        assert!(!t.probe(0x040));
        assert_eq!((t.hits, t.misses), (1, 4));
    }
}
