// SPDX-License-Identifier: GPL-2.0

//! One test per class of auditor violation (the illegal sequence, the exact
//! error), and the legal BBML3 sequences that must pass.

use linmap::addr::{
    PhysAddr,
    VirtAddr, //
};
use linmap::desc::{
    Descriptor,
    Format,
    PMD_TABLE_AF,
    PMD_TABLE_UXN,
    PTE_CONT,
    PTE_PRESENT_INVALID,
    PTE_RDONLY,
    PTE_VALID,
    PTE_WRITE, //
};
use linmap::geometry::{
    Geometry,
    Granule,
    Level, //
};
use linmap::host::audit::{
    Auditor,
    Violation,
    ViolationKind, //
};
use linmap::host::model::HostMmu;
use linmap::hw::{
    PageTableHw,
    Table,
    TableInit,
    TableRead, //
};
use linmap::linear::NO_EXEC_MAPPINGS;
use linmap::walk::PageTables;

const PA: u64 = 0x4000_0000;

struct Setup {
    a: Auditor<HostMmu>,
    fmt: Format,
    /// The PMD table holding the two 2M blocks mapped at PAGE_OFFSET.
    pmd: Table,
    va: u64,
}

fn fmt() -> Format {
    Format::new(Geometry::new(Granule::K4, 48, false).unwrap())
}

/// Two 2M blocks at PAGE_OFFSET -> 0x40000000, audited from here on.
fn setup(bbml3: bool) -> Setup {
    let fmt = fmt();
    let g = fmt.geometry;
    let mut m = HostMmu::new(fmt);
    let root = m.root();
    let va = g.page_offset();
    PageTables::new(&mut m, &fmt, root)
        .create_pgd_mapping(
            PhysAddr(PA),
            VirtAddr(va),
            4 << 20,
            fmt.prot_normal(),
            NO_EXEC_MAPPINGS,
        )
        .unwrap();
    let (slot, d) = m.tree().lookup_slot(VirtAddr(va));
    let t = slot.table();
    assert_eq!((t.level(), slot.index()), (Level::Pmd, 0));
    assert_eq!(d.kind(Level::Pmd), linmap::desc::Kind::Block);
    Setup {
        a: Auditor::new(m, fmt, root, bbml3),
        fmt,
        pmd: t,
        va,
    }
}

/// A PTE table that maps what the PMD block at `pa` maps, as 7.3's
/// `split_pmd()` builds it (`to_cont`: with the contiguous hint).
fn pte_table_for_block(
    s: &mut Setup,
    pa: u64,
    to_cont: bool,
    tweak: impl Fn(usize, Descriptor) -> Descriptor,
) -> Table {
    let t = s.a.alloc_table(Level::Pte, TableInit::Overwritten).unwrap();
    let prot = s.fmt.prot_normal() | if to_cont { PTE_CONT } else { 0 };
    for i in 0..512 {
        let d = s.fmt.pfn_pte(PhysAddr(pa + (i as u64) * 4096), prot);
        s.a.write(t, i, tweak(i, d));
    }
    t
}

fn table_desc(s: &Setup, t: Table) -> Descriptor {
    s.fmt.table(t.pa(), PMD_TABLE_UXN | PMD_TABLE_AF)
}

/// Orders the table's stores and publishes it in place of the first block
/// (a split, done right); returns the table descriptor.
fn publish(s: &mut Setup, t: Table) -> Descriptor {
    s.a.dsb_ishst();
    let new = table_desc(s, t);
    s.a.write(s.pmd, 0, new);
    new
}

/// `flush_tlb_all()`: an invalidation of every address.
fn flush_all(s: &mut Setup) {
    s.a.flush_tlb_kernel_range(VirtAddr(0), VirtAddr(u64::MAX));
}

fn block(s: &Setup) -> Descriptor {
    s.a.read(s.pmd, 0)
}

