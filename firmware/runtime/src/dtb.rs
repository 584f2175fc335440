//! A small, single-pass reader for the flattened device tree (DTB) that
//! QEMU and the Strand simulator hand to every hart in `a1`.
//!
//! The runtime needs only these facts from the tree:
//!
//! * the number of harts: the direct children of `/cpus` named `cpu@N`
//!   (`max(reg) + 1`, so stacks indexed by hart id never collide),
//! * the first DRAM range: `reg` of the first `/memory` or `/memory@...` node,
//! * the kernel command line: `/chosen/bootargs`.
//!
//! Why not the `fdt` crate: it answers each question with its own walk from
//! the root (and its `cpus()` iterator builds a node per cpu), whereas the
//! Strand chip can have 16,384 cpu nodes and hart 0 parses the tree while all
//! other harts wait, possibly on a cycle-level simulator. This reader makes
//! exactly one linear pass over the structure block, keeps no allocations,
//! needs no heap (the heap's bounds come from the tree), and is small enough
//! (~200 lines) to audit. Values are read byte-wise, so properties need no
//! alignment (misaligned loads trap on Strand).
//!
//! Layout reminder (all integers big-endian, see the Devicetree Specification
//! v0.4, chapter 5):
//!
//! ```text
//! header: magic 0xd00dfeed | totalsize | off_dt_struct | off_dt_strings | ...
//! struct: BEGIN_NODE name\0 pad | PROP len nameoff value pad | END_NODE | NOP | END
//! ```

/// FDT header magic.
const FDT_MAGIC: u32 = 0xd00d_feed;
/// Token: start of a node, followed by its NUL-terminated name.
const FDT_BEGIN_NODE: u32 = 1;
/// Token: end of a node.
const FDT_END_NODE: u32 = 2;
/// Token: a property (length, name offset, value).
const FDT_PROP: u32 = 3;
/// Token: nothing.
const FDT_NOP: u32 = 4;
/// Token: end of the structure block.
const FDT_END: u32 = 9;
/// Size of the fixed header we read (10 big-endian words).
const HEADER_SIZE: usize = 40;

/// What the runtime learned from the device tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtbInfo<'a> {
    /// `max(hart id) + 1` over the `/cpus/cpu@N` nodes.
    pub nharts: usize,
    /// Number of `/cpus/cpu@N` nodes.
    pub cpu_nodes: usize,
    /// Base address of the first `/memory` range.
    pub mem_base: u64,
    /// Size in bytes of the first `/memory` range.
    pub mem_size: u64,
    /// `/cpus/timebase-frequency`: ticks per second of `time`/`mtime`; 0 when absent.
    pub timebase_hz: u64,
    /// `/chosen/bootargs` without its terminating NUL; empty when absent.
    pub bootargs: &'a str,
    /// `totalsize` from the header: the blob occupies `[addr, addr + total_size)`.
    pub total_size: usize,
}

/// Why a device tree could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtbError {
    /// The blob does not start with 0xd00dfeed: `a1` did not point at a DTB.
    BadMagic(u32),
    /// The header or a token points outside the blob: the DTB is corrupt.
    Truncated,
    /// An unknown structure token at this byte offset: the DTB is corrupt.
    BadToken {
        /// The token value.
        token: u32,
        /// Byte offset of the token in the blob.
        offset: usize,
    },
    /// No `/cpus/cpu@N` node: the DTB describes no hart.
    NoCpus,
    /// No `/memory` node with a `reg` property: the DTB describes no DRAM.
    NoMemory,
    /// The blob does not start 4-byte aligned (the specification asks for 8).
    Misaligned(usize),
}

impl core::fmt::Display for DtbError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            DtbError::BadMagic(m) => write!(f, "bad magic {m:#010x} (expected 0xd00dfeed)"),
            DtbError::Truncated => write!(f, "truncated or corrupt blob"),
            DtbError::BadToken { token, offset } => {
                write!(f, "unknown token {token:#x} at offset {offset:#x}")
            }
            DtbError::NoCpus => write!(f, "no /cpus/cpu@N node"),
            DtbError::NoMemory => write!(f, "no /memory node with a reg property"),
            DtbError::Misaligned(a) => write!(f, "blob at {a:#x} is not 4-byte aligned"),
        }
    }
}

