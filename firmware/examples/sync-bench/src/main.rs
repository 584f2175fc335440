//! `sync-bench`: what the runtime's sleeping waits cost, in cycles.
//!
//! Bootargs: `rounds=` (default 100) barrier episodes and token laps.
//!
//! ```text
//! sync-bench: 8 harts, rounds=100
//! perf: boot wake-up: every hart entered main within 412 cycles
//! perf: barrier: 100 episodes, 168 cycles per episode (hart 0)
//! perf: token pass: 100 laps x 8 harts, 17 cycles per hand-off
//! subset barrier: 4 of 8 harts x 100 rounds, 0 harts saw a wrong count
//! perf: subset barrier: 120 cycles per episode (hart 0)
//! sync-bench: PASS
//! ```
//!
//! * boot wake-up: each hart reads `cycle` as it enters `main`; the spread
//!   between the first and the last is what waking every hart costs (the
//!   depth of the boot wake-up tree).
//! * barrier: hart 0's cycles for `rounds` back-to-back [`barrier`]s.
//! * token pass: a token goes round the harts in id order; each hart sleeps
//!   in [`wait_until`] until it holds the token, then passes it on and
//!   [`wake`]s the next hart (`hello`'s ordered printing without the
//!   printing).
//! * subset barrier: a [`Barrier`] over the first half of the harts (the
//!   last arrival wakes the others one by one), checked with a counter.
//!
//! `cycle` is a chip-wide counter on Strand (so the spreads are exact);
//! on QEMU it follows host time and the `perf:` lines mean little. The
//! other lines are deterministic.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use strand_rt::{barrier, println, rdcycle, share, wait_until, wake, Barrier, Ctx};

strand_rt::entry!(main);

/// Earliest and latest `cycle` at which a hart entered `main`.
static FIRST_ENTRY: AtomicU64 = AtomicU64::new(u64::MAX);
static LAST_ENTRY: AtomicU64 = AtomicU64::new(0);
/// Token for the pass-the-token test: the number of hand-offs so far.
static TOKEN: AtomicUsize = AtomicUsize::new(0);
/// `cycle` when the last hart passed the token for the last time.
static TOKEN_END: AtomicU64 = AtomicU64::new(0);
/// Subset barrier test: arrivals so far, and harts that saw a wrong count.
static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SUB_ERRORS: AtomicUsize = AtomicUsize::new(0);

fn main(ctx: &Ctx) -> i32 {
    let entry = rdcycle();
    FIRST_ENTRY.fetch_min(entry, Ordering::Relaxed);
    LAST_ENTRY.fetch_max(entry, Ordering::Relaxed);
    let (me, n) = (ctx.hart_id(), ctx.num_harts());
    let rounds = ctx.args().get_u64("rounds", 100) as usize;
    barrier();
    if ctx.is_main_hart() {
        println!("sync-bench: {n} harts, rounds={rounds}");
        println!(
            "perf: boot wake-up: every hart entered main within {} cycles",
            LAST_ENTRY.load(Ordering::Relaxed) - FIRST_ENTRY.load(Ordering::Relaxed)
        );
    }

    barrier();
    let t0 = rdcycle();
    for _ in 0..rounds {
        barrier();
    }
    let t1 = rdcycle();
    if ctx.is_main_hart() {
        println!(
            "perf: barrier: {rounds} episodes, {} cycles per episode (hart 0)",
            (t1 - t0) / rounds.max(1) as u64
        );
    }

    barrier();
    let t0 = rdcycle();
    let laps = rounds;
    for lap in 0..laps {
        let mine = lap * n + me;
        wait_until(|| TOKEN.load(Ordering::Acquire) == mine);
        TOKEN.store(mine + 1, Ordering::Release);
        if mine + 1 < laps * n {
            wake((me + 1) % n);
        } else {
            TOKEN_END.store(rdcycle(), Ordering::Relaxed);
        }
    }
    barrier();
    let handoffs = TOKEN.load(Ordering::Relaxed);
    if ctx.is_main_hart() {
        let t1 = TOKEN_END.load(Ordering::Relaxed).max(t0);
        println!(
            "perf: token pass: {laps} laps x {n} harts, {} cycles per hand-off",
            (t1 - t0) / handoffs.max(1) as u64
        );
    }

    // A barrier over the first half of the harts, while the others wait in
    // the all-harts barrier.
    let k = n.div_ceil(2);
    let sub: &'static Barrier = share(|| Barrier::new(k));
    let mut sub_ok = true;
    let t0 = rdcycle();
    if me < k {
        for r in 0..rounds {
            COUNTER.fetch_add(1, Ordering::Relaxed);
            sub.wait();
            // Everyone of this round has counted, nobody of the next one.
            sub_ok &= COUNTER.load(Ordering::Relaxed) == (r + 1) * k;
            sub.wait();
        }
    }
    let t1 = rdcycle();
    if !sub_ok {
        SUB_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    barrier();
    if ctx.is_main_hart() {
        let errors = SUB_ERRORS.load(Ordering::Relaxed);
        println!(
            "subset barrier: {k} of {n} harts x {rounds} rounds, {errors} harts saw a wrong count"
        );
        println!(
            "perf: subset barrier: {} cycles per episode (hart 0)",
            (t1 - t0) / (2 * rounds.max(1)) as u64
        );
        let ok = handoffs == laps * n && errors == 0;
        println!("sync-bench: {}", if ok { "PASS" } else { "FAIL" });
        return if ok { 0 } else { 1 };
    }
    0
}
