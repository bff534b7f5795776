// SPDX-License-Identifier: GPL-2.0

//! Splitting live leaf mappings of the kernel's linear map.
//!
//! C: [`arch/arm64/mm/mmu.c`](srctree/arch/arm64/mm/mmu.c):
//! `split_contpte()`, `split_pmd()`, `split_contpmd()`, `split_pud()`,
//! `split_kernel_leaf_mapping_locked()`, `split_kernel_leaf_mapping()`
//! (without its policy, see [`crate::policy`]) and `range_split_to_ptes()`.
//!
//! A block is replaced by a table that maps the same addresses with the
//! same attributes, without break-before-make: this needs BBML3 on every
//! CPU that may be translating through the entry.

use crate::addr::VirtAddr;
use crate::desc::{
    Descriptor,
    Format,
    PMD_TABLE_AF,
    PMD_TABLE_PXN,
    PMD_TABLE_UXN,
    PMD_TYPE_SECT,
    PTE_CONT,
    PTE_PXN,
    PTE_TYPE_MASK,
    PTE_TYPE_PAGE,
    PTE_VALID, //
};
use crate::error::{
    Error,
    Result, //
};
use crate::geometry::Level;
use crate::hw::{
    set_entry,
    PageTableHw,
    Table,
    TableInit, //
};
use crate::walk::{
    load,
    Next,
    PageTables,
    Slot, //
};

/// Whether the leaves a block is split into carry the contiguous hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaves {
    /// Contiguous groups (`split_pud()`/`split_pmd()` with `to_cont`).
    Cont,
    /// Single entries (`range_split_to_ptes()`).
    Single,
}

/// Clears the contiguous bit on every entry of the group holding `slot`
/// (`split_contpte()` / `split_contpmd()`).
fn split_cont<H: PageTableHw>(hw: &mut H, fmt: &Format, slot: Slot) {
    let level = slot.level();
    let n = fmt.geometry.cont_entries(level);
    let first = slot.index() & !(n - 1);
    for i in first..first + n {
        let d = hw.read(slot.table(), i);
        set_entry(hw, slot.table(), i, d.clear(PTE_CONT));
    }
    if !level.is_last() {
        // set_pmd() orders each store.
        hw.dsb_ishst();
        hw.isb();
    }
}

/// Replaces the block at `slot` by a table of next-level leaves with the
/// same attributes (`split_pud()` / `split_pmd()`). Returns the new table.
/// The caller issues `dsb; isb` before it returns.
fn split_block<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    slot: Slot,
    block: Descriptor,
    leaves: Leaves,
) -> Result<Table> {
    let g = fmt.geometry;
    let Some(next) = slot.level().next() else {
        // A page is no block.
        return Err(Error::Invalid);
    };
    let t = hw.alloc_table(next, TableInit::Overwritten)?;
    let mut tableprot = PMD_TABLE_UXN | PMD_TABLE_AF;
    if block.bits() & PTE_PXN != 0 {
        tableprot |= PMD_TABLE_PXN;
    }
    // The leaves keep every attribute, present-invalid included; only the
    // type bits (page or block) and the contiguous bit change.
    let type_bits = if next.is_last() {
        PTE_TYPE_PAGE
    } else {
        PMD_TYPE_SECT
    };
    let mut attrs = block.attrs(fmt) & !(PTE_TYPE_MASK | PTE_CONT);
    if block.is_valid() {
        attrs |= type_bits;
    } else {
        // pte_mkinvalid(): the type bits without the valid bit.
        attrs |= type_bits & !PTE_VALID;
    }
    if leaves == Leaves::Cont {
        attrs |= PTE_CONT;
    }
    // Entry i maps `base + i * step`. The block is naturally aligned and
    // the offsets stay below its size, so adding them to the first
    // descriptor changes only output-address bits that sit in place in
    // every format (LPA2 and 52-bit PA move only bits from 36 up, and a
    // realm's shared bit, bit 31 or higher, is above any block too).
    let step = g.entry_size(next);
    let base = block.output_address(fmt);
    debug_assert!(base.0 & (g.entry_size(slot.level()) - 1) == 0);
    let mut d = Descriptor(attrs).with_output_address(fmt, base).bits();
    for i in 0..g.entries(next) {
        hw.write(t, i, Descriptor(d));
        d = d.wrapping_add(step);
    }
    // The entries are visible to the walker before the table is. The
    // caller ends with `dsb; isb`, as leaving lazy MMU mode does after
    // set_pud()/set_pmd() queued them.
    hw.dsb_ishst();
    set_entry(hw, slot.table(), slot.index(), fmt.table(t.pa(), tableprot));
    Ok(t)
}

