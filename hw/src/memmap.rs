//! The physical memory map, identical to QEMU's `virt` machine so one firmware ELF runs on Strand
//! and on `qemu-system-riscv64 -machine virt -bios none`.
//!
//! ```text
//!  0x0000_1000  ─ (nothing: boot ROM on QEMU/Spike; unmapped here, fetch faults)
//!  0x0010_0000  ┬ test finisher (sifive_test)       0x1000
//!  0x0200_0000  ┼ CLINT (msip, mtimecmp, mtime)    0x40_0000 (extended, see below)
//!  0x1000_0000  ┼ UART 16550                        0x100
//!  0x1000_1000  ┼ virtio-mmio slot 0 .. 7           0x1000 each
//!  0x8000_0000  ┴ DRAM (HBM)                        memory.dram_size
//! ```
//!
//! ## CLINT beyond 4,095 harts
//! The SiFive CLINT layout has room for 4,095 harts (`msip` at `+4*h`, `mtimecmp` at
//! `0x4000 + 8*h`, `mtime` at `0xBFF8`). Strand keeps that layout for harts below 4,095 and adds
//! two extended windows that cover every hart (the low harts appear in both):
//! `msip` at `CLINT + 0x10_0000 + 4*h` and `mtimecmp` at `CLINT + 0x20_0000 + 8*h`, which leaves
//! room for [`CLINT_MAX_HARTS`] harts.

/// sifive_test finisher: write `0x5555` to pass, `(code << 16) | 0x3333` to fail with `code`.
pub const FINISHER_BASE: u64 = 0x0010_0000;
/// Size of the finisher window.
pub const FINISHER_SIZE: u64 = 0x1000;
/// Core-local interruptor.
pub const CLINT_BASE: u64 = 0x0200_0000;
/// Size of the CLINT window including Strand's extended windows.
pub const CLINT_SIZE: u64 = 0x40_0000;
/// Offset of the legacy `msip` array.
pub const CLINT_MSIP: u64 = 0x0;
/// Offset of the legacy `mtimecmp` array.
pub const CLINT_MTIMECMP: u64 = 0x4000;
/// Offset of `mtime`.
pub const CLINT_MTIME: u64 = 0xBFF8;
/// Harts reachable through the legacy arrays.
pub const CLINT_LEGACY_HARTS: u32 = 4095;
/// Offset of the extended `msip` array (every hart).
pub const CLINT_MSIP_EXT: u64 = 0x10_0000;
/// Offset of the extended `mtimecmp` array (every hart).
pub const CLINT_MTIMECMP_EXT: u64 = 0x20_0000;
/// Most harts the CLINT can address (bounded by the extended `mtimecmp` window).
pub const CLINT_MAX_HARTS: u32 = ((CLINT_SIZE - CLINT_MTIMECMP_EXT) / 8) as u32;
/// `mtime` frequency (QEMU virt's timebase).
pub const TIMEBASE_HZ: u64 = 10_000_000;
/// UART 16550 console.
pub const UART_BASE: u64 = 0x1000_0000;
/// Size of the UART window.
pub const UART_SIZE: u64 = 0x100;
/// First virtio-mmio slot.
pub const VIRTIO_BASE: u64 = 0x1000_1000;
/// Stride between virtio-mmio slots.
pub const VIRTIO_STRIDE: u64 = 0x1000;
/// Number of virtio-mmio slots.
pub const VIRTIO_SLOTS: u64 = 8;
/// DRAM base.
pub const DRAM_BASE: u64 = crate::params::DRAM_BASE;

/// A region of the physical address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Name used in the device tree and in messages.
    pub name: &'static str,
    /// First address.
    pub base: u64,
    /// Length in bytes.
    pub size: u64,
}

impl Region {
    /// Whether `addr..addr+len` lies inside this region.
    pub fn contains(&self, addr: u64, len: u64) -> bool {
        addr >= self.base
            && addr
                .checked_add(len)
                .is_some_and(|end| end <= self.base + self.size)
    }
}

/// Every region of a chip with the given DRAM size, in address order.
pub fn regions(dram_size: u64) -> Vec<Region> {
    vec![
        Region {
            name: "test",
            base: FINISHER_BASE,
            size: FINISHER_SIZE,
        },
        Region {
            name: "clint",
            base: CLINT_BASE,
            size: CLINT_SIZE,
        },
        Region {
            name: "uart",
            base: UART_BASE,
            size: UART_SIZE,
        },
        Region {
            name: "virtio_mmio",
            base: VIRTIO_BASE,
            size: VIRTIO_STRIDE * VIRTIO_SLOTS,
        },
        Region {
            name: "memory",
            base: DRAM_BASE,
            size: dram_size,
        },
    ]
}

/// The firmware's view of this memory map: `firmware/runtime/src/memmap.rs` must define each of
/// these constants with this value (a test parses that file and checks).
pub fn firmware_constants() -> Vec<(&'static str, u64)> {
    vec![
        ("TEST_FINISHER_BASE", FINISHER_BASE),
        ("CLINT_BASE", CLINT_BASE),
        ("UART_BASE", UART_BASE),
        ("VIRTIO_MMIO_BASE", VIRTIO_BASE),
        ("VIRTIO_MMIO_STRIDE", VIRTIO_STRIDE),
        ("VIRTIO_MMIO_SLOTS", VIRTIO_SLOTS),
        ("DRAM_BASE", DRAM_BASE),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_do_not_overlap() {
        let r = regions(16 << 30);
        for w in r.windows(2) {
            assert!(
                w[0].base + w[0].size <= w[1].base,
                "{:?} overlaps {:?}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn firmware_memory_map_mirrors_hw() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../firmware/runtime/src/memmap.rs"
        );
        let text = std::fs::read_to_string(path).expect("firmware/runtime/src/memmap.rs exists");
        for (name, value) in firmware_constants() {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("pub const {name}:")))
                .unwrap_or_else(|| panic!("{path} does not define {name}"));
            let lit = line
                .split('=')
                .nth(1)
                .unwrap()
                .trim()
                .trim_end_matches(';')
                .replace('_', "");
            let got = match lit.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => lit.parse(),
            }
            .unwrap_or_else(|e| panic!("{name} = {lit}: {e}"));
            assert_eq!(got, value, "{path}: {name} is {got:#x}, hw says {value:#x}");
        }
    }

    #[test]
    fn clint_capacity_covers_sketch2k() {
        const { assert!(CLINT_MAX_HARTS >= 16384) };
        assert_eq!(
            CLINT_MTIMECMP + 8 * u64::from(CLINT_LEGACY_HARTS),
            CLINT_MTIME
        );
    }
}
