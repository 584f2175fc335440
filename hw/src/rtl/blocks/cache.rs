//! Set-associative cache arrays (tags + data) with a two-stage lookup: the storage and datapath
//! of the L1I, the write-through L1D and the tile L2 (whose tag entries carry the sharer bits of
//! the tile's L1s and a dirty bit as "meta" bits).
//!
//! ```text
//!  stage 0 (req_valid & req_ready): read the tag and data word of every way at the set
//!  stage 1 (resp_valid):            compare tags ─► resp_hit, resp_way, resp_data, resp_meta;
//!                                   the entry of way req_way ─► resp_vvalid, resp_vmeta, resp_vtag
//!                                   (the victim a miss replaces, for its write-back);
//!                                   and do the op's write:
//!    op 0 READ     nothing
//!    op 1 WRITE    on a hit: data word = (old & ~mask) | (wdata & mask)     (write-through L1D)
//!    op 2 FILL     way req_way: tag = addr's tag, valid, meta = req_meta; data word = wdata
//!    op 3 INVAL    on a hit: valid = 0                                      (L2 → L1 invalidation)
//!    op 4 SETMETA  on a hit: meta = req_meta                                (L2 sharer bits, dirty)
//!  req_ready is low while stage 1 holds a writing op, so a read never sees a stale word;
//!  a FILL reads nothing and is taken whatever req_ready says (a line fills a word a cycle).
//! ```
//!
//! A line is filled with one FILL per 8-byte word. `victim` proposes the way to fill next
//! (round-robin, advanced by every READ miss). The controller that sequences misses, fills,
//! write-through and invalidations through the NoC is not part of this block.

use super::OrTree;
use crate::rtl::tb::Model as TbModel;
use crate::rtl::{
    cat, clog2, lit, zeros, Design, Expr, Mem, ModRef, ModuleBuilder, Params, RamStyle, RtlError,
    Sig,
};

/// Op codes of `req_op`.
pub mod op {
    /// Look up and return the word.
    pub const READ: u128 = 0;
    /// Merge the masked bytes into the word on a hit.
    pub const WRITE: u128 = 1;
    /// Write the tag (valid, meta) of `req_way` and one data word.
    pub const FILL: u128 = 2;
    /// Clear the line's valid bit on a hit.
    pub const INVAL: u128 = 3;
    /// Replace the line's meta bits on a hit.
    pub const SETMETA: u128 = 4;
}

/// Cache array parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheParams {
    /// `l1i`, `l1d` or `l2` (part of the module name).
    pub kind: &'static str,
    /// Capacity in bytes.
    pub size: u64,
    /// Associativity.
    pub ways: u32,
    /// Line size in bytes.
    pub line: u32,
    /// Physical address bits.
    pub pa_bits: u32,
    /// Meta bits per line (L2: sharers + dirty; L1: 0).
    pub meta_bits: u32,
    /// Template of the tag arrays.
    pub tag_ram: RamStyle,
    /// Template of the data arrays.
    pub data_ram: RamStyle,
}

impl CacheParams {
    /// Sets.
    pub fn sets(&self) -> u64 {
        self.size / (u64::from(self.ways) * u64::from(self.line))
    }
    /// Bits of the set index.
    pub fn set_bits(&self) -> u32 {
        clog2(self.sets())
    }
    /// Bits of the byte offset in a line.
    pub fn off_bits(&self) -> u32 {
        clog2(u64::from(self.line))
    }
    /// Tag bits.
    pub fn tag_bits(&self) -> u32 {
        self.pa_bits - self.set_bits() - self.off_bits()
    }
    /// Bits of a way index (at least 1).
    pub fn way_bits(&self) -> u32 {
        clog2(u64::from(self.ways)).max(1)
    }
    /// The module name.
    pub fn name(&self) -> String {
        format!(
            "cache_{}_s{}_w{}_l{}_pa{}_m{}",
            self.kind, self.size, self.ways, self.line, self.pa_bits, self.meta_bits
        )
    }
}

