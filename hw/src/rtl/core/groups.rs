//! Thread groups (T2 style): a core of `threads` threads in `groups` groups is `groups`
//! instances of a one-group datapath over `threads / groups` threads each, issuing in the same
//! cycle, and the core's one iterative divider ([`super::muldiv::divider`]). Group `g` sees the
//! divider busy if an earlier group issued a divide in the same cycle (the simulator visits
//! groups in order), so at most one group starts it per cycle; its tag is `{group, tid, rd}`
//! and its result goes back to that group's thread (bank C of its register file).
//!
//! Ports are the one-group core's, with per-thread lanes concatenated over all threads
//! (group `g` owns lanes `g * threads / groups ..`) and the per-issue ports (`d_req_*`,
//! `d_fault`, `c_*`, `if_req_pc`, `if_req_untimed`) repeated per group as `g<g>_<port>`.

use super::CoreParams;
use crate::rtl::{cat, clog2, lit, zeros, Expr, ModRef, ModuleBuilder};

const SHARED_IN: &[(&str, u32)] = &[("reset_pc", 64), ("dtb", 64), ("mtime", 64)];
/// Per-thread input lanes and their widths.
const LANES_IN: &[(&str, u32)] = &[
    ("msip", 1),
    ("mtip", 1),
    ("if_rsp_valid", 1),
    ("if_rsp_insn", 32),
    ("if_rsp_fault", 1),
    ("d_rsp_valid", 1),
    ("d_rsp_data", 64),
    ("st_ack", 0), // `sched::st_ack_width` bits per thread
];
/// Per-thread output lanes.
const LANES_OUT: &[(&str, u32)] = &[("if_req_valid", 1), ("lw_valid", 1), ("lw_data", 64)];
/// Per-group outputs.
const GROUP_OUT: &[&str] = &[
    "if_req_pc",
    "if_req_untimed",
    "d_req_valid",
    "d_req_tid",
    "d_req_kind",
    "d_req_amo",
    "d_req_addr",
    "d_req_size",
    "d_req_wdata",
    "c_valid",
    "c_tid",
    "c_pc",
    "c_insn",
    "c_trap",
    "c_cause",
    "c_tval",
    "c_rd_we",
    "c_late",
    "c_rd",
    "c_rd_val",
    "c_csr_we",
    "c_csr_num",
    "c_csr_val",
];

/// The core of `p` built from `p.groups` instances of `grp`.
pub fn wrapper(m: &mut ModuleBuilder, p: &CoreParams, grp: &ModRef, divider: &ModRef) {
    let g_n = p.groups;
    let tg = p.threads / g_n;
    m.doc("Multithreaded core: one issue datapath per thread group, one shared divider.");
    let hart_base = m.input("hart_base", 32);
    let shared: Vec<_> = SHARED_IN.iter().map(|&(n, w)| m.input(n, w)).collect();
    let st_w = super::sched::st_ack_width(p);
    let width = |w: u32| if w == 0 { st_w } else { w };
    let lanes: Vec<_> = LANES_IN
        .iter()
        .map(|&(n, w)| m.input(n, width(w) * p.threads))
        .collect();
    let faults: Vec<_> = (0..g_n)
        .map(|g| m.input(&format!("g{g}_d_fault"), 1))
        .collect();
    let gw = clog2(u64::from(g_n)).max(1);
    let lw = clog2(u64::from(tg)).max(1);
    let tw = clog2(u64::from(p.threads)).max(1);
    let div = m.instance("divider", divider);
    let busy = m.wire_from("div_busy", div.port("busy").expr());
    let done = div.port("done");
    let res_tag = div.port("res_tag");
    let res_group = m.wire_from("div_res_group", res_tag.slice(gw + lw + 4, lw + 5));
    let res_local = res_tag.slice(lw + 4, 0);
    let mut taken: Expr = busy.expr();
    let mut any_issue: Expr = zeros(1);
    let (mut op, mut a, mut b, mut tag): (Vec<Expr>, Vec<Expr>, Vec<Expr>, Vec<Expr>) =
        Default::default();
    let mut issues = Vec::new();
    let mut res_tid: Expr = zeros(tw);
    let mut outs: Vec<Vec<Expr>> = vec![Vec::new(); LANES_OUT.len()];
    for g in 0..g_n {
        let u = m.instance(&format!("group{g}"), grp);
        m.assign(
            &u.port("hart_base"),
            &hart_base + lit(32, u128::from(g * tg)),
        );
        for ((n, _), s) in SHARED_IN.iter().zip(&shared) {
            m.assign(&u.port(n), s.expr());
        }
        for ((n, w), s) in LANES_IN.iter().zip(&lanes) {
            let w = width(*w);
            let lo = g * tg * w;
            m.assign(&u.port(n), s.slice(lo + tg * w - 1, lo));
        }
        m.assign(&u.port("d_fault"), faults[g as usize].expr());
        m.assign(&u.port("div_busy_in"), taken.clone());
        let issue = u.port("div_issue");
        taken = taken | &issue;
        any_issue = any_issue | &issue;
        issues.push(issue.expr());
        op.push(u.port("div_op").expr());
        a.push(u.port("div_a").expr());
        b.push(u.port("div_b").expr());
        tag.push(cat([lit(gw, u128::from(g)), u.port("div_tag").expr()]));
        let mine = res_group.eq(lit(gw, u128::from(g)));
        m.assign(&u.port("div_wb_valid"), &done & &mine);
        m.assign(&u.port("div_wb_tag"), res_local.clone());
        m.assign(&u.port("div_wb_data"), div.port("res").expr());
        let core_tid = lit(tw, u128::from(g * tg)) + res_tag.slice(lw + 4, 5).zext(tw);
        res_tid = res_tid | (mine.repeat(tw) & core_tid);
        for (k, (n, _)) in LANES_OUT.iter().enumerate() {
            outs[k].push(u.port(n).expr());
        }
        for n in GROUP_OUT {
            m.output_from(&format!("g{g}_{n}"), u.port(n).expr());
        }
    }
    // At most one group issues a divide per cycle: its operands start the divider.
    m.assign(&div.port("start"), any_issue);
    m.assign(&div.port("op"), super::pick(&issues, &op));
    m.assign(&div.port("a"), super::pick(&issues, &a));
    m.assign(&div.port("b"), super::pick(&issues, &b));
    m.assign(&div.port("tag"), super::pick(&issues, &tag));
    // The divider's results, for the co-simulation harness (core-wide thread index).
    let rd = res_tag.slice(4, 0);
    m.output_from("dw_valid", &done & rd.ne(zeros(5)));
    m.output_from("dw_tid", res_tid);
    m.output_from("dw_rd", rd);
    m.output_from("dw_data", div.port("res").expr());
    for (k, (n, _)) in LANES_OUT.iter().enumerate() {
        // Lane order: group 0's threads in the low bits.
        m.output_from(n, cat(outs[k].iter().rev().cloned()));
    }
}
