//! Tests that hold the HBM model to its formulas, its configured bandwidth and its invariants.

use super::banked::{local_address, FRFCFS_CAP};
use super::report::{self, addresses, run_access, run_ticked, steady_gbps, Stream};
use super::*;
use crate::noc::traffic::SplitMix64;
use strand_hw::params::DRAM_BASE;

/// A validated configuration: `preset` with clock, latency and bandwidth replaced.
fn cfg(preset: &str, mhz: f64, ns: f64, gbps: f64) -> ChipConfig {
    let mut c = ChipConfig::preset(preset).unwrap();
    c.clock_mhz = mhz;
    c.memory.hbm_latency_ns = ns;
    c.memory.hbm_channel_gbps = gbps;
    c.validate().unwrap();
    c
}

fn banked(mut c: ChipConfig) -> ChipConfig {
    c.memory.model = HbmModel::Banked;
    c
}

/// Address of byte `local` of channel 0.
fn ch0(h: &Hbm, local: u64) -> u64 {
    h.map().address(0, local)
}

/// Address of `row` in `bank` of channel 0 (plus `offset` bytes).
fn bank_addr(h: &Hbm, bank: u32, row: u64, offset: u64) -> u64 {
    let b = &h.params().banked;
    ch0(h, local_address(b.banks, b.row_bytes, bank, row) + offset)
}

#[test]
fn idle_latency_equals_the_analytical_value() {
    // (MHz, ns, GB/s, bytes, expected = ceil(ns * MHz / 1000) + ceil(bytes / (GB/s * 1000 / MHz)))
    let cases = [
        (250.0, 120.0, 14.375, 64, 30 + 2), // 57.5 B/cycle: 64 B = 1.11 cycles
        (1000.0, 100.0, 25.6, 64, 100 + 3), // 25.6 B/cycle: 2.5 cycles
        (333.0, 107.0, 14.375, 64, 36 + 2), // 35.63 -> 36; 43.17 B/cycle: 1.48 cycles
        (500.0, 100.0, 14.375, 128, 50 + 5), // 28.75 B/cycle: 4.45 cycles
        (200.0, 0.0, 16.0, 256, 4),         // 80 B/cycle: 3.2 cycles
        (100.0, 50.5, 1.0, 8, 6 + 1),       // 5.05 -> 6; 10 B/cycle
        (1500.0, 95.0, 32.0, 64, 143 + 3),  // 142.5 -> 143; 21.33 B/cycle: exactly 3 cycles
    ];
    for (mhz, ns, gbps, bytes, want) in cases {
        let c = cfg("tiny", mhz, ns, gbps);
        let p = HbmParams::from_config(&c).unwrap();
        assert_eq!(
            p.idle_latency(bytes, None),
            want,
            "{mhz} MHz {ns} ns {gbps} GB/s"
        );
        let mut h = Hbm::new(&c).unwrap();
        for (i, now) in [0u64, 7, 12_345].into_iter().enumerate() {
            let a = DRAM_BASE + i as u64 * 4096;
            assert_eq!(
                h.access(a, bytes, i == 1, now),
                now + want,
                "{mhz} MHz at {now}"
            );
        }
        // The cycle-level form gives the same cycle.
        let mut h = Hbm::new(&c).unwrap();
        let id = h.enqueue(DRAM_BASE, bytes, false, 5).unwrap();
        let mut got = None;
        for now in 5..5 + want + 2 {
            h.tick(now);
            if let Some(d) = h.drain_completions().next() {
                got = Some((d.id, d.cycle, now));
                break;
            }
        }
        assert_eq!(got, Some((id, 5 + want, 5 + want)), "{mhz} MHz ticked");
    }
}

