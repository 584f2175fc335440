//! The reference timing model: the rules of `docs/pipeline.md` stepped one cycle at a time,
//! on the simulator's own harts (`Hart::step`), platform and memory hierarchy
//! ([`Hierarchy`] through [`MemPort`]).
//!
//! It restates the single-group cycle loop of `sim/src/engine.rs` and the issue/select rules of
//! `sim/src/core/pipeline.rs` as they stood at commit b891a53 (before the quantum engine), so
//! that every issue comes out with its cycle: the simulator's engine writes commit records
//! without cycles. [`crate::check_engine`] compares this model's commit log and cycle count
//! with the engine's own run.

use std::collections::VecDeque;
use strand_hw::isa::csr::irq;
use strand_hw::isa::{Class, Insn, Op};
use strand_hw::params::CoreTiming;
use strand_sim::cache::hierarchy::Hierarchy;
use strand_sim::core::pipeline::{sources, MemPort, Place};
use strand_sim::core::{Bus, Ctx, RunState, Step};
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

#[derive(Clone, Debug, Default)]
struct Thread {
    ready_at: u64,
    last_pick: u64,
    next_is_div: bool,
    reg_ready: [u64; 32],
    stores: VecDeque<u64>,
    seq: u32,
}

/// The machine and its timing state, one cycle per [`Reference::step`].
pub struct Reference {
    /// The simulator's machine (harts + platform).
    pub m: Machine,
    mem: Hierarchy,
    th: Vec<Thread>,
    div_busy: Vec<u64>,
    timing: CoreTiming,
    threads: usize,
    groups: usize,
    store_buffer: usize,
    /// The next cycle to simulate.
    pub cycle: u64,
    commit: Commit,
}

impl Reference {
    /// Start `m` (loaded, not run) at cycle 0.
    pub fn new(mut m: Machine) -> Reference {
        let cfg = m.cfg.clone();
        let mut mem = Hierarchy::new(&cfg);
        let n = m.harts.len();
        let threads = cfg.core.threads as usize;
        let mut th = vec![Thread::default(); n];
        for (h, t) in th.iter_mut().enumerate() {
            let at = place(&cfg, h);
            let pc = m.harts[h].pc;
            t.ready_at = mem.fetch(at, pc, 0);
            t.next_is_div = m
                .platform
                .fetch_insn(pc)
                .is_ok_and(|i| i.op.class() == Class::Div);
        }
        Reference {
            mem,
            th,
            div_busy: vec![0; cfg.cores() as usize],
            timing: cfg.core.timing.clone(),
            threads,
            groups: cfg.core.thread_groups as usize,
            store_buffer: cfg.core.store_buffer as usize,
            cycle: 0,
            commit: Commit::default(),
            m,
        }
    }

    /// Simulate one cycle; every issue goes to `out` as (hart, event), in issue order.
    pub fn step(&mut self, out: &mut Vec<(u32, Event)>) {
        let cycle = self.cycle;
        let cfg = self.m.cfg.clone();
        self.m.platform.cycle = cycle;
        // The CLINT lines as the engine's refresh sees them at the start of the cycle.
        for (h, hart) in self.m.harts.iter_mut().enumerate() {
            let lines = self.m.platform.clint.mip(h as u32, cycle);
            hart.csr.mip = (hart.csr.mip & !(irq::MSI | irq::MTI)) | lines;
            if hart.state == RunState::WaitForInterrupt && hart.csr.mip & hart.csr.mie != 0 {
                hart.state = RunState::Running;
                let t = &mut self.th[h];
                t.ready_at = t.ready_at.max(cycle);
            }
        }
        self.m.platform.clint.changed.clear();
        self.m.platform.clint.all_changed = false;
        let ctx = Ctx {
            cycle,
            mtime: self.m.platform.clint.mtime(cycle),
        };
        let per_group = self.threads / self.groups;
        for c in 0..cfg.cores() as usize {
            for g in 0..self.groups {
                let first = c * self.threads + g * per_group;
                // Select: the least recently issued ready thread of the group.
                let mut best: Option<usize> = None;
                for h in first..first + per_group {
                    if self.m.harts[h].state == RunState::WaitForInterrupt {
                        continue;
                    }
                    let t = &mut self.th[h];
                    if t.ready_at > cycle {
                        continue;
                    }
                    if t.next_is_div && self.div_busy[c] > cycle {
                        t.ready_at = self.div_busy[c];
                        continue;
                    }
                    match best {
                        Some(b) if self.th[b].last_pick <= self.th[h].last_pick => {}
                        _ => best = Some(h),
                    }
                }
                let Some(h) = best else { continue };
                let hart = &mut self.m.harts[h];
                let step = hart.step(&mut self.m.platform, &ctx, &mut self.commit);
                let (insn, trapped) = match step {
                    Step::Retired { insn } => {
                        out.push((h as u32, Event::Retired(self.commit.clone())));
                        (Some(insn), false)
                    }
                    Step::Exception { cause, tval, pc } => {
                        out.push((h as u32, Event::Exception { cause, tval, pc }));
                        (None, true)
                    }
                    Step::Interrupt { cause } => {
                        out.push((h as u32, Event::Interrupt(cause)));
                        (None, true)
                    }
                    Step::Waiting => (None, false),
                };
                let next = self.m.platform.fetch_insn(self.m.harts[h].pc).ok();
                self.issue(h, c, insn, trapped, next, cycle);
            }
        }
        self.cycle += 1;
    }