/// Whether the final `dsb; isb` of a split is owed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Barriers {
    /// Nothing was split.
    NotNeeded,
    /// A block was split.
    Needed,
}

impl<H: PageTableHw> PageTables<'_, H> {
    /// One step of `split_kernel_leaf_mapping_locked()`: `None` if `addr` is
    /// a multiple of `boundary` (already a leaf boundary at this level) or
    /// the entry for `addr` in `table` is not present; else the entry.
    #[inline(always)]
    fn present_entry(
        &self,
        table: Table,
        addr: VirtAddr,
        boundary: u64,
    ) -> Option<(Slot, Descriptor)> {
        if addr.is_aligned(boundary) {
            return None;
        }
        let g = self.fmt().geometry;
        let level = table.level();
        let va = addr.align_down(g.entry_size(level));
        let slot = load(self.hw(), self.fmt(), table, g.index(addr.0, level), va);
        slot.desc().is_present().then_some((slot, slot.desc()))
    }

    /// `split_kernel_leaf_mapping_locked()`: makes `addr` a leaf boundary,
    /// splitting at most one leaf per level on the way down: a PUD block to
    /// contiguous PMDs, a contiguous PMD group to PMDs, a PMD block to
    /// contiguous PTEs, a contiguous PTE group to PTEs.
    ///
    /// # Errors
    ///
    /// [`Error::NoMemory`] if a table allocation fails; the splits done
    /// before stay (the map is consistent at every step).
    pub fn split_kernel_leaf_mapping_locked(&mut self, addr: VirtAddr) -> Result {
        let mut split = Barriers::NotNeeded;
        let r = self.split_at(addr, &mut split);
        if split == Barriers::Needed {
            // What leaving lazy MMU mode emits after split_pud()/split_pmd().
            self.hw_mut().dsb_ishst();
            self.hw_mut().isb();
        }
        r
    }

    /// [`Self::split_kernel_leaf_mapping_locked`] but the final barriers;
    /// `split` says whether a block was split.
    fn split_at(&mut self, addr: VirtAddr, split: &mut Barriers) -> Result {
        let fmt = self.fmt();
        let g = fmt.geometry;
        let mut table = self.root();
        // Down to the PUD level: nothing above it is ever a leaf.
        while table.level() < Level::Pud {
            let Some((slot, _)) = self.present_entry(table, addr, g.entry_size(table.level()))
            else {
                return Ok(());
            };
            match slot.below() {
                Some(t) => table = t,
                None => return Ok(()),
            }
        }

        if table.level() == Level::Pud {
            let Some((slot, d)) = self.present_entry(table, addr, g.entry_size(Level::Pud)) else {
                return Ok(());
            };
            table = match slot.below() {
                Some(t) => t,
                None if d.is_leaf(Level::Pud) => {
                    *split = Barriers::Needed;
                    split_block(self.hw_mut(), fmt, slot, d, Leaves::Cont)?
                }
                None => return Ok(()),
            };
        }

        // PMD level (the top level of two-level configurations).
        let Some((slot, d)) = self.present_entry(table, addr, g.cont_size(Level::Pmd)) else {
            return Ok(());
        };
        let table = match slot.below() {
            Some(t) => t,
            None if d.is_leaf(Level::Pmd) => {
                if d.cont() {
                    split_cont(self.hw_mut(), fmt, slot);
                }
                if addr.is_aligned(g.entry_size(Level::Pmd)) {
                    return Ok(());
                }
                *split = Barriers::Needed;
                split_block(self.hw_mut(), fmt, slot, d, Leaves::Cont)?
            }
            None => return Ok(()),
        };

        let Some((slot, d)) = self.present_entry(table, addr, g.cont_size(Level::Pte)) else {
            return Ok(());
        };
        if d.cont() {
            split_cont(self.hw_mut(), fmt, slot);
            // __set_pte() queues dsb; isb for valid kernel PTEs, which leaving
            // lazy MMU mode emits.
            self.hw_mut().dsb_ishst();
            self.hw_mut().isb();
        }
        Ok(())
    }

    /// The splitting part of `split_kernel_leaf_mapping()`, once its policy
    /// said to split: `[start, end)` becomes a union of whole leaves, by
    /// splitting at `start` and at `end` only. A single page is split on the
    /// less aligned of its two ends, which splits the other as well.
    ///
    /// The addresses may be tagged (KASAN); as in 7.3, an empty range splits
    /// at `start`.
    ///
    /// An `end` below `start` (`update_range_prot()`'s `start + size`
    /// wrapped) is split at both, as 7.3 does: its caller then refuses the
    /// range without a warning, and so must this split.
    ///
    /// # Errors
    ///
    /// - [`Error::Invalid`] if `start` or `end` is not page aligned.
    /// - [`Error::NoMemory`] from [`Self::split_kernel_leaf_mapping_locked`].
    pub fn split_kernel_leaf_mapping(&mut self, start: VirtAddr, end: VirtAddr) -> Result {
        let page = self.fmt().geometry.page_size();
        let (start, end) = (start.untagged(), end.untagged());
        if !start.is_aligned(page) || !end.is_aligned(page) {
            return Err(Error::Invalid);
        }
        if end.0.wrapping_sub(start.0) == page {
            // __ffs(): the lowest set bit; a zero address is maximally aligned.
            let tz = |a: VirtAddr| if a.0 == 0 { 64 } else { a.0.trailing_zeros() };
            let at = if tz(start) < tz(end) { start } else { end };
            return self.split_kernel_leaf_mapping_locked(at);
        }
        self.split_kernel_leaf_mapping_locked(start)?;
        self.split_kernel_leaf_mapping_locked(end)
    }

    /// `range_split_to_ptes()`: splits every leaf that meets `[start, end)`
    /// down to non-contiguous PTEs (whole leaves, even where they reach past
    /// the range), then `dsb; isb` as leaving lazy MMU mode does. The caller
    /// invalidates the TLB afterwards.
    ///
    /// # Errors
    ///
    /// [`Error::NoMemory`] if an allocation fails, with the splits done
    /// before it kept.
    pub fn range_split_to_ptes(&mut self, start: VirtAddr, end: VirtAddr) -> Result {
        let (start, end) = (start.untagged(), end.untagged());
        let fmt = self.fmt();
        let r = self.walk(start, end, |hw, slot, d| {
            let level = slot.level();
            if level.is_last() {
                if d.is_present() && d.cont() {
                    split_cont(hw, fmt, slot);
                }
                return Ok(Next::Over);
            }
            if !d.is_leaf(level) {
                return Ok(Next::Descend);
            }
            if d.cont() {
                split_cont(hw, fmt, slot);
            }
            let t = split_block(hw, fmt, slot, d.clear(PTE_CONT), Leaves::Single)?;
            // Fresh PTEs have no contiguous bit: nothing below to split.
            Ok(if level.is_above_last() {
                Next::Over
            } else {
                Next::Into(t)
            })
        });
        self.hw_mut().dsb_ishst();
        self.hw_mut().isb();
        r
    }

    /// The tables [`Self::range_split_to_ptes`] of `[start, end)` would
    /// allocate, counted without descending into last-level tables: one per
    /// block one level above the last, one plus a full table's worth per
    /// block two levels above (the only block levels 7.3 maps).
    pub fn range_split_to_ptes_tables(&mut self, start: VirtAddr, end: VirtAddr) -> SplitTables {
        let fmt = self.fmt();
        let g = fmt.geometry;
        let mut n = SplitTables::default();
        let _ = self.walk(start, end, |_, slot, d| -> Result<Next> {
            let level = slot.level();
            if level.is_last() || (d.is_table(level) && level.is_above_last()) {
                return Ok(Next::Over);
            }
            if d.is_leaf(level) {
                if level.is_above_last() {
                    n.pte += 1;
                } else {
                    n.pmd += 1;
                    n.pte += level.next().map_or(0, |next| g.entries(next));
                }
                return Ok(Next::Over);
            }
            Ok(Next::Descend)
        });
        n
    }

    /// The boot CPU's part of `linear_map_split_to_ptes()`: the whole
    /// linear map `[lstart, lend)` but the kernel alias `[kstart, kend)` to
    /// PTEs, then one TLB invalidation. The kernel runs 7.3's C for it
    /// (with tables from [`Self::range_split_to_ptes_tables`] allocated
    /// beforehand); the host tests compare the two.
    ///
    /// # Errors
    ///
    /// [`Error::NoMemory`] as [`Self::range_split_to_ptes`] (7.3 panics).
    #[cfg(not(kernel))]
    pub fn linear_map_split_to_ptes(
        &mut self,
        lstart: VirtAddr,
        lend: VirtAddr,
        kstart: VirtAddr,
        kend: VirtAddr,
    ) -> Result {
        let r = self
            .range_split_to_ptes(lstart, kstart)
            .and_then(|()| self.range_split_to_ptes(kend, lend));
        self.hw_mut().flush_tlb_kernel_range(lstart, lend);
        r
    }
}

/// How many tables [`PageTables::range_split_to_ptes`] allocates: for the
/// last level and for the one above it (the only levels below a block).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitTables {
    /// Last-level tables.
    pub pte: usize,
    /// Tables one level above the last.
    pub pmd: usize,
}

impl core::ops::AddAssign for SplitTables {
    fn add_assign(&mut self, o: SplitTables) {
        self.pte += o.pte;
        self.pmd += o.pmd;
    }
}
