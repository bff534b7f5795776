// SPDX-License-Identifier: GPL-2.0

//! Property tests of the split and pageattr paths against a reference
//! model (one entry per page), on random `map_mem()` layouts for every
//! granule: after every operation each page translates as the reference
//! says, the auditor finds nothing under BBML3, the leaves and the table
//! allocations are exactly what 7.3's algorithm gives, and bad input
//! changes nothing.

mod common;

use std::collections::BTreeMap;

use common::{
    all_formats,
    Rng, //
};
use linmap::addr::{
    PhysAddr,
    VirtAddr, //
};
use linmap::desc::Format;
use linmap::error::Error;
use linmap::geometry::Level;
use linmap::geometry::{
    Geometry,
    Granule, //
};
use linmap::host::audit::Auditor;
use linmap::host::model::HostMmu;
use linmap::host::reference::SplitOracle;
use linmap::host::scenario::{
    Layout,
    World,
    MEMSTART, //
};
use linmap::pageattr::Split;
use linmap::pageattr::{
    MaskConfig,
    PageChange, //
};
use linmap::walk::PageTables;

fn model_counts(m: &HostMmu) -> BTreeMap<(Level, bool), usize> {
    SplitOracle::capture(m).counts()
}

/// A random layout for `fmt`: a block-mapped bank of a few PMDs (a 1G PUD
/// block with 4K pages when lucky) and a small odd one, the kernel image
/// at the start of the first.
fn random_world(fmt: Format, rng: &mut Rng) -> World {
    let g = fmt.geometry;
    let page = g.page_size();
    let pmd = g.entry_size(Level::Pmd);
    let big = if g.page_shift() == 12 && rng.chance(40) {
        1 << 30
    } else {
        pmd * rng.range(2, 6)
    };
    let b0 = (
        MEMSTART,
        MEMSTART + big + rng.range(0, 3) * g.cont_size(Level::Pte),
    );
    let s1 = (b0.1 + pmd).next_multiple_of(pmd) + rng.range(0, 8) * page;
    let b1 = (
        s1,
        s1 + rng.range(1, 4) * g.cont_size(Level::Pte) + rng.range(0, 4) * page,
    );
    let text = (MEMSTART + 4 * page, MEMSTART + 20 * page);
    let layout = Layout {
        banks: vec![b0, b1],
        text,
        data: (text.1, text.1),
        force_pte: false,
        tagged: rng.chance(50),
    };
    let masks = MaskConfig {
        use_ng_mappings: rng.chance(30),
        bti_kernel: rng.chance(30),
    };
    let w = World::new(fmt, &layout, masks);
    for &(s, e) in &layout.banks {
        for pa in (s..e).step_by(page as usize) {
            assert!(w.reference.contains(PhysAddr(pa)));
        }
    }
    w
}

/// Checks the pages of `[pa, pa + n pages)` against the reference.
fn check_pages(w: &World, pa: u64, n: u64, ctx: &str) {
    if let Err(e) = w.reference.check(w.mmu(), PhysAddr(pa), n) {
        panic!("{ctx}: {e}");
    }
}

/// Checks every page, and the leaves against 7.3's split algorithm.
fn check_all(w: &World, ctx: &str) {
    let page = w.fmt.geometry.page_size();
    for &(s, e) in &w.layout.banks {
        check_pages(w, s, (e - s) / page, ctx);
    }
    assert_eq!(model_counts(w.mmu()), w.oracle.counts(), "{ctx}: leaves");
}

fn va_of(fmt: &Format, pa: u64) -> VirtAddr {
    VirtAddr((pa - MEMSTART) | fmt.geometry.page_offset())
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Ro,
    Rw,
    Nx,
    X,
    Valid(bool),
    DirectMapDefault,
    DirectMapInvalid,
    EncDec(bool),
}

