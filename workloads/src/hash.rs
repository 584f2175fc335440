//! Deterministic hashes and checksums (integer only, identical on every platform).

use crate::rng::{mix64, GOLDEN_GAMMA};

/// Initial value of [`tuple_hash`] and [`Checksum64`] (the first 64 fraction bits of pi).
pub const HASH_INIT: u64 = 0x243F_6A88_85A3_08D3;

/// Hash of a solution tuple: `h = HASH_INIT; for v: h = mix64((h ^ v) + GOLDEN_GAMMA)`.
///
/// Order-sensitive within the tuple; combine solutions with a wrapping sum (see
/// [`crate::kg::QueryResult`]) to get an order-independent result hash.
#[inline]
pub fn tuple_hash(values: &[u32]) -> u64 {
    let mut h = HASH_INIT;
    for &v in values {
        h = mix64((h ^ u64::from(v)).wrapping_add(GOLDEN_GAMMA));
    }
    h
}

/// An order-sensitive streaming checksum over 32- and 64-bit words:
/// `h = mix64((h ^ word) + GOLDEN_GAMMA)` per word (a `u64` is one word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checksum64 {
    h: u64,
}

impl Default for Checksum64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Checksum64 {
    /// An empty checksum (`HASH_INIT`).
    pub const fn new() -> Self {
        Self { h: HASH_INIT }
    }

    /// Adds one 64-bit word.
    #[inline]
    pub fn write_u64(&mut self, w: u64) {
        self.h = mix64((self.h ^ w).wrapping_add(GOLDEN_GAMMA));
    }

    /// Adds one 32-bit word (zero-extended).
    #[inline]
    pub fn write_u32(&mut self, w: u32) {
        self.write_u64(u64::from(w));
    }

    /// Adds every word of a slice, in order.
    pub fn write_u32s(&mut self, ws: &[u32]) {
        for &w in ws {
            self.write_u32(w);
        }
    }

    /// The checksum so far.
    pub const fn finish(&self) -> u64 {
        self.h
    }
}

/// [`Checksum64`] of a `u32` slice.
pub fn checksum_u32(ws: &[u32]) -> u64 {
    let mut c = Checksum64::new();
    c.write_u32s(ws);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuple_hash_is_order_sensitive() {
        assert_ne!(tuple_hash(&[1, 2]), tuple_hash(&[2, 1]));
        assert_ne!(tuple_hash(&[0]), tuple_hash(&[]));
        assert_ne!(tuple_hash(&[0]), tuple_hash(&[0, 0]));
    }
}