/// A registered read of `mem` at `addr` when `en`, whatever the template.
pub(crate) fn sync_read(
    m: &mut ModuleBuilder,
    mem: &Mem,
    name: &str,
    en: &Expr,
    addr: Expr,
) -> Sig {
    if mem.style().sync_read() {
        m.mem_read_sync(mem, name, en.clone(), addr)
    } else {
        let r = m.reg(name, mem.width(), 0);
        m.next_when(&r, en.clone(), mem.read(addr));
        r
    }
}

/// Builds (or reuses) `cache_<kind>_s<size>_w<ways>_l<line>_pa<PA>_m<META>`.
pub fn cache(d: &mut Design, p: &CacheParams) -> Result<ModRef, RtlError> {
    let sets = p.sets();
    if !p.line.is_power_of_two()
        || p.line < 16
        || p.ways == 0
        || !p.ways.is_power_of_two()
        || sets < 2
        || !sets.is_power_of_two()
        || p.pa_bits <= p.set_bits() + p.off_bits()
    {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("{p:?}: need power-of-two line >= 16, ways and sets >= 2"),
        });
    }
    let (sb, ob, tb, wb, mb) = (
        p.set_bits(),
        p.off_bits(),
        p.tag_bits(),
        p.way_bits(),
        p.meta_bits,
    );
    let entry = 1 + mb + tb;
    let dab = sb + ob - 3; // data word address bits
    let params = Params::new()
        .with("kind", p.kind)
        .with("size", p.size)
        .with("ways", p.ways)
        .with("line", p.line)
        .with("pa_bits", p.pa_bits)
        .with("meta_bits", mb)
        .with("tag_ram", p.tag_ram.attr())
        .with("data_ram", p.data_ram.attr());
    d.build(&p.name(), module_path!(), params, |m| {
        m.doc("Cache tag/data arrays with a 2-stage lookup (see hw/src/rtl/blocks/cache.rs).");
        let req_valid = m.input("req_valid", 1);
        let req_op = m.input("req_op", 3);
        let req_addr = m.input("req_addr", p.pa_bits);
        let req_wdata = m.input("req_wdata", 64);
        let req_wmask = m.input("req_wmask", 8);
        let req_way = m.input("req_way", wb);
        let req_meta = (mb > 0).then(|| m.input("req_meta", mb));
        m.allow_unused(&req_addr); // the low 3 address bits select bytes, not words
        let s1_valid = m.reg("s1_valid", 1, 0);
        let s1_op = m.reg("s1_op", 3, 0);
        let ready = m.wire_from("ready", !(&s1_valid & s1_op.ne(lit(3, op::READ))));
        m.output_from("req_ready", &ready);
        // A FILL reads nothing it could find stale: it is taken whatever `req_ready` says, so a
        // line fills one word per cycle (and `req_ready` does not depend on `req_op`).
        let fire = m.wire_from("fire", &req_valid & (&ready | req_op.eq(lit(3, op::FILL))));
        let set = req_addr.slice(ob + sb - 1, ob);
        let waddr = req_addr.slice(ob + sb - 1, 3);
        m.next(&s1_valid, &fire);
        m.next_when(&s1_op, &fire, &req_op);
        let s1_tag = m.reg("s1_tag", tb, 0);
        m.next_when(&s1_tag, &fire, req_addr.slice(p.pa_bits - 1, ob + sb));
        let s1_wdata = m.reg("s1_wdata", 64, 0);
        m.next_when(&s1_wdata, &fire, &req_wdata);
        let s1_wmask = m.reg("s1_wmask", 8, 0);
        m.next_when(&s1_wmask, &fire, &req_wmask);
        let s1_way = m.reg("s1_way", wb, 0);
        m.next_when(&s1_way, &fire, &req_way);
        let s1_set = m.reg("s1_set", sb, 0);
        m.next_when(&s1_set, &fire, set.clone());
        let s1_waddr = m.reg("s1_waddr", dab, 0);
        m.next_when(&s1_waddr, &fire, waddr.clone());
        let s1_meta = req_meta.as_ref().map(|rm| {
            let r = m.reg("s1_meta", mb, 0);
            m.next_when(&r, &fire, rm);
            r
        });
        let is = |k: u128| s1_valid.expr() & s1_op.eq(lit(3, k));
        let fire_e: Expr = fire.expr();
        let mask64 = m.wire_from(
            "mask64",
            cat((0..8).rev().map(|b| s1_wmask.bit(b).repeat(8))),
        );
        let mut hits = Vec::new();
        let mut words = Vec::new();
        let mut metas = Vec::new();
        let mut entries = Vec::new();
        for k in 0..p.ways {
            let tmem = m.memory(&format!("tag{k}"), entry, sets, p.tag_ram);
            let dmem = m.memory(&format!("data{k}"), 64, sets << (ob - 3), p.data_ram);
            let tq = sync_read(m, &tmem, &format!("tag{k}_q"), &fire_e, set.clone());
            let dq = sync_read(m, &dmem, &format!("data{k}_q"), &fire_e, waddr.clone());
            let valid = tq.bit(entry - 1);
            let hit = m.wire_from(&format!("hit{k}"), &valid & tq.slice(tb - 1, 0).eq(&s1_tag));
            let this_way = s1_way.eq(lit(wb, u128::from(k)));
            entries.push(this_way.repeat(entry) & &tq);
            let old_meta = (mb > 0).then(|| tq.slice(tb + mb - 1, tb));
            // Tag write: FILL of this way, or INVAL/SETMETA on a hit.
            let fill_entry = cat([
                Some(lit(1, 1)),
                s1_meta.as_ref().map(|s| s.expr()),
                Some(s1_tag.expr()),
            ]
            .into_iter()
            .flatten());
            let inval_entry = cat(
                [Some(lit(1, 0)), old_meta.clone(), Some(tq.slice(tb - 1, 0))]
                    .into_iter()
                    .flatten(),
            );
            let setmeta_entry = cat([
                Some(lit(1, 1)),
                s1_meta.as_ref().map(|s| s.expr()),
                Some(tq.slice(tb - 1, 0)),
            ]
            .into_iter()
            .flatten());
            let t_fill = m.wire_from(&format!("tfill{k}"), is(op::FILL) & &this_way);
            let t_inval = is(op::INVAL) & &hit;
            let t_meta = is(op::SETMETA) & &hit;
            m.mem_write(
                &tmem,
                &t_fill | &t_inval | &t_meta,
                s1_set.expr(),
                t_fill.mux(fill_entry, t_inval.mux(inval_entry, setmeta_entry)),
            );
            let merged = (&dq & !&mask64) | (&s1_wdata & &mask64);
            m.mem_write(
                &dmem,
                &t_fill | (is(op::WRITE) & &hit),
                s1_waddr.expr(),
                t_fill.mux(s1_wdata.expr(), merged),
            );
            words.push(hit.repeat(64) & &dq);
            if let Some(om) = old_meta {
                metas.push(hit.repeat(mb) & om);
            }
            hits.push(hit);
        }
        let hit_any = hits.iter().map(|h| h.expr()).or_tree().expect("ways");
        m.output_from("resp_valid", &s1_valid);
        m.output_from("resp_op", &s1_op);
        m.output_from("resp_hit", hit_any.clone());
        let way = (0..wb)
            .rev()
            .map(|b| {
                hits.iter()
                    .enumerate()
                    .filter(|(k, _)| k >> b & 1 == 1)
                    .map(|(_, h)| h.expr())
                    .or_tree()
                    .unwrap_or_else(|| zeros(1))
            })
            .collect::<Vec<_>>();
        m.output_from("resp_way", cat(way));
        m.output_from("resp_data", words.into_iter().or_tree().expect("ways"));
        if mb > 0 {
            m.output_from("resp_meta", metas.into_iter().or_tree().expect("ways"));
        }
        // The entry of way `req_way` (the victim a miss will replace): valid, meta, tag.
        let ventry = m.wire_from("ventry", entries.into_iter().or_tree().expect("ways"));
        m.output_from("resp_vvalid", ventry.bit(entry - 1));
        if mb > 0 {
            m.output_from("resp_vmeta", ventry.slice(tb + mb - 1, tb));
        }
        m.output_from("resp_vtag", ventry.slice(tb - 1, 0));
        if p.ways >= 2 {
            let victim = m.reg("victim_q", wb, 0);
            m.next_when(&victim, is(op::READ) & !&hit_any, victim.add_const(1));
            m.output_from("victim", &victim);
        } else {
            m.output_from("victim", zeros(wb));
        }
        Ok(())
    })
}

