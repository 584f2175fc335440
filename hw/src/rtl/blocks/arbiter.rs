//! A round-robin arbiter over `N` requesters.
//!
//! ```text
//!            ┌─────────────────────────────┐
//!   req [N]─►│ masked = req & mask_q       │──► grant [N]     one-hot, 0 if no request
//!   ack    ─►│ grant  = lowest(masked) or  │──► grant_valid   any request
//!            │          lowest(req)        │──► grant_idx     index of the grant
//!            └─────────────────────────────┘
//! ```
//!
//! `mask_q` holds the positions strictly above the last accepted grant, so the search starts
//! just after it and wraps around; `lowest(x) = x & -x` isolates the lowest set bit. The mask
//! moves only when the grant is accepted (`ack`), so a grant is stable until it is taken.

use crate::rtl::tb::Model as TbModel;
use crate::rtl::{clog2, lit, Design, Expr, ModRef, Params, RtlError};

/// Arbiter parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArbiterParams {
    /// Number of requesters (2..=64).
    pub n: u32,
}

/// Builds (or reuses) `arbiter_rr_n<N>`.
pub fn arbiter(d: &mut Design, p: &ArbiterParams) -> Result<ModRef, RtlError> {
    let n = p.n;
    if !(2..=64).contains(&n) {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("n = {n}; allowed 2..=64"),
        });
    }
    let ib = clog2(u64::from(n));
    d.build(
        &format!("arbiter_rr_n{n}"),
        module_path!(),
        Params::new().with("n", n),
        |m| {
            m.doc(
                "Round-robin arbiter: grants the lowest requester above the last accepted grant,",
            );
            m.doc("wrapping around; `ack` accepts the grant and moves the priority past it.");
            let req = m.input("req", n);
            let ack = m.input("ack", 1);
            let mask = m.reg("mask_q", n, (1u128 << n) - 1);
            let masked = m.wire_from("masked", &req & &mask);
            let lowest = |x: &Expr| x & -x;
            let grant = m.wire_from("grant_w", masked.any().mux(lowest(&masked), lowest(&req)));
            let valid = m.wire_from("valid", req.any());
            m.next_when(&mask, &ack & &valid, !(&grant | grant.sub_const(1)));
            m.output_from("grant", &grant);
            m.output_from("grant_valid", &valid);
            // Index bit k is set when the grant is at a position whose bit k is set.
            let bits: Vec<Expr> = (0..ib)
                .rev()
                .map(|k| {
                    let positions = (0..n)
                        .filter(|i| i >> k & 1 == 1)
                        .fold(0u128, |a, i| a | 1 << i);
                    (&grant & lit(n, positions)).any()
                })
                .collect();
            m.output_from("grant_idx", crate::rtl::cat(bits));
            Ok(())
        },
    )
}

/// The reference model: rows are `[rst, req, ack]`, outputs `[grant, grant_valid, grant_idx]`.
#[derive(Clone, Debug)]
pub struct Model {
    n: u32,
    /// Position of the last accepted grant (`None`: before reset).
    last: Option<Option<u32>>,
}

impl Model {
    /// An arbiter over `p.n` requesters, not yet reset.
    pub fn new(p: &ArbiterParams) -> Model {
        Model { n: p.n, last: None }
    }

    fn pick(&self, req: u128) -> Option<Option<u32>> {
        let last = self.last?;
        let start = last.map_or(0, |l| l + 1);
        Some(
            (0..self.n)
                .map(|k| (start + k) % self.n)
                .find(|&i| req >> i & 1 == 1),
        )
    }
}

impl TbModel for Model {
    fn outputs(&self, row: &[u128]) -> Vec<Option<u128>> {
        match self.pick(row[1]) {
            None => vec![None; 3],
            Some(g) => vec![
                Some(g.map_or(0, |i| 1 << i)),
                Some(u128::from(g.is_some())),
                Some(g.map_or(0, u128::from)),
            ],
        }
    }

    fn step(&mut self, row: &[u128]) {
        if row[0] != 0 {
            self.last = Some(None);
        } else if row[2] != 0 {
            if let Some(Some(g)) = self.pick(row[1]) {
                self.last = Some(Some(g));
            }
        }
    }
}