/// Reads a big-endian u32 at `off`, or fails if it lies outside `b`.
fn be32(b: &[u8], off: usize) -> Result<u32, DtbError> {
    let s = b.get(off..off + 4).ok_or(DtbError::Truncated)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a big-endian number of `cells` 32-bit cells (1 or 2) at `off`.
fn cells(b: &[u8], off: usize, cells: u32) -> Result<u64, DtbError> {
    let mut v = 0u64;
    for i in 0..cells as usize {
        v = (v << 32) | u64::from(be32(b, off + 4 * i)?);
    }
    Ok(v)
}

/// Reads `totalsize` from the header of the DTB at `addr`.
///
/// # Safety
/// `addr` must be readable for [`HEADER_SIZE`] bytes.
pub unsafe fn total_size_at(addr: *const u8) -> Result<usize, DtbError> {
    // SAFETY: the caller guarantees the header is readable.
    let hdr = unsafe { core::slice::from_raw_parts(addr, HEADER_SIZE) };
    let magic = be32(hdr, 0)?;
    if magic != FDT_MAGIC {
        return Err(DtbError::BadMagic(magic));
    }
    Ok(be32(hdr, 4)? as usize)
}

/// Which top-level node the walker is inside (depth 2 = child of the root).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Top {
    Other,
    Cpus,
    Memory,
    Chosen,
}

/// A structure-block word as the walk loads it: the big-endian bytes of `t`
/// read as a native word, so tokens compare without a byte swap (RV64IMA
/// has no byte-swap instruction).
const fn raw(t: u32) -> u32 {
    u32::from_ne_bytes(t.to_be_bytes())
}

/// Length of the NUL-terminated node name that starts at word `i` (the
/// structure block pads names to whole words), found a word at a time.
#[inline(always)]
fn name_len(words: &[u32], i: usize) -> Option<usize> {
    let mut k = i;
    loop {
        // Little-endian order, so the lowest flagged byte is the first NUL
        // in memory (bytes above it may be false positives).
        let w = u32::from_le(*words.get(k)?);
        let zero = w.wrapping_sub(0x0101_0101) & !w & 0x8080_8080;
        if zero != 0 {
            return Some(4 * (k - i) + (zero.trailing_zeros() / 8) as usize);
        }
        k += 1;
    }
}

