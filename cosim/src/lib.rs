//! Co-simulation of the generated core RTL against the simulator.
//!
//! ```text
//!            ┌────────────── strand-cosim ──────────────┐
//!  ELF ──►   │ RTL side: Verilated core(s)  ◄── memory: │ functional: the simulator's Platform
//!            │   (one model per core)           ports   │   (DRAM from the ELF, UART, CLINT,
//!            │                                          │   finisher, LR/SC reservations)
//!            │                                          │ timing: the simulator's Hierarchy
//!            │ reference: the simulator's harts on the  │   (L1I/L1D/L2/HBM latencies)
//!            │   docs/pipeline.md rules, cycle by cycle │
//!            └─── compare every issue: hart, pc, insn, rd write, CSR write, mem, trap, cycle ─┘
//! ```
//!
//! Both sides run in lockstep: in every cycle each core's issue (retired instruction, exception
//! or interrupt) must be the same on both, with the same architectural effects. The run stops
//! at the first difference and names hart, pc, cycle and the differing field. A load's or
//! atomic's register value reaches the RTL register file when memory answers; it is compared
//! then. Memory latencies come from a second instance of the simulator's hierarchy, asked in
//! the same order with the same arguments as the reference asks its own.
//!
//! [`check_engine`] also runs the simulator's own engine (`Machine::run`) and compares its
//! commit log and cycle count with the reference's.

pub mod reference;
pub mod verilated;

use reference::{place, Event, Reference};
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use strand_hw::rtl::core::{core, CoreParams};
use strand_hw::rtl::Design;
use strand_hw::ChipConfig;
use strand_sim::cache::hierarchy::Hierarchy;
use strand_sim::core::pipeline::MemPort;
use strand_sim::core::{AmoOp, Bus};
use strand_sim::trace::{Commit, CommitLog};
use strand_sim::{Machine, RunOptions};
use verilated::{Library, Model, Port};

/// How a co-simulation ended badly.
#[derive(Debug)]
pub enum Failure {
    /// RTL and reference disagree.
    Mismatch {
        /// Hart.
        hart: u32,
        /// pc of the instruction.
        pc: u64,
        /// Cycle (simulator numbering).
        cycle: u64,
        /// What differs.
        field: String,
        /// RTL value.
        rtl: String,
        /// Reference value.
        sim: String,
    },
    /// Setup (build, load) failed.
    Setup(String),
    /// `max_cycles` reached.
    Timeout(u64),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Mismatch {
                hart,
                pc,
                cycle,
                field,
                rtl,
                sim,
            } => write!(
                f,
                "first difference: hart {hart}, pc {pc:#018x}, cycle {cycle}: {field}: RTL {rtl}, simulator {sim}"
            ),
            Failure::Setup(s) => write!(f, "{s}"),
            Failure::Timeout(c) => write!(f, "no exit after {c} cycles"),
        }
    }
}

/// Co-simulation options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop after this many cycles.
    pub max_cycles: u64,
    /// Where Verilated builds are cached.
    pub cache: PathBuf,
    /// Bootargs (`/chosen/bootargs`).
    pub append: String,
    /// Self-test of the comparison: answer every L1D hit this many cycles late on the RTL side
    /// only (0 = off), which must be reported as a difference.
    pub skew_load_hits: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_cycles: 50_000_000,
            cache: default_cache(),
            append: String::new(),
            skew_load_hits: 0,
        }
    }
}

/// `target/cosim-rtl` of this workspace.
pub fn default_cache() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/cosim-rtl")
}

/// What a successful co-simulation measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// Cycles until the exit request (simulator numbering: the exit's cycle + 1).
    pub cycles: u64,
    /// Retired instructions (all harts).
    pub instructions: u64,
    /// Issues compared (instructions, exceptions, interrupts).
    pub issues: u64,
    /// Exit code.
    pub exit_code: u64,
    /// Host seconds in the Verilated models (eval + port traffic).
    pub rtl_seconds: f64,
    /// Host seconds in the reference model.
    pub ref_seconds: f64,
    /// Host seconds to build (or load) the model.
    pub build_seconds: f64,
}

