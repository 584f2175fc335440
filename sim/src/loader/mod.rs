//! Loading a program: ELF segments into DRAM, and the flattened device tree the firmware reads.

pub mod dtb;
pub mod elf;