/// The reference model: rows are `[rst, req_valid, req_op, req_addr, req_wdata, req_wmask,
/// req_way, (req_meta)]`, outputs `[req_ready, resp_valid, resp_op, resp_hit, resp_way,
/// resp_data, (resp_meta), resp_vvalid, (resp_vmeta), resp_vtag, victim]`. Lines are kept as a map from (set, way).
#[derive(Clone, Debug)]
pub struct Model {
    p: CacheParams,
    state: Option<CState>,
}

/// A tag entry as the model keeps it: `(valid, meta, tag)`, `None` if never written.
type Entry = Option<(bool, u128, u128)>;

#[derive(Clone, Debug, Default)]
struct CState {
    /// (valid, meta, tag) per set * ways + way; `None`: never written (undefined in RTL).
    tags: Vec<Entry>,
    /// Words per (way, word address).
    data: std::collections::HashMap<(u32, u128), u128>,
    s1: Option<[u128; 7]>,
    victim: u128,
}

impl Model {
    /// Cache arrays with parameters `p`, not yet reset.
    pub fn new(p: &CacheParams) -> Model {
        Model { p: *p, state: None }
    }

    /// Stage-1 lookup: per way (hit, entry) for the registered request; `None` if undefined.
    fn lookup(&self, s: &CState, r: &[u128; 7]) -> Option<Vec<(bool, Entry)>> {
        let (sb, ob) = (self.p.set_bits(), self.p.off_bits());
        let set = (r[1] >> ob) & ((1 << sb) - 1);
        let tag = r[1] >> (ob + sb);
        let mut out = Vec::new();
        for k in 0..self.p.ways {
            let e = s.tags[(set as usize) * self.p.ways as usize + k as usize];
            match e {
                None => out.push((false, None)),
                Some(e) => out.push((e.0 && e.2 == tag, Some(e))),
            }
        }
        // A never-written entry makes every way-combining output undefined (`x` in RTL).
        if out.iter().any(|(_, e)| e.is_none()) {
            return None;
        }
        Some(out)
    }
}

