//! Verilog text for one checked module (the file header is added by [`crate::rtl::Design`]).
//!
//! Layout: `` `default_nettype none ``, the ANSI port list (`clk`, `rst` first), memories,
//! signals, intermediate wires, assigns, instances, always blocks, `endmodule`,
//! `` `default_nettype wire ``. Operands that are not atoms are parenthesised, so Verilog's
//! precedence never matters. Slices, run-time indexes and sign extensions of compound
//! expressions go through intermediate wires `_t<n>` (Verilog can only select bits of a name);
//! one whose bits are not all selected is wrapped in a Verilator `UNUSEDSIGNAL` waiver.

use std::collections::HashMap;

use super::describe::literal;
use super::expr::{Expr, Kind, Node, ShiftOp, UnOp};
use super::module::{Module, Sig};
use super::process::{targets, ProcKind, Stmt};
use super::ty::SigKind;

const IND: &str = "    ";
const WAIVE_ON: &str = "/* verilator lint_off UNUSEDSIGNAL */";
const WAIVE_OFF: &str = "/* verilator lint_on UNUSEDSIGNAL */";

fn range(width: u32) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0] ", width - 1)
    }
}

fn pad(level: usize) -> String {
    IND.repeat(level)
}

struct Temp {
    width: u32,
    rhs: String,
    used: Vec<bool>,
}

struct Emitter<'a> {
    m: &'a Module,
    temps: Vec<Temp>,
    ids: HashMap<*const Node, usize>,
}

/// The Verilog text of `m`, from `` `default_nettype none `` to the end of the file.
pub fn module_text(m: &Module) -> String {
    let mut e = Emitter {
        m,
        temps: Vec::new(),
        ids: HashMap::new(),
    };
    // The body first: it decides which intermediate wires exist.
    let mut assigns = String::new();
    for (t, v) in &m.assigns {
        let v = e.expr(v);
        assigns.push_str(&format!("{IND}assign {} = {v};\n", t.name()));
    }
    let instances = e.instances();
    let mut blocks = Vec::new();
    for p in &m.procs {
        blocks.push(e.process(p.kind, &p.body));
    }
    for mem in &m.mems {
        for (en, addr, data) in &mem.writes {
            let (en, addr, data) = (e.expr(en), e.expr(addr), e.expr(data));
            let mut s = format!("{IND}always @(posedge clk) begin\n");
            if en == "1'b1" {
                s.push_str(&format!("{IND}{IND}{}[{addr}] <= {data};\n", mem.name));
            } else {
                s.push_str(&format!("{IND}{IND}if ({en}) begin\n"));
                s.push_str(&format!("{IND}{IND}{IND}{}[{addr}] <= {data};\n", mem.name));
                s.push_str(&format!("{IND}{IND}end\n"));
            }
            s.push_str(&format!("{IND}end\n"));
            blocks.push(s);
        }
        for (en, addr, data) in &mem.sync_reads {
            let (en, addr) = (e.expr(en), e.expr(addr));
            let w = data.width();
            let mut s = format!("{IND}always @(posedge clk) begin\n");
            s.push_str(&format!("{IND}{IND}if (rst) begin\n"));
            s.push_str(&format!(
                "{IND}{IND}{IND}{} <= {};\n",
                data.name(),
                literal(w, 0)
            ));
            if en == "1'b1" {
                s.push_str(&format!("{IND}{IND}end else begin\n"));
            } else {
                s.push_str(&format!("{IND}{IND}end else if ({en}) begin\n"));
            }
            s.push_str(&format!(
                "{IND}{IND}{IND}{} <= {}[{addr}];\n",
                data.name(),
                mem.name
            ));
            s.push_str(&format!("{IND}{IND}end\n{IND}end\n"));
            blocks.push(s);
        }
    }

    let mut out = String::new();
    for line in &m.doc {
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            out.push_str(&format!("// {line}\n"));
        }
    }
    out.push_str("`default_nettype none\n\n");
    out.push_str(&format!("module {} (\n", m.name));
    out.push_str(&e.port_list());
    out.push_str(");\n");
    let sections = [
        e.declarations(),
        e.temp_section(),
        assigns,
        instances,
        blocks.join("\n"),
    ];
    for s in sections.iter().filter(|s| !s.is_empty()) {
        out.push('\n');
        out.push_str(s);
    }
    out.push_str("\nendmodule\n\n`default_nettype wire\n");
    out
}

