//! Caches. The simulator keeps data in one functional memory ([`crate::mem`]); caches are tag
//! arrays that decide *when* an access completes (hit or miss), zsim style. L1I/L1D per core,
//! the shared tile L2 per tile.
//!
//! Step 1 of the memory hierarchy (this file): tags with true LRU and fixed hit/miss latencies;
//! coherence messages (directory, invalidations, sharer bits) and NoC/HBM contention come next.

pub mod hierarchy;
pub mod tags;

pub use tags::Tags;
