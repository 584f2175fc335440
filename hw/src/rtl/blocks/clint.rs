//! The CLINT: `msip`, `mtimecmp` per hart and `mtime`, at the offsets of `hw/src/memmap.rs`
//! (the SiFive layout for harts below 4,095 plus Strand's extended windows for every hart).
//!
//! ```text
//!  offset (22 bits inside CLINT_BASE)       register
//!  0x00_0000 + 4h    (h < 4095)             msip[h]      bit 0
//!  0x00_4000 + 8h    (h < 4095)             mtimecmp[h]  64 bits (resets to all ones)
//!  0x00_bff8                                mtime        64 bits
//!  0x10_0000 + 4h                           msip[h]      (extended window)
//!  0x20_0000 + 8h                           mtimecmp[h]  (extended window)
//! ```
//!
//! Requests (`req_valid`, always accepted) are 4 or 8 bytes (`req_size` 2 or 3) with data in
//! its byte lanes (`req_wdata[63:32]` for offsets with bit 2 set); reads answer the next cycle
//! (`resp_valid`, `resp_data` in the same lanes); unmapped offsets read 0 and ignore writes.
//! `mtime` counts at `TIMEBASE_HZ` from the core clock exactly as the simulator's
//! `mtime = cycle * 10 MHz / clock`: an accumulator adds 10 MHz each cycle and ticks `mtime`
//! when it passes the clock frequency. `mtip[h] = mtime >= mtimecmp[h]`, `msip[h]` = its bit.

use super::OrTree;
use crate::memmap::{
    CLINT_LEGACY_HARTS, CLINT_MSIP_EXT, CLINT_MTIME, CLINT_MTIMECMP, CLINT_MTIMECMP_EXT,
    TIMEBASE_HZ,
};
use crate::rtl::tb::Model as TbModel;
use crate::rtl::ty::bits_for;
use crate::rtl::{cat, clog2, lit, zeros, Design, Expr, ModRef, Params, RtlError};

/// CLINT parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClintParams {
    /// Harts.
    pub harts: u32,
    /// Core clock in Hz (a multiple of nothing in particular; above 10 MHz).
    pub clock_hz: u64,
}

