//! 16550 UART (console). Transmit only: bytes written to THR go to the console sink; the line
//! status register always reports an empty transmitter, and no input ever arrives.
//!
//! ```text
//! off  read        write        (DLAB = LCR bit 7 selects DLL/DLM at 0/1)
//!  0   RBR (0)     THR → console
//!  1   IER         IER
//!  2   IIR (0xc1)  FCR
//!  3   LCR         LCR
//!  4   MCR         MCR
//!  5   LSR (0x60)  -
//!  6   MSR (0xb0)  -
//!  7   SCR         SCR
//! ```

use std::io::Write;

/// The console UART.
pub struct Uart {
    regs: [u8; 8],
    dll: u8,
    dlm: u8,
    sink: Box<dyn Write + Send>,
    /// Everything the guest has printed (kept for tests and reports).
    pub captured: Vec<u8>,
    capture: bool,
}

impl Uart {
    /// A UART whose output goes to `sink` (and is also captured if `capture`).
    pub fn new(sink: Box<dyn Write + Send>, capture: bool) -> Uart {
        Uart {
            regs: [0; 8],
            dll: 0,
            dlm: 0,
            sink,
            captured: Vec::new(),
            capture,
        }
    }

    fn dlab(&self) -> bool {
        self.regs[3] & 0x80 != 0
    }

    /// Register read (byte at `off`).
    pub fn read(&mut self, off: u64) -> u8 {
        match off {
            0 if self.dlab() => self.dll,
            1 if self.dlab() => self.dlm,
            0 => 0,
            2 => 0xc1, // FIFOs enabled, no interrupt pending
            5 => 0x60, // THR empty, transmitter empty
            6 => 0xb0, // CTS, DSR, DCD
            1 | 3 | 4 | 7 => self.regs[off as usize],
            _ => 0,
        }
    }

    /// Register write (byte at `off`).
    pub fn write(&mut self, off: u64, val: u8) {
        match off {
            0 if self.dlab() => self.dll = val,
            1 if self.dlab() => self.dlm = val,
            0 => {
                if self.capture {
                    self.captured.push(val);
                }
                // Console output is best effort: a closed stdout must not stop the simulation.
                let _ = self.sink.write_all(&[val]);
                if val == b'\n' {
                    let _ = self.sink.flush();
                }
            }
            1 | 3 | 4 | 7 => self.regs[off as usize] = val,
            _ => {}
        }
    }

    /// Flush the console sink.
    pub fn flush(&mut self) {
        let _ = self.sink.flush();
    }
}
