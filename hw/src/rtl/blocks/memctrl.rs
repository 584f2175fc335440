//! The memory-controller front end: the HBM channel hash of `sim/src/hbm/hash.rs` and one AXI4
//! master per channel.
//!
//! ```text
//!  req (valid/ready, write, addr, wdata line, id)
//!   │ hbm_hash: channel = XOR trees over the granule bits (g mod P_k, Rau 1991)
//!   │           local   = ((addr >> s >> k) << s) | addr[s-1:0]
//!   ▼
//!  demux ──► axi_master (channel 0) ──► m0_axi_aw/w/b/ar/r ──► HBM pseudo-channel 0
//!        ──► axi_master (channel 1) ──► m1_axi_* ...
//!  resp (valid/ready, id, write, rdata line) ◄── round-robin over the channels' responses
//! ```
//!
//! Each master moves one line per request, one request at a time: a read is one AR burst
//! (`INCR`, `LINE*8/DW` beats of `DW` bits) and its R beats; a write is one AW burst, its W beats
//! (all byte strobes) and the B response. AXI error responses are not reported. The hash takes
//! the physical address as the simulator does (`hbm::ChannelMap::channel(addr)`), so an address
//! reaches the same channel in both; `sim/tests/rtl_hbm_hash.rs` checks the XOR masks against
//! `ChannelMap::xor_mask` and the generated Verilog against `ChannelMap` on random addresses.

use super::OrTree;
use crate::rtl::{cat, clog2, lit, zeros, Design, Expr, ModRef, Params, RtlError};
use crate::ChipConfig;

/// Primitive polynomials by degree (bit `i` = coefficient of `x^i`), the simulator's
/// `hbm::hash::POLYNOMIALS`.
#[rustfmt::skip]
pub const POLYNOMIALS: [u32; 11] = [
    0b1, 0b11, 0b111, 0b1011, 0b1_0011, 0b10_0101, 0b100_0011, 0b1010_0111, 0x11d, 0x211, 0x409,
];

/// `x^j mod p` for `p` of degree `k`.
fn residue(j: u32, p: u32, k: u32) -> u32 {
    let mut r = 1u32;
    for _ in 0..j {
        r <<= 1;
        if r >> k & 1 == 1 {
            r ^= p;
        }
    }
    r
}

/// The granule-index bits whose XOR is channel bit `bit` for `channels` channels (a power of
/// two, 2..=1024): bit `j` set when `x^j mod P_k` has bit `bit` set.
pub fn xor_mask(channels: u32, bit: u32) -> u64 {
    let k = channels.trailing_zeros();
    assert!(channels.is_power_of_two() && (1..=10).contains(&k) && bit < k);
    let p = POLYNOMIALS[k as usize];
    (0..64)
        .filter(|&j| residue(j, p, k) >> bit & 1 == 1)
        .fold(0, |m, j| m | 1 << j)
}

/// Memory front-end parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemParams {
    /// HBM channels (a power of two).
    pub channels: u32,
    /// Interleave granule in bytes (a power of two).
    pub interleave: u32,
    /// Physical address bits.
    pub pa_bits: u32,
    /// Line bytes.
    pub line: u32,
    /// AXI data width in bits (256 for the U280's HBM ports).
    pub axi_bits: u32,
    /// Request id bits (returned with the response).
    pub id_bits: u32,
}

impl MemParams {
    /// The front end of a configuration (`id_bits` names the requesting tile).
    pub fn from_config(cfg: &ChipConfig) -> MemParams {
        let line = cfg.tile.l2.line;
        MemParams {
            channels: cfg.memory.hbm_channels,
            interleave: cfg.memory.interleave_bytes,
            pa_bits: super::pa_bits(cfg),
            line,
            axi_bits: 256.min(line * 8),
            id_bits: clog2(u64::from(cfg.tiles())).max(1),
        }
    }
    /// log2 of the channels.
    pub fn chan_bits(&self) -> u32 {
        self.channels.trailing_zeros()
    }
    /// AXI address bits (the channel-local address).
    pub fn axi_addr_bits(&self) -> u32 {
        self.pa_bits - self.chan_bits()
    }
    /// Beats per line.
    pub fn beats(&self) -> u32 {
        self.line * 8 / self.axi_bits
    }
}

