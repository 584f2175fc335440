//! Platform devices at the QEMU `virt` addresses (see [`strand_hw::memmap`]): UART console,
//! CLINT, test finisher, and the HTIF `tohost` mailbox used by riscv-tests-style programs.
//! In RTL the UART and finisher sit behind the host-bridge MMIO port and are served by these same
//! models; the CLINT lives on chip.

pub mod clint;
pub mod finisher;
pub mod htif;
pub mod uart;
pub mod virtio;
