//! virtio-mmio version 2 ("modern") registers (virtio 1.x, 4.2.2).

use core::ptr::{read_volatile, write_volatile};

use super::Transport;
use crate::{Error, Result};

/// "virt" in little-endian.
pub const MAGIC: u32 = 0x7472_6976;
/// virtio-fs device ID.
pub const DEVICE_ID_FS: u32 = 26;
/// First virtio-mmio slot on QEMU `virt` (and Strand).
pub const SLOT_BASE: usize = 0x1000_1000;
/// Distance between slots.
pub const SLOT_STRIDE: usize = 0x1000;
/// Number of slots.
pub const SLOT_COUNT: usize = 8;

const MAGIC_VALUE: usize = 0x000;
const VERSION: usize = 0x004;
const DEVICE_ID: usize = 0x008;
const DEVICE_FEATURES: usize = 0x010;
const DEVICE_FEATURES_SEL: usize = 0x014;
const DRIVER_FEATURES: usize = 0x020;
const DRIVER_FEATURES_SEL: usize = 0x024;
const QUEUE_SEL: usize = 0x030;
const QUEUE_NUM_MAX: usize = 0x034;
const QUEUE_NUM: usize = 0x038;
const QUEUE_READY: usize = 0x044;
const QUEUE_NOTIFY: usize = 0x050;
const INTERRUPT_STATUS: usize = 0x060;
const INTERRUPT_ACK: usize = 0x064;
const STATUS: usize = 0x070;
const QUEUE_DESC_LOW: usize = 0x080;
const QUEUE_DESC_HIGH: usize = 0x084;
const QUEUE_DRIVER_LOW: usize = 0x090;
const QUEUE_DRIVER_HIGH: usize = 0x094;
const QUEUE_DEVICE_LOW: usize = 0x0a0;
const QUEUE_DEVICE_HIGH: usize = 0x0a4;
const CONFIG: usize = 0x100;

/// A virtio-mmio v2 register block.
#[derive(Debug)]
pub struct MmioTransport {
    base: usize,
}

impl MmioTransport {
    /// Checks the magic value and version at `base`.
    ///
    /// # Safety
    /// `base` must be the address of a virtio-mmio register block (or of memory that reads
    /// harmlessly), valid for the transport's lifetime.
    pub unsafe fn new(base: usize) -> Result<Self> {
        let t = MmioTransport { base };
        if t.read(MAGIC_VALUE) != MAGIC {
            return Err(Error::NoDevice);
        }
        if t.read(VERSION) != 2 {
            return Err(Error::Device("not virtio-mmio version 2 (legacy device?)"));
        }
        Ok(t)
    }

    /// Scans the platform's slots for the first device with ID `device_id`.
    ///
    /// # Safety
    /// The slots at [`SLOT_BASE`] must be virtio-mmio register blocks (true on QEMU `virt`).
    pub unsafe fn find(device_id: u32) -> Result<Self> {
        // SAFETY: forwarded from the caller.
        unsafe { Self::find_where(device_id, |_| true) }
    }

    /// Like [`find`](Self::find), also requiring `pick(&transport)`.
    ///
    /// # Safety
    /// As for [`find`](Self::find).
    pub unsafe fn find_where(device_id: u32, pick: impl Fn(&Self) -> bool) -> Result<Self> {
        let mut version_error = None;
        for n in 0..SLOT_COUNT {
            // SAFETY: forwarded from the caller.
            match unsafe { Self::new(SLOT_BASE + n * SLOT_STRIDE) } {
                Ok(t) if t.device_id() == device_id && pick(&t) => return Ok(t),
                Ok(_) | Err(Error::NoDevice) => {}
                Err(e) => version_error = Some(e),
            }
        }
        Err(version_error.unwrap_or(Error::NoDevice))
    }

    /// Base address.
    pub fn base(&self) -> usize {
        self.base
    }

    fn read(&self, off: usize) -> u32 {
        // SAFETY: `new`'s contract: a register block at `base`.
        unsafe { read_volatile((self.base + off) as *const u32) }
    }

    fn write(&self, off: usize, v: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile((self.base + off) as *mut u32, v) }
    }
}

impl Transport for MmioTransport {
    fn device_id(&self) -> u32 {
        self.read(DEVICE_ID)
    }

    fn device_features(&self) -> u64 {
        self.write(DEVICE_FEATURES_SEL, 0);
        let lo = self.read(DEVICE_FEATURES) as u64;
        self.write(DEVICE_FEATURES_SEL, 1);
        let hi = self.read(DEVICE_FEATURES) as u64;
        lo | hi << 32
    }

    fn set_driver_features(&self, features: u64) {
        self.write(DRIVER_FEATURES_SEL, 0);
        self.write(DRIVER_FEATURES, features as u32);
        self.write(DRIVER_FEATURES_SEL, 1);
        self.write(DRIVER_FEATURES, (features >> 32) as u32);
    }

    fn status(&self) -> u32 {
        self.read(STATUS)
    }

    fn set_status(&self, status: u32) {
        self.write(STATUS, status)
    }

    fn queue_max(&self, q: u16) -> u32 {
        self.write(QUEUE_SEL, q as u32);
        if self.read(QUEUE_READY) != 0 {
            return 0; // already in use: not ours to set up
        }
        self.read(QUEUE_NUM_MAX)
    }

    fn setup_queue(&self, q: u16, size: u16, desc: u64, avail: u64, used: u64) {
        self.write(QUEUE_SEL, q as u32);
        self.write(QUEUE_NUM, size as u32);
        self.write(QUEUE_DESC_LOW, desc as u32);
        self.write(QUEUE_DESC_HIGH, (desc >> 32) as u32);
        self.write(QUEUE_DRIVER_LOW, avail as u32);
        self.write(QUEUE_DRIVER_HIGH, (avail >> 32) as u32);
        self.write(QUEUE_DEVICE_LOW, used as u32);
        self.write(QUEUE_DEVICE_HIGH, (used >> 32) as u32);
        self.write(QUEUE_READY, 1);
    }

    fn notify(&self, q: u16) {
        self.write(QUEUE_NOTIFY, q as u32)
    }

    fn ack_interrupt(&self) -> u32 {
        let s = self.read(INTERRUPT_STATUS);
        if s != 0 {
            self.write(INTERRUPT_ACK, s);
        }
        s
    }

    fn config_u8(&self, offset: usize) -> u8 {
        // SAFETY: the configuration space follows the registers; byte reads are allowed.
        unsafe { read_volatile((self.base + CONFIG + offset) as *const u8) }
    }
}
