//! ELF loading with the `object` crate: validate that the file is a 64-bit little-endian RISC-V
//! executable without compressed instructions, and that every loadable segment lies inside DRAM
//! and overlaps no other segment, before a single byte is copied.

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, Sym};
use std::ops::Range;
use thiserror::Error;

/// What is wrong with an ELF file.
#[derive(Debug, Error)]
pub enum ElfError {
    /// Not an ELF file at all.
    #[error("not an ELF file (bad magic); pass a RISC-V ELF executable such as build/firmware/hello.elf")]
    NotElf,
    /// A 32-bit ELF.
    #[error("ELF is 32-bit (ELFCLASS32); Strand runs RV64 programs: build for riscv64")]
    Not64Bit,
    /// Big-endian.
    #[error("ELF is big-endian; RISC-V programs are little-endian")]
    BigEndian,
    /// Another architecture.
    #[error("ELF is for machine type {0} ({1}), not RISC-V (243); build it for riscv64")]
    NotRiscv(u16, &'static str),
    /// Uses the C extension.
    #[error("ELF uses compressed instructions (EF_RISCV_RVC is set); Strand implements RV64IMA without C: build with scripts/build-firmware (target riscv64ima-strand.json) or -march=rv64ima")]
    Compressed,
    /// Not an executable.
    #[error("ELF type {0} is not an executable (ET_EXEC = 2); link the program with a linker script at 0x80000000")]
    NotExecutable(u16),
    /// Malformed headers.
    #[error("malformed ELF: {0}")]
    Malformed(String),
    /// A segment outside DRAM.
    #[error("segment {index} at {start:#x}..{end:#x} lies outside DRAM {dram_start:#x}..{dram_end:#x}; link at 0x80000000 or raise memory.dram_size")]
    OutsideDram {
        /// Program-header index.
        index: usize,
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
        /// DRAM start.
        dram_start: u64,
        /// DRAM end.
        dram_end: u64,
    },
    /// Two segments overlap.
    #[error("segments {a} ({a_start:#x}..{a_end:#x}) and {b} ({b_start:#x}..{b_end:#x}) overlap; fix the linker script")]
    Overlap {
        /// First segment index.
        a: usize,
        /// Its start.
        a_start: u64,
        /// Its end.
        a_end: u64,
        /// Second segment index.
        b: usize,
        /// Its start.
        b_start: u64,
        /// Its end.
        b_end: u64,
    },
    /// No loadable segment.
    #[error("ELF has no loadable (PT_LOAD) segment")]
    NoSegments,
    /// Entry point outside every executable segment.
    #[error("entry point {0:#x} is not inside an executable segment")]
    BadEntry(u64),
}

/// One loadable segment.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Physical address.
    pub addr: u64,
    /// File bytes (the rest up to `mem_size` is zero).
    pub data: Vec<u8>,
    /// Size in memory.
    pub mem_size: u64,
    /// Executable?
    pub exec: bool,
}

/// A validated program image.
#[derive(Clone, Debug)]
pub struct Program {
    /// Entry point.
    pub entry: u64,
    /// Loadable segments.
    pub segments: Vec<Segment>,
    /// Address of `tohost`, if defined.
    pub tohost: Option<u64>,
    /// Address of `fromhost`, if defined.
    pub fromhost: Option<u64>,
}

impl Program {
    /// The address range covering every executable segment (for the predecode cache).
    pub fn code_range(&self) -> Option<Range<u64>> {
        let mut it = self.segments.iter().filter(|s| s.exec);
        let first = it.next()?;
        let mut r = first.addr..first.addr + first.mem_size;
        for s in it {
            r.start = r.start.min(s.addr);
            r.end = r.end.max(s.addr + s.mem_size);
        }
        Some(r)
    }
}

fn machine_name(m: u16) -> &'static str {
    match m {
        elf::EM_X86_64 => "x86-64",
        elf::EM_386 => "x86",
        elf::EM_AARCH64 => "AArch64",
        elf::EM_ARM => "ARM",
        elf::EM_MIPS => "MIPS",
        elf::EM_PPC64 => "PowerPC64",
        0 => "none",
        _ => "unknown",
    }
}

