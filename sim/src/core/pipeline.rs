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
use crate::cache::hierarchy::Hierarchy;
use crate::trace::Commit;
use serde::Serialize;
use std::collections::VecDeque;
use strand_hw::isa::{Class, Format, Insn, Op};
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
#[derive(Clone, Debug)]
pub struct ThreadTiming {
    /// Earliest cycle the next instruction may issue.
    pub ready_at: u64,
    /// Why it waits until `ready_at`.
    pub reason: Wait,
    /// Cycle this thread last issued (LRU thread select).
    pub last_pick: u64,
    /// The next instruction needs the shared divider.
    pub next_is_div: bool,
    /// Scoreboard: cycle each register's value is available, and what produces it.
    reg_ready: [u64; 32],
    reg_kind: [Wait; 32],
    /// Completion cycles of stores in the store buffer (oldest first).
    stores: VecDeque<u64>,
    /// Cycle the thread entered WFI.
    pub idle_since: u64,
    /// First cycle not yet accounted in `cycles` (accounting is lazy: a waiting thread costs
    /// nothing per cycle).
    pub acct_from: u64,
    /// Cycles by state.
    pub cycles: StateCycles,
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
    /// Global core index.
    pub core: u32,
    /// Tile index.
    pub tile: u32,
}

/// Which registers an instruction reads (rs1, rs2).
#[inline]
fn sources(i: &Insn) -> (bool, bool) {
    let f = i.op.row().map_or(Format::None, |r| r.format);
    match f {
        Format::R | Format::S | Format::B | Format::Amo => (true, true),
        Format::I | Format::Shift | Format::ShiftW => (true, false),
        Format::Csr => (!matches!(i.op, Op::Csrrwi | Op::Csrrsi | Op::Csrrci), false),
        Format::U | Format::J | Format::Fence | Format::None => (false, false),
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
        place: Place,
        mem: &mut Hierarchy,
    ) {
        let fetch = mem.fetch(place.core, place.tile, hart.pc, 0);
        self.ready_at = fetch;
        self.next_is_div = insn.is_some_and(|i| i.op.class() == Class::Div);
    }

    /// Work out when the instruction at the hart's pc can issue, after the previous one issued
    /// at `now` and the thread is otherwise ready at `self.ready_at`.
    fn schedule_next(
        &mut self,
        hart: &Hart,
        insn: Option<Insn>,
        place: Place,
        mem: &mut Hierarchy,
        now: u64,
    ) {
        let fetch = mem.fetch(place.core, place.tile, hart.pc, now + 1);
        if fetch > 0 && now + 1 + fetch > self.ready_at {
            self.ready_at = now + 1 + fetch;
            self.reason = Wait::Memory;
        }
        self.next_is_div = false;
        let Some(i) = insn else { return };
        self.next_is_div = i.op.class() == Class::Div;
        let (r1, r2) = sources(&i);
        let mut deps = [0u8; 3];
        let mut n = 0;
        if r1 {
            deps[n] = i.rs1;
            n += 1;
        }
        if r2 {
            deps[n] = i.rs2;
            n += 1;
        }
        deps[n] = i.rd; // write-after-write with an outstanding producer
        n += 1;
        for &r in &deps[..n] {
            if r != 0 && self.reg_ready[r as usize] > self.ready_at {
                self.ready_at = self.reg_ready[r as usize];
                self.reason = self.reg_kind[r as usize];
            }
        }
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
    place: Place,
    timing: &CoreTiming,
    store_buffer: usize,
    mem: &mut Hierarchy,
    now: u64,
) {
    t.last_pick = now + 1; // 0 = never picked
    t.account_until(now);
    t.cycles.running += 1;
    t.acct_from = now + 1;
    t.ready_at = now + 1;
    t.reason = Wait::Memory;
    let stall = |t: &mut ThreadTiming, until: u64, why: Wait| {
        if until > t.ready_at {
            t.ready_at = until;
            t.reason = why;
        }
    };
    while t.stores.front().is_some_and(|&c| c <= now) {
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
        match i.op.class() {
            Class::Alu | Class::Csr => {}
            Class::Branch | Class::Jump => stall(t, now + u64::from(timing.branch), Wait::Pipeline),
            Class::System => {
                if i.op == Op::Mret {
                    stall(t, now + u64::from(timing.trap), Wait::Pipeline);
                }
            }
            Class::Load => {
                let addr = done.commit.load.unwrap_or(0);
                match mem.load(place.core, place.tile, addr, now) {
                    Ok(()) => result(t, now + u64::from(timing.load_use), Wait::Memory),
                    Err(miss) => {
                        stall(t, now + miss, Wait::Memory);
                        result(t, now + miss, Wait::Memory);
                    }
                }
            }
            Class::Store => {
                let (addr, _, _) = done.commit.store.unwrap_or((0, 0, 0));
                let start = t.stores.back().copied().unwrap_or(now).max(now);
                t.stores
                    .push_back(start + mem.store(place.core, place.tile, addr, start));
                if t.stores.len() > store_buffer {
                    let oldest = t.stores.pop_front().expect("non-empty");
                    stall(t, oldest, Wait::Memory);
                }
            }
            Class::Mul => result(t, now + u64::from(timing.mul), Wait::MulDiv),
            Class::Div => {
                core.div_busy_until = now + u64::from(timing.div);
                result(t, now + u64::from(timing.div), Wait::MulDiv);
            }
            Class::Atomic => {
                let addr = done
                    .commit
                    .load
                    .or(done.commit.store.map(|s| s.0))
                    .unwrap_or(0);
                let back = now + mem.atomic(place.core, place.tile, addr, now);
                stall(t, back, Wait::Atomic);
                result(t, back, Wait::Atomic);
            }
            Class::Fence => {
                let drained = t.stores.back().copied().unwrap_or(now);
                stall(t, drained, Wait::Fence);
                if i.op == Op::FenceI {
                    stall(t, now + u64::from(timing.branch), Wait::Pipeline);
                }
            }
        }
    }
    if hart.state == RunState::WaitForInterrupt {
        t.idle_since = now + 1;
        return;
    }
    t.schedule_next(hart, next, place, mem, now);
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
    let mut best: Option<usize> = None;
    for h in threads {
        if harts[h].state == RunState::WaitForInterrupt {
            continue;
        }
        let t = &mut timing[h];
        if t.ready_at > now {
            continue;
        }
        if t.next_is_div && core.div_busy_until > now {
            t.account_until(now);
            t.ready_at = core.div_busy_until;
            t.reason = Wait::MulDiv;
            continue;
        }
        match best {
            Some(b) if timing[b].last_pick <= timing[h].last_pick => {}
            _ => best = Some(h),
        }
    }
    best
}

/// Earliest `ready_at` among the running threads of `threads`.
#[inline]
pub fn next_ready(threads: std::ops::Range<usize>, timing: &[ThreadTiming], harts: &[Hart]) -> u64 {
    threads
        .filter(|&h| harts[h].state == RunState::Running)
        .map(|h| timing[h].ready_at)
        .min()
        .unwrap_or(u64::MAX)
}
