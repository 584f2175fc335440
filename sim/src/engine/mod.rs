//! The engine: advances the machine quantum by quantum, tiles in parallel, deterministically.
//!
//! ```text
//!  quantum [T, E), E = min(T + Q, next timer deadline, virtio service, --max-cycles)
//!  ┌ parallel part: each chunk of tiles, cycle by cycle (engine/chunk.rs):
//!  │    thread select → Hart::step on the tile's bus (engine/tile_bus.rs) → pipeline::issue
//!  │    L2 misses / ownership → requests (PENDING);  AMO, LR/SC, device access, FENCE after
//!  │    own stores → deferred to the serial part
//!  └ serial part, at E, in a fixed order:
//!       1. every tile's stores reach DRAM (tile order)
//!       2. the home slices serve every request, in (cycle, tile, order) order
//!       3. deferred instructions execute, in (cycle, hart) order, on the real platform
//!       4. commit records are written in (cycle, hart) order; timers, IPIs, virtio, exit
//! ```
//!
//! `Q` is the fewest cycles any request to a home slice takes (L2 tag check + directory
//! lookup), so no answer is ever needed inside the quantum that asked for it. Nothing in a
//! chunk depends on another chunk during the parallel part, and the serial part's order does
//! not depend on the chunks, so any number of host threads gives the same cycles, commit logs
//! and statistics (`docs/pipeline.md`, "Quanta").
//!
//! Idle harts cost nothing: a hart in WFI leaves its chunk's active list and rejoins when its
//! `mip & mie` becomes non-zero. When nothing can issue, the engine jumps to the next event.
//!
//! The run ends when the firmware writes the test finisher or HTIF `tohost`, or with a
//! [`SimError`] naming the hart, pc and cause: an exception with no trap handler installed, a
//! trap handler that itself traps at its first instruction, `--max-cycles` reached, or every hart
//! waiting for an interrupt that can never arrive.

mod chunk;
mod gang;
pub mod tile_bus;

