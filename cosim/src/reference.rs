//! The reference timing model: the simulator's own engine (`Machine::run`, `sim/src/engine/`)
//! restated quantum by quantum, so that every issue comes out with its cycle (the engine writes
//! commit records without cycles).
//!
//! It reuses the simulator's public pieces: harts (`Hart::step_fetched`), platform, memory
//! hierarchy ([`Hierarchy`], `TileMem` through `MemPort`), and the pipeline's
//! [`issue`] / [`select`] / [`next_ready`] on [`ThreadTiming`] and [`CoreState`], and the
//! tile's functional memory during a quantum ([`Overlay`], [`TileBus`], [`must_defer`] of
//! `strand_sim::engine::tile_bus`). The quantum loop itself is restated here: its serial part
//! (`sim/src/engine/mod.rs`, `Machine::run`) and its parallel part (`sim/src/engine/chunk.rs`,
//! `Chunk::run`) as one chunk holding every tile, stepping all tiles cycle by cycle (the engine
//! runs each tile's quantum in turn; tiles do not interact within a quantum, so the results
//! are the same, see `docs/pipeline.md`, "Quanta").
//! [`crate::check_engine`] checks that this model's commit log and cycle count equal
//! `Machine::run`'s.

use strand_hw::isa::csr::irq;
use strand_hw::params::CoreTiming;
use strand_sim::cache::hierarchy::Hierarchy;
use strand_sim::cache::tile::PENDING;
use strand_sim::core::pipeline::{
    issue, next_ready, select, CoreState, Issued, Place, ThreadTiming,
};
use strand_sim::core::Bus;
use strand_sim::core::{Ctx, RunState, Step};
pub use strand_sim::engine::tile_bus::{defers, Overlay};
use strand_sim::engine::tile_bus::{must_defer, TileBus};
use strand_sim::engine::unusable_handler;
use strand_sim::trace::Commit;
use strand_sim::Machine;

/// One issue slot used by a hart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An instruction retired.
    Retired(Commit),
    /// An exception (cause, tval) was raised by the instruction at `pc`.
    Exception {
        /// mcause.
        cause: u64,
        /// mtval.
        tval: u64,
        /// pc of the instruction.
        pc: u64,
    },
    /// An interrupt was taken (mcause).
    Interrupt(u64),
}

/// One quantum of the engine: cycles `[start, end)` and every issue in them, in
/// `(cycle, hart)` order (the order the engine writes its commit log in).
#[derive(Clone, Debug, Default)]
pub struct Quantum {
    /// First cycle.
    pub start: u64,
    /// The quantum's end: requests to home slices are answered and deferred instructions are
    /// executed here.
    pub end: u64,
    /// `(cycle, hart, event)`.
    pub events: Vec<(u64, u32, Event)>,
}

/// The machine and the engine's timing state, one quantum per [`Reference::quantum`].
pub struct Reference {
    /// The simulator's machine (harts + platform).
    pub m: Machine,
    mem: Hierarchy,
    timing: Vec<ThreadTiming>,
    cores: Vec<CoreState>,
    stored: Vec<bool>,
    overlays: Vec<Overlay>,
    tm: CoreTiming,
    threads: usize,
    groups: usize,
    store_buffer: usize,
    /// `Q`: the quantum's length.
    pub quantum_len: u64,
    deadline: u64,
    /// The engine's cycle: the next quantum boundary (after the last quantum, the run's cycle
    /// count).
    pub cycle: u64,
}

