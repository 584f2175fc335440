//! Chip co-simulation (`strand-cosim --chip`, docs/rtl.md "Chip co-simulation (`--chip`)"):
//! the whole Verilated chip top (`chip_<cfg>_trace`) runs hello on `single` with behavioural HBM
//! behind its AXI ports and the simulator's devices behind its host port; it must exit through
//! the finisher with the simulator's code and UART output, and its commit sequence must equal
//! `Machine::run`'s up to the first time-dependent instruction.
//!
//! Needs `verilator` and `g++` (scripts/setup) and the firmware (scripts/build-firmware); the
//! chip model is built once into `target/cosim-rtl/`.

mod common;
use common::firmware;
use strand_cosim::axi::SlaveOptions;
use strand_cosim::chip::{chip_cosim, summary, ChipOptions, ChipReport};
use strand_hw::ChipConfig;

fn run(preset: &str, elf: &str, axi: SlaveOptions, flip_rd: Option<u64>) -> ChipReport {
    let cfg = ChipConfig::preset(preset).expect("preset");
    let opts = ChipOptions {
        axi,
        max_cycles: 5_000_000,
        flip_rd,
        ..ChipOptions::default()
    };
    let r = chip_cosim(&cfg, &firmware(elf), &opts, Box::new(std::io::sink()))
        .unwrap_or_else(|e| panic!("{elf} on {preset}: {e}"));
    eprint!("{}", summary(&r, cfg.harts() as usize));
    r
}

#[test]
fn hello_on_single_runs_on_the_chip() {
    let r = run("single", "hello", SlaveOptions::default(), None);
    assert!(r.passed(), "{:?}", r.failures);
    assert_eq!((r.rtl_exit, r.sim_exit), (Some(0), Some(0)));
    assert!(!r.rtl_uart.is_empty() && r.rtl_uart == r.sim_uart);
    let h = &r.harts[0];
    assert!(h.matched > 1000, "{h:?}");
    assert!(!h.strict_difference(), "{h:?}");
    // Random AXI stalls change the timing, not the result.
    let s = run(
        "single",
        "hello",
        SlaveOptions {
            stall_percent: 30,
            seed: 3,
            ..SlaveOptions::default()
        },
        None,
    );
    assert!(s.passed(), "{:?}", s.failures);
    assert_eq!(s.rtl_uart, r.rtl_uart);
}

#[test]
fn a_wrong_register_value_fails_a_single_hart_run() {
    let r = run("single", "hello", SlaveOptions::default(), Some(100));
    assert!(!r.passed());
    let h = &r.harts[0];
    let d = h.diff.as_ref().expect("a difference");
    assert_eq!(d.field, "rd write", "{d:?}");
    assert!(h.strict_difference(), "{h:?}");
    assert_eq!(h.matched, d.index);
    assert!(d.index >= 100, "{d:?}");
}

fn run_cfg(cfg: &ChipConfig, elf: &str, append: &str, axi: SlaveOptions) -> ChipReport {
    let opts = ChipOptions {
        axi,
        append: append.to_string(),
        max_cycles: 20_000_000,
        ..ChipOptions::default()
    };
    let r = chip_cosim(cfg, &firmware(elf), &opts, Box::new(std::io::sink()))
        .unwrap_or_else(|e| panic!("{elf} on {}: {e}", cfg.name));
    eprint!("{}", summary(&r, cfg.harts() as usize));
    r
}

/// Two tiles: lines move between the tiles' L2s through the home agents (MSI over the NoC).
/// The firmware's own checks (boot flags, the console lock, the AMO/LR/SC counters, message
/// passing and store buffering litmus tests) fail if coherence or atomicity breaks; every hart
/// must agree with the simulator up to the first point where interleavings can differ.
#[test]
fn tiny_chip_is_coherent_across_tiles() {
    let cfg = ChipConfig::preset("tiny").expect("preset");
    let h = run_cfg(
        &cfg,
        "hello",
        "",
        SlaveOptions {
            stall_percent: 20,
            seed: 5,
            ..SlaveOptions::default()
        },
    );
    assert!(h.passed(), "{:?}", h.failures);
    assert_eq!(h.rtl_uart, h.sim_uart);
    litmus_passes(&cfg);
}

/// amo-litmus (`iters=100 rounds=10`) passes on the chip of `cfg` and by its own checks.
fn litmus_passes(cfg: &ChipConfig) {
    let a = run_cfg(
        cfg,
        "amo-litmus",
        "iters=100 rounds=10",
        SlaveOptions::default(),
    );
    assert!(a.passed(), "{:?}", a.failures);
    let text = String::from_utf8_lossy(&a.rtl_uart);
    assert!(text.contains("amo-litmus: PASS"), "{text}");
}

/// One tile with two cores of four threads: the sequencer keeps the cores' L1Ds coherent and
/// serialises the atomics of eight harts.
#[test]
fn one_tile_with_two_cores_passes_the_litmus() {
    let mut cfg = ChipConfig::preset("single").expect("preset");
    cfg.apply_override("core.threads=4").expect("set");
    cfg.apply_override("tile.cores=2").expect("set");
    litmus_passes(&cfg);
}
