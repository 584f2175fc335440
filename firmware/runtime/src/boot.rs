//! Boot: from the reset vector to `main` on every hart.
//!
//! QEMU `-bios none` and the Strand simulator start EVERY hart at 0x8000_0000
//! (`_start`, the first thing in `.text`) with `a0 = mhartid` and
//! `a1 = address of the device tree blob`.
//!
//! ```text
//! _start (all harts, assembly)
//!   sp    = __stacks_start + (mhartid + 1) * STACK_SIZE    (no hart limit)
//!   mtvec = trap entry, mie = MSIE (msip wakes wfi), mstatus.MIE = 0, mscratch = 0
//!   hart 0:  zero .bss; _strand_boot(dtb) -> parse DTB, lay out memory,
//!            init heap, per-hart sync slots, publish BootInfo,
//!            release = 1 (release store)
//!   others:  sleep in wfi until release != 0 (flag lives in .data, not in
//!            the .bss hart 0 is zeroing), fence r,rw (acquire)
//!   all:     harts with id >= nharts park; the rest call _strand_hart(id)
//! _strand_hart: wake this hart's children in the boot wake-up tree
//!               -> stack canary -> main(&Ctx) -> check canary -> barrier
//!               -> hart 0 exits with the first error, the others park
//! ```
//!
//! Boot wake-up tree (see [`crate::wait`]): hart 0 releases and wakes harts
//! 1..=4, each woken hart wakes its own 4 children (`4h+1 ..= 4h+4`), so
//! 16,384 harts are all running after 7 levels instead of 16,383 `msip`
//! writes by hart 0:
//!
//! ```text
//!   hart 0 ─┬─ 1 ─┬─ 5 ── 21..24 ...
//!           │     ├─ 6
//!           │     ├─ 7
//!           │     └─ 8
//!           ├─ 2 ── 9..12
//!           ├─ 3 ── 13..16
//!           └─ 4 ── 17..20
//! ```
//!
//! Memory layout (addresses grow downwards in the picture):
//!
//! ```text
//! 0x8000_0000  .text (.text.init first), .rodata, .data, .bss   <- ELF image
//! _end         (4 KiB aligned) = __stacks_start
//!              hart 0 stack  (STACK_SIZE, grows down from its top)
//!              hart 1 stack
//!              ...           nharts * STACK_SIZE in all
//! heap_start   (4 KiB aligned)
//!              heap, low region (linked-list allocator)
//! heap_end     = DTB address (4 KiB aligned down) if the DTB lies above
//!              heap_start, else DRAM end
//!              device tree blob: QEMU and the simulator put it 2 MiB-aligned
//!              below min(DRAM end, 3 GiB)
//! heap2_start  end of the DTB, 4 KiB aligned up
//!              heap, high region (empty unless DRAM extends past the DTB)
//! DRAM end     = /memory base + size
//! ```

use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::dtb::{self, DtbInfo};
use crate::memmap::{CLINT_BASE, CLINT_LEGACY_HARTS, CLINT_MSIP, CLINT_MSIP_EXT};
use crate::{exit, println, Args, Ctx};

/// log2 of [`STACK_SIZE`]: the assembly computes stack tops with a shift, as
/// module-level `global_asm!` is not assembled with the M extension enabled.
pub(crate) const STACK_SHIFT: u32 = 14;

/// Bytes of stack per hart. 16 KiB keeps 16,384 harts' stacks at 256 MiB.
pub const STACK_SIZE: usize = 1 << STACK_SHIFT;

/// Alignment of the stacks region and of the heap start.
const PAGE: usize = 4096;

