//! The FUSE client and the path-based file API on top of it.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::fuse::{self, fattr, init, mode, oflags, op, Attr, Entry};
use crate::hal::{DmaBuf, Hal};
use crate::lock::SpinLock;
use crate::queue::{Buf, SplitQueue};
use crate::transport::{mmio::DEVICE_ID_FS, status, Transport, F_VERSION_1};
use crate::wire::{R, W};
use crate::{errno, Error, Result};

/// Largest queue the driver sets up.
const MAX_QUEUE_SIZE: u16 = 128;
/// Most request queues the driver uses.
const MAX_REQUEST_QUEUES: usize = 8;
/// Largest READ/WRITE payload per request, whatever the server allows.
const MAX_IO: u32 = 64 * 1024;

/// A file's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Anything else.
    Other,
}

impl FileType {
    fn from_mode(m: u32) -> FileType {
        match m & mode::S_IFMT {
            mode::S_IFREG => FileType::File,
            mode::S_IFDIR => FileType::Dir,
            mode::S_IFLNK => FileType::Symlink,
            _ => FileType::Other,
        }
    }
}

/// What `stat` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Inode number on the host.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits (`mode & 0o7777`).
    pub perm: u32,
    /// Kind.
    pub kind: FileType,
    /// Link count.
    pub nlink: u32,
}

impl From<Attr> for Metadata {
    fn from(a: Attr) -> Self {
        Metadata {
            ino: a.ino,
            size: a.size,
            perm: a.mode & 0o7777,
            kind: FileType::from_mode(a.mode),
            nlink: a.nlink,
        }
    }
}

/// One directory entry (`.` and `..` are left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Name.
    pub name: String,
    /// Inode number.
    pub ino: u64,
    /// Kind (from the entry's `d_type`, or the attributes with READDIRPLUS).
    pub kind: FileType,
    /// Size (READDIRPLUS only; 0 otherwise).
    pub size: u64,
}

/// What INIT negotiated.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// Server's minor version.
    pub minor: u32,
    /// Flags both sides agreed on.
    pub flags: u32,
    /// Largest WRITE payload the driver sends.
    pub max_write: u32,
    /// Largest READ the driver asks for.
    pub max_read: u32,
}

/// A virtio-fs device with a FUSE session on it. `Sync`: share it between harts.
pub struct VirtioFs<H: Hal, T: Transport> {
    transport: T,
    hiprio: SpinLock<SplitQueue<H>>,
    requests: Vec<SpinLock<SplitQueue<H>>>,
    next_queue: AtomicUsize,
    unique: AtomicU64,
    tag: String,
    session: Session,
    sent: AtomicU64,
    max_in_flight: AtomicUsize,
}

