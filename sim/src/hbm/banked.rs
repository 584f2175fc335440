//! `memory.model = "banked"`: open-row banks, FR-FCFS, timing from `[memory.banked]`.
//!
//! Inside a channel, the local address `l` (see [`super::ChannelMap::local`]) maps to a bank and
//! a row with the row-index bits XORed into the bank bits (permutation interleaving), so that
//! rows of a power-of-two stride land in different banks:
//!
//! ```text
//!   chunk = l >> log2(row_bytes)        row = chunk >> log2(banks)
//!   bank  = (chunk ^ row) & (banks - 1) column = l & (row_bytes - 1)
//! ```
//!
//! Banks stay open after an access (open-page policy). At decision cycle `T` a request to bank
//! `b`, row `r` issues its commands as early as the bank allows:
//!
//! ```text
//!   hit      (b has r open):    RD/WR at max(T, ACT_b + tRCD)
//!   empty    (b closed):        ACT at max(T, F);                              RD/WR at ACT + tRCD
//!   conflict (b has r' open):   PRE at max(T, ACT_b + tRAS, last RD/WR_b);
//!                               ACT at max(PRE + tRP, F);                      RD/WR at ACT + tRCD
//!   F = max(last ACT + tRRD, 4th last ACT + tFAW)    (any bank; ACTs issue in decision order)
//!   data ready = RD/WR + tCL;   lead = tRP + tRCD + tCL;   tail = latency - (tRCD + tCL)
//! ```
//!
//! so an idle access to a closed bank takes exactly `memory.hbm_latency_ns` (+ serialization), a
//! row hit `tRCD` less and a conflict `tRP` more. Scheduling is FR-FCFS (Rixner et al., ISCA
//! 2000) at request level: among the requests that have arrived, the one whose column command
//! can issue first goes first (so row hits, and requests to idle banks, pass requests stuck
//! behind a busy bank); ties go to a row hit, then to the oldest. The oldest may be bypassed at
//! most [`FRFCFS_CAP`] times in a row, so a stream of hits cannot starve it. Not modelled (documented in docs/hbm.md): refresh, tCCD, tWR/tRTP, read/write turnaround,
//! bank groups (tRRD_L, tCCD_L), the command bus.

use super::timing::{ChannelTiming, Issued, Request, RowOutcome};
use super::HbmParams;
use std::collections::VecDeque;

/// How many decisions in a row FR-FCFS may pass over the oldest queued request for row hits.
pub const FRFCFS_CAP: u32 = 16;

const CLOSED: u64 = u64::MAX;

/// Inverse of [`Banked::bank_row`]: the first channel-local address of `row` in `bank`, for a
/// channel of `banks` banks of `row_bytes`-byte rows (both powers of two).
pub fn local_address(banks: u32, row_bytes: u32, bank: u32, row: u64) -> u64 {
    let mask = u64::from(banks) - 1;
    let chunk = (row << banks.trailing_zeros()) | ((u64::from(bank) ^ row) & mask);
    chunk << row_bytes.trailing_zeros()
}

/// The banked timing model of one channel.
#[derive(Clone, Debug)]
pub struct Banked {
    bank_bits: u32,
    row_shift: u32,
    rcd: u64,
    rp: u64,
    cl: u64,
    ras: u64,
    rrd: u64,
    faw: u64,
    tail: u64,
    burst: u64,
    /// Open row per bank ([`CLOSED`] if none).
    open: Vec<u64>,
    /// Cycle of the last ACT per bank.
    act: Vec<u64>,
    /// Cycle of the last column command per bank.
    last_col: Vec<u64>,
    /// The last four ACT times of the channel, oldest at `act_pos` once four have issued.
    recent_acts: [u64; 4],
    act_pos: usize,
    /// ACTs issued so far (saturating at 4: only "fewer than four" matters).
    acts: u32,
    /// Consecutive decisions that passed over the current oldest request.
    bypassed: u32,
}