/// Builds (or reuses) `hbm_hash_c<C>_i<I>_pa<PA>`: `addr` → `channel` (at least 1 bit; 0 with
/// one channel), `local`.
pub fn hbm_hash(d: &mut Design, p: &MemParams) -> Result<ModRef, RtlError> {
    let k = p.chan_bits();
    let s = p.interleave.trailing_zeros();
    if !p.channels.is_power_of_two()
        || k > 10
        || !p.interleave.is_power_of_two()
        || p.pa_bits <= s + k
    {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("{p:?}: power-of-two channels (<= 1024) and interleave"),
        });
    }
    let params = Params::new()
        .with("channels", p.channels)
        .with("interleave", p.interleave)
        .with("pa_bits", p.pa_bits);
    let name = format!("hbm_hash_c{}_i{}_pa{}", p.channels, p.interleave, p.pa_bits);
    d.build(&name, module_path!(), params, |m| {
        m.doc("HBM channel hash: channel = granule index mod P_k (sim/src/hbm/hash.rs).");
        let addr = m.input("addr", p.pa_bits);
        let gb = p.pa_bits - s; // granule index bits
        let g = addr.slice(p.pa_bits - 1, s);
        if k == 0 {
            m.output_from("channel", zeros(1));
            m.output_from("local_addr", addr.expr());
            return Ok(());
        }
        let bits: Vec<Expr> = (0..k)
            .rev()
            .map(|b| {
                let mask = xor_mask(p.channels, b) & ((1u128 << gb) - 1) as u64;
                (&g & lit(gb, u128::from(mask))).parity()
            })
            .collect();
        m.output_from("channel", cat(bits));
        let local = if s == 0 {
            addr.slice(p.pa_bits - 1, k)
        } else {
            cat([addr.slice(p.pa_bits - 1, s + k), addr.slice(s - 1, 0)])
        };
        m.output_from("local_addr", local);
        Ok(())
    })
}

/// The AXI4 signals of one master: (name, width, driven by the master).
pub fn axi_signals(p: &MemParams) -> Vec<(&'static str, u32, bool)> {
    let (a, dw) = (p.axi_addr_bits(), p.axi_bits);
    vec![
        ("awvalid", 1, true),
        ("awready", 1, false),
        ("awaddr", a, true),
        ("awlen", 8, true),
        ("awsize", 3, true),
        ("awburst", 2, true),
        ("wvalid", 1, true),
        ("wready", 1, false),
        ("wdata", dw, true),
        ("wstrb", dw / 8, true),
        ("wlast", 1, true),
        ("bvalid", 1, false),
        ("bready", 1, true),
        ("bresp", 2, false),
        ("arvalid", 1, true),
        ("arready", 1, false),
        ("araddr", a, true),
        ("arlen", 8, true),
        ("arsize", 3, true),
        ("arburst", 2, true),
        ("rvalid", 1, false),
        ("rready", 1, true),
        ("rdata", dw, false),
        ("rresp", 2, false),
        ("rlast", 1, false),
    ]
}

