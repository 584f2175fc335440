//! `strand`: run firmware on the simulated chip, print resolved configurations.
//!
//! Exit status of `strand run`: the firmware's exit code (0 = pass; a non-zero code whose low 8
//! bits are 0 becomes 1), 2 for bad usage, configuration or ELF, 124 when `--max-cycles` stops
//! the run, 125 for any other simulation error (unhandled trap, deadlock, reset request).

mod cli_cosim;
mod cli_rtl;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use strand_hw::params::{ChipConfig, DEFAULT_PRESET, PRESETS};
use strand_sim::trace::CommitLog;
use strand_sim::{Machine, RunOptions, SimError};

#[derive(Parser)]
#[command(
    name = "strand",
    version,
    about = "Strand: many-core RISC-V throughput chip simulator"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run an ELF program on the simulated chip.
    Run(RunArgs),
    /// Print a resolved configuration as TOML.
    Config(ConfigCmd),
    /// Synthetic traffic on the chip's mesh NoC: latency and accepted throughput, side by side
    /// with the analytical zero-load latency and saturation bound (see docs/noc.md).
    Noc(NocCmd),
    /// Benchmark the simulator: run one program on several presets and report build time,
    /// simulated MIPS and memory (timings belong here, never in tests).
    Bench(BenchCmd),
    /// Workloads: verify what the workload firmware wrote to a share against the host's
    /// golden models (`strand workload check graph500|kg|thinclient --share DIR`).
    Workload(strand_sim::workload::WorkloadCmd),
    /// Write the chip's generated Verilog: one file per module and filelist.f (docs/rtl.md).
    Rtl(cli_rtl::RtlCmd),
    /// Yosys synth_xilinx resource estimate per core, tile and chip; tiles per Alveo board.
    Fit(cli_rtl::FitCmd),
    /// Co-simulate the generated core RTL (Verilator) against the simulator: runs strand-cosim.
    Cosim(cli_cosim::CosimCmd),
}