impl TbModel for Model {
    fn outputs(&self, _row: &[u128]) -> Vec<Option<u128>> {
        let mb = self.p.meta_bits;
        let n = if mb > 0 { 11 } else { 9 };
        let Some(s) = &self.state else {
            return vec![None; n];
        };
        let mut out = Vec::new();
        let busy = s.s1.is_some_and(|r| r[0] != op::READ);
        out.push(Some(u128::from(!busy)));
        out.push(Some(u128::from(s.s1.is_some())));
        match &s.s1 {
            None => {
                // resp_op holds the last op; the rest is don't-care without a response.
                out.extend(std::iter::repeat_n(None, n - 3));
            }
            // A FILL's lookup fields mean nothing (it may have read the tags while an earlier
            // FILL was writing them): don't-care, like the controller treats them.
            Some(r) if r[0] == op::FILL => {
                out.push(Some(r[0]));
                out.extend(std::iter::repeat_n(None, n - 4));
            }
            Some(r) => {
                out.push(Some(r[0]));
                match self.lookup(s, r) {
                    None => out.extend(std::iter::repeat_n(None, if mb > 0 { 4 } else { 3 })),
                    Some(ways) => {
                        // Two ways holding the same line (a controller error) both answer:
                        // way, data and meta are the OR of the hitting ways, as in the RTL.
                        let hits: Vec<usize> = (0..ways.len()).filter(|&k| ways[k].0).collect();
                        out.push(Some(u128::from(!hits.is_empty())));
                        out.push(Some(hits.iter().fold(0, |a, &k| a | k as u128)));
                        let waddr =
                            (r[1] >> 3) & ((1 << (self.p.set_bits() + self.p.off_bits() - 3)) - 1);
                        let mut data = Some(0u128);
                        for &k in &hits {
                            data = match (data, s.data.get(&(k as u32, waddr))) {
                                (Some(a), Some(&b)) => Some(a | b),
                                _ => None,
                            };
                        }
                        out.push(data);
                        if mb > 0 {
                            out.push(Some(
                                hits.iter().fold(0, |a, &k| a | ways[k].1.expect("hit").1),
                            ));
                        }
                    }
                }
                // The entry of way `req_way` (registered with the request).
                let (sb, ob) = (self.p.set_bits(), self.p.off_bits());
                let set = ((r[1] >> ob) & ((1 << sb) - 1)) as usize;
                let e = s.tags[set * self.p.ways as usize + r[4] as usize];
                out.push(e.map(|e| u128::from(e.0)));
                if mb > 0 {
                    out.push(e.map(|e| e.1));
                }
                out.push(e.map(|e| e.2));
            }
        }
        out.push(Some(s.victim));
        out
    }

