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
    /// `sets - 1` and `log2(sets)` when `sets` is a power of two (the usual case: no division).
    set_mask: Option<(u64, u32)>,
    ways: usize,
    /// The line and way index of the last hit or fill (a fetch stream hits the same line
    /// again and again); `INVALID` when unknown.
    last: (u64, usize),
    /// `tags[set * ways + way]`; `u64::MAX` = invalid.
    tags: Vec<u64>,
    /// Last-use stamp per way (LRU).
    stamps: Vec<u64>,
    /// Coherence state per way (meaningful for the tile L2: [`SHARED`] or [`MODIFIED`]).
    state: Vec<u8>,
    clock: u64,
    /// Hits so far.
    pub hits: u64,
    /// Misses so far.
    pub misses: u64,
}

const INVALID: u64 = u64::MAX;

/// L2 line state: readable copy (MSI `S`).
pub const SHARED: u8 = 1;
/// L2 line state: the tile owns the line and may write it (MSI `M`).
pub const MODIFIED: u8 = 2;

impl Tags {
    /// An empty cache of the given geometry (validated by `ChipConfig::validate`).
    pub fn new(c: &CacheConfig) -> Tags {
        let lines = c.size / u64::from(c.line);
        let ways = c.ways as usize;
        let sets = lines / c.ways as u64;
        Tags {
            line_shift: c.line.trailing_zeros(),
            sets,
            set_mask: sets
                .is_power_of_two()
                .then(|| (sets - 1, sets.trailing_zeros())),
            ways,
            last: (INVALID, 0),
            tags: vec![INVALID; lines as usize],
            stamps: vec![0; lines as usize],
            state: vec![0; lines as usize],
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
        match self.set_mask {
            Some((mask, shift)) => ((line & mask) as usize * self.ways, line >> shift),
            None => ((line % self.sets) as usize * self.ways, line / self.sets),
        }
    }

    /// Look up `addr`; on a miss, allocate it (evicting the LRU way) when `allocate` is set.
    /// Returns whether it hit. Counts hits and misses.
    #[inline(always)]
    pub fn access(&mut self, addr: u64, allocate: bool) -> bool {
        let line = self.line_of(addr);
        self.clock += 1;
        if line == self.last.0 {
            self.stamps[self.last.1] = self.clock;
            self.hits += 1;
            return true;
        }
        self.access_set(line, allocate)
    }

    /// [`Tags::access`] of a line other than the last one (the clock is already advanced).
    #[inline(never)]
    fn access_set(&mut self, line: u64, allocate: bool) -> bool {
        let (base, tag) = self.set_range(line);
        let ways = &mut self.tags[base..base + self.ways];
        if let Some(w) = ways.iter().position(|&t| t == tag) {
            self.stamps[base + w] = self.clock;
            self.hits += 1;
            self.last = (line, base + w);
            return true;
        }
        self.misses += 1;
        if allocate {
            let victim = base + self.lru(base);
            self.tags[victim] = tag;
            self.stamps[victim] = self.clock;
            self.last = (line, victim);
        }
        false
    }

    /// The least recently used way of the set starting at `base` (the first of equals).
    #[inline]
    fn lru(&self, base: usize) -> usize {
        let stamps = &self.stamps[base..base + self.ways];
        let mut best = 0;
        for w in 1..self.ways {
            if stamps[w] < stamps[best] {
                best = w;
            }
        }
        best
    }

    /// Look up `addr` (LRU update, counted): the way's index on a hit.
    #[inline(always)]
    pub fn lookup(&mut self, addr: u64) -> Option<usize> {
        let line = self.line_of(addr);
        self.clock += 1;
        if line == self.last.0 {
            self.stamps[self.last.1] = self.clock;
            self.hits += 1;
            return Some(self.last.1);
        }
        self.lookup_set(line)
    }

    /// [`Tags::lookup`] of a line other than the last one (the clock is already advanced).
    #[inline(never)]
    fn lookup_set(&mut self, line: u64) -> Option<usize> {
        let (base, tag) = self.set_range(line);
        match self.tags[base..base + self.ways]
            .iter()
            .position(|&t| t == tag)
        {
            Some(w) => {
                self.stamps[base + w] = self.clock;
                self.hits += 1;
                self.last = (line, base + w);
                Some(base + w)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The way holding `addr`, if present (no LRU update, no counting).
    #[inline]
    pub fn find(&self, addr: u64) -> Option<usize> {
        let (base, tag) = self.set_range(self.line_of(addr));
        self.tags[base..base + self.ways]
            .iter()
            .position(|&t| t == tag)
            .map(|w| base + w)
    }

    /// Coherence state of way `idx`.
    #[inline]
    pub fn state(&self, idx: usize) -> u8 {
        self.state[idx]
    }

    /// Set the coherence state of way `idx`.
    #[inline]
    pub fn set_state(&mut self, idx: usize, s: u8) {
        self.state[idx] = s;
    }

    /// Install `addr` with `state` (no counting). If it is absent, the LRU way is replaced and
    /// the evicted line's address and state are returned.
    pub fn fill(&mut self, addr: u64, state: u8) -> Option<(u64, u8)> {
        let line = self.line_of(addr);
        let (base, tag) = self.set_range(line);
        self.clock += 1;
        if let Some(w) = self.tags[base..base + self.ways]
            .iter()
            .position(|&t| t == tag)
        {
            self.state[base + w] = state;
            self.stamps[base + w] = self.clock;
            return None;
        }
        let w = self.lru(base);
        let old = self.tags[base + w];
        let victim = (old != INVALID).then(|| {
            let set = (base / self.ways) as u64;
            (
                (old * self.sets + set) << self.line_shift,
                self.state[base + w],
            )
        });
        self.tags[base + w] = tag;
        self.state[base + w] = state;
        self.stamps[base + w] = self.clock;
        self.last = (line, base + w);
        victim
    }

    /// Drop `addr` if present; returns the state it had.
    #[inline]
    pub fn invalidate(&mut self, addr: u64) -> Option<u8> {
        let idx = self.find(addr)?;
        if self.last.1 == idx {
            self.last.0 = INVALID;
        }
        self.tags[idx] = INVALID;
        self.stamps[idx] = 0;
        Some(std::mem::take(&mut self.state[idx]))
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

    #[test]
    fn fill_reports_the_victim_and_invalidate_forgets() {
        let mut t = Tags::new(&CacheConfig {
            size: 256,
            ways: 2,
            line: 64,
        });
        assert_eq!(t.fill(0x000, SHARED), None);
        assert_eq!(t.fill(0x080, MODIFIED), None);
        assert!(t.lookup(0x000).is_some()); // 0x080 becomes LRU
        assert_eq!(t.fill(0x100, SHARED), Some((0x080, MODIFIED)));
        assert_eq!(t.invalidate(0x100), Some(SHARED));
        assert_eq!(t.invalidate(0x100), None);
        let w = t.find(0x000).unwrap();
        assert_eq!(t.state(w), SHARED);
    }
}
