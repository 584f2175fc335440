//! System items: Zicsr on every machine-mode CSR, illegal CSR accesses, ECALL/EBREAK,
//! illegal encodings, fences, FENCE.I with self-modifying code.

use super::*;

/// How the generator may use a CSR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CsrUse {
    /// Any access, any value.
    ReadWrite,
    /// mstatus: any access, but never set MIE (an enabled interrupt would make the run timing-dependent).
    Status,
    /// mtvec: any access; a write is immediately followed by restoring the trap handler.
    Tvec,
    /// Read into any register; a write would be illegal (or is avoided, see misa).
    ReadOnly,
    /// Read, but only into x0: the value is implementation-specific (IDs) or timing-dependent.
    ReadToZero,
    /// mcycle: written (rd = x0) or read into x0; its value is timing-dependent.
    WriteOnly,
}

/// The CSRs the generator touches, with the number Spike's log shows (`c<decimal>_<name>`).
const CSRS: &[(&str, u16, CsrUse)] = &[
    ("mstatus", 0x300, CsrUse::Status),
    ("misa", 0x301, CsrUse::ReadOnly),
    ("mie", 0x304, CsrUse::ReadWrite),
    ("mtvec", 0x305, CsrUse::Tvec),
    ("mscratch", 0x340, CsrUse::ReadWrite),
    ("mepc", 0x341, CsrUse::ReadWrite),
    ("mcause", 0x342, CsrUse::ReadWrite),
    ("mtval", 0x343, CsrUse::ReadWrite),
    ("mip", 0x344, CsrUse::ReadWrite),
    ("mcycle", 0xb00, CsrUse::WriteOnly),
    ("minstret", 0xb02, CsrUse::ReadWrite),
    ("cycle", 0xc00, CsrUse::ReadToZero),
    ("time", 0xc01, CsrUse::ReadToZero),
    ("instret", 0xc02, CsrUse::ReadOnly),
    ("mvendorid", 0xf11, CsrUse::ReadToZero),
    ("marchid", 0xf12, CsrUse::ReadToZero),
    ("mimpid", 0xf13, CsrUse::ReadToZero),
    ("mhartid", 0xf14, CsrUse::ReadOnly),
];

/// Read-only CSRs (number bits 11:10 = 0b11) for "write to a read-only CSR is illegal".
const READ_ONLY_CSRS: &[&str] = &[
    "mvendorid",
    "marchid",
    "mimpid",
    "mhartid",
    "cycle",
    "time",
    "instret",
];

/// CSR numbers that exist neither in Spike `--priv=m` (rv64ima) nor in Strand: custom ranges and
/// S-mode CSRs (there is no S-mode). Any access is an illegal instruction.
const UNIMPLEMENTED_CSR_RANGES: &[(u16, u16)] = &[
    (0x7c0, 0x7ff),
    (0x800, 0x8ff),
    (0xbc0, 0xbff),
    (0xfc0, 0xfff),
    (0x5c0, 0x5ff),
    (0x100, 0x100), // sstatus
    (0x105, 0x105), // stvec
    (0x140, 0x140), // sscratch
    (0x180, 0x180), // satp
];

