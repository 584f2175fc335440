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
use crate::core::pipeline::{
    issue, next_ready, select_with_next, CoreState, Issued, Place, ThreadTiming,
};
use crate::core::{Ctx, Hart, RunState, Step};
use crate::mem::Dram;
use crate::platform::MemView;
use crate::stats::HartStats;
use crate::trace::Commit;
use strand_hw::isa::{Class, Insn};
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

/// Count what one issue did in `hs` and tell the timing model about it: `(instruction,
/// trapped)`, or the [`Fault`] that stops the run (an exception whose handler cannot work).
/// Shared by the parallel part and the quantum's serial part.
#[inline]
pub fn outcome(
    step: Step,
    hart: &Hart,
    hs: &mut HartStats,
    dram: &Dram,
    cycle: u64,
    h: u32,
) -> Result<(Option<Insn>, bool), Fault> {
    match step {
        Step::Retired { insn } => {
            hs.retired += 1;
            Ok((Some(insn), false))
        }
        Step::Exception { cause, tval, pc } => {
            hs.exceptions += 1;
            match unusable_handler(hart, pc, dram) {
                Some(why) => Err(Fault {
                    cycle,
                    hart: h,
                    pc,
                    cause,
                    tval,
                    why,
                }),
                None => Ok((None, true)),
            }
        }
        Step::Interrupt { .. } => {
            hs.interrupts += 1;
            Ok((None, true))
        }
        Step::Waiting => Ok((None, false)),
    }
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
    ///
    /// Tiles do not interact during a quantum, so each runs its whole quantum before the next
    /// (its harts and caches stay in the host's cache, and an idle tile skips ahead on its own);
    /// within a tile, cycles are simulated in order and cores in core order.
    pub fn run(&mut self, start: u64, end: u64, view: &MemView<'_>, s: &Shape) {
        let mut active = std::mem::take(&mut self.state.active);
        let st = &mut *self.state;
        st.retired = 0;
        st.deferred.clear();
        st.commits.clear();
        let (mut i, mut kept) = (0, 0);
        while i < active.len() {
            let tile = active[i] as usize / s.cores_per_tile;
            let mut j = i + 1;
            while j < active.len() && active[j] as usize / s.cores_per_tile == tile {
                j += 1;
            }
            let left = self.run_tile(tile, &mut active[i..j], start, end, view, s);
            active.copy_within(i..i + left, kept);
            kept += left;
            i = j;
        }
        active.truncate(kept);
        self.state.active = active;
    }

    /// Simulate cycles `start..end` of tile `tile`, whose cores with a running hart are
    /// `cores` (ascending). Returns how many of them still have one (moved to the front).
    #[allow(clippy::too_many_arguments)]
    fn run_tile(
        &mut self,
        tile: usize,
        cores: &mut [u32],
        start: u64,
        end: u64,
        view: &MemView<'_>,
        s: &Shape,
    ) -> usize {
        let st = &mut *self.state;
        let lt = tile - st.first_tile;
        let h0 = st.first_tile * s.cores_per_tile * s.threads;
        let c0 = st.first_tile * s.cores_per_tile;
        let per_group = s.threads / s.groups;
        let mut n = cores.len();
        let mut commit = Commit::default();
        let mut cycle = start;
        while cycle < end && n > 0 {
            // `mtime` costs a 128-bit division: only when a CSR instruction issues this cycle.
            let mut ctx: Option<Ctx> = None;
            let mut went_idle = false;
            let mut issued = false;
            let mut next_event = end;
            for &c in &cores[..n] {
                let lc = c as usize - c0;
                if self.cores[lc].next_ready > cycle {
                    next_event = next_event.min(self.cores[lc].next_ready);
                    continue;
                }
                // The core's next look: its threads not picked (found by the select pass)
                // and those that issue (after they do).
                let mut core_next = u64::MAX;
                for g in 0..s.groups {
                    let first = lc * s.threads + g * per_group;
                    let (pick, others) = select_with_next(
                        first..first + per_group,
                        self.timing,
                        self.harts,
                        &self.cores[lc],
                        cycle,
                    );
                    core_next = core_next.min(others);
                    let Some(l) = pick else { continue };
                    issued = true;
                    let h = h0 + l;
                    let at = Place {
                        hart: h as u32,
                        core: c,
                        tile: tile as u32,
                    };
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
                            // Its `ready_at` is PENDING: no bound on the core's next look.
                            continue;
                        }
                    }
                    let stored_before = self.stored[l];
                    let mut bus = TileBus {
                        view,
                        overlay: &mut self.overlays[lt],
                        stored: &mut self.stored[l],
                    };
                    // Only CSR instructions read `time`: the others get a context without it.
                    let reads_time = fetched.is_none_or(|i| i.class == Class::Csr);
                    let ctx = if reads_time {
                        *ctx.get_or_insert_with(|| Ctx {
                            cycle,
                            mtime: view.clint.mtime(cycle),
                        })
                    } else {
                        Ctx { cycle, mtime: 0 }
                    };
                    let step = hart.step_fetched(&mut bus, &ctx, &mut commit, fetched);
                    if !stored_before && self.stored[l] {
                        st.stored.push(h as u32);
                    }
                    let retired = matches!(step, Step::Retired { .. });
                    let waiting = step == Step::Waiting;
                    let (insn, trapped) =
                        match outcome(step, hart, &mut self.stats[l], view.dram, cycle, h as u32) {
                            Ok(o) => o,
                            Err(f) => {
                                // This tile stops here; the serial part reports the earliest
                                // fault of all tiles.
                                if st
                                    .fault
                                    .as_ref()
                                    .is_none_or(|g| (f.cycle, f.hart) < (g.cycle, g.hart))
                                {
                                    st.fault = Some(f);
                                }
                                return n;
                            }
                        };
                    if retired {
                        st.retired += 1;
                        if s.log {
                            st.commits.push((cycle, h as u32, commit.clone()));
                        }
                    }
                    went_idle |= waiting || hart.state == RunState::WaitForInterrupt;
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
                    if !t.idle {
                        core_next = core_next.min(t.ready_at);
                    }
                }
                debug_assert_eq!(core_next, {
                    let first = lc * s.threads;
                    next_ready(first..first + s.threads, self.timing, self.harts)
                });
                self.cores[lc].next_ready = core_next;
                next_event = next_event.min(core_next);
            }
            cycle += 1;
            if went_idle {
                let harts = &*self.harts;
                let mut k = 0;
                for idx in 0..n {
                    let c = cores[idx];
                    let first = (c as usize - c0) * s.threads;
                    if harts[first..first + s.threads]
                        .iter()
                        .any(|h| h.state == RunState::Running)
                    {
                        cores[k] = c;
                        k += 1;
                    }
                }
                n = k;
            }
            if !issued && next_event > cycle {
                cycle = next_event.min(end);
            }
        }
        n
    }
}
