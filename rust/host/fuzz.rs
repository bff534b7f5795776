// SPDX-License-Identifier: GPL-2.0

//! The fuzz target's body, shared by the libFuzzer target
//! (`fuzz/fuzz_targets/ops.rs`, nightly) and the stable smoke run of `make
//! test` (`examples/fuzz_smoke.rs`): sequences of linear-map operations on
//! the host model, with a random layout and geometry, then
//! set_memory_*/set_direct_map_*/enc-dec style changes, with and without
//! splitting, including bad input. TLBs are invalidated as the kernel does
//! (only the set_direct_map_*_noflush() masks skip it). After each
//! operation: the result is the one the input calls for, the auditor is
//! clean under BBML3, every page of the range translates as the reference
//! says, table allocations match 7.3's split, and refused input wrote
//! nothing. One operation in sixteen is a collapse (of the whole map or of
//! a range), checked the same way, and, for a whole map that was never
//! made executable, against the leaves a full collapse of the reference
//! makes.

extern crate alloc;

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::collapse::Keep;
use crate::desc::Format;
use crate::error::Error;
use crate::geometry::{
    Geometry,
    Granule,
    Level, //
};
use crate::host::reference::SplitOracle;
use crate::host::scenario::{
    Layout,
    World,
    MEMSTART, //
};
use crate::hw::PageTableHw;
use crate::pageattr::Split;
use crate::pageattr::{
    MaskConfig,
    PageChange, //
};
use crate::walk::PageTables;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) | (u16::from(self.u8()?) << 8))
    }
}

const GEOMETRIES: [(Granule, u32, bool); 6] = [
    (Granule::K4, 48, false),
    (Granule::K4, 39, false),
    (Granule::K4, 52, true),
    (Granule::K16, 47, false),
    (Granule::K64, 42, false),
    (Granule::K64, 48, false),
];

/// The kinds of case inputs reached, for a coverage figure of runs that
/// are not coverage-guided: one per (geometry, path, operation, leaf at
/// the start of the range, outcome, tables allocated).
#[derive(Default)]
pub struct Cases(BTreeSet<u32>);

