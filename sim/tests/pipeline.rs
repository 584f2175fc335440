//! The pipeline's timing rules (docs/pipeline.md) seen from outside: dependent multiplies wait
//! for the multiplier, other threads fill the gaps, every thread-cycle is accounted exactly once,
//! and core utilization rises with threads on the pointer chase (the Niagara latency-hiding
//! curve). These are cycle counts of a deterministic model, not wall-clock timings.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::assemble;

fn run_stats(case: &str, elf: &Path, args: &[&str]) -> Value {
    let stats = support::case_dir("pipeline-stats", case).join("stats.json");
    let out = Command::new(env!("CARGO_BIN_EXE_strand"))
        .args(["run", "--max-cycles", "50000000"])
        .args(args)
        .arg("--stats")
        .arg(&stats)
        .arg(elf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap()
}

/// A loop of 400 multiplies on every hart, dependent (`mul a2, a2, a3`) or independent; hart 0
/// exits when its loop ends, the others sleep.
fn mul_loop(dependent: bool) -> String {
    let body = if dependent {
        " mul a2, a2, a3\n".repeat(8)
    } else {
        (0..8)
            .map(|i| format!(" mul t{}, a3, a3\n", i % 6))
            .collect::<String>()
    };
    format!(
        ".section .text.init\n.globl _start\n_start:\n csrr a0, mhartid\n li a2, 3\n li a3, 5\n li a4, 50\n\
         1:\n{body} addi a4, a4, -1\n bnez a4, 1b\n\
         bnez a0, 3f\n li t0, 0x100000\n li t1, 0x5555\n sw t1, 0(t0)\n\
         3: wfi\n j 3b\n"
    )
}

fn cycles_of_thread(stats: &Value, hart: usize) -> &Value {
    &stats["chip"]["tile"][0]["core"][0]["thread"][hart]["cycles"]
}

#[test]
fn dependent_multiplies_wait_and_threads_hide_it() {
    let dep = assemble("pipeline", "mul-dep", &mul_loop(true));
    let ind = assemble("pipeline", "mul-ind", &mul_loop(false));
    let s_dep = run_stats("mul-dep", &dep, &["--preset", "single"]);
    let s_ind = run_stats("mul-ind", &ind, &["--preset", "single"]);
    let w_dep = cycles_of_thread(&s_dep, 0)["wait_muldiv"].as_u64().unwrap();
    let w_ind = cycles_of_thread(&s_ind, 0)["wait_muldiv"].as_u64().unwrap();
    // Each block of 8 dependent multiplies waits (mul - 1) = 3 cycles before 7 of them; the
    // first one of a block issues after the loop branch's refill, when its operand is ready.
    assert_eq!(w_dep, 50 * 7 * 3, "{s_dep}");
    assert_eq!(w_ind, 0, "{s_ind}");
    // With 4 threads on the core, another thread issues while one waits for its product.
    let s4 = run_stats(
        "s4",
        &dep,
        &["--preset", "single", "--set", "core.threads=4"],
    );
    let util1 = s_dep["chip"]["tile"][0]["core"][0]["utilization"]
        .as_f64()
        .unwrap();
    let util4 = s4["chip"]["tile"][0]["core"][0]["utilization"]
        .as_f64()
        .unwrap();
    assert!(
        util4 > 2.0 * util1,
        "utilization 1 thread {util1}, 4 threads {util4}"
    );
}

#[test]
fn every_thread_cycle_is_accounted_once() {
    let dep = assemble("pipeline", "accounting", &mul_loop(true));
    for preset in ["single", "tiny"] {
        let s = run_stats(&format!("accounting-{preset}"), &dep, &["--preset", preset]);
        let total = s["chip"]["cycles"].as_u64().unwrap();
        for tile in s["chip"]["tile"].as_array().unwrap() {
            for core in tile["core"].as_array().unwrap() {
                for th in core["thread"].as_array().unwrap() {
                    let sum: u64 = th["cycles"]
                        .as_object()
                        .unwrap()
                        .values()
                        .map(|v| v.as_u64().unwrap())
                        .sum();
                    assert_eq!(sum, total, "{preset}: hart {} {}", th["hart"], th["cycles"]);
                }
            }
        }
    }
}

#[test]
fn pointer_chase_utilization_rises_with_threads() {
    let elf = support::firmware("ptr-chase");
    let mut last = 0.0;
    for n in [1, 2, 4, 8] {
        let threads = format!("core.threads={n}");
        let s = run_stats(
            &format!("chase{n}"),
            &elf,
            &[
                "--preset",
                "single",
                "--set",
                &threads,
                "--append",
                "size=512K iters=2000",
            ],
        );
        let util = s["chip"]["tile"][0]["core"][0]["utilization"]
            .as_f64()
            .unwrap();
        assert!(
            util > last * 1.3,
            "{n} threads: utilization {util} after {last}"
        );
        last = util;
    }
}

/// The parallel engine's contract: any number of host threads gives the same cycles, the same
/// statistics tree and the same commit log (docs/pipeline.md, "Quanta and host threads").
#[test]
fn host_threads_do_not_change_results() {
    let cases = [
        ("tiny", "amo-litmus", "iters=40", true),
        ("u280", "ptr-chase", "size=16K iters=400", false),
        ("u280", "amo-litmus", "iters=4 stripes=3", false),
    ];
    for (preset, name, append, log) in cases {
        let elf = support::firmware(name);
        let mut first: Option<(String, Value)> = None;
        for threads in ["1", "2", "3"] {
            let case = format!("threads-{preset}-{name}-{threads}");
            let dir = support::case_dir("pipeline-stats", &case);
            let log_path = dir.join("commits.log");
            let mut args = vec!["--preset", preset, "--threads", threads, "--append", append];
            let log_arg = log_path.to_str().unwrap().to_string();
            if log {
                args.extend(["--commit-log", log_arg.as_str()]);
            }
            let stats = run_stats(&case, &elf, &args);
            let commits = if log {
                std::fs::read_to_string(&log_path).unwrap()
            } else {
                String::new()
            };
            assert!(stats["chip"]["retired"].as_u64().unwrap() > 0);
            match &first {
                None => first = Some((commits, stats)),
                Some((c1, s1)) => {
                    assert_eq!(
                        s1["chip"]["cycles"], stats["chip"]["cycles"],
                        "{preset} {name}: cycles differ with --threads {threads}"
                    );
                    assert!(
                        *s1 == stats,
                        "{preset} {name}: statistics differ with --threads {threads}"
                    );
                    assert!(
                        *c1 == commits,
                        "{preset} {name}: commit logs differ with --threads {threads}"
                    );
                }
            }
        }
    }
}