impl Reference {
    /// Start `m` (loaded, not run) at cycle 0: every thread fetches its first instruction.
    pub fn new(mut m: Machine) -> Reference {
        let cfg = m.cfg.clone();
        let mut mem = Hierarchy::new(&cfg);
        let n = m.harts.len();
        let mut timing = vec![ThreadTiming::default(); n];
        for (h, t) in timing.iter_mut().enumerate() {
            let next = m.platform.fetch_insn(m.harts[h].pc).ok();
            t.schedule_first(&m.harts[h], next, place(&cfg, h), &mut mem);
        }
        let threads = cfg.core.threads as usize;
        let ncores = cfg.cores() as usize;
        let mut cores = vec![CoreState::default(); ncores];
        for (c, core) in cores.iter_mut().enumerate() {
            core.next_ready = next_ready(c * threads..(c + 1) * threads, &timing, &m.harts);
        }
        let quantum_len = mem.uncore.min_latency();
        let deadline = m.platform.clint.next_deadline(0);
        Reference {
            mem,
            timing,
            cores,
            stored: vec![false; n],
            overlays: (0..cfg.tiles()).map(|_| Overlay::default()).collect(),
            tm: cfg.core.timing.clone(),
            threads,
            groups: cfg.core.thread_groups as usize,
            store_buffer: cfg.core.store_buffer as usize,
            quantum_len,
            deadline,
            cycle: 0,
            m,
        }
    }

    /// Whether core `c` has a running hart (the engine's chunks' `active` lists).
    fn active(&self, c: usize) -> bool {
        self.m.harts[c * self.threads..(c + 1) * self.threads]
            .iter()
            .any(|h| h.state == RunState::Running)
    }

    /// Simulate the next quantum (`Machine::run`'s loop body, `sim/src/engine/mod.rs`).
    /// Errors: an unhandled trap or a deadlock, as the engine's `SimError` text.
    pub fn quantum(&mut self) -> Result<Quantum, String> {
        let mut cycle = self.cycle;
        let cfg = self.m.cfg.clone();
        loop {
            // Events at the quantum boundary.
            self.m.platform.cycle = cycle;
            if cycle >= self.deadline {
                self.m.platform.clint.collect_expired(cycle);
            }
            if cycle >= self.m.platform.virtio_due() {
                self.m.platform.service_virtio(cycle);
            }
            if self.m.platform.clint.dirty() {
                self.refresh_interrupts(cycle);
                self.deadline = self.m.platform.clint.next_deadline(cycle);
            }
            let events = self.deadline.min(self.m.platform.virtio_due());
            let ready = (0..cfg.cores() as usize)
                .filter(|&c| self.active(c))
                .map(|c| self.cores[c].next_ready)
                .min();
            let Some(ready) = ready else {
                if events == u64::MAX {
                    return Err(format!(
                        "deadlock at cycle {cycle}: every hart waits in WFI and no timer is armed"
                    ));
                }
                cycle = events;
                continue;
            };
            if ready > cycle {
                cycle = ready.min(events).max(cycle + 1);
                continue;
            }
            let end =
                (cycle + self.quantum_len).min(if events > cycle { events } else { u64::MAX });
            let mut q = Quantum {
                start: cycle,
                end,
                events: Vec::new(),
            };
            let deferred = self.parallel(cycle, end, &mut q.events)?;
            self.serial(end, deferred, &mut q.events)?;
            q.events.sort_by_key(|&(c, h, _)| (c, h));
            self.cycle = end;
            return Ok(q);
        }
    }

    /// `Machine::refresh_interrupts` (`sim/src/engine/mod.rs`).
    fn refresh_interrupts(&mut self, cycle: u64) {
        let clint = &mut self.m.platform.clint;
        let all = std::mem::take(&mut clint.all_changed);
        let mut changed = std::mem::take(&mut clint.changed);
        if all {
            changed.clear();
            changed.extend(0..self.m.harts.len() as u32);
        }
        for &h in &changed {
            let hart = &mut self.m.harts[h as usize];
            let lines = clint.mip(h, cycle);
            hart.csr.mip = (hart.csr.mip & !(irq::MSI | irq::MTI)) | lines;
            if hart.state == RunState::WaitForInterrupt && hart.csr.mip & hart.csr.mie != 0 {
                hart.state = RunState::Running;
                let t = &mut self.timing[h as usize];
                t.idle = false;
                t.cycles.idle += cycle.saturating_sub(t.idle_since);
                t.acct_from = cycle;
                t.ready_at = t.ready_at.max(cycle);
                let core = &mut self.cores[h as usize / self.threads];
                core.next_ready = core.next_ready.min(t.ready_at);
            }
        }
        changed.clear();
        if !all {
            clint.changed = changed;
        }
    }

