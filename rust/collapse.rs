// SPDX-License-Identifier: GPL-2.0

//! Folding split parts of the linear map back into contiguous groups and
//! blocks: the inverse of each step of [`crate::split`]. 7.3 has no C for
//! it; the shapes it makes are those of `map_mem()` ([`crate::linear`]).
//!
//! Bottom up, within a range:
//!
//! - a table of next-level leaves that map one naturally aligned block
//!   with identical attributes becomes that block (a PMD block, or a PUD
//!   block where the granule has them, `pud_sect_supported()`);
//! - a naturally aligned run of `CONT_PTES`/`CONT_PMDS` leaves with
//!   consecutive output addresses and identical attributes gets the
//!   contiguous bit (not at the top level of a 2-level kernel, where
//!   `map_mem()` makes no contiguous PMDs).
//!
//! Only valid leaves fold, and only never-executable ones into blocks (a
//! block has no table entry above it to carry PXNTable): a present-invalid entry (a page
//! `set_direct_map_invalid_noflush()` removed) keeps its table, so that
//! making it valid again never needs an allocation. Nothing that meets what
//! the caller keeps split ([`Kept`]) folds.
//!
//! A fold changes the size of a live translation without break-before-make,
//! which needs BBML3 on every CPU, as a split does. The block is stored
//! over the table entry, the walk caches are invalidated for it
//! (`__flush_tlb_kernel_pgtable()`: `flush_tlb_kernel_range()` invalidates
//! last-level entries only), and only then is the old table handed to the
//! caller's [`Retire`], which frees it once no lockless walker can hold it.

use crate::addr::VirtAddr;
use crate::desc::{
    Descriptor,
    Format,
    PMD_TYPE_SECT,
    PTE_CONT,
    PTE_TYPE_MASK, //
};
use crate::hw::{
    set_entry,
    PageTableHw,
    Table, //
};
use crate::walk::{
    load,
    PageTables,
    Slot, //
};

/// What may not fold: a fold of `[start, start + size)` into one leaf (a
/// block or a contiguous group) is made only if [`Kept::meets`] says no.
pub trait Kept {
    /// Whether `[start, start + size)` meets something kept split.
    fn meets(&self, start: u64, size: u64) -> bool;
}

/// Ranges of the map that never fold, `[start, end)`: the kernel image's
/// linear alias (its permissions are the kernel's, `map_mem()` maps it
/// apart), the KFENCE pool (its pages change validity from any context,
/// with no allocation), and what callers asked to keep split.
#[derive(Clone, Copy, Debug)]
pub struct Keep<'a>(pub &'a [(VirtAddr, VirtAddr)]);

impl Kept for Keep<'_> {
    #[inline]
    fn meets(&self, start: u64, size: u64) -> bool {
        let end = start.wrapping_add(size);
        self.0.iter().any(|&(s, e)| s.0 < end && start < e.0)
    }
}

/// Where tables a collapse unlinked go: each has been unlinked and covered
/// by a walk-cache invalidation; what is left is to free it once no
/// lockless walker can still be reading it (in the kernel, after an RCU
/// grace period and `init_mm`'s mmap lock, see `Documentation/`).
pub trait Retire {
    /// Whether one more table can be taken; a collapse stops at the first
    /// fold there is no room for.
    fn has_room(&self) -> bool;

    /// A table entry at `va` could not fold for lack of room: where a next
    /// collapse has work left.
    fn refused(&mut self, va: VirtAddr) {
        let _ = va;
    }

    /// Takes an unlinked, invalidated table.
    fn retire(&mut self, table: Table);
}

/// What a collapse made, counted per kind, and the tables it unlinked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Folds {
    /// Contiguous PTE groups made.
    pub cont_pte: usize,
    /// PMD blocks made from a table of PTEs.
    pub pmd: usize,
    /// Contiguous PMD groups made.
    pub cont_pmd: usize,
    /// PUD blocks made from a table of PMD blocks.
    pub pud: usize,
    /// Tables unlinked (given to [`Retire`]): one per block made.
    pub tables: usize,
}

