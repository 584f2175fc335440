//! Timing of the fine-grained multithreaded pipeline (the rules are written once in
//! `docs/pipeline.md`; the RTL must match them cycle for cycle).
//!
//! ```text
//!        F        S            D        E        M        W
//!  ┌── fetch ─┐ thread     decode   execute  memory  write
//!  │ (L1I)    │ select ──►  ...      branch   L1D     back
//!  └──────────┘ (LRU among           resolves
//!               ready threads)
//! ```
//!
//! The functional effect of an instruction is applied when the thread-select stage issues it;
//! this module decides *when* each thread may issue next. A thread is ready at cycle `t` when
//! `t >= ready_at`, and, if its next instruction divides, the core's divider is free.
//! `ready_at` is the latest of: the thread-level stall of the previous instruction (branch,
//! L1D/L1I miss, atomic, fence, trap, full store buffer) and the scoreboard time of the next
//! instruction's source and destination registers (load-use, multiply, divide).

use super::{Hart, RunState};
use crate::cache::tile::{WaitOn, PENDING};
use crate::trace::Commit;
use serde::Serialize;
use std::collections::VecDeque;
use strand_hw::isa::{Class, Insn, Op};
use strand_hw::params::CoreTiming;

/// Why a thread is not issuing (the Niagara utilization breakdown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Wait {
    /// Waiting for memory: L1I/L1D miss, load-use, full store buffer (NoC time included).
    Memory = 0,
    /// Waiting for the multiplier/divider (result or the shared divider).
    MulDiv = 1,
    /// Waiting for its stores to drain (FENCE).
    Fence = 2,
    /// Waiting for an AMO / LR / SC at the L2.
    Atomic = 3,
    /// Pipeline refill after a branch, jump, trap or MRET (no branch prediction).
    Pipeline = 4,
}

/// Cycles of one thread by state.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StateCycles {
    /// Issued an instruction.
    pub running: u64,
    /// Ready but another thread was picked.
    pub ready_not_picked: u64,
    /// Waiting on memory (includes NoC time).
    pub wait_memory: u64,
    /// Waiting on the multiplier / divider.
    pub wait_muldiv: u64,
    /// Waiting in a fence for stores to drain.
    pub wait_fence: u64,
    /// Waiting for an atomic.
    pub wait_atomic: u64,
    /// Refilling after a branch, jump or trap.
    pub wait_pipeline: u64,
    /// In WFI.
    pub idle: u64,
}

impl StateCycles {
    /// Add `n` cycles of waiting for `w`.
    #[inline]
    pub fn add_wait(&mut self, w: Wait, n: u64) {
        match w {
            Wait::Memory => self.wait_memory += n,
            Wait::MulDiv => self.wait_muldiv += n,
            Wait::Fence => self.wait_fence += n,
            Wait::Atomic => self.wait_atomic += n,
            Wait::Pipeline => self.wait_pipeline += n,
        }
    }

    /// Every cycle accounted for.
    pub fn total(&self) -> u64 {
        self.running
            + self.ready_not_picked
            + self.wait_memory
            + self.wait_muldiv
            + self.wait_fence
            + self.wait_atomic
            + self.wait_pipeline
            + self.idle
    }
}

/// Timing state of one thread (hart).
///
/// `repr(C)` with the fields thread select reads every cycle (`ready_at`, `last_pick`, `idle`,
/// `next_is_div`) and the other small ones first: they share the struct's first 64 bytes.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct ThreadTiming {
    /// Earliest cycle the next instruction may issue ([`PENDING`] while an answer from a home
    /// slice is outstanding or the instruction waits for the quantum's end).
    pub ready_at: u64,
    /// Cycle this thread last issued (LRU thread select).
    pub last_pick: u64,
    /// First cycle not yet accounted in `cycles` (accounting is lazy: a waiting thread costs
    /// nothing per cycle).
    pub acct_from: u64,
    /// The parts `ready_at` is the latest of (see [`ThreadTiming::settle`]).
    floor: u64,
    /// The next instruction's fetch completes (L1I miss).
    fetch_done: u64,
    /// A blocking load's data arrives.
    load_done: u64,
    /// Why it waits until `ready_at`.
    pub reason: Wait,
    floor_reason: Wait,
    /// The next instruction needs the shared divider.
    pub next_is_div: bool,
    /// The hart is in WFI (kept here as well so thread select reads no `Hart`; [`issue`] sets
    /// it, and whoever wakes the hart clears it).
    pub idle: bool,
    /// The thread's instruction waits for the serial part of the quantum's end.
    pub deferred: bool,
    /// A fence waits for every store in the buffer.
    drain: bool,
    next_store: u32,
    /// The next instruction (for its register dependencies).
    next: Option<Insn>,
    /// The store-buffer entry the thread waits for (buffer full): sequence and completion.
    sb_wait: Option<(u32, u64)>,
    /// Cycle the thread entered WFI.
    pub idle_since: u64,
    /// Store buffer: `(sequence number, completion cycle)`, oldest first.
    stores: VecDeque<(u32, u64)>,
    /// Cycles by state.
    pub cycles: StateCycles,
    /// Scoreboard: cycle each register's value is available, and what produces it.
    reg_ready: [u64; 32],
    reg_kind: [Wait; 32],
}

