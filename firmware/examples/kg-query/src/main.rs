//! `kg-query`: LUBM-like knowledge-graph triple patterns over every hart, checked on the host.
//!
//! Bootargs (see `strand_workloads::run::KgRun`): `univ=` (0 = one small university, N = LUBM(N)),
//! `points=` (64 point queries per standard query), `seed=` (1), and `tag=` (virtio-fs tag,
//! default `hostshare`).
//!
//! 1. Hart 0 generates the triples and builds the both-direction predicate indexes
//!    (`KnowledgeGraph::generate`, the host's code); every hart then reads them.
//! 2. **Bulk**: each of the six standard queries (2-hop paths, stars, triangles incl. LUBM Q9)
//!    over all harts: the candidates of `?x` are handed out in chunks from an atomic counter,
//!    each hart evaluates `eval_at` and merges a local `QueryResult`; the partial results are
//!    added with `amoadd` (count, and the hash, a wrapping sum, so order does not matter).
//! 3. **Point queries**: `points` bound values per query from `sample_point_subjects` (the
//!    host draws the same), handed out one at a time; each is timed with `rdcycle`.
//! 4. Results: `kg/summary.txt` (counts, hashes, cycles, queries/s, p50/p99 latency) and
//!    `kg/points.bin` (wire kind 4: per point query, query index, `?x`, count, hash low/high,
//!    latency cycles). `strand workload check kg` recomputes everything with the golden engine.
//!
//! ```text
//! kg-query: univ=0 points=64 seed=1: 2283 entities, 10322 triples, 6 bulk queries, 384 point queries, results in kg/
//! kg-query: path-advisor-dept count=607 hash=0x...
//! perf: kg-query: point queries 384 in .. cycles: .. queries/s, latency p50 .. p99 .. cycles (.. us); bulk .. cycles
//! ```

#![no_std]
#![no_main]

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use strand_rt::alloc::format;
use strand_rt::alloc::string::String;
use strand_rt::alloc::vec::Vec;
use strand_rt::{barrier, println, rdcycle, rdtime, share, Ctx};
use strand_workloads::kg::{
    sample_point_subjects, standard_queries, triples_checksum, KnowledgeGraph, Pattern, Query,
    QueryResult,
};
use strand_workloads::run::{KgRun, KG_DIR, KG_POINTS, KG_POINT_WORDS, SUMMARY};
use strand_workloads::wire;
use workload_support::{open_share, per_second, percentile, Fs, SharedSlice, WorkCounter};

strand_rt::entry!(main);

static COUNT: AtomicU64 = AtomicU64::new(0);
static HASH: AtomicU64 = AtomicU64::new(0);
static WORK: WorkCounter = WorkCounter::new();

/// One bulk query's measurements (hart 0).
struct Bulk {
    name: &'static str,
    candidates: usize,
    result: QueryResult,
    cycles: u64,
    ticks: u64,
}

fn fail(me: usize, why: &str) -> i32 {
    if me == 0 {
        println!("kg-query: FAIL {why}");
    }
    1
}

