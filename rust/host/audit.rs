// SPDX-License-Identifier: GPL-2.0

//! The break-before-make auditor: a [`PageTableHw`] that forwards every
//! effect to another one and checks each store into a live table against
//! the architecture's rules. Host only.
//!
//! What it enforces:
//!
//! - **Break-before-make.** A live valid entry may change without going
//!   through invalid only as `pgattr_change_is_safe()` allows, plus the BTI
//!   guard bit, a permission that `set_memory_x()`/`set_memory_nx()` change
//!   on live mappings ([`live_change_is_safe`]). Changing
//!   between a block and a table (a split or a collapse), or the contiguous
//!   bit, needs BBML3; with BBML3 the new entry must translate every VA to
//!   the same output address with compatible attributes
//!   ([`ViolationKind::SplitNotEquivalent`]). An entry that went invalid may
//!   only become valid with a conflicting translation after a TLB
//!   invalidation covered it ([`ViolationKind::MissingTlbi`]).
//! - **Contiguous groups.** Valid entries of a group that has the hint map
//!   consecutive, aligned output addresses with compatible attributes at
//!   every store; at each TLB invalidation (and [`Auditor::quiesce`]) a
//!   group with the hint is complete and identical but for the address.
//! - **Tables.** A table is published only after a barrier follows its
//!   last store, and a table allocated without zeroing
//!   ([`TableInit::Overwritten`]) only once every entry was stored;
//!   nothing writes to a table that is no longer linked; a
//!   table is freed only once unlinked and a TLB invalidation covered it.
//!   The top table is written only through
//!   [`PageTableHw::write_top`] (in the kernel its linear alias is
//!   read-only).
//! - **Becoming valid.** An entry that was not valid and becomes valid is
//!   followed by `dsb` and then `isb` (or a TLB invalidation, which ends
//!   with both) before the operation ends ([`Auditor::quiesce`]): without
//!   the `isb`, an access right after the store may take a spurious
//!   translation fault (`emit_pte_barriers()`).

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    pgattr_change_is_safe,
    Descriptor,
    Format,
    Kind,
    PTE_CONT,
    PTE_GP,
    PTE_TYPE_MASK,
    PTE_VALID, //
};
use crate::error::Result;
use crate::geometry::Level;
use crate::hw::{
    PageTableHw,
    Table,
    TableInit,
    TableRead, //
};
use crate::walk::{
    Next,
    PageTables,
    Slot, //
};

/// 7.3's `pgattr_change_is_safe()`, extended with `PTE_GP`: whether a live
/// valid entry may change from `old` to `new` in place.
pub fn live_change_is_safe(fmt: &Format, old: Descriptor, new: Descriptor) -> bool {
    pgattr_change_is_safe(fmt, old.clear(PTE_GP), new.clear(PTE_GP))
}

/// What rule a store broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// A live entry changed in a way that needs break-before-make.
    BreakBeforeMake,
    /// An entry became valid with a translation that conflicts with one a
    /// TLB may still hold: the invalidation between was missing.
    MissingTlbi,
    /// With BBML3, a block/table change did not keep every VA's output
    /// address and compatible attributes.
    SplitNotEquivalent,
    /// A contiguous group's entries disagree or are misaligned.
    ContiguousInconsistent,
    /// A table was published before a barrier ordered its contents.
    TablePublishedBeforeBarrier,
    /// A table descriptor points at memory that is not a fresh table.
    PublishUnknownTable,
    /// A table allocated without zeroing was published before every entry
    /// was stored.
    PublishUninitialized,
    /// A store into a table that was unlinked or freed.
    WriteToDeadTable,
    /// A table still linked into the live tree was freed.
    FreeLiveTable,
    /// An unlinked table was freed before a walk-cache invalidation
    /// (`__flush_tlb_kernel_pgtable()`) covered it: a leaf-only
    /// `flush_tlb_kernel_range()` leaves cached table entries pointing at
    /// it.
    FreeBeforeTlbi,
    /// A store into the top table that did not go through
    /// [`PageTableHw::write_top`].
    TopTableThroughAlias,
    /// An entry became valid and the operation ended without `dsb` and
    /// `isb` after the store.
    ValidWithoutIsb,
}

