//! Behavioural AXI4 slaves for the memory ports of the chip (and of the standalone `memfront`):
//! one per HBM channel, on ports `m<c>_axi_*` (`strand_hw::rtl::blocks::memctrl::axi_signals`).
//!
//! ```text
//!  m<c>_axi_ar ──► AR queue ──(latency)──► R beats   ┐
//!  m<c>_axi_aw ──► AW queue ◄── W beats (strobes)    ├─ channel c's byte store (local addresses)
//!                      └──(wlast)──► B queue         ┘
//! ```
//!
//! The stores hold the channel-local address space of the simulator's HBM hash
//! (`hbm::ChannelMap`): physical byte `a` lives at `local(a)` of channel `channel(a)`, so
//! [`HbmImage::load`] puts the simulator's DRAM image where the chip's front end will look for
//! it. Bursts: INCR and FIXED, any size up to the data width (narrow beats use the byte lanes
//! of their address), up to `max_outstanding` per direction; W beats go to the oldest AW whose
//! data is incomplete (a slave may wait for AW before taking W). Responses are OKAY.
//!
//! Every signal the slave drives depends on its state only (a Moore machine), so the harness
//! can set them before evaluating the model: [`AxiSlaves::drive`] with the clock low, evaluate,
//! [`AxiSlaves::sample`] (the handshakes of the coming edge), then the clock edge. With
//! `stall_percent` the readies drop and new valids are withheld at random (a valid once shown
//! stays until its handshake, as AXI requires); results must not change.

use crate::verilated::{Library, Model, Port};
use std::collections::{HashMap, VecDeque};
use strand_hw::rtl::blocks::memctrl::{axi_signals, MemParams};
use strand_sim::hbm::ChannelMap;

const PAGE: u64 = 4096;

/// A sparse byte store (zero where never written).
#[derive(Default)]
pub struct ByteStore {
    pages: HashMap<u64, Box<[u8; PAGE as usize]>>,
}

impl ByteStore {
    /// The byte at `a`.
    pub fn get(&self, a: u64) -> u8 {
        self.pages
            .get(&(a / PAGE))
            .map_or(0, |p| p[(a % PAGE) as usize])
    }

    /// Set the byte at `a`.
    pub fn set(&mut self, a: u64, v: u8) {
        let p = self
            .pages
            .entry(a / PAGE)
            .or_insert_with(|| Box::new([0; PAGE as usize]));
        p[(a % PAGE) as usize] = v;
    }

    /// Pages allocated.
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    /// Bytes that are not zero.
    pub fn nonzero(&self) -> usize {
        self.pages
            .values()
            .map(|p| p.iter().filter(|&&b| b != 0).count())
            .sum()
    }
}

/// HBM contents: one [`ByteStore`] per channel, in channel-local addresses.
pub struct HbmImage {
    /// The simulator's hash.
    pub map: ChannelMap,
    /// Per channel.
    pub channels: Vec<ByteStore>,
}

impl HbmImage {
    /// Empty (zero) memory of `channels` channels interleaved every `interleave` bytes.
    pub fn new(channels: u32, interleave: u32) -> HbmImage {
        HbmImage {
            map: ChannelMap::new(channels, interleave),
            channels: (0..channels).map(|_| ByteStore::default()).collect(),
        }
    }

    /// Put `bytes` at physical address `addr`, each byte at (`channel`, `local`) of the hash
    /// (zero bytes are skipped: the store reads zero where nothing was written).
    pub fn load(&mut self, addr: u64, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            if b != 0 {
                let a = addr + i as u64;
                self.channels[self.map.channel(a) as usize].set(self.map.local(a), b);
            }
        }
    }

    /// The byte at physical address `a`.
    pub fn phys(&self, a: u64) -> u8 {
        self.channels[self.map.channel(a) as usize].get(self.map.local(a))
    }
}

/// Slave behaviour.
#[derive(Clone, Copy, Debug)]
pub struct SlaveOptions {
    /// Cycles from an AR handshake to its first R beat, and from the last W beat to B (>= 1).
    pub latency: u64,
    /// Percent of cycles in which each ready is low and no new valid is shown (0 = none).
    pub stall_percent: u32,
    /// Seed of the stalls.
    pub seed: u64,
    /// Bursts accepted and not yet answered, per direction and channel.
    pub max_outstanding: usize,
}

