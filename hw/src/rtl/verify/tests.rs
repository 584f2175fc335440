//! Every check of `finish()`, with its message asserted.

use crate::rtl::{lit, Bundle, Design, ModuleBuilder, Params, RamStyle, Role, RtlError};

fn mb(name: &str) -> ModuleBuilder {
    ModuleBuilder::new(name, "test", Params::new())
}

fn err(m: ModuleBuilder) -> String {
    m.finish().expect_err("expected an error").to_string()
}

#[test]
fn assignment_width_mismatch_names_module_signal_and_widths() {
    let mut m = mb("top");
    let a = m.input("a", 8);
    let y = m.output("y", 9);
    m.assign(&y, &a);
    let e = m.finish().unwrap_err();
    assert_eq!(
        e,
        RtlError::Width {
            module: "top".into(),
            signal: "y".into(),
            what: "assigned value `a`".into(),
            expected: 9,
            actual: 8
        }
    );
    assert_eq!(
        e.to_string(),
        "module 'top', signal 'y': assigned value `a`: expected width 9, got 8"
    );
}

#[test]
fn operand_width_mismatch_is_reported_where_it_is_assigned() {
    let mut m = mb("top");
    let a = m.input("a", 8);
    let b = m.input("b", 4);
    m.output_from("sum", &a + &b);
    assert_eq!(
        err(m),
        "module 'top', signal 'sum': right operand of `a + b`: expected width 8, got 4"
    );
}

