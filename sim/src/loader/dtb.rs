//! Flattened device tree for the firmware (written with rust-vmm's `vm-fdt`), shaped like QEMU
//! `virt`'s so the same firmware parses both:
//!
//! ```text
//! /                    compatible = "strand,chip", model = "strand,<config name>"
//! ├── chosen           bootargs (from --append), stdout-path
//! ├── memory@80000000  reg = <DRAM base, size>
//! ├── cpus             timebase-frequency = 10 MHz
//! │   └── cpu@N        reg = hartid, riscv,isa, strand,tile/core/thread, interrupt-controller
//! └── soc
//!     ├── test@100000      sifive,test0
//!     ├── clint@2000000    sifive,clint0 (interrupts-extended: MSIP, MTIP of every hart)
//!     ├── serial@10000000  ns16550a
//!     └── virtio_mmio@10008000  virtio,mmio (only with a virtio-fs share attached)
//! ```
//!
//! The blob is placed where QEMU places it: aligned down to 2 MiB below the lower of DRAM's end
//! and 3 GiB, so firmware memory layouts are the same on both.

use strand_hw::memmap::*;
use strand_hw::ChipConfig;
use vm_fdt::{Error as FdtError, FdtWriter};

/// The ISA string advertised for every hart.
pub const ISA_STRING: &str = "rv64ima_zicsr_zifencei_zicntr";

/// Build the device tree blob for `cfg` with `/chosen/bootargs = bootargs`.
pub fn build(cfg: &ChipConfig, bootargs: &str) -> Result<Vec<u8>, FdtError> {
    build_with(cfg, bootargs, false)
}

/// [`build`], plus a `virtio,mmio` node for virtio-mmio slot 7 when `virtio_fs` is set.
pub fn build_with(cfg: &ChipConfig, bootargs: &str, virtio_fs: bool) -> Result<Vec<u8>, FdtError> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "strand,chip")?;
    f.property_string("model", &format!("strand,{}", cfg.name))?;

    let chosen = f.begin_node("chosen")?;
    f.property_string("bootargs", bootargs)?;
    f.property_string("stdout-path", &format!("/soc/serial@{UART_BASE:x}"))?;
    f.end_node(chosen)?;

    let mem = f.begin_node(&format!("memory@{DRAM_BASE:x}"))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &[DRAM_BASE, cfg.memory.dram_size])?;
    f.end_node(mem)?;

    let clock_hz = (cfg.clock_mhz * 1e6).round() as u32;
    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    f.property_u32("timebase-frequency", TIMEBASE_HZ as u32)?;
    for hart in 0..cfg.harts() {
        let (tile, core, thread) = cfg.hart_location(hart);
        let cpu = f.begin_node(&format!("cpu@{hart}"))?;
        f.property_string("device_type", "cpu")?;
        f.property_u32("reg", hart)?;
        f.property_string("status", "okay")?;
        f.property_string("compatible", "riscv")?;
        f.property_string("riscv,isa", ISA_STRING)?;
        f.property_u32("clock-frequency", clock_hz)?;
        f.property_array_u32("strand,location", &[tile, core, thread])?;
        let intc = f.begin_node("interrupt-controller")?;
        f.property_u32("#interrupt-cells", 1)?;
        f.property_null("interrupt-controller")?;
        f.property_string("compatible", "riscv,cpu-intc")?;
        f.property_phandle(intc_phandle(hart))?;
        f.end_node(intc)?;
        f.end_node(cpu)?;
    }
    f.end_node(cpus)?;

    let soc = f.begin_node("soc")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_string("compatible", "simple-bus")?;
    f.property_null("ranges")?;

    let test = f.begin_node(&format!("test@{FINISHER_BASE:x}"))?;
    f.property_string_list(
        "compatible",
        vec!["sifive,test1".into(), "sifive,test0".into()],
    )?;
    f.property_array_u64("reg", &[FINISHER_BASE, FINISHER_SIZE])?;
    f.end_node(test)?;

    let clint = f.begin_node(&format!("clint@{CLINT_BASE:x}"))?;
    f.property_string_list(
        "compatible",
        vec!["sifive,clint0".into(), "riscv,clint0".into()],
    )?;
    f.property_array_u64("reg", &[CLINT_BASE, CLINT_SIZE])?;
    let mut irqs = Vec::with_capacity(cfg.harts() as usize * 4);
    for hart in 0..cfg.harts() {
        irqs.extend_from_slice(&[intc_phandle(hart), 3, intc_phandle(hart), 7]);
    }
    f.property_array_u32("interrupts-extended", &irqs)?;
    f.end_node(clint)?;

    let uart = f.begin_node(&format!("serial@{UART_BASE:x}"))?;
    f.property_string("compatible", "ns16550a")?;
    f.property_array_u64("reg", &[UART_BASE, UART_SIZE])?;
    f.property_u32("clock-frequency", 3_686_400)?;
    f.end_node(uart)?;

    if virtio_fs {
        let base = VIRTIO_BASE + (VIRTIO_SLOTS - 1) * VIRTIO_STRIDE;
        let node = f.begin_node(&format!("virtio_mmio@{base:x}"))?;
        f.property_string("compatible", "virtio,mmio")?;
        f.property_array_u64("reg", &[base, VIRTIO_STRIDE])?;
        f.end_node(node)?;
    }

    f.end_node(soc)?;
    f.end_node(root)?;
    f.finish()
}

fn intc_phandle(hart: u32) -> u32 {
    hart + 1
}

/// Where the blob of `len` bytes goes in a DRAM of `dram_size` bytes (QEMU's rule).
pub fn placement(dram_size: u64, len: u64) -> Option<u64> {
    // QEMU: `temp = dram_base < 3 GiB ? MIN(dram_end, 3 GiB) : dram_end` (DRAM_BASE is 2 GiB).
    let end = (DRAM_BASE + dram_size).min(3 << 30);
    let addr = end.checked_sub(len)? & !((2 << 20) - 1);
    (addr >= DRAM_BASE).then_some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_for_every_preset_and_places_like_qemu() {
        for name in strand_hw::params::PRESETS {
            let cfg = ChipConfig::preset(name).unwrap();
            let blob = build(&cfg, "size=64K").unwrap();
            assert_eq!(&blob[..4], &[0xd0, 0x0d, 0xfe, 0xed]);
            assert!(placement(cfg.memory.dram_size, blob.len() as u64).is_some());
        }
        let cfg = ChipConfig::preset("tiny").unwrap();
        let with = build_with(&cfg, "", true).unwrap();
        let find = |b: &[u8], s: &[u8]| b.windows(s.len()).any(|w| w == s);
        assert!(find(&with, b"virtio_mmio@10008000") && find(&with, b"virtio,mmio"));
        assert!(!find(&build(&cfg, "").unwrap(), b"virtio,mmio"));
        // QEMU virt with -m 256M puts a small fdt at 0x8fe00000.
        assert_eq!(placement(256 << 20, 0x2000), Some(0x8fe0_0000));
        // With more than 1 GiB of DRAM, below 3 GiB.
        assert_eq!(placement(8 << 30, 0x2000), Some(0xbfe0_0000));
    }
}
