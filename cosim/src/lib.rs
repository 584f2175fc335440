//! Co-simulation of the generated core RTL against the simulator.
//!
//! ```text
//!            ┌────────────── strand-cosim ──────────────┐
//!  ELF ──►   │ RTL side: Verilated core(s)  ◄── memory: │ functional: the simulator's Platform,
//!            │   (one model per core)           ports   │   per-tile store overlays, deferred
//!            │                                          │   accesses at the quantum's end
//!            │                                          │ timing: the simulator's Hierarchy
//!            │ reference: the simulator's engine,       │   (TileMem during a quantum, PENDING
//!            │   quantum by quantum, every issue with   │   answers and deferred issues at its
//!            │   its cycle                              │   end)
//!            └─── compare every issue: hart, pc, insn, rd write, CSR write, mem, trap, cycle ─┘
//! ```
//!
//! The reference runs one quantum of the engine (`docs/pipeline.md`, "Quanta"); the RTL then
//! runs the cycles up to that quantum's end, with its memory side following the engine's rules
//! on its own instances of the platform and hierarchy: loads and stores within DRAM use the
//! tile's view (DRAM as of the quantum's start patched with the tile's own stores) and the
//! tile's caches; answers that need a home slice ([`PENDING`]) arrive when the quantum's end
//! resolves them; an issue the engine defers (AMO, LR/SC, FENCE after the hart's stores of the
//! quantum, device access, `tohost`) is performed at the quantum's end in `(cycle, hart)` order
//! with the timing of its cycle, and its data and next fetch arrive no earlier than that end.
//! Then both sides' issues of the quantum must be the same, in the same cycles, with the same
//! architectural effects; the run stops at the first difference and names hart, pc, cycle and
//! the differing field. A load's or atomic's register value reaches the RTL register file when
//! memory answers; it is checked then against the reference's.
//!
//! [`check_engine`] also runs the simulator's own engine (`Machine::run`) and compares its
//! commit log and cycle count with the reference's.

pub mod axi;
pub mod chip;
pub mod reference;
pub mod verilated;

use reference::{defers, place, Event, Overlay, Reference};
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use strand_hw::memmap::{
    CLINT_BASE, CLINT_SIZE, FINISHER_BASE, FINISHER_SIZE, UART_BASE, UART_SIZE, VIRTIO_BASE,
    VIRTIO_SLOTS, VIRTIO_STRIDE,
};
use strand_hw::rtl::core::{core, CoreParams};
use strand_hw::rtl::Design;
use strand_hw::ChipConfig;
use strand_sim::cache::hierarchy::Hierarchy;
use strand_sim::cache::tile::{WaitOn, PENDING};
use strand_sim::core::pipeline::MemPort;
use strand_sim::core::{AmoOp, Bus};
use strand_sim::platform::Platform;
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
    /// Times a thread's `st_ack` acknowledged more than one store in a cycle (stores complete
    /// independently; an entry leaves the buffer when it and every older one have completed).
    pub acks_together: u64,
    /// Divide results the core's iterative divider wrote back (each checked against the
    /// reference's value).
    pub divides: u64,
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
    late: LatePorts,
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
    /// The commit record.
    c: CommitPorts,
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
                    c: CommitPorts::of(l, |name| {
                        if groups == 1 {
                            name.to_string()
                        } else {
                            format!("g{g}_{name}")
                        }
                    }),
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
            late: LatePorts::of(l, str::to_string),
            g,
        }
    }
}

/// The commit-record ports of one thread group (`c_*` of docs/rtl.md, "The core", "Ports"),
/// shared by the core co-simulation and the chip's trace ports (`trace<k>_c_*`).
pub struct CommitPorts {
    valid: Port,
    tid: Port,
    pc: Port,
    insn: Port,
    trap: Port,
    cause: Port,
    tval: Port,
    rd_we: Port,
    late: Port,
    rd: Port,
    rd_val: Port,
    csr_we: Port,
    csr_num: Port,
    csr_val: Port,
}

