//! CSR numbers and names (the names appear in Spike-format commit logs as `c<num>_<name>`).

/// A CSR this machine implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrInfo {
    /// 12-bit CSR number.
    pub num: u16,
    /// Name as in the privileged spec (and Spike's `csr_name`).
    pub name: &'static str,
}

macro_rules! csrs {
    ($( $c:ident = $num:literal, $name:literal; )*) => {
        $( #[doc = concat!("`", $name, "`")] pub const $c: u16 = $num; )*
        /// Every implemented CSR.
        pub const CSRS: &[CsrInfo] = &[ $( CsrInfo { num: $num, name: $name }, )* ];
    };
}

csrs! {
    CYCLE = 0xc00, "cycle";
    TIME = 0xc01, "time";
    INSTRET = 0xc02, "instret";
    MVENDORID = 0xf11, "mvendorid";
    MARCHID = 0xf12, "marchid";
    MIMPID = 0xf13, "mimpid";
    MHARTID = 0xf14, "mhartid";
    MCONFIGPTR = 0xf15, "mconfigptr";
    MSTATUS = 0x300, "mstatus";
    MISA = 0x301, "misa";
    MIE = 0x304, "mie";
    MTVEC = 0x305, "mtvec";
    MCOUNTINHIBIT = 0x320, "mcountinhibit";
    MSCRATCH = 0x340, "mscratch";
    MEPC = 0x341, "mepc";
    MCAUSE = 0x342, "mcause";
    MTVAL = 0x343, "mtval";
    MIP = 0x344, "mip";
    MCYCLE = 0xb00, "mcycle";
    MINSTRET = 0xb02, "minstret";
}

/// Name of a CSR number (`"unknown"` if not implemented).
pub fn name(num: u16) -> &'static str {
    CSRS.iter()
        .find(|c| c.num == num)
        .map_or("unknown", |c| c.name)
}

/// Whether a CSR number is read-only by encoding (bits 11:10 == 0b11).
pub fn is_read_only(num: u16) -> bool {
    (num >> 10) & 3 == 3
}

/// `mstatus` bit positions used in M-only mode.
pub mod mstatus {
    /// Machine interrupt enable.
    pub const MIE: u64 = 1 << 3;
    /// Previous MIE.
    pub const MPIE: u64 = 1 << 7;
    /// Previous privilege (2 bits at 11).
    pub const MPP: u64 = 3 << 11;
}

/// Interrupt bits in `mip`/`mie`.
pub mod irq {
    /// Machine software interrupt.
    pub const MSI: u64 = 1 << 3;
    /// Machine timer interrupt.
    pub const MTI: u64 = 1 << 7;
    /// Machine external interrupt.
    pub const MEI: u64 = 1 << 11;
}

/// Exception and interrupt cause codes.
pub mod cause {
    /// Instruction address misaligned.
    pub const MISALIGNED_FETCH: u64 = 0;
    /// Instruction access fault.
    pub const FETCH_ACCESS: u64 = 1;
    /// Illegal instruction.
    pub const ILLEGAL_INSTRUCTION: u64 = 2;
    /// Breakpoint.
    pub const BREAKPOINT: u64 = 3;
    /// Load address misaligned.
    pub const MISALIGNED_LOAD: u64 = 4;
    /// Load access fault.
    pub const LOAD_ACCESS: u64 = 5;
    /// Store/AMO address misaligned.
    pub const MISALIGNED_STORE: u64 = 6;
    /// Store/AMO access fault.
    pub const STORE_ACCESS: u64 = 7;
    /// Environment call from M-mode.
    pub const MACHINE_ECALL: u64 = 11;
    /// Interrupt bit of mcause.
    pub const INTERRUPT: u64 = 1 << 63;
    /// Machine software interrupt (with [`INTERRUPT`]).
    pub const MACHINE_SOFTWARE: u64 = 3;
    /// Machine timer interrupt (with [`INTERRUPT`]).
    pub const MACHINE_TIMER: u64 = 7;
    /// Machine external interrupt (with [`INTERRUPT`]).
    pub const MACHINE_EXTERNAL: u64 = 11;

    /// Human-readable description of an mcause value.
    pub fn describe(mcause: u64) -> &'static str {
        if mcause & INTERRUPT != 0 {
            return match mcause & !INTERRUPT {
                MACHINE_SOFTWARE => "machine software interrupt",
                MACHINE_TIMER => "machine timer interrupt",
                MACHINE_EXTERNAL => "machine external interrupt",
                _ => "unknown interrupt",
            };
        }
        match mcause {
            MISALIGNED_FETCH => "instruction address misaligned",
            FETCH_ACCESS => "instruction access fault",
            ILLEGAL_INSTRUCTION => "illegal instruction",
            BREAKPOINT => "breakpoint",
            MISALIGNED_LOAD => "load address misaligned",
            LOAD_ACCESS => "load access fault",
            MISALIGNED_STORE => "store/AMO address misaligned",
            STORE_ACCESS => "store/AMO access fault",
            MACHINE_ECALL => "environment call from M-mode",
            _ => "unknown exception",
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::name(0x300), "mstatus");
        assert_eq!(super::name(0x7ff), "unknown");
        assert!(super::is_read_only(super::MHARTID));
        assert!(!super::is_read_only(super::MSCRATCH));
    }
}
