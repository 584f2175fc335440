//! The chip top: every hart of every core of every tile, on one platform (DRAM + devices).
//!
//! ```text
//!  ChipConfig ──► Machine::new ──► harts[tile][core][thread]  (flat, index = mhartid)
//!                                  platform: DRAM, CLINT, UART, finisher, HTIF
//!  ELF ─────────► Machine::load ─► segments in DRAM, DTB at QEMU's address,
//!                                  every hart: pc = entry, a0 = hartid, a1 = DTB
//! ```

use crate::core::Hart;
use crate::devices::uart::Uart;
use crate::loader::{dtb, elf};
use crate::platform::Platform;
use std::io::Write;
use strand_hw::memmap::DRAM_BASE;
use strand_hw::{ChipConfig, ConfigError};
use thiserror::Error;

/// Errors while building a machine or loading a program.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The ELF is unusable.
    #[error(transparent)]
    Elf(#[from] elf::ElfError),
    /// The device tree could not be built or placed.
    #[error("cannot build the device tree: {0}")]
    Dtb(String),
    /// The program overlaps the device tree.
    #[error("the program's segment {start:#x}..{end:#x} overlaps the device tree at {dtb:#x}; raise memory.dram_size")]
    DtbOverlap {
        /// Segment start.
        start: u64,
        /// Segment end.
        end: u64,
        /// DTB address.
        dtb: u64,
    },
}

/// Modelled service time of the virtio-fs device per notified queue (a host daemon round trip):
/// the used ring is updated this long after the guest's notify.
pub const VIRTIO_FS_SERVICE_NS: f64 = 2000.0;

/// A chip with its platform, ready to run.
pub struct Machine {
    /// The resolved configuration.
    pub cfg: ChipConfig,
    /// All harts, indexed by `mhartid`.
    pub harts: Vec<Hart>,
    /// Memory and devices.
    pub platform: Platform,
    /// Where the DTB was placed.
    pub dtb_addr: u64,
}

impl Machine {
    /// Build a machine for a validated `cfg`; the console goes to `console`.
    pub fn new(cfg: ChipConfig, console: Box<dyn Write + Send>) -> Result<Machine, LoadError> {
        cfg.validate()?;
        let clock_hz = (cfg.clock_mhz * 1e6).round() as u64;
        let uart = Uart::new(console, true);
        let platform = Platform::new(cfg.memory.dram_size, cfg.harts(), clock_hz, uart);
        Ok(Machine {
            cfg,
            harts: Vec::new(),
            platform,
            dtb_addr: 0,
        })
    }

    /// Serve host directory `dir` to the firmware as a virtio-fs device with `tag` (virtio-mmio
    /// slot 7, 0x1000_8000, listed in the device tree). Call before [`Machine::load`].
    pub fn attach_share(
        &mut self,
        dir: &std::path::Path,
        tag: &str,
    ) -> Result<(), crate::devices::virtio::ShareError> {
        self.platform.virtio_fs = Some(crate::devices::virtio::VirtioFs::new(dir, tag)?);
        self.platform.virtio_latency = self.cfg.ns_to_cycles(VIRTIO_FS_SERVICE_NS);
        Ok(())
    }

    /// Load an ELF image and the device tree, and reset every hart to the entry point.
    pub fn load(&mut self, image: &[u8], bootargs: &str) -> Result<elf::Program, LoadError> {
        let dram = DRAM_BASE..DRAM_BASE + self.cfg.memory.dram_size;
        let prog = elf::parse(image, dram)?;
        let virtio_fs = self.platform.virtio_fs.is_some();
        let blob = dtb::build_with(&self.cfg, bootargs, virtio_fs)
            .map_err(|e| LoadError::Dtb(e.to_string()))?;
        let dtb_addr = dtb::placement(self.cfg.memory.dram_size, blob.len() as u64)
            .ok_or_else(|| LoadError::Dtb(format!("{} bytes do not fit in DRAM", blob.len())))?;
        for s in &prog.segments {
            if s.addr < dtb_addr + blob.len() as u64 && dtb_addr < s.addr + s.mem_size {
                return Err(LoadError::DtbOverlap {
                    start: s.addr,
                    end: s.addr + s.mem_size,
                    dtb: dtb_addr,
                });
            }
        }
        for s in &prog.segments {
            self.platform.dram.load_bytes(s.addr, &s.data);
        }
        self.platform.dram.load_bytes(dtb_addr, &blob);
        if let Some(r) = prog.code_range() {
            self.platform.set_code_range(r.start, r.end - r.start);
        }
        self.platform.tohost = prog.tohost;
        self.platform.fromhost = prog.fromhost;
        self.dtb_addr = dtb_addr;
        self.harts = (0..self.cfg.harts())
            .map(|h| Hart::new(h, prog.entry, dtb_addr))
            .collect();
        Ok(prog)
    }
}
