//! Per-tile encodings: solid, palette+RLE, QOI-like, raw; the cheapest one wins.
//!
//! A tile is its pixels in raster order (`w * h`, at most 64x64; the decoder knows `w` and `h`
//! from the tile position). All multi-byte fields are little-endian. Layouts:
//!
//! * [`Encoding::Solid`]: one `u32` pixel.
//! * [`Encoding::PaletteRle`]: `n - 1` (`u8`, `n` = 1..=16 colours), `n` `u32` colours (in
//!   order of first appearance), then runs in raster order: a byte `(index << 4) | c`; `c` in
//!   0..=14 is a run of `c + 1`, `c == 15` a run of `16 + v` where `v` is a LEB128 varint that
//!   follows.
//! * [`Encoding::Qoi`]: the QOI operations on channels (r, g, b, a) of the premultiplied pixel,
//!   with QOI's tags and biases (`INDEX 00iiiiii`, `DIFF 01rrggbb` (-2..1), `LUMA 10gggggg` +
//!   `rrrrbbbb` (dg -32..31, dr-dg and db-dg -8..7), `RUN 11rrrrrr` (1..62), `RGB 0xFE r g b`,
//!   `RGBA 0xFF r g b a`), per tile: state reset to prev = opaque black, index of 64 zeros,
//!   `hash = (r*3 + g*5 + b*7 + a*11) % 64`; no header, no end marker. One deviation from QOI:
//!   encoder and decoder both store every pixel (runs included) into the index, so the initial
//!   `prev` enters the index the same way on both sides.
//! * [`Encoding::Raw`]: `w * h` `u32` pixels.
//!
//! Choice: Solid when every pixel is equal; otherwise the smallest of PaletteRle (when <= 16
//! colours), Qoi and Raw, ties going to that order.

use alloc::vec::Vec;
use core::fmt;

/// A tile encoding (the `u8` in chunk headers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Encoding {
    /// Uncompressed pixels.
    Raw = 0,
    /// One colour.
    Solid = 1,
    /// Up to 16 colours, run-length coded indexes.
    PaletteRle = 2,
    /// QOI-like operations.
    Qoi = 3,
}

impl Encoding {
    /// All encodings, by id.
    pub const ALL: [Encoding; 4] = [
        Encoding::Raw,
        Encoding::Solid,
        Encoding::PaletteRle,
        Encoding::Qoi,
    ];

    /// The encoding with id `b`.
    pub fn from_u8(b: u8) -> Option<Self> {
        Self::ALL.get(b as usize).copied()
    }
}

/// Why a tile stream did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileDecodeError {
    /// The stream ended before the tile was complete.
    Truncated,
    /// Bytes were left after the tile was complete.
    TrailingBytes,
    /// A palette index or palette size was invalid.
    BadPalette,
    /// A run went past the end of the tile.
    RunOverflow,
}

impl fmt::Display for TileDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TileDecodeError::Truncated => "tile stream truncated",
            TileDecodeError::TrailingBytes => "bytes after the end of the tile",
            TileDecodeError::BadPalette => "invalid palette",
            TileDecodeError::RunOverflow => "run past the end of the tile",
        })
    }
}

impl core::error::Error for TileDecodeError {}

const QOI_INDEX: u8 = 0x00;
const QOI_DIFF: u8 = 0x40;
const QOI_LUMA: u8 = 0x80;
const QOI_RUN: u8 = 0xC0;
const QOI_RGB: u8 = 0xFE;
const QOI_RGBA: u8 = 0xFF;
const QOI_MASK: u8 = 0xC0;
const QOI_START: u32 = 0xFF00_0000;

#[inline]
fn qoi_hash(px: u32) -> usize {
    let (a, r, g, b) = (px >> 24, (px >> 16) & 0xFF, (px >> 8) & 0xFF, px & 0xFF);
    ((r * 3 + g * 5 + b * 7 + a * 11) % 64) as usize
}

/// Appends the Raw encoding of `px`.
pub fn encode_raw(px: &[u32], out: &mut Vec<u8>) {
    for &p in px {
        out.extend_from_slice(&p.to_le_bytes());
    }
}

