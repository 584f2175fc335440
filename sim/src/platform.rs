//! The platform: physical address decode over DRAM and devices, LR/SC reservations, the HTIF
//! mailbox, and a predecode cache for instruction fetch. Implements the hart's [`Bus`].
//!
//! ```text
//!  hart ─► Bus ─┬─ DRAM (0x8000_0000..)     fetch, load, store, AMO, LR/SC
//!               ├─ UART, finisher           load/store of 1-8 bytes
//!               ├─ virtio-mmio slots        slot 7 (0x1000_8000): virtio-fs when a share is
//!               │                           attached; the others empty (device ID 0)
//!               ├─ CLINT                    load/store; interrupt lines → harts' mip
//!               └─ anything else            access fault
//! ```
//!
//! LR/SC: a reservation covers the naturally aligned 64-byte line of the LR address; SC succeeds
//! only for the exact LR address while the reservation is held. A store or AMO by another hart to
//! the line breaks it; an SC releases it either way.

use crate::core::bus::{AccessFault, AmoOp, Bus};
use crate::devices::clint::Clint;
use crate::devices::finisher::{self, FinisherRequest};
use crate::devices::htif::{self, HtifRequest};
use crate::devices::uart::Uart;
use crate::devices::virtio::VirtioFs;
use crate::mem::Dram;
use strand_hw::isa::{decode, Insn};
use strand_hw::memmap::*;

/// Why the platform asks the run to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopRequest {
    /// The firmware exited (test finisher or HTIF) with this code.
    Exit {
        /// Exit code (0 = pass).
        code: u64,
        /// The hart that wrote the exit request.
        hart: u32,
    },
    /// The firmware asked for a reset through the test finisher.
    Reset {
        /// The requesting hart.
        hart: u32,
    },
}

const RESERVATION_LINE: u64 = 64;

/// The virtio-mmio slot of the virtio-fs device: the last one (0x1000_8000), where QEMU puts the
/// first `-device`.
pub const VIRTIO_FS_SLOT: u64 = VIRTIO_SLOTS - 1;

/// What the harts of a tile read during a quantum's parallel part: DRAM and predecoded code
/// as of the quantum's start (nothing writes them until its end), and the CLINT for `mtime`.
pub struct MemView<'a> {
    /// DRAM contents.
    pub dram: &'a Dram,
    /// The CLINT (read-only).
    pub clint: &'a Clint,
    /// Address of `tohost`, if any.
    pub tohost: Option<u64>,
    code_base: u64,
    predecoded: &'a [Insn],
}

impl MemView<'_> {
    /// Fetch an instruction word from DRAM.
    #[inline]
    pub fn fetch(&self, addr: u64) -> Result<u32, AccessFault> {
        let off = self.dram.offset(addr, 4).ok_or(AccessFault)?;
        Ok(self.dram.read(off, 4) as u32)
    }

    /// Fetch and decode through the predecode cache (read-only: a changed word is decoded
    /// again here and refreshed in the cache by the next serial fetch).
    #[inline]
    pub fn fetch_insn(&self, addr: u64) -> Result<Insn, AccessFault> {
        let raw = self.fetch(addr)?;
        let idx = (addr.wrapping_sub(self.code_base) / 4) as usize;
        match self.predecoded.get(idx) {
            Some(slot) if slot.raw == raw => Ok(*slot),
            _ => Ok(decode(raw)),
        }
    }
}

/// Memory and devices shared by all harts.
pub struct Platform {
    /// DRAM contents.
    pub dram: Dram,
    /// Console UART.
    pub uart: Uart,
    /// Core-local interruptor.
    pub clint: Clint,
    /// Address of the `tohost` symbol, if the program defines one.
    pub tohost: Option<u64>,
    /// Address of the `fromhost` symbol, if the program defines one.
    pub fromhost: Option<u64>,
    /// The virtio-fs device in virtio-mmio slot [`VIRTIO_FS_SLOT`], if a share is attached.
    pub virtio_fs: Option<VirtioFs>,
    /// Cycles the virtio-fs device takes to serve a notified queue (its modelled service latency).
    pub virtio_latency: u64,
    /// Notified queues waiting for service: `(due cycle, queue)`, in notify order.
    virtio_pending: std::collections::VecDeque<(u64, u32)>,
    /// Set when the firmware asks to stop.
    pub stop: Option<StopRequest>,
    /// Current core cycle (for `mtime`), maintained by the engine.
    pub cycle: u64,
    /// Active reservations: `(hart, address)`.
    reservations: Vec<(u32, u64)>,
    /// Predecoded instructions for `[code_base, code_base + 4 * len)`.
    code_base: u64,
    predecoded: Vec<Insn>,
}

