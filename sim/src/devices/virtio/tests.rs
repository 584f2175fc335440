//! The device against a hostile driver: hand-built requests (`..`, `/`, symlinks out of the
//! share, renames out of it) and a seeded random generator of descriptor tables, avail rings and
//! FUSE headers. Nothing may panic, and nothing outside the share may change.

use super::*;
use std::path::PathBuf;

const BASE: u64 = 0x8000_0000;
const DRAM: usize = 1 << 20;
const QSIZE: u16 = 16;
const BUF: u64 = BASE + 0x40000;

/// A scratch folder `<tmp>/strand-virtio-<name>-<pid>/{share,outside.txt}`.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("strand-virtio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("share")).unwrap();
        std::fs::write(dir.join("outside.txt"), b"outside").unwrap();
        std::fs::write(dir.join("share/keep.txt"), b"keep").unwrap();
        Scratch { dir }
    }
    fn share(&self) -> PathBuf {
        self.dir.join("share")
    }
    /// The folder holds only `share` and an unchanged `outside.txt`.
    fn check_outside(&self) {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["outside.txt", "share"]);
        assert_eq!(
            std::fs::read(self.dir.join("outside.txt")).unwrap(),
            b"outside"
        );
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(self.share(), std::fs::Permissions::from_mode(0o755));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn qaddr(q: u32) -> (u64, u64, u64) {
    let b = BASE + u64::from(q) * 0x4000;
    (b, b + 0x1000, b + 0x2000)
}

struct Rig {
    dev: VirtioFs,
    dram: Vec<u8>,
    avail: [u16; 3],
    unique: u64,
}

