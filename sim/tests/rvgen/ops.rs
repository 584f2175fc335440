//! Computational, memory and control-flow items: RV64I ALU ops, M, loads/stores (aligned,
//! misaligned, unmapped), A (AMOs, LR/SC patterns), forward branches, bounded backward loops, jumps.

use super::*;

impl Gen {
    pub(super) fn alu_rr(&mut self, avoid: &[u8]) {
        let op = self.rng.pick(ALU_RR);
        let rd = self.rd_avoid(avoid);
        let (a, b) = (self.rs(), self.rs());
        self.ins(op, &format!("{}, {}, {}", x(rd), x(a), x(b)));
    }

    pub(super) fn alu_imm(&mut self, avoid: &[u8]) {
        let rd = self.rd_avoid(avoid);
        let a = self.rs();
        match self.rng.below(3) {
            0 => {
                let op = self.rng.pick(SHIFT_IMM);
                let sh = self.rng.range(0, 63);
                self.ins(op, &format!("{}, {}, {sh}", x(rd), x(a)));
            }
            1 => {
                let op = self.rng.pick(SHIFT_IMM_W);
                let sh = self.rng.range(0, 31);
                self.ins(op, &format!("{}, {}, {sh}", x(rd), x(a)));
            }
            _ => {
                let op = self.rng.pick(ALU_IMM);
                let imm = self.imm12();
                self.ins(op, &format!("{}, {}, {imm}", x(rd), x(a)));
            }
        }
    }

    pub(super) fn upper(&mut self) {
        let op = self.rng.pick(&["lui", "auipc"]);
        let rd = self.rd();
        let imm = if self.rng.chance(20) {
            self.rng.pick(&[0, 0x80000, 0xfffff, 0x7ffff, 1])
        } else {
            self.rng.below(1 << 20)
        };
        self.ins(op, &format!("{}, {imm:#x}", x(rd)));
    }

    pub(super) fn muldiv(&mut self) {
        let op = self.rng.pick(MULDIV);
        let word = op.ends_with('w');
        let is_div = op.starts_with("div") || op.starts_with("rem");
        let rd = self.rd();
        let (mut a, mut b) = (self.rs(), self.rs());
        if is_div && self.rng.chance(30) {
            if self.rng.chance(50) {
                // Division by zero: x0 itself, or a register whose (low word) is zero.
                self.class("div-by-zero");
                if self.rng.chance(50) {
                    b = 0;
                } else {
                    b = self.rd_nz(&[]);
                    let v = if word { self.rng.next_u64() << 32 } else { 0 };
                    self.li(b, v);
                }
            } else {
                // Signed overflow: INT_MIN / -1 (upper halves random for the W forms).
                self.class("div-overflow");
                a = self.rd_nz(&[]);
                b = self.rd_nz(&[a]);
                let (va, vb) = if word {
                    let hi = self.rng.next_u64() << 32;
                    (hi | 0x8000_0000, (self.rng.next_u64() << 32) | 0xffff_ffff)
                } else {
                    (1 << 63, u64::MAX)
                };
                self.li(a, va);
                self.li(b, vb);
            }
        }
        self.ins(op, &format!("{}, {}, {}", x(rd), x(a), x(b)));
    }

    /// A data-area offset from gp for an access of `size` bytes, misaligned when asked.
    pub(super) fn data_offset(&mut self, size: u64, misaligned: bool) -> i64 {
        let slots = DATA_SIZE / size;
        let mut addr = self.rng.below(slots) * size;
        if misaligned {
            if addr + size >= DATA_SIZE {
                addr -= size;
            }
            addr += self.rng.range(1, size as i64 - 1) as u64;
        }
        addr as i64 - 2048
    }

    pub(super) fn load(&mut self) {
        let (op, size) = self.rng.pick(LOADS);
        let mis = size > 1 && self.rng.chance(12);
        if mis {
            self.class("misaligned-load");
        }
        let off = self.data_offset(size, mis);
        if self.rng.chance(20) {
            // Through another base register, often overwritten by the load itself.
            self.class("load-rd-is-base");
            let base = self.rd_nz(&[]);
            let mut small = self.rng.range(-64, 64);
            if !(-2048..=2047).contains(&(off - small)) {
                small = 0;
            }
            self.ins("addi", &format!("{}, {}, {}", x(base), x(DP), off - small));
            let rd = if self.rng.chance(60) { base } else { self.rd() };
            self.ins(op, &format!("{}, {small}({})", x(rd), x(base)));
            return;
        }
        let rd = self.rd();
        self.ins(op, &format!("{}, {off}({})", x(rd), x(DP)));
    }