#[test]
fn banked_row_hit_is_faster_than_empty_than_conflict() {
    // u280 at 250 MHz: tRCD = tCL = tRP = ceil(3.5) = 4, tRAS = ceil(8.5) = 9, L = 30, tail 22.
    // 1 GHz, 100 ns: tRCD = tCL = tRP = 14, tail 72, 64 B at 25.6 B/cycle = 3 cycles.
    for (c, empty, hit, conflict) in [
        (banked(ChipConfig::preset("u280").unwrap()), 32, 28, 36),
        (banked(cfg("tiny", 1000.0, 100.0, 25.6)), 103, 89, 117),
    ] {
        let mut h = Hbm::new(&c).unwrap();
        let p = h.params().clone();
        assert_eq!(p.idle_latency(64, Some(RowOutcome::Empty)), empty);
        assert_eq!(p.idle_latency(64, Some(RowOutcome::Hit)), hit);
        assert_eq!(p.idle_latency(64, Some(RowOutcome::Conflict)), conflict);
        // The idle latency of a closed bank is the configured latency, as in the fixed model.
        assert_eq!(
            empty,
            p.latency_cycles + p.transfer_cycles(64).ceil() as u64
        );
        assert_eq!(
            h.access(bank_addr(&h, 3, 7, 0), 64, false, 1000),
            1000 + empty
        );
        assert_eq!(
            h.access(bank_addr(&h, 3, 7, 64), 64, false, 2000),
            2000 + hit
        );
        assert_eq!(
            h.access(bank_addr(&h, 3, 8, 0), 64, true, 3000),
            3000 + conflict
        );
        let s = h.channel_stats(0);
        assert_eq!((s.row_empty, s.row_hits, s.row_conflicts), (1, 1, 1));
        assert!(hit < empty && empty < conflict);
    }
}

#[test]
fn a_conflict_waits_for_tras() {
    let c = banked(ChipConfig::preset("u280").unwrap());
    let mut h = Hbm::new(&c).unwrap();
    let p = h.params().banked;
    // ACT at 100; the conflict at 101 may precharge only at 100 + tRAS.
    h.access(bank_addr(&h, 0, 0, 0), 64, false, 100);
    let done = h.access(bank_addr(&h, 0, 1, 0), 64, false, 101);
    let pre = 100 + p.ras;
    let data = pre + p.rp + p.rcd + p.cl;
    assert_eq!(done, data + 2 + h.params().tail_cycles());
}

#[test]
fn banked_activates_respect_trrd_and_tfaw() {
    // 1 GHz: tRRD = 4, tFAW = 30, tRCD = tCL = 14, tail 72, 64 B = 2.5 cycles on the bus.
    let c = banked(cfg("tiny", 1000.0, 100.0, 25.6));
    let mut h = Hbm::new(&c).unwrap();
    let p = h.params().banked;
    assert_eq!((p.rrd, p.faw), (4, 30));
    // Five closed banks at once: ACTs at 1000, 1004, 1008, 1012, then tFAW: 1030.
    let done: Vec<u64> = (0..5)
        .map(|b| h.access(bank_addr(&h, b, 0, 0), 64, false, 1000))
        .collect();
    // data = ACT + 28; bus end = data + 2.5 (no overlap); completion = ceil(end) + 72.
    assert_eq!(done, vec![1103, 1107, 1111, 1115, 1133]);
    let u = HbmParams::from_config(&banked(ChipConfig::preset("u280").unwrap())).unwrap();
    // 4 ACTs per 8 cycles x 64 B = 32 B/cycle = 8 GB/s per channel at 250 MHz.
    assert_eq!(u.activate_bound_gbps(64), 256.0);
    assert_eq!(
        HbmParams::from_config(&ChipConfig::preset("u280").unwrap())
            .unwrap()
            .activate_bound_gbps(64),
        460.0
    );
}

