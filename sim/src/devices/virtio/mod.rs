//! virtio-fs over virtio-mmio v2, served by `fuse-backend-rs`'s passthrough of one host directory.
//!
//! ```text
//!  hart store QueueNotify ─► VirtioFs::write ─► pop chains (virtio-queue, over DramMemory)
//!                                            ─► fuse-backend-rs Server<PassthroughFs>
//!                                            ─► reply into the writable descriptors, used ring
//! ```
//!
//! * Register file: virtio-mmio **version 2**, device ID 26, vendor "STRD"; the only feature
//!   offered is `VERSION_1`; configuration = `tag[36]` + `num_request_queues` (u32).
//! * Queue 0 is hiprio (FORGET, BATCH_FORGET, INTERRUPT; used length 0), queues
//!   `1..=REQUEST_QUEUES` carry requests.
//! * Requests are served **synchronously inside the store to QueueNotify**: by the time the
//!   notifying hart's next instruction runs, every available chain of that queue is in the used
//!   ring. The modelled service latency is therefore 0 cycles (the notifying store costs what any
//!   MMIO store costs); the driver polls the used ring, so no interrupt is raised for
//!   completions (InterruptStatus bit 0 is still set, and bit 1 on DEVICE_NEEDS_RESET).
//! * The guest is untrusted. Descriptor addresses are checked against DRAM by
//!   [`memory::DramMemory`]; loops, bad indirect tables and a bad avail index are caught by
//!   `virtio-queue` (chain ends / queue stops); an unusable chain is returned with used length 0;
//!   a queue whose rings are not in DRAM, a used-ring write that fails, or a panic inside the
//!   FUSE server sets DEVICE_NEEDS_RESET and the device ignores notifies until reset. Names are
//!   validated by the passthrough (`..`, `.`, `/` give EINVAL) and every lookup is an
//!   `openat(parent_fd, name, O_PATH | O_NOFOLLOW)`, so symlinks are never followed out.

pub mod memory;

use fuse_backend_rs::api::server::Server;
use fuse_backend_rs::passthrough::{CachePolicy, Config, PassthroughFs};
use fuse_backend_rs::transport::{Reader, VirtioFsWriter, Writer};
use memory::DramMemory;
use std::io::{Read, Write};
use std::path::Path;
use virtio_queue::{Queue, QueueT};

/// Device ID of virtio-fs.
pub const DEVICE_ID_FS: u32 = 26;
/// Magic value "virt".
pub const MAGIC: u32 = 0x7472_6976;
/// Vendor ID ("STRD").
pub const VENDOR_ID: u32 = 0x4452_5453;
/// `VIRTIO_F_VERSION_1`.
pub const F_VERSION_1: u64 = 1 << 32;
/// Number of request queues offered (plus the hiprio queue 0).
pub const REQUEST_QUEUES: u32 = 2;
/// QueueNumMax of every queue.
pub const QUEUE_MAX: u16 = 256;
/// FUSE_DESTROY opcode.
const FUSE_DESTROY: u32 = 38;
/// FUSE_INIT opcode.
const FUSE_INIT: u32 = 26;
/// FUSE_LOOKUP opcode.
const FUSE_LOOKUP: u32 = 1;
/// Default share tag.
pub const DEFAULT_TAG: &str = "hostshare";

/// Device status bits.
pub mod status {
    /// ACKNOWLEDGE.
    pub const ACKNOWLEDGE: u32 = 1;
    /// DRIVER.
    pub const DRIVER: u32 = 2;
    /// DRIVER_OK.
    pub const DRIVER_OK: u32 = 4;
    /// FEATURES_OK.
    pub const FEATURES_OK: u32 = 8;
    /// DEVICE_NEEDS_RESET.
    pub const NEEDS_RESET: u32 = 0x40;
    /// FAILED.
    pub const FAILED: u32 = 0x80;
}

