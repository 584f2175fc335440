//! The same stimulus on a Rust model and on the generated Verilog (Icarus Verilog), compared
//! cycle by cycle:
//!
//! * random expressions using every operator, evaluated by `rtl::eval` (the IR's meaning) and
//!   by Verilog: the emitted text must mean the same in every context (the rust-hdl bug);
//! * the counter, the round-robin arbiter and the FIFO (all three memory templates) against
//!   their reference models, with resets in the middle of the run.
//!
//! Needs `iverilog`/`vvp` and `verilator` (installed by `scripts/setup`); a missing tool fails
//! the test. Scratch files: `target/tmp/rtl-sim/<case>/`.

use std::path::{Path, PathBuf};

use strand_hw::rtl::blocks::{arbiter, counter, fifo};
use strand_hw::rtl::tb::{self, Model};
use strand_hw::rtl::{cat, eval::eval, lit, tools, Design, Expr, ModRef, Params, RamStyle, Sig};

/// xorshift64*: a small deterministic generator (no dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bits(&mut self, w: u32) -> u128 {
        let v = (u128::from(self.next()) << 64) | u128::from(self.next());
        if w >= 128 {
            v
        } else {
            v & ((1u128 << w) - 1)
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn work_dir(case: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rtl-sim")
        .join(case);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

/// Writes the design and a testbench applying `rows`, runs Icarus, compares with `model`.
fn simulate(design: &Design, top: &ModRef, rows: &[Vec<u128>], model: &mut dyn Model, case: &str) {
    let dir = work_dir(case);
    let mut files = design.write(&dir).unwrap_or_else(|e| panic!("{e}"));
    let tb_path = dir.join("tb.v");
    std::fs::write(&tb_path, tb::testbench(top, rows)).expect("write testbench");
    files.push(tb_path);
    let out = tools::iverilog_run(&files, "tb", &dir).unwrap_or_else(|e| panic!("{e}"));
    let got = tb::parse(&out, tb::outputs(top).len()).unwrap_or_else(|e| panic!("{case}: {e}"));
    if let Err(e) = tb::compare(top, rows, &got, model) {
        panic!("{e}\n(files in {})", dir.display());
    }
}

// ---------------------------------------------------------------- random expressions

const WIDTHS: &[u32] = &[1, 2, 3, 5, 8, 13, 16, 33, 64, 100];

fn leaf(rng: &mut Rng, ins: &[Sig], w: u32) -> Expr {
    if rng.chance(20) {
        return lit(w, rng.bits(w));
    }
    let s = &ins[rng.below(ins.len() as u64) as usize];
    let sw = s.width();
    if sw == w {
        s.expr()
    } else if sw > w {
        let lo = rng.below(u64::from(sw - w + 1)) as u32;
        s.slice(lo + w - 1, lo)
    } else if rng.chance(50) {
        s.zext(w)
    } else {
        s.sext(w)
    }
}

fn gen(rng: &mut Rng, ins: &[Sig], w: u32, depth: u32) -> Expr {
    if depth == 0 || rng.chance(15) {
        return leaf(rng, ins, w);
    }
    let d = depth - 1;
    let sub = |rng: &mut Rng, w: u32| gen(rng, ins, w, d);
    let any_w = |rng: &mut Rng| WIDTHS[rng.below(WIDTHS.len() as u64) as usize];
    loop {
        let e = match rng.below(17) {
            0 => sub(rng, w) + sub(rng, w),
            1 => sub(rng, w) - sub(rng, w),
            2 if w <= 64 => sub(rng, w) * sub(rng, w),
            3 => sub(rng, w) & sub(rng, w),
            4 => sub(rng, w) | sub(rng, w),
            5 => sub(rng, w) ^ sub(rng, w),
            6 => !sub(rng, w),
            7 => -sub(rng, w),
            8 if w == 1 => {
                let k = any_w(rng);
                let (a, b) = (sub(rng, k), sub(rng, k));
                match rng.below(10) {
                    0 => a.eq(&b),
                    1 => a.ne(&b),
                    2 => a.lt(&b),
                    3 => a.le(&b),
                    4 => a.gt(&b),
                    5 => a.ge(&b),
                    6 => a.lt_s(&b),
                    7 => a.le_s(&b),
                    8 => a.gt_s(&b),
                    _ => a.ge_s(&b),
                }
            }
            9 => {
                let k = 1 + rng.below(8) as u32;
                let (a, s) = (sub(rng, w), sub(rng, k));
                match rng.below(3) {
                    0 => a.shl(&s),
                    1 => a.shr(&s),
                    _ => a.sra(&s),
                }
            }
            10 => sub(rng, 1).mux(sub(rng, w), sub(rng, w)),
            11 if w >= 2 => {
                let hi = 1 + rng.below(u64::from(w - 1)) as u32;
                cat([sub(rng, hi), sub(rng, w - hi)])
            }
            12 => {
                let k = (w + rng.below(12) as u32).min(128);
                let lo = rng.below(u64::from(k - w + 1)) as u32;
                sub(rng, k).slice(lo + w - 1, lo)
            }
            13 if w >= 2 => {
                let k = 1 + rng.below(u64::from(w - 1)) as u32;
                if rng.chance(50) {
                    sub(rng, k).zext(w)
                } else {
                    sub(rng, k).sext(w)
                }
            }
            14 if w == 1 => {
                if rng.chance(50) {
                    let j = 1 + rng.below(6) as u32;
                    sub(rng, 1 << j).index(sub(rng, j))
                } else {
                    let k = any_w(rng);
                    let a = sub(rng, k);
                    match rng.below(3) {
                        0 => a.all(),
                        1 => a.any(),
                        _ => a.parity(),
                    }
                }
            }
            15 if w & 1 == 0 => sub(rng, w / 2).repeat(2),
            16 if w >= 2 => {
                if rng.chance(50) || w > 64 {
                    sub(rng, w - 1).add_carry(sub(rng, w - 1))
                } else {
                    let k = 1 + rng.below(u64::from(w - 1)) as u32;
                    sub(rng, k).mul_full(sub(rng, w - k))
                }
            }
            _ => continue,
        };
        assert_eq!(e.width(), w, "generator bug: {e:?}");
        return e;
    }
}

struct ExprModel {
    names: Vec<String>,
    exprs: Vec<Expr>,
}

impl Model for ExprModel {
    fn outputs(&self, row: &[u128]) -> Vec<Option<u128>> {
        let env = |n: &str| row[self.names.iter().position(|x| x == n).expect("input")];
        self.exprs
            .iter()
            .map(|e| Some(eval(e, &env, &|_, _| 0)))
            .collect()
    }
    fn step(&mut self, _row: &[u128]) {}
}

/// Seeds for the random-expression test: `RTL_SIM_SEEDS=1..50` or `=4,7`; default 1..=3.
fn seeds() -> Vec<u64> {
    let Ok(spec) = std::env::var("RTL_SIM_SEEDS") else {
        return vec![1, 2, 3];
    };
    let mut out = Vec::new();
    for part in spec.split(',') {
        let parse = |t: &str| {
            t.trim()
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("RTL_SIM_SEEDS: bad seed '{t}'"))
        };
        match part.split_once("..") {
            Some((a, b)) => out.extend(parse(a)..parse(b)),
            None => out.push(parse(part)),
        }
    }
    out
}

#[test]
fn random_expressions_mean_the_same_in_verilog() {
    for seed in seeds() {
        expression_case(seed);
    }
}

fn expression_case(seed: u64) {
    let mut rng = Rng(0x5eed_0000 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
    let mut exprs = Vec::new();
    let mut names = Vec::new();
    let top = d
        .build(
            "expr_check",
            module_path!(),
            Params::new().with("seed", seed),
            |m| {
                let ins: Vec<Sig> = [
                    ("a", 8),
                    ("b", 8),
                    ("c", 1),
                    ("d", 3),
                    ("e", 13),
                    ("f", 64),
                    ("g", 100),
                ]
                .iter()
                .map(|&(n, w)| {
                    names.push(n.to_string());
                    let s = m.input(n, w);
                    m.allow_unused(&s);
                    s
                })
                .collect();
                for i in 0..60 {
                    let w = WIDTHS[i % WIDTHS.len()];
                    let e = gen(&mut rng, &ins, w, 4);
                    m.output_from(&format!("y{i}"), &e);
                    exprs.push(e);
                }
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let case = format!("expr_check-{seed}");
    let dir = work_dir(&format!("{case}-lint"));
    let files = d.write(&dir).unwrap_or_else(|e| panic!("{e}"));
    tools::verilator_lint(&files, "expr_check").unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let widths: Vec<u32> = tb::inputs(&top).iter().map(|p| p.width).collect();
    let mut rows: Vec<Vec<u128>> = Vec::new();
    for i in 0..300 {
        rows.push(
            widths
                .iter()
                .map(|&w| match i % 4 {
                    // Edge values now and then: all zeros, all ones, only the top bit.
                    0 if rng.chance(50) => {
                        [0, rng.bits(w) | u128::MAX, 1u128 << (w - 1)][rng.below(3) as usize]
                            & if w >= 128 {
                                u128::MAX
                            } else {
                                (1u128 << w) - 1
                            }
                    }
                    _ => rng.bits(w),
                })
                .collect(),
        );
    }
    simulate(&d, &top, &rows, &mut ExprModel { names, exprs }, &case);
}

// ---------------------------------------------------------------- blocks

#[test]
fn counter_matches_its_model() {
    let p = counter::CounterParams { width: 4 };
    let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
    let top = counter::counter(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(0xc047);
    let rows: Vec<Vec<u128>> = (0..400)
        .map(|i| {
            let rst = i < 2 || rng.chance(1);
            vec![
                u128::from(rst),
                u128::from(rng.chance(80)),
                u128::from(rng.chance(3)),
            ]
        })
        .collect();
    simulate(&d, &top, &rows, &mut counter::Model::new(&p), "counter_w4");
}

#[test]
fn arbiter_matches_its_model() {
    for n in [4, 5] {
        let p = arbiter::ArbiterParams { n };
        let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
        let top = arbiter::arbiter(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
        let mut rng = Rng(0xa4b1 + u64::from(n));
        let rows: Vec<Vec<u128>> = (0..400)
            .map(|i| {
                let rst = i < 2 || rng.chance(1);
                // Sparse requests in some phases, dense in others.
                let density = if (i / 50) % 2 == 0 { 30 } else { 80 };
                let req = (0..n).fold(0u128, |acc, b| acc | (u128::from(rng.chance(density)) << b));
                vec![u128::from(rst), req, u128::from(rng.chance(70))]
            })
            .collect();
        simulate(
            &d,
            &top,
            &rows,
            &mut arbiter::Model::new(&p),
            &format!("arbiter_n{n}"),
        );
    }
}

#[test]
fn fifo_matches_its_model_with_every_memory_template() {
    for ram in [RamStyle::Distributed, RamStyle::Block, RamStyle::Ultra] {
        let p = fifo::FifoParams {
            width: 8,
            depth: 4,
            ram,
        };
        let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
        let top = fifo::fifo(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
        let mut rng = Rng(0xf1f0);
        let rows: Vec<Vec<u128>> = (0..600)
            .map(|i| {
                let rst = i < 2 || rng.chance(1);
                // Phases that fill the FIFO, drain it, and mix.
                let (pv, pr) = [(90, 20), (20, 90), (60, 60)][(i / 40) % 3];
                vec![
                    u128::from(rst),
                    u128::from(rng.chance(pv)),
                    rng.bits(8),
                    u128::from(rng.chance(pr)),
                ]
            })
            .collect();
        simulate(&d, &top, &rows, &mut fifo::Model::new(&p), top.name());
    }
}