use crate::cache::hierarchy::Hierarchy;
use crate::cache::tile::PENDING;
use crate::core::pipeline::{issue, next_ready, CoreState, Issued, ThreadTiming};
use crate::core::{Bus, Ctx, Hart, RunState, Step};
use crate::mem::Dram;
use crate::platform::StopRequest;
use crate::stats::{HartStats, RunStats};
use crate::top::Machine;
use crate::trace::{Commit, CommitLog};
use chunk::{Chunk, ChunkState, Deferred, Shape};
use std::fmt::Write as _;
use strand_hw::isa::csr::{cause, irq};
use thiserror::Error;
use tile_bus::Overlay;

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
    /// Host threads simulating tiles in parallel (1 = no worker threads). Results do not
    /// depend on it.
    pub threads: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_cycles: u64::MAX,
            commit_log: None,
            progress: None,
            threads: 1,
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
        let shape = Shape {
            threads: cfg.core.threads as usize,
            groups: cfg.core.thread_groups as usize,
            cores_per_tile: cfg.tile.cores as usize,
            store_buffer: cfg.core.store_buffer as usize,
            timing: cfg.core.timing.clone(),
            log: opts.commit_log.is_some(),
        };
        let tiles = cfg.tiles() as usize;
        let harts_per_tile = shape.cores_per_tile * shape.threads;
        let mut stats: Vec<HartStats> = vec![HartStats::default(); n];
        let mut timing: Vec<ThreadTiming> = vec![ThreadTiming::default(); n];
        let mut cores: Vec<CoreState> = vec![CoreState::default(); cfg.cores() as usize];
        let mut stored = vec![false; n];
        let mut overlays: Vec<Overlay> = (0..tiles).map(|_| Overlay::default()).collect();
        let mut mem = Hierarchy::new(&cfg);
        let quantum = mem.uncore.min_latency();
        // Every thread starts by fetching its first instruction.
        for (h, t) in timing.iter_mut().enumerate() {
            let next = self.platform.fetch_insn(self.harts[h].pc).ok();
            t.schedule_first(&self.harts[h], next, shape.place(h), &mut mem);
        }
        // Chunks: contiguous tile ranges, as many as host threads (and no more than tiles).
        let threads = opts.threads.max(1);
        let n_chunks = threads.min(tiles);
        let mut chunks: Vec<ChunkState> = (0..n_chunks)
            .map(|k| {
                let first_tile = k * tiles / n_chunks;
                let end_tile = (k + 1) * tiles / n_chunks;
                ChunkState {
                    first_tile,
                    tiles: end_tile - first_tile,
                    active: (first_tile * shape.cores_per_tile..end_tile * shape.cores_per_tile)
                        .map(|c| c as u32)
                        .collect(),
                    ..ChunkState::default()
                }
            })
            .collect();
        let chunk_of_tile: Vec<usize> = (0..tiles)
            .map(|t| {
                chunks
                    .iter()
                    .rposition(|c| c.first_tile <= t)
                    .expect("chunk 0 starts at 0")
            })
            .collect();
        // No more worker threads than host cores: spinning threads must not wait for a core.
        let cores_on_host = std::thread::available_parallelism().map_or(1, |n| n.get());
        let gang = (n_chunks > 1 && cores_on_host > 1)
            .then(|| gang::Gang::new(n_chunks.min(cores_on_host)))
            .transpose()
            .expect("cannot start the simulation's worker threads");
        let mut commit = Commit::default();
        let mut commits: Vec<(u64, u32, Commit)> = Vec::new();
        let mut deferred: Vec<Deferred> = Vec::new();
        let mut touched: Vec<u32> = Vec::new();
        let mut words: Vec<(u32, u64)> = Vec::new();
        let mut cycle: u64 = 0;
        let mut deadline = self.platform.clint.next_deadline(0);
        let mut retired_total: u64 = 0;
        let mut next_progress = PROGRESS_EVERY;
        let result = 'run: loop {
            if cycle >= opts.max_cycles {
                break Err(SimError::MaxCycles {
                    cycles: cycle,
                    harts: self.describe_harts(),
                });
            }
            // Events at the quantum boundary.
            self.platform.cycle = cycle;
            if cycle >= deadline {
                self.platform.clint.collect_expired(cycle);
            }
            if cycle >= self.platform.virtio_due() {
                self.platform.service_virtio(cycle);
            }
            if self.platform.clint.dirty() {
                self.refresh_interrupts(
                    cycle,
                    &mut chunks,
                    &chunk_of_tile,
                    &shape,
                    &mut timing,
                    &mut cores,
                );
                deadline = self.platform.clint.next_deadline(cycle);
            }
            let events = deadline.min(self.platform.virtio_due());
            let ready = chunks
                .iter()
                .flat_map(|ch| ch.active.iter())
                .map(|&c| cores[c as usize].next_ready)
                .min();
            let Some(ready) = ready else {
                // Every hart waits for an interrupt.
                if events == u64::MAX {
                    break Err(SimError::Deadlock {
                        cycle,
                        pc0: self.harts[0].pc,
                    });
                }
                cycle = events.min(opts.max_cycles);
                continue;
            };
            if ready > cycle {
                // Nothing can issue before `ready`: jump (waiting is accounted lazily).
                cycle = ready.min(events).min(opts.max_cycles).max(cycle + 1);
                continue;
            }
            let end = (cycle + quantum)
                .min(if events > cycle { events } else { u64::MAX })
                .min(opts.max_cycles);

            // The parallel part.
            {
                let view = self.platform.view();
                let mut parts = split(
                    &mut chunks,
                    &mut self.harts,
                    &mut timing,
                    &mut stats,
                    &mut stored,
                    &mut cores,
                    &mut mem.tiles,
                    &mut overlays,
                    &shape,
                    harts_per_tile,
                );
                // Few active cores: not worth waking the workers (same results either way).
                let busy = chunks_busy(&parts) > 1;
                match gang.as_ref().filter(|_| busy) {
                    Some(gang) => {
                        let n = parts.len();
                        let size = gang.size();
                        let ptr = PartsPtr(parts.as_mut_ptr());
                        gang.run(&|g| {
                            // Gang thread `g` runs chunks g, g + size, g + 2 * size, ...
                            for k in (g..n).step_by(size) {
                                // SAFETY: the gang runs every `g` exactly once per job and the
                                // strided ranges are disjoint, so each chunk is borrowed by one
                                // thread; `parts` outlives `run`, which waits for all of them.
                                let part = unsafe { &mut *ptr.get().add(k) };
                                part.run(cycle, end, &view, &shape);
                            }
                        });
                    }
                    None => parts
                        .iter_mut()
                        .for_each(|p| p.run(cycle, end, &view, &shape)),
                }
            }

            // The serial part.
            deferred.clear();
            touched.clear();
            let mut fault = None;
            for ch in &mut chunks {
                retired_total += ch.retired;
                deferred.extend_from_slice(&ch.deferred);
                if let Some(f) = ch.fault.take() {
                    if fault
                        .as_ref()
                        .is_none_or(|g: &chunk::Fault| (f.cycle, f.hart) < (g.cycle, g.hart))
                    {
                        fault = Some(f);
                    }
                }
                if shape.log {
                    commits.append(&mut ch.commits);
                }
                for h in ch.stored.drain(..) {
                    stored[h as usize] = false;
                }
            }
            for o in &mut overlays {
                if !o.is_empty() {
                    o.apply(&mut self.platform.dram, &mut words);
                }
            }
            for (hart, addr) in words.drain(..) {
                self.platform.stored_hart(hart, addr);
            }
            mem.resolve_quantum(end, |w, done| {
                timing[w.hart as usize].answer(w.on, done);
                touched.push(w.hart);
            });
            deferred.sort_unstable();
            for d in &deferred {
                if fault
                    .as_ref()
                    .is_some_and(|f: &chunk::Fault| (f.cycle, f.hart) < (d.cycle, d.hart))
                {
                    break;
                }
                let h = d.hart as usize;
                let now = d.cycle;
                touched.push(d.hart);
                self.platform.cycle = now;
                let ctx = Ctx {
                    cycle: now,
                    mtime: self.platform.clint.mtime(now),
                };
                let hart = &mut self.harts[h];
                let step = hart.step(&mut self.platform, &ctx, &mut commit);
                let retired = matches!(step, Step::Retired { .. });
                let dram = &self.platform.dram;
                let (insn, trapped) =
                    match chunk::outcome(step, hart, &mut stats[h], dram, now, d.hart) {
                        Ok(o) => o,
                        Err(f) => {
                            fault = Some(f);
                            break;
                        }
                    };
                if retired {
                    retired_total += 1;
                    if shape.log {
                        commits.push((now, d.hart, commit.clone()));
                    }
                }
                let next = self.platform.fetch_insn(hart.pc).ok();
                let at = shape.place(h);
                let t = &mut timing[h];
                issue(
                    t,
                    &mut cores[at.core as usize],
                    hart,
                    Issued {
                        insn,
                        commit: &commit,
                        trapped,
                    },
                    next,
                    at,
                    &shape.timing,
                    shape.store_buffer,
                    &mut mem,
                    now,
                );
                if t.ready_at < end {
                    // It could not have issued before the quantum's end.
                    t.ready_at = end;
                }
                if hart.state == RunState::WaitForInterrupt {
                    let ch = &mut chunks[chunk_of_tile[at.tile as usize]];
                    let first = at.core as usize * shape.threads;
                    if self.harts[first..first + shape.threads]
                        .iter()
                        .all(|h| h.state != RunState::Running)
                    {
                        ch.active.retain(|&c| c != at.core);
                    }
                }
            }
            if shape.log {
                if let Some(f) = fault.as_ref() {
                    // Other tiles ran on past the fault: the log ends where the chip stops.
                    commits.retain(|&(c, h, _)| (c, h) < (f.cycle, f.hart));
                }
                commits.sort_by_key(|&(c, h, _)| (c, h));
                if let Some(log) = opts.commit_log.as_mut() {
                    for (_, h, c) in &commits {
                        log.record(*h, c)?;
                    }
                }
                commits.clear();
            }
            if let Some(f) = fault {
                break 'run Err(SimError::UnhandledTrap {
                    hart: f.hart,
                    pc: f.pc,
                    cause: f.cause,
                    what: cause::describe(f.cause),
                    tval: f.tval,
                    why: f.why,
                });
            }
            for &h in &touched {
                debug_assert!(
                    !timing[h as usize].blocked()
                        || self.harts[h as usize].state != RunState::Running,
                    "hart {h} still waits after the quantum's serial part: {:?}",
                    timing[h as usize]
                );
                let c = h as usize / shape.threads;
                let first = c * shape.threads;
                cores[c].next_ready =
                    next_ready(first..first + shape.threads, &timing, &self.harts);
            }
            cycle = end;
            if self.platform.stop.is_some() {
                break self.stop_result();
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
        let end = cycle;
        for (h, t) in timing.iter_mut().enumerate() {
            if self.harts[h].state == RunState::WaitForInterrupt {
                t.cycles.idle += end.saturating_sub(t.idle_since);
            } else {
                if t.ready_at == PENDING {
                    t.ready_at = end;
                }
                t.account_until(end);
            }
            stats[h].cycles = t.cycles;
        }
        let mut run = RunStats::new(&self.cfg, end, stats, &mem);
        run.quantum = quantum;
        Ok((exit, run))
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
        chunks: &mut [ChunkState],
        chunk_of_tile: &[usize],
        shape: &Shape,
        timing: &mut [ThreadTiming],
        cores: &mut [CoreState],
    ) {
        let clint = &mut self.platform.clint;
        let all = std::mem::take(&mut clint.all_changed);
        let mut changed = std::mem::take(&mut clint.changed);
        if all {
            changed.clear();
            changed.extend(0..self.harts.len() as u32);
        }
        let mut woke = false;
        for &h in &changed {
            let hart = &mut self.harts[h as usize];
            let lines = clint.mip(h, cycle);
            hart.csr.mip = (hart.csr.mip & !(irq::MSI | irq::MTI)) | lines;
            if hart.state == RunState::WaitForInterrupt && hart.csr.mip & hart.csr.mie != 0 {
                hart.state = RunState::Running;
                let t = &mut timing[h as usize];
                t.idle = false;
                t.cycles.idle += cycle.saturating_sub(t.idle_since);
                t.acct_from = cycle;
                t.ready_at = t.ready_at.max(cycle);
                let at = shape.place(h as usize);
                let core = &mut cores[at.core as usize];
                core.next_ready = core.next_ready.min(t.ready_at);
                chunks[chunk_of_tile[at.tile as usize]].active.push(at.core);
                woke = true;
            }
        }
        if woke {
            // Keep core order (determinism).
            for ch in chunks.iter_mut() {
                ch.active.sort_unstable();
                ch.active.dedup();
            }
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

/// Why the trap handler the hart just entered cannot work, if it cannot (the run stops with
/// [`SimError::UnhandledTrap`]).
pub fn unusable_handler(hart: &Hart, trap_pc: u64, dram: &Dram) -> Option<&'static str> {
    if hart.csr.mtvec & !3 == 0 {
        return Some("mtvec is 0: the firmware installed no trap handler");
    }
    if dram.offset(hart.pc, 4).is_none() {
        return Some("mtvec points outside DRAM");
    }
    if hart.pc == trap_pc {
        return Some("the trap handler's first instruction traps itself");
    }
    None
}

/// The chunks of a quantum, shared with the gang's threads (each takes its own index).
struct PartsPtr<'a>(*mut Chunk<'a>);

