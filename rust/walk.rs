// SPDX-License-Identifier: GPL-2.0

//! Read-only lookups and teardown of a table tree, over [`PageTableHw`].

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    Descriptor,
    Format, //
};
use crate::geometry::Level;
use crate::hw::PageTableHw;

/// The present leaf (valid or present-invalid) that maps `va` in the tree
/// rooted at `pgd`, with its level; `None` for a hole.
pub fn lookup<H: PageTableHw>(
    hw: &H,
    fmt: &Format,
    pgd: PhysAddr,
    va: VirtAddr,
) -> Option<(Descriptor, Level)> {
    let g = fmt.geometry;
    let mut level = g.start_level();
    let mut table = pgd;
    loop {
        let d = hw.read(table, g.index(va.0, level));
        if d.is_table(level) {
            table = d.output_address(fmt);
            level = level.next();
        } else if d.is_leaf(level) {
            return Some((d, level));
        } else {
            return None;
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
    use crate::desc::Kind;
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
