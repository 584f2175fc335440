//! The `strand` command line: how runs end (firmware exit codes, HTIF, traps, `--max-cycles`,
//! deadlock), interrupts through the CLINT, and the messages users get for bad input.
//! Small programs are assembled with GNU binutils (`riscv64-unknown-elf-as`), not by us.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{assemble, case_dir};

fn strand(args: &[&str], elf: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_strand"));
    c.args(args);
    if let Some(e) = elf {
        c.arg(e);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const EXIT_FINISHER: &str = "
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b
";

#[test]
fn finisher_and_htif_exit_codes() {
    let elf = assemble(
        "cli",
        "fail-code",
        ".section .text.init\n.globl _start\n_start:\n li t0, 0x100000\n li t1, (7 << 16) | 0x3333\n sw t1, 0(t0)\n1: j 1b\n",
    );
    let o = strand(&["run", "--preset", "single"], Some(&elf));
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains("exit code     7"), "{}", stderr(&o));

    let elf = assemble(
        "cli",
        "tohost",
        ".section .text.init\n.globl _start\n_start:\n la t0, tohost\n li t1, (3 << 1) | 1\n sd t1, 0(t0)\n1: j 1b\n\
         .section .tohost, \"aw\"\n.align 3\n.globl tohost\ntohost: .dword 0\n.globl fromhost\nfromhost: .dword 0\n",
    );
    let o = strand(&["run", "--preset", "single"], Some(&elf));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn unhandled_trap_names_hart_pc_and_cause() {
    let elf = assemble(
        "cli",
        "ecall",
        ".section .text.init\n.globl _start\n_start:\n nop\n ecall\n",
    );
    let o = strand(&["run", "--preset", "single"], Some(&elf));
    assert_eq!(o.status.code(), Some(125));
    let e = stderr(&o);
    assert!(
        e.contains("hart 0: unhandled exception: environment call from M-mode (mcause=11) at pc=0x0000000080000004"),
        "{e}"
    );
    assert!(e.contains("no trap handler"), "{e}");

    // A load from an unmapped address on hart 5 of tiny.
    let elf = assemble(
        "cli",
        "load-fault",
        ".section .text.init\n.globl _start\n_start:\n csrr a0, mhartid\n li t0, 5\n bne a0, t0, 1f\n li t1, 0x40000000\n ld t2, 0(t1)\n1: j 1b\n",
    );
    let o = strand(&["run", "--preset", "tiny"], Some(&elf));
    assert_eq!(o.status.code(), Some(125));
    let e = stderr(&o);
    assert!(
        e.contains("hart 5: unhandled exception: load access fault (mcause=5)"),
        "{e}"
    );
    assert!(e.contains("mtval=0x40000000"), "{e}");
}

#[test]
fn max_cycles_and_deadlock() {
    let elf = assemble(
        "cli",
        "spin",
        ".section .text.init\n.globl _start\n_start:\n1: j 1b\n",
    );
    let o = strand(
        &["run", "--preset", "tiny", "--max-cycles", "1000"],
        Some(&elf),
    );
    assert_eq!(o.status.code(), Some(124));
    let e = stderr(&o);
    assert!(e.contains("stopped after 1000 cycles"), "{e}");
    assert!(e.contains("hart 0 running at pc=0x0000000080000000"), "{e}");

    let elf = assemble(
        "cli",
        "wfi",
        ".section .text.init\n.globl _start\n_start:\n wfi\n j _start\n",
    );
    let o = strand(&["run", "--preset", "tiny"], Some(&elf));
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("deadlock"), "{}", stderr(&o));
}

#[test]
fn timer_interrupt_wakes_wfi() {
    // Arm mtimecmp 100 ticks ahead, enable MTIE and MIE, sleep; the handler exits with 0.
    let asm = format!(
        ".section .text.init\n.globl _start\n_start:\n\
         la t0, handler\n csrw mtvec, t0\n\
         li t0, 0x200bff8\n ld t1, 0(t0)\n addi t1, t1, 100\n\
         li t0, 0x2004000\n sd t1, 0(t0)\n\
         li t0, 0x80\n csrw mie, t0\n csrsi mstatus, 8\n\
         1: wfi\n j 1b\n\
         .align 2\nhandler:\n csrr t2, mcause\n li t3, 0x8000000000000007\n bne t2, t3, bad\n{EXIT_FINISHER}\
         bad:\n li t0, 0x100000\n li t1, (9 << 16) | 0x3333\n sw t1, 0(t0)\n"
    );
    let elf = assemble("cli", "timer", &asm);
    let o = strand(
        &["run", "--preset", "single", "--max-cycles", "100000"],
        Some(&elf),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn software_interrupt_wakes_other_harts() {
    // Hart 0 sends an IPI to every other hart and waits for each to check in; the others sleep
    // in WFI with MSIE enabled but MIE off (wake without trapping), clear their msip and check in.
    let asm = format!(
        ".section .text.init\n.globl _start\n_start:\n\
         csrr a0, mhartid\n li t0, 8\n csrw mie, t0\n bnez a0, sleeper\n\
         li t0, 0x2000004\n li t1, 1\n li t2, 8\n\
         2: sw t1, 0(t0)\n addi t0, t0, 4\n addi t1, t1, 0\n addi t2, t2, -1\n li t3, 1\n bne t2, t3, 2b\n\
         la t4, count\n li t5, 7\n 3: lw t6, 0(t4)\n bne t6, t5, 3b\n{EXIT_FINISHER}\
         sleeper:\n wfi\n csrr t1, mip\n andi t1, t1, 8\n beqz t1, sleeper\n\
         slli t0, a0, 2\n li t1, 0x2000000\n add t0, t0, t1\n sw zero, 0(t0)\n\
         la t4, count\n li t5, 1\n amoadd.w zero, t5, (t4)\n 4: wfi\n j 4b\n\
         .data\n.align 3\ncount: .word 0\n"
    );
    let elf = assemble("cli", "ipi", &asm);
    let o = strand(
        &["run", "--preset", "tiny", "--max-cycles", "100000"],
        Some(&elf),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = case_dir("cli", "bad-input");
    let o = strand(&["run", "--preset", "huge", "x.elf"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown preset 'huge'; choose one of: single, tiny, u280, sketch2k")
    );

    let o = strand(&["run", "--set", "core.thread=2", "x.elf"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown configuration key 'core.thread'"),
        "{}",
        stderr(&o)
    );

    let o = strand(&["run", "--set", "core.threads=9", "x.elf"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("core.threads = 9: threads per core must be 1..=8"),
        "{}",
        stderr(&o)
    );

    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[mesh]\nx = 2\nz = 3\n").unwrap();
    let o = strand(&["run", "--config", cfg.to_str().unwrap(), "x.elf"], None);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.toml") && e.contains("unknown field `z`"),
        "{e}"
    );

    let junk = dir.join("junk.elf");
    std::fs::write(&junk, b"definitely not an elf file").unwrap();
    let o = strand(&["run"], Some(&junk));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not an ELF file"), "{}", stderr(&o));

    let host = Path::new(env!("CARGO_BIN_EXE_strand"));
    let o = strand(&["run"], Some(host));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not RISC-V"), "{}", stderr(&o));
}

#[test]
fn stats_and_resolved_config_are_written() {
    let elf = assemble(
        "cli",
        "stats",
        &format!(".section .text.init\n.globl _start\n_start:\n{EXIT_FINISHER}"),
    );
    let dir = elf.parent().unwrap();
    let stats = dir.join("stats.json");
    let cfg = dir.join("resolved.toml");
    let o = strand(
        &[
            "run",
            "--preset",
            "tiny",
            "--set",
            "core.threads=2",
            "--stats",
            stats.to_str().unwrap(),
            "--write-config",
            cfg.to_str().unwrap(),
        ],
        Some(&elf),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(json["config"]["core"]["threads"], 2);
    assert_eq!(json["chip"]["tile"][1]["core"][0]["thread"][1]["hart"], 3);
    assert!(json["chip"]["retired"].as_u64().unwrap() >= 3);
    let plot = dir.join("states.svg");
    let o = strand(
        &["run", "--preset", "tiny", "--plot", plot.to_str().unwrap()],
        Some(&elf),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("hart 7") && svg.contains("wait memory"));
    let text = std::fs::read_to_string(&cfg).unwrap();
    let back = strand_hw::ChipConfig::from_toml_str(&text).unwrap();
    assert_eq!(back.core.threads, 2);

    let o = strand(&["config", "--preset", "sketch2k"], None);
    assert!(o.status.success());
    let c = strand_hw::ChipConfig::from_toml_str(&String::from_utf8_lossy(&o.stdout)).unwrap();
    assert_eq!(c.harts(), 16384);
}