impl<H: Hal, T: Transport> VirtioFs<H, T> {
    /// Resets the device, negotiates `VERSION_1`, sets up the hiprio queue and the request
    /// queues, and sends FUSE INIT.
    pub fn new(transport: T) -> Result<Self> {
        if transport.device_id() != DEVICE_ID_FS {
            return Err(Error::NoDevice);
        }
        let fail = |t: &T, e: Error| {
            t.set_status(status::FAILED);
            Err(e)
        };
        transport.set_status(0);
        transport.set_status(status::ACKNOWLEDGE);
        transport.set_status(status::ACKNOWLEDGE | status::DRIVER);
        let offered = transport.device_features();
        if offered & F_VERSION_1 == 0 {
            return fail(&transport, Error::Device("device lacks VIRTIO_F_VERSION_1"));
        }
        transport.set_driver_features(F_VERSION_1);
        let st = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK;
        transport.set_status(st);
        if transport.status() & status::FEATURES_OK == 0 {
            return fail(&transport, Error::Device("device refused FEATURES_OK"));
        }
        // Configuration: tag[36] (NUL-padded UTF-8), num_request_queues u32.
        let mut tag = String::new();
        for i in 0..36 {
            match transport.config_u8(i) {
                0 => break,
                c => tag.push(c as char),
            }
        }
        let nreq = u32::from_le_bytes([
            transport.config_u8(36),
            transport.config_u8(37),
            transport.config_u8(38),
            transport.config_u8(39),
        ]) as usize;
        if nreq == 0 {
            return fail(&transport, Error::Device("no request queues"));
        }
        let nreq = nreq.min(MAX_REQUEST_QUEUES);
        let make = |q: u16| -> Result<SplitQueue<H>> {
            let max = transport.queue_max(q);
            if max == 0 {
                return Err(Error::Device("queue not available"));
            }
            let size = (max.min(MAX_QUEUE_SIZE as u32) as u16).next_power_of_two();
            let size = if size as u32 > max { size / 2 } else { size };
            let sq = SplitQueue::<H>::new(q, size)?;
            transport.setup_queue(q, size, sq.desc_addr(), sq.avail_addr(), sq.used_addr());
            Ok(sq)
        };
        let hiprio = match make(0) {
            Ok(q) => q,
            Err(e) => return fail(&transport, e),
        };
        let mut requests = Vec::new();
        for q in 1..=nreq as u16 {
            match make(q) {
                Ok(sq) => requests.push(SpinLock::new(sq)),
                Err(e) => return fail(&transport, e),
            }
        }
        transport.set_status(st | status::DRIVER_OK);
        let mut fs = VirtioFs {
            transport,
            hiprio: SpinLock::new(hiprio),
            requests,
            next_queue: AtomicUsize::new(0),
            unique: AtomicU64::new(1),
            tag,
            session: Session {
                minor: 0,
                flags: 0,
                max_write: 4096,
                max_read: 4096,
            },
            sent: AtomicU64::new(0),
            max_in_flight: AtomicUsize::new(0),
        };
        fs.session = fs.fuse_init()?;
        Ok(fs)
    }

    /// The device's tag (its configuration's `tag`).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// What INIT negotiated.
    pub fn session(&self) -> Session {
        self.session
    }

    /// Number of request queues in use.
    pub fn request_queues(&self) -> usize {
        self.requests.len()
    }

