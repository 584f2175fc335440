//! ISA decode tables for RV64IMA + Zicsr + Zifencei + Zicntr (+ MRET/WFI).
//!
//! One table ([`TABLE`]) lists every instruction with its `mask`/`match` pair (the encoding
//! convention of `riscv-opcodes`), its operand format and its execution class. The simulator
//! decodes with [`decode`]; the RTL decoder is generated from the same rows, so the two cannot
//! disagree on which bit patterns are legal.
//!
//! ```text
//!  31        25 24   20 19   15 14  12 11    7 6      0
//! ┌────────────┬───────┬───────┬──────┬───────┬────────┐
//! │   funct7   │  rs2  │  rs1  │funct3│  rd   │ opcode │  R
//! │      imm[11:0]     │  rs1  │funct3│  rd   │ opcode │  I (also CSR: imm = csr number)
//! │  imm[11:5] │  rs2  │  rs1  │funct3│imm4:0 │ opcode │  S
//! │         imm[31:12]                │  rd   │ opcode │  U
//! └────────────┴───────┴───────┴──────┴───────┴────────┘
//! ```

pub mod csr;

/// How operands are encoded (selects the immediate decoder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// rd, rs1, rs2.
    R,
    /// rd, rs1, 12-bit signed immediate.
    I,
    /// rs1, rs2, 12-bit signed store offset.
    S,
    /// rs1, rs2, 13-bit signed branch offset.
    B,
    /// rd, 32-bit upper immediate (sign-extended).
    U,
    /// rd, 21-bit signed jump offset.
    J,
    /// rd, rs1, 6-bit shift amount.
    Shift,
    /// rd, rs1, 5-bit shift amount (*W forms).
    ShiftW,
    /// rd, rs1 (register or 5-bit zero-extended immediate), imm = CSR number.
    Csr,
    /// rd, rs1, rs2, imm = aq/rl bits (bit 1 = aq, bit 0 = rl).
    Amo,
    /// imm = fm/pred/succ bits (`insn[31:20]`).
    Fence,
    /// No operands.
    None,
}

/// Broad execution class: which functional unit (and, in the pipeline, which stall rules) an
/// instruction uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Single-cycle integer ALU (including LUI/AUIPC).
    Alu,
    /// Conditional branch.
    Branch,
    /// JAL/JALR.
    Jump,
    /// Load from memory.
    Load,
    /// Store to memory.
    Store,
    /// Multiply (pipelined multiplier).
    Mul,
    /// Divide/remainder (iterative divider).
    Div,
    /// AMO, LR or SC (performed at the L2/home).
    Atomic,
    /// CSR access.
    Csr,
    /// FENCE / FENCE.I.
    Fence,
    /// ECALL, EBREAK, MRET, WFI.
    System,
}

macro_rules! isa_table {
    ($( $op:ident = $name:literal, $mask:literal, $match_:literal, $fmt:ident, $class:ident; )*) => {
        /// Every instruction Strand implements, plus [`Op::Illegal`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        #[repr(u8)]
        pub enum Op { $($op,)* Illegal }

        /// One row of the decode table.
        #[derive(Clone, Copy, Debug)]
        pub struct Row {
            /// The operation.
            pub op: Op,
            /// Assembly mnemonic.
            pub name: &'static str,
            /// Bits that must equal `match_`.
            pub mask: u32,
            /// Required values of the masked bits.
            pub match_: u32,
            /// Operand format.
            pub format: Format,
            /// Execution class.
            pub class: Class,
        }

        /// The decode table, in the order of the ISA manual's opcode map.
        pub const TABLE: &[Row] = &[
            $(Row { op: Op::$op, name: $name, mask: $mask, match_: $match_,
                    format: Format::$fmt, class: Class::$class },)*
        ];
    };
}

