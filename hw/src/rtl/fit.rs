//! `strand fit`: Yosys `synth_xilinx -family xcup` resource estimates of a generated chip, per
//! core, per router, per tile and for the chip, and how many tiles fit an Alveo U280 / U55C.
//!
//! ```text
//!  generate(cfg) ─► <work>/rtl/*.v
//!    core    hw/src/rtl/core synthesised alone (added per instance)
//!    router  synthesised alone (a one-tile chip has none; reported for reference)
//!    tile    synthesised with the core as a black box (read_verilog -lib)
//!    uncore  memfront + clint + mmio bridge, each synthesised alone
//!    chip    tiles x tile + uncore, and the chip top elaborated by Yosys
//!            (hierarchy -check; proc) to prove it builds; with `--whole` the chip top is
//!            also synthesised whole (core black box)
//! ```
//!
//! Yosys runs are cached: a unit whose files and script are unchanged reuses the `stat` report
//! in the work folder (`<unit>.xcup.stat` with its `.key`).
//!
//! LUTs count logic LUTs plus the LUTs that LUT RAM occupies (`RAM64M8`/`RAM32M16`: 8,
//! `RAM64M`/`RAM32M`: 4, `RAM*X1D`: 2, `RAM*X1S`, `SRL*`: 1); BRAM36 counts `RAMB36E2` + ½
//! `RAMB18E2`. The RAM check confirms that each memory template became its primitive: LUT RAM in
//! the router and L1 tag arrays, RAMB in the L1 data, L2 tag and directory arrays, URAM in large
//! L2 data arrays, and that no `$mem` cell is left.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::blocks::chip::{chip_mem_params, generate};
use super::blocks::clint::ClintParams;
use super::blocks::memctrl::MemParams;
use super::blocks::router::RouterParams;
use super::blocks::tile::{l2_params, tile_name};
use super::tools::{find_tool, parse_stat, CellCounts};
use super::{Design, RamStyle, RtlError};
use crate::ChipConfig;

/// Resources of one synthesised unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Resources {
    /// LUTs: logic LUTs plus the LUTs used as LUT RAM / shift registers.
    pub lut: u64,
    /// Of those, LUTs used as memory.
    pub lutram: u64,
    /// Flip-flops.
    pub ff: u64,
    /// 36 Kb block RAMs (a RAMB18 counts one half).
    pub bram36: f64,
    /// UltraRAMs.
    pub uram: u64,
    /// DSP slices.
    pub dsp: u64,
    /// Every cell type Yosys reported, with its count.
    pub cells: BTreeMap<String, u64>,
}

impl Resources {
    /// From Yosys `stat` cell counts.
    pub fn from_cells(c: &CellCounts) -> Resources {
        let lutram_weight = |name: &str| -> u64 {
            match name {
                "RAM64M8" | "RAM32M16" => 8,
                "RAM64M" | "RAM32M" | "RAM128X1D" | "RAM256X1S" | "RAM256X1D" => 4,
                "RAM32X1D" | "RAM64X1D" | "RAM128X1S" => 2,
                "RAM32X1S" | "RAM64X1S" | "SRL16E" | "SRLC32E" | "SRLC16E" => 1,
                _ => 0,
            }
        };
        let lutram: u64 = c.cells.iter().map(|(k, v)| lutram_weight(k) * v).sum();
        Resources {
            lut: c.count("LUT") + lutram,
            lutram,
            ff: c.count("FD"),
            bram36: c.count("RAMB36") as f64 + c.count("RAMB18") as f64 / 2.0,
            uram: c.count("URAM"),
            dsp: c.count("DSP"),
            cells: c.cells.clone(),
        }
    }

    /// `self * n + other` (the chip from its tiles and uncore); cell lists are not kept.
    pub fn scaled_plus(&self, n: u64, other: &Resources) -> Resources {
        Resources {
            lut: self.lut * n + other.lut,
            lutram: self.lutram * n + other.lutram,
            ff: self.ff * n + other.ff,
            bram36: self.bram36 * n as f64 + other.bram36,
            uram: self.uram * n + other.uram,
            dsp: self.dsp * n + other.dsp,
            cells: BTreeMap::new(),
        }
    }