    pub(super) fn store(&mut self) {
        let (op, size) = self.rng.pick(STORES);
        let mis = size > 1 && self.rng.chance(12);
        if mis {
            self.class("misaligned-store");
        }
        let off = self.data_offset(size, mis);
        let src = self.rs();
        self.ins(op, &format!("{}, {off}({})", x(src), x(DP)));
    }

    /// A store (or AMO) and then a load (or AMO) that overlap within one doubleword, with at
    /// most two ALU ops between: store-to-load forwarding, partial overlaps, sign extension.
    pub(super) fn store_load_overlap(&mut self) {
        self.class("store-load-overlap");
        let dword = self.data_offset(8, false);
        let (sop, ssize) = self.rng.pick(STORES);
        let soff = dword + (self.rng.below(8 / ssize) * ssize) as i64;
        if self.rng.chance(20) {
            let (a, _) = self.data_address_at(dword);
            let op = format!("{}.d", self.rng.pick(AMOS));
            let (rd, src) = (self.rd_avoid(&[a]), self.rs());
            self.ins(&op, &format!("{}, {}, ({})", x(rd), x(src), x(a)));
        } else {
            let src = self.rs();
            self.ins(sop, &format!("{}, {soff}({})", x(src), x(DP)));
        }
        for _ in 0..self.rng.below(3) {
            self.alu_rr(&[]);
        }
        let (lop, lsize) = self.rng.pick(LOADS);
        let loff = dword + (self.rng.below(8 / lsize) * lsize) as i64;
        if self.rng.chance(15) {
            let (a, _) = self.data_address_at(dword);
            let op = format!("{}.d", self.rng.pick(AMOS));
            let (rd, src) = (self.rd(), self.rs());
            self.ins(&op, &format!("{}, {}, ({})", x(rd), x(src), x(a)));
        } else {
            let rd = self.rd();
            self.ins(lop, &format!("{}, {loff}({})", x(rd), x(DP)));
        }
    }

    /// `addi rA, gp, off`; returns rA.
    pub(super) fn data_address_at(&mut self, off: i64) -> (u8, i64) {
        let r = self.rd_nz(&[]);
        self.ins("addi", &format!("{}, {}, {off}", x(r), x(DP)));
        (r, off)
    }

    /// Put an unmapped address (0x0..0xf8 or 0x4000_0000..) into a fresh register.
    pub(super) fn unmapped_base(&mut self) -> u8 {
        let r = self.rd_nz(&[]);
        if self.rng.chance(50) {
            let off = self.rng.below(32) * 8;
            self.ins("addi", &format!("{}, x0, {off}", x(r)));
        } else {
            self.ins("lui", &format!("{}, 0x40000", x(r)));
            if self.rng.chance(50) {
                let off = self.rng.below(256) * 8;
                self.ins("addi", &format!("{}, {}, {off}", x(r), x(r)));
            }
        }
        r
    }

    pub(super) fn unmapped(&mut self) {
        if self.rng.chance(15) {
            // Misaligned and unmapped: Spike reports the misalignment (checked first).
            self.class("misaligned-unmapped");
            let base = self.unmapped_base();
            let (op, size) = self.rng.pick(&[("lw", 4), ("ld", 8), ("sh", 2), ("sd", 8)]);
            let off = self.rng.range(1, size - 1);
            let reg = if op.starts_with('l') {
                self.rd()
            } else {
                self.rs()
            };
            self.ins(op, &format!("{}, {off}({})", x(reg), x(base)));
            return;
        }
        match self.rng.below(5) {
            0 => {
                self.class("access-fault-load");
                let (op, _) = self.rng.pick(LOADS);
                let rd = self.rd();
                if self.rng.chance(30) {
                    let off = self.rng.below(32) * 8;
                    self.ins(op, &format!("{}, {off}(x0)", x(rd)));
                } else {
                    let base = self.unmapped_base();
                    self.ins(op, &format!("{}, 0({})", x(rd), x(base)));
                }
            }
            1 => {
                self.class("access-fault-store");
                let (op, _) = self.rng.pick(STORES);
                let src = self.rs();
                if self.rng.chance(30) {
                    let off = self.rng.below(32) * 8;
                    self.ins(op, &format!("{}, {off}(x0)", x(src)));
                } else {
                    let base = self.unmapped_base();
                    self.ins(op, &format!("{}, 0({})", x(src), x(base)));
                }
            }
            2 | 3 => {
                self.class("access-fault-amo");
                let base = self.unmapped_base();
                let op = format!("{}.{}", self.rng.pick(AMOS), self.rng.pick(&["w", "d"]));
                let (rd, src) = (self.rd(), self.rs());
                self.ins(&op, &format!("{}, {}, ({})", x(rd), x(src), x(base)));
            }
            _ => {
                self.class("access-fault-lrsc");
                let base = self.unmapped_base();
                let size = self.rng.pick(&["w", "d"]);
                let rd = self.rd();
                self.ins(&format!("lr.{size}"), &format!("{}, ({})", x(rd), x(base)));
                let (rd, src) = (self.rd(), self.rs());
                self.ins(
                    &format!("sc.{size}"),
                    &format!("{}, {}, ({})", x(rd), x(src), x(base)),
                );
            }
        }
    }