/// One decoded commit record.
#[derive(Clone, Debug)]
pub struct CommitRecord {
    /// Thread within the group (`c_tid`).
    pub tid: usize,
    /// pc of the instruction (or of the trapping instruction).
    pub pc: u64,
    /// Destination register (`c_rd`).
    pub rd: u8,
    /// The register value arrives later (`lw_*` for loads and atomics, `dw_*` for divides).
    pub late: bool,
    /// The issue: a retired instruction with its `rd` write (`c_rd_we`/`c_rd_val`; a late
    /// value is not in it) and CSR write, or a trap. No memory addresses (the core's data
    /// request carries them, not the commit record).
    pub event: Event,
}

impl CommitPorts {
    /// The ports called `name("c_valid")`, `name("c_tid")`, ...
    pub fn of(l: &Library, name: impl Fn(&str) -> String) -> CommitPorts {
        let n = |p: &str| l.port(&name(p));
        CommitPorts {
            valid: n("c_valid"),
            tid: n("c_tid"),
            pc: n("c_pc"),
            insn: n("c_insn"),
            trap: n("c_trap"),
            cause: n("c_cause"),
            tval: n("c_tval"),
            rd_we: n("c_rd_we"),
            late: n("c_late"),
            rd: n("c_rd"),
            rd_val: n("c_rd_val"),
            csr_we: n("c_csr_we"),
            csr_num: n("c_csr_num"),
            csr_val: n("c_csr_val"),
        }
    }

    /// This cycle's commit record, if `c_valid`.
    pub fn read(&self, m: &Model<'_>) -> Option<CommitRecord> {
        if m.get_u64(&self.valid) != 1 {
            return None;
        }
        let pc = m.get_u64(&self.pc);
        let rd = m.get_u64(&self.rd) as u8;
        let late = m.get_u64(&self.late) == 1;
        let event = if m.get_u64(&self.trap) == 1 {
            let cause = m.get_u64(&self.cause);
            if cause >> 63 == 1 {
                Event::Interrupt(cause)
            } else {
                Event::Exception {
                    cause,
                    tval: m.get_u64(&self.tval),
                    pc,
                }
            }
        } else {
            let mut c = Commit {
                pc,
                raw: m.get_u64(&self.insn) as u32,
                ..Commit::default()
            };
            if m.get_u64(&self.rd_we) == 1 {
                c.rd = Some((rd, m.get_u64(&self.rd_val)));
            }
            if m.get_u64(&self.csr_we) == 1 {
                c.csr(m.get_u64(&self.csr_num) as u16, m.get_u64(&self.csr_val));
            }
            Event::Retired(c)
        };
        Some(CommitRecord {
            tid: m.get_u64(&self.tid) as usize,
            pc,
            rd,
            late,
            event,
        })
    }
}

/// The late register-write ports of one core: `lw_valid`/`lw_data` (one lane per thread:
/// loads and atomics) and `dw_valid`/`dw_tid`/`dw_rd`/`dw_data` (the divider).
pub struct LatePorts {
    lw_valid: Port,
    lw_data: Port,
    dw_valid: Port,
    dw_tid: Port,
    dw_rd: Port,
    dw_data: Port,
}

/// Scratch words for [`LatePorts::read_loads`].
pub struct LateWords {
    valid: Vec<u32>,
    data: Vec<u32>,
}

impl LateWords {
    /// Thread `t`'s late load value this cycle, if any.
    pub fn load(&self, t: usize) -> Option<u64> {
        bits(&self.valid, t as u32).then(|| lane64(&self.data, t))
    }
}

impl LatePorts {
    /// The ports called `name("lw_valid")`, ...
    pub fn of(l: &Library, name: impl Fn(&str) -> String) -> LatePorts {
        let n = |p: &str| l.port(&name(p));
        LatePorts {
            lw_valid: n("lw_valid"),
            lw_data: n("lw_data"),
            dw_valid: n("dw_valid"),
            dw_tid: n("dw_tid"),
            dw_rd: n("dw_rd"),
            dw_data: n("dw_data"),
        }
    }

    /// Scratch words sized for these ports.
    pub fn scratch(&self) -> LateWords {
        LateWords {
            valid: vec![0; self.lw_valid.width.div_ceil(32) as usize],
            data: vec![0; self.lw_data.width.div_ceil(32) as usize],
        }
    }

