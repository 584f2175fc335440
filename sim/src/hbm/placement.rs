//! Where the memory controllers sit: on the mesh's edge tiles, spread evenly around the ring.
//!
//! The edge tiles are listed clockwise from the top-left corner (tile `y * x_dim + x`, row 0 at
//! the top, as in the NoC): the top row left to right, the right column top to bottom, the bottom
//! row right to left, the left column bottom to top. A 1-wide or 1-tall mesh is all edge: its
//! tiles in id order. With `E` edge tiles and `C` channels,
//!
//! ```text
//!   controller_tile(c) = ring[floor(c * E / C)]
//! ```
//!
//! so consecutive channels sit on the same or neighbouring tiles, every edge tile holds
//! `floor(C / E)` or `ceil(C / E)` controllers when `C >= E`, and `C < E` controllers are spaced
//! `E / C` ring positions apart. Example, 4x2 mesh (u280), 32 channels: ring = 0 1 2 3 7 6 5 4,
//! channels 0-3 on tile 0, 4-7 on tile 1, ... 28-31 on tile 4.

use strand_hw::ChipConfig;

/// The mesh's edge tiles in ring order (see the module docs), for an `x` by `y` mesh.
pub fn edge_tiles(x: u32, y: u32) -> Vec<u32> {
    if x == 0 || y == 0 {
        return Vec::new();
    }
    if x == 1 || y == 1 {
        return (0..x * y).collect();
    }
    let id = |tx: u32, ty: u32| ty * x + tx;
    let mut ring = Vec::with_capacity((2 * (x + y) - 4) as usize);
    ring.extend((0..x).map(|tx| id(tx, 0)));
    ring.extend((1..y).map(|ty| id(x - 1, ty)));
    ring.extend((0..x - 1).rev().map(|tx| id(tx, y - 1)));
    ring.extend((1..y - 1).rev().map(|ty| id(0, ty)));
    ring
}

/// The tile whose mesh node holds the memory controller of `channel` (`channel <
/// memory.hbm_channels`).
///
/// # Panics
/// If `channel` is out of range.
pub fn controller_tile(channel: u32, cfg: &ChipConfig) -> u32 {
    let channels = cfg.memory.hbm_channels;
    assert!(
        channel < channels,
        "channel {channel} out of range (memory.hbm_channels = {channels})"
    );
    controller_tiles(channels, cfg.mesh.x, cfg.mesh.y)[channel as usize]
}

/// The controller tile of every one of `channels` channels on an `x` by `y` mesh.
pub fn controller_tiles(channels: u32, x: u32, y: u32) -> Vec<u32> {
    let ring = edge_tiles(x, y);
    let e = ring.len() as u64;
    (0..u64::from(channels))
        .map(|c| ring[(c * e / u64::from(channels)) as usize])
        .collect()
}
