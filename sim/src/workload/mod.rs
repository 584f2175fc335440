//! `strand workload check`: verifies what the workload firmware (`graph500-bfs`, `kg-query`,
//! `thinclient-frame`) wrote to a virtio-fs share, against golden models recomputed on the
//! host from the same bootargs (`strand_workloads`).
//!
//! | workload | module | what is checked |
//! |---|---|---|
//! | `graph500` | [`graph500`] | the graph (CSR checksum) and roots equal the host's; every parent array passes Graph500's five validation rules; reached vertices, component edges, examined entries and levels equal the host's; TEPS statistics recomputed from the firmware's ticks |
//! | `kg` | [`kg`] | the graph's checksum; every bulk query's count and order-independent hash equal the golden engine's; every point query's bound value, count and hash |
//! | `thinclient` | [`thinclient`] | every frame's packets (<= 1,400 bytes, right frame number) decode into a framebuffer equal to the golden `composite_full` bit for bit; the damaged tiles and payload bytes agree |
//!
//! Every check returns `Ok(summary)` or `Err(reason)`; the command prints `PASS <workload>:
//! <summary>` or `FAIL <workload>: <reason>` and exits 0 or 1. Timings (TEPS, queries/s,
//! frames/s) are reported from the firmware's files, never checked.

pub mod graph500;
pub mod kg;
pub mod thinclient;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use clap::{Args, Subcommand, ValueEnum};

/// `strand workload ...`.
#[derive(Args, Debug)]
pub struct WorkloadCmd {
    /// What to do.
    #[command(subcommand)]
    pub cmd: WorkloadSub,
}

/// The `workload` subcommands.
#[derive(Subcommand, Debug)]
pub enum WorkloadSub {
    /// Verify a workload's results in a share against the host's golden model; prints
    /// PASS/FAIL with the reason, exit status 0/1.
    Check(CheckArgs),
}

/// `strand workload check WORKLOAD --share DIR [--append ARGS]`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Which workload's results to check.
    #[arg(value_enum)]
    pub workload: Which,
    /// The shared folder the firmware wrote to (`strand run --share DIR`).
    #[arg(long)]
    pub share: PathBuf,
    /// The bootargs the firmware ran with (defaults apply to missing keys, as in the firmware).
    #[arg(long, default_value = "")]
    pub append: String,
}

/// A workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// `graph500-bfs`.
    Graph500,
    /// `kg-query`.
    Kg,
    /// `thinclient-frame`.
    Thinclient,
}

impl Which {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Which::Graph500 => "graph500",
            Which::Kg => "kg",
            Which::Thinclient => "thinclient",
        }
    }
}

/// Checks `which`'s results in `share` for a run with `bootargs`; progress lines go to `out`.
/// `Ok` holds the one-line summary, `Err` the reason of the failure.
pub fn check(
    which: Which,
    share: &Path,
    bootargs: &str,
    out: &mut dyn Write,
) -> Result<String, String> {
    match which {
        Which::Graph500 => graph500::check(share, bootargs, out),
        Which::Kg => kg::check(share, bootargs, out),
        Which::Thinclient => thinclient::check(share, bootargs, out),
    }
}

/// Runs a `strand workload` command; the exit status is 0 for PASS, 1 for FAIL.
pub fn main(cmd: WorkloadCmd) -> anyhow::Result<ExitCode> {
    match cmd.cmd {
        WorkloadSub::Check(a) => {
            let mut stdout = std::io::stdout();
            let r = check(a.workload, &a.share, &a.append, &mut stdout);
            Ok(match r {
                Ok(summary) => {
                    println!("PASS {}: {summary}", a.workload.name());
                    ExitCode::SUCCESS
                }
                Err(why) => {
                    println!("FAIL {}: {why}", a.workload.name());
                    ExitCode::from(1)
                }
            })
        }
    }
}

/// A `summary.txt` written by the firmware: records, one per line, `name key=value ...`.
pub(crate) struct Summary {
    path: PathBuf,
    lines: Vec<String>,
}

