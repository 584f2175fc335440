//! The hart's view of memory: the one interface between instruction semantics and the memory
//! system.
//!
//! The ISA layer ([`super::exec`]) only asks for functional accesses at physical addresses and
//! receives values or faults; *when* an access completes is the timing layer's business (the
//! cycle-level pipeline and cache hierarchy put their latency model behind the same calls).
//! Alignment is checked by the ISA layer before any call, so implementations may assume
//! naturally aligned accesses of 1, 2, 4 or 8 bytes.

/// Why a physical access failed (maps to an access-fault cause; `mtval` = the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessFault;

/// Read-modify-write operations of the A extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmoOp {
    /// amoswap
    Swap,
    /// amoadd
    Add,
    /// amoxor
    Xor,
    /// amoand
    And,
    /// amoor
    Or,
    /// amomin (signed)
    Min,
    /// amomax (signed)
    Max,
    /// amominu
    Minu,
    /// amomaxu
    Maxu,
}

impl AmoOp {
    /// Apply the operation to the old memory value `old` and register operand `src`, both
    /// already sign-extended from `size` bytes. Returns the value to store.
    pub fn apply(self, old: u64, src: u64, size: u8) -> u64 {
        let (so, ss) = if size == 4 {
            (old as i32 as i64, src as i32 as i64)
        } else {
            (old as i64, src as i64)
        };
        let (uo, us) = if size == 4 {
            (old as u32 as u64, src as u32 as u64)
        } else {
            (old, src)
        };
        match self {
            AmoOp::Swap => src,
            AmoOp::Add => old.wrapping_add(src),
            AmoOp::Xor => old ^ src,
            AmoOp::And => old & src,
            AmoOp::Or => old | src,
            AmoOp::Min => {
                if so <= ss {
                    old
                } else {
                    src
                }
            }
            AmoOp::Max => {
                if so >= ss {
                    old
                } else {
                    src
                }
            }
            AmoOp::Minu => {
                if uo <= us {
                    old
                } else {
                    src
                }
            }
            AmoOp::Maxu => {
                if uo >= us {
                    old
                } else {
                    src
                }
            }
        }
    }
}

/// Physical memory as seen by one hart.
pub trait Bus {
    /// Fetch a 32-bit instruction word (DRAM only; anything else is an access fault).
    fn fetch(&mut self, addr: u64) -> Result<u32, AccessFault>;
    /// Fetch and decode; implementations may serve this from a predecode cache, which must
    /// return exactly what decoding the current memory contents would.
    fn fetch_insn(&mut self, addr: u64) -> Result<strand_hw::isa::Insn, AccessFault> {
        self.fetch(addr).map(strand_hw::isa::decode)
    }
    /// Load `size` bytes, zero-extended.
    fn load(&mut self, hart: u32, addr: u64, size: u8) -> Result<u64, AccessFault>;
    /// Store the low `size` bytes of `val`.
    fn store(&mut self, hart: u32, addr: u64, size: u8, val: u64) -> Result<(), AccessFault>;
    /// Atomic read-modify-write; returns the old value zero-extended.
    fn amo(
        &mut self,
        hart: u32,
        addr: u64,
        size: u8,
        op: AmoOp,
        src: u64,
    ) -> Result<u64, AccessFault>;
    /// Load-reserved: load and register a reservation for `hart`.
    fn load_reserved(&mut self, hart: u32, addr: u64, size: u8) -> Result<u64, AccessFault>;
    /// Store-conditional: store if `hart` still holds a reservation on `addr`; the reservation is
    /// released either way. Returns whether the store happened.
    fn store_conditional(
        &mut self,
        hart: u32,
        addr: u64,
        size: u8,
        val: u64,
    ) -> Result<bool, AccessFault>;
}

#[cfg(test)]
mod tests {
    use super::AmoOp;

    #[test]
    fn amo_word_ops_compare_as_32_bit() {
        let neg = 0xffff_ffff_8000_0000u64; // i32::MIN sign-extended
        assert_eq!(AmoOp::Min.apply(neg, 1, 4), neg);
        assert_eq!(AmoOp::Maxu.apply(neg, 1, 4), neg);
        assert_eq!(AmoOp::Minu.apply(neg, 1, 4), 1);
        assert_eq!(AmoOp::Max.apply(5, u64::MAX, 8), 5);
        assert_eq!(AmoOp::Add.apply(u64::MAX, 2, 8), 1);
    }
}