#[test]
fn unzeroed_table_published_only_when_every_entry_was_stored() {
    let mut s = setup(true);
    let t = s.a.alloc_table(Level::Pte, TableInit::Overwritten).unwrap();
    let prot = s.fmt.prot_normal();
    for i in 1..512 {
        let d = s.fmt.pfn_pte(PhysAddr(PA + (i as u64) * 4096), prot);
        s.a.write(t, i, d);
    }
    let old = block(&s);
    let new = publish(&mut s, t);
    assert!(s
        .a
        .violations()
        .iter()
        .any(|v| v.kind == ViolationKind::PublishUninitialized && v.old == old && v.new == new));

    // The same table, complete: no such violation.
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    publish(&mut s, t);
    assert!(s
        .a
        .violations()
        .iter()
        .all(|v| v.kind != ViolationKind::PublishUninitialized));
}

#[test]
fn split_without_bbml3_needs_break_before_make() {
    let mut s = setup(false);
    let t = pte_table_for_block(&mut s, PA, true, |_, d| d);
    s.a.dsb_ishst();
    let old = block(&s);
    let new = table_desc(&s, t);
    s.a.write(s.pmd, 0, new);
    assert_eq!(
        s.a.violations(),
        &[Violation {
            kind: ViolationKind::BreakBeforeMake,
            start: VirtAddr(s.va),
            end: VirtAddr(s.va + (2 << 20)),
            level: Level::Pmd,
            old,
            new,
        }]
    );
}

#[test]
fn split_with_bbml3_is_legal() {
    for to_cont in [false, true] {
        let mut s = setup(true);
        let t = pte_table_for_block(&mut s, PA, to_cont, |_, d| d);
        publish(&mut s, t);
        s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (2 << 20)));
        assert_eq!(s.a.violations(), &[], "to_cont={to_cont}");
        let tr = s.a.inner().translate(VirtAddr(s.va + 0x1234)).unwrap();
        assert_eq!(
            (tr.oa, tr.level, tr.contiguous),
            (PhysAddr(PA + 0x1234), Level::Pte, to_cont)
        );
    }
}

#[test]
fn split_to_other_addresses_is_not_equivalent() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |i, d| {
        if i == 7 {
            d.with_output_address(&fmt(), PhysAddr(0x9000_0000))
        } else {
            d
        }
    });
    s.a.dsb_ishst();
    let old = block(&s);
    let new = table_desc(&s, t);
    s.a.write(s.pmd, 0, new);
    assert_eq!(s.a.violations().len(), 1);
    assert_eq!(s.a.violations()[0].kind, ViolationKind::SplitNotEquivalent);
    assert_eq!(
        (s.a.violations()[0].old, s.a.violations()[0].new),
        (old, new)
    );
    assert_eq!(s.a.violations()[0].start, VirtAddr(s.va));
}

#[test]
fn split_with_a_hole_is_not_equivalent() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |i, d| {
        if i == 511 {
            Descriptor::NONE
        } else {
            d
        }
    });
    publish(&mut s, t);
    assert_eq!(s.a.violations()[0].kind, ViolationKind::SplitNotEquivalent);
}

#[test]
fn split_may_change_permissions_as_pgattr_allows() {
    // 7.3 splits first and changes permissions after, but a table whose
    // pages differ from the block only in safe bits is equivalent.
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |i, d| {
        if i == 0 {
            d.clear(PTE_WRITE).set(PTE_RDONLY)
        } else {
            d
        }
    });
    publish(&mut s, t);
    assert_eq!(s.a.violations(), &[]);
}

#[test]
fn table_published_before_barrier() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    let old = block(&s);
    let new = table_desc(&s, t);
    s.a.write(s.pmd, 0, new);
    assert_eq!(
        s.a.violations(),
        &[Violation {
            kind: ViolationKind::TablePublishedBeforeBarrier,
            start: VirtAddr(s.va),
            end: VirtAddr(s.va + (2 << 20)),
            level: Level::Pmd,
            old,
            new,
        }]
    );
}