impl Platform {
    /// A platform with `dram_size` bytes of DRAM, `harts` harts at `clock_hz`, console to `uart`.
    pub fn new(dram_size: u64, harts: u32, clock_hz: u64, uart: Uart) -> Platform {
        Platform {
            dram: Dram::new(dram_size),
            uart,
            clint: Clint::new(harts, clock_hz),
            tohost: None,
            fromhost: None,
            virtio_fs: None,
            virtio_latency: 0,
            virtio_pending: std::collections::VecDeque::new(),
            stop: None,
            cycle: 0,
            reservations: Vec::new(),
            code_base: 0,
            predecoded: Vec::new(),
        }
    }

    /// Cycle at which the next notified virtio queue is due (`u64::MAX` if none).
    #[inline]
    pub fn virtio_due(&self) -> u64 {
        self.virtio_pending
            .front()
            .map_or(u64::MAX, |&(due, _)| due)
    }

    /// Serve every notified virtio queue that is due at `cycle`: the device reads the requests
    /// and writes the replies and used rings in DRAM now.
    pub fn service_virtio(&mut self, cycle: u64) {
        while let Some(&(due, queue)) = self.virtio_pending.front() {
            if due > cycle {
                break;
            }
            self.virtio_pending.pop_front();
            if let Some(dev) = &mut self.virtio_fs {
                dev.notify(queue, self.dram.as_mut_slice(), DRAM_BASE);
                // The device wrote DRAM (replies, used rings): drop LR/SC reservations.
                self.reservations.clear();
            }
        }
    }

    /// Predecode `[base, base + len)` (the program's executable segments). Fetches elsewhere
    /// decode on the fly; the cache re-decodes any word whose bits changed since.
    pub fn set_code_range(&mut self, base: u64, len: u64) {
        self.code_base = base & !3;
        let n = (len.div_ceil(4)) as usize;
        self.predecoded = (0..n)
            .map(|i| {
                let a = self.code_base + 4 * i as u64;
                decode(self.dram.offset(a, 4).map_or(0, |o| self.dram.read(o, 4)) as u32)
            })
            .collect();
    }

