// SPDX-License-Identifier: GPL-2.0

//! Property tests of the `map_mem()` port: random memory layouts, every
//! granule and VA size; `translate()` must agree with what was asked, the
//! leaves must be as large as 7.3 makes them, and building must be legal
//! store by store.

mod common;

use common::{
    all_formats,
    Rng, //
};
use linmap::addr::{
    PhysAddr,
    VirtAddr, //
};
use linmap::desc::{
    Format,
    PTE_CONT,
    PTE_TYPE_MASK, //
};
use linmap::error::Error;
use linmap::geometry::Level;
use linmap::host::audit::Auditor;
use linmap::host::model::HostMmu;
use linmap::linear::{
    MemLayout, //
};
use linmap::walk::{
    Next,
    PageTables, //
};

struct Case {
    banks: Vec<(PhysAddr, PhysAddr)>,
    kernel: [u64; 4],
    force_pte: bool,
    tagged: bool,
}

fn random_case(rng: &mut Rng, fmt: &Format) -> Case {
    let g = fmt.geometry;
    let page = g.page_size();
    let force_pte = rng.chance(30);
    // Keep PTE-mapped cases small: every page is an entry in the model.
    let max = if force_pte { 64 << 20 } else { 6 << 30 };
    let aligns = [
        page,
        g.cont_size(Level::Pte),
        g.entry_size(Level::Pmd),
        g.cont_size(Level::Pmd).min(1 << 34),
        1 << 30,
    ];
    let mut banks = Vec::new();
    let mut cursor = 0x4000_0000u64;
    let mut total = 0;
    for _ in 0..rng.range(1, 4) {
        let align = rng.pick(&aligns);
        let start = (cursor + rng.range(0, 4) * align).next_multiple_of(align)
            + if rng.chance(20) {
                rng.range(0, page)
            } else {
                0
            };
        let size = rng.range(page, (max - total).max(page + 1) / 2 + page);
        let end = start
            + size
            + if rng.chance(20) {
                rng.range(0, page)
            } else {
                0
            };
        total += size;
        banks.push((PhysAddr(start), PhysAddr(end)));
        cursor = end + page;
        if total >= max / 2 {
            break;
        }
    }
    // The kernel image: 64K-aligned inside the first bank's pages.
    let (b0, b1) = (
        banks[0].0 .0.next_multiple_of(page),
        banks[0].1 .0 & !(page - 1),
    );
    let mut k = [0u64; 4];
    let span = (b1 - b0) / page;
    let mut pts: Vec<u64> = (0..4)
        .map(|_| b0 + rng.range(0, span.max(1)) * page)
        .collect();
    pts.sort();
    k.copy_from_slice(&pts);
    if k[0] == k[1] {
        k[1] = k[0] + page;
    }
    if k[2] == k[3] {
        k[3] = k[2] + page;
    }
    let kernel = [k[0], k[1].min(b1), k[2].min(b1), k[3].min(b1)];
    Case {
        banks,
        kernel,
        force_pte,
        tagged: rng.chance(50),
    }
}

fn mapped(case: &Case, fmt: &Format, pa: u64) -> bool {
    let page = fmt.geometry.page_size();
    case.banks.iter().any(|&(s, e)| {
        let s = s.0.next_multiple_of(page);
        let e = e.0 & !(page - 1);
        pa >= s && pa < e
    }) || (pa >= case.kernel[0] && pa < case.kernel[1])
        || (pa >= case.kernel[2] && pa < case.kernel[3])
}

/// The largest leaf 7.3 puts at `pa` if nothing else (the kernel image
/// mapped first) gets in the way: the level, and whether it is contiguous.
fn expected_leaf(case: &Case, fmt: &Format, pa: u64) -> (Level, bool) {
    let g = fmt.geometry;
    // Banks are a page or more apart and the kernel lies inside the first
    // one, so a range is mapped whole iff one page-rounded bank holds it.
    let page = g.page_size();
    let fits = |size: u64| {
        let s = pa & !(size - 1);
        case.banks
            .iter()
            .any(|&(bs, be)| bs.0.next_multiple_of(page) <= s && s + size <= (be.0 & !(page - 1)))
    };
    if case.force_pte {
        return (Level::Pte, false);
    }
    if g.block_allowed(Level::Pud) && fits(g.entry_size(Level::Pud)) {
        return (Level::Pud, false);
    }
    if fits(g.entry_size(Level::Pmd)) {
        // A 2-level kernel maps no contiguous PMDs (see linear.rs).
        let top = g.start_level() == Level::Pmd;
        return (Level::Pmd, !top && fits(g.cont_size(Level::Pmd)));
    }
    (Level::Pte, fits(g.cont_size(Level::Pte)))
}

