//! The firmware examples run on Strand and on QEMU (`qemu-system-riscv64 -machine virt -bios none`)
//! with identical console output and identical exit codes.
//!
//! Lines starting with `perf:` carry timing (cycles, ticks) and legitimately differ; every other
//! line must match exactly. Both sides get the same hart count, DRAM size and bootargs, so the
//! device tree the firmware reads describes the same machine. The ELFs come from
//! `scripts/build-firmware` (run by `scripts/test`).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{case_dir, firmware, parallel_map, require_tool, run_logged, worker_threads};

struct Case {
    name: &'static str,
    elf: &'static str,
    preset: &'static str,
    harts: u32,
    bootargs: &'static str,
    expect_code: i32,
}

const CASES: &[Case] = &[
    Case {
        name: "hello-single",
        elf: "hello",
        preset: "single",
        harts: 1,
        bootargs: "",
        expect_code: 0,
    },
    Case {
        name: "hello-tiny",
        elf: "hello",
        preset: "tiny",
        harts: 8,
        bootargs: "",
        expect_code: 0,
    },
    Case {
        name: "hello-panic",
        elf: "hello",
        preset: "tiny",
        harts: 8,
        bootargs: "panic=1",
        expect_code: 101,
    },
    Case {
        name: "amo-litmus-tiny",
        elf: "amo-litmus",
        preset: "tiny",
        harts: 8,
        bootargs: "iters=300",
        expect_code: 0,
    },
    Case {
        name: "amo-litmus-single",
        elf: "amo-litmus",
        preset: "single",
        harts: 1,
        bootargs: "iters=100",
        expect_code: 0,
    },
    Case {
        name: "sync-bench-tiny",
        elf: "sync-bench",
        preset: "tiny",
        harts: 8,
        bootargs: "",
        expect_code: 0,
    },
    Case {
        name: "ptr-chase-tiny",
        elf: "ptr-chase",
        preset: "tiny",
        harts: 8,
        bootargs: "size=16K stride=64 iters=3000",
        expect_code: 0,
    },
    Case {
        name: "ptr-chase-2-threads",
        elf: "ptr-chase",
        preset: "tiny",
        harts: 8,
        bootargs: "size=32K stride=128 threads=2 iters=2000",
        expect_code: 0,
    },
];

/// Console text without the timing lines.
fn deterministic(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("\r\n", "\n")
        .lines()
        .filter(|l| !l.starts_with("perf:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn firmware_matches_qemu() {
    let qemu = require_tool("qemu-system-riscv64", "reference machine for the firmware");
    let strand = env!("CARGO_BIN_EXE_strand");
    let failures: Vec<String> = parallel_map(CASES, worker_threads(), |c| {
        let dir = case_dir("firmware-qemu", c.name);
        let elf = firmware(c.elf);
        let s = run_logged(
            Command::new(strand)
                .args([
                    "run", "--quiet", "--preset", c.preset, "--append", c.bootargs,
                ])
                .arg(&elf),
            &dir,
            "strand",
            Duration::from_secs(120),
        );
        let mut q = Command::new(&qemu);
        q.args([
            "-machine",
            "virt",
            "-bios",
            "none",
            "-nographic",
            "-monitor",
            "none",
        ])
        .args([
            "-serial",
            "stdio",
            "-m",
            "256M",
            "-smp",
            &c.harts.to_string(),
            "-kernel",
        ])
        .arg(&elf);
        if !c.bootargs.is_empty() {
            q.args(["-append", c.bootargs]);
        }
        let r = run_logged(&mut q, &dir, "qemu", Duration::from_secs(120));
        let mut problems = Vec::new();
        let code = |r: &support::RunResult| r.status.and_then(|s| s.code());
        if code(&s) != Some(c.expect_code) {
            problems.push(format!(
                "strand exit {:?}, expected {}\n{}",
                code(&s),
                c.expect_code,
                s.tail(1500)
            ));
        }
        if code(&r) != Some(c.expect_code) {
            problems.push(format!(
                "qemu exit {:?}, expected {}\n{}",
                code(&r),
                c.expect_code,
                r.tail(1500)
            ));
        }
        let (so, qo) = (deterministic(&s.stdout), deterministic(&r.stdout));
        if so != qo {
            let first = so
                .lines()
                .zip(qo.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(so.lines().count().min(qo.lines().count()));
            problems.push(format!(
                "console differs at line {}:\n  strand: {:?}\n  qemu:   {:?}\n(full logs in {})",
                first + 1,
                so.lines().nth(first),
                qo.lines().nth(first),
                dir.display()
            ));
        }
        if so.trim().is_empty() {
            problems.push("no console output at all".into());
        }
        if problems.is_empty() {
            None
        } else {
            Some(format!("{}: {}", c.name, problems.join("\n")))
        }
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