    /// The read-only view the tiles use during a quantum's parallel part.
    pub fn view(&self) -> MemView<'_> {
        MemView {
            dram: &self.dram,
            clint: &self.clint,
            tohost: self.tohost,
            code_base: self.code_base,
            predecoded: &self.predecoded,
        }
    }

    /// `hart` stored to `addr` (a tile's overlay reached DRAM): other harts' LR reservations
    /// on the line are lost.
    #[inline]
    pub fn stored_hart(&mut self, hart: u32, addr: u64) {
        self.break_reservations(hart, addr);
    }

    /// Ask the run to stop; the first request of a run wins.
    fn request_stop(&mut self, r: StopRequest) {
        self.stop = self.stop.or(Some(r));
    }

    fn break_reservations(&mut self, hart: u32, addr: u64) {
        if !self.reservations.is_empty() {
            let line = addr / RESERVATION_LINE;
            self.reservations
                .retain(|&(h, a)| h == hart || a / RESERVATION_LINE != line);
        }
    }

    fn htif_store(&mut self, hart: u32, val: u64) {
        match htif::decode(val) {
            HtifRequest::Exit(code) => self.request_stop(StopRequest::Exit { code, hart }),
            HtifRequest::Putchar(c) => self.uart.write(0, c),
            HtifRequest::Syscall(block) => self.htif_syscall(hart, block),
            HtifRequest::Unknown(_) => {}
        }
        // Acknowledge as Spike's front-end does: clear tohost, set fromhost.
        if let Some(a) = self.tohost.and_then(|t| self.dram.offset(t, 8)) {
            self.dram.write(a, 8, 0);
        }
        if let Some(a) = self.fromhost.and_then(|f| self.dram.offset(f, 8)) {
            self.dram.write(a, 8, 1);
        }
    }

    fn htif_syscall(&mut self, hart: u32, block: u64) {
        let Some(args) = self.dram.slice(block, 64) else {
            return;
        };
        let word = |i: usize| u64::from_le_bytes(args[i * 8..i * 8 + 8].try_into().unwrap());
        let (num, a0, a1, a2) = (word(0), word(1), word(2), word(3));
        let ret = match num {
            htif::SYS_EXIT => {
                self.request_stop(StopRequest::Exit { code: a0, hart });
                0
            }
            htif::SYS_WRITE if a0 == 1 || a0 == 2 => match self.dram.slice(a1, a2) {
                Some(bytes) => {
                    let bytes = bytes.to_vec();
                    for b in bytes {
                        self.uart.write(0, b);
                    }
                    a2
                }
                None => (-14i64) as u64, // EFAULT
            },
            _ => (-38i64) as u64, // ENOSYS
        };
        if let Some(off) = self.dram.offset(block, 8) {
            self.dram.write(off, 8, ret);
        }
    }

    fn device_load(&mut self, addr: u64, size: u8) -> Result<u64, AccessFault> {
        if (UART_BASE..UART_BASE + UART_SIZE).contains(&addr) {
            return Ok(u64::from(self.uart.read(addr - UART_BASE)));
        }
        if (CLINT_BASE..CLINT_BASE + CLINT_SIZE).contains(&addr) {
            return self
                .clint
                .read(addr - CLINT_BASE, size, self.cycle)
                .ok_or(AccessFault);
        }
        if (FINISHER_BASE..FINISHER_BASE + FINISHER_SIZE).contains(&addr) {
            return Ok(0);
        }
        if (VIRTIO_BASE..VIRTIO_BASE + VIRTIO_STRIDE * VIRTIO_SLOTS).contains(&addr) {
            let (slot, off) = (
                (addr - VIRTIO_BASE) / VIRTIO_STRIDE,
                (addr - VIRTIO_BASE) % VIRTIO_STRIDE,
            );
            if slot == VIRTIO_FS_SLOT {
                if let Some(dev) = &self.virtio_fs {
                    return Ok(dev.read(off, size));
                }
            }
            // An empty virtio-mmio v2 slot, as on QEMU virt: magic "virt", version 2, device ID
            // 0 (= no device); everything else reads 0.
            return Ok(match (addr - VIRTIO_BASE) % VIRTIO_STRIDE {
                0x000 => 0x7472_6976,
                0x004 => 2,
                _ => 0,
            });
        }
        Err(AccessFault)
    }

    fn device_store(
        &mut self,
        hart: u32,
        addr: u64,
        size: u8,
        val: u64,
    ) -> Result<(), AccessFault> {
        if (UART_BASE..UART_BASE + UART_SIZE).contains(&addr) {
            self.uart.write(addr - UART_BASE, val as u8);
            return Ok(());
        }
        if (CLINT_BASE..CLINT_BASE + CLINT_SIZE).contains(&addr) {
            let cycle = self.cycle;
            return if self.clint.write(addr - CLINT_BASE, size, val, cycle) {
                Ok(())
            } else {
                Err(AccessFault)
            };
        }
        if (FINISHER_BASE..FINISHER_BASE + FINISHER_SIZE).contains(&addr) {
            if addr == FINISHER_BASE && size >= 4 {
                match finisher::decode_write(val) {
                    Some(FinisherRequest::Exit(code)) => self.request_stop(StopRequest::Exit {
                        code: u64::from(code),
                        hart,
                    }),
                    Some(FinisherRequest::Reset) => self.request_stop(StopRequest::Reset { hart }),
                    None => {}
                }
            }
            return Ok(());
        }
        if (VIRTIO_BASE..VIRTIO_BASE + VIRTIO_STRIDE * VIRTIO_SLOTS).contains(&addr) {
            let (slot, off) = (
                (addr - VIRTIO_BASE) / VIRTIO_STRIDE,
                (addr - VIRTIO_BASE) % VIRTIO_STRIDE,
            );
            if slot == VIRTIO_FS_SLOT {
                if let Some(dev) = &mut self.virtio_fs {
                    if off == crate::devices::virtio::reg::QUEUE_NOTIFY {
                        // Served `virtio_latency` cycles from now (see `service_virtio`).
                        self.virtio_pending
                            .push_back((self.cycle + self.virtio_latency, val as u32));
                        return Ok(());
                    }
                    dev.write(off, size, val, self.dram.as_mut_slice(), DRAM_BASE);
                    // The device may have written DRAM (replies, used rings): drop LR/SC
                    // reservations conservatively.
                    self.reservations.clear();
                }
            }
            return Ok(()); // empty slot: writes are ignored
        }
        Err(AccessFault)
    }
}

