//! Instruction semantics: the architectural effect of every RV64IMA + Zicsr + Zifencei + Zicntr
//! instruction, independent of timing.
//!
//! [`execute`] fetches the instruction at `pc`, applies it to the hart and the bus, and records
//! the effects (register, CSR and memory writes) in a [`Commit`]. It returns the exception, if
//! any, without touching state the trapping instruction must not change; the caller enters the
//! trap handler. Exceptions and their `mtval` follow Spike:
//!
//! | case | cause | mtval |
//! |---|---|---|
//! | jump/taken branch to a target not 4-byte aligned | 0 | target |
//! | fetch outside DRAM | 1 | pc |
//! | illegal instruction / CSR | 2 | instruction bits |
//! | EBREAK | 3 | pc |
//! | misaligned load / LR | 4 | address |
//! | load outside memory or devices | 5 | address |
//! | misaligned store / SC / AMO | 6 | address |
//! | store or AMO outside memory (or AMO/LR/SC to a device) | 7 | address |
//! | ECALL | 11 | 0 |

use super::bus::{AmoOp, Bus};
use super::hart::{Ctx, Hart, RunState};
use crate::trace::Commit;
use strand_hw::isa::csr::{self as csrdef, cause, mstatus};
use strand_hw::isa::{Insn, Op};

/// An exception raised by an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exception {
    /// mcause.
    pub cause: u64,
    /// mtval.
    pub tval: u64,
}

#[inline]
fn exc(cause: u64, tval: u64) -> Exception {
    Exception { cause, tval }
}

/// Fetch, decode and execute the instruction at `hart.pc`; returns it once it has retired.
#[inline]
pub fn execute(
    hart: &mut Hart,
    bus: &mut impl Bus,
    ctx: &Ctx,
    commit: &mut Commit,
) -> Result<Insn, Exception> {
    let pc = hart.pc;
    let insn = bus
        .fetch_insn(pc)
        .map_err(|_| exc(cause::FETCH_ACCESS, pc))?;
    commit.raw = insn.raw;
    execute_insn(hart, bus, ctx, commit, &insn)?;
    Ok(insn)
}