#[test]
fn no_silent_extension_anywhere() {
    // Comparison operands, mux arms, if conditions, memory ports and registers are all checked.
    let mut m = mb("top");
    let a = m.input("a", 8);
    let b = m.input("b", 7);
    m.output_from("lt", a.lt(&b));
    assert_eq!(
        err(m),
        "module 'top', signal 'lt': right operand of `a < b`: expected width 8, got 7"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    let r = m.reg("r", 8, 0);
    m.seq(|p| p.when(&a, |p| p.set(&r, &a)));
    m.output_from("y", &r);
    assert_eq!(
        err(m),
        "module 'top', signal 'r': if condition `a`: expected width 1, got 8"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    let r = m.reg("r", 4, 0);
    m.next(&r, &a);
    m.output_from("y", &r);
    assert_eq!(
        err(m),
        "module 'top', signal 'r': assigned value `a`: expected width 4, got 8"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    let mem = m.memory("ram", 8, 16, RamStyle::Distributed);
    m.mem_write(&mem, lit(1, 1), a.trunc(3), &a);
    m.output_from("q", mem.read(a.trunc(4)));
    assert_eq!(
        err(m),
        "module 'top', signal 'ram.write_addr': write address `a[2:0]` (16 words): expected width 4, got 3"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    let mem = m.memory("ram", 8, 16, RamStyle::Distributed);
    m.mem_write(&mem, lit(1, 1), a.trunc(4), &a);
    m.output_from("q", mem.read(&a));
    assert_eq!(
        err(m),
        "module 'top', signal 'q': address of `ram[a]` (16 words): expected width 4, got 8"
    );
}

#[test]
fn expression_errors_other_than_widths() {
    let mut m = mb("top");
    let a = m.input("a", 8);
    m.output_from("y", a.slice(9, 2));
    assert_eq!(
        err(m),
        "module 'top', signal 'y': slice [9:2] of `a` is out of range: it has 8 bits"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    let y = m.output("y", 8);
    m.assign(&y, &a + lit(8, 300));
    assert_eq!(
        err(m),
        "module 'top', signal 'y': constant 300 does not fit in 8 bits"
    );

    let mut other = mb("other");
    let foreign = other.input("x", 8);
    let mut m = mb("top");
    m.output_from("y", &foreign);
    assert_eq!(
        err(m),
        "module 'top', signal 'y': `x` is a signal of module 'other', not of this module"
    );
}

#[test]
fn drivers_are_checked() {
    let mut m = mb("top");
    let a = m.input("a", 1);
    let w = m.wire("w", 1);
    m.assign(&w, &a);
    m.assign(&w, !&a);
    m.output_from("y", &w);
    assert_eq!(
        err(m),
        "module 'top', signal 'w': it is driven more than once: by an assign and by an assign"
    );

    let mut m = mb("top");
    m.output("y", 1);
    assert_eq!(
        err(m),
        "module 'top', signal 'y': it is never driven; drive it with assign(), output_from() or a comb block"
    );

    let mut m = mb("top");
    let a = m.input("a", 1);
    m.assign(&a, lit(1, 0));
    assert_eq!(
        err(m),
        "module 'top', signal 'a': it is an input port; it cannot be driven"
    );

    let mut m = mb("top");
    let a = m.input("a", 1);
    let r = m.reg("r", 1, 0);
    m.assign(&r, &a);
    assert_eq!(
        err(m),
        "module 'top', signal 'r': it is a register; drive it with next(), next_when() or a seq block, not assign()"
    );

    let mut m = mb("top");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    m.seq(|p| p.set(&y, &a));
    assert_eq!(
        err(m),
        "module 'top', signal 'y': it is not a register; seq blocks assign registers (declare it with reg())"
    );
}

#[test]
fn comb_blocks_need_defaults_and_must_not_read_their_targets() {
    let mut m = mb("top");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    m.comb(|p| p.when(&a, |p| p.set(&y, lit(1, 1))));
    assert_eq!(
        err(m),
        "module 'top', signal 'y': a comb block assigns it only under a condition; assign it a default at the top of the block first (otherwise a latch is inferred)"
    );

    let mut m = mb("top");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    m.comb(|p| {
        p.set(&y, &a);
        p.when(&a, |p| p.set(&y, !&y));
    });
    assert_eq!(
        err(m),
        "module 'top', signal 'y': a comb block reads it while also driving it; compute that value in a separate wire (wire_from) so the block does not depend on statement order"
    );
}

#[test]
fn unread_bits_are_reported() {
    let mut m = mb("top");
    let a = m.input("a", 8);
    m.output_from("y", a.slice(3, 0));
    assert_eq!(
        err(m),
        "module 'top', signal 'a': bits [7:4] are never read; use it, or mark it with allow_unused() if that is intended"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    m.output_from("y", cat2(a.bit(7), a.slice(5, 1)));
    assert_eq!(
        err(m),
        "module 'top', signal 'a': bits [6], [0] are never read; use it, or mark it with allow_unused() if that is intended"
    );

    let mut m = mb("top");
    let a = m.input("a", 8);
    m.allow_unused(&a);
    m.output_from("y", a.slice(3, 0));
    assert!(m.finish().is_ok());
}

fn cat2(a: crate::rtl::Expr, b: crate::rtl::Expr) -> crate::rtl::Expr {
    crate::rtl::cat([a, b])
}

#[test]
fn names_are_checked() {
    let mut m = mb("top");
    m.input("a", 1);
    m.input("a", 1);
    assert_eq!(
        err(m),
        "module 'top': bad name 'a': declared twice in this module"
    );

    let mut m = mb("top");
    m.input("wire", 1);
    assert_eq!(
        err(m),
        "module 'top': bad name 'wire': it is a Verilog/SystemVerilog keyword"
    );

    let mut m = mb("top");
    m.input("clk", 1);
    assert_eq!(
        err(m),
        "module 'top': bad name 'clk': clk and rst are the implicit clock and reset ports"
    );
}

#[test]
fn memories_follow_their_templates() {
    let mut m = mb("top");
    let a = m.input("a", 4);
    let d = m.input("d", 8);
    let mem = m.memory("ram", 8, 16, RamStyle::Block);
    m.mem_write(&mem, lit(1, 1), &a, &d);
    m.output_from("q", mem.read(&a));
    assert_eq!(
        err(m),
        "module 'top', memory 'ram': it is a \"block\" memory, whose template has a registered read port; read it with mem_read_sync() (or use RamStyle::Distributed)"
    );

    let mut m = mb("top");
    let a = m.input("a", 4);
    let d = m.input("d", 8);
    let mem = m.memory("ram", 8, 16, RamStyle::Distributed);
    m.mem_write(&mem, lit(1, 1), &a, &d);
    let q = m.mem_read_sync(&mem, "q_r", lit(1, 1), &a);
    m.output_from("q", &q);
    assert_eq!(
        err(m),
        "module 'top', memory 'ram': it is a \"distributed\" memory, whose template reads asynchronously; read it with Mem::read() (or use RamStyle::Block)"
    );

    let mut m = mb("top");
    m.memory("ram", 8, 12, RamStyle::Ultra);
    assert_eq!(
        err(m),
        "module 'top', memory 'ram': 12 words of 8 bits: the width must be at least 1 and the depth a power of two of at least 2"
    );

    let mut m = mb("top");
    let a = m.input("a", 4);
    let mem = m.memory("ram", 8, 16, RamStyle::Distributed);
    m.output_from("q", mem.read(&a));
    assert_eq!(
        err(m),
        "module 'top', memory 'ram': it is never written (add mem_write)"
    );
}

#[test]
fn bundles_connect_member_by_member() {
    let mut d = Design::new("test");
    let child = d
        .build("child", "test", Params::new(), |m| {
            let i = m.bundle_port("in", Role::Sink, &Bundle::stream(8));
            let o = m.bundle_port("out", Role::Source, &Bundle::stream(8));
            m.connect(&i, &o);
            Ok(())
        })
        .unwrap();
    // A pass-through parent: in → u.in, u.out → out.
    let mut m = mb("parent");
    let i = m.bundle_port("in", Role::Sink, &Bundle::stream(8));
    let o = m.bundle_port("out", Role::Source, &Bundle::stream(8));
    let u = m.instance("u", &child);
    m.connect(&i, &u.bundle("in"));
    m.connect(&u.bundle("out"), &o);
    assert!(m.finish().is_ok());

    let mut m = mb("parent");
    let i = m.bundle_port("in", Role::Sink, &Bundle::stream(16));
    let u = m.instance("u", &child);
    m.connect(&i, &u.bundle("in"));
    assert_eq!(
        err(m),
        "module 'parent': cannot connect bundle 'in' to 'u.in': member 'data' is 16 bits on 'in' but 8 bits on 'u.in'"
    );

    let mut m = mb("parent");
    let i = m.bundle_port("in", Role::Sink, &Bundle::stream(8).forward("last", 1));
    let u = m.instance("u", &child);
    m.connect(&i, &u.bundle("in"));
    assert_eq!(
        err(m),
        "module 'parent': cannot connect bundle 'in' to 'u.in': member 'last' exists on 'in' but not on 'u.in'"
    );

    let mut m = mb("parent");
    let o = m.bundle_port("out", Role::Source, &Bundle::stream(8));
    let u = m.instance("u", &child);
    m.connect(&o, &u.bundle("in"));
    assert_eq!(
        err(m),
        "module 'parent': cannot connect bundle 'out' to 'u.in': 'out' is driven by this module (an output bundle of this module or an input bundle of an instance), so data cannot flow out of it; swap the arguments"
    );

    let mut m = mb("parent");
    let i = m.bundle_port("in", Role::Sink, &Bundle::stream(8));
    let u = m.instance("u", &child);
    m.connect(&i, &u.bundle("inn"));
    assert_eq!(
        err(m),
        "module 'parent': cannot connect bundle 'in' to 'u.inn': module 'child' has no bundle 'inn' (its bundles: in, out)"
    );
}

#[test]
fn instance_ports_must_be_driven_and_used() {
    let mut d = Design::new("test");
    let child = d
        .build("inv", "test", Params::new(), |m| {
            let a = m.input("a", 4);
            m.output_from("y", !&a);
            Ok(())
        })
        .unwrap();
    let mut m = mb("top");
    let u = m.instance("u", &child);
    m.output_from("y", u.port("y"));
    assert_eq!(
        err(m),
        "module 'top', signal 'u_a': it (input port 'a' of instance 'u') is never driven; drive it with assign(), output_from() or a comb block"
    );

    let mut m = mb("top");
    let a = m.input("a", 4);
    let u = m.instance("u", &child);
    m.assign(&u.port("a"), &a);
    assert_eq!(
        err(m),
        "module 'top', signal 'u_y': it (output port 'y' of instance 'u') is never read; use it, or mark it with allow_unused() if that is intended"
    );

    let mut m = mb("top");
    let a = m.input("a", 4);
    let u = m.instance("u", &child);
    m.assign(&u.port("a"), &a);
    m.output_from("y", u.port("z"));
    assert_eq!(
        err(m),
        "module 'top', signal 'y': instance 'u' of module 'inv' has no port 'z' (its ports: a, y)"
    );
}

#[test]
fn one_definition_per_parameter_set() {
    let mut d = Design::new("test");
    let mk = |d: &mut Design, w: u32, name: &str| {
        d.build(name, "test", Params::new().with("width", w), |m| {
            let a = m.input("a", w);
            m.output_from("y", &a);
            Ok(())
        })
    };
    let a = mk(&mut d, 8, "buf8").unwrap();
    let b = mk(&mut d, 8, "buf8").unwrap();
    assert!(std::rc::Rc::ptr_eq(&a, &b));
    assert_eq!(d.modules().len(), 1);
    assert_eq!(
        mk(&mut d, 16, "buf8").unwrap_err().to_string(),
        "module 'buf8' generated twice with different parameters ('width=8' and 'width=16'); put the parameters that differ into the module name"
    );
    // 256 instances of one definition.
    let top = d
        .build("mesh", "test", Params::new(), |m| {
            let x = m.input("x", 8);
            for i in 0..256 {
                let u = m.instance(&format!("b{i}"), &a);
                m.assign(&u.port("a"), &x);
                m.allow_unused(&u.port("y"));
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(top.instances().len(), 256);
    assert_eq!(d.modules().len(), 2);
}
