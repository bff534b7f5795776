// SPDX-License-Identifier: GPL-2.0

//! The one walker: a tree of tables with the hardware that holds it
//! ([`PageTables`]), and the traversal every operation is written with.
//!
//! C: [`mm/pagewalk.c`](srctree/mm/pagewalk.c) `walk_kernel_page_table_range()`
//! and the `p?d_offset()` descents of
//! [`arch/arm64/mm/mmu.c`](srctree/arch/arm64/mm/mmu.c).
//!
//! The splits ([`crate::split`]), the attribute changes
//! ([`crate::pageattr`]), the builder (`crate::linear`) and the queries
//! below are methods of [`PageTables`]; each visits entries through
//! [`PageTables::walk`] or descends to one entry through
//! [`PageTables::lookup_slot`].

use crate::addr::VirtAddr;
use crate::desc::{
    Descriptor,
    Format,
    Kind,
    PTE_CONT, //
};
use crate::geometry::Level;
use crate::hw::{
    PageTableHw,
    Table,
    TableRead, //
};

/// An entry of a table as it was loaded: where it is, the first address it
/// maps, the descriptor read from it and the table that descriptor names.
///
/// # Invariants
///
/// `desc` was loaded from entry `index` of `table`, `index` is below the
/// table's entry count, and `below` is the table `desc` names, decoded
/// with the tree's format: values are built only by `load()`.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    table: Table,
    index: usize,
    va: VirtAddr,
    desc: Descriptor,
    below: Option<Table>,
}

impl Slot {
    /// The table holding the entry.
    #[inline(always)]
    pub const fn table(&self) -> Table {
        self.table
    }

    /// The entry's index in its table.
    #[inline(always)]
    pub const fn index(&self) -> usize {
        self.index
    }

    /// The first address the entry maps.
    #[inline(always)]
    pub const fn va(&self) -> VirtAddr {
        self.va
    }

    /// The level of the entry.
    #[inline(always)]
    pub const fn level(&self) -> Level {
        self.table.level()
    }

    /// The descriptor that was loaded.
    #[inline(always)]
    pub const fn desc(&self) -> Descriptor {
        self.desc
    }

    /// The table the loaded descriptor points to, if it is a table
    /// descriptor.
    #[inline(always)]
    pub const fn below(&self) -> Option<Table> {
        self.below
    }
}

/// Loads entry `index` of `table`, which maps `va` onwards (`READ_ONCE()`).
///
/// The caller passes an `index` below the table's entry count (the walker
/// and `Geometry::index()` give no other) and the tree's format (the one
/// its `PageTables` holds).
#[inline(always)]
pub(crate) fn load<H: TableRead + ?Sized>(
    hw: &H,
    fmt: &Format,
    table: Table,
    index: usize,
    va: VirtAddr,
) -> Slot {
    let desc = hw.read(table, index);
    // SAFETY: `desc` was just loaded from an entry of `table`, and `fmt` is
    // the tree's, by the caller's word.
    let below = unsafe { table.below(fmt, desc) };
    // INVARIANT: `desc` is what entry `index` of `table` holds, `below`
    // what it names.
    Slot {
        table,
        index,
        va,
        desc,
        below,
    }
}

/// What [`PageTables::walk`] does once its visitor has seen an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Visit the table the loaded descriptor points to, one level down, if
    /// it is a table descriptor: what a visitor that changes no table
    /// entry returns.
    Descend,
    /// Visit this table instead (one the visitor has just linked in place
    /// of the loaded entry, as a split does).
    Into(Table),
    /// Go on with the entry's next sibling.
    Over,
}

/// A tree of tables, the hardware that holds it and the descriptor format:
/// what every walk and every operation works on.
///
/// `H` is a [`TableRead`] for lookups, counts and dumps, a
/// [`PageTableHw`] (by value, or `&mut` of one) for changes.
///
/// On the host, over the MMU model:
///
/// ```
/// use linmap::addr::{PhysAddr, VirtAddr};
/// use linmap::desc::Format;
/// use linmap::geometry::{Geometry, Granule, Level};
/// use linmap::host::model::HostMmu;
/// use linmap::pageattr::{PageChange, Split};
/// use linmap::walk::PageTables;
///
/// let fmt = Format::new(Geometry::new(Granule::K4, 48, false).unwrap());
/// let mut mmu = HostMmu::new(fmt);
/// let root = mmu.root();
/// let mut pt = PageTables::new(&mut mmu, &fmt, root);
/// let va = VirtAddr(fmt.geometry.page_offset());
/// // 2M mapped as one PMD block, then one page of it made read-only.
/// pt.create_pgd_mapping(PhysAddr(0x4000_0000), va, 2 << 20, fmt.prot_normal(), 0)?;
/// pt.update_range_prot(va + 0x3000, 0x1000, PageChange::ro(), Split::Allowed)?;
/// let (d, level) = pt.lookup(va + 0x3000).unwrap();
/// assert!(level == Level::Pte && d.rdonly());
/// # Ok::<(), linmap::error::Error>(())
/// ```
pub struct PageTables<'a, H> {
    hw: H,
    fmt: &'a Format,
    root: Table,
    /// The first address entry 0 of `root` maps.
    base: VirtAddr,
}

