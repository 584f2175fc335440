//! The contract between a channel's controller and its timing model, and the `fixed` model.
//!
//! A controller makes one scheduling decision at a time, at a decision cycle `T`:
//!
//! ```text
//!   T = max(arrival of the oldest queued request, floor(bus free) - lead())
//!   i = pick(queue, n, T)            n = requests that arrived by T (a prefix: the queue is FIFO)
//!   issued = issue(queue[i], T)      the model's state moves on (banks, rows)
//!   bus:   start = max(issued.data_ready, bus free); end = start + transfer_bytes / bytes per cycle
//!   completion = ceil(end) + tail()
//! ```
//!
//! `lead()` lets a model decide early enough to hide its own preparation (the banked model's
//! PRE + ACT + CAS) behind the transfer in progress, as gem5's DRAM controller does; the data bus
//! is the only resource the controller itself models. Variants are chosen by
//! [`HbmModel`] in `memory.model`; `Timing` is the closed set, so a
//! variant without an implementation is a compile error.

use super::banked::Banked;
use super::HbmParams;
use serde::Serialize;
use std::collections::VecDeque;
use strand_hw::params::HbmModel;

/// A request in a controller's queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Identifier returned by `enqueue` (or internal for `access`).
    pub id: u64,
    /// Physical address.
    pub addr: u64,
    /// Address inside the channel ([`super::ChannelMap::local`]).
    pub local: u64,
    /// Bytes requested.
    pub bytes: u32,
    /// Write (true) or read.
    pub write: bool,
    /// Cycle the requester presented it.
    pub requested: u64,
    /// Cycle the controller accepted it (later than `requested` when `access` found it full).
    pub arrival: u64,
    /// Report its completion through `drain_completions` (requests from `enqueue`).
    pub notify: bool,
}

/// What a request found in its bank's row buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// The row was open: column command only.
    Hit,
    /// The bank was closed: ACT, then the column command.
    Empty,
    /// Another row was open: PRE, ACT, then the column command.
    Conflict,
}

/// The model's answer for one issued request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issued {
    /// First cycle the request's data may be on the channel's data bus.
    pub data_ready: u64,
    /// Row-buffer outcome (`None` for models without rows).
    pub row: Option<RowOutcome>,
}

/// Timing of one channel behind its controller. Implementations are deterministic and keep all
/// their state inside (nothing global).
pub trait ChannelTiming {
    /// Cycles before the data bus frees at which the controller may take its next decision.
    fn lead(&self) -> u64;
    /// Cycles from the end of a request's data burst to its completion.
    fn tail(&self) -> u64;
    /// Bytes a request of `bytes` occupies the data bus with.
    fn transfer_bytes(&self, bytes: u32) -> u64;
    /// Which of the first `n >= 1` queued requests (all arrived by `t`; index 0 is the oldest)
    /// to serve at decision cycle `t`.
    fn pick(&mut self, queue: &VecDeque<Request>, n: usize, t: u64) -> usize;
    /// Serve `req` from decision cycle `t`: update the state and say when its data is ready.
    fn issue(&mut self, req: &Request, t: u64) -> Issued;
}

/// `memory.model = "fixed"`: FCFS; every request's data is ready at its decision cycle and
/// completes `latency_cycles` after its burst (the latency is a pipeline, not a resource).
#[derive(Clone, Debug)]
pub struct Fixed {
    latency: u64,
}

impl Fixed {
    /// The fixed model of `p`.
    pub fn new(p: &HbmParams) -> Fixed {
        Fixed {
            latency: p.latency_cycles,
        }
    }
}

impl ChannelTiming for Fixed {
    fn lead(&self) -> u64 {
        0
    }
    fn tail(&self) -> u64 {
        self.latency
    }
    fn transfer_bytes(&self, bytes: u32) -> u64 {
        u64::from(bytes)
    }
    fn pick(&mut self, _queue: &VecDeque<Request>, _n: usize, _t: u64) -> usize {
        0
    }
    fn issue(&mut self, _req: &Request, t: u64) -> Issued {
        Issued {
            data_ready: t,
            row: None,
        }
    }
}

/// The closed set of channel models, one variant per [`HbmModel`].
#[derive(Clone, Debug)]
pub(crate) enum Timing {
    /// See [`Fixed`].
    Fixed(Fixed),
    /// See [`Banked`].
    Banked(Banked),
}

impl Timing {
    /// The model `p.model` selects.
    pub(crate) fn new(p: &HbmParams) -> Timing {
        match p.model {
            HbmModel::Fixed => Timing::Fixed(Fixed::new(p)),
            HbmModel::Banked => Timing::Banked(Banked::new(p)),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $t:ident => $e:expr) => {
        match $self {
            Timing::Fixed($t) => $e,
            Timing::Banked($t) => $e,
        }
    };
}

impl ChannelTiming for Timing {
    #[inline]
    fn lead(&self) -> u64 {
        dispatch!(self, t => t.lead())
    }
    #[inline]
    fn tail(&self) -> u64 {
        dispatch!(self, t => t.tail())
    }
    #[inline]
    fn transfer_bytes(&self, bytes: u32) -> u64 {
        dispatch!(self, t => t.transfer_bytes(bytes))
    }
    #[inline]
    fn pick(&mut self, queue: &VecDeque<Request>, n: usize, t: u64) -> usize {
        dispatch!(self, m => m.pick(queue, n, t))
    }
    #[inline]
    fn issue(&mut self, req: &Request, t: u64) -> Issued {
        dispatch!(self, m => m.issue(req, t))
    }
}