/// Whether the NUL-terminated string at `off` in `strings` is `name`;
/// stops at the first differing byte, so a mismatch usually costs one load.
#[inline(always)]
fn name_is(strings: &[u8], off: usize, name: &[u8]) -> Result<bool, DtbError> {
    for (i, &c) in name.iter().chain(&[0u8]).enumerate() {
        let got = *strings.get(off + i).ok_or(DtbError::Truncated)?;
        if got != c {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Parses the blob in one pass over its structure block.
///
/// The blob must be 4-byte aligned (the Devicetree Specification asks for 8;
/// the boot code checks `a1`), so the walk reads whole words.
///
/// Cost: O(tokens), no allocation, and little work per token (measured on
/// Strand's 16,384-hart tree, 4.6 MiB: docs/firmware.md): tokens and node
/// names are read a word at a time, tokens are compared without a byte
/// swap, property names are compared only where a wanted property can occur
/// (a mismatch stops at its first byte), and a cpu node's unit address is
/// parsed only when the node has no `reg`.
pub fn parse(blob: &[u8]) -> Result<DtbInfo<'_>, DtbError> {
    let magic = be32(blob, 0)?;
    if magic != FDT_MAGIC {
        return Err(DtbError::BadMagic(magic));
    }
    if !(blob.as_ptr() as usize).is_multiple_of(4) {
        return Err(DtbError::Misaligned(blob.as_ptr() as usize));
    }
    let total = be32(blob, 4)? as usize;
    let blob = blob.get(..total).ok_or(DtbError::Truncated)?;
    let off_struct = be32(blob, 8)? as usize;
    let off_strings = be32(blob, 12)? as usize;
    let strings = blob.get(off_strings..).ok_or(DtbError::Truncated)?;
    if !off_struct.is_multiple_of(4) {
        return Err(DtbError::Truncated);
    }
    // SAFETY: the blob starts 4-byte aligned (checked above) and is
    // `blob.len()` bytes long, so its first `len / 4` words are readable u32s
    // for as long as `blob` is borrowed; any bit pattern is a valid u32.
    let words: &[u32] =
        unsafe { core::slice::from_raw_parts(blob.as_ptr().cast::<u32>(), blob.len() / 4) };
    let word = |i: usize| words.get(i).copied().ok_or(DtbError::Truncated);

    // Defaults from the Devicetree Specification (2.3.5).
    let (mut root_addr_cells, mut root_size_cells) = (2u32, 1u32);
    let mut cpus_addr_cells = 1u32;
    let mut depth = 0usize;
    let mut top = Top::Other;
    let mut in_cpu = false; // inside a depth-3 `cpu@N` node under /cpus
    let mut cpu_has_reg = false;
    let mut cpu_unit_off = 0usize; // byte offset of the N of `cpu@N`, used when `reg` is absent
    let mut max_hart: Option<u64> = None;
    let mut cpu_nodes = 0usize;
    let mut memory: Option<(u64, u64)> = None;
    let mut bootargs: &str = "";
    let mut timebase_hz = 0u64;
    // Whether the current node may hold a property we need (depth 1, the
    // interesting top-level nodes, a cpu node before its `reg`).
    let mut wanted = false;

    let mut i = off_struct / 4; // word index of the next token
    loop {
        let token = word(i)?;
        let tok_off = 4 * i;
        i += 1;
        if token == raw(FDT_PROP) {
            let len = u32::from_be(word(i)?) as usize;
            let val = 4 * (i + 2); // byte offset of the value
            i += 2 + len.div_ceil(4);
            if 4 * i > blob.len() {
                return Err(DtbError::Truncated);
            }
            if !wanted {
                continue;
            }
            let nameoff = u32::from_be(word(val / 4 - 1)?) as usize;
            let is = |name: &[u8]| name_is(strings, nameoff, name);
            match (depth, top) {
                (1, _) => {
                    if is(b"#address-cells")? {
                        root_addr_cells = be32(blob, val)?;
                    } else if is(b"#size-cells")? {
                        root_size_cells = be32(blob, val)?;
                    }
                }
                (2, Top::Cpus) => {
                    if is(b"#address-cells")? {
                        cpus_addr_cells = be32(blob, val)?;
                    } else if is(b"timebase-frequency")? {
                        timebase_hz = cells(blob, val, (len / 4).clamp(1, 2) as u32)?;
                    }
                }
                (2, Top::Memory) if memory.is_none() && is(b"reg")? => {
                    let need = 4 * (root_addr_cells + root_size_cells) as usize;
                    if len >= need {
                        let base = cells(blob, val, root_addr_cells)?;
                        let size =
                            cells(blob, val + 4 * root_addr_cells as usize, root_size_cells)?;
                        memory = Some((base, size));
                    }
                }
                (2, Top::Chosen) if is(b"bootargs")? => {
                    let raw = blob.get(val..val + len).ok_or(DtbError::Truncated)?;
                    let raw = raw.split(|&c| c == 0).next().unwrap_or(&[]);
                    bootargs = core::str::from_utf8(raw).unwrap_or("");
                }
                (3, Top::Cpus) if len >= 4 * cpus_addr_cells as usize && is(b"reg")? => {
                    cpu_has_reg = true;
                    wanted = false;
                    let id = cells(blob, val, cpus_addr_cells)?;
                    max_hart = max_hart.max(Some(id));
                }
                _ => {}
            }
        } else if token == raw(FDT_BEGIN_NODE) {
            let name_off = 4 * i;
            let name_len = name_len(words, i).ok_or(DtbError::Truncated)?;
            i += name_len / 4 + 1;
            depth += 1;
            wanted = false;
            if depth == 2 || (depth == 3 && top == Top::Cpus) {
                let name = &blob[name_off..name_off + name_len];
                if depth == 2 {
                    top = match name {
                        b"cpus" => Top::Cpus,
                        b"chosen" => Top::Chosen,
                        n if n == b"memory" || n.starts_with(b"memory@") => Top::Memory,
                        _ => Top::Other,
                    };
                    wanted = top != Top::Other;
                } else if name.starts_with(b"cpu@") {
                    in_cpu = true;
                    cpu_has_reg = false;
                    cpu_unit_off = name_off + 4;
                    cpu_nodes += 1;
                    wanted = true;
                }
            } else if depth == 1 {
                wanted = true;
            }
        } else if token == raw(FDT_END_NODE) {
            // Properties come before subnodes, so after any END_NODE the
            // current node has no more properties: nothing is wanted.
            wanted = false;
            if depth == 3 && in_cpu {
                if !cpu_has_reg {
                    let unit = blob.get(cpu_unit_off..).ok_or(DtbError::Truncated)?;
                    max_hart = max_hart.max(Some(parse_hex(unit)));
                }
                in_cpu = false;
            }
            if depth == 2 {
                top = Top::Other;
            }
            depth = depth.checked_sub(1).ok_or(DtbError::Truncated)?;
        } else if token == raw(FDT_NOP) {
        } else if token == raw(FDT_END) {
            break;
        } else {
            return Err(DtbError::BadToken {
                token: u32::from_be(token),
                offset: tok_off,
            });
        }
    }

    let max_hart = max_hart.ok_or(DtbError::NoCpus)?;
    let (mem_base, mem_size) = memory.ok_or(DtbError::NoMemory)?;
    Ok(DtbInfo {
        nharts: max_hart as usize + 1,
        cpu_nodes,
        mem_base,
        mem_size,
        timebase_hz,
        bootargs,
        total_size: total,
    })
}

/// Parses a hexadecimal unit address (`cpu@1f` -> 0x1f); stops at the first
/// non-hex character.
fn parse_hex(s: &[u8]) -> u64 {
    let mut v = 0u64;
    for &c in s {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => break,
        };
        v = (v << 4) | u64::from(d);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `qemu-system-riscv64 -machine virt,dumpdtb=F -smp 4 -m 256M -bios none -kernel X
    /// -append "size=64K iters=10"`, truncated to its `totalsize` (5,367 bytes).
    const QEMU_SMP4: &[u8] = include_bytes!("../testdata/qemu-virt-smp4.dtb");

    /// An 8-byte aligned copy of `b` (the boot code checks that the DTB is
    /// 8-byte aligned; `include_bytes!` and `Vec<u8>` promise no alignment).
    fn aligned(b: &[u8]) -> &'static [u8] {
        let words: &'static mut [u64] = vec![0u64; b.len().div_ceil(8)].leak();
        // SAFETY: the u64 buffer has at least `b.len()` bytes, lives forever,
        // and every byte of it is initialised.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), b.len()) };
        bytes.copy_from_slice(b);
        bytes
    }

    #[test]
    fn parses_qemu_virt_tree() {
        let info = parse(aligned(QEMU_SMP4)).unwrap();
        assert_eq!(info.nharts, 4);
        assert_eq!(info.cpu_nodes, 4);
        assert_eq!(info.mem_base, 0x8000_0000);
        assert_eq!(info.mem_size, 256 << 20);
        assert_eq!(info.bootargs, "size=64K iters=10");
        assert_eq!(info.timebase_hz, 10_000_000);
        assert_eq!(info.total_size, QEMU_SMP4.len());
    }

    /// A blob that is not 4-byte aligned is refused (the walk reads words).
    #[test]
    fn refuses_misaligned_blob() {
        for shift in 1..4 {
            let b = aligned(&[&[0u8; 4][..shift], QEMU_SMP4].concat());
            let blob = &b[shift..];
            assert_eq!(
                parse(blob),
                Err(DtbError::Misaligned(blob.as_ptr() as usize))
            );
        }
    }

    #[test]
    fn header_size_matches_parse() {
        // SAFETY: the test blob is longer than the header.
        let total = unsafe { total_size_at(QEMU_SMP4.as_ptr()) }.unwrap();
        assert_eq!(total, parse(aligned(QEMU_SMP4)).unwrap().total_size);
    }

    #[test]
    fn rejects_bad_magic_and_truncation() {
        assert_eq!(parse(&[0u8; 64]), Err(DtbError::BadMagic(0)));
        assert_eq!(parse(aligned(&QEMU_SMP4[..100])), Err(DtbError::Truncated));
        assert_eq!(parse(&[]), Err(DtbError::Truncated));
    }

    /// A minimal FDT writer for synthetic trees.
    #[derive(Default)]
    struct Writer {
        structs: Vec<u8>,
        strings: Vec<u8>,
    }

    impl Writer {
        fn word(&mut self, w: u32) {
            self.structs.extend_from_slice(&w.to_be_bytes());
        }
        fn pad(&mut self) {
            while !self.structs.len().is_multiple_of(4) {
                self.structs.push(0);
            }
        }
        fn begin(&mut self, name: &str) {
            self.word(FDT_BEGIN_NODE);
            self.structs.extend_from_slice(name.as_bytes());
            self.structs.push(0);
            self.pad();
        }
        fn end(&mut self) {
            self.word(FDT_END_NODE);
        }
        fn prop(&mut self, name: &str, value: &[u8]) {
            let off = self.strings.len() as u32;
            self.strings.extend_from_slice(name.as_bytes());
            self.strings.push(0);
            self.word(FDT_PROP);
            self.word(value.len() as u32);
            self.word(off);
            self.structs.extend_from_slice(value);
            self.pad();
        }
        fn prop_cells(&mut self, name: &str, cells: &[u32]) {
            let v: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
            self.prop(name, &v);
        }
        fn finish(mut self) -> Vec<u8> {
            self.word(FDT_END);
            let off_rsv = HEADER_SIZE as u32;
            let off_struct = off_rsv + 16;
            let off_strings = off_struct + self.structs.len() as u32;
            let total = off_strings + self.strings.len() as u32;
            let mut b = Vec::new();
            for w in [
                FDT_MAGIC,
                total,
                off_struct,
                off_strings,
                off_rsv,
                17,
                16,
                0,
            ] {
                b.extend_from_slice(&w.to_be_bytes());
            }
            b.extend_from_slice(&(self.strings.len() as u32).to_be_bytes());
            b.extend_from_slice(&(self.structs.len() as u32).to_be_bytes());
            b.extend_from_slice(&[0; 16]);
            b.extend_from_slice(&self.structs);
            b.extend_from_slice(&self.strings);
            b
        }
    }

    /// A Strand-sized tree: 16,384 harts, 2-cell cpu ids, a cpu-map whose
    /// nested `core@N` nodes must not count, and no bootargs.
    #[test]
    fn many_harts_and_nested_nodes() {
        let mut w = Writer::default();
        w.begin("");
        w.prop_cells("#address-cells", &[2]);
        w.prop_cells("#size-cells", &[2]);
        w.begin("chosen");
        w.end();
        w.begin("cpus");
        w.prop_cells("#address-cells", &[2]);
        w.prop_cells("#size-cells", &[0]);
        w.prop_cells("timebase-frequency", &[0, 1_000_000_000]);
        for id in 0..16_384u32 {
            w.begin(&format!("cpu@{id:x}"));
            w.prop("device_type", b"cpu\0");
            w.prop_cells("reg", &[0, id]);
            w.begin("interrupt-controller");
            w.prop_cells("reg", &[0, 99_999]);
            w.end();
            w.end();
        }
        w.begin("cpu-map");
        w.begin("cluster0");
        w.begin("cpu@40000");
        w.prop_cells("reg", &[0, 0x40000]);
        w.end();
        w.end();
        w.end();
        w.end();
        w.begin("memory@80000000");
        w.prop_cells("reg", &[0, 0x8000_0000, 2, 0]);
        w.end();
        w.begin("memory@880000000");
        w.prop_cells("reg", &[8, 0x8000_0000, 1, 0]);
        w.end();
        w.end();
        let blob = w.finish();
        let info = parse(aligned(&blob)).unwrap();
        assert_eq!(info.nharts, 16_384);
        assert_eq!(info.cpu_nodes, 16_384);
        assert_eq!((info.mem_base, info.mem_size), (0x8000_0000, 8 << 30));
        assert_eq!(info.timebase_hz, 1_000_000_000);
        assert_eq!(info.bootargs, "");
    }

    /// Without `reg`, a cpu's id comes from its unit address; sparse ids
    /// give `max + 1` harts.
    #[test]
    fn unit_address_fallback_and_errors() {
        let mut w = Writer::default();
        w.begin("");
        w.begin("cpus");
        w.begin("cpu@0");
        w.end();
        w.begin("cpu@a");
        w.end();
        w.end();
        w.begin("memory");
        // Default cells: #address-cells = 2, #size-cells = 1.
        w.prop_cells("reg", &[0, 0x8000_0000, 0x100_0000]);
        w.end();
        w.begin("chosen");
        w.prop("bootargs", b"iters=5\0");
        w.end();
        w.end();
        let blob = w.finish();
        let info = parse(aligned(&blob)).unwrap();
        assert_eq!((info.nharts, info.cpu_nodes), (11, 2));
        assert_eq!((info.mem_base, info.mem_size), (0x8000_0000, 16 << 20));
        assert_eq!(info.bootargs, "iters=5");

        let mut w = Writer::default();
        w.begin("");
        w.begin("memory");
        w.prop_cells("reg", &[0, 0x8000_0000, 0x100_0000]);
        w.end();
        w.end();
        assert_eq!(parse(aligned(&w.finish())), Err(DtbError::NoCpus));

        let mut w = Writer::default();
        w.begin("");
        w.begin("cpus");
        w.begin("cpu@0");
        w.end();
        w.end();
        w.end();
        assert_eq!(parse(aligned(&w.finish())), Err(DtbError::NoMemory));

        let mut w = Writer::default();
        w.begin("");
        w.word(7);
        let blob = w.finish();
        assert!(matches!(
            parse(aligned(&blob)),
            Err(DtbError::BadToken { token: 7, .. })
        ));
    }

    #[test]
    fn hex_unit_addresses() {
        assert_eq!(parse_hex(b"0"), 0);
        assert_eq!(parse_hex(b"3fff"), 0x3fff);
        assert_eq!(parse_hex(b"1A,2"), 0x1a);
    }
}
