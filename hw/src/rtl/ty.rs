//! Small shared types: module parameters and their hash, signal kinds, width helpers.

use std::fmt;

/// The parameters a generator was called with, in the order it gave them. Together with the
/// module name they identify a module definition: a [`crate::rtl::Design`] keeps one definition
/// per name and refuses a second parameter set under the same name.
///
/// The canonical text (`width=8 depth=16`) is printed in the file header and hashed
/// ([`fnv1a64`]) into its `config hash`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Params {
    items: Vec<(String, String)>,
}

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params::default()
    }

    /// Adds `key=value` (builder style). Keys keep the order they were added in.
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Params {
        self.items.push((key.to_string(), value.to_string()));
        self
    }

    /// The `(key, value)` pairs in order.
    pub fn items(&self) -> &[(String, String)] {
        &self.items
    }

    /// The stable hash printed as `config hash` in the file header.
    pub fn hash(&self) -> u64 {
        fnv1a64(self.to_string().as_bytes())
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// 64-bit FNV-1a: a stable, dependency-free hash (the same on every platform and Rust version).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Bits needed to index `n` items: `ceil(log2(n))`, with `clog2(1) == 0`.
pub fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Bits needed to hold the values `0..=n`.
pub fn bits_for(n: u64) -> u32 {
    clog2(n + 1).max(1)
}

/// Mask of the low `width` bits (`width` up to 128).
pub(crate) fn mask(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// What a declared signal is, which decides how it may be driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigKind {
    /// Module input port: read only.
    Input,
    /// Module output port: driven once (assign, comb block or instance output).
    Output,
    /// Internal net: driven once (assign, comb block or instance output).
    Wire,
    /// Register: driven by one seq block (or a memory's sync read port), reset synchronously.
    Reg,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        let p = Params::new().with("width", 8).with("depth", 16);
        assert_eq!(p.to_string(), "width=8 depth=16");
        assert_eq!(p.hash(), fnv1a64(b"width=8 depth=16"));
    }

    #[test]
    fn clog2_values() {
        assert_eq!(clog2(0), 0);
        assert_eq!(clog2(1), 0);
        assert_eq!(clog2(2), 1);
        assert_eq!(clog2(5), 3);
        assert_eq!(clog2(8), 3);
        assert_eq!(clog2(9), 4);
        assert_eq!(bits_for(0), 1);
        assert_eq!(bits_for(4), 3);
        assert_eq!(bits_for(3), 2);
    }
}
