use alloc::vec;
use alloc::vec::Vec;

use super::codec::{encode_palette_rle, encode_qoi, encode_raw, TileDecodeError};
use super::pixel::*;
use super::*;
use crate::hash::checksum_u32;
use crate::rng::{Rng, Xoshiro256};

fn random_premultiplied(rng: &mut Xoshiro256) -> u32 {
    let a = rng.below(256) as u32;
    let c = |rng: &mut Xoshiro256| rng.below(u64::from(a) + 1) as u32;
    argb(a, c(rng), c(rng), c(rng))
}

#[test]
fn div255_fast_is_exact() {
    for t in 0..=65535u32 {
        assert_eq!(div255_fast(t), (t * 2 + 255) / 510, "t={t}");
        if t <= 255 * 255 {
            assert_eq!(div255(t), div255_fast(t));
        }
    }
}

#[test]
fn over_matches_reference() {
    // Every (source alpha, destination channel) pair, grey pixels.
    for sa in 0..=255u32 {
        for d in 0..=255u32 {
            let src = argb(sa, sa / 2, sa, 0);
            let dst = argb(d, d, d / 3, d);
            assert_eq!(over(src, dst), over_reference(src, dst));
        }
    }
    let mut rng = Xoshiro256::new(11);
    for _ in 0..200_000 {
        let (s, d) = (
            random_premultiplied(&mut rng),
            random_premultiplied(&mut rng),
        );
        let o = over(s, d);
        assert_eq!(o, over_reference(s, d));
        assert!(is_premultiplied(o));
        assert!(alpha(o) >= alpha(s).max(alpha(d)));
    }
    assert_eq!(over(0xFF12_3456, 0x8040_2010), 0xFF12_3456);
    assert_eq!(over(0, 0x8040_2010), 0x8040_2010);
    // Half-transparent white over opaque black: 128 + round(0 * 127 / 255).
    assert_eq!(over(0x8080_8080, 0xFF00_0000), 0xFF80_8080);
    // 0x80 grey at alpha 0x80 over opaque white: 128 + round(255 * 127 / 255) = 255.
    assert_eq!(over(0x8080_8080, 0xFFFF_FFFF), 0xFFFF_FFFF);
    assert_eq!(premultiply(0xFF_8000, 0x80), 0x8080_4000);
}

fn roundtrip(px: &[u32]) -> Encoding {
    let mut enc = TileEncoder::new();
    let mut out = Vec::new();
    let e = enc.encode(px, &mut out);
    let mut back = vec![0u32; px.len()];
    decode_tile(e, &out, &mut back).unwrap();
    assert_eq!(back, px, "{e:?}");
    assert!(out.len() <= px.len() * 4);
    // Every encoding that applies round-trips too.
    for (ok, kind) in [
        (true, Encoding::Raw),
        (true, Encoding::Qoi),
        (false, Encoding::PaletteRle),
    ] {
        let mut s = Vec::new();
        let applies = match kind {
            Encoding::Raw => {
                encode_raw(px, &mut s);
                true
            }
            Encoding::Qoi => {
                encode_qoi(px, &mut s);
                true
            }
            _ => encode_palette_rle(px, &mut s),
        };
        assert!(applies || !ok);
        if applies {
            let mut b = vec![0u32; px.len()];
            decode_tile(kind, &s, &mut b).unwrap();
            assert_eq!(b, px, "{kind:?}");
        }
    }
    e
}