/// Which path of the seam a store took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StorePath {
    /// [`PageTableHw::write`].
    Table,
    /// [`PageTableHw::write_top`].
    Top,
}

/// A broken rule, with the VA range of the entry and the descriptors before
/// and after the store (for the contiguous check at an invalidation: the
/// group's first entry and the offending one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub kind: ViolationKind,
    /// First VA the entry maps.
    pub start: VirtAddr,
    /// End (exclusive) of what the entry maps.
    pub end: VirtAddr,
    /// The entry's level.
    pub level: Level,
    /// Before.
    pub old: Descriptor,
    /// After.
    pub new: Descriptor,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} at [{}, {}) level {}: {} -> {}",
            self.kind,
            self.start,
            self.end,
            self.level.number(),
            self.old,
            self.new
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TableState {
    /// Allocated, not reachable by the walker; `last_write` is the sequence
    /// number of its last store (the zeroing counts).
    Private { level: Level, last_write: u64 },
    /// Reachable; `va` is the first VA it maps.
    Live { level: Level, va: u64 },
    /// Unlinked from the tree; walk caches may still hold it until an
    /// invalidation covers `[va, end)`.
    Unlinked { va: u64, end: u64, flushed: bool },
}

/// A translation a TLB may still hold: what is left of it in `[start,
/// end)` after partial invalidations; `base` is the first VA of the entry
/// `desc` was, which its output address belongs to.
#[derive(Clone, Copy, Debug)]
struct Stale {
    start: u64,
    end: u64,
    base: u64,
    level: Level,
    desc: Descriptor,
}

/// The stale translations, by start address (and a sequence number, as
/// the same range can go stale twice), so that an overlap query looks at
/// the entries that can overlap rather than at all of them: every store
/// that makes an entry valid asks, and `set_direct_map_*_noflush()` leaves
/// thousands behind.
#[derive(Default)]
struct StaleSet {
    by_start: BTreeMap<(u64, u64), Stale>,
    /// The longest entry ever added: one starting before `start - longest`
    /// cannot reach `start`.
    longest: u64,
    seq: u64,
}

impl StaleSet {
    fn push(&mut self, s: Stale) {
        self.longest = self.longest.max(s.end.wrapping_sub(s.start));
        self.seq += 1;
        self.by_start.insert((s.start, self.seq), s);
    }

    /// The entries overlapping `[start, end)`, with their keys.
    fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = (&(u64, u64), &Stale)> {
        self.by_start
            .range((start.saturating_sub(self.longest), 0)..(end, 0))
            .filter(move |(_, s)| s.end > start && s.start < end)
    }
}

/// One leaf of a subtree: offset from the subtree's first VA, size, entry.
#[derive(Clone, Copy, Debug)]
struct Leaf {
    off: u64,
    size: u64,
    desc: Descriptor,
}

/// The most entries of a contiguous group (16K granule, level 3): groups
/// are read into a buffer of this size, not a heap vector, once per store.
const MAX_CONT_ENTRIES: usize = 128;

/// The auditing [`PageTableHw`].
pub struct Auditor<H: PageTableHw> {
    hw: H,
    fmt: Format,
    root: Table,
    bbml3: bool,
    seq: u64,
    last_dsb: u64,
    /// The first store since the last `dsb; isb` that made an entry valid,
    /// and the sequence number of the last such store.
    unsynced: Option<(Violation, u64)>,
    tables: BTreeMap<u64, TableState>,
    stale: StaleSet,
    /// Groups stored to since the last invalidation, by table address and
    /// first index, with the table.
    dirty_groups: BTreeMap<(u64, usize), Table>,
    /// Private tables allocated without zeroing: which entries were not
    /// stored yet, and how many.
    unwritten: BTreeMap<u64, (Vec<bool>, usize)>,
    violations: Vec<Violation>,
}

