//! Chip parameters: the one source of truth that `hw`, `sim` and the firmware's view derive from.
//!
//! ```text
//!   ChipConfig
//!   ├── mesh    (x, y)                      2D mesh of tiles
//!   ├── tile    (cores, l2)                 cores per tile + shared write-back L2
//!   ├── core    (threads, groups, l1i, l1d) fine-grained multithreaded in-order core
//!   ├── home    (slice_bytes)               directory / home slice per tile
//!   ├── noc     (router_latency, flit_bits) XY wormhole mesh
//!   ├── memory  (dram_size, hbm_*, model)   HBM-backed DRAM at 0x8000_0000 (+ banked timing)
//!   └── clock_mhz                           converts ns and GB/s to cycles
//! ```
//!
//! Configurations are strict TOML (`deny_unknown_fields` everywhere): a misspelt key is an error
//! that names the key, never a silently ignored setting. Start from a preset
//! ([`ChipConfig::preset`]), load a file ([`ChipConfig::from_toml_str`]), apply `--set
//! path=value` overrides ([`ChipConfig::apply_override`]) and call [`ChipConfig::validate`]
//! before building anything.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything that can be wrong with a configuration. Each message says what was wrong and what
/// to do about it.
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// The named preset does not exist.
    #[error("unknown preset '{0}'; choose one of: {list}", list = PRESETS.join(", "))]
    UnknownPreset(String),
    /// The TOML text could not be parsed or has unknown/mistyped keys.
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// An override was not of the form `path=value`.
    #[error("override '{0}' is not of the form path=value (e.g. core.threads=8)")]
    OverrideSyntax(String),
    /// An override names a key that does not exist.
    #[error("unknown configuration key '{key}'; valid keys here: {valid}")]
    UnknownKey {
        /// The dotted path given by the user.
        key: String,
        /// The keys that exist at that level.
        valid: String,
    },
    /// A parameter is out of range or inconsistent with another one.
    #[error("invalid parameter {field} = {value}: {why}")]
    Invalid {
        /// Dotted path of the offending parameter.
        field: &'static str,
        /// Its value as given.
        value: String,
        /// What is wrong, and what values are allowed.
        why: String,
    },
}

/// Names of the built-in presets, in the order `strand config --list` prints them.
pub const PRESETS: &[&str] = &["single", "tiny", "u280", "sketch2k"];

/// The preset used when neither `--preset` nor `--config` is given.
pub const DEFAULT_PRESET: &str = "tiny";

/// Base address of DRAM (fixed by the memory map; not configurable).
pub const DRAM_BASE: u64 = 0x8000_0000;

/// The whole chip configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChipConfig {
    /// Human-readable name (the preset's name, or anything for a custom chip).
    pub name: String,
    /// Core clock in MHz; converts nanoseconds and GB/s into cycles.
    pub clock_mhz: f64,
    /// The 2D mesh of tiles.
    pub mesh: MeshConfig,
    /// One tile: its cores and the shared L2.
    pub tile: TileConfig,
    /// One core: hardware threads and L1 caches.
    pub core: CoreConfig,
    /// Home slices (directory), one per tile.
    pub home: HomeConfig,
    /// The network-on-chip.
    pub noc: NocConfig,
    /// DRAM and the HBM channels behind it.
    pub memory: MemoryConfig,
}

/// Mesh dimensions (tiles are numbered row-major: `tile = y * x_dim + x`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeshConfig {
    /// Tiles in the X direction (columns).
    pub x: u32,
    /// Tiles in the Y direction (rows).
    pub y: u32,
}

/// A tile: cores sharing one L2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TileConfig {
    /// Cores per tile.
    pub cores: u32,
    /// The shared, write-back, inclusive tile L2.
    pub l2: CacheConfig,
    /// Number of independently accessed L2 banks (power of two).
    pub l2_banks: u32,
    /// L2 hit latency in cycles, as seen by a core (request to data back).
    pub l2_latency: u32,
}

/// A core: a fine-grained multithreaded in-order pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreConfig {
    /// Hardware threads per core (1..=8).
    pub threads: u32,
    /// Thread groups that select independently each cycle (T2 style); 1 = T1 style.
    pub thread_groups: u32,
    /// Instruction cache.
    pub l1i: CacheConfig,
    /// Data cache (write-through, no-write-allocate).
    pub l1d: CacheConfig,
    /// Store buffer entries per thread.
    pub store_buffer: u32,
    /// Pipeline timing (see docs/pipeline.md).
    pub timing: CoreTiming,
}

