//! Trap and panic reporting. Both end the run: the runtime takes no
//! interrupts (`mie` enables software interrupts only so that they end `wfi`;
//! `mstatus.MIE` stays 0) and expects no exceptions, so any trap is a bug.
//!
//! ```text
//! trap:  hart H: unhandled trap mcause=0x2 mepc=0x80000abc mtval=0xc0001073 sp=0x... (illegal instruction)
//!        -> exit(EXIT_TRAP = 102)
//! panic: hart H panicked: <message> at src/main.rs:12
//!        -> exit(EXIT_PANIC = 101)
//! ```
//!
//! The trap entry does not save registers (it never returns). It marks the
//! hart as trapping in `mscratch` and restarts `sp` at the top of the hart's
//! own stack, so a trap caused by a wild stack pointer still gets reported. A
//! trap inside the trap handler writes the finisher directly.

use core::arch::global_asm;

use crate::exit::{exit, EXIT_PANIC, EXIT_TRAP};
use crate::memmap::{TEST_FINISHER_BASE, TEST_FINISHER_FAIL};
use crate::println;

global_asm!(
    r#"
    .section .text._strand_trap_entry, "ax", @progbits
    .balign 4
    .globl _strand_trap_entry
_strand_trap_entry:
    csrrwi  t0, mscratch, 1     # t0 = were we already in the handler?
    bnez    t0, 1f
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    csrr    a3, mhartid
    mv      a4, sp
    la      t1, __stacks_start  # sp = top of this hart's stack
    addi    t2, a3, 1
    slli    t2, t2, {stack_shift}
    add     sp, t1, t2
    call    _strand_trap        # never returns
1:  li      t1, {finisher}      # trap while reporting a trap: stop at once
    li      t2, {double_trap}
    sw      t2, 0(t1)
    csrw    mie, zero
2:  wfi
    j       2b
    "#,
    stack_shift = const crate::boot::STACK_SHIFT,
    finisher = const TEST_FINISHER_BASE,
    double_trap = const ((EXIT_TRAP as u32) << 16) | TEST_FINISHER_FAIL,
);

/// Name of a synchronous exception or interrupt cause.
fn cause_name(mcause: usize) -> &'static str {
    let interrupt = mcause >> (usize::BITS - 1) != 0;
    let code = mcause & !(1 << (usize::BITS - 1));
    match (interrupt, code) {
        (false, 0) => "instruction address misaligned",
        (false, 1) => "instruction access fault",
        (false, 2) => "illegal instruction",
        (false, 3) => "breakpoint",
        (false, 4) => "load address misaligned",
        (false, 5) => "load access fault",
        (false, 6) => "store/AMO address misaligned",
        (false, 7) => "store/AMO access fault",
        (false, 8) => "environment call from U-mode",
        (false, 9) => "environment call from S-mode",
        (false, 11) => "environment call from M-mode",
        (false, 12) => "instruction page fault",
        (false, 13) => "load page fault",
        (false, 15) => "store/AMO page fault",
        (true, 3) => "machine software interrupt",
        (true, 7) => "machine timer interrupt",
        (true, 11) => "machine external interrupt",
        (true, _) => "interrupt",
        (false, _) => "exception",
    }
}

/// Reports an unexpected trap and stops the machine.
#[no_mangle]
extern "C" fn _strand_trap(mcause: usize, mepc: usize, mtval: usize, hart: usize, sp: usize) -> ! {
    println!(
        "hart {hart}: unhandled trap mcause={mcause:#x} mepc={mepc:#x} mtval={mtval:#x} \
         sp={sp:#x} ({})",
        cause_name(mcause)
    );
    if crate::boot::booted() && !crate::boot::stack_canary_ok(hart) {
        println!("hart {hart}: its stack canary is overwritten: probably a stack overflow");
    }
    exit(EXIT_TRAP)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let hart = crate::hart_id();
    match info.location() {
        Some(loc) => println!(
            "hart {hart} panicked: {} at {}:{}",
            info.message(),
            loc.file(),
            loc.line()
        ),
        None => println!("hart {hart} panicked: {}", info.message()),
    }
    exit(EXIT_PANIC)
}
