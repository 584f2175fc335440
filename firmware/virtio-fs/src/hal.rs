//! What the driver needs from the platform: DMA-able memory, virtual-to-physical translation and
//! memory barriers.

use core::ptr::NonNull;

/// Platform services.
///
/// # Safety
/// `dma_alloc` must return memory the device can read and write at `virt_to_phys(ptr)`, zeroed,
/// aligned as asked, and not used by anything else until `dma_dealloc`.
pub unsafe trait Hal: 'static {
    /// Allocates `size` bytes (non-zero) aligned to `align` (a power of two), zeroed.
    fn dma_alloc(size: usize, align: usize) -> Option<NonNull<u8>>;
    /// Frees memory from `dma_alloc`.
    ///
    /// # Safety
    /// `ptr`, `size`, `align` must be exactly those of one earlier `dma_alloc`, freed once.
    unsafe fn dma_dealloc(ptr: NonNull<u8>, size: usize, align: usize);
    /// The device-visible (physical) address of `va`.
    fn virt_to_phys(va: usize) -> u64;
    /// Full barrier: memory and device accesses before it are ordered before those after it.
    fn mb();
    /// Orders memory writes (the driver's ring updates) before later writes.
    fn wmb();
    /// Orders memory reads (the device's ring updates) before later reads.
    fn rmb();
}

/// Heap memory with physical == virtual (Strand and QEMU `virt` in M-mode, and host tests).
pub struct IdentityHal;

// SAFETY: the global allocator hands out exclusive, aligned memory; with no MMU (M-mode) its
// addresses are physical, and all of DRAM is visible to the device.
unsafe impl Hal for IdentityHal {
    fn dma_alloc(size: usize, align: usize) -> Option<NonNull<u8>> {
        let layout = core::alloc::Layout::from_size_align(size.max(1), align).ok()?;
        // SAFETY: the layout has a non-zero size.
        NonNull::new(unsafe { alloc::alloc::alloc_zeroed(layout) })
    }

    unsafe fn dma_dealloc(ptr: NonNull<u8>, size: usize, align: usize) {
        let layout = core::alloc::Layout::from_size_align(size.max(1), align).unwrap();
        // SAFETY: the caller passes back exactly one earlier allocation.
        unsafe { alloc::alloc::dealloc(ptr.as_ptr(), layout) }
    }

    fn virt_to_phys(va: usize) -> u64 {
        va as u64
    }

    fn mb() {
        #[cfg(target_arch = "riscv64")]
        // SAFETY: a fence has no effect besides ordering.
        unsafe {
            core::arch::asm!("fence iorw, iorw")
        };
        #[cfg(not(target_arch = "riscv64"))]
        core::sync::atomic::fence(core::sync::atomic::Ordering::SeqCst);
    }

    fn wmb() {
        #[cfg(target_arch = "riscv64")]
        // SAFETY: a fence has no effect besides ordering.
        unsafe {
            core::arch::asm!("fence w, w")
        };
        #[cfg(not(target_arch = "riscv64"))]
        core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
    }

    fn rmb() {
        #[cfg(target_arch = "riscv64")]
        // SAFETY: a fence has no effect besides ordering.
        unsafe {
            core::arch::asm!("fence r, r")
        };
        #[cfg(not(target_arch = "riscv64"))]
        core::sync::atomic::fence(core::sync::atomic::Ordering::Acquire);
    }
}

/// An owned DMA buffer.
pub struct DmaBuf<H: Hal> {
    ptr: NonNull<u8>,
    len: usize,
    align: usize,
    _hal: core::marker::PhantomData<H>,
}

// SAFETY: the buffer is exclusively owned memory.
unsafe impl<H: Hal> Send for DmaBuf<H> {}
// SAFETY: shared access only reads.
unsafe impl<H: Hal> Sync for DmaBuf<H> {}

impl<H: Hal> DmaBuf<H> {
    /// A zeroed buffer of `len` bytes aligned to `align`.
    pub fn new(len: usize, align: usize) -> crate::Result<Self> {
        let ptr = H::dma_alloc(len.max(1), align).ok_or(crate::Error::NoMemory)?;
        Ok(DmaBuf {
            ptr,
            len,
            align,
            _hal: core::marker::PhantomData,
        })
    }

    /// A buffer holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> crate::Result<Self> {
        let mut b = Self::new(data.len(), 16)?;
        b.as_mut_slice().copy_from_slice(data);
        Ok(b)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Device address.
    pub fn phys(&self) -> u64 {
        H::virt_to_phys(self.ptr.as_ptr() as usize)
    }

    /// Pointer to the start.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Contents.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` bytes were allocated (at least 1) and are initialized (zeroed).
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Contents, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<H: Hal> Drop for DmaBuf<H> {
    fn drop(&mut self) {
        // SAFETY: this is the allocation made in `new`, freed once.
        unsafe { H::dma_dealloc(self.ptr, self.len.max(1), self.align) }
    }
}
