//! Traces: the per-instruction commit record and the Spike-format commit log.

pub mod commit_log;

pub use commit_log::CommitLog;

/// Architectural effects of one retired instruction (what Spike's `--log-commits` prints).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// pc of the instruction.
    pub pc: u64,
    /// Its encoding.
    pub raw: u32,
    /// Integer register written (never x0).
    pub rd: Option<(u8, u64)>,
    /// CSRs written, in program order (at most two per instruction).
    pub csrs: [(u16, u64); 2],
    /// How many entries of `csrs` are valid.
    pub ncsr: u8,
    /// Address of a load (or the read half of an AMO / LR).
    pub load: Option<u64>,
    /// Address, value and size of a store (or the write half of an AMO / successful SC).
    pub store: Option<(u64, u64, u8)>,
    /// The instruction wrote `minstret` (so it does not also count itself).
    pub wrote_minstret: bool,
    /// Address of an SC (also when it fails and stores nothing), for the timing model; not
    /// part of the commit log.
    pub atomic: Option<u64>,
}

impl Commit {
    /// Clear for a new instruction at `pc`.
    #[inline]
    pub fn reset(&mut self, pc: u64) {
        self.pc = pc;
        self.raw = 0;
        self.rd = None;
        self.ncsr = 0;
        self.load = None;
        self.store = None;
        self.wrote_minstret = false;
        self.atomic = None;
    }

    /// Record a CSR write.
    #[inline]
    pub fn csr(&mut self, num: u16, val: u64) {
        if (self.ncsr as usize) < self.csrs.len() {
            self.csrs[self.ncsr as usize] = (num, val);
            self.ncsr += 1;
        }
    }
}