impl<H: PageTableHw> Auditor<H> {
    /// Audits `hw`, whose live tree is rooted at `root` (every table
    /// reachable from it now is live). `bbml3`: whether the CPUs have BBML3.
    pub fn new(hw: H, fmt: Format, root: Table, bbml3: bool) -> Self {
        let mut a = Auditor {
            hw,
            fmt,
            root,
            bbml3,
            seq: 0,
            last_dsb: 0,
            unsynced: None,
            tables: BTreeMap::new(),
            stale: StaleSet::default(),
            dirty_groups: BTreeMap::new(),
            unwritten: BTreeMap::new(),
            violations: Vec::new(),
        };
        a.link(root, fmt.geometry.page_offset(), false);
        a
    }

    /// The audited implementation.
    pub fn inner(&self) -> &H {
        &self.hw
    }

    /// The audited implementation, for changes the auditor must not see.
    pub fn inner_mut(&mut self) -> &mut H {
        &mut self.hw
    }

    /// Whether BBML3 rules apply.
    pub fn set_bbml3(&mut self, bbml3: bool) {
        self.bbml3 = bbml3;
    }

    /// The violations so far, in order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Forgets the violations so far.
    pub fn clear_violations(&mut self) {
        self.violations.clear();
    }

    /// Ends the audit: the inner implementation and the violations.
    pub fn into_parts(self) -> (H, Vec<Violation>) {
        (self.hw, self.violations)
    }

    /// The end of an operation: an entry made valid since the last
    /// `dsb; isb` is a violation; the contiguous groups stored to since the
    /// last invalidation are checked as at an invalidation (for
    /// operations, like building a new mapping, that end without one).
    pub fn quiesce(&mut self) {
        if let Some((v, _)) = self.unsynced.take() {
            self.violations.push(v);
        }
        self.check_groups();
    }

    fn check_groups(&mut self) {
        let groups: Vec<_> = core::mem::take(&mut self.dirty_groups)
            .into_iter()
            .collect();
        for ((_, first), table) in groups {
            self.check_group_complete(table, first);
        }
    }

    fn violate(
        &mut self,
        kind: ViolationKind,
        va: u64,
        level: Level,
        old: Descriptor,
        new: Descriptor,
    ) {
        let size = self.fmt.geometry.entry_size(level);
        self.violations.push(Violation {
            kind,
            start: VirtAddr(va),
            end: VirtAddr(va.wrapping_add(size)),
            level,
            old,
            new,
        });
    }

    /// Every entry of the subtree below `table` (whose entry 0 maps `va`),
    /// top down, with the tables among them: what the bookkeeping walks.
    fn subtree(&self, table: Table, va: u64) -> Vec<(Slot, Descriptor)> {
        let mut out = Vec::new();
        let fmt = &self.fmt;
        let mut pt = PageTables::subtree(&self.hw, fmt, table, VirtAddr(va));
        let _ = pt.walk(
            VirtAddr(va),
            VirtAddr(u64::MAX),
            |_, slot, d| -> Result<Next> {
                out.push((slot, d));
                Ok(Next::Descend)
            },
        );
        out
    }

    /// Marks `table` and every table below it live; with `check`, checks
    /// their contiguous groups as if each had just been stored.
    fn link(&mut self, table: Table, va: u64, check: bool) {
        let mut tables = alloc::vec![(table, va)];
        for (slot, _) in self.subtree(table, va) {
            if let Some(t) = slot.below() {
                tables.push((t, slot.va().0));
            }
        }
        let g = self.fmt.geometry;
        for (table, va) in tables {
            let level = table.level();
            self.tables
                .insert(table.pa().0, TableState::Live { level, va });
            let size = g.entry_size(level);
            let n = g.cont_entries(level);
            if check && n > 1 {
                for first in (0..g.entries(level)).step_by(n) {
                    self.check_group_store(
                        table,
                        first,
                        level,
                        va.wrapping_add(first as u64 * size),
                    );
                }
            }
        }
    }