fn changes(w: &World, op: Op) -> Vec<(PageChange, bool)> {
    // (change, flush as __change_memory_common does, or not: *_noflush)
    let m = &w.masks;
    match op {
        Op::Ro => vec![(PageChange::ro(), true)],
        Op::Rw => vec![(PageChange::rw(), true)],
        Op::Nx => vec![(PageChange::nx(m), true)],
        Op::X => vec![(PageChange::x(m), true)],
        Op::Valid(e) => vec![(PageChange::valid(m, e), true)],
        Op::DirectMapDefault => vec![(PageChange::direct_map_default(m), false)],
        Op::DirectMapInvalid => vec![(PageChange::valid(m, false), false)],
        Op::EncDec(enc) => vec![
            (PageChange::enc_dec_break(m, &w.fmt, enc), true),
            (PageChange::valid(m, true), true),
        ],
    }
}

/// `va` with a KASAN tag in its top byte (0xf0 to 0xfe, as
/// `page_to_virt()` makes them), which the walk must ignore.
fn tagged(va: VirtAddr, tag: u64) -> VirtAddr {
    VirtAddr((va.0 & !(0xff << 56)) | ((0xf0 + tag % 15) << 56))
}

fn run_op(w: &mut World, op: Op, pa: u64, n: u64, ctx: &str) {
    run_op_at(w, op, pa, n, None, ctx);
}

fn run_op_at(w: &mut World, op: Op, pa: u64, n: u64, tag: Option<u64>, ctx: &str) {
    let g = w.fmt.geometry;
    let page = g.page_size();
    let va = va_of(&w.fmt, pa);
    let va = tag.map_or(va, |t| tagged(va, t));
    let size = n * page;
    for (change, flush) in changes(w, op) {
        let allocs = w.a.inner().stats.allocs;
        let expect_allocs =
            w.oracle.split_at(va.untagged().0) + w.oracle.split_at(va.untagged().0 + size);
        let root = w.root();
        let fmt = w.fmt;
        let r = if flush {
            PageTables::new(&mut w.a, &fmt, root).change_memory_common(
                &w.masks,
                va,
                size,
                change,
                Split::Allowed,
            )
        } else {
            PageTables::new(&mut w.a, &fmt, root).update_range_prot(
                va,
                size,
                change,
                Split::Allowed,
            )
        };
        assert_eq!(r, Ok(()), "{ctx}");
        assert_eq!(
            w.a.inner().stats.allocs - allocs,
            expect_allocs,
            "{ctx}: tables allocated"
        );
        w.reference.apply(PhysAddr(pa), n, change);
    }
    w.a.quiesce();
    assert_eq!(w.a.violations(), &[], "{ctx}");
    // Around the range and its ends.
    let around = 2 * g.cont_size(Level::Pte) / page;
    check_pages(w, pa.saturating_sub(around * page), n + 2 * around, ctx);
}

fn random_op(rng: &mut Rng) -> Op {
    match rng.range(0, 9) {
        0 => Op::Ro,
        1 => Op::Rw,
        2 => Op::Nx,
        3 => Op::X,
        4 => Op::Valid(rng.chance(50)),
        5 => Op::DirectMapDefault,
        6 => Op::DirectMapInvalid,
        _ => Op::EncDec(rng.chance(50)),
    }
}

#[test]
fn random_operations_match_the_reference() {
    let mut ops = 0;
    for (fi, mut fmt) in all_formats().into_iter().enumerate() {
        fmt.ns_shared = 1 << 47;
        for seed in 0..12u64 {
            let mut rng = Rng::new(seed * 31 + fi as u64);
            let mut w = random_world(fmt, &mut rng);
            let g = fmt.geometry;
            let page = g.page_size();
            let ctx0 = format!("{g} seed {seed} banks {:x?}", w.layout.banks);
            check_all(&w, &ctx0);
            for step in 0..25 {
                let (s, e) = w.layout.banks[rng.range(0, 2) as usize];
                let npages = (e - s) / page;
                let first = rng.range(0, npages);
                let n = match rng.range(0, 4) {
                    0 => 1,
                    1 => rng.range(1, 4),
                    2 => rng.range(1, 64),
                    _ => rng.range(1, npages + 1),
                }
                .min(npages - first);
                let op = if n == 1 || rng.chance(70) {
                    random_op(&mut rng)
                } else {
                    Op::Ro
                };
                let op = if matches!(op, Op::DirectMapInvalid) && n > 1 {
                    Op::Valid(false)
                } else {
                    op
                };
                let tag = rng.chance(25).then(|| rng.range(0, 15));
                let ctx = format!(
                    "{ctx0} step {step}: {op:?} PA {:#x} x{n} tag {tag:?}",
                    s + first * page
                );
                run_op_at(&mut w, op, s + first * page, n, tag, &ctx);
                ops += 1;
            }
            check_all(&w, &ctx0);
        }
    }
    assert!(ops >= 2500);
}

