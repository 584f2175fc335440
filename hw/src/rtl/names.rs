//! Identifier rules and the systematic names used across generated RTL.
//!
//! * tiles are `tile_<y>_<x>` ([`tile`]);
//! * mesh ports are `<in|out>_<n|e|s|w|l>_<field>` ([`port`]), `l` being the local (tile) port;
//! * `clk` and `rst` are the implicit clock and reset ports, and names starting with `_` are
//!   reserved for the emitter's intermediate wires, so neither may be declared by a generator.

use std::fmt;

/// A router side: the four mesh neighbours and the local port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// North (towards smaller `y`).
    N,
    /// East (towards larger `x`).
    E,
    /// South (towards larger `y`).
    S,
    /// West (towards smaller `x`).
    W,
    /// Local: the tile attached to the router.
    L,
}

impl Side {
    /// All sides in port order.
    pub const ALL: [Side; 5] = [Side::N, Side::E, Side::S, Side::W, Side::L];

    /// The one-letter name used in port names.
    pub fn letter(self) -> &'static str {
        match self {
            Side::N => "n",
            Side::E => "e",
            Side::S => "s",
            Side::W => "w",
            Side::L => "l",
        }
    }
}

/// Direction of a port, as a name prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Io {
    /// Flits entering the block.
    In,
    /// Flits leaving the block.
    Out,
}

impl fmt::Display for Io {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Io::In => "in",
            Io::Out => "out",
        })
    }
}

/// `tile_<y>_<x>`.
pub fn tile(y: u32, x: u32) -> String {
    format!("tile_{y}_{x}")
}

/// The bundle prefix `<in|out>_<side>` (e.g. `in_n`); members are appended as `_<field>`.
pub fn side_prefix(io: Io, side: Side) -> String {
    format!("{io}_{}", side.letter())
}

/// `<in|out>_<side>_<field>` (e.g. `out_e_valid`).
pub fn port(io: Io, side: Side, field: &str) -> String {
    format!("{}_{field}", side_prefix(io, side))
}

/// Names the IR declares itself.
pub const RESERVED: &[&str] = &["clk", "rst"];

/// Verilog-2005 and SystemVerilog-2017 keywords (a generated name must be legal in both).
const KEYWORDS: &[&str] = &[
    "accept_on",
    "alias",
    "always",
    "always_comb",
    "always_ff",
    "always_latch",
    "and",
    "assert",
    "assign",
    "assume",
    "automatic",
    "before",
    "begin",
    "bind",
    "bins",
    "binsof",
    "bit",
    "break",
    "buf",
    "bufif0",
    "bufif1",
    "byte",
    "case",
    "casex",
    "casez",
    "cell",
    "chandle",
    "checker",
    "class",
    "clocking",
    "cmos",
    "config",
    "const",
    "constraint",
    "context",
    "continue",
    "cover",
    "covergroup",
    "coverpoint",
    "cross",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "dist",
    "do",
    "edge",
    "else",
    "end",
    "endcase",
    "endchecker",
    "endclass",
    "endclocking",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endgroup",
    "endinterface",
    "endmodule",
    "endpackage",
    "endprimitive",
    "endprogram",
    "endproperty",
    "endsequence",
    "endspecify",
    "endtable",
    "endtask",
    "enum",
    "event",
    "eventually",
    "expect",
    "export",
    "extends",
    "extern",
    "final",
    "first_match",
    "for",
    "force",
    "foreach",
    "forever",
    "fork",
    "forkjoin",
    "function",
    "generate",
    "genvar",
    "global",
    "highz0",
    "highz1",
    "if",
    "iff",
    "ifnone",
    "ignore_bins",
    "illegal_bins",
    "implements",
    "implies",
    "import",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "inside",
    "instance",
    "int",
    "integer",
    "interconnect",
    "interface",
    "intersect",
    "join",
    "join_any",
    "join_none",
    "large",
    "let",
    "liblist",
    "library",
    "local",
    "localparam",
    "logic",
    "longint",
    "macromodule",
    "matches",
    "medium",
    "modport",
    "module",
    "nand",
    "negedge",
    "nettype",
    "new",
    "nexttime",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "null",
    "or",
    "output",
    "package",
    "packed",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "priority",
    "program",
    "property",
    "protected",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_ondetect",
    "pulsestyle_onevent",
    "pure",
    "rand",
    "randc",
    "randcase",
    "randsequence",
    "rcmos",
    "real",
    "realtime",
    "ref",
    "reg",
    "reject_on",
    "release",
    "repeat",
    "restrict",
    "return",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "s_always",
    "s_eventually",
    "s_nexttime",
    "s_until",
    "s_until_with",
    "scalared",
    "sequence",
    "shortint",
    "shortreal",
    "showcancelled",
    "signed",
    "small",
    "soft",
    "solve",
    "specify",
    "specparam",
    "static",
    "string",
    "strong",
    "strong0",
    "strong1",
    "struct",
    "super",
    "supply0",
    "supply1",
    "sync_accept_on",
    "sync_reject_on",
    "table",
    "tagged",
    "task",
    "this",
    "throughout",
    "time",
    "timeprecision",
    "timeunit",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "type",
    "typedef",
    "union",
    "unique",
    "unique0",
    "unsigned",
    "until",
    "until_with",
    "untyped",
    "use",
    "uwire",
    "var",
    "vectored",
    "virtual",
    "void",
    "wait",
    "wait_order",
    "wand",
    "weak",
    "weak0",
    "weak1",
    "while",
    "wildcard",
    "wire",
    "with",
    "within",
    "wor",
    "xnor",
    "xor",
];

/// Why `name` cannot be a generated identifier, or `None` if it can: it must match
/// `[A-Za-z][A-Za-z0-9_]*`, must not be a Verilog/SystemVerilog keyword, and must not be
/// reserved (`clk`, `rst`, or a leading `_`).
pub fn check_identifier(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("names must not be empty".into()),
        Some('_') => {
            return Some("names starting with '_' are reserved for the emitter's wires".into())
        }
        Some(c) if !c.is_ascii_alphabetic() => {
            return Some("names must start with a letter".into())
        }
        _ => {}
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Some(format!(
            "'{c}' is not allowed (use letters, digits and '_')"
        ));
    }
    if KEYWORDS.binary_search(&name).is_ok() {
        return Some("it is a Verilog/SystemVerilog keyword".into());
    }
    if RESERVED.contains(&name) {
        return Some("clk and rst are the implicit clock and reset ports".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_table_is_sorted() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn systematic_names() {
        assert_eq!(tile(3, 1), "tile_3_1");
        assert_eq!(port(Io::In, Side::N, "valid"), "in_n_valid");
        assert_eq!(port(Io::Out, Side::L, "data"), "out_l_data");
        assert_eq!(side_prefix(Io::Out, Side::W), "out_w");
    }

    #[test]
    fn identifiers() {
        assert_eq!(check_identifier("in_data"), None);
        assert_eq!(check_identifier("q2"), None);
        assert!(check_identifier("reg").unwrap().contains("keyword"));
        assert!(check_identifier("logic").unwrap().contains("keyword"));
        assert!(check_identifier("_t0").unwrap().contains("reserved"));
        assert!(check_identifier("clk").unwrap().contains("implicit"));
        assert!(check_identifier("2x").unwrap().contains("letter"));
        assert!(check_identifier("a.b").unwrap().contains("'.'"));
        assert!(check_identifier("").is_some());
    }
}
