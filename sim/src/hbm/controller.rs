//! [`Hbm`]: every channel's controller behind one interface, in two forms.
//!
//! - **zsim style**: [`Hbm::access`] returns the completion cycle at once. The request is
//!   decided as soon as it arrives, so the scheduler never sees a later request (FCFS in arrival
//!   order, as zsim's bound phase); a full queue delays it until the earliest request in flight
//!   completes.
//! - **cycle level**: [`Hbm::enqueue`] refuses a request when its channel's queue is full
//!   ([`Backpressure`]), [`Hbm::tick`] takes every decision before `now` (so FR-FCFS chooses
//!   among everything that has arrived) and retires what completes by `now`, and
//!   [`Hbm::drain_completions`] hands them out. A request enqueued at cycle `t` completes at the
//!   same cycle `access(.., t)` would give when it is alone in its channel.
//!
//! Contract: `now` never decreases from one call to the next. A controller holds at most
//! `memory.queue_depth` requests from acceptance to completion; the data bus of a channel is
//! the only shared resource between its requests besides the timing model's own state.

use super::channel::Channel;
use super::hash::ChannelMap;
use super::placement::controller_tiles;
use super::stats::{ratio, ChannelReport, ChannelStats, HbmReport};
use super::timing::Request;
use super::{Backpressure, HbmError, HbmParams};
use serde::Serialize;
use strand_hw::ChipConfig;

/// A finished request from [`Hbm::enqueue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Completion {
    /// The id `enqueue` returned.
    pub id: u64,
    /// Channel that served it.
    pub channel: u32,
    /// Its physical address.
    pub addr: u64,
    /// Whether it was a write.
    pub write: bool,
    /// Cycle its data transfer (and the fixed return latency) finished.
    pub cycle: u64,
}

/// All HBM channels and their memory controllers.
#[derive(Clone, Debug)]
pub struct Hbm {
    params: HbmParams,
    map: ChannelMap,
    channels: Vec<Channel>,
    tiles: Vec<u32>,
    next_id: u64,
    done: Vec<Completion>,
}

impl Hbm {
    /// The HBM of a chip (validates `cfg`).
    pub fn new(cfg: &ChipConfig) -> Result<Hbm, HbmError> {
        Ok(Hbm::from_params(HbmParams::from_config(cfg)?))
    }

    /// The HBM described by already converted parameters.
    pub fn from_params(params: HbmParams) -> Hbm {
        let map = ChannelMap::new(params.channels, params.interleave_bytes);
        let tiles = controller_tiles(params.channels, params.mesh_x, params.mesh_y);
        let channels = (0..params.channels)
            .map(|c| Channel::new(c, &params))
            .collect();
        Hbm {
            params,
            map,
            channels,
            tiles,
            next_id: 0,
            done: Vec::new(),
        }
    }

    /// The parameters in cycles.
    pub fn params(&self) -> &HbmParams {
        &self.params
    }

    /// The address hash.
    pub fn map(&self) -> &ChannelMap {
        &self.map
    }

    /// The channel that serves `addr`.
    pub fn channel_of(&self, addr: u64) -> u32 {
        self.map.channel(addr)
    }

    /// Tile of each channel's controller (see [`super::controller_tile`]).
    pub fn tiles(&self) -> &[u32] {
        &self.tiles
    }

    fn request(&mut self, addr: u64, bytes: u32, write: bool, now: u64, notify: bool) -> Request {
        let id = self.next_id;
        self.next_id += 1;
        Request {
            id,
            addr,
            local: self.map.local(addr),
            bytes,
            write,
            requested: now,
            arrival: now,
            notify,
        }
    }

    /// zsim-style access: a request of `bytes` at `addr` presented at cycle `now`; returns the
    /// cycle it completes. A request is served by the channel of its first byte (callers send
    /// lines, which never span an interleave granule).
    pub fn access(&mut self, addr: u64, bytes: u32, write: bool, now: u64) -> u64 {
        let mut req = self.request(addr, bytes, write, now, false);
        let depth = self.params.queue_depth as usize;
        let ch = &mut self.channels[self.map.channel(addr) as usize];
        ch.retire(now, &mut self.done);
        while ch.occupancy() >= depth {
            match ch.next_completion() {
                Some(t) => {
                    req.arrival = req.arrival.max(t);
                    ch.retire(req.arrival, &mut self.done);
                }
                // Only undecided requests from `enqueue` hold the queue: decide one.
                None => {
                    ch.decide(u64::MAX);
                }
            }
        }
        ch.push(req);
        loop {
            let f = ch
                .decide(u64::MAX)
                .expect("the queue holds at least this request");
            if f.id == req.id {
                return f.completion;
            }
        }
    }