fn setup<E: std::fmt::Display>(e: E) -> Failure {
    Failure::Setup(e.to_string())
}

/// Build (or reuse) the Verilated core of `cfg`.
pub fn build_core(cfg: &ChipConfig, cache: &Path) -> Result<Library, Failure> {
    let mut d = Design::for_preset(&cfg.name, "build/rtl");
    let top = core(&mut d, &CoreParams::from_config(cfg)).map_err(setup)?;
    Library::build(&d, &top, cache).map_err(Failure::Setup)
}

/// A machine loaded with `elf`, its console going to `console`.
pub fn machine(
    cfg: &ChipConfig,
    elf: &[u8],
    append: &str,
    console: Box<dyn Write + Send>,
) -> Result<Machine, Failure> {
    let mut m = Machine::new(cfg.clone(), console).map_err(setup)?;
    m.load(elf, append).map_err(setup)?;
    Ok(m)
}

struct Ports {
    clk: Port,
    rst: Port,
    hart_base: Port,
    reset_pc: Port,
    dtb: Port,
    mtime: Port,
    msip: Port,
    mtip: Port,
    if_rsp_valid: Port,
    if_rsp_insn: Port,
    if_rsp_fault: Port,
    d_rsp_valid: Port,
    d_rsp_data: Port,
    st_ack: Port,
    if_req_valid: Port,
    lw_valid: Port,
    lw_data: Port,
    /// Per thread group.
    g: Vec<GroupPorts>,
}

/// The ports of one thread group's issue (unprefixed with one group, `g<g>_` with more).
struct GroupPorts {
    d_fault: Port,
    if_req_pc: Port,
    if_req_untimed: Port,
    d_req_valid: Port,
    d_req_tid: Port,
    d_req_kind: Port,
    d_req_amo: Port,
    d_req_addr: Port,
    d_req_size: Port,
    d_req_wdata: Port,
    c_valid: Port,
    c_tid: Port,
    c_pc: Port,
    c_insn: Port,
    c_trap: Port,
    c_cause: Port,
    c_tval: Port,
    c_rd_we: Port,
    c_late: Port,
    c_rd: Port,
    c_rd_val: Port,
    c_csr_we: Port,
    c_csr_num: Port,
    c_csr_val: Port,
}

impl Ports {
    fn of(l: &Library, groups: usize) -> Ports {
        let g = (0..groups)
            .map(|g| {
                let n = |name: &str| {
                    if groups == 1 {
                        l.port(name)
                    } else {
                        l.port(&format!("g{g}_{name}"))
                    }
                };
                GroupPorts {
                    d_fault: n("d_fault"),
                    if_req_pc: n("if_req_pc"),
                    if_req_untimed: n("if_req_untimed"),
                    d_req_valid: n("d_req_valid"),
                    d_req_tid: n("d_req_tid"),
                    d_req_kind: n("d_req_kind"),
                    d_req_amo: n("d_req_amo"),
                    d_req_addr: n("d_req_addr"),
                    d_req_size: n("d_req_size"),
                    d_req_wdata: n("d_req_wdata"),
                    c_valid: n("c_valid"),
                    c_tid: n("c_tid"),
                    c_pc: n("c_pc"),
                    c_insn: n("c_insn"),
                    c_trap: n("c_trap"),
                    c_cause: n("c_cause"),
                    c_tval: n("c_tval"),
                    c_rd_we: n("c_rd_we"),
                    c_late: n("c_late"),
                    c_rd: n("c_rd"),
                    c_rd_val: n("c_rd_val"),
                    c_csr_we: n("c_csr_we"),
                    c_csr_num: n("c_csr_num"),
                    c_csr_val: n("c_csr_val"),
                }
            })
            .collect();
        Ports {
            clk: l.port("clk"),
            rst: l.port("rst"),
            hart_base: l.port("hart_base"),
            reset_pc: l.port("reset_pc"),
            dtb: l.port("dtb"),
            mtime: l.port("mtime"),
            msip: l.port("msip"),
            mtip: l.port("mtip"),
            if_rsp_valid: l.port("if_rsp_valid"),
            if_rsp_insn: l.port("if_rsp_insn"),
            if_rsp_fault: l.port("if_rsp_fault"),
            d_rsp_valid: l.port("d_rsp_valid"),
            d_rsp_data: l.port("d_rsp_data"),
            st_ack: l.port("st_ack"),
            if_req_valid: l.port("if_req_valid"),
            lw_valid: l.port("lw_valid"),
            lw_data: l.port("lw_data"),
            g,
        }
    }
}

