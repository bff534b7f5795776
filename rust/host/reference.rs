// SPDX-License-Identifier: GPL-2.0

//! Reference models for testing the split and pageattr paths. Host only.
//!
//! - [`Reference`]: one entry per page, the attributes the page must have
//!   after every change, independent of how the tables are laid out.
//! - [`SplitOracle`]: the leaves 7.3's split algorithm leaves, kept as an
//!   interval map, independent of the tables, so that the number of leaves
//!   and of table allocations can be predicted.

extern crate alloc;

use alloc::collections::BTreeMap;
use core::fmt;

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    Descriptor,
    Format,
    PTE_CONT,
    PTE_PXN,
    PTE_TYPE_MASK,
    PTE_UXN,
    PTE_VALID, //
};
use crate::geometry::Level;
use crate::host::model::HostMmu;
use crate::pageattr::PageChange;

/// A page's state as the reference keeps it: attributes and validity,
/// without output address, type or contiguous bits.
pub fn normalize(fmt: &Format, d: Descriptor) -> u64 {
    (d.attrs(fmt) & !(PTE_TYPE_MASK | PTE_CONT)) | (d.bits() & PTE_VALID)
}

/// A page that does not translate as the reference says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The page's physical address.
    pub pa: PhysAddr,
    /// What the reference expects (normalized), or `None` if unmapped.
    pub want: u64,
    /// The leaf the tables have, if any.
    pub got: Option<Descriptor>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "page {}: want {:#x}, got {:?}",
            self.pa, self.want, self.got
        )
    }
}

/// The per-page reference of a linear map.
#[derive(Clone, Debug)]
pub struct Reference {
    fmt: Format,
    memstart: u64,
    pages: BTreeMap<u64, u64>,
}

impl Reference {
    /// Records every page of `banks` (`[start, end)` physical ranges,
    /// page aligned) as `m` maps it now.
    pub fn capture(m: &HostMmu, memstart: PhysAddr, banks: &[(PhysAddr, PhysAddr)]) -> Reference {
        let fmt = *m.format();
        let page = fmt.geometry.page_size();
        let mut r = Reference {
            fmt,
            memstart: memstart.0,
            pages: BTreeMap::new(),
        };
        for &(s, e) in banks {
            let mut pa = s.0;
            while pa < e.0 {
                if let Some((d, _)) = m.leaf(r.va(PhysAddr(pa))) {
                    r.pages.insert(pa, normalize(&fmt, d));
                }
                pa += page;
            }
        }
        r
    }

    /// `__phys_to_virt()`.
    pub fn va(&self, pa: PhysAddr) -> VirtAddr {
        VirtAddr(pa.0.wrapping_sub(self.memstart) | self.fmt.geometry.page_offset())
    }

    /// Whether the page at `pa` is in the map.
    pub fn contains(&self, pa: PhysAddr) -> bool {
        self.pages.contains_key(&pa.0)
    }

    /// Applies `change` to `n` pages from `pa`.
    pub fn apply(&mut self, pa: PhysAddr, n: u64, change: PageChange) {
        let page = self.fmt.geometry.page_size();
        for p in (0..n).map(|i| pa.0 + i * page) {
            if let Some(v) = self.pages.get_mut(&p) {
                *v = normalize(&self.fmt, change.apply(Descriptor(*v)));
            }
        }
    }

    /// Checks `n` pages from `pa` (pages outside the map are skipped).
    ///
    /// # Errors
    ///
    /// The first page that does not match.
    pub fn check(&self, m: &HostMmu, pa: PhysAddr, n: u64) -> Result<(), Mismatch> {
        let g = self.fmt.geometry;
        let page = g.page_size();
        // The last leaf looked up, and the VAs it maps: the next pages are
        // mostly in it.
        let mut cached = None;
        let end = pa.0.saturating_add(n.saturating_mul(page));
        for (&p, &want) in self.pages.range(pa.0..end) {
            let va = self.va(PhysAddr(p));
            let got = match cached {
                Some((ref vas, d, level)) if core::ops::Range::contains(vas, &va.0) => {
                    Some((d, level))
                }
                _ => {
                    let got = m.leaf(va);
                    if let Some((d, level)) = got {
                        let start = va.0 & !(g.entry_size(level) - 1);
                        cached = Some((start..start.wrapping_add(g.entry_size(level)), d, level));
                    }
                    got
                }
            };
            let ok = got.is_some_and(|(d, level)| {
                let off = va.0 & (g.entry_size(level) - 1);
                d.output_address(&self.fmt) + off == PhysAddr(p) && normalize(&self.fmt, d) == want
            });
            if !ok {
                return Err(Mismatch {
                    pa: PhysAddr(p),
                    want,
                    got: got.map(|(d, _)| d),
                });
            }
        }
        Ok(())
    }

    /// Checks every page.
    ///
    /// # Errors
    ///
    /// The first page that does not match.
    pub fn check_all(&self, m: &HostMmu) -> Result<(), Mismatch> {
        for &pa in self.pages.keys() {
            self.check(m, PhysAddr(pa), 1)?;
        }
        Ok(())
    }
}

/// A page whose leaf is not the one a fully collapsed map has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeMismatch {
    /// The page's physical address.
    pub pa: PhysAddr,
    /// The leaf the reference's attributes call for: level, contiguous.
    pub want: (Level, bool),
    /// The leaf the tables have.
    pub got: Option<(Level, bool)>,
}

