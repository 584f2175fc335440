//! The engine: advances the machine cycle by cycle.
//!
//! This is the functional timing model of the foundation: in every cycle each running hart
//! retires (or traps on) one instruction, in `mhartid` order. The cycle-level pipeline replaces
//! "each running hart steps" with "each core's thread-select stage picks one ready hart" without
//! touching the ISA layer.
//!
//! Idle harts cost nothing: a hart in WFI leaves the active list and rejoins when its `mip & mie`
//! becomes non-zero (CLINT writes and timer deadlines are the only sources). When every hart
//! waits, the engine jumps straight to the next timer deadline.
//!
//! The run ends when the firmware writes the test finisher or HTIF `tohost`, or with a
//! [`SimError`] naming the hart, pc and cause: an exception with no trap handler installed, a
//! trap handler that itself traps at its first instruction, `--max-cycles` reached, or every hart
//! waiting for an interrupt that can never arrive.

use crate::cache::hierarchy::Hierarchy;
use crate::core::pipeline::{issue, next_ready, select, CoreState, Issued, Place, ThreadTiming};
use crate::core::{Bus, Ctx, Hart, RunState, Step};
use crate::platform::StopRequest;
use crate::stats::{HartStats, RunStats};
use crate::top::Machine;
use crate::trace::{Commit, CommitLog};
use std::fmt::Write as _;
use strand_hw::isa::csr::{cause, irq};
use thiserror::Error;

/// How a run ended badly.
#[derive(Debug, Error)]
pub enum SimError {
    /// An exception with no usable trap handler.
    #[error("hart {hart}: unhandled exception: {what} (mcause={cause}) at pc={pc:#018x}, mtval={tval:#x}; {why}")]
    UnhandledTrap {
        /// Hart.
        hart: u32,
        /// pc of the trapping instruction.
        pc: u64,
        /// mcause.
        cause: u64,
        /// Description of mcause.
        what: &'static str,
        /// mtval.
        tval: u64,
        /// Why the handler is unusable.
        why: &'static str,
    },
    /// `--max-cycles` reached.
    #[error("stopped after {cycles} cycles (--max-cycles) without the firmware exiting; still running: {harts}")]
    MaxCycles {
        /// Cycles simulated.
        cycles: u64,
        /// Summary of the harts that had not finished (hart, state, pc).
        harts: String,
    },
    /// Every hart waits and no interrupt can arrive.
    #[error("deadlock at cycle {cycle}: every hart waits in WFI and no timer is armed (e.g. hart 0 at pc={pc0:#018x})")]
    Deadlock {
        /// Cycle.
        cycle: u64,
        /// pc of hart 0.
        pc0: u64,
    },
    /// The firmware asked for a reset.
    #[error("hart {hart} requested a reset through the test finisher (0x7777); Strand does not model reset")]
    Reset {
        /// Hart.
        hart: u32,
    },
    /// Writing the commit log failed.
    #[error("cannot write the commit log: {0}")]
    Io(#[from] std::io::Error),
}

/// Run options.
pub struct RunOptions {
    /// Stop with [`SimError::MaxCycles`] after this many cycles.
    pub max_cycles: u64,
    /// Write a Spike-format commit log here.
    pub commit_log: Option<CommitLog>,
    /// Called about every `progress_every` cycles with (cycle, instructions so far).
    pub progress: Option<Box<dyn FnMut(u64, u64)>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_cycles: u64::MAX,
            commit_log: None,
            progress: None,
        }
    }
}

/// How the firmware ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    /// Exit code (0 = success).
    pub code: u64,
    /// Hart that requested the exit.
    pub hart: u32,
}

const PROGRESS_EVERY: u64 = 1 << 20;

