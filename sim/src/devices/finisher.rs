//! SiFive test finisher (`sifive,test0`), as in QEMU `virt`: a 32-bit write of `0x5555` ends the
//! run with exit code 0 (QEMU ignores the upper half here too), `(code << 16) | 0x3333` ends it with `code`, `0x7777` asks for a reset
//! (reported as an error: Strand does not model reset). Other values are ignored; reads give 0.

/// What a finisher write asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinisherRequest {
    /// Exit with this code.
    Exit(u32),
    /// Reset the machine.
    Reset,
}

/// Decode a write to the finisher.
pub fn decode_write(val: u64) -> Option<FinisherRequest> {
    let v = val as u32;
    match v & 0xffff {
        0x5555 => Some(FinisherRequest::Exit(0)),
        0x3333 => Some(FinisherRequest::Exit(v >> 16)),
        0x7777 => Some(FinisherRequest::Reset),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(decode_write(0x5555), Some(FinisherRequest::Exit(0)));
        assert_eq!(
            decode_write((3 << 16) | 0x3333),
            Some(FinisherRequest::Exit(3))
        );
        assert_eq!(decode_write(0x7777), Some(FinisherRequest::Reset));
        assert_eq!(decode_write(0x1234), None);
    }
}
