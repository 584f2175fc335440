//! Undirected compressed sparse rows.

use alloc::vec;
use alloc::vec::Vec;

use super::Edge;
use crate::hash::Checksum64;

/// An undirected graph in compressed sparse rows.
///
/// Built from an edge list with both directions of every edge; self-loops are dropped and
/// duplicate edges are removed, so `neighbors(v)` is strictly ascending and never contains `v`.
/// `targets.len()` is twice the number of distinct undirected non-loop edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    /// `offsets[v]..offsets[v + 1]` indexes `targets`; `offsets.len() == num_vertices + 1`.
    pub offsets: Vec<u64>,
    /// Neighbour lists, concatenated.
    pub targets: Vec<u32>,
}

impl Csr {
    /// Builds the CSR of `edges` over vertices `0..num_vertices` (counting sort by source, then
    /// sort and deduplicate each row).
    ///
    /// # Panics
    /// If an endpoint is `>= num_vertices`.
    pub fn from_edges(num_vertices: usize, edges: &[Edge]) -> Self {
        let mut offsets = vec![0u64; num_vertices + 1];
        for e in edges.iter().filter(|e| !e.is_self_loop()) {
            assert!((e.u as usize) < num_vertices && (e.v as usize) < num_vertices);
            offsets[e.u as usize + 1] += 1;
            offsets[e.v as usize + 1] += 1;
        }
        for v in 0..num_vertices {
            offsets[v + 1] += offsets[v];
        }
        let mut cursor: Vec<u64> = offsets[..num_vertices].to_vec();
        let mut targets = vec![0u32; offsets[num_vertices] as usize];
        for e in edges.iter().filter(|e| !e.is_self_loop()) {
            targets[cursor[e.u as usize] as usize] = e.v;
            cursor[e.u as usize] += 1;
            targets[cursor[e.v as usize] as usize] = e.u;
            cursor[e.v as usize] += 1;
        }
        drop(cursor);
        // Sort each row and compact duplicates in place (the write index never passes the read
        // index).
        let mut write = 0usize;
        let mut start = 0usize;
        for v in 0..num_vertices {
            let end = offsets[v + 1] as usize;
            targets[start..end].sort_unstable();
            let row_begin = write;
            for r in start..end {
                let t = targets[r];
                if write == row_begin || targets[write - 1] != t {
                    targets[write] = t;
                    write += 1;
                }
            }
            offsets[v] = row_begin as u64;
            start = end;
        }
        offsets[num_vertices] = write as u64;
        targets.truncate(write);
        targets.shrink_to_fit();
        Self { offsets, targets }
    }

    /// Number of vertices.
    #[inline]
    pub fn num_vertices(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of directed adjacency entries (twice the undirected edge count).
    #[inline]
    pub fn num_adjacencies(&self) -> u64 {
        self.targets.len() as u64
    }

    /// Sorted neighbours of `v`.
    #[inline]
    pub fn neighbors(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.targets[self.offsets[v] as usize..self.offsets[v + 1] as usize]
    }

    /// Number of distinct neighbours of `v`.
    #[inline]
    pub fn degree(&self, v: u32) -> u64 {
        let v = v as usize;
        self.offsets[v + 1] - self.offsets[v]
    }

    /// `true` when `{u, v}` is an edge (binary search in `u`'s row).
    #[inline]
    pub fn has_edge(&self, u: u32, v: u32) -> bool {
        self.neighbors(u).binary_search(&v).is_ok()
    }

    /// [`Checksum64`] of `offsets` (as `u64` words) then `targets`.
    pub fn checksum(&self) -> u64 {
        let mut c = Checksum64::new();
        for &o in &self.offsets {
            c.write_u64(o);
        }
        c.write_u32s(&self.targets);
        c.finish()
    }

    /// Bytes of `offsets` plus `targets` in memory.
    pub fn size_bytes(&self) -> u64 {
        self.offsets.len() as u64 * 8 + self.targets.len() as u64 * 4
    }
}
