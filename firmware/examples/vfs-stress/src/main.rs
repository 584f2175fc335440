//! `vfs-stress`: every hart writes, reads back, verifies and deletes its own file through one
//! shared virtio-fs driver, so requests from all harts are in flight together.
//!
//! Bootargs: `tag=` (default `hostshare`), `size=` bytes per file (default 64K), `rounds=`
//! (default 2), `harts=` how many harts take part (default all; the others only wait). Hart h uses `stress/h<h>.bin` with byte i = (i + 7h + (i >> 8)) mod 256.
//! Hart 0 creates `stress/` first and removes it at the end (it must be empty), so a passing
//! run leaves the share as it found it.
//!
//! ```text
//! vfs-stress: hart 3 ok (65536 bytes x 2 rounds)
//! vfs-stress: PASS (4 harts, 65536 bytes, 2 rounds, 123 requests)
//! ```
//!
//! `perf:` lines give, per direction, the bytes moved and the mtime ticks (10 MHz) the
//! participating harts spent inside `write_file` / `read_file`, summed over harts.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use strand_rt::alloc::format;
use strand_rt::alloc::string::String;
use strand_rt::alloc::vec::Vec;
use strand_rt::{println, Ctx};
use virtio_fs::{Error, IdentityHal, MmioTransport, Transport, VirtioFs};

strand_rt::entry!(main);

type Fs = VirtioFs<IdentityHal, MmioTransport>;

static FAILED: AtomicUsize = AtomicUsize::new(0);
static WRITE_TICKS: AtomicU64 = AtomicU64::new(0);
static READ_TICKS: AtomicU64 = AtomicU64::new(0);
static BYTES_EACH_WAY: AtomicU64 = AtomicU64::new(0);

fn open(tag: &str) -> Result<Fs, String> {
    // SAFETY: QEMU virt and Strand put virtio-mmio register blocks at the slot addresses.
    let t = unsafe {
        MmioTransport::find_where(26, |t| {
            (0..36)
                .map(|i| t.config_u8(i))
                .take_while(|&b| b != 0)
                .eq(tag.bytes())
        })
    }
    .map_err(|e| format!("find device: {e}"))?;
    let fs = Fs::new(t).map_err(|e| format!("init: {e}"))?;
    match fs.mkdir("stress", 0o755) {
        Ok(_) | Err(Error::Errno(virtio_fs::errno::EEXIST)) => Ok(fs),
        Err(e) => Err(format!("mkdir stress: {e}")),
    }
}

fn work(fs: &Fs, me: usize, size: usize, rounds: u64) -> Result<(), String> {
    let path = format!("stress/h{me}.bin");
    let data: Vec<u8> = (0..size).map(|i| (i + 7 * me + (i >> 8)) as u8).collect();
    for round in 0..rounds {
        let t = strand_rt::rdtime();
        fs.write_file(&path, &data)
            .map_err(|e| format!("round {round}: write {path}: {e}"))?;
        WRITE_TICKS.fetch_add(strand_rt::rdtime() - t, Ordering::Relaxed);
        BYTES_EACH_WAY.fetch_add(size as u64, Ordering::Relaxed);
        let m = fs
            .stat(&path)
            .map_err(|e| format!("round {round}: stat {path}: {e}"))?;
        if m.size != size as u64 {
            return Err(format!(
                "round {round}: {path} has size {}, expected {size}",
                m.size
            ));
        }
        let t = strand_rt::rdtime();
        let back = fs
            .read_file(&path)
            .map_err(|e| format!("round {round}: read {path}: {e}"))?;
        READ_TICKS.fetch_add(strand_rt::rdtime() - t, Ordering::Relaxed);
        if back != data {
            let at = back.iter().zip(&data).position(|(a, b)| a != b);
            return Err(format!(
                "round {round}: {path} differs (got {} bytes, first difference at {at:?})",
                back.len()
            ));
        }
    }
    fs.remove_file(&path)
        .map_err(|e| format!("remove {path}: {e}"))
}

fn main(ctx: &Ctx) -> i32 {
    let (me, n) = (ctx.hart_id(), ctx.num_harts());
    let args = ctx.args();
    let tag = args.get("tag").unwrap_or("hostshare");
    let size = args.get_u64("size", 64 * 1024) as usize;
    let rounds = args.get_u64("rounds", 2);
    let active = (args.get_u64("harts", n as u64) as usize).clamp(1, n);
    let shared: &'static Result<Fs, String> = strand_rt::share(|| open(tag));
    let fs = match shared {
        Ok(fs) => fs,
        Err(why) => {
            if me == 0 {
                println!("vfs-stress: FAIL {why}");
            }
            return 1;
        }
    };
    let t0 = strand_rt::rdtime();
    let result = if me < active { work(fs, me, size, rounds) } else { Ok(()) };
    let code = match result {
        Ok(()) if me >= active => 0,
        Ok(()) => {
            println!("vfs-stress: hart {me} ok ({size} bytes x {rounds} rounds)");
            0
        }
        Err(why) => {
            println!("vfs-stress: FAIL hart {me}: {why}");
            FAILED.fetch_add(1, Ordering::Relaxed);
            1
        }
    };
    ctx.barrier();
    if me == 0 {
        let ticks = strand_rt::rdtime() - t0;
        let leftover = fs.read_dir("stress").map(|v| v.len());
        let removed = fs.remove_dir("stress");
        println!(
            "perf: vfs-stress {} requests in {} ticks, at most {} in flight on one queue",
            fs.requests_sent(),
            ticks,
            fs.max_in_flight()
        );
        println!(
            "perf: vfs-stress {} bytes each way; write {} hart-ticks, read {} hart-ticks",
            BYTES_EACH_WAY.load(Ordering::Relaxed),
            WRITE_TICKS.load(Ordering::Relaxed),
            READ_TICKS.load(Ordering::Relaxed)
        );
        let failed = FAILED.load(Ordering::Relaxed);
        match (failed, leftover, removed) {
            (0, Ok(0), Ok(())) => println!(
                "vfs-stress: PASS ({active} of {n} harts, {size} bytes, {rounds} rounds, {} requests)",
                fs.requests_sent()
            ),
            (0, l, r) => {
                println!("vfs-stress: FAIL cleanup: entries left {l:?}, rmdir {r:?}");
                return 1;
            }
            (f, _, _) => {
                println!("vfs-stress: FAIL ({f} of {n} harts failed)");
            }
        }
    }
    code
}
