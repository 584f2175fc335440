//! Helpers shared by the cross-layer tests (sim vs Spike, sim vs RTL, firmware vs QEMU): finding
//! the external tools they need, running a tool under a time limit, and a scratch folder per case.
//!
//! A missing tool is a test failure, never a silent pass: CI installs every tool with
//! `scripts/setup`, and a test that skipped itself would hide exactly the regressions it exists for.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub mod vfs;

/// `name` found in `PATH`, if it is there.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `name` from `PATH`; panics with what is missing, what it is for, and how to install it.
pub fn require_tool(name: &str, purpose: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| {
        panic!(
            "required tool `{name}` ({purpose}) was not found in PATH.\n\
             Install the test tools with `scripts/setup` (see tests/README.md), then rerun."
        )
    })
}

/// A per-case scratch folder under the cargo target folder: `target/<suite>/<case>/`, emptied first.
pub fn case_dir(suite: &str, case: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR has a parent (the target folder)")
        .to_path_buf();
    let dir = target.join(suite).join(case);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create scratch folder {}: {e}", dir.display()));
    dir
}

/// How a tool run ended.
#[derive(Debug)]
pub struct RunResult {
    /// Exit status (`None` when it was killed at the time limit).
    pub status: Option<ExitStatus>,
    /// Wall time.
    pub elapsed: Duration,
    /// Where its stdout went.
    pub stdout: PathBuf,
    /// Where its stderr went.
    pub stderr: PathBuf,
}

impl RunResult {
    /// True if the tool exited with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The last `max` bytes of stdout and stderr, for an error message.
    pub fn tail(&self, max: usize) -> String {
        let mut out = String::new();
        for (what, path) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let start = text.len().saturating_sub(max);
            let start = (start..text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            out.push_str(&format!(
                "--- {what} ({}) ---\n{}\n",
                path.display(),
                &text[start..]
            ));
        }
        out
    }
}

/// Run `cmd` with stdout/stderr sent to `<dir>/<name>.stdout|.stderr`, killing it after `limit`.
pub fn run_logged(cmd: &mut Command, dir: &Path, name: &str, limit: Duration) -> RunResult {
    let stdout = dir.join(format!("{name}.stdout"));
    let stderr = dir.join(format!("{name}.stderr"));
    let open = |p: &Path| File::create(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    cmd.stdin(Stdio::null())
        .stdout(open(&stdout))
        .stderr(open(&stderr));
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for {:?}: {e}", cmd.get_program()),
        }
    };
    RunResult {
        status,
        elapsed: start.elapsed(),
        stdout,
        stderr,
    }
}

/// Run `f` on every item with up to `threads` worker threads; results keep the input order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// Worker threads for tool-heavy tests: the host's parallelism, capped at 8.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(8)
}

const LINKER_SCRIPT: &str = "ENTRY(_start)\nSECTIONS {\n . = 0x80000000;\n .text : { *(.text.init) *(.text*) }\n .data : { *(.data*) }\n . = ALIGN(8);\n .tohost : { *(.tohost) }\n}\n";

/// Assemble (GNU as, rv64ima_zicsr_zifencei) and link `asm` at 0x8000_0000 into
/// `target/<suite>/<case>/prog.elf`.
pub fn assemble(suite: &str, case: &str, asm: &str) -> PathBuf {
    let dir = case_dir(suite, case);
    let as_ = require_tool("riscv64-unknown-elf-as", "assembler for test programs");
    let ld = require_tool("riscv64-unknown-elf-ld", "linker for test programs");
    std::fs::write(dir.join("prog.S"), asm).unwrap();
    std::fs::write(dir.join("link.ld"), LINKER_SCRIPT).unwrap();
    let ok = Command::new(as_)
        .args(["-march=rv64ima_zicsr_zifencei", "-o"])
        .arg(dir.join("prog.o"))
        .arg(dir.join("prog.S"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "assembling {case} failed");
    let ok = Command::new(ld)
        .arg("-T")
        .arg(dir.join("link.ld"))
        .arg("-o")
        .arg(dir.join("prog.elf"))
        .arg(dir.join("prog.o"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "linking {case} failed");
    dir.join("prog.elf")
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `build/firmware/<name>.elf`; fails with how to build it when it is missing.
pub fn firmware(name: &str) -> PathBuf {
    let p = repo().join("build/firmware").join(format!("{name}.elf"));
    assert!(
        p.is_file(),
        "{} is missing: build the firmware with scripts/build-firmware (scripts/test does)",
        p.display()
    );
    p
}
