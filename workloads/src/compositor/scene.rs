//! Scripted scenes: surfaces, motion, z-order, procedural content and damage.

use alloc::vec;
use alloc::vec::Vec;

use super::pixel::{argb, div255, premultiply};
use super::{FrameSize, Rect};
use crate::rng::{derive_seed, mix64, Rng, SplitMix64, Xoshiro256, GOLDEN_GAMMA};

/// What a surface shows. Every kind is a pure function of (spec, frame, local x, local y).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SurfaceKind {
    /// Full-screen opaque background gradient (surface 0, always at the bottom, static).
    Desktop,
    /// Opaque animated pattern; the whole surface changes every frame.
    Video,
    /// Opaque terminal: glyph text in 4 colours typed at `speed` cells per frame; it fills,
    /// stays full for a while, then clears.
    Terminal,
    /// Window with a 6-pixel alpha-ramped shadow edge, title bar and static glyph text inside.
    Document,
    /// Opaque static gradient picture with a disc.
    Image,
    /// Translucent bar (a taskbar) with opaque icons.
    Panel,
    /// Small translucent notification with a line of opaque glyph text.
    Overlay,
}

/// Width of a [`SurfaceKind::Document`]'s alpha edge.
pub const DOCUMENT_EDGE: i32 = 6;

/// One scripted surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SurfaceSpec {
    /// Content kind.
    pub kind: SurfaceKind,
    /// Width in pixels.
    pub w: i32,
    /// Height in pixels.
    pub h: i32,
    /// Left edge at frame 0.
    pub x0: i32,
    /// Top edge at frame 0.
    pub y0: i32,
    /// Horizontal motion in pixels per frame (bouncing, see [`Scene::rect`]).
    pub vx: i32,
    /// Vertical motion in pixels per frame.
    pub vy: i32,
    /// Base colour `0x00RRGGBB` (straight alpha).
    pub color: u32,
    /// Background alpha of translucent kinds (Panel, Overlay); 255 otherwise.
    pub alpha: u32,
    /// Terminal: cells typed per frame; cells already typed at frame 0 in `start`.
    pub speed: u32,
    /// Terminal: cells typed at frame 0.
    pub start: u32,
    /// Seed of the content (text, pattern).
    pub seed: u64,
}

impl SurfaceSpec {
    /// The region (local coordinates) whose pixels are always opaque, if any.
    pub fn opaque_local(&self) -> Option<Rect> {
        let full = Rect::new(0, 0, self.w, self.h);
        match self.kind {
            SurfaceKind::Desktop
            | SurfaceKind::Video
            | SurfaceKind::Terminal
            | SurfaceKind::Image => Some(full),
            SurfaceKind::Document => Some(full.inset(DOCUMENT_EDGE)).filter(|r| !r.is_empty()),
            SurfaceKind::Panel | SurfaceKind::Overlay => None,
        }
    }

    fn term_cols(&self) -> u32 {
        (self.w / 8) as u32
    }

    fn term_capacity(&self) -> u32 {
        self.term_cols() * (self.h / 16) as u32
    }

    /// Terminal cells visible at `frame`: `min(cap, (start + frame * speed) mod (cap + cap/4))`.
    fn typed(&self, frame: u32) -> u32 {
        let cap = self.term_capacity();
        if cap == 0 {
            return 0;
        }
        let cycle = u64::from(cap + cap / 4);
        let t = (u64::from(self.start) + u64::from(frame) * u64::from(self.speed)) % cycle;
        (t as u32).min(cap)
    }
}

/// Scene parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SceneConfig {
    /// Frame size.
    pub size: FrameSize,
    /// Surfaces above the desktop, 6..=8.
    pub surfaces: u32,
    /// Every `raise_period` frames one surface is raised to the top (0: never).
    pub raise_period: u32,
    /// Seed of the script.
    pub seed: u64,
}

impl SceneConfig {
    /// `size`, 6-8 surfaces (from the seed), a raise every 5 frames.
    pub fn new(size: FrameSize, seed: u64) -> Self {
        let surfaces = 6 + (mix64(derive_seed(seed, TAG_COUNT)) % 3) as u32;
        Self {
            size,
            surfaces,
            raise_period: 5,
            seed,
        }
    }
}

