//! `rvgen` — seeded random RV64IMA + Zicsr + Zifencei + Zicntr test programs for the Spike
//! differential test (`sim/tests/spike_diff.rs`, documented in `docs/isa-testing.md`).
//!
//! A seed names one program (GNU assembly text). Every program has the same frame:
//!
//! ```text
//!  0x8000_0000 .text   _start: minstret := 0; CLINT mtimecmp := ~0; a few CSR reset values;
//!                      mtvec := trap_handler; li x1..x31 (random)
//!                      N random items (straight-line ops, branches, loops, jumps, traps, CSRs...)
//!                      sd 1 -> tohost; sw 0x5555 -> test finisher; j .
//!                      trap_handler: mcause/mepc/mtval -> x29/x30/x31; mepc += 4; mret
//!  0x8010_0000 .data   4 KiB of random doublewords; x3 (gp) = data + 2048 for the whole run
//!  0x8020_0000 .tohost tohost, fromhost (HTIF: Spike exits when tohost becomes 1)
//! ```
//!
//! Register roles: x3 (gp) always points into the data area and x4 (tp) is the loop counter; no
//! random item writes either. x29..x31 are overwritten by the trap handler but otherwise random.
//! Everything else is random, x0 included as a destination now and then.
//!
//! Only behaviour that the ISA (plus Spike's documented choices, which Strand copies) fixes is
//! generated; what is excluded on purpose, and why, is listed in `docs/isa-testing.md`.

#![allow(dead_code)]

mod ops;
pub mod rng;
mod system;

