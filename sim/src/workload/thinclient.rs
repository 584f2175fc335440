//! `strand workload check thinclient`: decodes the packets `thinclient-frame` sent, frame by
//! frame, and compares the rebuilt framebuffer with the golden compositor bit for bit.

use std::io::Write;
use std::path::Path;

use strand_workloads::compositor::{
    composite_full, ChunkHeader, Decoder, Scene, TileSet, CHUNK_HEADER_LEN, MAX_PACKET_LEN,
};
use strand_workloads::run::{thinclient_frame_file, FrameRun, THINCLIENT_DIR};
use strand_workloads::wire;

use super::{field, read_file, same, Summary};

/// Checks `share/thinclient/` for a run with `bootargs`.
pub fn check(share: &Path, bootargs: &str, out: &mut dyn Write) -> Result<String, String> {
    let run = FrameRun::from_bootargs(bootargs).map_err(|e| e.to_string())?;
    let sum = Summary::read(share, THINCLIENT_DIR)?;
    sum.expect_params(&run.to_string())?;
    let scene = Scene::generate(&run.scene_config());
    let size = scene.size;
    let s = sum.record("scene")?;
    same("surfaces", field(s, "surfaces")?, scene.surfaces.len())?;
    same("width", field(s, "width")?, size.width)?;
    same("height", field(s, "height")?, size.height)?;
    let lines = sum.records("frame");
    same("frames", lines.len(), run.frames as usize)?;
    let mut decoder = Decoder::new(size);
    let (mut bytes, mut packets_total) = (0u64, 0usize);
    for (f, line) in (0..run.frames).zip(&lines) {
        let here = |e: String| format!("frame {f}: {e}");
        let file = thinclient_frame_file(f);
        let (tag, packets) = wire::read_packets(&read_file(share, &file)?)
            .map_err(|e| here(format!("{file}: {e}")))?;
        same("packet file tag", tag, u64::from(f)).map_err(here)?;
        // Every chunk belongs to this frame; count the payload.
        let mut payload = 0u64;
        for (i, p) in packets.iter().enumerate() {
            if p.len() > MAX_PACKET_LEN {
                return Err(here(format!(
                    "packet {i} has {} bytes (> {MAX_PACKET_LEN})",
                    p.len()
                )));
            }
            let mut pos = 0;
            while pos + CHUNK_HEADER_LEN <= p.len() {
                let hb: &[u8; CHUNK_HEADER_LEN] =
                    p[pos..pos + CHUNK_HEADER_LEN].try_into().expect("16 bytes");
                let h = ChunkHeader::parse(hb).map_err(|e| here(format!("packet {i}: {e}")))?;
                if h.frame != f {
                    return Err(here(format!(
                        "packet {i} carries a chunk of frame {}",
                        h.frame
                    )));
                }
                payload += u64::from(h.len);
                pos += CHUNK_HEADER_LEN + usize::from(h.len);
            }
            decoder
                .apply_packet(p)
                .map_err(|e| here(format!("packet {i}: {e}")))?;
        }
        if decoder.pending_tiles() != 0 {
            return Err(here(format!(
                "{} tiles incomplete after the last packet",
                decoder.pending_tiles()
            )));
        }
        let mut damaged = if f == 0 {
            TileSet::full(size)
        } else {
            TileSet::empty(size)
        };
        if f > 0 {
            for r in scene.damage(f) {
                damaged.insert_rect(&r);
            }
        }
        same("tiles sent", field(line, "tiles")?, damaged.len()).map_err(here)?;
        same("payload bytes", field(line, "payload")?, payload).map_err(here)?;
        let golden = composite_full(&scene, f);
        if let Some(i) = decoder
            .framebuffer()
            .iter()
            .zip(&golden)
            .position(|(a, b)| a != b)
        {
            let w = size.width as usize;
            return Err(here(format!(
                "decoded framebuffer differs from the golden composite at pixel ({}, {}): {:#010x}, expected {:#010x}",
                i % w,
                i / w,
                decoder.framebuffer()[i],
                golden[i]
            )));
        }
        let fb: u64 = packets.iter().map(|p| p.len() as u64).sum();
        let _ = writeln!(
            out,
            "thinclient: frame {f}: {} tiles in {} packets ({fb} bytes) decode bit-exact ({} cycles)",
            damaged.len(),
            packets.len(),
            field::<u64>(line, "cycles")?
        );
        bytes += fb;
        packets_total += packets.len();
    }
    let t = sum.record("frames")?;
    Ok(format!(
        "{} frames decode bit-exact to the golden framebuffer ({run}: {}x{}, {} surfaces); {} packets, {} bytes/frame; {} frames/s, frame time p99 {} cycles ({} us)",
        run.frames,
        size.width,
        size.height,
        scene.surfaces.len(),
        packets_total,
        bytes / u64::from(run.frames),
        field::<String>(t, "fps")?,
        field::<u64>(t, "p99_cycles")?,
        field::<String>(t, "p99_us")?
    ))
}
