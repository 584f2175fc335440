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

use strand_hw::rtl::blocks::{arbiter, cache, clint, counter, fifo, router};
use strand_hw::rtl::tb::{self, Model};
use strand_hw::rtl::{cat, eval::eval, lit, tools, Design, Expr, ModRef, Params, RamStyle, Sig};

mod common;
use common::Rng;

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

// ---------------------------------------------------------------- router

/// Random traffic with random stalls into one router, closed loop: upstream senders respect the
/// router's credit pulses, downstream buffers drain at random and return credits, the L sink
/// stalls at random. The stimulus is produced with the reference model (which follows the
/// simulator's rules) and checked for wormhole integrity (a packet's flits leave an output
/// contiguously, in order, every packet is delivered); then the RTL must print the same outputs.
fn router_case(p: &router::RouterParams, seed: u64, cycles: usize) {
    let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
    let top = router::router(&mut d, p).unwrap_or_else(|e| panic!("{e}"));
    let ins: Vec<String> = tb::inputs(&top).into_iter().map(|q| q.name).collect();
    let outs: Vec<String> = tb::outputs(&top).into_iter().map(|q| q.name).collect();
    let ii = |n: &str| ins.iter().position(|x| x == n).unwrap();
    let oi = |n: &str| outs.iter().position(|x| x == n).unwrap();
    let letters = ["n", "e", "s", "w", "l"];
    let (mx, my) = (1u128, 2u128);
    let (xdim, ydim) = (1u64 << p.xb, 1u64 << p.yb);
    let mut rng = Rng(seed);
    let mut model = router::Model::new(p, &top);
    // Per input: the flits left to send (packet id, flit), the sender's credits.
    let mut queue: Vec<std::collections::VecDeque<(u32, router::Flit)>> =
        vec![Default::default(); 5];
    let mut credits = [p.buffer_flits; 5];
    // Per output N/E/S/W: the downstream buffer occupancy.
    let mut down = [0u32; 4];
    let mut next_id = 0u32;
    let mut sent = 0usize;
    let mut got: Vec<Vec<(u32, router::Flit)>> = vec![Vec::new(); 5];
    let mut rows = Vec::new();
    for cycle in 0..cycles {
        let mut row = vec![0u128; ins.len()];
        row[0] = u128::from(cycle < 2);
        row[ii("my_x")] = mx;
        row[ii("my_y")] = my;
        let phase = (cycle / 150) % 3; // bursts, trickles, mixed
        let (inject, drain, lready) = [(70, 40, 50), (15, 90, 95), (40, 60, 70)][phase];
        for (i, l) in letters.iter().enumerate() {
            if queue[i].is_empty() && cycle >= 2 && cycle + 60 < cycles && rng.chance(inject) {
                let n = 1 + rng.below(4) as u32;
                let (dx, dy) = (
                    u128::from(rng.below(xdim) as u8),
                    u128::from(rng.below(ydim) as u8),
                );
                for k in 0..n {
                    let payload = rng.bits(p.flit_bits);
                    let data = if k == 0 {
                        (payload >> (p.xb + p.yb) << (p.xb + p.yb)) | (dy << p.xb) | dx
                    } else {
                        payload
                    };
                    queue[i].push_back((
                        next_id,
                        router::Flit {
                            head: k == 0,
                            tail: k + 1 == n,
                            data,
                        },
                    ));
                }
                next_id += 1;
            }
            if cycle >= 2 && credits[i] > 0 && !rng.chance(15) {
                if let Some(&(_, f)) = queue[i].front() {
                    row[ii(&format!("in_{l}_valid"))] = 1;
                    row[ii(&format!("in_{l}_head"))] = u128::from(f.head);
                    row[ii(&format!("in_{l}_tail"))] = u128::from(f.tail);
                    row[ii(&format!("in_{l}_data"))] = f.data;
                }
            }
            if i < 4 && down[i] > 0 && rng.chance(drain) {
                row[ii(&format!("in_{l}_credit"))] = 1;
            }
        }
        row[ii("in_l_ready")] = u128::from(rng.chance(lready));
        let o = model.outputs(&row);
        if cycle >= 2 {
            for (i, l) in letters.iter().enumerate() {
                if row[ii(&format!("in_{l}_valid"))] == 1 {
                    let (id, f) = queue[i].pop_front().unwrap();
                    credits[i] -= 1;
                    sent += 1;
                    let _ = (id, f);
                }
                if o[oi(&format!("out_{l}_credit"))] == Some(1) {
                    credits[i] += 1;
                }
                if i < 4 && row[ii(&format!("in_{l}_credit"))] == 1 {
                    down[i] -= 1;
                }
                if o[oi(&format!("out_{l}_valid"))] == Some(1) {
                    let f = router::Flit {
                        head: o[oi(&format!("out_{l}_head"))] == Some(1),
                        tail: o[oi(&format!("out_{l}_tail"))] == Some(1),
                        data: o[oi(&format!("out_{l}_data"))].unwrap(),
                    };
                    if i < 4 {
                        down[i] += 1;
                        assert!(down[i] <= p.buffer_flits, "output {l} overran its credits");
                    }
                    got[i].push((0, f));
                }
            }
        }
        model.step(&row);
        rows.push(row);
    }
    // Every flit came out, packets whole and routed by XY.
    let total: usize = got.iter().map(Vec::len).sum();
    assert_eq!(total, sent, "flits lost or duplicated (seed {seed})");
    assert!(sent > cycles / 4, "too little traffic: {sent} flits");
    let xm = (1u128 << p.xb) - 1;
    for (o, flits) in got.iter().enumerate() {
        let mut open = false;
        for (_, f) in flits {
            assert_eq!(
                f.head, !open,
                "output {o}: interleaved packets (seed {seed})"
            );
            if f.head {
                let (dx, dy) = (
                    (f.data & xm) as u32,
                    (f.data >> p.xb & ((1 << p.yb) - 1)) as u32,
                );
                assert_eq!(router::route_xy(mx as u32, my as u32, dx, dy), o);
            }
            open = !f.tail;
        }
        assert!(!open, "output {o}: a packet never finished");
    }
    simulate(
        &d,
        &top,
        &rows,
        &mut router::Model::new(p, &top),
        &format!("{}_s{seed}", top.name()),
    );
}

