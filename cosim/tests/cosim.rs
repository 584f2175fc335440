//! Co-simulation: the Verilated core RTL runs the firmware examples against the reference
//! model (the simulator's engine, `Machine::run`, restated quantum by quantum so that every
//! issue has its cycle) and must retire the same instructions, with the same register, CSR and
//! memory effects, in the same cycles; and the cycle count must be the engine's own
//! (`strand run`'s) (`strand-cosim`, docs/rtl.md).
//!
//! Needs `verilator` and `g++` (scripts/setup) and the firmware (scripts/build-firmware). The
//! first run builds each core configuration's model (about 30 s each) into
//! `target/cosim-rtl/`; later runs reuse it.

mod common;
use common::firmware;
use strand_cosim::{check_engine, cosim, machine, Failure, Options, Report};
use strand_hw::ChipConfig;
use strand_sim::RunOptions;

/// Cycles of the simulator's own engine (what `strand run` prints).
fn engine(cfg: &ChipConfig, elf: &str, append: &str) -> u64 {
    let mut m = machine(cfg, &firmware(elf), append, Box::new(std::io::sink())).expect("load");
    let (exit, stats) = m.run(&mut RunOptions::default()).expect("run");
    assert_eq!(exit.code, 0, "{elf}: engine exit code");
    stats.cycles
}

fn run(preset: &str, elf: &str, append: &str) -> Report {
    let cfg = ChipConfig::preset(preset).expect("preset");
    run_cfg(&cfg, elf, append)
}

/// Co-simulate, and check the cycle count against the engine's.
fn run_cfg(cfg: &ChipConfig, elf: &str, append: &str) -> Report {
    let preset = &cfg.name;
    let opts = Options {
        append: append.into(),
        ..Options::default()
    };
    let r = cosim(cfg, &firmware(elf), &opts, Box::new(std::io::sink()))
        .unwrap_or_else(|e| panic!("{elf} on {preset}: {e}"));
    assert_eq!(r.exit_code, 0, "{elf} on {preset}: exit code");
    assert!(r.instructions > 1000, "{elf} on {preset}: {r:?}");
    let cycles = engine(cfg, elf, append);
    assert_eq!(
        r.cycles, cycles,
        "{elf} on {preset}: RTL/reference cycles vs Machine::run's"
    );
    r
}

#[test]
fn hello_on_single_is_identical() {
    let r = run("single", "hello", "");
    // Pinned (`strand run --preset single build/firmware/hello.elf`): a change here means the
    // core, the engine or the memory timing moved.
    assert_eq!((r.instructions, r.cycles), (7767, 30529), "{r:?}");
}

#[test]
fn the_reference_is_the_engine() {
    let cfg = ChipConfig::preset("tiny").expect("preset");
    for (elf, append) in [("hello", ""), ("amo-litmus", "iters=100 rounds=10")] {
        let c = check_engine(&cfg, &firmware(elf), append).expect("check");
        assert_eq!(c.first_diff, None, "{elf}: commit logs");
        assert_eq!(c.engine_lines, c.reference_lines, "{elf}: commit logs");
        assert_eq!(c.engine_cycles, c.reference_cycles, "{elf}: cycles");
    }
}

#[test]
fn hello_and_ptr_chase_on_tiny_are_identical() {
    let r = run("tiny", "hello", "");
    assert_eq!((r.instructions, r.cycles), (19918, 61540), "{r:?}");
    let r = run("tiny", "ptr-chase", "size=4K iters=500");
    // ptr-chase divides: the iterative divider's write-back path is exercised and checked.
    assert!(
        r.divides > 0,
        "ptr-chase on tiny: no divide results checked: {r:?}"
    );
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
            assert!(cycle > 0 && cycle < 30529, "cycle {cycle}");
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
    let r = run_cfg(&cfg, "hello", "");
    assert_eq!((r.instructions, r.cycles), (34224, 94149), "{r:?}");
}
