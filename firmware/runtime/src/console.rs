//! Console on the 16550 UART: [`print!`](crate::print) and
//! [`println!`](crate::println).
//!
//! Each macro call formats straight to the UART while holding one console
//! lock, so lines from different harts never interleave. The lock remembers
//! its owner: a panic or trap report from the hart that already holds it (a
//! `Display` impl that panicked half-way through a line) prints anyway
//! instead of deadlocking.
//!
//! The UART needs no initialisation on QEMU or the Strand device model; the
//! transmitter is polled (LSR bit 5, THR empty) before every byte.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::boot::hart_id;
use crate::memmap::{UART_BASE, UART_LSR, UART_LSR_THRE, UART_THR};

/// `hart id + 1` of the hart holding the console, 0 when free.
static OWNER: AtomicUsize = AtomicUsize::new(0);

/// Byte sink on the UART; only used with the console lock held.
struct Uart;

impl Uart {
    fn put(&mut self, byte: u8) {
        let lsr = (UART_BASE + UART_LSR) as *const u8;
        let thr = (UART_BASE + UART_THR) as *mut u8;
        // SAFETY: LSR and THR are byte-wide MMIO registers of the UART at a
        // fixed address; reading LSR and writing THR have no effect on memory.
        unsafe {
            while core::ptr::read_volatile(lsr) & UART_LSR_THRE == 0 {
                core::hint::spin_loop();
            }
            core::ptr::write_volatile(thr, byte);
        }
    }
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            self.put(b);
        }
        Ok(())
    }
}

/// Runs `f` with the console lock held (re-entrant on the same hart).
fn with_console<R>(f: impl FnOnce(&mut Uart) -> R) -> R {
    let me = hart_id() + 1;
    // Only this hart ever stores `me`, so a relaxed read of it is exact.
    let nested = OWNER.load(Ordering::Relaxed) == me;
    if !nested {
        while OWNER
            .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            while OWNER.load(Ordering::Relaxed) != 0 {
                core::hint::spin_loop();
            }
        }
    }
    let r = f(&mut Uart);
    if !nested {
        OWNER.store(0, Ordering::Release);
    }
    r
}

/// Writes formatted text to the console under the lock (used by the macros).
#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    with_console(|uart| {
        let _ = uart.write_fmt(args);
    });
}

/// Writes raw bytes to the console under the lock.
pub fn write_bytes(bytes: &[u8]) {
    with_console(|uart| bytes.iter().for_each(|&b| uart.put(b)));
}

/// Prints to the console; the whole call is atomic with respect to other harts.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::console::_print(::core::format_args!($($arg)*))
    };
}

/// Prints a line to the console; the whole line is atomic with respect to
/// other harts.
#[macro_export]
macro_rules! println {
    () => {
        $crate::console::_print(::core::format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::console::_print(::core::format_args!("{}\n", ::core::format_args!($($arg)*)))
    };
}
