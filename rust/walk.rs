// SPDX-License-Identifier: GPL-2.0

//! Read-only lookups and teardown of a table tree, over [`PageTableHw`].

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    Descriptor,
    Format,
    Kind,
    PTE_CONT, //
};
use crate::error::Result;
use crate::geometry::Level;
use crate::hw::PageTableHw;

/// An entry of a live table: where it is and what it maps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub(crate) table: PhysAddr,
    pub(crate) index: usize,
    pub(crate) level: Level,
    /// First VA the entry maps.
    pub(crate) va: u64,
}

/// What [`walk_range`] does once its visitor has seen an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Visit the entries of this table, one level down.
    Descend(PhysAddr),
    /// Go on with the entry's next sibling.
    Over,
}

impl Next {
    /// Descends into `d` if it is a table: what a visitor that changes no
    /// table entry returns.
    #[inline(always)]
    pub(crate) fn into_table(fmt: &Format, level: Level, d: Descriptor) -> Next {
        if d.is_table(level) {
            Next::Descend(d.output_address(fmt))
        } else {
            Next::Over
        }
    }
}

/// Calls `f` with each entry of the live tree, at any level, whose range
/// meets `[start, end)`, top down, and the descriptor it loaded; `f` says
/// whether to descend (so that it may split, and need not descend into a
/// table it has just filled). Unlike the kernel's walker, `f` also sees
/// entries that are none above the last level.
pub(crate) fn walk_range<H, F>(
    hw: &mut H,
    fmt: &Format,
    pgd: PhysAddr,
    start: u64,
    end: u64,
    f: &mut F,
) -> Result
where
    H: PageTableHw,
    F: FnMut(&mut H, Slot, Descriptor) -> Result<Next>,
{
    let g = fmt.geometry;
    let top = Slot {
        table: pgd,
        index: 0,
        level: g.start_level(),
        va: g.page_offset(),
    };
    walk_table(hw, fmt, top, start, end, f)
}

/// [`walk_range`] over the table `at.table`, whose entry 0 maps `at.va`.
fn walk_table<H, F>(hw: &mut H, fmt: &Format, at: Slot, start: u64, end: u64, f: &mut F) -> Result
where
    H: PageTableHw,
    F: FnMut(&mut H, Slot, Descriptor) -> Result<Next>,
{
    let g = fmt.geometry;
    let (table, level, base) = (at.table, at.level, at.va);
    let size = g.entry_size(level);
    let first = if start > base {
        ((start - base) / size) as usize
    } else {
        0
    };
    for index in first..g.entries(level) {
        let va = base.wrapping_add(index as u64 * size);
        if va >= end || va < base {
            break;
        }
        let slot = Slot {
            table,
            index,
            level,
            va,
        };
        let d = hw.read(table, index);
        if let Next::Descend(next) = f(hw, slot, d)? {
            let below = Slot {
                table: next,
                index: 0,
                level: level.next(),
                va,
            };
            walk_table(hw, fmt, below, start, end, f)?;
        }
    }
    Ok(())
}

/// The entry that maps `va` at the last level the tree reaches for it (a
/// leaf, or the hole that stops the walk), with its descriptor.
#[inline(always)]
pub(crate) fn lookup_slot<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    pgd: PhysAddr,
    va: VirtAddr,
) -> (Slot, Descriptor) {
    let g = fmt.geometry;
    let mut level = g.start_level();
    let mut table = pgd;
    loop {
        let index = g.index(va.0, level);
        let d = hw.read(table, index);
        if !d.is_table(level) {
            let slot = Slot {
                table,
                index,
                level,
                va: va.0 & !(g.entry_size(level) - 1),
            };
            return (slot, d);
        }
        table = d.output_address(fmt);
        level = level.next();
    }
}

/// The present leaf (valid or present-invalid) that maps `va` in the tree
/// rooted at `pgd`, with its level; `None` for a hole.
pub fn lookup<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    pgd: PhysAddr,
    va: VirtAddr,
) -> Option<(Descriptor, Level)> {
    let (slot, d) = lookup_slot(hw, fmt, pgd, va);
    d.is_leaf(slot.level).then_some((d, slot.level))
}

