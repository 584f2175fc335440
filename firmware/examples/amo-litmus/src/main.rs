//! `amo-litmus`: atomicity and RVWMO ordering checks across all harts.
//!
//! Every hart, `iters` times each (bootarg `iters=`, default 1000):
//! 1. `amoadd.w` on a shared 32-bit counter,
//! 2. `amoadd.d` on a shared 64-bit counter,
//! 3. an `lr.d`/`sc.d` increment loop on a third counter,
//! 4. a plain load/add/store on a fourth, under a [`SpinLock`].
//!
//! With `stripes=S` (default 1), steps 3 and 4 use S counters (and S locks):
//! hart h increments stripe `h % S`, so each stripe is shared by harts spread
//! over the whole chip, and the contention (which grows with the square of the
//! harts sharing a counter) stays bounded on large chips.
//!
//! After a barrier, hart 0 checks that every counter is `harts * iters` (each
//! stripe: its harts times `iters`). Then:
//! * message passing (MP): hart h writes 16 words (two cache lines) and then a
//!   flag with release; hart h+1 reads the flag with acquire and must see all
//!   16 words of that round (`rounds=` rounds, default 100, on a ring),
//! * store buffering (SB): harts 2i and 2i+1 each store to their own word,
//!   `fence rw,rw`, and load the other's; both loads seeing the old value is
//!   forbidden,
//! * `parallel_for`: every index is visited exactly once per call.
//!
//! Every line is deterministic for a given hart count and bootargs, except
//! those starting with `perf:`. Exit code 0 on PASS, 1 on FAIL.

#![no_std]
#![no_main]

use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

use strand_rt::alloc::vec::Vec;
use strand_rt::{barrier, parallel_for, parallel_for_chunked, println, rdcycle, share};
use strand_rt::{CachePadded, Ctx, SpinLock};

strand_rt::entry!(main);

static AMO_W: CachePadded<AtomicU32> = CachePadded(AtomicU32::new(0));
static AMO_D: CachePadded<AtomicU64> = CachePadded(AtomicU64::new(0));

/// One stripe of the LR/SC and spinlock counters.
#[repr(align(64))]
struct Stripe {
    lrsc: CachePadded<AtomicU64>,
    locked: CachePadded<SpinLock<u64>>,
}

/// Failed `sc.d` attempts over all harts (timing-dependent: perf only).
static SC_RETRIES: AtomicU64 = AtomicU64::new(0);
/// Slowest hart's cycles per phase (timing-dependent: perf only).
static PHASE_CYCLES: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// Errors found by the ordering tests (deterministic: must stay 0).
static MP_VIOLATIONS: AtomicU64 = AtomicU64::new(0);
static SB_FORBIDDEN: AtomicU64 = AtomicU64::new(0);

/// Words per message-passing payload: two 64-byte lines.
const MP_WORDS: usize = 16;

/// One message-passing channel, written by hart h and read by hart h+1.
#[repr(align(64))]
struct Channel {
    data: [AtomicU64; MP_WORDS],
    flag: CachePadded<AtomicU64>,
    ack: CachePadded<AtomicU64>,
}

/// One store-buffering pair's two words and the two harts' observations.
#[repr(align(64))]
struct SbPair {
    x: CachePadded<AtomicU64>,
    y: CachePadded<AtomicU64>,
    seen: [AtomicU64; 2],
}

/// Increments `*p` with an `lr.d`/`sc.d` loop; returns the failed attempts.
fn lrsc_increment(p: &AtomicU64) -> u64 {
    let retries: u64;
    // SAFETY: `p` is a valid, 8-byte aligned AtomicU64; the loop only
    // accesses it with LR/SC, which is an atomic read-modify-write.
    unsafe {
        core::arch::asm!(
            "li {r}, 0",
            "1: lr.d {v}, ({p})",
            "addi {v}, {v}, 1",
            "sc.d {s}, {v}, ({p})",
            "beqz {s}, 2f",
            "addi {r}, {r}, 1",
            "j 1b",
            "2:",
            p = in(reg) p.as_ptr(),
            v = out(reg) _,
            s = out(reg) _,
            r = out(reg) retries,
            options(nostack),
        );
    }
    retries
}