/// Per-hart memory-side state of the RTL.
#[derive(Clone, Debug, Default)]
struct HartMem {
    /// Fetch answer due: (cycle, pc).
    fetch: Option<(u64, u64)>,
    /// Data answer due: (cycle, raw data).
    data: Option<(u64, u64)>,
    /// Store completion cycles, oldest first.
    acks: VecDeque<u64>,
    last_store: u64,
    seq: u32,
    /// A late register value to compare: (rd, expected value, pc, issue cycle).
    late: Option<(u8, u64, u64, u64)>,
}

fn sext(v: u64, size: u8) -> u64 {
    match size {
        1 => v as i8 as i64 as u64,
        2 => v as i16 as i64 as u64,
        4 => v as i32 as i64 as u64,
        _ => v,
    }
}

fn trunc(v: u64, size: u8) -> u64 {
    if size == 8 {
        v
    } else {
        v & ((1u64 << (size * 8)) - 1)
    }
}

fn amo_op(funct5: u64) -> AmoOp {
    match funct5 {
        0b00001 => AmoOp::Swap,
        0b00000 => AmoOp::Add,
        0b00100 => AmoOp::Xor,
        0b01100 => AmoOp::And,
        0b01000 => AmoOp::Or,
        0b10000 => AmoOp::Min,
        0b10100 => AmoOp::Max,
        0b11000 => AmoOp::Minu,
        _ => AmoOp::Maxu,
    }
}

fn bits(words: &[u32], i: u32) -> bool {
    words[(i / 32) as usize] >> (i % 32) & 1 == 1
}

fn lane64(words: &[u32], i: usize) -> u64 {
    u64::from(words[2 * i]) | u64::from(words[2 * i + 1]) << 32
}

/// Describe an event for a mismatch message.
fn describe(e: &Event) -> String {
    match e {
        Event::Retired(c) => format!("retired pc={:#x} insn={:#010x}", c.pc, c.raw),
        Event::Exception { cause, tval, pc } => {
            format!("exception cause={cause} tval={tval:#x} pc={pc:#x}")
        }
        Event::Interrupt(c) => format!("interrupt mcause={c:#x}"),
    }
}

