//! Pieces shared by the RTL test crates (`mod common;` in each).
// Each test crate uses a different subset of the generator's methods.
#![allow(dead_code)]

/// xorshift64*: a small deterministic generator (no dependency).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `w` random bits (up to 128).
    pub fn bits(&mut self, w: u32) -> u128 {
        let v = (u128::from(self.next()) << 64) | u128::from(self.next());
        if w >= 128 {
            v
        } else {
            v & ((1u128 << w) - 1)
        }
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
