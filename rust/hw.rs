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
use crate::desc::{
    Descriptor,
    Format, //
};
use crate::error::Result;
use crate::geometry::Level;

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

/// How a [`Table`] was reached: which store path its entries take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// The top table of a tree (`swapper_pg_dir`): its entries are stored
    /// with [`PageTableHw::write_top`].
    Root,
    /// A table reached through a table descriptor, or allocated to become
    /// one: its entries are stored with [`PageTableHw::write`].
    Linked,
}

/// A page table: its physical address, the level of its entries and how
/// it is reached.
///
/// # Invariants
///
/// `pa` is the address of a table of `level` entries that the
/// [`PageTableHw`] it is used with owns or can reach: the root it was built
/// from, a table it allocated, or one named by a table descriptor read from
/// such a table. Values are built only by [`Table::root`] and
/// [`Table::allocated`] (both `unsafe`, their callers promise it) and, in
/// this crate, from a table descriptor loaded from a `Table` with the
/// tree's format (`walk::load()`). The kernel's hardware, `KernelHw`, is
/// private to `glue/mm.rs`, which builds every tree it is used with from
/// `swapper_pg_dir` and the live format: a `Table` made from a false
/// [`TableRead`] or another format never reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table {
    pa: PhysAddr,
    level: Level,
    origin: Origin,
}

impl Table {
    /// The top table of a tree.
    ///
    /// # Safety
    ///
    /// - `pa` is the top table of a tree of `level` entries that the
    ///   [`PageTableHw`] it will be passed to reads and writes (the kernel:
    ///   `swapper_pg_dir`, at the configuration's start level).
    #[inline(always)]
    pub const unsafe fn root(pa: PhysAddr, level: Level) -> Table {
        // INVARIANT: The caller promises the tree.
        Table {
            pa,
            level,
            origin: Origin::Root,
        }
    }

    /// A table that [`PageTableHw::alloc_table`] has just allocated.
    ///
    /// # Safety
    ///
    /// - `pa` is a page the implementation allocated as a table of `level`
    ///   entries and has not freed.
    #[inline(always)]
    pub const unsafe fn allocated(pa: PhysAddr, level: Level) -> Table {
        // INVARIANT: The caller promises the allocation.
        Table {
            pa,
            level,
            origin: Origin::Linked,
        }
    }

    /// The table `d` points to, if it is a table descriptor.
    ///
    /// # Safety
    ///
    /// - `d` was loaded from an entry of `self`.
    /// - `fmt` is the format of `self`'s tree.
    #[inline(always)]
    pub(crate) unsafe fn below(self, fmt: &Format, d: Descriptor) -> Option<Table> {
        // SAFETY: By the function's safety requirement.
        unsafe { Table::linked_by(fmt, d, self.level) }
    }

    /// The table `d` points to, if it is a table descriptor.
    ///
    /// # Safety
    ///
    /// - `d` was loaded from an entry at `level` of a [`Table`], or is about
    ///   to be stored into one and names a table allocated for the next
    ///   level.
    /// - `fmt` is the format of that table's tree.
    #[inline(always)]
    pub(crate) unsafe fn linked_by(fmt: &Format, d: Descriptor, level: Level) -> Option<Table> {
        let next = level.next()?;
        // INVARIANT: By the function's safety requirement, a table
        // descriptor of a table names a table of the next level (the
        // tree's own invariant, which the kernel's walkers rely on too).
        d.is_table(level).then(|| Table {
            pa: d.output_address(fmt),
            level: next,
            origin: Origin::Linked,
        })
    }

    /// The table's physical address.
    #[inline(always)]
    pub const fn pa(self) -> PhysAddr {
        self.pa
    }

    /// The level of the table's entries.
    #[inline(always)]
    pub const fn level(self) -> Level {
        self.level
    }

    /// Whether this is the top table of its tree.
    #[inline(always)]
    pub const fn is_root(self) -> bool {
        matches!(self.origin, Origin::Root)
    }
}

/// Reading table entries: all a lookup, a count or a dump needs.
pub trait TableRead {
    /// Reads entry `index` of `table`, with `READ_ONCE()` semantics.
    fn read(&self, table: Table, index: usize) -> Descriptor;

    /// Reads entries `first..first + out.len()` of `table` into `out`, each
    /// as [`read`](Self::read) does (a contiguous group, for the auditor).
    fn read_run(&self, table: Table, first: usize, out: &mut [Descriptor]) {
        for (k, d) in out.iter_mut().enumerate() {
            *d = self.read(table, first + k);
        }
    }
}

/// Where tables live and how stores become visible.
///
/// An entry is named by its [`Table`] and index.
pub trait PageTableHw: TableRead {
    /// Writes an entry of a table below the top one, with `WRITE_ONCE()`
    /// semantics and no barrier (`__set_pte_nosync()`); callers issue
    /// [`dsb_ishst`](Self::dsb_ishst).
    fn write(&mut self, table: Table, index: usize, desc: Descriptor);