    /// Read this cycle's late load values into `w` (then [`LateWords::load`]).
    pub fn read_loads(&self, m: &Model<'_>, w: &mut LateWords) {
        m.get(&self.lw_valid, &mut w.valid);
        if w.valid.iter().any(|&v| v != 0) {
            m.get(&self.lw_data, &mut w.data);
        }
    }

    /// This cycle's divider result, if any: (thread, rd, value).
    pub fn divide(&self, m: &Model<'_>) -> Option<(usize, u8, u64)> {
        (m.get_u64(&self.dw_valid) == 1).then(|| {
            (
                m.get_u64(&self.dw_tid) as usize,
                m.get_u64(&self.dw_rd) as u8,
                m.get_u64(&self.dw_data),
            )
        })
    }
}

/// Per-hart memory-side state of the RTL.
#[derive(Clone, Debug, Default)]
struct HartMem {
    /// Fetch answer due: (cycle or [`PENDING`], pc).
    fetch: Option<(u64, u64)>,
    /// Data answer due: (cycle or [`PENDING`], raw data).
    data: Option<(u64, u64)>,
    /// Store-buffer entries: (sequence number, completion cycle or [`PENDING`]), oldest first.
    /// An entry is acknowledged when it and every older one have completed.
    acks: VecDeque<(u32, u64)>,
    seq: u32,
    /// A late register value to check: (rd, expected value if the reference has one, pc,
    /// issue cycle).
    late: Option<(u8, Option<u64>, u64, u64)>,
    /// The same for a divide in flight (its result comes from the core's divider, `dw_*`).
    div_late: Option<(u8, Option<u64>, u64, u64)>,
    /// The hart's integer registers as the RTL's commit records and late writes set them (for
    /// the engine's deferral rule, which reads `rs1`).
    x: [u64; 32],
}

/// A data access the RTL requested.
#[derive(Clone, Copy, Debug)]
struct DataReq {
    kind: u8,
    addr: u64,
    size: u8,
    wdata: u64,
    amo: u64,
}

/// An RTL issue that, by the engine's rule, waits for the quantum's end.
#[derive(Clone, Copy, Debug)]
struct Deferred {
    cycle: u64,
    hart: u32,
    /// The data access (none when it faulted or there is none: FENCE, trap).
    req: Option<DataReq>,
    /// Destination register (loads).
    rd: u8,
    /// The next fetch's pc, if the RTL requested one.
    fetch: Option<u64>,
    /// Index of the issue's event in the window.
    event: usize,
}

fn sext(v: u64, size: u8) -> u64 {
    match size {
        1 => v as i8 as i64 as u64,
        2 => v as i16 as i64 as u64,
        4 => v as i32 as i64 as u64,
        _ => v,
    }
}