global_asm!(
    r#"
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrr    t0, mhartid
    # sp = __stacks_start + (hartid + 1) * STACK_SIZE
    la      t1, __stacks_start
    addi    t2, t0, 1
    slli    t2, t2, {stack_shift}
    add     sp, t1, t2
    la      t1, _strand_trap_entry
    csrw    mtvec, t1
    csrci   mstatus, 8          # mstatus.MIE = 0 (its reset value): no interrupt is
    csrwi   mie, {mie_msie}     # ever taken; mie.MSIE: a pending msip ends wfi
    csrw    mscratch, zero
    mv      s0, t0              # s0 = hartid, s1 = dtb (callee-saved)
    mv      s1, a1
    bnez    s0, 2f

    # hart 0: zero .bss (8-byte aligned by link.ld), then boot in Rust.
    la      t1, __bss_start
    la      t2, __bss_end
1:  bgeu    t1, t2, 3f
    sd      zero, 0(t1)
    addi    t1, t1, 8
    j       1b
3:  mv      a0, s1
    call    _strand_boot        # returns after storing release = 1
    j       4f

    # other harts: sleep until hart 0's release store (woken through msip by
    # hart 0 or by their parent in the wake-up tree, see _strand_hart).
2:  la      t1, _strand_release
    li      t3, {clint_msip}    # t3 = &msip[hartid]: legacy window below
    slli    t4, s0, 2           # CLINT_LEGACY_HARTS, extended window above
    add     t3, t3, t4
    li      t4, {legacy_harts}
    bltu    s0, t4, 7f
    li      t4, {msip_ext}
    add     t3, t3, t4
7:  sw      zero, 0(t3)         # clear stale wake-ups, then test the flag
    fence   iorw, iorw
    lw      t2, 0(t1)
    bnez    t2, 8f
    wfi
    j       7b
8:  fence   r, rw               # acquire: see everything hart 0 wrote

4:  la      t1, _strand_nharts  # park harts the device tree does not list
    ld      t2, 0(t1)
    bgeu    s0, t2, 6f
    mv      a0, s0
    call    _strand_hart        # never returns
6:  csrw    mie, zero
5:  wfi
    j       5b

    # The release flag: in .data so hart 0's .bss zeroing cannot race it.
    .section .data._strand_release, "aw", @progbits
    .balign 64
    .globl _strand_release
_strand_release:
    .word   0
    .balign 64
    "#,
    stack_shift = const STACK_SHIFT,
    mie_msie = const MIE_MSIE,
    clint_msip = const CLINT_BASE + CLINT_MSIP,
    legacy_harts = const CLINT_LEGACY_HARTS,
    msip_ext = const CLINT_MSIP_EXT - CLINT_MSIP,
);

/// `mie` bit 3 (MSIE): machine software interrupts (CLINT `msip`) wake `wfi`.
const MIE_MSIE: usize = 1 << 3;

/// Number of harts from the device tree; read by `_start` after release.
#[no_mangle]
#[allow(non_upper_case_globals)]
static _strand_nharts: AtomicUsize = AtomicUsize::new(0);

#[allow(non_upper_case_globals)]
extern "C" {
    /// The release flag defined in `_start`'s assembly, in `.data`.
    static _strand_release: core::sync::atomic::AtomicU32;
    /// First byte after the ELF image, 4 KiB aligned (link.ld).
    static __stacks_start: u8;
    /// Start of the ELF image (link.ld).
    static __image_start: u8;
}

extern "Rust" {
    /// The program's `main`, defined by [`crate::entry!`].
    fn __strand_main(ctx: &Ctx) -> i32;
}

/// Where everything lives in DRAM; see the module docs for the picture.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    /// First byte of the ELF image (0x8000_0000).
    pub image_start: usize,
    /// First byte of the stacks region (= `_end`).
    pub stacks_start: usize,
    /// Bytes of stack per hart.
    pub stack_size: usize,
    /// First byte of the heap's low region.
    pub heap_start: usize,
    /// One past the last byte of the heap's low region.
    pub heap_end: usize,
    /// First byte of the heap's high region (above the DTB); 0 if none.
    pub heap2_start: usize,
    /// One past the last byte of the heap's high region; 0 if none.
    pub heap2_end: usize,
    /// DRAM base from the device tree.
    pub dram_base: usize,
    /// One past the last byte of DRAM.
    pub dram_end: usize,
    /// Address of the device tree blob.
    pub dtb_addr: usize,
    /// Size of the device tree blob in bytes.
    pub dtb_size: usize,
}

/// Facts published by hart 0 before it releases the other harts.
#[derive(Clone, Copy)]
struct BootInfo {
    nharts: usize,
    timebase_hz: u64,
    bootargs: &'static str,
    layout: Layout,
}

/// Write-once cell for [`BootInfo`].
struct BootCell(UnsafeCell<BootInfo>);

// SAFETY: hart 0 writes the cell once, before its release store of
// `_strand_release`; every other hart reads it only after its acquire of that
// flag, and hart 0 only after writing it. There are no concurrent writes.
unsafe impl Sync for BootCell {}

static BOOT: BootCell = BootCell(UnsafeCell::new(BootInfo {
    nharts: 1,
    timebase_hz: 0,
    bootargs: "",
    layout: Layout {
        image_start: 0,
        stacks_start: 0,
        stack_size: STACK_SIZE,
        heap_start: 0,
        heap_end: 0,
        heap2_start: 0,
        heap2_end: 0,
        dram_base: 0,
        dram_end: 0,
        dtb_addr: 0,
        dtb_size: 0,
    },
}));

fn boot_info() -> &'static BootInfo {
    // SAFETY: see `BootCell`: callers run after the release, so the cell is
    // no longer written.
    unsafe { &*BOOT.0.get() }
}

