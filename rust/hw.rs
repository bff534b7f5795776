// SPDX-License-Identifier: GPL-2.0

//! The hardware seam: every effect a page-table operation has on the
//! machine goes through [`PageTableHw`].
//!
//! The kernel implements it with `READ_ONCE()`/`__set_pte_nosync()`,
//! `pagetable_alloc()`, `dsb()`/`isb()` and `flush_tlb_kernel_range()`; the
//! host model implements it over an arena of tables, and the auditor wraps
//! any implementation to check each store.

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::Descriptor;
use crate::error::Result;
use crate::geometry::{
    Geometry,
    Level, //
};

/// What a new table holds when [`PageTableHw::alloc_table`] returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableInit {
    /// Every entry none, with the barrier that makes the zeroing visible to
    /// the walker (`init_clear_pgtable()`).
    Zeroed,
    /// Anything: the caller stores every entry before it publishes the
    /// table, as `split_pmd()`/`split_pud()` do (7.3's
    /// `__pgd_pgtable_alloc()` does not zero).
    Overwritten,
}

/// Where tables live and how stores become visible.
///
/// Tables are named by their physical address; an entry by its table and
/// index.
pub trait PageTableHw {
    /// Reads an entry, with `READ_ONCE()` semantics.
    fn read(&self, table: PhysAddr, index: usize) -> Descriptor;

    /// Writes an entry of a table below the top one, with `WRITE_ONCE()`
    /// semantics and no barrier (`__set_pte_nosync()`); callers issue
    /// [`dsb_ishst`](Self::dsb_ishst).
    fn write(&mut self, table: PhysAddr, index: usize, desc: Descriptor);

    /// Writes an entry of the top table of a tree (the one a walk starts
    /// from), with the barriers of [`write`](Self::write) at least.
    ///
    /// The kernel's top table is `swapper_pg_dir`, whose linear alias is
    /// read-only once `mark_linear_text_alias_ro()` has run: its stores go
    /// through `set_swapper_pgd()`, as `set_pud()`/`set_pmd()` do when
    /// `in_swapper_pgdir()`. It holds leaves on 3-level 4K and 2-level
    /// 16K/64K kernels. Use [`set_entry`], which picks the path.
    fn write_top(&mut self, table: PhysAddr, index: usize, desc: Descriptor);

    /// Allocates a table for `level`, initialized as `init` says.
    ///
    /// # Errors
    ///
    /// [`Error::NoMemory`](crate::error::Error::NoMemory) when no page is
    /// available.
    fn alloc_table(&mut self, level: Level, init: TableInit) -> Result<PhysAddr>;

    /// Frees a table that is no longer reachable.
    fn free_table(&mut self, table: PhysAddr, level: Level);

    /// `dsb(ishst)`: earlier table stores are visible to the walker.
    fn dsb_ishst(&mut self);

    /// `isb()`.
    fn isb(&mut self);

    /// `flush_tlb_kernel_range(start, end)`, which includes `dsb(ish)`
    /// before and after the invalidation.
    fn flush_tlb_kernel_range(&mut self, start: VirtAddr, end: VirtAddr);

    /// `flush_tlb_all()`.
    fn flush_tlb_all(&mut self);
}

/// Stores `desc` in entry `index` of `table`, a table at `level`: through
/// [`PageTableHw::write_top`] when `level` is the top one, as the kernel's
/// `set_p?d()` helpers check `in_swapper_pgdir()`.
#[inline(always)]
pub fn set_entry<H: PageTableHw>(
    hw: &mut H,
    g: &Geometry,
    table: PhysAddr,
    index: usize,
    level: Level,
    desc: Descriptor,
) {
    if level == g.start_level() {
        hw.write_top(table, index, desc);
    } else {
        hw.write(table, index, desc);
    }
}

/// The other effect linmap has on the machine: a call to firmware through
/// the SMC conduit (`arm_smccc_smc()`), for the RSI.
///
/// The kernel implements it with the `smc #0` instruction; host tests with
/// fakes and with the realm emulator's RSI state machine.
pub trait Firmware {
    /// Issues `smc #0` with `x[0]` (the function ID) to `x[7]`; returns x0
    /// to x3.
    fn smc(&mut self, x: [u64; 8]) -> [u64; 4];
}
