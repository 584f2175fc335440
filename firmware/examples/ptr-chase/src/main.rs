//! `ptr-chase`: multithreaded pointer-chase (dependent-load latency)
//! microbenchmark.
//!
//! Bootargs (numbers take k/K/M/G suffixes and 0x hex):
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `size=` | 64K | bytes of chase array per thread |
//! | `stride=` | 64 | bytes between consecutive slots (multiple of 8) |
//! | `threads=` | all harts | how many harts chase; the others only wait at the barriers |
//! | `iters=` | 10000 | dependent loads per thread (timed) |
//! | `spread=1` | off | spread the chasing harts evenly over the hart ids instead of 0..threads |
//!
//! Each chasing hart owns a region of `size / stride` slots. Its chain is a
//! single cycle through all slots in a pseudo-random order (Sattolo's
//! algorithm driven by splitmix64 seeded with the hart id), so the loads
//! defeat spatial locality and prefetching. A first, untimed walk checks the
//! cycle and warms the caches; then all harts start together and time
//! `iters` loads (`ld p, 0(p)` in an `asm!` loop of 3 instructions per load).
//!
//! Output: lines starting with `perf:` carry timing; every other line is
//! deterministic for a given hart count and bootargs (tests compare Strand and
//! QEMU with the `perf:` lines removed).
//!
//! ```text
//! ptr-chase: harts=4 threads=4 size=65536 stride=64 slots=1024 iters=10000 spread=0
//! ptr-chase: hart 0: cycle=1024 chain=0x... final=...
//! perf: hart 0: cycles=... instret=... cycles/load=... ns/load=...
//! ptr-chase: PASS
//! ```

#![no_std]
#![no_main]

use core::alloc::Layout;

use strand_rt::alloc::alloc::alloc;
use strand_rt::alloc::vec::Vec;
use strand_rt::{barrier, heap_free, heap_free_contiguous, println, rdcycle, rdinstret, rdtime};
use strand_rt::{share, timebase_hz};
use strand_rt::{Ctx, SpinLock};

strand_rt::entry!(main);

/// Alignment of each thread's region.
const REGION_ALIGN: usize = 4096;

/// The run's parameters, identical on every hart.
#[derive(Clone, Copy)]
struct Params {
    size: usize,
    stride: usize,
    slots: usize,
    threads: usize,
    iters: u64,
    spread: bool,
}

/// One chasing hart's results.
#[derive(Clone, Copy, Default)]
struct Outcome {
    /// Length of the cycle found by the check walk (must equal `slots`).
    cycle: usize,
    /// FNV-1a hash of the slot order along the cycle.
    chain: u64,
    /// Slot reached after `iters` loads.
    last: usize,
    cycles: u64,
    instret: u64,
    ticks: u64,
}

/// splitmix64: a small, well-mixed generator (Steele, Lea, Flood 2014).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-ish in `0..bound` (multiply-high, no division).
    fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next()) * bound as u128) >> 64) as usize
    }
}

/// Reads and validates the bootargs (same result on every hart).
fn params(ctx: &Ctx) -> Result<Params, &'static str> {
    let args = ctx.args();
    let size = args.get_u64("size", 64 * 1024) as usize;
    let stride = args.get_u64("stride", 64) as usize;
    let threads = args.get_u64("threads", ctx.num_harts() as u64) as usize;
    let iters = args.get_u64("iters", 10_000);
    let spread = args.get_bool("spread", false);
    if stride < 8 || stride % 8 != 0 {
        return Err("stride= must be a multiple of 8 bytes");
    }
    if size < stride {
        return Err("size= must be at least one stride");
    }
    if threads == 0 || threads > ctx.num_harts() {
        return Err("threads= must be between 1 and the number of harts");
    }
    Ok(Params {
        size,
        stride,
        slots: size / stride,
        threads,
        iters,
        spread,
    })
}

/// The chaser index of `hart` (0..threads), or `None` if it only waits.
fn chaser_index(hart: usize, nharts: usize, p: &Params) -> Option<usize> {
    if !p.spread {
        return (hart < p.threads).then_some(hart);
    }
    // Chaser i runs on hart floor(i * nharts / threads).
    let i = (hart * p.threads).div_ceil(nharts);
    (i < p.threads && i * nharts / p.threads == hart).then_some(i)
}