    /// The parallel part: every tile, cycles `start..end` (`Chunk::run`,
    /// `sim/src/engine/chunk.rs`). Returns the deferred instructions `(cycle, hart)`.
    fn parallel(
        &mut self,
        start: u64,
        end: u64,
        out: &mut Vec<(u64, u32, Event)>,
    ) -> Result<Vec<(u64, u32)>, String> {
        let cfg = self.m.cfg.clone();
        let view = self.m.platform.view();
        let per_group = self.threads / self.groups;
        let mut deferred = Vec::new();
        let mut commit = Commit::default();
        let mut cycle = start;
        while cycle < end {
            let mut issued = false;
            let mut next_event = end;
            for c in 0..cfg.cores() as usize {
                if !self.m.harts[c * self.threads..(c + 1) * self.threads]
                    .iter()
                    .any(|h| h.state == RunState::Running)
                {
                    continue;
                }
                if self.cores[c].next_ready > cycle {
                    next_event = next_event.min(self.cores[c].next_ready);
                    continue;
                }
                for g in 0..self.groups {
                    let first = c * self.threads + g * per_group;
                    let pick = select(
                        first..first + per_group,
                        &mut self.timing,
                        &self.m.harts,
                        &self.cores[c],
                        cycle,
                    );
                    let Some(h) = pick else { continue };
                    issued = true;
                    let at = place(&cfg, h);
                    let tile = at.tile as usize;
                    let hart = &mut self.m.harts[h];
                    let t = &mut self.timing[h];
                    let fetched = t.next_insn().or_else(|| view.fetch_insn(hart.pc).ok());
                    if let Some(i) = fetched {
                        if must_defer(hart, &i, self.stored[h], &view) {
                            t.account_until(cycle);
                            t.last_pick = cycle + 1;
                            t.deferred = true;
                            t.ready_at = PENDING;
                            deferred.push((cycle, h as u32));
                            continue;
                        }
                    }
                    let mut bus = TileBus {
                        view: &view,
                        overlay: &mut self.overlays[tile],
                        stored: &mut self.stored[h],
                    };
                    let ctx = Ctx {
                        cycle,
                        mtime: view.clint.mtime(cycle),
                    };
                    let step = hart.step_fetched(&mut bus, &ctx, &mut commit, fetched);
                    let (insn, trapped) = match step {
                        Step::Retired { insn } => {
                            out.push((cycle, h as u32, Event::Retired(commit.clone())));
                            (Some(insn), false)
                        }
                        Step::Exception { cause, tval, pc } => {
                            if let Some(why) = unusable_handler(hart, pc, view.dram) {
                                return Err(unhandled(h, pc, cause, tval, why));
                            }
                            out.push((cycle, h as u32, Event::Exception { cause, tval, pc }));
                            (None, true)
                        }
                        Step::Interrupt { cause } => {
                            out.push((cycle, h as u32, Event::Interrupt(cause)));
                            (None, true)
                        }
                        Step::Waiting => (None, false),
                    };
                    let next = view.fetch_insn(hart.pc).ok();
                    issue(
                        t,
                        &mut self.cores[c],
                        hart,
                        Issued {
                            insn,
                            commit: &commit,
                            trapped,
                        },
                        next,
                        at,
                        &self.tm,
                        self.store_buffer,
                        &mut self.mem.tiles[tile],
                        cycle,
                    );
                }
                let first = c * self.threads;
                self.cores[c].next_ready =
                    next_ready(first..first + self.threads, &self.timing, &self.m.harts);
                next_event = next_event.min(self.cores[c].next_ready);
            }
            cycle += 1;
            if !issued && next_event > cycle {
                cycle = next_event.min(end);
            }
        }
        Ok(deferred)
    }