impl Default for SlaveOptions {
    fn default() -> Self {
        SlaveOptions {
            latency: 4,
            stall_percent: 0,
            seed: 1,
            max_outstanding: 4,
        }
    }
}

/// What the slaves saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct AxiStats {
    /// AR bursts.
    pub reads: u64,
    /// AW bursts.
    pub writes: u64,
    /// R beats.
    pub r_beats: u64,
    /// W beats.
    pub w_beats: u64,
}

#[derive(Clone, Copy, Debug)]
struct Burst {
    addr: u64,
    /// Beats.
    len: u32,
    /// Bytes per beat.
    size: u64,
    /// 0 FIXED, 1 INCR.
    kind: u64,
    /// Beats done.
    beat: u32,
    /// First cycle its data (R) or response (B) may be shown.
    due: u64,
}

impl Burst {
    /// Address of beat `n` (AXI4 A3.4.2).
    fn beat_addr(&self, n: u32) -> u64 {
        if self.kind == 0 || n == 0 {
            self.addr
        } else {
            (self.addr & !(self.size - 1)) + u64::from(n) * self.size
        }
    }
}

/// The ports of one channel.
struct ChanPorts {
    inputs: [Port; 9],
    awvalid: Port,
    awaddr: Port,
    awlen: Port,
    awsize: Port,
    awburst: Port,
    wvalid: Port,
    wdata: Port,
    wstrb: Port,
    wlast: Port,
    bready: Port,
    arvalid: Port,
    araddr: Port,
    arlen: Port,
    arsize: Port,
    arburst: Port,
    rready: Port,
}

// Indices into `ChanPorts::inputs`.
const AWREADY: usize = 0;
const WREADY: usize = 1;
const BVALID: usize = 2;
const BRESP: usize = 3;
const ARREADY: usize = 4;
const RVALID: usize = 5;
const RDATA: usize = 6;
const RRESP: usize = 7;
const RLAST: usize = 8;

#[derive(Default)]
struct ChanState {
    ar: VecDeque<Burst>,
    aw: VecDeque<Burst>,
    /// Due cycles of write responses.
    b: VecDeque<u64>,
    /// What was driven this cycle.
    arready: bool,
    awready: bool,
    wready: bool,
    rvalid: bool,
    bvalid: bool,
}

/// One behavioural AXI4 slave per channel on a Verilated model.
pub struct AxiSlaves {
    ports: Vec<ChanPorts>,
    st: Vec<ChanState>,
    /// The memory behind the slaves.
    pub mem: HbmImage,
    opts: SlaveOptions,
    rng: u64,
    bytes: u64,
    words: Vec<u32>,
    strb: Vec<u32>,
    /// Counters.
    pub stats: AxiStats,
    /// The first protocol error seen (the run should stop).
    pub error: Option<String>,
}