isa_table! {
    Lui = "lui", 0x7f, 0x37, U, Alu;
    Auipc = "auipc", 0x7f, 0x17, U, Alu;
    Jal = "jal", 0x7f, 0x6f, J, Jump;
    Jalr = "jalr", 0x707f, 0x67, I, Jump;
    Beq = "beq", 0x707f, 0x63, B, Branch;
    Bne = "bne", 0x707f, 0x1063, B, Branch;
    Blt = "blt", 0x707f, 0x4063, B, Branch;
    Bge = "bge", 0x707f, 0x5063, B, Branch;
    Bltu = "bltu", 0x707f, 0x6063, B, Branch;
    Bgeu = "bgeu", 0x707f, 0x7063, B, Branch;
    Lb = "lb", 0x707f, 0x03, I, Load;
    Lh = "lh", 0x707f, 0x1003, I, Load;
    Lw = "lw", 0x707f, 0x2003, I, Load;
    Ld = "ld", 0x707f, 0x3003, I, Load;
    Lbu = "lbu", 0x707f, 0x4003, I, Load;
    Lhu = "lhu", 0x707f, 0x5003, I, Load;
    Lwu = "lwu", 0x707f, 0x6003, I, Load;
    Sb = "sb", 0x707f, 0x23, S, Store;
    Sh = "sh", 0x707f, 0x1023, S, Store;
    Sw = "sw", 0x707f, 0x2023, S, Store;
    Sd = "sd", 0x707f, 0x3023, S, Store;
    Addi = "addi", 0x707f, 0x13, I, Alu;
    Slti = "slti", 0x707f, 0x2013, I, Alu;
    Sltiu = "sltiu", 0x707f, 0x3013, I, Alu;
    Xori = "xori", 0x707f, 0x4013, I, Alu;
    Ori = "ori", 0x707f, 0x6013, I, Alu;
    Andi = "andi", 0x707f, 0x7013, I, Alu;
    Slli = "slli", 0xfc00707f, 0x1013, Shift, Alu;
    Srli = "srli", 0xfc00707f, 0x5013, Shift, Alu;
    Srai = "srai", 0xfc00707f, 0x40005013, Shift, Alu;
    Add = "add", 0xfe00707f, 0x33, R, Alu;
    Sub = "sub", 0xfe00707f, 0x40000033, R, Alu;
    Sll = "sll", 0xfe00707f, 0x1033, R, Alu;
    Slt = "slt", 0xfe00707f, 0x2033, R, Alu;
    Sltu = "sltu", 0xfe00707f, 0x3033, R, Alu;
    Xor = "xor", 0xfe00707f, 0x4033, R, Alu;
    Srl = "srl", 0xfe00707f, 0x5033, R, Alu;
    Sra = "sra", 0xfe00707f, 0x40005033, R, Alu;
    Or = "or", 0xfe00707f, 0x6033, R, Alu;
    And = "and", 0xfe00707f, 0x7033, R, Alu;
    Addiw = "addiw", 0x707f, 0x1b, I, Alu;
    Slliw = "slliw", 0xfe00707f, 0x101b, ShiftW, Alu;
    Srliw = "srliw", 0xfe00707f, 0x501b, ShiftW, Alu;
    Sraiw = "sraiw", 0xfe00707f, 0x4000501b, ShiftW, Alu;
    Addw = "addw", 0xfe00707f, 0x3b, R, Alu;
    Subw = "subw", 0xfe00707f, 0x4000003b, R, Alu;
    Sllw = "sllw", 0xfe00707f, 0x103b, R, Alu;
    Srlw = "srlw", 0xfe00707f, 0x503b, R, Alu;
    Sraw = "sraw", 0xfe00707f, 0x4000503b, R, Alu;
    Fence = "fence", 0x707f, 0x0f, Fence, Fence;
    FenceI = "fence.i", 0x707f, 0x100f, Fence, Fence;
    Ecall = "ecall", 0xffffffff, 0x73, None, System;
    Ebreak = "ebreak", 0xffffffff, 0x100073, None, System;
    Mret = "mret", 0xffffffff, 0x30200073, None, System;
    Wfi = "wfi", 0xffffffff, 0x10500073, None, System;
    Csrrw = "csrrw", 0x707f, 0x1073, Csr, Csr;
    Csrrs = "csrrs", 0x707f, 0x2073, Csr, Csr;
    Csrrc = "csrrc", 0x707f, 0x3073, Csr, Csr;
    Csrrwi = "csrrwi", 0x707f, 0x5073, Csr, Csr;
    Csrrsi = "csrrsi", 0x707f, 0x6073, Csr, Csr;
    Csrrci = "csrrci", 0x707f, 0x7073, Csr, Csr;
    Mul = "mul", 0xfe00707f, 0x2000033, R, Mul;
    Mulh = "mulh", 0xfe00707f, 0x2001033, R, Mul;
    Mulhsu = "mulhsu", 0xfe00707f, 0x2002033, R, Mul;
    Mulhu = "mulhu", 0xfe00707f, 0x2003033, R, Mul;
    Div = "div", 0xfe00707f, 0x2004033, R, Div;
    Divu = "divu", 0xfe00707f, 0x2005033, R, Div;
    Rem = "rem", 0xfe00707f, 0x2006033, R, Div;
    Remu = "remu", 0xfe00707f, 0x2007033, R, Div;
    Mulw = "mulw", 0xfe00707f, 0x200003b, R, Mul;
    Divw = "divw", 0xfe00707f, 0x200403b, R, Div;
    Divuw = "divuw", 0xfe00707f, 0x200503b, R, Div;
    Remw = "remw", 0xfe00707f, 0x200603b, R, Div;
    Remuw = "remuw", 0xfe00707f, 0x200703b, R, Div;
    LrW = "lr.w", 0xf9f0707f, 0x1000202f, Amo, Atomic;
    ScW = "sc.w", 0xf800707f, 0x1800202f, Amo, Atomic;
    AmoswapW = "amoswap.w", 0xf800707f, 0x0800202f, Amo, Atomic;
    AmoaddW = "amoadd.w", 0xf800707f, 0x0000202f, Amo, Atomic;
    AmoxorW = "amoxor.w", 0xf800707f, 0x2000202f, Amo, Atomic;
    AmoandW = "amoand.w", 0xf800707f, 0x6000202f, Amo, Atomic;
    AmoorW = "amoor.w", 0xf800707f, 0x4000202f, Amo, Atomic;
    AmominW = "amomin.w", 0xf800707f, 0x8000202f, Amo, Atomic;
    AmomaxW = "amomax.w", 0xf800707f, 0xa000202f, Amo, Atomic;
    AmominuW = "amominu.w", 0xf800707f, 0xc000202f, Amo, Atomic;
    AmomaxuW = "amomaxu.w", 0xf800707f, 0xe000202f, Amo, Atomic;
    LrD = "lr.d", 0xf9f0707f, 0x1000302f, Amo, Atomic;
    ScD = "sc.d", 0xf800707f, 0x1800302f, Amo, Atomic;
    AmoswapD = "amoswap.d", 0xf800707f, 0x0800302f, Amo, Atomic;
    AmoaddD = "amoadd.d", 0xf800707f, 0x0000302f, Amo, Atomic;
    AmoxorD = "amoxor.d", 0xf800707f, 0x2000302f, Amo, Atomic;
    AmoandD = "amoand.d", 0xf800707f, 0x6000302f, Amo, Atomic;
    AmoorD = "amoor.d", 0xf800707f, 0x4000302f, Amo, Atomic;
    AmominD = "amomin.d", 0xf800707f, 0x8000302f, Amo, Atomic;
    AmomaxD = "amomax.d", 0xf800707f, 0xa000302f, Amo, Atomic;
    AmominuD = "amominu.d", 0xf800707f, 0xc000302f, Amo, Atomic;
    AmomaxuD = "amomaxu.d", 0xf800707f, 0xe000302f, Amo, Atomic;
}

