//! The parallel part of a quantum: a contiguous range of tiles, cycle by cycle.
//!
//! A chunk owns its tiles' harts, thread timing, cores, caches and store overlays for the
//! quantum, and reads nothing else that anybody writes (DRAM and code are read through
//! [`MemView`]). What needs the rest of the chip is left for the serial part: requests to home
//! slices (in the tiles' request lists), instructions that must wait ([`Deferred`]), commit
//! records and the first unhandled trap.

use super::tile_bus::{must_defer, Overlay, TileBus};
use super::unusable_handler;
use crate::cache::tile::{TileMem, PENDING};
use crate::core::pipeline::{issue, next_ready, select, CoreState, Issued, Place, ThreadTiming};
use crate::core::{Ctx, Hart, RunState, Step};
use crate::platform::MemView;
use crate::stats::HartStats;
use crate::trace::Commit;
use strand_hw::params::CoreTiming;

/// Chip shape constants every chunk needs.
#[derive(Clone)]
pub struct Shape {
    /// Threads per core.
    pub threads: usize,
    /// Thread groups per core.
    pub groups: usize,
    /// Cores per tile.
    pub cores_per_tile: usize,
    /// Store-buffer entries per thread.
    pub store_buffer: usize,
    /// Pipeline latencies.
    pub timing: CoreTiming,
    /// Keep commit records for the commit log.
    pub log: bool,
}

impl Shape {
    /// Where hart `h` sits.
    #[inline]
    pub fn place(&self, h: usize) -> Place {
        let core = h / self.threads;
        Place {
            hart: h as u32,
            core: core as u32,
            tile: (core / self.cores_per_tile) as u32,
        }
    }
}

/// An instruction left for the serial part: hart `hart` was picked at `cycle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deferred {
    /// Cycle the thread-select stage picked it.
    pub cycle: u64,
    /// Global hart index.
    pub hart: u32,
}

/// An unhandled trap seen during the parallel part.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    /// Cycle.
    pub cycle: u64,
    /// Hart.
    pub hart: u32,
    /// pc of the trapping instruction.
    pub pc: u64,
    /// mcause.
    pub cause: u64,
    /// mtval.
    pub tval: u64,
    /// Why the handler cannot run.
    pub why: &'static str,
}

/// What a chunk keeps between quanta and reports after each.
#[derive(Default)]
pub struct ChunkState {
    /// First tile.
    pub first_tile: usize,
    /// Tiles.
    pub tiles: usize,
    /// Cores (global indices) with a running hart, ascending.
    pub active: Vec<u32>,
    /// Instructions retired in the last quantum.
    pub retired: u64,
    /// Instructions left for the serial part.
    pub deferred: Vec<Deferred>,
    /// Harts that stored in the last quantum (their `stored` flags to clear).
    pub stored: Vec<u32>,
    /// Commit records `(cycle, hart, record)` of the last quantum (with a commit log).
    pub commits: Vec<(u64, u32, Commit)>,
    /// The first unhandled trap.
    pub fault: Option<Fault>,
}

/// The mutable slices of one chunk during the parallel part.
pub struct Chunk<'a> {
    /// Harts of the chunk's tiles.
    pub harts: &'a mut [Hart],
    /// Their timing.
    pub timing: &'a mut [ThreadTiming],
    /// Their counters.
    pub stats: &'a mut [HartStats],
    /// Whether each stored this quantum.
    pub stored: &'a mut [bool],
    /// The chunk's cores.
    pub cores: &'a mut [CoreState],
    /// The chunk's tiles' caches.
    pub tiles: &'a mut [TileMem],
    /// The chunk's tiles' store overlays.
    pub overlays: &'a mut [Overlay],
    /// Persistent state and results.
    pub state: &'a mut ChunkState,
}

