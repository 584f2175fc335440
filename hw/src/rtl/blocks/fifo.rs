//! A FIFO with valid/ready streams on both sides and a credit counter.
//!
//! ```text
//!              ┌──────────────────────────────────────────┐
//!   in_valid ─►│ push = in_valid & in_ready               │
//!   in_ready ◄─│ credits_q != 0                           │
//!   in_data  ─►│──► mem[wr_ptr] ──► (block/ultra: out_data_q, valid_q) ──►│─► out_valid
//!              │ credits_q: -1 per push, +1 per pop       │◄─ out_ready
//!   credits  ◄─│ free entries (a credit-based sender's    │─► out_data
//!              │ count starts at DEPTH)                   │
//!              └──────────────────────────────────────────┘
//! ```
//!
//! Storage is one memory of `DEPTH` words using the chosen template:
//! * [`RamStyle::Distributed`] (LUT RAM, asynchronous read): `out_data = mem[rd_ptr]`; a word
//!   pushed in cycle t can leave in cycle t+1.
//! * [`RamStyle::Block`] / [`RamStyle::Ultra`] (registered read): the read register
//!   `out_data_q` is the output stage; it loads when the RAM holds a word and the stage is empty
//!   or being drained; a word pushed in cycle t can leave in cycle t+2.
//!
//! Either way the FIFO holds at most `DEPTH` words (the output stage counts), and `credits` is
//! `DEPTH` minus the words held. Pointers have one extra bit, so equal pointers mean empty.

use std::collections::VecDeque;

use crate::rtl::tb::Model as TbModel;
use crate::rtl::ty::bits_for;
use crate::rtl::{clog2, zeros, Bundle, Design, ModRef, Params, RamStyle, Role, RtlError};

/// FIFO parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FifoParams {
    /// Data width in bits (1..=128).
    pub width: u32,
    /// Capacity in words (a power of two, at least 2).
    pub depth: u32,
    /// Memory template.
    pub ram: RamStyle,
}

fn style_tag(r: RamStyle) -> &'static str {
    match r {
        RamStyle::Distributed => "dist",
        RamStyle::Block => "bram",
        RamStyle::Ultra => "uram",
    }
}

/// Builds (or reuses) `fifo_w<W>_d<D>_<dist|bram|uram>`.
pub fn fifo(d: &mut Design, p: &FifoParams) -> Result<ModRef, RtlError> {
    let (w, depth) = (p.width, p.depth);
    if !(1..=128).contains(&w) || depth < 2 || !depth.is_power_of_two() {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!(
                "width = {w}, depth = {depth}; allowed width 1..=128, depth a power of two >= 2"
            ),
        });
    }
    let a = clog2(u64::from(depth));
    let cb = bits_for(u64::from(depth));
    let params = Params::new()
        .with("width", w)
        .with("depth", depth)
        .with("ram", p.ram.attr());
    let name = format!("fifo_w{w}_d{depth}_{}", style_tag(p.ram));
    d.build(&name, module_path!(), params, |m| {
        m.doc("FIFO with valid/ready streams and a credit counter (credits = free entries).");
        let stream = Bundle::stream(w);
        let inp = m.bundle_port("in", Role::Sink, &stream);
        let out = m.bundle_port("out", Role::Source, &stream);
        let credits = m.reg("credits_q", cb, u128::from(depth));
        let wr_ptr = m.reg("wr_ptr", a + 1, 0);
        let rd_ptr = m.reg("rd_ptr", a + 1, 0);
        let mem = m.memory("mem", w, u64::from(depth), p.ram);

        m.assign(&inp.sig("ready"), credits.ne(zeros(cb)));
        let push = m.wire_from("push", &inp.sig("valid") & &inp.sig("ready"));
        let pop = m.wire_from("pop", &out.sig("valid") & &out.sig("ready"));
        let ram_nonempty = m.wire_from("ram_nonempty", wr_ptr.ne(&rd_ptr));

        m.mem_write(&mem, &push, wr_ptr.trunc(a), inp.sig("data"));
        m.next_when(&wr_ptr, &push, wr_ptr.add_const(1));
        m.seq(|s| {
            s.when_else(
                &push & !&pop,
                |s| s.set(&credits, credits.sub_const(1)),
                |s| s.when(&pop & !&push, |s| s.set(&credits, credits.add_const(1))),
            );
        });
        if p.ram.sync_read() {
            // The read register is the output stage: load it when it is empty or draining.
            let valid = m.reg("valid_q", 1, 0);
            let load = m.wire_from("load", &ram_nonempty & (!&valid | &out.sig("ready")));
            let data = m.mem_read_sync(&mem, "out_data_q", &load, rd_ptr.trunc(a));
            m.next_when(&rd_ptr, &load, rd_ptr.add_const(1));
            m.next(&valid, &load | (&valid & !&out.sig("ready")));
            m.assign(&out.sig("valid"), &valid);
            m.assign(&out.sig("data"), &data);
        } else {
            m.assign(&out.sig("valid"), &ram_nonempty);
            m.assign(&out.sig("data"), mem.read(rd_ptr.trunc(a)));
            m.next_when(&rd_ptr, &pop, rd_ptr.add_const(1));
        }
        m.output_from("credits", &credits);
        Ok(())
    })
}

