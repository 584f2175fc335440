//! `thinclient-frame`: a Sun Ray-style thin-client frame pipeline over every hart, checked on
//! the host bit for bit.
//!
//! Bootargs (see `strand_workloads::run::FrameRun`): `res=` (`1080` default, `720`, `small` =
//! 320x240), `frames=` (4), `seed=` (1), and `tag=` (virtio-fs tag, default `hostshare`).
//!
//! Per frame `f` (the scene script of `strand_workloads::compositor`, 6-8 surfaces over a
//! desktop):
//!
//! 1. **Render** the surfaces' content damage into their client buffers (frame 0: everything),
//!    rows handed out to all harts.
//! 2. **Composite** the damaged 64x64 tiles (frame 0: all), one tile at a time per hart into a
//!    tile-local buffer with `composite_tile`: occlusion culling (layers below the topmost
//!    surface that is opaque over the whole tile are skipped) and exact integer Porter-Duff OVER.
//! 3. **Encode** each tile (`TileEncoder`: solid / palette-RLE / QOI-like / raw, the smallest)
//!    and pack it into the hart's own packets of at most 1,400 bytes (`Packetizer`).
//! 4. **Send**: hart 0 writes the frame's packets from every hart to
//!    `thinclient/frame-FFFF.bin` (wire kind 5, tag = frame) — not timed.
//!
//! Frame time is hart 0's `rdcycle`/`rdtime` from the barrier that opens step 1 to the barrier
//! after step 3. `thinclient/summary.txt` has per-frame tiles, encodings, payload and packet
//! bytes, cycles and ticks, and frames/s, p99 frame time, bytes/frame. `strand workload check
//! thinclient` decodes the packets frame by frame and compares the rebuilt framebuffer with the
//! golden `composite_full` bit for bit.
//!
//! ```text
//! thinclient-frame: res=small frames=3 seed=1: 8 surfaces, 3 frames, 37 tiles, 123456 payload bytes, results in thinclient/
//! perf: thinclient-frame: 1.2e3 frames/s, frame time p99 .. cycles (.. us), .. bytes/frame in .. packets/frame
//! ```

#![no_std]
#![no_main]

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use strand_rt::alloc::format;
use strand_rt::alloc::string::String;
use strand_rt::alloc::vec;
use strand_rt::alloc::vec::Vec;
use strand_rt::{barrier, parallel_for_chunked, println, rdcycle, rdtime, share, Ctx, SpinLock};
use strand_workloads::compositor::{
    composite_tile, Packetizer, Rect, Scene, TileEncoder, TileSet, TILE_SIZE,
};
use strand_workloads::run::{thinclient_frame_file, FrameRun, SUMMARY, THINCLIENT_DIR};
use strand_workloads::wire;
use workload_support::{open_share, per_second, percentile, Fs, SharedSlice, WorkCounter};

strand_rt::entry!(main);

static WORK: WorkCounter = WorkCounter::new();
/// Tiles per encoding id (raw, solid, palette-RLE, QOI) in the current frame.
static ENC: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// Encoded stream bytes in the current frame.
static PAYLOAD: AtomicU64 = AtomicU64::new(0);
/// The current frame's packets, from every hart.
static PACKETS: SpinLock<Vec<Vec<u8>>> = SpinLock::new(Vec::new());

/// One frame's measurements (hart 0).
struct Frame {
    tiles: usize,
    enc: [u64; 4],
    payload: u64,
    packets: usize,
    bytes: u64,
    cycles: u64,
    ticks: u64,
}

fn fail(me: usize, why: &str) -> i32 {
    if me == 0 {
        println!("thinclient-frame: FAIL {why}");
    }
    1
}