/// Sustained bandwidth of one channel and of all channels, both interfaces, both models.
#[test]
fn saturating_streams_reach_the_configured_bandwidth() {
    let configs = [
        ChipConfig::preset("u280").unwrap(),
        ChipConfig::preset("sketch2k").unwrap(),
        cfg("tiny", 333.0, 107.0, 14.375),
        cfg("tiny", 1500.0, 95.0, 32.0),
    ];
    for c in configs.iter().flat_map(|c| [c.clone(), banked(c.clone())]) {
        let h = Hbm::new(&c).unwrap();
        let p = h.params().clone();
        let name = format!("{} {:?} {} MHz", c.name, p.model, c.clock_mhz);
        let one: Vec<u64> = (0..4000u64).map(|i| ch0(&h, i * 64)).collect();
        for (how, done) in [
            ("access", run_access(&mut h.clone(), &one, 64)),
            ("ticked", run_ticked(&mut h.clone(), &one, 64)),
        ] {
            let got = steady_gbps(&done, 64, c.clock_mhz);
            let err = (got / p.channel_gbps - 1.0).abs();
            assert!(err < 0.01, "{name} {how}: {got} GB/s vs {}", p.channel_gbps);
        }
        let n = 400 * p.channels as usize;
        let all = addresses(Stream::Sequential, n, 64, c.memory.dram_size);
        let mut hh = h.clone();
        let done = run_access(&mut hh, &all, 64);
        let got = steady_gbps(&done, 64, c.clock_mhz);
        assert!(
            (got / p.total_gbps() - 1.0).abs() < 0.01,
            "{name} all channels: {got} vs {}",
            p.total_gbps()
        );
        // Over the whole run (latency and ramp included) every channel is busy > 80%.
        let r = hh.report(*done.iter().max().unwrap());
        assert!((r.measured_gbps / r.configured_gbps - r.utilization).abs() < 1e-12);
        for ch in &r.channel {
            assert!(
                ch.utilization > 0.8 && ch.utilization <= 1.0,
                "{name}: {ch:?}"
            );
        }
    }
}

#[test]
fn exact_spacing_without_drift() {
    // 57.5 B/cycle: 1000 back-to-back 64 B transfers take exactly 1000 * 64 / 57.5 cycles.
    let c = ChipConfig::preset("u280").unwrap();
    let mut h = Hbm::new(&c).unwrap();
    let one: Vec<u64> = (0..1000u64).map(|i| ch0(&h, i * 64)).collect();
    let done = run_access(&mut h, &one, 64);
    let xfer_total = (1000.0f64 * 64.0 / 57.5).ceil() as u64;
    assert_eq!(*done.last().unwrap(), xfer_total + 30);
    assert!(done.windows(2).all(|w| w[1] - w[0] <= 2 && w[1] >= w[0]));
}

/// Counts per channel of `addrs`.
fn spread(map: &ChannelMap, addrs: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut n = vec![0u64; map.channels() as usize];
    for a in addrs {
        n[map.channel(a) as usize] += 1;
    }
    n
}

/// max / min of the per-channel counts.
fn imbalance(s: &[u64]) -> f64 {
    *s.iter().max().unwrap() as f64 / (*s.iter().min().unwrap()).max(1) as f64
}

#[test]
fn the_hash_spreads_sequential_strided_and_random_addresses() {
    for channels in [1u32, 2, 8, 32, 128] {
        for interleave in [64u32, 256, 4096] {
            let map = ChannelMap::new(channels, interleave);
            // Sequential lines covering 16 granules per channel: exactly even.
            let n = u64::from(channels * interleave) * 16 / 64;
            let seq = spread(&map, (0..n).map(|i| DRAM_BASE + i * 64));
            assert!(
                seq.iter().all(|&k| k == n / u64::from(channels)),
                "{channels} seq"
            );
            // Every power-of-two stride from one line to 16 MiB, from an aligned start: exactly
            // even (see hash.rs); from DRAM_BASE (unaligned for the large strides): within 15%.
            for log in 6..=24 {
                let stride = 1u64 << log;
                // At least 4096 requests, and enough to cover every channel's granules.
                let n = 4096u64.max(2 * u64::from(channels * interleave) / stride);
                let base = DRAM_BASE.next_multiple_of(n * stride);
                let s = spread(&map, (0..n).map(|i| base + i * stride));
                assert_eq!(
                    imbalance(&s),
                    1.0,
                    "{channels} ch, {interleave} B, stride {stride}"
                );
                let s = spread(&map, (0..n).map(|i| DRAM_BASE + i * stride));
                assert!(
                    imbalance(&s) <= 1.15,
                    "{channels} ch, stride {stride}: {s:?}"
                );
            }
            // Odd and other non-power-of-two strides (in granules): within 2x up to 32 channels
            // (stride 3 granules on 2 channels is the Thue-Morse worst case, 1.43).
            if channels <= 32 {
                for g in [3u64, 5, 7, 9, 11, 24, 33, 96, 100] {
                    let stride = g * u64::from(interleave);
                    let s = spread(&map, (0..8192u64).map(|i| DRAM_BASE + i * stride));
                    assert!(imbalance(&s) <= 2.0, "{channels} ch, {g} granules: {s:?}");
                }
            }
            if channels == 128 {
                for g in [3u64, 127, 129] {
                    let stride = g * u64::from(interleave);
                    let s = spread(&map, (0..8192u64).map(|i| DRAM_BASE + i * stride));
                    assert!(imbalance(&s) <= 4.0, "{channels} ch, {g} granules: {s:?}");
                }
            }
            // Random lines: chi-square below dof + 6 sigma.
            let mut rng = SplitMix64::new(u64::from(channels) * 7 + u64::from(interleave));
            let n = 1000 * u64::from(channels);
            let s = spread(&map, (0..n).map(|_| rng.next_u64() & !63));
            let e = n as f64 / f64::from(channels);
            let chi2: f64 = s.iter().map(|&k| (k as f64 - e).powi(2) / e).sum();
            let dof = f64::from(channels - 1);
            assert!(
                chi2 <= dof + 6.0 * (2.0 * dof).sqrt(),
                "{channels}: chi2 {chi2}"
            );
        }
    }
}