impl Chunk<'_> {
    /// Simulate cycles `start..end` of the chunk's tiles.
    pub fn run(&mut self, start: u64, end: u64, view: &MemView<'_>, s: &Shape) {
        let st = &mut *self.state;
        st.retired = 0;
        st.deferred.clear();
        st.commits.clear();
        let h0 = st.first_tile * s.cores_per_tile * s.threads;
        let c0 = st.first_tile * s.cores_per_tile;
        let per_group = s.threads / s.groups;
        let mut commit = Commit::default();
        let mut cycle = start;
        while cycle < end {
            // `mtime` costs a 128-bit division: only when a hart issues this cycle.
            let mut ctx: Option<Ctx> = None;
            let mut went_idle = false;
            let mut issued = false;
            let mut next_event = end;
            for &c in &st.active {
                let lc = c as usize - c0;
                if self.cores[lc].next_ready > cycle {
                    next_event = next_event.min(self.cores[lc].next_ready);
                    continue;
                }
                for g in 0..s.groups {
                    let first = lc * s.threads + g * per_group;
                    let pick = select(
                        first..first + per_group,
                        self.timing,
                        self.harts,
                        &self.cores[lc],
                        cycle,
                    );
                    let Some(l) = pick else { continue };
                    issued = true;
                    let h = h0 + l;
                    let at = s.place(h);
                    let lt = at.tile as usize - st.first_tile;
                    let hart = &mut self.harts[l];
                    let t = &mut self.timing[l];
                    // The instruction fetched when the thread last issued (a hart may see
                    // another hart's code changes late: RISC-V requires FENCE.I for them).
                    let fetched = t.next_insn().or_else(|| view.fetch_insn(hart.pc).ok());
                    if let Some(i) = fetched {
                        if must_defer(hart, &i, self.stored[l], view) {
                            t.account_until(cycle);
                            t.last_pick = cycle + 1;
                            t.deferred = true;
                            t.ready_at = PENDING;
                            st.deferred.push(Deferred {
                                cycle,
                                hart: h as u32,
                            });
                            continue;
                        }
                    }
                    let stored_before = self.stored[l];
                    let mut bus = TileBus {
                        view,
                        overlay: &mut self.overlays[lt],
                        stored: &mut self.stored[l],
                    };
                    let ctx = ctx.get_or_insert_with(|| Ctx {
                        cycle,
                        mtime: view.clint.mtime(cycle),
                    });
                    let step = hart.step_fetched(&mut bus, ctx, &mut commit, fetched);
                    if !stored_before && self.stored[l] {
                        st.stored.push(h as u32);
                    }
                    let hs = &mut self.stats[l];
                    let (insn, trapped) = match step {
                        Step::Retired { insn } => {
                            hs.retired += 1;
                            st.retired += 1;
                            if s.log {
                                st.commits.push((cycle, h as u32, commit.clone()));
                            }
                            went_idle |= hart.state == RunState::WaitForInterrupt;
                            (Some(insn), false)
                        }
                        Step::Exception { cause: c, tval, pc } => {
                            hs.exceptions += 1;
                            if let Some(why) = unusable_handler(hart, pc, view.dram) {
                                st.fault = Some(Fault {
                                    cycle,
                                    hart: h as u32,
                                    pc,
                                    cause: c,
                                    tval,
                                    why,
                                });
                                return;
                            }
                            (None, true)
                        }
                        Step::Interrupt { .. } => {
                            hs.interrupts += 1;
                            (None, true)
                        }
                        Step::Waiting => {
                            went_idle = true;
                            (None, false)
                        }
                    };
                    let next = view.fetch_insn(hart.pc).ok();
                    let done = Issued {
                        insn,
                        commit: &commit,
                        trapped,
                    };
                    issue(
                        t,
                        &mut self.cores[lc],
                        hart,
                        done,
                        next,
                        at,
                        &s.timing,
                        s.store_buffer,
                        &mut self.tiles[lt],
                        cycle,
                    );
                }
                let first = lc * s.threads;
                self.cores[lc].next_ready =
                    next_ready(first..first + s.threads, self.timing, self.harts);
                next_event = next_event.min(self.cores[lc].next_ready);
            }
            cycle += 1;
            if went_idle {
                let harts = &*self.harts;
                st.active.retain(|&c| {
                    let first = (c as usize - c0) * s.threads;
                    harts[first..first + s.threads]
                        .iter()
                        .any(|h| h.state == RunState::Running)
                });
            }
            if !issued && next_event > cycle {
                cycle = next_event.min(end);
            }
        }
    }
}