/// Builds (or reuses) `axi_master_a<A>_d<DW>_l<LINE>_i<ID>`: one line per request over AXI4.
pub fn axi_master(d: &mut Design, p: &MemParams) -> Result<ModRef, RtlError> {
    let (a, dw, lb, ib) = (p.axi_addr_bits(), p.axi_bits, p.line * 8, p.id_bits);
    let beats = p.beats();
    if dw < 8 || !dw.is_power_of_two() || lb % dw != 0 || beats > 256 {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("{p:?}: AXI width a power of two dividing the line"),
        });
    }
    let bb = clog2(u64::from(beats)).max(1);
    let params = Params::new()
        .with("addr_bits", a)
        .with("data_bits", dw)
        .with("line", p.line)
        .with("id_bits", ib);
    let name = format!("axi_master_a{a}_d{dw}_l{}_i{ib}", p.line);
    d.build(&name, module_path!(), params, |m| {
        m.doc("AXI4 master: one line per request (INCR burst), one request at a time.");
        let req_valid = m.input("req_valid", 1);
        let req_write = m.input("req_write", 1);
        let req_addr = m.input("req_addr", a);
        let req_wdata = m.input("req_wdata", lb);
        let req_id = m.input("req_id", ib);
        let resp_ready = m.input("resp_ready", 1);
        let mut axi = std::collections::HashMap::new();
        for (n, w, out) in axi_signals(p) {
            let name = format!("m_axi_{n}");
            let s = if out {
                m.output(&name, w)
            } else {
                m.input(&name, w)
            };
            axi.insert(n, s);
        }
        m.allow_unused(&axi["bresp"]);
        m.allow_unused(&axi["rresp"]);
        // States.
        const IDLE: u128 = 0;
        const AR: u128 = 1;
        const R: u128 = 2;
        const AW: u128 = 3;
        const W: u128 = 4;
        const B: u128 = 5;
        const RESP: u128 = 6;
        let st = m.reg("state", 3, IDLE);
        let at = |v: u128| st.eq(lit(3, v));
        let write_q = m.reg("write_q", 1, 0);
        let addr_q = m.reg("addr_q", a, 0);
        let id_q = m.reg("id_q", ib, 0);
        let beat = m.reg("beat", bb, 0);
        let buf = m.reg("line_q", lb, 0);
        let accept = m.wire_from("accept", at(IDLE) & &req_valid);
        m.output_from("req_ready", at(IDLE));
        let ar_fire = at(AR) & &axi["arready"];
        let r_fire = m.wire_from("r_fire", at(R) & &axi["rvalid"]);
        let aw_fire = at(AW) & &axi["awready"];
        let w_fire = m.wire_from("w_fire", at(W) & &axi["wready"]);
        let last_beat = beat.eq(lit(bb, u128::from(beats - 1)));
        let b_fire = at(B) & &axi["bvalid"];
        let done = at(RESP) & &resp_ready;
        m.next_when(&write_q, &accept, &req_write);
        m.next_when(&addr_q, &accept, &req_addr);
        m.next_when(&id_q, &accept, &req_id);
        m.seq(|q| {
            q.when(&accept, |q| {
                q.set(&st, req_write.mux(lit(3, AW), lit(3, AR)))
            });
            q.when(ar_fire, |q| q.set(&st, lit(3, R)));
            q.when(&r_fire & &axi["rlast"], |q| q.set(&st, lit(3, RESP)));
            q.when(aw_fire, |q| q.set(&st, lit(3, W)));
            q.when(&w_fire & &last_beat, |q| q.set(&st, lit(3, B)));
            q.when(b_fire, |q| q.set(&st, lit(3, RESP)));
            q.when(done, |q| q.set(&st, lit(3, IDLE)));
        });
        m.seq(|q| {
            q.when_else(
                &accept,
                |q| q.set(&beat, zeros(bb)),
                |q| q.when(&r_fire | &w_fire, |q| q.set(&beat, beat.add_const(1))),
            );
        });
        // The line buffer: the write data, then the read data beat by beat.
        let slices: Vec<Expr> = (0..beats)
            .rev()
            .map(|k| {
                let here = &r_fire & beat.eq(lit(bb, u128::from(k)));
                here.mux(axi["rdata"].expr(), buf.slice((k + 1) * dw - 1, k * dw))
            })
            .collect();
        m.next(&buf, accept.mux(req_wdata.expr(), cat(slices)));
        let wsel = (0..beats)
            .map(|k| {
                beat.eq(lit(bb, u128::from(k))).repeat(dw) & buf.slice((k + 1) * dw - 1, k * dw)
            })
            .or_tree()
            .expect("beats");
        let size = u128::from(clog2(u64::from(dw / 8)));
        m.assign(&axi["awvalid"], at(AW));
        m.assign(&axi["awaddr"], &addr_q);
        m.assign(&axi["awlen"], lit(8, u128::from(beats - 1)));
        m.assign(&axi["awsize"], lit(3, size));
        m.assign(&axi["awburst"], lit(2, 1));
        m.assign(&axi["wvalid"], at(W));
        m.assign(&axi["wdata"], wsel);
        m.assign(&axi["wstrb"], crate::rtl::ones(dw / 8));
        m.assign(&axi["wlast"], last_beat);
        m.assign(&axi["bready"], at(B));
        m.assign(&axi["arvalid"], at(AR));
        m.assign(&axi["araddr"], &addr_q);
        m.assign(&axi["arlen"], lit(8, u128::from(beats - 1)));
        m.assign(&axi["arsize"], lit(3, size));
        m.assign(&axi["arburst"], lit(2, 1));
        m.assign(&axi["rready"], at(R));
        m.output_from("resp_valid", at(RESP));
        m.output_from("resp_write", &write_q);
        m.output_from("resp_id", &id_q);
        m.output_from("resp_rdata", &buf);
        Ok(())
    })
}