/// Register offsets (virtio-mmio v2).
#[allow(missing_docs)]
pub mod reg {
    pub const MAGIC: u64 = 0x000;
    pub const VERSION: u64 = 0x004;
    pub const DEVICE_ID: u64 = 0x008;
    pub const VENDOR_ID: u64 = 0x00c;
    pub const DEVICE_FEATURES: u64 = 0x010;
    pub const DEVICE_FEATURES_SEL: u64 = 0x014;
    pub const DRIVER_FEATURES: u64 = 0x020;
    pub const DRIVER_FEATURES_SEL: u64 = 0x024;
    pub const QUEUE_SEL: u64 = 0x030;
    pub const QUEUE_NUM_MAX: u64 = 0x034;
    pub const QUEUE_NUM: u64 = 0x038;
    pub const QUEUE_READY: u64 = 0x044;
    pub const QUEUE_NOTIFY: u64 = 0x050;
    pub const INTERRUPT_STATUS: u64 = 0x060;
    pub const INTERRUPT_ACK: u64 = 0x064;
    pub const STATUS: u64 = 0x070;
    pub const QUEUE_DESC_LOW: u64 = 0x080;
    pub const QUEUE_DESC_HIGH: u64 = 0x084;
    pub const QUEUE_DRIVER_LOW: u64 = 0x090;
    pub const QUEUE_DRIVER_HIGH: u64 = 0x094;
    pub const QUEUE_DEVICE_LOW: u64 = 0x0a0;
    pub const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
    pub const CONFIG_GENERATION: u64 = 0x0fc;
    pub const CONFIG: u64 = 0x100;
}

/// Counters of the device's work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VirtioFsStats {
    /// Chains completed (all queues).
    pub chains: u64,
    /// Chains returned with used length 0 because they were unusable or the server failed.
    pub bad_chains: u64,
    /// Times the device entered DEVICE_NEEDS_RESET.
    pub resets_needed: u64,
}

/// The virtio-fs device: register file + queues + FUSE server.
pub struct VirtioFs {
    server: Server<PassthroughFs>,
    config: [u8; 40],
    status: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    queue_sel: u32,
    queues: Vec<Queue>,
    interrupt_status: u32,
    destroyed: bool,
    /// Work counters.
    pub stats: VirtioFsStats,
}

/// Errors while attaching a share.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// The tag is empty or longer than 36 bytes.
    #[error("virtio-fs tag {0:?} must be 1 to 36 bytes")]
    Tag(String),
    /// The directory cannot be served.
    #[error("cannot share {dir}: {err}")]
    Dir {
        /// The directory.
        dir: String,
        /// Why.
        err: std::io::Error,
    },
}

impl VirtioFs {
    /// A device serving host directory `dir` under `tag`.
    pub fn new(dir: &Path, tag: &str) -> Result<VirtioFs, ShareError> {
        if tag.is_empty() || tag.len() > 36 {
            return Err(ShareError::Tag(tag.into()));
        }
        let dir_err = |err| ShareError::Dir {
            dir: dir.display().to_string(),
            err,
        };
        let root = std::fs::canonicalize(dir).map_err(dir_err)?;
        if !root.is_dir() {
            return Err(dir_err(std::io::Error::from_raw_os_error(libc::ENOTDIR)));
        }
        let cfg = Config {
            root_dir: root.to_string_lossy().into_owned(),
            cache_policy: CachePolicy::Never,
            writeback: false,
            xattr: false,
            do_import: true,
            ..Default::default()
        };
        let fs = PassthroughFs::<()>::new(cfg).map_err(dir_err)?;
        fs.import().map_err(dir_err)?;
        let mut config = [0u8; 40];
        config[..tag.len()].copy_from_slice(tag.as_bytes());
        config[36..40].copy_from_slice(&REQUEST_QUEUES.to_le_bytes());
        let queues = (0..=REQUEST_QUEUES)
            .map(|_| Queue::new(QUEUE_MAX).expect("QUEUE_MAX is a power of two"))
            .collect();
        Ok(VirtioFs {
            server: Server::new(fs),
            config,
            status: 0,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            queue_sel: 0,
            queues,
            interrupt_status: 0,
            destroyed: false,
            stats: VirtioFsStats::default(),
        })
    }

    fn reset(&mut self) {
        self.status = 0;
        self.device_features_sel = 0;
        self.driver_features_sel = 0;
        self.driver_features = 0;
        self.queue_sel = 0;
        self.interrupt_status = 0;
        for q in &mut self.queues {
            q.reset();
        }
    }

    fn needs_reset(&mut self) {
        if self.status & status::NEEDS_RESET == 0 {
            self.stats.resets_needed += 1;
        }
        self.status |= status::NEEDS_RESET;
        self.interrupt_status |= 2;
    }