    /// FUSE requests sent so far (all queues).
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The most requests ever outstanding at once on one queue (a measure of overlap).
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::Relaxed)
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    fn header(&self, opcode: u32, nodeid: u64, body_len: usize) -> (W, u64) {
        let unique = self.unique.fetch_add(1, Ordering::Relaxed);
        let mut w = W::default();
        w.u32((fuse::IN_HEADER_LEN + body_len) as u32)
            .u32(opcode)
            .u64(unique)
            .u64(nodeid)
            .u32(0) // uid
            .u32(0) // gid
            .u32(0) // pid
            .u32(0);
        (w, unique)
    }

    /// Adds `bufs` to `q` (waiting for free descriptors), notifies, and polls until the device
    /// returns the chain. Returns the used length.
    fn submit(&self, qi: u16, q: &SpinLock<SplitQueue<H>>, bufs: &[Buf]) -> Result<u32> {
        let head = loop {
            let mut g = q.lock();
            if bufs.len() > g.size() as usize {
                return Err(Error::Protocol(
                    "request needs more descriptors than the queue has",
                ));
            }
            g.poll_used();
            if let Some(h) = g.add(bufs) {
                self.max_in_flight
                    .fetch_max(g.outstanding() as usize, Ordering::Relaxed);
                self.transport.notify(qi);
                break h;
            }
            drop(g);
            core::hint::spin_loop();
        };
        self.sent.fetch_add(1, Ordering::Relaxed);
        loop {
            {
                let mut g = q.lock();
                g.poll_used();
                if let Some(len) = g.take(head) {
                    H::rmb();
                    return Ok(len);
                }
            }
            core::hint::spin_loop();
        }
    }

    /// Sends one request on a request queue: `args` after the header; `data` (may be empty) as
    /// a separate readable buffer; room for `reply_len` bytes after the out header. Returns the
    /// reply body.
    fn request(
        &self,
        opcode: u32,
        nodeid: u64,
        args: &[u8],
        data: &[u8],
        reply_len: usize,
    ) -> Result<Vec<u8>> {
        let (mut w, unique) = self.header(opcode, nodeid, args.len() + data.len());
        w.bytes(args);
        let req = DmaBuf::<H>::from_slice(&w.0)?;
        let payload = if data.is_empty() {
            None
        } else {
            Some(DmaBuf::<H>::from_slice(data)?)
        };
        let reply = DmaBuf::<H>::new(fuse::OUT_HEADER_LEN + reply_len, 16)?;
        let mut bufs = Vec::with_capacity(3);
        bufs.push(Buf {
            addr: req.phys(),
            len: req.len() as u32,
            writable: false,
        });
        if let Some(p) = &payload {
            bufs.push(Buf {
                addr: p.phys(),
                len: p.len() as u32,
                writable: false,
            });
        }
        bufs.push(Buf {
            addr: reply.phys(),
            len: reply.len() as u32,
            writable: true,
        });
        let n = self.requests.len();
        let qi = self.next_queue.fetch_add(1, Ordering::Relaxed) % n;
        let used = self.submit(qi as u16 + 1, &self.requests[qi], &bufs)? as usize;
        let out = reply.as_slice();
        let mut r = R::new(out);
        let len = r.u32()? as usize;
        let error = r.u32()? as i32;
        let got_unique = r.u64()?;
        if got_unique != unique {
            return Err(Error::Protocol("reply for another request"));
        }
        if len < fuse::OUT_HEADER_LEN || len > out.len() || used < len.min(fuse::OUT_HEADER_LEN) {
            return Err(Error::Protocol("bad reply length"));
        }
        if error != 0 {
            return Err(Error::Errno(error.checked_neg().unwrap_or(errno::EIO)));
        }
        Ok(out[fuse::OUT_HEADER_LEN..len].to_vec())
    }

    /// Sends a request with no reply on the hiprio queue and waits until the device has
    /// consumed it.
    fn hiprio(&self, opcode: u32, nodeid: u64, args: &[u8]) -> Result<()> {
        let (mut w, _) = self.header(opcode, nodeid, args.len());
        w.bytes(args);
        let req = DmaBuf::<H>::from_slice(&w.0)?;
        let bufs = [Buf {
            addr: req.phys(),
            len: req.len() as u32,
            writable: false,
        }];
        self.submit(0, &self.hiprio, &bufs).map(|_| ())
    }

    fn fuse_init(&self) -> Result<Session> {
        let want = init::ASYNC_READ | init::BIG_WRITES | init::MAX_PAGES | init::DO_READDIRPLUS;
        let mut w = W::default();
        w.u32(fuse::KERNEL_VERSION)
            .u32(fuse::KERNEL_MINOR_VERSION)
            .u32(MAX_IO) // max_readahead
            .u32(want);
        let out = self.request(op::INIT, 0, &w.0, &[], fuse::INIT_OUT_LEN)?;
        let mut r = R::new(&out);
        let major = r.u32()?;
        let minor = r.u32()?;
        if major != fuse::KERNEL_VERSION || minor < 31 {
            return Err(Error::Device("server does not speak FUSE 7.31+"));
        }
        let _max_readahead = r.u32()?;
        let flags = r.u32()? & want;
        let _max_background = r.u16()?;
        let _congestion = r.u16()?;
        let max_write = r.u32()?;
        let _time_gran = r.u32()?;
        let max_pages = r.u16()? as u32;
        let mut max_read = MAX_IO;
        if flags & init::MAX_PAGES != 0 && max_pages != 0 {
            max_read = max_read.min(max_pages * 4096);
        }
        let mut max_write = max_write.clamp(4096, MAX_IO);
        if flags & init::BIG_WRITES == 0 {
            max_write = 4096;
        }
        Ok(Session {
            minor,
            flags,
            max_write,
            max_read,
        })
    }

    // ---- low-level FUSE operations (node ids) ----------------------------------------------

    /// LOOKUP `name` in directory `parent`; the caller owes one FORGET for the result.
    pub fn lookup(&self, parent: u64, name: &str) -> Result<Entry> {
        check_name(name)?;
        let mut w = W::default();
        w.cstr(name);
        let out = self.request(op::LOOKUP, parent, &w.0, &[], fuse::ENTRY_OUT_LEN)?;
        let e = Entry::parse(&mut R::new(&out))?;
        if e.nodeid == 0 {
            return Err(Error::Errno(errno::ENOENT));
        }
        Ok(e)
    }

    /// GETATTR, with a file handle when `fh` is given.
    pub fn getattr(&self, nodeid: u64, fh: Option<u64>) -> Result<Attr> {
        let mut w = W::default();
        w.u32(if fh.is_some() { 1 } else { 0 }) // FUSE_GETATTR_FH
            .u32(0)
            .u64(fh.unwrap_or(0));
        let out = self.request(op::GETATTR, nodeid, &w.0, &[], fuse::ATTR_OUT_LEN)?;
        let mut r = R::new(&out);
        r.skip(16)?;
        Attr::parse(&mut r)
    }

    /// SETATTR: new permission bits and/or size.
    pub fn setattr(
        &self,
        nodeid: u64,
        fh: Option<u64>,
        perm: Option<u32>,
        size: Option<u64>,
    ) -> Result<Attr> {
        let mut valid = 0;
        if fh.is_some() {
            valid |= fattr::FH;
        }
        if perm.is_some() {
            valid |= fattr::MODE;
        }
        if size.is_some() {
            valid |= fattr::SIZE;
        }
        let mut w = W::default();
        w.u32(valid)
            .u32(0)
            .u64(fh.unwrap_or(0))
            .u64(size.unwrap_or(0))
            .u64(0) // lock_owner
            .zeros(24) // atime, mtime, ctime
            .zeros(12) // nsecs
            .u32(perm.map(|p| p & 0o7777).unwrap_or(0))
            .u32(0)
            .u32(0) // uid
            .u32(0) // gid
            .u32(0);
        let out = self.request(op::SETATTR, nodeid, &w.0, &[], fuse::ATTR_OUT_LEN)?;
        let mut r = R::new(&out);
        r.skip(16)?;
        Attr::parse(&mut r)
    }

    fn open_node(&self, nodeid: u64, flags: u32, dir: bool) -> Result<u64> {
        let mut w = W::default();
        w.u32(flags).u32(0);
        let opcode = if dir { op::OPENDIR } else { op::OPEN };
        let out = self.request(opcode, nodeid, &w.0, &[], fuse::OPEN_OUT_LEN)?;
        R::new(&out).u64()
    }

    fn release_node(&self, nodeid: u64, fh: u64, flags: u32, dir: bool) -> Result<()> {
        let mut w = W::default();
        w.u64(fh).u32(flags).u32(0).u64(0);
        let opcode = if dir { op::RELEASEDIR } else { op::RELEASE };
        self.request(opcode, nodeid, &w.0, &[], 0).map(|_| ())
    }

    /// READ up to `buf.len()` bytes (at most `max_read`) at `offset`.
    pub fn read_node(&self, nodeid: u64, fh: u64, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let size = buf.len().min(self.session.max_read as usize);
        let mut w = W::default();
        w.u64(fh)
            .u64(offset)
            .u32(size as u32)
            .u32(0)
            .u64(0)
            .u32(0)
            .u32(0);
        let out = self.request(op::READ, nodeid, &w.0, &[], size)?;
        let n = out.len().min(size);
        buf[..n].copy_from_slice(&out[..n]);
        Ok(n)
    }

    /// WRITE up to `max_write` bytes of `data` at `offset`; returns how many were written.
    pub fn write_node(&self, nodeid: u64, fh: u64, offset: u64, data: &[u8]) -> Result<usize> {
        let data = &data[..data.len().min(self.session.max_write as usize)];
        let mut w = W::default();
        w.u64(fh)
            .u64(offset)
            .u32(data.len() as u32)
            .u32(0)
            .u64(0)
            .u32(0)
            .u32(0);
        let out = self.request(op::WRITE, nodeid, &w.0, data, 8)?;
        let n = R::new(&out).u32()? as usize;
        if n > data.len() {
            return Err(Error::Protocol("wrote more than asked"));
        }
        Ok(n)
    }

    /// FORGET `nlookup` lookups of `nodeid` (hiprio queue, no reply).
    pub fn forget(&self, nodeid: u64, nlookup: u64) -> Result<()> {
        let mut w = W::default();
        w.u64(nlookup);
        self.hiprio(op::FORGET, nodeid, &w.0)
    }

    /// BATCH_FORGET one lookup of each node (hiprio queue, no reply).
    pub fn batch_forget(&self, nodes: &[u64]) -> Result<()> {
        match nodes {
            [] => Ok(()),
            [one] => self.forget(*one, 1),
            _ => {
                let mut w = W::default();
                w.u32(nodes.len() as u32).u32(0);
                for &n in nodes {
                    w.u64(n).u64(1);
                }
                self.hiprio(op::BATCH_FORGET, 0, &w.0)
            }
        }
    }

    /// INTERRUPT request `unique` (hiprio queue, no reply).
    pub fn interrupt(&self, unique: u64) -> Result<()> {
        let mut w = W::default();
        w.u64(unique);
        self.hiprio(op::INTERRUPT, 0, &w.0)
    }

    /// DESTROY: ends the FUSE session (only INIT is valid afterwards).
    pub fn destroy(&self) -> Result<()> {
        self.request(op::DESTROY, 0, &[], &[], 0).map(|_| ())
    }

    // ---- paths ----------------------------------------------------------------------------

    /// Walks `comps` from the root. Returns the final node and its attributes, plus every node
    /// looked up on the way (the final one included), each owed one FORGET.
    fn walk(&self, comps: &[&str]) -> Result<(u64, Option<Attr>, Vec<u64>)> {
        let mut owed = Vec::new();
        let mut node = fuse::ROOT_ID;
        let mut attr = None;
        for c in comps {
            match self.lookup(node, c) {
                Ok(e) => {
                    owed.push(e.nodeid);
                    node = e.nodeid;
                    attr = Some(e.attr);
                }
                Err(e) => {
                    let _ = self.batch_forget(&owed);
                    return Err(e);
                }
            }
        }
        Ok((node, attr, owed))
    }

    /// Runs `f` on the node at `path`, then forgets the walk.
    fn with_node<R2>(
        &self,
        path: &str,
        f: impl FnOnce(u64, Option<Attr>) -> Result<R2>,
    ) -> Result<R2> {
        let comps = split(path)?;
        let (node, attr, owed) = self.walk(&comps)?;
        let r = f(node, attr);
        let forgot = self.batch_forget(&owed);
        let v = r?;
        forgot?;
        Ok(v)
    }

    /// Runs `f` on the parent directory of `path` and the last component.
    fn with_parent<R2>(&self, path: &str, f: impl FnOnce(u64, &str) -> Result<R2>) -> Result<R2> {
        let comps = split(path)?;
        let (name, dir) = comps.split_last().ok_or(Error::InvalidPath)?;
        let (node, _, owed) = self.walk(dir)?;
        let r = f(node, name);
        let forgot = self.batch_forget(&owed);
        let v = r?;
        forgot?;
        Ok(v)
    }

    /// Attributes of `path` (LOOKUP walk, then GETATTR).
    pub fn stat(&self, path: &str) -> Result<Metadata> {
        self.with_node(path, |node, _| self.getattr(node, None).map(Metadata::from))
    }

    /// Sets the permission bits of `path` (SETATTR).
    pub fn set_permissions(&self, path: &str, perm: u32) -> Result<Metadata> {
        self.with_node(path, |node, _| {
            self.setattr(node, None, Some(perm), None)
                .map(Metadata::from)
        })
    }

    /// Opens an existing file with open(2) `flags` (see [`fuse::oflags`]).
    pub fn open(&self, path: &str, flags: u32) -> Result<File<'_, H, T>> {
        let comps = split(path)?;
        let (node, attr, mut owed) = self.walk(&comps)?;
        let last = owed.pop();
        let _ = self.batch_forget(&owed);
        let Some(last) = last else {
            return Err(Error::Errno(errno::EISDIR)); // the root
        };
        if attr.map(|a| FileType::from_mode(a.mode)) == Some(FileType::Dir) {
            let _ = self.forget(last, 1);
            return Err(Error::Errno(errno::EISDIR));
        }
        match self.open_node(node, flags & !(oflags::O_CREAT | oflags::O_EXCL), false) {
            Ok(fh) => Ok(File {
                fs: self,
                nodeid: node,
                fh,
                flags,
                pos: 0,
                open: true,
            }),
            Err(e) => {
                let _ = self.forget(last, 1);
                Err(e)
            }
        }
    }

    /// Creates (or truncates) a regular file, opened read-write (CREATE).
    pub fn create(&self, path: &str, perm: u32) -> Result<File<'_, H, T>> {
        self.create_with(
            path,
            perm,
            oflags::O_RDWR | oflags::O_CREAT | oflags::O_TRUNC,
        )
    }

    /// CREATE with explicit open flags (`O_CREAT` is added; add `O_EXCL` to fail if it exists).
    ///
    /// CREATE always goes out with `O_EXCL`; an existing file is opened with OPEN instead (as the
    /// Linux client does: it only sends CREATE for a negative dentry). QEMU 7.2's virtiofsd
    /// aborts on a non-exclusive CREATE of an existing file (it reopens it with `O_CREAT` and no
    /// mode, which glibc's fortified `openat` kills).
    pub fn create_with(&self, path: &str, perm: u32, flags: u32) -> Result<File<'_, H, T>> {
        let excl = flags & oflags::O_EXCL != 0;
        loop {
            match self.create_excl(path, perm, flags) {
                Err(Error::Errno(errno::EEXIST)) if !excl => {}
                r => return r,
            }
            match self.open(path, flags & !(oflags::O_CREAT | oflags::O_EXCL)) {
                Err(Error::Errno(errno::ENOENT)) => continue, // removed meanwhile: create again
                r => return r,
            }
        }
    }

    fn create_excl(&self, path: &str, perm: u32, flags: u32) -> Result<File<'_, H, T>> {
        self.with_parent(path, |parent, name| {
            let mut w = W::default();
            w.u32(flags | oflags::O_CREAT | oflags::O_EXCL)
                .u32(mode::S_IFREG | (perm & 0o7777))
                .u32(0) // umask
                .u32(0)
                .cstr(name);
            let out = self.request(
                op::CREATE,
                parent,
                &w.0,
                &[],
                fuse::ENTRY_OUT_LEN + fuse::OPEN_OUT_LEN,
            )?;
            let mut r = R::new(&out);
            let e = Entry::parse(&mut r)?;
            let fh = r.u64()?;
            Ok(File {
                fs: self,
                nodeid: e.nodeid,
                fh,
                flags,
                pos: 0,
                open: true,
            })
        })
    }

    /// Creates a directory (MKDIR).
    pub fn mkdir(&self, path: &str, perm: u32) -> Result<Metadata> {
        self.with_parent(path, |parent, name| {
            let mut w = W::default();
            w.u32(mode::S_IFDIR | (perm & 0o7777)).u32(0).cstr(name);
            let out = self.request(op::MKDIR, parent, &w.0, &[], fuse::ENTRY_OUT_LEN)?;
            let e = Entry::parse(&mut R::new(&out))?;
            self.forget(e.nodeid, 1)?;
            Ok(Metadata::from(e.attr))
        })
    }

    /// Removes a file (UNLINK).
    pub fn remove_file(&self, path: &str) -> Result<()> {
        self.with_parent(path, |parent, name| self.name_op(op::UNLINK, parent, name))
    }

    /// Removes an empty directory (RMDIR).
    pub fn remove_dir(&self, path: &str) -> Result<()> {
        self.with_parent(path, |parent, name| self.name_op(op::RMDIR, parent, name))
    }

    /// Removes a file or an empty directory (LOOKUP decides UNLINK or RMDIR).
    pub fn remove(&self, path: &str) -> Result<()> {
        if self.stat(path)?.kind == FileType::Dir {
            self.remove_dir(path)
        } else {
            self.remove_file(path)
        }
    }

    /// UNLINK/RMDIR. The server only acts on nodes it knows (virtiofsd answers EIO otherwise,
    /// as the Linux client always has the dentry looked up), so the child is looked up first and
    /// forgotten afterwards.
    fn name_op(&self, opcode: u32, parent: u64, name: &str) -> Result<()> {
        let child = self.lookup(parent, name)?;
        let mut w = W::default();
        w.cstr(name);
        let r = self.request(opcode, parent, &w.0, &[], 0).map(|_| ());
        let f = self.forget(child.nodeid, 1);
        r?;
        f
    }

    /// Renames `from` to `to` (RENAME; replaces a file at `to`).
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        let to_comps = split(to)?;
        let (to_name, to_dir) = to_comps.split_last().ok_or(Error::InvalidPath)?;
        let (newdir, _, owed) = self.walk(to_dir)?;
        let r = self.with_parent(from, |oldparent, old_name| {
            // Both ends looked up first, as in `name_op` (the target may not exist).
            let src = self.lookup(oldparent, old_name)?;
            let dst = self.lookup(newdir, to_name).ok();
            let mut w = W::default();
            w.u64(newdir).cstr(old_name).cstr(to_name);
            let r = self
                .request(op::RENAME, oldparent, &w.0, &[], 0)
                .map(|_| ());
            let mut owed = alloc::vec![src.nodeid];
            owed.extend(dst.map(|d| d.nodeid));
            let f = self.batch_forget(&owed);
            r?;
            f
        });
        let forgot = self.batch_forget(&owed);
        r?;
        forgot
    }

    /// Lists a directory with READDIRPLUS when the server agreed to it, else READDIR.
    pub fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        let plus = self.session.flags & init::DO_READDIRPLUS != 0;
        self.read_dir_with(path, plus)
    }

    /// Lists a directory with READDIR (`plus == false`) or READDIRPLUS.
    pub fn read_dir_with(&self, path: &str, plus: bool) -> Result<Vec<DirEntry>> {
        self.with_node(path, |node, _| {
            let fh = self.open_node(node, oflags::O_RDONLY | oflags::O_DIRECTORY, true)?;
            let r = self.read_dir_fh(node, fh, plus);
            let released = self.release_node(node, fh, 0, true);
            let v = r?;
            released?;
            Ok(v)
        })
    }

    fn read_dir_fh(&self, node: u64, fh: u64, plus: bool) -> Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        let mut offset = 0u64;
        let size = 8192u32;
        loop {
            let mut w = W::default();
            w.u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0);
            let opcode = if plus { op::READDIRPLUS } else { op::READDIR };
            let out = self.request(opcode, node, &w.0, &[], size as usize)?;
            if out.is_empty() {
                return Ok(entries);
            }
            let mut r = R::new(&out);
            let mut owed = Vec::new();
            let mut progressed = false;
            let res: Result<()> = (|| {
                while r.remaining() > 0 {
                    let entry = if plus {
                        let e = Entry::parse(&mut r)?;
                        Some(e)
                    } else {
                        None
                    };
                    let ino = r.u64()?;
                    let off = r.u64()?;
                    let namelen = r.u32()? as usize;
                    let dtype = r.u32()?;
                    let name = r.bytes(namelen)?;
                    let pad = (8 - (fuse::DIRENT_LEN + namelen) % 8) % 8;
                    r.skip(pad.min(r.remaining()))?;
                    if let Some(e) = entry {
                        if e.nodeid != 0 {
                            owed.push(e.nodeid);
                        }
                    }
                    offset = off;
                    progressed = true;
                    if name == b"." || name == b".." {
                        continue;
                    }
                    let name = core::str::from_utf8(name)
                        .map_err(|_| Error::Protocol("non-UTF-8 name"))?;
                    let (kind, size) = match entry {
                        Some(e) => (FileType::from_mode(e.attr.mode), e.attr.size),
                        None => (FileType::from_mode(dtype << 12), 0),
                    };
                    entries.push(DirEntry {
                        name: String::from(name),
                        ino,
                        kind,
                        size,
                    });
                }
                Ok(())
            })();
            let forgot = self.batch_forget(&owed);
            res?;
            forgot?;
            if !progressed {
                return Err(Error::Protocol("empty directory entry batch"));
            }
        }
    }

    /// The whole contents of a file.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        let mut f = self.open(path, oflags::O_RDONLY)?;
        let mut data = Vec::new();
        let mut chunk = alloc::vec![0u8; self.session.max_read as usize];
        let r = loop {
            match f.read(&mut chunk) {
                Ok(0) => break Ok(()),
                Ok(n) => data.extend_from_slice(&chunk[..n]),
                Err(e) => break Err(e),
            }
        };
        let c = f.close();
        r?;
        c?;
        Ok(data)
    }

    /// Creates or replaces a file with `data`.
    pub fn write_file(&self, path: &str, data: &[u8]) -> Result<()> {
        let mut f = self.create(path, 0o644)?;
        let r = f.write_all(data);
        let c = f.close();
        r?;
        c
    }
}

