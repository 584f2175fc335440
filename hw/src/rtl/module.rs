//! Building one module: ports, wires, registers, assignments, blocks, memories, instances.
//!
//! ```text
//!            ┌──────────── ModuleBuilder ─────────────┐
//!   clk ────►│ (implicit: added when a register,      │
//!   rst ────►│  memory or clocked instance needs it)  │
//!  input ───►│ wire/assign  reg/next/seq  comb        │───► output
//!  bundle ◄─►│ memory (block/ultra/distributed)       │◄──► bundle
//!            │ instance ──► wires <inst>_<port>       │
//!            └────────────────────────────────────────┘
//! ```
//!
//! Builder methods record what they are given and never fail on the spot; [`ModuleBuilder::finish`]
//! checks everything (widths, drivers, reads, memory templates, names) and returns the first
//! problem as an [`RtlError`] naming the module and the signal.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::bundle::{Bundle, BundleSigs, Flow, Role};
use super::design::ModRef;
use super::expr::{self, Expr, Kind, MemRef, SigRef};
use super::names::check_identifier;
use super::process::{ProcBuilder, ProcKind, Process};
use super::ty::{clog2, mask, Params, SigKind};
use super::RtlError;

static NEXT_UID: AtomicU64 = AtomicU64::new(1);

/// A declared signal (port, wire or register): an [`Expr`] (through `Deref`) that can also be
/// driven. Cheap to clone.
#[derive(Clone)]
pub struct Sig {
    pub(crate) expr: Expr,
}

impl Sig {
    /// The signal's Verilog name.
    pub fn name(&self) -> &str {
        match self.expr.kind() {
            Kind::Sig(r) => &r.name,
            _ => "<invalid>",
        }
    }

    /// The signal as a plain expression.
    pub fn expr(&self) -> Expr {
        self.expr.clone()
    }

    pub(crate) fn sig_ref(&self) -> Option<&SigRef> {
        match self.expr.kind() {
            Kind::Sig(r) => Some(r),
            _ => None,
        }
    }

    /// True if both handles name the same signal of the same module.
    pub(crate) fn same(&self, other: &Sig) -> bool {
        match (self.sig_ref(), other.sig_ref()) {
            (Some(a), Some(b)) => a.module == b.module && a.id == b.id,
            _ => false,
        }
    }

    fn poisoned(msg: String) -> Sig {
        Sig {
            expr: expr::poisoned(msg),
        }
    }
}

impl Deref for Sig {
    type Target = Expr;
    fn deref(&self) -> &Expr {
        &self.expr
    }
}

impl From<&Sig> for Expr {
    fn from(s: &Sig) -> Expr {
        s.expr.clone()
    }
}

impl From<Sig> for Expr {
    fn from(s: Sig) -> Expr {
        s.expr
    }
}

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({}, {} bits)", self.name(), self.width())
    }
}

expr::expr_ops!(Sig);
expr::expr_ops!(&Sig);

/// Which memory template a memory uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RamStyle {
    /// Block RAM (RAMB18/RAMB36): one write port, one synchronous read port.
    Block,
    /// UltraRAM (URAM288): one write port, one synchronous read port, reset to zero.
    Ultra,
    /// LUT RAM: one write port, asynchronous (combinational) read ports.
    Distributed,
}

impl RamStyle {
    /// The value of the `ram_style` attribute.
    pub fn attr(self) -> &'static str {
        match self {
            RamStyle::Block => "block",
            RamStyle::Ultra => "ultra",
            RamStyle::Distributed => "distributed",
        }
    }

    /// True for the templates whose read port is registered.
    pub fn sync_read(self) -> bool {
        !matches!(self, RamStyle::Distributed)
    }
}

/// A declared memory. Read it with [`Mem::read`] (distributed) or
/// [`ModuleBuilder::mem_read_sync`] (block, ultra); write it with [`ModuleBuilder::mem_write`].
#[derive(Clone, Debug)]
pub struct Mem {
    pub(crate) r: MemRef,
    width: u32,
    depth: u64,
    style: RamStyle,
}

impl Mem {
    /// Word width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Number of words (a power of two).
    pub fn depth(&self) -> u64 {
        self.depth
    }
    /// Address width: log2(depth).
    pub fn addr_bits(&self) -> u32 {
        clog2(self.depth)
    }
    /// The template.
    pub fn style(&self) -> RamStyle {
        self.style
    }
    /// Asynchronous read `mem[addr]` (only for [`RamStyle::Distributed`]).
    pub fn read(&self, addr: impl Into<Expr>) -> Expr {
        expr::mem_read(self.r.clone(), self.width, self.depth, addr.into())
    }
}

