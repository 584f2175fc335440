//! HTIF `tohost`/`fromhost` (the convention of riscv-tests and Spike): a program that defines the
//! `tohost` symbol ends when it stores to it.
//!
//! | `tohost` value | meaning |
//! |---|---|
//! | `(code << 1) \| 1` (device 0) | exit: code 0 = pass, else fail with `code` |
//! | device 1, command 1 | console putchar of the low byte |
//! | even value (device 0) | pointer to a syscall block `[num, a0, a1, a2, ...]`; `write` (64) and `exit` (93) are served |
//!
//! Every request is acknowledged by clearing `tohost` and writing 1 to `fromhost` when the
//! program defines it, as Spike's front-end does.

/// What a `tohost` write asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HtifRequest {
    /// Exit with this code.
    Exit(u64),
    /// Print this byte.
    Putchar(u8),
    /// Serve the syscall block at this address.
    Syscall(u64),
    /// Not understood (ignored).
    Unknown(u64),
}

/// Decode a value written to `tohost`.
pub fn decode(val: u64) -> HtifRequest {
    let dev = val >> 56;
    let cmd = (val >> 48) & 0xff;
    let payload = val & ((1 << 48) - 1);
    match (dev, cmd) {
        (0, _) if payload & 1 == 1 => HtifRequest::Exit(payload >> 1),
        (0, _) => HtifRequest::Syscall(payload),
        (1, 1) => HtifRequest::Putchar(payload as u8),
        _ => HtifRequest::Unknown(val),
    }
}

/// Linux/pk syscall number for `write`.
pub const SYS_WRITE: u64 = 64;
/// Linux/pk syscall number for `exit`.
pub const SYS_EXIT: u64 = 93;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(decode(1), HtifRequest::Exit(0));
        assert_eq!(decode((5 << 1) | 1), HtifRequest::Exit(5));
        assert_eq!(
            decode((1 << 56) | (1 << 48) | 0x41),
            HtifRequest::Putchar(b'A')
        );
        assert_eq!(decode(0x8000_1000), HtifRequest::Syscall(0x8000_1000));
    }
}