impl Summary {
    /// Reads `share/dir/summary.txt`.
    pub(crate) fn read(share: &Path, dir: &str) -> Result<Self, String> {
        let path = share.join(dir).join(strand_workloads::run::SUMMARY);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "{}: {e} (did the firmware run with --share {}?)",
                path.display(),
                share.display()
            )
        })?;
        Ok(Self {
            path,
            lines: text.lines().map(str::to_owned).collect(),
        })
    }

    /// Every record called `name`, in order.
    pub(crate) fn records(&self, name: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| l.split_ascii_whitespace().next() == Some(name))
            .map(String::as_str)
            .collect()
    }

    /// The one record called `name`.
    pub(crate) fn record(&self, name: &str) -> Result<&str, String> {
        match self.records(name).as_slice() {
            [one] => Ok(one),
            v => Err(format!(
                "{}: {} `{name}` records, expected 1",
                self.path.display(),
                v.len()
            )),
        }
    }

    /// Fails unless the `params` record is `params <expected>` (the bootargs given to the
    /// checker describe the run the firmware made).
    pub(crate) fn expect_params(&self, expected: &str) -> Result<(), String> {
        let line = self.record("params")?;
        let found = line.strip_prefix("params").unwrap_or(line).trim();
        if found != expected {
            return Err(format!(
                "the firmware ran with `{found}`, but the checker was given `{expected}` \
                 (pass the same bootargs with --append)"
            ));
        }
        Ok(())
    }
}

/// Field `key` of a summary line, parsed (`0x` hex accepted for integers).
pub(crate) fn field<T: FromStr>(line: &str, key: &str) -> Result<T, String> {
    let v = strand_workloads::run::field(line, key)
        .ok_or_else(|| format!("no `{key}=` in summary line `{line}`"))?;
    if let Some(hex) = v.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            if let Ok(t) = n.to_string().parse() {
                return Ok(t);
            }
        }
    }
    v.parse()
        .map_err(|_| format!("bad `{key}={v}` in summary line `{line}`"))
}

/// Fails with `what: firmware X, host Y` unless equal.
pub(crate) fn same<T: PartialEq + std::fmt::Display>(
    what: &str,
    firmware: T,
    host: T,
) -> Result<(), String> {
    if firmware == host {
        Ok(())
    } else {
        Err(format!("{what}: firmware {firmware}, host {host}"))
    }
}

/// Reads a file of the share.
pub(crate) fn read_file(share: &Path, rel: &str) -> Result<Vec<u8>, String> {
    let p = share.join(rel);
    std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_params() {
        let line = "root k=3 vertex=0x10 name=abc hash=0xffffffffffffffff";
        assert_eq!(field::<u32>(line, "k"), Ok(3));
        assert_eq!(field::<u32>(line, "vertex"), Ok(16));
        assert_eq!(field::<u64>(line, "hash"), Ok(u64::MAX));
        assert!(field::<u32>(line, "hash").is_err());
        assert_eq!(field::<String>(line, "name").as_deref(), Ok("abc"));
        assert!(field::<u32>(line, "missing")
            .unwrap_err()
            .contains("no `missing=`"));
        assert!(same("x", 1, 2).unwrap_err().contains("firmware 1, host 2"));

        let dir = std::env::temp_dir().join(format!("strand-wl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("kg")).unwrap();
        std::fs::write(
            dir.join("kg/summary.txt"),
            "params univ=0 points=16 seed=1\nbulk q=0\nbulk q=1\n",
        )
        .unwrap();
        let s = Summary::read(&dir, "kg").unwrap();
        assert!(s.expect_params("univ=0 points=16 seed=1").is_ok());
        assert!(s
            .expect_params("univ=0 points=8 seed=1")
            .unwrap_err()
            .contains("pass the same bootargs"));
        assert_eq!(s.records("bulk").len(), 2);
        assert!(s.record("bulk").is_err());
        assert!(Summary::read(&dir, "graph500").is_err());
        let mut out = Vec::new();
        let r = check(Which::Kg, &dir, "points=16", &mut out);
        assert!(
            r.unwrap_err().contains("0 `graph` records"),
            "no graph record"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