impl Bus for Platform {
    #[inline]
    fn fetch(&mut self, addr: u64) -> Result<u32, AccessFault> {
        let off = self.dram.offset(addr, 4).ok_or(AccessFault)?;
        Ok(self.dram.read(off, 4) as u32)
    }

    #[inline]
    fn fetch_insn(&mut self, addr: u64) -> Result<Insn, AccessFault> {
        let off = self.dram.offset(addr, 4).ok_or(AccessFault)?;
        let raw = self.dram.read(off, 4) as u32;
        let idx = (addr.wrapping_sub(self.code_base) / 4) as usize;
        if let Some(slot) = self.predecoded.get_mut(idx) {
            if slot.raw != raw {
                *slot = decode(raw);
            }
            return Ok(*slot);
        }
        Ok(decode(raw))
    }

    #[inline]
    fn load(&mut self, _hart: u32, addr: u64, size: u8) -> Result<u64, AccessFault> {
        match self.dram.offset(addr, u64::from(size)) {
            Some(off) => Ok(self.dram.read(off, size)),
            None => self.device_load(addr, size),
        }
    }

    #[inline]
    fn store(&mut self, hart: u32, addr: u64, size: u8, val: u64) -> Result<(), AccessFault> {
        match self.dram.offset(addr, u64::from(size)) {
            Some(off) => {
                self.dram.write(off, size, val);
                self.break_reservations(hart, addr);
                if let Some(t) = self.tohost {
                    if addr < t + 8 && addr + u64::from(size) > t {
                        let v = self.dram.read(self.dram.offset(t, 8).unwrap(), 8);
                        if v != 0 {
                            self.htif_store(hart, v);
                        }
                    }
                }
                Ok(())
            }
            None => self.device_store(hart, addr, size, val),
        }
    }

    fn amo(
        &mut self,
        hart: u32,
        addr: u64,
        size: u8,
        op: AmoOp,
        src: u64,
    ) -> Result<u64, AccessFault> {
        let off = self.dram.offset(addr, u64::from(size)).ok_or(AccessFault)?;
        let old = self.dram.read(off, size);
        let sext = if size == 4 {
            old as i32 as i64 as u64
        } else {
            old
        };
        self.dram.write(off, size, op.apply(sext, src, size));
        self.break_reservations(hart, addr);
        Ok(old)
    }

    fn load_reserved(&mut self, hart: u32, addr: u64, size: u8) -> Result<u64, AccessFault> {
        let off = self.dram.offset(addr, u64::from(size)).ok_or(AccessFault)?;
        self.reservations.retain(|&(h, _)| h != hart);
        self.reservations.push((hart, addr));
        Ok(self.dram.read(off, size))
    }

    fn store_conditional(
        &mut self,
        hart: u32,
        addr: u64,
        size: u8,
        val: u64,
    ) -> Result<bool, AccessFault> {
        let off = self.dram.offset(addr, u64::from(size)).ok_or(AccessFault)?;
        let held = self
            .reservations
            .iter()
            .any(|&(h, a)| h == hart && a == addr);
        self.reservations.retain(|&(h, _)| h != hart);
        if held {
            self.dram.write(off, size, val);
            self.break_reservations(hart, addr);
        }
        Ok(held)
    }
}