impl Op {
    /// The table row of this operation (`None` for [`Op::Illegal`]).
    pub fn row(self) -> Option<&'static Row> {
        TABLE.get(self as usize)
    }

    /// Assembly mnemonic.
    pub fn name(self) -> &'static str {
        self.row().map_or("illegal", |r| r.name)
    }

    /// Execution class ([`Class::System`] for [`Op::Illegal`], which traps).
    pub fn class(self) -> Class {
        self.row().map_or(Class::System, |r| r.class)
    }
}

/// A decoded instruction: operation and operand fields. `imm` holds the sign-extended immediate,
/// the shift amount, the CSR number, the aq/rl bits or the fence bits, depending on the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The operation ([`Op::Illegal`] when no row matches).
    pub op: Op,
    /// Destination register.
    pub rd: u8,
    /// First source register (or the 5-bit immediate of CSR*I).
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// Immediate (see above).
    pub imm: i64,
    /// The raw 32-bit encoding.
    pub raw: u32,
    /// `op.class()`, kept with the instruction (the simulator asks for it on every issue).
    pub class: Class,
    /// Which source registers the instruction reads: bit 0 `rs1`, bit 1 `rs2`.
    pub reads: u8,
}

impl Insn {
    /// Whether the instruction reads `rs1` and `rs2` (for the scoreboard).
    #[inline]
    pub fn sources(&self) -> (bool, bool) {
        (self.reads & 1 != 0, self.reads & 2 != 0)
    }
}