#[test]
fn pte_mapped_ranges_never_allocate() {
    for fmt in all_formats() {
        let mut rng = Rng::new(7);
        let mut w = random_world(fmt, &mut rng);
        let page = fmt.geometry.page_size();
        // Split a page out, then change pages inside the now PTE-mapped part.
        let pa = MEMSTART + 3 * page;
        run_op(&mut w, Op::Ro, pa, 1, "first split");
        let allocs = w.a.inner().stats.allocs;
        for i in 0..4 {
            run_op(&mut w, Op::Rw, pa + i * page, 1, "inside");
            run_op(&mut w, Op::Valid(false), pa + i * page, 1, "inside");
            run_op(&mut w, Op::Valid(true), pa + i * page, 1, "inside");
        }
        assert_eq!(w.a.inner().stats.allocs, allocs, "{}", fmt.geometry);
    }
}

#[test]
fn bad_input_changes_nothing() {
    for fmt in all_formats() {
        let mut rng = Rng::new(11);
        let mut w = random_world(fmt, &mut rng);
        let g = fmt.geometry;
        let page = g.page_size();
        let root = w.root();
        let va = va_of(&fmt, MEMSTART + 5 * page);
        let writes = w.a.inner().stats.writes;
        let cases: Vec<(VirtAddr, u64, Error)> = vec![
            // 7.3's walker refuses start >= end: -EINVAL, no split.
            (va, 0, Error::Invalid),
            (VirtAddr(u64::MAX - page + 1), 2 * page, Error::Invalid), // overflow
            (va, u64::MAX - page, Error::Invalid),                     // size overflows
            (VirtAddr(0x4000_0000), page, Error::Invalid),             // below the linear map
            // A tagged user address stays a user address.
            (VirtAddr(0xf400_0000_4000_0000), page, Error::Invalid),
        ];
        for (start, size, err) in cases {
            let r = PageTables::new(&mut w.a, &fmt, root).update_range_prot(
                start,
                size,
                PageChange::ro(),
                Split::Allowed,
            );
            assert_eq!(r, Err(err), "{g}: {start} + {size:#x}");
        }
        assert_eq!(
            w.a.inner().stats.writes,
            writes,
            "{g}: something was written"
        );
        assert_eq!(w.a.violations(), &[]);
        check_all(&w, &format!("{g} after bad input"));
    }
}