#[test]
fn publish_unknown_table() {
    let mut s = setup(true);
    let new = s.fmt.table(PhysAddr(0x7777_0000), PMD_TABLE_UXN);
    s.a.write(s.pmd, 1, new);
    assert_eq!(s.a.violations()[0].kind, ViolationKind::PublishUnknownTable);
    assert_eq!(s.a.violations()[0].start, VirtAddr(s.va + (2 << 20)));
}

#[test]
fn live_output_address_change_needs_break_before_make() {
    for bbml3 in [false, true] {
        let mut s = setup(bbml3);
        let old = block(&s);
        let new = old.with_output_address(&s.fmt, PhysAddr(0x8000_0000));
        s.a.write(s.pmd, 0, new);
        assert_eq!(s.a.violations()[0].kind, ViolationKind::BreakBeforeMake);
        assert_eq!(
            (s.a.violations()[0].old, s.a.violations()[0].new),
            (old, new)
        );
    }
}

#[test]
fn permission_change_on_live_block_is_legal() {
    let mut s = setup(false);
    let old = block(&s);
    s.a.write(s.pmd, 0, old.clear(PTE_WRITE).set(PTE_RDONLY));
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (2 << 20)));
    assert_eq!(s.a.violations(), &[]);
}

#[test]
fn missing_tlbi_between_break_and_make() {
    let mut s = setup(false);
    let old = block(&s);
    let moved = old.with_output_address(&s.fmt, PhysAddr(0x8000_0000));
    s.a.write(s.pmd, 0, Descriptor::NONE);
    s.a.write(s.pmd, 0, moved);
    assert_eq!(
        s.a.violations(),
        &[Violation {
            kind: ViolationKind::MissingTlbi,
            start: VirtAddr(s.va),
            end: VirtAddr(s.va + (2 << 20)),
            level: Level::Pmd,
            old: Descriptor::NONE,
            new: moved,
        }]
    );

    // The same with the invalidation is break-before-make done right.
    let mut s = setup(false);
    s.a.write(s.pmd, 0, Descriptor::NONE);
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (2 << 20)));
    s.a.write(s.pmd, 0, moved);
    assert_eq!(s.a.violations(), &[]);
}

#[test]
fn present_invalid_and_back_is_legal_without_tlbi() {
    // set_memory_valid(0) then set_memory_valid(1): the translation a TLB
    // may hold is the one that comes back (7.3 skips that TLBI).
    let mut s = setup(false);
    let old = block(&s);
    s.a.write(s.pmd, 0, old.clear(PTE_VALID).set(PTE_PRESENT_INVALID));
    s.a.write(s.pmd, 0, old);
    assert_eq!(s.a.violations(), &[]);
}

#[test]
fn contiguous_group_with_misaligned_member() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, true, |i, d| {
        if i == 3 {
            d.with_output_address(&fmt(), PhysAddr(PA + 0x10_0000))
        } else {
            d
        }
    });
    s.a.dsb_ishst();
    // Published without it being a split: the PMD entry was none.
    s.a.write(s.pmd, 1, Descriptor::NONE);
    flush_all(&mut s);
    s.a.clear_violations();
    let new = table_desc(&s, t);
    s.a.write(s.pmd, 1, new);
    flush_all(&mut s);
    let v = s.a.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].kind, ViolationKind::ContiguousInconsistent);
    assert_eq!(v[0].start, VirtAddr(s.va + (2 << 20) + 3 * 4096));
    assert_eq!(v[0].level, Level::Pte);
}

