//! What the co-simulation tests share.

use std::path::PathBuf;

/// The bytes of `build/firmware/<name>.elf`.
pub fn firmware(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../build/firmware")
        .join(format!("{name}.elf"));
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: build the firmware with scripts/build-firmware (scripts/test does)",
            p.display()
        )
    })
}
