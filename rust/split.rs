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

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    Descriptor,
    Format,
    PMD_TABLE_AF,
    PMD_TABLE_PXN,
    PMD_TABLE_UXN,
    PTE_CONT,
    PTE_PXN,
    PTE_TYPE_MASK,
    PTE_TYPE_PAGE, //
};
use crate::error::{
    Error,
    Result, //
};
use crate::geometry::Level;
use crate::hw::{
    set_entry,
    PageTableHw,
    TableInit, //
};
use crate::walk::{
    walk_range,
    Next,
    Slot, //
};

/// Clears the contiguous bit on every entry of the group holding `slot`
/// (`split_contpte()` / `split_contpmd()`).
fn split_cont<H: PageTableHw>(hw: &mut H, fmt: &Format, slot: Slot) {
    let n = fmt.geometry.cont_entries(slot.level);
    let first = slot.index & !(n - 1);
    for i in first..first + n {
        let d = hw.read(slot.table, i);
        set_entry(
            hw,
            &fmt.geometry,
            slot.table,
            i,
            slot.level,
            d.clear(PTE_CONT),
        );
    }
    if !slot.level.is_last() {
        // set_pmd() orders each store.
        hw.dsb_ishst();
        hw.isb();
    }
}

/// Replaces the block at `slot` by a table of next-level leaves with the
/// same attributes (`split_pud()` / `split_pmd()`); `to_cont` sets the
/// contiguous hint on them. Returns the new table. The caller issues
/// `dsb; isb` before it returns.
fn split_block<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    slot: Slot,
    block: Descriptor,
    to_cont: bool,
) -> Result<PhysAddr> {
    let g = fmt.geometry;
    let next = slot.level.next();
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
        crate::desc::PMD_TYPE_SECT
    };
    let mut attrs = block.attrs(fmt) & !(PTE_TYPE_MASK | PTE_CONT);
    if block.is_valid() {
        attrs |= type_bits;
    } else {
        // pte_mkinvalid(): the type bits without the valid bit.
        attrs |= type_bits & !crate::desc::PTE_VALID;
    }
    if to_cont {
        attrs |= PTE_CONT;
    }
    // Entry i maps `base + i * step`. The block is naturally aligned and
    // the offsets stay below its size, so adding them to the first
    // descriptor changes only output-address bits that sit in place in
    // every format (LPA2 and 52-bit PA move only bits from 36 up, and a
    // realm's shared bit, bit 31 or higher, is above any block too).
    let step = g.entry_size(next);
    let base = block.output_address(fmt);
    debug_assert!(base.0 & (g.entry_size(slot.level) - 1) == 0);
    let mut d = Descriptor(attrs).with_output_address(fmt, base).bits();
    for i in 0..g.entries(next) {
        hw.write(t, i, Descriptor(d));
        d = d.wrapping_add(step);
    }
    // The entries are visible to the walker before the table is. The
    // caller ends with `dsb; isb`, as leaving lazy MMU mode does after
    // set_pud()/set_pmd() queued them.
    hw.dsb_ishst();
    set_entry(
        hw,
        &g,
        slot.table,
        slot.index,
        slot.level,
        fmt.table(t, tableprot),
    );
    Ok(t)
}

/// The entry for `va` at `level` in the table at `table`.
#[inline(always)]
fn slot_at(fmt: &Format, table: PhysAddr, level: Level, va: u64) -> Slot {
    let g = fmt.geometry;
    let index = g.index(va, level);
    Slot {
        table,
        index,
        level,
        va: va & !(g.entry_size(level) - 1),
    }
}

/// One step of `split_kernel_leaf_mapping_locked()`: `None` if `addr` is a
/// multiple of `boundary` (already a leaf boundary at this level) or the
/// entry for `addr` at `level` is not present; else the entry.
#[inline(always)]
fn present_entry<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    table: PhysAddr,
    level: Level,
    addr: u64,
    boundary: u64,
) -> Option<(Slot, Descriptor)> {
    if addr & (boundary - 1) == 0 {
        return None;
    }
    let slot = slot_at(fmt, table, level, addr);
    let d = hw.read(table, slot.index);
    d.is_present().then_some((slot, d))
}

/// `split_kernel_leaf_mapping_locked()`: makes `addr` a leaf boundary,
/// splitting at most one leaf per level on the way down: a PUD block to
/// contiguous PMDs, a contiguous PMD group to PMDs, a PMD block to
/// contiguous PTEs, a contiguous PTE group to PTEs.
///
/// # Errors
///
/// [`Error::NoMemory`] if a table allocation fails; the splits done before
/// stay (the map is consistent at every step).
pub fn split_kernel_leaf_mapping_locked<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    addr: u64,
) -> Result {
    let mut split = false;
    let r = split_at(hw, fmt, pgd, addr, &mut split);
    if split {
        // What leaving lazy MMU mode emits after split_pud()/split_pmd().
        hw.dsb_ishst();
        hw.isb();
    }
    r
}

