//! The tile's network interfaces for the coherence protocol (`docs/rtl.md`, "Coherence between
//! tiles"): messages, their flits, and one sender and one receiver per router L port.
//!
//! ```text
//!  head flit (LSB first): [dest x: XB][dest y: YB][src tile: TB][type: 4][line address: PA]
//!  data flits:            the line, W bits per flit, lowest bytes first (LINE*8/W flits)
//!
//!  type  network   from → to            data
//!  0 GETS  request  requester → home     -
//!  1 GETM  request  requester → home     -
//!  2 PUTM  request  owner → home         the dirty line
//!  3 INV   forward  home → holder        -
//!  4 ACK   response holder → home        -
//!  5 ACKD  response holder → home        its modified line
//!  6 DATAS response home → requester     the line, granted shared
//!  7 DATAM response home → requester     the line, granted modified
//!  8 PUTACK response home → owner        -
//! ```
//!
//! A sender takes one message (valid/ready) and sends its head flit and data flits while the
//! router has credits for its L input. A receiver assembles a message from the router's L
//! output and holds it until its consumer takes it; the response network's receiver has two
//! slots (for the home agent: ACK/ACKD; for the sequencer: DATA*/PUTACK) behind one head
//! register, so an answer waiting for a busy sequencer never blocks the acks a home waits for.

use super::tile::fit;
use crate::rtl::ty::bits_for;
use crate::rtl::{cat, clog2, lit, zeros, Expr, Inst, ModuleBuilder, Sig};

/// Message types.
pub mod ty {
    /// Read a line (shared).
    pub const GETS: u128 = 0;
    /// Read a line for writing (modified).
    pub const GETM: u128 = 1;
    /// Write back a modified line being evicted.
    pub const PUTM: u128 = 2;
    /// Invalidate a line (answer ACK, or ACKD with the line if modified).
    pub const INV: u128 = 3;
    /// Invalidated, held no modified copy.
    pub const ACK: u128 = 4;
    /// Invalidated, here is the modified line.
    pub const ACKD: u128 = 5;
    /// The line, shared.
    pub const DATAS: u128 = 6;
    /// The line, modified (exclusive).
    pub const DATAM: u128 = 7;
    /// The write-back is done.
    pub const PUTACK: u128 = 8;
}

/// Bits of the type field.
pub const TYPE_BITS: u32 = 4;

/// The layout of a head flit.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Bits of the x coordinate.
    pub xb: u32,
    /// Bits of the y coordinate.
    pub yb: u32,
    /// Bits of a tile id.
    pub tb: u32,
    /// Physical address bits.
    pub pa: u32,
    /// Flit bits.
    pub w: u32,
    /// Line bits.
    pub lb: u32,
}

impl Layout {
    /// Bits of a head flit's fields.
    pub fn head_bits(&self) -> u32 {
        self.xb + self.yb + self.tb + TYPE_BITS + self.pa
    }
    /// Data flits of a message with data.
    pub fn data_flits(&self) -> u32 {
        self.lb / self.w
    }
    /// A head flit: `dest` = `{y, x}`.
    pub fn head(&self, dest: Expr, src: Expr, typ: u128, addr: Expr) -> Expr {
        fit(cat([addr, lit(TYPE_BITS, typ), src, dest]), self.w)
    }
    /// The source tile of a head flit.
    pub fn src(&self, h: &Expr) -> Expr {
        h.slice(self.xb + self.yb + self.tb - 1, self.xb + self.yb)
    }
    /// The type of a head flit.
    pub fn typ(&self, h: &Expr) -> Expr {
        let lo = self.xb + self.yb + self.tb;
        h.slice(lo + TYPE_BITS - 1, lo)
    }
    /// The line address of a head flit.
    pub fn addr(&self, h: &Expr) -> Expr {
        let lo = self.xb + self.yb + self.tb + TYPE_BITS;
        h.slice(lo + self.pa - 1, lo)
    }
}

/// A sender into router `r`'s L input, named `<name>_*`: returns `ready` (the message is taken
/// this cycle when `valid`). `head` is the head flit, `data` the line (sent when `has_data`).
#[allow(clippy::too_many_arguments)]
pub fn sender(
    m: &mut ModuleBuilder,
    name: &str,
    r: &Inst,
    l: &Layout,
    buffer_flits: u32,
    valid: Expr,
    head: Expr,
    has_data: Expr,
    data: Expr,
) -> Sig {
    let (w, lb) = (l.w, l.lb);
    let nf = l.data_flits();
    let cb = clog2(u64::from(nf) + 1).max(1);
    let crb = bits_for(u64::from(buffer_flits));
    let busy = m.reg(&format!("{name}_busy"), 1, 0);
    let head_q = m.reg(&format!("{name}_head"), w, 0);
    let data_q = m.reg(&format!("{name}_data"), lb, 0);
    let hasd_q = m.reg(&format!("{name}_hasd"), 1, 0);
    let cnt = m.reg(&format!("{name}_cnt"), cb, 0);
    let credit = m.reg(&format!("{name}_credit"), crb, u128::from(buffer_flits));
    let ready = m.wire_from(&format!("{name}_ready"), !&busy);
    let take = m.wire_from(&format!("{name}_take"), &ready & valid);
    let first = cnt.eq(zeros(cb));
    let send = m.wire_from(&format!("{name}_send"), &busy & credit.ne(zeros(crb)));
    let tail = m.wire_from(
        &format!("{name}_tail"),
        (first.clone() & !&hasd_q) | cnt.eq(lit(cb, u128::from(nf))),
    );
    let back = r.port("out_l_credit");
    m.seq(|q| {
        q.when_else(
            &send & !&back,
            |q| q.set(&credit, credit.sub_const(1)),
            |q| q.when(!&send & &back, |q| q.set(&credit, credit.add_const(1))),
        )
    });
    m.seq(|q| {
        q.when(take.expr(), |q| {
            q.set(&busy, lit(1, 1));
            q.set(&head_q, head);
            q.set(&data_q, data);
            q.set(&hasd_q, has_data);
            q.set(&cnt, zeros(cb));
        });
        q.when(send.expr(), |q| {
            q.set(&cnt, cnt.add_const(1));
            q.when(!first.clone(), |q| {
                q.set(
                    &data_q,
                    data_q.shr(lit(clog2(u64::from(w)) + 1, u128::from(w))),
                )
            });
            q.when(tail.expr(), |q| q.set(&busy, lit(1, 0)));
        });
    });
    m.assign(&r.port("in_l_valid"), &send);
    m.assign(&r.port("in_l_head"), first.clone());
    m.assign(&r.port("in_l_tail"), &tail);
    m.assign(
        &r.port("in_l_data"),
        first.mux(head_q.expr(), data_q.slice(w - 1, 0)),
    );
    ready
}

