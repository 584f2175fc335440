//! Machine-mode CSR file, matching Spike `--priv=m --isa=rv64ima_zicsr_zifencei_zicntr`.
//!
//! | CSR | behaviour (WARL rules as Spike implements them for an M-only hart) |
//! |---|---|
//! | `mstatus` | writable MIE, MPIE; MPP reads M (3) from reset on (TW needs U-mode: read-only 0) |
//! | `misa` | `0x8000_0000_0000_1101` (RV64 A I M), writes ignored |
//! | `mie` | writable MSIE, MTIE, MEIE |
//! | `mip` | MSIP/MTIP/MEIP reflect the CLINT/external lines; writes ignored |
//! | `mtvec` | bit 1 cleared (modes direct and vectored) |
//! | `mepc` | bit 0 cleared on write, bit 1 masked on read (no C) |
//! | `mcause`, `mtval`, `mscratch` | any value |
//! | `mcycle`, `minstret` | writable; an instruction that writes `minstret` does not also count |
//! | `cycle`, `time`, `instret` | read-only aliases (`time` is the CLINT's `mtime`) |
//! | `mvendorid`, `marchid`, `mimpid`, `mconfigptr` | 0; `mhartid` per the brief |
//!
//! Anything else is an illegal instruction, as is a write to a read-only CSR.

use strand_hw::isa::csr::{self, irq, mstatus};

/// `misa` of an RV64IMA hart.
pub const MISA: u64 = (2 << 62) | (1 << 0) | (1 << 8) | (1 << 12);

const MSTATUS_WRITABLE: u64 = mstatus::MIE | mstatus::MPIE | mstatus::MPP;
const MIE_WRITABLE: u64 = irq::MSI | irq::MTI | irq::MEI;

/// The CSRs of one hart (counters included).
#[derive(Clone, Debug, Default)]
pub struct Csrs {
    /// `mstatus`.
    pub mstatus: u64,
    /// `mie`.
    pub mie: u64,
    /// `mip` (driven by the platform: CLINT software/timer lines).
    pub mip: u64,
    /// `mtvec`.
    pub mtvec: u64,
    /// `mscratch`.
    pub mscratch: u64,
    /// `mepc` (as stored; read through [`Csrs::read`]).
    pub mepc: u64,
    /// `mcause`.
    pub mcause: u64,
    /// `mtval`.
    pub mtval: u64,
    /// Retired instructions.
    pub minstret: u64,
    /// `mcycle` = core cycle + this offset (written values move the offset).
    pub mcycle_offset: u64,
    /// `mhartid`.
    pub mhartid: u64,
}

/// Why a CSR access is illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalCsr;

impl Csrs {
    /// Read a CSR. `cycle` is the hart's core cycle and `mtime` the CLINT time.
    pub fn read(&self, num: u16, cycle: u64, mtime: u64) -> Result<u64, IllegalCsr> {
        Ok(match num {
            csr::MSTATUS => self.mstatus,
            csr::MISA => MISA,
            csr::MIE => self.mie,
            csr::MIP => self.mip,
            csr::MTVEC => self.mtvec,
            csr::MSCRATCH => self.mscratch,
            csr::MEPC => self.mepc & !2,
            csr::MCAUSE => self.mcause,
            csr::MTVAL => self.mtval,
            csr::MCYCLE | csr::CYCLE => cycle.wrapping_add(self.mcycle_offset),
            csr::MINSTRET | csr::INSTRET => self.minstret,
            csr::TIME => mtime,
            csr::MHARTID => self.mhartid,
            csr::MVENDORID | csr::MARCHID | csr::MIMPID | csr::MCONFIGPTR => 0,
            _ => return Err(IllegalCsr),
        })
    }

    /// Write a CSR (the caller has checked that it exists and is not read-only). Returns the
    /// value a subsequent read gives, for the commit log.
    pub fn write(&mut self, num: u16, val: u64, cycle: u64) -> u64 {
        match num {
            csr::MSTATUS => {
                // MPP is WARL: without U-mode the only legal value is M.
                let v = (val & !mstatus::MPP) | mstatus::MPP;
                self.mstatus = (self.mstatus & !MSTATUS_WRITABLE) | (v & MSTATUS_WRITABLE);
                self.mstatus
            }
            csr::MIE => {
                self.mie = val & MIE_WRITABLE;
                self.mie
            }
            csr::MTVEC => {
                self.mtvec = val & !2;
                self.mtvec
            }
            csr::MSCRATCH => {
                self.mscratch = val;
                val
            }
            csr::MEPC => {
                self.mepc = val & !1;
                self.mepc & !2
            }
            csr::MCAUSE => {
                self.mcause = val;
                val
            }
            csr::MTVAL => {
                self.mtval = val;
                val
            }
            csr::MCYCLE => {
                // The writing instruction's own cycle counts after the write, as in Spike.
                self.mcycle_offset = val.wrapping_sub(cycle).wrapping_sub(1);
                val
            }
            csr::MINSTRET => {
                self.minstret = val;
                val
            }
            // misa and mip: WARL with no writable bits.
            csr::MISA => MISA,
            csr::MIP => self.mip,
            _ => unreachable!("write to CSR {num:#x} that read() rejects"),
        }
    }
}
