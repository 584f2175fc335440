//! Packets of at most 1400 bytes carrying tile streams, and the decoder that rebuilds frames.
//!
//! A packet is a sequence of chunks; a chunk is a 16-byte header followed by `len` bytes of one
//! tile's encoded stream (little-endian fields):
//!
//! ```text
//! offset size field
//!      0    4 frame     frame number
//!      4    2 tile_x    tile column
//!      6    2 tile_y    tile row
//!      8    1 encoding  0 raw, 1 solid, 2 palette+RLE, 3 QOI-like
//!      9    1 flags     bit 0: LAST (this chunk ends the tile's stream); other bits 0
//!     10    2 len       payload bytes in this chunk, >= 1
//!     12    4 offset    byte offset of the payload within the tile's stream
//! ```
//!
//! A tile's stream may span several chunks (in several packets); chunks of one tile may arrive
//! in any order. The [`Packetizer`] fills packets greedily in tile order: a stream that fits in
//! the current packet goes there whole; otherwise it is split when at least 256 bytes are free,
//! else the packet is closed first.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::codec::{decode_tile, Encoding, TileDecodeError, TileEncoder};
use super::{FrameSize, TileSet, TILE_SIZE};

/// Largest packet in bytes.
pub const MAX_PACKET_LEN: usize = 1400;
/// Bytes of a chunk header.
pub const CHUNK_HEADER_LEN: usize = 16;
/// Largest tile stream (a raw 64x64 tile).
pub const MAX_TILE_STREAM_LEN: usize = (TILE_SIZE * TILE_SIZE * 4) as usize;
/// Chunk flag: the chunk ends its tile's stream.
pub const FLAG_LAST: u8 = 1;
/// Below this much free space a stream that does not fit closes the packet instead of splitting.
const MIN_SPLIT: usize = 256;

/// A parsed chunk header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    /// Frame number.
    pub frame: u32,
    /// Tile column.
    pub tile_x: u16,
    /// Tile row.
    pub tile_y: u16,
    /// Encoding of the tile's stream.
    pub encoding: Encoding,
    /// [`FLAG_LAST`] or 0.
    pub flags: u8,
    /// Payload bytes.
    pub len: u16,
    /// Offset of the payload in the tile's stream.
    pub offset: u32,
}

impl ChunkHeader {
    /// The 16 header bytes.
    pub fn to_bytes(&self) -> [u8; CHUNK_HEADER_LEN] {
        let mut b = [0u8; CHUNK_HEADER_LEN];
        b[0..4].copy_from_slice(&self.frame.to_le_bytes());
        b[4..6].copy_from_slice(&self.tile_x.to_le_bytes());
        b[6..8].copy_from_slice(&self.tile_y.to_le_bytes());
        b[8] = self.encoding as u8;
        b[9] = self.flags;
        b[10..12].copy_from_slice(&self.len.to_le_bytes());
        b[12..16].copy_from_slice(&self.offset.to_le_bytes());
        b
    }

    /// Parses 16 header bytes.
    pub fn parse(b: &[u8; CHUNK_HEADER_LEN]) -> Result<Self, DecodeError> {
        let encoding = Encoding::from_u8(b[8]).ok_or(DecodeError::BadEncoding(b[8]))?;
        let flags = b[9];
        if flags & !FLAG_LAST != 0 {
            return Err(DecodeError::BadFlags(flags));
        }
        Ok(Self {
            frame: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            tile_x: u16::from_le_bytes([b[4], b[5]]),
            tile_y: u16::from_le_bytes([b[6], b[7]]),
            encoding,
            flags,
            len: u16::from_le_bytes([b[10], b[11]]),
            offset: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
        })
    }
}

/// Packs tile streams into packets.
#[derive(Clone, Debug)]
pub struct Packetizer {
    max_len: usize,
    packets: Vec<Vec<u8>>,
    current: Vec<u8>,
}

impl Default for Packetizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Packetizer {
    /// Packets of at most [`MAX_PACKET_LEN`] bytes.
    pub fn new() -> Self {
        Self::with_max_len(MAX_PACKET_LEN)
    }

    /// Packets of at most `max_len` bytes.
    ///
    /// # Panics
    /// If `max_len` is not in `CHUNK_HEADER_LEN + 1 ..= CHUNK_HEADER_LEN + 65535`.
    pub fn with_max_len(max_len: usize) -> Self {
        assert!(max_len > CHUNK_HEADER_LEN && max_len - CHUNK_HEADER_LEN <= u16::MAX as usize);
        Self {
            max_len,
            packets: Vec::new(),
            current: Vec::with_capacity(max_len),
        }
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            let full = core::mem::replace(&mut self.current, Vec::with_capacity(self.max_len));
            self.packets.push(full);
        }
    }

    /// Adds tile `(tx, ty)`'s stream `data` (non-empty) of frame `frame`.
    pub fn push_tile(&mut self, frame: u32, tx: u16, ty: u16, encoding: Encoding, data: &[u8]) {
        assert!(!data.is_empty(), "empty tile stream");
        let mut off = 0;
        while off < data.len() {
            let free = self.max_len - self.current.len();
            let remaining = data.len() - off;
            let fits = remaining + CHUNK_HEADER_LEN <= free;
            if !fits && (free < MIN_SPLIT.min(self.max_len) || free <= CHUNK_HEADER_LEN) {
                self.flush();
                continue;
            }
            let take = remaining.min(free - CHUNK_HEADER_LEN);
            let last = off + take == data.len();
            let h = ChunkHeader {
                frame,
                tile_x: tx,
                tile_y: ty,
                encoding,
                flags: if last { FLAG_LAST } else { 0 },
                len: take as u16,
                offset: off as u32,
            };
            self.current.extend_from_slice(&h.to_bytes());
            self.current.extend_from_slice(&data[off..off + take]);
            off += take;
        }
    }

    /// Closes the last packet and returns all packets.
    pub fn finish(mut self) -> Vec<Vec<u8>> {
        self.flush();
        self.packets
    }
}