#[test]
fn tile_codecs_roundtrip() {
    let mut rng = Xoshiro256::new(5);
    // Solid.
    assert_eq!(roundtrip(&[0xFF10_2030; 64 * 64]), Encoding::Solid);
    assert_eq!(roundtrip(&[0; 64 * 8]), Encoding::Solid);
    // Few colours with long runs.
    let pal: Vec<u32> = (0..5).map(|i| 0xFF00_0000 | (i * 0x11_2233)).collect();
    let mut px = vec![0u32; 64 * 64];
    let mut i = 0;
    while i < px.len() {
        let run = 1 + rng.below(300) as usize;
        let c = pal[rng.below(5) as usize];
        for p in px.iter_mut().skip(i).take(run) {
            *p = c;
        }
        i += run;
    }
    assert_eq!(roundtrip(&px), Encoding::PaletteRle);
    // Smooth gradient (QOI diffs), with alpha changes and index hits.
    let grad: Vec<u32> = (0..64 * 64u32)
        .map(|i| argb(255, i % 64 * 2, i / 64 * 3, 40))
        .collect();
    assert_eq!(roundtrip(&grad), Encoding::Qoi);
    let alpha_ramp: Vec<u32> = (0..64 * 56u32)
        .map(|i| premultiply(0x40_80C0, (i * 7 % 256) & 0xFF))
        .collect();
    roundtrip(&alpha_ramp);
    // Noise: raw (QOI would be 4-5 bytes a pixel).
    let noise: Vec<u32> = (0..64 * 64)
        .map(|_| random_premultiplied(&mut rng))
        .collect();
    assert_eq!(roundtrip(&noise), Encoding::Raw);
    // Partial tiles and edge cases: 16 colours exactly, 17 colours, runs of 62/63/16/17.
    let sixteen: Vec<u32> = (0..64 * 16u32)
        .map(|i| 0xFF00_0000 | (((i / 3 * 7) % 16) * 0x0F_1F3F))
        .collect();
    assert_eq!(roundtrip(&sixteen), Encoding::PaletteRle);
    let seventeen: Vec<u32> = (0..17 * 40u32)
        .map(|i| 0xFF00_0000 | ((i / 40) * 997))
        .collect();
    assert_ne!(roundtrip(&seventeen), Encoding::PaletteRle);
    for run in [1usize, 15, 16, 17, 61, 62, 63, 124, 200, 4095] {
        let mut t = vec![0xFF00_0000u32; run];
        t.push(0xFF11_1111);
        t.extend(core::iter::repeat_n(0x8000_0000u32, 64 * 64 - run - 1));
        roundtrip(&t);
    }
    // Random small-palette noise in random partial sizes.
    for _ in 0..200 {
        let (w, h) = (1 + rng.below(64) as usize, 1 + rng.below(64) as usize);
        let k = 1 + rng.below(24) as usize;
        let cols: Vec<u32> = (0..k).map(|_| random_premultiplied(&mut rng)).collect();
        let t: Vec<u32> = (0..w * h)
            .map(|_| {
                if rng.chance(3, 4) {
                    cols[0]
                } else {
                    cols[rng.below(k as u64) as usize]
                }
            })
            .collect();
        roundtrip(&t);
    }
}

#[test]
fn tile_decoder_rejects_bad_streams() {
    let mut out = [0u32; 16];
    assert_eq!(
        decode_tile(Encoding::Solid, &[1, 2, 3], &mut out),
        Err(TileDecodeError::Truncated)
    );
    assert_eq!(
        decode_tile(Encoding::Solid, &[1, 2, 3, 4, 5], &mut out),
        Err(TileDecodeError::TrailingBytes)
    );
    // Palette of 1 colour, index 1 used.
    assert_eq!(
        decode_tile(Encoding::PaletteRle, &[0, 0, 0, 0, 0xFF, 0x1F], &mut out),
        Err(TileDecodeError::BadPalette)
    );
    // Run of 17 in a 16-pixel tile.
    assert_eq!(
        decode_tile(Encoding::PaletteRle, &[0, 0, 0, 0, 0xFF, 0x0F, 1], &mut out),
        Err(TileDecodeError::RunOverflow)
    );
    assert_eq!(
        decode_tile(Encoding::Qoi, &[0xC0 | 20], &mut out),
        Err(TileDecodeError::RunOverflow)
    );
    assert_eq!(
        decode_tile(Encoding::Qoi, &[0xC0 | 15, 0xFE], &mut out),
        Err(TileDecodeError::TrailingBytes)
    );
    assert_eq!(
        decode_tile(Encoding::Qoi, &[0xC0 | 14, 0xFE, 1], &mut out),
        Err(TileDecodeError::Truncated)
    );
}