/// Latencies of the core pipeline, in cycles between the issue (S stage) of an instruction and
/// the earliest issue of a dependent instruction of the same thread (docs/pipeline.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoreTiming {
    /// Load that hits the L1D to its first consumer (load-use).
    pub load_use: u32,
    /// Branch or jump to the next instruction of the thread (no prediction: resolve in E).
    pub branch: u32,
    /// Pipelined multiplier latency.
    pub mul: u32,
    /// Iterative divider latency (the shared divider is busy that long).
    pub div: u32,
    /// Trap entry or MRET to the first handler instruction (pipeline flush).
    pub trap: u32,
}

impl Default for CoreTiming {
    fn default() -> Self {
        CoreTiming {
            load_use: 3,
            branch: 3,
            mul: 4,
            div: 34,
            trap: 4,
        }
    }
}

/// Geometry of one set-associative cache.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Capacity in bytes (power of two).
    pub size: u64,
    /// Associativity.
    pub ways: u32,
    /// Line size in bytes (power of two, 16..=256).
    pub line: u32,
}

/// Home slices: the directory for the addresses hashed to each tile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HomeConfig {
    /// Directory entries per home slice (a line beyond this evicts the oldest entry and
    /// invalidates its sharers).
    pub directory_entries: u32,
    /// Cycles a home slice takes to look up the directory and decide (per request).
    pub latency: u32,
}

/// The 2D mesh network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NocConfig {
    /// Cycles per hop through a router (1 = OpenPiton, 4 = BookSim's default pipeline).
    pub router_latency: u32,
    /// Flit width in bits.
    pub flit_bits: u32,
    /// Buffer depth (flits) per input virtual channel; credits start at this value.
    pub buffer_flits: u32,
}

/// DRAM (HBM) size and channel timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// DRAM size in bytes, mapped at 0x8000_0000 (multiple of 4 KiB).
    pub dram_size: u64,
    /// HBM pseudo-channels (one memory controller each, at the mesh edges).
    pub hbm_channels: u32,
    /// Idle access latency of a channel in nanoseconds.
    pub hbm_latency_ns: f64,
    /// Peak bandwidth per channel in GB/s (10^9 bytes per second).
    pub hbm_channel_gbps: f64,
    /// Timing model of every channel: `"fixed"` (latency + serialization) or `"banked"`
    /// (open-row banks with the `[memory.banked]` table, FR-FCFS). See docs/hbm.md.
    pub model: HbmModel,
    /// Bytes of consecutive addresses that go to one channel before the hash moves on (power of
    /// two, at least the L2 line so a line never spans two channels).
    pub interleave_bytes: u32,
    /// Requests one memory controller holds from acceptance to completion (its queue).
    pub queue_depth: u32,
    /// Bank geometry and DRAM timing used when `model = "banked"`.
    pub banked: BankedTiming,
}

/// Which timing model every HBM channel uses (`memory.model`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HbmModel {
    /// Every access takes `hbm_latency_ns` plus its serialization on the channel's data bus.
    #[default]
    Fixed,
    /// Open-row banks with tRCD/tRP/tCL/tRAS from [`BankedTiming`], FR-FCFS scheduling.
    Banked,
}

/// One pseudo-channel's banks and DRAM timing (`[memory.banked]`), in nanoseconds so that it does
/// not change with the clock. The defaults are an HBM2 pseudo-channel at 2 Gb/s/pin (tCK = 1 ns):
/// DRAMsim3's `configs/HBM2_8Gb_x128.ini` (CL = tRCD = tRP = 14, tRAS = 34, tRRD_S = 4, tFAW = 30
/// cycles of 1 ns; 4 bank groups x 4 banks; 1 KiB page in pseudo-channel mode, JESD235) and a
/// 32-byte burst (64-bit pseudo-channel, BL4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BankedTiming {
    /// Banks per pseudo-channel (power of two).
    pub banks: u32,
    /// Row (page) size in bytes per bank (power of two).
    pub row_bytes: u32,
    /// Bytes of one burst; a request moves a whole number of bursts (power of two).
    pub burst_bytes: u32,
    /// ACT to column command (row to column delay), ns.
    pub t_rcd_ns: f64,
    /// PRE to ACT (row precharge), ns.
    pub t_rp_ns: f64,
    /// Column command to first data (CAS latency), ns.
    pub t_cl_ns: f64,
    /// ACT to PRE of the same bank (row active time), ns.
    pub t_ras_ns: f64,
    /// ACT to ACT of different banks (row to row delay), ns.
    pub t_rrd_ns: f64,
    /// Window in which at most four ACTs may issue (four-activate window), ns.
    pub t_faw_ns: f64,
}