impl Gen {
    pub(super) fn csr(&mut self) {
        let (name, _, kind) = self.rng.pick(CSRS);
        self.count(format!("csr:{name}"));
        let reading_forms = |g: &mut Gen, rd: u8| {
            let op = g.rng.pick(CSR_OPS);
            match op {
                "csrrs" | "csrrc" => g.ins(op, &format!("{}, {name}, x0", x(rd))),
                "csrrsi" | "csrrci" => g.ins(op, &format!("{}, {name}, 0", x(rd))),
                // csrrw/csrrwi always write: use the plain read instead.
                _ => g.ins("csrrs", &format!("{}, {name}, x0", x(rd))),
            }
        };
        match kind {
            CsrUse::ReadOnly => {
                let rd = self.rd();
                reading_forms(self, rd);
            }
            CsrUse::ReadToZero => reading_forms(self, 0),
            CsrUse::WriteOnly => {
                if self.rng.chance(50) {
                    reading_forms(self, 0);
                } else if self.rng.chance(50) {
                    let src = self.rs();
                    self.ins("csrrw", &format!("x0, {name}, {}", x(src)));
                } else {
                    let imm = self.rng.range(0, 31);
                    self.ins("csrrwi", &format!("x0, {name}, {imm}"));
                }
            }
            CsrUse::ReadWrite | CsrUse::Status | CsrUse::Tvec => {
                let op = self.rng.pick(CSR_OPS);
                let rd = self.rd();
                let status = kind == CsrUse::Status;
                let writes;
                if op.ends_with('i') {
                    let mut imm = self.rng.range(0, 31);
                    if status && op != "csrrci" {
                        imm &= !0x8; // never set mstatus.MIE
                    }
                    writes = op == "csrrwi" || imm != 0;
                    self.ins(op, &format!("{}, {name}, {imm}", x(rd)));
                } else {
                    let mut src = if self.rng.chance(15) { 0 } else { self.rs() };
                    if status && op != "csrrc" && src != 0 {
                        // A value with MIE (bit 3) clear.
                        src = self.rd_nz(&[]);
                        let v = self.value() & !0x8;
                        self.li(src, v);
                    }
                    writes = op == "csrrw" || src != 0;
                    self.ins(op, &format!("{}, {name}, {}", x(rd), x(src)));
                }
                if kind == CsrUse::Tvec && writes {
                    // Back to the handler; sometimes in vectored mode, where exceptions still
                    // go to the base address.
                    let t = self.rd_nz(&[]);
                    let mode = if self.rng.chance(40) {
                        self.class("mtvec-vectored");
                        1
                    } else {
                        0
                    };
                    self.ins("lla", &format!("{}, trap_handler + {mode}", x(t)));
                    self.ins("csrw", &format!("mtvec, {}", x(t)));
                }
            }
        }
    }

    pub(super) fn csr_illegal(&mut self) {
        if self.rng.chance(50) {
            self.class("csr-unimplemented");
            let (lo, hi) = self.rng.pick(UNIMPLEMENTED_CSR_RANGES);
            let num = self.rng.range(i64::from(lo), i64::from(hi));
            let op = self.rng.pick(CSR_OPS);
            let rd = self.rd();
            let operand = if op.ends_with('i') {
                self.rng.range(0, 31).to_string()
            } else {
                x(self.rs())
            };
            self.ins(op, &format!("{}, {num:#x}, {operand}", x(rd)));
        } else {
            self.class("csr-readonly-write");
            let name = self.rng.pick(READ_ONLY_CSRS);
            let op = self.rng.pick(CSR_OPS);
            let rd = self.rd();
            let operand = match op {
                "csrrw" => x(self.rs()),
                "csrrs" | "csrrc" => x(self.rd_nz(&[])), // any non-x0 register: a write
                "csrrwi" => self.rng.range(0, 31).to_string(),
                _ => self.rng.range(1, 31).to_string(),
            };
            self.ins(op, &format!("{}, {name}, {operand}", x(rd)));
        }
    }

    pub(super) fn system(&mut self) {
        let op = self.rng.pick(&["ecall", "ebreak"]);
        self.ins(op, "");
    }

    pub(super) fn illegal(&mut self) {
        self.class("illegal");
        let word = self.illegal_word();
        self.comment("illegal instruction");
        self.ins(".word", &format!("{word:#010x}"));
    }

