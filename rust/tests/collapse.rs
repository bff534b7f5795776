// SPDX-License-Identifier: GPL-2.0

//! Collapse on the host model, in every geometry, under the auditor: random
//! operation sequences, then a collapse of the whole linear map, checked
//! against the per-page reference (the translation of every page is
//! unchanged, and every leaf is the one a full collapse of the reference's
//! attributes makes: none missed, none wrong); split-then-collapse is the
//! identity; present-invalid pages and kept ranges never fold.

mod common;

use common::{
    all_formats,
    Rng, //
};
use linmap::addr::{
    PhysAddr,
    VirtAddr, //
};
use linmap::collapse::{
    Folds,
    Keep,
    Retire, //
};
use linmap::desc::{
    Descriptor,
    Format,
    PTE_CONT, //
};
use linmap::geometry::{
    Granule,
    Level, //
};
use linmap::host::scenario::{
    Layout,
    World,
    MEMSTART, //
};
use linmap::hw::{
    PageTableHw,
    Table, //
};
use linmap::pageattr::{
    MaskConfig,
    PageChange,
    Split, //
};

/// A bank large enough for every fold the geometry has (a PUD block with
/// 4K pages, a contiguous PMD group with 16K and 64K), and a few pages
/// more; the kernel image near its end, kept.
fn layout(fmt: &Format) -> Layout {
    let g = fmt.geometry;
    let page = g.page_size();
    let big = match g.granule() {
        Granule::K4 => g.entry_size(Level::Pud),
        _ if g.start_level() == Level::Pmd => 4 * g.entry_size(Level::Pmd),
        _ => g.cont_size(Level::Pmd),
    };
    let end = MEMSTART + 2 * big + 5 * page;
    Layout {
        banks: vec![(MEMSTART, end)],
        text: (end - 40 * page, end - 30 * page),
        data: (end - 30 * page, end - 21 * page),
        force_pte: false,
        tagged: false,
    }
}

fn keep_of(w: &World) -> Vec<(VirtAddr, VirtAddr)> {
    vec![(w.va_of(w.layout.text.0), w.va_of(w.layout.data.1))]
}

/// Every leaf of the linear map: first VA, level, descriptor.
fn leaves(w: &World) -> Vec<(u64, Level, Descriptor)> {
    let g = w.fmt.geometry;
    let mut v = Vec::new();
    w.mmu().for_each_entry(
        VirtAddr(g.page_offset()),
        VirtAddr(g.page_end()),
        &mut |va, level, d| {
            if d.is_leaf(level) {
                v.push((va.0, level, d));
            }
        },
    );
    v
}

/// Frees the tables a collapse retired, as the kernel does once no walker
/// can hold them.
fn free_retired(w: &mut World, tables: impl IntoIterator<Item = Table>) {
    for t in tables {
        // SAFETY: Unlinked by the collapse and covered by its walk-cache
        // invalidation (the auditor reports it otherwise); the model's frees
        // touch no memory.
        unsafe { w.a.free_table(t) };
    }
}

/// Collapses the whole linear map, frees what it retired as the kernel
/// does once no walker can hold it, and checks the auditor.
fn collapse_all(w: &mut World) -> Folds {
    let g = w.fmt.geometry;
    let keep = keep_of(w);
    let mut retired: Vec<Table> = Vec::new();
    let folds = w.tables().collapse_range(
        VirtAddr(g.page_offset()),
        VirtAddr(g.page_end()),
        &Keep(&keep),
        &mut retired,
    );
    assert_eq!(folds.tables, retired.len());
    free_retired(w, retired);
    w.a.quiesce();
    assert_eq!(w.a.violations(), &[], "collapse broke a rule");
    folds
}

/// Pairs of changes that undo each other. Not set_memory_x(): the kernel
/// never makes the linear map executable (`change_memory_common()` wants a
/// vmalloc area), and executable leaves do not fold into blocks.
fn pairs(masks: &MaskConfig) -> [(PageChange, PageChange); 2] {
    [
        (PageChange::ro(), PageChange::rw()),
        (
            PageChange::valid(masks, false),
            PageChange::valid(masks, true),
        ),
    ]
}

/// A random range of the bank, outside the kernel image.
fn random_range(rng: &mut Rng, w: &World) -> (u64, u64) {
    let page = w.fmt.geometry.page_size();
    let (s, _) = w.layout.banks[0];
    let pages = (w.layout.text.0 - s) / page;
    let n = if rng.chance(20) {
        rng.range(1, pages.min(4096))
    } else {
        rng.range(1, 40)
    };
    let first = rng.range(0, pages - n);
    (s + first * page, n)
}