impl Rig {
    fn new(share: &Path) -> Rig {
        let mut r = Rig {
            dev: VirtioFs::new(share, "t").unwrap(),
            dram: vec![0; DRAM],
            avail: [0; 3],
            unique: 1,
        };
        r.setup();
        r
    }
    fn w(&mut self, off: u64, v: u32) {
        self.dev.write(off, 4, u64::from(v), &mut self.dram, BASE);
    }
    fn setup(&mut self) {
        self.dram.iter_mut().for_each(|b| *b = 0);
        self.avail = [0; 3];
        self.w(reg::STATUS, 0);
        self.w(reg::STATUS, status::ACKNOWLEDGE | status::DRIVER);
        self.w(reg::DRIVER_FEATURES_SEL, 1);
        self.w(reg::DRIVER_FEATURES, 1);
        self.w(
            reg::STATUS,
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK,
        );
        assert_ne!(
            self.dev.read(reg::STATUS, 4) as u32 & status::FEATURES_OK,
            0
        );
        for q in 0..=REQUEST_QUEUES {
            let (d, a, u) = qaddr(q);
            self.w(reg::QUEUE_SEL, q);
            self.w(reg::QUEUE_NUM, u32::from(QSIZE));
            self.w(reg::QUEUE_DESC_LOW, d as u32);
            self.w(reg::QUEUE_DESC_HIGH, (d >> 32) as u32);
            self.w(reg::QUEUE_DRIVER_LOW, a as u32);
            self.w(reg::QUEUE_DRIVER_HIGH, (a >> 32) as u32);
            self.w(reg::QUEUE_DEVICE_LOW, u as u32);
            self.w(reg::QUEUE_DEVICE_HIGH, (u >> 32) as u32);
            self.w(reg::QUEUE_READY, 1);
        }
        self.w(reg::STATUS, 0xf);
    }
    fn put(&mut self, addr: u64, bytes: &[u8]) {
        let o = (addr - BASE) as usize;
        self.dram[o..o + bytes.len()].copy_from_slice(bytes);
    }
    fn get(&self, addr: u64, len: usize) -> &[u8] {
        let o = (addr - BASE) as usize;
        &self.dram[o..o + len]
    }
    fn desc(&mut self, q: u32, i: u16, addr: u64, len: u32, flags: u16, next: u16) {
        let (d, _, _) = qaddr(q);
        let mut b = [0u8; 16];
        b[0..8].copy_from_slice(&addr.to_le_bytes());
        b[8..12].copy_from_slice(&len.to_le_bytes());
        b[12..14].copy_from_slice(&flags.to_le_bytes());
        b[14..16].copy_from_slice(&next.to_le_bytes());
        self.put(d + 16 * u64::from(i), &b);
    }
    fn publish(&mut self, q: u32, head: u16) {
        let (_, a, _) = qaddr(q);
        let slot = self.avail[q as usize] % QSIZE;
        self.put(a + 4 + 2 * u64::from(slot), &head.to_le_bytes());
        self.avail[q as usize] = self.avail[q as usize].wrapping_add(1);
        let idx = self.avail[q as usize];
        self.put(a + 2, &idx.to_le_bytes());
        self.w(reg::QUEUE_NOTIFY, q);
    }
    /// One request on queue 1: returns (error, reply body).
    fn request(&mut self, opcode: u32, nodeid: u64, args: &[u8]) -> (i32, Vec<u8>) {
        let mut msg = Vec::new();
        let len = 40 + args.len() as u32;
        msg.extend_from_slice(&len.to_le_bytes());
        msg.extend_from_slice(&opcode.to_le_bytes());
        msg.extend_from_slice(&self.unique.to_le_bytes());
        msg.extend_from_slice(&nodeid.to_le_bytes());
        msg.extend_from_slice(&[0u8; 16]); // uid, gid, pid, extlen, padding
        msg.extend_from_slice(args);
        self.unique += 1;
        self.put(BUF, &msg);
        self.desc(1, 0, BUF, msg.len() as u32, 1, 1);
        self.desc(1, 1, BUF + 0x10000, 0x2000, 2, 0);
        self.put(BUF + 0x10000, &[0u8; 16]);
        self.publish(1, 0);
        let olen = u32::from_le_bytes(self.get(BUF + 0x10000, 4).try_into().unwrap()) as usize;
        let err = i32::from_le_bytes(self.get(BUF + 0x10004, 4).try_into().unwrap());
        let body = self.get(BUF + 0x10010, olen.saturating_sub(16)).to_vec();
        (err, body)
    }
    fn init(&mut self) {
        let mut a = Vec::new();
        for v in [7u32, 31, 0, 0] {
            a.extend_from_slice(&v.to_le_bytes());
        }
        a.extend_from_slice(&[0u8; 48]);
        let (e, _) = self.request(26, 0, &a);
        assert_eq!(e, 0, "INIT");
    }
    fn lookup(&mut self, parent: u64, name: &str) -> Result<u64, i32> {
        let mut a = name.as_bytes().to_vec();
        a.push(0);
        match self.request(1, parent, &a) {
            (0, body) => Ok(u64::from_le_bytes(body[0..8].try_into().unwrap())),
            (e, _) => Err(e),
        }
    }
}

fn name(n: &str) -> Vec<u8> {
    let mut v = n.as_bytes().to_vec();
    v.push(0);
    v
}