/// An instance of another module. Its ports appear in the parent as wires named
/// `<instance>_<port>`: drive the instance's inputs with [`ModuleBuilder::assign`] and read its
/// outputs like any signal.
#[derive(Clone, Debug)]
pub struct Inst {
    name: String,
    module: ModRef,
    ports: Vec<(String, Sig)>,
}

impl Inst {
    /// The instance name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instantiated module.
    pub fn module(&self) -> &ModRef {
        &self.module
    }

    /// The parent-side wire of port `port` (an invalid signal, reported when used, if the module
    /// has no such port).
    pub fn port(&self, port: &str) -> Sig {
        match self.ports.iter().find(|(p, _)| p == port) {
            Some((_, s)) => s.clone(),
            None => Sig::poisoned(format!(
                "instance '{}' of module '{}' has no port '{port}' (its ports: {})",
                self.name,
                self.module.name(),
                self.ports
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The parent-side wires of the instance's bundle `prefix`, for [`ModuleBuilder::connect`].
    pub fn bundle(&self, prefix: &str) -> BundleSigs {
        let label = format!("{}.{prefix}", self.name);
        let Some((_, role, bundle)) = self.module.bundles.iter().find(|(p, _, _)| p == prefix)
        else {
            let have: Vec<&str> = self
                .module
                .bundles
                .iter()
                .map(|(p, _, _)| p.as_str())
                .collect();
            return BundleSigs::poisoned(
                label,
                format!(
                    "module '{}' has no bundle '{prefix}' (its bundles: {})",
                    self.module.name(),
                    if have.is_empty() {
                        "none".to_string()
                    } else {
                        have.join(", ")
                    }
                ),
            );
        };
        let members = bundle
            .members
            .iter()
            .map(|mem| self.port(&format!("{prefix}_{}", mem.name)))
            .collect();
        // A sink port of the child reads its forward members: the parent drives them.
        BundleSigs::new(label, bundle.clone(), members, *role == Role::Sink)
    }
}

/// One declared signal.
#[derive(Clone, Debug)]
pub(crate) struct SigDecl {
    pub(crate) name: Rc<str>,
    pub(crate) width: u32,
    pub(crate) kind: SigKind,
    /// Reset value of a register.
    pub(crate) reset: u128,
    pub(crate) allow_unused: bool,
    /// Where an instance-port wire comes from, for messages.
    pub(crate) origin: Option<String>,
}

/// One declared memory and its ports.
#[derive(Clone, Debug)]
pub(crate) struct MemDecl {
    pub(crate) name: Rc<str>,
    pub(crate) width: u32,
    pub(crate) depth: u64,
    pub(crate) style: RamStyle,
    /// `(enable, address, data)` of each write port.
    pub(crate) writes: Vec<(Expr, Expr, Expr)>,
    /// `(enable, address, data register)` of each synchronous read port.
    pub(crate) sync_reads: Vec<(Expr, Expr, Sig)>,
}

/// One instance: the module and, per port, the parent-side wire.
#[derive(Clone, Debug)]
pub(crate) struct InstDecl {
    pub(crate) name: String,
    pub(crate) module: ModRef,
    pub(crate) ports: Vec<(String, Sig)>,
}

/// Builds one module; see the [module documentation](self).
pub struct ModuleBuilder {
    pub(crate) uid: u64,
    pub(crate) name: Rc<str>,
    pub(crate) generator: String,
    pub(crate) params: Params,
    pub(crate) doc: Vec<String>,
    pub(crate) sigs: Vec<SigDecl>,
    pub(crate) ports: Vec<usize>,
    pub(crate) assigns: Vec<(Sig, Expr)>,
    pub(crate) procs: Vec<Process>,
    pub(crate) mems: Vec<MemDecl>,
    pub(crate) insts: Vec<InstDecl>,
    pub(crate) bundles: Vec<(String, Role, Bundle)>,
    /// Problems found while recording (names, bundle connections), reported by `finish`.
    pub(crate) errors: Vec<RtlError>,
    pub(crate) unused_requests: Vec<Expr>,
    names: HashSet<String>,
}

impl ModuleBuilder {
    /// Starts module `name`, produced by `generator` (e.g. `module_path!()`) from `params`.
    /// The name must already encode the parameters that change the module's ports or logic
    /// (`fifo_w8_d16_dist`): see [`crate::rtl::Design::add`].
    pub fn new(name: &str, generator: &str, params: Params) -> ModuleBuilder {
        let mut m = ModuleBuilder {
            uid: NEXT_UID.fetch_add(1, Ordering::Relaxed),
            name: Rc::from(name),
            generator: generator.to_string(),
            params,
            doc: Vec::new(),
            sigs: Vec::new(),
            ports: Vec::new(),
            assigns: Vec::new(),
            procs: Vec::new(),
            mems: Vec::new(),
            insts: Vec::new(),
            bundles: Vec::new(),
            errors: Vec::new(),
            unused_requests: Vec::new(),
            names: HashSet::new(),
        };
        if let Some(why) = check_identifier(name) {
            m.errors.push(RtlError::Name {
                module: name.to_string(),
                name: name.to_string(),
                why,
            });
        }
        m
    }

    /// The module name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a line to the comment printed above `module` in the generated file.
    pub fn doc(&mut self, line: &str) {
        self.doc.push(line.to_string());
    }

    fn claim_name(&mut self, name: &str) {
        let why = if let Some(why) = check_identifier(name) {
            Some(why)
        } else if self.names.contains(name) {
            Some("declared twice in this module".to_string())
        } else {
            None
        };
        match why {
            Some(why) => self.errors.push(RtlError::Name {
                module: self.name.to_string(),
                name: name.to_string(),
                why,
            }),
            None => {
                self.names.insert(name.to_string());
            }
        }
    }

    fn declare(&mut self, name: &str, width: u32, kind: SigKind, reset: u128) -> Sig {
        self.claim_name(name);
        if width == 0 {
            self.errors.push(RtlError::Expr {
                module: self.name.to_string(),
                signal: name.to_string(),
                msg: "declared with width 0; signals are at least 1 bit wide".into(),
            });
        }
        let width = width.max(1);
        if reset & !mask(width) != 0 {
            self.errors.push(RtlError::Expr {
                module: self.name.to_string(),
                signal: name.to_string(),
                msg: format!("reset value {reset} does not fit in {width} bits"),
            });
        }
        let id = self.sigs.len();
        let name: Rc<str> = Rc::from(name);
        self.sigs.push(SigDecl {
            name: name.clone(),
            width,
            kind,
            reset,
            allow_unused: false,
            origin: None,
        });
        if matches!(kind, SigKind::Input | SigKind::Output) {
            self.ports.push(id);
        }
        Sig {
            expr: expr::signal(
                SigRef {
                    module: self.uid,
                    module_name: self.name.clone(),
                    id,
                    name,
                },
                width,
            ),
        }
    }

    /// An input port.
    pub fn input(&mut self, name: &str, width: u32) -> Sig {
        self.declare(name, width, SigKind::Input, 0)
    }

    /// An output port; drive it once ([`assign`](Self::assign), a comb block, or an instance).
    pub fn output(&mut self, name: &str, width: u32) -> Sig {
        self.declare(name, width, SigKind::Output, 0)
    }

    /// An output port driven by `value` (its width is the value's).
    pub fn output_from(&mut self, name: &str, value: impl Into<Expr>) -> Sig {
        let value = value.into();
        let s = self.output(name, value.width());
        self.assign(&s, value);
        s
    }

    /// An internal wire; drive it once.
    pub fn wire(&mut self, name: &str, width: u32) -> Sig {
        self.declare(name, width, SigKind::Wire, 0)
    }

    /// A named wire holding `value` (its width is the value's). Naming intermediate values
    /// keeps the Verilog readable and lets it be sliced without an emitter wire.
    pub fn wire_from(&mut self, name: &str, value: impl Into<Expr>) -> Sig {
        let value = value.into();
        let s = self.wire(name, value.width());
        self.assign(&s, value);
        s
    }

    /// A register with a synchronous reset to `reset`. Assign it with [`next`](Self::next),
    /// [`next_when`](Self::next_when) or one [`seq`](Self::seq) block.
    pub fn reg(&mut self, name: &str, width: u32, reset: u128) -> Sig {
        self.declare(name, width, SigKind::Reg, reset)
    }

    /// `assign target = value;` (a wire, an output, or an instance's input port).
    pub fn assign(&mut self, target: &Sig, value: impl Into<Expr>) {
        self.assigns.push((target.clone(), value.into()));
    }

    /// `target <= value` on every clock edge (outside reset).
    pub fn next(&mut self, target: &Sig, value: impl Into<Expr>) {
        let value = value.into();
        self.seq(|p| p.set(target, value));
    }

    /// `if (cond) target <= value` on every clock edge (outside reset); holds otherwise.
    pub fn next_when(&mut self, target: &Sig, cond: impl Into<Expr>, value: impl Into<Expr>) {
        let (cond, value) = (cond.into(), value.into());
        self.seq(|p| p.when(cond, |p| p.set(target, value)));
    }

    /// A clocked block: `always @(posedge clk) if (rst) <reset values> else <body>`.
    pub fn seq(&mut self, body: impl FnOnce(&mut ProcBuilder)) {
        let mut b = ProcBuilder::default();
        body(&mut b);
        self.procs.push(Process {
            kind: ProcKind::Seq,
            body: b.body,
        });
    }

    /// A combinational block: `always @* <body>`.
    pub fn comb(&mut self, body: impl FnOnce(&mut ProcBuilder)) {
        let mut b = ProcBuilder::default();
        body(&mut b);
        self.procs.push(Process {
            kind: ProcKind::Comb,
            body: b.body,
        });
    }

    /// A memory of `depth` words of `width` bits (depth a power of two, at least 2) using the
    /// `style` template. Its contents are not reset.
    pub fn memory(&mut self, name: &str, width: u32, depth: u64, style: RamStyle) -> Mem {
        self.claim_name(name);
        if width == 0 || depth < 2 || !depth.is_power_of_two() {
            self.errors.push(RtlError::Memory {
                module: self.name.to_string(),
                memory: name.to_string(),
                why: format!(
                    "{depth} words of {width} bits: the width must be at least 1 and the depth a power of two of at least 2"
                ),
            });
        }
        let id = self.mems.len();
        let name: Rc<str> = Rc::from(name);
        self.mems.push(MemDecl {
            name: name.clone(),
            width: width.max(1),
            depth,
            style,
            writes: Vec::new(),
            sync_reads: Vec::new(),
        });
        Mem {
            r: MemRef {
                module: self.uid,
                module_name: self.name.clone(),
                id,
                name,
            },
            width: width.max(1),
            depth,
            style,
        }
    }

    fn local_mem(&mut self, mem: &Mem) -> Option<usize> {
        if mem.r.module == self.uid {
            Some(mem.r.id)
        } else {
            self.errors.push(RtlError::Memory {
                module: self.name.to_string(),
                memory: mem.r.name.to_string(),
                why: format!("it belongs to module '{}'", mem.r.module_name),
            });
            None
        }
    }

    /// The write port: `if (en) mem[addr] <= data` on every clock edge.
    pub fn mem_write(
        &mut self,
        mem: &Mem,
        en: impl Into<Expr>,
        addr: impl Into<Expr>,
        data: impl Into<Expr>,
    ) {
        if let Some(id) = self.local_mem(mem) {
            self.mems[id]
                .writes
                .push((en.into(), addr.into(), data.into()));
        }
    }

    /// A synchronous read port: register `name` (reset to 0) takes `mem[addr]` on each clock
    /// edge where `en` is set, and holds otherwise.
    pub fn mem_read_sync(
        &mut self,
        mem: &Mem,
        name: &str,
        en: impl Into<Expr>,
        addr: impl Into<Expr>,
    ) -> Sig {
        let data = self.declare(name, mem.width, SigKind::Reg, 0);
        if let Some(id) = self.local_mem(mem) {
            self.mems[id]
                .sync_reads
                .push((en.into(), addr.into(), data.clone()));
        }
        data
    }

    /// Instantiates `module` as `name`; every port gets a parent-side wire `<name>_<port>`
    /// (`clk` and `rst` are connected to this module's own).
    pub fn instance(&mut self, name: &str, module: &ModRef) -> Inst {
        self.claim_name(name);
        let mut ports = Vec::new();
        for &pid in &module.ports {
            let p = &module.sigs[pid];
            let wire = self.declare(&format!("{name}_{}", p.name), p.width, SigKind::Wire, 0);
            if let Some(r) = wire.sig_ref() {
                let dir = if p.kind == SigKind::Input {
                    "input"
                } else {
                    "output"
                };
                self.sigs[r.id].origin =
                    Some(format!("{dir} port '{}' of instance '{name}'", p.name));
            }
            ports.push((p.name.to_string(), wire));
        }
        self.insts.push(InstDecl {
            name: name.to_string(),
            module: module.clone(),
            ports: ports.clone(),
        });
        Inst {
            name: name.to_string(),
            module: module.clone(),
            ports,
        }
    }

    /// Declares the ports of `bundle` as `<prefix>_<member>`. As a [`Role::Sink`] this module
    /// receives the forward members (inputs) and drives the backward ones (outputs); a
    /// [`Role::Source`] is the mirror image.
    pub fn bundle_port(&mut self, prefix: &str, role: Role, bundle: &Bundle) -> BundleSigs {
        self.bundles
            .push((prefix.to_string(), role, bundle.clone()));
        let members = bundle
            .members
            .iter()
            .map(|mem| {
                let name = format!("{prefix}_{}", mem.name);
                let is_input = (mem.flow == Flow::Forward) == (role == Role::Sink);
                if is_input {
                    self.input(&name, mem.width)
                } else {
                    self.output(&name, mem.width)
                }
            })
            .collect();
        BundleSigs::new(
            prefix.to_string(),
            bundle.clone(),
            members,
            role == Role::Source,
        )
    }

    /// Connects bundle `from` to bundle `to`: forward members flow `from → to`, backward members
    /// `to → from`. Both must have the same members (names, widths, flows), `from` must be read
    /// here (an input bundle of this module or an output bundle of an instance) and `to` driven
    /// here.
    pub fn connect(&mut self, from: &BundleSigs, to: &BundleSigs) {
        match super::bundle::plan(from, to) {
            Ok(pairs) => {
                for (dst, src) in pairs {
                    self.assign(&dst, &src);
                }
            }
            Err(why) => self.errors.push(RtlError::Bundle {
                module: self.name.to_string(),
                from: from.label.clone(),
                to: to.label.clone(),
                why,
            }),
        }
    }

    /// Marks a signal whose bits are intentionally not all read (e.g. an instance output this
    /// module ignores); its declaration is wrapped in a Verilator `UNUSEDSIGNAL` waiver.
    pub fn allow_unused(&mut self, sig: &Sig) {
        self.unused_requests.push(sig.expr());
    }

    /// Checks the module and freezes it; the first problem is returned.
    pub fn finish(self) -> Result<Module, RtlError> {
        super::verify::finish(self)
    }
}

/// Direction of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortDir {
    /// Into the module.
    Input,
    /// Out of the module.
    Output,
}

/// One port of a finished module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortInfo {
    /// Verilog name.
    pub name: String,
    /// Direction.
    pub dir: PortDir,
    /// Width in bits.
    pub width: u32,
}

/// A checked module, ready to emit or instantiate.
#[derive(Debug)]
pub struct Module {
    pub(crate) name: String,
    pub(crate) generator: String,
    pub(crate) params: Params,
    pub(crate) doc: Vec<String>,
    pub(crate) sigs: Vec<SigDecl>,
    pub(crate) ports: Vec<usize>,
    pub(crate) assigns: Vec<(Sig, Expr)>,
    pub(crate) procs: Vec<Process>,
    pub(crate) mems: Vec<MemDecl>,
    pub(crate) insts: Vec<InstDecl>,
    pub(crate) bundles: Vec<(String, Role, Bundle)>,
    /// Signals driven by a comb block (declared `reg` in Verilog).
    pub(crate) comb_driven: Vec<bool>,
    pub(crate) has_clk: bool,
    pub(crate) has_rst: bool,
}

impl Module {
    /// The module name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The generator that built it.
    pub fn generator(&self) -> &str {
        &self.generator
    }

    /// The parameters it was built from.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// True if it has the implicit `clk` port.
    pub fn has_clock(&self) -> bool {
        self.has_clk
    }

    /// True if it has the implicit `rst` port.
    pub fn has_reset(&self) -> bool {
        self.has_rst
    }

    /// All ports in Verilog order (`clk`, `rst` first when present).
    pub fn ports(&self) -> Vec<PortInfo> {
        let mut v = Vec::new();
        for (has, name) in [(self.has_clk, "clk"), (self.has_rst, "rst")] {
            if has {
                v.push(PortInfo {
                    name: name.into(),
                    dir: PortDir::Input,
                    width: 1,
                });
            }
        }
        for &id in &self.ports {
            let s = &self.sigs[id];
            v.push(PortInfo {
                name: s.name.to_string(),
                dir: if s.kind == SigKind::Input {
                    PortDir::Input
                } else {
                    PortDir::Output
                },
                width: s.width,
            });
        }
        v
    }

    /// The bundles declared with [`ModuleBuilder::bundle_port`]: prefix, role, members.
    pub fn bundles(&self) -> &[(String, Role, Bundle)] {
        &self.bundles
    }

    /// Instances by module name, e.g. to count router instances in a mesh.
    pub fn instances(&self) -> Vec<(&str, &str)> {
        self.insts
            .iter()
            .map(|i| (i.name.as_str(), i.module.name()))
            .collect()
    }
}
