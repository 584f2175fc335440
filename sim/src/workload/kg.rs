//! `strand workload check kg`: every bulk and point query `kg-query` answered, against the
//! golden query engine on the same generated graph.

use std::io::Write;
use std::path::Path;

use strand_workloads::kg::{
    sample_point_subjects, standard_queries, triples_checksum, KnowledgeGraph, Pattern,
};
use strand_workloads::run::{KgRun, KG_DIR, KG_POINTS, KG_POINT_WORDS};
use strand_workloads::wire;

use super::{field, read_file, same, Summary};

/// Checks `share/kg/` for a run with `bootargs`.
pub fn check(share: &Path, bootargs: &str, out: &mut dyn Write) -> Result<String, String> {
    let run = KgRun::from_bootargs(bootargs).map_err(|e| e.to_string())?;
    let sum = Summary::read(share, KG_DIR)?;
    sum.expect_params(&run.to_string())?;
    let kg = KnowledgeGraph::generate(&run.config());
    let g = sum.record("graph")?;
    same("entities", field(g, "entities")?, kg.num_entities)?;
    same("triples", field(g, "triples")?, kg.triples.len())?;
    let fw_sum: u64 = field(g, "checksum")?;
    if fw_sum != triples_checksum(&kg.triples) {
        return Err(format!(
            "triple checksum: firmware {fw_sum:#018x}, host {:#018x}",
            triples_checksum(&kg.triples)
        ));
    }
    let queries = standard_queries();
    let bulk = sum.records("bulk");
    same("bulk queries", bulk.len(), queries.len())?;
    for (qi, ((name, q), line)) in queries.iter().zip(&bulk).enumerate() {
        let here = |e: String| format!("bulk query {qi} ({name}): {e}");
        same("name", field::<String>(line, "name")?, name.to_string()).map_err(here)?;
        let golden = q.eval(&kg);
        same("solutions", field(line, "count")?, golden.count).map_err(here)?;
        let h: u64 = field(line, "hash")?;
        if h != golden.hash {
            return Err(here(format!(
                "hash: firmware {h:#018x}, host {:#018x}",
                golden.hash
            )));
        }
        let _ = writeln!(
            out,
            "kg: {name}: {} solutions, hash {h:#018x}: equal ({} cycles)",
            golden.count,
            field::<u64>(line, "cycles")?
        );
    }
    let file = format!("{KG_DIR}/{KG_POINTS}");
    let (tag, words) =
        wire::read_u32s(&read_file(share, &file)?).map_err(|e| format!("{file}: {e}"))?;
    let per = run.points as usize;
    same("point queries per query (file tag)", tag, per as u64)?;
    same(
        "point query words",
        words.len(),
        queries.len() * per * KG_POINT_WORDS,
    )?;
    let mut recs = words.chunks_exact(KG_POINT_WORDS);
    for (qi, (name, q)) in queries.iter().enumerate() {
        for (j, x) in sample_point_subjects(q, &kg, per, run.seed)
            .into_iter()
            .enumerate()
        {
            let r = recs.next().expect("length checked");
            let here = |e: String| format!("point query {j} of {name} (?x = {x}): {e}");
            same("query index", r[0], qi as u32).map_err(here)?;
            same("bound ?x", r[1], x).map_err(here)?;
            let golden = q.eval_at(&kg, x);
            same("solutions", u64::from(r[2]), golden.count).map_err(here)?;
            let h = u64::from(r[3]) | u64::from(r[4]) << 32;
            if h != golden.hash {
                return Err(here(format!(
                    "hash: firmware {h:#018x}, host {:#018x}",
                    golden.hash
                )));
            }
        }
    }
    let p = sum.record("points")?;
    same("point queries", field(p, "n")?, queries.len() * per)?;
    Ok(format!(
        "{} bulk queries and {} point queries equal the golden engine ({run}: {} entities, {} triples); {} queries/s, latency p50 {} p99 {} cycles ({} us)",
        queries.len(),
        queries.len() * per,
        kg.num_entities,
        kg.triples.len(),
        field::<String>(p, "queries_per_s")?,
        field::<u64>(p, "p50_cycles")?,
        field::<u64>(p, "p99_cycles")?,
        field::<String>(p, "p99_us")?
    ))
}
