//! The reference RTL blocks pass `verilator --lint-only -Wall` with zero warnings, synthesise
//! with Yosys without warnings, and their memories map to the intended Xilinx primitives.
//!
//! Needs `verilator` and `yosys` (installed by `scripts/setup`); a missing tool fails the test.
//! Scratch files: `target/tmp/rtl-lint/<module>/`.

use std::path::{Path, PathBuf};

use strand_hw::rtl::blocks::counter::{counter, CounterParams};
use strand_hw::rtl::blocks::fifo::{fifo, FifoParams};
use strand_hw::rtl::blocks::reference_set;
use strand_hw::rtl::names::tile;
use strand_hw::rtl::tools::{self, Synth};
use strand_hw::rtl::{lit, Bundle, Design, Expr, ModRef, Params, RamStyle, Role, RtlError};

fn work_dir(case: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rtl-lint")
        .join(case);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch folder");
    dir
}

fn written(top: &ModRef, design: &Design, suffix: &str) -> (PathBuf, Vec<PathBuf>) {
    let dir = work_dir(&format!("{}{suffix}", top.name()));
    let files = design.write(&dir).unwrap_or_else(|e| panic!("{e}"));
    (dir, files)
}

#[test]
fn verilator_lint_has_zero_warnings() {
    for (top, design) in reference_set().expect("reference blocks build") {
        let (_, files) = written(&top, &design, "");
        tools::verilator_lint(&files, top.name()).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn yosys_generic_synthesis_is_clean() {
    for (top, design) in reference_set().expect("reference blocks build") {
        let blockram = ["cache_", "directory_"]
            .iter()
            .any(|p| top.name().starts_with(p));
        if top.name().ends_with("_bram") || top.name().ends_with("_uram") || blockram {
            continue; // Generic synth turns big memories into flip-flops: see the Xilinx test.
        }
        let (dir, files) = written(&top, &design, "-synth");
        let counts = tools::yosys_synth(&files, top.name(), Synth::Generic, &dir)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(counts.total > 0, "{}: no cells", top.name());
        assert!(
            counts.warnings.is_empty(),
            "{}: yosys warned:\n{}",
            top.name(),
            counts.warnings.join("\n")
        );
    }
}

#[test]
fn fifo_memories_map_to_the_intended_primitives() {
    for (top, design) in reference_set().expect("reference blocks build") {
        let name = top.name().to_string();
        if !name.starts_with("fifo_") {
            continue;
        }
        let (dir, files) = written(&top, &design, "-xilinx");
        let c = tools::yosys_synth(&files, &name, Synth::Xilinx, &dir)
            .unwrap_or_else(|e| panic!("{e}"));
        let summary = format!("{name}: {:?}", c.cells);
        println!("{summary}");
        let (lutram, bram, uram) = (
            c.count("RAM32M") + c.count("RAM64M"),
            c.count("RAMB"),
            c.count("URAM"),
        );
        let ffs = c.count("FD");
        if name.ends_with("_dist") {
            assert!(
                lutram > 0 && bram == 0 && uram == 0,
                "LUT RAM expected: {summary}"
            );
            // Pointers and credits only: 5 + 5 + 5 bits; the data must not be in flip-flops.
            assert!(ffs < 20, "data held in flip-flops: {summary}");
        } else if name.ends_with("_bram") {
            assert!(
                bram > 0 && lutram == 0 && uram == 0,
                "block RAM expected: {summary}"
            );
            assert!(ffs < 40, "data held in flip-flops: {summary}");
        } else {
            assert!(
                uram > 0 && bram == 0 && lutram == 0,
                "UltraRAM expected: {summary}"
            );
            assert!(ffs < 50, "data held in flip-flops: {summary}");
        }
    }
}

/// A small hierarchy: two FIFOs chained through bundles and a 2x2 grid of counter "tiles" (one
/// counter definition, four instances).
fn hierarchy() -> Result<(ModRef, Design), RtlError> {
    let mut d = Design::new("cargo test -p strand-hw --test rtl_lint");
    let f = fifo(
        &mut d,
        &FifoParams {
            width: 8,
            depth: 4,
            ram: RamStyle::Distributed,
        },
    )?;
    let c = counter(&mut d, &CounterParams { width: 4 })?;
    let top = d.build("pipe_top", module_path!(), Params::new(), |m| {
        let inp = m.bundle_port("in", Role::Sink, &Bundle::stream(8));
        let out = m.bundle_port("out", Role::Source, &Bundle::stream(8));
        let (a, b) = (m.instance("u_a", &f), m.instance("u_b", &f));
        m.connect(&inp, &a.bundle("in"));
        m.connect(&a.bundle("out"), &b.bundle("in"));
        m.connect(&b.bundle("out"), &out);
        m.allow_unused(&a.port("credits"));
        m.output_from("credits", b.port("credits"));
        let en = m.input("en", 1);
        let mut counts: Vec<Expr> = Vec::new();
        for y in 0..2 {
            for x in 0..2 {
                let t = m.instance(&tile(y, x), &c);
                m.assign(&t.port("en"), &en);
                m.assign(&t.port("clr"), lit(1, 0));
                m.allow_unused(&t.port("wrap"));
                counts.push(t.port("count").expr());
            }
        }
        let all = counts.into_iter().reduce(|a, b| a ^ b).expect("four tiles");
        m.output_from("count_xor", all);
        Ok(())
    })?;
    Ok((top, d))
}

#[test]
fn a_hierarchy_of_instances_lints_and_synthesises() {
    let (top, design) = hierarchy().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        design.modules().len(),
        3,
        "one definition per parameter set"
    );
    assert_eq!(top.instances().len(), 6);
    let (dir, files) = written(&top, &design, "");
    tools::verilator_lint(&files, top.name()).unwrap_or_else(|e| panic!("{e}"));
    let counts = tools::yosys_synth(&files, top.name(), Synth::Generic, &dir)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        counts.warnings.is_empty(),
        "yosys warned:\n{}",
        counts.warnings.join("\n")
    );
    let text = design.file_text(&top);
    assert!(text.contains("    counter_w4 tile_1_0 (\n        .clk(clk),\n        .rst(rst),\n"));
    assert!(text.contains("    assign u_b_in_valid = u_a_out_valid;\n"));
    assert!(text.contains("    assign u_a_out_ready = u_b_in_ready;\n"));
}

/// Every generated chip top (and so every module under it) is Verilator-clean, for the presets
/// CI cares about: `single`, `tiny` and `u280`.
#[test]
fn chip_tops_lint_clean_for_single_tiny_u280() {
    for preset in ["single", "tiny", "u280"] {
        let cfg = strand_hw::ChipConfig::preset(preset).expect("preset");
        let (design, top) = strand_hw::rtl::blocks::chip::generate(&cfg, preset, "build/rtl")
            .unwrap_or_else(|e| panic!("{preset}: {e}"));
        let (_, files) = written(&top, &design, "");
        tools::verilator_lint(&files, top.name()).unwrap_or_else(|e| panic!("{preset}: {e}"));
    }
}