    /// The serial part at the quantum's end (`Machine::run`, `sim/src/engine/mod.rs`): stores
    /// reach DRAM, the home slices answer, deferred instructions execute in `(cycle, hart)`
    /// order with the timing of their cycle and resume no earlier than `end`.
    fn serial(
        &mut self,
        end: u64,
        mut deferred: Vec<(u64, u32)>,
        out: &mut Vec<(u64, u32, Event)>,
    ) -> Result<(), String> {
        let cfg = self.m.cfg.clone();
        let mut touched: Vec<u32> = Vec::new();
        self.stored.iter_mut().for_each(|s| *s = false);
        let mut words = Vec::new();
        for o in &mut self.overlays {
            if !o.is_empty() {
                o.apply(&mut self.m.platform.dram, &mut words);
            }
        }
        for (hart, addr) in words.drain(..) {
            self.m.platform.stored_hart(hart, addr);
        }
        let timing = &mut self.timing;
        self.mem.resolve_quantum(end, |w, done| {
            timing[w.hart as usize].answer(w.on, done);
            touched.push(w.hart);
        });
        deferred.sort_unstable();
        let mut commit = Commit::default();
        for &(now, hu) in &deferred {
            let h = hu as usize;
            touched.push(hu);
            self.m.platform.cycle = now;
            let ctx = Ctx {
                cycle: now,
                mtime: self.m.platform.clint.mtime(now),
            };
            let hart = &mut self.m.harts[h];
            let (insn, trapped) = match hart.step(&mut self.m.platform, &ctx, &mut commit) {
                Step::Retired { insn } => {
                    out.push((now, hu, Event::Retired(commit.clone())));
                    (Some(insn), false)
                }
                Step::Exception { cause, tval, pc } => {
                    if let Some(why) = unusable_handler(hart, pc, &self.m.platform.dram) {
                        return Err(unhandled(h, pc, cause, tval, why));
                    }
                    out.push((now, hu, Event::Exception { cause, tval, pc }));
                    (None, true)
                }
                Step::Interrupt { cause } => {
                    out.push((now, hu, Event::Interrupt(cause)));
                    (None, true)
                }
                Step::Waiting => (None, false),
            };
            let next = self.m.platform.fetch_insn(hart.pc).ok();
            let at = place(&cfg, h);
            let t = &mut self.timing[h];
            issue(
                t,
                &mut self.cores[at.core as usize],
                hart,
                Issued {
                    insn,
                    commit: &commit,
                    trapped,
                },
                next,
                at,
                &self.tm,
                self.store_buffer,
                &mut self.mem,
                now,
            );
            if t.ready_at < end {
                // It could not have issued before the quantum's end.
                t.ready_at = end;
            }
        }
        for &h in &touched {
            let c = h as usize / self.threads;
            let first = c * self.threads;
            self.cores[c].next_ready =
                next_ready(first..first + self.threads, &self.timing, &self.m.harts);
        }
        Ok(())
    }

    /// The run has ended (finisher or HTIF exit).
    pub fn stopped(&self) -> bool {
        self.m.platform.stop.is_some()
    }
}

fn unhandled(h: usize, pc: u64, cause: u64, tval: u64, why: &str) -> String {
    format!(
        "hart {h}: unhandled exception (mcause={cause}) at pc={pc:#018x}, mtval={tval:#x}; {why}"
    )
}

/// Where hart `h` sits.
pub fn place(cfg: &strand_hw::ChipConfig, h: usize) -> Place {
    let core = (h / cfg.core.threads as usize) as u32;
    Place {
        hart: h as u32,
        core,
        tile: core / cfg.tile.cores,
    }
}
