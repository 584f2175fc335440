//! The FUSE wire ABI (protocol 7.31) as the driver uses it: opcodes, flags, sizes, and the
//! attribute/entry layouts.

use crate::wire::R;
use crate::Result;

/// Protocol major version.
pub const KERNEL_VERSION: u32 = 7;
/// Protocol minor version the driver speaks (7.31: MAX_PAGES, `fuse_attr.flags`).
pub const KERNEL_MINOR_VERSION: u32 = 31;
/// The root directory's node id.
pub const ROOT_ID: u64 = 1;

/// FUSE opcodes.
#[allow(missing_docs)]
pub mod op {
    pub const LOOKUP: u32 = 1;
    pub const FORGET: u32 = 2;
    pub const GETATTR: u32 = 3;
    pub const SETATTR: u32 = 4;
    pub const MKDIR: u32 = 9;
    pub const UNLINK: u32 = 10;
    pub const RMDIR: u32 = 11;
    pub const RENAME: u32 = 12;
    pub const OPEN: u32 = 14;
    pub const READ: u32 = 15;
    pub const WRITE: u32 = 16;
    pub const RELEASE: u32 = 18;
    pub const FSYNC: u32 = 20;
    pub const INIT: u32 = 26;
    pub const OPENDIR: u32 = 27;
    pub const READDIR: u32 = 28;
    pub const RELEASEDIR: u32 = 29;
    pub const CREATE: u32 = 35;
    pub const INTERRUPT: u32 = 36;
    pub const DESTROY: u32 = 38;
    pub const BATCH_FORGET: u32 = 42;
    pub const READDIRPLUS: u32 = 44;
}

/// `fuse_init_in/out.flags` bits.
#[allow(missing_docs)]
pub mod init {
    pub const ASYNC_READ: u32 = 1 << 0;
    pub const BIG_WRITES: u32 = 1 << 5;
    pub const DO_READDIRPLUS: u32 = 1 << 13;
    pub const MAX_PAGES: u32 = 1 << 22;
}

/// `fuse_setattr_in.valid` bits.
#[allow(missing_docs)]
pub mod fattr {
    pub const MODE: u32 = 1 << 0;
    pub const SIZE: u32 = 1 << 3;
    pub const FH: u32 = 1 << 6;
}

/// Open flags (Linux values, as FUSE carries them).
#[allow(missing_docs)]
pub mod oflags {
    pub const O_RDONLY: u32 = 0;
    pub const O_WRONLY: u32 = 1;
    pub const O_RDWR: u32 = 2;
    pub const O_CREAT: u32 = 0o100;
    pub const O_EXCL: u32 = 0o200;
    pub const O_TRUNC: u32 = 0o1000;
    pub const O_APPEND: u32 = 0o2000;
    pub const O_DIRECTORY: u32 = 0o200000;
}

/// File type bits of `mode`.
#[allow(missing_docs)]
pub mod mode {
    pub const S_IFMT: u32 = 0o170000;
    pub const S_IFDIR: u32 = 0o040000;
    pub const S_IFREG: u32 = 0o100000;
    pub const S_IFLNK: u32 = 0o120000;
}

/// `sizeof(struct fuse_in_header)`.
pub const IN_HEADER_LEN: usize = 40;
/// `sizeof(struct fuse_out_header)`.
pub const OUT_HEADER_LEN: usize = 16;
/// `sizeof(struct fuse_attr)` (7.9+).
pub const ATTR_LEN: usize = 88;
/// `sizeof(struct fuse_entry_out)`.
pub const ENTRY_OUT_LEN: usize = 40 + ATTR_LEN;
/// `sizeof(struct fuse_attr_out)`.
pub const ATTR_OUT_LEN: usize = 16 + ATTR_LEN;
/// `sizeof(struct fuse_open_out)`.
pub const OPEN_OUT_LEN: usize = 16;
/// `sizeof(struct fuse_init_out)` (7.23+).
pub const INIT_OUT_LEN: usize = 64;
/// `sizeof(struct fuse_read_in)` / `fuse_write_in`.
pub const RW_IN_LEN: usize = 40;
/// `sizeof(struct fuse_dirent)` without the name.
pub const DIRENT_LEN: usize = 24;

/// `struct fuse_attr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attr {
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Blocks allocated.
    pub blocks: u64,
    /// Modification time (seconds).
    pub mtime: u64,
    /// Type and permission bits.
    pub mode: u32,
    /// Link count.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

impl Attr {
    pub(crate) fn parse(r: &mut R<'_>) -> Result<Attr> {
        let ino = r.u64()?;
        let size = r.u64()?;
        let blocks = r.u64()?;
        let _atime = r.u64()?;
        let mtime = r.u64()?;
        let _ctime = r.u64()?;
        r.skip(12)?; // atimensec, mtimensec, ctimensec
        let mode = r.u32()?;
        let nlink = r.u32()?;
        let uid = r.u32()?;
        let gid = r.u32()?;
        r.skip(12)?; // rdev, blksize, flags
        Ok(Attr {
            ino,
            size,
            blocks,
            mtime,
            mode,
            nlink,
            uid,
            gid,
        })
    }
}

/// `struct fuse_entry_out`: a looked-up node (its lookup count went up by one).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// Node id (0: negative entry, no lookup counted).
    pub nodeid: u64,
    /// Attributes.
    pub attr: Attr,
}

impl Entry {
    pub(crate) fn parse(r: &mut R<'_>) -> Result<Entry> {
        let nodeid = r.u64()?;
        r.skip(32)?; // generation, entry_valid, attr_valid, entry/attr_valid_nsec
        let attr = Attr::parse(r)?;
        Ok(Entry { nodeid, attr })
    }
}