#[test]
fn the_hash_is_a_bijection_with_dense_channel_addresses() {
    let mut rng = SplitMix64::new(42);
    for channels in [1u32, 2, 8, 32, 128, 1024] {
        let map = ChannelMap::new(channels, 256);
        for _ in 0..10_000 {
            let a = rng.next_u64() >> 16;
            let (c, l) = (map.channel(a), map.local(a));
            assert!(c < channels);
            assert_eq!(map.address(c, l), a);
        }
        // Each channel's share of a sequential region is one dense run of local addresses.
        let n = u64::from(channels) * 64;
        let mut per = vec![Vec::new(); channels as usize];
        for g in 0..n {
            let a = DRAM_BASE + g * 256;
            per[map.channel(a) as usize].push(map.local(a));
        }
        for v in per.iter_mut() {
            v.sort_unstable();
            assert!(v.windows(2).all(|w| w[1] == w[0] + 256), "{channels}");
        }
    }
}

/// `g mod p` over GF(2), one bit at a time: the documented function, independently.
fn polymod(mut g: u64, p: u64) -> u64 {
    let k = 63 - p.leading_zeros();
    for j in (k..64).rev() {
        if g >> j & 1 == 1 {
            g ^= p << (j - k);
        }
    }
    g
}

#[test]
fn the_hash_is_the_documented_polynomial_remainder() {
    let mut rng = SplitMix64::new(7);
    for bits in 1..=10u32 {
        let p = u64::from(hash::POLYNOMIALS[bits as usize]);
        assert_eq!(63 - p.leading_zeros(), bits, "degree of P_{bits}");
        let map = ChannelMap::new(1 << bits, 256);
        let masks: Vec<u64> = (0..bits).map(|b| map.xor_mask(b)).collect();
        for _ in 0..2000 {
            let a = rng.next_u64() >> 8;
            let g = a >> 8;
            let c = u64::from(map.channel(a));
            assert_eq!(c, polymod(g, p));
            let from_masks = (0..bits).fold(0, |acc, b| {
                acc | u64::from((g & masks[b as usize]).count_ones() & 1) << b
            });
            assert_eq!(c, from_masks);
        }
        // Low granule bits pass straight through.
        for b in 0..bits {
            assert_eq!(masks[b as usize] & ((1 << bits) - 1), 1 << b);
        }
    }
    // Every polynomial is primitive: x has order 2^k - 1 modulo it.
    for (k, &p) in hash::POLYNOMIALS.iter().enumerate().skip(1) {
        let (mut r, mut order) = (1u64, 0u64);
        loop {
            r = polymod(r << 1, u64::from(p));
            order += 1;
            if r == 1 {
                break;
            }
        }
        assert_eq!(order, (1 << k) - 1, "P_{k} = {p:#x}");
    }
    // 32 channels, P = x^5 + x^2 + 1: x^5 = x^2 + 1, so granule bit 5 feeds channel bits 0 and 2.
    let map = ChannelMap::new(32, 256);
    assert_eq!(map.channel(1 << (8 + 5)), 0b101);
    assert_eq!(map.channel(0x300), 3);
}