/// Execute an already fetched and decoded instruction at `hart.pc`.
#[inline]
pub fn execute_insn(
    hart: &mut Hart,
    bus: &mut impl Bus,
    ctx: &Ctx,
    commit: &mut Commit,
    i: &Insn,
) -> Result<(), Exception> {
    let pc = hart.pc;
    let rs1 = hart.x[i.rs1 as usize];
    let rs2 = hart.x[i.rs2 as usize];
    let imm = i.imm as u64;
    let mut next = pc.wrapping_add(4);
    // mtval = the instruction bits; an encoding whose low bits are not 0b11 is 16 bits long
    // (C is not implemented), so only those 16 bits, as Spike reports them.
    let illegal = || {
        let bits = if i.raw & 3 == 3 {
            i.raw
        } else {
            i.raw & 0xffff
        };
        exc(cause::ILLEGAL_INSTRUCTION, u64::from(bits))
    };
    let sx32 = |v: u64| v as i32 as i64 as u64;

    let rd_val: Option<u64> = match i.op {
        Op::Lui => Some(imm),
        Op::Auipc => Some(pc.wrapping_add(imm)),
        Op::Jal | Op::Jalr => {
            let target = if i.op == Op::Jal {
                pc.wrapping_add(imm)
            } else {
                rs1.wrapping_add(imm) & !1
            };
            if target & 3 != 0 {
                return Err(exc(cause::MISALIGNED_FETCH, target));
            }
            next = target;
            Some(pc.wrapping_add(4))
        }
        Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => {
            let taken = match i.op {
                Op::Beq => rs1 == rs2,
                Op::Bne => rs1 != rs2,
                Op::Blt => (rs1 as i64) < (rs2 as i64),
                Op::Bge => (rs1 as i64) >= (rs2 as i64),
                Op::Bltu => rs1 < rs2,
                _ => rs1 >= rs2,
            };
            if taken {
                let target = pc.wrapping_add(imm);
                if target & 3 != 0 {
                    return Err(exc(cause::MISALIGNED_FETCH, target));
                }
                next = target;
            }
            None
        }
        Op::Lb | Op::Lh | Op::Lw | Op::Ld | Op::Lbu | Op::Lhu | Op::Lwu => {
            let addr = rs1.wrapping_add(imm);
            let (size, signed) = match i.op {
                Op::Lb => (1, true),
                Op::Lh => (2, true),
                Op::Lw => (4, true),
                Op::Ld => (8, false),
                Op::Lbu => (1, false),
                Op::Lhu => (2, false),
                _ => (4, false),
            };
            if addr & (size - 1) != 0 {
                return Err(exc(cause::MISALIGNED_LOAD, addr));
            }
            let raw = bus
                .load(hart.id, addr, size as u8)
                .map_err(|_| exc(cause::LOAD_ACCESS, addr))?;
            commit.load = Some(addr);
            Some(if signed {
                sign_extend(raw, size as u8)
            } else {
                raw
            })
        }
        Op::Sb | Op::Sh | Op::Sw | Op::Sd => {
            let addr = rs1.wrapping_add(imm);
            let size: u8 = match i.op {
                Op::Sb => 1,
                Op::Sh => 2,
                Op::Sw => 4,
                _ => 8,
            };
            if addr & (u64::from(size) - 1) != 0 {
                return Err(exc(cause::MISALIGNED_STORE, addr));
            }
            let val = truncate(rs2, size);
            bus.store(hart.id, addr, size, val)
                .map_err(|_| exc(cause::STORE_ACCESS, addr))?;
            commit.store = Some((addr, val, size));
            None
        }
        Op::Addi => Some(rs1.wrapping_add(imm)),
        Op::Slti => Some(((rs1 as i64) < (imm as i64)) as u64),
        Op::Sltiu => Some((rs1 < imm) as u64),
        Op::Xori => Some(rs1 ^ imm),
        Op::Ori => Some(rs1 | imm),
        Op::Andi => Some(rs1 & imm),
        Op::Slli => Some(rs1 << (imm & 63)),
        Op::Srli => Some(rs1 >> (imm & 63)),
        Op::Srai => Some(((rs1 as i64) >> (imm & 63)) as u64),
        Op::Add => Some(rs1.wrapping_add(rs2)),
        Op::Sub => Some(rs1.wrapping_sub(rs2)),
        Op::Sll => Some(rs1 << (rs2 & 63)),
        Op::Slt => Some(((rs1 as i64) < (rs2 as i64)) as u64),
        Op::Sltu => Some((rs1 < rs2) as u64),
        Op::Xor => Some(rs1 ^ rs2),
        Op::Srl => Some(rs1 >> (rs2 & 63)),
        Op::Sra => Some(((rs1 as i64) >> (rs2 & 63)) as u64),
        Op::Or => Some(rs1 | rs2),
        Op::And => Some(rs1 & rs2),
        Op::Addiw => Some(sx32(rs1.wrapping_add(imm))),
        Op::Slliw => Some(sx32(((rs1 as u32) << (imm & 31)) as u64)),
        Op::Srliw => Some(sx32(((rs1 as u32) >> (imm & 31)) as u64)),
        Op::Sraiw => Some(((rs1 as i32) >> (imm & 31)) as i64 as u64),
        Op::Addw => Some(sx32(rs1.wrapping_add(rs2))),
        Op::Subw => Some(sx32(rs1.wrapping_sub(rs2))),
        Op::Sllw => Some(sx32(((rs1 as u32) << (rs2 & 31)) as u64)),
        Op::Srlw => Some(sx32(((rs1 as u32) >> (rs2 & 31)) as u64)),
        Op::Sraw => Some(((rs1 as i32) >> (rs2 & 31)) as i64 as u64),
        Op::Mul => Some(rs1.wrapping_mul(rs2)),
        Op::Mulh => Some(((rs1 as i64 as i128 * rs2 as i64 as i128) >> 64) as u64),
        Op::Mulhsu => Some(((rs1 as i64 as i128 * rs2 as u128 as i128) >> 64) as u64),
        Op::Mulhu => Some(((rs1 as u128 * rs2 as u128) >> 64) as u64),
        Op::Div => Some(div_signed(rs1 as i64, rs2 as i64) as u64),
        Op::Divu => Some(rs1.checked_div(rs2).unwrap_or(u64::MAX)),
        Op::Rem => Some(rem_signed(rs1 as i64, rs2 as i64) as u64),
        Op::Remu => Some(if rs2 == 0 { rs1 } else { rs1 % rs2 }),
        Op::Mulw => Some(sx32(rs1.wrapping_mul(rs2))),
        Op::Divw => Some(div_signed32(rs1 as i32, rs2 as i32) as i64 as u64),
        Op::Divuw => {
            let (a, b) = (rs1 as u32, rs2 as u32);
            Some(sx32(a.checked_div(b).unwrap_or(u32::MAX) as u64))
        }
        Op::Remw => Some(rem_signed32(rs1 as i32, rs2 as i32) as i64 as u64),
        Op::Remuw => {
            let (a, b) = (rs1 as u32, rs2 as u32);
            Some(sx32(if b == 0 { a } else { a % b } as u64))
        }
        Op::LrW | Op::LrD => {
            let size = if i.op == Op::LrW { 4 } else { 8 };
            if rs1 & (size - 1) != 0 {
                return Err(exc(cause::MISALIGNED_LOAD, rs1));
            }
            let raw = bus
                .load_reserved(hart.id, rs1, size as u8)
                .map_err(|_| exc(cause::LOAD_ACCESS, rs1))?;
            commit.load = Some(rs1);
            Some(sign_extend(raw, size as u8))
        }
        Op::ScW | Op::ScD => {
            let size: u8 = if i.op == Op::ScW { 4 } else { 8 };
            if rs1 & (u64::from(size) - 1) != 0 {
                return Err(exc(cause::MISALIGNED_STORE, rs1));
            }
            let val = truncate(rs2, size);
            let ok = bus
                .store_conditional(hart.id, rs1, size, val)
                .map_err(|_| exc(cause::STORE_ACCESS, rs1))?;
            if ok {
                commit.store = Some((rs1, val, size));
            }
            commit.atomic = Some(rs1);
            Some(u64::from(!ok))
        }
        Op::AmoswapW
        | Op::AmoaddW
        | Op::AmoxorW
        | Op::AmoandW
        | Op::AmoorW
        | Op::AmominW
        | Op::AmomaxW
        | Op::AmominuW
        | Op::AmomaxuW
        | Op::AmoswapD
        | Op::AmoaddD
        | Op::AmoxorD
        | Op::AmoandD
        | Op::AmoorD
        | Op::AmominD
        | Op::AmomaxD
        | Op::AmominuD
        | Op::AmomaxuD => {
            let (size, aop) = amo_of(i.op);
            if rs1 & (u64::from(size) - 1) != 0 {
                return Err(exc(cause::MISALIGNED_STORE, rs1));
            }
            let src = sign_extend(truncate(rs2, size), size);
            let old = bus
                .amo(hart.id, rs1, size, aop, src)
                .map_err(|_| exc(cause::STORE_ACCESS, rs1))?;
            let old = sign_extend(old, size);
            commit.load = Some(rs1);
            commit.store = Some((rs1, truncate(aop.apply(old, src, size), size), size));
            Some(old)
        }
        Op::Fence | Op::FenceI => None,
        Op::Ecall => return Err(exc(cause::MACHINE_ECALL, 0)),
        Op::Ebreak => return Err(exc(cause::BREAKPOINT, pc)),
        Op::Mret => {
            let s = hart.csr.mstatus;
            let mie = if s & mstatus::MPIE != 0 {
                mstatus::MIE
            } else {
                0
            };
            hart.csr.mstatus = (s & !mstatus::MIE) | mie | mstatus::MPIE | mstatus::MPP;
            commit.csr(csrdef::MSTATUS, hart.csr.mstatus);
            next = hart.csr.mepc & !3;
            None
        }
        Op::Wfi => {
            if hart.csr.mip & hart.csr.mie == 0 {
                hart.state = RunState::WaitForInterrupt;
            }
            None
        }
        Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
            let num = i.imm as u16;
            let src = match i.op {
                Op::Csrrwi | Op::Csrrsi | Op::Csrrci => u64::from(i.rs1),
                _ => rs1,
            };
            let writes = match i.op {
                Op::Csrrw | Op::Csrrwi => true,
                _ => i.rs1 != 0,
            };
            let old = hart
                .csr
                .read(num, ctx.cycle, ctx.mtime)
                .map_err(|_| illegal())?;
            if writes {
                if csrdef::is_read_only(num) {
                    return Err(illegal());
                }
                let new = match i.op {
                    Op::Csrrw | Op::Csrrwi => src,
                    Op::Csrrs | Op::Csrrsi => old | src,
                    _ => old & !src,
                };
                let logged = hart.csr.write(num, new, ctx.cycle);
                commit.csr(num, logged);
                if num == csrdef::MINSTRET {
                    commit.wrote_minstret = true;
                }
            }
            Some(old)
        }
        Op::Illegal => return Err(illegal()),
    };
    if let Some(v) = rd_val {
        if i.rd != 0 {
            hart.x[i.rd as usize] = v;
            commit.rd = Some((i.rd, v));
        }
    }
    hart.pc = next;
    if !commit.wrote_minstret {
        hart.csr.minstret = hart.csr.minstret.wrapping_add(1);
    }
    Ok(())
}