impl AxiSlaves {
    /// Slaves for the `m<c>_axi_*` ports of `lib` with the widths of `p`, serving `mem`.
    pub fn new(
        lib: &Library,
        p: &MemParams,
        mem: HbmImage,
        opts: SlaveOptions,
    ) -> Result<AxiSlaves, String> {
        if mem.channels.len() != p.channels as usize {
            return Err(format!(
                "{} channel stores for {} AXI ports",
                mem.channels.len(),
                p.channels
            ));
        }
        let mut ports = Vec::new();
        for c in 0..p.channels {
            let n = |s: &str| -> Result<Port, String> {
                let name = format!("m{c}_axi_{s}");
                let port = lib
                    .ports
                    .iter()
                    .find(|(x, _)| *x == name)
                    .map(|(_, q)| q.clone())
                    .ok_or_else(|| format!("the model has no port {name}"))?;
                let want = axi_signals(p)
                    .into_iter()
                    .find(|x| x.0 == s)
                    .expect("an AXI signal");
                if port.width != want.1 || port.input == want.2 {
                    return Err(format!(
                        "{name}: {} bits, {}; expected {} bits, {}",
                        port.width,
                        if port.input { "input" } else { "output" },
                        want.1,
                        if want.2 { "output" } else { "input" }
                    ));
                }
                Ok(port)
            };
            ports.push(ChanPorts {
                inputs: [
                    n("awready")?,
                    n("wready")?,
                    n("bvalid")?,
                    n("bresp")?,
                    n("arready")?,
                    n("rvalid")?,
                    n("rdata")?,
                    n("rresp")?,
                    n("rlast")?,
                ],
                awvalid: n("awvalid")?,
                awaddr: n("awaddr")?,
                awlen: n("awlen")?,
                awsize: n("awsize")?,
                awburst: n("awburst")?,
                wvalid: n("wvalid")?,
                wdata: n("wdata")?,
                wstrb: n("wstrb")?,
                wlast: n("wlast")?,
                bready: n("bready")?,
                arvalid: n("arvalid")?,
                araddr: n("araddr")?,
                arlen: n("arlen")?,
                arsize: n("arsize")?,
                arburst: n("arburst")?,
                rready: n("rready")?,
            });
        }
        let bytes = u64::from(p.axi_bits / 8);
        Ok(AxiSlaves {
            st: (0..p.channels).map(|_| ChanState::default()).collect(),
            ports,
            mem,
            opts: SlaveOptions {
                latency: opts.latency.max(1),
                max_outstanding: opts.max_outstanding.max(1),
                ..opts
            },
            rng: opts.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            bytes,
            words: vec![0; bytes.div_ceil(4) as usize],
            strb: vec![0; bytes.div_ceil(32) as usize],
            stats: AxiStats::default(),
            error: None,
        })
    }

    fn stall(&mut self) -> bool {
        if self.opts.stall_percent == 0 {
            return false;
        }
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
        r % 100 < u64::from(self.opts.stall_percent)
    }

    /// Byte lanes `[lo, hi)` of a beat at `a` of `size` bytes, and the bus-aligned base.
    fn lanes(&self, a: u64, size: u64) -> (u64, u64, u64) {
        let base = a - a % self.bytes;
        let hi = (a & !(size - 1)) % self.bytes + size;
        (base, a % self.bytes, hi)
    }

    /// Drive the slaves' outputs for `cycle` (call with the clock low, before `eval`).
    pub fn drive(&mut self, m: &mut Model<'_>, cycle: u64) {
        let max = self.opts.max_outstanding;
        for c in 0..self.st.len() {
            let s_ar = self.stall();
            let s_aw = self.stall();
            let s_w = self.stall();
            let s_r = self.stall();
            let s_b = self.stall();
            let st = &mut self.st[c];
            st.arready = st.ar.len() < max && !s_ar;
            st.awready = st.aw.len() < max && !s_aw;
            st.wready = !st.aw.is_empty() && !s_w;
            st.rvalid = st.ar.front().is_some_and(|b| b.due <= cycle) && (st.rvalid || !s_r);
            st.bvalid = st.b.front().is_some_and(|&d| d <= cycle) && (st.bvalid || !s_b);
            let (arready, awready, wready, rvalid, bvalid) =
                (st.arready, st.awready, st.wready, st.rvalid, st.bvalid);
            let front = st.ar.front().copied();
            let p = &self.ports[c];
            m.set_u64(&p.inputs[ARREADY], u64::from(arready));
            m.set_u64(&p.inputs[AWREADY], u64::from(awready));
            m.set_u64(&p.inputs[WREADY], u64::from(wready));
            m.set_u64(&p.inputs[BVALID], u64::from(bvalid));
            m.set_u64(&p.inputs[BRESP], 0);
            m.set_u64(&p.inputs[RRESP], 0);
            m.set_u64(&p.inputs[RVALID], u64::from(rvalid));
            self.words.iter_mut().for_each(|w| *w = 0);
            let mut last = false;
            if let (true, Some(b)) = (rvalid, front) {
                let a = b.beat_addr(b.beat);
                let (base, lo, hi) = self.lanes(a, b.size);
                let store = &self.mem.channels[c];
                for j in lo..hi {
                    self.words[(j / 4) as usize] |= u32::from(store.get(base + j)) << (8 * (j % 4));
                }
                last = b.beat + 1 == b.len;
            }
            let p = &self.ports[c];
            m.set(&p.inputs[RDATA], &self.words);
            m.set_u64(&p.inputs[RLAST], u64::from(last));
        }
    }