/// Co-simulate `elf` on `cfg`: RTL against the reference, in lockstep. The RTL side's console
/// goes to `console`.
pub fn cosim(
    cfg: &ChipConfig,
    elf: &[u8],
    opts: &Options,
    console: Box<dyn Write + Send>,
) -> Result<Report, Failure> {
    let t0 = Instant::now();
    let lib = build_core(cfg, &opts.cache)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let groups = cfg.core.thread_groups as usize;
    let tg = cfg.core.threads as usize / groups;
    let p = Ports::of(&lib, groups);
    let threads = cfg.core.threads as usize;
    let ncores = cfg.cores() as usize;
    let nharts = cfg.harts() as usize;
    let mut rtl = machine(cfg, elf, &opts.append, console)?;
    let mut reference = Reference::new(machine(cfg, elf, &opts.append, Box::new(std::io::sink()))?);
    let mut mem = Hierarchy::new(cfg);
    let mut hm = vec![HartMem::default(); nharts];
    let entry = rtl.harts[0].pc;
    let dtb = rtl.dtb_addr;
    let mut models: Vec<Model<'_>> = (0..ncores).map(|_| lib.instance()).collect();
    let words = |w: u32| vec![0u32; w.div_ceil(32) as usize];
    let mut rtl_time = 0.0f64;
    let mut ref_time = 0.0f64;
    // Reset, then the boot cycle (simulator cycle -1): every thread fetches the entry point.
    let tr = Instant::now();
    for (k, m) in models.iter_mut().enumerate() {
        m.set_u64(&p.hart_base, (k * threads) as u64);
        m.set_u64(&p.reset_pc, entry);
        m.set_u64(&p.dtb, dtb);
        m.set_u64(&p.rst, 1);
        for _ in 0..2 {
            m.set_u64(&p.clk, 0);
            m.eval();
            m.set_u64(&p.clk, 1);
            m.eval();
        }
        m.set_u64(&p.clk, 0);
        m.set_u64(&p.rst, 0);
        m.eval();
        let v = m.get_u64(&p.if_req_valid);
        for t in 0..threads {
            let pc = m.get_u64(&p.g[t / tg].if_req_pc);
            if v >> t & 1 == 1 {
                let h = k * threads + t;
                let lat = mem.fetch(place(cfg, h), pc, 0);
                hm[h].fetch = Some((lat, pc));
            }
        }
        m.set_u64(&p.clk, 1);
        m.eval();
    }
    rtl_time += tr.elapsed().as_secs_f64();
    let mut ev: Vec<(u32, Event)> = Vec::new();
    let mut rtl_ev: Vec<(u32, Option<Event>)> = Vec::new();
    let mut issues = 0u64;
    let mut instructions = 0u64;
    let mut insn_w = words(p.if_rsp_insn.width);
    let mut data_w = words(p.d_rsp_data.width);
    let mut lw_w = words(p.lw_data.width);
    let mut lwv_w = words(p.lw_valid.width);
    let mut cycle: u64 = 0;
    // STRAND_COSIM_TRACE=FROM-TO prints both sides' issues in those cycles (debugging).
    let trace = std::env::var("STRAND_COSIM_TRACE").ok().and_then(|v| {
        let (a, b) = v.split_once('-')?;
        Some(a.parse::<u64>().ok()?..=b.parse::<u64>().ok()?)
    });
    loop {
        if cycle >= opts.max_cycles {
            return Err(Failure::Timeout(cycle));
        }
        // Reference first: it decides what the RTL must do this cycle.
        let tr = Instant::now();
        ev.clear();
        reference.step(&mut ev);
        ref_time += tr.elapsed().as_secs_f64();
        let tr = Instant::now();
        rtl.platform.cycle = cycle;
        rtl_ev.clear();
        let mtime = rtl.platform.clint.mtime(cycle);
        // Interrupt lines as they stand at the start of the cycle (a CLINT write by an earlier
        // core in this cycle is seen from the next one, as in the simulator).
        let lines: Vec<u64> = (0..nharts)
            .map(|h| rtl.platform.clint.mip(h as u32, cycle))
            .collect();
        for (k, m) in models.iter_mut().enumerate() {
            let (mut ifv, mut iff, mut dv, mut ack, mut msip, mut mtip) = (0u64, 0, 0, 0, 0, 0);
            insn_w.iter_mut().for_each(|w| *w = 0);
            data_w.iter_mut().for_each(|w| *w = 0);
            for t in 0..threads {
                let h = k * threads + t;
                let s = &mut hm[h];
                if let Some((due, pc)) = s.fetch {
                    if due == cycle {
                        s.fetch = None;
                        ifv |= 1 << t;
                        match rtl.platform.fetch(pc) {
                            Ok(w) => insn_w[t] = w,
                            Err(_) => iff |= 1 << t,
                        }
                    }
                }
                if let Some((due, d)) = s.data {
                    if due == cycle {
                        s.data = None;
                        dv |= 1 << t;
                        data_w[2 * t] = d as u32;
                        data_w[2 * t + 1] = (d >> 32) as u32;
                    }
                }
                if s.acks.front() == Some(&cycle) {
                    s.acks.pop_front();
                    ack |= 1 << t;
                }
                msip |= (lines[h] >> 3 & 1) << t;
                mtip |= (lines[h] >> 7 & 1) << t;
            }
            m.set_u64(&p.clk, 0);
            m.set_u64(&p.if_rsp_valid, ifv);
            m.set_u64(&p.if_rsp_fault, iff);
            m.set(&p.if_rsp_insn, &insn_w);
            m.set_u64(&p.d_rsp_valid, dv);
            m.set(&p.d_rsp_data, &data_w);
            m.set_u64(&p.st_ack, ack);
            m.set_u64(&p.msip, msip);
            m.set_u64(&p.mtip, mtip);
            m.set_u64(&p.mtime, mtime);
            for gp in &p.g {
                m.set_u64(&gp.d_fault, 0);
            }
            m.eval();
            // Late register writes (answers arriving this cycle).
            m.get(&p.lw_valid, &mut lwv_w);
            m.get(&p.lw_data, &mut lw_w);
            for t in 0..threads {
                let h = k * threads + t;
                if bits(&lwv_w, t as u32) {
                    let got = lane64(&lw_w, t);
                    match hm[h].late.take() {
                        Some((rd, want, pc, at)) if want == got => {
                            let _ = (rd, pc, at);
                        }
                        Some((rd, want, pc, at)) => {
                            return Err(Failure::Mismatch {
                                hart: h as u32,
                                pc,
                                cycle: at,
                                field: format!(
                                    "x{rd} (written when memory answered at cycle {cycle})"
                                ),
                                rtl: format!("{got:#x}"),
                                sim: format!("{want:#x}"),
                            })
                        }
                        None => {
                            return Err(Failure::Mismatch {
                                hart: h as u32,
                                pc: 0,
                                cycle,
                                field: "unexpected late register write".into(),
                                rtl: format!("{got:#x}"),
                                sim: "none".into(),
                            })
                        }
                    }
                }
            }
            // The data request: performed now, on the RTL's platform.
            let mut mem_recs = Vec::with_capacity(groups);
            let mut answers = Vec::with_capacity(groups);
            let mut faulted = false;
            for (g, gp) in p.g.iter().enumerate() {
                let mut mem_rec: (Option<u64>, Option<(u64, u64, u8)>) = (None, None);
                let mut answer: Option<(u8, u64, u64)> = None; // (kind, addr, data)
                let dreq = m.get_u64(&gp.d_req_valid) == 1;
                if dreq {
                    let tid = m.get_u64(&gp.d_req_tid) as usize;
                    let h = (k * threads + g * tg + tid) as u32;
                    let kind = m.get_u64(&gp.d_req_kind) as u8;
                    let addr = m.get_u64(&gp.d_req_addr);
                    let size = 1u8 << m.get_u64(&gp.d_req_size);
                    let wdata = m.get_u64(&gp.d_req_wdata);
                    let pl = &mut rtl.platform;
                    let r: Result<u64, _> = match kind {
                        0 => pl.load(h, addr, size),
                        1 => pl.store(h, addr, size, wdata).map(|()| 0),
                        3 => pl.load_reserved(h, addr, size),
                        4 => pl
                            .store_conditional(h, addr, size, wdata)
                            .map(|ok| u64::from(!ok)),
                        _ => {
                            let op = amo_op(m.get_u64(&gp.d_req_amo));
                            pl.amo(h, addr, size, op, sext(wdata, size))
                                .inspect(|&old| {
                                    let new = op.apply(sext(old, size), sext(wdata, size), size);
                                    mem_rec.1 = Some((addr, trunc(new, size), size));
                                })
                        }
                    };
                    match r {
                        Err(_) => {
                            m.set_u64(&gp.d_fault, 1);
                            faulted = true;
                        }
                        Ok(d) => {
                            match kind {
                                0 | 3 => mem_rec.0 = Some(addr),
                                1 => mem_rec.1 = Some((addr, wdata, size)),
                                4 => {
                                    if d == 0 {
                                        mem_rec.1 = Some((addr, wdata, size));
                                    }
                                }
                                _ => mem_rec.0 = Some(addr),
                            }
                            answer = Some((kind, addr, d));
                        }
                    }
                }
                mem_recs.push(mem_rec);
                answers.push(answer);
            }
            if faulted {
                m.eval();
            }
            for (g, gp) in p.g.iter().enumerate() {
                let (mem_rec, answer) = (mem_recs[g], answers[g]);
                // The issue's commit record.
                if m.get_u64(&gp.c_valid) == 1 {
                    let tid = m.get_u64(&gp.c_tid) as usize;
                    let h = k * threads + g * tg + tid;
                    let pc = m.get_u64(&gp.c_pc);
                    let e = if m.get_u64(&gp.c_trap) == 1 {
                        let cause = m.get_u64(&gp.c_cause);
                        if cause >> 63 == 1 {
                            Event::Interrupt(cause)
                        } else {
                            Event::Exception {
                                cause,
                                tval: m.get_u64(&gp.c_tval),
                                pc,
                            }
                        }
                    } else {
                        let mut c = Commit {
                            pc,
                            raw: m.get_u64(&gp.c_insn) as u32,
                            ..Commit::default()
                        };
                        let rd = m.get_u64(&gp.c_rd) as u8;
                        if m.get_u64(&gp.c_rd_we) == 1 {
                            c.rd = Some((rd, m.get_u64(&gp.c_rd_val)));
                        }
                        if m.get_u64(&gp.c_late) == 1 {
                            // Value compared when memory answers.
                            c.rd = Some((rd, 0));
                            hm[h].late = Some((rd, 0, pc, cycle));
                        }
                        if m.get_u64(&gp.c_csr_we) == 1 {
                            c.csr(m.get_u64(&gp.c_csr_num) as u16, m.get_u64(&gp.c_csr_val));
                        }
                        c.load = mem_rec.0;
                        c.store = mem_rec.1;
                        Event::Retired(c)
                    };
                    // Memory timing, in the reference's order: data access, then the next fetch.
                    if let (Event::Retired(_), Some((kind, addr, d))) = (&e, answer) {
                        let at = place(cfg, h);
                        let s = &mut hm[h];
                        match kind {
                            0 => {
                                let due = match mem.load(at, addr, cycle, m.get_u64(&gp.c_rd) as u8)
                                {
                                    None => cycle + 1 + opts.skew_load_hits,
                                    Some(miss) => cycle + miss,
                                };
                                s.data = Some((due, d));
                            }
                            1 => {
                                let start = s.last_store.max(cycle);
                                s.seq = s.seq.wrapping_add(1);
                                let done = start + mem.store(at, addr, start, s.seq);
                                s.acks.push_back(done);
                                s.last_store = done;
                            }
                            _ => {
                                // The simulator times an AMO/LR/SC at the address its commit
                                // record names; a failed SC records none, so it is timed at
                                // address 0 (`sim/src/core/pipeline.rs`, Class::Atomic). Mirrored
                                // here so that the latencies agree; see docs/rtl.md.
                                let failed_sc = kind == 4 && d != 0;
                                let lat = mem.atomic(at, if failed_sc { 0 } else { addr }, cycle);
                                s.data = Some((cycle + lat, d));
                            }
                        }
                    }
                    rtl_ev.push((h as u32, Some(e)));
                }
                let v = m.get_u64(&p.if_req_valid);
                if v >> (g * tg) & ((1 << tg) - 1) != 0 {
                    let pc = m.get_u64(&gp.if_req_pc);
                    let untimed = m.get_u64(&gp.if_req_untimed) == 1;
                    for t in g * tg..(g + 1) * tg {
                        if v >> t & 1 == 1 {
                            let h = k * threads + t;
                            let due = if untimed {
                                cycle + 1
                            } else {
                                cycle + 1 + mem.fetch(place(cfg, h), pc, cycle + 1)
                            };
                            hm[h].fetch = Some((due, pc));
                        }
                    }
                }
            }
        }
        rtl_time += tr.elapsed().as_secs_f64();
        if trace.as_ref().is_some_and(|r| r.contains(&cycle)) {
            for (h, e) in &ev {
                eprintln!("trace {cycle} sim h{h} {}", describe(e));
            }
            for (h, e) in &rtl_ev {
                eprintln!(
                    "trace {cycle} rtl h{h} {}",
                    e.as_ref().map_or(String::new(), describe)
                );
            }
        }
        // Compare this cycle's issues.
        let n = ev.len().max(rtl_ev.len());
        for i in 0..n {
            let want = ev.get(i);
            let got = rtl_ev.get(i);
            let (h, pc) = match (want, got) {
                (Some((h, Event::Retired(c))), _) => (*h, c.pc),
                (Some((h, Event::Exception { pc, .. })), _) => (*h, *pc),
                (Some((h, _)), _) => (*h, reference.m.harts[*h as usize].pc),
                (None, Some((h, _))) => (*h, 0),
                (None, None) => unreachable!(),
            };
            let mismatch = |field: &str, rtl: String, sim: String| Failure::Mismatch {
                hart: h,
                pc,
                cycle,
                field: field.into(),
                rtl,
                sim,
            };
            let (Some((wh, we)), Some((gh, Some(ge)))) = (want, got) else {
                return Err(mismatch(
                    "issue",
                    got.and_then(|g| g.1.as_ref())
                        .map_or("nothing".into(), |e| {
                            format!("hart {}: {}", got.unwrap().0, describe(e))
                        }),
                    want.map_or("nothing".into(), |w| {
                        format!("hart {}: {}", w.0, describe(&w.1))
                    }),
                ));
            };
            if wh != gh {
                return Err(mismatch("hart", gh.to_string(), wh.to_string()));
            }
            issues += 1;
            match (we, ge) {
                (Event::Retired(w), Event::Retired(g)) => {
                    instructions += 1;
                    let mut g = g.clone();
                    if let (Some((_, 0)), Some(late)) = (g.rd, hm[*gh as usize].late.as_mut()) {
                        if late.3 == cycle {
                            // Fill in the expected late value.
                            if let Some((wr, wv)) = w.rd {
                                if wr == late.0 {
                                    late.1 = wv;
                                    g.rd = w.rd;
                                }
                            }
                        }
                    }
                    if g.pc != w.pc {
                        return Err(mismatch(
                            "pc",
                            format!("{:#x}", g.pc),
                            format!("{:#x}", w.pc),
                        ));
                    }
                    if g.raw != w.raw {
                        return Err(mismatch(
                            "instruction",
                            format!("{:#010x}", g.raw),
                            format!("{:#010x}", w.raw),
                        ));
                    }
                    if g.rd != w.rd {
                        return Err(mismatch(
                            "rd write",
                            format!("{:x?}", g.rd),
                            format!("{:x?}", w.rd),
                        ));
                    }
                    let gc = &g.csrs[..g.ncsr as usize];
                    let wc = &w.csrs[..w.ncsr as usize];
                    if gc != wc {
                        return Err(mismatch(
                            "CSR write",
                            format!("{gc:x?}"),
                            format!("{wc:x?}"),
                        ));
                    }
                    if g.load != w.load {
                        return Err(mismatch(
                            "load address",
                            format!("{:x?}", g.load),
                            format!("{:x?}", w.load),
                        ));
                    }
                    if g.store != w.store {
                        return Err(mismatch(
                            "store",
                            format!("{:x?}", g.store),
                            format!("{:x?}", w.store),
                        ));
                    }
                }
                (w, g) if w == g => {}
                (w, g) => return Err(mismatch("trap", describe(g), describe(w))),
            }
        }
        let (rs, ss) = (rtl.platform.stop, reference.m.platform.stop);
        if rs.is_some() || ss.is_some() {
            if format!("{rs:?}") != format!("{ss:?}") {
                return Err(Failure::Mismatch {
                    hart: 0,
                    pc: 0,
                    cycle,
                    field: "exit".into(),
                    rtl: format!("{rs:?}"),
                    sim: format!("{ss:?}"),
                });
            }
            let code = match rs {
                Some(strand_sim::platform::StopRequest::Exit { code, .. }) => code,
                _ => 125,
            };
            rtl.platform.uart.flush();
            return Ok(Report {
                cycles: cycle + 1,
                instructions,
                issues,
                exit_code: code,
                rtl_seconds: rtl_time,
                ref_seconds: ref_time,
                build_seconds,
            });
        }
        // Clock edge.
        let tr = Instant::now();
        for m in models.iter_mut() {
            m.set_u64(&p.clk, 1);
            m.eval();
        }
        rtl_time += tr.elapsed().as_secs_f64();
        cycle += 1;
    }
}