    fn queue(&mut self) -> Option<&mut Queue> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    /// Load of `size` bytes at offset `off` in the register window.
    pub fn read(&self, off: u64, size: u8) -> u64 {
        if off >= reg::CONFIG {
            let c = (off - reg::CONFIG) as usize;
            let mut v = 0u64;
            for i in 0..size as usize {
                let b = self.config.get(c + i).copied().unwrap_or(0);
                v |= u64::from(b) << (8 * i);
            }
            return v;
        }
        let q = self.queues.get(self.queue_sel as usize);
        let v: u32 = match off {
            reg::MAGIC => MAGIC,
            reg::VERSION => 2,
            reg::DEVICE_ID => DEVICE_ID_FS,
            reg::VENDOR_ID => VENDOR_ID,
            reg::DEVICE_FEATURES => match self.device_features_sel {
                0 => F_VERSION_1 as u32,
                1 => (F_VERSION_1 >> 32) as u32,
                _ => 0,
            },
            reg::QUEUE_NUM_MAX => q.map_or(0, |_| u32::from(QUEUE_MAX)),
            reg::QUEUE_NUM => q.map_or(0, |q| u32::from(q.size())),
            reg::QUEUE_READY => q.map_or(0, |q| u32::from(q.ready())),
            reg::QUEUE_DESC_LOW => q.map_or(0, |q| q.desc_table() as u32),
            reg::QUEUE_DESC_HIGH => q.map_or(0, |q| (q.desc_table() >> 32) as u32),
            reg::QUEUE_DRIVER_LOW => q.map_or(0, |q| q.avail_ring() as u32),
            reg::QUEUE_DRIVER_HIGH => q.map_or(0, |q| (q.avail_ring() >> 32) as u32),
            reg::QUEUE_DEVICE_LOW => q.map_or(0, |q| q.used_ring() as u32),
            reg::QUEUE_DEVICE_HIGH => q.map_or(0, |q| (q.used_ring() >> 32) as u32),
            reg::INTERRUPT_STATUS => self.interrupt_status,
            reg::STATUS => self.status,
            reg::CONFIG_GENERATION => 0,
            _ => 0,
        };
        u64::from(v)
    }

    /// Store to offset `off`; a QueueNotify serves the queue over `dram` (guest address
    /// `dram_base`).
    pub fn write(&mut self, off: u64, _size: u8, val: u64, dram: &mut [u8], dram_base: u64) {
        let v = val as u32;
        // Queue configuration may change only while the driver has not set DRIVER_OK.
        let configurable = self.status & status::DRIVER_OK == 0;
        match off {
            reg::DEVICE_FEATURES_SEL => self.device_features_sel = v,
            reg::DRIVER_FEATURES_SEL => self.driver_features_sel = v,
            reg::DRIVER_FEATURES if self.status & status::FEATURES_OK == 0 => {
                match self.driver_features_sel {
                    0 => {
                        self.driver_features = (self.driver_features & !0xffff_ffff) | u64::from(v)
                    }
                    1 => {
                        self.driver_features =
                            (self.driver_features & 0xffff_ffff) | (u64::from(v) << 32)
                    }
                    _ => {}
                }
            }
            reg::QUEUE_SEL => self.queue_sel = v,
            reg::QUEUE_NUM if configurable => {
                if let Some(q) = self.queue() {
                    q.set_size(v.min(u32::from(u16::MAX)) as u16);
                }
            }
            reg::QUEUE_READY if configurable => {
                if let Some(q) = self.queue() {
                    q.set_ready(v & 1 == 1);
                }
            }
            reg::QUEUE_DESC_LOW if configurable => {
                if let Some(q) = self.queue() {
                    q.set_desc_table_address(Some(v), None);
                }
            }
            reg::QUEUE_DESC_HIGH if configurable => {
                if let Some(q) = self.queue() {
                    q.set_desc_table_address(None, Some(v));
                }
            }
            reg::QUEUE_DRIVER_LOW if configurable => {
                if let Some(q) = self.queue() {
                    q.set_avail_ring_address(Some(v), None);
                }
            }
            reg::QUEUE_DRIVER_HIGH if configurable => {
                if let Some(q) = self.queue() {
                    q.set_avail_ring_address(None, Some(v));
                }
            }
            reg::QUEUE_DEVICE_LOW if configurable => {
                if let Some(q) = self.queue() {
                    q.set_used_ring_address(Some(v), None);
                }
            }
            reg::QUEUE_DEVICE_HIGH if configurable => {
                if let Some(q) = self.queue() {
                    q.set_used_ring_address(None, Some(v));
                }
            }
            reg::INTERRUPT_ACK => self.interrupt_status &= !v,
            reg::STATUS => {
                if v == 0 {
                    self.reset();
                } else {
                    let mut v = v & !status::NEEDS_RESET;
                    if v & status::FEATURES_OK != 0 && self.status & status::FEATURES_OK == 0 {
                        // Accept only subsets of what we offer that include VERSION_1.
                        let ok = self.driver_features & !F_VERSION_1 == 0
                            && self.driver_features & F_VERSION_1 != 0;
                        if !ok {
                            v &= !status::FEATURES_OK;
                        }
                    }
                    self.status = v | (self.status & status::NEEDS_RESET);
                }
            }
            reg::QUEUE_NOTIFY => self.notify(v, dram, dram_base),
            _ => {} // read-only or unknown: ignored
        }
    }

