//! Rectangles, frame sizes and tile sets.

use alloc::vec;
use alloc::vec::Vec;

/// Tile edge in pixels (tiles are 64x64; the last column/row may be narrower/shorter).
pub const TILE_SIZE: u32 = 64;

/// An axis-aligned rectangle `[x, x + w) x [y, y + h)`; empty when `w <= 0` or `h <= 0`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Rect {
    /// A rectangle.
    #[inline]
    pub const fn new(x: i32, y: i32, w: i32, h: i32) -> Self {
        Self { x, y, w, h }
    }

    /// One past the right edge.
    #[inline]
    pub const fn right(&self) -> i32 {
        self.x + self.w
    }

    /// One past the bottom edge.
    #[inline]
    pub const fn bottom(&self) -> i32 {
        self.y + self.h
    }

    /// `true` when the rectangle has no pixels.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.w <= 0 || self.h <= 0
    }

    /// Number of pixels (0 when empty).
    #[inline]
    pub fn area(&self) -> u64 {
        if self.is_empty() {
            0
        } else {
            self.w as u64 * self.h as u64
        }
    }

    /// The intersection (possibly empty, then `w` or `h` is 0).
    #[inline]
    pub fn intersect(&self, o: &Rect) -> Rect {
        let x = self.x.max(o.x);
        let y = self.y.max(o.y);
        let r = self.right().min(o.right());
        let b = self.bottom().min(o.bottom());
        Rect::new(x, y, (r - x).max(0), (b - y).max(0))
    }

    /// `true` when the rectangles share a pixel.
    #[inline]
    pub fn intersects(&self, o: &Rect) -> bool {
        !self.intersect(o).is_empty()
    }

    /// `true` when every pixel of non-empty `o` is inside `self`.
    #[inline]
    pub fn contains(&self, o: &Rect) -> bool {
        !o.is_empty()
            && o.x >= self.x
            && o.y >= self.y
            && o.right() <= self.right()
            && o.bottom() <= self.bottom()
    }

    /// `true` when `(px, py)` is inside.
    #[inline]
    pub fn contains_point(&self, px: i32, py: i32) -> bool {
        px >= self.x && py >= self.y && px < self.right() && py < self.bottom()
    }

    /// Moved by `(dx, dy)`.
    #[inline]
    pub const fn translate(&self, dx: i32, dy: i32) -> Rect {
        Rect::new(self.x + dx, self.y + dy, self.w, self.h)
    }

    /// Shrunk by `d` on every side.
    #[inline]
    pub const fn inset(&self, d: i32) -> Rect {
        Rect::new(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)
    }
}

/// Frame dimensions in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameSize {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl FrameSize {
    /// 1280x720 (CI).
    pub const HD720: FrameSize = FrameSize {
        width: 1280,
        height: 720,
    };
    /// 1920x1080.
    pub const FHD1080: FrameSize = FrameSize {
        width: 1920,
        height: 1080,
    };

    /// Pixels per frame.
    pub const fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// The whole frame as a rectangle.
    pub const fn rect(&self) -> Rect {
        Rect::new(0, 0, self.width as i32, self.height as i32)
    }

    /// Tile columns (`ceil(width / 64)`).
    pub const fn tiles_x(&self) -> u32 {
        self.width.div_ceil(TILE_SIZE)
    }

    /// Tile rows (`ceil(height / 64)`).
    pub const fn tiles_y(&self) -> u32 {
        self.height.div_ceil(TILE_SIZE)
    }

    /// Screen rectangle of tile `(tx, ty)`, clipped to the frame.
    pub fn tile_rect(&self, tx: u32, ty: u32) -> Rect {
        let x = tx * TILE_SIZE;
        let y = ty * TILE_SIZE;
        Rect::new(
            x as i32,
            y as i32,
            TILE_SIZE.min(self.width - x) as i32,
            TILE_SIZE.min(self.height - y) as i32,
        )
    }
}

/// A set of tiles of one frame size (a bitmap, iterated in raster order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileSet {
    tiles_x: u32,
    tiles_y: u32,
    bits: Vec<u64>,
}

impl TileSet {
    /// No tiles.
    pub fn empty(size: FrameSize) -> Self {
        let n = (size.tiles_x() * size.tiles_y()) as usize;
        Self {
            tiles_x: size.tiles_x(),
            tiles_y: size.tiles_y(),
            bits: vec![0; n.div_ceil(64)],
        }
    }

    /// Every tile.
    pub fn full(size: FrameSize) -> Self {
        let mut s = Self::empty(size);
        for ty in 0..s.tiles_y {
            for tx in 0..s.tiles_x {
                s.insert(tx, ty);
            }
        }
        s
    }

    /// Adds tile `(tx, ty)`.
    #[inline]
    pub fn insert(&mut self, tx: u32, ty: u32) {
        let i = (ty * self.tiles_x + tx) as usize;
        self.bits[i / 64] |= 1 << (i % 64);
    }

    /// `true` when tile `(tx, ty)` is in the set.
    #[inline]
    pub fn contains(&self, tx: u32, ty: u32) -> bool {
        let i = (ty * self.tiles_x + tx) as usize;
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    /// Adds every tile that `r` (screen coordinates, clipped here) touches.
    pub fn insert_rect(&mut self, r: &Rect) {
        let x0 = r.x.max(0);
        let y0 = r.y.max(0);
        let x1 = r.right().min((self.tiles_x * TILE_SIZE) as i32);
        let y1 = r.bottom().min((self.tiles_y * TILE_SIZE) as i32);
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let t = TILE_SIZE as i32;
        for ty in (y0 / t)..=((y1 - 1) / t) {
            for tx in (x0 / t)..=((x1 - 1) / t) {
                self.insert(tx as u32, ty as u32);
            }
        }
    }

    /// Number of tiles in the set.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// `true` when no tile is in the set.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&b| b == 0)
    }

    /// Tiles `(tx, ty)` in raster order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let tx = self.tiles_x;
        (0..self.tiles_x * self.tiles_y)
            .filter(move |&i| self.bits[i as usize / 64] & (1 << (i % 64)) != 0)
            .map(move |i| (i % tx, i / tx))
    }
}
