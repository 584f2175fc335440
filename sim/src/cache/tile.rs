//! One tile's caches: the L1I and L1D of each core and the shared tile L2.
//!
//! Everything here belongs to one tile, so tiles can be simulated in parallel. An access the
//! tile cannot finish on its own (an L2 miss, or a write to a line the tile does not own) becomes
//! a [`Request`] to the line's home; the access's latency is [`PENDING`] until the request is
//! resolved at the end of the quantum (see `docs/pipeline.md`, "Quanta"), by which time the
//! answer cannot be needed yet: every request takes at least the quantum to come back.
//!
//! * L1I: allocate on miss. L1D: write-through, no-write-allocate; loads allocate.
//! * L2: write-back, MSI per line ([`SHARED`] / [`MODIFIED`]), inclusive of the tile's L1s:
//!   when the L2 loses a line (eviction, invalidation) the L1s lose it too, and a store drops
//!   the line from the other cores' L1Ds of the tile (the L2's sharer bits, T1 style).
//! * In-flight lines: a second access to a line whose request is in flight waits for the same
//!   answer (an MSHR merge) instead of sending another request.

use super::tags::{Tags, MODIFIED, SHARED};
use strand_hw::ChipConfig;

/// Latency placeholder of an access whose answer comes from the home at the quantum's end.
pub const PENDING: u64 = u64::MAX;

/// An `inflight` line taken away by the home (no line address has all bits set).
const DEAD: u64 = u64::MAX;

/// What waits for a request's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOn {
    /// The thread's next instruction fetch.
    Fetch,
    /// A load into register `rd` (the thread is blocked until the data is back).
    Load(u8),
    /// The store-buffer entry with this sequence number.
    Store(u32),
}

/// Who waits: a hart and what for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    /// Global hart index.
    pub hart: u32,
    /// What part of its timing waits.
    pub on: WaitOn,
}

/// Coherence request kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReqKind {
    /// Read a line (MSI GetS).
    GetS,
    /// Own a line to write it (MSI GetM; an upgrade when the tile already shares it).
    GetM,
    /// Wait for the answer of this tile's earlier request number `n` of the quantum.
    Merge(u32),
}

/// A request from a tile to the line's home, resolved at the quantum's end.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// Cycle the request leaves the tile's L2 (after its tag check).
    pub cycle: u64,
    /// Requesting tile.
    pub tile: u32,
    /// Line address.
    pub addr: u64,
    /// Kind.
    pub kind: ReqKind,
    /// Who waits for the answer.
    pub waiter: Waiter,
}

/// The caches of one tile.
pub struct TileMem {
    /// Tile index.
    pub tile: u32,
    first_core: u32,
    /// L1 instruction caches of the tile's cores.
    pub l1i: Vec<Tags>,
    /// L1 data caches of the tile's cores.
    pub l1d: Vec<Tags>,
    /// The tile L2.
    pub l2: Tags,
    l2_latency: u64,
    line_mask: u64,
    /// Lines with a request in flight, oldest first ([`DEAD`] once taken away; dropped at the
    /// next quantum). Kept apart from [`TileMem::flight`] so that looking a line up is a scan
    /// of one dense array.
    inflight: Vec<u64>,
    /// For each of `inflight`: `(cycle the answer arrives or PENDING, request index in this
    /// quantum or u32::MAX, kind)`.
    flight: Vec<(u64, u32, ReqKind)>,
    /// For each request of this quantum, its `inflight` index (u32::MAX for a merge).
    slot: Vec<u32>,
    /// Requests of the current quantum, in the order the tile made them.
    pub requests: Vec<Request>,
    /// Answers to the current quantum's requests, by request number (PENDING until served).
    answers: Vec<u64>,
}

impl TileMem {
    /// Empty caches for tile `tile` of `cfg`.
    pub fn new(cfg: &ChipConfig, tile: u32) -> TileMem {
        let cores = cfg.tile.cores;
        TileMem {
            tile,
            first_core: tile * cores,
            l1i: (0..cores).map(|_| Tags::new(&cfg.core.l1i)).collect(),
            l1d: (0..cores).map(|_| Tags::new(&cfg.core.l1d)).collect(),
            l2: Tags::new(&cfg.tile.l2),
            l2_latency: u64::from(cfg.tile.l2_latency),
            line_mask: !(u64::from(cfg.tile.l2.line) - 1),
            inflight: Vec::new(),
            flight: Vec::new(),
            slot: Vec::new(),
            requests: Vec::new(),
            answers: Vec::new(),
        }
    }

