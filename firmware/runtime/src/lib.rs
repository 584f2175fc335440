//! `strand-rt`: the bare-metal runtime every Strand firmware program links.
//!
//! Strand is a many-core RV64IMA chip (machine mode only). A program is SPMD:
//! the same `main` runs on every hart, and harts cooperate through the
//! primitives here. The same ELF runs on the Strand simulator and on QEMU's
//! `virt` machine (`-bios none`), which share one memory map ([`memmap`]).
//!
//! ```text
//!  every hart: _start ──> stack, mtvec ──┬─ hart 0: zero .bss, parse DTB, heap, release ─┐
//!                                        └─ others: sleep until release ─────────────────┤
//!                                                                                        v
//!                       main(&Ctx) on every hart ──> barrier ──> hart 0: exit(first error)
//! ```
//!
//! A program:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use strand_rt::{println, Ctx};
//!
//! strand_rt::entry!(main);
//!
//! fn main(ctx: &Ctx) -> i32 {
//!     println!("hello from hart {}", ctx.hart_id());
//!     0
//! }
//! ```
//!
//! What is here:
//! * boot and memory layout ([`boot`]): per-hart stacks, heap, DTB facts,
//! * console ([`print!`], [`println!`]) on the 16550 UART, one lock per call,
//! * a global allocator, so `alloc::vec::Vec` and friends work,
//! * [`SpinLock`], [`Barrier`], [`barrier`], [`parallel_for`], [`share`],
//! * [`wait_until`] / [`wake`]: sleep in `wfi` until another hart sends a
//!   CLINT software interrupt ([`wait`]); every long wait in the runtime
//!   sleeps this way, so idle harts cost the simulator (and QEMU) nothing,
//! * [`Args`]: `key=value` bootargs, [`counters`]: `rdcycle`/`rdinstret`/`rdtime`,
//! * [`exit`] through the sifive_test finisher, trap and panic reporting.
//!
//! Only [`args`], [`dtb`] and [`memmap`] build on the host (for unit tests:
//! `cd firmware && cargo test -p strand-rt`); the rest needs `riscv64`.

#![cfg_attr(not(test), no_std)]

pub mod args;
pub mod dtb;
pub mod memmap;

#[cfg(target_arch = "riscv64")]
pub mod boot;
#[cfg(target_arch = "riscv64")]
pub mod console;
#[cfg(target_arch = "riscv64")]
pub mod counters;
#[cfg(target_arch = "riscv64")]
mod exit;
#[cfg(target_arch = "riscv64")]
mod heap;
#[cfg(target_arch = "riscv64")]
mod par;
#[cfg(target_arch = "riscv64")]
pub mod sync;
#[cfg(target_arch = "riscv64")]
mod trap;
#[cfg(target_arch = "riscv64")]
pub mod wait;

pub use args::Args;

#[cfg(target_arch = "riscv64")]
pub use {
    boot::{bootargs, hart_id, layout, num_harts, timebase_hz, Layout, STACK_SIZE},
    counters::{rdcycle, rdinstret, rdtime},
    exit::{exit, EXIT_BOOT, EXIT_PANIC, EXIT_TRAP},
    heap::{heap_free, heap_free_contiguous, heap_used},
    par::{parallel_for, parallel_for_chunked, share},
    sync::{barrier, Barrier, CachePadded, SpinLock, SpinLockGuard},
    wait::{wait_until, wake},
};

/// Re-exported for programs: `strand_rt::alloc::vec::Vec` without their own
/// `extern crate alloc`.
#[cfg(target_arch = "riscv64")]
pub extern crate alloc;

/// What `main` gets on every hart: who it is, how many harts there are, and
/// the bootargs.
#[cfg(target_arch = "riscv64")]
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    hart: usize,
    nharts: usize,
    args: Args<'static>,
}

#[cfg(target_arch = "riscv64")]
impl Ctx {
    /// This hart's id (`mhartid`), in `0..num_harts()`.
    pub fn hart_id(&self) -> usize {
        self.hart
    }

    /// Number of harts running `main` (from the device tree).
    pub fn num_harts(&self) -> usize {
        self.nharts
    }

    /// Whether this is hart 0, the hart that booted the machine and exits it.
    pub fn is_main_hart(&self) -> bool {
        self.hart == 0
    }

    /// The bootargs (`/chosen/bootargs`).
    pub fn args(&self) -> Args<'static> {
        self.args
    }

    /// Waits until every hart has called `barrier()` (see [`sync::barrier`]).
    pub fn barrier(&self) {
        sync::barrier();
    }
}

/// Declares the program's entry point: `fn main(ctx: &Ctx) -> i32`, run on
/// every hart. When all harts have returned, hart 0 exits with the code of
/// the lowest-numbered hart that returned non-zero, else 0.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The program entry point the runtime calls on every hart.
        #[export_name = "__strand_main"]
        pub fn __strand_main(ctx: &$crate::Ctx) -> i32 {
            let f: fn(&$crate::Ctx) -> i32 = $main;
            f(ctx)
        }
    };
}