    /// Marks `table` and every table below it unlinked, recording their
    /// valid leaves as stale.
    fn unlink(&mut self, table: Table, va: u64) {
        let g = self.fmt.geometry;
        let mark = |tables: &mut BTreeMap<u64, TableState>, t: Table, va: u64| {
            let end = va.wrapping_add(g.entry_size(t.level()) * g.entries(t.level()) as u64);
            tables.insert(
                t.pa().0,
                TableState::Unlinked {
                    va,
                    end,
                    flushed: false,
                },
            );
        };
        mark(&mut self.tables, table, va);
        for (slot, d) in self.subtree(table, va) {
            let level = slot.level();
            if let Some(t) = slot.below() {
                mark(&mut self.tables, t, slot.va().0);
            } else if d.is_valid() {
                let eva = slot.va().0;
                self.stale.push(Stale {
                    start: eva,
                    end: eva.wrapping_add(g.entry_size(level)),
                    base: eva,
                    level,
                    desc: d,
                });
            }
        }
    }

    /// The leaves of `d` at `level`, offsets relative to its first VA.
    fn leaves(&self, d: Descriptor, level: Level, out: &mut Vec<Leaf>) {
        let g = self.fmt.geometry;
        // SAFETY: `d` is the old value of an entry at `level` (loaded) or
        // the new one, whose table `store_live()` found allocated.
        let Some(t) = (unsafe { Table::linked_by(&self.fmt, d, level) }) else {
            out.push(Leaf {
                off: 0,
                size: g.entry_size(level),
                desc: d,
            });
            return;
        };
        for (slot, d) in self.subtree(t, 0) {
            if !d.is_table(slot.level()) {
                out.push(Leaf {
                    off: slot.va().0,
                    size: g.entry_size(slot.level()),
                    desc: d,
                });
            }
        }
    }

    /// The attributes of a leaf as a page descriptor at `oa`: type and
    /// contiguous bits normalized away.
    fn as_page(&self, d: Descriptor, oa: PhysAddr) -> Descriptor {
        let attrs = d.attrs(&self.fmt) & !(PTE_TYPE_MASK | PTE_CONT) & !PTE_VALID;
        let valid = if d.is_valid() { PTE_VALID | 2 } else { 0 };
        Descriptor(attrs | valid | self.fmt.phys_to_pte_val(oa))
    }

    /// Whether two valid translations of the same VA may coexist in TLBs:
    /// same output address and attributes [`live_change_is_safe`] allows.
    fn compatible(&self, a: Descriptor, a_oa: PhysAddr, b: Descriptor, b_oa: PhysAddr) -> bool {
        if !a.is_valid() || !b.is_valid() {
            return a.is_valid() == b.is_valid();
        }
        a_oa == b_oa && live_change_is_safe(&self.fmt, self.as_page(a, a_oa), self.as_page(b, b_oa))
    }

    /// Whether `new` at `level` maps every VA as `old` does (both valid).
    fn equivalent(&self, old: Descriptor, new: Descriptor, level: Level) -> bool {
        let mut a = Vec::new();
        let mut b = Vec::new();
        self.leaves(old, level, &mut a);
        self.leaves(new, level, &mut b);
        // Walk both leaf lists in step, comparing at each leaf boundary.
        let (mut i, mut j) = (0, 0);
        let mut off = 0u64;
        let total = self.fmt.geometry.entry_size(level);
        while off < total {
            while a[i].off + a[i].size <= off {
                i += 1;
            }
            while b[j].off + b[j].size <= off {
                j += 1;
            }
            let (la, lb) = (a[i], b[j]);
            let oa_a = la.desc.output_address(&self.fmt) + (off - la.off);
            let oa_b = lb.desc.output_address(&self.fmt) + (off - lb.off);
            if !la.desc.is_valid() || !lb.desc.is_valid() {
                if la.desc.is_valid() != lb.desc.is_valid() {
                    return false;
                }
            } else if !self.compatible(la.desc, oa_a, lb.desc, oa_b) {
                return false;
            }
            off = (la.off + la.size).min(lb.off + lb.size);
        }
        true
    }