#[test]
fn map_mem_translates_as_asked() {
    let mut checked = 0;
    // (level, contiguous) leaves seen where the expectation applied.
    let mut seen = std::collections::BTreeSet::new();
    for fmt in all_formats() {
        let g = fmt.geometry;
        for seed in 0..40 {
            let mut rng =
                Rng::new(seed * 1000 + u64::from(g.va_bits()) + u64::from(g.page_shift()));
            let case = random_case(&mut rng, &fmt);
            let m = HostMmu::new(fmt);
            let root = m.root();
            let mut a = Auditor::new(m, fmt, root, false);
            let l = MemLayout {
                memory: &case.banks,
                memstart: PhysAddr(0x4000_0000 & !(g.entry_size(Level::Pud).min(1 << 30) - 1)),
                kernel_start: PhysAddr(case.kernel[0]),
                init_begin: PhysAddr(case.kernel[1]),
                init_end: PhysAddr(case.kernel[2]),
                kernel_end: PhysAddr(case.kernel[3]),
                force_pte: case.force_pte,
                tagged: case.tagged,
            };
            PageTables::new(&mut a, &fmt, root).map_mem(&l).unwrap();
            a.quiesce();
            let ctx = format!(
                "{g} seed {seed} banks {:x?} kernel {:x?} force_pte {}",
                case.banks, case.kernel, case.force_pte
            );
            assert_eq!(a.violations(), &[], "{ctx}");
            let (m, _) = a.into_parts();
            let prot = if case.tagged {
                fmt.prot_normal_tagged()
            } else {
                fmt.prot_normal()
            };

            // Sample addresses: random ones and every bank edge.
            let lo = case.banks[0].0 .0.saturating_sub(4 << 20);
            let hi = case.banks.last().unwrap().1 .0 + (4 << 20);
            let mut pas: Vec<u64> = (0..300).map(|_| rng.range(lo, hi) & !7).collect();
            for &(s, e) in &case.banks {
                for p in [s.0, e.0] {
                    pas.extend([p.wrapping_sub(g.page_size()), p, p + g.page_size()]);
                }
            }
            let kspan = (
                case.kernel[0] & !((1 << 30) - 1),
                (case.kernel[3] | ((1 << 30) - 1)) + 1,
            );
            for pa in pas.into_iter().filter(|&p| p >= l.memstart.0) {
                let va = l.phys_to_virt(&fmt, PhysAddr(pa));
                let t = m.translate(va);
                if !mapped(&case, &fmt, pa & !(g.page_size() - 1)) {
                    assert_eq!(t, None, "{ctx}: PA {pa:#x} must not be mapped");
                    continue;
                }
                let t = t.unwrap_or_else(|| panic!("{ctx}: PA {pa:#x} not mapped"));
                assert_eq!(t.oa, PhysAddr(pa), "{ctx}");
                let attrs = t.desc.attrs(&fmt) & !(PTE_TYPE_MASK | PTE_CONT);
                assert_eq!(
                    attrs,
                    prot & !(PTE_TYPE_MASK),
                    "{ctx}: attributes at {pa:#x}"
                );
                if pa < kspan.0 || pa >= kspan.1 || case.force_pte {
                    assert_eq!(
                        (t.level, t.contiguous),
                        expected_leaf(&case, &fmt, pa),
                        "{ctx}: leaf at PA {pa:#x}"
                    );
                    seen.insert((t.level, t.contiguous));
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50_000, "only {checked} addresses checked");
    // Every kind of leaf the linear map has was produced and checked.
    for kind in [
        (Level::Pud, false),
        (Level::Pmd, true),
        (Level::Pmd, false),
        (Level::Pte, true),
        (Level::Pte, false),
    ] {
        assert!(
            seen.contains(&kind),
            "no {kind:?} leaf was checked: {seen:?}"
        );
    }
}

#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    for fmt in all_formats() {
        let g = fmt.geometry;
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        let va = VirtAddr(g.page_offset());
        // phys and virt at different offsets within a page.
        assert_eq!(
            PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
                PhysAddr(0x4000_0800),
                va,
                0x1000,
                fmt.prot_normal(),
                0
            ),
            Err(Error::Invalid)
        );
        // Overflowing the address space.
        assert_eq!(
            PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
                PhysAddr(0x4000_0000),
                VirtAddr(!0xffff),
                0x20000,
                fmt.prot_normal(),
                0
            ),
            Err(Error::Invalid)
        );
        // Below the linear map.
        assert_eq!(
            PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
                PhysAddr(0x4000_0000),
                VirtAddr(0x4000_0000),
                0x1000,
                fmt.prot_normal(),
                0
            ),
            Err(Error::Invalid)
        );
        // Empty.
        assert_eq!(
            PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
                PhysAddr(0x4000_0000),
                va,
                0,
                fmt.prot_normal(),
                0
            ),
            Err(Error::Invalid)
        );
        assert_eq!(m.table_count(), 1, "{g}");
        assert_eq!(m.stats.writes, 0);
    }
}