/// What 7.3's walker accepts, linmap accepts alike: a start inside a page
/// (the change starts from that page), a size that is not a multiple of
/// pages (rounded up), and holes (skipped, the mapped part changed).
#[test]
fn input_7_3_accepts_is_accepted() {
    for fmt in all_formats() {
        let mut rng = Rng::new(13);
        let mut w = random_world(fmt, &mut rng);
        let g = fmt.geometry;
        let page = g.page_size();
        let pmd = g.entry_size(Level::Pmd);
        let root = w.root();
        let masks = w.masks;
        let apply = |w: &mut World, start: VirtAddr, size: u64, ctx: &str| {
            let first = start.untagged().align_down(page).0;
            w.oracle.split_at(first);
            w.oracle.split_at(first + size.next_multiple_of(page));
            let r = PageTables::new(&mut w.a, &fmt, root).update_range_prot(
                start,
                size,
                PageChange::ro(),
                Split::Allowed,
            );
            assert_eq!(r, Ok(()), "{g}: {ctx}");
            w.a.quiesce();
            assert_eq!(w.a.violations(), &[], "{g}: {ctx}");
        };
        // Unaligned start and size: pages 5 and 6.
        let pa = MEMSTART + 5 * page;
        apply(&mut w, va_of(&fmt, pa) + 0x10, page + 7, "unaligned");
        w.reference.apply(PhysAddr(pa), 2, PageChange::ro());
        check_pages(&w, pa - 32 * page, 64, &format!("{g}: unaligned"));
        // From the last page of bank 0 over the hole to bank 1: the two
        // mapped ends change, the hole stays unmapped.
        let (b0, b1) = (w.layout.banks[0], w.layout.banks[1]);
        let start = b0.1 - page;
        apply(
            &mut w,
            va_of(&fmt, start),
            b1.0 + page - start,
            "over a hole",
        );
        w.reference.apply(PhysAddr(start), 1, PageChange::ro());
        w.reference.apply(PhysAddr(b1.0), 1, PageChange::ro());
        check_all(&w, &format!("{g}: over a hole"));
        for pa in [b0.1.next_multiple_of(page), b1.0 - page] {
            assert_eq!(w.a.inner().leaf(va_of(&fmt, pa)), None, "{g}: {pa:#x}");
        }
        // Entirely in a hole whole tables wide: nothing to change.
        let writes = w.a.inner().stats.writes;
        apply(&mut w, va_of(&fmt, b1.1 + 64 * pmd), page, "in a hole");
        assert_eq!(w.a.inner().stats.writes, writes, "{g}: in a hole");
        // Valid again through a tagged address.
        let r = PageTables::new(&mut w.a, &fmt, root).change_memory_common(
            &masks,
            tagged(va_of(&fmt, pa), 3),
            2 * page,
            PageChange::rw(),
            Split::Allowed,
        );
        assert_eq!(r, Ok(()), "{g}: tagged");
        w.a.quiesce();
        assert_eq!(w.a.violations(), &[], "{g}: tagged");
        w.reference.apply(PhysAddr(pa), 2, PageChange::rw());
        check_all(&w, &format!("{g}: tagged"));
    }
}

#[test]
fn partial_block_without_split_is_refused_untouched() {
    // The realm report's situation: a split was not allowed, the range
    // covers part of a block. 7.3 WARNs in pageattr_pmd_entry(); linmap
    // refuses before writing anything.
    let fmt = all_formats()[1];
    let mut rng = Rng::new(3);
    let mut w = random_world(fmt, &mut rng);
    let page = fmt.geometry.page_size();
    let root = w.root();
    let pa = MEMSTART + fmt.geometry.entry_size(Level::Pmd) + 5 * page;
    let writes = w.a.inner().stats.writes;
    let r = PageTables::new(&mut w.a, &fmt, root).update_range_prot(
        va_of(&fmt, pa),
        page,
        PageChange::valid(&w.masks, false),
        Split::Forbidden,
    );
    assert_eq!(r, Err(Error::PartlyCovered));
    assert_eq!(w.a.inner().stats.writes, writes);
}

