//! Caches. The simulator keeps data in one functional memory ([`crate::mem`]); caches are tag
//! arrays that decide *when* an access completes (hit or miss), zsim style. L1I/L1D per core,
//! the shared tile L2 per tile.
//!
//! * [`tags`]: set-associative tags with true LRU (and the L2's MSI state per line);
//! * [`tile`]: one tile's L1s and L2, simulated without looking outside the tile;
//! * [`uncore`]: home slices with MSI directories, the NoC's memory-path links, HBM;
//! * [`hierarchy`]: all of it, and the end-of-quantum resolution of the tiles' requests.

pub mod hierarchy;
pub mod tags;
pub mod tile;
pub mod uncore;

pub use tags::Tags;
