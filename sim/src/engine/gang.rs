//! A gang of worker threads that run one short job per quantum, spin-waiting in between.
//!
//! A quantum's parallel part lasts tens of microseconds; a general-purpose pool (rayon) puts
//! its workers to sleep between such jobs and wakes them through the kernel, which cost more
//! than the work (measured: ~40% of a 2-thread `u280` run in `sched_yield`/`__schedule`). Here
//! the caller runs index 0 itself and `n - 1` persistent workers run the others; between jobs
//! they spin for a while and then yield, so an oversubscribed host still makes progress.
//!
//! Why by hand: no crate on hand offers a spin-then-yield fork-join for borrowed, non-`'static`
//! jobs; the unsafe part is one lifetime extension, bounded by [`Gang::run`] waiting for every
//! worker before it returns.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Spins before a waiting thread starts yielding its core.
const SPINS: u32 = 1 << 11;

type Job = dyn Fn(usize) + Sync + 'static;

/// A job pointer with its lifetime erased (see the safety notes in [`Gang::run`]).
#[derive(Clone, Copy)]
struct JobRef(*const Job);
// SAFETY: the pointee is `Sync`, and `Gang::run` keeps it alive until every worker is done.
unsafe impl Send for JobRef {}

struct Shared {
    epoch: AtomicU64,
    remaining: AtomicUsize,
    job: Mutex<Option<JobRef>>,
    stop: AtomicBool,
    panicked: AtomicBool,
}

/// `n - 1` worker threads plus the caller.
pub struct Gang {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

fn wait(mut done: impl FnMut() -> bool) {
    let mut spins = 0u32;
    while !done() {
        if spins < SPINS {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

impl Gang {
    /// A gang of `n` threads (the caller and `n - 1` workers).
    pub fn new(n: usize) -> std::io::Result<Gang> {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            remaining: AtomicUsize::new(0),
            job: Mutex::new(None),
            stop: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        });
        let mut workers = Vec::new();
        for index in 1..n.max(1) {
            let s = Arc::clone(&shared);
            let h = std::thread::Builder::new()
                .name(format!("strand-tiles-{index}"))
                .spawn(move || {
                    let mut seen = 0;
                    loop {
                        wait(|| {
                            s.stop.load(Ordering::Acquire)
                                || s.epoch.load(Ordering::Acquire) != seen
                        });
                        if s.stop.load(Ordering::Acquire) {
                            return;
                        }
                        seen = s.epoch.load(Ordering::Acquire);
                        let job = s.job.lock().expect("gang job lock").expect("a job");
                        // SAFETY: `run` published this job and waits for `remaining` to reach 0
                        // before the job's borrow ends.
                        let r = catch_unwind(AssertUnwindSafe(|| unsafe { (*job.0)(index) }));
                        if r.is_err() {
                            s.panicked.store(true, Ordering::Release);
                        }
                        s.remaining.fetch_sub(1, Ordering::AcqRel);
                    }
                })?;
            workers.push(h);
        }
        Ok(Gang { shared, workers })
    }

    /// Threads in the gang, the caller included.
    pub fn size(&self) -> usize {
        self.workers.len() + 1
    }

    /// Run `f(0)` on the caller and `f(1) .. f(size - 1)` on the workers; return when all are
    /// done.
    pub fn run<'f>(&self, f: &'f (dyn Fn(usize) + Sync + 'f)) {
        let s = &self.shared;
        // SAFETY: the erased lifetime is only used by workers between the epoch bump below and
        // their `remaining` decrement; this function does not return before both happened
        // for every worker.
        let erased: *const Job =
            unsafe { std::mem::transmute::<&'f (dyn Fn(usize) + Sync + 'f), &'static Job>(f) };
        *s.job.lock().expect("gang job lock") = Some(JobRef(erased));
        s.remaining.store(self.workers.len(), Ordering::Release);
        s.epoch.fetch_add(1, Ordering::AcqRel);
        let mine = catch_unwind(AssertUnwindSafe(|| f(0)));
        wait(|| s.remaining.load(Ordering::Acquire) == 0);
        *s.job.lock().expect("gang job lock") = None;
        if let Err(p) = mine {
            std::panic::resume_unwind(p);
        }
        assert!(
            !s.panicked.load(Ordering::Acquire),
            "a simulation worker thread panicked"
        );
    }
}

impl Drop for Gang {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_runs_once_per_job_on_borrowed_data() {
        let g = Gang::new(3).unwrap();
        let mut sums = [0u64; 3];
        for round in 1..=200u64 {
            let cells: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(0)).collect();
            g.run(&|k| {
                cells[k].fetch_add(round, Ordering::Relaxed);
            });
            for (s, c) in sums.iter_mut().zip(&cells) {
                *s += c.load(Ordering::Relaxed);
            }
        }
        assert_eq!(sums, [20_100; 3]);
    }
}