#[test]
fn range_ending_inside_a_block_is_refused_untouched() {
    // Whole leaves first (split to PTEs), then one the range ends inside:
    // refused before the leaves it covers whole are written.
    for fmt in all_formats() {
        let g = fmt.geometry;
        let mut rng = Rng::new(5);
        let mut w = random_world(fmt, &mut rng);
        let page = g.page_size();
        let root = w.root();
        let pmd = g.entry_size(Level::Pmd);
        let pa = MEMSTART + 2 * pmd;
        // [pa - 4 pages, pa) to PTEs; [pa, pa + pmd) stays a block.
        let r = PageTables::new(&mut w.a, &fmt, root).update_range_prot(
            va_of(&fmt, pa - 4 * page),
            4 * page,
            PageChange::ro(),
            Split::Allowed,
        );
        assert_eq!(r, Ok(()), "{g}");
        w.reference
            .apply(PhysAddr(pa - 4 * page), 4, PageChange::ro());
        let Some((_, level)) = PageTables::new(w.a.inner(), &fmt, root).lookup(va_of(&fmt, pa))
        else {
            panic!("{g}: hole");
        };
        if level == Level::Pte {
            continue;
        }
        let writes = w.a.inner().stats.writes;
        let r = PageTables::new(&mut w.a, &fmt, root).update_range_prot(
            va_of(&fmt, pa - 4 * page),
            5 * page,
            PageChange::rw(),
            Split::Forbidden,
        );
        assert_eq!(r, Err(Error::PartlyCovered), "{g}");
        assert_eq!(w.a.inner().stats.writes, writes, "{g}");
        w.a.quiesce();
        assert_eq!(w.a.violations(), &[], "{g}");
        check_pages(&w, pa - 4 * page, pmd / page, &format!("{g}: refused"));
    }
}

#[test]
fn repaint_tables_counted_before_the_repaint() {
    // The count the kernel preallocates from is what the repaint allocates,
    // on a fresh map and after some splits.
    for fmt in all_formats() {
        let g = fmt.geometry;
        for seed in 0..4 {
            let mut rng = Rng::new(40 + seed);
            let mut w = random_world(fmt, &mut rng);
            let root = w.root();
            let page = g.page_size();
            for _ in 0..seed * 3 {
                let (s, e) = w.layout.banks[0];
                let pa = s + rng.range(0, (e - s) / page) * page;
                PageTables::new(&mut w.a, &fmt, root)
                    .update_range_prot(va_of(&fmt, pa), page, PageChange::ro(), Split::Allowed)
                    .unwrap();
            }
            let (start, end) = (VirtAddr(g.page_offset()), VirtAddr(g.page_end()));
            let want = PageTables::new(&mut w.a, &fmt, root).range_split_to_ptes_tables(start, end);
            let allocs = w.a.inner().stats.allocs;
            PageTables::new(&mut w.a, &fmt, root)
                .range_split_to_ptes(start, end)
                .unwrap();
            let made = w.a.inner().stats.allocs - allocs;
            assert_eq!(want.pte + want.pmd, made, "{g} seed {seed}");
            let left = PageTables::new(&mut w.a, &fmt, root).range_split_to_ptes_tables(start, end);
            assert_eq!(left, Default::default(), "{g} seed {seed}");
            if seed == 0 {
                assert!(made > 0, "{g}: nothing was block-mapped");
            }
        }
    }
}

#[test]
fn one_page_update_is_one_descent() {
    // update_range_prot() on a page: as many loads as levels, as C's walk.
    for fmt in all_formats() {
        let g = fmt.geometry;
        let mut rng = Rng::new(6);
        let mut w = random_world(fmt, &mut rng);
        let page = g.page_size();
        let root = w.root();
        let va = va_of(&fmt, MEMSTART + 7 * page);
        PageTables::new(&mut w.a, &fmt, root)
            .update_range_prot(va, page, PageChange::ro(), Split::Allowed)
            .unwrap();
        let (_, level) = PageTables::new(w.a.inner(), &fmt, root).lookup(va).unwrap();
        assert_eq!(level, Level::Pte, "{g}");
        // Unaudited: the auditor loads entries too.
        let m = w.a.inner_mut();
        m.reads.reset();
        PageTables::new(&mut *m, &fmt, root)
            .update_range_prot(va, page, PageChange::rw(), Split::Forbidden)
            .unwrap();
        let levels = (Level::Pte.number() - g.start_level().number() + 1) as usize;
        assert_eq!(m.reads.get(), levels, "{g}");
    }
}

