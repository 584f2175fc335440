//! A fake virtio-fs device for host tests: a virtio-mmio-like register model plus an in-memory
//! FUSE server that processes a queue synchronously when it is notified. Ring and buffer
//! addresses are host pointers (use it with [`IdentityHal`](crate::IdentityHal)).
//!
//! It counts each node's lookups, so tests can check that the driver forgets what it looked up.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ptr::{read_volatile, write_volatile};

use super::{status, Transport, F_VERSION_1};
use crate::fuse::{self, mode, op};
use crate::lock::SpinLock;
use crate::wire::{R, W};

/// A node of the in-memory file system.
#[derive(Clone, Debug)]
pub enum Node {
    /// A directory: name -> node id.
    Dir(BTreeMap<String, u64>),
    /// A file's contents.
    File(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Inode {
    node: Node,
    perm: u32,
    nlookup: u64,
    parent: u64,
}

#[derive(Default, Clone, Copy)]
struct QueueRegs {
    size: u16,
    desc: u64,
    avail: u64,
    used: u64,
    ready: bool,
    last_avail: u16,
}

struct State {
    status: u32,
    driver_features: u64,
    queues: Vec<QueueRegs>,
    inodes: BTreeMap<u64, Inode>,
    next_ino: u64,
    handles: BTreeMap<u64, u64>,
    next_fh: u64,
    initialized: bool,
    destroyed: bool,
    log: Vec<(u16, u32)>,
    hiprio_bad: usize,
}

/// The fake device.
pub struct FakeTransport {
    tag: [u8; 36],
    num_request_queues: u32,
    features: u64,
    state: SpinLock<State>,
}

impl FakeTransport {
    /// A device with tag `tag` and `num_request_queues` request queues, offering `VERSION_1`.
    pub fn new(tag: &str, num_request_queues: u32) -> Self {
        let mut t = [0u8; 36];
        t[..tag.len()].copy_from_slice(tag.as_bytes());
        let mut inodes = BTreeMap::new();
        inodes.insert(
            fuse::ROOT_ID,
            Inode {
                node: Node::Dir(BTreeMap::new()),
                perm: 0o755,
                nlookup: 0,
                parent: fuse::ROOT_ID,
            },
        );
        FakeTransport {
            tag: t,
            num_request_queues,
            features: F_VERSION_1,
            state: SpinLock::new(State {
                status: 0,
                driver_features: 0,
                queues: vec![QueueRegs::default(); 1 + num_request_queues as usize],
                inodes,
                next_ino: 2,
                handles: BTreeMap::new(),
                next_fh: 100,
                initialized: false,
                destroyed: false,
                log: Vec::new(),
                hiprio_bad: 0,
            }),
        }
    }

    /// The same, offering only these feature bits (to test negotiation failures).
    pub fn with_features(mut self, features: u64) -> Self {
        self.features = features;
        self
    }

    /// Every request seen: (queue, opcode).
    pub fn log(&self) -> Vec<(u16, u32)> {
        self.state.lock().log.clone()
    }

    /// Nodes (other than the root) whose lookup count is not zero: (node id, count).
    pub fn leaked_lookups(&self) -> Vec<(u64, u64)> {
        let s = self.state.lock();
        s.inodes
            .iter()
            .filter(|(&id, i)| id != fuse::ROOT_ID && i.nlookup != 0)
            .map(|(&id, i)| (id, i.nlookup))
            .collect()
    }

    /// Open handles.
    pub fn open_handles(&self) -> usize {
        self.state.lock().handles.len()
    }

    /// Protocol hazards: requests on the wrong queue (non-hiprio opcodes on queue 0 and vice
    /// versa), and non-exclusive CREATEs of existing files (which crash QEMU 7.2's virtiofsd).
    pub fn hazards(&self) -> usize {
        self.state.lock().hiprio_bad
    }

    /// Whether DESTROY was received.
    pub fn destroyed(&self) -> bool {
        self.state.lock().destroyed
    }

    /// Device status.
    pub fn device_status(&self) -> u32 {
        self.state.lock().status
    }
}

// SAFETY (whole impl): ring and buffer addresses are host pointers set up by the driver, which
// keeps them alive while a chain is outstanding.
impl Transport for FakeTransport {
    fn device_id(&self) -> u32 {
        26
    }
    fn device_features(&self) -> u64 {
        self.features
    }
    fn set_driver_features(&self, f: u64) {
        self.state.lock().driver_features = f;
    }
    fn status(&self) -> u32 {
        self.state.lock().status
    }
    fn set_status(&self, st: u32) {
        let mut s = self.state.lock();
        if st == 0 {
            s.status = 0;
            return;
        }
        let mut st = st;
        if st & status::FEATURES_OK != 0 && s.driver_features & !self.features != 0 {
            st &= !status::FEATURES_OK;
        }
        s.status = st;
    }
    fn queue_max(&self, q: u16) -> u32 {
        if (q as usize) < 1 + self.num_request_queues as usize {
            256
        } else {
            0
        }
    }
    fn setup_queue(&self, q: u16, size: u16, desc: u64, avail: u64, used: u64) {
        let mut s = self.state.lock();
        s.queues[q as usize] = QueueRegs {
            size,
            desc,
            avail,
            used,
            ready: true,
            last_avail: 0,
        };
    }
    fn notify(&self, q: u16) {
        let mut s = self.state.lock();
        if s.status & status::DRIVER_OK == 0 {
            return;
        }
        let regs = s.queues[q as usize];
        if !regs.ready {
            return;
        }
        let mut last = regs.last_avail;
        loop {
            // SAFETY: see the impl comment.
            let avail_idx = unsafe { read_volatile((regs.avail + 2) as *const u16) };
            if avail_idx == last {
                break;
            }
            let slot = (last % regs.size) as u64;
            // SAFETY: as above.
            let head = unsafe { read_volatile((regs.avail + 4 + 2 * slot) as *const u16) };
            last = last.wrapping_add(1);
            let written = s.process_chain(q, &regs, head);
            // SAFETY: as above.
            unsafe {
                let used_idx = read_volatile((regs.used + 2) as *const u16);
                let e = regs.used + 4 + 8 * (used_idx % regs.size) as u64;
                write_volatile(e as *mut u32, head as u32);
                write_volatile((e + 4) as *mut u32, written);
                core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
                write_volatile((regs.used + 2) as *mut u16, used_idx.wrapping_add(1));
            }
        }
        s.queues[q as usize].last_avail = last;
    }
    fn ack_interrupt(&self) -> u32 {
        0
    }
    fn config_u8(&self, offset: usize) -> u8 {
        match offset {
            0..=35 => self.tag[offset],
            36..=39 => self.num_request_queues.to_le_bytes()[offset - 36],
            _ => 0,
        }
    }
}

fn errno_reply(unique: u64, e: i32) -> Vec<u8> {
    let mut w = W::default();
    w.u32(16).u32((-e) as u32).u64(unique);
    w.0
}

fn ok_reply(unique: u64, body: &[u8]) -> Vec<u8> {
    let mut w = W::default();
    w.u32((16 + body.len()) as u32)
        .u32(0)
        .u64(unique)
        .bytes(body);
    w.0
}

impl State {
    /// Reads a chain, runs the request, writes the reply. Returns bytes written.
    fn process_chain(&mut self, q: u16, regs: &QueueRegs, head: u16) -> u32 {
        let mut input = Vec::new();
        let mut outs: Vec<(u64, u32)> = Vec::new();
        let mut i = head;
        for _ in 0..regs.size {
            // SAFETY: see the Transport impl comment.
            let (addr, len, flags, next) = unsafe {
                let d = regs.desc + 16 * i as u64;
                (
                    read_volatile(d as *const u64),
                    read_volatile((d + 8) as *const u32),
                    read_volatile((d + 12) as *const u16),
                    read_volatile((d + 14) as *const u16),
                )
            };
            if flags & 2 != 0 {
                outs.push((addr, len));
            } else {
                // SAFETY: as above.
                input.extend_from_slice(unsafe {
                    core::slice::from_raw_parts(addr as *const u8, len as usize)
                });
            }
            if flags & 1 == 0 {
                break;
            }
            i = next;
        }
        let reply = self.handle(q, &input);
        let mut reply = &reply[..];
        let mut written = 0u32;
        for (addr, len) in outs {
            let n = reply.len().min(len as usize);
            // SAFETY: as above.
            unsafe { core::ptr::copy_nonoverlapping(reply.as_ptr(), addr as *mut u8, n) };
            reply = &reply[n..];
            written += n as u32;
        }
        written
    }

    fn attr(&self, id: u64, w: &mut W) {
        let i = &self.inodes[&id];
        let (size, m) = match &i.node {
            Node::Dir(_) => (0, mode::S_IFDIR),
            Node::File(d) => (d.len() as u64, mode::S_IFREG),
        };
        w.u64(id)
            .u64(size)
            .u64(size.div_ceil(512))
            .zeros(24)
            .zeros(12);
        w.u32(m | i.perm)
            .u32(1)
            .u32(0)
            .u32(0)
            .u32(0)
            .u32(4096)
            .u32(0);
    }

    fn entry(&mut self, id: u64, w: &mut W) {
        self.inodes.get_mut(&id).unwrap().nlookup += 1;
        w.u64(id).u64(0).u64(1).u64(1).u32(0).u32(0);
        self.attr(id, w);
    }

    fn child(&self, parent: u64, name: &str) -> Result<u64, i32> {
        match &self.inodes.get(&parent).ok_or(crate::errno::ENOENT)?.node {
            Node::Dir(m) => m.get(name).copied().ok_or(crate::errno::ENOENT),
            Node::File(_) => Err(crate::errno::ENOTDIR),
        }
    }

    /// Like virtiofsd's `lookup_name`: UNLINK, RMDIR and RENAME only act on nodes the client
    /// has looked up (EIO otherwise).
    fn known(&self, id: u64) -> Result<(), i32> {
        if self.inodes[&id].nlookup == 0 {
            return Err(crate::errno::EIO);
        }
        Ok(())
    }

    fn dir_mut(&mut self, id: u64) -> Result<&mut BTreeMap<String, u64>, i32> {
        match &mut self.inodes.get_mut(&id).ok_or(crate::errno::ENOENT)?.node {
            Node::Dir(m) => Ok(m),
            Node::File(_) => Err(crate::errno::ENOTDIR),
        }
    }

    fn new_node(&mut self, parent: u64, name: &str, node: Node, perm: u32) -> Result<u64, i32> {
        if self.child(parent, name).is_ok() {
            return Err(crate::errno::EEXIST);
        }
        let id = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(
            id,
            Inode {
                node,
                perm,
                nlookup: 0,
                parent,
            },
        );
        self.dir_mut(parent)?.insert(String::from(name), id);
        Ok(id)
    }

    fn handle(&mut self, q: u16, input: &[u8]) -> Vec<u8> {
        let mut r = R::new(input);
        let (Ok(_len), Ok(opcode), Ok(unique), Ok(nodeid)) = (r.u32(), r.u32(), r.u64(), r.u64())
        else {
            return Vec::new();
        };
        let _ = r.skip(16);
        self.log.push((q, opcode));
        let hiprio_op = matches!(opcode, op::FORGET | op::BATCH_FORGET | op::INTERRUPT);
        if hiprio_op != (q == 0) {
            self.hiprio_bad += 1;
        }
        if !self.initialized && opcode != op::INIT {
            return errno_reply(unique, crate::errno::EIO);
        }
        match self.op(opcode, nodeid, &mut r) {
            Ok(None) => Vec::new(),
            Ok(Some(body)) => ok_reply(unique, &body),
            Err(e) => errno_reply(unique, e),
        }
    }

    fn name<'a>(r: &mut R<'a>) -> Result<&'a str, i32> {
        let rest = &r.b[r.pos..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(crate::errno::EINVAL)?;
        let s = core::str::from_utf8(&rest[..n]).map_err(|_| crate::errno::EINVAL)?;
        r.pos += n + 1;
        if s.is_empty() || s.contains('/') || s == "." || s == ".." {
            return Err(crate::errno::EINVAL);
        }
        Ok(s)
    }

    fn op(&mut self, opcode: u32, nodeid: u64, r: &mut R<'_>) -> Result<Option<Vec<u8>>, i32> {
        use crate::errno::*;
        let bad = |_| EINVAL;
        let mut w = W::default();
        match opcode {
            op::INIT => {
                let major = r.u32().map_err(bad)?;
                let _minor = r.u32().map_err(bad)?;
                let _ra = r.u32().map_err(bad)?;
                let flags = r.u32().map_err(bad)?;
                if major != 7 {
                    return Err(EPROTO_FAKE);
                }
                self.initialized = true;
                w.u32(7).u32(31).u32(65536).u32(flags).u16(16).u16(12);
                w.u32(32768).u32(1).u16(8).u16(0).u32(0).zeros(28);
            }
            op::LOOKUP => {
                let name = Self::name(r)?;
                let id = self.child(nodeid, name)?;
                self.entry(id, &mut w);
            }
            op::FORGET => {
                let n = r.u64().map_err(bad)?;
                if let Some(i) = self.inodes.get_mut(&nodeid) {
                    i.nlookup = i.nlookup.saturating_sub(n);
                }
                return Ok(None);
            }
            op::BATCH_FORGET => {
                let count = r.u32().map_err(bad)?;
                let _ = r.u32();
                for _ in 0..count {
                    let id = r.u64().map_err(bad)?;
                    let n = r.u64().map_err(bad)?;
                    if let Some(i) = self.inodes.get_mut(&id) {
                        i.nlookup = i.nlookup.saturating_sub(n);
                    }
                }
                return Ok(None);
            }
            op::INTERRUPT => return Ok(None),
            op::GETATTR => {
                self.inodes.get(&nodeid).ok_or(ENOENT)?;
                w.u64(1).u32(0).u32(0);
                self.attr(nodeid, &mut w);
            }
            op::SETATTR => {
                let valid = r.u32().map_err(bad)?;
                r.skip(12).map_err(bad)?;
                let size = r.u64().map_err(bad)?;
                r.skip(8 + 24 + 12).map_err(bad)?;
                let m = r.u32().map_err(bad)?;
                let i = self.inodes.get_mut(&nodeid).ok_or(ENOENT)?;
                if valid & fuse::fattr::MODE != 0 {
                    i.perm = m & 0o7777;
                }
                if valid & fuse::fattr::SIZE != 0 {
                    match &mut i.node {
                        Node::File(d) => d.resize(size as usize, 0),
                        Node::Dir(_) => return Err(EISDIR),
                    }
                }
                w.u64(1).u32(0).u32(0);
                self.attr(nodeid, &mut w);
            }
            op::OPEN | op::OPENDIR => {
                let flags = r.u32().map_err(bad)?;
                let is_dir = matches!(self.inodes.get(&nodeid).ok_or(ENOENT)?.node, Node::Dir(_));
                if is_dir != (opcode == op::OPENDIR) {
                    return Err(if is_dir { EISDIR } else { ENOTDIR });
                }
                if flags & fuse::oflags::O_TRUNC != 0 {
                    if let Node::File(d) = &mut self.inodes.get_mut(&nodeid).unwrap().node {
                        d.clear();
                    }
                }
                let fh = self.next_fh;
                self.next_fh += 1;
                self.handles.insert(fh, nodeid);
                w.u64(fh).u32(0).u32(0);
            }
            op::RELEASE | op::RELEASEDIR => {
                let fh = r.u64().map_err(bad)?;
                self.handles.remove(&fh).ok_or(EBADF)?;
            }
            op::READ | op::READDIR | op::READDIRPLUS => {
                let fh = r.u64().map_err(bad)?;
                let off = r.u64().map_err(bad)? as usize;
                let size = r.u32().map_err(bad)? as usize;
                if self.handles.get(&fh) != Some(&nodeid) {
                    return Err(EBADF);
                }
                match (&self.inodes[&nodeid].node, opcode) {
                    (Node::File(d), op::READ) => {
                        let s = off.min(d.len());
                        let e = (off + size).min(d.len());
                        w.bytes(&d[s..e]);
                    }
                    (Node::Dir(m), op::READDIR | op::READDIRPLUS) => {
                        let mut list: Vec<(String, u64)> = vec![
                            (".".into(), nodeid),
                            ("..".into(), self.inodes[&nodeid].parent),
                        ];
                        list.extend(m.iter().map(|(k, v)| (k.clone(), *v)));
                        for (k, (name, id)) in list.into_iter().enumerate().skip(off) {
                            let mut e = W::default();
                            let dot = name == "." || name == "..";
                            if opcode == op::READDIRPLUS {
                                if dot {
                                    e.zeros(40);
                                    self.attr(id, &mut e);
                                } else {
                                    self.entry(id, &mut e);
                                }
                            }
                            let dtype = match self.inodes[&id].node {
                                Node::Dir(_) => 4,
                                Node::File(_) => 8,
                            };
                            e.u64(id)
                                .u64(k as u64 + 1)
                                .u32(name.len() as u32)
                                .u32(dtype);
                            e.bytes(name.as_bytes());
                            while e.0.len() % 8 != 0 {
                                e.0.push(0);
                            }
                            if w.0.len() + e.0.len() > size {
                                if opcode == op::READDIRPLUS && !dot {
                                    self.inodes.get_mut(&id).unwrap().nlookup -= 1;
                                }
                                break;
                            }
                            w.bytes(&e.0);
                        }
                    }
                    (Node::File(_), _) => return Err(ENOTDIR),
                    (Node::Dir(_), _) => return Err(EISDIR),
                }
            }
            op::WRITE => {
                let fh = r.u64().map_err(bad)?;
                let off = r.u64().map_err(bad)? as usize;
                let size = r.u32().map_err(bad)? as usize;
                r.skip(20).map_err(bad)?;
                let data = r.bytes(size).map_err(bad)?;
                if self.handles.get(&fh) != Some(&nodeid) {
                    return Err(EBADF);
                }
                match &mut self.inodes.get_mut(&nodeid).unwrap().node {
                    Node::File(d) => {
                        if d.len() < off + size {
                            d.resize(off + size, 0);
                        }
                        d[off..off + size].copy_from_slice(data);
                    }
                    Node::Dir(_) => return Err(EISDIR),
                }
                w.u32(size as u32).u32(0);
            }
            op::CREATE => {
                let flags = r.u32().map_err(bad)?;
                let m = r.u32().map_err(bad)?;
                r.skip(8).map_err(bad)?;
                let name = Self::name(r)?;
                let id = match self.child(nodeid, name) {
                    Ok(_) if flags & fuse::oflags::O_EXCL != 0 => return Err(EEXIST),
                    // QEMU 7.2's virtiofsd aborts here; the driver must never do this.
                    Ok(_) => {
                        self.hiprio_bad += 1;
                        return Err(EIO);
                    }
                    Err(_) => self.new_node(nodeid, name, Node::File(Vec::new()), m & 0o7777)?,
                };
                self.entry(id, &mut w);
                let fh = self.next_fh;
                self.next_fh += 1;
                self.handles.insert(fh, id);
                w.u64(fh).u32(0).u32(0);
            }
            op::MKDIR => {
                let m = r.u32().map_err(bad)?;
                r.skip(4).map_err(bad)?;
                let name = Self::name(r)?;
                let id = self.new_node(nodeid, name, Node::Dir(BTreeMap::new()), m & 0o7777)?;
                self.entry(id, &mut w);
            }
            op::UNLINK | op::RMDIR => {
                let name = Self::name(r)?;
                let id = self.child(nodeid, name)?;
                self.known(id)?;
                match (&self.inodes[&id].node, opcode) {
                    (Node::File(_), op::UNLINK) => {}
                    (Node::Dir(m), op::RMDIR) if m.is_empty() => {}
                    (Node::Dir(_), op::RMDIR) => return Err(ENOTEMPTY),
                    (Node::Dir(_), _) => return Err(EISDIR),
                    (Node::File(_), _) => return Err(ENOTDIR),
                }
                self.dir_mut(nodeid)?.remove(name);
            }
            op::RENAME => {
                let newdir = r.u64().map_err(bad)?;
                let old = Self::name(r)?;
                let new = Self::name(r)?;
                let id = self.child(nodeid, old)?;
                self.known(id)?;
                self.dir_mut(newdir)?;
                if let Ok(existing) = self.child(newdir, new) {
                    if matches!(self.inodes[&existing].node, Node::Dir(_)) {
                        return Err(EISDIR);
                    }
                }
                self.dir_mut(nodeid)?.remove(old);
                self.dir_mut(newdir)?.insert(String::from(new), id);
                self.inodes.get_mut(&id).unwrap().parent = newdir;
            }
            op::FSYNC => {
                let fh = r.u64().map_err(bad)?;
                if self.handles.get(&fh) != Some(&nodeid) {
                    return Err(EBADF);
                }
            }
            op::DESTROY => {
                self.destroyed = true;
                self.initialized = false;
            }
            _ => return Err(ENOSYS),
        }
        Ok(Some(w.0))
    }
}

const EPROTO_FAKE: i32 = 71;

#[cfg(test)]
mod tests;