    /// The stale translations that overlap `[start, end)` and conflict with
    /// `new` mapping that range.
    fn conflicts_with_stale(&self, start: u64, end: u64, new: Descriptor, level: Level) -> bool {
        self.stale.overlapping(start, end).any(|(_, s)| {
            if s.level != level && !self.bbml3 {
                return true;
            }
            // Compare at the start of the overlap.
            let at = s.start.max(start);
            let oa_s = s.desc.output_address(&self.fmt) + (at - s.base);
            let oa_n = new.output_address(&self.fmt) + (at - start);
            !self.compatible(s.desc, oa_s, new, oa_n)
        })
    }

    /// The per-store contiguous check: valid entries of the group map
    /// consecutive, aligned addresses with compatible attributes.
    /// `level` is the one the auditor recorded for `table` (live or being
    /// linked), not the handle's.
    fn check_group_store(&mut self, table: Table, index: usize, level: Level, va: u64) {
        debug_assert_eq!(
            level,
            table.level(),
            "the core's handle disagrees with the tree"
        );
        let g = self.fmt.geometry;
        let n = g.cont_entries(level);
        if n == 1 {
            return;
        }
        let first = index & !(n - 1);
        let mut group = [Descriptor::NONE; MAX_CONT_ENTRIES];
        let entries = &mut group[..n];
        self.hw.read_run(table, first, entries);
        if !entries.iter().any(|d| d.is_valid() && d.cont()) {
            return;
        }
        self.dirty_groups.insert((table.pa().0, first), table);
        let size = g.entry_size(level);
        let cont_size = g.cont_size(level);
        let new = entries[index - first];
        // The group's base output address, from the entry just stored if it
        // is valid, otherwise from the first valid one.
        let Some((k, anchor)) = entries
            .iter()
            .enumerate()
            .find(|(k, d)| d.is_valid() && (*k == index - first || !new.is_valid()))
            .map(|(k, d)| (k, *d))
        else {
            return;
        };
        let base = anchor
            .output_address(&self.fmt)
            .0
            .wrapping_sub(k as u64 * size);
        let group_va = va - (index - first) as u64 * size;
        let misaligned = base & (cont_size - 1) != 0;
        // With the output addresses equal, compatibility depends on the
        // attributes alone: the last ones found compatible are not checked
        // again (a group's entries mostly share them).
        let mut compatible_attrs = None;
        for (k2, d) in entries.iter().enumerate() {
            if !d.is_valid() {
                continue;
            }
            let oa = PhysAddr(base + k2 as u64 * size);
            let attrs = d.attrs(&self.fmt);
            let bad = misaligned
                || d.output_address(&self.fmt) != oa
                || (compatible_attrs != Some(attrs) && {
                    // Mid-operation the group may hold old and new values
                    // of a permission change, in either direction.
                    let ok =
                        self.compatible(anchor, oa, *d, oa) || self.compatible(*d, oa, anchor, oa);
                    if ok {
                        compatible_attrs = Some(attrs);
                    }
                    !ok
                });
            if bad {
                self.violate(
                    ViolationKind::ContiguousInconsistent,
                    group_va + k2 as u64 * size,
                    level,
                    anchor,
                    *d,
                );
                // Reported once: not again at the next invalidation.
                self.dirty_groups.remove(&(table.pa().0, first));
                return;
            }
        }
    }