impl Default for BankedTiming {
    fn default() -> Self {
        BankedTiming {
            banks: 16,
            row_bytes: 1024,
            burst_bytes: 32,
            t_rcd_ns: 14.0,
            t_rp_ns: 14.0,
            t_cl_ns: 14.0,
            t_ras_ns: 34.0,
            t_rrd_ns: 4.0,
            t_faw_ns: 30.0,
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            size: 8 * 1024,
            ways: 4,
            line: 64,
        }
    }
}

impl Default for MeshConfig {
    fn default() -> Self {
        MeshConfig { x: 2, y: 1 }
    }
}

impl Default for TileConfig {
    fn default() -> Self {
        TileConfig {
            cores: 1,
            l2: CacheConfig {
                size: 256 * 1024,
                ways: 8,
                line: 64,
            },
            l2_banks: 4,
            l2_latency: 20,
        }
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            threads: 4,
            thread_groups: 1,
            l1i: CacheConfig::default(),
            l1d: CacheConfig::default(),
            store_buffer: 8,
            timing: CoreTiming::default(),
        }
    }
}

impl Default for HomeConfig {
    fn default() -> Self {
        HomeConfig {
            directory_entries: 8192,
            latency: 2,
        }
    }
}

impl Default for NocConfig {
    fn default() -> Self {
        NocConfig {
            router_latency: 1,
            flit_bits: 64,
            buffer_flits: 4,
        }
    }
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            dram_size: 256 << 20,
            hbm_channels: 2,
            hbm_latency_ns: 100.0,
            hbm_channel_gbps: 14.375,
            model: HbmModel::Fixed,
            interleave_bytes: 256,
            queue_depth: 64,
            banked: BankedTiming::default(),
        }
    }
}

impl Default for ChipConfig {
    fn default() -> Self {
        ChipConfig {
            name: "tiny".into(),
            clock_mhz: 500.0,
            mesh: MeshConfig::default(),
            tile: TileConfig::default(),
            core: CoreConfig::default(),
            home: HomeConfig::default(),
            noc: NocConfig::default(),
            memory: MemoryConfig::default(),
        }
    }
}

impl ChipConfig {
    /// A named preset (see [`PRESETS`]).
    ///
    /// - `single`: 1 tile, 1 core, 1 thread — the ISA reference configuration (Spike comparisons).
    /// - `tiny`: 2x1 mesh, 1 core per tile, 4 threads — smallest chip with NoC and coherence.
    /// - `u280`: what fits an Alveo U280: 4x2 mesh, 4 cores x 4 threads per tile, 32 HBM
    ///   pseudo-channels x 14.375 GB/s (460 GB/s), 8 GiB.
    /// - `sketch2k`: 16x8 mesh, 16 cores x 8 threads per tile (2,048 cores, 16,384 threads),
    ///   512 KiB tile L2, 128 HBM channels (8 stacks' worth).
    pub fn preset(name: &str) -> Result<ChipConfig, ConfigError> {
        let base = ChipConfig::default();
        let cfg = match name {
            "single" => ChipConfig {
                name: "single".into(),
                mesh: MeshConfig { x: 1, y: 1 },
                core: CoreConfig {
                    threads: 1,
                    ..base.core.clone()
                },
                memory: MemoryConfig {
                    hbm_channels: 1,
                    ..base.memory.clone()
                },
                ..base
            },
            "tiny" => base,
            "u280" => ChipConfig {
                name: "u280".into(),
                clock_mhz: 250.0,
                mesh: MeshConfig { x: 4, y: 2 },
                tile: TileConfig {
                    cores: 4,
                    ..base.tile.clone()
                },
                memory: MemoryConfig {
                    dram_size: 8 << 30,
                    hbm_channels: 32,
                    hbm_latency_ns: 120.0,
                    hbm_channel_gbps: 14.375,
                    ..base.memory.clone()
                },
                ..base
            },
            "sketch2k" => ChipConfig {
                name: "sketch2k".into(),
                clock_mhz: 1000.0,
                mesh: MeshConfig { x: 16, y: 8 },
                tile: TileConfig {
                    cores: 16,
                    l2: CacheConfig {
                        size: 512 * 1024,
                        ways: 16,
                        line: 64,
                    },
                    l2_banks: 8,
                    l2_latency: 24,
                },
                core: CoreConfig {
                    threads: 8,
                    thread_groups: 2,
                    ..base.core.clone()
                },
                home: HomeConfig {
                    directory_entries: 16384,
                    ..HomeConfig::default()
                },
                noc: NocConfig {
                    router_latency: 1,
                    flit_bits: 128,
                    buffer_flits: 4,
                },
                memory: MemoryConfig {
                    dram_size: 16 << 30,
                    hbm_channels: 128,
                    hbm_latency_ns: 100.0,
                    hbm_channel_gbps: 25.6,
                    ..base.memory.clone()
                },
            },
            other => return Err(ConfigError::UnknownPreset(other.to_string())),
        };
        Ok(cfg)
    }