const TAG_COUNT: u64 = 0x5343_4E43_4F55_4E54; // "SCNCOUNT"
const TAG_SCENE: u64 = 0x5343_4E47_454E_4552; // "SCNGENER"
const TAG_RAISE: u64 = 0x5343_4E52_4149_5345; // "SCNRAISE"
const FONT_SEED: u64 = 0x466F_6E74_5374_726E; // "FontStrn"

/// Stacking and placement of every surface at one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Surface indices bottom to top (`order[0] == 0`, the desktop).
    pub order: Vec<usize>,
    /// Screen rectangle of each surface (indexed by surface).
    pub rects: Vec<Rect>,
}

/// A scripted scene: surface 0 is the desktop, then 6-8 surfaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scene {
    /// Frame size.
    pub size: FrameSize,
    /// The surfaces; index 0 is the desktop.
    pub surfaces: Vec<SurfaceSpec>,
    /// Stacking at frame 0, bottom to top.
    pub base_order: Vec<usize>,
    /// See [`SceneConfig::raise_period`].
    pub raise_period: u32,
    /// The script seed.
    pub seed: u64,
}

/// `p0` moving `v` per frame, bouncing between `lo` and `hi` (a triangle wave).
fn bounce(p0: i32, v: i32, frame: u32, lo: i32, hi: i32) -> i32 {
    if v == 0 || hi <= lo {
        return p0;
    }
    let span = i64::from(hi - lo);
    let period = 2 * span;
    let t = (i64::from(p0 - lo) + i64::from(v) * i64::from(frame)).rem_euclid(period);
    lo + (if t <= span { t } else { period - t }) as i32
}

impl Scene {
    /// Generates the script of `config` with `Xoshiro256::from_stream(seed, "SCNGENER")`.
    ///
    /// Always a Video, a Terminal, a Document, a Panel and an Overlay, plus 1-3 more from
    /// {Document, Image, Terminal, Image}; stacking shuffled (the Panel starts on top). The
    /// Overlay and at least one more surface move; the Panel (a bottom taskbar) never does.
    ///
    /// # Panics
    /// If `config.surfaces` is not in 6..=8 or the frame is smaller than 320x240.
    pub fn generate(config: &SceneConfig) -> Self {
        assert!(
            (6..=8).contains(&config.surfaces),
            "scenes have 6..=8 surfaces"
        );
        let size = config.size;
        assert!(size.width >= 320 && size.height >= 240, "frame too small");
        let (fw, fh) = (size.width as i32, size.height as i32);
        let mut rng = Xoshiro256::from_stream(config.seed, TAG_SCENE);

        let mut kinds = vec![
            SurfaceKind::Video,
            SurfaceKind::Terminal,
            SurfaceKind::Document,
            SurfaceKind::Overlay,
        ];
        let extra = [
            SurfaceKind::Document,
            SurfaceKind::Image,
            SurfaceKind::Terminal,
            SurfaceKind::Image,
        ];
        for _ in 0..config.surfaces - 5 {
            kinds.push(extra[rng.below(extra.len() as u64) as usize]);
        }
        kinds.push(SurfaceKind::Panel);

        let mut surfaces = vec![SurfaceSpec {
            kind: SurfaceKind::Desktop,
            w: fw,
            h: fh,
            x0: 0,
            y0: 0,
            vx: 0,
            vy: 0,
            color: 0x0020_4080,
            alpha: 255,
            speed: 0,
            start: 0,
            seed: rng.next_u64(),
        }];
        let pct = |rng: &mut Xoshiro256, total: i32, lo: i32, hi: i32| {
            total * rng.range_i32(lo, hi) / 100
        };
        let mut movers = 0;
        for &kind in &kinds {
            let (w, h) = match kind {
                SurfaceKind::Video => {
                    let w = pct(&mut rng, fw, 25, 40);
                    (w, w * 9 / 16)
                }
                SurfaceKind::Terminal => (pct(&mut rng, fw, 30, 45), pct(&mut rng, fh, 35, 55)),
                SurfaceKind::Document => (pct(&mut rng, fw, 25, 40), pct(&mut rng, fh, 45, 75)),
                SurfaceKind::Image => (pct(&mut rng, fw, 15, 30), pct(&mut rng, fh, 20, 35)),
                SurfaceKind::Panel => (fw, rng.range_i32(32, 48)),
                SurfaceKind::Overlay => (rng.range_i32(160, 320), rng.range_i32(48, 96)),
                SurfaceKind::Desktop => unreachable!(),
            };
            let (x0, y0) = if kind == SurfaceKind::Panel {
                (0, fh - h)
            } else {
                (
                    rng.range_i32(-w / 8, fw - w + w / 8),
                    rng.range_i32(-h / 8, fh - h + h / 8),
                )
            };
            let moves = match kind {
                SurfaceKind::Panel => false,
                SurfaceKind::Overlay => true,
                _ => movers < 1 || rng.chance(1, 3),
            };
            let (mut vx, mut vy) = (0, 0);
            if moves {
                let max = if kind == SurfaceKind::Overlay { 16 } else { 12 };
                vx = rng.range_i32(2, max) * if rng.chance(1, 2) { -1 } else { 1 };
                vy = rng.range_i32(0, max) * if rng.chance(1, 2) { -1 } else { 1 };
                movers += 1;
            }
            let color = (rng.next_u32() & 0x00FF_FFFF) | 0x0040_4040;
            let alpha = match kind {
                SurfaceKind::Panel => rng.range_u32(0xC0, 0xE0),
                SurfaceKind::Overlay => rng.range_u32(0xA0, 0xD8),
                _ => 255,
            };
            let (speed, start) = if kind == SurfaceKind::Terminal {
                (rng.range_u32(20, 80), rng.range_u32(0, 400))
            } else {
                (0, 0)
            };
            surfaces.push(SurfaceSpec {
                kind,
                w,
                h,
                x0,
                y0,
                vx,
                vy,
                color,
                alpha,
                speed,
                start,
                seed: rng.next_u64(),
            });
        }
        // Stacking: desktop at the bottom, the rest shuffled, the panel on top.
        let n = surfaces.len();
        let mut middle: Vec<usize> = (1..n - 1).collect();
        rng.shuffle(&mut middle);
        let mut base_order = vec![0];
        base_order.extend(middle);
        base_order.push(n - 1);
        Self {
            size,
            surfaces,
            base_order,
            raise_period: config.raise_period,
            seed: config.seed,
        }
    }

