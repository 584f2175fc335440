//! Small reusable blocks, each a generator (`fn(&mut Design, &Params) -> ModRef`) with a
//! cycle-level Rust model ([`crate::rtl::tb::Model`]) that the tests run against the generated
//! Verilog.
//!
//! | block | module name | ports |
//! |---|---|---|
//! | [`counter`] | `counter_w<W>` | `en`, `clr` → `count`, `wrap` |
//! | [`arbiter`] | `arbiter_rr_n<N>` | `req`, `ack` → `grant`, `grant_valid`, `grant_idx` |
//! | [`fifo`] | `fifo_w<W>_d<D>_<dist\|bram\|uram>` | stream `in` → stream `out`, `credits` |
//! | [`router`] | `router_w<W>_b<B>_r<R>_x<XB>y<YB>` | `in_<side>_*` → `out_<side>_*` (N/E/S/W/L), credits |
//! | [`cache`] | `cache_<l1i\|l1d\|l2>_s.._w.._l.._pa.._m..` | `req_*` → `resp_*` (tag/data arrays, 2 stages) |
//! | [`directory`] | `directory_e<E>_t<T>_l<L>_pa<PA>` | `req_*` → `resp_*` (MSI state, sharers, owner) |
//! | [`clint`] | `clint_h<H>_f<HZ>` | `req_*` → `resp_*`, `msip`, `mtip` |
//! | [`memctrl`] | `hbm_hash_*`, `axi_master_*`, `memfront_*` | line requests → one AXI4 master per HBM channel |
//! | [`host_bridge`] | `mmio_bridge_i<ID>` | MMIO requests → CLINT / host port |
//! | [`tile`] | `tile_of_<config>` | cores, L1s, L2, the memory sequencer ([`tile_seq`]); in a mesh 3 routers, network interfaces ([`tile_noc`]), home agent ([`home`]) and directory |
//! | [`chip`] | `chip_<config>` | mesh of tiles, memory front end, CLINT, MMIO bridge |
//!
//! [`chip::generate`] builds a whole chip (what `strand rtl` writes); [`crate::rtl::fit`]
//! synthesises it (what `strand fit` reports).

pub mod arbiter;
pub mod cache;
pub mod chip;
pub mod clint;
pub mod counter;
pub mod directory;
pub mod fifo;
pub mod home;
pub mod host_bridge;
pub mod memctrl;
pub mod router;
pub mod tile;
pub mod tile_noc;
pub mod tile_seq;

use crate::rtl::{Design, Expr, ModRef, RamStyle, RtlError};

/// A balanced OR of expressions: `a | b | c | ...` built as a tree, so that thousands of terms
/// (a CLINT read mux over every hart) do not make one deep chain for the checker and emitter.
/// Physical address bits of a configuration: enough for the last DRAM byte.
pub fn pa_bits(cfg: &crate::ChipConfig) -> u32 {
    let top = crate::params::DRAM_BASE + cfg.memory.dram_size - 1;
    64 - top.leading_zeros()
}

/// The index (`bits` wide) of the set bit of the one-hot `g` of `n` bits.
pub(crate) fn onehot_index(g: &Expr, n: u32, bits: u32) -> Expr {
    crate::rtl::cat((0..bits).rev().map(|b| {
        (0..n)
            .filter(|k| k >> b & 1 == 1)
            .map(|k| g.bit(k))
            .or_tree()
            .unwrap_or_else(|| crate::rtl::lit(1, 0))
    }))
}

pub(crate) trait OrTree: Iterator<Item = Expr> + Sized {
    /// The OR of every item, `None` if there is none.
    fn or_tree(self) -> Option<Expr> {
        let mut v: Vec<Expr> = self.collect();
        while v.len() > 1 {
            let mut next = Vec::with_capacity(v.len().div_ceil(2));
            let mut it = v.into_iter();
            while let Some(a) = it.next() {
                next.push(match it.next() {
                    Some(b) => a | b,
                    None => a,
                });
            }
            v = next;
        }
        v.pop()
    }
}

impl<I: Iterator<Item = Expr>> OrTree for I {}

/// The command that regenerates the golden files in `hw/tests/golden/`.
pub const GOLDEN_REGENERATE: &str = "STRAND_BLESS=1 cargo test -p strand-hw --test rtl_golden";

/// The block configurations kept as golden files (`hw/tests/golden/<module>.v`) and linted,
/// synthesised and simulated by the `rtl_*` tests: one single-module design each, with its top.
pub fn reference_set() -> Result<Vec<(ModRef, Design)>, RtlError> {
    let mut out = Vec::new();
    let mut one = |f: &dyn Fn(&mut Design) -> Result<ModRef, RtlError>| -> Result<(), RtlError> {
        let mut d = Design::new(GOLDEN_REGENERATE);
        let top = f(&mut d)?;
        out.push((top, d));
        Ok(())
    };
    one(&|d| counter::counter(d, &counter::CounterParams { width: 8 }))?;
    one(&|d| arbiter::arbiter(d, &arbiter::ArbiterParams { n: 4 }))?;
    one(&|d| arbiter::arbiter(d, &arbiter::ArbiterParams { n: 5 }))?;
    for (width, depth, ram) in [
        (8, 16, RamStyle::Distributed),
        (32, 512, RamStyle::Block),
        (64, 4096, RamStyle::Ultra),
    ] {
        one(&|d| fifo::fifo(d, &fifo::FifoParams { width, depth, ram }))?;
    }
    // The chip's blocks in small configurations.
    one(&|d| {
        router::router(
            d,
            &router::RouterParams {
                flit_bits: 16,
                buffer_flits: 2,
                latency: 1,
                xb: 1,
                yb: 1,
            },
        )
    })?;
    one(&|d| {
        clint::clint(
            d,
            &clint::ClintParams {
                harts: 2,
                clock_hz: 50_000_000,
            },
        )
    })?;
    one(&|d| cache::cache(d, &small_cache(0)))?;
    one(&|d| cache::cache(d, &small_cache(3)))?;
    one(&|d| directory::directory(d, &small_dir()))?;
    let mem = memctrl::MemParams {
        channels: 4,
        interleave: 256,
        pa_bits: 16,
        line: 16,
        axi_bits: 64,
        id_bits: 2,
    };
    one(&|d| memctrl::hbm_hash(d, &mem))?;
    one(&|d| memctrl::axi_master(d, &mem))?;
    one(&|d| host_bridge::mmio_bridge(d, 2))?;
    Ok(out)
}

/// A small cache array configuration for the tests: 512 bytes, 2 ways, 16-byte lines, 12-bit
/// addresses, `meta_bits` meta bits.
pub fn small_cache(meta_bits: u32) -> cache::CacheParams {
    cache::CacheParams {
        kind: if meta_bits > 0 { "l2" } else { "l1d" },
        size: 512,
        ways: 2,
        line: 16,
        pa_bits: 12,
        meta_bits,
        tag_ram: RamStyle::Distributed,
        data_ram: RamStyle::Block,
    }
}

/// A small directory for the tests: 16 entries, 2 tiles.
pub fn small_dir() -> directory::DirParams {
    directory::DirParams {
        entries: 16,
        tiles: 2,
        line: 16,
        pa_bits: 12,
        ram: RamStyle::Block,
    }
}
