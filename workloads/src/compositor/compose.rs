//! Tile compositor with damage tracking and occlusion culling, and the golden full composite.

use alloc::vec;
use alloc::vec::Vec;

use super::pixel::{over, over_row};
use super::{FrameSize, Layout, Rect, Scene, TileSet};

/// Work done for one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Tiles recomposited.
    pub tiles: u32,
    /// (layer, tile) pairs blended or copied.
    pub layers_composited: u32,
    /// (layer, tile) pairs skipped because an opaque layer above covers the tile.
    pub layers_culled: u32,
    /// Pixels blended or copied.
    pub pixels_written: u64,
    /// Client-buffer pixels re-rendered (content updates).
    pub pixels_rendered: u64,
}

/// The golden model: composites frame `frame` of `scene` from scratch, per pixel, bottom to top
/// over a transparent-black frame, calling [`Scene::pixel`] directly (no client buffers, tiles
/// or culling).
pub fn composite_full(scene: &Scene, frame: u32) -> Vec<u32> {
    let size = scene.size;
    let mut fb = vec![0u32; size.pixels()];
    let layout = scene.layout(frame);
    let screen = size.rect();
    for &i in &layout.order {
        let r = layout.rects[i];
        let vis = r.intersect(&screen);
        for y in vis.y..vis.bottom() {
            let row = &mut fb[y as usize * size.width as usize..][..size.width as usize];
            for x in vis.x..vis.right() {
                row[x as usize] = over(scene.pixel(i, frame, x - r.x, y - r.y), row[x as usize]);
            }
        }
    }
    fb
}

/// An incremental compositor: client buffers per surface, a framebuffer, and the frame it holds.
#[derive(Clone, Debug)]
pub struct Compositor {
    size: FrameSize,
    fb: Vec<u32>,
    buffers: Vec<Vec<u32>>,
    last_frame: Option<u32>,
    culling: bool,
}

impl Compositor {
    /// A compositor for `scene` (buffers allocated, nothing rendered yet).
    pub fn new(scene: &Scene) -> Self {
        Self {
            size: scene.size,
            fb: vec![0; scene.size.pixels()],
            buffers: scene
                .surfaces
                .iter()
                .map(|s| vec![0; (s.w * s.h) as usize])
                .collect(),
            last_frame: None,
            culling: true,
        }
    }

    /// Turns occlusion culling on (default) or off (the output is identical either way).
    pub fn set_culling(&mut self, on: bool) {
        self.culling = on;
    }

    /// The framebuffer (row-major, `width` pixels per row).
    pub fn framebuffer(&self) -> &[u32] {
        &self.fb
    }

    /// Surface `i`'s client buffer (row stride = its width).
    pub fn buffer(&self, i: usize) -> &[u32] {
        &self.buffers[i]
    }

    /// Renders `frame`: when it follows the frame held, only the scene's damage is re-rendered
    /// (client buffers) and recomposited (tiles); otherwise everything. Returns the tiles that
    /// changed (to encode and send) and the work done.
    pub fn render(&mut self, scene: &Scene, frame: u32) -> (TileSet, FrameStats) {
        let mut stats = FrameStats::default();
        let incremental = frame > 0 && self.last_frame == Some(frame - 1);
        let mut tiles = TileSet::empty(self.size);
        if incremental {
            for i in 0..scene.surfaces.len() {
                if let Some(d) = scene.content_damage(i, frame) {
                    scene.render_into(i, frame, d, &mut self.buffers[i]);
                    stats.pixels_rendered += d.area();
                }
            }
            for r in scene.damage(frame) {
                tiles.insert_rect(&r);
            }
        } else {
            for (i, s) in scene.surfaces.iter().enumerate() {
                let all = Rect::new(0, 0, s.w, s.h);
                scene.render_into(i, frame, all, &mut self.buffers[i]);
                stats.pixels_rendered += all.area();
            }
            tiles = TileSet::full(self.size);
        }
        let layout = scene.layout(frame);
        let width = self.size.width as usize;
        for (tx, ty) in tiles.iter() {
            let tile = self.size.tile_rect(tx, ty);
            let t = composite_tile(
                scene,
                &layout,
                &self.buffers,
                tile,
                self.culling,
                &mut self.fb,
                width,
                (0, 0),
            );
            stats.tiles += 1;
            stats.layers_composited += t.layers_composited;
            stats.layers_culled += t.layers_culled;
            stats.pixels_written += t.pixels_written;
        }
        self.last_frame = Some(frame);
        (tiles, stats)
    }
}

/// Composites the screen rectangle `tile` (normally one 64x64 tile) from the client `buffers`
/// (one per surface, row stride = surface width) into `dst`, where screen pixel `(x, y)` lives
/// at `dst[(y - origin.1) * stride + (x - origin.0)]`: pass the framebuffer with `(0, 0)` and
/// the frame width, or a tile-local buffer with the tile's corner and width (what a hart
/// compositing tiles in parallel wants).
///
/// With `culling`, every layer below the topmost surface whose opaque region covers `tile` is
/// skipped and that surface is copied; otherwise the tile starts transparent black and every
/// layer is blended. The result is identical. Returns the work done (`tiles == 1`).
#[allow(clippy::too_many_arguments)]
pub fn composite_tile<B: AsRef<[u32]>>(
    scene: &Scene,
    layout: &Layout,
    buffers: &[B],
    tile: Rect,
    culling: bool,
    dst: &mut [u32],
    stride: usize,
    origin: (i32, i32),
) -> FrameStats {
    let mut stats = FrameStats {
        tiles: 1,
        ..FrameStats::default()
    };
    let at = |x: i32, y: i32| (y - origin.1) as usize * stride + (x - origin.0) as usize;
    // Topmost layer whose opaque region covers the whole tile: start there.
    let mut start = None;
    if culling {
        for (pos, &i) in layout.order.iter().enumerate().rev() {
            let r = layout.rects[i];
            if let Some(op) = scene.surfaces[i].opaque_local() {
                if op.translate(r.x, r.y).contains(&tile) {
                    start = Some(pos);
                    break;
                }
            }
        }
    }
    // The starting layer is copied (its pixels in the tile are opaque, OVER is a copy);
    // without one, blend everything over transparent black.
    let (start, copy_start) = match start {
        Some(p) => (p, true),
        None => {
            for y in tile.y..tile.bottom() {
                let o = at(tile.x, y);
                dst[o..o + tile.w as usize].fill(0);
            }
            (0, false)
        }
    };
    for (pos, &i) in layout.order.iter().enumerate() {
        let r = layout.rects[i];
        let vis = r.intersect(&tile);
        if vis.is_empty() {
            continue;
        }
        if pos < start {
            stats.layers_culled += 1;
            continue;
        }
        stats.layers_composited += 1;
        stats.pixels_written += vis.area();
        let sw = scene.surfaces[i].w as usize;
        let buf = buffers[i].as_ref();
        for y in vis.y..vis.bottom() {
            let src_off = (y - r.y) as usize * sw + (vis.x - r.x) as usize;
            let src = &buf[src_off..src_off + vis.w as usize];
            let o = at(vis.x, y);
            let d = &mut dst[o..o + vis.w as usize];
            if copy_start && pos == start {
                d.copy_from_slice(src);
            } else {
                over_row(src, d);
            }
        }
    }
    stats
}