impl Banked {
    /// All banks closed, timing from `p.banked`.
    pub fn new(p: &HbmParams) -> Banked {
        let b = &p.banked;
        let n = b.banks as usize;
        Banked {
            bank_bits: b.banks.trailing_zeros(),
            row_shift: b.row_bytes.trailing_zeros(),
            rcd: b.rcd,
            rp: b.rp,
            cl: b.cl,
            ras: b.ras,
            rrd: b.rrd,
            faw: b.faw,
            tail: p.tail_cycles(),
            burst: u64::from(b.burst_bytes),
            open: vec![CLOSED; n],
            act: vec![0; n],
            last_col: vec![0; n],
            recent_acts: [0; 4],
            act_pos: 0,
            acts: 0,
            bypassed: 0,
        }
    }

    /// `(bank, row)` of a channel-local address.
    #[inline]
    pub fn bank_row(&self, local: u64) -> (usize, u64) {
        let chunk = local >> self.row_shift;
        let row = chunk >> self.bank_bits;
        let bank = (chunk ^ row) & ((1u64 << self.bank_bits) - 1);
        (bank as usize, row)
    }

    /// The row open in `bank`, if any.
    pub fn open_row(&self, bank: usize) -> Option<u64> {
        (self.open[bank] != CLOSED).then_some(self.open[bank])
    }

    /// When a request to `local` decided at cycle `t` would issue its column command, and what
    /// it finds in the row buffer (no state changes).
    #[inline]
    fn plan(&self, local: u64, t: u64) -> (u64, RowOutcome) {
        let (b, row) = self.bank_row(local);
        if self.open[b] == row {
            (t.max(self.act[b] + self.rcd), RowOutcome::Hit)
        } else if self.open[b] == CLOSED {
            (t.max(self.act_floor()) + self.rcd, RowOutcome::Empty)
        } else {
            let pre = t.max(self.act[b] + self.ras).max(self.last_col[b]);
            let act = (pre + self.rp).max(self.act_floor());
            (act + self.rcd, RowOutcome::Conflict)
        }
    }

    /// Earliest cycle the channel's next ACT may issue (tRRD and tFAW).
    #[inline]
    fn act_floor(&self) -> u64 {
        let last = (self.act_pos + 3) % 4;
        let rrd = if self.acts > 0 {
            self.recent_acts[last] + self.rrd
        } else {
            0
        };
        let faw = if self.acts >= 4 {
            self.recent_acts[self.act_pos] + self.faw
        } else {
            0
        };
        rrd.max(faw)
    }
}

impl ChannelTiming for Banked {
    fn lead(&self) -> u64 {
        self.rp + self.rcd + self.cl
    }
    fn tail(&self) -> u64 {
        self.tail
    }
    fn transfer_bytes(&self, bytes: u32) -> u64 {
        u64::from(bytes).div_ceil(self.burst) * self.burst
    }
    fn pick(&mut self, queue: &VecDeque<Request>, n: usize, t: u64) -> usize {
        if n == 1 || self.bypassed >= FRFCFS_CAP {
            self.bypassed = 0;
            return 0;
        }
        // First ready: the earliest column command; among equals a row hit, then the oldest.
        let mut best = (u64::MAX, true, 0);
        for (i, r) in queue.iter().take(n).enumerate() {
            let (col, row) = self.plan(r.local, t);
            let key = (col, row != RowOutcome::Hit, i);
            if key < best {
                best = key;
            }
        }
        let i = best.2;
        self.bypassed = if i == 0 { 0 } else { self.bypassed + 1 };
        i
    }
    fn issue(&mut self, req: &Request, t: u64) -> Issued {
        let (col, outcome) = self.plan(req.local, t);
        let (b, row) = self.bank_row(req.local);
        if outcome != RowOutcome::Hit {
            self.act[b] = col - self.rcd;
            self.recent_acts[self.act_pos] = self.act[b];
            self.act_pos = (self.act_pos + 1) % 4;
            self.acts = (self.acts + 1).min(4);
        }
        self.open[b] = row;
        self.last_col[b] = self.last_col[b].max(col);
        Issued {
            data_ready: col + self.cl,
            row: Some(outcome),
        }
    }
}