impl<'a, H: TableRead> PageTables<'a, H> {
    /// The tree whose top table is `root`, as the kernel's `init_mm`: entry
    /// 0 of `root` maps the first address of the TTBR1 region.
    #[inline(always)]
    pub fn new(hw: H, fmt: &'a Format, root: Table) -> Self {
        PageTables {
            hw,
            fmt,
            root,
            base: VirtAddr(fmt.geometry.page_offset()),
        }
    }

    /// The part of a tree below `table`, whose entry 0 maps `base`.
    #[inline(always)]
    pub fn subtree(hw: H, fmt: &'a Format, table: Table, base: VirtAddr) -> Self {
        PageTables {
            hw,
            fmt,
            root: table,
            base,
        }
    }

    /// The hardware.
    #[inline(always)]
    pub fn hw(&self) -> &H {
        &self.hw
    }

    /// The hardware, for effects outside the tree's operations.
    #[inline(always)]
    pub fn hw_mut(&mut self) -> &mut H {
        &mut self.hw
    }

    /// The descriptor format.
    #[inline(always)]
    pub fn fmt(&self) -> &'a Format {
        self.fmt
    }

    /// The top table.
    #[inline(always)]
    pub fn root(&self) -> Table {
        self.root
    }

    /// Calls `f` with each entry of the tree, at any level, whose range
    /// meets `[start, end)`, top down, and the descriptor it loaded; `f`
    /// says whether to descend (so that it may split, and need not descend
    /// into a table it has just filled). Unlike the kernel's walker, `f`
    /// also sees entries that are none above the last level.
    ///
    /// # Errors
    ///
    /// The first error `f` returns, which ends the walk.
    #[inline(always)]
    pub fn walk<E, F>(&mut self, start: VirtAddr, end: VirtAddr, mut f: F) -> Result<(), E>
    where
        F: FnMut(&mut H, Slot, Descriptor) -> Result<Next, E>,
    {
        let (root, base) = (self.root, self.base);
        walk_table(&mut self.hw, self.fmt, root, base, start.0, end.0, &mut f)
    }

    /// The entry that maps `va` at the last level the tree reaches for it
    /// (a leaf, or the hole that stops the walk), with its descriptor.
    #[inline(always)]
    pub fn lookup_slot(&self, va: VirtAddr) -> (Slot, Descriptor) {
        let g = self.fmt.geometry;
        let mut table = self.root;
        loop {
            let level = table.level();
            let slot = load(
                &self.hw,
                self.fmt,
                table,
                g.index(va.0, level),
                va.align_down(g.entry_size(level)),
            );
            match slot.below() {
                Some(t) => table = t,
                None => return (slot, slot.desc()),
            }
        }
    }

    /// The present leaf (valid or present-invalid) that maps `va`, with its
    /// level; `None` for a hole.
    pub fn lookup(&self, va: VirtAddr) -> Option<(Descriptor, Level)> {
        let (slot, d) = self.lookup_slot(va);
        d.is_leaf(slot.level()).then_some((d, slot.level()))
    }

    /// Counts the leaves that map `[start, end)` (a leaf that only partly
    /// overlaps the range counts once).
    pub fn leaf_counts(&mut self, start: VirtAddr, end: VirtAddr) -> LeafCounts {
        let mut counts = LeafCounts::default();
        let _ = self.walk(start, end, |_, slot, d| -> Result<Next, ()> {
            counts.note(d, slot.level());
            Ok(Next::Descend)
        });
        counts
    }
}

impl<H: PageTableHw> PageTables<'_, H> {
    /// Frees the top table and every table below it.
    ///
    /// # Safety
    ///
    /// - No walker can reach the tree: it is private (never linked), or
    ///   unlinked and a TLB invalidation covered it since. In particular it
    ///   is not the kernel's tree, whose top table is `swapper_pg_dir`.
    /// - Every table of it was allocated by this hardware's
    ///   [`PageTableHw::alloc_table`] and not freed yet.
    /// - No [`Table`] of it is used afterwards.
    pub unsafe fn free_tree(mut self) {
        let (fmt, root) = (self.fmt, self.root);
        // SAFETY: By the function's safety requirements.
        unsafe { free_table_tree(&mut self.hw, fmt, root) };
    }
}

