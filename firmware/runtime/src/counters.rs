//! Zicntr counters: cycles, retired instructions and wall-clock time.
//!
//! Each read is one `csrr` and has no ordering guarantee beyond program
//! order: bracket the measured code with reads and keep the measured loop in
//! `asm!` (or behind data dependencies) when exact counts matter. `rdtime`
//! ticks at [`crate::timebase_hz`] (QEMU `virt`: 10 MHz).

/// Cycles since reset (`cycle` CSR).
#[inline(always)]
pub fn rdcycle() -> u64 {
    let v: u64;
    // SAFETY: reading the cycle CSR has no side effects in machine mode.
    unsafe { core::arch::asm!("csrr {}, cycle", out(reg) v, options(nostack)) };
    v
}

/// Instructions retired since reset (`instret` CSR).
#[inline(always)]
pub fn rdinstret() -> u64 {
    let v: u64;
    // SAFETY: reading the instret CSR has no side effects in machine mode.
    unsafe { core::arch::asm!("csrr {}, instret", out(reg) v, options(nostack)) };
    v
}

/// Timer ticks (`time` CSR, a view of the CLINT's `mtime`).
#[inline(always)]
pub fn rdtime() -> u64 {
    let v: u64;
    // SAFETY: reading the time CSR has no side effects in machine mode.
    unsafe { core::arch::asm!("csrr {}, time", out(reg) v, options(nostack)) };
    v
}