    #[inline]
    fn local(&self, core: u32) -> usize {
        (core - self.first_core) as usize
    }

    /// Ask the home: returns [`PENDING`] (or the known arrival of a merged request).
    fn request(&mut self, kind: ReqKind, addr: u64, now: u64, waiter: Waiter) -> u64 {
        let line = addr & self.line_mask;
        let at = now + self.l2_latency;
        let merge = self
            .inflight
            .iter()
            .zip(&self.flight)
            .find(|(&l, f)| l == line && (kind == ReqKind::GetS || f.2 == ReqKind::GetM));
        if let Some((_, &(done, n, _))) = merge {
            if done != PENDING {
                return done.max(at);
            }
            self.requests.push(Request {
                cycle: at,
                tile: self.tile,
                addr: line,
                kind: ReqKind::Merge(n),
                waiter,
            });
            self.slot.push(u32::MAX);
            return PENDING;
        }
        let n = self.requests.len() as u32;
        self.requests.push(Request {
            cycle: at,
            tile: self.tile,
            addr: line,
            kind,
            waiter,
        });
        self.slot.push(self.inflight.len() as u32);
        self.inflight.push(line);
        self.flight.push((PENDING, n, kind));
        PENDING
    }

    /// Cycles from `now` until the L2 answers a read of `addr`, or [`PENDING`].
    fn l2_read(&mut self, addr: u64, now: u64, waiter: Waiter) -> u64 {
        if self.l2.lookup(addr).is_some() {
            let line = addr & self.line_mask;
            if let Some(k) = self.inflight.iter().position(|&l| l == line) {
                let done = self.flight[k].0;
                if done != PENDING {
                    return done.saturating_sub(now).max(self.l2_latency);
                }
            }
            return self.l2_latency;
        }
        match self.request(ReqKind::GetS, addr, now, waiter) {
            PENDING => PENDING,
            done => done - now,
        }
    }

    /// Extra cycles before an instruction at `pc` of core `core` can issue (0 on an L1I hit),
    /// or [`PENDING`].
    #[inline]
    pub fn fetch(&mut self, core: u32, pc: u64, now: u64, hart: u32) -> u64 {
        let c = self.local(core);
        if self.l1i[c].access(pc, true) {
            return 0;
        }
        self.l2_read(
            pc,
            now,
            Waiter {
                hart,
                on: WaitOn::Fetch,
            },
        )
    }

    /// A load into `rd`: `None` on an L1D hit, else the cycles until the data is back (or
    /// [`PENDING`]).
    #[inline]
    pub fn load(&mut self, core: u32, addr: u64, now: u64, hart: u32, rd: u8) -> Option<u64> {
        let c = self.local(core);
        if self.l1d[c].access(addr, true) {
            return None;
        }
        Some(self.l2_read(
            addr,
            now,
            Waiter {
                hart,
                on: WaitOn::Load(rd),
            },
        ))
    }

    /// A store (store-buffer entry `seq`) leaving the store buffer at `now`: cycles until the
    /// L2 has it, or [`PENDING`] while the tile must first own the line.
    #[inline]
    pub fn store(&mut self, core: u32, addr: u64, now: u64, hart: u32, seq: u32) -> u64 {
        let c = self.local(core);
        let _ = self.l1d[c].access(addr, false);
        self.drop_other_l1d(c, addr);
        if let Some(w) = self.l2.lookup(addr) {
            if self.l2.state(w) == MODIFIED {
                return self.l2_latency;
            }
        }
        let waiter = Waiter {
            hart,
            on: WaitOn::Store(seq),
        };
        match self.request(ReqKind::GetM, addr, now, waiter) {
            PENDING => PENDING,
            done => done - now,
        }
    }