    /// Screen rectangle of surface `i` at `frame`: each axis bounces between `-extent/8` and
    /// `frame_extent - extent + extent/8` (at most an eighth off-screen).
    pub fn rect(&self, i: usize, frame: u32) -> Rect {
        let s = &self.surfaces[i];
        let (fw, fh) = (self.size.width as i32, self.size.height as i32);
        let x = bounce(s.x0, s.vx, frame, -s.w / 8, fw - s.w + s.w / 8);
        let y = bounce(s.y0, s.vy, frame, -s.h / 8, fh - s.h + s.h / 8);
        Rect::new(x, y, s.w, s.h)
    }

    /// The surface raised to the top at `frame` (frames `k * raise_period`, `k >= 1`): index
    /// `1 + below(n - 1)` from `SplitMix64::new(derive_seed(derive_seed(seed, "SCNRAISE"),
    /// frame))`.
    pub fn raised_at(&self, frame: u32) -> Option<usize> {
        if self.raise_period == 0 || frame == 0 || frame % self.raise_period != 0 {
            return None;
        }
        let mut r = SplitMix64::new(derive_seed(derive_seed(self.seed, TAG_RAISE), frame.into()));
        Some(1 + r.below(self.surfaces.len() as u64 - 1) as usize)
    }

    /// Stacking and rectangles at `frame` (the base order with every raise up to `frame`
    /// applied in turn).
    pub fn layout(&self, frame: u32) -> Layout {
        let mut order = self.base_order.clone();
        if self.raise_period > 0 {
            let mut f = self.raise_period;
            while f <= frame {
                if let Some(s) = self.raised_at(f) {
                    let pos = order
                        .iter()
                        .position(|&x| x == s)
                        .expect("surface in order");
                    order.remove(pos);
                    order.push(s);
                }
                f += self.raise_period;
            }
        }
        let rects = (0..self.surfaces.len())
            .map(|i| self.rect(i, frame))
            .collect();
        Layout { order, rects }
    }