#[inline]
fn sign_extend(v: u64, size: u8) -> u64 {
    match size {
        1 => v as i8 as i64 as u64,
        2 => v as i16 as i64 as u64,
        4 => v as i32 as i64 as u64,
        _ => v,
    }
}

#[inline]
fn truncate(v: u64, size: u8) -> u64 {
    if size == 8 {
        v
    } else {
        v & ((1u64 << (size * 8)) - 1)
    }
}

fn div_signed(a: i64, b: i64) -> i64 {
    if b == 0 {
        -1
    } else {
        a.wrapping_div(b)
    }
}

fn rem_signed(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        a.wrapping_rem(b)
    }
}

fn div_signed32(a: i32, b: i32) -> i32 {
    if b == 0 {
        -1
    } else {
        a.wrapping_div(b)
    }
}

fn rem_signed32(a: i32, b: i32) -> i32 {
    if b == 0 {
        a
    } else {
        a.wrapping_rem(b)
    }
}

fn amo_of(op: Op) -> (u8, AmoOp) {
    match op {
        Op::AmoswapW => (4, AmoOp::Swap),
        Op::AmoaddW => (4, AmoOp::Add),
        Op::AmoxorW => (4, AmoOp::Xor),
        Op::AmoandW => (4, AmoOp::And),
        Op::AmoorW => (4, AmoOp::Or),
        Op::AmominW => (4, AmoOp::Min),
        Op::AmomaxW => (4, AmoOp::Max),
        Op::AmominuW => (4, AmoOp::Minu),
        Op::AmomaxuW => (4, AmoOp::Maxu),
        Op::AmoswapD => (8, AmoOp::Swap),
        Op::AmoaddD => (8, AmoOp::Add),
        Op::AmoxorD => (8, AmoOp::Xor),
        Op::AmoandD => (8, AmoOp::And),
        Op::AmoorD => (8, AmoOp::Or),
        Op::AmominD => (8, AmoOp::Min),
        Op::AmomaxD => (8, AmoOp::Max),
        Op::AmominuD => (8, AmoOp::Minu),
        Op::AmomaxuD => (8, AmoOp::Maxu),
        _ => unreachable!("{op:?} is not an AMO"),
    }
}