#[test]
fn router_matches_its_model_under_random_traffic_and_stalls() {
    // The presets' router (64-bit flits, 4 credits, 1 cycle), a 2-cycle one with 3 credits (a
    // FIFO deeper than the credits), and a 4-cycle one with 2 credits.
    let configs = [
        router::RouterParams {
            flit_bits: 64,
            buffer_flits: 4,
            latency: 1,
            xb: 2,
            yb: 2,
        },
        router::RouterParams {
            flit_bits: 20,
            buffer_flits: 3,
            latency: 2,
            xb: 2,
            yb: 3,
        },
        router::RouterParams {
            flit_bits: 12,
            buffer_flits: 2,
            latency: 4,
            xb: 3,
            yb: 2,
        },
    ];
    for (k, p) in configs.iter().enumerate() {
        for seed in seeds() {
            router_case(p, 0x5eed_0000 + seed * 7 + k as u64, 900);
        }
    }
}

// ---------------------------------------------------------------- cache arrays, CLINT

#[test]
fn cache_arrays_match_their_model() {
    for meta in [0, 3] {
        let p = strand_hw::rtl::blocks::small_cache(meta);
        let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
        let top = cache::cache(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
        let mut rng = Rng(0xcac4e + u64::from(meta));
        let mut rows: Vec<Vec<u128>> = Vec::new();
        let row = |rst: bool,
                   valid: bool,
                   op: u128,
                   addr: u128,
                   wdata: u128,
                   mask: u128,
                   way: u128,
                   m: u128| {
            let mut r = vec![
                u128::from(rst),
                u128::from(valid),
                op,
                addr,
                wdata,
                mask,
                way,
            ];
            if meta > 0 {
                r.push(m);
            }
            r
        };
        rows.push(row(true, false, 0, 0, 0, 0, 0, 0));
        // Fill every word of every way (so no tag is undefined), two cycles per fill.
        let sets = p.sets() as u128;
        for way in 0..u128::from(p.ways) {
            for set in 0..sets {
                let tag = rng.bits(p.tag_bits());
                for word in 0..u128::from(p.line / 8) {
                    let addr = (tag << (p.set_bits() + p.off_bits()))
                        | (set << p.off_bits())
                        | (word << 3);
                    rows.push(row(
                        false,
                        true,
                        cache::op::FILL,
                        addr,
                        rng.bits(64),
                        0,
                        way,
                        rng.bits(meta.max(1)) & ((1 << meta) - 1),
                    ));
                    rows.push(row(false, false, 0, 0, 0, 0, 0, 0));
                }
            }
        }
        // Random ops over a small pool of addresses so that hits are frequent.
        let pool: Vec<u128> = (0..24).map(|_| rng.bits(p.pa_bits) & !7).collect();
        for _ in 0..700 {
            let addr = pool[rng.below(pool.len() as u64) as usize]
                | (rng.bits(3) * u128::from(rng.chance(10)));
            let op = [
                cache::op::READ,
                cache::op::READ,
                cache::op::WRITE,
                cache::op::FILL,
                cache::op::INVAL,
                cache::op::SETMETA,
            ][rng.below(6) as usize];
            rows.push(row(
                rng.chance(1),
                rng.chance(70),
                op,
                addr,
                rng.bits(64),
                rng.bits(8),
                rng.bits(p.way_bits()) % u128::from(p.ways),
                rng.bits(meta.max(1)) & ((1 << meta) - 1),
            ));
        }
        // After a mid-run reset tags stay (memories are not reset): the model keeps them too.
        simulate(&d, &top, &rows, &mut cache::Model::new(&p), top.name());
    }
}

#[test]
fn clint_matches_its_model() {
    use strand_hw::memmap::{CLINT_MSIP_EXT, CLINT_MTIME, CLINT_MTIMECMP, CLINT_MTIMECMP_EXT};
    let p = clint::ClintParams {
        harts: 3,
        clock_hz: 35_000_000,
    }; // 3.5 cycles per tick
    let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
    let top = clint::clint(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(0xc1147);
    let offsets: Vec<u64> = vec![
        0,
        4,
        8,
        12,
        CLINT_MTIMECMP,
        CLINT_MTIMECMP + 4,
        CLINT_MTIMECMP + 8,
        CLINT_MTIMECMP + 16,
        CLINT_MTIMECMP + 24,
        CLINT_MTIME,
        CLINT_MTIME + 4,
        CLINT_MSIP_EXT,
        CLINT_MSIP_EXT + 8,
        CLINT_MSIP_EXT + 12,
        CLINT_MTIMECMP_EXT + 8,
        CLINT_MTIMECMP_EXT + 16,
        CLINT_MTIMECMP_EXT + 24,
        0x1234,
        2,
    ];
    let rows: Vec<Vec<u128>> = (0..600)
        .map(|i| {
            let off = offsets[rng.below(offsets.len() as u64) as usize];
            // Small compare values so that timers fire during the run.
            let data = if rng.chance(50) {
                rng.bits(64)
            } else {
                rng.bits(6) | (rng.bits(6) << 32)
            };
            vec![
                u128::from(i < 2),
                u128::from(rng.chance(40)),
                u128::from(rng.chance(40)),
                u128::from(off),
                data,
                if rng.chance(50) { 3 } else { 2 },
            ]
        })
        .collect();
    simulate(&d, &top, &rows, &mut clint::Model::new(&p), top.name());
}

// ---------------------------------------------------------------- memory front end (AXI4)

/// The memory front end against behavioural AXI4 slaves (one memory per channel) in Icarus:
/// lines written to random addresses read back intact, every burst goes to the channel of the
/// simulator's hash with the channel-local address, bursts are 2 beats of 64 bits.
#[test]
fn memfront_moves_lines_over_axi_to_the_hashed_channel() {
    use strand_hw::rtl::blocks::memctrl::{memfront, xor_mask, MemParams};
    let p = MemParams {
        channels: 4,
        interleave: 256,
        pa_bits: 16,
        line: 16,
        axi_bits: 64,
        id_bits: 2,
    };
    let mut d = Design::new("cargo test -p strand-hw --test rtl_sim");
    let top = memfront(&mut d, &p).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(0xa41);
    // Distinct line addresses.
    let mut addrs: Vec<u64> = Vec::new();
    while addrs.len() < 24 {
        let a = (rng.next() & 0xffff) & !15;
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    let data: Vec<u128> = addrs.iter().map(|_| rng.bits(128)).collect();
    let channel = |a: u64| -> u64 {
        let g = a >> 8;
        (0..2).fold(0, |c, b| {
            c | (u64::from((g & xor_mask(4, b)).count_ones() & 1) << b)
        })
    };
    let local = |a: u64| -> u64 { ((a >> 8 >> 2) << 8) | (a & 255) };
    let mut tb = String::from(
        "`default_nettype none\nmodule tb;\n    reg clk = 1'b0;\n    reg rst = 1'b1;\n",
    );
    tb.push_str("    reg req_valid = 1'b0, req_write = 1'b0, resp_ready = 1'b1;\n    reg [15:0] req_addr = 16'd0;\n    reg [127:0] req_wdata = 128'd0;\n    reg [1:0] req_id = 2'd0;\n    wire req_ready, resp_valid, resp_write;\n    wire [1:0] resp_id;\n    wire [127:0] resp_rdata;\n");
    let mut conns = vec![
        ".clk(clk)".to_string(),
        ".rst(rst)".into(),
        ".req_valid(req_valid)".into(),
        ".req_write(req_write)".into(),
        ".req_addr(req_addr)".into(),
        ".req_wdata(req_wdata)".into(),
        ".req_id(req_id)".into(),
        ".resp_ready(resp_ready)".into(),
        ".req_ready(req_ready)".into(),
        ".resp_valid(resp_valid)".into(),
        ".resp_write(resp_write)".into(),
        ".resp_id(resp_id)".into(),
        ".resp_rdata(resp_rdata)".into(),
    ];
    for k in 0..p.channels {
        let pre = format!("m{k}_axi_");
        tb.push_str(&format!(
            "    wire {pre}awvalid, {pre}wvalid, {pre}wlast, {pre}bready, {pre}arvalid, {pre}rready;
    wire [13:0] {pre}awaddr, {pre}araddr;
    wire [7:0] {pre}awlen, {pre}arlen, {pre}wstrb;
    wire [2:0] {pre}awsize, {pre}arsize;
    wire [1:0] {pre}awburst, {pre}arburst;
    wire [63:0] {pre}wdata;
    reg {pre}bvalid = 1'b0, {pre}rvalid = 1'b0;
    reg [13:0] aw{k} = 14'd0, ar{k} = 14'd0;
    reg [7:0] wb{k} = 8'd0, rb{k} = 8'd0;
    reg [63:0] mem{k} [0:2047];
    wire [63:0] {pre}rdata = mem{k}[(ar{k} >> 3) + rb{k}];
    wire {pre}rlast = rb{k} == {pre}arlen;
    always @(posedge clk) begin
        if ({pre}awvalid) begin aw{k} <= {pre}awaddr; wb{k} <= 8'd0;
            $display(\"AW %0d %h %0d %0d %0d\", {k}, {pre}awaddr, {pre}awlen, {pre}awsize, {pre}awburst); end
        if ({pre}wvalid) begin mem{k}[(aw{k} >> 3) + wb{k}] <= {pre}wdata; wb{k} <= wb{k} + 8'd1;
            if ({pre}wlast) {pre}bvalid <= 1'b1;
            if ({pre}wstrb != 8'hff) $display(\"BADSTRB\"); end
        if ({pre}bvalid && {pre}bready) {pre}bvalid <= 1'b0;
        if ({pre}arvalid && !{pre}rvalid) begin ar{k} <= {pre}araddr; rb{k} <= 8'd0; {pre}rvalid <= 1'b1;
            $display(\"AR %0d %h %0d\", {k}, {pre}araddr, {pre}arlen); end
        if ({pre}rvalid && {pre}rready) begin rb{k} <= rb{k} + 8'd1; if ({pre}rlast) {pre}rvalid <= 1'b0; end
    end
"
        ));
        for (n, _, out) in strand_hw::rtl::blocks::memctrl::axi_signals(&p) {
            let _ = out;
            let s = match n {
                "awready" | "wready" => "1'b1".to_string(),
                "bresp" | "rresp" => "2'd0".to_string(),
                "arready" => format!("!{pre}rvalid"),
                _ => format!("{pre}{n}"),
            };
            conns.push(format!(".{pre}{n}({s})"));
        }
    }
    tb.push_str(&format!("    {} dut ({});\n", top.name(), conns.join(", ")));
    tb.push_str("    always #1 clk = ~clk;\n    task req(input w, input [15:0] a, input [127:0] x, input [1:0] id);\n    begin\n        @(negedge clk); req_valid = 1'b1; req_write = w; req_addr = a; req_wdata = x; req_id = id;\n        @(posedge clk); while (!req_ready) @(posedge clk);\n        @(negedge clk); req_valid = 1'b0;\n        while (!resp_valid) @(posedge clk);\n        $display(\"RESP %0d %0d %h\", resp_write, resp_id, resp_rdata);\n        @(posedge clk);\n    end\n    endtask\n    initial begin\n        repeat (3) @(posedge clk); @(negedge clk); rst = 1'b0;\n");
    for (i, (a, x)) in addrs.iter().zip(&data).enumerate() {
        tb.push_str(&format!(
            "        req(1'b1, 16'h{a:04x}, 128'h{x:032x}, 2'd{});\n",
            i % 4
        ));
    }
    for (i, a) in addrs.iter().enumerate() {
        tb.push_str(&format!(
            "        req(1'b0, 16'h{a:04x}, 128'd0, 2'd{});\n",
            (i + 1) % 4
        ));
    }
    tb.push_str("        $finish;\n    end\nendmodule\n`default_nettype wire\n");
    let dir = work_dir("memfront");
    let mut files = d.write(&dir).unwrap_or_else(|e| panic!("{e}"));
    let tbp = dir.join("tb.v");
    std::fs::write(&tbp, tb).expect("testbench");
    files.push(tbp);
    let out = tools::iverilog_run(&files, "tb", &dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.contains("BADSTRB"), "{out}");
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty() && !l.contains("$finish"))
        .collect();
    // Writes: AW then RESP per line; reads: AR then RESP.
    let (mut wi, mut ri) = (0usize, 0usize);
    for l in &lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        match f[0] {
            "AW" => {
                let a = addrs[wi];
                assert_eq!(
                    f[1].parse::<u64>().unwrap(),
                    channel(a),
                    "AW channel of {a:#x}: {l}"
                );
                assert_eq!(
                    u64::from_str_radix(f[2], 16).unwrap(),
                    local(a),
                    "AW local address: {l}"
                );
                assert_eq!(&f[3..], ["1", "3", "1"], "2 beats of 8 bytes, INCR: {l}");
            }
            "AR" => {
                let a = addrs[ri];
                assert_eq!(
                    f[1].parse::<u64>().unwrap(),
                    channel(a),
                    "AR channel of {a:#x}: {l}"
                );
                assert_eq!(
                    u64::from_str_radix(f[2], 16).unwrap(),
                    local(a),
                    "AR local address: {l}"
                );
            }
            "RESP" => {
                if f[1] == "1" {
                    assert_eq!(f[2].parse::<usize>().unwrap(), wi % 4, "write id");
                    wi += 1;
                } else {
                    assert_eq!(f[2].parse::<usize>().unwrap(), (ri + 1) % 4, "read id");
                    assert_eq!(
                        u128::from_str_radix(f[3], 16).unwrap(),
                        data[ri],
                        "line {:#x} read back",
                        addrs[ri]
                    );
                    ri += 1;
                }
            }
            _ => panic!("unexpected line {l}"),
        }
    }
    assert_eq!((wi, ri), (addrs.len(), addrs.len()), "{out}");
}