    /// Part of surface `i` (local coordinates) whose content differs between `frame - 1` and
    /// `frame` (`frame >= 1`): the whole Video; the Terminal rows from the first to the last
    /// changed cell (the whole surface when it clears); nothing for the others.
    pub fn content_damage(&self, i: usize, frame: u32) -> Option<Rect> {
        let s = &self.surfaces[i];
        let full = Rect::new(0, 0, s.w, s.h);
        match s.kind {
            SurfaceKind::Video => Some(full),
            SurfaceKind::Terminal => {
                let (a, b) = (s.typed(frame - 1), s.typed(frame));
                if a == b {
                    None
                } else if b < a {
                    Some(full)
                } else {
                    let cols = s.term_cols();
                    let (r0, r1) = (a / cols, (b - 1) / cols);
                    Some(Rect::new(0, r0 as i32 * 16, s.w, (r1 - r0 + 1) as i32 * 16))
                }
            }
            _ => None,
        }
    }

    /// Screen rectangles (clipped, non-empty) that may differ between `frame - 1` and `frame`;
    /// the whole screen at frame 0. A moved surface damages its old and new rectangles, a raised
    /// one its rectangle, changed content its translated content damage.
    pub fn damage(&self, frame: u32) -> Vec<Rect> {
        let screen = self.size.rect();
        if frame == 0 {
            return vec![screen];
        }
        let mut out = Vec::new();
        let mut push = |r: Rect| {
            let c = r.intersect(&screen);
            if !c.is_empty() {
                out.push(c);
            }
        };
        let raised = self.raised_at(frame);
        for i in 0..self.surfaces.len() {
            let (old, new) = (self.rect(i, frame - 1), self.rect(i, frame));
            if old != new {
                push(old);
                push(new);
                continue;
            }
            if raised == Some(i) {
                push(new);
                continue;
            }
            if let Some(d) = self.content_damage(i, frame) {
                push(d.translate(new.x, new.y));
            }
        }
        out
    }

