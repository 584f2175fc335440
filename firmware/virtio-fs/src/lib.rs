//! `virtio-fs`: a `no_std` + `alloc` guest driver for virtio-fs (FUSE over virtio), for Strand
//! firmware. See `docs/virtio-fs.md`.
//!
//! ```text
//!  path API      VirtioFs::{open, create, read_dir, stat, mkdir, remove, rename, read_file, ...}
//!                File::{read, write, read_at, write_at, sync_all, set_len, metadata, close}
//!     |
//!  FUSE client   fs.rs: INIT, LOOKUP, GETATTR, ..., FORGET/BATCH_FORGET (hiprio), DESTROY
//!     |          fuse.rs (ABI 7.31), wire.rs (little-endian encode/decode)
//!  virtqueues    queue.rs: split virtqueues (descriptor table, avail ring, used ring), polled
//!     |
//!  Transport     transport::mmio (virtio-mmio v2 registers) | transport::fake (host tests)
//!  Hal           hal.rs: DMA memory, virt->phys, barriers (IdentityHal: heap memory, phys == virt)
//! ```
//!
//! Concurrency: a [`VirtioFs`] is `Sync`; any number of harts may call it at once. Each queue's
//! state sits behind its own spin lock, held only to add a descriptor chain (and notify) and to
//! drain the used ring; in between, a request is in flight with the lock released, so requests
//! from different harts overlap. Completion is polled: each caller drains the used ring into a
//! per-head completion table and waits for its own head.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod error;
pub mod fs;
pub mod fuse;
pub mod hal;
mod lock;
pub mod queue;
pub mod transport;
mod wire;

pub use error::{errno, Error, Result};
pub use fs::{DirEntry, File, FileType, Metadata, VirtioFs};
pub use hal::{Hal, IdentityHal};
pub use transport::mmio::MmioTransport;
pub use transport::Transport;