/// Compare a register value the RTL wrote late (memory answered, the divider finished) with
/// the reference's value of the instruction issued at `at`.
#[allow(clippy::too_many_arguments)]
fn late_value(
    h: usize,
    rd: u8,
    want: Option<u64>,
    got: u64,
    pc: u64,
    at: u64,
    when: &str,
    cycle: u64,
) -> Result<(), Failure> {
    match want {
        Some(w) if w != got => Err(Failure::Mismatch {
            hart: h as u32,
            pc,
            cycle: at,
            field: format!("x{rd} (written when {when} at cycle {cycle})"),
            rtl: format!("{got:#x}"),
            sim: format!("{w:#x}"),
        }),
        _ => Ok(()),
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

/// RV64M DIV, DIVU, REM, REMU and their W forms (the core's late `rd` from the divider).
fn is_divide(raw: u32) -> bool {
    matches!(raw & 0x7f, 0x33 | 0x3b) && raw >> 25 == 1 && (raw >> 12 & 7) >= 4
}

fn bits(words: &[u32], i: u32) -> bool {
    words[(i / 32) as usize] >> (i % 32) & 1 == 1
}

fn lane64(words: &[u32], i: usize) -> u64 {
    u64::from(words[2 * i]) | u64::from(words[2 * i + 1]) << 32
}

/// Set bits `[lo, lo + w)` of `words` to `v` (w <= 32).
fn set_field(words: &mut [u32], lo: u32, w: u32, v: u64) {
    for b in 0..w {
        if v >> b & 1 == 1 {
            let i = lo + b;
            words[(i / 32) as usize] |= 1 << (i % 32);
        }
    }
}

/// `now + lat`, keeping [`PENDING`].
fn after(now: u64, lat: u64) -> u64 {
    if lat == PENDING {
        PENDING
    } else {
        now + lat
    }
}

/// Whether a device access (deferred to the quantum's end) will fault, decided now from the
/// platform's address map without performing it: AMO/LR/SC outside DRAM; loads and stores
/// to no device, or to a CLINT register that does not exist at that size.
fn deferred_faults(pl: &Platform, kind: u8, addr: u64, size: u8) -> bool {
    let in_dram = pl.dram.offset(addr, u64::from(size)).is_some();
    if kind >= 2 || in_dram {
        return !in_dram;
    }
    let within = |base: u64, len: u64| (base..base + len).contains(&addr);
    if within(UART_BASE, UART_SIZE)
        || within(FINISHER_BASE, FINISHER_SIZE)
        || within(VIRTIO_BASE, VIRTIO_STRIDE * VIRTIO_SLOTS)
    {
        return false;
    }
    if within(CLINT_BASE, CLINT_SIZE) {
        return pl.clint.read(addr - CLINT_BASE, size, pl.cycle).is_none();
    }
    true
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

/// The first difference between the RTL's issues and the reference's in one window of cycles
/// (both in `(cycle, hart)` order).
fn compare(
    rtl: &[(u64, u32, Event)],
    want: &[(u64, u32, Event)],
    pc_of: impl Fn(u32) -> u64,
) -> Result<(), Failure> {
    let n = rtl.len().max(want.len());
    for i in 0..n {
        let (w, g) = (want.get(i), rtl.get(i));
        let (cycle, h, pc) = match (w, g) {
            (Some((c, h, Event::Retired(x))), _) => (*c, *h, x.pc),
            (Some((c, h, Event::Exception { pc, .. })), _) => (*c, *h, *pc),
            (Some((c, h, _)), _) => (*c, *h, pc_of(*h)),
            (None, Some((c, h, _))) => (*c, *h, 0),
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
        let (Some((wc, wh, we)), Some((gc, gh, ge))) = (w, g) else {
            return Err(mismatch(
                "issue",
                g.map_or("nothing".into(), |g| {
                    format!("hart {}: {}", g.1, describe(&g.2))
                }),
                w.map_or("nothing".into(), |w| {
                    format!("hart {}: {}", w.1, describe(&w.2))
                }),
            ));
        };
        if (wc, wh) != (gc, gh) {
            // The earlier of the two is the missing or extra issue.
            let (cycle, h) = (*wc.min(gc), if (wc, wh) < (gc, gh) { *wh } else { *gh });
            return Err(Failure::Mismatch {
                hart: h,
                pc,
                cycle,
                field: "issue".into(),
                rtl: format!("hart {gh} at cycle {gc}: {}", describe(ge)),
                sim: format!("hart {wh} at cycle {wc}: {}", describe(we)),
            });
        }
        match (we, ge) {
            (Event::Retired(w), Event::Retired(g)) => {
                let fields: [(&str, String, String); 6] = [
                    ("pc", format!("{:#x}", g.pc), format!("{:#x}", w.pc)),
                    (
                        "instruction",
                        format!("{:#010x}", g.raw),
                        format!("{:#010x}", w.raw),
                    ),
                    ("rd write", format!("{:x?}", g.rd), format!("{:x?}", w.rd)),
                    (
                        "CSR write",
                        format!("{:x?}", &g.csrs[..g.ncsr as usize]),
                        format!("{:x?}", &w.csrs[..w.ncsr as usize]),
                    ),
                    (
                        "load address",
                        format!("{:x?}", g.load),
                        format!("{:x?}", w.load),
                    ),
                    (
                        "store",
                        format!("{:x?}", g.store),
                        format!("{:x?}", w.store),
                    ),
                ];
                for (f, a, b) in fields {
                    if a != b {
                        return Err(mismatch(f, a, b));
                    }
                }
            }
            (w, g) if w == g => {}
            (w, g) => return Err(mismatch("trap", describe(g), describe(w))),
        }
    }
    Ok(())
}

/// Co-simulate `elf` on `cfg`: RTL against the reference, quantum by quantum. The RTL side's
/// console goes to `console`.
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
    let st_w = p.st_ack.width / threads as u32;
    let mut rtl = machine(cfg, elf, &opts.append, console)?;
    let mut reference = Reference::new(machine(cfg, elf, &opts.append, Box::new(std::io::sink()))?);
    let mut mem = Hierarchy::new(cfg);
    let mut overlays: Vec<Overlay> = (0..cfg.tiles()).map(|_| Overlay::default()).collect();
    let mut stored = vec![false; nharts];
    let mut hm = vec![HartMem::default(); nharts];
    for (h, s) in hm.iter_mut().enumerate() {
        s.x = rtl.harts[h].x;
    }
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
    // This window's issues on the RTL side, and its deferred ones.
    let mut rtl_ev: Vec<(u64, u32, Event)> = Vec::new();
    let mut deferred: Vec<Deferred> = Vec::new();
    let mut issues = 0u64;
    let mut instructions = 0u64;
    let mut acks_together = 0u64;
    let mut divides = 0u64;
    let mut insn_w = words(p.if_rsp_insn.width);
    let mut data_w = words(p.d_rsp_data.width);
    let mut ack_w = words(p.st_ack.width);
    let mut late_w = p.late.scratch();
    let mut cycle: u64 = 0;
    // STRAND_COSIM_TRACE=FROM-TO prints both sides' issues in those cycles (debugging).
    let trace = std::env::var("STRAND_COSIM_TRACE").ok().and_then(|v| {
        let (a, b) = v.split_once('-')?;
        Some(a.parse::<u64>().ok()?..=b.parse::<u64>().ok()?)
    });
    let tohost = rtl.platform.tohost;
    loop {
        // The reference's next quantum: it decides what the RTL must do until its end.
        let tr = Instant::now();
        let q = reference.quantum().map_err(Failure::Setup)?;
        ref_time += tr.elapsed().as_secs_f64();
        if q.end > opts.max_cycles {
            return Err(Failure::Timeout(opts.max_cycles));
        }
        let expected = |c: u64, h: u32| -> Option<&Commit> {
            let i = q
                .events
                .binary_search_by_key(&(c, h), |e| (e.0, e.1))
                .ok()?;
            match &q.events[i].2 {
                Event::Retired(x) => Some(x),
                _ => None,
            }
        };
        let tr = Instant::now();
        rtl_ev.clear();
        deferred.clear();
        while cycle < q.end {
            rtl.platform.cycle = cycle;
            let mtime = rtl.platform.clint.mtime(cycle);
            for (k, m) in models.iter_mut().enumerate() {
                let (mut ifv, mut iff, mut dv, mut msip, mut mtip) = (0u64, 0, 0, 0, 0);
                insn_w.iter_mut().for_each(|w| *w = 0);
                data_w.iter_mut().for_each(|w| *w = 0);
                ack_w.iter_mut().for_each(|w| *w = 0);
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
                    let mut acked = 0;
                    while s.acks.front().is_some_and(|&(_, done)| done <= cycle) {
                        s.acks.pop_front();
                        acked += 1;
                    }
                    acks_together += u64::from(acked > 1);
                    set_field(&mut ack_w, t as u32 * st_w, st_w, acked);
                    // The CLINT lines: the CLINT changes only at quantum ends (deferred
                    // device stores) and timer deadlines, where the engine re-reads them.
                    let lines = rtl.platform.clint.mip(h as u32, cycle);
                    msip |= (lines >> 3 & 1) << t;
                    mtip |= (lines >> 7 & 1) << t;
                }
                m.set_u64(&p.clk, 0);
                m.set_u64(&p.if_rsp_valid, ifv);
                m.set_u64(&p.if_rsp_fault, iff);
                m.set(&p.if_rsp_insn, &insn_w);
                m.set_u64(&p.d_rsp_valid, dv);
                m.set(&p.d_rsp_data, &data_w);
                m.set(&p.st_ack, &ack_w);
                m.set_u64(&p.msip, msip);
                m.set_u64(&p.mtip, mtip);
                m.set_u64(&p.mtime, mtime);
                for gp in &p.g {
                    m.set_u64(&gp.d_fault, 0);
                }
                m.eval();
                // Late register writes (answers arriving this cycle).
                p.late.read_loads(m, &mut late_w);
                for t in 0..threads {
                    let h = k * threads + t;
                    if let Some(got) = late_w.load(t) {
                        match hm[h].late.take() {
                            Some((rd, want, pc, at)) => {
                                late_value(h, rd, want, got, pc, at, "memory answered", cycle)?;
                                if rd != 0 {
                                    hm[h].x[rd as usize] = got;
                                }
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
                // The divider's result (one per core and cycle at most).
                if let Some((tid, rd, got)) = p.late.divide(m) {
                    let h = k * threads + tid;
                    divides += 1;
                    match hm[h].div_late.take() {
                        Some((want_rd, want, pc, at)) if want_rd == rd => {
                            late_value(h, rd, want, got, pc, at, "the divider finished", cycle)?;
                            hm[h].x[rd as usize] = got;
                        }
                        other => {
                            return Err(Failure::Mismatch {
                                hart: h as u32,
                                pc: other.map_or(0, |o| o.2),
                                cycle,
                                field: format!("unexpected divider write of x{rd}"),
                                rtl: format!("{got:#x}"),
                                sim: other.map_or("none".into(), |o| format!("x{} pending", o.0)),
                            });
                        }
                    }
                }
                // The data request: within DRAM performed now on the tile's view (DRAM as of
                // the quantum's start, patched with the tile's own stores); devices, `tohost`
                // and atomics wait for the quantum's end.
                // Per group: (hart, request with a load's data in `wdata`, deferred, faulted).
                let mut reqs: Vec<Option<(u32, DataReq, bool, bool)>> = vec![None; groups];
                let mut mem_recs = vec![(None, None); groups];
                let mut faulted = false;
                for (g, gp) in p.g.iter().enumerate() {
                    if m.get_u64(&gp.d_req_valid) != 1 {
                        continue;
                    }
                    let tid = m.get_u64(&gp.d_req_tid) as usize;
                    let h = (k * threads + g * tg + tid) as u32;
                    let mut r = DataReq {
                        kind: m.get_u64(&gp.d_req_kind) as u8,
                        addr: m.get_u64(&gp.d_req_addr),
                        size: 1u8 << m.get_u64(&gp.d_req_size),
                        wdata: m.get_u64(&gp.d_req_wdata),
                        amo: m.get_u64(&gp.d_req_amo),
                    };
                    let (kind, addr, size) = (r.kind, r.addr, r.size);
                    let pl = &rtl.platform;
                    // `must_defer` of `sim/src/engine/tile_bus.rs`, on the request.
                    let defer = kind >= 2
                        || pl.dram.offset(addr, 1).is_none()
                        || (kind == 1
                            && tohost.is_some_and(|t| {
                                addr.wrapping_add(8) > t && addr < t.wrapping_add(8)
                            }));
                    let fault = if defer {
                        deferred_faults(pl, kind, addr, size)
                    } else {
                        pl.dram.offset(addr, u64::from(size)).is_none()
                    };
                    if fault {
                        m.set_u64(&gp.d_fault, 1);
                        faulted = true;
                    } else {
                        match kind {
                            0 | 2 | 3 => mem_recs[g].0 = Some(addr),
                            1 => mem_recs[g].1 = Some((addr, r.wdata, size)),
                            _ => {}
                        }
                        if !defer {
                            let tile = place(cfg, h as usize).tile as usize;
                            let off = pl.dram.offset(addr, u64::from(size)).expect("checked");
                            if kind == 0 {
                                r.wdata = overlays[tile].patch(addr, size, pl.dram.read(off, size));
                            } else {
                                overlays[tile].store(h, addr, size, r.wdata);
                                stored[h as usize] = true;
                            }
                        }
                    }
                    reqs[g] = Some((h, r, defer, fault));
                }
                if faulted {
                    m.eval();
                }
                for (g, gp) in p.g.iter().enumerate() {
                    let vreq = m.get_u64(&p.if_req_valid);
                    let mut issuer = None;
                    // The issue's commit record.
                    if let Some(rec) = gp.c.read(m) {
                        let h = k * threads + g * tg + rec.tid;
                        issuer = Some(h);
                        let (pc, rd) = (rec.pc, rec.rd);
                        let mut e = rec.event;
                        if let Event::Retired(c) = &mut e {
                            if let Some((rd, v)) = c.rd {
                                if rd != 0 {
                                    hm[h].x[rd as usize] = v;
                                }
                            }
                            if rec.late {
                                // Checked when memory answers (or the divider finishes),
                                // against the reference's value.
                                let want = expected(cycle, h as u32)
                                    .and_then(|w| w.rd)
                                    .filter(|w| w.0 == rd)
                                    .map(|w| w.1);
                                c.rd = Some((rd, want.unwrap_or(0)));
                                if is_divide(c.raw) {
                                    hm[h].div_late = Some((rd, want, pc, cycle));
                                } else {
                                    hm[h].late = Some((rd, want, pc, cycle));
                                }
                            }
                            c.load = mem_recs[g].0;
                            c.store = mem_recs[g].1;
                        }
                        // Does the engine defer this issue to the quantum's end?
                        let req = reqs[g].filter(|r| r.0 as usize == h);
                        let defer = match req {
                            Some((_, _, d, _)) => d,
                            None => rtl.platform.fetch_insn(pc).is_ok_and(|i| {
                                defers(&i, &hm[h].x, stored[h], &rtl.platform.dram, tohost)
                            }),
                        };
                        let at = place(cfg, h);
                        if defer {
                            deferred.push(Deferred {
                                cycle,
                                hart: h as u32,
                                req: req.filter(|r| !r.3).map(|r| r.1),
                                rd,
                                fetch: None,
                                event: rtl_ev.len(),
                            });
                        } else if let (Event::Retired(_), Some((_, r, _, false))) = (&e, req) {
                            // Timing in the engine's order: the data access, then the fetch.
                            let tile = &mut mem.tiles[at.tile as usize];
                            let s = &mut hm[h];
                            if r.kind == 0 {
                                let due = match tile.load(at.core, r.addr, cycle, at.hart, rd) {
                                    None => cycle + 1 + opts.skew_load_hits,
                                    Some(miss) => after(cycle, miss),
                                };
                                s.data = Some((due, r.wdata));
                            } else {
                                let seq = s.seq;
                                s.seq = s.seq.wrapping_add(1);
                                let lat = tile.store(at.core, r.addr, cycle, at.hart, seq);
                                s.acks.push_back((seq, after(cycle, lat)));
                            }
                        }
                        rtl_ev.push((cycle, h as u32, e));
                    }
                    if vreq >> (g * tg) & ((1 << tg) - 1) != 0 {
                        let pc = m.get_u64(&gp.if_req_pc);
                        let untimed = m.get_u64(&gp.if_req_untimed) == 1;
                        for t in g * tg..(g + 1) * tg {
                            if vreq >> t & 1 == 1 {
                                let h = k * threads + t;
                                let at = place(cfg, h);
                                let d = deferred.last_mut().filter(|d| {
                                    d.cycle == cycle && d.hart as usize == h && issuer == Some(h)
                                });
                                hm[h].fetch = Some(if let Some(d) = d {
                                    d.fetch = Some(pc);
                                    (PENDING, pc)
                                } else if untimed {
                                    (cycle + 1, pc)
                                } else {
                                    let lat = mem.tiles[at.tile as usize].fetch(
                                        at.core,
                                        pc,
                                        cycle + 1,
                                        at.hart,
                                    );
                                    (after(cycle + 1, lat), pc)
                                });
                            }
                        }
                    }
                }
            }
            // Clock edge.
            for m in models.iter_mut() {
                m.set_u64(&p.clk, 1);
                m.eval();
            }
            cycle += 1;
        }
        // The quantum's end, in the engine's order: the tiles' stores reach DRAM, the home
        // slices answer, the deferred issues execute in (cycle, hart) order.
        let end = q.end;
        let mut stored_words = Vec::new();
        for o in &mut overlays {
            if !o.is_empty() {
                o.apply(&mut rtl.platform.dram, &mut stored_words);
            }
        }
        for (hart, addr) in stored_words {
            rtl.platform.stored_hart(hart, addr);
        }
        stored.iter_mut().for_each(|s| *s = false);
        mem.resolve_quantum(end, |w, done| {
            let s = &mut hm[w.hart as usize];
            match w.on {
                WaitOn::Fetch => {
                    if let Some(f) = s.fetch.as_mut() {
                        f.0 = done;
                    }
                }
                WaitOn::Load(_) => {
                    if let Some(d) = s.data.as_mut() {
                        d.0 = done;
                    }
                }
                WaitOn::Store(seq) => {
                    if let Some(e) = s.acks.iter_mut().find(|e| e.0 == seq) {
                        e.1 = done;
                    }
                }
            }
        });
        deferred.sort_by_key(|d| (d.cycle, d.hart));
        for d in &deferred {
            let now = d.cycle;
            let h = d.hart as usize;
            let at = place(cfg, h);
            rtl.platform.cycle = now;
            if let Some(r) = d.req {
                let pl = &mut rtl.platform;
                let (kind, addr, size, wdata) = (r.kind, r.addr, r.size, r.wdata);
                let mut store_rec = None;
                let res: Result<u64, _> = match kind {
                    0 => pl.load(d.hart, addr, size),
                    1 => pl.store(d.hart, addr, size, wdata).map(|()| 0),
                    3 => pl.load_reserved(d.hart, addr, size),
                    4 => pl.store_conditional(d.hart, addr, size, wdata).map(|ok| {
                        if ok {
                            store_rec = Some((addr, wdata, size));
                        }
                        u64::from(!ok)
                    }),
                    _ => {
                        let op = amo_op(r.amo);
                        pl.amo(d.hart, addr, size, op, sext(wdata, size))
                            .inspect(|&old| {
                                let new = op.apply(sext(old, size), sext(wdata, size), size);
                                store_rec = Some((addr, trunc(new, size), size));
                            })
                    }
                };
                let data = res.map_err(|_| {
                    Failure::Setup(format!(
                        "hart {h}: the deferred access at {addr:#x} (cycle {now}) faulted at the quantum's end"
                    ))
                })?;
                if let (Some(rec), Some((_, _, Event::Retired(c)))) =
                    (store_rec, rtl_ev.get_mut(d.event))
                {
                    c.store = Some(rec);
                }
                let s = &mut hm[h];
                match kind {
                    0 => {
                        let due = match mem.load(at, addr, now, d.rd) {
                            None => now + 1,
                            Some(lat) => now + lat,
                        };
                        s.data = Some((due.max(end), data));
                    }
                    1 => {
                        let seq = s.seq;
                        s.seq = s.seq.wrapping_add(1);
                        let done = now + mem.store(at, addr, now, seq);
                        s.acks.push_back((seq, done.max(end)));
                    }
                    _ => {
                        let done = now + mem.atomic(at, addr, now);
                        s.data = Some((done.max(end), data));
                    }
                }
            }
            if let Some(pc) = d.fetch {
                // The thread resumes no earlier than the quantum's end.
                let due = now + 1 + mem.fetch(at, pc, now + 1);
                hm[h].fetch = Some((due.max(end), pc));
            }
        }
        rtl_time += tr.elapsed().as_secs_f64();
        if let Some(r) = trace.as_ref() {
            for (c, h, e) in &q.events {
                if r.contains(c) {
                    eprintln!("trace {c} sim h{h} {}", describe(e));
                }
            }
            for (c, h, e) in &rtl_ev {
                if r.contains(c) {
                    eprintln!("trace {c} rtl h{h} {}", describe(e));
                }
            }
        }
        compare(&rtl_ev, &q.events, |h| reference.m.harts[h as usize].pc)?;
        issues += rtl_ev.len() as u64;
        instructions += rtl_ev
            .iter()
            .filter(|e| matches!(e.2, Event::Retired(_)))
            .count() as u64;
        let (rs, ss) = (rtl.platform.stop, reference.m.platform.stop);
        if rs.is_some() || ss.is_some() {
            if format!("{rs:?}") != format!("{ss:?}") {
                return Err(Failure::Mismatch {
                    hart: 0,
                    pc: 0,
                    cycle: end,
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
                cycles: end,
                instructions,
                issues,
                exit_code: code,
                rtl_seconds: rtl_time,
                ref_seconds: ref_time,
                build_seconds,
                acks_together,
                divides,
            });
        }
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
    while !r.stopped() {
        let q = r.quantum().map_err(Failure::Setup)?;
        for (_, h, e) in &q.events {
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
