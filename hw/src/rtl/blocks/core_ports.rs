//! The port list of one multithreaded core, as the tile instantiates it: the contract between
//! the tile generator (this folder) and the core generator (`hw/src/rtl/core/`).
//!
//! ```text
//!              ┌──────────── core (T threads) ────────────┐
//!  hart_base ─►│ mhartid of thread t = hart_base + t      │
//!  msip[T]   ─►│ machine software / timer interrupt lines │
//!  mtip[T]   ─►│ (from the CLINT)                         │
//!              │ imem_req_*  ──► L1I  (fetch, 8 bytes)    │──► imem_req_valid/addr/tid
//!              │ imem_resp_* ◄── one cycle after a hit    │◄── imem_req_ready, imem_resp_*
//!              │ dmem_req_*  ──► L1D  (load/store/LR/SC/  │──► dmem_req_valid/op/amo/addr/...
//!              │ dmem_resp_* ◄──       AMO, 8-byte lanes) │◄── dmem_req_ready, dmem_resp_*
//!              │ mmio_req_*  ──► CLINT / host bridge      │──► mmio_req_valid/write/addr/...
//!              │ mmio_resp_* ◄── (uncached, in order)     │◄── mmio_req_ready, mmio_resp_*
//!              └──────────────────────────────────────────┘
//! ```
//!
//! Requests are valid/ready (a request moves when both are set); responses are valid-only
//! (the core always accepts them) and carry the thread id of their request. `dmem_req_op`:
//! 0 load, 1 store, 2 LR, 3 SC, 4 AMO (`dmem_req_amo` = the AMO's funct5). Addresses are
//! physical, [`CorePorts::pa_bits`] wide; data lanes are 64 bits with a byte mask.
//!
//! Until `hw/src/rtl/core/` provides the core, [`core_placeholder`] builds a module with exactly
//! these ports whose outputs are zero: the tile, chip, lint and `strand fit` run with it, and
//! `strand fit` synthesises it as a black box (the tile's core area is then not counted and the
//! report says so).

use crate::rtl::{clog2, zeros, Design, ModRef, Module, ModuleBuilder, Params, RtlError, Sig};
use crate::ChipConfig;

/// One port of the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorePort {
    /// Verilog name.
    pub name: String,
    /// True for an input of the core.
    pub input: bool,
    /// Width in bits.
    pub width: u32,
    /// What it carries.
    pub doc: &'static str,
}

/// The core's interface for one chip configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorePorts {
    /// Hardware threads per core.
    pub threads: u32,
    /// Physical address bits (enough for the top of DRAM).
    pub pa_bits: u32,
    /// Bits of a hart id.
    pub hart_bits: u32,
}

/// Physical address bits of a configuration: enough for the last DRAM byte.
pub fn pa_bits(cfg: &ChipConfig) -> u32 {
    let top = crate::params::DRAM_BASE + cfg.memory.dram_size - 1;
    64 - top.leading_zeros()
}

impl CorePorts {
    /// The interface of `cfg`'s core.
    pub fn from_config(cfg: &ChipConfig) -> CorePorts {
        CorePorts {
            threads: cfg.core.threads,
            pa_bits: pa_bits(cfg),
            hart_bits: clog2(u64::from(cfg.harts())).max(1),
        }
    }

    /// Bits of a thread id (at least 1).
    pub fn tid_bits(&self) -> u32 {
        clog2(u64::from(self.threads)).max(1)
    }

