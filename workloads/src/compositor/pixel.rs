//! Premultiplied ARGB8888 pixels and exact integer Porter-Duff OVER.
//!
//! A pixel is a `u32` `0xAARRGGBB` with colour channels premultiplied by alpha (every channel
//! `<= A`). OVER is, per channel `c` in A, R, G, B:
//!
//! ```text
//! out_c = src_c + (dst_c * (255 - src_a) + 127) / 255        (integer division)
//! ```
//!
//! i.e. `dst_c * (255 - src_a) / 255` rounded to nearest (never a tie, 255 is odd). The result
//! stays premultiplied and never exceeds 255. [`over`] computes exactly this with two
//! channels per multiply and Blinn's division-free `round(t / 255) = (t + 128 + ((t + 128) >> 8))
//! >> 8` (exact for `0 <= t <= 65535`); [`over_reference`] is the plain per-channel formula.

/// Alpha of a pixel.
#[inline]
pub const fn alpha(px: u32) -> u32 {
    px >> 24
}

/// Packs four channels.
#[inline]
pub const fn argb(a: u32, r: u32, g: u32, b: u32) -> u32 {
    (a << 24) | (r << 16) | (g << 8) | b
}

/// `round(t / 255)` for `t <= 255 * 255`: `(t + 127) / 255`.
#[inline]
pub const fn div255(t: u32) -> u32 {
    (t + 127) / 255
}

/// The same as [`div255`] without a division (Blinn): exact for `t <= 65535`.
#[inline]
pub const fn div255_fast(t: u32) -> u32 {
    let t = t + 128;
    (t + (t >> 8)) >> 8
}

/// Premultiplies a straight-alpha colour `0x00RRGGBB` by `a`: `c' = div255(c * a)`.
#[inline]
pub const fn premultiply(rgb: u32, a: u32) -> u32 {
    let r = div255(((rgb >> 16) & 0xFF) * a);
    let g = div255(((rgb >> 8) & 0xFF) * a);
    let b = div255((rgb & 0xFF) * a);
    argb(a, r, g, b)
}

/// `true` when every colour channel is `<=` alpha.
#[inline]
pub const fn is_premultiplied(px: u32) -> bool {
    let a = px >> 24;
    ((px >> 16) & 0xFF) <= a && ((px >> 8) & 0xFF) <= a && (px & 0xFF) <= a
}

/// `src OVER dst` by the per-channel formula (the definition).
#[inline]
pub const fn over_reference(src: u32, dst: u32) -> u32 {
    let inv = 255 - (src >> 24);
    let mut out = 0;
    let mut shift = 0;
    while shift < 32 {
        let s = (src >> shift) & 0xFF;
        let d = (dst >> shift) & 0xFF;
        out |= (s + div255(d * inv)) << shift;
        shift += 8;
    }
    out
}

/// `src OVER dst`, bit-identical to [`over_reference`] for premultiplied `src` (two channels per
/// multiply; fast paths for opaque and fully transparent sources).
#[inline]
pub const fn over(src: u32, dst: u32) -> u32 {
    let sa = src >> 24;
    if sa == 255 {
        return src;
    }
    if src == 0 {
        return dst;
    }
    let inv = 255 - sa;
    let rb = (dst & 0x00FF_00FF) * inv + 0x0080_0080;
    let rb = ((rb + ((rb >> 8) & 0x00FF_00FF)) >> 8) & 0x00FF_00FF;
    let ag = ((dst >> 8) & 0x00FF_00FF) * inv + 0x0080_0080;
    let ag = (ag + ((ag >> 8) & 0x00FF_00FF)) & 0xFF00_FF00;
    src + (rb | ag)
}

/// Blends a row: `dst[i] = over(src[i], dst[i])`.
#[inline]
pub fn over_row(src: &[u32], dst: &mut [u32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = over(s, *d);
    }
}