    /// The check at an invalidation: a group with the hint is complete,
    /// aligned and identical but for the output address.
    fn check_group_complete(&mut self, table: Table, first: usize) {
        let Some(TableState::Live { level, va }) = self.tables.get(&table.pa().0).copied() else {
            return;
        };
        let g = self.fmt.geometry;
        let n = g.cont_entries(level);
        let size = g.entry_size(level);
        let mut group = [Descriptor::NONE; MAX_CONT_ENTRIES];
        let entries = &mut group[..n];
        self.hw.read_run(table, first, entries);
        if !entries.iter().any(|d| d.cont()) {
            return;
        }
        let d0 = entries[0];
        let base = d0.output_address(&self.fmt).0;
        for (k, d) in entries.iter().enumerate() {
            let ok = d.is_present()
                && d.cont()
                && d.attrs(&self.fmt) == d0.attrs(&self.fmt)
                && d.output_address(&self.fmt).0 == base + k as u64 * size
                && base & (g.cont_size(level) - 1) == 0;
            if !ok {
                let gva = va.wrapping_add((first + k) as u64 * size);
                self.violate(ViolationKind::ContiguousInconsistent, gva, level, d0, *d);
                return;
            }
        }
    }

    fn invalidated(&mut self, start: u64, end: u64) {
        let hit: Vec<(u64, u64)> = self
            .stale
            .overlapping(start, end)
            .map(|(k, _)| *k)
            .collect();
        for k in hit {
            let s = self.stale.by_start.remove(&k).expect("an entry just found");
            if s.start < start {
                self.stale.push(Stale { end: start, ..s });
            }
            if s.end > end {
                self.stale.push(Stale { start: end, ..s });
            }
        }
        // The invalidation ends with dsb(ish); isb().
        self.unsynced = None;
        self.check_groups();
    }

    /// A walk-cache invalidation of `va`: an unlinked table that maps `va`
    /// is no longer reachable through any cached table entry. (Tables below
    /// it that do not map `va` may still be cached.)
    fn invalidated_walks(&mut self, va: u64) {
        for st in self.tables.values_mut() {
            if let TableState::Unlinked {
                va: s,
                end: e,
                flushed,
            } = st
            {
                if *s <= va && va < *e {
                    *flushed = true;
                }
            }
        }
    }

    fn forward(&mut self, path: StorePath, table: Table, index: usize, desc: Descriptor) {
        match path {
            StorePath::Table => self.hw.write(table, index, desc),
            StorePath::Top => self.hw.write_top(table, index, desc),
        }
    }

    fn store(&mut self, path: StorePath, table: Table, index: usize, desc: Descriptor) {
        self.seq += 1;
        if table.pa() == self.root.pa() && path == StorePath::Table {
            let old = self.hw.read(table, index);
            let g = self.fmt.geometry;
            let level = g.start_level();
            let va = g
                .page_offset()
                .wrapping_add(index as u64 * g.entry_size(level));
            self.violate(ViolationKind::TopTableThroughAlias, va, level, old, desc);
        }
        match self.tables.get(&table.pa().0).copied() {
            Some(TableState::Private { level, .. }) => {
                self.tables.insert(
                    table.pa().0,
                    TableState::Private {
                        level,
                        last_write: self.seq,
                    },
                );
                if let Some((stored, left)) = self.unwritten.get_mut(&table.pa().0) {
                    if !stored[index] {
                        stored[index] = true;
                        *left -= 1;
                        if *left == 0 {
                            self.unwritten.remove(&table.pa().0);
                        }
                    }
                }
                self.forward(path, table, index, desc);
            }
            Some(TableState::Live { level, va }) => {
                self.store_live(path, table, index, level, va, desc)
            }
            Some(TableState::Unlinked { va, .. }) => {
                let old = self.hw.read(table, index);
                self.violations.push(Violation {
                    kind: ViolationKind::WriteToDeadTable,
                    start: VirtAddr(va),
                    end: VirtAddr(va),
                    level: Level::Pte,
                    old,
                    new: desc,
                });
                self.forward(path, table, index, desc);
            }
            None => {
                self.violations.push(Violation {
                    kind: ViolationKind::WriteToDeadTable,
                    start: VirtAddr(0),
                    end: VirtAddr(0),
                    level: Level::Pte,
                    old: Descriptor::NONE,
                    new: desc,
                });
            }
        }
    }

