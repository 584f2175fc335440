//! Thin-client compositor (Sun Ray style): scripted scenes, damage, tiles, encodings, packets.
//!
//! Pipeline per frame `f` (see `docs/workloads.md`):
//!
//! 1. [`Scene`]: 6-8 scripted surfaces over a desktop (positions, z-order, procedural ARGB content,
//!    motion and raises from a seed); [`Scene::damage`] lists the screen rectangles that changed
//!    since frame `f - 1`.
//! 2. [`Compositor::render`]: updates the surfaces' client buffers, marks the damaged 64x64
//!    tiles ([`TileSet`]) and recomposites only those, bottom to top with exact integer
//!    Porter-Duff OVER ([`pixel::over`]) on premultiplied ARGB8888, skipping every layer below
//!    the topmost surface whose opaque region covers the tile (occlusion culling).
//! 3. [`encode_frame`]: each damaged tile gets the cheapest of solid / palette+RLE / QOI-like /
//!    raw ([`codec`]), packed into packets of at most [`MAX_PACKET_LEN`] bytes ([`packet`]).
//! 4. [`Decoder`]: rebuilds the framebuffer from packets; it must equal
//!    [`composite_full`] (the golden model, per pixel, no tiles or culling) bit for bit.

pub mod codec;
mod compose;
mod geom;
pub mod packet;
pub mod pixel;
mod scene;

pub use codec::{decode_tile, Encoding, TileEncoder};
pub use compose::{composite_full, composite_tile, Compositor, FrameStats};
pub use geom::{FrameSize, Rect, TileSet, TILE_SIZE};
pub use packet::{
    encode_frame, ChunkHeader, DecodeError, Decoder, EncodeStats, EncodedFrame, Packetizer,
    CHUNK_HEADER_LEN, MAX_PACKET_LEN,
};
pub use scene::{Layout, Scene, SceneConfig, SurfaceKind, SurfaceSpec};

#[cfg(test)]
mod tests;