impl fmt::Display for ShapeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "page {}: want a level {} leaf (cont {}), got {:?}",
            self.pa,
            self.want.0.number(),
            self.want.1,
            self.got.map(|(l, c)| (l.number(), c))
        )
    }
}

impl Reference {
    /// Whether every page of the naturally aligned `[va, va + size)` is in
    /// the map, valid, with the attributes of the others, outside `keep`;
    /// with `block`, also never-executable (what may fold into a block).
    fn uniform(&self, va: u64, size: u64, block: bool, keep: &[(VirtAddr, VirtAddr)]) -> bool {
        let page = self.fmt.geometry.page_size();
        let off = self.fmt.geometry.page_offset();
        if keep.iter().any(|&(s, e)| s.0 < va + size && va < e.0) {
            return false;
        }
        let pa0 = (va - off).wrapping_add(self.memstart);
        if pa0 & (size - 1) != 0 {
            return false;
        }
        let Some(&first) = self.pages.get(&pa0) else {
            return false;
        };
        if first & PTE_VALID == 0 || (block && first & (PTE_PXN | PTE_UXN) != PTE_PXN | PTE_UXN) {
            return false;
        }
        (0..size / page).all(|k| self.pages.get(&(pa0 + k * page)) == Some(&first))
    }

    /// Checks that every valid page outside `keep` is mapped by the leaf
    /// a full collapse makes of the reference's attributes: the largest
    /// of a PUD block (4K), a contiguous PMD (not at the top of a 2-level
    /// tree), a PMD block, a contiguous PTE and a PTE whose naturally
    /// aligned range is uniform (as `map_mem()` maps uniform memory). No
    /// fold missed, none wrong.
    ///
    /// # Errors
    ///
    /// The first page whose leaf differs.
    pub fn check_collapsed(
        &self,
        m: &HostMmu,
        keep: &[(VirtAddr, VirtAddr)],
    ) -> Result<(), ShapeMismatch> {
        let g = self.fmt.geometry;
        let mut shapes = alloc::vec::Vec::new();
        for level in [Level::Pud, Level::Pmd, Level::Pte] {
            if level < g.start_level() {
                continue;
            }
            if g.cont_entries(level) > 1 && level != g.start_level() {
                shapes.push((level, true, g.cont_size(level)));
            }
            if level.is_last() || g.block_allowed(level) {
                shapes.push((level, false, g.entry_size(level)));
            }
        }
        let mut known: BTreeMap<(u64, u64), bool> = BTreeMap::new();
        for (&pa, &attrs) in &self.pages {
            let va = self.va(PhysAddr(pa)).0;
            if attrs & PTE_VALID == 0 || keep.iter().any(|&(s, e)| s.0 <= va && va < e.0) {
                continue;
            }
            let want = shapes
                .iter()
                .find(|&&(level, _, size)| {
                    let block = !level.is_last();
                    let start = va & !(size - 1);
                    *known
                        .entry((start, size << 1 | u64::from(block)))
                        .or_insert_with(|| self.uniform(start, size, block, keep))
                })
                .map(|&(level, cont, _)| (level, cont))
                .unwrap_or((Level::Pte, false));
            let got = m.leaf(VirtAddr(va)).map(|(d, l)| (l, d.cont()));
            if got != Some(want) {
                return Err(ShapeMismatch {
                    pa: PhysAddr(pa),
                    want,
                    got,
                });
            }
        }
        Ok(())
    }
}

/// The leaves 7.3's split algorithm produces: first VA -> (level,
/// contiguous).
#[derive(Clone, Debug)]
pub struct SplitOracle {
    fmt: Format,
    leaves: BTreeMap<u64, (Level, bool)>,
}

impl SplitOracle {
    /// The leaves of the linear map in `m` now.
    pub fn capture(m: &HostMmu) -> SplitOracle {
        let fmt = *m.format();
        let g = fmt.geometry;
        let mut leaves = BTreeMap::new();
        m.for_each_entry(
            VirtAddr(g.page_offset()),
            VirtAddr(g.page_end()),
            &mut |va, level, d| {
                if d.is_leaf(level) {
                    leaves.insert(va.0, (level, d.cont()));
                }
            },
        );
        SplitOracle { fmt, leaves }
    }

    /// Makes `b` a leaf boundary as 7.3 does; returns how many tables
    /// that allocates.
    pub fn split_at(&mut self, b: u64) -> usize {
        let g = self.fmt.geometry;
        let mut allocs = 0;
        loop {
            let Some((&s, &(level, cont))) = self.leaves.range(..=b).next_back() else {
                return allocs;
            };
            let size = g.entry_size(level);
            if b >= s + size {
                return allocs;
            }
            let cs = g.cont_size(level);
            if cont && b % cs != 0 {
                let first = b & !(cs - 1);
                for i in 0..g.cont_entries(level) as u64 {
                    self.leaves.insert(first + i * size, (level, false));
                }
                continue;
            }
            if b % size != 0 {
                let Some(next) = level.next() else {
                    return allocs;
                };
                self.leaves.remove(&s);
                for i in 0..g.entries(next) as u64 {
                    self.leaves.insert(s + i * g.entry_size(next), (next, true));
                }
                allocs += 1;
                continue;
            }
            return allocs;
        }
    }

    /// How many leaves of each (level, contiguous) kind.
    pub fn counts(&self) -> BTreeMap<(Level, bool), usize> {
        let mut c = BTreeMap::new();
        for &k in self.leaves.values() {
            *c.entry(k).or_insert(0) += 1;
        }
        c
    }
}