/// The reference model: rows are `[rst, in_valid, in_data, out_ready]`, outputs
/// `[in_ready, out_valid, out_data, credits]`. It is written as a queue, not as pointers.
#[derive(Clone, Debug)]
pub struct Model {
    p: FifoParams,
    /// `None` before the first reset.
    state: Option<State>,
}

#[derive(Clone, Debug, Default)]
struct State {
    /// Words in the memory, oldest first.
    ram: VecDeque<u128>,
    /// Block/ultra only: the output stage, if it holds a word.
    stage: Option<u128>,
    /// Block/ultra only: the read register's value (it keeps the last word loaded).
    data_q: u128,
}

impl Model {
    /// A FIFO with parameters `p`, not yet reset.
    pub fn new(p: &FifoParams) -> Model {
        Model { p: *p, state: None }
    }
}

impl TbModel for Model {
    fn outputs(&self, row: &[u128]) -> Vec<Option<u128>> {
        let Some(s) = &self.state else {
            return vec![None; 4];
        };
        let _ = row;
        let held = s.ram.len() + usize::from(s.stage.is_some());
        let credits = self.p.depth as usize - held;
        let (valid, data) = if self.p.ram.sync_read() {
            (s.stage.is_some(), Some(s.data_q))
        } else {
            // An empty LUT RAM FIFO shows whatever word the read pointer addresses.
            (!s.ram.is_empty(), s.ram.front().copied())
        };
        vec![
            Some(u128::from(credits != 0)),
            Some(u128::from(valid)),
            data,
            Some(credits as u128),
        ]
    }

    fn step(&mut self, row: &[u128]) {
        if row[0] != 0 {
            self.state = Some(State::default());
            return;
        }
        let Some(out) = self.outputs(row).first().copied().flatten() else {
            return;
        };
        let sync = self.p.ram.sync_read();
        let s = self.state.as_mut().expect("reset");
        let (in_valid, in_data, out_ready) = (row[1] != 0, row[2], row[3] != 0);
        let push = in_valid && out == 1;
        if sync {
            let load = !s.ram.is_empty() && (s.stage.is_none() || out_ready);
            if s.stage.is_some() && out_ready {
                s.stage = None;
            }
            if load {
                let word = s.ram.pop_front().expect("not empty");
                s.stage = Some(word);
                s.data_q = word;
            }
        } else if out_ready && !s.ram.is_empty() {
            s.ram.pop_front();
        }
        if push {
            s.ram.push_back(in_data);
        }
    }
}
