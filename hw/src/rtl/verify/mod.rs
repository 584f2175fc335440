//! The checks [`ModuleBuilder::finish`] runs, in this order (the first problem is returned):
//!
//! 1. problems recorded while building (names, bundle connections, memory shapes);
//! 2. every expression: valid, widths as required, only this module's signals and memories;
//!    assignment widths equal; `if` conditions 1 bit; `case` values fit and are distinct;
//! 3. drivers: inputs are never driven, wires/outputs have exactly one driver (assign, comb
//!    block or instance output), registers exactly one (seq block or memory read port); comb
//!    blocks give every target a default first and do not read their own targets;
//! 4. memories follow their template (one write port; block/ultra: one sync read port;
//!    distributed: async reads only);
//! 5. every bit of every input, wire and register is read, unless waived with `allow_unused`.

use super::describe::describe;
use super::expr::{Expr, ExprError, Kind};
use super::module::{Module, ModuleBuilder, Sig};
use super::process::{targets, ProcKind, Stmt};
use super::ty::SigKind;
use super::RtlError;

/// Children of an expression node.
pub(crate) fn children(e: &Expr) -> Vec<&Expr> {
    match e.kind() {
        Kind::Const(_) | Kind::Sig(_) | Kind::Invalid(_) => vec![],
        Kind::Unary(_, a)
        | Kind::Reduce(_, a)
        | Kind::Repeat(a, _)
        | Kind::Slice(a, _, _)
        | Kind::Zext(a)
        | Kind::Sext(a)
        | Kind::MemRead(_, a) => vec![a],
        Kind::Binary(_, a, b)
        | Kind::Compare(_, a, b)
        | Kind::Shift(_, a, b)
        | Kind::Index(a, b) => vec![a, b],
        Kind::Mux(c, a, b) => vec![c, a, b],
        Kind::Concat(parts) => parts.iter().collect(),
    }
}

struct Checker<'a> {
    b: &'a ModuleBuilder,
    /// Per signal: descriptions of its drivers.
    drivers: Vec<Vec<String>>,
    /// Per signal, per bit: read somewhere.
    read: Vec<Vec<bool>>,
    /// Per memory: number of asynchronous reads.
    async_reads: Vec<usize>,
    comb_driven: Vec<bool>,
}