/// Frees `table` after the tables below it: the one walk that must visit a
/// table's entries before the table itself is gone.
///
/// # Safety
///
/// - As [`PageTables::free_tree`], for the tree below `table`.
unsafe fn free_table_tree<H: PageTableHw>(hw: &mut H, fmt: &Format, table: Table) {
    if !table.level().is_last() {
        for i in 0..fmt.geometry.entries(table.level()) {
            if let Some(t) = load(hw, fmt, table, i, VirtAddr(0)).below() {
                // SAFETY: A table of the tree, by the caller's requirements.
                unsafe { free_table_tree(hw, fmt, t) };
            }
        }
    }
    // SAFETY: As above; its tables below are freed, and nothing else
    // reaches it.
    unsafe { hw.free_table(table) };
}

/// [`PageTables::walk`] over `table`, whose entry 0 maps `base`.
fn walk_table<H, E, F>(
    hw: &mut H,
    fmt: &Format,
    table: Table,
    base: VirtAddr,
    start: u64,
    end: u64,
    f: &mut F,
) -> Result<(), E>
where
    H: TableRead,
    F: FnMut(&mut H, Slot, Descriptor) -> Result<Next, E>,
{
    let g = fmt.geometry;
    let size = g.entry_size(table.level());
    let base = base.0;
    let first = if start > base {
        ((start - base) / size) as usize
    } else {
        0
    };
    for index in first..g.entries(table.level()) {
        let va = base.wrapping_add(index as u64 * size);
        if va >= end || va < base {
            break;
        }
        let va = VirtAddr(va);
        let slot = load(hw, fmt, table, index, va);
        let below = match f(hw, slot, slot.desc())? {
            Next::Descend => slot.below(),
            Next::Into(t) => Some(t),
            Next::Over => None,
        };
        if let Some(below) = below {
            walk_table(hw, fmt, below, va, start, end, f)?;
        }
    }
    Ok(())
}

/// How many leaf descriptors of each kind map a range, as the ptdump
/// summary counts them: one per descriptor, contiguous entries counted
/// one by one; and how many tables are below the top one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeafCounts {
    /// Valid blocks two levels above the last (`PUD` with 4K pages).
    pub pud: usize,
    /// Valid blocks one level above the last with `PTE_CONT`.
    pub cont_pmd: usize,
    /// Valid blocks one level above the last without `PTE_CONT`.
    pub pmd: usize,
    /// Valid last-level pages with `PTE_CONT`.
    pub cont_pte: usize,
    /// Valid last-level pages without `PTE_CONT`.
    pub pte: usize,
    /// Present-invalid leaves at any level.
    pub present_invalid: usize,
    /// Table descriptors (page-table pages below the top one).
    pub tables: usize,
}

impl LeafCounts {
    fn note(&mut self, d: Descriptor, level: Level) {
        let cont = d.bits() & PTE_CONT != 0;
        let slot = match d.kind(level) {
            Kind::PresentInvalid => &mut self.present_invalid,
            Kind::Page if cont => &mut self.cont_pte,
            Kind::Page => &mut self.pte,
            Kind::Block if level.is_above_last() && cont => &mut self.cont_pmd,
            Kind::Block if level.is_above_last() => &mut self.pmd,
            Kind::Block => &mut self.pud,
            Kind::Table => &mut self.tables,
            _ => return,
        };
        *slot += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::PhysAddr;
    use crate::geometry::{
        Geometry,
        Granule, //
    };
    use crate::host::model::HostMmu;

    #[test]
    fn lookup_and_free() {
        let fmt = Format::new(Geometry::new(Granule::K4, 48, false).unwrap());
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        let va = VirtAddr(fmt.geometry.page_offset());
        let mut pt = PageTables::new(&mut m, &fmt, root);
        pt.create_pgd_mapping(
            PhysAddr(0x4000_0000),
            va,
            (2 << 20) + 0x3000,
            fmt.prot_normal(),
            0,
        )
        .unwrap();
        let (d, l) = pt.lookup(va + 0x1234).unwrap();
        assert_eq!((d.kind(l), l), (Kind::Block, Level::Pmd));
        let (d, l) = pt.lookup(va + (2 << 20) + 0x2fff).unwrap();
        assert_eq!(
            (d.output_address(&fmt), l),
            (PhysAddr(0x4020_2000), Level::Pte)
        );
        assert_eq!(pt.lookup(va + (2 << 20) + 0x3000), None);
        let counts = pt.leaf_counts(va, va + (4 << 20));
        assert_eq!((counts.pmd, counts.pte), (1, 3));
        // SAFETY: The model has no walker of its own, every table was
        // allocated by it, and `m` is not used through a table afterwards.
        unsafe { pt.free_tree() };
        assert_eq!(m.table_count(), 0);
        assert_eq!(m.stats.frees, 4);
    }
}
