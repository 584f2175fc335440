//! The chip co-simulation's AXI4 slave model (`cosim/src/axi.rs`) against the Verilated
//! standalone memory front end (`memfront` of `hw/src/rtl/blocks/memctrl.rs`, the chip's AXI
//! ports): lines written through the front end's request port land at the channel and local
//! address `hbm::ChannelMap` predicts, nowhere else, and read back intact; lines put in the
//! image by physical address (what the chip harness does with the ELF) read back through the
//! front end. With and without random ready/valid stalls.
//!
//! Needs `verilator` and `g++` (scripts/setup); the model is cached under `target/cosim-rtl/`.

use strand_cosim::axi::{AxiSlaves, HbmImage, SlaveOptions};
use strand_cosim::default_cache;
use strand_cosim::verilated::{Library, Port};
use strand_hw::memmap::DRAM_BASE;
use strand_hw::rtl::blocks::chip::chip_mem_params;
use strand_hw::rtl::blocks::memctrl::{memfront, MemParams};
use strand_hw::rtl::Design;
use strand_hw::ChipConfig;

struct Front {
    clk: Port,
    rst: Port,
    req_valid: Port,
    req_ready: Port,
    req_write: Port,
    req_addr: Port,
    req_wdata: Port,
    req_id: Port,
    resp_ready: Port,
    resp_valid: Port,
    resp_write: Port,
    resp_rdata: Port,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn run(cfg_name: &str, stall_percent: u32, lines: usize) {
    let cfg = ChipConfig::preset(cfg_name).expect("preset");
    let mp: MemParams = chip_mem_params(&cfg);
    let mut d = Design::for_preset(cfg_name, "build/rtl");
    let top = memfront(&mut d, &mp).expect("memfront");
    let lib = Library::build(&d, &top, &default_cache()).expect("build");
    let line = mp.line as usize;
    let words = line / 4;
    let p = |n: &str| lib.port(n);
    let f = Front {
        clk: p("clk"),
        rst: p("rst"),
        req_valid: p("req_valid"),
        req_ready: p("req_ready"),
        req_write: p("req_write"),
        req_addr: p("req_addr"),
        req_wdata: p("req_wdata"),
        req_id: p("req_id"),
        resp_ready: p("resp_ready"),
        resp_valid: p("resp_valid"),
        resp_write: p("resp_write"),
        resp_rdata: p("resp_rdata"),
    };
    let image = HbmImage::new(mp.channels, mp.interleave);
    let opts = SlaveOptions {
        latency: 3,
        stall_percent,
        seed: 7,
        max_outstanding: 2,
    };
    let mut axi = AxiSlaves::new(&lib, &mp, image, opts).expect("slaves");
    let mut rng = Rng(0x1234_5678_9abc_def1 ^ u64::from(stall_percent));
    // Distinct line addresses: runs of neighbours (across interleave granules) and scattered
    // ones, within the physical address width.
    let span = (1u64 << mp.pa_bits) - DRAM_BASE;
    let mut addrs: Vec<u64> = Vec::new();
    while addrs.len() < lines {
        let a = DRAM_BASE + (rng.next() % span) / line as u64 * line as u64;
        for k in 0..4u64 {
            let b = a + k * line as u64;
            if b < (1u64 << mp.pa_bits) && !addrs.contains(&b) && addrs.len() < lines {
                addrs.push(b);
            }
        }
    }
    let data: Vec<Vec<u8>> = addrs
        .iter()
        .map(|_| (0..line).map(|_| (rng.next() % 255 + 1) as u8).collect())
        .collect();
    let mut m = lib.instance();
    m.set_u64(&f.rst, 1);
    m.set_u64(&f.req_valid, 0);
    m.set_u64(&f.resp_ready, 1);
    let mut cycle = 0u64;
    let mut rdata = vec![0u32; words];
    for _ in 0..3 {
        m.set_u64(&f.clk, 0);
        m.eval();
        m.set_u64(&f.clk, 1);
        m.eval();
    }
    m.set_u64(&f.rst, 0);
    let to_words = |b: &[u8]| -> Vec<u32> {
        b.chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    // Writes, issued back to back (several channels busy at once).
    let (mut next, mut acks) = (0usize, 0usize);
    while acks < addrs.len() {
        let valid = next < addrs.len();
        m.set_u64(&f.req_valid, u64::from(valid));
        if valid {
            m.set_u64(&f.req_write, 1);
            m.set_u64(&f.req_addr, addrs[next]);
            m.set(&f.req_wdata, &to_words(&data[next]));
            m.set_u64(&f.req_id, next as u64 % (1 << mp.id_bits));
        }
        m.set_u64(&f.clk, 0);
        axi.drive(&mut m, cycle);
        m.eval();
        let accepted = valid && m.get_u64(&f.req_ready) == 1;
        if m.get_u64(&f.resp_valid) == 1 {
            assert_eq!(m.get_u64(&f.resp_write), 1, "a write's response");
            acks += 1;
        }
        axi.sample(&m, cycle);
        m.set_u64(&f.clk, 1);
        m.eval();
        assert!(axi.error.is_none(), "{:?}", axi.error);
        next += usize::from(accepted);
        cycle += 1;
        assert!(cycle < 200_000, "writes did not complete");
    }
    m.set_u64(&f.req_valid, 0);
    // Every byte where ChannelMap puts it, and nothing elsewhere.
    let map = &axi.mem.map;
    for (a, bytes) in addrs.iter().zip(&data) {
        let (ch, local) = (map.channel(*a), map.local(*a));
        let store = &axi.mem.channels[ch as usize];
        let got: Vec<u8> = (0..line as u64).map(|i| store.get(local + i)).collect();
        assert_eq!(&got, bytes, "line {a:#x}: channel {ch}, local {local:#x}");
    }
    let total: usize = axi.mem.channels.iter().map(|s| s.nonzero()).sum();
    assert_eq!(total, addrs.len() * line, "bytes written somewhere else");
    assert_eq!(axi.stats.writes, addrs.len() as u64);
    assert_eq!(
        axi.stats.w_beats,
        (addrs.len() * mp.beats() as usize) as u64
    );
    // Lines put in by physical address (the harness's ELF image) next to the written ones.
    let extra: Vec<(u64, Vec<u8>)> = (0..8u64)
        .map(|k| {
            let a = DRAM_BASE + 0x10_0000 + k * 3 * line as u64;
            let b: Vec<u8> = (0..line).map(|_| rng.next() as u8).collect();
            axi.mem.load(a, &b);
            (a, b)
        })
        .collect();
    // Read everything back, one request at a time.
    let all: Vec<(u64, Vec<u8>)> = addrs.iter().copied().zip(data).chain(extra).collect();
    for (a, bytes) in &all {
        m.set_u64(&f.req_valid, 1);
        m.set_u64(&f.req_write, 0);
        m.set_u64(&f.req_addr, *a);
        let mut sent = false;
        let got = loop {
            m.set_u64(&f.clk, 0);
            axi.drive(&mut m, cycle);
            m.eval();
            if !sent && m.get_u64(&f.req_ready) == 1 {
                sent = true;
            }
            let resp = (m.get_u64(&f.resp_valid) == 1).then(|| {
                assert_eq!(m.get_u64(&f.resp_write), 0, "a read's response");
                m.get(&f.resp_rdata, &mut rdata);
                rdata.clone()
            });
            axi.sample(&m, cycle);
            m.set_u64(&f.clk, 1);
            m.eval();
            cycle += 1;
            if sent {
                m.set_u64(&f.req_valid, 0);
            }
            assert!(axi.error.is_none(), "{:?}", axi.error);
            assert!(cycle < 400_000, "read of {a:#x} did not complete");
            if let Some(r) = resp {
                break r;
            }
        };
        assert_eq!(got, to_words(bytes), "read back {a:#x}");
    }
    assert!(axi.idle());
    assert_eq!(axi.stats.reads, all.len() as u64);
    eprintln!(
        "{cfg_name}: {} channels, {} lines written and {} read in {cycle} cycles (stalls {stall_percent}%): {:?}",
        mp.channels,
        addrs.len(),
        all.len(),
        axi.stats
    );
}

#[test]
fn tiny_two_channels() {
    run("tiny", 0, 48);
    run("tiny", 30, 48);
}

#[test]
fn u280_thirty_two_channels() {
    run("u280", 0, 96);
    run("u280", 40, 64);
}
