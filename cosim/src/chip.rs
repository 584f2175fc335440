//! Chip co-simulation (`strand-cosim --chip`): the whole generated chip top, Verilated, runs
//! the firmware with behavioural HBM behind its AXI4 ports and the simulator's device models
//! behind its host port; its per-core trace ports are checked against the commit log of the
//! simulator's own engine (`Machine::run`) on the same ELF.
//!
//! ```text
//!   ELF ─► Machine (RTL side): DRAM image ─► HbmImage (per channel, ChannelMap's local
//!          │                                  addresses) ─► AxiSlaves ◄─► m<c>_axi_*
//!          └ Platform devices (UART, finisher, empty virtio slots) ◄─► host_req_* / host_resp_*
//!   chip_<cfg>_trace: trace<k>_c_* / lw_* / dw_* ─► per-hart commit sequence ─┐
//!   ELF ─► Machine::run with its commit log (simulator side) ─────────────────┴─► compare
//! ```
//!
//! The chip's timing is not the simulator's (its caches and miss handling differ), so cycles are
//! only reported. The check (docs/rtl.md, "Chip co-simulation (`--chip`)"):
//! 1. both runs end with a finisher write of the same code, and print the same UART output;
//! 2. per hart, the committed instructions (pc, instruction, `rd` and its value, including the
//!    late values of loads, atomics and divides, CSR write) equal the simulator's, up to the
//!    hart's first time-dependent instruction (an access to `cycle`, `time` or `mcycle`, or a
//!    load of the CLINT's `mtime`); after it only the length of the common prefix and the first
//!    difference are reported. A difference before that point fails a single-hart run; with
//!    several harts the interleaving differs (spin loops), so it is only reported.

use crate::axi::{AxiSlaves, AxiStats, HbmImage, SlaveOptions};
use crate::reference::Event;
use crate::verilated::{Library, Model, Port};
use crate::{default_cache, is_divide, setup, CommitPorts, Failure, LatePorts, Shared};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use strand_hw::memmap::{CLINT_BASE, CLINT_MTIME};
use strand_hw::rtl::blocks::chip::chip_mem_params;
use strand_hw::rtl::{Design, ModRef};
use strand_hw::ChipConfig;
use strand_sim::core::Bus;
use strand_sim::platform::StopRequest;
use strand_sim::trace::{Commit, CommitLog};
use strand_sim::{Machine, RunOptions};

/// Options of a chip co-simulation.
#[derive(Clone, Debug)]
pub struct ChipOptions {
    /// Stop the RTL (and the simulator) after this many cycles.
    pub max_cycles: u64,
    /// Where Verilated builds are cached.
    pub cache: PathBuf,
    /// Bootargs (`/chosen/bootargs`).
    pub append: String,
    /// The AXI slaves' latency and random stalls.
    pub axi: SlaveOptions,
    /// Cycles from a host request's handshake to its response (>= 1).
    pub host_latency: u64,
    /// Stop (and fail) when no instruction retired for this many cycles (a hang).
    pub hang_cycles: u64,
    /// Self-test of the comparison: flip bit 0 of the `rd` value of hart 0's `n`-th RTL
    /// instruction that writes one from its commit record (0 = the first), which must be
    /// reported as a difference.
    pub flip_rd: Option<u64>,
}

impl Default for ChipOptions {
    fn default() -> Self {
        ChipOptions {
            max_cycles: 20_000_000,
            cache: default_cache(),
            append: String::new(),
            axi: SlaveOptions::default(),
            host_latency: 2,
            flip_rd: None,
            hang_cycles: 1_000_000,
        }
    }
}

/// The first difference of one hart's commit sequence.
#[derive(Clone, Debug)]
pub struct Diff {
    /// Index in the hart's sequence (0 = its first instruction).
    pub index: u64,
    /// pc (the simulator's).
    pub pc: u64,
    /// What differs.
    pub field: String,
    /// The RTL's value.
    pub rtl: String,
    /// The simulator's value.
    pub sim: String,
}

/// One hart's comparison.
#[derive(Clone, Debug, Default)]
pub struct HartReport {
    /// Hart id.
    pub hart: u32,
    /// Instructions the RTL retired.
    pub rtl: u64,
    /// Instructions in the simulator's log.
    pub sim: u64,
    /// The simulator's first time-dependent instruction: (index, pc, what).
    pub cut: Option<(u64, u64, String)>,
    /// Length of the common prefix (index of the first difference, or the shorter length);
    /// values read from a clock (time-dependent instructions) are not compared.
    pub matched: u64,
    /// The first difference, if any.
    pub diff: Option<Diff>,
    /// Register values that were still in flight at the end (not compared).
    pub unfinished: u64,
    /// pc of the RTL's last retired instruction.
    pub last_pc: Option<u64>,
}