#[test]
fn controllers_sit_evenly_on_edge_tiles() {
    assert_eq!(edge_tiles(4, 2), vec![0, 1, 2, 3, 7, 6, 5, 4]);
    assert_eq!(edge_tiles(3, 3), vec![0, 1, 2, 5, 8, 7, 6, 3]);
    assert_eq!(edge_tiles(2, 1), vec![0, 1]);
    assert_eq!(edge_tiles(1, 3), vec![0, 1, 2]);
    assert_eq!(edge_tiles(1, 1), vec![0]);
    let u = ChipConfig::preset("u280").unwrap();
    let t: Vec<u32> = (0..32).map(|c| controller_tile(c, &u)).collect();
    assert_eq!(&t[..8], &[0, 0, 0, 0, 1, 1, 1, 1]);
    assert_eq!(&t[28..], &[4, 4, 4, 4]);
    for preset in ["single", "tiny", "u280", "sketch2k"] {
        let c = ChipConfig::preset(preset).unwrap();
        let ring = edge_tiles(c.mesh.x, c.mesh.y);
        let tiles = controller_tiles(c.memory.hbm_channels, c.mesh.x, c.mesh.y);
        assert_eq!(tiles, Hbm::new(&c).unwrap().tiles());
        let per: Vec<usize> = ring
            .iter()
            .map(|r| tiles.iter().filter(|&&t| t == *r).count())
            .collect();
        let (lo, hi) = (per.iter().min().unwrap(), per.iter().max().unwrap());
        assert!(hi - lo <= 1, "{preset}: {per:?}");
        for &t in &tiles {
            let (x, y) = (t % c.mesh.x, t / c.mesh.x);
            assert!(x == 0 || y == 0 || x == c.mesh.x - 1 || y == c.mesh.y - 1);
        }
    }
    // Fewer channels than edge tiles: spaced around the ring.
    let mut c = ChipConfig::preset("sketch2k").unwrap();
    c.memory.hbm_channels = 4;
    let t: Vec<u32> = (0..4).map(|ch| controller_tile(ch, &c)).collect();
    let ring = edge_tiles(16, 8);
    assert_eq!(t, vec![ring[0], ring[11], ring[22], ring[33]]);
}

#[test]
#[should_panic(expected = "channel 32 out of range")]
fn controller_tile_checks_the_channel() {
    controller_tile(32, &ChipConfig::preset("u280").unwrap());
}

#[test]
fn fr_fcfs_serves_an_open_row_first_and_access_does_not_reorder() {
    let c = banked(ChipConfig::preset("u280").unwrap());
    let mut h = Hbm::new(&c).unwrap();
    let p = h.params().clone();
    let (open, other) = (bank_addr(&h, 0, 0, 0), bank_addr(&h, 0, 1, 0));
    // Open row 0 of bank 0, then at 1000 offer a conflict and, behind it, a hit.
    let mut fcfs = h.clone();
    h.enqueue(open, 64, false, 0).unwrap();
    let mut done = Vec::new();
    for now in 0..1000 {
        h.tick(now);
        done.extend(h.drain_completions());
    }
    let conflict = h.enqueue(other, 64, false, 1000).unwrap();
    let hit = h.enqueue(open + 64, 64, false, 1000).unwrap();
    for now in 1000..1200 {
        h.tick(now);
        done.extend(h.drain_completions());
    }
    let cycle = |id| done.iter().find(|d| d.id == id).unwrap().cycle;
    assert_eq!(cycle(hit), 1000 + p.idle_latency(64, Some(RowOutcome::Hit)));
    assert!(cycle(hit) < cycle(conflict));
    assert_eq!(h.channel_stats(0).row_hits, 1);
    // access() decides on arrival: the conflict goes first and the "hit" then conflicts too.
    fcfs.access(open, 64, false, 0);
    let a = fcfs.access(other, 64, false, 1000);
    let b = fcfs.access(open + 64, 64, false, 1000);
    assert_eq!(a, cycle(conflict));
    assert!(b > a);
    assert_eq!(fcfs.channel_stats(0).row_hits, 0);
}