    /// `addi rA, gp, off` for an access of `size` bytes; returns rA.
    pub(super) fn data_address(&mut self, size: u64, misaligned: bool, avoid: &[u8]) -> (u8, i64) {
        let r = self.rd_nz(avoid);
        let off = self.data_offset(size, misaligned);
        self.ins("addi", &format!("{}, {}, {off}", x(r), x(DP)));
        (r, off)
    }

    pub(super) fn amo(&mut self) {
        let (w, size) = self.rng.pick(&[("w", 4), ("d", 8)]);
        let mis = self.rng.chance(10);
        if mis {
            self.class("misaligned-amo");
        }
        let (addr, _) = self.data_address(size, mis, &[]);
        let op = format!("{}.{w}{}", self.rng.pick(AMOS), self.rng.pick(ORDERINGS));
        let (rd, src) = (self.rd(), self.rs());
        self.ins(&op, &format!("{}, {}, ({})", x(rd), x(src), x(addr)));
    }

    pub(super) fn lrsc(&mut self) {
        let (w, size) = self.rng.pick(&[("w", 4u64), ("d", 8u64)]);
        let lr = format!("lr.{w}{}", self.rng.pick(ORDERINGS));
        let sc = format!("sc.{w}{}", self.rng.pick(ORDERINGS));
        match self.rng.weighted(&[50, 25, 10, 15]) {
            0 => {
                // LR, a few non-memory ops that leave the address alone, SC to the same address:
                // succeeds. An SC right after it has no reservation left: fails.
                self.class("lrsc-pair");
                let (a, _) = self.data_address(size, false, &[]);
                let rd = self.rd_avoid(&[a]);
                self.ins(&lr, &format!("{}, ({})", x(rd), x(a)));
                for _ in 0..self.rng.below(3) {
                    if self.rng.chance(50) {
                        self.alu_rr(&[a]);
                    } else {
                        self.alu_imm(&[a]);
                    }
                }
                let again = self.rng.chance(40);
                let status = if again {
                    self.rd_avoid(&[a])
                } else {
                    self.rd()
                };
                let src = self.rs();
                self.ins(&sc, &format!("{}, {}, ({})", x(status), x(src), x(a)));
                if again {
                    self.class("sc-no-reservation");
                    let (status, src) = (self.rd(), self.rs());
                    self.ins(&sc, &format!("{}, {}, ({})", x(status), x(src), x(a)));
                }
            }
            1 => {
                // SC to another cache line than the LR's: fails (and clears the reservation).
                self.class("sc-other-address");
                let (a, off_a) = self.data_address(size, false, &[]);
                let b = self.rd_nz(&[a]);
                let mut off_b = self.data_offset(size, false);
                while (off_b - off_a).abs() < 128 {
                    off_b = self.data_offset(size, false);
                }
                self.ins("addi", &format!("{}, {}, {off_b}", x(b), x(DP)));
                let rd = self.rd_avoid(&[a, b]);
                self.ins(&lr, &format!("{}, ({})", x(rd), x(a)));
                let (status, src) = (self.rd(), self.rs());
                self.ins(&sc, &format!("{}, {}, ({})", x(status), x(src), x(b)));
            }
            2 => {
                // Misaligned LR (load-address-misaligned) and SC (store/AMO-address-misaligned).
                self.class("misaligned-lrsc");
                let (a, _) = self.data_address(size, true, &[]);
                let rd = self.rd_avoid(&[a]);
                self.ins(&lr, &format!("{}, ({})", x(rd), x(a)));
                let (status, src) = (self.rd(), self.rs());
                self.ins(&sc, &format!("{}, {}, ({})", x(status), x(src), x(a)));
            }
            _ => {
                // Every LR above is followed by its SC, so there is no reservation here: fails.
                self.class("sc-no-reservation");
                let (a, _) = self.data_address(size, false, &[]);
                let (status, src) = (self.rd(), self.rs());
                self.ins(&sc, &format!("{}, {}, ({})", x(status), x(src), x(a)));
            }
        }
    }