fn main(ctx: &Ctx) -> i32 {
    let (me, nharts) = (ctx.hart_id(), ctx.num_harts());
    let run = match KgRun::from_bootargs(ctx.args().as_str()) {
        Ok(r) => r,
        Err(e) => return fail(me, &format!("{e}")),
    };
    let tag = ctx.args().get("tag").unwrap_or("hostshare");
    let fs: &'static Result<Fs, String> = share(|| open_share(tag, KG_DIR));
    let fs = match fs {
        Ok(fs) => fs,
        Err(why) => return fail(me, why),
    };

    // 1. The graph (hart 0) and the queries.
    let c_start = rdcycle();
    let kg: &'static KnowledgeGraph = share(|| KnowledgeGraph::generate(&run.config()));
    let c_gen = rdcycle();
    let queries: &'static Vec<(&'static str, Query)> = share(standard_queries);

    // 2. Bulk queries.
    let mut bulk: Vec<Bulk> = Vec::new();
    for (name, q) in queries.iter() {
        let cands = q.candidates(kg);
        let (mut c0, mut t0) = (0, 0);
        if me == 0 {
            COUNT.store(0, Ordering::Relaxed);
            HASH.store(0, Ordering::Relaxed);
            WORK.reset();
        }
        barrier();
        if me == 0 {
            c0 = rdcycle();
            t0 = rdtime();
        }
        let mut local = QueryResult::default();
        let chunk = (cands.len() / (nharts * 8)).clamp(1, 16);
        WORK.for_each(cands.len(), chunk, |i| local.merge(q.eval_at(kg, cands[i])));
        COUNT.fetch_add(local.count, Ordering::Relaxed);
        HASH.fetch_add(local.hash, Ordering::Relaxed);
        barrier();
        if me == 0 {
            bulk.push(Bulk {
                name,
                candidates: cands.len(),
                result: QueryResult {
                    count: COUNT.load(Ordering::Relaxed),
                    hash: HASH.load(Ordering::Relaxed),
                },
                cycles: rdcycle() - c0,
                ticks: rdtime() - t0,
            });
        }
    }

    // 3. Point queries: (query index, ?x) in query order, `points` per query.
    let points: &'static Vec<(u32, u32)> = share(|| {
        let mut v = Vec::new();
        for (qi, (_, q)) in queries.iter().enumerate() {
            for x in sample_point_subjects(q, kg, run.points as usize, run.seed) {
                v.push((qi as u32, x));
            }
        }
        v
    });
    let records: &'static SharedSlice<[u32; KG_POINT_WORDS]> =
        share(|| SharedSlice::new(points.len(), [0; KG_POINT_WORDS]));
    if me == 0 {
        WORK.reset();
    }
    barrier();
    let (c0, t0) = (rdcycle(), rdtime());
    WORK.for_each(points.len(), 1, |j| {
        let (qi, x) = points[j];
        let c = rdcycle();
        let r = queries[qi as usize].1.eval_at(kg, x);
        let lat = rdcycle() - c;
        let rec = [
            qi,
            x,
            u32::try_from(r.count).unwrap_or(u32::MAX),
            r.hash as u32,
            (r.hash >> 32) as u32,
            u32::try_from(lat).unwrap_or(u32::MAX),
        ];
        // SAFETY: record `j` is written only by the hart that took index `j`.
        unsafe { records.write(j, rec) };
    });
    barrier();
    if me != 0 {
        return 0;
    }
    let (point_cycles, point_ticks) = (rdcycle() - c0, rdtime() - t0);

    // 4. Results.
    // SAFETY: every hart has passed the barrier after its last write.
    let recs = unsafe { records.as_slice() };
    let mut lat: Vec<u64> = recs.iter().map(|r| u64::from(r[5])).collect();
    lat.sort_unstable();
    let (p50, p99) = (percentile(&lat, 50), percentile(&lat, 99));
    let tb = strand_rt::timebase_hz();
    let qps = per_second(points.len() as u64, point_ticks, tb);
    // Latency in microseconds via the cycle/tick ratio of the point phase.
    let us_per_cycle = point_ticks as f64 / point_cycles.max(1) as f64 / tb as f64 * 1e6;
    let bulk_cycles: u64 = bulk.iter().map(|b| b.cycles).sum();

    let words: Vec<u32> = recs.iter().flat_map(|r| r.iter().copied()).collect();
    let mut err: Option<String> = None;
    let path = format!("{KG_DIR}/{KG_POINTS}");
    if let Err(e) = fs.write_file(&path, &wire::write_u32s(u64::from(run.points), &words)) {
        err.get_or_insert(format!("write {path}: {e}"));
    }
    let mut text = String::new();
    let _ = writeln!(text, "params {run}");
    let _ = writeln!(text, "run harts={nharts} timebase={tb}");
    let _ = writeln!(
        text,
        "graph entities={} triples={} checksum={:#018x} index_bytes={} generation_cycles={}",
        kg.num_entities,
        kg.triples.len(),
        triples_checksum(&kg.triples),
        kg.index_size_bytes(),
        c_gen - c_start
    );
    for (qi, b) in bulk.iter().enumerate() {
        let _ = writeln!(
            text,
            "bulk q={qi} name={} candidates={} count={} hash={:#018x} cycles={} ticks={}",
            b.name, b.candidates, b.result.count, b.result.hash, b.cycles, b.ticks
        );
    }
    let _ = writeln!(
        text,
        "points n={} cycles={point_cycles} ticks={point_ticks} queries_per_s={qps:.6e} p50_cycles={p50} p99_cycles={p99} p99_us={:.3} bulk_cycles={bulk_cycles}",
        points.len(),
        p99 as f64 * us_per_cycle
    );
    let path = format!("{KG_DIR}/{SUMMARY}");
    if let Err(e) = fs.write_file(&path, text.as_bytes()) {
        err.get_or_insert(format!("write {path}: {e}"));
    }
    if let Some(e) = err {
        println!("kg-query: FAIL {e}");
        return 1;
    }
    println!(
        "kg-query: {run}: {} entities, {} triples, {} bulk queries, {} point queries, results in {KG_DIR}/",
        kg.num_entities,
        kg.triples.len(),
        bulk.len(),
        points.len()
    );
    for b in &bulk {
        println!(
            "kg-query: {} count={} hash={:#018x}",
            b.name, b.result.count, b.result.hash
        );
    }
    println!(
        "perf: kg-query: {} point queries in {point_cycles} cycles: {qps:.4e} queries/s, latency p50 {p50} p99 {p99} cycles ({:.3} us); bulk {bulk_cycles} cycles; generation {} cycles",
        points.len(),
        p99 as f64 * us_per_cycle,
        c_gen - c_start
    );
    0
}