/// Builds (or reuses) `memfront_c<C>_...`: the hash, one [`axi_master`] per channel (ports
/// `m<c>_axi_*`) and a round-robin response arbiter.
pub fn memfront(d: &mut Design, p: &MemParams) -> Result<ModRef, RtlError> {
    let hash = hbm_hash(d, p)?;
    let master = axi_master(d, p)?;
    let arb = if p.channels >= 2 {
        Some(super::chip::RrTree::new(d, p.channels)?)
    } else {
        None
    };
    let (c, lb, ib) = (p.channels, p.line * 8, p.id_bits);
    let cb = p.chan_bits().max(1);
    let params = Params::new()
        .with("channels", c)
        .with("interleave", p.interleave)
        .with("pa_bits", p.pa_bits)
        .with("line", p.line)
        .with("axi_bits", p.axi_bits)
        .with("id_bits", ib);
    let name = format!(
        "memfront_c{c}_i{}_pa{}_l{}_d{}_i{ib}",
        p.interleave, p.pa_bits, p.line, p.axi_bits
    );
    d.build(&name, module_path!(), params, |m| {
        m.doc("Memory front end: HBM channel hash, one AXI4 master per channel.");
        let req_valid = m.input("req_valid", 1);
        let req_write = m.input("req_write", 1);
        let req_addr = m.input("req_addr", p.pa_bits);
        let req_wdata = m.input("req_wdata", lb);
        let req_id = m.input("req_id", ib);
        let resp_ready = m.input("resp_ready", 1);
        let h = m.instance("hash", &hash);
        m.assign(&h.port("addr"), &req_addr);
        let chan = h.port("channel");
        if p.channels == 1 {
            m.allow_unused(&chan);
        }
        let mut readies = Vec::new();
        let mut rvalids: Vec<Expr> = Vec::new();
        let mut masters = Vec::new();
        for k in 0..c {
            let u = m.instance(&format!("ch{k}"), &master);
            let sel = if c == 1 {
                lit(1, 1)
            } else {
                chan.eq(lit(cb, u128::from(k)))
            };
            m.assign(&u.port("req_valid"), &req_valid & &sel);
            m.assign(&u.port("req_write"), &req_write);
            m.assign(&u.port("req_addr"), h.port("local_addr").expr());
            m.assign(&u.port("req_wdata"), &req_wdata);
            m.assign(&u.port("req_id"), &req_id);
            readies.push(&sel & &u.port("req_ready"));
            rvalids.push(u.port("resp_valid").expr());
            for (n, w, out) in axi_signals(p) {
                let inner = u.port(&format!("m_axi_{n}"));
                let outer = format!("m{k}_axi_{n}");
                if out {
                    m.output_from(&outer, &inner);
                } else {
                    let i = m.input(&outer, w);
                    m.assign(&inner, &i);
                }
            }
            masters.push(u);
        }
        m.output_from(
            "req_ready",
            readies.into_iter().or_tree().expect("channels"),
        );
        let grant: Expr = match &arb {
            Some(arb) => {
                let g = arb.grant(m, "resp_arb", &rvalids, &resp_ready.expr());
                let any = rvalids.iter().cloned().or_tree().expect("channels");
                m.output_from("resp_valid", any);
                g
            }
            None => {
                m.output_from("resp_valid", masters[0].port("resp_valid"));
                lit(1, 1)
            }
        };
        let pick = |field: &str, w: u32| -> Expr {
            masters
                .iter()
                .enumerate()
                .map(|(k, u)| grant.bit(k as u32).repeat(w) & u.port(field))
                .or_tree()
                .expect("channels")
        };
        m.output_from("resp_write", pick("resp_write", 1));
        m.output_from("resp_id", pick("resp_id", ib));
        m.output_from("resp_rdata", pick("resp_rdata", lb));
        for (k, u) in masters.iter().enumerate() {
            m.assign(&u.port("resp_ready"), &resp_ready & grant.bit(k as u32));
        }
        Ok(())
    })
}