#[derive(Args)]
struct BenchCmd {
    /// Comma-separated presets.
    #[arg(long, default_value = "tiny,u280,sketch2k")]
    presets: String,
    /// Program to run.
    #[arg(long, default_value = "build/firmware/ptr-chase.elf")]
    elf: PathBuf,
    /// Bootargs for the program.
    #[arg(long, default_value = "size=4K iters=2000")]
    append: String,
    /// Override parameters of every preset (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Comma-separated host thread counts to run each preset with (the cycles must agree).
    #[arg(long, default_value = "1,2")]
    threads: String,
    /// Write the results as JSON.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct NocCmd {
    #[command(flatten)]
    chip: ChipArgs,
    /// Traffic pattern: uniform, transpose, bitcomp, hotspot:TILE:FRACTION.
    #[arg(long, default_value = "uniform")]
    pattern: String,
    /// Offered load in packets per node per cycle.
    #[arg(long, default_value_t = 0.05)]
    rate: f64,
    /// Flits per packet.
    #[arg(long, default_value_t = 1)]
    flits: u32,
    /// Measurement window in cycles (warm-up is a quarter of it).
    #[arg(long, default_value_t = 20_000)]
    cycles: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sweep N rates from low load to 1.2x the analytical saturation instead of one rate.
    #[arg(long, value_name = "N")]
    sweep: Option<u32>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the latency and throughput curves (with the analytical values) as SVG.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

/// Which chip: a preset or a TOML file, plus overrides.
#[derive(Args)]
struct ChipArgs {
    /// Built-in preset: single, tiny (default), u280, sketch2k.
    #[arg(long, conflicts_with = "config")]
    preset: Option<String>,
    /// TOML configuration file (strict: unknown keys are errors).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override one parameter, e.g. --set core.threads=8 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

impl ChipArgs {
    fn resolve(&self) -> Result<ChipConfig> {
        let mut cfg = match (&self.preset, &self.config) {
            (_, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read configuration {}", path.display()))?;
                ChipConfig::from_toml_str(&text)
                    .with_context(|| format!("in configuration file {}", path.display()))?
            }
            (Some(p), None) => ChipConfig::preset(p)?,
            (None, None) => ChipConfig::preset(DEFAULT_PRESET)?,
        };
        for s in &self.set {
            cfg.apply_override(s)?;
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    chip: ChipArgs,
    /// Kernel command line, passed in the device tree as /chosen/bootargs.
    #[arg(long, default_value = "")]
    append: String,
    /// Write a Spike-format commit log (`--log-commits`) to this file.
    #[arg(long, value_name = "FILE")]
    commit_log: Option<PathBuf>,
    /// Write the statistics tree and the resolved configuration as JSON to this file.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Write the resolved configuration as TOML to this file.
    #[arg(long, value_name = "FILE")]
    write_config: Option<PathBuf>,
    /// Plot where every thread's cycles went (running, ready, waiting on ..., idle) as SVG.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Stop (exit status 124) after this many cycles.
    #[arg(long, value_name = "N", default_value_t = 10_000_000_000)]
    max_cycles: u64,
    /// Do not print the summary.
    #[arg(long, short)]
    quiet: bool,
    /// Host threads simulating tiles in parallel (results are identical for every value).
    #[arg(long, default_value_t = 1, value_name = "N")]
    threads: usize,
    /// Share host directory DIR with the firmware as a virtio-fs device (virtio-mmio slot 7,
    /// 0x1000_8000) with tag TAG (default `hostshare`).
    #[arg(long, value_name = "DIR[:TAG]")]
    share: Option<String>,
    /// The program (RISC-V ELF executable).
    elf: PathBuf,
}

#[derive(Args)]
struct ConfigCmd {
    #[command(flatten)]
    chip: ChipArgs,
    /// List the presets instead.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Run(a) => run(a),
        Cmd::Config(c) => config(c),
        Cmd::Noc(n) => noc(n),
        Cmd::Bench(b) => bench(b),
        Cmd::Workload(w) => strand_sim::workload::main(w),
        Cmd::Rtl(c) => cli_rtl::rtl(c),
        Cmd::Fit(c) => cli_rtl::fit_cmd(c),
        Cmd::Cosim(c) => cli_cosim::cosim(c),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("strand: error: {e:#}");
            match e.downcast_ref::<SimError>() {
                Some(SimError::MaxCycles { .. }) => ExitCode::from(124),
                Some(_) => ExitCode::from(125),
                None => ExitCode::from(2),
            }
        }
    }
}

fn config(c: ConfigCmd) -> Result<ExitCode> {
    if c.list {
        for p in PRESETS {
            let cfg = ChipConfig::preset(p)?;
            println!(
                "{p:10} {}x{} mesh, {} cores/tile, {} threads/core = {} harts",
                cfg.mesh.x,
                cfg.mesh.y,
                cfg.tile.cores,
                cfg.core.threads,
                cfg.harts()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", c.chip.resolve()?.to_toml_string());
    Ok(ExitCode::SUCCESS)
}

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench(b: BenchCmd) -> Result<ExitCode> {
    let image = std::fs::read(&b.elf).with_context(|| {
        format!(
            "cannot read {} (run scripts/build-firmware)",
            b.elf.display()
        )
    })?;
    let host_threads: Vec<usize> = b
        .threads
        .split(',')
        .map(|t| t.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .context("--threads takes a comma-separated list of host thread counts, e.g. 1,2")?;
    let mut rows = Vec::new();
    println!("| preset | harts | host threads | build s | cycles | instructions | run s | simulated MIPS | speed-up | peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for preset in b
        .presets
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let chip = ChipArgs {
            preset: Some(preset.to_string()),
            config: None,
            set: b.set.clone(),
        };
        let cfg = chip.resolve()?;
        let mut first: Option<(u64, f64)> = None;
        for &threads in &host_threads {
            let t0 = Instant::now();
            let mut m = Machine::new(cfg.clone(), Box::new(std::io::sink()))?;
            m.load(&image, &b.append)?;
            let build = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let (exit, stats) = m.run(&mut RunOptions {
                threads,
                ..RunOptions::default()
            })?;
            let run = t1.elapsed().as_secs_f64();
            anyhow::ensure!(
                exit.code == 0,
                "{preset}: the program exited with {}",
                exit.code
            );
            let (cycles0, run0) = *first.get_or_insert((stats.cycles, run));
            anyhow::ensure!(
                stats.cycles == cycles0,
                "{preset}: {threads} host threads gave {} cycles, not {cycles0}: the engine is not deterministic",
                stats.cycles
            );
            let mips = stats.retired() as f64 / run.max(1e-9) / 1e6;
            let speedup = run0 / run.max(1e-9);
            let rss = peak_rss_kib().unwrap_or(0) as f64 / 1024.0;
            println!(
                "| {preset} | {} | {threads} | {build:.3} | {} | {} | {run:.3} | {mips:.2} | {speedup:.2} | {rss:.0} |",
                cfg.harts(),
                stats.cycles,
                stats.retired()
            );
            rows.push(serde_json::json!({
                "preset": preset, "harts": cfg.harts(), "build_s": build, "cycles": stats.cycles,
                "instructions": stats.retired(), "run_s": run, "mips": mips, "peak_rss_mib": rss,
                "host_threads": threads, "speedup_vs_first": speedup, "elf": b.elf,
                "append": b.append, "config": cfg,
            }));
        }
    }
    if let Some(p) = &b.out {
        std::fs::write(p, serde_json::to_string_pretty(&rows)?)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn noc(n: NocCmd) -> Result<ExitCode> {
    use strand_sim::noc::{report, traffic, NocParams, Pattern};
    let cfg = n.chip.resolve()?;
    let pattern: Pattern = n.pattern.parse()?;
    let p = NocParams::from_config(&cfg);
    let rates = match n.sweep {
        Some(steps) => traffic::sweep_rates(&p, &pattern, n.flits, steps.max(1)),
        None => vec![n.rate],
    };
    let reports = traffic::sweep(&cfg, &pattern, &rates, n.flits, n.cycles, n.seed)?;
    if let Some(path) = &n.plot {
        let title = format!("{}x{} {}", cfg.mesh.x, cfg.mesh.y, n.pattern);
        strand_sim::report::plot::noc_curve(&reports, &title, path)?;
        eprintln!("plot written to {}", path.display());
    }
    if n.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "config": cfg, "runs": reports }))?
        );
    } else {
        let first = &reports[0];
        println!(
            "{} mesh, router latency {}, pattern {}, {} flit(s)/packet: analytical zero-load latency {:.2} cycles, saturation {:.4} flits/node/cycle",
            first.mesh, first.router_latency, n.pattern, n.flits, first.zero_load_analytic, first.saturation_analytic
        );
        print!("{}", report::render_sweep(&reports));
    }
    Ok(ExitCode::SUCCESS)
}

fn run(a: RunArgs) -> Result<ExitCode> {
    let cfg = a.chip.resolve()?;
    if let Some(p) = &a.write_config {
        std::fs::write(p, cfg.to_toml_string())
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let image =
        std::fs::read(&a.elf).with_context(|| format!("cannot read ELF {}", a.elf.display()))?;
    let t0 = Instant::now();
    let mut m = Machine::new(cfg.clone(), Box::new(std::io::stdout()))?;
    if let Some(share) = &a.share {
        let (dir, tag) = match share.rsplit_once(':') {
            Some((d, t)) if !d.is_empty() => (d, t),
            _ => (share.as_str(), strand_sim::devices::virtio::DEFAULT_TAG),
        };
        m.attach_share(std::path::Path::new(dir), tag)?;
    }
    m.load(&image, &a.append)
        .with_context(|| format!("cannot load {}", a.elf.display()))?;
    let build_time = t0.elapsed();

    let mut opts = RunOptions {
        max_cycles: a.max_cycles,
        threads: a.threads,
        ..RunOptions::default()
    };
    if let Some(p) = &a.commit_log {
        let f =
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
        opts.commit_log = Some(CommitLog::new(Box::new(f)));
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .expect("valid template"),
    );
    let t_run = Instant::now();
    {
        let bar = bar.clone();
        opts.progress = Some(Box::new(move |cycle, instret| {
            let secs = t_run.elapsed().as_secs_f64();
            if secs > 1.0 {
                bar.set_message(format!(
                    "{cycle} cycles, {instret} instructions, {:.1} MIPS",
                    instret as f64 / secs / 1e6
                ));
                bar.tick();
            }
        }));
    }
    let result = m.run(&mut opts);
    bar.finish_and_clear();
    let host = t_run.elapsed().as_secs_f64();
    let (exit, stats) = result?;
    if let Some(p) = &a.stats {
        let json = serde_json::to_string_pretty(&stats.to_json())?;
        std::fs::write(p, json).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(p) = &a.plot {
        strand_sim::report::plot::thread_states(&stats, cfg.core.threads, p)?;
    }
    if !a.quiet {
        let instr = stats.retired();
        let sim_us = stats.cycles as f64 / cfg.clock_mhz;
        eprintln!(
            "--- strand: {} on {} ({}x{} mesh x {} cores x {} threads = {} harts) ---",
            a.elf.display(),
            cfg.name,
            cfg.mesh.x,
            cfg.mesh.y,
            cfg.tile.cores,
            cfg.core.threads,
            cfg.harts()
        );
        eprintln!("exit code     {} (from hart {})", exit.code, exit.hart);
        eprintln!(
            "cycles        {} ({:.3} us at {} MHz)",
            stats.cycles, sim_us, cfg.clock_mhz
        );
        eprintln!(
            "instructions  {} (IPC {:.3} chip, {:.3} per hart)",
            instr,
            instr as f64 / stats.cycles.max(1) as f64,
            instr as f64 / stats.cycles.max(1) as f64 / f64::from(cfg.harts())
        );
        eprintln!(
            "host time     {:.3} s run + {:.3} s build; simulated {:.2} MIPS",
            host,
            build_time.as_secs_f64(),
            instr as f64 / host.max(1e-9) / 1e6
        );
    }
    let code = exit.code;
    Ok(ExitCode::from(if code != 0 && code & 0xff == 0 {
        1
    } else {
        (code & 0xff) as u8
    }))
}