/// This hart's id (`mhartid`).
#[inline(always)]
pub fn hart_id() -> usize {
    let id: usize;
    // SAFETY: reading mhartid has no side effects; we run in machine mode.
    unsafe { core::arch::asm!("csrr {}, mhartid", out(reg) id, options(nomem, nostack)) };
    id
}

/// Number of harts (from the device tree's `/cpus/cpu@N` nodes).
pub fn num_harts() -> usize {
    boot_info().nharts
}

/// The bootargs string (`/chosen/bootargs`), empty when absent.
pub fn bootargs() -> &'static str {
    boot_info().bootargs
}

/// Ticks per second of `rdtime` (`/cpus/timebase-frequency`), 0 if unknown.
pub fn timebase_hz() -> u64 {
    boot_info().timebase_hz
}

/// The memory layout hart 0 computed at boot.
pub fn layout() -> Layout {
    boot_info().layout
}

/// Prints a boot error and stops the machine with [`crate::EXIT_BOOT`].
fn boot_fail(args: core::fmt::Arguments<'_>) -> ! {
    println!("strand-rt: boot failed: {}", args);
    exit::exit(exit::EXIT_BOOT)
}

/// Hart 0's boot in Rust: runs after `.bss` is zeroed, before anyone else
/// leaves `_start`.
#[no_mangle]
extern "C" fn _strand_boot(dtb_addr: usize) {
    if dtb_addr == 0 || dtb_addr % 8 != 0 {
        boot_fail(format_args!(
            "a1 = {dtb_addr:#x} is not a device tree address"
        ));
    }
    // SAFETY: the loader passes the address of a DTB in a1; its header is
    // 40 bytes of ordinary DRAM. A wrong address faults into the trap handler.
    let total = match unsafe { dtb::total_size_at(dtb_addr as *const u8) } {
        Ok(t) => t,
        Err(e) => boot_fail(format_args!("device tree at {dtb_addr:#x}: {e}")),
    };
    // SAFETY: the header says the blob is `total` bytes long, and nothing
    // writes it: the heap ends below it (computed next).
    let blob: &'static [u8] = unsafe { core::slice::from_raw_parts(dtb_addr as *const u8, total) };
    let parse_start = crate::rdinstret();
    let info: DtbInfo<'static> = match dtb::parse(blob) {
        Ok(i) => i,
        Err(e) => boot_fail(format_args!("device tree at {dtb_addr:#x}: {e}")),
    };
    let parse_instret = crate::rdinstret().wrapping_sub(parse_start);

    // Linker-script symbols: only their addresses are used.
    let image_start = core::ptr::addr_of!(__image_start) as usize;
    let stacks_start = core::ptr::addr_of!(__stacks_start) as usize;
    let dram_base = info.mem_base as usize;
    let dram_end = (info.mem_base + info.mem_size) as usize;
    let stacks_end = info
        .nharts
        .checked_mul(STACK_SIZE)
        .and_then(|s| s.checked_add(stacks_start))
        .unwrap_or(usize::MAX);
    let heap_start = stacks_end.next_multiple_of(PAGE);
    let dtb_end = dtb_addr + total;
    let dtb_in_heap = dtb_addr >= heap_start && dtb_addr < dram_end;
    let heap_end = if dtb_in_heap {
        dtb_addr & !(PAGE - 1)
    } else {
        dram_end
    };
    // DRAM above the DTB (QEMU keeps the DTB below 3 GiB) is a second region.
    let (heap2_start, heap2_end) = match dtb_end.checked_next_multiple_of(PAGE) {
        Some(start) if dtb_in_heap && start < dram_end => (start, dram_end),
        _ => (0, 0),
    };
    if dtb_addr < stacks_end && dtb_end > image_start {
        boot_fail(format_args!(
            "device tree at {dtb_addr:#x} overlaps the image or the stacks \
             ({image_start:#x}..{stacks_end:#x}); place it near the end of DRAM"
        ));
    }
    if heap_start >= heap_end {
        boot_fail(format_args!(
            "{} harts x {} KiB of stacks end at {stacks_end:#x}, past usable DRAM \
             ({dram_base:#x}..{heap_end:#x}); give the machine more memory",
            info.nharts,
            STACK_SIZE / 1024
        ));
    }
    // SAFETY: [heap_start, heap_end) and [heap2_start, heap2_end) are
    // disjoint DRAM that holds neither the image, nor a stack, nor the DTB,
    // and this is the only initialisation.
    unsafe {
        crate::heap::init(
            (heap_start, heap_end - heap_start),
            (heap2_start, heap2_end - heap2_start),
        )
    };

    let layout = Layout {
        image_start,
        stacks_start,
        stack_size: STACK_SIZE,
        heap_start,
        heap_end,
        heap2_start,
        heap2_end,
        dram_base,
        dram_end,
        dtb_addr,
        dtb_size: total,
    };
    // SAFETY: only hart 0 runs here, before the release; see `BootCell`.
    unsafe {
        *BOOT.0.get() = BootInfo {
            nharts: info.nharts,
            timebase_hz: info.timebase_hz,
            bootargs: info.bootargs,
            layout,
        };
    }
    _strand_nharts.store(info.nharts, Ordering::Relaxed);
    crate::sync::init_hart_slots(info.nharts);
    let boot_instret = crate::rdinstret();

    if Args::new(info.bootargs).has("rt.verbose") {
        println!(
            "strand-rt: {} harts ({} cpu nodes), DRAM {dram_base:#x}..{dram_end:#x}, \
             stacks {stacks_start:#x}..{stacks_end:#x}, heap {heap_start:#x}..{heap_end:#x}\
             {}, dtb {dtb_addr:#x}+{total:#x}, timebase {} Hz",
            info.nharts,
            info.cpu_nodes,
            HighRegion(heap2_start, heap2_end),
            info.timebase_hz
        );
        // instret is exact on Strand; QEMU counts host time unless -icount.
        println!(
            "strand-rt: boot: {boot_instret} instructions on hart 0 ({parse_instret} in the DTB parse)"
        );
    }

    // SAFETY: `_strand_release` is a 4-byte aligned word in .data defined in
    // `_start`'s assembly; it is only accessed atomically.
    unsafe { _strand_release.store(1, Ordering::Release) };
}

