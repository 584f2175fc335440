//! The home slice's directory arrays: one MSI entry per line the slice tracks (direct mapped,
//! `home.directory_entries` entries), holding the state, the sharer tiles and the owner.
//!
//! ```text
//!  req (valid, op, addr, state, sharers, owner)
//!    op 0 LOOKUP  read the entry of addr's index          ─► next cycle: resp_valid, resp_hit,
//!    op 1 UPDATE  write {state, sharers, owner, tag}           resp_state (0 I, 1 S, 2 M),
//!                 (state I frees the entry)                    resp_sharers, resp_owner;
//!                                                              resp_v*: the stored entry,
//!                                                              whatever line it tracks
//! ```
//!
//! A lookup that misses (other tag, or state I) reports state I with no sharers: the line is
//! uncached everywhere. An UPDATE writes in the cycle it is accepted; a LOOKUP of the same index
//! in that cycle reads the old entry (memory read-before-write). The home agent that sequences
//! requests, forwards, invalidations and acks through the NoC is not part of this block.

use crate::rtl::blocks::cache::sync_read;
use crate::rtl::{cat, clog2, lit, zeros, Design, Expr, ModRef, Params, RamStyle, RtlError};

/// Directory parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirParams {
    /// Entries (a power of two, at least 2).
    pub entries: u32,
    /// Tiles (bits of the sharer vector).
    pub tiles: u32,
    /// Line size in bytes.
    pub line: u32,
    /// Physical address bits.
    pub pa_bits: u32,
    /// Memory template.
    pub ram: RamStyle,
}

impl DirParams {
    /// Bits of a tile id (at least 1).
    pub fn owner_bits(&self) -> u32 {
        clog2(u64::from(self.tiles)).max(1)
    }
    /// The module name.
    pub fn name(&self) -> String {
        format!(
            "directory_e{}_t{}_l{}_pa{}",
            self.entries, self.tiles, self.line, self.pa_bits
        )
    }
}

/// Builds (or reuses) `directory_e<E>_t<T>_l<L>_pa<PA>`.
pub fn directory(d: &mut Design, p: &DirParams) -> Result<ModRef, RtlError> {
    let ib = clog2(u64::from(p.entries));
    let ob = clog2(u64::from(p.line));
    if p.entries < 2 || !p.entries.is_power_of_two() || p.pa_bits <= ib + ob || p.tiles == 0 {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("{p:?}: entries a power of two >= 2, pa_bits > index + offset bits"),
        });
    }
    let tb = p.pa_bits - ib - ob;
    let obits = p.owner_bits();
    let width = 2 + p.tiles + obits + tb;
    let params = Params::new()
        .with("entries", p.entries)
        .with("tiles", p.tiles)
        .with("line", p.line)
        .with("pa_bits", p.pa_bits)
        .with("ram", p.ram.attr());
    d.build(&p.name(), module_path!(), params, |m| {
        m.doc("Directory arrays (MSI): state, sharer tiles, owner per line (direct mapped).");
        let valid = m.input("req_valid", 1);
        let op = m.input("req_op", 1);
        let addr = m.input("req_addr", p.pa_bits);
        let state = m.input("req_state", 2);
        let sharers = m.input("req_sharers", p.tiles);
        let owner = m.input("req_owner", obits);
        m.allow_unused(&addr); // the line offset is not part of the entry
        let index = addr.slice(ob + ib - 1, ob);
        let tag = addr.slice(p.pa_bits - 1, ob + ib);
        let mem = m.memory("entries", width, u64::from(p.entries), p.ram);
        let update = &valid & &op;
        m.mem_write(
            &mem,
            update,
            index.clone(),
            cat([state.expr(), sharers.expr(), owner.expr(), tag.clone()]),
        );
        let lookup: Expr = &valid & !&op;
        let q = sync_read(m, &mem, "entry_q", &lookup, index);
        let s1_valid = m.reg("s1_valid", 1, 0);
        m.next(&s1_valid, lookup.clone());
        let s1_tag = m.reg("s1_tag", tb, 0);
        m.next_when(&s1_tag, lookup, tag);
        let st = q.slice(width - 1, width - 2);
        let hit = m.wire_from("hit", q.slice(tb - 1, 0).eq(&s1_tag) & st.ne(lit(2, 0)));
        m.output_from("resp_valid", &s1_valid);
        m.output_from("resp_hit", &hit);
        m.output_from("resp_state", hit.mux(st.clone(), zeros(2)));
        m.output_from(
            "resp_sharers",
            hit.repeat(p.tiles) & q.slice(width - 3, width - 2 - p.tiles),
        );
        m.output_from(
            "resp_owner",
            hit.repeat(obits) & q.slice(tb + obits - 1, tb),
        );
        // The stored entry whatever its tag (the line a conflicting request must recall).
        m.output_from("resp_vstate", st);
        m.output_from("resp_vsharers", q.slice(width - 3, width - 2 - p.tiles));
        m.output_from("resp_vowner", q.slice(tb + obits - 1, tb));
        m.output_from("resp_vtag", q.slice(tb - 1, 0));
        Ok(())
    })
}
