//! Address to channel: interleave granules, the granule index XOR-folded through a primitive
//! polynomial so that power-of-two strides spread evenly and other strides nearly so.
//!
//! With `C = 2^k` channels and an interleave of `I = 2^s` bytes, the granule index of a
//! physical address `a` is `g = a >> s`. Read `g` as a polynomial over GF(2) (bit `j` is the
//! coefficient of `x^j`); the channel is its remainder modulo the primitive polynomial `P_k` of
//! degree `k` in [`POLYNOMIALS`] (Rau, "Pseudo-randomly interleaved memory", ISCA 1991):
//!
//! ```text
//!   channel(a) = g mod P_k = XOR over the set bits j of g of (x^j mod P_k)       (0 when C = 1)
//!   local(a)   = ((g >> k) << s) | (a & (I - 1))              (the address inside the channel)
//! ```
//!
//! In hardware each channel bit `i` is one XOR tree over the granule bits `j` whose residue
//! `x^j mod P_k` has bit `i` set ([`ChannelMap::xor_mask`]); bits `0..k` of `g` pass straight
//! through (`x^j mod P_k = x^j` for `j < k`), so consecutive granules go to distinct channels.
//! `local` drops those `k` bits, and `(channel, local)` is a bijection with the address:
//! `address(c, l)` rebuilds `g[k-1:0] = c ^ ((l >> s) * x^k mod P_k)`.
//!
//! Why it spreads: `N = 2^n >= C` requests with a power-of-two stride of `2^p` granules from an
//! address aligned to the whole stream walk every value of bits `p .. p+n` of `g`, and any `k`
//! consecutive residues `x^p .. x^(p+k-1) mod P_k` are linearly independent (`x` is invertible
//! modulo an irreducible `P_k`), so the map is onto and every channel gets exactly `N / C`.
//! The plain fold `g[k-1:0] ^ g[2k-1:k] ^ ...` is the special case `P = x^k + 1`, which is
//! reducible: a stride of `2^k + 1` granules cancels in it (1998:1 between the busiest and the
//! idlest of 32 channels over 8192 requests) against 1.8:1 at worst for odd strides below 300
//! granules with `P_5`. The RTL implements the same function on the physical-address width (the
//! upper bits are zero).

/// Primitive polynomials over GF(2) by degree `k` (bit `i` = coefficient of `x^i`): `x+1`,
/// `x^2+x+1`, `x^3+x+1`, `x^4+x+1`, `x^5+x^2+1`, `x^6+x+1`, `x^7+x^5+x^2+x+1`,
/// `x^8+x^4+x^3+x^2+1`, `x^9+x^4+1`, `x^10+x^3+1`. All are the usual LFSR-table choices except
/// degree 7: among the primitive polynomials of degree 7, `x^7+x^5+x^2+x+1` has the smallest
/// worst-case imbalance over odd strides of 3..259 granules (3.6:1; the table's `x^7+x+1` gives
/// 32:1 at a stride of 129 = `x^7+1` granules). Index 0 (one channel) is unused.
#[rustfmt::skip]
pub const POLYNOMIALS: [u32; 11] = [
    0b1, 0b11, 0b111, 0b1011, 0b1_0011, 0b10_0101, 0b100_0011, 0b1010_0111, 0x11d, 0x211, 0x409,
];

/// The address hash of one configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelMap {
    /// log2 of the interleave granule in bytes.
    shift: u32,
    /// log2 of the number of channels.
    bits: u32,
    /// `table[b][v] = (v * x^(8b)) mod P`: the residue of byte `b` of the granule index.
    table: Box<[[u16; 256]; 8]>,
}

/// `x^j mod p` for the polynomial `p` of degree `k >= 1`.
fn residue(j: u32, p: u32, k: u32) -> u32 {
    let mut r = 1u32; // x^0
    for _ in 0..j {
        r <<= 1;
        if r >> k & 1 == 1 {
            r ^= p;
        }
    }
    r
}

impl ChannelMap {
    /// The hash for `channels` channels (power of two, at most 1024) interleaved every
    /// `interleave_bytes` (power of two) bytes.
    ///
    /// # Panics
    /// If either is not a power of two or `channels > 1024` ([`strand_hw::ChipConfig::validate`]
    /// rejects those).
    pub fn new(channels: u32, interleave_bytes: u32) -> ChannelMap {
        assert!(
            channels.is_power_of_two() && channels <= 1024 && interleave_bytes.is_power_of_two(),
            "channels ({channels}) and interleave ({interleave_bytes}) must be powers of two, channels <= 1024"
        );
        let bits = channels.trailing_zeros();
        let mut table = Box::new([[0u16; 256]; 8]);
        if bits > 0 {
            let p = POLYNOMIALS[bits as usize];
            for (b, row) in table.iter_mut().enumerate() {
                let basis: Vec<u32> = (0..8).map(|i| residue(8 * b as u32 + i, p, bits)).collect();
                for (v, slot) in row.iter_mut().enumerate() {
                    let r = (0..8)
                        .filter(|i| v >> i & 1 == 1)
                        .fold(0, |acc, i| acc ^ basis[i]);
                    *slot = r as u16;
                }
            }
        }
        ChannelMap {
            shift: interleave_bytes.trailing_zeros(),
            bits,
            table,
        }
    }

    /// Number of channels.
    pub fn channels(&self) -> u32 {
        1 << self.bits
    }

    /// Interleave granule in bytes.
    pub fn interleave_bytes(&self) -> u32 {
        1 << self.shift
    }

    /// `g mod P` for a granule index `g`.
    #[inline]
    fn reduce(&self, g: u64) -> u64 {
        let mut c = 0u16;
        for (b, row) in self.table.iter().enumerate() {
            c ^= row[(g >> (8 * b)) as usize & 0xff];
        }
        u64::from(c)
    }

    /// The channel that serves physical address `addr`.
    #[inline]
    pub fn channel(&self, addr: u64) -> u32 {
        self.reduce(addr >> self.shift) as u32
    }

    /// The address inside its channel (the channel's own, dense address space).
    #[inline]
    pub fn local(&self, addr: u64) -> u64 {
        let low = addr & ((1u64 << self.shift) - 1);
        ((addr >> self.shift >> self.bits) << self.shift) | low
    }

    /// Inverse of ([`ChannelMap::channel`], [`ChannelMap::local`]): the physical address that is
    /// byte `local` of `channel`.
    pub fn address(&self, channel: u32, local: u64) -> u64 {
        let low = local & ((1u64 << self.shift) - 1);
        let high = (local >> self.shift) << self.bits;
        let digit = (u64::from(channel) ^ self.reduce(high)) & ((1u64 << self.bits) - 1);
        ((high | digit) << self.shift) | low
    }

    /// The granule-index bits (bit `j` = bit `j` of `addr >> log2(interleave)`) whose XOR is
    /// bit `bit` of the channel: what the RTL's XOR tree for that bit takes.
    pub fn xor_mask(&self, bit: u32) -> u64 {
        assert!(bit < self.bits, "channel bit {bit} out of range");
        let p = POLYNOMIALS[self.bits as usize];
        (0..64)
            .filter(|&j| residue(j, p, self.bits) >> bit & 1 == 1)
            .fold(0, |m, j| m | 1 << j)
    }
}
