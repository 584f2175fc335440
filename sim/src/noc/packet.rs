//! Message classes, router ports and the record of a delivered packet.

use serde::{Deserialize, Serialize};

/// Message class. Each class has its own physical network (routers, buffers, links), as in
/// OpenPiton's three NoCs, so a reply can never wait behind a request for buffer space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Requests from a tile to a home slice or memory controller.
    Request = 0,
    /// Forwards and invalidations from a home slice to sharers/owners.
    Forward = 1,
    /// Responses and data (acks, fills, write-backs).
    Response = 2,
}

impl Class {
    /// Every class, in index order.
    pub const ALL: [Class; 3] = [Class::Request, Class::Forward, Class::Response];
    /// Number of classes (= physical networks).
    pub const COUNT: usize = 3;

    /// Index 0..3.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The class with index `i` (0..3).
    ///
    /// # Panics
    /// If `i >= 3`.
    pub fn from_index(i: usize) -> Class {
        Class::ALL[i]
    }
}

/// A router port. N/E/S/W lead to the neighbouring routers, L to the tile's NI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Port {
    /// North (`y - 1`).
    N = 0,
    /// East (`x + 1`).
    E = 1,
    /// South (`y + 1`).
    S = 2,
    /// West (`x - 1`).
    W = 3,
    /// Local: the tile's network interface.
    L = 4,
}

impl Port {
    /// Every port, in index order.
    pub const ALL: [Port; 5] = [Port::N, Port::E, Port::S, Port::W, Port::L];
    /// Number of ports.
    pub const COUNT: usize = 5;

    /// Index 0..5.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The port with index `i` (0..5).
    ///
    /// # Panics
    /// If `i >= 5`.
    pub fn from_index(i: usize) -> Port {
        Port::ALL[i]
    }

    /// The port on the neighbouring router that this port's link arrives at (N <-> S, E <-> W);
    /// L is its own opposite.
    pub fn opposite(self) -> Port {
        match self {
            Port::N => Port::S,
            Port::E => Port::W,
            Port::S => Port::N,
            Port::W => Port::E,
            Port::L => Port::L,
        }
    }
}

/// A packet that reached its destination NI (its tail flit arrived).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Delivered {
    /// The caller's tag given to `inject`.
    pub tag: u64,
    /// Source tile.
    pub src: u32,
    /// Destination tile (the tile it was drained from).
    pub dst: u32,
    /// Message class.
    pub class: Class,
    /// Flits of the packet.
    pub flits: u32,
    /// Cycle at which `inject` accepted the packet (the value of `Mesh::now()` then).
    pub inject_cycle: u64,
    /// First cycle at which the whole packet is in the destination NI.
    pub deliver_cycle: u64,
    /// Router-to-router hops (`|dx| + |dy|`; 0 for a packet to its own tile).
    pub hops: u32,
}

impl Delivered {
    /// Network latency in cycles, from acceptance into the NI queue to delivery.
    pub fn latency(&self) -> u64 {
        self.deliver_cycle - self.inject_cycle
    }
}