/// Appends the palette+RLE encoding of `px`; returns `false` (appending nothing) when `px` has
/// more than 16 colours.
pub fn encode_palette_rle(px: &[u32], out: &mut Vec<u8>) -> bool {
    let mut pal = [0u32; 16];
    let mut n = 0usize;
    for &p in px {
        if !pal[..n].contains(&p) {
            if n == 16 {
                return false;
            }
            pal[n] = p;
            n += 1;
        }
    }
    out.push((n - 1) as u8);
    for &c in &pal[..n] {
        out.extend_from_slice(&c.to_le_bytes());
    }
    let mut i = 0;
    while i < px.len() {
        let p = px[i];
        let mut j = i + 1;
        while j < px.len() && px[j] == p {
            j += 1;
        }
        let idx = pal[..n]
            .iter()
            .position(|&c| c == p)
            .expect("colour in palette") as u8;
        let run = j - i;
        if run <= 15 {
            out.push((idx << 4) | (run - 1) as u8);
        } else {
            out.push((idx << 4) | 15);
            let mut v = (run - 16) as u32;
            loop {
                let byte = (v & 0x7F) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
        }
        i = j;
    }
    true
}

/// Appends the QOI-like encoding of `px`.
pub fn encode_qoi(px: &[u32], out: &mut Vec<u8>) {
    let mut index = [0u32; 64];
    let mut prev = QOI_START;
    let mut run = 0u8;
    for &p in px {
        if p == prev {
            run += 1;
            if run == 62 {
                out.push(QOI_RUN | (run - 1));
                run = 0;
            }
            index[qoi_hash(p)] = p;
            continue;
        }
        if run > 0 {
            out.push(QOI_RUN | (run - 1));
            run = 0;
        }
        let h = qoi_hash(p);
        if index[h] == p {
            out.push(QOI_INDEX | h as u8);
        } else {
            index[h] = p;
            let [b, g, r, a] = p.to_le_bytes();
            let [pb, pg, pr, pa] = prev.to_le_bytes();
            if a == pa {
                let dr = r.wrapping_sub(pr) as i8;
                let dg = g.wrapping_sub(pg) as i8;
                let db = b.wrapping_sub(pb) as i8;
                let dr_dg = dr.wrapping_sub(dg);
                let db_dg = db.wrapping_sub(dg);
                if (-2..=1).contains(&dr) && (-2..=1).contains(&dg) && (-2..=1).contains(&db) {
                    out.push(
                        QOI_DIFF | ((dr + 2) as u8) << 4 | ((dg + 2) as u8) << 2 | (db + 2) as u8,
                    );
                } else if (-32..=31).contains(&dg)
                    && (-8..=7).contains(&dr_dg)
                    && (-8..=7).contains(&db_dg)
                {
                    out.push(QOI_LUMA | (dg + 32) as u8);
                    out.push(((dr_dg + 8) as u8) << 4 | (db_dg + 8) as u8);
                } else {
                    out.extend_from_slice(&[QOI_RGB, r, g, b]);
                }
            } else {
                out.extend_from_slice(&[QOI_RGBA, r, g, b, a]);
            }
        }
        prev = p;
    }
    if run > 0 {
        out.push(QOI_RUN | (run - 1));
    }
}

/// Encodes tiles, reusing scratch buffers.
#[derive(Clone, Debug, Default)]
pub struct TileEncoder {
    palette: Vec<u8>,
    qoi: Vec<u8>,
}

impl TileEncoder {
    /// A new encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the cheapest encoding of the tile `px` (raster order) to `out` and returns which.
    ///
    /// # Panics
    /// If `px` is empty.
    pub fn encode(&mut self, px: &[u32], out: &mut Vec<u8>) -> Encoding {
        assert!(!px.is_empty(), "empty tile");
        let first = px[0];
        if px.iter().all(|&p| p == first) {
            out.extend_from_slice(&first.to_le_bytes());
            return Encoding::Solid;
        }
        self.palette.clear();
        self.qoi.clear();
        let has_palette = encode_palette_rle(px, &mut self.palette);
        encode_qoi(px, &mut self.qoi);
        let raw = px.len() * 4;
        if has_palette && self.palette.len() <= self.qoi.len() && self.palette.len() <= raw {
            out.extend_from_slice(&self.palette);
            Encoding::PaletteRle
        } else if self.qoi.len() <= raw {
            out.extend_from_slice(&self.qoi);
            Encoding::Qoi
        } else {
            encode_raw(px, out);
            Encoding::Raw
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    #[inline]
    fn u8(&mut self) -> Result<u8, TileDecodeError> {
        let b = *self.data.get(self.pos).ok_or(TileDecodeError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn u32(&mut self) -> Result<u32, TileDecodeError> {
        let b = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or(TileDecodeError::Truncated)?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn finish(&self) -> Result<(), TileDecodeError> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(TileDecodeError::TrailingBytes)
        }
    }
}

/// Decodes a tile stream of encoding `enc` into `out` (exactly `w * h` pixels, raster order).
pub fn decode_tile(enc: Encoding, data: &[u8], out: &mut [u32]) -> Result<(), TileDecodeError> {
    let mut rd = Reader { data, pos: 0 };
    let n = out.len();
    match enc {
        Encoding::Raw => {
            for p in out.iter_mut() {
                *p = rd.u32()?;
            }
        }
        Encoding::Solid => {
            let c = rd.u32()?;
            out.fill(c);
        }
        Encoding::PaletteRle => {
            let count = rd.u8()? as usize + 1;
            if count > 16 {
                return Err(TileDecodeError::BadPalette);
            }
            let mut pal = [0u32; 16];
            for c in pal.iter_mut().take(count) {
                *c = rd.u32()?;
            }
            let mut i = 0;
            while i < n {
                let b = rd.u8()?;
                let idx = (b >> 4) as usize;
                if idx >= count {
                    return Err(TileDecodeError::BadPalette);
                }
                let run = if b & 15 < 15 {
                    (b & 15) as usize + 1
                } else {
                    let (mut v, mut shift) = (0usize, 0);
                    loop {
                        let byte = rd.u8()?;
                        if shift > 21 {
                            return Err(TileDecodeError::RunOverflow);
                        }
                        v |= ((byte & 0x7F) as usize) << shift;
                        shift += 7;
                        if byte & 0x80 == 0 {
                            break;
                        }
                    }
                    16 + v
                };
                if run > n - i {
                    return Err(TileDecodeError::RunOverflow);
                }
                out[i..i + run].fill(pal[idx]);
                i += run;
            }
        }
        Encoding::Qoi => {
            let mut index = [0u32; 64];
            let mut px = QOI_START;
            let mut i = 0;
            while i < n {
                let b1 = rd.u8()?;
                let mut run = 1;
                if b1 == QOI_RGB {
                    let (r, g, b) = (rd.u8()?, rd.u8()?, rd.u8()?);
                    px = u32::from_le_bytes([b, g, r, (px >> 24) as u8]);
                } else if b1 == QOI_RGBA {
                    let (r, g, b, a) = (rd.u8()?, rd.u8()?, rd.u8()?, rd.u8()?);
                    px = u32::from_le_bytes([b, g, r, a]);
                } else {
                    match b1 & QOI_MASK {
                        QOI_INDEX => px = index[(b1 & 0x3F) as usize],
                        QOI_DIFF => {
                            let [b, g, r, a] = px.to_le_bytes();
                            let r = r.wrapping_add(((b1 >> 4) & 3).wrapping_sub(2));
                            let g = g.wrapping_add(((b1 >> 2) & 3).wrapping_sub(2));
                            let b = b.wrapping_add((b1 & 3).wrapping_sub(2));
                            px = u32::from_le_bytes([b, g, r, a]);
                        }
                        QOI_LUMA => {
                            let b2 = rd.u8()?;
                            let dg = (b1 & 0x3F).wrapping_sub(32);
                            let [b, g, r, a] = px.to_le_bytes();
                            let r = r.wrapping_add(dg.wrapping_add((b2 >> 4).wrapping_sub(8)));
                            let g = g.wrapping_add(dg);
                            let b = b.wrapping_add(dg.wrapping_add((b2 & 15).wrapping_sub(8)));
                            px = u32::from_le_bytes([b, g, r, a]);
                        }
                        _ => run = (b1 & 0x3F) as usize + 1,
                    }
                }
                if run > n - i {
                    return Err(TileDecodeError::RunOverflow);
                }
                out[i..i + run].fill(px);
                index[qoi_hash(px)] = px;
                i += run;
            }
        }
    }
    rd.finish()
}