/// Builds (or reuses) `clint_h<H>_f<MHz>`.
pub fn clint(d: &mut Design, p: &ClintParams) -> Result<ModRef, RtlError> {
    if p.harts == 0 || p.harts > crate::memmap::CLINT_MAX_HARTS || p.clock_hz <= TIMEBASE_HZ {
        return Err(RtlError::Param {
            generator: module_path!().into(),
            why: format!("{p:?}: 1..=CLINT_MAX_HARTS harts, clock above 10 MHz"),
        });
    }
    let hb = clog2(u64::from(p.harts)).max(1);
    let ab = bits_for(p.clock_hz);
    let params = Params::new()
        .with("harts", p.harts)
        .with("clock_hz", p.clock_hz);
    d.build(
        &format!("clint_h{}_f{}", p.harts, p.clock_hz),
        module_path!(),
        params,
        |m| {
            m.doc("CLINT: msip, mtimecmp, mtime (legacy + extended windows of hw/src/memmap.rs).");
            let valid = m.input("req_valid", 1);
            let write = m.input("req_write", 1);
            let off = m.input("req_addr", 22);
            let wdata = m.input("req_wdata", 64);
            let size = m.input("req_size", 2);
            let hi = off.bit(2);
            let wide = size.eq(lit(2, 3));
            let we = m.wire_from("we", &valid & &write);
            // Regions and hart indexes.
            let legacy = p.harts.min(CLINT_LEGACY_HARTS);
            let r_msip = m.wire_from(
                "r_msip",
                off.slice(21, 14).eq(zeros(8)) & off.slice(1, 0).eq(zeros(2)),
            );
            let r_mtc = m.wire_from(
                "r_mtc",
                off.ge(lit(22, u128::from(CLINT_MTIMECMP)))
                    & off.lt(lit(22, u128::from(CLINT_MTIME)))
                    & off.slice(1, 0).eq(zeros(2)),
            );
            let r_mtime = m.wire_from(
                "r_mtime",
                off.slice(21, 3).eq(lit(19, u128::from(CLINT_MTIME >> 3)))
                    & off.slice(1, 0).eq(zeros(2)),
            );
            let r_msip_x = m.wire_from(
                "r_msip_x",
                off.slice(21, 20)
                    .eq(lit(2, u128::from(CLINT_MSIP_EXT >> 20)))
                    & off.slice(1, 0).eq(zeros(2)),
            );
            let r_mtc_x = m.wire_from("r_mtc_x", off.bit(21) & off.slice(1, 0).eq(zeros(2)));
            let _ = CLINT_MTIMECMP_EXT;
            let i_msip = off.slice(13, 2); // 12 bits
            let i_mtc = m.wire_from(
                "i_mtc",
                off.slice(15, 3) - lit(13, u128::from(CLINT_MTIMECMP >> 3)),
            );
            let i_msip_x = off.slice(19, 2); // 18 bits
            let i_mtc_x = off.slice(20, 3); // 18 bits
            let is_h = |idx: &Expr, w: u32, h: u32| -> Expr {
                if u64::from(h) >> w != 0 {
                    lit(1, 0)
                } else {
                    idx.eq(lit(w, u128::from(h)))
                }
            };
            // mtime and its prescaler.
            let mtime = m.reg("mtime_q", 64, 0);
            let acc = m.reg("acc_q", ab, 0);
            let sum = m.wire_from("acc_sum", acc.add_carry(lit(ab, u128::from(TIMEBASE_HZ))));
            let clk = lit(ab + 1, u128::from(p.clock_hz));
            let tick = m.wire_from("tick", sum.ge(clk.clone()));
            m.next(&acc, tick.mux(sum.expr() - clk, sum.expr()).trunc(ab));
            let w_mtime = &we & &r_mtime;
            let merge = |old: &Expr| -> Expr {
                wide.mux(
                    wdata.expr(),
                    hi.mux(
                        cat([wdata.slice(63, 32), old.slice(31, 0)]),
                        cat([old.slice(63, 32), wdata.slice(31, 0)]),
                    ),
                )
            };
            m.next(
                &mtime,
                w_mtime.mux(
                    merge(&mtime.expr()),
                    tick.mux(mtime.add_const(1), mtime.expr()),
                ),
            );
            let mut msip_bits = Vec::new();
            let mut mtip_bits = Vec::new();
            let mut rd_terms: Vec<Expr> = vec![r_mtime.repeat(64) & &mtime];
            for h in 0..p.harts {
                let sel_msip = m.wire_from(
                    &format!("sel_msip{h}"),
                    (&r_msip & is_h(&i_msip, 12, if h < legacy { h } else { 1 << 12 }))
                        | (&r_msip_x & is_h(&i_msip_x, 18, h)),
                );
                let sel_mtc = m.wire_from(
                    &format!("sel_mtc{h}"),
                    (&r_mtc & is_h(&i_mtc, 13, if h < legacy { h } else { 1 << 13 }))
                        | (&r_mtc_x & is_h(&i_mtc_x, 18, h)),
                );
                let msip = m.reg(&format!("msip{h}"), 1, 0);
                m.next_when(&msip, &we & &sel_msip, hi.mux(wdata.bit(32), wdata.bit(0)));
                let mtc = m.reg(&format!("mtimecmp{h}"), 64, u128::from(u64::MAX));
                m.next_when(&mtc, &we & &sel_mtc, merge(&mtc.expr()));
                rd_terms.push(sel_mtc.repeat(64) & &mtc);
                rd_terms.push(
                    sel_msip.repeat(64)
                        & hi.mux(cat([zeros(31), msip.expr(), zeros(32)]), msip.zext(64)),
                );
                msip_bits.push(msip.expr());
                mtip_bits.push(mtime.ge(&mtc));
            }
            let _ = hb;
            let resp_valid = m.reg("resp_valid_q", 1, 0);
            m.next(&resp_valid, &valid & !&write);
            let resp = m.reg("resp_data_q", 64, 0);
            m.next_when(
                &resp,
                &valid & !&write,
                rd_terms.into_iter().or_tree().expect("mtime"),
            );
            m.output_from("resp_valid", &resp_valid);
            m.output_from("resp_data", &resp);
            msip_bits.reverse();
            mtip_bits.reverse();
            m.output_from("msip", cat(msip_bits));
            m.output_from("mtip", cat(mtip_bits));
            m.output_from("mtime", &mtime); // the cores' `time` CSR
            Ok(())
        },
    )
}

/// The reference model: rows `[rst, req_valid, req_write, req_addr, req_wdata, req_size]`,
/// outputs `[resp_valid, resp_data, msip, mtip]`, written from the memory map (byte offsets,
/// not decoders) and the simulator's `mtime = cycle * 10 MHz / clock`.
#[derive(Clone, Debug)]
pub struct Model {
    p: ClintParams,
    st: Option<MState>,
}

#[derive(Clone, Debug)]
struct MState {
    cycle: u64,
    offset: u64,
    msip: Vec<bool>,
    mtimecmp: Vec<u64>,
    resp: Option<u64>,
    last: u64,
}

