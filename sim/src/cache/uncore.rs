//! Everything between the tiles: the home slices with their MSI directories, the three NoC
//! networks of the memory path, and the HBM channels behind the memory controllers.
//!
//! ```text
//!  tile L2 ──GetS/GetM (request net)──► home(line) ── directory lookup (home.latency) ──┐
//!     ▲                                     │                                          │
//!     │            forward / invalidate (forward net) to the owner / sharers           │
//!     │                                     ▼                                          ▼
//!     └──────── data / acks (response net) ─── owner tile L2    memory controller ─► HBM
//! ```
//!
//! MSI, with the directory at the line's home tile (`line % tiles`):
//!
//! | request | directory | what happens | answer arrives when |
//! |---|---|---|---|
//! | GetS | uncached or shared | home asks memory; data goes controller → requester | data |
//! | GetS | modified at owner `o` | forward to `o`; `o` sends data, keeps `S`, writes back | data from `o` |
//! | GetM | uncached | as GetS from memory; requester becomes owner | data |
//! | GetM | shared | invalidate every other sharer (acks to the requester); data from memory unless the requester shares the line (upgrade: a grant from the home) | last of data/grant and acks |
//! | GetM | modified at `o` | forward to `o`; `o` invalidates and sends data | data from `o` |
//!
//! L2 evictions notify the home (a write-back with data for a modified line, to the memory
//! controller). A home slice tracks at most `home.directory_entries` lines; a new line beyond that
//! evicts the oldest entry and invalidates its sharers (a sparse directory).
//!
//! Requests are resolved one at a time in request order at the end of each quantum; see
//! `docs/pipeline.md`. Functional data never lives here (the DRAM image is the truth); this
//! model only decides when each access completes and which cached copies exist.

use super::tags::{MODIFIED, SHARED};
use super::tile::{ReqKind, Request, TileMem};
use crate::hbm::{placement::controller_tiles, Hbm, HbmReport};
use crate::noc::links::{LinkReport, Links};
use crate::noc::{Class, NocParams};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use strand_hw::ChipConfig;

const NO_OWNER: u16 = u16::MAX;

/// A directory entry: the owner (modified) or the sharers.
#[derive(Clone, Debug, Default)]
struct Entry {
    owner: u16,
    sharers: Vec<u16>,
}

/// Multiplicative hashing of line addresses (the default SipHash costs more than the lookup).
#[derive(Default)]
pub(crate) struct LineHasher(u64);

impl Hasher for LineHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A hash map keyed by line (or word) addresses.
pub(crate) type LineMap<V> = HashMap<u64, V, BuildHasherDefault<LineHasher>>;

/// One home slice's directory.
#[derive(Default)]
struct Slice {
    map: LineMap<Entry>,
    /// Lines in the order they entered the directory (for capacity evictions).
    order: VecDeque<u64>,
}

/// Protocol event counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DirectoryStats {
    /// Read requests (GetS).
    pub gets: u64,
    /// Write requests (GetM), upgrades included.
    pub getm: u64,
    /// GetM from a tile that already shared the line.
    pub upgrades: u64,
    /// Requests forwarded to an owning tile.
    pub forwards: u64,
    /// Invalidations sent to sharers (requests and directory evictions).
    pub invalidations: u64,
    /// Modified lines written back to memory.
    pub writebacks: u64,
    /// Entries evicted because a slice was full.
    pub directory_evictions: u64,
    /// Line fills read from memory.
    pub memory_reads: u64,
    /// Mean cycles from a request leaving the L2 to its answer.
    pub avg_request_latency: f64,
    /// Most lines tracked by one slice at any time.
    pub max_entries: u64,
}

/// Home slices, NoC links and HBM.
pub struct Uncore {
    slices: Vec<Slice>,
    capacity: usize,
    links: Links,
    hbm: Hbm,
    controller_tile: Vec<u32>,
    tiles: u64,
    line_shift: u32,
    line_bytes: u32,
    data_flits: u32,
    dir_latency: u64,
    l2_latency: u64,
    stats: DirectoryStats,
    latency_sum: u64,
}

