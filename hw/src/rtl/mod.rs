//! A typed RTL intermediate representation and its Verilog emitter.
//!
//! Generators are Rust functions that build [`Module`]s with a [`ModuleBuilder`]; a [`Design`]
//! collects them (one module definition per name + parameter set) and writes one Verilog file per
//! module. The IR is designed so that the emitted Verilog has exactly one meaning:
//!
//! * every [`Expr`] has a width, checked when the design is built; a mismatch is an
//!   [`RtlError::Width`] naming the module, the signal, the expected and the actual width;
//! * constants are always sized (`8'd5`), extension and truncation are explicit
//!   ([`Expr::zext`], [`Expr::sext`], [`Expr::slice`]), operands of `+ - * & | ^ ?:` and
//!   comparisons have equal widths and assignments match exactly, so Verilog's context-dependent
//!   widths never come into play (`~` of a zero-extended value is `~{4'd0, a}`);
//! * ports are ANSI, registers have a synchronous active-high reset, memories use fixed templates;
//! * every file starts with a header (generator, version, config hash, how to regenerate,
//!   `DO NOT EDIT`).
//!
//! ```text
//!   generator fn ──► ModuleBuilder ──finish()──► Module ──Design::add──► Design ──write()──► <name>.v
//!                    (signals, regs, assigns,    (checked:                (dedup by           files.f
//!                     seq/comb blocks, memories,  widths, drivers,         name + params)
//!                     instances, bundles)         reads, names)
//! ```
//!
//! | module | holds |
//! |---|---|
//! | [`expr`] | [`Expr`]: the expression tree, operators and their width rules |
//! | [`ty`] | [`Params`], [`fnv1a64`], [`clog2`], signal kinds |
//! | [`module`] | [`ModuleBuilder`], [`Module`], registers, processes, memories, instances |
//! | [`bundle`] | [`Bundle`] (port groups such as valid/ready/data) and their connection rules |
//! | [`design`] | [`Design`]: the set of modules, file headers, writing files |
//! | [`emit`] | Verilog text for one module |
//! | [`names`] | identifier rules and systematic names (`tile_<y>_<x>`, `in_n_valid`) |
//! | [`eval`] | the reference meaning of every expression (used to test the emitter) |
//! | [`tb`] | a generated stimulus testbench and the parser for its output |
//! | [`tools`] | running Verilator, Yosys and Icarus Verilog on generated files |
//! | [`blocks`] | small reusable blocks: FIFO, round-robin arbiter, counter |
//!
//! A counter with an explicit carry, as a generator would write it:
//!
//! ```
//! use strand_hw::rtl::{lit, Design, Params};
//!
//! let mut d = Design::new("strand rtl --preset tiny --out build/rtl");
//! let top = d.build("blink_w8", module_path!(), Params::new().with("width", 8), |m| {
//!     let en = m.input("en", 1);
//!     let count = m.reg("count", 8, 0); // synchronous reset to 8'd0
//!     let sum = m.wire_from("sum", count.add_carry(lit(8, 1))); // 9 bits: the carry is explicit
//!     m.next_when(&count, &en, sum.trunc(8)); // so is the truncation
//!     m.output_from("led", count.msb());
//!     m.output_from("wrap", &en & sum.msb());
//!     Ok(())
//! })?;
//! let text = d.file_text(&top);
//! assert!(text.contains("assign sum = {1'b0, count} + 9'd1;"));
//! assert!(text.contains("count <= sum[7:0];"));
//! # Ok::<(), strand_hw::rtl::RtlError>(())
//! ```
//!
//! See `docs/rtl.md` for the rules in full and how to regenerate the golden files.

pub mod blocks;
pub mod bundle;
pub mod core;
mod describe;
pub mod design;
pub mod emit;
pub mod eval;
pub mod expr;
pub mod fit;
mod fold;
pub mod module;
pub mod names;
mod process;
pub mod tb;
pub mod tools;
pub mod ty;
mod verify;

pub use bundle::{Bundle, BundleSigs, Flow, Role};
pub use design::{Design, ModRef};
pub use expr::{cat, lit, mux, ones, zeros, Expr};
pub use module::{Inst, Mem, Module, ModuleBuilder, RamStyle, Sig};
pub use process::{CaseBuilder, ProcBuilder};
pub use ty::{clog2, fnv1a64, Params};

