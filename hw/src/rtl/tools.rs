//! Running the external tools on generated files: Verilator (lint), Yosys (synthesis cell
//! counts) and Icarus Verilog (simulation). A missing tool is an [`RtlError::ToolMissing`] that
//! says to run `scripts/setup`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::RtlError;

/// `name` from `PATH`.
pub fn find_tool(name: &str) -> Result<PathBuf, RtlError> {
    let missing = || RtlError::ToolMissing {
        tool: name.to_string(),
    };
    let path = std::env::var_os("PATH").ok_or_else(missing)?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(missing)
}

fn run(tool: &str, cmd: &mut Command) -> Result<(bool, String, String), RtlError> {
    let line = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| RtlError::ToolFailed {
        tool: tool.to_string(),
        command: line.clone(),
        output: e.to_string(),
    })?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `verilator --lint-only -Wall --top-module <top> <files>`: succeeds only with zero warnings.
pub fn verilator_lint(files: &[PathBuf], top: &str) -> Result<(), RtlError> {
    let exe = find_tool("verilator")?;
    let mut cmd = Command::new(exe);
    cmd.args(["--lint-only", "-Wall", "--top-module", top])
        .args(files);
    let (ok, stdout, stderr) = run("verilator", &mut cmd)?;
    let output = format!("{stdout}{stderr}");
    if !ok || output.contains("%Warning") || output.contains("%Error") {
        return Err(RtlError::ToolFailed {
            tool: "verilator".into(),
            command: format!("{cmd:?}"),
            output,
        });
    }
    Ok(())
}

/// Which Yosys synthesis script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synth {
    /// `synth`: generic gates, fast; checks that the design synthesises.
    Generic,
    /// `synth_xilinx -family xcup`: UltraScale+ cells (LUTs, FFs, RAMB, URAM, LUTRAM).
    Xilinx,
}

/// Cell counts from Yosys `stat` (the whole design when it is hierarchical).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellCounts {
    /// Total number of cells.
    pub total: u64,
    /// Cells by type (`RAMB18E2`, `LUT4`, `$_DFF_P_`, ...).
    pub cells: BTreeMap<String, u64>,
    /// Warnings Yosys printed.
    pub warnings: Vec<String>,
}

impl CellCounts {
    /// The number of cells whose type starts with `prefix` (e.g. `"LUT"`, `"RAMB"`, `"FD"`).
    pub fn count(&self, prefix: &str) -> u64 {
        self.cells
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    }
}

/// Parses the last `Number of cells:` section of a Yosys `stat` report.
pub fn parse_stat(text: &str) -> CellCounts {
    let mut counts = CellCounts::default();
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("Number of cells:"))
    else {
        return counts;
    };
    counts.total = lines[start]
        .split(':')
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    for l in &lines[start + 1..] {
        let mut it = l.split_whitespace();
        match (it.next(), it.next(), it.next()) {
            (Some(name), Some(n), None) => match n.parse() {
                Ok(n) => {
                    counts.cells.insert(name.to_string(), n);
                }
                Err(_) => break,
            },
            _ => break,
        }
    }
    counts
}

/// Synthesises `top` from `files` with Yosys and returns its cell counts; `work` receives the
/// `stat` report (`<top>.stat`).
pub fn yosys_synth(
    files: &[PathBuf],
    top: &str,
    synth: Synth,
    work: &Path,
) -> Result<CellCounts, RtlError> {
    let exe = find_tool("yosys")?;
    let stat = work.join(format!("{top}.stat"));
    let read: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let script = match synth {
        Synth::Generic => format!("synth -top {top}"),
        Synth::Xilinx => format!("synth_xilinx -family xcup -top {top}"),
    };
    let script = format!(
        "read_verilog -sv {}; {script}; tee -q -o {} stat",
        read.join(" "),
        stat.display()
    );
    let mut cmd = Command::new(exe);
    cmd.args(["-q", "-p", &script]);
    let (ok, stdout, stderr) = run("yosys", &mut cmd)?;
    let output = format!("{stdout}{stderr}");
    if !ok {
        return Err(RtlError::ToolFailed {
            tool: "yosys".into(),
            command: format!("yosys -q -p \"{script}\""),
            output,
        });
    }
    let text = std::fs::read_to_string(&stat).map_err(|e| RtlError::Io {
        path: stat.display().to_string(),
        msg: e.to_string(),
    })?;
    let mut counts = parse_stat(&text);
    counts.warnings = output
        .lines()
        .filter(|l| l.starts_with("Warning"))
        .map(str::to_string)
        .collect();
    Ok(counts)
}

/// Compiles `files` with `iverilog -g2012 -s <top>` into `work` and runs it with `vvp`;
/// returns what it printed.
pub fn iverilog_run(files: &[PathBuf], top: &str, work: &Path) -> Result<String, RtlError> {
    let iverilog = find_tool("iverilog")?;
    let vvp = find_tool("vvp")?;
    let image = work.join(format!("{top}.vvp"));
    let mut cmd = Command::new(iverilog);
    cmd.args(["-g2012", "-Wall", "-s", top, "-o"])
        .arg(&image)
        .args(files);
    let (ok, stdout, stderr) = run("iverilog", &mut cmd)?;
    if !ok || !stderr.trim().is_empty() {
        return Err(RtlError::ToolFailed {
            tool: "iverilog".into(),
            command: format!("{cmd:?}"),
            output: format!("{stdout}{stderr}"),
        });
    }
    let mut cmd = Command::new(vvp);
    cmd.arg("-n").arg(&image);
    let (ok, stdout, stderr) = run("vvp", &mut cmd)?;
    if !ok {
        return Err(RtlError::ToolFailed {
            tool: "vvp".into(),
            command: format!("{cmd:?}"),
            output: format!("{stdout}{stderr}"),
        });
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yosys_stat() {
        let text = "\n=== fifo ===\n\n   Number of wires:                 30\n   Number of cells:                 89\n     BUFG                            1\n     LUT2                            1\n     RAMB18E2                        1\n\n";
        let c = parse_stat(text);
        assert_eq!(c.total, 89);
        assert_eq!(c.count("RAMB"), 1);
        assert_eq!(c.cells.len(), 3);
    }

    #[test]
    fn missing_tool_says_what_to_do() {
        let e = find_tool("strand-no-such-tool").unwrap_err();
        assert_eq!(
            e.to_string(),
            "strand-no-such-tool not found in PATH; run scripts/setup (it installs verilator, yosys and iverilog)"
        );
    }
}