#[test]
fn fr_fcfs_bypasses_the_oldest_at_most_cap_times() {
    let c = banked(ChipConfig::preset("u280").unwrap());
    let mut h = Hbm::new(&c).unwrap();
    let open = bank_addr(&h, 0, 0, 0);
    h.access(open, 64, false, 0);
    let old = h.enqueue(bank_addr(&h, 0, 1, 0), 64, false, 1000).unwrap();
    for i in 0..40 {
        h.enqueue(bank_addr(&h, 0, 0, (i % 16) * 64), 64, false, 1000)
            .unwrap();
    }
    let mut order = Vec::new();
    let mut now = 1000;
    while !h.is_idle() {
        now = h.next_event().unwrap().max(now);
        h.tick(now);
        order.extend(h.drain_completions().map(|d| d.id));
    }
    let pos = order.iter().position(|&id| id == old).unwrap();
    assert_eq!(pos, FRFCFS_CAP as usize, "{order:?}");
}

#[test]
fn queues_are_bounded() {
    let mut c = ChipConfig::preset("u280").unwrap();
    c.memory.queue_depth = 4;
    let mut h = Hbm::new(&c).unwrap();
    let addrs: Vec<u64> = (0..5).map(|i| ch0(&h, i * 64)).collect();
    for &a in &addrs[..4] {
        h.enqueue(a, 64, false, 0).unwrap();
    }
    let e = h.enqueue(addrs[4], 64, false, 0).unwrap_err();
    assert_eq!(
        e,
        Backpressure {
            channel: 0,
            depth: 4
        }
    );
    assert_eq!(
        e.to_string(),
        "HBM channel 0 queue is full (4 requests); tick the memory and retry"
    );
    assert_eq!(h.occupancy(0), 4);
    assert_eq!(h.channel_stats(0).rejected, 1);
    // Another channel still accepts.
    h.enqueue(h.map().address(1, 0), 64, false, 0).unwrap();
    // After the first completion (cycle 32) there is room again.
    assert!(h.enqueue(addrs[4], 64, false, 31).is_err());
    h.enqueue(addrs[4], 64, false, 32).unwrap();

    // access() with a depth of 1: each request waits for the previous one to complete.
    c.memory.queue_depth = 1;
    let mut h = Hbm::new(&c).unwrap();
    let mut prev = 0;
    for i in 0..10 {
        let done = h.access(ch0(&h, i * 64), 64, false, 0);
        assert_eq!(done, prev + 32);
        prev = done;
    }
    let s = h.channel_stats(0);
    assert_eq!(s.backpressure_cycles, (0..10).map(|i| i * 32).sum::<u64>());
    assert_eq!(s.queue_delay_total, s.backpressure_cycles);
}

#[test]
fn ticking_every_cycle_or_only_at_events_gives_the_same_timing() {
    for c in [
        ChipConfig::preset("u280").unwrap(),
        banked(ChipConfig::preset("u280").unwrap()),
    ] {
        let h0 = Hbm::new(&c).unwrap();
        let addrs = addresses(Stream::Random(9), 2000, 64, c.memory.dram_size);
        let run = |every: bool| {
            let mut h = h0.clone();
            let mut out = Vec::new();
            for (i, &a) in addrs.iter().enumerate() {
                let _ = h.enqueue(a, 64, i % 3 == 0, (i / 64) as u64);
            }
            let mut now = 31;
            while !h.is_idle() {
                now = if every {
                    now + 1
                } else {
                    h.next_event().unwrap().max(now)
                };
                h.tick(now);
                out.extend(h.drain_completions());
            }
            out.sort_by_key(|d| (d.cycle, d.id));
            out
        };
        let (a, b) = (run(true), run(false));
        assert!(!a.is_empty());
        assert_eq!(a, b);
    }
}

