//! Instruction decoder generated from the ISA table ([`crate::isa::TABLE`]): one match term per
//! row (`(insn & mask) == match`), so the RTL and the simulator accept exactly the same bit
//! patterns. Class, format and operation flags are ORs of row terms.

use crate::isa::{Class, Format, Op, TABLE};
use crate::rtl::{cat, lit, zeros, Expr, ModuleBuilder, RtlError};

/// The decoded fields of one instruction word.
pub struct Decoded {
    /// Match term of every table row (`TABLE` order).
    rows: Vec<Expr>,
    /// Some row matched.
    pub legal: Expr,
    /// `rd` field.
    pub rd: Expr,
    /// `rs1` field.
    pub rs1: Expr,
    /// `rs2` field.
    pub rs2: Expr,
    /// Immediate of the instruction's format (64 bits, sign-extended; CSR number and shift
    /// amounts zero-extended).
    pub imm: Expr,
}

/// Checks that no two rows of the table can match the same word (the generated decoder ORs
/// row terms, the simulator takes the first match: they agree only without overlaps).
pub fn check_table() -> Result<(), RtlError> {
    for (i, a) in TABLE.iter().enumerate() {
        for b in &TABLE[i + 1..] {
            let common = a.mask & b.mask;
            if (a.match_ ^ b.match_) & common == 0 {
                return Err(RtlError::Param {
                    generator: module_path!().into(),
                    why: format!("ISA rows {} and {} overlap", a.name, b.name),
                });
            }
        }
    }
    Ok(())
}

impl Decoded {
    /// Decode `insn` (32 bits); match terms become wires `<prefix>_<mnemonic>` when `named`.
    pub fn new(m: &mut ModuleBuilder, prefix: &str, insn: &Expr, named: bool) -> Decoded {
        let rows: Vec<Expr> = TABLE
            .iter()
            .map(|r| {
                let t = (insn & lit(32, u128::from(r.mask))).eq(lit(32, u128::from(r.match_)));
                if named {
                    let n = format!("{prefix}_{}", r.name.replace('.', "_"));
                    m.wire_from(&n, t).expr()
                } else {
                    t
                }
            })
            .collect();
        let legal = or_all(rows.iter().cloned());
        let b = |h: u32, l: u32| insn.slice(h, l);
        let fmt = |f: Format| -> Expr {
            or_all(
                TABLE
                    .iter()
                    .zip(&rows)
                    .filter(|(r, _)| r.format == f)
                    .map(|(_, t)| t.clone()),
            )
        };
        let imm_i = b(31, 20).sext(64);
        let imm_s = cat([b(31, 25), b(11, 7)]).sext(64);
        let imm_b = cat([b(31, 31), b(7, 7), b(30, 25), b(11, 8), zeros(1)]).sext(64);
        let imm_u = cat([b(31, 12), zeros(12)]).sext(64);
        let imm_j = cat([b(31, 31), b(19, 12), b(20, 20), b(30, 21), zeros(1)]).sext(64);
        let imm_sh = b(25, 20).zext(64);
        let imm_shw = b(24, 20).zext(64);
        let imm_csr = b(31, 20).zext(64);
        let sel = |f: Format, v: Expr| fmt(f).repeat(64) & v;
        let imm = sel(Format::I, imm_i)
            | sel(Format::S, imm_s)
            | sel(Format::B, imm_b)
            | sel(Format::U, imm_u)
            | sel(Format::J, imm_j)
            | sel(Format::Shift, imm_sh)
            | sel(Format::ShiftW, imm_shw)
            | sel(Format::Csr, imm_csr);
        let imm = if named {
            m.wire_from(&format!("{prefix}_imm"), imm).expr()
        } else {
            imm
        };
        Decoded {
            rows,
            legal,
            rd: b(11, 7),
            rs1: b(19, 15),
            rs2: b(24, 20),
            imm,
        }
    }

    /// The instruction is `op`.
    pub fn is(&self, op: Op) -> Expr {
        self.rows[op as usize].clone()
    }

    /// The instruction is one of `ops`.
    pub fn any(&self, ops: &[Op]) -> Expr {
        or_all(ops.iter().map(|&o| self.is(o)))
    }

    /// The instruction belongs to `class`.
    pub fn class(&self, class: Class) -> Expr {
        or_all(
            TABLE
                .iter()
                .zip(&self.rows)
                .filter(|(r, _)| r.class == class)
                .map(|(_, t)| t.clone()),
        )
    }

    /// The instruction has format `f`.
    pub fn format(&self, f: Format) -> Expr {
        or_all(
            TABLE
                .iter()
                .zip(&self.rows)
                .filter(|(r, _)| r.format == f)
                .map(|(_, t)| t.clone()),
        )
    }

    /// Which source registers the pipeline's scoreboard checks (as `Insn::sources` in
    /// `hw/src/isa/mod.rs`, which the simulator uses): rs1 and rs2.
    pub fn sources(&self) -> (Expr, Expr) {
        let rr = self.format(Format::R)
            | self.format(Format::S)
            | self.format(Format::B)
            | self.format(Format::Amo);
        let r1 = rr.clone()
            | self.format(Format::I)
            | self.format(Format::Shift)
            | self.format(Format::ShiftW)
            | self.any(&[Op::Csrrw, Op::Csrrs, Op::Csrrc]);
        (r1, rr)
    }
}

/// OR of 1-bit terms (`1'b0` for none).
pub fn or_all(terms: impl IntoIterator<Item = Expr>) -> Expr {
    terms.into_iter().reduce(|a, b| a | b).unwrap_or(zeros(1))
}