#[test]
fn allocation_failure_keeps_completed_splits() {
    let fmt = all_formats()[1];
    let page = fmt.geometry.page_size();
    for fail_after in 0..3 {
        let mut rng = Rng::new(5);
        let mut w = random_world(fmt, &mut rng);
        let root = w.root();
        // A range whose two ends each need a PMD split.
        let start = MEMSTART + fmt.geometry.entry_size(Level::Pmd) + 5 * page;
        let end = MEMSTART + 2 * fmt.geometry.entry_size(Level::Pmd) + 9 * page;
        w.a.inner_mut().fail_alloc_after = Some(fail_after);
        let writes_before = w.a.inner().stats.writes;
        let r = PageTables::new(&mut w.a, &fmt, root).update_range_prot(
            va_of(&fmt, start),
            end - start,
            PageChange::ro(),
            Split::Allowed,
        );
        if fail_after < 2 {
            assert_eq!(r, Err(Error::NoMemory), "fail_after {fail_after}");
            // No attribute changed; completed splits are equivalent mappings.
            w.a.quiesce();
            assert_eq!(w.a.violations(), &[]);
            check_pages(
                &w,
                start - 32 * page,
                (end - start) / page + 64,
                "after ENOMEM",
            );
            assert!(w.a.inner().stats.writes > writes_before || fail_after == 0);
        } else {
            assert_eq!(r, Ok(()));
        }
    }
}

#[test]
fn finalize_repaint_to_ptes() {
    for fmt in all_formats() {
        let g = fmt.geometry;
        let mut rng = Rng::new(21);
        let mut w = random_world(fmt, &mut rng);
        let page = g.page_size();
        run_op(&mut w, Op::Ro, MEMSTART + 40 * page, 3, "before repaint");
        let root = w.root();
        let (ks, ke) = (va_of(&fmt, w.layout.text.0), va_of(&fmt, w.layout.text.1));
        let r = PageTables::new(&mut w.a, &fmt, root).linear_map_split_to_ptes(
            VirtAddr(g.page_offset()),
            VirtAddr(g.page_end()),
            ks,
            ke,
        );
        assert_eq!(r, Ok(()));
        w.a.quiesce();
        assert_eq!(w.a.violations(), &[], "{g}");
        check_all_pages_only(&w);
        // Every leaf outside the kernel alias's leaves is a plain PTE.
        let mut bad = Vec::new();
        w.a.inner().for_each_entry(
            VirtAddr(g.page_offset()),
            VirtAddr(g.page_end()),
            &mut |va, level, d| {
                let touches_alias = va.0 < ke.0 && va.0 + g.entry_size(level) > ks.0;
                if d.is_leaf(level) && !touches_alias && (level != Level::Pte || d.cont()) {
                    bad.push((va, level, d));
                }
            },
        );
        assert_eq!(bad, vec![], "{g}");
    }
}

#[test]
fn finalize_repaint_reports_allocation_failure() {
    let fmt = all_formats()[1];
    let g = fmt.geometry;
    let mut rng = Rng::new(21);
    let mut w = random_world(fmt, &mut rng);
    w.a.inner_mut().fail_alloc_after = Some(1);
    let root = w.root();
    let r = PageTables::new(&mut w.a, &fmt, root).linear_map_split_to_ptes(
        VirtAddr(g.page_offset()),
        VirtAddr(g.page_end()),
        VirtAddr(g.page_offset()),
        VirtAddr(g.page_offset()),
    );
    assert_eq!(r, Err(Error::NoMemory));
    w.a.quiesce();
    assert_eq!(w.a.violations(), &[]);
    check_all_pages_only(&w);
}

/// Checks every page against the reference (not the leaves).
fn check_all_pages_only(w: &World) {
    let page = w.fmt.geometry.page_size();
    for &(s, e) in &w.layout.banks {
        check_pages(w, s, (e - s) / page, "pages");
    }
}