/// Splits a path into components; `""`, `"/"` are the root; `.` and empty components are
/// skipped; `..` and NUL are refused.
fn split(path: &str) -> Result<Vec<&str>> {
    let mut v = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(Error::InvalidPath),
            c => {
                check_name(c)?;
                v.push(c)
            }
        }
    }
    Ok(v)
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\0'])
        || name.len() > 255
    {
        return Err(Error::InvalidPath);
    }
    Ok(())
}

/// An open file. Close it with [`File::close`] to see errors; dropping it closes it too.
pub struct File<'a, H: Hal, T: Transport> {
    fs: &'a VirtioFs<H, T>,
    nodeid: u64,
    fh: u64,
    flags: u32,
    pos: u64,
    open: bool,
}

impl<H: Hal, T: Transport> File<'_, H, T> {
    /// Node id.
    pub fn nodeid(&self) -> u64 {
        self.nodeid
    }

    /// Reads at `offset` (one READ, at most `max_read` bytes); 0 at end of file.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.fs.read_node(self.nodeid, self.fh, offset, buf)
    }

    /// Writes all of `data` at `offset` (as many WRITEs as needed).
    pub fn write_all_at(&self, mut offset: u64, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = self.fs.write_node(self.nodeid, self.fh, offset, data)?;
            if n == 0 {
                return Err(Error::Errno(errno::EIO));
            }
            offset += n as u64;
            data = &data[n..];
        }
        Ok(())
    }

    /// Reads at the file position and advances it.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    /// Writes all of `data` at the file position and advances it.
    pub fn write_all(&mut self, data: &[u8]) -> Result<()> {
        self.write_all_at(self.pos, data)?;
        self.pos += data.len() as u64;
        Ok(())
    }

    /// Moves the file position.
    pub fn seek(&mut self, pos: u64) {
        self.pos = pos;
    }

    /// FSYNC.
    pub fn sync_all(&self) -> Result<()> {
        let mut w = W::default();
        w.u64(self.fh).u32(0).u32(0);
        self.fs
            .request(op::FSYNC, self.nodeid, &w.0, &[], 0)
            .map(|_| ())
    }

    /// GETATTR through the handle.
    pub fn metadata(&self) -> Result<Metadata> {
        self.fs
            .getattr(self.nodeid, Some(self.fh))
            .map(Metadata::from)
    }

    /// Truncates or extends (SETATTR size, through the handle).
    pub fn set_len(&self, size: u64) -> Result<Metadata> {
        self.fs
            .setattr(self.nodeid, Some(self.fh), None, Some(size))
            .map(Metadata::from)
    }

    /// RELEASE the handle and FORGET the node.
    pub fn close(mut self) -> Result<()> {
        self.do_close()
    }

    fn do_close(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        let r = self
            .fs
            .release_node(self.nodeid, self.fh, self.flags & !oflags::O_CREAT, false);
        let f = self.fs.forget(self.nodeid, 1);
        r?;
        f
    }
}

impl<H: Hal, T: Transport> Drop for File<'_, H, T> {
    fn drop(&mut self) {
        let _ = self.do_close();
    }
}