impl Folds {
    /// Whether anything folded.
    pub const fn any(&self) -> bool {
        self.cont_pte + self.pmd + self.cont_pmd + self.pud != 0
    }
}

impl core::ops::AddAssign for Folds {
    fn add_assign(&mut self, o: Folds) {
        self.cont_pte += o.cont_pte;
        self.pmd += o.pmd;
        self.cont_pmd += o.cont_pmd;
        self.pud += o.pud;
        self.tables += o.tables;
    }
}

/// The attributes `d`, a valid leaf, has in common with the rest of a
/// foldable run: everything but the output address and the contiguous bit.
#[inline(always)]
fn run_attrs(fmt: &Format, d: Descriptor) -> u64 {
    d.attrs(fmt) & !PTE_CONT
}

/// Whether `n` entries of `table` from `first` are valid leaves with
/// identical attributes (contiguous bit aside) mapping consecutive output
/// addresses from one aligned to `align`; returns the first entry.
fn uniform_run<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    table: Table,
    first: usize,
    n: usize,
    align: u64,
) -> Option<Descriptor> {
    let level = table.level();
    let step = fmt.geometry.entry_size(level);
    let d0 = hw.read(table, first);
    if !d0.is_valid() || !d0.is_leaf(level) {
        return None;
    }
    let base = d0.output_address(fmt).0;
    if base & (align - 1) != 0 {
        return None;
    }
    let attrs = run_attrs(fmt, d0);
    for k in 1..n {
        let d = hw.read(table, first + k);
        if !d.is_valid()
            || !d.is_leaf(level)
            || run_attrs(fmt, d) != attrs
            || d.output_address(fmt).0 != base + k as u64 * step
        {
            return None;
        }
    }
    Some(d0)
}

/// What one collapse works with.
struct Collapse<'a, K, R> {
    fmt: &'a Format,
    start: u64,
    end: u64,
    keep: &'a K,
    retire: &'a mut R,
    folds: Folds,
    /// A fold found no room: the walk ends there.
    stopped: bool,
}

