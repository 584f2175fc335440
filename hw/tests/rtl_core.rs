//! The multithreaded core generator: builds for every preset's core that the generator
//! supports, with one and two thread groups, and `verilator --lint-only -Wall` reports zero warnings.
//! Co-simulation against the simulator lives in `cosim/tests/`.
//!
//! Scratch files: `target/tmp/rtl-core/<module>/`.

use std::path::Path;
use strand_hw::rtl::core::{core, CoreParams};
use strand_hw::rtl::{tools, Design};
use strand_hw::ChipConfig;

fn lint(cfg: &ChipConfig) {
    let p = CoreParams::from_config(cfg);
    let mut d = Design::for_preset(&cfg.name, "build/rtl");
    let top = core(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rtl-core")
        .join(top.name());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let files = d.write(&dir).unwrap_or_else(|e| panic!("{e}"));
    tools::verilator_lint(&files, top.name()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn core_lints_clean_for_single_and_tiny() {
    for preset in ["single", "tiny"] {
        lint(&ChipConfig::preset(preset).expect("preset"));
    }
}

#[test]
fn core_with_eight_threads_lints_clean() {
    let mut cfg = ChipConfig::preset("tiny").expect("preset");
    cfg.core.threads = 8;
    lint(&cfg);
}

#[test]
fn two_thread_groups_lint_clean() {
    let mut cfg = ChipConfig::preset("tiny").expect("preset");
    cfg.core.threads = 8;
    cfg.core.thread_groups = 2;
    lint(&cfg);
}

#[test]
fn groups_must_divide_threads() {
    let mut cfg = ChipConfig::preset("tiny").expect("preset");
    cfg.core.threads = 6;
    cfg.core.thread_groups = 4;
    let mut d = Design::new("test");
    let e = core(&mut d, &CoreParams::from_config(&cfg)).expect_err("6 / 4");
    assert!(e.to_string().contains("thread_groups = 4"), "{e}");
}
