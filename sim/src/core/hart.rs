//! Architectural state of one hardware thread (hart) and its trap/interrupt entry.
//!
//! A hart is the unit the pipeline schedules: the core's thread-select stage picks one ready hart
//! per cycle and hands its next instruction to [`Hart::step`], which applies the instruction's
//! architectural effect (see [`super::exec`]). Timing is decided outside, so the same hart model
//! serves the one-instruction-per-cycle engine and the cycle-level pipeline.

use super::bus::Bus;
use super::csr::Csrs;
use crate::trace::Commit;
use strand_hw::isa::csr::{cause, irq, mstatus};
use strand_hw::isa::Insn;

/// Run state of a hart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Executing instructions.
    Running,
    /// Stopped in WFI until an interrupt is pending (`mip & mie != 0`).
    WaitForInterrupt,
}

/// What one [`Hart::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An instruction retired.
    Retired {
        /// The instruction (the timing layer needs its class and registers).
        insn: Insn,
    },
    /// An exception was raised; the hart now points at its trap handler.
    Exception {
        /// mcause.
        cause: u64,
        /// mtval.
        tval: u64,
        /// pc of the instruction that trapped.
        pc: u64,
    },
    /// An interrupt was taken before any instruction executed.
    Interrupt {
        /// mcause (with the interrupt bit).
        cause: u64,
    },
    /// The hart is waiting in WFI; nothing happened.
    Waiting,
}

/// Per-step context from the platform.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx {
    /// The hart's core cycle (for `mcycle`/`cycle`).
    pub cycle: u64,
    /// CLINT `mtime` (for `time`).
    pub mtime: u64,
}

/// One hart's architectural state.
#[derive(Clone, Debug)]
pub struct Hart {
    /// Integer registers; `x[0]` is always zero.
    pub x: [u64; 32],
    /// Program counter.
    pub pc: u64,
    /// Control and status registers.
    pub csr: Csrs,
    /// `mhartid`.
    pub id: u32,
    /// Running or waiting for an interrupt.
    pub state: RunState,
}

impl Hart {
    /// A hart at reset: `pc = entry`, `a0 = hartid`, `a1 = dtb` (the QEMU `virt` boot convention).
    pub fn new(id: u32, entry: u64, dtb: u64) -> Hart {
        let mut x = [0u64; 32];
        x[10] = u64::from(id);
        x[11] = dtb;
        Hart {
            x,
            pc: entry,
            csr: Csrs {
                mhartid: u64::from(id),
                // Spike: MPP reads M from reset (M is the only privilege there is).
                mstatus: mstatus::MPP,
                ..Csrs::default()
            },
            id,
            state: RunState::Running,
        }
    }

    /// Take an interrupt if one is pending and enabled, or leave WFI if one is pending.
    /// Returns the cause taken. Priority: external, software, timer (privileged spec 3.1.9).
    #[inline]
    pub fn check_interrupts(&mut self) -> Option<u64> {
        let pending = self.csr.mip & self.csr.mie;
        if pending == 0 {
            return None;
        }
        self.state = RunState::Running;
        if self.csr.mstatus & mstatus::MIE == 0 {
            return None;
        }
        let code = if pending & irq::MEI != 0 {
            cause::MACHINE_EXTERNAL
        } else if pending & irq::MSI != 0 {
            cause::MACHINE_SOFTWARE
        } else {
            cause::MACHINE_TIMER
        };
        let c = cause::INTERRUPT | code;
        self.trap(c, 0, self.pc);
        Some(c)
    }

    /// Enter the trap handler: save pc/cause/tval, stack MIE into MPIE, jump to `mtvec`
    /// (vectored mode offsets interrupts by `4 * code`).
    pub fn trap(&mut self, mcause: u64, tval: u64, epc: u64) {
        let base = self.csr.mtvec & !3;
        let vectored = self.csr.mtvec & 1 == 1 && mcause & cause::INTERRUPT != 0;
        self.pc = if vectored {
            base.wrapping_add(4 * (mcause & 0xfff))
        } else {
            base
        };
        self.csr.mepc = epc & !1;
        self.csr.mcause = mcause;
        self.csr.mtval = tval;
        let s = self.csr.mstatus;
        let mpie = if s & mstatus::MIE != 0 {
            mstatus::MPIE
        } else {
            0
        };
        self.csr.mstatus = (s & !(mstatus::MPIE | mstatus::MIE)) | mpie | mstatus::MPP;
    }

    /// [`Hart::step`] with the instruction at `pc` already fetched and decoded (`None`: fetch it
    /// now). The caller vouches that `insn` is what the hart's fetch would see.
    #[inline]
    pub fn step_fetched(
        &mut self,
        bus: &mut impl Bus,
        ctx: &Ctx,
        commit: &mut Commit,
        insn: Option<Insn>,
    ) -> Step {
        if let Some(cause) = self.check_interrupts() {
            return Step::Interrupt { cause };
        }
        if self.state == RunState::WaitForInterrupt {
            return Step::Waiting;
        }
        let pc = self.pc;
        commit.reset(pc);
        let done = match insn {
            Some(i) => {
                commit.raw = i.raw;
                super::exec::execute_insn(self, bus, ctx, commit, &i).map(|()| i)
            }
            None => super::exec::execute(self, bus, ctx, commit),
        };
        match done {
            Ok(insn) => Step::Retired { insn },
            Err(t) => {
                self.trap(t.cause, t.tval, pc);
                Step::Exception {
                    cause: t.cause,
                    tval: t.tval,
                    pc,
                }
            }
        }
    }

    /// Execute one instruction (or take an interrupt), recording its architectural effects in
    /// `commit` for the commit log.
    #[inline]
    pub fn step(&mut self, bus: &mut impl Bus, ctx: &Ctx, commit: &mut Commit) -> Step {
        self.step_fetched(bus, ctx, commit, None)
    }
}