impl<K: Kept, R: Retire> Collapse<'_, K, R> {
    /// Whether the caller's range holds all of `[va, va + size)`.
    #[inline(always)]
    fn holds(&self, va: u64, size: u64) -> bool {
        va >= self.start && va.wrapping_add(size).wrapping_sub(1) <= self.end.wrapping_sub(1)
    }

    /// Folds what can fold below and in `table`, whose entry 0 maps `base`.
    fn table<H: PageTableHw>(&mut self, hw: &mut H, table: Table, base: u64) {
        let g = self.fmt.geometry;
        let level = table.level();
        let size = g.entry_size(level);
        let first = if self.start > base {
            ((self.start - base) / size) as usize
        } else {
            0
        };
        for index in first..g.entries(level) {
            let va = base.wrapping_add(index as u64 * size);
            if va >= self.end || va < base || self.stopped {
                break;
            }
            let slot = load(hw, self.fmt, table, index, VirtAddr(va));
            let Some(below) = slot.below() else {
                continue;
            };
            if !below.level().is_last() {
                self.table(hw, below, va);
            }
            let folded = g.block_allowed(level)
                && self.holds(va, size)
                && !self.keep.meets(va, size)
                && self.fold_table(hw, slot, below);
            // A table of pages that did not fold may still hold groups.
            if !folded && below.level().is_last() && !self.stopped {
                self.cont_groups(hw, below, va);
            }
        }
        if !self.stopped {
            self.cont_groups(hw, table, base);
        }
    }

    /// Replaces the table entry at `slot` by a block, if the table `below`
    /// maps one block's worth uniformly; returns whether it did.
    fn fold_table<H: PageTableHw>(&mut self, hw: &mut H, slot: Slot, below: Table) -> bool {
        let fmt = self.fmt;
        let g = fmt.geometry;
        let level = slot.level();
        let Some(d0) = uniform_run(
            hw,
            fmt,
            below,
            0,
            g.entries(below.level()),
            g.entry_size(level),
        ) else {
            return false;
        };
        // A block has no table entry above its leaves to take hierarchical
        // permissions from: only never-executable leaves fold, which the
        // linear map's are (NO_EXEC_MAPPINGS), whatever PXNTable/UXNTable
        // said of them.
        let t = slot.desc();
        if !d0.pxn() || !d0.uxn() || t.ap_table() != 0 || t.ns_table() {
            return false;
        }
        if !hw.table_freeable(below) {
            return false;
        }
        if !self.retire.has_room() {
            // Stop here: the caller frees what was retired and goes on
            // from this region.
            self.retire.refused(slot.va());
            self.stopped = true;
            return false;
        }
        let attrs = run_attrs(fmt, d0) & !PTE_TYPE_MASK | PMD_TYPE_SECT;
        let block = Descriptor(attrs).with_output_address(fmt, d0.output_address(fmt));
        set_entry(hw, slot.table(), slot.index(), block);
        // set_pmd()/set_pud() order the store.
        hw.dsb_ishst();
        hw.isb();
        // No cached walk may lead to the old table once it is retired.
        hw.flush_tlb_kernel_pgtable(slot.va());
        self.retire.retire(below);
        self.folds.tables += 1;
        if level.is_above_last() {
            self.folds.pmd += 1;
        } else {
            self.folds.pud += 1;
        }
        true
    }

    /// Sets the contiguous bit on every aligned group of `table` that the
    /// range holds and that maps a uniform aligned run without it.
    fn cont_groups<H: PageTableHw>(&mut self, hw: &mut H, table: Table, base: u64) {
        let g = self.fmt.geometry;
        let level = table.level();
        let n = g.cont_entries(level);
        // map_mem() makes no contiguous PMDs at the top of a 2-level tree.
        if n == 1 || level == g.start_level() {
            return;
        }
        let size = g.entry_size(level);
        let cont = g.cont_size(level);
        for first in (0..g.entries(level)).step_by(n) {
            let va = base.wrapping_add(first as u64 * size);
            if !self.holds(va, cont) || self.keep.meets(va, cont) {
                continue;
            }
            if uniform_run(hw, self.fmt, table, first, n, cont).is_none() {
                continue;
            }
            if (first..first + n).all(|i| hw.read(table, i).cont()) {
                continue;
            }
            for i in first..first + n {
                let d = hw.read(table, i);
                set_entry(hw, table, i, d.set(PTE_CONT));
                if !level.is_last() {
                    // set_pmd() orders each store.
                    hw.dsb_ishst();
                    hw.isb();
                }
            }
            if level.is_last() {
                self.folds.cont_pte += 1;
            } else {
                self.folds.cont_pmd += 1;
            }
        }
        if level.is_last() {
            // As leaving lazy MMU mode after valid kernel PTE stores.
            hw.dsb_ishst();
            hw.isb();
        }
    }
}

impl<H: PageTableHw> PageTables<'_, H> {
    /// Folds every part of `[start, end)` that can fold, bottom up, and
    /// ends with a TLB invalidation of the range when anything folded (so
    /// that the TLBs hold the new, larger entries). Only entries whose
    /// whole range lies in `[start, end)` change; unlinked tables go to
    /// `retire`.
    ///
    /// The caller holds what excludes concurrent changes to the range
    /// (splits and attribute changes), and every CPU has BBML3.
    pub fn collapse_range<K: Kept, R: Retire>(
        &mut self,
        start: VirtAddr,
        end: VirtAddr,
        keep: &K,
        retire: &mut R,
    ) -> Folds {
        let (start, end) = (start.untagged().0, end.untagged().0);
        let fmt = self.fmt();
        let root = self.root();
        let base = fmt.geometry.page_offset();
        let mut c = Collapse {
            fmt,
            start,
            end,
            keep,
            retire,
            folds: Folds::default(),
            stopped: false,
        };
        c.table(self.hw_mut(), root, base);
        let folds = c.folds;
        if folds.any() {
            self.hw_mut()
                .flush_tlb_kernel_range(VirtAddr(start), VirtAddr(end));
        }
        folds
    }
}
