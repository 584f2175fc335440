//! What the workload firmware (`firmware/examples/{graph500-bfs,kg-query,thinclient-frame}`) and
//! the host checker (`strand workload check`) must agree on: the bootargs of each run, parsed
//! the same way on both sides into typed parameters with the same defaults, their canonical
//! text form (written by the firmware, compared by the checker), and the files in the share.
//!
//! Bootargs follow `strand-rt`'s rules: whitespace-separated `key=value` words, the last one
//! wins, numbers are decimal or `0x` hex with an optional `k`/`K`, `m`/`M`, `g`/`G` suffix
//! (powers of two). Unknown keys are ignored (the firmware's own keys such as `tag=`, and the
//! runtime's `rt.verbose`).
//!
//! | run | keys (default) | file(s) in the share |
//! |-----|----------------|----------------------|
//! | [`BfsRun`] | `scale=` (10), `edgefactor=` (16), `roots=` (8), `seed=` (1) | `graph500/summary.txt`, `graph500/parent-KK.bin` ([`crate::wire`] kind 4, tag = root) |
//! | [`KgRun`] | `univ=` (0 = [`LubmConfig::small`]), `points=` (64 per query), `seed=` (1) | `kg/summary.txt`, `kg/points.bin` (kind 4, [`KG_POINT_WORDS`] words per point query) |
//! | [`FrameRun`] | `res=` (`1080`, `720` or `small`; default 1080), `frames=` (4), `seed=` (1) | `thinclient/summary.txt`, `thinclient/frame-FFFF.bin` (kind 5, tag = frame) |
//!
//! `summary.txt` is text: one record per line, a record name then `key=value` words; the first
//! line is `params` followed by the canonical parameters ([`core::fmt::Display`] of the run).

use alloc::format;
use alloc::string::String;
use core::fmt;

use crate::compositor::{FrameSize, SceneConfig};
use crate::graph500::KroneckerParams;
use crate::kg::LubmConfig;

/// Parses `123`, `0x7b`, `64K`, `2M`, `1G` (the runtime's number syntax); `None` when invalid.
pub fn parse_number(s: &str) -> Option<u64> {
    let (digits, shift) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 10),
        b'm' | b'M' => (&s[..s.len() - 1], 20),
        b'g' | b'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let (digits, radix) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (hex, 16),
        None => (digits, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        v = v
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(c.to_digit(radix)?))?;
    }
    v.checked_mul(1u64 << shift)
}

/// The value of the last `key=value` word of `bootargs`.
pub fn bootarg<'a>(bootargs: &'a str, key: &str) -> Option<&'a str> {
    bootargs
        .split_ascii_whitespace()
        .filter_map(|w| w.split_once('='))
        .rfind(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// A bad bootarg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The key.
    pub key: &'static str,
    /// What is wrong.
    pub why: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bootarg {}: {}", self.key, self.why)
    }
}

impl core::error::Error for ParamError {}

/// The number given for `key` (or `default`), which must lie in `min..=max`.
fn number(
    bootargs: &str,
    key: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ParamError> {
    let v = match bootarg(bootargs, key) {
        None => default,
        Some(s) => parse_number(s).ok_or_else(|| ParamError {
            key,
            why: format!("`{s}` is not a number"),
        })?,
    };
    if v < min || v > max {
        return Err(ParamError {
            key,
            why: format!("{v} is outside {min}..={max}"),
        });
    }
    Ok(v)
}

/// Parameters of a `graph500-bfs` run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BfsRun {
    /// `scale=`: log2 of the vertex count (1..=26).
    pub scale: u32,
    /// `edgefactor=`: edges per vertex (1..=64).
    pub edge_factor: u32,
    /// `roots=`: number of BFS roots (1..=64; Graph500 uses 64, the brief 8-16).
    pub roots: u32,
    /// `seed=`: generator seed.
    pub seed: u64,
}

impl BfsRun {
    /// Parses the bootargs.
    pub fn from_bootargs(bootargs: &str) -> Result<Self, ParamError> {
        Ok(Self {
            scale: number(bootargs, "scale", 10, 1, 26)? as u32,
            edge_factor: number(bootargs, "edgefactor", 16, 1, 64)? as u32,
            roots: number(bootargs, "roots", 8, 1, 64)? as u32,
            seed: number(bootargs, "seed", 1, 0, u64::MAX)?,
        })
    }

    /// The Kronecker generator's parameters.
    pub fn kronecker(&self) -> KroneckerParams {
        KroneckerParams {
            edge_factor: self.edge_factor,
            ..KroneckerParams::new(self.scale, self.seed)
        }
    }
}

impl fmt::Display for BfsRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scale={} edgefactor={} roots={} seed={}",
            self.scale, self.edge_factor, self.roots, self.seed
        )
    }
}

/// Parameters of a `kg-query` run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KgRun {
    /// `univ=`: universities of [`LubmConfig::lubm`]; 0 means [`LubmConfig::small`] (0..=64).
    pub universities: u32,
    /// `points=`: point queries per standard query (1..=1M).
    pub points: u32,
    /// `seed=`: generator and point-sampling seed.
    pub seed: u64,
}

impl KgRun {
    /// Parses the bootargs.
    pub fn from_bootargs(bootargs: &str) -> Result<Self, ParamError> {
        Ok(Self {
            universities: number(bootargs, "univ", 0, 0, 64)? as u32,
            points: number(bootargs, "points", 64, 1, 1 << 20)? as u32,
            seed: number(bootargs, "seed", 1, 0, u64::MAX)?,
        })
    }

