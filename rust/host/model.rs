// SPDX-License-Identifier: GPL-2.0

//! A host model of the MMU: tables in an arena, a table walker, and the
//! failure injection the tests need. Host only (it allocates with `alloc`).

extern crate alloc;

use core::cell::Cell;

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    Descriptor,
    Format,
    Kind, //
};
use crate::error::{
    Error,
    Result, //
};
use crate::geometry::Level;
use crate::hw::{
    PageTableHw,
    Table,
    TableInit,
    TableRead, //
};
use crate::walk::{
    load,
    Next,
    PageTables, //
};

/// Where the model places its tables: far above any RAM the tests map, so a
/// table address is never mistaken for mapped memory.
pub const TABLE_AREA: u64 = 0x0000_2000_0000_0000;

/// What an entry of a table allocated with [`TableInit::Overwritten`]
/// holds until it is stored: a valid page or table descriptor pointing
/// into nowhere, so that a table published with it maps garbage, as it
/// would in the kernel.
pub const UNINITIALIZED: Descriptor = Descriptor(0x00de_ad00_0000_0f03);

/// What a VA translates to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// The output address of the VA itself (not of its leaf's base).
    pub oa: PhysAddr,
    /// The leaf descriptor.
    pub desc: Descriptor,
    /// The leaf's level.
    pub level: Level,
    /// Whether the leaf has the contiguous hint.
    pub contiguous: bool,
}

/// Counts of what the model was asked to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Table allocations that succeeded.
    pub allocs: usize,
    /// Tables freed.
    pub frees: usize,
    /// Entry stores.
    pub writes: usize,
    /// Of which into the top table (through `write_top()`).
    pub top_writes: usize,
    /// `dsb(ishst)`.
    pub dsbs: usize,
    /// TLB invalidations (range or all).
    pub tlb_flushes: usize,
    /// Walk-cache invalidations (`__flush_tlb_kernel_pgtable()`).
    pub pgtable_flushes: usize,
}

/// Entry loads, counted apart from [`Stats`] because [`TableRead::read`]
/// takes `&self`.
#[derive(Clone, Debug, Default)]
pub struct ReadCount(Cell<usize>);

impl ReadCount {
    /// Loads so far.
    pub fn get(&self) -> usize {
        self.0.get()
    }

    /// Starts counting again from zero.
    pub fn reset(&self) {
        self.0.set(0);
    }
}

/// The host MMU.
#[derive(Clone, Debug)]
pub struct HostMmu {
    fmt: Format,
    root: Table,
    tables: BTreeMap<u64, Vec<Descriptor>>,
    next: u64,
    free_list: Vec<u64>,
    /// Fail the allocation after this many more succeed (`None`: never).
    pub fail_alloc_after: Option<usize>,
    /// What was done so far.
    pub stats: Stats,
    /// Entry loads so far.
    pub reads: ReadCount,
}

impl HostMmu {
    /// A model with an empty top table (`swapper_pg_dir`).
    pub fn new(fmt: Format) -> HostMmu {
        let g = fmt.geometry;
        let mut m = HostMmu {
            fmt,
            // SAFETY: Replaced below by the table the arena allocates.
            root: unsafe { Table::root(PhysAddr(0), g.start_level()) },
            tables: BTreeMap::new(),
            next: TABLE_AREA,
            free_list: Vec::new(),
            fail_alloc_after: None,
            stats: Stats::default(),
            reads: ReadCount::default(),
        };
        let pa = m.new_table(g.start_level(), TableInit::Zeroed);
        // SAFETY: The arena has just allocated it, at the start level.
        m.root = unsafe { Table::root(pa, g.start_level()) };
        m
    }

    /// The descriptor format.
    pub fn format(&self) -> &Format {
        &self.fmt
    }

    /// The top table.
    pub fn root(&self) -> Table {
        self.root
    }