fn change(w: &mut World, pa: u64, n: u64, c: PageChange) {
    let page = w.fmt.geometry.page_size();
    let va = w.va_of(pa);
    let masks = w.masks;
    let r = w
        .tables()
        .change_memory_common(&masks, va, n * page, c, Split::Allowed);
    assert_eq!(r, Ok(()));
    w.reference.apply(PhysAddr(pa), n, c);
}

#[test]
fn split_then_collapse_is_the_identity() {
    for (i, fmt) in all_formats().into_iter().enumerate() {
        let mut rng = Rng::new(0xc011_a95e + i as u64);
        let mut w = World::new(fmt, &layout(&fmt), MaskConfig::default());
        let before = leaves(&w);
        let tables = w.mmu().table_count();
        let mut undo = Vec::new();
        for _ in 0..60 {
            let (pa, n) = random_range(&mut rng, &w);
            let (c, inverse) = rng.pick(&pairs(&w.masks));
            change(&mut w, pa, n, c);
            undo.push((pa, n, inverse));
        }
        assert!(w.mmu().table_count() > tables, "{fmt:?}: nothing split");
        while let Some((pa, n, c)) = undo.pop() {
            change(&mut w, pa, n, c);
        }
        let folds = collapse_all(&mut w);
        assert!(folds.any());
        let after = leaves(&w);
        if let Some(k) = (0..after.len().max(before.len())).find(|&k| after.get(k) != before.get(k))
        {
            panic!(
                "{fmt:?}: not the map map_mem() built: leaf {k} is {:x?}, map_mem() made {:x?}",
                after.get(k),
                before.get(k)
            );
        }
        assert_eq!(w.mmu().table_count(), tables, "{fmt:?}: tables left");
        // Nothing is left to fold.
        assert_eq!(collapse_all(&mut w), Folds::default());
    }
}

#[test]
fn collapse_makes_the_reference_shape() {
    for (i, fmt) in all_formats().into_iter().enumerate() {
        for seed in 0..3u64 {
            let mut rng = Rng::new(seed << 8 | i as u64);
            let mut w = World::new(fmt, &layout(&fmt), MaskConfig::default());
            let mut undo = Vec::new();
            for _ in 0..40 {
                let (pa, n) = random_range(&mut rng, &w);
                let (c, inverse) = rng.pick(&pairs(&w.masks));
                change(&mut w, pa, n, c);
                undo.push((pa, n, inverse));
                // Some changes are undone, some collapses run midway.
                if rng.chance(40) {
                    let k = rng.range(0, undo.len() as u64) as usize;
                    let (pa, n, c) = undo.swap_remove(k);
                    change(&mut w, pa, n, c);
                }
                if rng.chance(10) {
                    collapse_all(&mut w);
                }
            }
            collapse_all(&mut w);
            let keep = keep_of(&w);
            if let Err(e) = w.reference.check_all(w.mmu()) {
                panic!("{fmt:?} seed {seed}: {e}");
            }
            if let Err(e) = w.reference.check_collapsed(w.mmu(), &keep) {
                panic!("{fmt:?} seed {seed}: {e}");
            }
            assert_eq!(collapse_all(&mut w), Folds::default());
        }
    }
}

#[test]
fn present_invalid_pages_keep_their_table() {
    for fmt in all_formats() {
        let mut w = World::new(fmt, &layout(&fmt), MaskConfig::default());
        let g = fmt.geometry;
        let pa = MEMSTART + g.entry_size(Level::Pmd) + 3 * g.page_size();
        let masks = w.masks;
        let va = w.va_of(pa);
        let page = g.page_size();
        // set_direct_map_invalid_noflush(): split, no invalidation.
        let r = w.tables().update_range_prot(
            va,
            page,
            PageChange::valid(&masks, false),
            Split::Allowed,
        );
        assert_eq!(r, Ok(()));
        w.reference
            .apply(PhysAddr(pa), 1, PageChange::valid(&masks, false));
        collapse_all(&mut w);
        let (d, level) = w.mmu().leaf(va).unwrap();
        assert_eq!((level, d.is_present_invalid()), (Level::Pte, true));
        // set_direct_map_default_noflush() then needs no table.
        let allocs = w.mmu().stats.allocs;
        let r = w.tables().update_range_prot(
            va,
            page,
            PageChange::direct_map_default(&masks),
            Split::Allowed,
        );
        assert_eq!(r, Ok(()));
        assert_eq!(w.mmu().stats.allocs, allocs);
        w.reference
            .apply(PhysAddr(pa), 1, PageChange::direct_map_default(&masks));
        // Valid again: everything folds.
        collapse_all(&mut w);
        let keep = keep_of(&w);
        assert_eq!(w.reference.check_collapsed(w.mmu(), &keep), Ok(()));
    }
}