    fn issue(
        &mut self,
        h: usize,
        c: usize,
        insn: Option<Insn>,
        trapped: bool,
        next: Option<Insn>,
        now: u64,
    ) {
        let at = place(&self.m.cfg, h);
        let tm = self.timing.clone();
        let t = &mut self.th[h];
        t.last_pick = now + 1;
        t.ready_at = now + 1;
        let stall = |t: &mut Thread, until: u64| t.ready_at = t.ready_at.max(until);
        while t.stores.front().is_some_and(|&x| x <= now) {
            t.stores.pop_front();
        }
        if trapped {
            stall(t, now + u64::from(tm.trap));
        } else if let Some(i) = insn {
            let rd = i.rd as usize;
            let result = |t: &mut Thread, at: u64| {
                if rd != 0 {
                    t.reg_ready[rd] = at;
                }
            };
            let commit = &self.commit;
            match i.op.class() {
                Class::Alu | Class::Csr => {}
                Class::Branch | Class::Jump => stall(t, now + u64::from(tm.branch)),
                Class::System => {
                    if i.op == Op::Mret {
                        stall(t, now + u64::from(tm.trap));
                    }
                }
                Class::Load => {
                    let addr = commit.load.unwrap_or(0);
                    match self.mem.load(at, addr, now, i.rd) {
                        None => result(t, now + u64::from(tm.load_use)),
                        Some(miss) => {
                            stall(t, now + miss);
                            result(t, now + miss);
                        }
                    }
                }
                Class::Store => {
                    let (addr, _, _) = commit.store.unwrap_or((0, 0, 0));
                    let start = t.stores.back().copied().unwrap_or(now).max(now);
                    t.seq = t.seq.wrapping_add(1);
                    let done = start + self.mem.store(at, addr, start, t.seq);
                    t.stores.push_back(done);
                    if t.stores.len() > self.store_buffer {
                        let oldest = t.stores.pop_front().expect("non-empty");
                        stall(t, oldest);
                    }
                }
                Class::Mul => result(t, now + u64::from(tm.mul)),
                Class::Div => {
                    self.div_busy[c] = now + u64::from(tm.div);
                    result(t, now + u64::from(tm.div));
                }
                Class::Atomic => {
                    let addr = commit.load.or(commit.store.map(|s| s.0)).unwrap_or(0);
                    let back = now + self.mem.atomic(at, addr, now);
                    stall(t, back);
                    result(t, back);
                }
                Class::Fence => {
                    let drained = t.stores.back().copied().unwrap_or(now);
                    stall(t, drained);
                    if i.op == Op::FenceI {
                        stall(t, now + u64::from(tm.branch));
                    }
                }
            }
        }
        if self.m.harts[h].state == RunState::WaitForInterrupt {
            return;
        }
        // The next instruction: fetch, then its scoreboard.
        let pc = self.m.harts[h].pc;
        let fetch = self.mem.fetch(at, pc, now + 1);
        let t = &mut self.th[h];
        if fetch > 0 {
            t.ready_at = t.ready_at.max(now + 1 + fetch);
        }
        t.next_is_div = false;
        let Some(i) = next else { return };
        t.next_is_div = i.op.class() == Class::Div;
        let (r1, r2) = sources(&i);
        for (use_it, r) in [(r1, i.rs1), (r2, i.rs2), (true, i.rd)] {
            if use_it && r != 0 {
                t.ready_at = t.ready_at.max(t.reg_ready[r as usize]);
            }
        }
    }

    /// The run has ended (finisher or HTIF exit).
    pub fn stopped(&self) -> bool {
        self.m.platform.stop.is_some()
    }
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
