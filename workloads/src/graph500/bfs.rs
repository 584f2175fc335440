//! The golden BFS.

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;

use super::Csr;

/// `parent[v]` of a vertex the BFS did not reach.
pub const NO_PARENT: u32 = u32::MAX;
/// Level of a vertex the BFS did not reach.
pub const NO_LEVEL: u32 = u32::MAX;

/// The golden breadth-first search from `root`: a FIFO queue, neighbours in ascending order, the
/// first discoverer becomes the parent. `parent[root] == root`; unreached vertices get
/// [`NO_PARENT`].
///
/// Parallel BFS implementations may pick other (equally valid) parents; compare them with
/// [`super::validate_bfs`], not with this array.
pub fn bfs(csr: &Csr, root: u32) -> Vec<u32> {
    let mut parent = vec![NO_PARENT; csr.num_vertices()];
    parent[root as usize] = root;
    let mut queue = VecDeque::new();
    queue.push_back(root);
    while let Some(u) = queue.pop_front() {
        for &v in csr.neighbors(u) {
            if parent[v as usize] == NO_PARENT {
                parent[v as usize] = u;
                queue.push_back(v);
            }
        }
    }
    parent
}

/// BFS levels (hop distance from `root`; [`NO_LEVEL`] where unreachable).
pub fn bfs_levels(csr: &Csr, root: u32) -> Vec<u32> {
    let mut level = vec![NO_LEVEL; csr.num_vertices()];
    level[root as usize] = 0;
    let mut queue = VecDeque::new();
    queue.push_back(root);
    while let Some(u) = queue.pop_front() {
        let next = level[u as usize] + 1;
        for &v in csr.neighbors(u) {
            if level[v as usize] == NO_LEVEL {
                level[v as usize] = next;
                queue.push_back(v);
            }
        }
    }
    level
}