#[test]
fn packetizer_splits_and_decoder_reassembles_out_of_order() {
    let size = FrameSize::HD720;
    let mut rng = Xoshiro256::new(8);
    let fb: Vec<u32> = (0..size.pixels())
        .map(|i| {
            if i % 1280 < 640 {
                0xFF20_4060
            } else {
                random_premultiplied(&mut rng)
            }
        })
        .collect();
    let tiles = TileSet::full(size);
    let ef = encode_frame(&fb, size, 3, &tiles);
    assert!(ef
        .packets
        .iter()
        .all(|p| p.len() <= MAX_PACKET_LEN && !p.is_empty()));
    assert_eq!(ef.stats.tiles.iter().sum::<u32>() as usize, tiles.len());
    assert_eq!(tiles.len(), 20 * 12);
    assert!(
        ef.stats.tiles[Encoding::Raw as usize] > 0 && ef.stats.tiles[Encoding::Solid as usize] > 0
    );
    let mut packets = ef.packets.clone();
    rng.shuffle(&mut packets);
    let mut dec = Decoder::new(size);
    for p in &packets {
        dec.apply_packet(p).unwrap();
    }
    assert_eq!(dec.pending_tiles(), 0);
    assert_eq!(dec.tiles_decoded(), tiles.len() as u64);
    assert!(dec.framebuffer() == fb.as_slice());
    // Malformed packets.
    let mut d2 = Decoder::new(size);
    assert_eq!(
        d2.apply_packet(&[0u8; 1401]),
        Err(DecodeError::PacketTooLarge(1401))
    );
    assert_eq!(
        d2.apply_packet(&ef.packets[0][..10]),
        Err(DecodeError::Truncated)
    );
    let mut bad = ef.packets[0].clone();
    bad[8] = 9;
    assert_eq!(d2.apply_packet(&bad), Err(DecodeError::BadEncoding(9)));
    let mut bad = ef.packets[0].clone();
    bad[4] = 200;
    assert!(matches!(
        d2.apply_packet(&bad),
        Err(DecodeError::TileOutOfRange { .. })
    ));
}

fn scene(size: FrameSize, seed: u64) -> Scene {
    Scene::generate(&SceneConfig::new(size, seed))
}

#[test]
fn scenes_are_deterministic_and_well_formed() {
    for seed in 0..20 {
        let s = scene(FrameSize::HD720, seed);
        assert_eq!(s, scene(FrameSize::HD720, seed));
        let n = s.surfaces.len() - 1;
        assert!((6..=8).contains(&n));
        assert_eq!(s.surfaces[0].kind, SurfaceKind::Desktop);
        for f in [0, 1, 7, 50] {
            let l = s.layout(f);
            assert_eq!(l.order[0], 0);
            let mut o = l.order.clone();
            o.sort_unstable();
            assert_eq!(o, (0..=n).collect::<Vec<_>>());
            for r in &l.rects[1..] {
                assert!(r.intersects(&s.size.rect()));
            }
        }
    }
}

#[test]
fn content_is_premultiplied_and_opaque_regions_are_opaque() {
    let s = scene(FrameSize::HD720, 3);
    for f in [0u32, 4, 9] {
        for (i, spec) in s.surfaces.iter().enumerate() {
            let op = spec.opaque_local();
            for ly in (0..spec.h).step_by(3) {
                for lx in (0..spec.w).step_by(3) {
                    let p = s.pixel(i, f, lx, ly);
                    assert!(is_premultiplied(p), "{:?} {lx},{ly} {p:#x}", spec.kind);
                    if op.is_some_and(|o| o.contains_point(lx, ly)) {
                        assert_eq!(alpha(p), 255, "{:?}", spec.kind);
                    }
                }
            }
        }
    }
}

