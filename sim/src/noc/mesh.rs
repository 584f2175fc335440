//! The mesh: every router and NI of the three class networks, as struct-of-arrays, advanced one
//! cycle at a time by [`Mesh::tick`].
//!
//! Indexing: a *unit* is one router of one class network, `u = tile * 3 + class`; its input
//! buffer (and output port) `p` is `u * 5 + p`; slot `s` of input buffer `b` is
//! `flits[b * buffer_flits + s]`, a fixed ring. Credits are indexed by the input buffer they
//! count free slots of and are held by its sender (the upstream router's output, or the NI for
//! the L input).
//!
//! One `tick()` = one cycle `c`, in three phases that only talk to each other through state
//! written for cycle `c + 1` or later, so the order in which routers are visited cannot change
//! the result:
//!
//! ```text
//!   1. NIs      each busy NI sends one flit of its head packet into its router's L input
//!               (needs a credit); the flit is ready to leave at c + 1 + R
//!   2. routers  each active unit: the ready front flit of every input requests its output;
//!               a held output serves its owner, a free one grants round-robin among heads;
//!               a grant needs a downstream credit (or, for L, an unstalled sink). The flit is
//!               written straight into the downstream buffer, ready at c + 1 + R, or delivered
//!               to the NI at c + 1; the freed slot's credit is queued
//!   3. credits  queued credits are returned (usable from c + 1)
//! ```
//!
//! Only units with buffered flits are visited (a bitset), only NIs with queued packets are
//! visited (another bitset), and nothing is allocated per flit: packets live in a table with a
//! free list and the per-tile delivery queues keep their capacity.

use super::packet::{Class, Delivered, Port};
use super::router::{round_robin, route_xy, Flit, FREE, HEAD, TAIL};
use super::stats::{ClassCounters, LinkStats, NocStats, PortCounts, RouterStats};
use super::{Backpressure, NocError, NocParams};
use std::collections::VecDeque;
use strand_hw::ChipConfig;

const NONE: u32 = u32::MAX;
const L: usize = Port::L as usize;
const CLASSES: usize = Class::COUNT;

/// A packet between `inject` and delivery.
#[derive(Clone, Copy, Debug, Default)]
struct PacketRec {
    tag: u64,
    inject_cycle: u64,
    src: u32,
    dst: u32,
    flits: u32,
    dx: u8,
    dy: u8,
}

/// A cycle-level model of the three class networks of a 2D mesh (see the [module
/// docs](super) for the timing).
///
/// ```
/// use strand_sim::noc::{Class, Mesh};
/// let cfg = strand_hw::ChipConfig::preset("u280").unwrap(); // 4x2 mesh
/// let mut mesh = Mesh::new(&cfg).unwrap();
/// mesh.inject(0, 7, Class::Request, 64, 42).unwrap();
/// while !mesh.is_idle() {
///     mesh.tick();
/// }
/// let d: Vec<_> = mesh.drain_delivered(7).collect();
/// assert_eq!((d[0].tag, d[0].hops), (42, 4));
/// ```
#[derive(Clone, Debug)]
pub struct Mesh {
    p: NocParams,
    tiles: usize,
    rlat: u64,
    bsz: usize,
    qcap: usize,
    now: u64,
    // Geometry.
    tx: Vec<u8>,
    ty: Vec<u8>,
    /// `[u * 5 + o]`: the input buffer that output `o` of unit `u` feeds, or NONE.
    down: Vec<u32>,
    // Input buffers `[u * 5 + i]`.
    flits: Vec<Flit>,
    bhead: Vec<u8>,
    blen: Vec<u8>,
    credits: Vec<u8>,
    // Output ports `[u * 5 + o]`.
    owner: Vec<u8>,
    rr: Vec<u8>,
    forwarded: Vec<u64>,
    // Units `[u]`.
    stalled: Vec<bool>,
    /// Bit `i` set: input buffer `i` of the unit holds flits.
    nonempty: Vec<u8>,
    active: Vec<u64>,
    // NIs `[u]`.
    niq: Vec<u32>,
    ni_head: Vec<u32>,
    ni_len: Vec<u32>,
    ni_sent: Vec<u32>,
    ni_active: Vec<u64>,
    /// `[u]`: packet whose flits the L output is delivering (wormhole check).
    ejecting: Vec<u32>,
    /// Body flits that reached an NI out of their packet's flit sequence (must stay 0).
    interleaved: u64,
    // Packets.
    packets: Vec<PacketRec>,
    free: Vec<u32>,
    pending: Vec<u32>,
    delivered: Vec<VecDeque<Delivered>>,
    // Totals (never reset): conservation.
    buffered: u64,
    queued: u64,
    flits_sent: u64,
    flits_ejected: u64,
    packets_accepted: u64,
    packets_delivered: u64,
    // Statistics (reset by `reset_stats`).
    counters: [ClassCounters; CLASSES],
    stats_since: u64,
}

