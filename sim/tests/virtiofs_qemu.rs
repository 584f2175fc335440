//! The virtio-fs guest driver (`firmware/virtio-fs`) against a real peer: QEMU 7.2's
//! `vhost-user-fs-device` with its C virtiofsd, through `scripts/qemu-virtiofs`.
//!
//! * `vfs-selftest` (1 hart) exercises every FUSE opcode the driver has and must leave exactly
//!   `selftest/{hello.txt,big.bin,renamed.txt}` (known contents) next to a planted file;
//! * `vfs-stress` (1 and 4 harts, every hart its own file) must leave the share as it found it;
//! * a file planted next to the share (outside it) must be untouched in every case.
//!
//! The ELFs come from `scripts/build-firmware` (run by `scripts/test`). A missing QEMU or
//! virtiofsd fails the test ("run scripts/setup").

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{case_dir, require_tool, run_logged};

const VIRTIOFSD: &str = "/usr/lib/qemu/virtiofsd";
const OUTSIDE: &[u8] = b"outside the share: must never change\n";
const KEEP: &[u8] = b"planted in the share before the run\n";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn firmware(name: &str) -> PathBuf {
    let p = repo().join("build/firmware").join(format!("{name}.elf"));
    assert!(
        p.is_file(),
        "{} is missing: build the firmware with scripts/build-firmware (scripts/test does)",
        p.display()
    );
    p
}

fn require_peer() {
    require_tool("qemu-system-riscv64", "QEMU, the virtio-fs peer");
    assert!(
        Path::new(VIRTIOFSD).is_file(),
        "{VIRTIOFSD} (QEMU's C virtiofsd, package qemu-system-common) was not found.\n\
         Install the test tools with `scripts/setup` (see tests/README.md), then rerun."
    );
}

/// Every path under `dir` (relative, `/`-separated) with its contents (`None` for a directory).
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(rel, None);
                walk(root, &p, out);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs `elf` with a fresh share; checks exit 0, the PASS line, and the planted files; returns
/// the share folder and the console text.
fn run_case(case: &str, elf: &str, harts: u32, bootargs: &str, pass: &str) -> (PathBuf, String) {
    require_peer();
    let dir = case_dir("virtiofs-qemu", case);
    let share = dir.join("share");
    std::fs::create_dir(&share).unwrap();
    std::fs::write(share.join("keep.txt"), KEEP).unwrap();
    let outside = dir.join("outside.txt");
    std::fs::write(&outside, OUTSIDE).unwrap();
    let before = std::fs::metadata(&outside).unwrap().modified().unwrap();

    let r = run_logged(
        Command::new(repo().join("scripts/qemu-virtiofs"))
            .arg(firmware(elf))
            .arg(&share)
            .arg(harts.to_string())
            .arg(bootargs)
            .env("QEMU_TIMEOUT", "120"),
        &dir,
        "qemu",
        Duration::from_secs(150),
    );
    let out = std::fs::read_to_string(&r.stdout).unwrap_or_default();
    eprintln!("{case}: {:.2} s", r.elapsed.as_secs_f64());
    assert!(
        r.success(),
        "{case}: exit {:?} after {:.1} s\n{}",
        r.status.and_then(|s| s.code()),
        r.elapsed.as_secs_f64(),
        r.tail(3000)
    );
    assert!(
        out.contains(pass),
        "{case}: no `{pass}` line\n{}",
        r.tail(3000)
    );
    assert_eq!(
        std::fs::read(&outside).unwrap(),
        OUTSIDE,
        "{case}: outside file changed"
    );
    assert_eq!(
        std::fs::metadata(&outside).unwrap().modified().unwrap(),
        before,
        "{case}: outside file touched"
    );
    assert_eq!(
        std::fs::read(share.join("keep.txt")).unwrap(),
        KEEP,
        "{case}: keep.txt changed"
    );
    (share, out)
}

#[test]
fn selftest_exercises_every_opcode() {
    let (share, out) = run_case("selftest", "vfs-selftest", 1, "", "vfs-selftest: PASS (");
    for check in [
        "readdirplus",
        "readdir",
        "rename",
        "rmdir",
        "forget (hiprio)",
        "destroy",
    ] {
        assert!(
            out.contains(&format!("vfs-selftest: ok   {check}")),
            "check `{check}` missing:\n{out}"
        );
    }
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| ((31 * i + 7) % 251) as u8)
        .collect();
    let expect: BTreeMap<String, Option<Vec<u8>>> = [
        ("keep.txt", Some(KEEP.to_vec())),
        ("selftest", None),
        ("selftest/big.bin", Some(big)),
        ("selftest/hello.txt", Some(b"hello, virtio-fs\n".to_vec())),
        ("selftest/renamed.txt", Some(b"moved\n".to_vec())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let got = tree(&share);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expect.keys().collect::<Vec<_>>(),
        "files in the share"
    );
    assert!(got == expect, "file contents in the share differ");
    let mode = std::fs::metadata(share.join("selftest/hello.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o600, "SETATTR mode did not reach the host");
}

fn stress(case: &str, harts: u32) {
    let (share, out) = run_case(
        case,
        "vfs-stress",
        harts,
        "size=96K rounds=2",
        &format!("vfs-stress: PASS ({harts} of {harts} harts, 98304 bytes, 2 rounds"),
    );
    assert_eq!(
        out.matches(" ok (98304 bytes x 2 rounds)").count(),
        harts as usize,
        "one ok line per hart:\n{out}"
    );
    let got = tree(&share);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        vec!["keep.txt"],
        "stress must leave only the planted file"
    );
}

#[test]
fn stress_one_hart() {
    stress("stress-1", 1);
}

#[test]
fn stress_four_harts() {
    stress("stress-4", 4);
}