/// Parse and validate an ELF image for a DRAM of `dram` (physical range).
pub fn parse(data: &[u8], dram: Range<u64>) -> Result<Program, ElfError> {
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if data[4] != elf::ELFCLASS64 {
        return Err(ElfError::Not64Bit);
    }
    if data[5] != elf::ELFDATA2LSB {
        return Err(ElfError::BigEndian);
    }
    let hdr = elf::FileHeader64::<object::Endianness>::parse(data)
        .map_err(|e| ElfError::Malformed(e.to_string()))?;
    let endian = hdr
        .endian()
        .map_err(|e| ElfError::Malformed(e.to_string()))?;
    let machine = hdr.e_machine(endian);
    if machine != elf::EM_RISCV {
        return Err(ElfError::NotRiscv(machine, machine_name(machine)));
    }
    if hdr.e_flags(endian) & elf::EF_RISCV_RVC != 0 {
        return Err(ElfError::Compressed);
    }
    let ty = hdr.e_type(endian);
    if ty != elf::ET_EXEC {
        return Err(ElfError::NotExecutable(ty));
    }
    let phdrs = hdr
        .program_headers(endian, data)
        .map_err(|e| ElfError::Malformed(e.to_string()))?;
    let mut segments = Vec::new();
    let mut ranges: Vec<(usize, u64, u64)> = Vec::new();
    for (index, ph) in phdrs.iter().enumerate() {
        if ph.p_type(endian) != elf::PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let start = ph.p_paddr(endian);
        let mem_size = ph.p_memsz(endian);
        if ph.p_filesz(endian) > mem_size {
            return Err(ElfError::Malformed(format!(
                "segment {index}: file size {:#x} exceeds memory size {mem_size:#x}",
                ph.p_filesz(endian)
            )));
        }
        let end = start.checked_add(mem_size).ok_or_else(|| {
            ElfError::Malformed(format!("segment {index}: address range wraps around"))
        })?;
        if start < dram.start || end > dram.end {
            return Err(ElfError::OutsideDram {
                index,
                start,
                end,
                dram_start: dram.start,
                dram_end: dram.end,
            });
        }
        for &(other, s, e) in &ranges {
            if start < e && s < end {
                return Err(ElfError::Overlap {
                    a: other,
                    a_start: s,
                    a_end: e,
                    b: index,
                    b_start: start,
                    b_end: end,
                });
            }
        }
        ranges.push((index, start, end));
        let bytes = ph.data(endian, data).map_err(|_| {
            ElfError::Malformed(format!("segment {index}: file data out of bounds"))
        })?;
        segments.push(Segment {
            addr: start,
            data: bytes.to_vec(),
            mem_size,
            exec: ph.p_flags(endian) & elf::PF_X != 0,
        });
    }
    if segments.is_empty() {
        return Err(ElfError::NoSegments);
    }
    let entry = hdr.e_entry(endian);
    if !segments
        .iter()
        .any(|s| s.exec && entry >= s.addr && entry < s.addr + s.mem_size)
    {
        return Err(ElfError::BadEntry(entry));
    }
    let (mut tohost, mut fromhost) = (None, None);
    if let Ok(sections) = hdr.sections(endian, data) {
        if let Ok(symbols) = sections.symbols(endian, data, elf::SHT_SYMTAB) {
            for sym in symbols.iter() {
                match sym.name(endian, symbols.strings()) {
                    Ok(b"tohost") => tohost = Some(sym.st_value(endian)),
                    Ok(b"fromhost") => fromhost = Some(sym.st_value(endian)),
                    _ => {}
                }
            }
        }
    }
    Ok(Program {
        entry,
        segments,
        tohost,
        fromhost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAM: Range<u64> = 0x8000_0000..0x9000_0000;

    /// A minimal ELF64 with the given machine and one PT_LOAD per `(paddr, memsz, flags)`.
    pub(crate) fn tiny_elf(machine: u16, flags: u32, segs: &[(u64, u64, u32)]) -> Vec<u8> {
        let phoff = 64u64;
        let data_off = phoff + 56 * segs.len() as u64;
        let mut v = vec![0u8; data_off as usize + 16];
        v[..4].copy_from_slice(b"\x7fELF");
        v[4] = 2; // 64-bit
        v[5] = 1; // little endian
        v[6] = 1;
        v[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        v[18..20].copy_from_slice(&machine.to_le_bytes());
        v[20..24].copy_from_slice(&1u32.to_le_bytes());
        v[24..32].copy_from_slice(&segs[0].0.to_le_bytes()); // entry
        v[32..40].copy_from_slice(&phoff.to_le_bytes());
        v[48..52].copy_from_slice(&flags.to_le_bytes());
        v[52..54].copy_from_slice(&64u16.to_le_bytes());
        v[54..56].copy_from_slice(&56u16.to_le_bytes());
        v[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        for (i, &(addr, memsz, pflags)) in segs.iter().enumerate() {
            let p = (phoff + 56 * i as u64) as usize;
            v[p..p + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
            v[p + 4..p + 8].copy_from_slice(&pflags.to_le_bytes());
            v[p + 8..p + 16].copy_from_slice(&data_off.to_le_bytes());
            v[p + 16..p + 24].copy_from_slice(&addr.to_le_bytes());
            v[p + 24..p + 32].copy_from_slice(&addr.to_le_bytes());
            v[p + 32..p + 40].copy_from_slice(&4u64.to_le_bytes());
            v[p + 40..p + 48].copy_from_slice(&memsz.to_le_bytes());
        }
        v
    }

    #[test]
    fn accepts_a_good_image() {
        let img = tiny_elf(243, 0, &[(0x8000_0000, 0x100, 5), (0x8000_1000, 0x100, 6)]);
        let p = parse(&img, DRAM).unwrap();
        assert_eq!(p.entry, 0x8000_0000);
        assert_eq!(p.segments.len(), 2);
        assert_eq!(p.code_range(), Some(0x8000_0000..0x8000_0100));
    }

    #[test]
    fn rejects_bad_images_with_clear_messages() {
        let msg = |img: &[u8]| parse(img, DRAM).unwrap_err().to_string();
        assert!(msg(b"hello world, not an elf").contains("not an ELF"));
        assert!(msg(&tiny_elf(62, 0, &[(0x8000_0000, 16, 5)])).contains("x86-64"));
        assert!(msg(&tiny_elf(243, 1, &[(0x8000_0000, 16, 5)])).contains("compressed"));
        let mut img = tiny_elf(243, 0, &[(0x8000_0000, 16, 5)]);
        img[4] = 1;
        assert!(msg(&img).contains("32-bit"));
        let e = msg(&tiny_elf(
            243,
            0,
            &[(0x8000_0000, 0x100, 5), (0x8000_0080, 0x100, 6)],
        ));
        assert!(e.contains("overlap"), "{e}");
        let e = msg(&tiny_elf(243, 0, &[(0x1000, 0x100, 5)]));
        assert!(e.contains("outside DRAM"), "{e}");
        let e = msg(&tiny_elf(243, 0, &[(0x8fff_ff00, 0x200, 5)]));
        assert!(e.contains("outside DRAM"), "{e}");
        let mut img = tiny_elf(243, 0, &[(0x8000_0000, 16, 5)]);
        img.truncate(70);
        assert!(msg(&img).contains("malformed"), "{}", msg(&img));
    }
}