    fn store_live(
        &mut self,
        path: StorePath,
        table: Table,
        index: usize,
        level: Level,
        tva: u64,
        new: Descriptor,
    ) {
        let g = self.fmt.geometry;
        let size = g.entry_size(level);
        let va = tva.wrapping_add(index as u64 * size);
        let end = va.wrapping_add(size);
        let old = self.hw.read(table, index);
        let old_kind = old.kind(level);
        let new_kind = new.kind(level);

        if new_kind == Kind::Table {
            let t = new.output_address(&self.fmt);
            match self.tables.get(&t.0).copied() {
                // A private table allocated for the level this entry points
                // to; one for another level is unknown here.
                Some(TableState::Private {
                    level: l,
                    last_write,
                }) if Some(l) == level.next() => {
                    if self.unwritten.contains_key(&t.0) {
                        self.violate(ViolationKind::PublishUninitialized, va, level, old, new);
                    }
                    if last_write > self.last_dsb {
                        self.violate(
                            ViolationKind::TablePublishedBeforeBarrier,
                            va,
                            level,
                            old,
                            new,
                        );
                    }
                }
                _ => {
                    self.violate(ViolationKind::PublishUnknownTable, va, level, old, new);
                    self.forward(path, table, index, new);
                    return;
                }
            }
        }

        let old_valid_map = matches!(old_kind, Kind::Block | Kind::Page | Kind::Table);
        let new_valid_map = matches!(new_kind, Kind::Block | Kind::Page | Kind::Table);
        let size_change =
            (old_kind == Kind::Table) != (new_kind == Kind::Table) || old.cont() != new.cont();

        if old_valid_map && new_valid_map {
            if old_kind == Kind::Table && new_kind == Kind::Table && old == new {
                // Rewriting the same table descriptor.
            } else if size_change {
                if !self.bbml3 {
                    self.violate(ViolationKind::BreakBeforeMake, va, level, old, new);
                } else if !self.equivalent(old, new, level) {
                    self.violate(ViolationKind::SplitNotEquivalent, va, level, old, new);
                }
            } else if old_kind != Kind::Table && !live_change_is_safe(&self.fmt, old, new) {
                self.violate(ViolationKind::BreakBeforeMake, va, level, old, new);
            }
        } else if new_valid_map {
            // Becoming valid: nothing a TLB may still hold may conflict.
            let mut leaves = Vec::new();
            self.leaves(new, level, &mut leaves);
            let conflict = leaves.iter().any(|l| {
                l.desc.is_valid()
                    && self.conflicts_with_stale(
                        va + l.off,
                        va + l.off + l.size,
                        l.desc,
                        self.level_of(l.size),
                    )
            });
            if conflict {
                self.violate(ViolationKind::MissingTlbi, va, level, old, new);
            }
        } else if old_valid_map && old_kind != Kind::Table {
            self.stale.push(Stale {
                start: va,
                end,
                base: va,
                level,
                desc: old,
            });
        }

        if !old.is_valid() && new.is_valid() {
            let first = self.unsynced.map_or(
                Violation {
                    kind: ViolationKind::ValidWithoutIsb,
                    start: VirtAddr(va),
                    end: VirtAddr(end),
                    level,
                    old,
                    new,
                },
                |(v, _)| v,
            );
            self.unsynced = Some((first, self.seq));
        }
        if old_kind == Kind::Table && !(new_kind == Kind::Table && old == new) {
            // SAFETY: `old` was loaded from the entry.
            if let Some(t) = unsafe { Table::linked_by(&self.fmt, old, level) } {
                self.unlink(t, va);
            }
        }
        self.forward(path, table, index, new);
        if new_kind == Kind::Table && !(old_kind == Kind::Table && old == new) {
            // SAFETY: `new` names a table allocated for the next level (it
            // was `Private`, checked above, or the store was reported and
            // returned).
            if let Some(t) = unsafe { Table::linked_by(&self.fmt, new, level) } {
                self.link(t, va, true);
            }
        }
        if !level.is_last() || new.is_valid() || old.is_valid() {
            self.check_group_store(table, index, level, va);
        }
    }