    /// Every port, in declaration order.
    pub fn ports(&self) -> Vec<CorePort> {
        let (t, pa, tb) = (self.threads, self.pa_bits, self.tid_bits());
        let p = |name: &str, input: bool, width: u32, doc: &'static str| CorePort {
            name: name.to_string(),
            input,
            width,
            doc,
        };
        vec![
            p("hart_base", true, self.hart_bits, "mhartid of thread 0"),
            p("msip", true, t, "software interrupt pending, per thread"),
            p("mtip", true, t, "timer interrupt pending, per thread"),
            p("imem_req_valid", false, 1, "fetch request"),
            p("imem_req_addr", false, pa, "fetch address (8-byte aligned)"),
            p("imem_req_tid", false, tb, "fetching thread"),
            p("imem_req_ready", true, 1, "L1I accepts the fetch"),
            p("imem_resp_valid", true, 1, "fetched word valid"),
            p("imem_resp_data", true, 64, "8 bytes of instructions"),
            p("imem_resp_tid", true, tb, "thread of the fetch"),
            p("dmem_req_valid", false, 1, "data request"),
            p(
                "dmem_req_op",
                false,
                3,
                "0 load, 1 store, 2 LR, 3 SC, 4 AMO",
            ),
            p("dmem_req_amo", false, 5, "AMO funct5"),
            p("dmem_req_addr", false, pa, "data address"),
            p(
                "dmem_req_wdata",
                false,
                64,
                "store/AMO data (in its byte lanes)",
            ),
            p("dmem_req_wmask", false, 8, "byte lanes written"),
            p("dmem_req_tid", false, tb, "requesting thread"),
            p("dmem_req_ready", true, 1, "L1D accepts the request"),
            p("dmem_resp_valid", true, 1, "load/LR/SC/AMO result"),
            p(
                "dmem_resp_data",
                true,
                64,
                "the 8-byte word (SC: 0 = success)",
            ),
            p("dmem_resp_tid", true, tb, "thread of the request"),
            p("mmio_req_valid", false, 1, "uncached device request"),
            p("mmio_req_write", false, 1, "store (else load)"),
            p("mmio_req_addr", false, 32, "device address (below DRAM)"),
            p(
                "mmio_req_wdata",
                false,
                64,
                "store data (in its byte lanes)",
            ),
            p(
                "mmio_req_size",
                false,
                2,
                "log2 of the access size in bytes",
            ),
            p("mmio_req_tid", false, tb, "requesting thread"),
            p(
                "mmio_req_ready",
                true,
                1,
                "the device path accepts the request",
            ),
            p(
                "mmio_resp_valid",
                true,
                1,
                "device response (loads and stores)",
            ),
            p("mmio_resp_data", true, 64, "load data"),
            p("mmio_resp_tid", true, tb, "thread of the request"),
        ]
    }

    /// Declares every port on `m` (for the core generator): inputs then outputs as listed.
    pub fn declare(&self, m: &mut ModuleBuilder) -> Vec<(CorePort, Sig)> {
        self.ports()
            .into_iter()
            .map(|p| {
                let s = if p.input {
                    m.input(&p.name, p.width)
                } else {
                    m.output(&p.name, p.width)
                };
                (p, s)
            })
            .collect()
    }

    /// Checks that `m` has exactly these ports (names, directions, widths), plus `clk`/`rst`.
    pub fn check(&self, m: &Module) -> Result<(), String> {
        let have: Vec<_> = m
            .ports()
            .into_iter()
            .filter(|p| p.name != "clk" && p.name != "rst")
            .collect();
        let want = self.ports();
        for w in &want {
            match have.iter().find(|h| h.name == w.name) {
                None => return Err(format!("{}: port {} is missing", m.name(), w.name)),
                Some(h) => {
                    let input = h.dir == crate::rtl::module::PortDir::Input;
                    if input != w.input || h.width != w.width {
                        return Err(format!(
                            "{}: port {} is {} {} bits, the tile expects {} {} bits",
                            m.name(),
                            w.name,
                            if input { "input" } else { "output" },
                            h.width,
                            if w.input { "input" } else { "output" },
                            w.width
                        ));
                    }
                }
            }
        }
        if have.len() != want.len() {
            return Err(format!("{}: has ports the tile does not expect", m.name()));
        }
        Ok(())
    }
}

/// The module name of the placeholder core.
pub fn placeholder_name(p: &CorePorts) -> String {
    format!(
        "core_placeholder_t{}_pa{}_h{}",
        p.threads, p.pa_bits, p.hart_bits
    )
}

/// Builds (or reuses) the placeholder core: [`CorePorts`] with every output zero and every input
/// unused. It is no core: it only lets the tile and chip be generated, linted and synthesised
/// before `hw/src/rtl/core/` provides one.
pub fn core_placeholder(d: &mut Design, p: &CorePorts) -> Result<ModRef, RtlError> {
    let params = Params::new()
        .with("threads", p.threads)
        .with("pa_bits", p.pa_bits)
        .with("hart_bits", p.hart_bits);
    d.build(&placeholder_name(p), module_path!(), params, |m| {
        m.doc("PLACEHOLDER for the multithreaded core (hw/src/rtl/core/): the core's port list");
        m.doc("with zero outputs. Not a core; `strand fit` synthesises it as a black box.");
        for (port, sig) in p.declare(m) {
            if port.input {
                m.allow_unused(&sig);
            } else {
                m.assign(&sig, zeros(port.width));
            }
        }
        Ok(())
    })
}