/// How many leaf descriptors of each kind map a range, as the ptdump
/// summary counts them: one per descriptor, contiguous entries counted
/// one by one.
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
}

impl LeafCounts {
    fn note(&mut self, d: Descriptor, level: Level) {
        let cont = d.bits() & PTE_CONT != 0;
        let slot = match d.kind(level) {
            Kind::PresentInvalid => &mut self.present_invalid,
            Kind::Page if cont => &mut self.cont_pte,
            Kind::Page => &mut self.pte,
            Kind::Block if level.next().is_last() && cont => &mut self.cont_pmd,
            Kind::Block if level.next().is_last() => &mut self.pmd,
            Kind::Block => &mut self.pud,
            _ => return,
        };
        *slot += 1;
    }
}

/// Counts the leaves that map `[start, end)` in the tree rooted at `pgd`
/// (a leaf that only partly overlaps the range counts once).
pub fn leaf_counts<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    pgd: PhysAddr,
    start: VirtAddr,
    end: VirtAddr,
) -> LeafCounts {
    let mut counts = LeafCounts::default();
    let g = fmt.geometry;
    // The top table's base: the VA of its entry 0.
    let top = g.entry_size(g.start_level()) * g.entries(g.start_level()) as u64;
    let base = start.0 & !(top.wrapping_sub(1));
    count_table(
        hw,
        fmt,
        pgd,
        g.start_level(),
        base,
        start.0,
        end.0,
        &mut counts,
    );
    counts
}

#[allow(clippy::too_many_arguments)]
fn count_table<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    table: PhysAddr,
    level: Level,
    base: u64,
    start: u64,
    end: u64,
    counts: &mut LeafCounts,
) {
    let size = fmt.geometry.entry_size(level);
    for i in 0..fmt.geometry.entries(level) {
        let va = base.wrapping_add(i as u64 * size);
        let last = va.wrapping_add(size - 1);
        if last < start || va >= end {
            continue;
        }
        let d = hw.read(table, i);
        if d.is_table(level) {
            count_table(
                hw,
                fmt,
                d.output_address(fmt),
                level.next(),
                va,
                start,
                end,
                counts,
            );
        } else {
            counts.note(d, level);
        }
    }
}

/// Frees `table` (at `level`) and every table below it. The tree must not
/// be reachable by any walker (a private tree, or one unlinked and
/// invalidated).
pub fn free_tree<H: PageTableHw>(hw: &mut H, fmt: &Format, table: PhysAddr, level: Level) {
    if !level.is_last() {
        for i in 0..fmt.geometry.entries(level) {
            let d = hw.read(table, i);
            if d.is_table(level) {
                free_tree(hw, fmt, d.output_address(fmt), level.next());
            }
        }
    }
    hw.free_table(table, level);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{
        Geometry,
        Granule, //
    };
    use crate::linear::create_pgd_mapping;
    use crate::model::HostMmu;

    #[test]
    fn lookup_and_free() {
        let fmt = Format::new(Geometry::new(Granule::K4, 48, false).unwrap());
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        let va = VirtAddr(fmt.geometry.page_offset());
        create_pgd_mapping(
            &mut m,
            &fmt,
            root,
            PhysAddr(0x4000_0000),
            va,
            (2 << 20) + 0x3000,
            fmt.prot_normal(),
            0,
        )
        .unwrap();
        let (d, l) = lookup(&m, &fmt, root, va + 0x1234).unwrap();
        assert_eq!((d.kind(l), l), (Kind::Block, Level::PMD));
        let (d, l) = lookup(&m, &fmt, root, va + (2 << 20) + 0x2fff).unwrap();
        assert_eq!(
            (d.output_address(&fmt), l),
            (PhysAddr(0x4020_2000), Level::PTE)
        );
        assert_eq!(lookup(&m, &fmt, root, va + (2 << 20) + 0x3000), None);
        assert_eq!(m.table_count(), 4);
        free_tree(&mut m, &fmt, root, fmt.geometry.start_level());
        assert_eq!(m.table_count(), 0);
        assert_eq!(m.stats.frees, 4);
    }
}