fn main(ctx: &Ctx) -> i32 {
    let (me, nharts) = (ctx.hart_id(), ctx.num_harts());
    let run = match FrameRun::from_bootargs(ctx.args().as_str()) {
        Ok(r) => r,
        Err(e) => return fail(me, &format!("{e}")),
    };
    let tag = ctx.args().get("tag").unwrap_or("hostshare");
    let fs: &'static Result<Fs, String> = share(|| open_share(tag, THINCLIENT_DIR));
    let fs = match fs {
        Ok(fs) => fs,
        Err(why) => return fail(me, why),
    };
    let scene: &'static Scene = share(|| Scene::generate(&run.scene_config()));
    let bufs: &'static Vec<SharedSlice<u32>> = share(|| {
        scene
            .surfaces
            .iter()
            .map(|s| SharedSlice::new((s.w * s.h) as usize, 0))
            .collect()
    });
    let size = scene.size;

    let mut frames: Vec<Frame> = Vec::new();
    let mut err: Option<String> = None;
    let mut tile_px = vec![0u32; (TILE_SIZE * TILE_SIZE) as usize];
    let mut stream: Vec<u8> = Vec::with_capacity(tile_px.len() * 4 + 64);
    let mut encoder = TileEncoder::new();
    for f in 0..run.frames {
        // What changes: content rectangles (surface-local) and damaged tiles.
        let jobs: Vec<(usize, Rect)> = scene
            .surfaces
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let all = Rect::new(0, 0, s.w, s.h);
                let r = if f == 0 {
                    Some(all)
                } else {
                    scene.content_damage(i, f)
                };
                r.map(|r| (i, r.intersect(&all)))
                    .filter(|(_, r)| !r.is_empty())
            })
            .collect();
        let rows: usize = jobs.iter().map(|(_, r)| r.h as usize).sum();
        let mut set = if f == 0 {
            TileSet::full(size)
        } else {
            TileSet::empty(size)
        };
        if f > 0 {
            for r in scene.damage(f) {
                set.insert_rect(&r);
            }
        }
        let tiles: Vec<(u32, u32)> = set.iter().collect();
        let layout = scene.layout(f);

        // 1. Render (parallel_for's first barrier opens the frame).
        if me == 0 {
            for e in &ENC {
                e.store(0, Ordering::Relaxed);
            }
            PAYLOAD.store(0, Ordering::Relaxed);
            WORK.reset();
        }
        let (c0, t0) = (rdcycle(), rdtime());
        parallel_for_chunked(rows, 2, |row| {
            let mut k = row;
            let mut j = 0;
            while k >= jobs[j].1.h as usize {
                k -= jobs[j].1.h as usize;
                j += 1;
            }
            let (i, r) = jobs[j];
            let w = scene.surfaces[i].w;
            let ly = r.y + k as i32;
            // SAFETY: each (surface, row) is rendered by the one hart that took it, and no
            // hart reads the buffers until the phase's closing barrier.
            let out = unsafe { bufs[i].range_mut((ly * w + r.x) as usize, r.w as usize) };
            for (o, lx) in out.iter_mut().zip(r.x..r.right()) {
                *o = scene.pixel(i, f, lx, ly);
            }
        });

        // 2-3. Composite, encode, packetize.
        // SAFETY: the buffers are only read until the next frame's render phase.
        let views: Vec<&[u32]> = bufs.iter().map(|b| unsafe { b.as_slice() }).collect();
        let mut pk = Packetizer::new();
        let mut enc = [0u64; 4];
        let mut payload = 0u64;
        WORK.for_each(tiles.len(), 1, |t| {
            let (tx, ty) = tiles[t];
            let r = size.tile_rect(tx, ty);
            let px = &mut tile_px[..(r.w * r.h) as usize];
            composite_tile(
                scene,
                &layout,
                &views,
                r,
                true,
                px,
                r.w as usize,
                (r.x, r.y),
            );
            stream.clear();
            let e = encoder.encode(px, &mut stream);
            enc[e as usize] += 1;
            payload += stream.len() as u64;
            pk.push_tile(f, tx as u16, ty as u16, e, &stream);
        });
        let mine = pk.finish();
        for (a, &e) in ENC.iter().zip(&enc) {
            a.fetch_add(e, Ordering::Relaxed);
        }
        PAYLOAD.fetch_add(payload, Ordering::Relaxed);
        PACKETS.lock().extend(mine);
        barrier();
        if me == 0 {
            let (cycles, ticks) = (rdcycle() - c0, rdtime() - t0);
            // 4. Send (untimed).
            let packets = core::mem::take(&mut *PACKETS.lock());
            let path = thinclient_frame_file(f);
            if let Err(e) = fs.write_file(&path, &wire::write_packets(u64::from(f), &packets)) {
                err.get_or_insert(format!("write {path}: {e}"));
            }
            frames.push(Frame {
                tiles: tiles.len(),
                enc: core::array::from_fn(|i| ENC[i].load(Ordering::Relaxed)),
                payload: PAYLOAD.load(Ordering::Relaxed),
                packets: packets.len(),
                bytes: packets.iter().map(|p| p.len() as u64).sum(),
                cycles,
                ticks,
            });
        }
    }
    barrier();
    if me != 0 {
        return 0;
    }

    // Summary.
    let tb = strand_rt::timebase_hz();
    let n = frames.len() as u64;
    let ticks: u64 = frames.iter().map(|f| f.ticks).sum();
    let cycles: u64 = frames.iter().map(|f| f.cycles).sum();
    let fps = per_second(n, ticks, tb);
    let mut fc: Vec<u64> = frames.iter().map(|f| f.cycles).collect();
    fc.sort_unstable();
    let p99 = percentile(&fc, 99);
    let us_per_cycle = ticks as f64 / cycles.max(1) as f64 / tb as f64 * 1e6;
    let bytes: u64 = frames.iter().map(|f| f.bytes).sum();
    let packets: usize = frames.iter().map(|f| f.packets).sum();
    let tiles: usize = frames.iter().map(|f| f.tiles).sum();
    let payload: u64 = frames.iter().map(|f| f.payload).sum();
    let mut text = String::new();
    let _ = writeln!(text, "params {run}");
    let _ = writeln!(text, "run harts={nharts} timebase={tb}");
    let _ = writeln!(
        text,
        "scene surfaces={} width={} height={}",
        scene.surfaces.len(),
        size.width,
        size.height
    );
    for (i, fr) in frames.iter().enumerate() {
        let _ = writeln!(
            text,
            "frame f={i} tiles={} raw={} solid={} palette={} qoi={} payload={} packets={} bytes={} cycles={} ticks={}",
            fr.tiles, fr.enc[0], fr.enc[1], fr.enc[2], fr.enc[3], fr.payload, fr.packets, fr.bytes, fr.cycles, fr.ticks
        );
    }
    let _ = writeln!(
        text,
        "frames n={n} fps={fps:.6e} p99_cycles={p99} p99_us={:.3} bytes_per_frame={} packets_per_frame={} cycles={cycles}",
        p99 as f64 * us_per_cycle,
        bytes / n.max(1),
        packets as u64 / n.max(1)
    );
    let path = format!("{THINCLIENT_DIR}/{SUMMARY}");
    if let Err(e) = fs.write_file(&path, text.as_bytes()) {
        err.get_or_insert(format!("write {path}: {e}"));
    }
    if let Some(e) = err {
        println!("thinclient-frame: FAIL {e}");
        return 1;
    }
    println!(
        "thinclient-frame: {run}: {} surfaces, {n} frames, {tiles} tiles, {payload} payload bytes, results in {THINCLIENT_DIR}/",
        scene.surfaces.len()
    );
    println!(
        "perf: thinclient-frame: {fps:.4e} frames/s, frame time p99 {p99} cycles ({:.3} us), {} bytes/frame in {} packets/frame, {cycles} cycles",
        p99 as f64 * us_per_cycle,
        bytes / n.max(1),
        packets as u64 / n.max(1)
    );
    0
}
