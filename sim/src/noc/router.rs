//! One router's pieces: the flit held in an input-buffer slot, XY route computation and the
//! round-robin output arbiter. The router state itself lives in [`super::mesh::Mesh`] as
//! struct-of-arrays; these are the small pure functions the hot loop calls.
//!
//! ```text
//!   input port i (FIFO, B slots)         output port o
//!   ┌──────────────┐   front flit ready?  ┌─────────────────────────────────┐
//!   │ f3 f2 f1 f0 ─┼── request o=f0.out ─>│ held by input h? grant h only   │──> link (1 cycle)
//!   └──────────────┘                      │ free? round-robin among heads,  │
//!                                         │ needs a credit (L: not stalled) │
//!                                         └─────────────────────────────────┘
//! ```

use super::packet::Port;

/// Flag bit: the first flit of a packet (carries the route).
pub(crate) const HEAD: u8 = 1;
/// Flag bit: the last flit of a packet (releases the output it holds).
pub(crate) const TAIL: u8 = 2;
/// "No input holds this output".
pub(crate) const FREE: u8 = 0xff;

/// One flit in an input buffer. 16 bytes; the route at the router holding it is precomputed
/// when the flit is written (route computation happens in the first pipeline stage).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Flit {
    /// First cycle at which this flit may leave the router (arrival + router latency).
    pub ready: u64,
    /// Index of the packet record in the mesh's packet table.
    pub packet: u32,
    /// Destination x.
    pub dx: u8,
    /// Destination y.
    pub dy: u8,
    /// Output port at this router ([`Port`] index).
    pub out: u8,
    /// [`HEAD`] | [`TAIL`].
    pub flags: u8,
}

/// XY dimension-order route at router `(rx, ry)` towards `(dx, dy)`: X first, then Y, then L.
#[inline(always)]
pub(crate) fn route_xy(rx: u8, ry: u8, dx: u8, dy: u8) -> u8 {
    if dx > rx {
        Port::E as u8
    } else if dx < rx {
        Port::W as u8
    } else if dy > ry {
        Port::S as u8
    } else if dy < ry {
        Port::N as u8
    } else {
        Port::L as u8
    }
}

/// Round-robin pick among the 5-bit request mask `req` (non-zero), starting at input `start`:
/// the first requesting input at or after `start`, wrapping around.
#[inline(always)]
pub(crate) fn round_robin(req: u8, start: u8) -> u8 {
    debug_assert!(req != 0 && req < 32 && start < 5);
    let doubled = u16::from(req) | (u16::from(req) << 5);
    let k = (doubled >> start).trailing_zeros() as u8;
    let w = start + k;
    if w >= 5 {
        w - 5
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xy_goes_x_first() {
        assert_eq!(route_xy(1, 1, 3, 0), Port::E as u8);
        assert_eq!(route_xy(3, 1, 3, 0), Port::N as u8);
        assert_eq!(route_xy(3, 0, 0, 5), Port::W as u8);
        assert_eq!(route_xy(0, 0, 0, 5), Port::S as u8);
        assert_eq!(route_xy(2, 2, 2, 2), Port::L as u8);
    }

    #[test]
    fn round_robin_wraps() {
        assert_eq!(round_robin(0b00001, 0), 0);
        assert_eq!(round_robin(0b00001, 1), 0);
        assert_eq!(round_robin(0b10001, 1), 4);
        assert_eq!(round_robin(0b00110, 3), 1);
        assert_eq!(round_robin(0b11111, 2), 2);
        for req in 1..32u8 {
            for start in 0..5u8 {
                let w = round_robin(req, start);
                assert!(req & (1 << w) != 0);
                // No requester strictly between start and w (cyclically).
                let mut i = start;
                while i != w {
                    assert_eq!(req & (1 << i), 0);
                    i = (i + 1) % 5;
                }
            }
        }
    }
}
