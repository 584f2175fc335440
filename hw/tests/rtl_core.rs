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

// ---------------------------------------------------------------- the iterative divider

use strand_hw::rtl::core::muldiv::{divider, radix};
use strand_hw::rtl::tb::{self, Model};

/// RV64M reference: `op` = {remainder, 32-bit, signed} (the divider's `op` port).
fn div_reference(op: u32, a: u64, b: u64) -> u64 {
    let (signed, word, rem) = (op & 1 == 1, op & 2 == 2, op & 4 == 4);
    if word {
        let (a32, b32) = (a as u32, b as u32);
        let v: u32 = match (signed, rem) {
            _ if b32 == 0 => {
                if rem {
                    a32
                } else {
                    u32::MAX
                }
            }
            (true, false) => (a32 as i32).wrapping_div(b32 as i32) as u32,
            (true, true) => (a32 as i32).wrapping_rem(b32 as i32) as u32,
            (false, false) => a32 / b32,
            (false, true) => a32 % b32,
        };
        v as i32 as i64 as u64
    } else {
        match (signed, rem) {
            _ if b == 0 => {
                if rem {
                    a
                } else {
                    u64::MAX
                }
            }
            (true, false) => (a as i64).wrapping_div(b as i64) as u64,
            (true, true) => (a as i64).wrapping_rem(b as i64) as u64,
            (false, false) => a / b,
            (false, true) => a % b,
        }
    }
}

#[test]
fn div_reference_matches_riscv_corner_cases() {
    let min = i64::MIN as u64;
    let m1 = u64::MAX;
    assert_eq!(div_reference(1, 7, 0), m1); // DIV by zero: -1
    assert_eq!(div_reference(0, 7, 0), m1); // DIVU by zero: 2^64 - 1
    assert_eq!(div_reference(5, 7, 0), 7); // REM by zero: the dividend
    assert_eq!(div_reference(1, min, m1), min); // overflow: the dividend
    assert_eq!(div_reference(5, min, m1), 0);
    assert_eq!(div_reference(3, 0x8000_0000, m1), 0xffff_ffff_8000_0000); // DIVW overflow
    assert_eq!(div_reference(7, 0x8000_0000, m1), 0); // REMW overflow
    assert_eq!(div_reference(1, (-7i64) as u64, 2), (-3i64) as u64); // rounds towards zero
    assert_eq!(div_reference(5, (-7i64) as u64, 2), (-1i64) as u64); // sign of the dividend
    assert_eq!(div_reference(2, 0xffff_ffff, 1), m1); // DIVUW sign-extends its result
    assert_eq!(div_reference(6, 0x1_0000_0005, 0x1_0000_0000), 5); // REMUW: b = 0 in 32 bits
}

/// The divider's cycle model: `busy` `div - 1` cycles after a start, the result with `done` in
/// the last of them.
struct DivModel {
    div: u32,
    cnt: u32,
    pending: (u64, u128),
    /// A reset edge has been seen (registers are `x` before it).
    reset: bool,
}

impl Model for DivModel {
    fn outputs(&self, _row: &[u128]) -> Vec<Option<u128>> {
        if !self.reset {
            return vec![None; 4];
        }
        let done = self.cnt == 1;
        // Ports in order: busy, done, res, res_tag.
        vec![
            Some(u128::from(self.cnt != 0)),
            Some(u128::from(done)),
            done.then_some(u128::from(self.pending.0)),
            done.then_some(self.pending.1),
        ]
    }
    fn step(&mut self, row: &[u128]) {
        // Row: rst, start, op, a, b, tag.
        if row[0] == 1 {
            self.cnt = 0;
            self.reset = true;
        } else if row[1] == 1 {
            assert_eq!(self.cnt, 0, "the stimulus starts only a free divider");
            self.cnt = self.div - 1;
            self.pending = (
                div_reference(row[2] as u32, row[3] as u64, row[4] as u64),
                row[5],
            );
        } else {
            self.cnt = self.cnt.saturating_sub(1);
        }
    }
}

mod common;
use common::Rng;

/// Corner operands: 0, ±1, ±2, the 64- and 32-bit extremes, 32-bit values whose upper half
/// is not the sign extension.
const CORNERS: &[u64] = &[
    0,
    1,
    2,
    u64::MAX,
    u64::MAX - 1,
    i64::MIN as u64,
    i64::MAX as u64,
    i32::MIN as i64 as u64,
    i32::MAX as u64,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0xffff_ffff_0000_0000,
    7,
    (-7i64) as u64,
];

