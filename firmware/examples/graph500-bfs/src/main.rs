//! `graph500-bfs`: Graph500 breadth-first search over every hart, checked on the host.
//!
//! Bootargs (see `strand_workloads::run::BfsRun`): `scale=` (10), `edgefactor=` (16), `roots=`
//! (8), `seed=` (1), and `tag=` (the virtio-fs tag, default `hostshare`).
//!
//! 1. **Generate** the Kronecker edge list on all harts (edge `i` is a pure function of the seed
//!    and `i`: `strand_workloads::graph500::kronecker_edge`; hart 0 draws the vertex permutation).
//! 2. **Build the CSR** in parallel: degree counts with `amoadd`, prefix sum (hart 0), scatter
//!    with `amoadd` cursors, per-row sort + deduplicate, compaction. The result equals the host's
//!    `Csr::from_edges` (its checksum is in the summary and compared by the checker).
//! 3. **Roots**: `sample_roots` (hart 0), as on the host.
//! 4. **BFS** per root, level-synchronous over every hart: harts take chunks of the current
//!    frontier from an atomic counter; a neighbour is claimed with a compare-and-swap on its
//!    parent word (`lr.w/sc.w`), and claimed vertices go to a per-hart buffer of 64 that is
//!    flushed into the next frontier with one `amoadd`; two barriers per level. Timed with
//!    `rdcycle`/`rdtime` on hart 0 from the root's seeding to the last level's barrier.
//! 5. **Results**: hart 0 writes each parent array to `graph500/parent-KK.bin` (wire kind 4,
//!    tag = root) and `graph500/summary.txt` (per root: vertex, reached vertices, input edges
//!    in the component, adjacency entries examined, levels, cycles, ticks). The host checker
//!    (`strand workload check graph500`) applies Graph500's five validation rules to every
//!    parent array and recomputes TEPS.
//!
//! TEPS of one search = input edges in the root's component (self-loops and duplicates
//! included, Graph500's count; here the sum over reached vertices of the input edges whose first
//! endpoint they are) / seconds, with seconds = `rdtime` ticks / the DTB timebase. The headline
//! is the harmonic mean over roots; "edges examined/s" is every adjacency entry the searches
//! scanned over their total time.
//!
//! ```text
//! graph500-bfs: scale=10 edgefactor=16 roots=8 seed=1: 8 searches over 1024 vertices (21214 adjacencies), results in graph500/
//! perf: graph500-bfs: TEPS hmean 1.2e7 (min .. max ..), edges examined/s .., BFS cycles .., generation cycles .., CSR cycles ..
//! ```

#![no_std]
#![no_main]

use core::cell::Cell;
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use strand_rt::alloc::format;
use strand_rt::alloc::string::String;
use strand_rt::alloc::vec::Vec;
use strand_rt::{barrier, parallel_for_chunked, println, rdcycle, rdtime, share, Ctx};
use strand_workloads::graph500::{
    kronecker_edge, sample_roots, vertex_permutation, Csr, Edge, NO_PARENT,
};
use strand_workloads::run::{graph500_parent_file, BfsRun, GRAPH500_DIR, SUMMARY};
use strand_workloads::wire;
use workload_support::{open_share, per_second, Fs, SharedSlice, WorkCounter};

strand_rt::entry!(main);

/// Length of the current frontier (set by hart 0 between levels).
static CUR_LEN: AtomicUsize = AtomicUsize::new(0);
/// Length of the next frontier (claimed slots).
static NEXT_LEN: AtomicUsize = AtomicUsize::new(0);
/// Adjacency entries examined by the current search.
static EXAMINED: AtomicU64 = AtomicU64::new(0);
/// Vertices reached by the current search.
static REACHED: AtomicU64 = AtomicU64::new(0);
/// Input edges in the current search's component.
static COMP_EDGES: AtomicU64 = AtomicU64::new(0);
/// Frontier work distribution.
static WORK: WorkCounter = WorkCounter::new();

/// Claimed vertices a hart buffers before reserving room in the next frontier.
const LOCAL: usize = 64;

/// One search's measurements (hart 0).
struct Search {
    root: u32,
    reached: u64,
    edges: u64,
    examined: u64,
    levels: u32,
    cycles: u64,
    ticks: u64,
}