    /// Serve every available chain of queue `qi`.
    pub fn notify(&mut self, qi: u32, dram: &mut [u8], dram_base: u64) {
        const LIVE: u32 = status::DRIVER_OK | status::FEATURES_OK;
        if self.status & LIVE != LIVE || self.status & (status::NEEDS_RESET | status::FAILED) != 0 {
            return;
        }
        let Some(queue) = self.queues.get_mut(qi as usize) else {
            return;
        };
        if !queue.ready() {
            return;
        }
        let mem = DramMemory::new(dram, dram_base);
        if !queue.is_valid(&mem) {
            self.needs_reset();
            return;
        }
        let mut served = 0u32;
        let mut fatal = false;
        // At most one queue's worth per notify: a guest that keeps moving avail idx cannot
        // keep the host here (the next notify serves the rest).
        while served < u32::from(queue.size()) {
            let Some(chain) = queue.pop_descriptor_chain(&mem) else {
                break;
            };
            served += 1;
            let head = chain.head_index();
            let server = &self.server;
            let destroyed = &mut self.destroyed;
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut peek = Reader::from_descriptor_chain(&mem, chain.clone()).ok()?;
                let hdr: [u8; 16] = peek.read_obj().ok()?;
                let opcode = u32::from_le_bytes(hdr[4..8].try_into().ok()?);
                let reply = |error: i32| -> Option<usize> {
                    let mut out = [0u8; 16];
                    out[0] = 16;
                    out[4..8].copy_from_slice(&error.to_le_bytes());
                    out[8..16].copy_from_slice(&hdr[8..16]);
                    let mut w = VirtioFsWriter::new(&mem, chain.clone()).ok()?;
                    w.write_all(&out).ok()?;
                    Some(16)
                };
                // After DESTROY only INIT is valid (as with virtiofsd): EIO.
                if *destroyed && qi != 0 && opcode != FUSE_INIT {
                    return reply(-libc::EIO);
                }
                // The passthrough validates names of every opcode but LOOKUP (which it lets
                // through for NFS export), and its lookup is a plain `openat(parent, name)`:
                // refuse `.`, `..`, `/` and empty names here.
                if opcode == FUSE_LOOKUP && qi != 0 {
                    let mut rest = [0u8; 24]; // rest of fuse_in_header
                    peek.read_exact(&mut rest).ok()?;
                    let n = peek.available_bytes().min(4096);
                    let mut name = vec![0u8; n];
                    peek.read_exact(&mut name).ok()?;
                    let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
                    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
                        return reply(-libc::EINVAL);
                    }
                }
                let reader = Reader::from_descriptor_chain(&mem, chain.clone()).ok()?;
                let writer = VirtioFsWriter::new(&mem, chain.clone()).ok()?;
                let n = server
                    .handle_message(reader, Writer::VirtioFs(writer), None, None)
                    .ok()?;
                match opcode {
                    FUSE_INIT => *destroyed = false,
                    // fuse-backend-rs sends no reply to DESTROY; Linux (and virtiofsd, and our
                    // driver) expect an empty one.
                    FUSE_DESTROY if qi != 0 => {
                        *destroyed = true;
                        if n == 0 {
                            return reply(0);
                        }
                    }
                    _ => {}
                }
                Some(n)
            }));
            let used = match result {
                Ok(Some(n)) if qi != 0 => n as u32,
                Ok(Some(_)) => 0,
                Ok(None) => {
                    self.stats.bad_chains += 1;
                    0
                }
                Err(_) => {
                    self.stats.bad_chains += 1;
                    fatal = true;
                    0
                }
            };
            if queue.add_used(&mem, head, used).is_err() {
                fatal = true;
            }
            self.stats.chains += 1;
            if fatal {
                break;
            }
        }
        if served > 0 {
            self.interrupt_status |= 1;
        }
        if fatal {
            self.needs_reset();
        }
    }
}

#[cfg(test)]
mod tests;