/// A received message: `valid` (held until `pop`), its head flit and its line.
pub struct Received {
    /// A message is held.
    pub valid: Sig,
    /// Its head flit.
    pub head: Sig,
    /// Its line (messages with data).
    pub data: Sig,
}

/// A receiver from router `r`'s L output with one slot per consumer: `slot_of(head flit)` is
/// 1 bit per slot (exactly one set); each slot is taken by its `pops[k]`.
pub fn receiver(
    m: &mut ModuleBuilder,
    name: &str,
    r: &Inst,
    l: &Layout,
    slots: usize,
    slot_of: &dyn Fn(&Expr) -> Vec<Expr>,
    pops: &[Expr],
) -> Vec<Received> {
    let (w, lb) = (l.w, l.lb);
    let fv = r.port("out_l_valid");
    let fhead = r.port("out_l_head");
    let ftail = r.port("out_l_tail");
    let fdata = r.port("out_l_data");
    // The head register: a head flit waits here until its slot is free.
    let hv = m.reg(&format!("{name}_hv"), 1, 0);
    let hq = m.reg(&format!("{name}_hq"), w, 0);
    let hdone = m.reg(&format!("{name}_hdone"), 1, 0); // the head was a tail too
    m.allow_unused(&hq); // only its type is looked at here
    let target = slot_of(&hq.expr());
    let mut out = Vec::new();
    let mut frees = Vec::new();
    let mut fulls = Vec::new();
    for (k, pop) in pops.iter().enumerate().take(slots) {
        let full = m.reg(&format!("{name}_full{k}"), 1, 0);
        let head = m.reg(&format!("{name}_head{k}"), w, 0);
        let data = m.reg(&format!("{name}_data{k}"), lb, 0);
        // Consumers read the fields they need (an INV has no line).
        m.allow_unused(&head);
        m.allow_unused(&data);
        frees.push(!full.expr() | pop.clone());
        fulls.push((full.clone(), head.clone(), data.clone()));
        out.push(Received {
            valid: full,
            head,
            data,
        });
    }
    // The slot the held head goes to is free (or frees this cycle).
    let free = m.wire_from(
        &format!("{name}_free"),
        target
            .iter()
            .zip(&frees)
            .map(|(t, f)| t.clone() & f.clone())
            .reduce(|a, b| a | b)
            .expect("slots"),
    );
    // Flits are accepted: a head when none is held (or the held one leaves now); body flits
    // when the held head's slot is free.
    let ready = m.wire_from(&format!("{name}_ready"), !&hv | (!&hdone & &free));
    m.assign(&r.port("in_l_ready"), &ready);
    let fire = m.wire_from(&format!("{name}_fire"), &fv & &ready);
    let fire_head = &fire & &fhead;
    let fire_body = &fire & !&fhead;
    // A message completes: a lone head flit (with a free slot) or a tail body flit.
    let done_lone = m.wire_from(&format!("{name}_lone"), &hv & &hdone & &free);
    let done_body = m.wire_from(&format!("{name}_last"), &fire_body & &ftail);
    m.seq(|q| {
        q.when(fire_head.clone(), |q| {
            q.set(&hv, lit(1, 1));
            q.set(&hq, fdata.expr());
            q.set(&hdone, ftail.expr());
        });
        q.when(&done_lone | &done_body, |q| q.set(&hv, lit(1, 0)));
    });
    for (k, (full, head, data)) in fulls.iter().enumerate() {
        let mine = target[k].clone();
        let complete = (&done_lone | &done_body) & mine.clone();
        let body = &fire_body & mine;
        m.seq(|q| {
            q.when(pops[k].clone(), |q| q.set(full, lit(1, 0)));
            q.when(body.clone(), |q| {
                q.set(data, cat([fdata.expr(), data.slice(lb - 1, w)]));
            });
            q.when(complete.clone(), |q| {
                q.set(full, lit(1, 1));
                q.set(head, hq.expr());
            });
        });
    }
    out
}
