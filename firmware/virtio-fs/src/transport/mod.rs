//! Device transports: how the driver reaches the virtio register file.

#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod mmio;

/// Device status bits (virtio 1.x, 2.1).
#[allow(missing_docs)]
pub mod status {
    pub const ACKNOWLEDGE: u32 = 1;
    pub const DRIVER: u32 = 2;
    pub const DRIVER_OK: u32 = 4;
    pub const FEATURES_OK: u32 = 8;
    pub const DEVICE_NEEDS_RESET: u32 = 64;
    pub const FAILED: u32 = 128;
}

/// `VIRTIO_F_VERSION_1`.
pub const F_VERSION_1: u64 = 1 << 32;

/// A virtio transport (register access). Methods take `&self`: after setup, many harts notify.
pub trait Transport {
    /// Device ID (26 for virtio-fs; 0 for an empty slot).
    fn device_id(&self) -> u32;
    /// The 64 device feature bits.
    fn device_features(&self) -> u64;
    /// Writes the 64 driver feature bits.
    fn set_driver_features(&self, features: u64);
    /// Device status.
    fn status(&self) -> u32;
    /// Writes device status (0 resets the device).
    fn set_status(&self, status: u32);
    /// Maximum size of queue `q` (0: the queue does not exist).
    fn queue_max(&self, q: u16) -> u32;
    /// Sets queue `q`'s size and ring addresses and marks it ready.
    fn setup_queue(&self, q: u16, size: u16, desc: u64, avail: u64, used: u64);
    /// Tells the device that queue `q` has new buffers.
    fn notify(&self, q: u16);
    /// Reads and acknowledges the interrupt status (polling drivers call it to keep it clear).
    fn ack_interrupt(&self) -> u32;
    /// Reads a byte of the device-specific configuration space.
    fn config_u8(&self, offset: usize) -> u8;
}
