//! Bootargs parser: the `/chosen/bootargs` string (QEMU's `-append`, the
//! simulator's `--bootargs`) as whitespace-separated `key=value` words.
//!
//! ```text
//! size=64K stride=64 threads=4 iters=0x1000 verbose
//! ```
//!
//! A word without `=` is a flag (`has("verbose")`, `get_bool("verbose", false)`).
//! When a key repeats, the last word wins, as on a kernel command line.
//! Numbers are decimal or `0x` hexadecimal, with an optional binary suffix
//! `k`/`K` (2^10), `m`/`M` (2^20) or `g`/`G` (2^30).

use core::fmt;

/// A bad number in the bootargs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// The value is empty (`size=`): give a number such as `64K`.
    Empty,
    /// The value has a character that is not a digit or a k/K/M/G suffix.
    BadDigit,
    /// The value does not fit in 64 bits.
    Overflow,
}

impl fmt::Display for NumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumError::Empty => "empty value (expected a number such as 64K or 0x1000)",
            NumError::BadDigit => {
                "not a number (expected decimal or 0x hex with an optional k/K/M/G suffix)"
            }
            NumError::Overflow => "number does not fit in 64 bits",
        })
    }
}

/// Parses `123`, `0x7b`, `64K`, `2M`, `1G`, `0x10k`.
pub fn parse_u64(s: &str) -> Result<u64, NumError> {
    if s.is_empty() {
        return Err(NumError::Empty);
    }
    let (digits, shift) = match s.as_bytes()[s.len() - 1] {
        b'k' | b'K' => (&s[..s.len() - 1], 10),
        b'm' | b'M' => (&s[..s.len() - 1], 20),
        b'g' | b'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let (digits, radix) = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => (hex, 16),
        None => (digits, 10),
    };
    if digits.is_empty() {
        return Err(NumError::Empty);
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or(NumError::BadDigit)?;
        v = v
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .ok_or(NumError::Overflow)?;
    }
    v.checked_mul(1u64 << shift).ok_or(NumError::Overflow)
}

/// A view of a bootargs string.
#[derive(Clone, Copy, Debug)]
pub struct Args<'a> {
    line: &'a str,
}

impl<'a> Args<'a> {
    /// Wraps a bootargs line.
    pub const fn new(line: &'a str) -> Self {
        Args { line }
    }

    /// The whole line as given.
    pub fn as_str(&self) -> &'a str {
        self.line
    }

    /// Every word as `(key, Some(value))` or `(flag, None)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> {
        self.line
            .split_ascii_whitespace()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (w, None),
            })
    }

    /// The value of the last `key=value` word, if any.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.iter()
            .filter(|&(k, v)| k == key && v.is_some())
            .last()
            .and_then(|(_, v)| v)
    }

    /// Whether `key` appears, as a flag or as `key=...`.
    pub fn has(&self, key: &str) -> bool {
        self.iter().any(|(k, _)| k == key)
    }

    /// The number given for `key`, `Ok(None)` when absent.
    pub fn try_u64(&self, key: &str) -> Result<Option<u64>, NumError> {
        self.get(key).map(parse_u64).transpose()
    }

    /// The number given for `key`, or `default` when absent.
    ///
    /// # Panics
    /// When the value is not a number; the message names the key and value,
    /// so a mistyped bootarg stops the run instead of being ignored.
    #[track_caller]
    pub fn get_u64(&self, key: &str, default: u64) -> u64 {
        match self.try_u64(key) {
            Ok(v) => v.unwrap_or(default),
            Err(e) => panic!("bootarg {}={}: {}", key, self.get(key).unwrap_or(""), e),
        }
    }

    /// A boolean: a bare flag or `1/true/yes/on` is true, `0/false/no/off` is false.
    ///
    /// # Panics
    /// On any other value, naming the key.
    #[track_caller]
    pub fn get_bool(&self, key: &str, default: bool) -> bool {
        let mut result = default;
        for (k, v) in self.iter() {
            if k == key {
                result = match v {
                    None | Some("1" | "true" | "yes" | "on") => true,
                    Some("0" | "false" | "no" | "off") => false,
                    Some(other) => panic!("bootarg {key}={other}: expected 0/1/true/false"),
                };
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u64("0"), Ok(0));
        assert_eq!(parse_u64("123"), Ok(123));
        assert_eq!(parse_u64("0x7b"), Ok(123));
        assert_eq!(parse_u64("0X7B"), Ok(123));
        assert_eq!(parse_u64("64K"), Ok(65536));
        assert_eq!(parse_u64("64k"), Ok(65536));
        assert_eq!(parse_u64("2M"), Ok(2 << 20));
        assert_eq!(parse_u64("1G"), Ok(1 << 30));
        assert_eq!(parse_u64("0x10k"), Ok(16 << 10));
        assert_eq!(parse_u64(""), Err(NumError::Empty));
        assert_eq!(parse_u64("K"), Err(NumError::Empty));
        assert_eq!(parse_u64("0x"), Err(NumError::Empty));
        assert_eq!(parse_u64("12a"), Err(NumError::BadDigit));
        assert_eq!(parse_u64("-1"), Err(NumError::BadDigit));
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_u64("18446744073709551616"), Err(NumError::Overflow));
        assert_eq!(parse_u64("0x1000000000000000k"), Err(NumError::Overflow));
    }

    #[test]
    fn words() {
        let a = Args::new("  size=64K stride=64 verbose size=1M empty= ");
        assert_eq!(a.get("size"), Some("1M"));
        assert_eq!(a.get_u64("size", 7), 1 << 20);
        assert_eq!(a.get_u64("stride", 7), 64);
        assert_eq!(a.get_u64("iters", 7), 7);
        assert_eq!(a.get("verbose"), None);
        assert!(a.has("verbose"));
        assert!(a.get_bool("verbose", false));
        assert!(!a.get_bool("quiet", false));
        assert_eq!(a.get("empty"), Some(""));
        assert_eq!(a.try_u64("empty"), Err(NumError::Empty));
        assert_eq!(a.iter().count(), 5);
        assert!(!Args::new("panic=0").get_bool("panic", true));
        assert!(Args::new("panic=1").get_bool("panic", false));
    }

    #[test]
    #[should_panic(expected = "bootarg size=abc: not a number")]
    fn bad_number_panics_with_key() {
        Args::new("size=abc").get_u64("size", 0);
    }
}