impl Machine {
    /// Run until the firmware exits or an error stops the run.
    pub fn run(&mut self, opts: &mut RunOptions) -> Result<(Exit, RunStats), SimError> {
        let n = self.harts.len();
        let cfg = self.cfg.clone();
        let threads = cfg.core.threads as usize;
        let groups = cfg.core.thread_groups as usize;
        let per_group = threads / groups;
        let store_buffer = cfg.core.store_buffer as usize;
        let mut stats: Vec<HartStats> = vec![HartStats::default(); n];
        let mut timing: Vec<ThreadTiming> = vec![ThreadTiming::default(); n];
        let mut cores: Vec<CoreState> = vec![CoreState::default(); cfg.cores() as usize];
        let mut mem = Hierarchy::new(&cfg);
        let place = |h: usize| {
            let core = (h / threads) as u32;
            Place {
                core,
                tile: core / cfg.tile.cores,
            }
        };
        // Every thread starts by fetching its first instruction.
        for (h, t) in timing.iter_mut().enumerate() {
            let next = self.platform.fetch_insn(self.harts[h].pc).ok();
            t.schedule_first(&self.harts[h], next, place(h), &mut mem);
        }
        let mut active: Vec<u32> = (0..cores.len() as u32).collect();
        let mut commit = Commit::default();
        let mut cycle: u64 = 0;
        let mut deadline = self.platform.clint.next_deadline(0);
        let mut retired_total: u64 = 0;
        let mut next_progress = PROGRESS_EVERY;
        let result = loop {
            if cycle >= opts.max_cycles {
                break Err(SimError::MaxCycles {
                    cycles: cycle,
                    harts: self.describe_harts(),
                });
            }
            self.platform.cycle = cycle;
            if cycle >= deadline {
                self.platform.clint.collect_expired(cycle);
            }
            if cycle >= self.platform.virtio_due() {
                self.platform.service_virtio(cycle);
            }
            if self.platform.clint.dirty() {
                self.refresh_interrupts(cycle, &mut active, &mut timing, &mut cores);
                deadline = self.platform.clint.next_deadline(cycle);
            }
            if active.is_empty() {
                let deadline = deadline.min(self.platform.virtio_due());
                if deadline == u64::MAX {
                    break Err(SimError::Deadlock {
                        cycle,
                        pc0: self.harts[0].pc,
                    });
                }
                cycle = deadline.min(opts.max_cycles);
                continue;
            }
            let ctx = Ctx {
                cycle,
                mtime: self.platform.clint.mtime(cycle),
            };
            let mut went_idle = false;
            let mut issued = false;
            let mut next_event = u64::MAX;
            for &c in &active {
                let c = c as usize;
                if cores[c].next_ready > cycle {
                    next_event = next_event.min(cores[c].next_ready);
                    continue;
                }
                for g in 0..groups {
                    let first = c * threads + g * per_group;
                    let pick = select(
                        first..first + per_group,
                        &mut timing,
                        &self.harts,
                        &cores[c],
                        cycle,
                    );
                    let Some(h) = pick else { continue };
                    issued = true;
                    let hart = &mut self.harts[h];
                    let st = &mut stats[h];
                    let step = hart.step(&mut self.platform, &ctx, &mut commit);
                    let (insn, trapped) = match step {
                        Step::Retired { insn } => {
                            st.retired += 1;
                            retired_total += 1;
                            if let Some(log) = opts.commit_log.as_mut() {
                                log.record(h as u32, &commit)?;
                            }
                            went_idle |= hart.state == RunState::WaitForInterrupt;
                            (Some(insn), false)
                        }
                        Step::Exception { cause, tval, pc } => {
                            st.exceptions += 1;
                            if let Some(why) = unusable_handler(hart, pc, &self.platform) {
                                return Err(SimError::UnhandledTrap {
                                    hart: h as u32,
                                    pc,
                                    cause,
                                    what: cause::describe(cause),
                                    tval,
                                    why,
                                });
                            }
                            (None, true)
                        }
                        Step::Interrupt { .. } => {
                            st.interrupts += 1;
                            (None, true)
                        }
                        Step::Waiting => {
                            went_idle = true;
                            (None, false)
                        }
                    };
                    let next = self.platform.fetch_insn(hart.pc).ok();
                    let done = Issued {
                        insn,
                        commit: &commit,
                        trapped,
                    };
                    issue(
                        &mut timing[h],
                        &mut cores[c],
                        hart,
                        done,
                        next,
                        place(h),
                        &cfg.core.timing,
                        store_buffer,
                        &mut mem,
                        cycle,
                    );
                }
                let first = c * threads;
                cores[c].next_ready = next_ready(first..first + threads, &timing, &self.harts);
                next_event = next_event.min(cores[c].next_ready);
            }
            if self.platform.stop.is_some() {
                // The other cores finished this cycle too (as hardware would); the first exit
                // request of the cycle wins.
                break self.stop_result();
            }
            cycle += 1;
            if went_idle {
                let harts = &self.harts;
                active.retain(|&c| {
                    let first = c as usize * threads;
                    harts[first..first + threads]
                        .iter()
                        .any(|h| h.state == RunState::Running)
                });
            }
            if !issued && next_event > cycle && !self.platform.clint.dirty() {
                // Nothing can issue before `next_event`: jump (waiting is accounted lazily).
                cycle = next_event
                    .min(deadline)
                    .min(self.platform.virtio_due())
                    .min(opts.max_cycles)
                    .max(cycle);
            }
            if cycle >= next_progress {
                next_progress = cycle + PROGRESS_EVERY;
                if let Some(p) = opts.progress.as_mut() {
                    p(cycle, retired_total);
                }
            }
        };
        if let Some(log) = opts.commit_log.as_mut() {
            log.flush()?;
        }
        self.platform.uart.flush();
        let exit = result?;
        let end = cycle + 1;
        for (h, t) in timing.iter_mut().enumerate() {
            if self.harts[h].state == RunState::WaitForInterrupt {
                t.cycles.idle += end.saturating_sub(t.idle_since);
            } else {
                t.account_until(end);
            }
            stats[h].cycles = t.cycles;
        }
        Ok((exit, RunStats::new(&self.cfg, end, stats, &mem)))
    }

