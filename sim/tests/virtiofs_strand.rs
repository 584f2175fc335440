//! The virtio-fs guest driver (`firmware/virtio-fs`) against the simulator's own virtio-fs
//! device (`sim/src/devices/virtio`, fuse-backend-rs passthrough): `strand run --preset tiny
//! --share DIR`, with the same expectations as `virtiofs_qemu.rs`:
//!
//! * `vfs-selftest` exercises every FUSE opcode and must leave exactly
//!   `selftest/{hello.txt,big.bin,renamed.txt}` (known contents) next to a planted file;
//! * `vfs-stress` (all 8 harts of `tiny`, every hart its own file) must leave the share as it
//!   found it;
//! * a file planted next to the share (outside it) must be untouched in every case.
//!
//! The ELFs come from `scripts/build-firmware` (run by `scripts/test`).

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{case_dir, run_logged};

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

/// Runs `elf` on `--preset tiny` with a fresh share; checks exit 0, the PASS line, and the
/// planted files; returns the share folder and the console text.
fn run_case(case: &str, elf: &str, bootargs: &str, pass: &str) -> (PathBuf, String) {
    let dir = case_dir("virtiofs-strand", case);
    let share = dir.join("share");
    std::fs::create_dir(&share).unwrap();
    std::fs::write(share.join("keep.txt"), KEEP).unwrap();
    let outside = dir.join("outside.txt");
    std::fs::write(&outside, OUTSIDE).unwrap();
    let before = std::fs::metadata(&outside).unwrap().modified().unwrap();

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strand"));
    cmd.args(["run", "--preset", "tiny", "--share"])
        .arg(&share)
        .args(["--append", bootargs, "--max-cycles", "2000000000"])
        .arg(firmware(elf));
    let r = run_logged(&mut cmd, &dir, "strand", Duration::from_secs(300));
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
    // `interrupt=1` adds the hiprio INTERRUPT check, which QEMU 7.2's virtiofsd cannot take
    // (docs/virtio-fs.md) but this device can.
    let (share, out) = run_case(
        "selftest",
        "vfs-selftest",
        "interrupt=1",
        "vfs-selftest: PASS (",
    );
    for check in [
        "interrupt (hiprio)",
        "request after interrupt",
        "readdirplus",
        "readdir",
        "rename",
        "rmdir",
        "forget (hiprio)",
        "destroy",
        "requests after destroy fail",
        "'..' refused",
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

#[test]
fn stress_every_hart_of_tiny() {
    let (share, out) = run_case(
        "stress",
        "vfs-stress",
        "size=16K rounds=1",
        "vfs-stress: PASS (8 of 8 harts, 16384 bytes, 1 rounds",
    );
    assert_eq!(
        out.matches(" ok (16384 bytes x 1 rounds)").count(),
        8,
        "one ok line per hart:\n{out}"
    );
    let got = tree(&share);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        vec!["keep.txt"],
        "stress must leave only the planted file"
    );
}
