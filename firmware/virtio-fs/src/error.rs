//! Typed errors: FUSE errors carry the server's errno; nothing in the driver panics on a bad reply.

use core::fmt;

/// Errno values (Linux numbering, as FUSE uses on the wire).
pub mod errno {
    /// Operation not permitted.
    pub const EPERM: i32 = 1;
    /// No such file or directory.
    pub const ENOENT: i32 = 2;
    /// I/O error.
    pub const EIO: i32 = 5;
    /// Bad file handle.
    pub const EBADF: i32 = 9;
    /// File exists.
    pub const EEXIST: i32 = 17;
    /// Not a directory.
    pub const ENOTDIR: i32 = 20;
    /// Is a directory.
    pub const EISDIR: i32 = 21;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
    /// Function not implemented.
    pub const ENOSYS: i32 = 38;
    /// Directory not empty.
    pub const ENOTEMPTY: i32 = 39;
}

/// What can go wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No virtio-fs device (ID 26) was found, or the slot holds another device.
    NoDevice,
    /// The device misbehaved during setup (what, in words).
    Device(&'static str),
    /// The server answered with this errno.
    Errno(i32),
    /// A path the driver refuses (`..`, NUL, or an empty name where one is needed).
    InvalidPath,
    /// A malformed reply (what, in words).
    Protocol(&'static str),
    /// DMA memory could not be allocated.
    NoMemory,
}

impl Error {
    /// The errno, if this is a server error.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Errno(e) => Some(*e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoDevice => write!(f, "no virtio-fs device"),
            Error::Device(w) => write!(f, "device error: {w}"),
            Error::Errno(e) => write!(f, "errno {e}"),
            Error::InvalidPath => write!(f, "invalid path"),
            Error::Protocol(w) => write!(f, "protocol error: {w}"),
            Error::NoMemory => write!(f, "out of DMA memory"),
        }
    }
}

/// The driver's result type.
pub type Result<T> = core::result::Result<T, Error>;
