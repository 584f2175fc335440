//! Strand hardware description: the chip parameters, the memory map and the ISA tables that the
//! simulator (`sim`), the firmware and (later) the RTL generator all derive from.
//!
//! | module | holds |
//! |---|---|
//! | [`params`] | typed configuration, presets, strict TOML, `--set` overrides, `validate()` |
//! | [`memmap`] | physical memory map (QEMU `virt` compatible) and CLINT layout |
//! | [`isa`]    | RV64IMA+Zicsr+Zifencei+Zicntr decode table and CSR map |
//! | [`rtl`]    | typed RTL IR, width-checked builder, Verilog emitter, small blocks |

pub mod isa;
pub mod memmap;
pub mod params;
pub mod rtl;

pub use params::{ChipConfig, ConfigError};