    /// Writes an entry of the top table of a tree (the one a walk starts
    /// from), with the barriers of [`write`](Self::write) at least.
    ///
    /// The kernel's top table is `swapper_pg_dir`, whose linear alias is
    /// read-only once `mark_linear_text_alias_ro()` has run: its stores go
    /// through `set_swapper_pgd()`, as `set_pud()`/`set_pmd()` do when
    /// `in_swapper_pgdir()`. It holds leaves on 3-level 4K and 2-level
    /// 16K/64K kernels. Use [`set_entry`], which picks the path.
    fn write_top(&mut self, table: Table, index: usize, desc: Descriptor);

    /// Allocates a table for `level`, initialized as `init` says.
    ///
    /// # Errors
    ///
    /// [`Error::NoMemory`](crate::error::Error::NoMemory) when no page is
    /// available.
    fn alloc_table(&mut self, level: Level, init: TableInit) -> Result<Table>;

    /// Frees a table.
    ///
    /// # Safety
    ///
    /// - `table` was allocated by this implementation's
    ///   [`alloc_table`](Self::alloc_table) and not freed yet.
    /// - No walker can reach it (never linked, or unlinked and a TLB
    ///   invalidation covered it since), and no [`Table`] of it is used
    ///   afterwards.
    unsafe fn free_table(&mut self, table: Table);

    /// `dsb(ishst)`: earlier table stores are visible to the walker.
    fn dsb_ishst(&mut self);

    /// `isb()`.
    fn isb(&mut self);

    /// `flush_tlb_kernel_range(start, end)`, which includes `dsb(ish)`
    /// before and after the invalidation. It invalidates last-level
    /// entries only (`TLBI VAALE1IS`): walk caches may still hold the
    /// table entries above them.
    fn flush_tlb_kernel_range(&mut self, start: VirtAddr, end: VirtAddr);

    /// `__flush_tlb_kernel_pgtable(va)`: every cached entry, at any level,
    /// used to translate `va` (`TLBI VAAE1IS`, with `dsb(ish)` before and
    /// after and an `isb`): what must come between unlinking a table and
    /// freeing it.
    fn flush_tlb_kernel_pgtable(&mut self, va: VirtAddr);

    /// Whether [`free_table`](Self::free_table) may free `table`: tables
    /// from [`alloc_table`](Self::alloc_table) may be, the kernel's boot
    /// tables (from memblock, reserved pages) may not.
    fn table_freeable(&self, table: Table) -> bool {
        let _ = table;
        true
    }
}

impl<T: TableRead + ?Sized> TableRead for &T {
    #[inline(always)]
    fn read(&self, table: Table, index: usize) -> Descriptor {
        (**self).read(table, index)
    }

    #[inline(always)]
    fn read_run(&self, table: Table, first: usize, out: &mut [Descriptor]) {
        (**self).read_run(table, first, out)
    }
}

impl<T: TableRead + ?Sized> TableRead for &mut T {
    #[inline(always)]
    fn read(&self, table: Table, index: usize) -> Descriptor {
        (**self).read(table, index)
    }

    #[inline(always)]
    fn read_run(&self, table: Table, first: usize, out: &mut [Descriptor]) {
        (**self).read_run(table, first, out)
    }
}

impl<T: PageTableHw + ?Sized> PageTableHw for &mut T {
    #[inline(always)]
    fn write(&mut self, table: Table, index: usize, desc: Descriptor) {
        (**self).write(table, index, desc)
    }
    #[inline(always)]
    fn write_top(&mut self, table: Table, index: usize, desc: Descriptor) {
        (**self).write_top(table, index, desc)
    }
    #[inline(always)]
    fn alloc_table(&mut self, level: Level, init: TableInit) -> Result<Table> {
        (**self).alloc_table(level, init)
    }
    #[inline(always)]
    unsafe fn free_table(&mut self, table: Table) {
        // SAFETY: The caller's requirements are the ones it passes on.
        unsafe { (**self).free_table(table) }
    }
    #[inline(always)]
    fn dsb_ishst(&mut self) {
        (**self).dsb_ishst()
    }
    #[inline(always)]
    fn isb(&mut self) {
        (**self).isb()
    }
    #[inline(always)]
    fn flush_tlb_kernel_range(&mut self, start: VirtAddr, end: VirtAddr) {
        (**self).flush_tlb_kernel_range(start, end)
    }
    #[inline(always)]
    fn flush_tlb_kernel_pgtable(&mut self, va: VirtAddr) {
        (**self).flush_tlb_kernel_pgtable(va)
    }
    #[inline(always)]
    fn table_freeable(&self, table: Table) -> bool {
        (**self).table_freeable(table)
    }
}

/// Stores `desc` in entry `index` of `table`: through
/// [`PageTableHw::write_top`] for the top table, as the kernel's `set_p?d()`
/// helpers check `in_swapper_pgdir()`.
#[inline(always)]
pub fn set_entry<H: PageTableHw + ?Sized>(
    hw: &mut H,
    table: Table,
    index: usize,
    desc: Descriptor,
) {
    if table.is_root() {
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