    fn add(&mut self, o: &Resources) {
        *self = self.scaled_plus(1, o);
    }
}

/// A board's capacity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Board {
    /// Name.
    pub name: &'static str,
    /// LUTs.
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// 36 Kb block RAMs.
    pub bram36: f64,
    /// UltraRAMs.
    pub uram: u64,
}

/// The Alveo boards (XCU280 and XCU55C have the same fabric).
pub const BOARDS: [Board; 2] = [
    Board {
        name: "Alveo U280",
        lut: 1_304_000,
        ff: 2_607_000,
        bram36: 2016.0,
        uram: 960,
    },
    Board {
        name: "Alveo U55C",
        lut: 1_304_000,
        ff: 2_607_000,
        bram36: 2016.0,
        uram: 960,
    },
];

/// How many tiles fit a board next to the uncore.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoardFit {
    /// The board.
    pub board: &'static str,
    /// Tiles that fit (100% utilisation; real designs close timing well below it).
    pub tiles: u64,
    /// The resource that runs out first.
    pub limited_by: &'static str,
}

/// One RAM-mapping check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RamCheck {
    /// The unit synthesised.
    pub unit: String,
    /// What was expected.
    pub expect: String,
    /// True if it holds.
    pub ok: bool,
}

/// The report of `strand fit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitReport {
    /// Configuration name.
    pub config: String,
    /// Mesh, cores, threads.
    pub shape: String,
    /// Tiles.
    pub tiles: u32,
    /// Hardware threads.
    pub harts: u32,
    /// The core, synthesised alone; `None` if it cannot be generated for this configuration.
    pub core: Option<Resources>,
    /// How the core was counted, or why it is missing.
    pub core_note: Option<String>,
    /// One router (a tile has three).
    pub router: Resources,
    /// One tile without its cores (they are black boxes in the tile).
    pub tile: Resources,
    /// One tile with its cores (tile + cores x core).
    pub tile_with_cores: Resources,
    /// Memory front end + CLINT + MMIO bridge.
    pub uncore: Resources,
    /// The uncore's parts: (module, resources).
    pub uncore_parts: Vec<(String, Resources)>,
    /// The chip.
    pub chip: Resources,
    /// How the chip numbers were obtained.
    pub chip_method: String,
    /// Chip LUTs per hardware thread.
    pub luts_per_thread: f64,
    /// Tiles per board.
    pub fits: Vec<BoardFit>,
    /// RAM mapping checks.
    pub ram_checks: Vec<RamCheck>,
    /// Yosys warnings (first few per unit).
    pub warnings: Vec<String>,
}

impl FitReport {
    /// True when every RAM check holds.
    pub fn rams_ok(&self) -> bool {
        self.ram_checks.iter().all(|c| c.ok)
    }

    /// The human-readable table.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "strand fit: {} ({}) — yosys synth_xilinx -family xcup\n",
            self.config, self.shape
        );
        s.push_str(&format!(
            "{:<22} {:>10} {:>9} {:>10} {:>8} {:>6} {:>5}\n",
            "unit", "LUT", "(LUTRAM)", "FF", "BRAM36", "URAM", "DSP"
        ));
        let row = |name: &str, r: &Resources| {
            format!(
                "{:<22} {:>10} {:>9} {:>10} {:>8.1} {:>6} {:>5}\n",
                name, r.lut, r.lutram, r.ff, r.bram36, r.uram, r.dsp
            )
        };
        match &self.core {
            Some(c) => s.push_str(&row("core", c)),
            None => s.push_str(&format!("{:<22} missing\n", "core")),
        }
        s.push_str(&row("router (x3 per tile of a mesh)", &self.router));
        s.push_str(&row("tile without cores", &self.tile));
        s.push_str(&row("tile with cores", &self.tile_with_cores));
        for (name, r) in &self.uncore_parts {
            let short = name.split('_').next().unwrap_or(name);
            s.push_str(&row(&format!("  {short}"), r));
        }
        s.push_str(&row("uncore (mem+clint+io)", &self.uncore));
        s.push_str(&row(&format!("chip ({} tiles)", self.tiles), &self.chip));
        s.push_str(&format!("chip: {}\n", self.chip_method));
        if let Some(n) = &self.core_note {
            s.push_str(&format!("core: {n}\n"));
        }
        s.push_str(&format!(
            "LUTs per hardware thread: {:.0} ({} threads{})\n",
            self.luts_per_thread,
            self.harts,
            if self.core.is_none() {
                ", core not included"
            } else {
                ", cores included"
            }
        ));
        for f in &self.fits {
            s.push_str(&format!(
                "{}: {} tiles fit (limited by {})\n",
                f.board, f.tiles, f.limited_by
            ));
        }
        for c in &self.ram_checks {
            s.push_str(&format!(
                "RAM check {:<7} {}: {}\n",
                c.unit,
                c.expect,
                if c.ok { "ok" } else { "FAILED" }
            ));
        }
        for w in &self.warnings {
            s.push_str(&format!("yosys: {w}\n"));
        }
        s
    }
}