impl Uncore {
    /// The uncore of `cfg`, idle.
    pub fn new(cfg: &ChipConfig) -> Uncore {
        let noc = NocParams::from_config(cfg);
        let links = Links::new(&noc);
        let line_bytes = cfg.tile.l2.line;
        Uncore {
            slices: (0..cfg.tiles()).map(|_| Slice::default()).collect(),
            capacity: cfg.home.directory_entries as usize,
            data_flits: links.flits_for(line_bytes),
            links,
            hbm: Hbm::new(cfg).expect("configuration validated"),
            controller_tile: controller_tiles(cfg.memory.hbm_channels, cfg.mesh.x, cfg.mesh.y),
            tiles: u64::from(cfg.tiles()),
            line_shift: line_bytes.trailing_zeros(),
            line_bytes,
            dir_latency: u64::from(cfg.home.latency),
            l2_latency: u64::from(cfg.tile.l2_latency),
            stats: DirectoryStats::default(),
            latency_sum: 0,
        }
    }

    /// The fewest cycles from an access that misses (at the core) to the answer: the L2 tag
    /// check plus the directory lookup. This is the longest quantum for which no answer can be
    /// needed within the quantum that asked.
    pub fn min_latency(&self) -> u64 {
        self.l2_latency + self.dir_latency.max(1)
    }

    fn home(&self, line: u64) -> u32 {
        ((line >> self.line_shift) % self.tiles) as u32
    }

    /// Read a line from memory for `to`, asked by the home at `at`: when the data arrives.
    fn read_memory(&mut self, home: u32, to: u32, line: u64, at: u64) -> u64 {
        self.stats.memory_reads += 1;
        let mc = self.controller_tile[self.hbm.channel_of(line) as usize];
        let at_mc = self.links.send(Class::Request, home, mc, 1, at);
        let data = self.hbm.access(line, self.line_bytes, false, at_mc);
        self.links
            .send(Class::Response, mc, to, self.data_flits, data)
    }

    /// Write a modified line back from tile `from` at `at` (nobody waits for it).
    fn write_back(&mut self, from: u32, line: u64, at: u64) {
        self.stats.writebacks += 1;
        let mc = self.controller_tile[self.hbm.channel_of(line) as usize];
        let at_mc = self
            .links
            .send(Class::Request, from, mc, self.data_flits, at);
        let _ = self.hbm.access(line, self.line_bytes, true, at_mc);
    }

    /// Take line `line` away from every tile that holds it (a directory eviction), at `at`.
    fn evict_entry(&mut self, home: u32, line: u64, e: Entry, at: u64, tiles: &mut [TileMem]) {
        self.stats.directory_evictions += 1;
        let holders = e
            .sharers
            .iter()
            .copied()
            .chain((e.owner != NO_OWNER).then_some(e.owner));
        for t in holders.collect::<Vec<_>>() {
            self.stats.invalidations += 1;
            let a = self.links.send(Class::Forward, home, u32::from(t), 1, at);
            if tiles[t as usize].take(line) == Some(MODIFIED) {
                self.write_back(u32::from(t), line, a + self.l2_latency);
            }
        }
    }

    /// Tile `from` lost `line` (an L2 eviction) at `at`.
    fn evicted(&mut self, from: u32, line: u64, state: u8, at: u64) {
        let home = self.home(line);
        if state == MODIFIED {
            self.write_back(from, line, at);
        } else {
            let _ = self.links.send(Class::Request, from, home, 1, at);
        }
        let slice = &mut self.slices[home as usize];
        if let Some(e) = slice.map.get_mut(&line) {
            if e.owner == from as u16 {
                e.owner = NO_OWNER;
            }
            e.sharers.retain(|&s| s != from as u16);
            if e.owner == NO_OWNER && e.sharers.is_empty() {
                slice.map.remove(&line);
            }
        }
    }

    /// Serve one request; returns the cycle its answer arrives at the requesting tile.
    pub fn resolve(&mut self, req: &Request, tiles: &mut [TileMem]) -> u64 {
        let write = match req.kind {
            ReqKind::GetS => false,
            ReqKind::GetM => true,
            ReqKind::Merge(_) => unreachable!("merged requests take their leader's answer"),
        };
        let done = self.coherent_access(req.tile, req.addr, write, req.cycle, tiles);
        self.latency_sum += done - req.cycle;
        done
    }

    /// An atomic performed at tile `tile`'s L2 at `now` by `core`: cycles until the result.
    pub fn atomic(
        &mut self,
        tile: u32,
        core: u32,
        addr: u64,
        now: u64,
        tiles: &mut [TileMem],
    ) -> u64 {
        let t = &mut tiles[tile as usize];
        if t.atomic_owned(core, addr) {
            return self.l2_latency;
        }
        let line = addr >> self.line_shift << self.line_shift;
        let at = now + self.l2_latency;
        let done = self.coherent_access(tile, line, true, at, tiles);
        self.latency_sum += done - at;
        done - now
    }