/// A prefix sum of `counts` (hart 0): `n + 1` offsets.
fn prefix(counts: &[AtomicU32]) -> Vec<u64> {
    let mut off = Vec::with_capacity(counts.len() + 1);
    let mut acc = 0u64;
    off.push(0);
    for c in counts {
        acc += u64::from(c.load(Ordering::Relaxed));
        off.push(acc);
    }
    off
}

fn atomics(n: usize) -> Vec<AtomicU32> {
    (0..n).map(|_| AtomicU32::new(0)).collect()
}

/// Builds the CSR of `edges` over `n` vertices on every hart (collective). Also fills
/// `first[v]` = input edges whose first endpoint is `v` (self-loops and duplicates included).
fn build_csr(n: usize, edges: &SharedSlice<Edge>, first: &[AtomicU32]) -> &'static Csr {
    let m = edges.len();
    let count: &'static Vec<AtomicU32> = share(|| atomics(n));
    parallel_for_chunked(m, 256, |i| {
        // SAFETY: the edge list is only read in this phase.
        let e = unsafe { edges.read(i) };
        first[e.u as usize].fetch_add(1, Ordering::Relaxed);
        if !e.is_self_loop() {
            count[e.u as usize].fetch_add(1, Ordering::Relaxed);
            count[e.v as usize].fetch_add(1, Ordering::Relaxed);
        }
    });
    // Hart 0: offsets of the raw (undeduplicated) rows; the counters become scatter cursors.
    let raw_off: &'static Vec<u64> = share(|| {
        let off = prefix(count);
        for c in count.iter() {
            c.store(0, Ordering::Relaxed);
        }
        off
    });
    let raw: &'static SharedSlice<u32> = share(|| SharedSlice::new(raw_off[n] as usize, 0));
    parallel_for_chunked(m, 256, |i| {
        // SAFETY: the edge list is only read; every raw slot is claimed by exactly one
        // `fetch_add` on its row's cursor, so no two harts write the same slot.
        unsafe {
            let e = edges.read(i);
            if !e.is_self_loop() {
                let p = raw_off[e.u as usize]
                    + u64::from(count[e.u as usize].fetch_add(1, Ordering::Relaxed));
                raw.write(p as usize, e.v);
                let q = raw_off[e.v as usize]
                    + u64::from(count[e.v as usize].fetch_add(1, Ordering::Relaxed));
                raw.write(q as usize, e.u);
            }
        }
    });
    // Sort and deduplicate each row in place; `count[v]` becomes the deduplicated degree.
    parallel_for_chunked(n, 16, |v| {
        let (a, b) = (raw_off[v] as usize, raw_off[v + 1] as usize);
        // SAFETY: row `v` is only touched by the hart that took index `v`.
        let row = unsafe { raw.range_mut(a, b - a) };
        row.sort_unstable();
        let mut k = 0;
        for r in 0..row.len() {
            if k == 0 || row[k - 1] != row[r] {
                row[k] = row[r];
                k += 1;
            }
        }
        count[v].store(k as u32, Ordering::Relaxed);
    });
    let off: &'static SharedSlice<u64> = share(|| SharedSlice::from_vec(prefix(count)));
    // SAFETY: `off` is only read from here on.
    let offs = unsafe { off.as_slice() };
    let targets: &'static SharedSlice<u32> = share(|| SharedSlice::new(offs[n] as usize, 0));
    parallel_for_chunked(n, 64, |v| {
        let (src, dst, len) = (raw_off[v] as usize, offs[v] as usize, offs[v + 1] - offs[v]);
        // SAFETY: rows are disjoint; hart taking `v` writes only row `v` of `targets`, and
        // `raw` is only read in this phase.
        unsafe {
            let from = &raw.as_slice()[src..src + len as usize];
            targets.range_mut(dst, len as usize).copy_from_slice(from);
        }
    });
    // SAFETY: both arrays are complete and handed over once; nothing uses them afterwards.
    share(|| unsafe {
        Csr {
            offsets: off.take_vec(),
            targets: targets.take_vec(),
        }
    })
}

