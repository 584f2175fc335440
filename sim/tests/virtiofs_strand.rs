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

use std::process::Command;
use std::time::Duration;
use support::vfs::Share;
use support::{firmware, run_logged};

/// Runs `elf` on `--preset tiny` with a fresh share and checks the run (see `support::vfs`).
fn run_case(case: &str, elf: &str, bootargs: &str, pass: &str) -> (Share, String) {
    let share = Share::new("virtiofs-strand", case);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strand"));
    cmd.args(["run", "--preset", "tiny", "--share"])
        .arg(&share.path)
        .args(["--append", bootargs, "--max-cycles", "2000000000"])
        .arg(firmware(elf));
    let r = run_logged(&mut cmd, &share.dir, "strand", Duration::from_secs(300));
    let out = share.check_run(case, &r, pass);
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
    share.check_selftest(
        &out,
        &[
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
        ],
    );
}

#[test]
fn stress_every_hart_of_tiny() {
    let (share, out) = run_case(
        "stress",
        "vfs-stress",
        "size=16K rounds=1",
        "vfs-stress: PASS (8 of 8 harts, 16384 bytes, 1 rounds",
    );
    share.check_stress(&out, 8, " ok (16384 bytes x 1 rounds)");
}