    /// The MSI transaction for `line` requested by tile `r` leaving its L2 at `at`.
    fn coherent_access(
        &mut self,
        r: u32,
        line: u64,
        write: bool,
        at: u64,
        tiles: &mut [TileMem],
    ) -> u64 {
        if write {
            self.stats.getm += 1;
        } else {
            self.stats.gets += 1;
        }
        let home = self.home(line);
        let at_home = self.links.send(Class::Request, r, home, 1, at) + self.dir_latency;
        let slice = &mut self.slices[home as usize];
        let mut entry = match slice.map.remove(&line) {
            Some(e) => e,
            None => {
                slice.order.push_back(line);
                Entry {
                    owner: NO_OWNER,
                    sharers: Vec::new(),
                }
            }
        };
        let r16 = r as u16;
        let done = if entry.owner != NO_OWNER && entry.owner != r16 {
            // Modified elsewhere: the owner supplies the data.
            self.stats.forwards += 1;
            let o = u32::from(entry.owner);
            let at_o = self.links.send(Class::Forward, home, o, 1, at_home) + self.l2_latency;
            if write {
                let _ = tiles[o as usize].take(line);
                entry.sharers.clear();
            } else {
                tiles[o as usize].downgrade(line);
                self.write_back(o, line, at_o);
                entry.sharers = vec![entry.owner];
            }
            entry.owner = NO_OWNER;
            self.links
                .send(Class::Response, o, r, self.data_flits, at_o)
        } else if entry.owner == r16 {
            // Already the owner (a request raced with its own grant): a grant.
            self.links.send(Class::Response, home, r, 1, at_home)
        } else {
            let shares = entry.sharers.contains(&r16);
            let mut done = if write && shares {
                self.stats.upgrades += 1;
                self.links.send(Class::Response, home, r, 1, at_home)
            } else {
                self.read_memory(home, r, line, at_home)
            };
            if write {
                for &s in &entry.sharers {
                    if s != r16 {
                        self.stats.invalidations += 1;
                        let s = u32::from(s);
                        let a = self.links.send(Class::Forward, home, s, 1, at_home);
                        let _ = tiles[s as usize].take(line);
                        done = done.max(self.links.send(Class::Response, s, r, 1, a + 1));
                    }
                }
                entry.sharers.clear();
            }
            done
        };
        if write {
            entry.owner = r16;
            entry.sharers.clear();
        } else if !entry.sharers.contains(&r16) {
            entry.sharers.push(r16);
        }
        let slice = &mut self.slices[home as usize];
        slice.map.insert(line, entry);
        self.stats.max_entries = self.stats.max_entries.max(slice.map.len() as u64);
        // A full slice evicts its oldest entries.
        loop {
            let slice = &mut self.slices[home as usize];
            if slice.map.len() <= self.capacity {
                break;
            }
            let Some(old) = slice.order.pop_front() else {
                break;
            };
            if old == line {
                slice.order.push_back(old);
                continue;
            }
            if let Some(e) = slice.map.remove(&old) {
                self.evict_entry(home, old, e, at_home, tiles);
            }
        }
        let slice = &mut self.slices[home as usize];
        if slice.order.len() > 2 * self.capacity.max(16) {
            // Drop the order entries of lines that left the directory.
            let map = &slice.map;
            slice.order.retain(|l| map.contains_key(l));
        }
        let state = if write { MODIFIED } else { SHARED };
        if let Some((victim, vstate)) = tiles[r as usize].grant(line, state) {
            self.evicted(r, victim, vstate, at);
        }
        done
    }

    /// Per-channel HBM statistics after `cycles` cycles.
    pub fn hbm_report(&self, cycles: u64) -> HbmReport {
        self.hbm.report(cycles)
    }

    /// NoC statistics of the memory path after `cycles` cycles.
    pub fn noc_report(&self, cycles: u64) -> LinkReport {
        self.links.report(cycles)
    }

    /// Directory statistics.
    pub fn directory_stats(&self) -> DirectoryStats {
        let mut s = self.stats.clone();
        let n = s.gets + s.getm;
        s.avg_request_latency = if n == 0 {
            0.0
        } else {
            self.latency_sum as f64 / n as f64
        };
        s
    }
}