impl Mesh {
    /// The NoC of a chip configuration (its `mesh` and `noc` sections), with the default NI
    /// queue capacity ([`super::DEFAULT_INJECTION_QUEUE`] packets per tile and class).
    pub fn new(cfg: &ChipConfig) -> Result<Mesh, NocError> {
        Mesh::from_params(NocParams::from_config(cfg))
    }

    /// A mesh from explicit parameters.
    pub fn from_params(p: NocParams) -> Result<Mesh, NocError> {
        p.validate()?;
        let (xd, yd) = (p.x as usize, p.y as usize);
        let tiles = xd * yd;
        let units = tiles * CLASSES;
        let ports = units * Port::COUNT;
        let bsz = p.buffer_flits as usize;
        let qcap = p.injection_queue as usize;
        let tx: Vec<u8> = (0..tiles).map(|t| (t % xd) as u8).collect();
        let ty: Vec<u8> = (0..tiles).map(|t| (t / xd) as u8).collect();
        let mut down = vec![NONE; ports];
        let mut credits = vec![0u8; ports];
        for t in 0..tiles {
            let (x, y) = (t % xd, t / xd);
            for c in 0..CLASSES {
                let u = t * CLASSES + c;
                for o in [Port::N, Port::E, Port::S, Port::W] {
                    let nb = match o {
                        Port::N if y > 0 => Some(t - xd),
                        Port::E if x + 1 < xd => Some(t + 1),
                        Port::S if y + 1 < yd => Some(t + xd),
                        Port::W if x > 0 => Some(t - 1),
                        _ => None,
                    };
                    if let Some(nb) = nb {
                        let b = (nb * CLASSES + c) * Port::COUNT + o.opposite().index();
                        down[u * Port::COUNT + o.index()] = b as u32;
                        credits[b] = p.buffer_flits as u8;
                    }
                }
                // The NI holds the credits of its router's L input.
                credits[u * Port::COUNT + L] = p.buffer_flits as u8;
            }
        }
        let words = units.div_ceil(64);
        Ok(Mesh {
            p,
            tiles,
            rlat: u64::from(p.router_latency),
            bsz,
            qcap,
            now: 0,
            tx,
            ty,
            down,
            flits: vec![Flit::default(); ports * bsz],
            bhead: vec![0; ports],
            blen: vec![0; ports],
            credits,
            owner: vec![FREE; ports],
            rr: vec![0; ports],
            forwarded: vec![0; ports],
            stalled: vec![false; units],
            nonempty: vec![0; units],
            active: vec![0; words],
            niq: vec![0; units * qcap],
            ni_head: vec![0; units],
            ni_len: vec![0; units],
            ni_sent: vec![0; units],
            ni_active: vec![0; words],
            ejecting: vec![NONE; units],
            interleaved: 0,
            packets: Vec::new(),
            free: Vec::new(),
            pending: Vec::with_capacity(ports),
            delivered: vec![VecDeque::new(); tiles],
            buffered: 0,
            queued: 0,
            flits_sent: 0,
            flits_ejected: 0,
            packets_accepted: 0,
            packets_delivered: 0,
            counters: Default::default(),
            stats_since: 0,
        })
    }

    /// The parameters this mesh was built with.
    pub fn params(&self) -> &NocParams {
        &self.p
    }

    /// The current cycle: the cycle the next [`Mesh::tick`] simulates. Packets injected now
    /// have `inject_cycle == now()`.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Number of tiles.
    pub fn tiles(&self) -> u32 {
        self.tiles as u32
    }

