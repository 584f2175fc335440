//! The workload firmware (`graph500-bfs`, `kg-query`, `thinclient-frame`) at small sizes, on
//! Strand (`--preset tiny`, all 8 harts) and on QEMU + virtiofsd (4 harts, through
//! `scripts/qemu-virtiofs`), each verified with `strand workload check`, which recomputes the
//! golden models on the host:
//!
//! * Graph500: every parent array passes the five validation rules, graph and roots match;
//! * kg: every bulk and point query's count and hash equal the golden engine's;
//! * thinclient: every frame's packets decode bit-exact to the golden framebuffer.
//!
//! The Strand cases then damage one result file (or pass other bootargs) and check that the
//! checker says FAIL, with exit status 1 and the reason. No timing is asserted.
//!
//! The ELFs come from `scripts/build-firmware` (run by `scripts/test`).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::vfs::Share;
use support::{firmware, repo, require_tool, run_logged};

const GRAPH500: &str = "scale=10 roots=8 seed=1";
const KG: &str = "points=16 seed=1";
const THINCLIENT: &str = "res=small frames=3 seed=1";

/// `strand workload check WHICH --share DIR --append ARGS`: (exit status, stdout).
fn check(which: &str, share: &Path, bootargs: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_strand"))
        .args(["workload", "check", which, "--share"])
        .arg(share)
        .args(["--append", bootargs])
        .output()
        .expect("run strand workload check");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn assert_pass(which: &str, share: &Path, bootargs: &str) -> String {
    let (code, text) = check(which, share, bootargs);
    assert_eq!(code, 0, "check {which} failed:\n{text}");
    assert!(
        text.lines()
            .last()
            .unwrap_or("")
            .starts_with(&format!("PASS {which}: ")),
        "no PASS line:\n{text}"
    );
    text
}

fn assert_fail(which: &str, share: &Path, bootargs: &str, reason: &str) {
    let (code, text) = check(which, share, bootargs);
    assert_eq!(code, 1, "check {which} should fail:\n{text}");
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.starts_with(&format!("FAIL {which}: ")) && last.contains(reason),
        "expected `FAIL {which}: ...{reason}...`, got:\n{text}"
    );
}

/// Runs `elf` on `--preset tiny` with a fresh share; checks exit 0 and the summary line.
fn on_strand(case: &str, elf: &str, bootargs: &str, line: &str) -> Share {
    let share = Share::new("workload-runs", case);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strand"));
    cmd.args(["run", "--preset", "tiny", "--share"])
        .arg(&share.path)
        .args(["--append", bootargs, "--max-cycles", "2000000000"])
        .arg(firmware(elf));
    let r = run_logged(&mut cmd, &share.dir, "strand", Duration::from_secs(300));
    share.check_run(case, &r, line);
    share
}

/// Runs `elf` on QEMU (4 harts) with a fresh share; checks exit 0 and the summary line.
fn on_qemu(case: &str, elf: &str, bootargs: &str, line: &str) -> Share {
    require_tool("qemu-system-riscv64", "QEMU, the reference machine");
    assert!(
        Path::new("/usr/lib/qemu/virtiofsd").is_file(),
        "/usr/lib/qemu/virtiofsd (QEMU's C virtiofsd) was not found.\n\
         Install the test tools with `scripts/setup` (see tests/README.md), then rerun."
    );
    let share = Share::new("workload-runs", case);
    let r = run_logged(
        Command::new(repo().join("scripts/qemu-virtiofs"))
            .arg(firmware(elf))
            .arg(&share.path)
            .arg("4")
            .arg(bootargs)
            .env("QEMU_TIMEOUT", "120"),
        &share.dir,
        "qemu",
        Duration::from_secs(150),
    );
    share.check_run(case, &r, line);
    share
}

fn graph500_line() -> String {
    "graph500-bfs: scale=10 edgefactor=16 roots=8 seed=1: 8 searches over 1024 vertices".to_string()
}

#[test]
fn graph500_on_strand_passes_and_damage_fails() {
    let share = on_strand(
        "graph500-strand",
        "graph500-bfs",
        GRAPH500,
        &graph500_line(),
    );
    let text = assert_pass("graph500", &share.path, GRAPH500);
    assert_eq!(text.matches("valid (rules 1-5)").count(), 8, "{text}");
    // Other bootargs than the run's.
    assert_fail(
        "graph500",
        &share.path,
        "scale=11 roots=8",
        "pass the same bootargs",
    );
    // Cut one tree vertex off its parent: the array is no longer a BFS tree of the component.
    let file = share.path.join("graph500/parent-03.bin");
    let (tag, mut parent) =
        strand_workloads::wire::read_u32s(&std::fs::read(&file).unwrap()).unwrap();
    let v = (0..parent.len())
        .find(|&v| v as u64 != tag && parent[v] != u32::MAX)
        .expect("a reached vertex besides the root");
    parent[v] = u32::MAX;
    std::fs::write(&file, strand_workloads::wire::write_u32s(tag, &parent)).unwrap();
    assert_fail("graph500", &share.path, GRAPH500, "Graph500 rule");
}

#[test]
fn kg_on_strand_passes_and_damage_fails() {
    let share = on_strand(
        "kg-strand",
        "kg-query",
        KG,
        "kg-query: univ=0 points=16 seed=1: 2283 entities, 10322 triples, 6 bulk queries, 96 point queries",
    );
    assert_pass("kg", &share.path, KG);
    // One point query's hash changed.
    let file = share.path.join("kg/points.bin");
    let (tag, mut words) =
        strand_workloads::wire::read_u32s(&std::fs::read(&file).unwrap()).unwrap();
    words[6 * 40 + 3] ^= 1;
    std::fs::write(&file, strand_workloads::wire::write_u32s(tag, &words)).unwrap();
    assert_fail("kg", &share.path, KG, "hash: firmware");
}

#[test]
fn thinclient_on_strand_passes_and_damage_fails() {
    let share = on_strand(
        "thinclient-strand",
        "thinclient-frame",
        THINCLIENT,
        "thinclient-frame: res=small frames=3 seed=1: 8 surfaces, 3 frames, 52 tiles",
    );
    let text = assert_pass("thinclient", &share.path, THINCLIENT);
    assert_eq!(text.matches("decode bit-exact (").count(), 3, "{text}");
    // Drop frame 1's last packet: its tiles never arrive.
    let file = share.path.join("thinclient/frame-0001.bin");
    let (tag, mut packets) =
        strand_workloads::wire::read_packets(&std::fs::read(&file).unwrap()).unwrap();
    packets.pop();
    std::fs::write(&file, strand_workloads::wire::write_packets(tag, &packets)).unwrap();
    assert_fail("thinclient", &share.path, THINCLIENT, "frame 1: ");
}

#[test]
fn all_three_on_qemu_pass() {
    let share = on_qemu("graph500-qemu", "graph500-bfs", GRAPH500, &graph500_line());
    assert_pass("graph500", &share.path, GRAPH500);
    let share = on_qemu(
        "kg-qemu",
        "kg-query",
        KG,
        "kg-query: univ=0 points=16 seed=1: ",
    );
    assert_pass("kg", &share.path, KG);
    let share = on_qemu(
        "thinclient-qemu",
        "thinclient-frame",
        THINCLIENT,
        "thinclient-frame: res=small frames=3 seed=1: 8 surfaces, 3 frames, 52 tiles",
    );
    assert_pass("thinclient", &share.path, THINCLIENT);
}