    fn stop_result(&self) -> Result<Exit, SimError> {
        match self.platform.stop.expect("stop requested") {
            StopRequest::Exit { code, hart } => Ok(Exit { code, hart }),
            StopRequest::Reset { hart } => Err(SimError::Reset { hart }),
        }
    }

    /// Re-read the CLINT lines of the harts whose lines may have changed (all of them after a
    /// timer deadline or an `mtime` write) into their `mip`, and wake harts that have work.
    fn refresh_interrupts(
        &mut self,
        cycle: u64,
        active: &mut Vec<u32>,
        timing: &mut [ThreadTiming],
        cores: &mut [CoreState],
    ) {
        let threads = self.cfg.core.threads;
        let clint = &mut self.platform.clint;
        let all = std::mem::take(&mut clint.all_changed);
        let mut changed = std::mem::take(&mut clint.changed);
        if all {
            changed.clear();
            changed.extend(0..self.harts.len() as u32);
        }
        let n_active = active.len();
        for &h in &changed {
            let hart = &mut self.harts[h as usize];
            let lines = clint.mip(h, cycle);
            hart.csr.mip = (hart.csr.mip & !(irq::MSI | irq::MTI)) | lines;
            if hart.state == RunState::WaitForInterrupt && hart.csr.mip & hart.csr.mie != 0 {
                hart.state = RunState::Running;
                let t = &mut timing[h as usize];
                t.cycles.idle += cycle.saturating_sub(t.idle_since);
                t.acct_from = cycle;
                t.ready_at = t.ready_at.max(cycle);
                let core = &mut cores[(h / threads) as usize];
                core.next_ready = core.next_ready.min(t.ready_at);
                active.push(h / threads);
            }
        }
        if active.len() != n_active {
            // Keep core order (determinism).
            active.sort_unstable();
            active.dedup();
        }
        changed.clear();
        if !all {
            // Hand the allocation back for reuse.
            clint.changed = changed;
        }
    }

    /// One line per unfinished hart (at most 8, then a count).
    fn describe_harts(&self) -> String {
        let mut s = String::new();
        for (i, h) in self.harts.iter().enumerate().take(8) {
            let state = match h.state {
                RunState::Running => "running",
                RunState::WaitForInterrupt => "in WFI",
            };
            let _ = write!(
                s,
                "{}hart {} {} at pc={:#018x}",
                if i > 0 { "; " } else { "" },
                h.id,
                state,
                h.pc
            );
        }
        if self.harts.len() > 8 {
            let _ = write!(s, "; ... and {} more harts", self.harts.len() - 8);
        }
        s
    }
}

/// Why the trap handler the hart just entered cannot work, if it cannot.
fn unusable_handler(
    hart: &Hart,
    trap_pc: u64,
    platform: &crate::platform::Platform,
) -> Option<&'static str> {
    if hart.csr.mtvec & !3 == 0 {
        return Some("mtvec is 0: the firmware installed no trap handler");
    }
    if platform.dram.offset(hart.pc, 4).is_none() {
        return Some("mtvec points outside DRAM");
    }
    if hart.pc == trap_pc {
        return Some("the trap handler's first instruction traps itself");
    }
    None
}