    /// Cycle-level form: offer a request at cycle `now`. Returns its id, or [`Backpressure`]
    /// if its channel's queue is full (nothing changes; tick and retry).
    pub fn enqueue(
        &mut self,
        addr: u64,
        bytes: u32,
        write: bool,
        now: u64,
    ) -> Result<u64, Backpressure> {
        let c = self.map.channel(addr);
        let depth = self.params.queue_depth;
        let ch = &mut self.channels[c as usize];
        ch.advance(now, &mut self.done);
        if ch.occupancy() >= depth as usize {
            ch.stats.rejected += 1;
            return Err(Backpressure { channel: c, depth });
        }
        let req = self.request(addr, bytes, write, now, true);
        self.channels[c as usize].push(req);
        Ok(req.id)
    }

    /// Take every scheduling decision before cycle `now` and retire every request that
    /// completes by `now` (ticking every cycle or only at [`Hbm::next_event`] gives the same
    /// timing).
    pub fn tick(&mut self, now: u64) {
        for ch in &mut self.channels {
            ch.advance(now, &mut self.done);
        }
    }

    /// Completions retired by `tick` (or found by `enqueue`/`access`) since the last drain, per
    /// channel in completion order, channels in index order.
    pub fn drain_completions(&mut self) -> std::vec::Drain<'_, Completion> {
        self.done.drain(..)
    }

    /// The earliest cycle at which a `tick` would change something: a decision (taken by the
    /// tick after its cycle) or a completion. `None` when every channel is empty.
    pub fn next_event(&self) -> Option<u64> {
        self.channels
            .iter()
            .flat_map(|c| [c.next_decision().map(|t| t + 1), c.next_completion()])
            .flatten()
            .min()
    }

    /// Requests held by `channel`'s controller (queued or in flight).
    pub fn occupancy(&self, channel: u32) -> usize {
        self.channels[channel as usize].occupancy()
    }

    /// Whether no channel holds a request.
    pub fn is_idle(&self) -> bool {
        self.channels.iter().all(|c| c.occupancy() == 0)
    }

    /// Raw counters of `channel`.
    pub fn channel_stats(&self, channel: u32) -> &ChannelStats {
        &self.channels[channel as usize].stats
    }

    /// Zero every counter (state and timing are kept).
    pub fn reset_stats(&mut self) {
        for c in &mut self.channels {
            c.stats = ChannelStats::default();
        }
    }

    /// Statistics over a run of `cycles` cycles (the `hbm` node of the stats tree).
    pub fn report(&self, cycles: u64) -> HbmReport {
        let p = &self.params;
        let bpc = p.bytes_per_cycle();
        let channel: Vec<ChannelReport> = self
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                ChannelReport::new(
                    i as u32,
                    self.tiles[i],
                    c.stats.clone(),
                    cycles,
                    bpc,
                    p.model,
                )
            })
            .collect();
        let sum =
            |f: fn(&ChannelStats) -> u64| -> u64 { channel.iter().map(|c| f(&c.counters)).sum() };
        let bytes = sum(|c| c.bytes_read + c.bytes_written) as f64;
        let requests = sum(|c| c.requests);
        let measured_gbps = ratio(bytes, cycles as f64) * p.clock_mhz / 1000.0;
        HbmReport {
            model: p.model,
            channels: p.channels,
            cycles,
            clock_mhz: p.clock_mhz,
            configured_gbps: p.total_gbps(),
            measured_gbps,
            utilization: ratio(measured_gbps, p.total_gbps()),
            requests,
            mean_latency: ratio(sum(|c| c.latency_total) as f64, requests as f64),
            mean_queue_delay: ratio(sum(|c| c.queue_delay_total) as f64, requests as f64),
            row_hit_rate: (p.model == super::HbmModel::Banked)
                .then(|| ratio(sum(|c| c.row_hits) as f64, requests as f64)),
            channel,
        }
    }
}