impl Checker<'_> {
    fn module(&self) -> String {
        self.b.name.to_string()
    }

    fn convert(&self, err: &ExprError, signal: &str) -> RtlError {
        match err {
            ExprError::Width {
                what,
                expected,
                actual,
            } => RtlError::Width {
                module: self.module(),
                signal: signal.to_string(),
                what: what.clone(),
                expected: *expected,
                actual: *actual,
            },
            ExprError::Other(msg) => RtlError::Expr {
                module: self.module(),
                signal: signal.to_string(),
                msg: msg.clone(),
            },
        }
    }

    /// Valid, and refers only to this module's signals and memories.
    fn check_expr(&self, e: &Expr, signal: &str) -> Result<(), RtlError> {
        if let Some(err) = e.error() {
            return Err(self.convert(err, signal));
        }
        let foreign = |kind: &str, name: &str, owner: &str| RtlError::Expr {
            module: self.module(),
            signal: signal.to_string(),
            msg: format!("`{name}` is a {kind} of module '{owner}', not of this module"),
        };
        match e.kind() {
            Kind::Sig(r) if r.module != self.b.uid => {
                return Err(foreign("signal", &r.name, &r.module_name))
            }
            Kind::MemRead(m, _) if m.module != self.b.uid => {
                return Err(foreign("memory", &m.name, &m.module_name))
            }
            _ => {}
        }
        for c in children(e) {
            self.check_expr(c, signal)?;
        }
        Ok(())
    }

    fn check_width(
        &self,
        e: &Expr,
        signal: &str,
        what: String,
        expected: u32,
    ) -> Result<(), RtlError> {
        self.check_expr(e, signal)?;
        if e.width() != expected {
            return Err(RtlError::Width {
                module: self.module(),
                signal: signal.to_string(),
                what,
                expected,
                actual: e.width(),
            });
        }
        Ok(())
    }

    /// The id of a target signal of this module.
    fn resolve(&self, s: &Sig) -> Result<usize, RtlError> {
        self.check_expr(s, "(assignment target)")?;
        Ok(s.sig_ref().expect("valid signal").id)
    }

    fn driver_kind_error(&self, id: usize, why: &str) -> RtlError {
        RtlError::Driver {
            module: self.module(),
            signal: self.b.sigs[id].name.to_string(),
            why: why.to_string(),
        }
    }

    fn check_assigned(&self, id: usize, value: &Expr) -> Result<(), RtlError> {
        let d = &self.b.sigs[id];
        self.check_width(
            value,
            &d.name,
            format!("assigned value `{}`", describe(value)),
            d.width,
        )
    }

    fn check_stmts(&self, stmts: &[Stmt]) -> Result<(), RtlError> {
        for s in stmts {
            match s {
                Stmt::Set(t, v) => {
                    let id = self.resolve(t)?;
                    self.check_assigned(id, v)?;
                }
                Stmt::If(c, a, b) => {
                    let ctx = self.context(std::slice::from_ref(s));
                    self.check_width(c, &ctx, format!("if condition `{}`", describe(c)), 1)?;
                    self.check_stmts(a)?;
                    self.check_stmts(b)?;
                }
                Stmt::Case(sel, arms, d) => {
                    let ctx = self.context(std::slice::from_ref(s));
                    self.check_expr(sel, &ctx)?;
                    let w = sel.width();
                    for (i, (v, body)) in arms.iter().enumerate() {
                        let msg = if w < 128 && *v >> w != 0 {
                            Some(format!(
                                "case value {v} does not fit the {w}-bit selector `{}`",
                                describe(sel)
                            ))
                        } else if arms[..i].iter().any(|(u, _)| u == v) {
                            Some(format!(
                                "case value {v} appears twice in `case ({})`",
                                describe(sel)
                            ))
                        } else {
                            None
                        };
                        if let Some(msg) = msg {
                            return Err(RtlError::Expr {
                                module: self.module(),
                                signal: ctx,
                                msg,
                            });
                        }
                        self.check_stmts(body)?;
                    }
                    self.check_stmts(d)?;
                }
            }
        }
        Ok(())
    }

    /// The names of the signals assigned under a statement, for messages about its condition.
    fn context(&self, stmts: &[Stmt]) -> String {
        let mut t = Vec::new();
        targets(stmts, &mut t);
        let names: Vec<&str> = t.iter().map(|s| s.name()).collect();
        if names.is_empty() {
            "(empty block)".into()
        } else {
            names.join(", ")
        }
    }

    fn assigns(&mut self) -> Result<(), RtlError> {
        for (t, v) in &self.b.assigns {
            let id = self.resolve(t)?;
            match self.b.sigs[id].kind {
                SigKind::Input => {
                    return Err(self.driver_kind_error(id, "it is an input port; it cannot be driven"))
                }
                SigKind::Reg => {
                    return Err(self.driver_kind_error(
                        id,
                        "it is a register; drive it with next(), next_when() or a seq block, not assign()",
                    ))
                }
                SigKind::Wire | SigKind::Output => {}
            }
            self.check_assigned(id, v)?;
            self.drivers[id].push("an assign".into());
        }
        Ok(())
    }

    fn processes(&mut self) -> Result<(), RtlError> {
        for p in &self.b.procs {
            let mut ts = Vec::new();
            targets(&p.body, &mut ts);
            let mut ids = Vec::new();
            for t in &ts {
                let id = self.resolve(t)?;
                let kind = self.b.sigs[id].kind;
                let why = match (p.kind, kind) {
                    (_, SigKind::Input) => Some("it is an input port; it cannot be driven"),
                    (ProcKind::Seq, SigKind::Wire | SigKind::Output) => Some(
                        "it is not a register; seq blocks assign registers (declare it with reg())",
                    ),
                    (ProcKind::Comb, SigKind::Reg) => Some(
                        "it is a register; comb blocks drive wires and outputs (use a seq block)",
                    ),
                    _ => None,
                };
                if let Some(why) = why {
                    return Err(self.driver_kind_error(id, why));
                }
                ids.push(id);
            }
            self.check_stmts(&p.body)?;
            let what = match p.kind {
                ProcKind::Seq => "a seq block",
                ProcKind::Comb => "a comb block",
            };
            for &id in &ids {
                self.drivers[id].push(what.into());
                if p.kind == ProcKind::Comb {
                    self.comb_driven[id] = true;
                }
            }
            if p.kind == ProcKind::Comb {
                self.comb_rules(&p.body, &ids)?;
            }
        }
        Ok(())
    }

    /// Defaults first (no latches) and no reads of the block's own targets.
    fn comb_rules(&self, body: &[Stmt], ids: &[usize]) -> Result<(), RtlError> {
        let mut defaulted: Vec<usize> = Vec::new();
        for s in body {
            match s {
                Stmt::Set(t, _) => defaulted.push(t.sig_ref().expect("resolved").id),
                _ => {
                    let mut inner = Vec::new();
                    targets(std::slice::from_ref(s), &mut inner);
                    for t in inner {
                        let id = t.sig_ref().expect("resolved").id;
                        if !defaulted.contains(&id) {
                            return Err(self.driver_kind_error(
                                id,
                                "a comb block assigns it only under a condition; assign it a default at the top of the block first (otherwise a latch is inferred)",
                            ));
                        }
                    }
                }
            }
        }
        let mut exprs = Vec::new();
        stmt_exprs(body, &mut exprs);
        for e in exprs {
            if let Some(id) = find_read(e, ids) {
                return Err(self.driver_kind_error(
                    id,
                    "a comb block reads it while also driving it; compute that value in a separate wire (wire_from) so the block does not depend on statement order",
                ));
            }
        }
        Ok(())
    }

    fn memories(&mut self) -> Result<(), RtlError> {
        for (mi, m) in self.b.mems.iter().enumerate() {
            let merr = |why: String| RtlError::Memory {
                module: self.b.name.to_string(),
                memory: m.name.to_string(),
                why,
            };
            let abits = super::ty::clog2(m.depth);
            match m.writes.len() {
                0 => return Err(merr("it is never written (add mem_write)".into())),
                1 => {}
                n => {
                    return Err(merr(format!(
                        "it has {n} write ports; the memory templates have one"
                    )))
                }
            }
            let (en, addr, data) = &m.writes[0];
            let ctx = |port: &str| format!("{}.{port}", m.name);
            self.check_width(
                en,
                &ctx("write_en"),
                format!("write enable `{}`", describe(en)),
                1,
            )?;
            self.check_width(
                addr,
                &ctx("write_addr"),
                format!("write address `{}` ({} words)", describe(addr), m.depth),
                abits,
            )?;
            self.check_width(
                data,
                &ctx("write_data"),
                format!("write data `{}`", describe(data)),
                m.width,
            )?;
            for (en, addr, reg) in &m.sync_reads {
                self.check_width(
                    en,
                    &ctx("read_en"),
                    format!("read enable `{}`", describe(en)),
                    1,
                )?;
                self.check_width(
                    addr,
                    &ctx("read_addr"),
                    format!("read address `{}` ({} words)", describe(addr), m.depth),
                    abits,
                )?;
                let id = self.resolve(reg)?;
                self.drivers[id].push(format!("the read port of memory '{}'", m.name));
            }
            let style = m.style.attr();
            if m.style.sync_read() {
                if self.async_reads[mi] > 0 {
                    return Err(merr(format!(
                        "it is a \"{style}\" memory, whose template has a registered read port; read it with mem_read_sync() (or use RamStyle::Distributed)"
                    )));
                }
                match m.sync_reads.len() {
                    0 => return Err(merr("it is never read (add mem_read_sync)".into())),
                    1 => {}
                    n => {
                        return Err(merr(format!(
                            "it has {n} read ports; the \"{style}\" template has one"
                        )))
                    }
                }
            } else {
                if !m.sync_reads.is_empty() {
                    return Err(merr(format!(
                        "it is a \"{style}\" memory, whose template reads asynchronously; read it with Mem::read() (or use RamStyle::Block)"
                    )));
                }
                if self.async_reads[mi] == 0 {
                    return Err(merr("it is never read (add Mem::read)".into()));
                }
            }
        }
        Ok(())
    }

    fn instances(&mut self) {
        for inst in &self.b.insts {
            for (port, wire) in &inst.ports {
                let id = wire.sig_ref().expect("instance wires are valid").id;
                let child = inst
                    .module
                    .ports()
                    .into_iter()
                    .find(|p| &p.name == port)
                    .expect("instance port exists");
                if child.dir == super::module::PortDir::Output {
                    self.drivers[id].push(format!("instance '{}'", inst.name));
                } else {
                    self.read[id].iter_mut().for_each(|b| *b = true);
                }
            }
        }
    }

    fn driver_counts(&self) -> Result<(), RtlError> {
        for (id, d) in self.b.sigs.iter().enumerate() {
            let drivers = &self.drivers[id];
            let origin = d
                .origin
                .as_deref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default();
            let why = match (d.kind, drivers.len()) {
                (SigKind::Input, _) | (_, 1) => continue,
                (SigKind::Reg, 0) => format!(
                    "register{origin} is never assigned; give it next(), next_when() or a seq block"
                ),
                (_, 0) => format!("it{origin} is never driven; drive it with assign(), output_from() or a comb block"),
                (_, _) => format!("it{origin} is driven more than once: by {}", drivers.join(" and by ")),
            };
            return Err(RtlError::Driver {
                module: self.module(),
                signal: d.name.to_string(),
                why,
            });
        }
        Ok(())
    }

    fn mark_all_reads(&mut self) -> Result<(), RtlError> {
        let mut exprs: Vec<&Expr> = Vec::new();
        for (_, v) in &self.b.assigns {
            exprs.push(v);
        }
        for p in &self.b.procs {
            stmt_exprs(&p.body, &mut exprs);
        }
        for m in &self.b.mems {
            for (en, addr, data) in &m.writes {
                exprs.extend([en, addr, data]);
            }
            for (en, addr, _) in &m.sync_reads {
                exprs.extend([en, addr]);
            }
        }
        for e in exprs {
            mark(e, &mut self.read, &mut self.async_reads);
        }
        for e in &self.b.unused_requests {
            self.check_expr(e, "(allow_unused)")?;
            match e.kind() {
                Kind::Sig(r) => self.read[r.id].iter_mut().for_each(|b| *b = true),
                _ => {
                    return Err(RtlError::Expr {
                        module: self.module(),
                        signal: "(allow_unused)".into(),
                        msg: format!(
                            "allow_unused takes a declared signal, not `{}`",
                            describe(e)
                        ),
                    })
                }
            }
        }
        Ok(())
    }

    fn unread(&self) -> Result<(), RtlError> {
        for (id, d) in self.b.sigs.iter().enumerate() {
            if d.kind == SigKind::Output {
                continue;
            }
            let r = &self.read[id];
            if r.iter().all(|b| *b) {
                continue;
            }
            let origin = d
                .origin
                .as_deref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default();
            let bits = if r.iter().all(|b| !*b) {
                format!("it{origin} is")
            } else {
                let mut ranges = Vec::new();
                let mut i = r.len();
                while i > 0 {
                    i -= 1;
                    if r[i] {
                        continue;
                    }
                    let hi = i;
                    while i > 0 && !r[i - 1] {
                        i -= 1;
                    }
                    ranges.push(if hi == i {
                        format!("[{hi}]")
                    } else {
                        format!("[{hi}:{i}]")
                    });
                }
                format!("bits {}{origin} are", ranges.join(", "))
            };
            return Err(RtlError::Unused {
                module: self.module(),
                signal: d.name.to_string(),
                bits,
            });
        }
        Ok(())
    }
}