use thiserror::Error;

/// Everything that can be wrong with a generated design, or with running the tools on it. The
/// messages name the module and the signal and say what to do.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum RtlError {
    /// An operand or an assigned value has the wrong width.
    #[error(
        "module '{module}', signal '{signal}': {what}: expected width {expected}, got {actual}"
    )]
    Width {
        /// The module being built.
        module: String,
        /// The signal (or port, memory port, instance port) whose value holds the expression.
        signal: String,
        /// Which operand of which operator.
        what: String,
        /// The width the operator requires.
        expected: u32,
        /// The width it was given.
        actual: u32,
    },
    /// An expression is malformed in a way other than a width mismatch (a slice out of range, a
    /// constant that does not fit, a signal of another module).
    #[error("module '{module}', signal '{signal}': {msg}")]
    Expr {
        /// The module being built.
        module: String,
        /// The signal whose value holds the expression.
        signal: String,
        /// What is wrong and what to do.
        msg: String,
    },
    /// A name is not a legal, unreserved identifier or is declared twice.
    #[error("module '{module}': bad name '{name}': {why}")]
    Name {
        /// The module being built.
        module: String,
        /// The offending name.
        name: String,
        /// Why it is refused.
        why: String,
    },
    /// A signal is driven zero times, twice, or by the wrong kind of statement.
    #[error("module '{module}', signal '{signal}': {why}")]
    Driver {
        /// The module being built.
        module: String,
        /// The signal.
        signal: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// Some bits of a signal are never read (Verilator would warn `UNUSEDSIGNAL`).
    #[error(
        "module '{module}', signal '{signal}': {bits} never read; use it, or mark it with \
         allow_unused() if that is intended"
    )]
    Unused {
        /// The module being built.
        module: String,
        /// The signal.
        signal: String,
        /// `"it is"` or `"bits [7:4] are"` (with where the signal comes from, if generated).
        bits: String,
    },
    /// Two bundles cannot be connected.
    #[error("module '{module}': cannot connect bundle '{from}' to '{to}': {why}")]
    Bundle {
        /// The module being built.
        module: String,
        /// The bundle the forward members flow out of.
        from: String,
        /// The bundle the forward members flow into.
        to: String,
        /// What differs, or which direction is wrong.
        why: String,
    },
    /// A memory is declared or used against its template.
    #[error("module '{module}', memory '{memory}': {why}")]
    Memory {
        /// The module being built.
        module: String,
        /// The memory.
        memory: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// An instance refers to a port or bundle its module does not have.
    #[error("module '{module}', instance '{instance}': {why}")]
    Instance {
        /// The module being built.
        module: String,
        /// The instance.
        instance: String,
        /// What is wrong.
        why: String,
    },
    /// A generator was called with parameters it does not support.
    #[error("{generator}: unsupported parameters: {why}")]
    Param {
        /// The generator (module path).
        generator: String,
        /// Which parameter and what is allowed.
        why: String,
    },
    /// The same module name was generated with two different parameter sets.
    #[error(
        "module '{name}' generated twice with different parameters ('{first}' and '{second}'); \
         put the parameters that differ into the module name"
    )]
    ModuleConflict {
        /// The module name.
        name: String,
        /// Parameters of the definition already in the design.
        first: String,
        /// Parameters of the new one.
        second: String,
    },
    /// A file could not be written or read.
    #[error("{path}: {msg}")]
    Io {
        /// The file or folder.
        path: String,
        /// The operating system's message.
        msg: String,
    },
    /// An external tool is not installed.
    #[error(
        "{tool} not found in PATH; run scripts/setup (it installs verilator, yosys and iverilog)"
    )]
    ToolMissing {
        /// The program name.
        tool: String,
    },
    /// An external tool reported an error or a warning.
    #[error("{tool} failed on generated RTL ({command}):\n{output}")]
    ToolFailed {
        /// The program name.
        tool: String,
        /// The command line that was run.
        command: String,
        /// Its stdout and stderr (warnings and errors).
        output: String,
    },
}