/// The module files under `top` (children first), from a design written into `dir`.
fn files_under(d: &Design, top: &str, dir: &Path, skip: &BTreeSet<String>) -> Vec<PathBuf> {
    let mut want = BTreeSet::new();
    let mut stack = vec![top.to_string()];
    while let Some(n) = stack.pop() {
        if !want.insert(n.clone()) {
            continue;
        }
        if let Some(m) = d.modules().iter().find(|m| m.name() == n) {
            for (_, child) in m.instances() {
                stack.push(child.to_string());
            }
        }
    }
    d.modules()
        .iter()
        .filter(|m| want.contains(m.name()) && !skip.contains(m.name()))
        .map(|m| dir.join(format!("{}.v", m.name())))
        .collect()
}

/// Runs Yosys with `script` (after reading `files`, and `lib` as black boxes); returns the
/// cell counts of the `stat` it ends with, and the warnings.
fn yosys(
    files: &[PathBuf],
    lib: &[PathBuf],
    script: &str,
    stat: &Path,
) -> Result<CellCounts, RtlError> {
    let exe = find_tool("yosys")?;
    let join = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut full = format!("read_verilog -sv {}; ", join(files));
    if !lib.is_empty() {
        full.push_str(&format!("read_verilog -sv -lib {}; ", join(lib)));
    }
    full.push_str(&format!("{script}; tee -q -o {} stat", stat.display()));
    // A previous run on the same text (files, black boxes, script) is reused: its key, report
    // and warnings sit beside the stat file.
    let mut key_text = full.clone().into_bytes();
    for f in files.iter().chain(lib) {
        key_text.extend(std::fs::read(f).unwrap_or_default());
    }
    let key = format!("{:016x}", super::fnv1a64(&key_text));
    let key_path = stat.with_extension("key");
    let warn_path = stat.with_extension("warnings");
    if std::fs::read_to_string(&key_path).is_ok_and(|k| k == key) {
        if let Ok(text) = std::fs::read_to_string(stat) {
            let mut c = parse_stat(&text);
            c.warnings = std::fs::read_to_string(&warn_path)
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            return Ok(c);
        }
    }
    let out = Command::new(exe)
        .args(["-q", "-p", &full])
        .output()
        .map_err(|e| RtlError::ToolFailed {
            tool: "yosys".into(),
            command: full.clone(),
            output: e.to_string(),
        })?;
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(RtlError::ToolFailed {
            tool: "yosys".into(),
            command: format!("yosys -q -p \"{full}\""),
            output,
        });
    }
    let text = std::fs::read_to_string(stat).map_err(|e| RtlError::Io {
        path: stat.display().to_string(),
        msg: e.to_string(),
    })?;
    let mut c = parse_stat(&text);
    c.warnings = output
        .lines()
        .filter(|l| l.starts_with("Warning"))
        .map(str::to_string)
        .collect();
    let _ = std::fs::write(&warn_path, c.warnings.join("\n"));
    let _ = std::fs::write(&key_path, key);
    Ok(c)
}

