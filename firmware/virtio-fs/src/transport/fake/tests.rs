//! Host tests of the driver against the fake device.

use std::sync::Arc;

use super::FakeTransport;
use crate::fuse::{oflags, op};
use crate::transport::status;
use crate::{errno, Error, FileType, IdentityHal, VirtioFs};

type Fs = VirtioFs<IdentityHal, FakeTransport>;

fn fs() -> Fs {
    VirtioFs::new(FakeTransport::new("hostshare", 1)).expect("init")
}

fn assert_balanced(fs: &Fs) {
    assert_eq!(
        fs.transport().leaked_lookups(),
        vec![],
        "unforgotten lookups"
    );
    assert_eq!(fs.transport().open_handles(), 0, "unreleased handles");
    assert_eq!(fs.transport().hazards(), 0, "requests on the wrong queue");
}

#[test]
fn init_negotiates() {
    let fs = fs();
    assert_eq!(fs.tag(), "hostshare");
    assert_eq!(fs.request_queues(), 1);
    let s = fs.session();
    assert_eq!(s.minor, 31);
    assert_eq!(s.max_write, 32768);
    assert_eq!(s.max_read, 32768);
    assert_eq!(fs.transport().log(), vec![(1, op::INIT)]);
    assert_ne!(fs.transport().device_status() & status::DRIVER_OK, 0);
}

#[test]
fn version_1_is_required() {
    let t = FakeTransport::new("x", 1).with_features(0);
    match VirtioFs::<IdentityHal, _>::new(t) {
        Err(Error::Device(_)) => {}
        other => panic!("expected a device error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn files_roundtrip() {
    let fs = fs();
    fs.mkdir("d", 0o755).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 3) as u8).collect();
    fs.write_file("d/a.bin", &data).unwrap();
    assert_eq!(fs.read_file("/d/a.bin").unwrap(), data);
    let m = fs.stat("d/a.bin").unwrap();
    assert_eq!((m.size, m.kind, m.perm), (100_000, FileType::File, 0o644));
    assert_eq!(fs.stat("d").unwrap().kind, FileType::Dir);
    assert_eq!(fs.stat("").unwrap().kind, FileType::Dir);
    // WRITEs are split at max_write.
    let writes = fs
        .transport()
        .log()
        .iter()
        .filter(|e| e.1 == op::WRITE)
        .count();
    assert_eq!(writes, 4);
    assert_balanced(&fs);
}