/// One level-synchronous search from `root` (collective). Returns (levels, cycles, ticks) on
/// every hart (hart 0's measurements are the ones used).
fn search(
    me: usize,
    nharts: usize,
    csr: &Csr,
    parent: &[AtomicU32],
    front: &[SharedSlice<u32>; 2],
    root: u32,
) -> (u32, u64, u64) {
    let n = parent.len();
    parallel_for_chunked(n, 256, |v| parent[v].store(NO_PARENT, Ordering::Relaxed));
    let (mut c0, mut t0) = (0, 0);
    if me == 0 {
        parent[root as usize].store(root, Ordering::Relaxed);
        // SAFETY: only hart 0 touches the frontiers between these barriers.
        unsafe { front[0].write(0, root) };
        CUR_LEN.store(1, Ordering::Relaxed);
        NEXT_LEN.store(0, Ordering::Relaxed);
        EXAMINED.store(0, Ordering::Relaxed);
        WORK.reset();
        c0 = rdcycle();
        t0 = rdtime();
    }
    barrier();
    let mut level = 0u32;
    loop {
        let len = CUR_LEN.load(Ordering::Relaxed);
        if len == 0 {
            break;
        }
        let cur = &front[(level & 1) as usize];
        let next = &front[(level as usize + 1) & 1];
        let mut buf = [0u32; LOCAL];
        let mut nb = 0usize;
        let mut examined = 0u64;
        let flush = |buf: &[u32]| {
            let at = NEXT_LEN.fetch_add(buf.len(), Ordering::Relaxed);
            for (j, &v) in buf.iter().enumerate() {
                // SAFETY: slots `at..at + len` were reserved by this hart's `fetch_add`.
                unsafe { next.write(at + j, v) };
            }
        };
        let chunk = (len / (nharts * 4)).clamp(1, 64);
        WORK.for_each(len, chunk, |i| {
            // SAFETY: the current frontier is only read during the level.
            let u = unsafe { cur.read(i) };
            let nbrs = csr.neighbors(u);
            examined += nbrs.len() as u64;
            for &v in nbrs {
                let p = &parent[v as usize];
                if p.load(Ordering::Relaxed) == NO_PARENT
                    && p.compare_exchange(NO_PARENT, u, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    buf[nb] = v;
                    nb += 1;
                    if nb == LOCAL {
                        flush(&buf);
                        nb = 0;
                    }
                }
            }
        });
        if nb > 0 {
            flush(&buf[..nb]);
        }
        EXAMINED.fetch_add(examined, Ordering::Relaxed);
        barrier();
        if me == 0 {
            CUR_LEN.store(NEXT_LEN.swap(0, Ordering::Relaxed), Ordering::Relaxed);
            WORK.reset();
        }
        barrier();
        level += 1;
    }
    if me == 0 {
        (level, rdcycle() - c0, rdtime() - t0)
    } else {
        (level, 0, 0)
    }
}

fn fail(me: usize, why: &str) -> i32 {
    if me == 0 {
        println!("graph500-bfs: FAIL {why}");
    }
    1
}