/// The hart that runs chaser `i` (inverse of [`chaser_index`]).
fn chaser_hart(i: usize, nharts: usize, p: &Params) -> usize {
    if p.spread {
        i * nharts / p.threads
    } else {
        i
    }
}

/// Builds a single cycle through the `slots` slots at `base`: slot k's first
/// word holds the address of the next slot.
///
/// # Safety
/// `base` must point to `slots * stride` writable bytes, 8-byte aligned,
/// used by nothing else.
unsafe fn build_chain(base: *mut u8, slots: usize, stride: usize, seed: u64) {
    let slot = |k: usize| base.wrapping_add(k * stride).cast::<u64>();
    // SAFETY: (whole body) every `slot(k)` with k < slots is inside the
    // caller's region and 8-byte aligned (base aligned, stride % 8 == 0).
    unsafe {
        for k in 0..slots {
            slot(k).write(k as u64);
        }
        // Sattolo's algorithm: a uniformly random permutation with a single
        // cycle, as next[k] = a[k].
        let mut rng = SplitMix64(seed);
        for i in (1..slots).rev() {
            let j = rng.below(i);
            let (a, b) = (slot(i).read(), slot(j).read());
            slot(i).write(b);
            slot(j).write(a);
        }
        for k in 0..slots {
            let next = slot(k).read() as usize;
            slot(k).write(slot(next) as u64);
        }
    }
}

/// Follows the chain from `base` until it returns; returns the cycle length
/// and an FNV-1a hash of the slot order. Stops after `slots + 1` steps.
///
/// # Safety
/// `base` must hold a chain built by [`build_chain`] with the same geometry.
unsafe fn check_chain(base: *const u8, slots: usize, stride: usize) -> (usize, u64) {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut p = base.cast::<u64>();
    for step in 1..=slots + 1 {
        // SAFETY: `p` is `base` or a pointer the chain stored, which points
        // at a slot of this region.
        p = unsafe { p.read() } as *const u64;
        let idx = (p as usize - base as usize) / stride;
        hash = (hash ^ idx as u64).wrapping_mul(0x0000_0100_0000_01b3);
        if p == base.cast::<u64>() {
            return (step, hash);
        }
    }
    (slots + 1, hash)
}

/// `iters` dependent loads from `start`; returns the final pointer.
fn chase(start: *const u64, iters: u64) -> *const u64 {
    if iters == 0 {
        return start;
    }
    let mut p = start;
    // SAFETY: every pointer in the chain points at a slot of the same
    // region (see `build_chain`); the loop only loads.
    unsafe {
        core::arch::asm!(
            "1: ld {p}, 0({p})",
            "addi {n}, {n}, -1",
            "bnez {n}, 1b",
            p = inout(reg) p,
            n = inout(reg) iters => _,
            options(nostack, readonly),
        );
    }
    p
}

/// Prints `num / den` with two decimals (no floating point on RV64IMA).
fn ratio(num: u64, den: u64) -> impl core::fmt::Display {
    struct Fixed(u64);
    impl core::fmt::Display for Fixed {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
        }
    }
    Fixed(
        (u128::from(num) * 100)
            .checked_div(u128::from(den))
            .unwrap_or(0) as u64,
    )
}