/// Runs `f` between two barriers and records this hart's cycles for `phase`.
fn timed_phase(phase: usize, f: impl FnOnce()) {
    barrier();
    let t0 = rdcycle();
    f();
    let dt = rdcycle().wrapping_sub(t0);
    PHASE_CYCLES[phase].fetch_max(dt, Ordering::Relaxed);
    barrier();
}

fn main(ctx: &Ctx) -> i32 {
    let (me, n) = (ctx.hart_id(), ctx.num_harts());
    let iters = ctx.args().get_u64("iters", 1000);
    let rounds = ctx.args().get_u64("rounds", 100);
    let stripes = (ctx.args().get_u64("stripes", 1) as usize).clamp(1, n);
    if ctx.is_main_hart() {
        if stripes == 1 {
            println!("amo-litmus: {n} harts, iters={iters}, rounds={rounds}");
        } else {
            println!("amo-litmus: {n} harts, iters={iters}, rounds={rounds}, stripes={stripes}");
        }
    }
    let stripe: &'static Vec<Stripe> = share(|| {
        (0..stripes)
            .map(|_| Stripe {
                lrsc: CachePadded(AtomicU64::new(0)),
                locked: CachePadded(SpinLock::new(0)),
            })
            .collect()
    });
    let mine = &stripe[me % stripes];

    // --- atomicity: four counters --------------------------------------
    timed_phase(0, || {
        for _ in 0..iters {
            AMO_W.fetch_add(1, Ordering::Relaxed); // amoadd.w
        }
    });
    timed_phase(1, || {
        for _ in 0..iters {
            AMO_D.fetch_add(1, Ordering::Relaxed); // amoadd.d
        }
    });
    timed_phase(2, || {
        let mut retries = 0;
        for _ in 0..iters {
            retries += lrsc_increment(&mine.lrsc);
        }
        SC_RETRIES.fetch_add(retries, Ordering::Relaxed);
    });
    timed_phase(3, || {
        for _ in 0..iters {
            let mut v = mine.locked.lock();
            // A plain load and store: only the lock makes this atomic.
            // SAFETY: `&mut *v` is a valid u64; volatile keeps the compiler
            // from merging the loop's increments into one.
            unsafe {
                let p: *mut u64 = &mut *v;
                p.write_volatile(p.read_volatile() + 1);
            }
        }
    });

    // --- message passing on a ring of channels -------------------------
    let channels: &'static Vec<Channel> = share(|| {
        (0..n)
            .map(|_| Channel {
                data: [const { AtomicU64::new(0) }; MP_WORDS],
                flag: CachePadded(AtomicU64::new(0)),
                ack: CachePadded(AtomicU64::new(0)),
            })
            .collect()
    });
    let out = &channels[me];
    let inp = &channels[(me + n - 1) % n];
    let from = ((me + n - 1) % n) as u64;
    let mut violations = 0;
    for r in 1..=rounds {
        // Writer: wait until the reader has consumed round r-1.
        while out.ack.load(Ordering::Acquire) != r - 1 {
            core::hint::spin_loop();
        }
        for (k, w) in out.data.iter().enumerate() {
            w.store((me as u64) << 40 | r << 8 | k as u64, Ordering::Relaxed);
        }
        out.flag.store(r, Ordering::Release);
        // Reader: wait for round r from the previous hart.
        while inp.flag.load(Ordering::Acquire) != r {
            core::hint::spin_loop();
        }
        for (k, w) in inp.data.iter().enumerate() {
            if w.load(Ordering::Relaxed) != from << 40 | r << 8 | k as u64 {
                violations += 1;
            }
        }
        inp.ack.store(r, Ordering::Release);
    }
    MP_VIOLATIONS.fetch_add(violations, Ordering::Relaxed);

    // --- store buffering between pairs of harts ------------------------
    let pairs: &'static Vec<SbPair> = share(|| {
        (0..n / 2)
            .map(|_| SbPair {
                x: CachePadded(AtomicU64::new(0)),
                y: CachePadded(AtomicU64::new(0)),
                seen: [AtomicU64::new(0), AtomicU64::new(0)],
            })
            .collect()
    });
    for r in 1..=rounds {
        barrier();
        if let Some(pair) = pairs.get(me / 2) {
            let (mine, other) = if me % 2 == 0 {
                (&pair.x, &pair.y)
            } else {
                (&pair.y, &pair.x)
            };
            mine.store(r, Ordering::Relaxed);
            fence(Ordering::SeqCst); // fence rw,rw
            pair.seen[me % 2].store(other.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        barrier();
        if me % 2 == 0 {
            if let Some(pair) = pairs.get(me / 2) {
                let a = pair.seen[0].load(Ordering::Relaxed);
                let b = pair.seen[1].load(Ordering::Relaxed);
                if a < r && b < r {
                    SB_FORBIDDEN.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    // --- parallel_for: each index exactly once per call -----------------
    let pf_n = n * 64;
    let visits: &'static Vec<AtomicU32> = share(|| (0..pf_n).map(|_| AtomicU32::new(0)).collect());
    parallel_for(pf_n, |i| {
        visits[i].fetch_add(1, Ordering::Relaxed);
    });
    parallel_for_chunked(pf_n, 7, |i| {
        visits[i].fetch_add(1, Ordering::Relaxed);
    });

    barrier();
    if !ctx.is_main_hart() {
        return 0;
    }
    report(n as u64, iters, rounds, stripe, visits)
}

/// Hart 0: prints every result and returns the exit code.
fn report(n: u64, iters: u64, rounds: u64, stripe: &[Stripe], visits: &[AtomicU32]) -> i32 {
    let expected = n * iters;
    let mut ok = true;
    // Each stripe must hold its own harts' increments (a sum could hide a
    // lost update in one stripe behind an extra one in another).
    let s = stripe.len() as u64;
    let mut bad_stripes = 0;
    for (k, st) in stripe.iter().enumerate() {
        let harts = (n - k as u64).div_ceil(s);
        let lrsc = st.lrsc.load(Ordering::Relaxed);
        let locked = *st.locked.lock();
        if lrsc != harts * iters || locked != harts * iters {
            bad_stripes += 1;
            if bad_stripes <= 4 {
                println!("stripe {k}: lr/sc {lrsc}, spinlock {locked} (expected {}) WRONG", harts * iters);
            }
        }
    }
    ok &= bad_stripes == 0;
    let results = [
        ("amoadd.w", u64::from(AMO_W.load(Ordering::Relaxed))),
        ("amoadd.d", AMO_D.load(Ordering::Relaxed)),
        (
            "lr/sc",
            stripe.iter().map(|st| st.lrsc.load(Ordering::Relaxed)).sum(),
        ),
        ("spinlock", stripe.iter().map(|st| *st.locked.lock()).sum()),
    ];
    for (name, got) in results {
        // The 32-bit counter wraps like the hardware does.
        let want = if name == "amoadd.w" {
            expected as u32 as u64
        } else {
            expected
        };
        let verdict = if got == want { "ok" } else { "WRONG" };
        println!("{name}: {got} (expected {want}) {verdict}");
        ok &= got == want;
    }
    let mp = MP_VIOLATIONS.load(Ordering::Relaxed);
    println!(
        "message passing: {} rounds x {n} channels x {MP_WORDS} words, {mp} stale reads {}",
        rounds,
        if mp == 0 { "ok" } else { "WRONG" }
    );
    let sb = SB_FORBIDDEN.load(Ordering::Relaxed);
    println!(
        "store buffering: {} rounds x {} pairs, {sb} forbidden outcomes {}",
        rounds,
        n / 2,
        if sb == 0 { "ok" } else { "WRONG" }
    );
    let bad_pf = visits
        .iter()
        .filter(|v| v.load(Ordering::Relaxed) != 2)
        .count();
    println!(
        "parallel_for: {} indices x 2 calls, {bad_pf} visited other than once per call {}",
        visits.len(),
        if bad_pf == 0 { "ok" } else { "WRONG" }
    );
    ok &= mp == 0 && sb == 0 && bad_pf == 0;

    let names = ["amoadd.w", "amoadd.d", "lr/sc", "spinlock"];
    for (name, c) in names.iter().zip(&PHASE_CYCLES) {
        let c = c.load(Ordering::Relaxed);
        let per_op_x100 = (c * 100).checked_div(iters).unwrap_or(0);
        println!(
            "perf: {name}: {c} cycles (slowest hart), {}.{:02} cycles per increment per hart",
            per_op_x100 / 100,
            per_op_x100 % 100
        );
    }
    println!(
        "perf: sc.d failures: {}",
        SC_RETRIES.load(Ordering::Relaxed)
    );

    if ok {
        println!("amo-litmus: PASS ({n} harts x {iters} iters)");
        0
    } else {
        println!("amo-litmus: FAIL");
        1
    }
}