#[test]
fn runs_are_deterministic() {
    let c = banked(ChipConfig::preset("u280").unwrap());
    let run = || {
        let addrs = addresses(Stream::Random(5), 20_000, 64, c.memory.dram_size);
        let mut h = Hbm::new(&c).unwrap();
        let a = run_ticked(&mut h, &addrs, 64);
        let mut g = Hbm::new(&c).unwrap();
        let b = run_access(&mut g, &addrs, 64);
        let json = |h: &Hbm| serde_json::to_string(&h.report(100_000)).unwrap();
        (a, b, json(&h), json(&g))
    };
    assert_eq!(run(), run());
}

#[test]
fn statistics() {
    let c = ChipConfig::preset("u280").unwrap();
    let mut h = Hbm::new(&c).unwrap();
    assert_eq!(h.access(ch0(&h, 0), 64, false, 0), 32);
    assert_eq!(h.access(ch0(&h, 64), 32, true, 0), 32); // bus 1.11 + 0.56 = 1.67 -> 2, + 30
    let r = h.report(100);
    let ch = &r.channel[0];
    assert_eq!(
        (ch.counters.reads, ch.counters.writes),
        (1, 1),
        "{:?}",
        ch.counters
    );
    assert_eq!(
        (ch.counters.bytes_read, ch.counters.bytes_written),
        (64, 32)
    );
    assert!((ch.utilization - 96.0 / (100.0 * 57.5)).abs() < 1e-12);
    assert!((ch.busy_cycles - 96.0 / 57.5).abs() < 1e-12);
    assert_eq!(ch.mean_latency, 32.0);
    assert_eq!(ch.mean_queue_delay, 0.5); // the second waited one cycle for the bus
    assert_eq!(ch.row_hit_rate, None);
    assert_eq!(r.requests, 2);
    assert_eq!(r.channel.len(), 32);
    assert_eq!(r.configured_gbps, 460.0);
    // Little's law depth for peak bandwidth (docs/hbm.md).
    assert_eq!(h.params().depth_for_peak(64), 30);
    let s = HbmParams::from_config(&ChipConfig::preset("sketch2k").unwrap()).unwrap();
    assert_eq!(s.depth_for_peak(64), 43);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["model"], "fixed");
    assert_eq!(json["channel"][0]["bytes_read"], 64);
    assert_eq!(json["channel"][31]["tile"], 4);
    h.reset_stats();
    assert_eq!(h.report(1).requests, 0);
}

#[test]
fn invalid_configurations_are_rejected_with_their_field() {
    let mut c = ChipConfig::preset("u280").unwrap();
    c.memory.hbm_channels = 3;
    let e = Hbm::new(&c).unwrap_err();
    assert!(matches!(e, HbmError::Config(_)));
    assert!(
        e.to_string()
            .contains("memory.hbm_channels = 3: must be a power of two"),
        "{e}"
    );
    let mut c = ChipConfig::preset("u280").unwrap();
    c.memory.interleave_bytes = 48;
    assert!(Hbm::new(&c)
        .unwrap_err()
        .to_string()
        .contains("memory.interleave_bytes = 48"));
}

/// The table in docs/hbm.md: `cargo test -p strand-sim --release --lib hbm::tests::u280_table
/// -- --nocapture`.
#[test]
fn u280_table() {
    let c = ChipConfig::preset("u280").unwrap();
    let rows = report::measure(&c).unwrap();
    println!("{}", report::table(&rows));
    for r in &rows {
        let conf = r.configured.unwrap();
        if r.unit == "cycles" {
            assert_eq!(r.measured, conf, "{}", r.what);
        } else if r.what.contains("sequential") || r.what.contains("FR-FCFS") {
            assert!(
                (r.measured / conf - 1.0).abs() < 0.01,
                "{}: {}",
                r.what,
                r.measured
            );
        } else {
            assert!(r.measured > 0.0 && r.measured <= conf * 1.001, "{}", r.what);
        }
    }
}