#[test]
fn contiguous_hint_cleared_entry_by_entry() {
    // 7.3's split_contpte(): clear PTE_CONT on each entry of a live group.
    for bbml3 in [false, true] {
        let mut s = setup(true);
        let t = pte_table_for_block(&mut s, PA, true, |_, d| d);
        publish(&mut s, t);
        flush_all(&mut s);
        assert_eq!(s.a.violations(), &[]);
        s.a.set_bbml3(bbml3);
        for i in 0..16 {
            let d = s.a.read(t, i);
            s.a.write(t, i, d.clear(PTE_CONT));
        }
        s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + 0x10000));
        if bbml3 {
            assert_eq!(s.a.violations(), &[]);
        } else {
            assert_eq!(s.a.violations().len(), 16);
            assert!(s
                .a
                .violations()
                .iter()
                .all(|v| v.kind == ViolationKind::BreakBeforeMake));
        }
    }
}

#[test]
fn contiguous_group_left_incomplete_at_invalidation() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, true, |_, d| d);
    publish(&mut s, t);
    // Make one page of a contiguous group read-only and stop there.
    let d = s.a.read(t, 5);
    s.a.write(t, 5, d.clear(PTE_WRITE).set(PTE_RDONLY));
    assert_eq!(s.a.violations(), &[]);
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (2 << 20)));
    let v = s.a.violations();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, ViolationKind::ContiguousInconsistent);
    assert_eq!(v[0].start, VirtAddr(s.va + 5 * 4096));
}

/// A table collapsed back to its block, invalidated (`walks`: the walk
/// caches too) and freed: the auditor's findings.
fn collapse_and_free(walks: bool) -> Vec<Violation> {
    let mut s = setup(true);
    let old_block = block(&s);
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    publish(&mut s, t);
    s.a.write(s.pmd, 0, old_block);
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (2 << 20)));
    if walks {
        s.a.flush_tlb_kernel_pgtable(VirtAddr(s.va + 0x5000));
    }
    // SAFETY: The model's table, unlinked; the model's frees touch no
    // memory, and a free the rules forbid is what the auditor reports.
    unsafe { s.a.free_table(t) };
    s.a.violations().to_vec()
}

#[test]
fn collapse_with_bbml3_then_free_after_tlbi() {
    assert_eq!(collapse_and_free(true), &[]);
}

#[test]
fn leaf_only_invalidation_does_not_cover_a_free() {
    // flush_tlb_kernel_range() is TLBI VAALE1IS: the walk caches may still
    // hold the PMD entry that pointed at the table.
    assert_eq!(
        collapse_and_free(false)[0].kind,
        ViolationKind::FreeBeforeTlbi
    );
}

#[test]
fn free_live_table_and_free_before_tlbi() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    publish(&mut s, t);
    // SAFETY: Breaks the rules on purpose, on the model, whose frees touch
    // no memory: the auditor must report it.
    unsafe { s.a.free_table(t) };
    assert_eq!(s.a.violations()[0].kind, ViolationKind::FreeLiveTable);

    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    publish(&mut s, t);
    s.a.write(s.pmd, 0, Descriptor::NONE);
    // SAFETY: As above.
    unsafe { s.a.free_table(t) };
    assert_eq!(
        s.a.violations(),
        &[Violation {
            kind: ViolationKind::FreeBeforeTlbi,
            start: VirtAddr(s.va),
            end: VirtAddr(s.va + 4096),
            level: Level::Pte,
            old: Descriptor::NONE,
            new: Descriptor::NONE,
        }]
    );
}

#[test]
fn write_to_unlinked_table() {
    let mut s = setup(true);
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    publish(&mut s, t);
    s.a.write(s.pmd, 0, Descriptor::NONE);
    let d = s.a.read(t, 0);
    s.a.write(t, 0, d.clear(PTE_WRITE));
    assert_eq!(s.a.violations()[0].kind, ViolationKind::WriteToDeadTable);
}