impl Emitter<'_> {
    fn port_list(&self) -> String {
        let m = self.m;
        let mut rows: Vec<(String, String, String, String, bool)> = Vec::new();
        for (has, name) in [(m.has_clk, "clk"), (m.has_rst, "rst")] {
            if has {
                rows.push((
                    "input".into(),
                    "wire".into(),
                    String::new(),
                    name.into(),
                    false,
                ));
            }
        }
        for &id in &m.ports {
            let s = &m.sigs[id];
            let (dir, kind) = match (s.kind, m.comb_driven[id]) {
                (SigKind::Input, _) => ("input", "wire"),
                (_, true) => ("output", "reg"),
                _ => ("output", "wire"),
            };
            rows.push((
                dir.into(),
                kind.into(),
                range(s.width),
                s.name.to_string(),
                s.allow_unused,
            ));
        }
        let rw = rows.iter().map(|r| r.2.len()).max().unwrap_or(0);
        let n = rows.len();
        let mut out = String::new();
        for (i, (dir, kind, rng, name, waive)) in rows.into_iter().enumerate() {
            let comma = if i + 1 < n { "," } else { "" };
            if waive {
                out.push_str(&format!("{IND}{WAIVE_ON}\n"));
            }
            out.push_str(&format!(
                "{IND}{dir:<6} {kind:<4} {rng:<rw$}{name}{comma}\n"
            ));
            if waive {
                out.push_str(&format!("{IND}{WAIVE_OFF}\n"));
            }
        }
        out
    }

    fn declarations(&self) -> String {
        let m = self.m;
        let mut out = String::new();
        for mem in &m.mems {
            out.push_str(&format!(
                "{IND}(* ram_style = \"{}\" *)\n",
                mem.style.attr()
            ));
            out.push_str(&format!(
                "{IND}reg {}{} [0:{}];\n",
                range(mem.width),
                mem.name,
                mem.depth - 1
            ));
        }
        for (id, s) in m.sigs.iter().enumerate() {
            if matches!(s.kind, SigKind::Input | SigKind::Output) {
                continue;
            }
            let kind = if s.kind == SigKind::Reg || m.comb_driven[id] {
                "reg"
            } else {
                "wire"
            };
            let line = format!("{IND}{kind:<4} {}{};\n", range(s.width), s.name);
            if s.allow_unused {
                out.push_str(&format!("{IND}{WAIVE_ON}\n{line}{IND}{WAIVE_OFF}\n"));
            } else {
                out.push_str(&line);
            }
        }
        out
    }

    fn temp_section(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.temps.iter().enumerate() {
            let line = format!("{IND}wire {}_t{i};\n", range(t.width));
            if t.used.iter().all(|b| *b) {
                out.push_str(&line);
            } else {
                out.push_str(&format!("{IND}{WAIVE_ON}\n{line}{IND}{WAIVE_OFF}\n"));
            }
            out.push_str(&format!("{IND}assign _t{i} = {};\n", t.rhs));
        }
        out
    }

    fn instances(&mut self) -> String {
        let mut out = String::new();
        for (n, inst) in self.m.insts.iter().enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let mut conns: Vec<String> = Vec::new();
            for (has, name) in [(inst.module.has_clk, "clk"), (inst.module.has_rst, "rst")] {
                if has {
                    conns.push(format!(".{name}({name})"));
                }
            }
            for (port, wire) in &inst.ports {
                conns.push(format!(".{port}({})", wire.name()));
            }
            out.push_str(&format!("{IND}{} {} (\n", inst.module.name(), inst.name));
            for (i, c) in conns.iter().enumerate() {
                let comma = if i + 1 < conns.len() { "," } else { "" };
                out.push_str(&format!("{IND}{IND}{c}{comma}\n"));
            }
            out.push_str(&format!("{IND});\n"));
        }
        out
    }

    fn process(&mut self, kind: ProcKind, body: &[Stmt]) -> String {
        let mut out = String::new();
        match kind {
            ProcKind::Comb => {
                out.push_str(&format!("{IND}always @* begin\n"));
                self.stmts(&mut out, body, 2, "=");
            }
            ProcKind::Seq => {
                let mut ts: Vec<Sig> = Vec::new();
                targets(body, &mut ts);
                out.push_str(&format!("{IND}always @(posedge clk) begin\n"));
                out.push_str(&format!("{IND}{IND}if (rst) begin\n"));
                for t in &ts {
                    let d = &self.m.sigs[t.sig_ref().expect("checked").id];
                    out.push_str(&format!(
                        "{IND}{IND}{IND}{} <= {};\n",
                        d.name,
                        literal(d.width, d.reset)
                    ));
                }
                out.push_str(&format!("{IND}{IND}end else begin\n"));
                self.stmts(&mut out, body, 3, "<=");
                out.push_str(&format!("{IND}{IND}end\n"));
            }
        }
        out.push_str(&format!("{IND}end\n"));
        out
    }

    fn stmts(&mut self, out: &mut String, stmts: &[Stmt], level: usize, op: &str) {
        for s in stmts {
            match s {
                Stmt::Set(t, v) => {
                    let v = self.expr(v);
                    out.push_str(&format!("{}{} {op} {v};\n", pad(level), t.name()));
                }
                Stmt::If(c, a, b) => {
                    out.push_str(&pad(level));
                    self.if_chain(out, c, a, b, level, op);
                }
                Stmt::Case(sel, arms, default) => {
                    let w = sel.width();
                    let sel = self.expr(sel);
                    out.push_str(&format!("{}case ({sel})\n", pad(level)));
                    for (v, body) in arms {
                        out.push_str(&format!("{}{}: begin\n", pad(level + 1), literal(w, *v)));
                        self.stmts(out, body, level + 2, op);
                        out.push_str(&format!("{}end\n", pad(level + 1)));
                    }
                    out.push_str(&format!("{}default: begin\n", pad(level + 1)));
                    self.stmts(out, default, level + 2, op);
                    out.push_str(&format!("{}end\n", pad(level + 1)));
                    out.push_str(&format!("{}endcase\n", pad(level)));
                }
            }
        }
    }

    /// `if (c) begin ... end [else if ... | else begin ... end]`, the indent already written.
    fn if_chain(
        &mut self,
        out: &mut String,
        c: &Expr,
        a: &[Stmt],
        b: &[Stmt],
        level: usize,
        op: &str,
    ) {
        let c = self.expr(c);
        out.push_str(&format!("if ({c}) begin\n"));
        self.stmts(out, a, level + 1, op);
        match b {
            [] => out.push_str(&format!("{}end\n", pad(level))),
            [Stmt::If(c2, a2, b2)] => {
                out.push_str(&format!("{}end else ", pad(level)));
                self.if_chain(out, c2, a2, b2, level, op);
            }
            _ => {
                out.push_str(&format!("{}end else begin\n", pad(level)));
                self.stmts(out, b, level + 1, op);
                out.push_str(&format!("{}end\n", pad(level)));
            }
        }
    }

    /// A name for `e` whose bits `lo..=hi` are selected: the signal itself, or an intermediate
    /// wire holding the expression.
    fn name_for(&mut self, e: &Expr, hi: u32, lo: u32) -> String {
        if let Kind::Sig(r) = e.kind() {
            return r.name.to_string();
        }
        let key = std::rc::Rc::as_ptr(&e.0);
        let i = match self.ids.get(&key) {
            Some(&i) => i,
            None => {
                let rhs = self.expr(e);
                self.temps.push(Temp {
                    width: e.width(),
                    rhs,
                    used: vec![false; e.width() as usize],
                });
                let i = self.temps.len() - 1;
                self.ids.insert(key, i);
                i
            }
        };
        for b in &mut self.temps[i].used[lo as usize..=hi as usize] {
            *b = true;
        }
        format!("_t{i}")
    }

    /// True for expressions that need no parentheses as an operand.
    fn atomic(e: &Expr) -> bool {
        matches!(
            e.kind(),
            Kind::Const(_)
                | Kind::Sig(_)
                | Kind::Concat(_)
                | Kind::Repeat(..)
                | Kind::Slice(..)
                | Kind::Index(..)
                | Kind::Zext(_)
                | Kind::Sext(_)
                | Kind::MemRead(..)
                | Kind::Shift(ShiftOp::Sra, ..)
        )
    }

    fn operand(&mut self, e: &Expr) -> String {
        let s = self.expr(e);
        if Self::atomic(e) {
            s
        } else {
            format!("({s})")
        }
    }

    /// The Verilog text of `e` (see the table in [`crate::rtl::expr`]).
    fn expr(&mut self, e: &Expr) -> String {
        let w = e.width();
        match e.kind() {
            Kind::Const(v) => literal(w, *v),
            Kind::Sig(r) => r.name.to_string(),
            Kind::Unary(op, a) => {
                let a = self.operand(a);
                match op {
                    UnOp::Not => format!("~{a}"),
                    UnOp::Neg => format!("-{a}"),
                }
            }
            Kind::Binary(op, a, b) => {
                let (a, b) = (self.operand(a), self.operand(b));
                format!("{a} {} {b}", op.symbol())
            }
            Kind::Compare(op, a, b) => {
                if op.signed() {
                    let (a, b) = (self.expr(a), self.expr(b));
                    format!("$signed({a}) {} $signed({b})", op.symbol())
                } else {
                    let (a, b) = (self.operand(a), self.operand(b));
                    format!("{a} {} {b}", op.symbol())
                }
            }
            Kind::Shift(op, a, b) => {
                if *op == ShiftOp::Sra {
                    let (a, b) = (self.expr(a), self.operand(b));
                    format!("{{$signed({a}) >>> {b}}}")
                } else {
                    let (a, b) = (self.operand(a), self.operand(b));
                    format!("{a} {} {b}", op.symbol())
                }
            }
            Kind::Reduce(op, a) => format!("{}{}", op.symbol(), self.operand(a)),
            Kind::Mux(c, a, b) => {
                let (c, a, b) = (self.operand(c), self.operand(a), self.operand(b));
                format!("{c} ? {a} : {b}")
            }
            Kind::Concat(parts) => {
                let parts: Vec<String> = parts.iter().map(|p| self.expr(p)).collect();
                format!("{{{}}}", parts.join(", "))
            }
            Kind::Repeat(a, n) => format!("{{{n}{{{}}}}}", self.expr(a)),
            Kind::Slice(a, hi, lo) => {
                let name = self.name_for(a, *hi, *lo);
                if hi == lo {
                    format!("{name}[{hi}]")
                } else {
                    format!("{name}[{hi}:{lo}]")
                }
            }
            Kind::Index(a, i) => {
                let name = self.name_for(a, a.width() - 1, 0);
                format!("{name}[{}]", self.expr(i))
            }
            Kind::Zext(a) => {
                let a_text = self.expr(a);
                format!("{{{}, {a_text}}}", literal(w - a.width(), 0))
            }
            Kind::Sext(a) => {
                let wa = a.width();
                if wa == 1 {
                    format!("{{{w}{{{}}}}}", self.expr(a))
                } else {
                    let name = self.name_for(a, wa - 1, 0);
                    let ext = w - wa;
                    if ext == 1 {
                        format!("{{{name}[{}], {name}}}", wa - 1)
                    } else {
                        format!("{{{{{ext}{{{name}[{}]}}}}, {name}}}", wa - 1)
                    }
                }
            }
            Kind::MemRead(m, a) => format!("{}[{}]", m.name, self.expr(a)),
            Kind::Invalid(_) => unreachable!("finish() rejects invalid expressions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rtl::{lit, ModuleBuilder, Params};

    fn body(build: impl FnOnce(&mut ModuleBuilder)) -> String {
        let mut m = ModuleBuilder::new("t", "test", Params::new());
        build(&mut m);
        super::module_text(&m.finish().unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn extension_and_inversion_are_unambiguous() {
        let t = body(|m| {
            let a = m.input("a", 4);
            m.output_from("y", !a.zext(8));
            m.output_from("z", a.sext(8));
            m.output_from("s", a.sra(lit(2, 1)));
            m.output_from("c", a.lt_s(lit(4, 3)));
        });
        assert!(t.contains("assign y = ~{4'd0, a};"), "{t}");
        assert!(t.contains("assign z = {{4{a[3]}}, a};"), "{t}");
        assert!(t.contains("assign s = {$signed(a) >>> 2'd1};"), "{t}");
        assert!(t.contains("assign c = $signed(a) < $signed(4'd3);"), "{t}");
    }

    #[test]
    fn slices_of_expressions_use_intermediate_wires() {
        let t = body(|m| {
            let a = m.input("a", 4);
            let b = m.input("b", 4);
            let sum = a.add_carry(&b);
            m.output_from("carry", sum.msb());
            m.output_from("low", (&a + &b).slice(1, 0));
            m.output_from("ext", (&a ^ &b).sext(6));
        });
        // The carry sum is used whole-ish (bit 4 only): waived; the sign extension reads all bits.
        assert!(t.contains("    /* verilator lint_off UNUSEDSIGNAL */\n    wire [4:0] _t0;\n    /* verilator lint_on UNUSEDSIGNAL */\n    assign _t0 = {1'b0, a} + {1'b0, b};\n"), "{t}");
        assert!(t.contains("assign carry = _t0[4];"), "{t}");
        assert!(t.contains("assign low = _t1[1:0];"), "{t}");
        assert!(
            t.contains("    wire [3:0] _t2;\n    assign _t2 = a ^ b;\n"),
            "{t}"
        );
        assert!(t.contains("assign ext = {{2{_t2[3]}}, _t2};"), "{t}");
    }

    #[test]
    fn blocks_and_ports() {
        let t = body(|m| {
            let s = m.input("s", 2);
            let y = m.output("y", 3);
            m.comb(|p| {
                p.set(&y, lit(3, 0));
                p.switch(&s, |c| {
                    c.arm(0, |p| p.set(&y, lit(3, 1)));
                    c.arm(3, |p| p.set(&y, lit(3, 4)));
                });
            });
            let r = m.reg("r", 2, 2);
            m.next(&r, &s);
            m.output_from("q", &r);
        });
        assert!(t.contains("    output reg  [2:0] y,\n"), "{t}");
        assert!(
            t.contains("    input  wire       clk,\n    input  wire       rst,\n"),
            "{t}"
        );
        assert!(t.contains(
            "    always @* begin\n        y = 3'd0;\n        case (s)\n            2'd0: begin\n                y = 3'd1;\n            end\n            2'd3: begin\n                y = 3'd4;\n            end\n            default: begin\n            end\n        endcase\n    end\n"
        ), "{t}");
        assert!(t.contains(
            "    always @(posedge clk) begin\n        if (rst) begin\n            r <= 2'd2;\n        end else begin\n            r <= s;\n        end\n    end\n"
        ), "{t}");
    }

    #[test]
    fn constants_fold() {
        let t = body(|m| {
            let a = m.input("a", 4);
            m.output_from("y", a.lt(lit(4, 0)) | (lit(4, 3) + lit(4, 2)).eq(&a));
        });
        assert!(t.contains("assign y = 1'b0 | (4'd5 == a);"), "{t}");
    }
}