    /// Parse a strict TOML configuration. Keys that are absent take the defaults of
    /// [`ChipConfig::default`]; unknown keys are errors.
    pub fn from_toml_str(text: &str) -> Result<ChipConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// Serialize as TOML (the resolved configuration that every run writes next to its results).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).expect("configuration always serializes")
    }

    /// Apply one `path=value` override, e.g. `core.threads=8` or `memory.dram_size=0x10000000`.
    /// The value is read as a TOML value (integers, hex, floats, booleans); anything else is
    /// taken as a string. Sizes may also be written with a K/M/G suffix (`512K`, `8G`).
    pub fn apply_override(&mut self, spec: &str) -> Result<(), ConfigError> {
        let (path, raw) = spec
            .split_once('=')
            .ok_or_else(|| ConfigError::OverrideSyntax(spec.to_string()))?;
        let (path, raw) = (path.trim(), raw.trim());
        if path.is_empty() {
            return Err(ConfigError::OverrideSyntax(spec.to_string()));
        }
        let value = parse_value(raw);
        let mut tree = toml::Value::try_from(&*self).expect("configuration always serializes");
        let mut node = &mut tree;
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let table = match node {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(ConfigError::UnknownKey {
                        key: path.to_string(),
                        valid: format!("'{}' is a value, not a section", parts[..i].join(".")),
                    })
                }
            };
            if !table.contains_key(*part) {
                let valid: Vec<&str> = table.keys().map(|k| k.as_str()).collect();
                return Err(ConfigError::UnknownKey {
                    key: path.to_string(),
                    valid: valid.join(", "),
                });
            }
            let next = table.get_mut(*part).expect("checked above");
            if i + 1 == parts.len() {
                if next.is_table() {
                    return Err(ConfigError::UnknownKey {
                        key: path.to_string(),
                        valid: format!("'{path}' is a section; set one of its keys"),
                    });
                }
                // An integer given for a float field is fine (clock_mhz=250).
                *next = match (&*next, value) {
                    (toml::Value::Float(_), toml::Value::Integer(i)) => {
                        toml::Value::Float(i as f64)
                    }
                    (_, v) => v,
                };
                break;
            }
            node = next;
        }
        let text = toml::to_string(&tree).expect("tree serializes");
        *self = ChipConfig::from_toml_str(&text)
            .map_err(|e| ConfigError::Parse(format!("override '{spec}': {e}")))?;
        Ok(())
    }

    /// Total tiles in the mesh.
    pub fn tiles(&self) -> u32 {
        self.mesh.x * self.mesh.y
    }

    /// Total cores on the chip.
    pub fn cores(&self) -> u32 {
        self.tiles() * self.tile.cores
    }

    /// Total hardware threads (harts) on the chip.
    pub fn harts(&self) -> u32 {
        self.cores() * self.core.threads
    }

    /// `mhartid` of a thread: `((tile * cores_per_tile) + core) * threads + thread`.
    pub fn hart_id(&self, tile: u32, core: u32, thread: u32) -> u32 {
        (tile * self.tile.cores + core) * self.core.threads + thread
    }

    /// Inverse of [`ChipConfig::hart_id`]: `(tile, core, thread)`.
    pub fn hart_location(&self, hart: u32) -> (u32, u32, u32) {
        let thread = hart % self.core.threads;
        let core_global = hart / self.core.threads;
        (
            core_global / self.tile.cores,
            core_global % self.tile.cores,
            thread,
        )
    }

    /// Convert nanoseconds to core cycles (rounded up, at least 1 for a non-zero time).
    pub fn ns_to_cycles(&self, ns: f64) -> u64 {
        (ns * self.clock_mhz / 1000.0).ceil() as u64
    }

    /// Check every parameter and every combination, before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn bad(field: &'static str, value: impl ToString, why: impl Into<String>) -> ConfigError {
            ConfigError::Invalid {
                field,
                value: value.to_string(),
                why: why.into(),
            }
        }
        if !(self.clock_mhz.is_finite() && self.clock_mhz >= 1.0 && self.clock_mhz <= 10_000.0) {
            return Err(bad(
                "clock_mhz",
                self.clock_mhz,
                "must be between 1 and 10000 MHz",
            ));
        }
        if !(1..=64).contains(&self.mesh.x) {
            return Err(bad("mesh.x", self.mesh.x, "mesh columns must be 1..=64"));
        }
        if !(1..=64).contains(&self.mesh.y) {
            return Err(bad("mesh.y", self.mesh.y, "mesh rows must be 1..=64"));
        }
        if !(1..=64).contains(&self.tile.cores) {
            return Err(bad(
                "tile.cores",
                self.tile.cores,
                "cores per tile must be 1..=64",
            ));
        }
        if !(1..=8).contains(&self.core.threads) {
            return Err(bad(
                "core.threads",
                self.core.threads,
                "threads per core must be 1..=8",
            ));
        }
        let g = self.core.thread_groups;
        if g == 0 || !self.core.threads.is_multiple_of(g) {
            return Err(bad(
                "core.thread_groups",
                g,
                format!("must divide core.threads ({}) evenly", self.core.threads),
            ));
        }
        if self.core.store_buffer == 0 || self.core.store_buffer > 64 {
            return Err(bad(
                "core.store_buffer",
                self.core.store_buffer,
                "must be 1..=64",
            ));
        }
        validate_cache("core.l1i", &self.core.l1i)?;
        validate_cache("core.l1d", &self.core.l1d)?;
        validate_cache("tile.l2", &self.tile.l2)?;
        if self.core.l1d.line != self.tile.l2.line || self.core.l1i.line != self.tile.l2.line {
            return Err(bad(
                "tile.l2.line",
                self.tile.l2.line,
                "L1 and L2 line sizes must be equal (coherence works on whole lines)",
            ));
        }
        let b = self.tile.l2_banks;
        if b == 0 || !b.is_power_of_two() || b > 64 {
            return Err(bad("tile.l2_banks", b, "must be a power of two in 1..=64"));
        }
        if u64::from(b) > self.tile.l2.size / u64::from(self.tile.l2.line * self.tile.l2.ways) {
            return Err(bad("tile.l2_banks", b, "more banks than L2 sets"));
        }
        let t = &self.core.timing;
        for (field, v) in [
            ("core.timing.load_use", t.load_use),
            ("core.timing.branch", t.branch),
            ("core.timing.mul", t.mul),
            ("core.timing.div", t.div),
            ("core.timing.trap", t.trap),
            ("tile.l2_latency", self.tile.l2_latency),
        ] {
            if !(1..=1000).contains(&v) {
                return Err(bad(field, v, "latencies must be 1..=1000 cycles"));
            }
        }
        if !(1..=64).contains(&self.home.latency) {
            return Err(bad(
                "home.latency",
                self.home.latency,
                "must be 1..=64 cycles",
            ));
        }
        if self.home.directory_entries == 0 {
            return Err(bad("home.directory_entries", 0, "must be at least 1"));
        }
        if !(1..=16).contains(&self.noc.router_latency) {
            return Err(bad(
                "noc.router_latency",
                self.noc.router_latency,
                "must be 1..=16",
            ));
        }
        let f = self.noc.flit_bits;
        if !f.is_power_of_two() || !(32..=1024).contains(&f) {
            return Err(bad(
                "noc.flit_bits",
                f,
                "must be a power of two in 32..=1024",
            ));
        }
        if !(1..=64).contains(&self.noc.buffer_flits) {
            return Err(bad(
                "noc.buffer_flits",
                self.noc.buffer_flits,
                "must be 1..=64",
            ));
        }
        let m = &self.memory;
        if m.dram_size < (1 << 20) || !m.dram_size.is_multiple_of(4096) {
            return Err(bad(
                "memory.dram_size",
                m.dram_size,
                "must be a multiple of 4 KiB and at least 1 MiB",
            ));
        }
        if m.dram_size > (1 << 40) {
            return Err(bad("memory.dram_size", m.dram_size, "at most 1 TiB"));
        }
        if !(1..=1024).contains(&m.hbm_channels) {
            return Err(bad(
                "memory.hbm_channels",
                m.hbm_channels,
                "must be 1..=1024",
            ));
        }
        if !(m.hbm_latency_ns.is_finite() && m.hbm_latency_ns >= 0.0 && m.hbm_latency_ns < 1e6) {
            return Err(bad(
                "memory.hbm_latency_ns",
                m.hbm_latency_ns,
                "must be 0..1e6 ns",
            ));
        }
        if !(m.hbm_channel_gbps.is_finite() && m.hbm_channel_gbps > 0.0) {
            return Err(bad(
                "memory.hbm_channel_gbps",
                m.hbm_channel_gbps,
                "must be > 0",
            ));
        }
        validate_hbm(m, self.tile.l2.line)?;
        if self.harts() > crate::memmap::CLINT_MAX_HARTS {
            return Err(bad(
                "core.threads",
                self.core.threads,
                format!(
                    "the chip would have {} harts; the CLINT supports at most {}",
                    self.harts(),
                    crate::memmap::CLINT_MAX_HARTS
                ),
            ));
        }
        Ok(())
    }
}

