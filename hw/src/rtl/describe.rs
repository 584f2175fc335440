//! Short, Verilog-like text of expressions for error messages, and sized literals.

use super::expr::{Expr, Kind, UnOp};

/// The Verilog text of a sized constant: `1'b0`/`1'b1` for one bit, decimal below 256, hex above.
pub(crate) fn literal(width: u32, value: u128) -> String {
    if width == 1 {
        format!("1'b{value}")
    } else if value < 256 {
        format!("{width}'d{value}")
    } else {
        format!("{width}'h{value:x}")
    }
}

/// A short, Verilog-like rendering of an expression for error messages (not the emitted text).
pub(crate) fn describe(e: &Expr) -> String {
    let mut s = String::new();
    render(e, 0, &mut s);
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "...";
    }
    s
}

fn render(e: &Expr, depth: u32, out: &mut String) {
    if depth > 4 {
        out.push_str("...");
        return;
    }
    let sub = |x: &Expr, out: &mut String| {
        let compound = matches!(
            x.kind(),
            Kind::Binary(..) | Kind::Compare(..) | Kind::Shift(..) | Kind::Mux(..)
        );
        if compound {
            out.push('(');
        }
        render(x, depth + 1, out);
        if compound {
            out.push(')');
        }
    };
    match e.kind() {
        Kind::Const(v) => out.push_str(&literal(e.width(), *v)),
        Kind::Sig(r) => out.push_str(&r.name),
        Kind::Unary(op, a) => {
            out.push_str(if *op == UnOp::Not { "~" } else { "-" });
            sub(a, out);
        }
        Kind::Binary(op, a, b) => {
            sub(a, out);
            out.push_str(&format!(" {} ", op.symbol()));
            sub(b, out);
        }
        Kind::Compare(op, a, b) => {
            sub(a, out);
            out.push_str(&format!(
                " {}{} ",
                op.symbol(),
                if op.signed() { "s" } else { "" }
            ));
            sub(b, out);
        }
        Kind::Shift(op, a, b) => {
            sub(a, out);
            out.push_str(&format!(" {} ", op.symbol()));
            sub(b, out);
        }
        Kind::Reduce(op, a) => {
            out.push_str(op.symbol());
            sub(a, out);
        }
        Kind::Mux(c, a, b) => {
            sub(c, out);
            out.push_str(" ? ");
            sub(a, out);
            out.push_str(" : ");
            sub(b, out);
        }
        Kind::Concat(parts) => {
            out.push('{');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(p, depth + 1, out);
            }
            out.push('}');
        }
        Kind::Repeat(a, n) => {
            out.push_str(&format!("{{{n}{{"));
            render(a, depth + 1, out);
            out.push_str("}}");
        }
        Kind::Slice(a, hi, lo) => {
            sub(a, out);
            if hi == lo {
                out.push_str(&format!("[{hi}]"));
            } else {
                out.push_str(&format!("[{hi}:{lo}]"));
            }
        }
        Kind::Index(a, i) => {
            sub(a, out);
            out.push('[');
            render(i, depth + 1, out);
            out.push(']');
        }
        Kind::Zext(a) | Kind::Sext(a) => {
            let f = if matches!(e.kind(), Kind::Zext(_)) {
                "zext"
            } else {
                "sext"
            };
            out.push_str(&format!("{f}("));
            render(a, depth + 1, out);
            out.push_str(&format!(", {})", e.width()));
        }
        Kind::MemRead(m, a) => {
            out.push_str(&m.name);
            out.push('[');
            render(a, depth + 1, out);
            out.push(']');
        }
        Kind::Invalid(_) => out.push_str("<invalid>"),
    }
}