/// Written at the lowest word of every hart's stack before `main`; checked
/// when `main` returns and when a trap is reported. There is no guard page
/// (no MMU, no PMP use), so this is how a stack overflow shows up.
const STACK_CANARY: u64 = 0x5354_524e_4453_544b; // "STRNDSTK"

/// Address of the lowest word of `hart`'s stack.
fn stack_bottom(hart: usize) -> *mut u64 {
    let base = core::ptr::addr_of!(__stacks_start) as usize;
    (base + hart * STACK_SIZE) as *mut u64
}

/// Whether hart 0 has released the other harts (boot is complete).
pub(crate) fn booted() -> bool {
    // SAFETY: `_strand_release` is an aligned word only accessed atomically.
    unsafe { _strand_release.load(Ordering::Acquire) != 0 }
}

/// Whether `hart`'s stack canary is intact.
pub(crate) fn stack_canary_ok(hart: usize) -> bool {
    // SAFETY: the lowest word of a listed hart's stack is ordinary DRAM
    // reserved for that stack; a volatile read has no other effect.
    hart >= num_harts() || unsafe { stack_bottom(hart).read_volatile() } == STACK_CANARY
}

/// Formats the heap's high region for `rt.verbose` (nothing when empty).
struct HighRegion(usize, usize);

impl core::fmt::Display for HighRegion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.1 > self.0 {
            write!(f, " + {:#x}..{:#x}", self.0, self.1)
        } else {
            Ok(())
        }
    }
}

/// Lowest `(hart << 32) | code` over harts whose main returned non-zero.
static FIRST_ERROR: AtomicU64 = AtomicU64::new(u64::MAX);

/// Every listed hart, after boot: runs main, then the exit protocol.
#[no_mangle]
extern "C" fn _strand_hart(hart: usize) -> ! {
    let info = boot_info();
    // Pass the boot release on down the wake-up tree first thing.
    crate::wait::wake_children(hart, info.nharts);
    let ctx = Ctx {
        hart,
        nharts: info.nharts,
        args: Args::new(info.bootargs),
    };
    // SAFETY: this hart is running near the top of its own stack; the lowest
    // word is not in use unless the stack has overflowed.
    unsafe { stack_bottom(hart).write_volatile(STACK_CANARY) };
    // SAFETY: `__strand_main` is defined by `entry!` with this signature.
    let code = unsafe { __strand_main(&ctx) };
    if !stack_canary_ok(hart) {
        println!(
            "hart {hart}: stack overflow: main used more than {} KiB of stack \
             (strand_rt::STACK_SIZE); move large locals to the heap",
            STACK_SIZE / 1024
        );
        exit::exit(exit::EXIT_TRAP);
    }
    if code != 0 {
        FIRST_ERROR.fetch_min(
            ((hart as u64) << 32) | u64::from(code as u32),
            Ordering::AcqRel,
        );
    }
    crate::sync::barrier();
    if hart == 0 {
        let first = FIRST_ERROR.load(Ordering::Acquire);
        exit::exit(if first == u64::MAX {
            0
        } else {
            first as u32 as i32
        })
    }
    // Hart 0 ends the machine.
    crate::wait::park()
}