use rng::Rng;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Where the linker script puts `.text` (also the reset pc of both simulators' payload).
pub const TEXT_BASE: u64 = 0x8000_0000;
/// Start of the 4 KiB data area that loads, stores and AMOs touch.
pub const DATA_BASE: u64 = 0x8010_0000;
/// Size of the data area.
pub const DATA_SIZE: u64 = 4096;
/// Address of the `tohost` doubleword (HTIF).
pub const TOHOST: u64 = 0x8020_0000;
/// The sifive_test finisher of the QEMU `virt` map (unmapped in Spike: the store faults there).
pub const FINISHER: u64 = 0x10_0000;

/// CLINT `mtimecmp` of hart 0 (Spike and the QEMU `virt` map agree).
pub const CLINT_MTIMECMP0: u64 = 0x0200_4000;

/// Data pointer register (gp): `DATA_BASE + 2048`, so 12-bit offsets reach the whole area.
const DP: u8 = 3;
/// Loop counter register (tp).
const LC: u8 = 4;
/// Registers the trap handler writes (mcause, mepc, mtval).
const HANDLER_REGS: [u8; 3] = [29, 30, 31];

/// The GNU ld script every program is linked with.
pub const LINKER_SCRIPT: &str = "\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS
{
  . = 0x80000000;
  .text : { *(.text.init) *(.text .text.*) }
  . = 0x80100000;
  .data : { *(.data .data.*) *(.sdata .sdata.*) *(.bss .bss.*) *(.sbss .sbss.*) }
  . = 0x80200000;
  .tohost : { *(.tohost) }
}
";

/// `-march` for the assembler: exactly the ISA under test (no C, so no 16-bit encodings).
pub const MARCH: &str = "rv64ima_zicsr_zifencei";

/// One generated program.
#[derive(Clone, Debug)]
pub struct Program {
    /// The seed that produced it.
    pub seed: u64,
    /// GNU assembly source (`prog.S`).
    pub source: String,
    /// How often each mnemonic (as written, e.g. `amoadd.w.aqrl`) and each behaviour class
    /// (`class:<name>`, `csr:<name>`) was emitted.
    pub counts: BTreeMap<String, usize>,
}

/// Generate the program for `seed`.
pub fn generate(seed: u64) -> Program {
    let mut g = Gen {
        rng: Rng::new(seed),
        text: String::new(),
        labels: 0,
        counts: BTreeMap::new(),
        recent: [1, 2, 5, 6],
    };
    g.program(seed);
    Program {
        seed,
        source: g.text,
        counts: g.counts,
    }
}

/// Register-register ALU ops (RV64I).
pub const ALU_RR: &[&str] = &[
    "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "addw", "subw", "sllw",
    "srlw", "sraw",
];
/// Register-immediate ALU ops with a 12-bit signed immediate.
pub const ALU_IMM: &[&str] = &["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"];
/// 64-bit shifts by an immediate (0..63).
pub const SHIFT_IMM: &[&str] = &["slli", "srli", "srai"];
/// 32-bit shifts by an immediate (0..31).
pub const SHIFT_IMM_W: &[&str] = &["slliw", "srliw", "sraiw"];
/// M extension.
pub const MULDIV: &[&str] = &[
    "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "mulw", "divw", "divuw",
    "remw", "remuw",
];
/// Loads with their access size.
pub const LOADS: &[(&str, u64)] = &[
    ("lb", 1),
    ("lh", 2),
    ("lw", 4),
    ("ld", 8),
    ("lbu", 1),
    ("lhu", 2),
    ("lwu", 4),
];
/// Stores with their access size.
pub const STORES: &[(&str, u64)] = &[("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)];
/// Conditional branches.
pub const BRANCHES: &[&str] = &["beq", "bne", "blt", "bge", "bltu", "bgeu"];
/// AMO operations (each in `.w` and `.d`).
pub const AMOS: &[&str] = &[
    "amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu",
];
/// Ordering suffixes of AMOs and LR/SC.
pub const ORDERINGS: &[&str] = &["", ".aq", ".rl", ".aqrl"];
/// Zicsr instructions.
pub const CSR_OPS: &[&str] = &["csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci"];

fn x(r: u8) -> String {
    format!("x{r}")
}

struct Gen {
    rng: Rng,
    text: String,
    labels: u32,
    counts: BTreeMap<String, usize>,
    /// The last few destinations handed out (see [`Gen::rs`]).
    recent: [u8; 4],
}

/// The kinds of top-level items and their relative weights.
#[derive(Clone, Copy, Debug)]
enum Item {
    AluRR,
    AluImm,
    Upper,
    MulDiv,
    Load,
    Store,
    Unmapped,
    Amo,
    LrSc,
    BranchFwd,
    Loop,
    Jal,
    Jalr,
    MretDirect,
    StoreLoad,
    FarJump,
    Csr,
    CsrIllegal,
    System,
    Illegal,
    Fence,
    SelfModify,
    Li,
    ReloadDp,
}

const ITEMS: &[(Item, u32)] = &[
    (Item::AluRR, 14),
    (Item::AluImm, 14),
    (Item::Upper, 3),
    (Item::MulDiv, 10),
    (Item::Load, 8),
    (Item::Store, 8),
    (Item::Unmapped, 2),
    (Item::Amo, 6),
    (Item::LrSc, 4),
    (Item::BranchFwd, 6),
    (Item::Loop, 3),
    (Item::Jal, 2),
    (Item::Jalr, 2),
    (Item::MretDirect, 1),
    (Item::StoreLoad, 3),
    (Item::FarJump, 1),
    (Item::Csr, 9),
    (Item::CsrIllegal, 2),
    (Item::System, 2),
    (Item::Illegal, 2),
    (Item::Fence, 2),
    (Item::SelfModify, 1),
    (Item::Li, 4),
    (Item::ReloadDp, 1),
];

/// Items allowed inside branch shadows and loop bodies: no labels, no control flow, no CSR writes.
const SIMPLE_ITEMS: &[(Item, u32)] = &[
    (Item::AluRR, 6),
    (Item::AluImm, 6),
    (Item::Upper, 1),
    (Item::MulDiv, 4),
    (Item::Load, 3),
    (Item::Store, 3),
    (Item::Amo, 2),
    (Item::Li, 1),
];

impl Gen {
    // ---- output helpers -------------------------------------------------------------------

    fn raw(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn count(&mut self, key: String) {
        *self.counts.entry(key).or_default() += 1;
    }

    /// Emit one instruction (or pseudo-instruction) and count its mnemonic.
    fn ins(&mut self, mnemonic: &str, operands: &str) {
        if operands.is_empty() {
            writeln!(self.text, "    {mnemonic}").unwrap();
        } else {
            writeln!(self.text, "    {mnemonic:<14} {operands}").unwrap();
        }
        self.count(mnemonic.to_string());
    }

    /// Count a behaviour class (for the coverage test).
    fn class(&mut self, name: &str) {
        self.count(format!("class:{name}"));
    }

    fn comment(&mut self, text: &str) {
        writeln!(self.text, "    # {text}").unwrap();
    }

    fn new_label(&mut self) -> String {
        self.labels += 1;
        format!(".Lg{}", self.labels)
    }

    fn place(&mut self, label: &str) {
        writeln!(self.text, "{label}:").unwrap();
    }

    // ---- random operands --------------------------------------------------------------------

    /// A destination: any register the random code may write, x0 now and then.
    fn rd(&mut self) -> u8 {
        if self.rng.chance(4) {
            0
        } else {
            self.rd_nz(&[])
        }
    }

    /// A non-zero destination the random code may write, not in `avoid`.
    fn rd_nz(&mut self, avoid: &[u8]) -> u8 {
        loop {
            let r = self.rng.range(1, 31) as u8;
            if r != DP && r != LC && !avoid.contains(&r) {
                self.recent.rotate_right(1);
                self.recent[0] = r;
                return r;
            }
        }
    }

    /// A destination (x0 possible) not in `avoid`.
    fn rd_avoid(&mut self, avoid: &[u8]) -> u8 {
        if self.rng.chance(4) {
            0
        } else {
            self.rd_nz(avoid)
        }
    }

    /// A source: any register, but often one written in the last few instructions, so that
    /// back-to-back dependencies (forwarding, load-use, mul/div-use) are common.
    fn rs(&mut self) -> u8 {
        if self.rng.chance(35) {
            let recent = self.recent;
            self.rng.pick(&recent)
        } else {
            self.rng.range(0, 31) as u8
        }
    }

    fn imm12(&mut self) -> i64 {
        if self.rng.chance(20) {
            self.rng.pick(&[0, 1, -1, 2047, -2048, 31, 32, 63, 64])
        } else {
            self.rng.range(-2048, 2047)
        }
    }

    /// A 64-bit value biased towards the corner cases of RV64IM.
    fn value(&mut self) -> u64 {
        match self.rng.below(12) {
            0 | 1 => self.rng.pick(&[
                0,
                1,
                2,
                u64::MAX,
                1 << 63,
                (1 << 63) - 1,
                0x8000_0000,
                0x7fff_ffff,
                0xffff_ffff,
                0xffff_ffff_8000_0000,
                0xffff_ffff_ffff_fffe,
            ]),
            2 => self.rng.range(-16, 16) as u64,
            3 => self.rng.next_u64() as i32 as i64 as u64,
            4 => self.rng.next_u64() & 0xffff_ffff,
            5 => (self.rng.next_u64() << 32) | self.rng.pick(&[0x8000_0000, 0xffff_ffff, 0, 1]),
            6 => DATA_BASE + self.rng.below(DATA_SIZE),
            _ => self.rng.next_u64(),
        }
    }

    fn li(&mut self, r: u8, v: u64) {
        self.ins("li", &format!("{}, {:#x}", x(r), v));
    }

    // ---- program frame ----------------------------------------------------------------------

    fn program(&mut self, seed: u64) {
        writeln!(
            self.text,
            "# Strand spike-diff program, seed {seed:#x} (generated by sim/tests/rvgen; DO NOT EDIT)\n\
             # Regenerate: SPIKE_DIFF_SEEDS={seed:#x} SPIKE_DIFF_KEEP=1 cargo test -p strand-sim --test spike_diff"
        )
        .unwrap();
        self.raw("    .option norelax");
        self.raw("    .section .text.init, \"ax\", @progbits");
        self.raw("    .globl _start");
        self.place("_start");
        // Spike's boot ROM retires 5 instructions before _start and Strand may have none: start
        // minstret from a known value so every later read is comparable.
        self.comment("minstret := 0 (Spike's boot ROM has already retired some instructions)");
        self.ins("csrw", "minstret, zero");
        // mtimecmp's reset value is the platform's choice (Spike: 0, so MTIP is pending from reset;
        // Strand: all ones). Set it like firmware would, so mip reads and writes agree.
        self.comment("CLINT mtimecmp[0] := all ones: mip.MTIP clear on every platform");
        self.li(5, CLINT_MTIMECMP0);
        self.li(6, u64::MAX);
        self.ins("sd", "x6, 0(x5)");
        self.ins("fence", "");
        self.reset_csr_reads();
        self.ins("lla", "x5, trap_handler");
        self.ins("csrw", "mtvec, x5");
        self.li(DP, DATA_BASE + 2048);
        let mut regs: Vec<u8> = (1..32).filter(|&r| r != DP).collect();
        for i in (1..regs.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            regs.swap(i, j);
        }
        for r in regs {
            let v = self.value();
            self.li(r, v);
        }
        let items = 220 + self.rng.below(250);
        for _ in 0..items {
            let which = self
                .rng
                .weighted(&ITEMS.iter().map(|i| i.1).collect::<Vec<_>>());
            self.item(ITEMS[which].0);
        }
        self.comment("end: tohost := 1 (Spike exits), then the sifive_test finisher (Strand)");
        self.ins("fence", "");
        self.ins("lla", "x5, tohost");
        self.li(6, 1);
        self.ins("sd", "x6, 0(x5)");
        self.li(5, FINISHER);
        self.li(6, 0x5555);
        self.ins("sw", "x6, 0(x5)");
        self.place(".Lend");
        self.ins("j", ".Lend");
        self.raw("    .balign 4");
        self.place("trap_handler");
        self.ins("csrr", "x29, mcause");
        self.ins("csrr", "x30, mepc");
        self.ins("csrr", "x31, mtval");
        self.ins("addi", "x30, x30, 4");
        self.ins("csrw", "mepc, x30");
        self.ins("mret", "");
        self.data();
    }

    /// Read some CSRs before anything writes them: their reset values must agree too (mip after
    /// mtimecmp was set).
    fn reset_csr_reads(&mut self) {
        for name in [
            "mstatus", "mie", "mip", "mscratch", "mepc", "mcause", "mtval",
        ] {
            if self.rng.chance(40) {
                let rd = self.rd_nz(&[]);
                self.ins("csrr", &format!("{}, {name}", x(rd)));
                self.class("csr-reset-value");
            }
        }
    }

    fn data(&mut self) {
        self.raw("    .data");
        self.raw("    .balign 4096");
        self.place("data");
        for _ in 0..DATA_SIZE / 8 {
            let v = self.value();
            writeln!(self.text, "    .dword {v:#018x}").unwrap();
        }
        self.raw("    .section .tohost, \"aw\", @progbits");
        self.raw("    .balign 64");
        self.raw("    .globl tohost");
        self.place("tohost");
        self.raw("    .dword 0");
        self.raw("    .balign 64");
        self.raw("    .globl fromhost");
        self.place("fromhost");
        self.raw("    .dword 0");
    }

    // ---- items ------------------------------------------------------------------------------

    fn item(&mut self, item: Item) {
        match item {
            Item::AluRR => self.alu_rr(&[]),
            Item::AluImm => self.alu_imm(&[]),
            Item::Upper => self.upper(),
            Item::MulDiv => self.muldiv(),
            Item::Load => self.load(),
            Item::Store => self.store(),
            Item::Unmapped => self.unmapped(),
            Item::Amo => self.amo(),
            Item::LrSc => self.lrsc(),
            Item::BranchFwd => self.branch_fwd(),
            Item::Loop => self.backward_loop(),
            Item::Jal => self.jal(),
            Item::Jalr => self.jalr(),
            Item::MretDirect => self.mret_direct(),
            Item::StoreLoad => self.store_load_overlap(),
            Item::FarJump => self.far_jumps(),
            Item::Csr => self.csr(),
            Item::CsrIllegal => self.csr_illegal(),
            Item::System => self.system(),
            Item::Illegal => self.illegal(),
            Item::Fence => self.fence(),
            Item::SelfModify => self.self_modify(),
            Item::Li => {
                let rd = self.rd_nz(&[]);
                let v = self.value();
                self.li(rd, v);
            }
            Item::ReloadDp => {
                self.comment("recompute the data pointer");
                self.li(DP, DATA_BASE + 2048);
            }
        }
    }

    fn simple_items(&mut self, n: u64) {
        let weights: Vec<u32> = SIMPLE_ITEMS.iter().map(|i| i.1).collect();
        for _ in 0..n {
            let which = self.rng.weighted(&weights);
            self.item(SIMPLE_ITEMS[which].0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_program() {
        for seed in [0u64, 1, 0xdead_beef] {
            assert_eq!(generate(seed).source, generate(seed).source);
        }
        assert_ne!(generate(1).source, generate(2).source);
    }

    #[test]
    fn reserved_registers_are_never_random_destinations() {
        // gp and tp are only written by the frame, the loop items and the DP reload.
        for seed in 0..50 {
            let p = generate(seed);
            for line in p.source.lines() {
                let t = line.trim();
                if t.starts_with('#') || t.starts_with('.') || t.ends_with(':') {
                    continue;
                }
                let mut parts = t.splitn(2, char::is_whitespace);
                let mn = parts.next().unwrap_or("");
                let ops = parts.next().unwrap_or("").trim();
                let first = ops.split(',').next().unwrap_or("").trim();
                let stores = mn.starts_with('s')
                    && !mn.starts_with("sc")
                    && !mn.starts_with("sl")
                    && !mn.starts_with("sr")
                    && !mn.starts_with("su");
                let branch = mn.starts_with('b');
                if stores || branch || mn.starts_with("csrw") && !mn.starts_with("csrrw") {
                    continue;
                }
                if first == "x3" {
                    assert!(
                        mn == "li" && ops.ends_with(&format!("{:#x}", DATA_BASE + 2048)),
                        "{t}"
                    );
                }
                if first == "x4" {
                    let ok = mn == "li"
                        || mn == "addi" && (ops.starts_with("x4, x0,") || ops == "x4, x4, -1");
                    assert!(ok, "{t}");
                }
            }
        }
    }
}