/// Sizes of one encoded frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeStats {
    /// Tiles encoded, per [`Encoding`] id.
    pub tiles: [u32; 4],
    /// Encoded stream bytes (without headers).
    pub payload_bytes: u64,
    /// Packet bytes (with headers).
    pub packet_bytes: u64,
    /// Raw size of the tiles sent (4 bytes per pixel).
    pub raw_bytes: u64,
}

/// Packets and sizes of one frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncodedFrame {
    /// The packets, in send order.
    pub packets: Vec<Vec<u8>>,
    /// Sizes.
    pub stats: EncodeStats,
}

/// Encodes `tiles` of the framebuffer `fb` (frame `frame`, size `size`) in raster order into
/// packets of at most [`MAX_PACKET_LEN`] bytes.
pub fn encode_frame(fb: &[u32], size: FrameSize, frame: u32, tiles: &TileSet) -> EncodedFrame {
    let mut enc = TileEncoder::new();
    let mut pk = Packetizer::new();
    let mut stats = EncodeStats::default();
    let mut px = Vec::with_capacity((TILE_SIZE * TILE_SIZE) as usize);
    let mut stream = Vec::with_capacity(MAX_TILE_STREAM_LEN);
    for (tx, ty) in tiles.iter() {
        let r = size.tile_rect(tx, ty);
        px.clear();
        for y in r.y..r.bottom() {
            let o = y as usize * size.width as usize + r.x as usize;
            px.extend_from_slice(&fb[o..o + r.w as usize]);
        }
        stream.clear();
        let e = enc.encode(&px, &mut stream);
        stats.tiles[e as usize] += 1;
        stats.payload_bytes += stream.len() as u64;
        stats.raw_bytes += 4 * px.len() as u64;
        pk.push_tile(frame, tx as u16, ty as u16, e, &stream);
    }
    let packets = pk.finish();
    stats.packet_bytes = packets.iter().map(|p| p.len() as u64).sum();
    EncodedFrame { packets, stats }
}