    /// The tree, for reading.
    pub fn tree(&self) -> PageTables<'_, &HostMmu> {
        PageTables::new(self, &self.fmt, self.root)
    }

    /// Tables currently allocated, the top one included.
    pub fn table_count(&self) -> usize {
        self.tables.len()
    }

    fn new_table(&mut self, level: Level, init: TableInit) -> PhysAddr {
        let g = self.fmt.geometry;
        let pa = self.free_list.pop().unwrap_or_else(|| {
            let pa = self.next;
            self.next += g.page_size();
            pa
        });
        let fill = match init {
            TableInit::Zeroed => Descriptor::NONE,
            TableInit::Overwritten => UNINITIALIZED,
        };
        self.tables.insert(pa, vec![fill; g.entries(level)]);
        PhysAddr(pa)
    }

    /// Walks the tables for `va`.
    pub fn translate(&self, va: VirtAddr) -> Option<Translation> {
        self.translate_in(self.tree(), va)
    }

    /// The translation the tree `pt` gives `va`: its leaf if valid.
    fn translate_in(&self, pt: PageTables<'_, &HostMmu>, va: VirtAddr) -> Option<Translation> {
        let g = &self.fmt.geometry;
        let (slot, d) = pt.lookup_slot(va);
        match d.kind(slot.level()) {
            Kind::Block | Kind::Page => {
                let off = va.0 & (g.entry_size(slot.level()) - 1);
                Some(Translation {
                    oa: d.output_address(&self.fmt) + off,
                    desc: d,
                    level: slot.level(),
                    contiguous: d.cont(),
                })
            }
            _ => None,
        }
    }

    /// Walks the tables for `va` as a CPU whose TTBR1 region has
    /// `vabits_actual` bits does, when that is fewer than the geometry's:
    /// TTBR1 points `TTBR1_BADDR_4852_OFFSET` into the top table (64K pages,
    /// 52-bit VAs, no FEAT_LVA), so the walk starts at the entry of the
    /// lowest address the CPU can translate. `None` for an address the CPU
    /// cannot translate (below its TTBR1 region) or a hole.
    pub fn translate_hw(&self, va: VirtAddr, vabits_actual: u32) -> Option<Translation> {
        let g = &self.fmt.geometry;
        let top = g.start_level();
        let shift = g.level_shift(top);
        if vabits_actual >= g.va_bits() {
            return self.translate(va);
        }
        if va.0 < (1u64 << vabits_actual).wrapping_neg() {
            return None;
        }
        let hw_entries = 1usize << (vabits_actual - shift);
        let offset = g.entries(top) - hw_entries;
        let index = offset + ((va.0 >> shift) as usize & (hw_entries - 1));
        let below = load(self, &self.fmt, self.root, index, VirtAddr(0)).below()?;
        let base = va.align_down(g.entry_size(top));
        self.translate_in(PageTables::subtree(self, &self.fmt, below, base), va)
    }

    /// The present leaf (valid or present-invalid) that maps `va`, with its
    /// level.
    pub fn leaf(&self, va: VirtAddr) -> Option<(Descriptor, Level)> {
        self.tree().lookup(va)
    }

    /// Calls `f(va, level, descriptor)` for every entry that is not a table
    /// (leaves and empty or invalid entries) whose range meets
    /// `[start, end)`, in address order. `va` is the entry's first address.
    pub fn for_each_entry(
        &self,
        start: VirtAddr,
        end: VirtAddr,
        f: &mut dyn FnMut(VirtAddr, Level, Descriptor),
    ) {
        let _ = self.tree().walk(start, end, |_, slot, d| -> Result<Next> {
            if slot.below().is_some() {
                return Ok(Next::Descend);
            }
            f(slot.va(), slot.level(), d);
            Ok(Next::Over)
        });
    }
}

impl HostMmu {
    fn store(&mut self, table: Table, index: usize, desc: Descriptor) {
        self.stats.writes += 1;
        if let Some(t) = self.tables.get_mut(&table.pa().0) {
            t[index] = desc;
        }
    }
}

impl TableRead for HostMmu {
    fn read(&self, table: Table, index: usize) -> Descriptor {
        self.reads.0.set(self.reads.0.get() + 1);
        self.tables
            .get(&table.pa().0)
            .map_or(Descriptor::NONE, |t| t[index])
    }

    fn read_run(&self, table: Table, first: usize, out: &mut [Descriptor]) {
        self.reads.0.set(self.reads.0.get() + out.len());
        match self.tables.get(&table.pa().0) {
            Some(t) => out.copy_from_slice(&t[first..first + out.len()]),
            None => out.fill(Descriptor::NONE),
        }
    }
}

impl PageTableHw for HostMmu {
    fn write(&mut self, table: Table, index: usize, desc: Descriptor) {
        // As the kernel's swapper_pg_dir once mark_linear_text_alias_ro()
        // has run: a store through the top table's linear alias faults.
        assert!(
            table.pa() != self.root.pa(),
            "store into the top table through its read-only linear alias \
             (entry {index}, {desc}): the top table takes write_top()"
        );
        self.store(table, index, desc);
    }

    fn write_top(&mut self, table: Table, index: usize, desc: Descriptor) {
        // The kernel's top-table path writes `swapper_pg_dir` only.
        assert!(
            table.pa() == self.root.pa(),
            "write_top() into a table below the top one (entry {index}, {desc})"
        );
        self.stats.top_writes += 1;
        self.store(table, index, desc);
    }

    fn alloc_table(&mut self, level: Level, init: TableInit) -> Result<Table> {
        if let Some(n) = self.fail_alloc_after.as_mut() {
            if *n == 0 {
                return Err(Error::NoMemory);
            }
            *n -= 1;
        }
        self.stats.allocs += 1;
        if init == TableInit::Zeroed {
            // init_clear_pgtable()'s barrier.
            self.stats.dsbs += 1;
        }
        let pa = self.new_table(level, init);
        // SAFETY: The arena has just allocated it for `level`.
        Ok(unsafe { Table::allocated(pa, level) })
    }

    /// Frees a table of the arena; anything else is ignored (the model's
    /// frees touch no memory but its map).
    unsafe fn free_table(&mut self, table: Table) {
        if self.tables.remove(&table.pa().0).is_some() {
            self.stats.frees += 1;
            self.free_list.push(table.pa().0);
        }
    }

    fn dsb_ishst(&mut self) {
        self.stats.dsbs += 1;
    }

    fn isb(&mut self) {}

    fn flush_tlb_kernel_range(&mut self, _start: VirtAddr, _end: VirtAddr) {
        self.stats.tlb_flushes += 1;
    }

    fn flush_tlb_kernel_pgtable(&mut self, _va: VirtAddr) {
        self.stats.pgtable_flushes += 1;
    }
}