    /// Queue a packet of `size_bits` bits (header included; `ceil(size_bits / flit_bits)` flits,
    /// at least 1) from tile `src` to tile `dst` (may equal `src`: it then goes through the
    /// router's L port and back, 0 hops). `tag` comes back in [`Delivered`]. Packets of one
    /// class between one pair of tiles are delivered in injection order.
    ///
    /// # Errors
    /// [`Backpressure`] when `src`'s injection queue for `class` is full; nothing is queued.
    ///
    /// # Panics
    /// If `src` or `dst` is not a tile of this mesh.
    pub fn inject(
        &mut self,
        src: u32,
        dst: u32,
        class: Class,
        size_bits: u32,
        tag: u64,
    ) -> Result<(), Backpressure> {
        let flits = self.p.flits(size_bits);
        self.inject_flits(src, dst, class, flits, tag)
    }

    /// [`Mesh::inject`] with the size given in flits (at least 1).
    ///
    /// # Errors
    /// [`Backpressure`] when `src`'s injection queue for `class` is full.
    ///
    /// # Panics
    /// If `src` or `dst` is not a tile of this mesh, or `flits` is 0.
    pub fn inject_flits(
        &mut self,
        src: u32,
        dst: u32,
        class: Class,
        flits: u32,
        tag: u64,
    ) -> Result<(), Backpressure> {
        assert!(
            (src as usize) < self.tiles && (dst as usize) < self.tiles,
            "NoC inject from tile {src} to tile {dst}: the mesh has tiles 0..{}",
            self.tiles
        );
        assert!(flits >= 1, "a NoC packet has at least one flit");
        let u = src as usize * CLASSES + class.index();
        let len = self.ni_len[u] as usize;
        if len == self.qcap {
            return Err(Backpressure {
                tile: src,
                class,
                capacity: self.qcap as u32,
            });
        }
        let rec = PacketRec {
            tag,
            inject_cycle: self.now,
            src,
            dst,
            flits,
            dx: self.tx[dst as usize],
            dy: self.ty[dst as usize],
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.packets[id as usize] = rec;
                id
            }
            None => {
                self.packets.push(rec);
                (self.packets.len() - 1) as u32
            }
        };
        let mut slot = self.ni_head[u] as usize + len;
        if slot >= self.qcap {
            slot -= self.qcap;
        }
        self.niq[u * self.qcap + slot] = id;
        self.ni_len[u] += 1;
        self.ni_active[u / 64] |= 1 << (u % 64);
        self.queued += 1;
        self.packets_accepted += 1;
        self.counters[class.index()].packets_injected += 1;
        Ok(())
    }

    /// Whether `src`'s injection queue for `class` has room for another packet.
    pub fn can_inject(&self, src: u32, class: Class) -> bool {
        (self.ni_len[src as usize * CLASSES + class.index()] as usize) < self.qcap
    }

    /// Packets waiting in `src`'s injection queue for `class` (the one being sent included).
    pub fn injection_queue_len(&self, src: u32, class: Class) -> u32 {
        self.ni_len[src as usize * CLASSES + class.index()]
    }

    /// Stall (or release) the sink of `tile`'s NI for `class`: while stalled, the router's L
    /// output sends nothing, so flits back up into the network (a tile that cannot accept
    /// messages).
    pub fn set_ejection_stall(&mut self, tile: u32, class: Class, stalled: bool) {
        self.stalled[tile as usize * CLASSES + class.index()] = stalled;
    }

    /// Packets delivered to `tile` and not yet drained, oldest first.
    pub fn drain_delivered(&mut self, tile: u32) -> impl Iterator<Item = Delivered> + '_ {
        self.delivered[tile as usize].drain(..)
    }

    /// Number of delivered, not yet drained packets at `tile`.
    pub fn delivered_len(&self, tile: u32) -> usize {
        self.delivered[tile as usize].len()
    }

    /// No packet is queued in an NI and no flit is in the network (undrained deliveries do not
    /// count): ticking changes nothing but the cycle count.
    pub fn is_idle(&self) -> bool {
        self.buffered == 0 && self.queued == 0
    }

    /// Packets accepted by `inject` and not yet delivered.
    pub fn in_flight(&self) -> u64 {
        self.packets_accepted - self.packets_delivered
    }

    /// Flits of `class` taken off the routers' local outputs since the last stats reset.
    pub fn flits_ejected(&self, class: Class) -> u64 {
        self.counters[class.index()].flits_ejected
    }

    /// Advance `cycles` cycles; when the mesh is idle the remaining cycles cost nothing.
    pub fn advance(&mut self, cycles: u64) {
        let end = self.now + cycles;
        while self.now < end {
            if self.is_idle() {
                self.now = end;
                break;
            }
            self.tick();
        }
    }

    /// Simulate one cycle.
    pub fn tick(&mut self) {
        let now = self.now;
        for w in 0..self.ni_active.len() {
            let mut bits = self.ni_active[w];
            while bits != 0 {
                let t = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.step_ni(w * 64 + t, now);
            }
        }
        for w in 0..self.active.len() {
            let mut bits = self.active[w];
            while bits != 0 {
                let t = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let u = w * 64 + t;
                self.step_router(u, now);
                if self.nonempty[u] == 0 {
                    self.active[w] &= !(1u64 << t);
                }
            }
        }
        for &b in &self.pending {
            self.credits[b as usize] += 1;
        }
        self.pending.clear();
        self.now = now + 1;
    }

    #[inline]
    fn push_flit(&mut self, b: usize, f: Flit) {
        let len = self.blen[b] as usize;
        debug_assert!(
            len < self.bsz,
            "credit protocol overflowed input buffer {b}"
        );
        let mut slot = self.bhead[b] as usize + len;
        if slot >= self.bsz {
            slot -= self.bsz;
        }
        self.flits[b * self.bsz + slot] = f;
        self.blen[b] = (len + 1) as u8;
        let u = b / Port::COUNT;
        self.nonempty[u] |= 1 << (b - u * Port::COUNT);
        self.active[u / 64] |= 1 << (u % 64);
        self.buffered += 1;
    }

    /// NI of unit `u`: send one flit of the head packet into the router's L input.
    #[inline]
    fn step_ni(&mut self, u: usize, now: u64) {
        let b = u * Port::COUNT + L;
        if self.credits[b] == 0 {
            return;
        }
        let head = self.ni_head[u] as usize;
        let id = self.niq[u * self.qcap + head];
        let pk = self.packets[id as usize];
        let sent = self.ni_sent[u];
        let mut flags = 0;
        if sent == 0 {
            flags |= HEAD;
        }
        let tail = sent + 1 == pk.flits;
        if tail {
            flags |= TAIL;
        }
        let t = u / CLASSES;
        let out = route_xy(self.tx[t], self.ty[t], pk.dx, pk.dy);
        self.credits[b] -= 1;
        self.push_flit(
            b,
            Flit {
                ready: now + 1 + self.rlat,
                packet: id,
                dx: pk.dx,
                dy: pk.dy,
                out,
                flags,
            },
        );
        self.flits_sent += 1;
        self.counters[u % CLASSES].flits_injected += 1;
        if tail {
            self.ni_sent[u] = 0;
            self.ni_head[u] = if head + 1 == self.qcap {
                0
            } else {
                (head + 1) as u32
            };
            self.ni_len[u] -= 1;
            self.queued -= 1;
            if self.ni_len[u] == 0 {
                self.ni_active[u / 64] &= !(1u64 << (u % 64));
            }
        } else {
            self.ni_sent[u] = sent + 1;
        }
    }

    /// Router of unit `u`: switch allocation and traversal for cycle `now`.
    #[inline]
    fn step_router(&mut self, u: usize, now: u64) {
        let base = u * Port::COUNT;
        let bsz = self.bsz;
        let mut req = [0u8; Port::COUNT];
        let mut any = false;
        let mut inputs = self.nonempty[u];
        while inputs != 0 {
            let i = inputs.trailing_zeros() as usize;
            inputs &= inputs - 1;
            let b = base + i;
            let f = &self.flits[b * bsz + self.bhead[b] as usize];
            if f.ready <= now {
                req[f.out as usize] |= 1 << i;
                any = true;
            }
        }
        if !any {
            return;
        }
        for (o, &m) in req.iter().enumerate() {
            if m == 0 {
                continue;
            }
            let oi = base + o;
            let held = self.owner[oi];
            let winner = if held != FREE {
                if m & (1 << held) == 0 {
                    continue;
                }
                held
            } else {
                round_robin(m, self.rr[oi])
            };
            let down = self.down[oi] as usize;
            if o == L {
                if self.stalled[u] {
                    continue;
                }
            } else if self.credits[down] == 0 {
                continue;
            }
            // Switch traversal: pop the winner's front flit.
            let b = base + winner as usize;
            let h = self.bhead[b] as usize;
            let f = self.flits[b * bsz + h];
            self.bhead[b] = if h + 1 == bsz { 0 } else { (h + 1) as u8 };
            self.blen[b] -= 1;
            if self.blen[b] == 0 {
                self.nonempty[u] &= !(1 << winner);
            }
            self.buffered -= 1;
            self.pending.push(b as u32);
            self.forwarded[oi] += 1;
            if held == FREE {
                debug_assert!(f.flags & HEAD != 0, "body flit without an allocated output");
                self.rr[oi] = if winner == 4 { 0 } else { winner + 1 };
                if f.flags & TAIL == 0 {
                    self.owner[oi] = winner;
                }
            } else if f.flags & TAIL != 0 {
                self.owner[oi] = FREE;
            }
            if o == L {
                self.eject(u, f, now);
            } else {
                let t = down / Port::COUNT / CLASSES;
                let out = route_xy(self.tx[t], self.ty[t], f.dx, f.dy);
                self.credits[down] -= 1;
                self.push_flit(
                    down,
                    Flit {
                        ready: now + 1 + self.rlat,
                        out,
                        ..f
                    },
                );
            }
        }
    }

    /// A flit leaves unit `u` by its L output at `now`; it is in the NI at `now + 1`.
    #[inline]
    fn eject(&mut self, u: usize, f: Flit, now: u64) {
        let c = u % CLASSES;
        self.flits_ejected += 1;
        self.counters[c].flits_ejected += 1;
        if f.flags & HEAD != 0 {
            self.ejecting[u] = f.packet;
        } else if self.ejecting[u] != f.packet {
            self.interleaved += 1;
        }
        if f.flags & TAIL == 0 {
            return;
        }
        let pk = self.packets[f.packet as usize];
        let (sx, sy) = (self.tx[pk.src as usize], self.ty[pk.src as usize]);
        let hops = u32::from(sx.abs_diff(pk.dx)) + u32::from(sy.abs_diff(pk.dy));
        let d = Delivered {
            tag: pk.tag,
            src: pk.src,
            dst: pk.dst,
            class: Class::from_index(c),
            flits: pk.flits,
            inject_cycle: pk.inject_cycle,
            deliver_cycle: now + 1,
            hops,
        };
        self.counters[c].record(d.latency(), hops);
        self.delivered[pk.dst as usize].push_back(d);
        self.free.push(f.packet);
        self.packets_delivered += 1;
    }

    /// Zero every statistics counter (not the conservation totals) so that [`Mesh::stats`]
    /// covers the cycles from now on, e.g. after a warm-up.
    pub fn reset_stats(&mut self) {
        self.counters = Default::default();
        self.forwarded.iter_mut().for_each(|c| *c = 0);
        self.stats_since = self.now;
    }

    /// A snapshot of the statistics since the mesh was built or [`Mesh::reset_stats`].
    pub fn stats(&self) -> NocStats {
        let cycles = self.now - self.stats_since;
        let util = |flits: u64| {
            if cycles == 0 {
                0.0
            } else {
                flits as f64 / cycles as f64
            }
        };
        let ports = |t: usize, c: usize| {
            let b = (t * CLASSES + c) * Port::COUNT;
            PortCounts::from_slice(&self.forwarded[b..b + Port::COUNT])
        };
        let routers = (0..self.tiles)
            .map(|t| RouterStats {
                tile: t as u32,
                x: u32::from(self.tx[t]),
                y: u32::from(self.ty[t]),
                request: ports(t, 0),
                forward: ports(t, 1),
                response: ports(t, 2),
            })
            .collect();
        let mut links = Vec::new();
        for c in 0..CLASSES {
            for t in 0..self.tiles {
                for o in [Port::N, Port::E, Port::S, Port::W] {
                    let oi = (t * CLASSES + c) * Port::COUNT + o.index();
                    let down = self.down[oi];
                    if down == NONE {
                        continue;
                    }
                    let flits = self.forwarded[oi];
                    links.push(LinkStats {
                        class: Class::from_index(c),
                        from: t as u32,
                        to: down / (Port::COUNT * CLASSES) as u32,
                        dir: o,
                        flits,
                        utilization: util(flits),
                    });
                }
            }
        }
        let max_link_utilization = links.iter().map(|l| l.utilization).fold(0.0, f64::max);
        NocStats {
            cycles,
            classes: Class::ALL
                .iter()
                .map(|&c| self.counters[c.index()].snapshot(c))
                .collect(),
            routers,
            links,
            max_link_utilization,
        }
    }

    /// Check the model's invariants: for every input buffer, the sender's credits plus the
    /// flits in it equal its depth (so credits never go negative and buffers never overflow);
    /// buffers with no sender are empty; the per-unit non-empty masks and active set match the buffers; no flit or packet was lost
    /// or duplicated (flits sent = flits ejected + flits buffered; packets accepted = packets
    /// delivered + packets in NI queues or in the network); the flits of a packet reach their
    /// NI back to back, never interleaved with another packet's (wormhole). Call between ticks. Returns a description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let bsz = self.p.buffer_flits as usize;
        let mut has_sender = vec![false; self.blen.len()];
        for &d in &self.down {
            if d != NONE {
                has_sender[d as usize] = true;
            }
        }
        let mut total = 0u64;
        for (b, sender) in has_sender.iter_mut().enumerate() {
            if b % Port::COUNT == L {
                *sender = true;
            }
            let len = self.blen[b] as usize;
            total += len as u64;
            if *sender {
                let cr = self.credits[b] as usize;
                if cr + len != bsz {
                    return Err(format!(
                        "input buffer {b} (tile {}, class {}, port {:?}): credits {cr} + flits {len} != depth {bsz}",
                        b / Port::COUNT / CLASSES,
                        b / Port::COUNT % CLASSES,
                        Port::from_index(b % Port::COUNT)
                    ));
                }
            } else if len != 0 {
                return Err(format!(
                    "input buffer {b} has no sender but holds {len} flits"
                ));
            }
        }
        for u in 0..self.nonempty.len() {
            let mask = (0..Port::COUNT)
                .filter(|&p| self.blen[u * Port::COUNT + p] != 0)
                .fold(0u8, |m, p| m | 1 << p);
            if mask != self.nonempty[u] {
                return Err(format!(
                    "unit {u}: non-empty mask {:#b} != {mask:#b}",
                    self.nonempty[u]
                ));
            }
            if mask != 0 && self.active[u / 64] & (1 << (u % 64)) == 0 {
                return Err(format!("unit {u} holds flits but is not active"));
            }
        }
        if total != self.buffered {
            return Err(format!(
                "buffered {} != sum of buffers {total}",
                self.buffered
            ));
        }
        if self.flits_sent != self.flits_ejected + self.buffered {
            return Err(format!(
                "flit conservation: sent {} != ejected {} + buffered {}",
                self.flits_sent, self.flits_ejected, self.buffered
            ));
        }
        if self.interleaved != 0 {
            return Err(format!(
                "{} flits reached an NI interleaved with another packet's",
                self.interleaved
            ));
        }
        let queued: u64 = self.ni_len.iter().map(|&l| u64::from(l)).sum();
        if queued != self.queued {
            return Err(format!(
                "queued {} != sum of NI queues {queued}",
                self.queued
            ));
        }
        let live = self.packets.len() as u64 - self.free.len() as u64;
        if live != self.in_flight() {
            return Err(format!(
                "packet conservation: accepted {} - delivered {} != live records {live}",
                self.packets_accepted, self.packets_delivered
            ));
        }
        Ok(())
    }
}