    /// The other cores' L1D copies of a line one core writes (the L2's sharer bits).
    fn drop_other_l1d(&mut self, writer: usize, addr: u64) {
        if self.l1d.len() > 1 {
            for (i, l1) in self.l1d.iter_mut().enumerate() {
                if i != writer {
                    let _ = l1.invalidate(addr);
                }
            }
        }
    }

    /// The line leaves the tile (eviction or invalidation): drop it from every L1 (inclusion).
    pub fn drop_from_l1s(&mut self, addr: u64) {
        for l1 in self.l1i.iter_mut().chain(self.l1d.iter_mut()) {
            let _ = l1.invalidate(addr);
        }
    }

    /// Whether an atomic at the L2 can be performed without asking the home (the tile owns
    /// the line); drops the issuing core's L1D copy (atomics are performed at the L2).
    pub fn atomic_owned(&mut self, core: u32, addr: u64) -> bool {
        let c = self.local(core);
        let _ = self.l1d[c].invalidate(addr);
        self.drop_other_l1d(c, addr);
        matches!(self.l2.lookup(addr), Some(w) if self.l2.state(w) == MODIFIED)
    }

    /// The L2 tag-check latency.
    pub fn l2_latency(&self) -> u64 {
        self.l2_latency
    }

    /// The answer to this quantum's request `n` ([`PENDING`] if not served yet).
    pub fn answer_of(&self, n: u32) -> u64 {
        self.answers.get(n as usize).copied().unwrap_or(PENDING)
    }

    /// Record the answer to this quantum's request `n` (arriving at `done`).
    pub fn answered(&mut self, n: u32, done: u64) {
        if self.answers.len() <= n as usize {
            self.answers.resize(n as usize + 1, PENDING);
        }
        self.answers[n as usize] = done;
        if let Some(&k) = self.slot.get(n as usize) {
            if let Some(f) = self.flight.get_mut(k as usize) {
                if f.0 == PENDING {
                    f.0 = done;
                }
            }
        }
    }

    /// The last request was served at once (the quantum's serial part): drop it from the
    /// quantum's list, keeping its line in flight until `done`.
    pub fn served_now(&mut self, done: u64) {
        self.requests.pop();
        let k = self.slot.pop().expect("one slot per request");
        if let Some(f) = self.flight.get_mut(k as usize) {
            if f.0 == PENDING {
                f.0 = done;
                f.1 = u32::MAX;
            }
        }
    }

    /// Start a new quantum at `now`: forget answered requests that have arrived.
    pub fn next_quantum(&mut self, now: u64) {
        if self.inflight.is_empty() && self.requests.is_empty() {
            return;
        }
        self.requests.clear();
        self.answers.clear();
        self.slot.clear();
        let mut kept = 0;
        for k in 0..self.inflight.len() {
            let (done, _, kind) = self.flight[k];
            if done != PENDING && done > now {
                self.inflight[kept] = self.inflight[k];
                // Request numbers restart; keep the old entries from matching new numbers.
                self.flight[kept] = (done, u32::MAX, kind);
                kept += 1;
            }
        }
        self.inflight.truncate(kept);
        self.flight.truncate(kept);
    }

    /// Grant the line `addr` to this tile in `state`; returns the evicted line, if any, after
    /// dropping it from the L1s.
    pub fn grant(&mut self, addr: u64, state: u8) -> Option<(u64, u8)> {
        let victim = self.l2.fill(addr, state);
        if let Some((v, _)) = victim {
            self.drop_from_l1s(v);
        }
        victim
    }

    /// The home takes the line away (invalidation): returns the state it had.
    pub fn take(&mut self, addr: u64) -> Option<u8> {
        // An answered fill of the line no longer brings it here.
        // (Marked dead in place: the quantum's request slots keep their indices.)
        let line = addr & self.line_mask;
        for (l, f) in self.inflight.iter_mut().zip(&mut self.flight) {
            if *l == line && f.0 != PENDING {
                *l = DEAD;
                f.0 = 0;
            }
        }
        let s = self.l2.invalidate(addr);
        if s.is_some() {
            self.drop_from_l1s(addr);
        }
        s
    }

    /// The home downgrades the line to shared (another tile reads it).
    pub fn downgrade(&mut self, addr: u64) {
        if let Some(w) = self.l2.find(addr) {
            self.l2.set_state(w, SHARED);
        }
    }
}
