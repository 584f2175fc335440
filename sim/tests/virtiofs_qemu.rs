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

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::vfs::Share;
use support::{firmware, repo, require_tool, run_logged};

const VIRTIOFSD: &str = "/usr/lib/qemu/virtiofsd";

fn require_peer() {
    require_tool("qemu-system-riscv64", "QEMU, the virtio-fs peer");
    assert!(
        Path::new(VIRTIOFSD).is_file(),
        "{VIRTIOFSD} (QEMU's C virtiofsd, package qemu-system-common) was not found.\n\
         Install the test tools with `scripts/setup` (see tests/README.md), then rerun."
    );
}

/// Runs `elf` on QEMU with a fresh share and checks the run (see `support::vfs`).
fn run_case(case: &str, elf: &str, harts: u32, bootargs: &str, pass: &str) -> (Share, String) {
    require_peer();
    let share = Share::new("virtiofs-qemu", case);
    let r = run_logged(
        Command::new(repo().join("scripts/qemu-virtiofs"))
            .arg(firmware(elf))
            .arg(&share.path)
            .arg(harts.to_string())
            .arg(bootargs)
            .env("QEMU_TIMEOUT", "120"),
        &share.dir,
        "qemu",
        Duration::from_secs(150),
    );
    let out = share.check_run(case, &r, pass);
    (share, out)
}

#[test]
fn selftest_exercises_every_opcode() {
    let (share, out) = run_case("selftest", "vfs-selftest", 1, "", "vfs-selftest: PASS (");
    share.check_selftest(
        &out,
        &[
            "readdirplus",
            "readdir",
            "rename",
            "rmdir",
            "forget (hiprio)",
            "destroy",
        ],
    );
}

fn stress(case: &str, harts: u32) {
    let (share, out) = run_case(
        case,
        "vfs-stress",
        harts,
        "size=96K rounds=2",
        &format!("vfs-stress: PASS ({harts} of {harts} harts, 98304 bytes, 2 rounds"),
    );
    share.check_stress(&out, harts as usize, " ok (98304 bytes x 2 rounds)");
}

#[test]
fn stress_one_hart() {
    stress("stress-1", 1);
}

#[test]
fn stress_four_harts() {
    stress("stress-4", 4);
}