/// `set_memory_ro()` of the page at `target`, splitting, under the auditor
/// (BBML3): it succeeds and the auditor finds nothing. Returns the model.
fn ro_page_audited(m: HostMmu, fmt: &Format, target: VirtAddr) -> HostMmu {
    let g = fmt.geometry;
    let root = m.root();
    let mut a = Auditor::new(m, *fmt, root, true);
    let r = PageTables::new(&mut a, fmt, root).change_memory_common(
        &MaskConfig::default(),
        target,
        g.page_size(),
        PageChange::ro(),
        Split::Allowed,
    );
    assert_eq!(r, Ok(()), "{g}");
    a.quiesce();
    assert_eq!(a.violations(), &[], "{g}");
    a.into_parts().0
}

/// Where the top table holds linear-map blocks (4K/39: 1G blocks; 16K/36
/// and 64K/42: PMD blocks and contiguous PMDs), splitting one stores into
/// the top table, which the kernel may only write through
/// `set_swapper_pgd()`: the model refuses stores through `write()` there.
#[test]
fn top_level_blocks_split_through_write_top() {
    for fmt in all_formats() {
        let g = fmt.geometry;
        if !g.block_allowed(g.start_level()) {
            continue;
        }
        let top_block = g.entry_size(g.start_level());
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        let va = VirtAddr(g.page_offset());
        let size = 2 * top_block;
        let r = PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
            PhysAddr(0),
            va,
            size,
            fmt.prot_normal(),
            0,
        );
        assert_eq!(r, Ok(()), "{g}");
        assert_eq!(m.leaf(va).map(|(_, l)| l), Some(g.start_level()), "{g}");
        let target = va + top_block + 5 * g.page_size();
        let m = &ro_page_audited(m, &fmt, target);
        assert!(m.stats.top_writes >= 1, "{g}: no store into the top table");
        let (d, l) = m.leaf(target).unwrap();
        assert!(l == Level::Pte && d.rdonly(), "{g}");
        // The other block is untouched.
        assert_eq!(m.leaf(va).map(|(_, l)| l), Some(g.start_level()), "{g}");
    }
}

/// 64K pages, 52-bit VAs, a CPU without FEAT_LVA (or `arm64.nolva`): the
/// kernel's geometry keeps the 1024-entry PGD and the hardware starts its
/// walk 960 entries in. A change through the core is what the CPU sees.
#[test]
fn lva_less_64k_52_walks_what_the_cpu_walks() {
    let geometry = Geometry::for_kernel(Granule::K64, 52, 48, true).unwrap();
    let fmt = all_formats()
        .into_iter()
        .find(|f| f.geometry == geometry)
        .unwrap();
    let g = fmt.geometry;
    let mut m = HostMmu::new(fmt);
    let root = m.root();
    // The linear map as arm64_memblock_init() places it then: from
    // _PAGE_OFFSET(48).
    let va = VirtAddr(0xffff_0000_0000_0000);
    let pmd = g.entry_size(Level::Pmd);
    let r = PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
        PhysAddr(MEMSTART),
        va,
        4 * pmd,
        fmt.prot_normal(),
        0,
    );
    assert_eq!(r, Ok(()));
    assert_eq!(
        m.translate_hw(va + 0x1234, 48).map(|t| t.oa),
        Some(PhysAddr(MEMSTART + 0x1234))
    );
    let target = va + pmd + 3 * g.page_size();
    let m = &ro_page_audited(m, &fmt, target);
    let t = m.translate_hw(target, 48).unwrap();
    assert!(t.level == Level::Pte && t.desc.rdonly());
    assert_eq!(t.oa, PhysAddr(MEMSTART + pmd + 3 * g.page_size()));
    let next = m.translate_hw(target + g.page_size(), 48).unwrap();
    assert!(next.level == Level::Pte && !next.desc.rdonly());
    // The 48-bit geometry the kernel glue used to pass would have walked
    // entries 0 to 63 of this table, all empty.
    let wrong = Geometry::new(Granule::K64, 48, true).unwrap();
    assert_eq!(wrong.index(va.0, wrong.start_level()), 0);
    assert_eq!(
        linmap::hw::TableRead::read(m, root, 0),
        linmap::desc::Descriptor::NONE
    );
}