/// Which source registers an instruction of `op` in `format` reads (see [`Insn::reads`]).
const fn reads_of(op: Op, format: Format) -> u8 {
    match format {
        Format::R | Format::S | Format::B | Format::Amo => 3,
        Format::I | Format::Shift | Format::ShiftW => 1,
        Format::Csr => match op {
            Op::Csrrwi | Op::Csrrsi | Op::Csrrci => 0,
            _ => 1,
        },
        Format::U | Format::J | Format::Fence | Format::None => 0,
    }
}

/// Sign-extend the low `bits` bits of `v`.
#[inline]
pub const fn sext(v: u64, bits: u32) -> i64 {
    ((v << (64 - bits)) as i64) >> (64 - bits)
}

/// Decode one 32-bit instruction. Compressed (16-bit) encodings are not part of the ISA and
/// decode as [`Op::Illegal`].
pub fn decode(raw: u32) -> Insn {
    let op = lookup(raw);
    let x = u64::from(raw);
    let rd = ((raw >> 7) & 31) as u8;
    let rs1 = ((raw >> 15) & 31) as u8;
    let rs2 = ((raw >> 20) & 31) as u8;
    let format = op.row().map_or(Format::None, |r| r.format);
    let imm = match format {
        Format::I => sext(x >> 20, 12),
        Format::S => sext(((x >> 25) << 5) | ((x >> 7) & 31), 12),
        Format::B => sext(
            (((x >> 31) & 1) << 12)
                | (((x >> 7) & 1) << 11)
                | (((x >> 25) & 0x3f) << 5)
                | (((x >> 8) & 0xf) << 1),
            13,
        ),
        Format::U => sext(x & 0xffff_f000, 32),
        Format::J => sext(
            (((x >> 31) & 1) << 20)
                | (((x >> 12) & 0xff) << 12)
                | (((x >> 20) & 1) << 11)
                | (((x >> 21) & 0x3ff) << 1),
            21,
        ),
        Format::Shift => ((x >> 20) & 0x3f) as i64,
        Format::ShiftW => ((x >> 20) & 0x1f) as i64,
        Format::Csr | Format::Fence => ((x >> 20) & 0xfff) as i64,
        Format::Amo => ((x >> 25) & 3) as i64,
        Format::R | Format::None => 0,
    };
    Insn {
        op,
        rd,
        rs1,
        rs2,
        imm,
        raw,
        class: op.class(),
        reads: reads_of(op, format),
    }
}

