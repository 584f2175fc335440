//! `strand cosim`: runs `strand-cosim` (the `cosim/` crate, kept out of this binary's
//! dependency graph: it needs Verilator and a C++ compiler at run time) with the same arguments.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::process::{Command, ExitCode};

/// Arguments passed through to `strand-cosim`.
#[derive(Args)]
pub struct CosimCmd {
    /// `[--chip] [--preset P | --config FILE] [--set k=v]... [--append ARGS] [--max-cycles N]
    /// [--check-engine] ELF` (`--chip`: the whole chip top, docs/rtl.md "Chip co-simulation")
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 1..)]
    args: Vec<String>,
}

/// Find `strand-cosim` beside this executable (or on PATH) and run it.
pub fn cosim(c: CosimCmd) -> Result<ExitCode> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("strand-cosim")))
        .filter(|p| p.is_file());
    let exe = beside.unwrap_or_else(|| "strand-cosim".into());
    let status = Command::new(&exe).args(&c.args).status().with_context(|| {
        format!(
            "cannot run {}: build it with `cargo build --release -p strand-cosim`",
            exe.display()
        )
    })?;
    match status.code() {
        Some(code) => Ok(ExitCode::from(code as u8)),
        None => bail!("strand-cosim was killed by a signal"),
    }
}
