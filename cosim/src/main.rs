//! `strand-cosim [--preset P | --config FILE] [--set k=v]... [--append ARGS] [--max-cycles N] [--check-engine] ELF`
//! `strand-cosim --chip [--preset P | --config FILE] [--set k=v]... [--append ARGS] [--max-cycles N] [--axi-latency N] [--axi-stall PCT] [--axi-seed N] [--hang-cycles N] ELF`
//!
//! Runs the generated core RTL (Verilated) and the simulator side by side on one firmware ELF
//! and stops at the first difference, naming hart, pc, cycle and the differing field. Prints
//! the RTL's console on stdout and a summary on stderr. Exit status: 0 when everything
//! matched, 1 on a difference, 2 on bad input.
//!
//! `--chip` runs the whole chip top instead (`strand_cosim::chip`): behavioural HBM on its AXI
//! ports, the simulator's devices on its host port, its trace ports checked against
//! `Machine::run`'s commit log (docs/rtl.md, "Chip co-simulation (`--chip`)").

use std::process::ExitCode;
use std::time::Instant;
use strand_cosim::chip::{chip_cosim, summary, ChipOptions};
use strand_cosim::{check_engine, cosim, Options};
use strand_hw::ChipConfig;

fn usage() -> ExitCode {
    eprintln!(
        "usage: strand-cosim [--preset P | --config FILE] [--set k=v]... [--append ARGS] [--max-cycles N] [--check-engine] ELF\n       strand-cosim --chip [--preset P | --config FILE] [--set k=v]... [--append ARGS] [--max-cycles N] [--axi-latency N] [--axi-stall PCT] [--axi-seed N] [--hang-cycles N] ELF"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut preset = "tiny".to_string();
    let mut config: Option<String> = None;
    let mut sets = Vec::new();
    let mut opts = Options::default();
    let mut elf = None;
    let mut engine = false;
    let mut chip = false;
    let mut copts = ChipOptions::default();
    let mut max_cycles = None;
    while let Some(a) = args.next() {
        let num = |args: &mut std::iter::Skip<std::env::Args>| -> Option<u64> {
            args.next().and_then(|v| v.parse().ok())
        };
        match a.as_str() {
            "--chip" => chip = true,
            "--axi-latency" => match num(&mut args) {
                Some(n) => copts.axi.latency = n,
                None => return usage(),
            },
            "--axi-stall" => match num(&mut args) {
                Some(n) if n < 100 => copts.axi.stall_percent = n as u32,
                _ => return usage(),
            },
            "--axi-seed" => match num(&mut args) {
                Some(n) => copts.axi.seed = n,
                None => return usage(),
            },
            "--hang-cycles" => match num(&mut args) {
                Some(n) => copts.hang_cycles = n,
                None => return usage(),
            },
            "--preset" => preset = args.next().unwrap_or_default(),
            "--config" => config = args.next(),
            "--set" => sets.push(args.next().unwrap_or_default()),
            "--max-cycles" => match num(&mut args) {
                Some(n) => max_cycles = Some(n),
                None => return usage(),
            },
            "--check-engine" => engine = true,
            "--append" => opts.append = args.next().unwrap_or_default(),
            "-h" | "--help" => return usage(),
            _ if elf.is_none() && !a.starts_with('-') => elf = Some(a),
            _ => return usage(),
        }
    }
    let Some(elf) = elf else { return usage() };
    if let Some(n) = max_cycles {
        opts.max_cycles = n;
        copts.max_cycles = n;
    }
    let cfg = match config {
        Some(f) => std::fs::read_to_string(&f)
            .map_err(|e| e.to_string())
            .and_then(|t| ChipConfig::from_toml_str(&t).map_err(|e| e.to_string())),
        None => ChipConfig::preset(&preset).map_err(|e| e.to_string()),
    };
    let mut cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            eprintln!("strand-cosim: {e}");
            return ExitCode::from(2);
        }
    };
    for s in &sets {
        if let Err(e) = cfg.apply_override(s) {
            eprintln!("strand-cosim: {e}");
            return ExitCode::from(2);
        }
    }
    let image = match std::fs::read(&elf) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("strand-cosim: {elf}: {e}");
            return ExitCode::from(2);
        }
    };
    if chip {
        if engine {
            eprintln!("strand-cosim: --check-engine does not apply to --chip");
            return ExitCode::from(2);
        }
        copts.append = opts.append.clone();
        eprintln!(
            "--- strand-cosim --chip: {elf} on {} ({} tiles, {} cores x {} threads, {} HBM channels): chip RTL vs Machine::run ---",
            cfg.name,
            cfg.tiles(),
            cfg.cores(),
            cfg.core.threads,
            cfg.memory.hbm_channels
        );
        return match chip_cosim(&cfg, &image, &copts, Box::new(std::io::stdout())) {
            Ok(r) => {
                eprint!("{}", summary(&r, cfg.harts() as usize));
                if r.passed() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("strand-cosim: {e}");
                ExitCode::from(1)
            }
        };
    }
    eprintln!(
        "--- strand-cosim: {elf} on {} ({} cores x {} threads): RTL vs simulator ---",
        cfg.name,
        cfg.cores(),
        cfg.core.threads
    );
    let t = Instant::now();
    let r = cosim(&cfg, &image, &opts, Box::new(std::io::stdout()));
    let wall = t.elapsed().as_secs_f64();
    let mut code = ExitCode::SUCCESS;
    match r {
        Ok(r) => {
            eprintln!(
                "identical     commit records and issue cycles for {} issues ({} instructions)",
                r.issues, r.instructions
            );
            eprintln!("cycles        {} (exit code {})", r.cycles, r.exit_code);
            eprintln!(
                "stores        {} times several stores of a thread were acknowledged in one cycle",
                r.acks_together
            );
            eprintln!(
                "divides       {} results of the iterative divider checked when written",
                r.divides
            );
            eprintln!(
                "host time     {:.2} s (build/load {:.2} s, Verilator {:.2} s = {:.0} cycles/s, reference model {:.2} s = {:.0} cycles/s)",
                wall,
                r.build_seconds,
                r.rtl_seconds,
                r.cycles as f64 / r.rtl_seconds,
                r.ref_seconds,
                r.cycles as f64 / r.ref_seconds
            );
        }
        Err(e) => {
            eprintln!("strand-cosim: {e}");
            code = ExitCode::from(1);
        }
    }
    if engine {
        match check_engine(&cfg, &image, &opts.append) {
            Ok(c) => {
                eprintln!(
                    "engine        Machine::run: {} cycles, {} commit lines, {:.3} s ({:.0} cycles/s); reference model: {} cycles, {} lines",
                    c.engine_cycles,
                    c.engine_lines,
                    c.engine_seconds,
                    c.engine_cycles as f64 / c.engine_seconds.max(1e-9),
                    c.reference_cycles,
                    c.reference_lines
                );
                match &c.first_diff {
                    None if c.engine_lines == c.reference_lines => {
                        eprintln!("engine        commit logs identical")
                    }
                    None => eprintln!("engine        commit logs: one is a prefix of the other"),
                    Some((n, a, b)) => {
                        eprintln!("engine        commit logs differ at line {n}:\n  engine    {a}\n  reference {b}")
                    }
                }
                if c.engine_cycles != c.reference_cycles {
                    eprintln!(
                        "engine        cycle counts differ: engine {}, reference (docs/pipeline.md) {}",
                        c.engine_cycles, c.reference_cycles
                    );
                }
            }
            Err(e) => eprintln!("engine        {e}"),
        }
    }
    code
}