fn main(ctx: &Ctx) -> i32 {
    let (me, nharts) = (ctx.hart_id(), ctx.num_harts());
    let run = match BfsRun::from_bootargs(ctx.args().as_str()) {
        Ok(r) => r,
        Err(e) => return fail(me, &format!("{e}")),
    };
    let tag = ctx.args().get("tag").unwrap_or("hostshare");
    let fs: &'static Result<Fs, String> = share(|| open_share(tag, GRAPH500_DIR));
    let fs = match fs {
        Ok(fs) => fs,
        Err(why) => return fail(me, why),
    };
    let kp = run.kronecker();
    let n = kp.num_vertices() as usize;
    let m = kp.num_edges() as usize;

    // 1. Edge list, in parallel.
    let c_start = rdcycle();
    let perm: &'static Vec<u32> = share(|| vertex_permutation(&kp));
    let edges: &'static SharedSlice<Edge> = share(|| SharedSlice::new(m, Edge::default()));
    parallel_for_chunked(m, 64, |i| {
        // SAFETY: index `i` is written by the one hart that took it.
        unsafe { edges.write(i, kronecker_edge(&kp, perm, i as u64)) }
    });
    let c_gen = rdcycle();

    // 2. CSR, in parallel.
    let first: &'static Vec<AtomicU32> = share(|| atomics(n));
    let csr = build_csr(n, edges, first);
    let c_csr = rdcycle();

    // 3. Roots and per-search state.
    let roots: &'static Vec<u32> = share(|| sample_roots(csr, run.roots as usize, run.seed));
    let parent: &'static Vec<AtomicU32> = share(|| atomics(n));
    let front: &'static [SharedSlice<u32>; 2] =
        share(|| [SharedSlice::new(n, 0), SharedSlice::new(n, 0)]);

    // 4. The searches.
    let mut searches: Vec<Search> = Vec::new();
    let mut write_error: Option<String> = None;
    for (k, &root) in roots.iter().enumerate() {
        let (levels, cycles, ticks) = search(me, nharts, csr, parent, front, root);
        // Reached vertices and input edges in the component (untimed).
        let (reached, comp) = (Cell::new(0u64), Cell::new(0u64));
        if me == 0 {
            REACHED.store(0, Ordering::Relaxed);
            COMP_EDGES.store(0, Ordering::Relaxed);
        }
        parallel_for_chunked(n, 256, |v| {
            if parent[v].load(Ordering::Relaxed) != NO_PARENT {
                reached.set(reached.get() + 1);
                comp.set(comp.get() + u64::from(first[v].load(Ordering::Relaxed)));
            }
        });
        REACHED.fetch_add(reached.get(), Ordering::Relaxed);
        COMP_EDGES.fetch_add(comp.get(), Ordering::Relaxed);
        barrier();
        if me == 0 {
            searches.push(Search {
                root,
                reached: REACHED.load(Ordering::Relaxed),
                edges: COMP_EDGES.load(Ordering::Relaxed),
                examined: EXAMINED.load(Ordering::Relaxed),
                levels,
                cycles,
                ticks,
            });
            // SAFETY: AtomicU32 has the layout of u32, and no hart writes `parent` until the
            // next search's first barrier, which hart 0 reaches only after this write.
            let plain = unsafe { core::slice::from_raw_parts(parent.as_ptr().cast::<u32>(), n) };
            let bytes = wire::write_u32s(u64::from(root), plain);
            let path = graph500_parent_file(k);
            if let Err(e) = fs.write_file(&path, &bytes) {
                write_error.get_or_insert(format!("write {path}: {e}"));
            }
        }
    }
    barrier();
    if me != 0 {
        return 0;
    }

    // 5. Summary.
    let tb = strand_rt::timebase_hz();
    let teps: Vec<f64> = searches
        .iter()
        .map(|s| per_second(s.edges, s.ticks, tb))
        .collect();
    let hmean = teps.len() as f64 / teps.iter().map(|t| 1.0 / t).sum::<f64>();
    let (tmin, tmax) = teps
        .iter()
        .fold((f64::MAX, 0.0f64), |(a, b), &t| (a.min(t), b.max(t)));
    let examined: u64 = searches.iter().map(|s| s.examined).sum();
    let ticks: u64 = searches.iter().map(|s| s.ticks).sum();
    let bfs_cycles: u64 = searches.iter().map(|s| s.cycles).sum();
    let examined_per_s = per_second(examined, ticks, tb);
    let mut text = String::new();
    let _ = writeln!(text, "params {run}");
    let _ = writeln!(text, "run harts={nharts} timebase={tb}");
    let _ = writeln!(
        text,
        "graph vertices={n} edges={m} adjacencies={} csr_checksum={:#018x} generation_cycles={} csr_cycles={}",
        csr.num_adjacencies(),
        csr.checksum(),
        c_gen - c_start,
        c_csr - c_gen
    );
    for (k, s) in searches.iter().enumerate() {
        let _ = writeln!(
            text,
            "root k={k} vertex={} reached={} edges={} examined={} levels={} cycles={} ticks={}",
            s.root, s.reached, s.edges, s.examined, s.levels, s.cycles, s.ticks
        );
    }
    let _ = writeln!(
        text,
        "teps hmean={hmean:.6e} min={tmin:.6e} max={tmax:.6e} examined_per_s={examined_per_s:.6e} bfs_cycles={bfs_cycles}"
    );
    let path = format!("{GRAPH500_DIR}/{SUMMARY}");
    if let Err(e) = fs.write_file(&path, text.as_bytes()) {
        write_error.get_or_insert(format!("write {path}: {e}"));
    }
    if let Some(e) = write_error {
        println!("graph500-bfs: FAIL {e}");
        return 1;
    }
    println!(
        "graph500-bfs: {run}: {} searches over {n} vertices ({} adjacencies), results in {GRAPH500_DIR}/",
        searches.len(),
        csr.num_adjacencies()
    );
    println!(
        "perf: graph500-bfs: TEPS hmean {hmean:.4e} (min {tmin:.4e} max {tmax:.4e}), edges examined/s {examined_per_s:.4e}, BFS cycles {bfs_cycles}, generation cycles {}, CSR cycles {}",
        c_gen - c_start,
        c_csr - c_gen
    );
    0
}