#[test]
fn file_handle_operations() {
    let fs = fs();
    let mut f = fs.create("f", 0o600).unwrap();
    f.write_all(b"hello world").unwrap();
    f.sync_all().unwrap();
    assert_eq!(f.metadata().unwrap().size, 11);
    assert_eq!(f.set_len(5).unwrap().size, 5);
    let mut buf = [0u8; 16];
    assert_eq!(f.read_at(0, &mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    f.close().unwrap();
    let g = fs.open("f", oflags::O_RDWR).unwrap();
    g.write_all_at(5, b"!").unwrap();
    drop(g); // closes too
    assert_eq!(fs.read_file("f").unwrap(), b"hello!");
    assert_eq!(fs.set_permissions("f", 0o640).unwrap().perm, 0o640);
    assert_balanced(&fs);
}

#[test]
fn directories_and_renames() {
    let fs = fs();
    fs.mkdir("a", 0o755).unwrap();
    fs.mkdir("a/b", 0o755).unwrap();
    for i in 0..300 {
        fs.write_file(&format!("a/file{i:03}"), &[i as u8]).unwrap();
    }
    for plus in [false, true] {
        let list = fs.read_dir_with("a", plus).unwrap();
        assert_eq!(list.len(), 301, "plus={plus}");
        assert_eq!(list.iter().filter(|e| e.kind == FileType::Dir).count(), 1);
        assert!(list.iter().any(|e| e.name == "file299"));
    }
    // Several READDIR batches were needed.
    let batches = fs
        .transport()
        .log()
        .iter()
        .filter(|e| e.1 == op::READDIRPLUS)
        .count();
    assert!(batches > 2, "{batches}");
    fs.rename("a/file000", "a/b/moved").unwrap();
    assert_eq!(fs.read_file("a/b/moved").unwrap(), [0]);
    assert_eq!(fs.stat("a/file000"), Err(Error::Errno(errno::ENOENT)));
    assert_eq!(fs.remove_dir("a/b"), Err(Error::Errno(errno::ENOTEMPTY)));
    fs.remove("a/b/moved").unwrap();
    fs.remove("a/b").unwrap();
    assert_eq!(fs.read_dir("a").unwrap().len(), 299);
    assert_balanced(&fs);
}

#[test]
fn errors_are_typed() {
    let fs = fs();
    assert_eq!(fs.read_file("nope"), Err(Error::Errno(errno::ENOENT)));
    assert_eq!(fs.stat("../etc/passwd"), Err(Error::InvalidPath));
    assert_eq!(fs.stat("a\0b"), Err(Error::InvalidPath));
    fs.mkdir("d", 0o755).unwrap();
    assert_eq!(
        fs.mkdir("d", 0o755).unwrap_err().errno(),
        Some(errno::EEXIST)
    );
    assert!(matches!(
        fs.open("d", oflags::O_RDONLY),
        Err(Error::Errno(errno::EISDIR))
    ));
    fs.write_file("f", b"x").unwrap();
    assert_eq!(fs.read_dir("f"), Err(Error::Errno(errno::ENOTDIR)));
    assert_eq!(fs.remove_file("d"), Err(Error::Errno(errno::EISDIR)));
    assert_eq!(fs.stat("f/x"), Err(Error::Errno(errno::ENOTDIR)));
    assert!(matches!(
        fs.create_with("f", 0o644, oflags::O_RDWR | oflags::O_EXCL),
        Err(Error::Errno(errno::EEXIST))
    ));
    assert_balanced(&fs);
}

#[test]
fn hiprio_carries_forgets_and_destroy_ends_session() {
    let fs = fs();
    fs.write_file("x", b"1").unwrap();
    fs.interrupt(12345).unwrap();
    let log = fs.transport().log();
    assert!(log.contains(&(0, op::FORGET)));
    assert!(log.contains(&(0, op::INTERRUPT)));
    fs.mkdir("p", 0o755).unwrap();
    fs.write_file("p/q", b"2").unwrap();
    fs.stat("p/q").unwrap();
    assert!(fs.transport().log().contains(&(0, op::BATCH_FORGET)));
    fs.destroy().unwrap();
    assert!(fs.transport().destroyed());
    assert_eq!(fs.stat("x"), Err(Error::Errno(errno::EIO)));
    assert_balanced(&fs);
}

#[test]
fn many_threads_share_one_device() {
    let fs = Arc::new(VirtioFs::<IdentityHal, _>::new(FakeTransport::new("t", 2)).unwrap());
    fs.mkdir("stress", 0o755).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|h| {
            let fs = fs.clone();
            std::thread::spawn(move || {
                let path = format!("stress/h{h}.bin");
                let data: Vec<u8> = (0..20_000u32).map(|i| (i ^ h) as u8).collect();
                for _ in 0..5 {
                    fs.write_file(&path, &data).unwrap();
                    assert_eq!(fs.read_file(&path).unwrap(), data);
                }
                fs.remove_file(&path).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(fs.read_dir("stress").unwrap().is_empty());
    assert!(fs.max_in_flight() >= 1);
    // Both request queues carried traffic.
    let log = fs.transport().log();
    assert!(log.iter().any(|e| e.0 == 1) && log.iter().any(|e| e.0 == 2));
    assert_balanced(&fs);
}

#[test]
fn queue_recycles_descriptors() {
    // Far more requests than descriptors: the free list must be rebuilt correctly.
    let fs = fs();
    for i in 0..2000u32 {
        fs.write_file("r", &i.to_le_bytes()).unwrap();
    }
    assert_eq!(fs.read_file("r").unwrap(), 1999u32.to_le_bytes());
    assert_balanced(&fs);
}