impl Default for ThreadTiming {
    fn default() -> Self {
        ThreadTiming {
            ready_at: 0,
            reason: Wait::Memory,
            last_pick: 0,
            next_is_div: false,
            reg_ready: [0; 32],
            reg_kind: [Wait::Memory; 32],
            stores: VecDeque::new(),
            next_store: 0,
            floor: 0,
            floor_reason: Wait::Memory,
            fetch_done: 0,
            load_done: 0,
            sb_wait: None,
            drain: false,
            next: None,
            deferred: false,
            idle: false,
            idle_since: 0,
            acct_from: 0,
            cycles: StateCycles::default(),
        }
    }
}

/// Shared per-core resources.
#[derive(Clone, Debug, Default)]
pub struct CoreState {
    /// The iterative divider is busy until this cycle.
    pub div_busy_until: u64,
    /// Earliest `ready_at` of the core's running threads (the core needs no look before).
    pub next_ready: u64,
}

/// Where a hart sits and the constants its timing needs.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// Global hart index.
    pub hart: u32,
    /// Global core index.
    pub core: u32,
    /// Tile index.
    pub tile: u32,
}

/// The memory system as the pipeline sees it. Latencies are cycles from `now`; [`PENDING`]
/// means the answer comes at the quantum's end (through [`ThreadTiming::answer`]).
pub trait MemPort {
    /// Extra cycles before the instruction at `pc` can issue (0 on an L1I hit).
    fn fetch(&mut self, at: Place, pc: u64, now: u64) -> u64;
    /// `None` on an L1D hit, else cycles until the data is back.
    fn load(&mut self, at: Place, addr: u64, now: u64, rd: u8) -> Option<u64>;
    /// Cycles until the L2 has the store (store-buffer entry `seq`).
    fn store(&mut self, at: Place, addr: u64, now: u64, seq: u32) -> u64;
    /// Cycles until an AMO / LR / SC performed at the L2 returns.
    fn atomic(&mut self, at: Place, addr: u64, now: u64) -> u64;
}

/// `now + lat`, keeping [`PENDING`].
#[inline]
fn after(now: u64, lat: u64) -> u64 {
    if lat == PENDING {
        PENDING
    } else {
        now + lat
    }
}

impl ThreadTiming {
    /// Account the cycles `[acct_from, until)`: waiting for `reason` before `ready_at`, ready
    /// but not picked from then on.
    #[inline]
    pub fn account_until(&mut self, until: u64) {
        if until <= self.acct_from {
            return;
        }
        let wait_end = self.ready_at.clamp(self.acct_from, until);
        self.cycles.add_wait(self.reason, wait_end - self.acct_from);
        self.cycles.ready_not_picked += until - wait_end;
        self.acct_from = until;
    }

    /// Schedule a hart's first instruction (at reset).
    pub fn schedule_first(
        &mut self,
        hart: &Hart,
        insn: Option<Insn>,
        at: Place,
        mem: &mut impl MemPort,
    ) {
        self.fetch_done = after(0, mem.fetch(at, hart.pc, 0));
        self.next = insn;
        self.next_is_div = insn.is_some_and(|i| i.class == Class::Div);
        self.settle();
    }