#[test]
fn building_a_new_mapping_is_legal() {
    // create_pgd_mapping() under the auditor: none -> valid everywhere.
    for bbml3 in [false, true] {
        let f = fmt();
        let m = HostMmu::new(f);
        let root = m.root();
        let mut a = Auditor::new(m, f, root, bbml3);
        let va = f.geometry.page_offset() + (1 << 30);
        PageTables::new(&mut a, &f, root)
            .create_pgd_mapping(
                PhysAddr(0x8000_0000),
                VirtAddr(va),
                (1 << 30) + (34 << 20) + 0x11000,
                f.prot_normal(),
                0,
            )
            .unwrap();
        a.quiesce();
        assert_eq!(a.violations(), &[]);
    }
}

#[test]
fn partly_invalidated_block_then_equivalent_table() {
    // Found by the fuzzer: a block broken without invalidation, its first
    // half invalidated, then the second half made valid again through a
    // table with the block's own addresses. What a TLB may still hold of
    // the second half is the block, which agrees: no violation.
    let mut s = setup(true);
    s.a.write(s.pmd, 0, Descriptor::NONE);
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (1 << 20)));
    let t = pte_table_for_block(&mut s, PA, false, |_, d| d);
    publish(&mut s, t);
    assert_eq!(s.a.violations(), &[]);
    // The same with other addresses in the second half is a missing TLBI.
    let mut s = setup(true);
    s.a.write(s.pmd, 0, Descriptor::NONE);
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (1 << 20)));
    let t = pte_table_for_block(&mut s, PA + (4 << 20), false, |_, d| d);
    publish(&mut s, t);
    assert_eq!(s.a.violations()[0].kind, ViolationKind::MissingTlbi);
}

#[test]
fn valid_again_needs_dsb_and_isb_before_the_operation_ends() {
    // set_memory_valid(1) skips the TLBI: the store needs dsb; isb, or an
    // access right after may take a spurious translation fault.
    let mut s = setup(false);
    let old = block(&s);
    let invalid = old.clear(PTE_VALID).set(PTE_PRESENT_INVALID);
    s.a.write(s.pmd, 0, invalid);
    s.a.write(s.pmd, 0, old);
    s.a.dsb_ishst();
    s.a.quiesce();
    let kinds: Vec<_> = s.a.violations().iter().map(|v| v.kind).collect();
    assert_eq!(kinds, [ViolationKind::ValidWithoutIsb]);
    // An isb before the dsb does not count; dsb then isb does.
    let mut s = setup(false);
    s.a.write(s.pmd, 0, invalid);
    s.a.write(s.pmd, 0, old);
    s.a.isb();
    s.a.dsb_ishst();
    s.a.isb();
    s.a.quiesce();
    assert_eq!(s.a.violations(), &[]);
    // A TLB invalidation ends with both.
    let mut s = setup(false);
    s.a.write(s.pmd, 0, invalid);
    s.a.write(s.pmd, 0, old);
    s.a.flush_tlb_kernel_range(VirtAddr(s.va), VirtAddr(s.va + (2 << 20)));
    s.a.quiesce();
    assert_eq!(s.a.violations(), &[]);
}

#[test]
fn top_table_stores_go_through_write_top() {
    let mut s = setup(false);
    let root = s.a.inner().root();
    let g = s.fmt.geometry;
    let i = g.index(s.va, g.start_level());
    // An empty entry stays empty: fine through write_top() ...
    assert_eq!(s.a.read(root, i + 1), Descriptor::NONE);
    let before = s.a.inner().stats.top_writes;
    s.a.write_top(root, i + 1, Descriptor::NONE);
    assert_eq!(s.a.violations(), &[]);
    assert_eq!(s.a.inner().stats.top_writes, before + 1);
}

#[test]
#[should_panic(expected = "read-only linear alias")]
fn top_table_stores_through_the_alias_fault() {
    // ... and a fault through write(), as on a kernel after
    // mark_linear_text_alias_ro(); the auditor reports it first.
    let mut s = setup(false);
    let root = s.a.inner().root();
    let g = s.fmt.geometry;
    let i = g.index(s.va, g.start_level());
    s.a.write(root, i + 1, Descriptor::NONE);
}