#[test]
fn remapping_with_another_address_is_refused() {
    // init_pte()'s BUG_ON(!pgattr_change_is_safe()).
    let fmt = all_formats()[1];
    let mut m = HostMmu::new(fmt);
    let root = m.root();
    let va = VirtAddr(fmt.geometry.page_offset());
    PageTables::new(&mut m, &fmt, root)
        .create_pgd_mapping(PhysAddr(0x4000_0000), va, 0x3000, fmt.prot_normal(), 0)
        .unwrap();
    assert_eq!(
        PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
            PhysAddr(0x5000_0000),
            va,
            0x1000,
            fmt.prot_normal(),
            0
        ),
        Err(Error::Invalid)
    );
    assert_eq!(m.translate(va).unwrap().oa, PhysAddr(0x4000_0000));
}

#[test]
fn allocation_failure_keeps_what_was_built() {
    let fmt = all_formats()[1];
    let g = fmt.geometry;
    // 1G + 20K at a 1G-aligned VA: a PUD table, a 1G block, then a PMD and
    // a PTE table for the rest.
    for fail_after in 0..3 {
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        m.fail_alloc_after = Some(fail_after);
        let va = VirtAddr(g.page_offset());
        let r = PageTables::new(&mut m, &fmt, root).create_pgd_mapping(
            PhysAddr(0x4000_0000),
            va,
            (1 << 30) + 0x5000,
            fmt.prot_normal(),
            0,
        );
        assert_eq!(r, Err(Error::NoMemory), "fail_after {fail_after}");
        assert_eq!(m.stats.allocs, fail_after);
        // Every table that was allocated is linked: nothing leaked.
        assert_eq!(m.table_count(), 1 + fail_after);
        assert_eq!(reachable_tables(&m), 1 + fail_after);
        // What was mapped before the failure still translates.
        if fail_after >= 1 {
            assert_eq!(m.translate(va + 0x1234).unwrap().oa, PhysAddr(0x4000_1234));
        }
    }
}

/// The tables reachable from the top one, the top one included.
fn reachable_tables(m: &HostMmu) -> usize {
    let mut n = 1;
    m.tree()
        .walk(VirtAddr(0), VirtAddr(u64::MAX), |_, slot, _| {
            if slot.below().is_some() {
                n += 1;
            }
            Ok::<_, ()>(Next::Descend)
        })
        .unwrap();
    n
}

#[test]
fn reversed_split_range_splits_at_both_ends_as_7_3() {
    // update_range_prot() passes `start + size`, which a bad `size` wraps
    // below `start`: 7.3 splits at both and its caller refuses the range.
    for fmt in all_formats() {
        let g = fmt.geometry;
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        let va = VirtAddr(g.page_offset());
        let page = g.page_size();
        let block = g.entry_size(Level::Pmd);
        PageTables::new(&mut m, &fmt, root)
            .create_pgd_mapping(PhysAddr(0x4000_0000), va, 2 * block, fmt.prot_normal(), 0)
            .unwrap();
        let (lo, hi) = (va + 3 * page, va + block + 5 * page);
        for at in [lo, hi] {
            assert!(!m.translate(at).unwrap().level.is_last(), "{g}");
        }
        PageTables::new(&mut m, &fmt, root)
            .split_kernel_leaf_mapping(hi, lo)
            .unwrap();
        for at in [lo, hi] {
            let t = m.translate(at).unwrap();
            assert!(t.level.is_last() && !t.contiguous, "{g} {at:?}");
            assert_eq!(t.oa, PhysAddr(0x4000_0000 + (at.0 - va.0)));
        }
    }
}
