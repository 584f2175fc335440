//! `hello`: every hart greets, in hart-id order.
//!
//! ```text
//! hello: 4 harts, bootargs "..."
//! hello from hart 0 of 4
//! hello from hart 1 of 4
//! ...
//! ```
//!
//! A turn counter (`amoadd`-free: the hart whose turn it is stores turn + 1
//! with release) makes the order deterministic on every platform. Waiting
//! harts sleep in `wfi` ([`strand_rt::wait_until`]); each hart wakes the next
//! one after printing, so only one hart runs at a time.
//!
//! Bootargs for testing the runtime's failure paths:
//! * `panic=1`: hart 0 panics after the banner (exit code 101),
//! * `trap=1`: hart 0 executes an illegal instruction (exit code 102),
//! * `exit=N`: the last hart returns N from main (exit code N).

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicUsize, Ordering};

use strand_rt::alloc::format;
use strand_rt::{println, Ctx};

strand_rt::entry!(main);

/// Whose turn it is to print.
static TURN: AtomicUsize = AtomicUsize::new(0);

fn main(ctx: &Ctx) -> i32 {
    let (me, n) = (ctx.hart_id(), ctx.num_harts());
    let args = ctx.args();
    if ctx.is_main_hart() {
        // `format!` exercises the heap.
        let banner = format!("hello: {} harts, bootargs \"{}\"", n, args.as_str());
        println!("{banner}");
        if args.get_bool("panic", false) {
            panic!("panic requested by bootarg panic=1");
        }
        if args.get_bool("trap", false) {
            // SAFETY: deliberately executes an illegal instruction (a write to
            // the read-only `cycle` CSR) to test the trap handler; never returns.
            unsafe { core::arch::asm!("unimp") };
        }
    }
    strand_rt::wait_until(|| TURN.load(Ordering::Acquire) == me);
    println!("hello from hart {me} of {n}");
    TURN.store(me + 1, Ordering::Release);
    if me + 1 < n {
        strand_rt::wake(me + 1);
    }
    if me == n - 1 {
        return args.get_u64("exit", 0) as i32;
    }
    0
}