/// Every expression in a list of statements (values, conditions, selectors).
pub(crate) fn stmt_exprs<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a Expr>) {
    for s in stmts {
        match s {
            Stmt::Set(_, v) => out.push(v),
            Stmt::If(c, a, b) => {
                out.push(c);
                stmt_exprs(a, out);
                stmt_exprs(b, out);
            }
            Stmt::Case(sel, arms, d) => {
                out.push(sel);
                for (_, a) in arms {
                    stmt_exprs(a, out);
                }
                stmt_exprs(d, out);
            }
        }
    }
}

/// The first of `ids` that `e` reads.
fn find_read(e: &Expr, ids: &[usize]) -> Option<usize> {
    if let Kind::Sig(r) = e.kind() {
        if ids.contains(&r.id) {
            return Some(r.id);
        }
    }
    children(e).into_iter().find_map(|c| find_read(c, ids))
}

/// Marks the bits `e` reads; a slice of a signal reads only its bits.
fn mark(e: &Expr, read: &mut [Vec<bool>], async_reads: &mut [usize]) {
    match e.kind() {
        Kind::Sig(r) => read[r.id].iter_mut().for_each(|b| *b = true),
        Kind::Slice(inner, hi, lo) if matches!(inner.kind(), Kind::Sig(_)) => {
            let Kind::Sig(r) = inner.kind() else {
                unreachable!()
            };
            for b in &mut read[r.id][*lo as usize..=*hi as usize] {
                *b = true;
            }
        }
        Kind::MemRead(m, a) => {
            async_reads[m.id] += 1;
            mark(a, read, async_reads);
        }
        _ => {
            for c in children(e) {
                mark(c, read, async_reads);
            }
        }
    }
}