#[test]
fn kept_ranges_never_fold() {
    for fmt in all_formats() {
        let mut w = World::new(fmt, &layout(&fmt), MaskConfig::default());
        let g = fmt.geometry;
        let page = g.page_size();
        let pmd = g.entry_size(Level::Pmd);
        let pa = MEMSTART + pmd;
        change(&mut w, pa + page, 1, PageChange::ro());
        change(&mut w, pa + page, 1, PageChange::rw());
        // One page of that PMD kept (as the KFENCE pool, or a caller's
        // mark): neither the PMD nor that page's group folds.
        let mut keep = keep_of(&w);
        keep.push((w.va_of(pa + 7 * page), w.va_of(pa + 8 * page)));
        let mut retired: Vec<Table> = Vec::new();
        let folds = w.tables().collapse_range(
            VirtAddr(g.page_offset()),
            VirtAddr(g.page_end()),
            &Keep(&keep),
            &mut retired,
        );
        assert_eq!(folds.pmd, 0, "{fmt:?}");
        let (d, level) = w.mmu().leaf(w.va_of(pa + 7 * page)).unwrap();
        assert_eq!((level, d.cont()), (Level::Pte, false));
        let (d, level) = w.mmu().leaf(w.va_of(pa + pmd - page)).unwrap();
        assert_eq!((level, d.cont()), (Level::Pte, true));
        assert_eq!(w.reference.check_collapsed(w.mmu(), &keep), Ok(()));
    }
}

/// A [`Retire`] with room for a fixed number of tables, as the kernel's
/// batch.
struct Batch(Vec<Table>, usize, Vec<VirtAddr>);

impl Retire for Batch {
    fn has_room(&self) -> bool {
        self.0.len() < self.1
    }
    fn retire(&mut self, t: Table) {
        self.0.push(t);
    }
    fn refused(&mut self, va: VirtAddr) {
        self.2.push(va);
    }
}

#[test]
fn a_full_batch_stops_the_walk_where_work_is_left() {
    let fmt = all_formats()[1];
    let g = fmt.geometry;
    let page = g.page_size();
    let pmd = g.entry_size(Level::Pmd);
    let mut w = World::new(fmt, &layout(&fmt), MaskConfig::default());
    for k in 0..4 {
        let pa = MEMSTART + k * pmd + 5 * page;
        change(&mut w, pa, 1, PageChange::ro());
        change(&mut w, pa, 1, PageChange::rw());
    }
    let keep = keep_of(&w);
    let mut batch = Batch(Vec::new(), 2, Vec::new());
    let start = VirtAddr(g.page_offset());
    let end = VirtAddr(g.page_end());
    let folds = w
        .tables()
        .collapse_range(start, end, &Keep(&keep), &mut batch);
    assert_eq!((folds.pmd, folds.tables, batch.0.len()), (2, 2, 2));
    // The walk stopped where the work left starts: the third table, whose
    // neighbour's groups are not folded yet.
    assert_eq!(batch.2, [w.va_of(MEMSTART + 2 * pmd)]);
    let (d, _) = w
        .mmu()
        .leaf(w.va_of(MEMSTART + 3 * pmd + 5 * page))
        .unwrap();
    assert!(d.bits() & PTE_CONT == 0);
    free_retired(&mut w, batch.0.drain(..));
    // A batch of three finishes, up to the PUD block.
    batch.1 = 3;
    let folds = w
        .tables()
        .collapse_range(start, end, &Keep(&keep), &mut batch);
    assert_eq!((folds.pmd, folds.pud), (2, 1));
    free_retired(&mut w, batch.0.drain(..));
    w.a.quiesce();
    assert_eq!(w.a.violations(), &[]);
    assert_eq!(w.reference.check_collapsed(w.mmu(), &keep), Ok(()));
}

#[test]
fn one_differing_entry_stops_the_fold() {
    for fmt in all_formats() {
        let g = fmt.geometry;
        let page = g.page_size();
        let pmd = g.entry_size(Level::Pmd);
        let per_table = g.entries(Level::Pte) as u64;
        let cont = g.cont_ptes() as u64;
        for k in [0, 1, 7, cont - 1, cont, per_table / 2 + 3, per_table - 1] {
            let mut w = World::new(fmt, &layout(&fmt), MaskConfig::default());
            // A page read-only (split to PTEs), and whole blocks read-only,
            // one of them at index k % 16 of its PMD table.
            change(&mut w, MEMSTART + pmd + k * page, 1, PageChange::ro());
            let j = k % g.cont_pmds() as u64;
            change(
                &mut w,
                MEMSTART + (2 + j) * pmd,
                pmd / page,
                PageChange::ro(),
            );
            collapse_all(&mut w);
            let keep = keep_of(&w);
            if let Err(e) = w.reference.check_all(w.mmu()) {
                panic!("{fmt:?} entry {k}: {e}");
            }
            if let Err(e) = w.reference.check_collapsed(w.mmu(), &keep) {
                panic!("{fmt:?} entry {k}: {e}");
            }
        }
    }
}
