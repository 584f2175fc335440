//! `strand rtl` and `strand fit`: write the generated Verilog of a configuration, and estimate
//! its FPGA resources with Yosys (see `docs/rtl.md`).

use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use strand_hw::params::{ChipConfig, DEFAULT_PRESET};
use strand_hw::rtl::blocks::chip::rtl_files;
use strand_hw::rtl::fit::fit;

/// `strand rtl`: generate the chip's Verilog.
#[derive(Args)]
pub struct RtlCmd {
    /// Built-in preset: single, tiny (default), u280, sketch2k.
    #[arg(long, default_value = DEFAULT_PRESET)]
    preset: String,
    /// Override one parameter, e.g. --set noc.router_latency=2 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Output folder (created): one `<module>.v` per module and `filelist.f`.
    #[arg(long)]
    out: PathBuf,
}

/// `strand fit`: Yosys resource estimate.
#[derive(Args)]
pub struct FitCmd {
    /// Built-in preset: single, tiny (default), u280, sketch2k.
    #[arg(long, default_value = DEFAULT_PRESET)]
    preset: String,
    /// Override one parameter (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Scratch folder for the Verilog and the Yosys reports.
    #[arg(long, default_value = "target/fit")]
    work: PathBuf,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also synthesise the chip top as one design (slow: as long as all tiles together).
    #[arg(long)]
    whole: bool,
    /// Do not synthesise the core (the slowest unit); it is reported as not measured.
    #[arg(long)]
    no_core: bool,
}

fn resolve(preset: &str, set: &[String]) -> Result<ChipConfig> {
    let mut cfg = ChipConfig::preset(preset)?;
    for s in set {
        cfg.apply_override(s)?;
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Runs `strand rtl`.
pub fn rtl(c: RtlCmd) -> Result<ExitCode> {
    let cfg = resolve(&c.preset, &c.set)?;
    let files = rtl_files(&cfg, &c.preset, &c.out.display().to_string())?;
    std::fs::create_dir_all(&c.out)
        .with_context(|| format!("cannot create {}", c.out.display()))?;
    for (name, text) in &files {
        let p = c.out.join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    eprintln!(
        "strand rtl: {} files for {} in {}",
        files.len(),
        cfg.name,
        c.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `strand fit`; fails (exit 1) when a memory did not map to its intended primitive.
pub fn fit_cmd(c: FitCmd) -> Result<ExitCode> {
    let cfg = resolve(&c.preset, &c.set)?;
    let report = fit(&cfg, &c.preset, &c.work, c.whole, !c.no_core)?;
    // Both forms are kept beside the Yosys reports.
    let _ = std::fs::write(c.work.join("report.txt"), report.to_text());
    let _ = std::fs::write(
        c.work.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    );
    if c.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(if report.rams_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