    pub(super) fn branch_fwd(&mut self) {
        let op = self.rng.pick(BRANCHES);
        let a = self.rs();
        let b = if self.rng.chance(20) { a } else { self.rs() };
        if self.rng.chance(12) {
            // Taken: instruction-address-misaligned on the branch (no C extension); not taken: falls through.
            self.class("misaligned-branch-target");
            self.ins(op, &format!("{}, {}, . + 6", x(a), x(b)));
            return;
        }
        let l = self.new_label();
        self.ins(op, &format!("{}, {}, {l}", x(a), x(b)));
        let n = self.rng.range(1, 4) as u64;
        self.simple_items(n);
        self.place(&l);
    }

    pub(super) fn backward_loop(&mut self) {
        self.class("backward-loop");
        let n = self.rng.range(1, 6);
        self.ins("addi", &format!("{}, x0, {n}", x(LC)));
        let l = self.new_label();
        self.place(&l);
        let body = self.rng.range(1, 3) as u64;
        self.simple_items(body);
        self.ins("addi", &format!("{}, {}, -1", x(LC), x(LC)));
        match self.rng.below(3) {
            0 => self.ins("bne", &format!("{}, x0, {l}", x(LC))),
            1 => self.ins("blt", &format!("x0, {}, {l}", x(LC))),
            _ => self.ins("bltu", &format!("x0, {}, {l}", x(LC))),
        }
    }

    /// Branches and jumps over a zero-filled gap (never executed): large positive and negative
    /// offsets for every branch kind and for JAL.
    pub(super) fn far_jumps(&mut self) {
        self.class("far-branch");
        let op = self.rng.pick(BRANCHES);
        let (a, b) = (self.rs(), self.rs());
        let gap = self.rng.range(256, 1000) * 4;
        let (start, back, done) = (self.new_label(), self.new_label(), self.new_label());
        if self.rng.chance(50) {
            // Forward: taken -> `done` by the branch, not taken -> `done` by a far JAL.
            let rd = self.link_reg();
            self.ins(op, &format!("{}, {}, {done}", x(a), x(b)));
            self.ins("jal", &format!("{}, {done}", x(rd)));
            self.raw(&format!("    .skip {gap}"));
            self.place(&done);
        } else {
            // Backward: a branch back over the gap to a JAL forward over it again.
            self.ins("jal", &format!("x0, {start}"));
            self.place(&back);
            let rd = self.link_reg();
            self.ins("jal", &format!("{}, {done}", x(rd)));
            self.raw(&format!("    .skip {gap}"));
            self.place(&start);
            self.ins(op, &format!("{}, {}, {back}", x(a), x(b)));
            self.place(&done);
        }
    }

    pub(super) fn link_reg(&mut self) -> u8 {
        match self.rng.below(10) {
            0..=2 => 1,
            3 | 4 => 0,
            _ => self.rd_nz(&[]),
        }
    }

    pub(super) fn jal(&mut self) {
        let rd = self.link_reg();
        if self.rng.chance(12) {
            self.class("misaligned-jump-target");
            self.ins("jal", &format!("{}, . + 6", x(rd)));
            return;
        }
        let l = self.new_label();
        self.ins("jal", &format!("{}, {l}", x(rd)));
        let n = self.rng.range(0, 3) as u64;
        self.simple_items(n);
        self.place(&l);
    }

    pub(super) fn jalr(&mut self) {
        let base = self.rd_nz(&[]);
        let rd = if self.rng.chance(20) {
            base
        } else {
            self.link_reg()
        };
        let off = self.rng.range(-64, 64);
        // +1: JALR clears bit 0 of the target. +2: the target is misaligned (no C): trap.
        let adj = self.rng.pick(&[0, 0, 0, 1, 2]);
        match adj {
            1 => self.class("jalr-lsb-cleared"),
            2 => self.class("misaligned-jump-target"),
            _ => {}
        }
        let l = self.new_label();
        self.ins("lla", &format!("{}, {l} - ({off}) + {adj}", x(base)));
        self.ins("jalr", &format!("{}, {off}({})", x(rd), x(base)));
        let n = self.rng.range(0, 2) as u64;
        self.simple_items(n);
        self.place(&l);
    }
}