#[test]
fn hostile_names_and_symlinks_stay_inside() {
    let s = Scratch::new("names");
    std::os::unix::fs::symlink("../outside.txt", s.share().join("link")).unwrap();
    std::os::unix::fs::symlink(s.dir.join("outside.txt"), s.share().join("abs")).unwrap();
    std::os::unix::fs::symlink("..", s.share().join("up")).unwrap();
    let mut r = Rig::new(&s.share());
    r.init();
    for bad in ["..", ".", "a/b", "../outside.txt", "/etc"] {
        assert!(r.lookup(1, bad).is_err(), "lookup {bad:?} must fail");
        // CREATE (flags, mode, umask, open_flags) + name
        let mut a = Vec::new();
        for v in [0o101u32 | 0o1000, 0o644, 0, 0] {
            a.extend_from_slice(&v.to_le_bytes());
        }
        a.extend_from_slice(&name(bad));
        assert_ne!(r.request(35, 1, &a).0, 0, "create {bad:?} must fail");
        // MKDIR (mode, umask) + name
        let mut a = Vec::new();
        a.extend_from_slice(&0o755u32.to_le_bytes());
        a.extend_from_slice(&0u32.to_le_bytes());
        a.extend_from_slice(&name(bad));
        assert_ne!(r.request(9, 1, &a).0, 0, "mkdir {bad:?} must fail");
        // UNLINK name
        assert_ne!(
            r.request(10, 1, &name(bad)).0,
            0,
            "unlink {bad:?} must fail"
        );
        // RENAME keep.txt -> bad (newdir, name, newname)
        let mut a = 1u64.to_le_bytes().to_vec();
        a.extend_from_slice(&name("keep.txt"));
        a.extend_from_slice(&name(bad));
        assert_ne!(r.request(12, 1, &a).0, 0, "rename to {bad:?} must fail");
    }
    // Symlinks out: looking them up gives the link itself; opening for write must not reach the
    // target; a lookup *through* one is not possible (names have no '/').
    for l in ["link", "abs", "up"] {
        let node = r.lookup(1, l).expect("the symlink itself is visible");
        let mut a = Vec::new();
        for v in [0o1001u32, 0] {
            a.extend_from_slice(&v.to_le_bytes()); // O_WRONLY | O_TRUNC
        }
        assert_ne!(r.request(14, node, &a).0, 0, "open through symlink {l}");
        // SETATTR size 0 on the link node
        let mut sa = vec![0u8; 88];
        sa[0..4].copy_from_slice(&(1u32 << 3).to_le_bytes()); // FATTR_SIZE
        let _ = r.request(4, node, &sa);
        // LOOKUP below the link (as if it were a directory)
        assert!(r.lookup(node, "outside.txt").is_err(), "lookup below {l}");
        // Create below the link
        let mut a = Vec::new();
        for v in [0o101u32, 0o644, 0, 0] {
            a.extend_from_slice(&v.to_le_bytes());
        }
        a.extend_from_slice(&name("escaped"));
        assert_ne!(r.request(35, node, &a).0, 0, "create below {l}");
    }
    // Nodeid that was never looked up.
    assert!(r.lookup(0xdead_beef, "x").is_err());
    assert_eq!(r.dev.stats.resets_needed, 0);
    s.check_outside();
    assert_eq!(std::fs::read(s.share().join("keep.txt")).unwrap(), b"keep");
}

/// xorshift64*: deterministic, seedable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_addr(rng: &mut Rng) -> u64 {
    match rng.below(8) {
        0 => 0,
        1 => u64::MAX - rng.below(64),
        2 => BASE + DRAM as u64 - rng.below(64),
        3 => BASE - 1 - rng.below(64),
        4 => qaddr(rng.below(3) as u32).0 + 16 * rng.below(16), // the descriptor table itself
        _ => BUF + rng.below(0x80000),
    }
}

fn random_len(rng: &mut Rng) -> u32 {
    match rng.below(6) {
        0 => 0,
        1 => u32::MAX - rng.below(16) as u32,
        2 => 16 * rng.below(64) as u32,
        3 => 0x10_0000 + rng.below(0x10_0000) as u32,
        _ => 16 + rng.below(0x2000) as u32,
    }
}

/// A plausible or garbage FUSE request at `addr`.
fn random_message(rng: &mut Rng, r: &mut Rig, addr: u64) {
    if !(BUF..BASE + DRAM as u64 - 0x200).contains(&addr) {
        return;
    }
    let names = [
        "..",
        ".",
        "a/b",
        "../outside.txt",
        "outside.txt",
        "keep.txt",
        "f",
        "",
        "/x",
    ];
    let opcodes = [
        1u32, 2, 3, 4, 9, 10, 11, 12, 14, 15, 16, 18, 20, 26, 27, 28, 29, 35, 36, 38, 42, 44, 0,
        999,
    ];
    let op = opcodes[rng.below(opcodes.len() as u64) as usize];
    let mut m = Vec::new();
    let len = match rng.below(4) {
        0 => rng.next() as u32,
        _ => 40 + rng.below(96) as u32,
    };
    m.extend_from_slice(&len.to_le_bytes());
    m.extend_from_slice(&op.to_le_bytes());
    m.extend_from_slice(&rng.next().to_le_bytes());
    let node = if rng.below(2) == 0 { 1 } else { rng.next() };
    m.extend_from_slice(&node.to_le_bytes());
    m.extend_from_slice(&[0u8; 16]);
    for _ in 0..rng.below(3) {
        m.extend_from_slice(&rng.next().to_le_bytes());
    }
    for _ in 0..rng.below(3) {
        m.extend_from_slice(&name(names[rng.below(names.len() as u64) as usize]));
    }
    let cut = if rng.below(5) == 0 {
        rng.below(m.len() as u64) as usize
    } else {
        m.len()
    };
    r.put(addr, &m[..cut]);
}