    fn step(&mut self, row: &[u128]) {
        // A FILL is taken whatever `req_ready` says.
        let ready = self.outputs(row)[0].map(|r| r | u128::from(row[2] == op::FILL));
        self.apply(row, ready);
        if row[0] != 0 {
            // Reset clears the pipeline and the victim pointer; the arrays keep their contents
            // (and the write of the op in stage 1 still happens in the reset cycle).
            let p = self.p;
            let (tags, data) = match self.state.take() {
                Some(s) => (s.tags, s.data),
                None => (
                    vec![None; (p.sets() * u64::from(p.ways)) as usize],
                    Default::default(),
                ),
            };
            self.state = Some(CState {
                tags,
                data,
                ..CState::default()
            });
        }
    }
}

impl Model {
    fn apply(&mut self, row: &[u128], ready: Option<u128>) {
        let p = self.p;
        let Some(s) = &self.state else { return };
        let mut n = s.clone();
        if let Some(r) = s.s1 {
            let (sb, ob) = (p.set_bits(), p.off_bits());
            let set = ((r[1] >> ob) & ((1 << sb) - 1)) as usize;
            let tag = r[1] >> (ob + sb);
            let waddr = (r[1] >> 3) & ((1 << (sb + ob - 3)) - 1);
            let ways = self.lookup(s, &r);
            let hits: Vec<usize> = ways
                .as_ref()
                .map(|w| (0..w.len()).filter(|&k| w[k].0).collect())
                .unwrap_or_default();
            let idx = |k: usize| set * p.ways as usize + k;
            let mask: u128 = (0..8)
                .filter(|b| r[3] >> b & 1 == 1)
                .fold(0, |a, b| a | 0xff << (8 * b));
            match r[0] {
                op::FILL => {
                    let k = r[4] as usize;
                    n.tags[idx(k)] = Some((true, r[5], tag));
                    n.data.insert((k as u32, waddr), r[2]);
                }
                op::WRITE => {
                    for &k in &hits {
                        match s.data.get(&(k as u32, waddr)).copied() {
                            Some(o) => {
                                n.data
                                    .insert((k as u32, waddr), (o & !mask) | (r[2] & mask));
                            }
                            None => {
                                n.data.remove(&(k as u32, waddr));
                            }
                        }
                    }
                }
                op::INVAL => {
                    for &k in &hits {
                        let e = s.tags[idx(k)].expect("hit");
                        n.tags[idx(k)] = Some((false, e.1, e.2));
                    }
                }
                op::SETMETA => {
                    for &k in &hits {
                        let e = s.tags[idx(k)].expect("hit");
                        n.tags[idx(k)] = Some((true, r[5], e.2));
                    }
                }
                _ => {
                    if ways.is_some() && hits.is_empty() && p.ways >= 2 {
                        n.victim = (s.victim + 1) % u128::from(p.ways);
                    }
                }
            }
        }
        n.s1 = (row[1] != 0 && ready == Some(1)).then(|| {
            [
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                if p.meta_bits > 0 { row[7] } else { 0 },
                0,
            ]
        });
        self.state = Some(n);
    }
}