/// Why a packet was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The packet is longer than [`MAX_PACKET_LEN`].
    PacketTooLarge(usize),
    /// A chunk header or payload runs past the end of the packet.
    Truncated,
    /// Unknown encoding id.
    BadEncoding(u8),
    /// Unknown flag bits.
    BadFlags(u8),
    /// A chunk with no payload.
    EmptyChunk,
    /// The tile is outside the frame.
    TileOutOfRange {
        /// Tile column.
        tile_x: u16,
        /// Tile row.
        tile_y: u16,
    },
    /// A stream longer than [`MAX_TILE_STREAM_LEN`].
    StreamTooLong,
    /// Chunks of one tile disagree (frame, encoding, length) or overlap.
    InconsistentChunks {
        /// Tile column.
        tile_x: u16,
        /// Tile row.
        tile_y: u16,
    },
    /// A complete stream did not decode.
    Tile {
        /// Tile column.
        tile_x: u16,
        /// Tile row.
        tile_y: u16,
        /// Why.
        error: TileDecodeError,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::PacketTooLarge(n) => write!(f, "packet of {n} bytes"),
            DecodeError::Truncated => f.write_str("chunk runs past the end of the packet"),
            DecodeError::BadEncoding(e) => write!(f, "unknown encoding {e}"),
            DecodeError::BadFlags(b) => write!(f, "unknown flags {b:#x}"),
            DecodeError::EmptyChunk => f.write_str("empty chunk"),
            DecodeError::TileOutOfRange { tile_x, tile_y } => {
                write!(f, "tile ({tile_x}, {tile_y}) outside the frame")
            }
            DecodeError::StreamTooLong => f.write_str("tile stream too long"),
            DecodeError::InconsistentChunks { tile_x, tile_y } => {
                write!(f, "inconsistent chunks for tile ({tile_x}, {tile_y})")
            }
            DecodeError::Tile {
                tile_x,
                tile_y,
                error,
            } => {
                write!(f, "tile ({tile_x}, {tile_y}): {error}")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

#[derive(Clone, Debug)]
struct Pending {
    frame: u32,
    encoding: Encoding,
    data: Vec<u8>,
    /// Received `(offset, len)` ranges.
    have: Vec<(u32, u32)>,
    total: Option<u32>,
}

/// Rebuilds the framebuffer from packets (client side).
#[derive(Clone, Debug)]
pub struct Decoder {
    size: FrameSize,
    fb: Vec<u32>,
    pending: BTreeMap<(u16, u16), Pending>,
    tiles_decoded: u64,
    scratch: Vec<u32>,
}

impl Decoder {
    /// A decoder with a transparent-black framebuffer.
    pub fn new(size: FrameSize) -> Self {
        Self {
            size,
            fb: vec![0; size.pixels()],
            pending: BTreeMap::new(),
            tiles_decoded: 0,
            scratch: vec![0; (TILE_SIZE * TILE_SIZE) as usize],
        }
    }

    /// The framebuffer.
    pub fn framebuffer(&self) -> &[u32] {
        &self.fb
    }

    /// Tiles with chunks received but not yet complete.
    pub fn pending_tiles(&self) -> usize {
        self.pending.len()
    }

    /// Tiles decoded so far.
    pub fn tiles_decoded(&self) -> u64 {
        self.tiles_decoded
    }

    /// Applies one packet: every complete tile stream is decoded into the framebuffer.
    pub fn apply_packet(&mut self, packet: &[u8]) -> Result<(), DecodeError> {
        if packet.len() > MAX_PACKET_LEN {
            return Err(DecodeError::PacketTooLarge(packet.len()));
        }
        let mut pos = 0;
        while pos < packet.len() {
            let hb: &[u8; CHUNK_HEADER_LEN] = packet
                .get(pos..pos + CHUNK_HEADER_LEN)
                .and_then(|s| s.try_into().ok())
                .ok_or(DecodeError::Truncated)?;
            let h = ChunkHeader::parse(hb)?;
            pos += CHUNK_HEADER_LEN;
            let len = h.len as usize;
            let payload = packet.get(pos..pos + len).ok_or(DecodeError::Truncated)?;
            pos += len;
            self.apply_chunk(&h, payload)?;
        }
        Ok(())
    }

    fn apply_chunk(&mut self, h: &ChunkHeader, payload: &[u8]) -> Result<(), DecodeError> {
        let (tile_x, tile_y) = (h.tile_x, h.tile_y);
        if u32::from(tile_x) >= self.size.tiles_x() || u32::from(tile_y) >= self.size.tiles_y() {
            return Err(DecodeError::TileOutOfRange { tile_x, tile_y });
        }
        if payload.is_empty() {
            return Err(DecodeError::EmptyChunk);
        }
        let end = h.offset as usize + payload.len();
        if end > MAX_TILE_STREAM_LEN {
            return Err(DecodeError::StreamTooLong);
        }
        let last = h.flags & FLAG_LAST != 0;
        if h.offset == 0 && last && !self.pending.contains_key(&(tile_x, tile_y)) {
            return self.decode_into_fb(tile_x, tile_y, h.encoding, payload);
        }
        let bad = DecodeError::InconsistentChunks { tile_x, tile_y };
        let p = self
            .pending
            .entry((tile_x, tile_y))
            .or_insert_with(|| Pending {
                frame: h.frame,
                encoding: h.encoding,
                data: Vec::new(),
                have: Vec::new(),
                total: None,
            });
        if p.frame != h.frame || p.encoding != h.encoding {
            return Err(bad);
        }
        let (off, len) = (h.offset, payload.len() as u32);
        if p.have.iter().any(|&(o, l)| off < o + l && o < off + len)
            || p.total.is_some_and(|t| off + len > t)
        {
            return Err(bad);
        }
        if last {
            if p.have.iter().any(|&(o, l)| o + l > off + len) {
                return Err(bad);
            }
            p.total = Some(off + len);
        }
        if p.data.len() < end {
            p.data.resize(end, 0);
        }
        p.data[off as usize..end].copy_from_slice(payload);
        p.have.push((off, len));
        let got: u32 = p.have.iter().map(|&(_, l)| l).sum();
        if p.total == Some(got) {
            let p = self
                .pending
                .remove(&(tile_x, tile_y))
                .expect("pending tile");
            return self.decode_into_fb(tile_x, tile_y, p.encoding, &p.data);
        }
        Ok(())
    }

    fn decode_into_fb(
        &mut self,
        tile_x: u16,
        tile_y: u16,
        encoding: Encoding,
        data: &[u8],
    ) -> Result<(), DecodeError> {
        let r = self.size.tile_rect(u32::from(tile_x), u32::from(tile_y));
        let px = &mut self.scratch[..(r.w * r.h) as usize];
        decode_tile(encoding, data, px).map_err(|error| DecodeError::Tile {
            tile_x,
            tile_y,
            error,
        })?;
        let width = self.size.width as usize;
        for (row, y) in (r.y..r.bottom()).enumerate() {
            let o = y as usize * width + r.x as usize;
            self.fb[o..o + r.w as usize].copy_from_slice(&px[row * r.w as usize..][..r.w as usize]);
        }
        self.tiles_decoded += 1;
        Ok(())
    }
}
