//! Ending the run through the sifive_test finisher (QEMU `virt`, Strand).
//!
//! Writing `0x5555` makes QEMU exit with status 0; `(code << 16) | 0x3333`
//! makes it exit with status `code`. QEMU's process status keeps only the low
//! 8 bits, so [`exit`] maps every non-zero code into `1..=255`.

use crate::memmap::{TEST_FINISHER_BASE, TEST_FINISHER_FAIL, TEST_FINISHER_PASS};

/// Exit code after a panic (as Rust's test harness uses).
pub const EXIT_PANIC: i32 = 101;
/// Exit code after an unexpected trap.
pub const EXIT_TRAP: i32 = 102;
/// Exit code when boot fails (no device tree, not enough memory).
pub const EXIT_BOOT: i32 = 103;

/// Stops the whole machine with `code` (0 = pass); callable from any hart.
///
/// Non-zero codes are reduced to their low 8 bits, and a code whose low 8
/// bits are 0 (256, -256, ...) becomes 1 so that a failure never reads as a
/// pass. If no finisher answers, the hart waits forever.
pub fn exit(code: i32) -> ! {
    let value = if code == 0 {
        TEST_FINISHER_PASS
    } else {
        let c = match code as u32 & 0xff {
            0 => 1,
            c => c,
        };
        (c << 16) | TEST_FINISHER_FAIL
    };
    // SAFETY: a fence has no effect on Rust-visible state; it orders the
    // console's MMIO writes before the finisher write.
    unsafe { core::arch::asm!("fence iorw, iorw", options(nostack)) };
    // SAFETY: the finisher is a 32-bit MMIO register at a fixed address in
    // the device window; writing it has no effect on Rust-visible memory.
    unsafe { core::ptr::write_volatile(TEST_FINISHER_BASE as *mut u32, value) };
    crate::wait::park()
}
