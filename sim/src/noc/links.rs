//! The NoC as the memory system sees it: link occupancy on three physical networks.
//!
//! The cycle-by-cycle router model ([`super::Mesh`]) is what `strand noc` measures; the memory
//! path of a full-chip run needs something that costs a few nanoseconds per message. Each
//! coherence message takes its XY route and, on every link, waits until the link is free, then
//! holds it for one cycle per flit (wormhole: the head moves on after `router_latency + 1`
//! cycles, the body follows in consecutive cycles):
//!
//! ```text
//!   t = inject time
//!   for each link of the XY route (plus the ejection port):
//!       t = max(t, free[link]);  free[link] = t + flits;  t += router_latency + 1
//!   arrival = t + (flits - 1)          (the tail flit)
//! ```
//!
//! With no other traffic this is the hop count times `router_latency + 1` plus serialization,
//! the same per-hop figure the zero-load analysis uses. Messages are charged in the order the
//! memory system resolves them (request order), so a message may queue behind one that was
//! charged earlier but travels later: contention is never under-estimated. The three message
//! classes (request, forward/invalidate, response) have separate links, as in OpenPiton, so
//! a protocol message never waits behind another class.

use super::{Class, NocParams};
use serde::Serialize;

const PORTS: usize = 5; // E, W, N, S, eject

/// Link occupancy of the three networks.
#[derive(Clone, Debug)]
pub struct Links {
    p: NocParams,
    hop: u64,
    /// `free[(class * tiles + tile) * PORTS + port]`: first cycle the output port is free.
    free: Vec<u64>,
    /// Flits sent through each output port (for link utilization).
    flits: Vec<u64>,
    messages: [u64; 3],
    latency: [u64; 3],
    queued: [u64; 3],
}

/// Per-class message statistics of the memory path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClassStats {
    /// Messages sent.
    pub messages: u64,
    /// Mean cycles from injection to tail arrival.
    pub avg_latency: f64,
    /// Mean cycles spent waiting for busy links.
    pub avg_queueing: f64,
}

/// Link use of one router's output ports (flits / cycle).
#[derive(Clone, Debug, Default, Serialize)]
pub struct RouterUse {
    /// Tile.
    pub tile: u32,
    /// Utilization of the E, W, N, S and ejection ports, summed over the three networks
    /// (each network's port carries at most one flit per cycle).
    pub ports: [f64; PORTS],
}

/// What the memory path did on the NoC.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LinkReport {
    /// Requests (tile → home, home → memory controller, write-backs).
    pub request: ClassStats,
    /// Forwards and invalidations (home → owner/sharers).
    pub forward: ClassStats,
    /// Responses (data, acknowledgements, grants).
    pub response: ClassStats,
    /// Highest utilization of any single link of any network.
    pub max_link_utilization: f64,
    /// Per-router port utilization.
    pub routers: Vec<RouterUse>,
}

impl Links {
    /// Idle networks for mesh `p`.
    pub fn new(p: &NocParams) -> Links {
        let n = 3 * (p.x * p.y) as usize * PORTS;
        Links {
            p: *p,
            hop: u64::from(p.router_latency) + u64::from(super::LINK_LATENCY),
            free: vec![0; n],
            flits: vec![0; n],
            messages: [0; 3],
            latency: [0; 3],
            queued: [0; 3],
        }
    }

    /// Flits of a message carrying `bytes` of data (plus one header flit).
    pub fn flits_for(&self, bytes: u32) -> u32 {
        1 + (bytes * 8).div_ceil(self.p.flit_bits)
    }

    /// Send a `flits`-flit message of `class` from tile `src` to tile `dst`, injected at
    /// cycle `at`; returns the cycle its tail arrives. A message to the same tile costs nothing.
    pub fn send(&mut self, class: Class, src: u32, dst: u32, flits: u32, at: u64) -> u64 {
        if src == dst {
            return at;
        }
        let c = class as usize;
        let tiles = (self.p.x * self.p.y) as usize;
        let (mut x, mut y) = self.p.coords(src);
        let (dx, dy) = self.p.coords(dst);
        let f = u64::from(flits);
        let mut t = at;
        let mut waited = 0;
        loop {
            let port = if x < dx {
                0
            } else if x > dx {
                1
            } else if y < dy {
                2
            } else if y > dy {
                3
            } else {
                4
            };
            let tile = (y * self.p.x + x) as usize;
            let i = (c * tiles + tile) * PORTS + port;
            if self.free[i] > t {
                waited += self.free[i] - t;
                t = self.free[i];
            }
            self.free[i] = t + f;
            self.flits[i] += f;
            t += self.hop;
            match port {
                0 => x += 1,
                1 => x -= 1,
                2 => y += 1,
                3 => y -= 1,
                _ => break,
            }
        }
        let arrival = t - self.hop + f; // ejection takes the tail's cycles, not another hop
        self.messages[c] += 1;
        self.latency[c] += arrival - at;
        self.queued[c] += waited;
        arrival
    }

    /// Statistics after `cycles` cycles.
    pub fn report(&self, cycles: u64) -> LinkReport {
        let class = |c: usize| ClassStats {
            messages: self.messages[c],
            avg_latency: ratio(self.latency[c], self.messages[c]),
            avg_queueing: ratio(self.queued[c], self.messages[c]),
        };
        let tiles = (self.p.x * self.p.y) as usize;
        let cycles = cycles.max(1) as f64;
        let max = self.flits.iter().copied().max().unwrap_or(0) as f64 / cycles;
        let routers = (0..tiles)
            .map(|t| {
                let mut ports = [0.0; PORTS];
                for (p, u) in ports.iter_mut().enumerate() {
                    let f: u64 = (0..3)
                        .map(|c| self.flits[(c * tiles + t) * PORTS + p])
                        .sum();
                    *u = f as f64 / cycles;
                }
                RouterUse {
                    tile: t as u32,
                    ports,
                }
            })
            .collect();
        LinkReport {
            request: class(0),
            forward: class(1),
            response: class(2),
            max_link_utilization: max,
            routers,
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_network_costs_hops_times_hop_latency_plus_serialization() {
        let p = NocParams::mesh(4, 4, 1, 4);
        let mut l = Links::new(&p);
        // tile 0 (0,0) to tile 15 (3,3): 6 hops of 2 cycles; a 1-flit message.
        assert_eq!(l.send(Class::Request, 0, 15, 1, 100), 100 + 6 * 2 + 1);
        // A 5-flit message on the response network: the tail arrives 4 cycles after the head.
        assert_eq!(l.send(Class::Response, 15, 0, 5, 100), 100 + 6 * 2 + 5);
        assert_eq!(l.send(Class::Forward, 3, 3, 9, 7), 7);
    }

    #[test]
    fn messages_on_a_shared_link_queue_and_classes_do_not_interfere() {
        let p = NocParams::mesh(2, 1, 1, 4);
        let mut l = Links::new(&p);
        let a = l.send(Class::Response, 0, 1, 5, 0);
        let b = l.send(Class::Response, 0, 1, 5, 0);
        assert_eq!(b, a + 5, "the second message waits for 5 flits");
        assert_eq!(
            l.send(Class::Request, 0, 1, 5, 0),
            a,
            "another network is free"
        );
        let r = l.report(10);
        assert_eq!(r.response.messages, 2);
        assert!((r.response.avg_queueing - 2.5).abs() < 1e-9);
        assert!(r.max_link_utilization > 0.0);
    }
}