    fn level_of(&self, size: u64) -> Level {
        let g = self.fmt.geometry;
        let mut l = Level::Pte;
        while g.entry_size(l) < size {
            l = match l.prev() {
                Some(p) => p,
                None => break,
            };
        }
        l
    }
}

impl<H: PageTableHw> TableRead for Auditor<H> {
    fn read(&self, table: Table, index: usize) -> Descriptor {
        self.hw.read(table, index)
    }

    fn read_run(&self, table: Table, first: usize, out: &mut [Descriptor]) {
        self.hw.read_run(table, first, out)
    }
}

impl<H: PageTableHw> PageTableHw for Auditor<H> {
    fn write(&mut self, table: Table, index: usize, desc: Descriptor) {
        self.store(StorePath::Table, table, index, desc);
    }

    fn write_top(&mut self, table: Table, index: usize, desc: Descriptor) {
        self.store(StorePath::Top, table, index, desc);
    }

    fn alloc_table(&mut self, level: Level, init: TableInit) -> Result<Table> {
        let t = self.hw.alloc_table(level, init)?;
        self.seq += 1;
        match init {
            // The allocation zeroes the table and orders the zeroing
            // (`init_clear_pgtable()`).
            TableInit::Zeroed => self.last_dsb = self.seq,
            TableInit::Overwritten => {
                let n = self.fmt.geometry.entries(level);
                self.unwritten.insert(t.pa().0, (alloc::vec![false; n], n));
            }
        }
        self.tables.insert(
            t.pa().0,
            TableState::Private {
                level,
                last_write: self.seq,
            },
        );
        Ok(t)
    }

    /// Reports a free that breaks the rules (a live table, one freed
    /// before an invalidation covered it) and forwards it.
    unsafe fn free_table(&mut self, table: Table) {
        let level = table.level();
        match self.tables.get(&table.pa().0).copied() {
            Some(TableState::Live { va, .. }) => self.violate(
                ViolationKind::FreeLiveTable,
                va,
                level,
                Descriptor::NONE,
                Descriptor::NONE,
            ),
            Some(TableState::Unlinked {
                va, flushed: false, ..
            }) => self.violate(
                ViolationKind::FreeBeforeTlbi,
                va,
                level,
                Descriptor::NONE,
                Descriptor::NONE,
            ),
            _ => {}
        }
        self.tables.remove(&table.pa().0);
        // SAFETY: The caller's requirements, passed on (a caller that
        // breaks them is what the report above is for, in the host tests).
        unsafe { self.hw.free_table(table) };
    }

    fn dsb_ishst(&mut self) {
        self.last_dsb = self.seq;
        self.hw.dsb_ishst();
    }

    fn isb(&mut self) {
        if self.unsynced.is_some_and(|(_, seq)| self.last_dsb >= seq) {
            self.unsynced = None;
        }
        self.hw.isb();
    }

    fn flush_tlb_kernel_range(&mut self, start: VirtAddr, end: VirtAddr) {
        self.last_dsb = self.seq;
        self.hw.flush_tlb_kernel_range(start, end);
        // TLBI takes VA[55:12]: a KASAN tag does not narrow it.
        self.invalidated(start.untagged().0, end.untagged().0);
    }

    fn flush_tlb_kernel_pgtable(&mut self, va: VirtAddr) {
        self.last_dsb = self.seq;
        self.hw.flush_tlb_kernel_pgtable(va);
        let va = va.untagged().0;
        let page = self.fmt.geometry.page_size();
        // Every level's entries for the page of `va`.
        self.invalidated(va & !(page - 1), (va & !(page - 1)) + page);
        self.invalidated_walks(va);
    }

    fn table_freeable(&self, table: Table) -> bool {
        self.hw.table_freeable(table)
    }
}