/// The full pipeline: compositor (damage + culling) and decoder (packets) both match the
/// golden per-pixel composite, frame after frame.
fn check_pipeline(size: FrameSize, seed: u64, frames: &[u32]) -> (u64, FrameStats, EncodeStats) {
    let s = scene(size, seed);
    let mut comp = Compositor::new(&s);
    let mut dec = Decoder::new(size);
    let mut sum_frame = FrameStats::default();
    let mut sum_enc = EncodeStats::default();
    let mut last = 0;
    for &f in frames {
        let (tiles, st) = comp.render(&s, f);
        let golden = composite_full(&s, f);
        assert!(
            comp.framebuffer() == golden.as_slice(),
            "compositor frame {f} seed {seed}"
        );
        let ef = encode_frame(comp.framebuffer(), size, f, &tiles);
        for p in &ef.packets {
            assert!(p.len() <= MAX_PACKET_LEN);
            dec.apply_packet(p).unwrap();
        }
        assert_eq!(dec.pending_tiles(), 0);
        assert!(
            dec.framebuffer() == golden.as_slice(),
            "decoded frame {f} seed {seed}"
        );
        sum_frame.tiles += st.tiles;
        sum_frame.layers_composited += st.layers_composited;
        sum_frame.layers_culled += st.layers_culled;
        sum_frame.pixels_written += st.pixels_written;
        for k in 0..4 {
            sum_enc.tiles[k] += ef.stats.tiles[k];
        }
        sum_enc.payload_bytes += ef.stats.payload_bytes;
        sum_enc.packet_bytes += ef.stats.packet_bytes;
        last = checksum_u32(&golden);
    }
    (last, sum_frame, sum_enc)
}

#[test]
fn decode_of_encode_is_bit_exact_720p() {
    for seed in [1u64, 2, 3] {
        let frames: Vec<u32> = (0..8).collect();
        let (_, fs, es) = check_pipeline(FrameSize::HD720, seed, &frames);
        assert!(fs.layers_culled > 0, "seed {seed}: no culling");
        // Incremental frames send fewer tiles than full frames.
        assert!(fs.tiles < 8 * 240, "seed {seed}: every tile damaged");
        // Solid, palette and QOI tiles all occur (raw only for noise-like tiles).
        assert!(
            es.tiles[1..].iter().all(|&t| t > 0),
            "seed {seed}: encodings {:?}",
            es.tiles
        );
    }
    // Skipping frames falls back to a full redraw.
    check_pipeline(FrameSize::HD720, 4, &[0, 1, 2, 9, 10, 30]);
}

#[test]
fn culling_does_not_change_the_output() {
    let s = scene(FrameSize::HD720, 6);
    let mut a = Compositor::new(&s);
    let mut b = Compositor::new(&s);
    b.set_culling(false);
    for f in 0..4 {
        let (_, sa) = a.render(&s, f);
        let (_, sb) = b.render(&s, f);
        assert!(a.framebuffer() == b.framebuffer());
        assert_eq!(sb.layers_culled, 0);
        assert!(sa.layers_composited < sb.layers_composited);
    }
}

#[test]
fn tile_local_composite_matches_golden() {
    let size = FrameSize::HD720;
    let s = scene(size, 7);
    let mut comp = Compositor::new(&s);
    comp.render(&s, 0);
    comp.render(&s, 1);
    let golden = composite_full(&s, 1);
    let layout = s.layout(1);
    let bufs: Vec<&[u32]> = (0..s.surfaces.len()).map(|i| comp.buffer(i)).collect();
    let mut local = vec![0u32; 64 * 64];
    for ty in 0..size.tiles_y() {
        for tx in 0..size.tiles_x() {
            let t = size.tile_rect(tx, ty);
            for culling in [true, false] {
                local.fill(0xDEAD_BEEF);
                let st = composite_tile(
                    &s,
                    &layout,
                    &bufs,
                    t,
                    culling,
                    &mut local,
                    t.w as usize,
                    (t.x, t.y),
                );
                assert_eq!(st.tiles, 1);
                for y in 0..t.h {
                    let g = &golden[((t.y + y) as usize) * 1280 + t.x as usize..][..t.w as usize];
                    assert_eq!(
                        &local[(y * t.w) as usize..][..t.w as usize],
                        g,
                        "tile {tx},{ty}"
                    );
                }
            }
        }
    }
}

#[test]
fn pinned_frames() {
    let (c720, _, e720) = check_pipeline(FrameSize::HD720, 1, &[0, 1, 2]);
    let (c1080, _, _) = check_pipeline(FrameSize::FHD1080, 1, &[0, 1]);
    assert_eq!((c720, e720.payload_bytes, c1080), PIN_FRAMES);
}

/// (checksum of 720p frame 2, payload bytes of 720p frames 0-2, checksum of 1080p frame 1),
/// seed 1.
const PIN_FRAMES: (u64, u64, u64) = (0xE1E4_55FB_8453_7CD6, 539_748, 0xB242_DDD7_6743_7634);
