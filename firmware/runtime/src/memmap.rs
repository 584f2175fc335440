//! Physical memory map of the Strand chip as firmware sees it.
//!
//! These constants MIRROR `hw`'s memory map (the single source of truth, see
//! `docs/` and the design brief, section 4). The map is the one of QEMU's
//! `virt` machine, so the same ELF runs on Strand and on QEMU. A test in `hw`
//! parses this file and checks every constant against `hw`; when the map
//! changes, change `hw` first and then this file.
//!
//! ```text
//! 0x0010_0000  test finisher (sifive_test)
//! 0x0200_0000  CLINT (msip / mtimecmp / mtime); msip[h] at +4*h (h < 4095),
//!              every hart's msip also at +0x10_0000 + 4*h (Strand only)
//! 0x1000_0000  UART 16550 (console)
//! 0x1000_1000  virtio-mmio slot 0 .. slot 7 at 0x1000_8000 (stride 0x1000)
//! 0x8000_0000  DRAM (HBM); its size comes from the device tree
//! ```
//!
//! Keep this file to `pub const NAME: TYPE = LITERAL;` lines (plus comments)
//! so that the check in `hw` can parse it without a Rust parser.

/// Base of the sifive_test finisher: writing to it ends the simulation.
pub const TEST_FINISHER_BASE: usize = 0x0010_0000;
/// Finisher value for "pass" (QEMU exits with status 0).
pub const TEST_FINISHER_PASS: u32 = 0x5555;
/// Finisher low half-word for "fail"; the exit code goes in bits 31..16.
pub const TEST_FINISHER_FAIL: u32 = 0x3333;

/// Base of the CLINT (core-local interruptor: msip, mtimecmp, mtime).
pub const CLINT_BASE: usize = 0x0200_0000;
/// Offset of the legacy (SiFive) `msip` array: hart h's 32-bit `msip` is at
/// `CLINT_BASE + CLINT_MSIP + 4 * h` for `h < CLINT_LEGACY_HARTS`.
pub const CLINT_MSIP: usize = 0x0;
/// Harts reachable through the legacy `msip`/`mtimecmp` arrays.
pub const CLINT_LEGACY_HARTS: usize = 4095;
/// Offset of Strand's extended `msip` array, which covers every hart:
/// `CLINT_BASE + CLINT_MSIP_EXT + 4 * h` (QEMU `virt` has no such window, and
/// at most 512 harts, so the runtime uses it only for `h >= CLINT_LEGACY_HARTS`).
pub const CLINT_MSIP_EXT: usize = 0x10_0000;

/// Base of the 16550 UART used as the console.
pub const UART_BASE: usize = 0x1000_0000;
/// UART transmit holding register (write a byte to send it), byte offset.
pub const UART_THR: usize = 0;
/// UART line status register, byte offset.
pub const UART_LSR: usize = 5;
/// LSR bit: the transmit holding register is empty (a byte may be written).
pub const UART_LSR_THRE: u8 = 0x20;

/// Base of virtio-mmio slot 0.
pub const VIRTIO_MMIO_BASE: usize = 0x1000_1000;
/// Distance between two virtio-mmio slots: slot n is at BASE + n * STRIDE.
pub const VIRTIO_MMIO_STRIDE: usize = 0x1000;
/// Number of virtio-mmio slots.
pub const VIRTIO_MMIO_SLOTS: usize = 8;

/// Base of DRAM (HBM on the chip); the firmware image is linked here.
pub const DRAM_BASE: usize = 0x8000_0000;