/// Find the table row whose mask/match accepts `raw`.
fn lookup(raw: u32) -> Op {
    if raw & 3 != 3 {
        return Op::Illegal;
    }
    // Rows are few (~100); index them by the 5-bit major opcode once.
    let bucket = &BUCKETS.get_or_init(build_buckets)[((raw >> 2) & 31) as usize];
    for &i in bucket {
        let row = &TABLE[i as usize];
        if raw & row.mask == row.match_ {
            return row.op;
        }
    }
    Op::Illegal
}

static BUCKETS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();

fn build_buckets() -> Vec<Vec<u8>> {
    let mut b = vec![Vec::new(); 32];
    for (i, row) in TABLE.iter().enumerate() {
        debug_assert_eq!(
            row.mask & 0x7f,
            0x7f,
            "{}: every row fixes the opcode",
            row.name
        );
        b[((row.match_ >> 2) & 31) as usize].push(i as u8);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.op as usize, i, "{} is out of order", row.name);
            assert_eq!(
                row.match_ & !row.mask,
                0,
                "{}: match has bits outside mask",
                row.name
            );
        }
        // No two rows accept the same pattern: a row's match must fail every other row.
        for a in TABLE {
            for b in TABLE {
                if a.name != b.name {
                    let common = a.mask & b.mask;
                    assert!(
                        a.match_ & common != b.match_ & common,
                        "{} and {} overlap",
                        a.name,
                        b.name
                    );
                }
            }
        }
    }

    #[test]
    fn decodes_known_encodings() {
        // Encodings from GNU as (riscv64-unknown-elf-as).
        let d = decode(0x00000297); // auipc t0, 0
        assert_eq!((d.op, d.rd, d.imm), (Op::Auipc, 5, 0));
        let d = decode(0xf1402573); // csrr a0, mhartid
        assert_eq!((d.op, d.rd, d.rs1, d.imm), (Op::Csrrs, 10, 0, 0xf14));
        let d = decode(0xfe010113); // addi sp, sp, -32
        assert_eq!((d.op, d.rd, d.rs1, d.imm), (Op::Addi, 2, 2, -32));
        let d = decode(0x00b53423); // sd a1, 8(a0)
        assert_eq!((d.op, d.rs1, d.rs2, d.imm), (Op::Sd, 10, 11, 8));
        let d = decode(0xfe0318e3); // bnez t1, -16
        assert_eq!((d.op, d.rs1, d.imm), (Op::Bne, 6, -16));
        let d = decode(0xff5ff0ef); // jal ra, -12
        assert_eq!((d.op, d.rd, d.imm), (Op::Jal, 1, -12));
        let d = decode(0x43f55593); // srai a1, a0, 63
        assert_eq!((d.op, d.imm), (Op::Srai, 63));
        let d = decode(0x0c55352f); // amoswap.d.aq a0, t0, (a0)
        assert_eq!((d.op, d.rs2, d.imm), (Op::AmoswapD, 5, 2));
        assert_eq!(decode(0x30200073).op, Op::Mret);
        assert_eq!(decode(0x0000100f).op, Op::FenceI);
    }

    #[test]
    fn illegal_patterns() {
        assert_eq!(decode(0).op, Op::Illegal);
        assert_eq!(decode(0xffffffff).op, Op::Illegal);
        assert_eq!(decode(0x4501).op, Op::Illegal); // c.li: no C extension
        assert_eq!(decode(0x02001013).op, Op::Slli); // shamt[5] is legal on RV64
        assert_eq!(decode(0x8000_1013).op, Op::Illegal); // slli with funct6 != 0
        assert_eq!(decode(0x0200101b).op, Op::Illegal); // slliw with shamt[5] set
        assert_eq!(decode(0x1010202f).op, Op::Illegal); // lr.w with rs2 != 0
        assert_eq!(decode(0x00001067).op, Op::Illegal); // jalr funct3 != 0
        assert_eq!(decode(0x00007003).op, Op::Illegal); // load funct3 7
    }
}