fn validate_cache(field: &'static str, c: &CacheConfig) -> Result<(), ConfigError> {
    let err = |why: String| ConfigError::Invalid {
        field,
        value: format!(
            "{{ size = {}, ways = {}, line = {} }}",
            c.size, c.ways, c.line
        ),
        why,
    };
    if !c.line.is_power_of_two() || !(16..=256).contains(&c.line) {
        return Err(err("line must be a power of two in 16..=256 bytes".into()));
    }
    if !c.size.is_power_of_two() || c.size < u64::from(c.line) {
        return Err(err(
            "size must be a power of two of at least one line".into()
        ));
    }
    if c.ways == 0 || c.ways > 64 {
        return Err(err("ways must be 1..=64".into()));
    }
    let lines = c.size / u64::from(c.line);
    if !lines.is_multiple_of(u64::from(c.ways)) || !(lines / u64::from(c.ways)).is_power_of_two() {
        return Err(err(format!(
            "size/line/ways gives {} lines in {} ways: the set count must be a power of two",
            lines, c.ways
        )));
    }
    Ok(())
}

/// The HBM geometry and timing checks (after the basic `memory.*` ranges).
fn validate_hbm(m: &MemoryConfig, line: u32) -> Result<(), ConfigError> {
    fn bad(field: &'static str, value: impl ToString, why: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            field,
            value: value.to_string(),
            why: why.into(),
        }
    }
    if !m.hbm_channels.is_power_of_two() {
        return Err(bad(
            "memory.hbm_channels",
            m.hbm_channels,
            "must be a power of two (the channel hash selects address bits)",
        ));
    }
    if m.hbm_channel_gbps > 10_000.0 || m.hbm_channel_gbps < 0.001 {
        return Err(bad(
            "memory.hbm_channel_gbps",
            m.hbm_channel_gbps,
            "must be 0.001..=10000 GB/s",
        ));
    }
    let i = m.interleave_bytes;
    if !i.is_power_of_two() || !(16..=(1 << 20)).contains(&i) {
        return Err(bad(
            "memory.interleave_bytes",
            i,
            "must be a power of two in 16..=1048576",
        ));
    }
    if i < line {
        return Err(bad(
            "memory.interleave_bytes",
            i,
            format!("must be at least the L2 line ({line} bytes) so a line never spans channels"),
        ));
    }
    if u64::from(i) * u64::from(m.hbm_channels) > m.dram_size {
        return Err(bad(
            "memory.interleave_bytes",
            i,
            format!(
                "interleave x channels ({} x {}) exceeds memory.dram_size ({}); lower one of them",
                i, m.hbm_channels, m.dram_size
            ),
        ));
    }
    if !(1..=4096).contains(&m.queue_depth) {
        return Err(bad("memory.queue_depth", m.queue_depth, "must be 1..=4096"));
    }
    let b = &m.banked;
    if !b.banks.is_power_of_two() || b.banks > 256 {
        return Err(bad(
            "memory.banked.banks",
            b.banks,
            "must be a power of two in 1..=256",
        ));
    }
    if !b.row_bytes.is_power_of_two() || !(64..=(1 << 16)).contains(&b.row_bytes) {
        return Err(bad(
            "memory.banked.row_bytes",
            b.row_bytes,
            "must be a power of two in 64..=65536",
        ));
    }
    if !b.burst_bytes.is_power_of_two() || b.burst_bytes > b.row_bytes {
        return Err(bad(
            "memory.banked.burst_bytes",
            b.burst_bytes,
            format!(
                "must be a power of two no larger than memory.banked.row_bytes ({})",
                b.row_bytes
            ),
        ));
    }
    for (field, v) in [
        ("memory.banked.t_rcd_ns", b.t_rcd_ns),
        ("memory.banked.t_rp_ns", b.t_rp_ns),
        ("memory.banked.t_cl_ns", b.t_cl_ns),
        ("memory.banked.t_ras_ns", b.t_ras_ns),
        ("memory.banked.t_rrd_ns", b.t_rrd_ns),
        ("memory.banked.t_faw_ns", b.t_faw_ns),
    ] {
        if !(v.is_finite() && (0.0..=10_000.0).contains(&v)) {
            return Err(bad(field, v, "must be 0..=10000 ns"));
        }
    }
    if m.model == HbmModel::Banked && m.hbm_latency_ns < b.t_rcd_ns + b.t_cl_ns {
        return Err(bad(
            "memory.hbm_latency_ns",
            m.hbm_latency_ns,
            format!(
                "with model = \"banked\" the idle latency includes tRCD + tCL ({} ns); raise it or lower memory.banked.t_rcd_ns/t_cl_ns",
                b.t_rcd_ns + b.t_cl_ns
            ),
        ));
    }
    Ok(())
}

