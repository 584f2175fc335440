//! Co-simulation: the Verilated core RTL runs the firmware examples in lockstep with the
//! reference model of the simulator (its harts, platform and memory hierarchy on the
//! `docs/pipeline.md` rules) and must retire the same instructions, with the same register,
//! CSR and memory effects, in the same cycles (`strand-cosim`, docs/rtl.md).
//!
//! Needs `verilator` and `g++` (scripts/setup) and the firmware (scripts/build-firmware). The
//! first run builds each core configuration's model (about 30 s each) into
//! `target/cosim-rtl/`; later runs reuse it.

use std::path::PathBuf;
use strand_cosim::{cosim, Failure, Options, Report};
use strand_hw::ChipConfig;

fn firmware(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../build/firmware")
        .join(format!("{name}.elf"));
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: build the firmware with scripts/build-firmware (scripts/test does)",
            p.display()
        )
    })
}

fn run(preset: &str, elf: &str, append: &str) -> Report {
    let cfg = ChipConfig::preset(preset).expect("preset");
    let opts = Options {
        append: append.into(),
        ..Options::default()
    };
    let r = cosim(&cfg, &firmware(elf), &opts, Box::new(std::io::sink()))
        .unwrap_or_else(|e| panic!("{elf} on {preset}: {e}"));
    assert_eq!(r.exit_code, 0, "{elf} on {preset}: exit code");
    assert!(r.instructions > 1000, "{elf} on {preset}: {r:?}");
    r
}

#[test]
fn hello_on_single_is_identical() {
    let r = run("single", "hello", "");
    // Pinned: a change here means the core, the reference model or the memory timing moved.
    assert_eq!((r.instructions, r.cycles), (7767, 32602), "{r:?}");
}

#[test]
fn hello_and_ptr_chase_on_tiny_are_identical() {
    let r = run("tiny", "hello", "");
    assert_eq!((r.instructions, r.cycles), (19918, 67031), "{r:?}");
    run("tiny", "ptr-chase", "size=4K iters=500");
}

#[test]
fn amo_litmus_on_tiny_is_identical() {
    run("tiny", "amo-litmus", "iters=100 rounds=10");
}

#[test]
fn a_timing_difference_is_reported_with_hart_pc_cycle_and_field() {
    let cfg = ChipConfig::preset("single").expect("preset");
    let opts = Options {
        skew_load_hits: 1,
        ..Options::default()
    };
    match cosim(&cfg, &firmware("hello"), &opts, Box::new(std::io::sink())) {
        Err(Failure::Mismatch {
            hart, cycle, field, ..
        }) => {
            assert_eq!(hart, 0);
            assert!(cycle > 0 && cycle < 32602, "cycle {cycle}");
            assert_eq!(field, "issue");
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn two_thread_groups_are_identical() {
    let mut cfg = ChipConfig::preset("tiny").expect("preset");
    cfg.core.threads = 8;
    cfg.core.thread_groups = 2;
    let r = cosim(
        &cfg,
        &firmware("hello"),
        &Options::default(),
        Box::new(std::io::sink()),
    )
    .unwrap_or_else(|e| panic!("hello on tiny, 8 threads in 2 groups: {e}"));
    assert_eq!(
        (r.instructions, r.cycles, r.exit_code),
        (34220, 103254, 0),
        "{r:?}"
    );
}