/// The simulator's own engine on the same run: (cycles, commit log); and the reference
/// model's, for comparison.
pub fn check_engine(cfg: &ChipConfig, elf: &[u8], append: &str) -> Result<EngineCheck, Failure> {
    let log = Shared::default();
    let mut m = machine(cfg, elf, append, Box::new(std::io::sink()))?;
    let mut opts = RunOptions {
        commit_log: Some(CommitLog::new(Box::new(log.clone()))),
        ..RunOptions::default()
    };
    let t = Instant::now();
    let (_, stats) = m.run(&mut opts).map_err(setup)?;
    let engine_seconds = t.elapsed().as_secs_f64();
    drop(opts);
    let engine_log = log.take();
    let rlog = Shared::default();
    let mut commit_log = CommitLog::new(Box::new(rlog.clone()));
    let mut r = Reference::new(machine(cfg, elf, append, Box::new(std::io::sink()))?);
    let mut ev = Vec::new();
    while !r.stopped() {
        ev.clear();
        r.step(&mut ev);
        for (h, e) in &ev {
            if let Event::Retired(c) = e {
                commit_log.record(*h, c).map_err(setup)?;
            }
        }
    }
    commit_log.flush().map_err(setup)?;
    drop(commit_log);
    let ref_log = rlog.take();
    let first_diff = engine_log
        .lines()
        .zip(ref_log.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a.to_string(), b.to_string()));
    Ok(EngineCheck {
        engine_cycles: stats.cycles,
        reference_cycles: r.cycle,
        engine_lines: engine_log.lines().count(),
        reference_lines: ref_log.lines().count(),
        first_diff,
        engine_seconds,
    })
}

/// The simulator's engine against the reference model.
#[derive(Clone, Debug)]
pub struct EngineCheck {
    /// Cycles the engine reports.
    pub engine_cycles: u64,
    /// Cycles of the reference model.
    pub reference_cycles: u64,
    /// Commit-log lines of the engine.
    pub engine_lines: usize,
    /// Commit-log lines of the reference.
    pub reference_lines: usize,
    /// First differing line: (line number, engine, reference).
    pub first_diff: Option<(usize, String, String)>,
    /// Host seconds of the engine's run.
    pub engine_seconds: f64,
}

#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Shared {
    fn take(&self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut *self.0.lock().expect("lock"))).into_owned()
    }
}

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
