//! One memory controller: its queue, the scheduling loop, the data bus and the counters.
//!
//! Time on the data bus is kept exactly, as a whole cycle plus a fraction in units of `1 / bw_num`
//! cycle: a transfer of `b` bytes takes `b * bw_den / bw_num` cycles, so back-to-back transfers
//! are spaced by exactly `b / (bytes per cycle)` and the sustained bandwidth equals the
//! configured GB/s with no rounding drift (and no 128-bit division on the hot path).

use super::controller::Completion;
use super::stats::ChannelStats;
use super::timing::{ChannelTiming, Request, RowOutcome, Timing};
use super::HbmParams;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A decided request waiting for its completion cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct InFlight {
    pub completion: u64,
    pub id: u64,
    pub addr: u64,
    pub write: bool,
    pub notify: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Channel {
    index: u32,
    timing: Timing,
    /// Accepted, not yet decided; FIFO in arrival order.
    queue: VecDeque<Request>,
    /// Completion cycles of the decided, not yet completed requests; earliest on top.
    inflight: BinaryHeap<Reverse<u64>>,
    /// The subset of those that `enqueue` issued (they are reported when they retire).
    notify: BinaryHeap<Reverse<InFlight>>,
    /// When the data bus is next free: `bus_cycle + bus_frac / num` cycles.
    bus_cycle: u64,
    bus_frac: u64,
    num: u64,
    den: u64,
    pub(crate) stats: ChannelStats,
}

impl Channel {
    pub(crate) fn new(index: u32, p: &HbmParams) -> Channel {
        Channel {
            index,
            timing: Timing::new(p),
            queue: VecDeque::with_capacity(p.queue_depth as usize),
            inflight: BinaryHeap::with_capacity(p.queue_depth as usize),
            notify: BinaryHeap::new(),
            bus_cycle: 0,
            bus_frac: 0,
            num: p.bw_num,
            den: p.bw_den,
            stats: ChannelStats::default(),
        }
    }

    /// Requests held (queued or in flight).
    #[inline]
    pub(crate) fn occupancy(&self) -> usize {
        self.queue.len() + self.inflight.len()
    }

    pub(crate) fn push(&mut self, req: Request) {
        self.queue.push_back(req);
    }

    /// The decision cycle of the next request, if any is queued.
    #[inline]
    pub(crate) fn next_decision(&self) -> Option<u64> {
        let front = self.queue.front()?;
        Some(
            front
                .arrival
                .max(self.bus_cycle.saturating_sub(self.timing.lead())),
        )
    }

    /// The earliest completion cycle in flight.
    #[inline]
    pub(crate) fn next_completion(&self) -> Option<u64> {
        self.inflight.peek().map(|r| r.0)
    }

    /// Take the next scheduling decision if its cycle is before `horizon`.
    pub(crate) fn decide(&mut self, horizon: u64) -> Option<InFlight> {
        let t = self.next_decision()?;
        if t >= horizon {
            return None;
        }
        let n = self.queue.iter().take_while(|r| r.arrival <= t).count();
        let i = self.timing.pick(&self.queue, n.max(1), t);
        let req = self
            .queue
            .remove(i)
            .expect("pick returns an index into the queue");
        let issued = self.timing.issue(&req, t);
        let bus_bytes = self.timing.transfer_bytes(req.bytes);
        if issued.data_ready > self.bus_cycle {
            (self.bus_cycle, self.bus_frac) = (issued.data_ready, 0);
        }
        let (whole, frac) = self.transfer(bus_bytes);
        self.bus_cycle += whole;
        self.bus_frac += frac;
        if self.bus_frac >= self.num {
            self.bus_frac -= self.num;
            self.bus_cycle += 1;
        }
        let end = self.bus_cycle + u64::from(self.bus_frac > 0);
        let completion = end + self.timing.tail();

        let s = &mut self.stats;
        s.requests += 1;
        if req.write {
            s.writes += 1;
            s.bytes_written += u64::from(req.bytes);
        } else {
            s.reads += 1;
            s.bytes_read += u64::from(req.bytes);
        }
        s.bus_bytes += bus_bytes;
        s.queue_delay_total += t.saturating_sub(req.requested);
        let latency = completion - req.requested.min(completion);
        s.latency_total += latency;
        s.latency_max = s.latency_max.max(latency);
        s.backpressure_cycles += req.arrival - req.requested.min(req.arrival);
        match issued.row {
            Some(RowOutcome::Hit) => s.row_hits += 1,
            Some(RowOutcome::Empty) => s.row_empty += 1,
            Some(RowOutcome::Conflict) => s.row_conflicts += 1,
            None => {}
        }
        s.last_completion = s.last_completion.max(completion);

        let f = InFlight {
            completion,
            id: req.id,
            addr: req.addr,
            write: req.write,
            notify: req.notify,
        };
        self.inflight.push(Reverse(completion));
        if f.notify {
            self.notify.push(Reverse(f));
        }
        Some(f)
    }

    /// `bytes * den / num` as whole cycles and a remainder in `1 / num` units.
    #[inline]
    fn transfer(&self, bytes: u64) -> (u64, u64) {
        match bytes.checked_mul(self.den) {
            Some(t) => (t / self.num, t % self.num),
            None => {
                let t = u128::from(bytes) * u128::from(self.den);
                let n = u128::from(self.num);
                ((t / n) as u64, (t % n) as u64)
            }
        }
    }

    /// Retire everything in flight that completes by `now`; report those that asked for it.
    pub(crate) fn retire(&mut self, now: u64, out: &mut Vec<Completion>) {
        while self.inflight.peek().is_some_and(|r| r.0 <= now) {
            self.inflight.pop();
        }
        while let Some(Reverse(f)) = self.notify.peek().copied() {
            if f.completion > now {
                break;
            }
            self.notify.pop();
            out.push(Completion {
                id: f.id,
                channel: self.index,
                addr: f.addr,
                write: f.write,
                cycle: f.completion,
            });
        }
    }

    /// Take every decision before `now`, then retire what completes by `now`.
    pub(crate) fn advance(&mut self, now: u64, out: &mut Vec<Completion>) {
        while self.decide(now).is_some() {}
        self.retire(now, out);
    }
}