    /// An encoding that is illegal in RV64IMA_Zicsr_Zifencei (checked against Spike).
    pub(super) fn illegal_word(&mut self) -> u32 {
        let r = self.rng.next_u64() as u32;
        let rd = (r >> 7) & 0x1f;
        let rs1 = (r >> 15) & 0x1f;
        let rs2 = (r >> 20) & 0x1f;
        let f3 = (r >> 12) & 7;
        let regs = (rs2 << 20) | (rs1 << 15) | (rd << 7);
        match self.rng.below(15) {
            0 => 0,
            // A 16-bit encoding (C is not implemented): Spike reports only the low 16 bits in mtval.
            1 => (r & !3) | self.rng.below(3) as u32,
            // custom-0..3 major opcodes.
            2 => (r & !0x7f) | self.rng.pick(&[0x0b, 0x2b, 0x5b, 0x7b]),
            // F/D opcodes (no F): LOAD-FP, STORE-FP, MADD.., OP-FP.
            3 => (r & !0x7f) | self.rng.pick(&[0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f, 0x53]),
            // OP / OP-32 with a funct7 that is neither base, M nor SUB/SRA.
            4 => {
                let f7 = loop {
                    let f = self.rng.below(128) as u32;
                    if f != 0 && f != 1 && f != 0x20 {
                        break f;
                    }
                };
                (f7 << 25) | regs | (f3 << 12) | self.rng.pick(&[0x33, 0x3b])
            }
            // OP-32: SUB/SRA funct7 with another funct3; MULDIV funct7 with funct3 1..3.
            5 => {
                if self.rng.chance(50) {
                    (0x20 << 25) | regs | (self.rng.pick(&[1, 2, 3, 4, 6, 7]) << 12) | 0x3b
                } else {
                    (0x01 << 25) | regs | (self.rng.pick(&[1, 2, 3]) << 12) | 0x3b
                }
            }
            // LOAD funct3 7, STORE funct3 4..7, BRANCH funct3 2/3, MISC-MEM funct3 2..7.
            6 => match self.rng.below(4) {
                0 => (r & !0x707f) | (7 << 12) | 0x03,
                1 => (r & !0x707f) | (self.rng.range(4, 7) as u32) << 12 | 0x23,
                2 => (r & !0x707f) | (self.rng.range(2, 3) as u32) << 12 | 0x63,
                _ => (r & !0x707f) | (self.rng.range(2, 7) as u32) << 12 | 0x0f,
            },
            // SLLIW/SRLIW/SRAIW with shamt[5] set.
            7 => {
                let f3 = self.rng.pick(&[1, 5]);
                let hi = if f3 == 5 {
                    self.rng.pick(&[0, 0x20])
                } else {
                    0
                };
                (hi << 25) | (1 << 25) | regs | (f3 << 12) | 0x1b
            }
            // SLLI/SRLI/SRAI with a bad funct6.
            8 => {
                let f3 = self.rng.pick(&[1, 5]);
                let f6 = loop {
                    let f = self.rng.below(64) as u32;
                    if f != 0 && !(f3 == 5 && f == 0x10) {
                        break f;
                    }
                };
                (f6 << 26) | (r & (0x3f << 20)) | (rs1 << 15) | (rd << 7) | (f3 << 12) | 0x13
            }
            // ECALL/EBREAK with a non-zero rd or rs1.
            9 => {
                let (rd, rs1) = if rd == 0 && rs1 == 0 {
                    (1, 0)
                } else {
                    (rd, rs1)
                };
                (self.rng.below(2) as u32) << 20 | (rs1 << 15) | (rd << 7) | 0x73
            }
            // AMO: a funct5 outside A (and Zacas), or funct3 other than .w/.d.
            10 => {
                if self.rng.chance(50) {
                    let f5 = self
                        .rng
                        .pick(&[0x06, 0x07, 0x09, 0x0a, 0x0e, 0x11, 0x1e, 0x1f]);
                    (f5 << 27) | (r & (3 << 25)) | regs | (self.rng.pick(&[2, 3]) << 12) | 0x2f
                } else {
                    let f5 = self.rng.pick(&[0x00, 0x01, 0x04, 0x08]);
                    (f5 << 27) | regs | (self.rng.pick(&[4, 5, 6, 7]) << 12) | 0x2f
                }
            }
            // Privileged instructions of modes and extensions this hart does not have: SRET,
            // URET, DRET (outside debug mode), MNRET, SFENCE.VMA, HFENCE.*, WRS.NTO/STO.
            12 => {
                let fixed = self.rng.pick(&[
                    0x1020_0073,
                    0x0020_0073,
                    0x7b20_0073,
                    0x7020_0073,
                    0x2200_0073,
                    0x6200_0073,
                    0x00d0_0073,
                    0x01d0_0073,
                ]);
                if self.rng.chance(30) {
                    // sfence.vma rs1, rs2
                    0x1200_0073 | (rs2 << 20) | (rs1 << 15)
                } else {
                    fixed
                }
            }
            // SYSTEM funct3 4 (hypervisor loads/stores, no H).
            13 => (r & !0x707f) | (4 << 12) | 0x73,
            // OP-IMM-32 funct3 2/3/4/6/7, JALR funct3 != 0, OP-32 funct7 0 with funct3 2/3/4/6/7.
            14 => {
                let f3 = self.rng.pick(&[2, 3, 4, 6, 7]);
                match self.rng.below(3) {
                    0 => (r & !0x707f) | (f3 << 12) | 0x1b,
                    1 => (r & !0x707f) | (self.rng.range(1, 7) as u32) << 12 | 0x67,
                    _ => regs | (f3 << 12) | 0x3b,
                }
            }
            // LR with rs2 != 0.
            _ => {
                let rs2 = if rs2 == 0 { 1 } else { rs2 };
                (0x02 << 27)
                    | (rs2 << 20)
                    | (rs1 << 15)
                    | (rd << 7)
                    | (self.rng.pick(&[2, 3]) << 12)
                    | 0x2f
            }
        }
    }