fn operand(rng: &mut Rng) -> u64 {
    let v = rng.next();
    match v % 8 {
        0..=2 => CORNERS[(v >> 8) as usize % CORNERS.len()],
        3 => rng.next() >> (rng.next() % 64), // small magnitudes: many leading zeros
        4 => (rng.next() >> (rng.next() % 64)).wrapping_neg(),
        5 => rng.next() as u32 as i32 as i64 as u64,
        _ => rng.next(),
    }
}

/// Every radix the divider supports, against [`div_reference`] in Icarus: all corner pairs
/// for the 8 operations, then random operands; back-to-back divides (started the cycle `busy`
/// falls) and gaps, garbage on the inputs while idle; Verilator-clean.
#[test]
fn iterative_divider_matches_the_reference() {
    let tag_w = 6;
    for (div, want_radix) in [(34, 2), (66, 1), (18, 4), (10, 8), (40, 2)] {
        assert_eq!(radix(div).expect("supported"), want_radix, "div = {div}");
        let mut d = Design::new("cargo test -p strand-hw --test rtl_core");
        let top = divider(&mut d, div, tag_w).unwrap_or_else(|e| panic!("{e}"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("rtl-core")
            .join(top.name());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        let mut files = d.write(&dir).unwrap_or_else(|e| panic!("{e}"));
        tools::verilator_lint(&files, top.name()).unwrap_or_else(|e| panic!("{e}"));

        let mut rng = Rng(0xd1d1 ^ u64::from(div));
        let mut divs: Vec<(u32, u64, u64)> = Vec::new();
        let n_corner = if div == 34 { CORNERS.len() } else { 6 };
        for op in 0..8 {
            for &a in &CORNERS[..n_corner] {
                for &b in &CORNERS[..n_corner] {
                    divs.push((op, a, b));
                }
            }
        }
        let random = if div == 34 { 600 } else { 150 };
        for _ in 0..random {
            divs.push((
                (rng.next() % 8) as u32,
                operand(&mut rng),
                operand(&mut rng),
            ));
        }
        let mut rows: Vec<Vec<u128>> = vec![vec![1, 0, 0, 0, 0, 0]; 2];
        let garbage = |rng: &mut Rng| {
            vec![
                0,
                0,
                u128::from(rng.next() % 8),
                u128::from(rng.next()),
                u128::from(rng.next()),
                u128::from(rng.next() % 64),
            ]
        };
        for (k, &(op, a, b)) in divs.iter().enumerate() {
            let tag = u128::from(rng.next() % (1 << tag_w));
            rows.push(vec![
                0,
                1,
                u128::from(op),
                u128::from(a),
                u128::from(b),
                tag,
            ]);
            // Busy for div - 1 more cycles; sometimes idle a few cycles after.
            let gap = if k % 5 == 0 { rng.next() % 4 } else { 0 };
            for _ in 0..u64::from(div - 1) + gap {
                rows.push(garbage(&mut rng));
            }
        }
        rows.push(garbage(&mut rng));
        let tb_path = dir.join("tb.v");
        std::fs::write(&tb_path, tb::testbench(&top, &rows)).expect("write testbench");
        files.push(tb_path);
        let out = tools::iverilog_run(&files, "tb", &dir).unwrap_or_else(|e| panic!("{e}"));
        let got = tb::parse(&out, tb::outputs(&top).len()).unwrap_or_else(|e| panic!("{e}"));
        let mut model = DivModel {
            div,
            cnt: 0,
            pending: (0, 0),
            reset: false,
        };
        if let Err(e) = tb::compare(&top, &rows, &got, &mut model) {
            panic!("{e}\n(files in {})", dir.display());
        }
    }
}

#[test]
fn divider_rejects_a_div_too_small_for_its_radix() {
    assert!(radix(9).is_err());
    let mut cfg = ChipConfig::preset("single").expect("preset");
    cfg.core.timing.div = 9;
    let mut d = Design::new("test");
    let e = core(&mut d, &CoreParams::from_config(&cfg)).expect_err("div = 9");
    assert!(
        e.to_string().contains("core.timing.div = 9 is too small"),
        "{e}"
    );
}