#[test]
fn random_descriptors_never_panic_or_escape() {
    let s = Scratch::new("fuzz");
    let mut r = Rig::new(&s.share());
    r.init();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..4000 {
        if r.dev.read(reg::STATUS, 4) as u32 & status::NEEDS_RESET != 0 {
            r.setup();
            r.init();
        }
        let q = rng.below(3) as u32;
        let n = 1 + rng.below(4) as u16;
        for _ in 0..n {
            let i = rng.below(u64::from(QSIZE)) as u16;
            let addr = random_addr(&mut rng);
            let len = random_len(&mut rng);
            let flags = rng.below(8) as u16; // NEXT | WRITE | INDIRECT, any mix
            let next = if rng.below(4) == 0 {
                rng.next() as u16
            } else {
                rng.below(u64::from(QSIZE)) as u16
            };
            r.desc(q, i, addr, len, flags, next);
            random_message(&mut rng, &mut r, addr);
        }
        if rng.below(16) == 0 {
            // A wild avail index.
            let (_, a, _) = qaddr(q);
            let idx = rng.next() as u16;
            r.put(a + 2, &idx.to_le_bytes());
            r.avail[q as usize] = idx;
            r.w(reg::QUEUE_NOTIFY, q);
        } else {
            let head = rng.below(u64::from(QSIZE) + 2) as u16;
            r.publish(q, head);
        }
        if round % 500 == 0 {
            s.check_outside();
        }
    }
    s.check_outside();
    assert!(r.dev.stats.chains > 300, "{:?}", r.dev.stats);
    assert!(r.dev.stats.bad_chains > 0, "{:?}", r.dev.stats);
}

#[test]
fn register_file_and_reset() {
    let s = Scratch::new("regs");
    let mut r = Rig::new(&s.share());
    assert_eq!(r.dev.read(reg::MAGIC, 4), u64::from(MAGIC));
    assert_eq!(r.dev.read(reg::VERSION, 4), 2);
    assert_eq!(r.dev.read(reg::DEVICE_ID, 4), 26);
    assert_eq!(r.dev.read(reg::CONFIG, 1), u64::from(b't'));
    assert_eq!(r.dev.read(reg::CONFIG + 36, 4), u64::from(REQUEST_QUEUES));
    r.w(reg::DEVICE_FEATURES_SEL, 1);
    assert_eq!(r.dev.read(reg::DEVICE_FEATURES, 4), 1);
    // A ring outside DRAM: DEVICE_NEEDS_RESET, then reset clears it.
    r.w(reg::STATUS, 0);
    r.w(reg::STATUS, 3);
    r.w(reg::DRIVER_FEATURES_SEL, 0);
    r.w(reg::DRIVER_FEATURES, 1 << 28); // not offered: FEATURES_OK refused
    r.w(reg::STATUS, 0xb);
    assert_eq!(r.dev.read(reg::STATUS, 4) as u32 & status::FEATURES_OK, 0);
    r.setup();
    r.w(reg::STATUS, 0);
    r.w(reg::STATUS, 3);
    r.w(reg::DRIVER_FEATURES_SEL, 1);
    r.w(reg::DRIVER_FEATURES, 1);
    r.w(reg::STATUS, 0xb);
    r.w(reg::QUEUE_SEL, 1);
    r.w(reg::QUEUE_NUM, 16);
    r.w(reg::QUEUE_DESC_LOW, 0x1000);
    r.w(reg::QUEUE_READY, 1);
    r.w(reg::STATUS, 0xf);
    r.w(reg::QUEUE_NOTIFY, 1);
    assert_ne!(r.dev.read(reg::STATUS, 4) as u32 & status::NEEDS_RESET, 0);
    r.w(reg::STATUS, 0);
    assert_eq!(r.dev.read(reg::STATUS, 4), 0);
    s.check_outside();
}