    /// `ready_at` = the latest of the instruction's own stall (`floor`), the next
    /// instruction's fetch, a blocking load, a full store buffer, a fence's drain and the next
    /// instruction's source and destination registers (scoreboard). [`PENDING`] parts keep the
    /// thread waiting until they are answered.
    pub fn settle(&mut self) {
        let (mut r, mut why) = (self.floor, self.floor_reason);
        if self.fetch_done > r {
            (r, why) = (self.fetch_done, Wait::Memory);
        }
        if self.load_done > r {
            (r, why) = (self.load_done, Wait::Memory);
        }
        if let Some((_, done)) = self.sb_wait {
            if done > r {
                (r, why) = (done, Wait::Memory);
            }
        }
        if self.drain {
            for &(_, done) in &self.stores {
                if done > r {
                    (r, why) = (done, Wait::Fence);
                }
            }
        }
        if let Some(i) = &self.next {
            // rs1, rs2, then rd (write-after-write with an outstanding producer).
            let (r1, r2) = i.sources();
            for (used, reg) in [(r1, i.rs1), (r2, i.rs2), (true, i.rd)] {
                let reg = (reg & 31) as usize;
                if used && reg != 0 && self.reg_ready[reg] > r {
                    (r, why) = (self.reg_ready[reg], self.reg_kind[reg]);
                }
            }
        }
        self.ready_at = if self.deferred { PENDING } else { r };
        self.reason = why;
    }

    /// An answer from the home arrived for this thread: `on` completes at `done`.
    pub fn answer(&mut self, on: WaitOn, done: u64) {
        match on {
            WaitOn::Fetch => self.fetch_done = done,
            WaitOn::Load(rd) => {
                self.load_done = done;
                if rd != 0 && self.reg_ready[rd as usize] == PENDING {
                    self.reg_ready[rd as usize] = done;
                }
            }
            WaitOn::Store(seq) => match self.sb_wait {
                Some((s, _)) if s == seq => self.sb_wait = Some((s, done)),
                _ => {
                    if let Some(e) = self.stores.iter_mut().find(|e| e.0 == seq) {
                        e.1 = done;
                    }
                }
            },
        }
        self.settle();
    }

    /// The next instruction as fetched when the previous one issued.
    #[inline]
    pub fn next_insn(&self) -> Option<Insn> {
        self.next
    }

    /// Whether the thread waits for an answer or for the quantum's end.
    #[inline]
    pub fn blocked(&self) -> bool {
        self.ready_at == PENDING
    }
}

/// What the engine tells [`issue`] about the instruction it just executed.
pub struct Issued<'a> {
    /// The decoded instruction (None if the fetch faulted).
    pub insn: Option<Insn>,
    /// Its architectural effects (load/store addresses).
    pub commit: &'a Commit,
    /// It raised an exception or an interrupt was taken instead.
    pub trapped: bool,
}

/// Update `t` after its hart issued at cycle `now`; `next` is the decoded instruction at the
/// hart's new pc (if it can be fetched).
#[allow(clippy::too_many_arguments)]
pub fn issue(
    t: &mut ThreadTiming,
    core: &mut CoreState,
    hart: &Hart,
    done: Issued<'_>,
    next: Option<Insn>,
    at: Place,
    timing: &CoreTiming,
    store_buffer: usize,
    mem: &mut impl MemPort,
    now: u64,
) {
    t.last_pick = now + 1; // 0 = never picked
    t.account_until(now);
    t.cycles.running += 1;
    t.acct_from = now + 1;
    t.floor = now + 1;
    t.floor_reason = Wait::Memory;
    t.load_done = 0;
    t.sb_wait = None;
    t.drain = false;
    t.deferred = false;
    let stall = |t: &mut ThreadTiming, until: u64, why: Wait| {
        if until > t.floor {
            t.floor = until;
            t.floor_reason = why;
        }
    };
    // Retire completed stores (oldest first; a pending one keeps its place).
    while t.stores.front().is_some_and(|&(_, c)| c <= now) {
        t.stores.pop_front();
    }
    if done.trapped {
        stall(t, now + u64::from(timing.trap), Wait::Pipeline);
    } else if let Some(i) = done.insn {
        let rd = i.rd as usize;
        let result = |t: &mut ThreadTiming, at: u64, why: Wait| {
            if rd != 0 {
                t.reg_ready[rd] = at;
                t.reg_kind[rd] = why;
            }
        };
        match i.class {
            Class::Alu | Class::Csr => {}
            Class::Branch | Class::Jump => stall(t, now + u64::from(timing.branch), Wait::Pipeline),
            Class::System => {
                if i.op == Op::Mret {
                    stall(t, now + u64::from(timing.trap), Wait::Pipeline);
                }
            }
            Class::Load => {
                let addr = done.commit.load.unwrap_or(0);
                match mem.load(at, addr, now, i.rd) {
                    None => result(t, now + u64::from(timing.load_use), Wait::Memory),
                    Some(miss) => {
                        let back = after(now, miss);
                        t.load_done = back;
                        result(t, back, Wait::Memory);
                    }
                }
            }
            Class::Store => {
                let (addr, _, _) = done.commit.store.unwrap_or((0, 0, 0));
                let seq = t.next_store;
                t.next_store = t.next_store.wrapping_add(1);
                let lat = mem.store(at, addr, now, seq);
                t.stores.push_back((seq, after(now, lat)));
                if t.stores.len() > store_buffer {
                    t.sb_wait = t.stores.pop_front();
                }
            }
            Class::Mul => result(t, now + u64::from(timing.mul), Wait::MulDiv),
            Class::Div => {
                core.div_busy_until = now + u64::from(timing.div);
                result(t, now + u64::from(timing.div), Wait::MulDiv);
            }
            Class::Atomic => {
                let c = done.commit;
                let addr = c.load.or(c.atomic).or(c.store.map(|s| s.0)).unwrap_or(0);
                let back = now + mem.atomic(at, addr, now);
                stall(t, back, Wait::Atomic);
                result(t, back, Wait::Atomic);
            }
            Class::Fence => {
                t.drain = true;
                if i.op == Op::FenceI {
                    stall(t, now + u64::from(timing.branch), Wait::Pipeline);
                }
            }
        }
    }
    t.next = None;
    t.fetch_done = 0;
    t.idle = hart.state == RunState::WaitForInterrupt;
    if t.idle {
        t.idle_since = now + 1;
        t.settle();
        return;
    }
    t.fetch_done = after(now + 1, mem.fetch(at, hart.pc, now + 1));
    t.next = next;
    t.next_is_div = next.is_some_and(|i| i.class == Class::Div);
    t.settle();
}