    /// Premultiplied pixel of surface `i` at local `(lx, ly)` (inside the surface) and `frame`.
    pub fn pixel(&self, i: usize, frame: u32, lx: i32, ly: i32) -> u32 {
        let s = &self.surfaces[i];
        let (w, h) = (s.w, s.h);
        match s.kind {
            SurfaceKind::Desktop => {
                let r = 24 + (ly * 40 / h) as u32;
                let g = 40 + (lx * 60 / w) as u32;
                let b = 110 + ((lx + ly) * 80 / (w + h)) as u32;
                argb(255, r, g, b)
            }
            SurfaceKind::Video => {
                let f = frame as i32;
                let r = ((lx * 2 + f * 5) & 255) as u32;
                let g = ((ly * 3 + f * 3) & 255) as u32;
                let check = (((lx >> 4) + (ly >> 4) + f) & 1) as u32 * 64;
                let b = ((((lx + ly) >> 1) + f * 7) & 255) as u32 ^ check;
                argb(255, r, g, b)
            }
            SurfaceKind::Terminal => {
                const BG: u32 = 0xFF0C_1014;
                const FG: [u32; 4] = [0xFFB8_C4CC, 0xFF7F_D17F, 0xFFE0_C060, 0xFF70_A8E0];
                let (cx, cy) = ((lx / 8) as u32, (ly / 16) as u32);
                let cols = s.term_cols();
                if cx >= cols || cy >= (h / 16) as u32 || cy * cols + cx >= s.typed(frame) {
                    return BG;
                }
                let code = text_code(s.seed, cy, cx, cols);
                if glyph_on(code, lx % 8, ly % 16) {
                    FG[(mix64(s.seed ^ u64::from(cy)) & 3) as usize]
                } else {
                    BG
                }
            }
            SurfaceKind::Document => {
                let d = lx.min(ly).min(w - 1 - lx).min(h - 1 - ly);
                if d < DOCUMENT_EDGE {
                    let a = (40 * (d + 1)) as u32;
                    return premultiply(0x10_1010, a);
                }
                let (ix, iy) = (lx - DOCUMENT_EDGE, ly - DOCUMENT_EDGE);
                if iy < 24 {
                    return 0xFF00_0000 | s.color;
                }
                let (tx, ty) = (ix - 12, iy - 32);
                let cols = ((w - 2 * DOCUMENT_EDGE - 24) / 8).max(0) as u32;
                if tx >= 0 && ty >= 0 && (tx / 8) < cols as i32 {
                    let code = text_code(s.seed, (ty / 16) as u32, (tx / 8) as u32, cols);
                    if glyph_on(code, tx % 8, ty % 16) {
                        return 0xFF30_3030;
                    }
                }
                0xFFF4_F2EC
            }
            SurfaceKind::Image => {
                let r = (lx * 255 / w) as u32;
                let g = (ly * 255 / h) as u32;
                let (dx, dy) = (lx - w / 2, ly - h / 2);
                let rad = w.min(h) / 3;
                if dx * dx + dy * dy < rad * rad {
                    argb(255, 255 - r, 255 - g, s.color & 0xFF)
                } else {
                    argb(255, r, g, (s.color >> 8) & 0xFF)
                }
            }
            SurfaceKind::Panel => {
                // 32x32 opaque icons every 48 pixels, 8 pixels from the left and centred.
                let iy = (h - 32) / 2;
                let slot = (lx - 8) / 48;
                if lx >= 8 && (lx - 8) % 48 < 32 && ly >= iy && ly < iy + 32 && slot < 12 {
                    let c = (mix64(s.seed ^ slot as u64) as u32 & 0x00FF_FFFF) | 0x0030_3030;
                    return 0xFF00_0000 | c;
                }
                premultiply(s.color & 0x00_3F3F3F, s.alpha)
            }
            SurfaceKind::Overlay => {
                let (tx, ty) = (lx - 12, ly - (h - 16) / 2);
                let cols = ((w - 24) / 8).max(0) as u32;
                if tx >= 0 && (0..16).contains(&ty) && (tx / 8) < cols as i32 {
                    let code = text_code(s.seed, 0, (tx / 8) as u32, cols);
                    if glyph_on(code, tx % 8, ty) {
                        return 0xFFFF_FFFF;
                    }
                }
                let a = s.alpha;
                let fade = div255(a * 230);
                premultiply(s.color & 0x00_7F7F7F, if ly < 2 { fade } else { a })
            }
        }
    }

    /// Renders `local` (surface coordinates, clipped to the surface) of surface `i` at `frame`
    /// into `buf` (row stride `w`).
    pub fn render_into(&self, i: usize, frame: u32, local: Rect, buf: &mut [u32]) {
        let s = &self.surfaces[i];
        let r = local.intersect(&Rect::new(0, 0, s.w, s.h));
        for ly in r.y..r.bottom() {
            let row = &mut buf[(ly * s.w) as usize..][..s.w as usize];
            for lx in r.x..r.right() {
                row[lx as usize] = self.pixel(i, frame, lx, ly);
            }
        }
    }
}

/// Character code (0 = blank) at text cell `(row, col)` of a text with `cols` columns: each
/// line has a length from its hash, one cell in six is a space.
fn text_code(seed: u64, row: u32, col: u32, cols: u32) -> u32 {
    let line = mix64(seed ^ u64::from(row).wrapping_mul(GOLDEN_GAMMA));
    let len = (line % u64::from(cols.max(1))) as u32 + cols / 4;
    if col >= len {
        return 0;
    }
    let c = mix64(line ^ u64::from(col + 1));
    if c % 6 == 0 {
        0
    } else {
        1 + ((c >> 8) % 94) as u32
    }
}

/// Whether glyph `code` sets pixel `(gx, gy)` of its 8x16 cell: a 5x9 bitmap at `(1, 3)` taken
/// from `mix64(FONT_SEED ^ code)`.
fn glyph_on(code: u32, gx: i32, gy: i32) -> bool {
    if code == 0 || !(1..=5).contains(&gx) || !(3..=11).contains(&gy) {
        return false;
    }
    let bit = (gy - 3) * 5 + (gx - 1);
    (mix64(FONT_SEED ^ u64::from(code)) >> bit) & 1 == 1
}