/// Synthesises `top` for UltraScale+ (black boxes: `lib` module names).
fn synth(
    d: &Design,
    dir: &Path,
    top: &str,
    lib: &BTreeSet<String>,
    warnings: &mut Vec<String>,
) -> Result<(Resources, CellCounts), RtlError> {
    let files = files_under(d, top, dir, lib);
    let libs: Vec<PathBuf> = lib.iter().map(|n| dir.join(format!("{n}.v"))).collect();
    let stat = dir.join(format!("{top}.xcup.stat"));
    let c = yosys(
        &files,
        &libs,
        &format!("synth_xilinx -family xcup -top {top}"),
        &stat,
    )?;
    // Yosys 0.23 warns once per RAMB18 that it narrows the address port: harmless, counted.
    let (resize, other): (Vec<&String>, Vec<&String>) = c
        .warnings
        .iter()
        .partition(|w| w.contains("Resizing cell port"));
    if !resize.is_empty() {
        warnings.push(format!(
            "{top}: {} x \"Resizing cell port <RAMB18>.ADDR* from 16 bits to N\" (harmless)",
            resize.len()
        ));
    }
    warnings.extend(other.iter().take(5).map(|w| format!("{top}: {w}")));
    Ok((Resources::from_cells(&c), c))
}

/// Runs the whole estimate for `cfg` (generated as by `strand rtl --preset <preset>`), with
/// scratch files in `work`.
///
/// The chip is `tiles x tile + uncore`, its top elaborated by Yosys to prove it builds; with
/// `whole` the chip top is synthesised as one design as well (core black box), which takes as
/// long as all the tiles together.
///
/// With `with_core` false the core is not synthesised (it is the slowest unit: its
/// combinational divider) and is reported as not measured.
pub fn fit(
    cfg: &ChipConfig,
    preset: &str,
    work: &Path,
    whole: bool,
    with_core: bool,
) -> Result<FitReport, RtlError> {
    let dir = work.join("rtl");
    let (d, top) = generate(cfg, preset, &dir.display().to_string())?;
    d.write(&dir)?;
    let core_name = super::core::CoreParams::from_config(cfg).module_name();
    let mut warnings = Vec::new();
    let mut checks = Vec::new();
    let mut check = |unit: &str, expect: &str, ok: bool| {
        checks.push(RamCheck {
            unit: unit.to_string(),
            expect: expect.to_string(),
            ok,
        })
    };
    let none = BTreeSet::new();
    // The core (hw/src/rtl/core/) is synthesised on its own and counted once per instance; the
    // tile is synthesised with the core as a black box.
    let (core, core_note) = {
        let mut dc = Design::for_preset(preset, &work.join("core").display().to_string());
        let built = if with_core {
            super::core::core(&mut dc, &super::core::CoreParams::from_config(cfg))
        } else {
            Err(RtlError::Param {
                generator: "strand fit".into(),
                why: "--no-core: the core was not synthesised".into(),
            })
        };
        match built {
            Ok(cm) => {
                let cdir = work.join("core");
                dc.write(&cdir)?;
                let (r, _) = synth(&dc, &cdir, cm.name(), &none, &mut warnings)?;
                (
                    Some(r),
                    Some(format!(
                        "{} synthesised alone, counted per instance (a black box in the tile)",
                        cm.name()
                    )),
                )
            }
            Err(e) => (None, Some(format!("not generated: {e}"))),
        }
    };
    let lib: BTreeSet<String> = [core_name].into_iter().collect();
    // Router (synthesised from its own design: a one-tile chip has none).
    let rp = RouterParams::from_config(cfg);
    let rname = rp.name();
    let mut dr = Design::for_preset(preset, &work.join("router").display().to_string());
    super::blocks::router::router(&mut dr, &rp)?;
    let rdir = work.join("router");
    dr.write(&rdir)?;
    let (router, rc) = synth(&dr, &rdir, &rname, &none, &mut warnings)?;
    check("router", "input FIFOs in LUT RAM", router.lutram > 0);
    check("router", "no $mem cells left", rc.count("$mem") == 0);
    // Tile.
    let tname = tile_name(cfg);
    let (tile, tc) = synth(&d, &dir, &tname, &lib, &mut warnings)?;
    check("tile", "L1 tag arrays in LUT RAM", tile.lutram > 0);
    check(
        "tile",
        "L1 data, L2 tag and directory arrays in RAMB",
        tc.count("RAMB") > 0,
    );
    if l2_params(cfg).data_ram == RamStyle::Ultra {
        check(
            "tile",
            &format!("L2 data arrays in URAM (>= {} ways)", cfg.tile.l2.ways),
            tile.uram >= u64::from(cfg.tile.l2.ways),
        );
    }
    check("tile", "no $mem cells left", tc.count("$mem") == 0);
    // Uncore.
    let mp: MemParams = chip_mem_params(cfg);
    let mut uncore = Resources::default();
    let clint_p = ClintParams {
        harts: cfg.harts(),
        clock_hz: (cfg.clock_mhz * 1e6).round() as u64,
    };
    let uncore_tops: Vec<String> = d
        .modules()
        .iter()
        .map(|m| m.name().to_string())
        .filter(|n| {
            n.starts_with("memfront_")
                || *n == format!("clint_h{}_f{}", clint_p.harts, clint_p.clock_hz)
                || n.starts_with("mmio_bridge_")
        })
        .collect();
    let mut uncore_parts = Vec::new();
    for u in &uncore_tops {
        let (r, _) = synth(&d, &dir, u, &none, &mut warnings)?;
        uncore.add(&r);
        uncore_parts.push((u.clone(), r));
    }
    let _ = mp;
    // A tile with its cores (the core counted from its standalone synthesis).
    let tile_cores = match &core {
        Some(c) => c.scaled_plus(u64::from(cfg.tile.cores), &tile),
        None => tile.clone(),
    };
    // Chip.
    let tiles = cfg.tiles();
    let (chip, chip_method) = if whole {
        let (r, cc) = synth(&d, &dir, top.name(), &lib, &mut warnings)?;
        check("chip", "no $mem cells left", cc.count("$mem") == 0);
        (
            r,
            format!("{} synthesised whole (core black box)", top.name()),
        )
    } else {
        let files = files_under(&d, top.name(), &dir, &lib);
        let libs: Vec<PathBuf> = lib.iter().map(|n| dir.join(format!("{n}.v"))).collect();
        let stat = dir.join(format!("{}.elab.stat", top.name()));
        yosys(
            &files,
            &libs,
            &format!("hierarchy -check -top {}; proc", top.name()),
            &stat,
        )?;
        (
            tile_cores.scaled_plus(u64::from(tiles), &uncore),
            format!(
                "{tiles} x (tile + {} x core) + uncore; {} elaborated by Yosys \
                 (hierarchy -check; proc)",
                cfg.tile.cores,
                top.name()
            ),
        )
    };
    let fits = BOARDS
        .iter()
        .map(|b| {
            let avail = |cap: f64, used: f64, per: f64| -> f64 {
                if per <= 0.0 {
                    f64::INFINITY
                } else {
                    ((cap - used) / per).floor().max(0.0)
                }
            };
            let opts = [
                (
                    "LUT",
                    avail(b.lut as f64, uncore.lut as f64, tile_cores.lut as f64),
                ),
                (
                    "FF",
                    avail(b.ff as f64, uncore.ff as f64, tile_cores.ff as f64),
                ),
                ("BRAM36", avail(b.bram36, uncore.bram36, tile_cores.bram36)),
                (
                    "URAM",
                    avail(b.uram as f64, uncore.uram as f64, tile_cores.uram as f64),
                ),
            ];
            let (limited_by, n) =
                opts.iter()
                    .cloned()
                    .fold(("LUT", f64::INFINITY), |a, o| if o.1 < a.1 { o } else { a });
            BoardFit {
                board: b.name,
                tiles: n as u64,
                limited_by,
            }
        })
        .collect();
    Ok(FitReport {
        config: cfg.name.clone(),
        shape: format!(
            "{}x{} mesh, {} cores/tile, {} threads/core",
            cfg.mesh.x, cfg.mesh.y, cfg.tile.cores, cfg.core.threads
        ),
        tiles,
        harts: cfg.harts(),
        core,
        core_note,
        luts_per_thread: chip.lut as f64 / f64::from(cfg.harts()),
        router,
        tile,
        tile_with_cores: tile_cores,
        uncore,
        uncore_parts,
        chip,
        chip_method,
        fits,
        ram_checks: checks,
        warnings,
    })
}