pub(crate) fn finish(b: ModuleBuilder) -> Result<Module, RtlError> {
    if let Some(e) = b.errors.first() {
        return Err(e.clone());
    }
    let n = b.sigs.len();
    let mut c = Checker {
        b: &b,
        drivers: vec![Vec::new(); n],
        read: b
            .sigs
            .iter()
            .map(|s| vec![false; s.width as usize])
            .collect(),
        async_reads: vec![0; b.mems.len()],
        comb_driven: vec![false; n],
    };
    c.assigns()?;
    c.processes()?;
    c.mark_all_reads()?;
    c.memories()?;
    c.instances();
    c.driver_counts()?;
    c.unread()?;
    let comb_driven = c.comb_driven;
    let has_regs = b.sigs.iter().any(|s| s.kind == SigKind::Reg);
    let has_clk = has_regs || !b.mems.is_empty() || b.insts.iter().any(|i| i.module.has_clk);
    let has_rst = has_regs || b.insts.iter().any(|i| i.module.has_rst);
    let allow: Vec<usize> = b
        .unused_requests
        .iter()
        .filter_map(|e| match e.kind() {
            Kind::Sig(r) => Some(r.id),
            _ => None,
        })
        .collect();
    let mut sigs = b.sigs;
    for id in allow {
        sigs[id].allow_unused = true;
    }
    Ok(Module {
        name: b.name.to_string(),
        generator: b.generator,
        params: b.params,
        doc: b.doc,
        sigs,
        ports: b.ports,
        assigns: b.assigns,
        procs: b.procs,
        mems: b.mems,
        insts: b.insts,
        bundles: b.bundles,
        comb_driven,
        has_clk,
        has_rst,
    })
}

#[cfg(test)]
mod tests;