// SAFETY: only dereferenced at distinct indices by distinct threads (see `Gang::run`'s use).
unsafe impl Sync for PartsPtr<'_> {}

impl<'a> PartsPtr<'a> {
    fn get(&self) -> *mut Chunk<'a> {
        self.0
    }
}

/// How many chunks have enough active cores to be worth a worker thread.
fn chunks_busy(parts: &[Chunk<'_>]) -> usize {
    parts.iter().filter(|p| p.state.active.len() >= 2).count()
}

/// Cut the per-hart, per-core and per-tile vectors into one [`Chunk`] per chunk state.
#[allow(clippy::too_many_arguments)]
fn split<'a>(
    chunks: &'a mut [ChunkState],
    mut harts: &'a mut [Hart],
    mut timing: &'a mut [ThreadTiming],
    mut stats: &'a mut [HartStats],
    mut stored: &'a mut [bool],
    mut cores: &'a mut [CoreState],
    mut tiles: &'a mut [crate::cache::tile::TileMem],
    mut overlays: &'a mut [Overlay],
    shape: &Shape,
    harts_per_tile: usize,
) -> Vec<Chunk<'a>> {
    let mut out = Vec::with_capacity(chunks.len());
    for state in chunks.iter_mut() {
        let nt = state.tiles;
        let nh = nt * harts_per_tile;
        let nc = nt * shape.cores_per_tile;
        let (h, rest) = std::mem::take(&mut harts).split_at_mut(nh);
        harts = rest;
        let (t, rest) = std::mem::take(&mut timing).split_at_mut(nh);
        timing = rest;
        let (s, rest) = std::mem::take(&mut stats).split_at_mut(nh);
        stats = rest;
        let (st, rest) = std::mem::take(&mut stored).split_at_mut(nh);
        stored = rest;
        let (c, rest) = std::mem::take(&mut cores).split_at_mut(nc);
        cores = rest;
        let (tm, rest) = std::mem::take(&mut tiles).split_at_mut(nt);
        tiles = rest;
        let (o, rest) = std::mem::take(&mut overlays).split_at_mut(nt);
        overlays = rest;
        out.push(Chunk {
            harts: h,
            timing: t,
            stats: s,
            stored: st,
            cores: c,
            tiles: tm,
            overlays: o,
            state,
        });
    }
    out
}