    pub(super) fn fence(&mut self) {
        if self.rng.chance(15) {
            // FENCE / FENCE.I with random fm, rs1, rd and imm fields: reserved, and "base
            // implementations shall ignore" them, so these are still plain fences.
            self.class("fence-reserved-fields");
            let r = self.rng.next_u64() as u32 & !0x707f;
            let word = r | self.rng.pick(&[0x000f, 0x100f]);
            self.ins(".word", &format!("{word:#010x}"));
            return;
        }
        match self.rng.below(6) {
            0 => self.ins("fence", ""),
            1 => self.ins("fence.tso", ""),
            2 => self.ins("fence.i", ""),
            3 => {
                self.class("pause");
                self.ins(".word", "0x0100000f");
            }
            _ => {
                let sets = ["i", "o", "r", "w", "io", "rw", "iorw", "ow", "ir"];
                let (p, s) = (self.rng.pick(&sets), self.rng.pick(&sets));
                self.ins("fence", &format!("{p}, {s}"));
            }
        }
    }

    /// MRET outside the handler: MPIE cleared first (so MIE stays 0), mepc := a label ahead,
    /// sometimes with bit 1 set (mepc reads it as 0 without C).
    pub(super) fn mret_direct(&mut self) {
        self.class("mret-direct");
        let t = self.rd_nz(&[]);
        self.li(t, 0x80);
        self.ins("csrc", &format!("mstatus, {}", x(t)));
        let l = self.new_label();
        let adj = self.rng.pick(&[0, 0, 2]);
        self.ins("lla", &format!("{}, {l} + {adj}", x(t)));
        self.ins("csrw", &format!("mepc, {}", x(t)));
        self.ins("mret", "");
        let n = self.rng.range(0, 2) as u64;
        self.simple_items(n);
        self.place(&l);
    }

    /// Store a new instruction over the next one, FENCE.I, execute it.
    pub(super) fn self_modify(&mut self) {
        self.class("self-modifying-code");
        let op = self.rng.pick(&[
            (0u32, "addi"),
            (4, "xori"),
            (6, "ori"),
            (7, "andi"),
            (2, "slti"),
        ]);
        let rd = u32::from(self.rd_nz(&[]));
        let rs1 = u32::from(self.rs());
        let imm = self.imm12();
        let word = ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (op.0 << 12) | (rd << 7) | 0x13;
        let (t, v) = (self.rd_nz(&[]), self.rd_nz(&[]));
        let t = if t == v { self.rd_nz(&[v]) } else { t };
        let l = self.new_label();
        self.comment(&format!("patch {l} to {} x{rd}, x{rs1}, {}", op.1, imm));
        self.ins("lla", &format!("{}, {l}", x(t)));
        self.li(v, u64::from(word));
        self.ins("sw", &format!("{}, 0({})", x(v), x(t)));
        self.ins("fence.i", "");
        self.place(&l);
        self.ins("nop", "");
    }
}
