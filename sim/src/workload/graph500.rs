//! `strand workload check graph500`: Graph500's five validation rules on every parent array
//! `graph500-bfs` wrote, plus the graph, roots and per-search counts against the host.

use std::io::Write;
use std::path::Path;

use strand_workloads::graph500::teps::{teps, TepsStats};
use strand_workloads::graph500::{generate_edges, sample_roots, validate_bfs, Csr, NO_PARENT};
use strand_workloads::run::{graph500_parent_file, BfsRun, GRAPH500_DIR};
use strand_workloads::wire;

use super::{field, read_file, same, Summary};

/// Checks `share/graph500/` for a run with `bootargs`.
pub fn check(share: &Path, bootargs: &str, out: &mut dyn Write) -> Result<String, String> {
    let run = BfsRun::from_bootargs(bootargs).map_err(|e| e.to_string())?;
    let sum = Summary::read(share, GRAPH500_DIR)?;
    sum.expect_params(&run.to_string())?;
    let kp = run.kronecker();
    let n = kp.num_vertices() as usize;
    let edges = generate_edges(&kp);
    let csr = Csr::from_edges(n, &edges);
    let g = sum.record("graph")?;
    same("vertices", field::<usize>(g, "vertices")?, n)?;
    same("edges", field::<usize>(g, "edges")?, edges.len())?;
    same(
        "CSR adjacency entries",
        field::<u64>(g, "adjacencies")?,
        csr.num_adjacencies(),
    )?;
    let fw_sum: u64 = field(g, "csr_checksum")?;
    if fw_sum != csr.checksum() {
        return Err(format!(
            "CSR checksum: firmware {fw_sum:#018x}, host {:#018x} (the chip built another graph)",
            csr.checksum()
        ));
    }
    let timebase: u64 = field(sum.record("run")?, "timebase")?;
    let roots = sample_roots(&csr, run.roots as usize, run.seed);
    let lines = sum.records("root");
    same("searches", lines.len(), roots.len())?;
    let mut teps_values = Vec::new();
    let (mut examined_total, mut ticks_total) = (0u64, 0u64);
    for (k, (&root, line)) in roots.iter().zip(&lines).enumerate() {
        let here = |e: String| format!("root {k} (vertex {root}): {e}");
        same("root index", field::<usize>(line, "k")?, k).map_err(here)?;
        same("root vertex", field::<u32>(line, "vertex")?, root).map_err(here)?;
        let file = graph500_parent_file(k);
        let (tag, parent) =
            wire::read_u32s(&read_file(share, &file)?).map_err(|e| here(format!("{file}: {e}")))?;
        same("parent file tag", tag, u64::from(root)).map_err(here)?;
        let report = validate_bfs(&edges, &csr, root, &parent).map_err(|e| here(e.to_string()))?;
        let examined: u64 = (0..n as u32)
            .filter(|&v| parent[v as usize] != NO_PARENT)
            .map(|v| csr.degree(v))
            .sum();
        same(
            "reached vertices",
            field(line, "reached")?,
            report.reached_vertices,
        )
        .map_err(here)?;
        same(
            "edges in component",
            field(line, "edges")?,
            report.edges_in_component,
        )
        .map_err(here)?;
        same(
            "adjacency entries examined",
            field(line, "examined")?,
            examined,
        )
        .map_err(here)?;
        same("levels", field(line, "levels")?, report.max_level + 1).map_err(here)?;
        let ticks: u64 = field::<u64>(line, "ticks")?.max(1);
        let t = teps(report.edges_in_component, ticks as f64 / timebase as f64);
        let _ = writeln!(
            out,
            "graph500: root {k} (vertex {root}): valid (rules 1-5); {} vertices, {} edges, {} levels, {} cycles, TEPS {t:.4e}",
            report.reached_vertices,
            report.edges_in_component,
            report.max_level + 1,
            field::<u64>(line, "cycles")?
        );
        teps_values.push(t);
        examined_total += examined;
        ticks_total += ticks;
    }
    let s = TepsStats::from_values(&teps_values);
    let examined_per_s = examined_total as f64 * timebase as f64 / ticks_total.max(1) as f64;
    Ok(format!(
        "{} searches pass Graph500's 5 validation rules ({run}: {n} vertices, {} edges); TEPS harmonic mean {:.4e} (min {:.4e}, median {:.4e}, max {:.4e}, harmonic stddev {:.3e}), edges examined/s {examined_per_s:.4e}",
        roots.len(),
        edges.len(),
        s.harmonic_mean,
        s.min,
        s.median,
        s.max,
        s.harmonic_stddev
    ))
}