fn main(ctx: &Ctx) -> i32 {
    let (me, n) = (ctx.hart_id(), ctx.num_harts());
    let p = match params(ctx) {
        Ok(p) => p,
        Err(msg) => {
            if ctx.is_main_hart() {
                println!("ptr-chase: bad bootargs: {msg}");
            }
            return 2;
        }
    };
    let region_bytes = (p.slots * p.stride).next_multiple_of(REGION_ALIGN);
    if ctx.is_main_hart() {
        println!(
            "ptr-chase: harts={n} threads={} size={} stride={} slots={} iters={} spread={}",
            p.threads, p.size, p.stride, p.slots, p.iters, p.spread as u8
        );
    }

    // Hart 0 allocates every region, in chaser order, so placement does not
    // depend on which hart gets the heap lock first.
    let regions: &'static Vec<usize> = share(|| {
        // Each region must fit in one heap region; check the total against
        // the free bytes so that a too-large request fails with a message.
        let need = region_bytes.saturating_mul(p.threads);
        if need.saturating_add(need / 8) > heap_free() || region_bytes > heap_free_contiguous() {
            return Vec::new();
        }
        let layout = Layout::from_size_align(region_bytes, REGION_ALIGN).expect("region layout");
        // SAFETY: `layout` has a non-zero size; the regions are never freed.
        let all: Vec<usize> = (0..p.threads)
            .map(|_| unsafe { alloc(layout) } as usize)
            .collect();
        // Checked here, once: a scan by every hart would cost harts^2 loads.
        if all.contains(&0) {
            return Vec::new();
        }
        all
    });
    if regions.len() != p.threads {
        if ctx.is_main_hart() {
            println!(
                "ptr-chase: not enough memory for {} x {} bytes ({} free); lower size= or threads=",
                p.threads,
                region_bytes,
                heap_free()
            );
        }
        return 3;
    }
    let results: &'static Vec<SpinLock<Outcome>> = share(|| {
        (0..p.threads)
            .map(|_| SpinLock::new(Outcome::default()))
            .collect()
    });

    let mine = chaser_index(me, n, &p);
    let mut outcome = Outcome::default();
    let mut base: *mut u8 = core::ptr::null_mut();
    if let Some(i) = mine {
        base = regions[i] as *mut u8;
        // SAFETY: region i was allocated for this chaser alone, with
        // `slots * stride` bytes and 4 KiB alignment.
        unsafe { build_chain(base, p.slots, p.stride, 0x5354_5241_4e44_0000 ^ me as u64) };
        // SAFETY: the chain was just built with this geometry.
        let (cycle, chain) = unsafe { check_chain(base, p.slots, p.stride) };
        outcome.cycle = cycle;
        outcome.chain = chain;
    }

    barrier(); // all chasers start together
    if mine.is_some() {
        let (t0, c0, i0) = (rdtime(), rdcycle(), rdinstret());
        let last = chase(base.cast::<u64>(), p.iters);
        let (c1, i1, t1) = (rdcycle(), rdinstret(), rdtime());
        outcome.last = (last as usize - base as usize) / p.stride;
        outcome.cycles = c1.wrapping_sub(c0);
        outcome.instret = i1.wrapping_sub(i0);
        outcome.ticks = t1.wrapping_sub(t0);
    }
    if let Some(i) = mine {
        *results[i].lock() = outcome;
    }
    barrier(); // the final barrier: non-chasers wait here

    if !ctx.is_main_hart() {
        return 0;
    }
    let hz = timebase_hz();
    let mut ok = true;
    let (mut max_cycles, mut max_ticks) = (0u64, 0u64);
    for (i, slot) in results.iter().enumerate() {
        let o = *slot.lock();
        let hart = chaser_hart(i, n, &p);
        let verdict = if o.cycle == p.slots {
            "ok"
        } else {
            "BROKEN CHAIN"
        };
        ok &= o.cycle == p.slots;
        println!(
            "ptr-chase: hart {hart}: cycle={} chain={:#018x} final={} {verdict}",
            o.cycle, o.chain, o.last
        );
        let ns = (u128::from(o.ticks) * 1_000_000_000)
            .checked_div(u128::from(hz))
            .unwrap_or(0);
        println!(
            "perf: hart {hart}: cycles={} instret={} ticks={} cycles/load={} instret/load={} ns/load={}",
            o.cycles,
            o.instret,
            o.ticks,
            ratio(o.cycles, p.iters),
            ratio(o.instret, p.iters),
            ratio(ns as u64, p.iters)
        );
        max_cycles = max_cycles.max(o.cycles);
        max_ticks = max_ticks.max(o.ticks);
    }
    let loads = p.iters * p.threads as u64;
    println!(
        "perf: total loads={loads} max cycles={max_cycles} loads/kcycle={} ticks={max_ticks} timebase={hz}Hz",
        ratio(loads * 1000, max_cycles)
    );
    if ok {
        println!("ptr-chase: PASS");
        0
    } else {
        println!("ptr-chase: FAIL");
        1
    }
}
