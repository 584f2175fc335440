//! Commit log in Spike's `--log-commits` line format, so that `diff` against
//! `spike --priv=m -l --log-commits` finds the first wrong instruction:
//!
//! ```text
//! core   0: 3 0x0000000080000000 (0x00000297) x5  0x0000000080000000
//! core   0: 3 0x0000000080000010 (0x00b53423) mem 0x0000000080001008 0x0000000000000001
//! core   0: 3 0x0000000080000014 (0x30529073) c773_mtvec 0x0000000080000100
//! ```
//!
//! Fields: hart id (`%4d` after "core"), privilege (3 = M), pc, instruction bits, then the
//! register writes (Spike prints the destination register before CSRs), load addresses, and
//! store address/value (value printed with the store's width).

use super::Commit;
use std::io::{self, Write};
use strand_hw::isa::csr;

/// A buffered commit-log writer.
pub struct CommitLog {
    out: io::BufWriter<Box<dyn Write + Send>>,
}

impl CommitLog {
    /// Log to any writer (a file, a pipe, a `Vec<u8>` in tests).
    pub fn new(out: Box<dyn Write + Send>) -> CommitLog {
        CommitLog {
            out: io::BufWriter::with_capacity(1 << 16, out),
        }
    }

    /// Append one retired instruction of hart `hart`.
    pub fn record(&mut self, hart: u32, c: &Commit) -> io::Result<()> {
        let o = &mut self.out;
        write!(o, "core{hart:4}: 3 0x{:016x} (0x{:08x})", c.pc, c.raw)?;
        if let Some((rd, v)) = c.rd {
            write!(o, " x{rd:<2} 0x{v:016x}")?;
        }
        for &(num, v) in c.csrs[..c.ncsr as usize].iter().rev() {
            write!(o, " c{}_{} 0x{v:016x}", num, csr::name(num))?;
        }
        if let Some(a) = c.load {
            write!(o, " mem 0x{a:016x}")?;
        }
        if let Some((a, v, size)) = c.store {
            let w = usize::from(size) * 2;
            write!(o, " mem 0x{a:016x} 0x{v:0w$x}")?;
        }
        writeln!(o)
    }

    /// Flush buffered lines.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn spike_format() {
        let buf = Shared::default();
        let mut log = CommitLog::new(Box::new(buf.clone()));
        let mut c = Commit {
            pc: 0x8000_0000,
            raw: 0x297,
            rd: Some((5, 0x8000_0000)),
            ..Default::default()
        };
        log.record(0, &c).unwrap();
        c.rd = None;
        c.store = Some((0x8000_1000, 0xab, 1));
        log.record(12, &c).unwrap();
        c.store = None;
        c.rd = Some((11, 1));
        c.csr(0x300, 0x1888);
        log.record(3, &c).unwrap();
        log.flush().unwrap();
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "core   0: 3 0x0000000080000000 (0x00000297) x5  0x0000000080000000\n\
             core  12: 3 0x0000000080000000 (0x00000297) mem 0x0000000080001000 0xab\n\
             core   3: 3 0x0000000080000000 (0x00000297) x11 0x0000000000000001 c768_mstatus 0x0000000000001888\n"
        );
    }
}