/// Read an override value: TOML literal if it parses, a size with suffix, else a string.
fn parse_value(raw: &str) -> toml::Value {
    if let Some(n) = parse_size(raw) {
        return toml::Value::Integer(n as i64);
    }
    #[derive(Deserialize)]
    struct V {
        v: toml::Value,
    }
    match toml::from_str::<V>(&format!("v = {raw}")) {
        Ok(V { v }) => v,
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

/// Parse `123`, `0x1000`, `512K`, `8M`, `2G` (binary multiples) into a byte count.
pub fn parse_size(raw: &str) -> Option<u64> {
    let s = raw.trim().replace('_', "");
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    let (digits, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (&s[..], 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_validates_and_round_trips() {
        for name in PRESETS {
            let c = ChipConfig::preset(name).unwrap();
            c.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&c.name, name);
            let back = ChipConfig::from_toml_str(&c.to_toml_string()).unwrap();
            assert_eq!(back, c);
        }
    }

    #[test]
    fn preset_sizes() {
        assert_eq!(ChipConfig::preset("single").unwrap().harts(), 1);
        assert_eq!(ChipConfig::preset("tiny").unwrap().harts(), 8);
        let s = ChipConfig::preset("sketch2k").unwrap();
        assert_eq!(s.cores(), 2048);
        assert_eq!(s.harts(), 16384);
        let u = ChipConfig::preset("u280").unwrap();
        assert_eq!(u.memory.hbm_channels, 32);
    }

    #[test]
    fn hart_ids_follow_the_brief() {
        let c = ChipConfig::preset("u280").unwrap();
        for h in 0..c.harts() {
            let (t, k, th) = c.hart_location(h);
            assert_eq!(c.hart_id(t, k, th), h);
        }
        assert_eq!(c.hart_id(1, 2, 3), (4 + 2) * 4 + 3);
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let e = ChipConfig::from_toml_str("[core]\nthreds = 4\n").unwrap_err();
        assert!(e.to_string().contains("threds"), "{e}");
        let e = ChipConfig::from_toml_str("colour = 1\n").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn partial_files_take_defaults() {
        let c = ChipConfig::from_toml_str("[core]\nthreads = 8\n").unwrap();
        assert_eq!(c.core.threads, 8);
        assert_eq!(c.mesh, MeshConfig::default());
    }

    #[test]
    fn overrides() {
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.apply_override("core.threads=8").unwrap();
        c.apply_override("memory.dram_size=0x10000000").unwrap();
        c.apply_override("clock_mhz=250").unwrap();
        c.apply_override("tile.l2.size=512K").unwrap();
        c.apply_override("name=mine").unwrap();
        assert_eq!(c.core.threads, 8);
        assert_eq!(c.memory.dram_size, 0x1000_0000);
        assert_eq!(c.clock_mhz, 250.0);
        assert_eq!(c.tile.l2.size, 512 * 1024);
        assert_eq!(c.name, "mine");
        let e = c.apply_override("core.thread=8").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown configuration key 'core.thread'"),
            "{e}"
        );
        assert!(e.to_string().contains("threads"), "{e}");
        let e = c.apply_override("core=8").unwrap_err();
        assert!(e.to_string().contains("section"), "{e}");
        let e = c.apply_override("core.threads").unwrap_err();
        assert!(matches!(e, ConfigError::OverrideSyntax(_)));
        let e = c.apply_override("core.threads=many").unwrap_err();
        assert!(e.to_string().contains("core.threads=many"), "{e}");
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.core.threads = 9;
        let e = c.validate().unwrap_err();
        assert!(e.to_string().contains("core.threads = 9"), "{e}");
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.core.l1d.size = 3000;
        assert!(c.validate().unwrap_err().to_string().contains("core.l1d"));
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.core.thread_groups = 3;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("thread_groups"));
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.memory.dram_size = 1000;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("memory.dram_size"));
        assert!(ChipConfig::preset("huge")
            .unwrap_err()
            .to_string()
            .contains("sketch2k"));
    }

    #[test]
    fn hbm_model_and_table_parse_and_override() {
        let c = ChipConfig::preset("u280").unwrap();
        assert_eq!(c.memory.hbm_channels, 32);
        assert_eq!(c.memory.hbm_channel_gbps, 14.375);
        assert_eq!(c.memory.dram_size, 8 << 30);
        assert_eq!(c.memory.model, HbmModel::Fixed);
        assert_eq!(c.memory.interleave_bytes, 256);
        let c = ChipConfig::from_toml_str(
            "[memory]\nmodel = \"banked\"\n[memory.banked]\nt_rcd_ns = 15.0\n",
        )
        .unwrap();
        assert_eq!(c.memory.model, HbmModel::Banked);
        assert_eq!(c.memory.banked.t_rcd_ns, 15.0);
        assert_eq!(c.memory.banked.banks, 16);
        c.validate().unwrap();
        let back = ChipConfig::from_toml_str(&c.to_toml_string()).unwrap();
        assert_eq!(back, c);
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.apply_override("memory.model=banked").unwrap();
        c.apply_override("memory.banked.t_rp_ns=20").unwrap();
        assert_eq!(c.memory.model, HbmModel::Banked);
        assert_eq!(c.memory.banked.t_rp_ns, 20.0);
        let e = ChipConfig::from_toml_str("[memory]\nmodel = \"magic\"\n").unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
        let e = ChipConfig::from_toml_str("[memory.banked]\ntrcd = 1\n").unwrap_err();
        assert!(e.to_string().contains("trcd"), "{e}");
    }

    #[test]
    fn hbm_validation_names_the_field() {
        let check = |f: &dyn Fn(&mut MemoryConfig), want: &str| {
            let mut c = ChipConfig::preset("u280").unwrap();
            f(&mut c.memory);
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        };
        check(
            &|m| m.hbm_channels = 24,
            "memory.hbm_channels = 24: must be a power of two",
        );
        check(&|m| m.hbm_channel_gbps = 1e9, "memory.hbm_channel_gbps");
        check(
            &|m| m.interleave_bytes = 100,
            "memory.interleave_bytes = 100",
        );
        check(
            &|m| m.interleave_bytes = 32,
            "at least the L2 line (64 bytes)",
        );
        check(&|m| m.queue_depth = 0, "memory.queue_depth = 0");
        check(&|m| m.banked.banks = 12, "memory.banked.banks = 12");
        check(&|m| m.banked.row_bytes = 1000, "memory.banked.row_bytes");
        check(
            &|m| m.banked.burst_bytes = 4096,
            "memory.banked.burst_bytes",
        );
        check(&|m| m.banked.t_ras_ns = -1.0, "memory.banked.t_ras_ns = -1");
        check(&|m| m.banked.t_cl_ns = f64::NAN, "memory.banked.t_cl_ns");
        check(
            &|m| {
                m.model = HbmModel::Banked;
                m.hbm_latency_ns = 20.0;
            },
            "memory.hbm_latency_ns = 20: with model = \"banked\"",
        );
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.memory.dram_size = 1 << 20;
        c.memory.hbm_channels = 8;
        c.memory.interleave_bytes = 1 << 18;
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("exceeds memory.dram_size"), "{e}");
        // A fixed-model chip may carry any valid table; the coupling check is banked-only.
        let mut c = ChipConfig::preset("tiny").unwrap();
        c.memory.hbm_latency_ns = 10.0;
        c.validate().unwrap();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size("0x1000"), Some(4096));
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("abc"), None);
        assert_eq!(parse_size("K"), None);
    }
}