/// [`split_kernel_leaf_mapping_locked`] but the final barriers; `split`
/// says whether a block was split.
fn split_at<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    addr: u64,
    split: &mut bool,
) -> Result {
    let g = fmt.geometry;
    let mut table = pgd;
    let mut level = g.start_level();
    // Down to the PUD level: nothing above it is ever a leaf.
    while level < Level::PUD {
        let Some((_, d)) = present_entry(hw, fmt, table, level, addr, g.entry_size(level)) else {
            return Ok(());
        };
        if !d.is_table(level) {
            return Ok(());
        }
        table = d.output_address(fmt);
        level = level.next();
    }

    if level == Level::PUD {
        let Some((slot, d)) = present_entry(hw, fmt, table, level, addr, g.entry_size(level))
        else {
            return Ok(());
        };
        table = if d.is_leaf(Level::PUD) {
            *split = true;
            split_block(hw, fmt, slot, d, true)?
        } else {
            d.output_address(fmt)
        };
    }

    // PMD level (the top level of two-level configurations).
    let Some((slot, d)) = present_entry(hw, fmt, table, Level::PMD, addr, g.cont_size(Level::PMD))
    else {
        return Ok(());
    };
    if d.is_leaf(Level::PMD) {
        if d.cont() {
            split_cont(hw, fmt, slot);
        }
        if addr & (g.entry_size(Level::PMD) - 1) == 0 {
            return Ok(());
        }
    }
    let table = if d.is_leaf(Level::PMD) {
        *split = true;
        split_block(hw, fmt, slot, d, true)?
    } else {
        d.output_address(fmt)
    };

    let Some((slot, d)) = present_entry(hw, fmt, table, Level::PTE, addr, g.cont_size(Level::PTE))
    else {
        return Ok(());
    };
    if d.cont() {
        split_cont(hw, fmt, slot);
        // __set_pte() queues dsb; isb for valid kernel PTEs, which leaving
        // lazy MMU mode emits.
        hw.dsb_ishst();
        hw.isb();
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
/// # Errors
///
/// - [`Error::Invalid`] if `start` or `end` is not page aligned, or
///   `end < start` (7.3 splits at both then).
/// - [`Error::NoMemory`] from [`split_kernel_leaf_mapping_locked`].
pub fn split_kernel_leaf_mapping<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    start: VirtAddr,
    end: VirtAddr,
) -> Result {
    let page = fmt.geometry.page_size();
    let (start, end) = (start.untagged(), end.untagged());
    if !start.is_aligned(page) || !end.is_aligned(page) || end < start {
        return Err(Error::Invalid);
    }
    let (start, end) = (start.0, end.0);
    if end - start == page {
        // __ffs(): the lowest set bit; a zero address is maximally aligned.
        let tz = |a: u64| if a == 0 { 64 } else { a.trailing_zeros() };
        let at = if tz(start) < tz(end) { start } else { end };
        return split_kernel_leaf_mapping_locked(hw, fmt, pgd, at);
    }
    split_kernel_leaf_mapping_locked(hw, fmt, pgd, start)?;
    split_kernel_leaf_mapping_locked(hw, fmt, pgd, end)
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
pub fn range_split_to_ptes<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    start: VirtAddr,
    end: VirtAddr,
) -> Result {
    let (start, end) = (start.untagged(), end.untagged());
    let r = walk_range(hw, fmt, pgd, start.0, end.0, &mut |hw, slot, d| {
        if slot.level.is_last() {
            if d.is_present() && d.cont() {
                split_cont(hw, fmt, slot);
            }
            return Ok(Next::Over);
        }
        if !d.is_leaf(slot.level) {
            return Ok(Next::into_table(fmt, slot.level, d));
        }
        if d.cont() {
            split_cont(hw, fmt, slot);
        }
        let t = split_block(hw, fmt, slot, d.clear(PTE_CONT), false)?;
        // Fresh PTEs have no contiguous bit: nothing below to split.
        Ok(if slot.level.next().is_last() {
            Next::Over
        } else {
            Next::Descend(t)
        })
    });
    hw.dsb_ishst();
    hw.isb();
    r
}

/// How many tables [`range_split_to_ptes`] allocates: for the last level
/// and for the one above it (the only levels below a block).
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

/// The tables [`range_split_to_ptes`] of `[start, end)` would allocate,
/// counted without descending into last-level tables: one per block one
/// level above the last, one plus a full table's worth per block two levels
/// above (the only block levels 7.3 maps).
pub fn range_split_to_ptes_tables<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    start: u64,
    end: u64,
) -> SplitTables {
    let g = fmt.geometry;
    let mut n = SplitTables::default();
    let _ = walk_range(hw, fmt, pgd, start, end, &mut |_, slot, d| {
        let next = slot.level.next();
        if slot.level.is_last() || (d.is_table(slot.level) && next.is_last()) {
            return Ok(Next::Over);
        }
        if d.is_leaf(slot.level) {
            if next.is_last() {
                n.pte += 1;
            } else {
                n.pmd += 1;
                n.pte += g.entries(next);
            }
            return Ok(Next::Over);
        }
        Ok(Next::into_table(fmt, slot.level, d))
    });
    n
}

/// The boot CPU's part of `linear_map_split_to_ptes()`: the whole linear
/// map `[lstart, lend)` but the kernel alias `[kstart, kend)` to PTEs, then
/// one TLB invalidation.
///
/// # Errors
///
/// [`Error::NoMemory`] as [`range_split_to_ptes`] (7.3 panics).
pub fn linear_map_split_to_ptes<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    lstart: VirtAddr,
    lend: VirtAddr,
    kstart: VirtAddr,
    kend: VirtAddr,
) -> Result {
    let r = range_split_to_ptes(hw, fmt, pgd, lstart, kstart)
        .and_then(|()| range_split_to_ptes(hw, fmt, pgd, kend, lend));
    hw.flush_tlb_kernel_range(lstart, lend);
    r
}