    /// The generator's configuration.
    pub fn config(&self) -> LubmConfig {
        match self.universities {
            0 => LubmConfig::small(self.seed),
            u => LubmConfig::lubm(u, self.seed),
        }
    }
}

impl fmt::Display for KgRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "univ={} points={} seed={}",
            self.universities, self.points, self.seed
        )
    }
}

/// Words per point query in `kg/points.bin`: query index, bound `?x`, solution count (`u32`),
/// hash low and high words, latency in cycles (saturated to `u32`).
pub const KG_POINT_WORDS: usize = 6;

/// Frame size of [`FrameRun`]'s `res=small`: 320x240 (the smallest scene size).
pub const SMALL_FRAME: FrameSize = FrameSize {
    width: 320,
    height: 240,
};

/// Parameters of a `thinclient-frame` run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRun {
    /// `res=`: `1080` (1920x1080, default), `720` (1280x720) or `small` (320x240).
    pub size: FrameSize,
    /// `frames=`: frames to render, encode and send (1..=10000).
    pub frames: u32,
    /// `seed=`: scene seed.
    pub seed: u64,
}

impl FrameRun {
    /// Parses the bootargs.
    pub fn from_bootargs(bootargs: &str) -> Result<Self, ParamError> {
        let size = match bootarg(bootargs, "res").unwrap_or("1080") {
            "1080" | "1080p" => FrameSize::FHD1080,
            "720" | "720p" => FrameSize::HD720,
            "small" => SMALL_FRAME,
            other => {
                return Err(ParamError {
                    key: "res",
                    why: format!("`{other}` is not 1080, 720 or small"),
                })
            }
        };
        Ok(Self {
            size,
            frames: number(bootargs, "frames", 4, 1, 10_000)? as u32,
            seed: number(bootargs, "seed", 1, 0, u64::MAX)?,
        })
    }

    /// The name `res=` takes for this size.
    pub fn res_name(&self) -> &'static str {
        if self.size == FrameSize::FHD1080 {
            "1080"
        } else if self.size == FrameSize::HD720 {
            "720"
        } else {
            "small"
        }
    }

    /// The scene's configuration.
    pub fn scene_config(&self) -> SceneConfig {
        SceneConfig::new(self.size, self.seed)
    }
}

impl fmt::Display for FrameRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "res={} frames={} seed={}",
            self.res_name(),
            self.frames,
            self.seed
        )
    }
}

/// Folder of `graph500-bfs`'s results in the share.
pub const GRAPH500_DIR: &str = "graph500";
/// Folder of `kg-query`'s results in the share.
pub const KG_DIR: &str = "kg";
/// Folder of `thinclient-frame`'s results in the share.
pub const THINCLIENT_DIR: &str = "thinclient";
/// Summary file name inside each folder.
pub const SUMMARY: &str = "summary.txt";
/// `kg-query`'s point-query results inside [`KG_DIR`].
pub const KG_POINTS: &str = "points.bin";

/// `graph500/parent-KK.bin`: the parent array of the `k`-th root.
pub fn graph500_parent_file(k: usize) -> String {
    format!("{GRAPH500_DIR}/parent-{k:02}.bin")
}

/// `thinclient/frame-FFFF.bin`: the packets of frame `f`.
pub fn thinclient_frame_file(f: u32) -> String {
    format!("{THINCLIENT_DIR}/frame-{f:04}.bin")
}

/// The value of `key=value` among the words of a summary line (after the record name).
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_ascii_whitespace()
        .skip(1)
        .filter_map(|w| w.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn numbers_and_last_word_wins() {
        assert_eq!(parse_number("64K"), Some(65536));
        assert_eq!(parse_number("0x10"), Some(16));
        assert_eq!(parse_number("2m"), Some(2 << 20));
        assert_eq!(parse_number("x"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(bootarg("a=1 b=2 a=3 flag", "a"), Some("3"));
        assert_eq!(bootarg("flag", "flag"), None);
    }

    #[test]
    fn defaults_and_canonical_forms() {
        let b = BfsRun::from_bootargs("").unwrap();
        assert_eq!(b.to_string(), "scale=10 edgefactor=16 roots=8 seed=1");
        let b = BfsRun::from_bootargs("tag=x scale=12 roots=0x10 seed=7").unwrap();
        assert_eq!(b.to_string(), "scale=12 edgefactor=16 roots=16 seed=7");
        assert_eq!(b.kronecker().num_edges(), 16 << 12);
        assert_eq!(BfsRun::from_bootargs("scale=40").unwrap_err().key, "scale");
        assert_eq!(BfsRun::from_bootargs("roots=abc").unwrap_err().key, "roots");
        let k = KgRun::from_bootargs("points=16").unwrap();
        assert_eq!(k.to_string(), "univ=0 points=16 seed=1");
        assert_eq!(k.config(), LubmConfig::small(1));
        let f = FrameRun::from_bootargs("res=small frames=3").unwrap();
        assert_eq!(f.to_string(), "res=small frames=3 seed=1");
        assert_eq!(
            FrameRun::from_bootargs("").unwrap().size,
            FrameSize::FHD1080
        );
        assert_eq!(
            FrameRun::from_bootargs("res=720p").unwrap().res_name(),
            "720"
        );
        assert!(FrameRun::from_bootargs("res=4k").is_err());
        assert_eq!(field("root k=3 vertex=7", "vertex"), Some("7"));
        assert_eq!(field("root k=3", "root"), None);
        assert_eq!(graph500_parent_file(3), "graph500/parent-03.bin");
        assert_eq!(thinclient_frame_file(2), "thinclient/frame-0002.bin");
    }
}