/// What an offset addresses.
enum Reg {
    Msip(usize),
    Mtimecmp(usize),
    Mtime,
    None,
}

impl Model {
    /// A CLINT model, not yet reset.
    pub fn new(p: &ClintParams) -> Model {
        Model { p: *p, st: None }
    }

    fn decode(&self, off: u64) -> (Reg, bool) {
        let h = self.p.harts as u64;
        let legacy = h.min(u64::from(CLINT_LEGACY_HARTS));
        let hi = off & 4 != 0;
        if off & 3 != 0 {
            return (Reg::None, hi);
        }
        let reg = if off < CLINT_MTIMECMP && off / 4 < legacy {
            Reg::Msip((off / 4) as usize)
        } else if (CLINT_MTIMECMP..CLINT_MTIME).contains(&off)
            && (off - CLINT_MTIMECMP) / 8 < legacy
        {
            Reg::Mtimecmp(((off - CLINT_MTIMECMP) / 8) as usize)
        } else if off & !7 == CLINT_MTIME {
            Reg::Mtime
        } else if (CLINT_MSIP_EXT..CLINT_MSIP_EXT + 4 * h).contains(&off) {
            Reg::Msip(((off - CLINT_MSIP_EXT) / 4) as usize)
        } else if (CLINT_MTIMECMP_EXT..CLINT_MTIMECMP_EXT + 8 * h).contains(&off) {
            Reg::Mtimecmp(((off - CLINT_MTIMECMP_EXT) / 8) as usize)
        } else {
            Reg::None
        };
        (reg, hi)
    }

    fn mtime(&self, s: &MState) -> u64 {
        ((u128::from(s.cycle) * u128::from(TIMEBASE_HZ) / u128::from(self.p.clock_hz)) as u64)
            .wrapping_add(s.offset)
    }
}

impl TbModel for Model {
    fn outputs(&self, _row: &[u128]) -> Vec<Option<u128>> {
        let Some(s) = &self.st else {
            return vec![None; 5];
        };
        let t = self.mtime(s);
        let bits = |f: &dyn Fn(usize) -> bool| {
            (0..self.p.harts as usize).fold(0u128, |a, h| a | (u128::from(f(h)) << h))
        };
        vec![
            Some(u128::from(s.resp.is_some())),
            Some(u128::from(s.resp.unwrap_or(s.last))),
            Some(bits(&|h| s.msip[h])),
            Some(bits(&|h| t >= s.mtimecmp[h])),
            Some(u128::from(t)),
        ]
    }

    fn step(&mut self, row: &[u128]) {
        if row[0] != 0 {
            self.st = Some(MState {
                cycle: 0,
                offset: 0,
                msip: vec![false; self.p.harts as usize],
                mtimecmp: vec![u64::MAX; self.p.harts as usize],
                resp: None,
                last: 0,
            });
            return;
        }
        let Some(mut s) = self.st.clone() else { return };
        let (valid, write, off, wdata, size) = (
            row[1] != 0,
            row[2] != 0,
            row[3] as u64,
            row[4] as u64,
            row[5],
        );
        let (reg, hi) = self.decode(off);
        let merge = |old: u64| -> u64 {
            if size == 3 {
                wdata
            } else if hi {
                (wdata & !0xffff_ffff) | (old & 0xffff_ffff)
            } else {
                (old & !0xffff_ffff) | (wdata & 0xffff_ffff)
            }
        };
        let now = self.mtime(&s);
        s.resp = None;
        if valid && !write {
            let v = match reg {
                Reg::Msip(h) => u64::from(s.msip[h]) << if hi { 32 } else { 0 },
                Reg::Mtimecmp(h) => s.mtimecmp[h],
                Reg::Mtime => now,
                Reg::None => 0,
            };
            s.resp = Some(v);
            s.last = v;
        }
        s.cycle += 1;
        if valid && write {
            match reg {
                Reg::Msip(h) => s.msip[h] = (wdata >> if hi { 32 } else { 0 }) & 1 == 1,
                Reg::Mtimecmp(h) => s.mtimecmp[h] = merge(s.mtimecmp[h]),
                Reg::Mtime => {
                    // The written value is mtime's value in the next cycle.
                    let base = (u128::from(s.cycle) * u128::from(TIMEBASE_HZ)
                        / u128::from(self.p.clock_hz)) as u64;
                    s.offset = merge(now).wrapping_sub(base);
                }
                Reg::None => {}
            }
        }
        self.st = Some(s);
    }
}