/// Pick the thread to issue among `threads` (indices into `timing`/`harts`) at cycle `now`:
/// the least recently issued ready thread. A thread whose next instruction divides while the
/// divider is busy is not ready; it waits (as `wait_muldiv`) until the divider is free.
#[inline]
pub fn select(
    threads: std::ops::Range<usize>,
    timing: &mut [ThreadTiming],
    harts: &[Hart],
    core: &CoreState,
    now: u64,
) -> Option<usize> {
    select_with_next(threads, timing, harts, core, now).0
}

/// [`select`], and the earliest `ready_at` of the running threads it did not pick (what
/// [`next_ready`] would say of them afterwards, found in the same pass).
#[inline]
pub fn select_with_next(
    threads: std::ops::Range<usize>,
    timing: &mut [ThreadTiming],
    harts: &[Hart],
    core: &CoreState,
    now: u64,
) -> (Option<usize>, u64) {
    let first = threads.start;
    let mut best = None;
    let mut best_pick = u64::MAX;
    let mut best_ready = u64::MAX;
    let mut others = u64::MAX;
    for (k, (t, h)) in timing[threads.clone()]
        .iter_mut()
        .zip(&harts[threads])
        .enumerate()
    {
        debug_assert_eq!(t.idle, h.state == RunState::WaitForInterrupt);
        if t.idle {
            continue;
        }
        if t.ready_at > now {
            others = others.min(t.ready_at);
            continue;
        }
        if t.next_is_div && core.div_busy_until > now {
            t.account_until(now);
            t.ready_at = core.div_busy_until;
            t.reason = Wait::MulDiv;
            others = others.min(t.ready_at);
            continue;
        }
        // Strictly older wins: among equals the lowest index (never-picked threads: 0).
        if t.last_pick < best_pick {
            others = others.min(best_ready);
            best_pick = t.last_pick;
            best_ready = t.ready_at;
            best = Some(first + k);
        } else {
            others = others.min(t.ready_at);
        }
    }
    (best, others)
}

/// Earliest `ready_at` among the running threads of `threads`.
#[inline]
pub fn next_ready(threads: std::ops::Range<usize>, timing: &[ThreadTiming], harts: &[Hart]) -> u64 {
    let mut next = u64::MAX;
    for (t, h) in timing[threads.clone()].iter().zip(&harts[threads]) {
        debug_assert_eq!(t.idle, h.state == RunState::WaitForInterrupt);
        if t.ready_at < next && !t.idle {
            next = t.ready_at;
        }
    }
    next
}