impl HartReport {
    /// Whether the first difference lies before the first time-dependent instruction.
    pub fn strict_difference(&self) -> bool {
        match (&self.diff, &self.cut) {
            (Some(d), Some(c)) => d.index < c.0,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// What a chip co-simulation measured.
#[derive(Clone, Debug, Default)]
pub struct ChipReport {
    /// RTL cycles from reset release to the finisher write's handshake (or the stop).
    pub rtl_cycles: u64,
    /// The simulator's cycles (`Machine::run`).
    pub sim_cycles: u64,
    /// Instructions the RTL retired (all harts).
    pub rtl_instructions: u64,
    /// Instructions in the simulator's commit log.
    pub sim_instructions: u64,
    /// Traps (exceptions, interrupts) the RTL took.
    pub rtl_traps: u64,
    /// The RTL's finisher code (none if it did not exit).
    pub rtl_exit: Option<u64>,
    /// The simulator's exit code.
    pub sim_exit: Option<u64>,
    /// Why the simulator did not exit (its error).
    pub sim_error: Option<String>,
    /// UART output of the RTL run.
    pub rtl_uart: Vec<u8>,
    /// UART output of the simulator run.
    pub sim_uart: Vec<u8>,
    /// Per hart.
    pub harts: Vec<HartReport>,
    /// Why the run failed (empty: passed).
    pub failures: Vec<String>,
    /// Host seconds in the Verilated model and its harness.
    pub rtl_seconds: f64,
    /// Host seconds to generate and build (or load) the model.
    pub build_seconds: f64,
    /// Host seconds of `Machine::run`.
    pub sim_seconds: f64,
    /// AXI traffic.
    pub axi: AxiStats,
    /// Requests on the host port.
    pub host_requests: u64,
    /// Cycles with `host_mmio_err` (an MMIO access to no device).
    pub mmio_errors: u64,
    /// The RTL run stopped at a failure before the firmware exited.
    pub stopped_early: bool,
}

impl ChipReport {
    /// Whether checks 1 and 2 passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The chip top with trace ports (`chip_<cfg>_trace`).
pub fn chip_top(d: &mut Design, cfg: &ChipConfig) -> Result<ModRef, Failure> {
    strand_hw::rtl::blocks::chip::chip_traced(d, cfg).map_err(setup)
}

/// Parse the simulator's commit log (Spike's format, `sim/src/trace/commit_log.rs`) into one
/// sequence per hart.
pub fn parse_commit_log(text: &str, harts: usize) -> Result<Vec<Vec<Commit>>, String> {
    let mut out = vec![Vec::new(); harts];
    let hex = |t: &str| u64::from_str_radix(t.trim_start_matches("0x"), 16);
    for (n, line) in text.lines().enumerate() {
        let bad = || format!("commit log line {}: {line:?}", n + 1);
        let rest = line.strip_prefix("core").ok_or_else(bad)?;
        let (h, rest) = rest.split_once(':').ok_or_else(bad)?;
        let h: usize = h.trim().parse().map_err(|_| bad())?;
        let mut t = rest.split_whitespace().peekable();
        let _priv = t.next();
        let pc = t.next().and_then(|v| hex(v).ok()).ok_or_else(bad)?;
        let raw = t
            .next()
            .and_then(|v| hex(v.trim_matches(|c| c == '(' || c == ')')).ok())
            .ok_or_else(bad)?;
        let mut c = Commit {
            pc,
            raw: raw as u32,
            ..Commit::default()
        };
        let mut csrs = Vec::new();
        while let Some(tok) = t.next() {
            if tok == "mem" {
                let a = t.next().and_then(|v| hex(v).ok()).ok_or_else(bad)?;
                match t.peek() {
                    Some(v) if v.starts_with("0x") => {
                        let v = *v;
                        t.next();
                        let size = (v.len() as u8 - 2) / 2;
                        c.store = Some((a, hex(v).map_err(|_| bad())?, size));
                    }
                    _ => c.load = Some(a),
                }
            } else if let Some(r) = tok.strip_prefix('x') {
                let v = t.next().and_then(|v| hex(v).ok()).ok_or_else(bad)?;
                c.rd = Some((r.parse().map_err(|_| bad())?, v));
            } else if let Some(r) = tok.strip_prefix('c') {
                let num: u16 = r
                    .split('_')
                    .next()
                    .unwrap_or("")
                    .parse()
                    .map_err(|_| bad())?;
                let v = t.next().and_then(|v| hex(v).ok()).ok_or_else(bad)?;
                csrs.push((num, v));
            } else {
                return Err(bad());
            }
        }
        // The log prints CSRs last-written first.
        for (num, v) in csrs.into_iter().rev() {
            c.csr(num, v);
        }
        out.get_mut(h).ok_or_else(bad)?.push(c);
    }
    Ok(out)
}

/// Whether the result of `c` depends on time: an access to `cycle` (0xC00), `time` (0xC01) or
/// `mcycle` (0xB00), or a load of the CLINT's `mtime`. Returns what it is.
pub fn time_dependent(c: &Commit) -> Option<String> {
    let funct3 = c.raw >> 12 & 7;
    if c.raw & 0x7f == 0x73 && funct3 != 0 && funct3 != 4 {
        let csr = c.raw >> 20;
        let name = match csr {
            0xC00 => Some("cycle"),
            0xC01 => Some("time"),
            0xB00 => Some("mcycle"),
            _ => None,
        };
        if let Some(n) = name {
            return Some(format!("access to {n}"));
        }
    }
    let mtime = CLINT_BASE + CLINT_MTIME;
    match c.load {
        Some(a) if (mtime..mtime + 8).contains(&a) => Some("load of mtime".into()),
        _ => None,
    }
}

/// One RTL record waiting for its comparison: (record, waiting for a late value).
type Pending = (Commit, bool);

/// One hart's RTL sequence being compared with the simulator's.
struct Track {
    sim: Vec<Commit>,
    pending: VecDeque<Pending>,
    /// Index of `pending[0]`.
    base: u64,
    /// Absolute indices of the records waiting for a load's / a divide's value.
    late: Option<u64>,
    div: Option<u64>,
    r: HartReport,
}

impl Track {
    fn new(hart: u32, sim: Vec<Commit>) -> Track {
        let cut = sim
            .iter()
            .enumerate()
            .find_map(|(i, c)| time_dependent(c).map(|w| (i as u64, c.pc, w)));
        Track {
            r: HartReport {
                hart,
                sim: sim.len() as u64,
                cut,
                ..HartReport::default()
            },
            sim,
            pending: VecDeque::new(),
            base: 0,
            late: None,
            div: None,
        }
    }

    fn push(&mut self, c: Commit, late: Option<bool>) -> u64 {
        let i = self.base + self.pending.len() as u64;
        match late {
            Some(true) => self.div = Some(i),
            Some(false) => self.late = Some(i),
            None => {}
        }
        self.r.last_pc = Some(c.pc);
        self.pending.push_back((c, late.is_some()));
        self.r.rtl += 1;
        i
    }

    /// A late value for the record at `at`.
    fn fill(&mut self, at: u64, v: u64) {
        if let Some(p) = self.pending.get_mut((at - self.base) as usize) {
            if let Some(rd) = p.0.rd.as_mut() {
                rd.1 = v;
            }
            p.1 = false;
        }
    }

    /// Compare every complete record at the front (all of them, `force`: at the end).
    fn advance(&mut self, force: bool) {
        while let Some((c, waiting)) = self.pending.front() {
            if *waiting && !force {
                break;
            }
            let (c, waiting) = (c.clone(), *waiting);
            self.pending.pop_front();
            let i = self.base;
            self.base += 1;
            if waiting {
                self.r.unfinished += 1;
            }
            if self.r.diff.is_some() {
                continue;
            }
            let Some(w) = self.sim.get(i as usize) else {
                continue; // the simulator's log ended (it stops at its quantum's end)
            };
            let mut rd = c.rd;
            // A value that never arrived, or one read from a clock: compare the register only.
            if waiting || time_dependent(w).is_some() {
                if let (Some(a), Some(b)) = (rd.as_mut(), w.rd) {
                    a.1 = b.1;
                }
            }
            let fields = [
                ("pc", format!("{:#x}", c.pc), format!("{:#x}", w.pc)),
                (
                    "instruction",
                    format!("{:#010x}", c.raw),
                    format!("{:#010x}", w.raw),
                ),
                ("rd write", format!("{rd:x?}"), format!("{:x?}", w.rd)),
                (
                    "CSR write",
                    format!("{:x?}", &c.csrs[..c.ncsr as usize]),
                    format!("{:x?}", &w.csrs[..w.ncsr as usize]),
                ),
            ];
            match fields.into_iter().find(|f| f.1 != f.2) {
                Some((f, a, b)) => {
                    self.r.diff = Some(Diff {
                        index: i,
                        pc: w.pc,
                        field: f.into(),
                        rtl: a,
                        sim: b,
                    })
                }
                None => self.r.matched += 1,
            }
        }
    }
}

/// The host port (`host_req_*`, `host_resp_*`) served by the simulator's devices.
struct Host {
    valid: Port,
    ready: Port,
    write: Port,
    addr: Port,
    wdata: Port,
    size: Port,
    resp_valid: Port,
    resp_data: Port,
    err: Option<Port>,
    /// The answer in flight: (due cycle, data).
    busy: Option<(u64, u64)>,
    shown: bool,
    /// Cycles from a request's handshake to its response.
    latency: u64,
}

fn find(lib: &Library, name: &str) -> Option<Port> {
    lib.ports
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.clone())
}

fn need(lib: &Library, name: &str) -> Result<Port, Failure> {
    find(lib, name).ok_or_else(|| {
        Failure::Setup(format!(
            "the chip top {} has no port {name}",
            lib.dir.display()
        ))
    })
}

/// Co-simulate `elf` on the whole chip of `cfg`. The RTL side's console goes to `console`.
/// `Err` only when the run could not be set up; a failed check is in [`ChipReport::failures`].
pub fn chip_cosim(
    cfg: &ChipConfig,
    elf: &[u8],
    opts: &ChipOptions,
    console: Box<dyn Write + Send>,
) -> Result<ChipReport, Failure> {
    let nharts = cfg.harts() as usize;
    let threads = cfg.core.threads as usize;
    let groups = cfg.core.thread_groups as usize;
    let tg = threads / groups;
    let mut rep = ChipReport::default();
    // The simulator's side: Machine::run with its commit log.
    let log = Shared::default();
    let mut sm = Machine::new(cfg.clone(), Box::new(std::io::sink())).map_err(setup)?;
    sm.load(elf, &opts.append).map_err(setup)?;
    let mut ro = RunOptions {
        commit_log: Some(CommitLog::new(Box::new(log.clone()))),
        max_cycles: opts.max_cycles,
        ..RunOptions::default()
    };
    let t = Instant::now();
    match sm.run(&mut ro) {
        Ok((exit, stats)) => {
            rep.sim_cycles = stats.cycles;
            rep.sim_exit = Some(exit.code);
        }
        Err(e) => rep.sim_error = Some(e.to_string()),
    }
    rep.sim_seconds = t.elapsed().as_secs_f64();
    drop(ro);
    rep.sim_uart = sm.platform.uart.captured.clone();
    let sim_logs = parse_commit_log(&log.take(), nharts).map_err(Failure::Setup)?;
    rep.sim_instructions = sim_logs.iter().map(|l| l.len() as u64).sum();
    let mut tracks: Vec<Track> = sim_logs
        .into_iter()
        .enumerate()
        .map(|(h, l)| Track::new(h as u32, l))
        .collect();
    drop(sm);

    // The RTL's side: the image in HBM, the devices on the host port.
    let mut rm = Machine::new(cfg.clone(), console).map_err(setup)?;
    let prog = rm.load(elf, &opts.append).map_err(setup)?;
    let mp = chip_mem_params(cfg);
    let mut image = HbmImage::new(mp.channels, mp.interleave);
    for s in &prog.segments {
        image.load(s.addr, &s.data);
    }
    let dtb = rm.dtb_addr;
    let dram = &rm.platform.dram;
    let fdt_size = dram
        .slice(dtb + 4, 4)
        .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")))
        .ok_or_else(|| Failure::Setup("no device tree in DRAM".into()))?;
    image.load(
        dtb,
        dram.slice(dtb, u64::from(fdt_size))
            .ok_or_else(|| Failure::Setup("the device tree overruns DRAM".into()))?,
    );
    let entry = prog.entry;

    let t = Instant::now();
    let mut d = Design::for_preset(&cfg.name, "build/rtl");
    let top = chip_top(&mut d, cfg)?;
    let lib = Library::build(&d, &top, &opts.cache).map_err(Failure::Setup)?;
    rep.build_seconds = t.elapsed().as_secs_f64();
    let mut axi = AxiSlaves::new(&lib, &mp, image, opts.axi).map_err(Failure::Setup)?;
    let clk = need(&lib, "clk")?;
    let rst = need(&lib, "rst")?;
    let reset_pc = need(&lib, "reset_pc")?;
    let dtb_port = need(&lib, "dtb")?;
    let mut host = Host {
        valid: need(&lib, "host_req_valid")?,
        ready: need(&lib, "host_req_ready")?,
        write: need(&lib, "host_req_write")?,
        addr: need(&lib, "host_req_addr")?,
        wdata: need(&lib, "host_req_wdata")?,
        size: need(&lib, "host_req_size")?,
        resp_valid: need(&lib, "host_resp_valid")?,
        resp_data: need(&lib, "host_resp_data")?,
        err: find(&lib, "host_mmio_err"),
        busy: None,
        shown: false,
        latency: opts.host_latency.max(1),
    };
    let cores = cfg.cores() as usize;
    let mut commit_ports: Vec<Vec<CommitPorts>> = Vec::new();
    let mut late_ports: Vec<LatePorts> = Vec::new();
    for k in 0..cores {
        for p in ["c_valid", "lw_valid", "dw_valid"] {
            let name = if groups == 1 || p != "c_valid" {
                format!("trace{k}_{p}")
            } else {
                format!("trace{k}_g0_{p}")
            };
            need(&lib, &name)?;
        }
        commit_ports.push(
            (0..groups)
                .map(|g| {
                    CommitPorts::of(&lib, |n| {
                        if groups == 1 {
                            format!("trace{k}_{n}")
                        } else {
                            format!("trace{k}_g{g}_{n}")
                        }
                    })
                })
                .collect(),
        );
        late_ports.push(LatePorts::of(&lib, |n| format!("trace{k}_{n}")));
    }
    let mut late_w: Vec<_> = late_ports.iter().map(|l| l.scratch()).collect();
    let mut m = lib.instance();
    let single = nharts == 1;
    let mut rd_writes = 0u64;
    let mut last_commit = 0u64;

    let t = Instant::now();
    m.set_u64(&reset_pc, entry);
    m.set_u64(&dtb_port, dtb);
    let mut cycle: u64 = 0;
    let mut stop = None;
    let mut stopped_early = false;
    // Reset: 4 cycles with rst high, the slaves idle.
    for r in 0..5u64 {
        m.set_u64(&rst, u64::from(r < 4));
        m.set_u64(&clk, 0);
        axi.drive(&mut m, 0);
        host.drive(&mut m, 0);
        m.eval();
        if r < 4 {
            m.set_u64(&clk, 1);
            m.eval();
        }
    }
    loop {
        if cycle > 0 {
            m.set_u64(&clk, 0);
            axi.drive(&mut m, cycle);
            host.drive(&mut m, cycle);
            m.eval();
        }
        // Trace ports: late values first (they belong to earlier records), then commits.
        for k in 0..cores {
            let lp = &late_ports[k];
            lp.read_loads(&m, &mut late_w[k]);
            for t in 0..threads {
                if let Some(v) = late_w[k].load(t) {
                    let tr = &mut tracks[k * threads + t];
                    match tr.late.take() {
                        Some(at) => tr.fill(at, v),
                        None => rep.failures.push(format!(
                            "hart {}: a late register write ({v:#x}) at cycle {cycle} with no load or atomic waiting",
                            k * threads + t
                        )),
                    }
                }
            }
            if let Some((tid, rd, v)) = lp.divide(&m) {
                let h = k * threads + tid;
                let tr = &mut tracks[h];
                match tr.div.take() {
                    Some(at) => tr.fill(at, v),
                    None => rep.failures.push(format!(
                        "hart {h}: a divider write of x{rd} ({v:#x}) at cycle {cycle} with no divide waiting"
                    )),
                }
            }
            for (g, cp) in commit_ports[k].iter().enumerate() {
                let Some(rec) = cp.read(&m) else { continue };
                let h = k * threads + g * tg + rec.tid;
                let Some(tr) = tracks.get_mut(h) else {
                    rep.failures
                        .push(format!("core {k}: commit record of thread {}", rec.tid));
                    continue;
                };
                match rec.event {
                    Event::Retired(mut c) => {
                        if c.rd.is_some_and(|r| r.0 == 0) {
                            c.rd = None;
                        }
                        let late = rec.late.then(|| is_divide(c.raw));
                        if rec.late && rec.rd != 0 {
                            c.rd = Some((rec.rd, 0));
                        } else if let (0, Some(rd)) = (h, c.rd.as_mut()) {
                            if opts.flip_rd == Some(rd_writes) {
                                rd.1 ^= 1;
                            }
                            rd_writes += 1;
                        }
                        tr.push(c, late);
                        last_commit = cycle;
                    }
                    _ => rep.rtl_traps += 1,
                }
            }
        }
        axi.sample(&m, cycle);
        if let Some(e) = host.err.as_ref() {
            if m.get_u64(e) == 1 {
                rep.mmio_errors += 1;
            }
        }
        if let Some(code) = host.sample(&m, cycle, &mut rm, &mut rep)? {
            stop = Some(code);
        }
        m.set_u64(&clk, 1);
        m.eval();
        cycle += 1;
        let mut strict = false;
        for tr in &mut tracks {
            tr.advance(false);
            strict |= single && tr.r.strict_difference();
        }
        if let Some(e) = axi.error.take() {
            rep.failures.push(format!("AXI: {e}"));
            stopped_early = true;
        }
        if strict || (single && !rep.failures.is_empty()) {
            stopped_early = true;
        }
        if stop.is_some() || stopped_early {
            break;
        }
        if opts.hang_cycles > 0 && cycle - last_commit >= opts.hang_cycles {
            // The tiles' sequencer and home-agent states (`dbg<tile>_*` ports) say where.
            let states: Vec<String> = lib
                .ports
                .iter()
                .filter(|(n, _)| n.starts_with("dbg"))
                .map(|(n, p)| format!("{n}={}", m.get_u64(p)))
                .collect();
            rep.failures.push(format!(
                "no instruction retired in {} cycles (cycle {cycle}): the RTL hangs ({})",
                opts.hang_cycles,
                states.join(" ")
            ));
            break;
        }
        if cycle >= opts.max_cycles {
            rep.failures
                .push(format!("the RTL did not exit within {cycle} cycles"));
            break;
        }
    }
    rep.rtl_seconds = t.elapsed().as_secs_f64();
    rep.rtl_cycles = cycle;
    rep.rtl_exit = stop;
    rep.stopped_early = stopped_early;
    rep.axi = axi.stats;
    rm.platform.uart.flush();
    rep.rtl_uart = rm.platform.uart.captured.clone();
    for tr in &mut tracks {
        tr.advance(true);
    }
    rep.rtl_instructions = tracks.iter().map(|t| t.r.rtl).sum();
    rep.harts = tracks.into_iter().map(|t| t.r).collect();
    // Check 1: the exits and the UART output.
    match (rep.sim_exit, rep.rtl_exit) {
        (Some(s), Some(r)) if s == r => {}
        (s, r) => {
            let f = format!(
                "exit: RTL {}, simulator {}",
                r.map_or("none".to_string(), |c| format!("code {c}")),
                s.map_or_else(
                    || rep.sim_error.clone().unwrap_or_default(),
                    |c| format!("code {c}")
                )
            );
            rep.failures.push(f);
        }
    }
    if without_perf(&rep.rtl_uart) != without_perf(&rep.sim_uart) && !stopped_early {
        rep.failures
            .push("UART output differs (other than its `perf:` lines)".into());
    }
    // Check 2: single hart, no difference before the first time-dependent instruction.
    if single {
        for h in &rep.harts {
            if h.strict_difference() {
                let d = h.diff.as_ref().expect("a difference");
                rep.failures.push(format!(
                    "hart {}: instruction {} (pc {:#x}, before the first time-dependent one): {}: RTL {}, simulator {}",
                    h.hart, d.index, d.pc, d.field, d.rtl, d.sim
                ));
            }
        }
    }
    Ok(rep)
}

impl Host {
    fn drive(&mut self, m: &mut Model<'_>, cycle: u64) {
        m.set_u64(&self.ready, u64::from(self.busy.is_none()));
        let (v, d) = match self.busy {
            Some((due, d)) if due <= cycle => (1, d),
            _ => (0, 0),
        };
        self.shown = v == 1;
        m.set_u64(&self.resp_valid, v);
        m.set_u64(&self.resp_data, d);
    }

    /// The coming edge's handshakes; the finisher's code when it asks to stop.
    fn sample(
        &mut self,
        m: &Model<'_>,
        cycle: u64,
        rm: &mut Machine,
        rep: &mut ChipReport,
    ) -> Result<Option<u64>, Failure> {
        if self.shown {
            self.busy = None;
            self.shown = false;
            return Ok(None);
        }
        if self.busy.is_some() || m.get_u64(&self.valid) != 1 {
            return Ok(None);
        }
        rep.host_requests += 1;
        let addr = m.get_u64(&self.addr);
        let size = 1u8 << m.get_u64(&self.size);
        let pl = &mut rm.platform;
        pl.cycle = cycle;
        let (data, what) = if m.get_u64(&self.write) == 1 {
            let v = m.get_u64(&self.wdata);
            (pl.store(0, addr, size, v).map(|()| 0), "store")
        } else {
            (pl.load(0, addr, size), "load")
        };
        let data = data.unwrap_or_else(|_| {
            rep.failures.push(format!(
                "host port: {what} of {size} bytes at {addr:#x} (cycle {cycle}) faulted in the simulator's devices"
            ));
            0
        });
        self.busy = Some((cycle + self.latency, data));
        Ok(match pl.stop.take() {
            Some(StopRequest::Exit { code, .. }) => Some(code),
            Some(StopRequest::Reset { .. }) => {
                rep.failures
                    .push(format!("the firmware asked for a reset at cycle {cycle}"));
                Some(u64::MAX)
            }
            None => None,
        })
    }
}

/// UART output without its `perf:` lines (the firmware's timing reports, docs/firmware.md:
/// every other line is deterministic for a given hart count and bootargs).
pub fn without_perf(out: &[u8]) -> Vec<u8> {
    out.split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"perf:"))
        .flatten()
        .copied()
        .collect()
}

/// Print `r` (stderr format of `strand-cosim --chip`).
pub fn summary(r: &ChipReport, nharts: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "policy        cycles are only reported (the chip's timing is not the simulator's); pass = same finisher code and UART output (but its `perf:` lines), and{}",
        if nharts == 1 {
            " (one hart) the commit sequence identical up to the first time-dependent instruction (cycle/time/mcycle, mtime load)"
        } else {
            " (several harts: interleavings differ) per-hart sequences reported only"
        }
    );
    let exit = |c: Option<u64>| c.map_or("none".to_string(), |c| c.to_string());
    let _ = writeln!(
        s,
        "exit          RTL {}, simulator {}",
        exit(r.rtl_exit),
        r.sim_exit.map_or_else(
            || r.sim_error.clone().unwrap_or_default(),
            |c| c.to_string()
        )
    );
    let _ = writeln!(
        s,
        "uart          {} ({} bytes RTL, {} simulator)",
        if r.rtl_uart == r.sim_uart {
            "identical"
        } else if r.stopped_early {
            "not compared (the RTL run stopped at the first failure)"
        } else if without_perf(&r.rtl_uart) == without_perf(&r.sim_uart) {
            "identical except the `perf:` lines (timing)"
        } else {
            "DIFFERENT"
        },
        r.rtl_uart.len(),
        r.sim_uart.len()
    );
    if without_perf(&r.rtl_uart) != without_perf(&r.sim_uart) && !r.stopped_early {
        let _ = writeln!(
            s,
            "  RTL:       {:?}\n  simulator: {:?}",
            String::from_utf8_lossy(&r.rtl_uart),
            String::from_utf8_lossy(&r.sim_uart)
        );
    }
    for h in &r.harts {
        let cut = match &h.cut {
            Some((i, pc, w)) => format!("time-dependent from #{i} (pc {pc:#x}, {w})"),
            None => "no time-dependent instruction".into(),
        };
        let diff = match &h.diff {
            Some(d) => format!(
                "first difference at #{} pc {:#x}: {}: RTL {}, simulator {}{}",
                d.index,
                d.pc,
                d.field,
                d.rtl,
                d.sim,
                if h.strict_difference() {
                    " (BEFORE the time-dependent point)"
                } else {
                    " (after the time-dependent point)"
                }
            ),
            None => "no difference".into(),
        };
        let _ = writeln!(
            s,
            "hart {:<8} RTL {} / simulator {} instructions, {} matched{}; {cut}; {diff}{}",
            h.hart,
            h.rtl,
            h.sim,
            h.matched,
            h.last_pc
                .map_or(String::new(), |pc| format!(" (RTL's last pc {pc:#x})")),
            if h.unfinished > 0 {
                format!("; {} late values still in flight at the end", h.unfinished)
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        s,
        "cycles        RTL {}, simulator {} (instructions: RTL {}, simulator {}; RTL traps {})",
        r.rtl_cycles, r.sim_cycles, r.rtl_instructions, r.sim_instructions, r.rtl_traps
    );
    let _ = writeln!(
        s,
        "memory        AXI {} read / {} write bursts ({} R / {} W beats); host port {} requests; {} MMIO errors",
        r.axi.reads, r.axi.writes, r.axi.r_beats, r.axi.w_beats, r.host_requests, r.mmio_errors
    );
    let _ = writeln!(
        s,
        "host time     build/load {:.2} s, Verilator {:.2} s = {:.0} cycles/s, Machine::run {:.3} s",
        r.build_seconds,
        r.rtl_seconds,
        r.rtl_cycles as f64 / r.rtl_seconds.max(1e-9),
        r.sim_seconds
    );
    for f in &r.failures {
        let _ = writeln!(s, "FAIL          {f}");
    }
    let _ = writeln!(
        s,
        "result        {}",
        if r.passed() { "PASS" } else { "FAIL" }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(pc: u64, raw: u32) -> Commit {
        Commit {
            pc,
            raw,
            ..Commit::default()
        }
    }

    #[test]
    fn commit_log_round_trip() {
        let mut a = commit(0x8000_0000, 0x0000_0297);
        a.rd = Some((5, 0x8000_0000));
        let mut b = commit(0x8000_0004, 0x00b5_3423);
        b.store = Some((0x8000_1008, 1, 8));
        let mut c = commit(0x8000_0008, 0x3052_9073);
        c.rd = Some((11, 7));
        c.csr(0x300, 0x1888);
        c.csr(0x305, 0x8000_0100);
        let mut d = commit(0x8000_000c, 0x0005_3503);
        d.rd = Some((10, 0xffff_ffff_ffff_fff0));
        d.load = Some(0x200_bff8);
        let mut e = commit(0x8000_0010, 0x0cb5_252f);
        e.rd = Some((10, 3));
        e.load = Some(0x8000_2000);
        e.store = Some((0x8000_2000, 0xab, 4));
        let buf = Shared::default();
        let mut log = CommitLog::new(Box::new(buf.clone()));
        for (h, x) in [(0, &a), (3, &b), (0, &c), (3, &d), (1, &e)] {
            log.record(h, x).unwrap();
        }
        log.flush().unwrap();
        drop(log);
        let per = parse_commit_log(&buf.take(), 4).unwrap();
        assert_eq!(per[0], vec![a.clone(), c.clone()]);
        assert_eq!(per[1], vec![e]);
        assert!(per[2].is_empty());
        assert_eq!(per[3], vec![b, d.clone()]);
        assert!(parse_commit_log("core   9: 3 0x0 (0x0)\n", 4).is_err());
        assert!(parse_commit_log("garbage\n", 1).is_err());
        assert_eq!(
            without_perf(b"a\nperf: 12 cycles\nb\nperf: x"),
            b"a\nb\n".to_vec()
        );
        assert_eq!(time_dependent(&d).as_deref(), Some("load of mtime"));
        assert_eq!(time_dependent(&a), None);
        assert_eq!(time_dependent(&c), None);
        // rdcycle a0, rdtime a0, csrr a0, mcycle; csrr a0, minstret is not.
        for (raw, what) in [
            (0xc000_2573u32, Some("access to cycle")),
            (0xc010_2573, Some("access to time")),
            (0xb000_2573, Some("access to mcycle")),
            (0xb020_2573, None),
        ] {
            assert_eq!(time_dependent(&commit(0, raw)).as_deref(), what, "{raw:#x}");
        }
    }

    #[test]
    fn track_policy() {
        let sim: Vec<Commit> = (0..6)
            .map(|i| {
                let mut c = commit(0x8000_0000 + 4 * i, 0x13);
                if i == 3 {
                    c.raw = 0xc010_2573; // rdtime a0
                    c.rd = Some((10, 1000));
                }
                if i == 4 {
                    c.rd = Some((11, 1));
                }
                c
            })
            .collect();
        let mut t = Track::new(0, sim.clone());
        assert_eq!(t.r.cut.as_ref().map(|c| c.0), Some(3));
        // A load whose value arrives later, then the rest.
        let mut l = sim[0].clone();
        l.rd = Some((10, 0));
        let at = t.push(l, Some(false));
        t.push(sim[1].clone(), None);
        t.advance(false);
        assert_eq!(t.r.matched, 0, "waits for the late value");
        t.fill(at, 0);
        t.advance(false);
        // sim[0] has no rd: the RTL's late rd write is a difference at #0.
        assert_eq!(t.r.diff.as_ref().map(|d| d.index), Some(0));
        assert!(t.r.strict_difference());
        // The clock's value is not compared; a value derived from it is, after the cut.
        let mut t = Track::new(0, sim.clone());
        for (i, c) in sim.iter().enumerate() {
            let mut c = c.clone();
            if i == 3 {
                c.rd = Some((10, 2000));
            }
            if i == 4 {
                c.rd = Some((11, 2));
            }
            t.push(c, None);
        }
        t.push(commit(0x9000_0000, 0x13), None); // beyond the simulator's log
        t.advance(true);
        assert_eq!(t.r.matched, 4);
        let d = t.r.diff.as_ref().expect("the derived value differs");
        assert_eq!((d.index, d.field.as_str()), (4, "rd write"));
        assert!(!t.r.strict_difference());
        assert_eq!(t.r.rtl, 7);
    }
}