impl Cases {
    /// How many distinct cases were reached.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The leaf at `va` as a case component: none, present-invalid, or its
/// kind.
fn leaf_case(m: &crate::host::model::HostMmu, va: VirtAddr) -> u32 {
    match m.leaf(va) {
        None => 0,
        Some((d, _)) if !d.is_valid() => 1,
        Some((d, level)) => 2 + 2 * (level.number().clamp(1, 3) as u32 - 1) + u32::from(d.cont()),
    }
}

/// One fuzz input: a geometry and layout, then up to 64 operations, each
/// checked as the module documentation says. Panics on any finding.
pub fn ops(data: &[u8]) {
    ops_reaching(data, &mut Cases::default());
}

/// [`ops`], adding the cases the input reached to `cases`.
pub fn ops_reaching(data: &[u8], cases: &mut Cases) {
    let mut b = Bytes(data);
    let Some(sel) = b.u8() else { return };
    let (granule, va, pa52) = GEOMETRIES[usize::from(sel) % GEOMETRIES.len()];
    let mut fmt = Format::new(Geometry::new(granule, va, pa52).unwrap());
    fmt.ns_shared = 1 << 47;
    let g = fmt.geometry;
    let page = g.page_size();
    let pmd = g.entry_size(Level::Pmd);
    let (Some(l0), Some(l1), Some(m)) = (b.u8(), b.u8(), b.u8()) else {
        return;
    };
    // Bank 0: 1 to 4 PMDs plus some pages; bank 1: odd, a PMD further.
    let b0 = (
        MEMSTART,
        MEMSTART + (u64::from(l0 % 4) + 1) * pmd + u64::from(l0 >> 4) * page,
    );
    let s1 = (b0.1 + pmd).next_multiple_of(pmd) + u64::from(l1 % 16) * page;
    let b1 = (s1, s1 + (u64::from(l1 >> 4) + 1) * 16 * page);
    let masks = MaskConfig {
        use_ng_mappings: m & 1 != 0,
        bti_kernel: m & 2 != 0,
    };
    let layout = Layout {
        banks: vec![b0, b1],
        text: (MEMSTART + 2 * page, MEMSTART + 6 * page),
        data: (MEMSTART + 6 * page, MEMSTART + 9 * page),
        force_pte: m & 4 != 0,
        tagged: m & 8 != 0,
    };
    let World {
        mut a,
        mut reference,
        mut oracle,
        ..
    } = World::new(fmt, &layout, masks);
    let root = a.inner().root();
    let keep = [(
        reference.va(PhysAddr(layout.text.0)),
        reference.va(PhysAddr(layout.data.1)),
    )];
    let mut executable = false;

    for _ in 0..64 {
        let (Some(kind), Some(bank), Some(first), Some(count)) = (b.u8(), b.u8(), b.u16(), b.u16())
        else {
            break;
        };
        let (s, e) = if bank & 1 == 0 { b0 } else { b1 };
        let npages = (e - s) / page;
        let first = u64::from(first) % npages;
        let n = (u64::from(count) % (npages - first)) + 1;
        let pa = s + first * page;
        let va = reference.va(PhysAddr(pa));
        let change = match kind % 9 {
            0 => PageChange::ro(),
            1 => PageChange::rw(),
            2 => PageChange::nx(&masks),
            3 => PageChange::x(&masks),
            4 => PageChange::valid(&masks, true),
            5 => PageChange::valid(&masks, false),
            6 => PageChange::direct_map_default(&masks),
            7 => PageChange::enc_dec_break(&masks, &fmt, true),
            _ => PageChange::enc_dec_break(&masks, &fmt, false),
        };
        let writes = a.inner().stats.writes;
        let allocs = a.inner().stats.allocs;
        let leaf = leaf_case(a.inner(), va);
        let mut path = u32::from(bank >> 1 & 3);
        let mut outcome = 0u32;
        executable |= kind % 9 == 3;
        if kind >= 0xf0 && !layout.force_pte {
            // A collapse, of the whole map or of the operation's range.
            path = 4;
            let whole = kind & 1 == 0;
            let (s, e) = if whole {
                (VirtAddr(g.page_offset()), VirtAddr(g.page_end()))
            } else {
                (va, va + n * page)
            };
            let mut retired = Vec::new();
            let folds = PageTables::new(&mut a, &fmt, root).collapse_range(
                s,
                e,
                &Keep(&keep),
                &mut retired,
            );
            assert_eq!(folds.tables, retired.len());
            outcome = u32::from(folds.any());
            for t in retired {
                // SAFETY: Unlinked and invalidated by the collapse (the
                // auditor reports it otherwise); the model's frees touch no
                // memory.
                unsafe { a.free_table(t) };
            }
            oracle = SplitOracle::capture(a.inner());
            a.quiesce();
            assert_eq!(a.violations(), &[]);
            if let Err(e) = reference.check_all(a.inner()) {
                panic!("after a collapse: {e}");
            }
            // Executable leaves do not fold into blocks, so a block made
            // executable whole stays where the reference wants smaller leaves.
            if whole && !executable {
                if let Err(e) = reference.check_collapsed(a.inner(), &keep) {
                    panic!("after a collapse: {e}");
                }
            }
        } else {
            match bank >> 1 & 3 {
                // Bad input: an empty range, one that overflows, or one
                // below the linear map (7.3's walker refuses the first, the
                // others cannot be kernel ranges).
                0 => {
                    let (start, size) = match kind >> 4 & 3 {
                        0 => (va, 0),
                        1 => (VirtAddr(u64::MAX - page + 1), n * page + page),
                        _ => (VirtAddr(pa), n * page),
                    };
                    let r = PageTables::new(&mut a, &fmt, root).update_range_prot(
                        start,
                        size,
                        change,
                        Split::Allowed,
                    );
                    assert_eq!(r, Err(Error::Invalid));
                    assert_eq!(a.inner().stats.writes, writes, "refused input wrote");
                    outcome = 1;
                }
                // No split allowed (the policy said there is nothing to do):
                // whole leaves are fine, partial ones refused.
                1 => {
                    let r = PageTables::new(&mut a, &fmt, root).change_memory_common(
                        &masks,
                        va,
                        n * page,
                        change,
                        Split::Forbidden,
                    );
                    match r {
                        Ok(()) => reference.apply(PhysAddr(pa), n, change),
                        Err(e) => {
                            assert_eq!(e, Error::PartlyCovered);
                            assert_eq!(a.inner().stats.writes, writes, "refused input wrote");
                            outcome = 2;
                        }
                    }
                    assert_eq!(a.inner().stats.allocs, allocs);
                }
                // Splitting allowed: set_direct_map_*_noflush() (split,
                // change, no TLBI; only the masks those functions use) or the
                // whole of change_memory_common().
                path => {
                    let noflush = path == 2;
                    let change = match kind % 3 {
                        _ if !noflush => change,
                        0 => PageChange::valid(&masks, false),
                        1 => PageChange::valid(&masks, true),
                        _ => PageChange::direct_map_default(&masks),
                    };
                    let want = oracle.split_at(va.0) + oracle.split_at(va.0 + n * page);
                    let mut t = PageTables::new(&mut a, &fmt, root);
                    let r = if noflush {
                        t.update_range_prot(va, n * page, change, Split::Allowed)
                    } else {
                        t.change_memory_common(&masks, va, n * page, change, Split::Allowed)
                    };
                    assert_eq!(r, Ok(()));
                    assert_eq!(a.inner().stats.allocs - allocs, want, "allocations");
                    reference.apply(PhysAddr(pa), n, change);
                }
            }
        }
        let tables = (a.inner().stats.allocs - allocs).min(3) as u32;
        let case = [
            (u32::from(sel) % GEOMETRIES.len() as u32, 8),
            (path, 5),
            (u32::from(kind % 9), 9),
            (leaf, 8),
            (outcome, 3),
            (tables, 4),
        ]
        .iter()
        .fold(0, |acc, &(v, n)| acc * n + v);
        cases.0.insert(case);
        a.quiesce();
        assert_eq!(a.violations(), &[]);
        let around = 2 * g.cont_size(Level::Pte) / page;
        if let Err(e) = reference.check(
            a.inner(),
            PhysAddr(pa.saturating_sub(around * page)),
            n + 2 * around,
        ) {
            panic!("{e}");
        }
    }
    assert_eq!(reference.check_all(a.inner()), Ok(()));
}
