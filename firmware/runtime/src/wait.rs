//! Sleeping waits: [`wait_until`] parks the hart in `wfi` until another hart
//! [`wake`]s it with a machine software interrupt (IPI) through the CLINT.
//!
//! Why: a hart that spins executes an instruction every cycle. On the Strand
//! simulator every running hart costs host time (a hart in WFI costs
//! nothing), and on QEMU every spinning vCPU takes a host thread, so firmware
//! that spin-waits makes runs with many harts quadratic. Every long wait in
//! the runtime (boot, barriers, the end of the run) and in `hello`'s ordered
//! printing therefore sleeps; only short critical sections (the console and
//! heap locks) spin.
//!
//! Setup (in `_start`, every hart): `mie = MSIE` (bit 3) and `mstatus.MIE = 0`.
//! A pending, enabled interrupt makes `wfi` return, but with `mstatus.MIE`
//! clear it is never taken: no trap handler runs, the hart just continues
//! after its `wfi`.
//!
//! ```text
//!   waiter (hart w)                            waker (any hart)
//!   loop {
//!     msip[w] = 0          clear stale wakes
//!     fence iorw,iorw      clear before test
//!     if cond() { break }  <-- acquire ------- cond = true     (release store)
//!     wfi                                      fence iorw,iorw
//!   }                      <-- interrupt ----- msip[w] = 1
//! ```
//!
//! No wake-up is lost: if the waiter's test misses the waker's store, the
//! waker's `msip[w] = 1` comes after the waiter's clear, so `msip[w]` is still
//! set when the waiter reaches `wfi`, which then does not sleep (or returns at
//! once). Stale or spurious wakes (a `msip` left set by an earlier wake,
//! `wfi` returning for no reason, which the ISA allows) only cost one more
//! test of the condition.
//!
//! `msip[h]` is the 32-bit register at `CLINT_BASE + 4*h` for `h < 4095` (the
//! SiFive layout, QEMU `virt` included); Strand maps every hart's `msip` again
//! at `CLINT_BASE + 0x10_0000 + 4*h`, which is the only way to reach harts
//! from 4,095 up. [`msip_addr`] picks the legacy address below 4,095 and the
//! extended one above.

use crate::memmap::{CLINT_BASE, CLINT_LEGACY_HARTS, CLINT_MSIP, CLINT_MSIP_EXT};

/// Children per hart in the wake-up trees (boot release, barrier release):
/// hart h wakes harts `h*FANOUT+1 ..= h*FANOUT+FANOUT`. See docs/firmware.md
/// for the measurements behind the value.
pub(crate) const WAKE_FANOUT: usize = 4;

/// Address of `hart`'s `msip` register.
#[inline(always)]
pub fn msip_addr(hart: usize) -> usize {
    if hart < CLINT_LEGACY_HARTS {
        CLINT_BASE + CLINT_MSIP + 4 * hart
    } else {
        CLINT_BASE + CLINT_MSIP_EXT + 4 * hart
    }
}

/// Sends `hart` a software interrupt: makes its [`wait_until`] re-test its
/// condition. Call it after the store that makes the condition true.
///
/// Waking a hart that is not waiting is harmless: it finds `msip` set at its
/// next wait, clears it and tests its condition once more. Ids from
/// [`crate::num_harts`] up are ignored.
#[inline]
pub fn wake(hart: usize) {
    if hart < crate::num_harts() {
        wake_listed(hart);
    }
}

/// [`wake`] for a hart id the caller knows is below `num_harts()`.
#[inline]
pub(crate) fn wake_listed(hart: usize) {
    // SAFETY: the fence orders this hart's earlier memory writes (the store
    // that makes the waiter's condition true) before the MMIO write below;
    // it has no other effect.
    unsafe { core::arch::asm!("fence iorw, iorw", options(nostack)) };
    // SAFETY: msip of a hart listed in the device tree is a 32-bit CLINT
    // register; setting it only raises that hart's software interrupt line,
    // which no hart takes as a trap (mstatus.MIE stays 0).
    unsafe { core::ptr::write_volatile(msip_addr(hart) as *mut u32, 1) };
}

/// The children of `hart` in the wake-up tree over harts `0..nharts`:
/// `hart*WAKE_FANOUT+1 ..= hart*WAKE_FANOUT+WAKE_FANOUT` (heap order).
#[inline]
pub(crate) fn wake_tree_children(hart: usize, nharts: usize) -> core::ops::Range<usize> {
    // No overflow: hart ids are far below usize::MAX / WAKE_FANOUT.
    let first = hart * WAKE_FANOUT + 1;
    first.min(nharts)..(first + WAKE_FANOUT).min(nharts)
}

/// Wakes `hart`'s children in the wake-up tree. Starting at hart 0, every
/// woken hart calling this wakes all of `0..nharts` in O(log nharts) steps
/// instead of `nharts` MMIO writes by one hart.
#[inline]
pub(crate) fn wake_children(hart: usize, nharts: usize) {
    for child in wake_tree_children(hart, nharts) {
        wake_listed(child);
    }
}

/// Clears this hart's pending software interrupt.
#[inline(always)]
fn clear_own(msip: usize) {
    // SAFETY: `msip` is this hart's own CLINT msip register; clearing it
    // only drops a pending wake-up, and the fence orders the clear before
    // the caller's test of its condition.
    unsafe {
        core::ptr::write_volatile(msip as *mut u32, 0);
        core::arch::asm!("fence iorw, iorw", options(nostack));
    }
}

/// Waits, asleep in `wfi`, until `cond()` returns true.
///
/// `cond` is tested first without sleeping, and again after every wake-up:
/// whoever makes it true must store with `Release` (or stronger) and then
/// call [`wake`] for this hart. Read the condition with `Acquire` to see what
/// the waker wrote before it.
#[inline]
pub fn wait_until(mut cond: impl FnMut() -> bool) {
    let msip = msip_addr(crate::hart_id());
    loop {
        clear_own(msip);
        if cond() {
            return;
        }
        // SAFETY: wfi only waits; with mie = MSIE and mstatus.MIE = 0 it
        // returns when this hart's msip is set, without trapping.
        unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
    }
}

/// Stops this hart for good: disables every interrupt source and sleeps.
/// Used by harts with nothing left to do while another hart ends the run.
pub(crate) fn park() -> ! {
    // SAFETY: clearing mie only stops wfi from returning on interrupts (a
    // stray wake-up would otherwise turn this loop into a spin).
    unsafe { core::arch::asm!("csrw mie, zero", options(nomem, nostack)) };
    loop {
        // SAFETY: wfi only waits.
        unsafe { core::arch::asm!("wfi", options(nomem, nostack)) };
    }
}