    fn burst(&mut self, m: &Model<'_>, c: usize, write: bool, cycle: u64) -> Burst {
        let p = &self.ports[c];
        let (addr, len, size, kind) = if write {
            (&p.awaddr, &p.awlen, &p.awsize, &p.awburst)
        } else {
            (&p.araddr, &p.arlen, &p.arsize, &p.arburst)
        };
        let b = Burst {
            addr: m.get_u64(addr),
            len: m.get_u64(len) as u32 + 1,
            size: 1 << m.get_u64(size),
            kind: m.get_u64(kind),
            beat: 0,
            due: cycle + self.opts.latency,
        };
        if b.size > self.bytes || b.kind > 1 {
            self.error.get_or_insert_with(|| {
                format!(
                    "channel {c}: {} burst at {:#x}: size {} bytes on a {}-byte bus, type {} (only FIXED and INCR are served)",
                    if write { "write" } else { "read" },
                    b.addr,
                    b.size,
                    self.bytes,
                    b.kind
                )
            });
        }
        b
    }

    /// Sample the masters' outputs after `eval` and perform the handshakes of the coming clock
    /// edge.
    pub fn sample(&mut self, m: &Model<'_>, cycle: u64) {
        for c in 0..self.st.len() {
            let p = &self.ports[c];
            let (arv, rr, awv, wv, br) = (
                m.get_u64(&p.arvalid) == 1,
                m.get_u64(&p.rready) == 1,
                m.get_u64(&p.awvalid) == 1,
                m.get_u64(&p.wvalid) == 1,
                m.get_u64(&p.bready) == 1,
            );
            let st = &self.st[c];
            let (ar_fire, r_fire, aw_fire, w_fire, b_fire) = (
                st.arready && arv,
                st.rvalid && rr,
                st.awready && awv,
                st.wready && wv,
                st.bvalid && br,
            );
            if r_fire {
                let st = &mut self.st[c];
                let b = st.ar.front_mut().expect("rvalid has a burst");
                b.beat += 1;
                self.stats.r_beats += 1;
                if b.beat == b.len {
                    st.ar.pop_front();
                }
                st.rvalid = false;
            }
            if b_fire {
                let st = &mut self.st[c];
                st.b.pop_front();
                st.bvalid = false;
            }
            if w_fire {
                let p = &self.ports[c];
                m.get(&p.wdata, &mut self.words);
                m.get(&p.wstrb, &mut self.strb);
                let wlast = m.get_u64(&p.wlast) == 1;
                let b = *self.st[c].aw.front().expect("wready has a burst");
                let a = b.beat_addr(b.beat);
                let (base, lo, hi) = self.lanes(a, b.size);
                for j in lo..hi {
                    if self.strb[(j / 32) as usize] >> (j % 32) & 1 == 1 {
                        let v = (self.words[(j / 4) as usize] >> (8 * (j % 4))) as u8;
                        self.mem.channels[c].set(base + j, v);
                    }
                }
                self.stats.w_beats += 1;
                let is_last = b.beat + 1 == b.len;
                if wlast != is_last {
                    self.error.get_or_insert_with(|| {
                        format!(
                            "channel {c}: write burst at {:#x}: wlast {} on beat {} of {}",
                            b.addr,
                            u8::from(wlast),
                            b.beat + 1,
                            b.len
                        )
                    });
                }
                let due = cycle + self.opts.latency;
                let st = &mut self.st[c];
                if is_last {
                    st.aw.pop_front();
                    st.b.push_back(due);
                } else {
                    st.aw.front_mut().expect("burst").beat += 1;
                }
            }
            if ar_fire {
                let b = self.burst(m, c, false, cycle);
                self.stats.reads += 1;
                self.st[c].ar.push_back(b);
            }
            if aw_fire {
                let b = self.burst(m, c, true, cycle);
                self.stats.writes += 1;
                self.st[c].aw.push_back(b);
            }
        }
    }

    /// Whether every accepted burst has been answered.
    pub fn idle(&self) -> bool {
        self.st
            .iter()
            .all(|s| s.ar.is_empty() && s.aw.is_empty() && s.b.is_empty())
    }
}
