// SPDX-License-Identifier: GPL-2.0

//! The kernel side of the split and pageattr paths: the live MMU behind
//! [`PageTableHw`], and the functions the C shims call with
//! `linmap.impl=rust`.
//!
//! C header: [`arch/arm64/include/asm/linmap.h`](srctree/arch/arm64/include/asm/linmap.h)

use core::cell::UnsafeCell;
use core::sync::atomic::{
    AtomicBool,
    AtomicUsize,
    Ordering, //
};

use kernel::bindings;
use kernel::error::code::{
    EBUSY,
    EINVAL,
    ENOENT,
    ENOMEM, //
};
use kernel::ffi::{
    c_int,
    c_uint,
    c_ulong, //
};
use kernel::prelude::*;

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    Descriptor,
    Format, //
};
use crate::geometry::{
    Geometry,
    Granule,
    Level, //
};
use crate::hw::{
    Firmware,
    PageTableHw,
    Table,
    TableInit,
    TableRead, //
};
use crate::pageattr::{
    PageChange,
    Split, //
};
use crate::policy::{
    split_decision,
    MapInputs,
    SplitDecision,
    SplitState, //
};
use crate::walk::PageTables;

impl From<crate::error::Error> for Error {
    fn from(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::NoMemory => ENOMEM,
            crate::error::Error::Invalid | crate::error::Error::PartlyCovered => EINVAL,
            crate::error::Error::Busy => EBUSY,
        }
    }
}

/// `INVALID_PHYS_ADDR`.
const INVALID_PHYS_ADDR: u64 = u64::MAX;

/// The live tree as C describes it at `paging_init()`, read once: the
/// geometry, `swapper_pg_dir` and `__phys_to_virt()`'s offsets do not change
/// afterwards (`memstart_addr` and `vabits_actual` are set before).
/// `fmt.ns_shared` is `PROT_NS_SHARED` then, 0 even in a realm
/// (`arm64_rsi_init()` runs later): the kernel paths never use it, the
/// shared bit moves with the output address in a split and comes in C's
/// masks to `update_range_prot()`.
#[derive(Clone, Copy)]
pub(super) struct Live {
    pub(super) fmt: Format,
    /// `swapper_pg_dir`.
    root: Table,
    /// `PAGE_OFFSET` and `PHYS_OFFSET`, for `__phys_to_virt()`.
    page_offset: u64,
    phys_offset: u64,
}

/// [`Live`], set by [`init_live`].
struct LiveCell(UnsafeCell<Option<Live>>);

// SAFETY: The cell is written once, by `init_live()` from
// `linmap_paging_init()` on the boot CPU, before any other CPU runs and
// before anything reads it (the entry points below run once `map_mem()`
// has built the linear map); afterwards it is only read, as
// `__ro_after_init` data is. Reading it needs no atomic, which is the
// point: every entry point reads it.
unsafe impl Sync for LiveCell {}

static LIVE: LiveCell = LiveCell(UnsafeCell::new(None));

/// Reads the live tree from C, once, from `linmap_paging_init()`.
///
/// # Safety
///
/// - Called on the boot CPU before any other CPU runs, and before any
///   entry point of this module.
pub(crate) unsafe fn init_live() {
    let l = read_live().ok();
    // SAFETY: By the function's safety requirement, nothing reads or
    // writes the cell concurrently.
    unsafe { *LIVE.0.get() = l };
}

/// Where [`KernelHw`] takes new tables from.
pub(super) enum TableSource<'a> {
    /// The page allocator, with these flags.
    Gfp(bindings::gfp_t),
    /// Tables allocated before `stop_machine()` for the repaint.
    Pool(&'a mut RepaintPool),
}

/// The live kernel page tables: entries loaded and stored in place through
/// the linear map (as `READ_ONCE()`/`WRITE_ONCE()` do), barriers inline,
/// the rest through the C half of the seam.
///
/// Which tables it is given is [`Table`]'s invariant: `swapper_pg_dir`
/// (built in [`read_live`]), tables this value allocated, and tables named
/// by table descriptors loaded from those; the walker indexes each below
/// its entry count.
///
/// # Invariants
///
/// `page_offset` and `phys_offset` are the kernel's `PAGE_OFFSET` and
/// `PHYS_OFFSET`, so that [`KernelHw::entry`] is `__phys_to_virt()`.
pub(super) struct KernelHw<'a> {
    page_offset: u64,
    phys_offset: u64,
    source: TableSource<'a>,
    /// Tables allocated so far.
    allocs: usize,
}

impl<'a> KernelHw<'a> {
    fn new(live: &Live, source: TableSource<'a>) -> Self {
        // INVARIANT: `read_live()` read both from C at `paging_init()`,
        // after `memstart_addr` and `vabits_actual` were set.
        KernelHw {
            page_offset: live.page_offset,
            phys_offset: live.phys_offset,
            source,
            allocs: 0,
        }
    }

    /// Entry `index` of `table` in the linear map (`__phys_to_virt()`).
    fn entry(&self, table: Table, index: usize) -> *mut u64 {
        let va = (table.pa().0.wrapping_sub(self.phys_offset) | self.page_offset) as usize;
        (va as *mut u64).wrapping_add(index)
    }
}

/// A table for `level` from the page allocator (`linmap_hw_alloc_table()`).
fn alloc_table_gfp(
    level: Level,
    gfp: bindings::gfp_t,
    init: TableInit,
) -> crate::error::Result<Table> {
    let zeroed = init == TableInit::Zeroed;
    // SAFETY: Allocating a page-table page has no precondition beyond a
    // context that `gfp` allows, which is the caller's.
    let pa = unsafe { bindings::linmap_hw_alloc_table(pgtable_level(level), gfp, zeroed) };
    if pa == INVALID_PHYS_ADDR {
        Err(crate::error::Error::NoMemory)
    } else {
        // SAFETY: `linmap_hw_alloc_table()` has just allocated it as a
        // page-table page for `level`.
        Ok(unsafe { Table::allocated(PhysAddr(pa), level) })
    }
}

/// `enum pgtable_level` for a table at `level`: PTE is 0, PMD 1, PUD 2,
/// P4D 3. The kernel allocates no PGD-level table at run time
/// (`swapper_pg_dir` is static; `__pgd_pgtable_alloc()` warns for
/// `PGTABLE_LEVEL_PGD` and runs no constructor), so the top table of a
/// private 5-level tree is allocated, and freed, as a P4D one.
fn pgtable_level(level: Level) -> c_uint {
    (3 - level.number()).min(3) as c_uint
}

impl TableRead for KernelHw<'_> {
    fn read(&self, table: Table, index: usize) -> Descriptor {
        // SAFETY: By `Table`'s invariant `table` is a page-table page of
        // the kernel's tree or one allocated through this value, so mapped
        // at `entry()` (the type invariant), and the walker's `index` is in
        // bounds; a volatile aligned 64-bit load is `READ_ONCE()`.
        Descriptor(unsafe { self.entry(table, index).read_volatile() })
    }
}

impl PageTableHw for KernelHw<'_> {
    fn write(&mut self, table: Table, index: usize, desc: Descriptor) {
        debug_assert!(!table.is_root());
        // The entry is the caller's to change, as for the C helpers: splits
        // hold `pgtable_split_lock` (or run with the other CPUs parked),
        // attribute changes own their range. `set_entry()` routes the top
        // table, read-only through the linear map, to `write_top()`.
        // SAFETY: As for `read()` a page-table page at `entry()`, below the
        // top one so writable through the linear map, `index` in bounds,
        // the entry the caller's (above); a volatile aligned store is
        // `WRITE_ONCE()`.
        unsafe { self.entry(table, index).write_volatile(desc.0) }
    }

    fn write_top(&mut self, table: Table, index: usize, desc: Descriptor) {
        debug_assert!(table.is_root());
        // SAFETY: As for `write()`; `linmap_hw_write_top()` writes
        // `swapper_pg_dir` through `set_swapper_pgd()`.
        unsafe { bindings::linmap_hw_write_top(table.pa().0, index as c_uint, desc.0) }
    }

    fn alloc_table(&mut self, level: Level, init: TableInit) -> crate::error::Result<Table> {
        let t = self.alloc_table_from_source(level, init)?;
        if init == TableInit::Overwritten {
            // Only splits allocate tables they overwrite: one per block.
            let n = if level.is_last() {
                &SPLIT_PMD
            } else {
                &SPLIT_PUD
            };
            n.fetch_add(1, Ordering::Relaxed);
        }
        Ok(t)
    }

    unsafe fn free_table(&mut self, table: Table) {
        // SAFETY: By the function's safety requirements `table` is a
        // page-table page `linmap_hw_alloc_table()` allocated for its
        // level, that no walker reaches.
        unsafe { bindings::linmap_hw_free_table(table.pa().0, pgtable_level(table.level())) }
    }

    fn dsb_ishst(&mut self) {
        // SAFETY: A barrier has no precondition; it orders memory accesses,
        // so the asm is not `nomem`.
        unsafe { core::arch::asm!("dsb ishst", options(nostack, preserves_flags)) }
    }

    fn isb(&mut self) {
        // SAFETY: As for `dsb_ishst()`.
        unsafe { core::arch::asm!("isb", options(nostack, preserves_flags)) }
    }

    fn flush_tlb_kernel_range(&mut self, start: VirtAddr, end: VirtAddr) {
        // SAFETY: TLB invalidation of a kernel range has no precondition.
        unsafe { bindings::linmap_hw_flush_tlb_kernel_range(start.0 as c_ulong, end.0 as c_ulong) }
    }

    fn flush_tlb_kernel_pgtable(&mut self, va: VirtAddr) {
        // SAFETY: As for `flush_tlb_kernel_range()`.
        unsafe { bindings::linmap_hw_flush_tlb_kernel_pgtable(va.0 as c_ulong) }
    }

    fn table_freeable(&self, table: Table) -> bool {
        // SAFETY: By `Table`'s invariant a page-table page of the kernel's
        // tree, which has a `struct page`.
        unsafe { bindings::linmap_hw_table_freeable(table.pa().0) }
    }
}

impl KernelHw<'_> {
    /// [`PageTableHw::alloc_table`] but the counts of splits.
    fn alloc_table_from_source(
        &mut self,
        level: Level,
        init: TableInit,
    ) -> crate::error::Result<Table> {
        let gfp = match &mut self.source {
            TableSource::Gfp(gfp) => *gfp,
            // Pool tables are not zeroed (the repaint asks for none that
            // is). The count is an upper bound; should it ever fall short,
            // allocate as 7.3 does rather than fail.
            TableSource::Pool(pool) if init == TableInit::Overwritten => match pool.take(level) {
                Some(pa) => {
                    self.allocs += 1;
                    // SAFETY: `repaint_prepare()` allocated it for `level`
                    // and nothing published it.
                    return Ok(unsafe { Table::allocated(pa, level) });
                }
                None => bindings::GFP_ATOMIC,
            },
            TableSource::Pool(_) => bindings::GFP_ATOMIC,
        };
        let pa = alloc_table_gfp(level, gfp, init)?;
        if let TableSource::Pool(pool) = &mut self.source {
            pool.short += 1;
        }
        self.allocs += 1;
        Ok(pa)
    }
}

/// Blocks split since boot, by the level of the table made for them (the
/// repaint's included), for `linmap/collapse` in debugfs.
static SPLIT_PMD: AtomicUsize = AtomicUsize::new(0);
static SPLIT_PUD: AtomicUsize = AtomicUsize::new(0);

/// Blocks split since boot: PMD blocks (a table of pages made) and PUD
/// blocks (a table of PMDs made).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SplitCounts {
    pub(super) pmd: usize,
    pub(super) pud: usize,
}

/// The counts of blocks split by linmap.
pub(super) fn split_counts() -> SplitCounts {
    SplitCounts {
        pmd: SPLIT_PMD.load(Ordering::Relaxed),
        pud: SPLIT_PUD.load(Ordering::Relaxed),
    }
}

/// The SMC conduit, whatever the kernel has probed so far (the early realm
/// probe decides from the device tree whether to use it).
pub(crate) struct SmcConduit;

impl Firmware for SmcConduit {
    fn smc(&mut self, x: [u64; 8]) -> [u64; 4] {
        let mut r = [0u64; 4];
        // SAFETY: `x` has the 8 arguments and `r` room for 4 results, as
        // `linmap_hw_smc()` reads and writes.
        unsafe { bindings::linmap_hw_smc(x.as_ptr(), r.as_mut_ptr()) };
        r
    }
}

/// The live tree, as [`init_live`] read it; `EINVAL` if it could not.
#[inline]
pub(super) fn live() -> Result<&'static Live> {
    // SAFETY: See `LiveCell`: written before any caller, read-only since.
    unsafe { (*LIVE.0.get()).as_ref() }.ok_or(EINVAL)
}

fn read_live() -> Result<Live> {
    let mut f = bindings::linmap_hw_format::default();
    // SAFETY: `f` is a valid, writable `struct linmap_hw_format`.
    unsafe { bindings::linmap_hw_get_format(&mut f) };
    let granule = match f.page_shift {
        12 => Granule::K4,
        14 => Granule::K16,
        16 => Granule::K64,
        _ => return Err(EINVAL),
    };
    let geometry = Geometry::for_kernel(granule, f.va_bits, f.va_bits_actual, f.pa_bits_52)
        // Every VA size 7.3's Kconfig offers is known: this is a new one.
        .inspect_err(|_| {
            kernel::warn_on!(true);
        })
        .map_err(|_| EINVAL)?;
    let l = Live {
        fmt: Format {
            geometry,
            ns_shared: f.ns_shared,
        },
        // SAFETY: `f.pgd` is `__pa_symbol(swapper_pg_dir)`, the top table
        // of the kernel's tree, at the configuration's start level.
        root: unsafe { Table::root(PhysAddr(f.pgd), geometry.start_level()) },
        page_offset: f.page_offset,
        phys_offset: f.phys_offset,
    };
    Ok(l)
}

/// The kernel's tree, through a [`KernelHw`] taking tables from `source`.
pub(super) fn kernel_tables<'a>(
    l: &'a Live,
    source: TableSource<'a>,
) -> PageTables<'a, KernelHw<'a>> {
    PageTables::new(KernelHw::new(l, source), &l.fmt, l.root)
}

/// An errno for C, 0 for success (`from_result()` for a unit result).
fn to_c(r: Result) -> c_int {
    kernel::error::from_result(|| r.map(|()| 0))
}

fn map_inputs(i: &bindings::linmap_map_inputs) -> MapInputs {
    MapInputs {
        debug_pagealloc: i.debug_pagealloc,
        caps_finalized: i.caps_finalized,
        system_bbml3: i.system_bbml3,
        cpu_bbml3: i.cpu_bbml3,
        rodata_full: i.rodata_full,
        kfence_can_set_direct_map: i.kfence_can_set_direct_map,
        realm: i.realm,
    }
}

/// `force_pte_mapping()` and `can_set_direct_map()`, as the
/// `LINMAP_ANSWER_*` bits of `<asm/linmap.h>`. Every input but the
/// capabilities is settled before they are finalized (boot parameters,
/// `kfence_early_init`, `arm64_rsi_init()` in `setup_arch()`), and none
/// changes afterwards: from then on the answers are kept in
/// `linmap_map_answers` (with `LINMAP_ANSWERS_FINAL`), which the C callers
/// read without calling here.
///
/// # Safety
///
/// - None: callable from any context.
#[export]
pub unsafe extern "C" fn linmap_map_decide() -> u8 {
    let mut i = bindings::linmap_map_inputs::default();
    // SAFETY: `i` is a valid, writable `struct linmap_map_inputs`.
    unsafe { bindings::linmap_get_map_inputs(&mut i) };
    let m = map_inputs(&i);
    let bit = |b: bool, v: u32| if b { v as u8 } else { 0 };
    let a = bit(m.force_pte_mapping(), bindings::LINMAP_ANSWER_FORCE_PTE)
        | bit(
            m.can_set_direct_map(),
            bindings::LINMAP_ANSWER_CAN_SET_DIRECT_MAP,
        );
    if m.caps_finalized {
        let a = a | bindings::LINMAP_ANSWERS_FINAL as u8;
        // SAFETY: `linmap_map_answers` is a C `u8`; racing first callers
        // store the same value, and the store is `WRITE_ONCE()`.
        unsafe { (&raw mut bindings::linmap_map_answers).write_volatile(a) };
        return a;
    }
    a
}

/// `split_kernel_leaf_mapping()`'s decision: 0 to split, 1 when there is
/// nothing to do, `-EBUSY` when splitting is not possible now (the caller
/// warns).
///
/// # Safety
///
/// - `s` points to an initialized `struct linmap_split_state`.
#[export]
pub unsafe extern "C" fn linmap_split_decision(s: *const bindings::linmap_split_state) -> c_int {
    // SAFETY: By the function's safety requirement.
    let s = unsafe { &*s };
    let state = SplitState {
        linear_map_requires_bbml3: s.linear_map_requires_bbml3,
        kfence_address: s.kfence_address,
        system_bbml3: s.system_bbml3,
        caps_finalized: s.caps_finalized,
        page_alloc_available: s.page_alloc_available,
        online_cpus: s.online_cpus,
    };
    match split_decision(&state) {
        SplitDecision::Split => 0,
        SplitDecision::NothingToDo => 1,
        SplitDecision::Busy => EBUSY.to_errno(),
    }
}

/// The split of `split_kernel_leaf_mapping()` once its decision said so.
///
/// # Safety
///
/// - The caller holds `pgtable_split_lock`, in lazy MMU mode, and every CPU
///   that may use the linear map has BBML3: the decision said to split only
///   when `linear_map_requires_bbml3` (set by `map_mem()` only if the boot
///   CPU had BBML3) and either caps are finalized with the system's BBML3
///   or the boot CPU is the only one online.
#[export]
pub unsafe extern "C" fn linmap_split_kernel_leaf_mapping(start: c_ulong, end: c_ulong) -> c_int {
    to_c(live().and_then(|l| {
        let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        Ok(pt.split_kernel_leaf_mapping(VirtAddr(start as u64), VirtAddr(end as u64))?)
    }))
}

/// Warns once, as `pageattr_p?d_entry()`'s `WARN_ON_ONCE()`, when a range
/// covers part of a leaf that was not split; other refusals are silent, as
/// 7.3's walker's `-EINVAL` for an empty range is.
fn warn_partly_covered(r: &crate::error::Result) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if *r == Err(crate::error::Error::PartlyCovered) && !WARNED.swap(true, Ordering::Relaxed) {
        kernel::warn_on!(true);
    }
}

/// The walk of `update_range_prot()`, after the split: clear `clear_mask`,
/// then set `set_mask`, on every leaf of `[start, start + size)`.
///
/// # Safety
///
/// - The range is kernel memory whose mapping no one else changes
///   concurrently (as for the C walker), in lazy MMU mode.
#[export]
pub unsafe extern "C" fn linmap_update_range_prot(
    start: c_ulong,
    size: c_ulong,
    set_mask: u64,
    clear_mask: u64,
) -> c_int {
    to_c(live().and_then(|l| {
        let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        let change = PageChange {
            set: set_mask,
            clear: clear_mask,
        };
        // C's `change_memory_common()` has split already.
        let r = pt.update_range_prot(
            VirtAddr(start as u64),
            size as u64,
            change,
            Split::Forbidden,
        );
        warn_partly_covered(&r);
        Ok(r?)
    }))
}

/// `range_split_to_ptes()`: every leaf of `[start, end)` to PTEs, with
/// tables from `pool` when it is not null (the caps-finalize repaint),
/// else allocated with `gfp`.
///
/// # Safety
///
/// - As `range_split_to_ptes()`: the other CPUs are parked (the caps-finalize
///   repaint) or the range is private (the late KFENCE pool); `gfp` fits the
///   context.
/// - `pool` is null or came from [`linmap_repaint_prepare`] and was not
///   passed to [`linmap_repaint_finish`] yet, and no one else uses it.
#[export]
pub unsafe extern "C" fn linmap_range_split_to_ptes(
    start: c_ulong,
    end: c_ulong,
    gfp: bindings::gfp_t,
    pool: *mut bindings::linmap_repaint_pool,
) -> c_int {
    to_c(live().and_then(|l| {
        let source = if pool.is_null() {
            TableSource::Gfp(gfp)
        } else {
            // SAFETY: By the function's safety requirement, `pool` is a
            // live `RepaintPool` (see `linmap_repaint_prepare()`) that only
            // this call uses.
            TableSource::Pool(unsafe { &mut *pool.cast::<RepaintPool>() })
        };
        let mut pt = kernel_tables(l, source);
        Ok(pt.range_split_to_ptes(VirtAddr(start as u64), VirtAddr(end as u64))?)
    }))
}

/// The page-table pages of the caps-finalize repaint, allocated before
/// `stop_machine()` from the count of blocks to split (7.3 allocates them
/// with `GFP_ATOMIC` inside it, which PREEMPT_RT does not allow). What the
/// repaint did not use is freed when the pool drops.
pub(crate) struct RepaintPool {
    /// Tables for the last level, and for the one above it (PUD blocks);
    /// vmalloc-backed, as a TiB of RAM needs megabytes of them.
    pte: KVVec<PhysAddr>,
    pmd: KVVec<PhysAddr>,
    /// How many were allocated.
    prepared: usize,
    /// Tables allocated with `GFP_ATOMIC` in the repaint instead of
    /// taken from the pool.
    short: usize,
}

impl RepaintPool {
    fn tables(&mut self, level: Level) -> Option<&mut KVVec<PhysAddr>> {
        if level.is_last() {
            Some(&mut self.pte)
        } else if level.is_above_last() {
            Some(&mut self.pmd)
        } else {
            None
        }
    }

    fn take(&mut self, level: Level) -> Option<PhysAddr> {
        self.tables(level)?.pop()
    }

    /// Tables not taken.
    fn left(&self) -> usize {
        self.pte.len() + self.pmd.len()
    }
}

impl Drop for RepaintPool {
    fn drop(&mut self) {
        for (tables, level) in [(&mut self.pte, Level::Pte), (&mut self.pmd, Level::Pmd)] {
            while let Some(t) = tables.pop() {
                // SAFETY: `t` was allocated for `level` and never published.
                unsafe { bindings::linmap_hw_free_table(t.0, pgtable_level(level)) };
            }
        }
    }
}

fn repaint_prepare(lstart: u64, lend: u64, kstart: u64, kend: u64) -> Result<KBox<RepaintPool>> {
    let l = live()?;
    let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
    let (lstart, lend) = (VirtAddr(lstart), VirtAddr(lend));
    let (kstart, kend) = (VirtAddr(kstart), VirtAddr(kend));
    let mut n = pt.range_split_to_ptes_tables(lstart, kstart);
    n += pt.range_split_to_ptes_tables(kend, lend);
    let mut pool = KBox::new(
        RepaintPool {
            pte: KVVec::with_capacity(n.pte, GFP_KERNEL)?,
            pmd: KVVec::with_capacity(n.pmd, GFP_KERNEL)?,
            prepared: 0,
            short: 0,
        },
        GFP_KERNEL,
    )?;
    for (count, level) in [(n.pte, Level::Pte), (n.pmd, Level::Pmd)] {
        let Some(tables) = pool.tables(level) else {
            continue;
        };
        // In bulk first (one call into the page allocator per 64 tables),
        // then one by one for what that did not give.
        // `PhysAddr` is a transparent `u64`, as `phys_addr_t` is on arm64.
        let spare = tables.spare_capacity_mut().as_mut_ptr().cast();
        let level_c = pgtable_level(level);
        // SAFETY: `spare` has room for the `count` addresses it may store
        // (the capacity reserved above).
        let got = unsafe {
            bindings::linmap_hw_alloc_tables(level_c, bindings::GFP_KERNEL, count as c_uint, spare)
        } as usize;
        // The function stores at most `count` addresses.
        let got = got.min(count);
        // SAFETY: `got` is at most `count`, which the spare capacity holds,
        // and the function initialized the first `got` entries of it.
        unsafe { tables.inc_len(got) };
        pool.prepared += got;
        for _ in got..count {
            let t = pt.hw_mut().alloc_table(level, TableInit::Overwritten)?;
            if let Some(tables) = pool.tables(level) {
                // Within the capacity reserved above: no allocation.
                tables.push(t.pa(), GFP_KERNEL)?;
            }
            pool.prepared += 1;
        }
    }
    Ok(pool)
}

/// Allocates the tables the caps-finalize repaint of `[lstart, lend)` but
/// `[kstart, kend)` needs, before `stop_machine()`; null if that fails
/// (the repaint then allocates with `GFP_ATOMIC`, as 7.3).
///
/// # Safety
///
/// - Called from `linear_map_maybe_split_to_ptes()`, in process context,
///   before the repaint, while no one else splits the linear map (only
///   fewer tables can be needed by then).
#[export]
pub unsafe extern "C" fn linmap_repaint_prepare(
    lstart: c_ulong,
    lend: c_ulong,
    kstart: c_ulong,
    kend: c_ulong,
) -> *mut bindings::linmap_repaint_pool {
    match repaint_prepare(lstart as u64, lend as u64, kstart as u64, kend as u64) {
        Ok(pool) => KBox::into_raw(pool).cast(),
        Err(e) => {
            pr_warn!(
                "repaint: could not preallocate its tables ({:?}), allocating them in stop_machine()\n",
                e
            );
            core::ptr::null_mut()
        }
    }
}

/// Reports the repaint, which took `ns`, `prepare_ns` of which before
/// `stop_machine()` (the preallocation), and frees what it did not use of
/// `pool`.
///
/// # Safety
///
/// - `pool` is null or came from [`linmap_repaint_prepare`], after the
///   repaint; it is not used again.
#[export]
pub unsafe extern "C" fn linmap_repaint_finish(
    pool: *mut bindings::linmap_repaint_pool,
    prepare_ns: u64,
    ns: u64,
) {
    // SAFETY: `linmap_rust` is written by an early_param and (test-only
    // benchmark kernels) from debugfs and the benchmark module, which
    // exist only from `late_initcall()` on, long after the repaint.
    let rust = unsafe { bindings::linmap_rust };
    let us = ns / 1000;
    if pool.is_null() {
        pr_info!("repaint ({}): {} us\n", if rust { "rust" } else { "c" }, us);
        return;
    }
    // SAFETY: By the function's safety requirement, `pool` is the
    // `KBox<RepaintPool>` `linmap_repaint_prepare()` leaked, given back.
    let pool = unsafe { KBox::from_raw(pool.cast::<RepaintPool>()) };
    pr_info!(
        "repaint (rust): {} us, {} tables preallocated in {} us, {} used\n",
        us,
        pool.prepared,
        prepare_ns / 1000,
        pool.prepared - pool.left()
    );
    if pool.short != 0 {
        pr_warn!(
            "repaint: {} tables more than counted, allocated in stop_machine()\n",
            pool.short
        );
    }
}

/// The leaf that maps `addr` in `swapper_pg_dir`: its level and the bits
/// tests look at. `-EINVAL` for an address outside the kernel half,
/// `-ENOENT` for a hole.
///
/// The tables are read with `READ_ONCE()` and no lock, inside an RCU
/// read-side section: a concurrent split only adds tables, and a collapse
/// frees the linear-map tables it unlinks after a grace period. Other
/// kernel tables are freed at run time without one: vmalloc and ioremap
/// tables by `pmd_free_pte_page()`/`pud_free_pmd_page()` when a huge
/// mapping replaces them, and hot-removed memory's. Callers therefore ask
/// only about addresses whose mapping they keep alive (their own vmalloc
/// area, module or page), as the tests and the sample do.
///
/// # Safety
///
/// - `leaf` points to a writable `struct linmap_leaf`.
#[export]
pub unsafe extern "C" fn linmap_core_leaf_info(
    addr: c_ulong,
    leaf: *mut bindings::linmap_leaf,
) -> c_int {
    to_c(live().and_then(|l| {
        let g = l.fmt.geometry;
        let kernel_half = !((1u64 << g.va_bits()) - 1);
        let addr = VirtAddr(addr as u64).untagged().0;
        if addr < kernel_half {
            return Err(EINVAL);
        }
        let pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        // A collapse frees the tables it unlinks after a grace period.
        let rcu = kernel::sync::rcu::read_lock();
        let found = pt.lookup(VirtAddr(addr));
        drop(rcu);
        let (d, level) = found.ok_or(ENOENT)?;
        // SAFETY: By the function's safety requirement.
        let leaf = unsafe { &mut *leaf };
        leaf.level = c_int::from(level.number());
        leaf.valid = d.is_valid();
        leaf.rdonly = d.rdonly();
        leaf.pxn = d.pxn();
        leaf.cont = d.cont();
        leaf.desc = d.bits();
        Ok(())
    }))
}

/// Counts the leaves of the linear map (`[PAGE_OFFSET, _PAGE_END(VA_BITS_MIN))`)
/// by kind, one per descriptor, as the ptdump summary does.
///
/// # Safety
///
/// - `c` points to a writable `struct linmap_leaf_counts`.
/// - Process context, not holding the memory hotplug lock for write.
#[export]
pub unsafe extern "C" fn linmap_core_linear_leaf_counts(
    c: *mut bindings::linmap_leaf_counts,
) -> c_int {
    to_c(live().map(|l| {
        let g = l.fmt.geometry;
        let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        // Memory hot-remove frees the linear map's tables with no grace
        // period, a collapse after one.
        // SAFETY: Process context (the caller's requirement), no lock held.
        unsafe { bindings::linmap_hw_mem_hotplug_begin() };
        let rcu = kernel::sync::rcu::read_lock();
        let n = pt.leaf_counts(VirtAddr(g.page_offset()), VirtAddr(g.page_end()));
        drop(rcu);
        // SAFETY: Taken above.
        unsafe { bindings::linmap_hw_mem_hotplug_end() };
        // SAFETY: By the function's safety requirement.
        let c = unsafe { &mut *c };
        c.pud = n.pud as c_ulong;
        c.cont_pmd = n.cont_pmd as c_ulong;
        c.pmd = n.pmd as c_ulong;
        c.cont_pte = n.cont_pte as c_ulong;
        c.pte = n.pte as c_ulong;
        c.present_invalid = n.present_invalid as c_ulong;
        c.tables = n.tables as c_ulong;
    }))
}

#[cfg(CONFIG_ARM64_LINMAP_KUNIT_TEST)]
#[kunit_tests(linmap_mm)]
mod tests {
    use super::*;
    use crate::desc::PTE_RDONLY;
    use crate::pageattr::MaskConfig;
    use kernel::alloc::{
        flags::GFP_KERNEL,
        VVec, //
    };
    use kernel::ffi::c_void;

    /// A page from the page allocator and its linear-map address (what
    /// `kmap_local_page()` returns without highmem, as on arm64).
    struct LinearPage {
        /// Owns the page; freed when this drops, after the unmapping.
        _page: kernel::page::Page,
        va: c_ulong,
    }

    impl LinearPage {
        fn new() -> Result<Self> {
            let page = kernel::page::Page::alloc_page(GFP_KERNEL)?;
            // SAFETY: `page` is a valid page we own.
            let va = unsafe { bindings::kmap_local_page(page.as_ptr()) } as c_ulong;
            Ok(LinearPage { _page: page, va })
        }
    }

    impl Drop for LinearPage {
        fn drop(&mut self) {
            // SAFETY: `va` came from `kmap_local_page()` of `page`, in this
            // task, and is the last mapping taken.
            unsafe { bindings::kunmap_local(self.va as *const c_void) };
        }
    }

    fn write_byte(va: c_ulong, b: u8) -> isize {
        // SAFETY: `copy_to_kernel_nofault()` may be called on any kernel
        // address; it reports a fault instead of taking it.
        unsafe {
            bindings::copy_to_kernel_nofault(va as *mut c_void, (&raw const b).cast::<c_void>(), 1)
        }
    }

    /// `__change_memory_common()` through the core on the live tables, with
    /// no split.
    fn change_live(
        pt: &mut PageTables<'_, KernelHw<'_>>,
        va: VirtAddr,
        size: u64,
        change: PageChange,
    ) -> crate::error::Result {
        let masks = MaskConfig::default();
        pt.update_range_prot(va, size, change, Split::Forbidden)?;
        if change.needs_tlb_flush(&masks) {
            pt.hw_mut().flush_tlb_kernel_range(va, va + size);
        }
        Ok(())
    }

    /// The live linear map: split out a page the allocator gave us, make it
    /// read-only through the Rust walker, check that a write faults, make
    /// it writable again and check that the write lands.
    #[test]
    fn read_only_linear_page_rejects_writes() -> Result {
        let page = LinearPage::new()?;
        let l = live()?;
        let size = l.fmt.geometry.page_size();
        let va = VirtAddr(page.va as u64);
        // SAFETY: A page-aligned range of the linear map we own.
        let r = unsafe { bindings::split_kernel_leaf_mapping(page.va, page.va + size as c_ulong) };
        assert_eq!(r, 0);
        let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        let ro = change_live(&mut pt, va, size, PageChange::ro());
        assert_eq!(ro, Ok(()));
        let leaf = pt.lookup(va);
        let faulted = write_byte(page.va, 0x5a);
        // Writable again before anything is asserted, so that a failure
        // leaves no read-only page behind.
        let rw = change_live(&mut pt, va, size, PageChange::rw());
        assert_eq!(rw, Ok(()));
        let (d, _) = leaf.ok_or(ENOENT)?;
        assert!(d.bits() & PTE_RDONLY != 0);
        assert!(faulted != 0);
        assert_eq!(write_byte(page.va, 0x5a), 0);
        // SAFETY: The page is ours and writable.
        assert_eq!(unsafe { *(page.va as *const u8) }, 0x5a);
        Ok(())
    }

    /// On live tables, what 7.3's walker accepts is accepted: a range that
    /// runs into the guard page of a vmalloc area (`change_memory_common()`
    /// allows it; the none PTE is left none) and a start inside a page; an
    /// empty range is `-EINVAL`, as 7.3's walker says.
    #[test]
    fn live_ranges_as_7_3_walks_them() -> Result {
        let l = live()?;
        let page = l.fmt.geometry.page_size();
        let buf = VVec::<u8>::with_capacity(page as usize, GFP_KERNEL)?;
        let va = VirtAddr(buf.as_ptr() as u64);
        assert!(va.untagged().is_aligned(page));
        let guard = va.untagged() + page;
        let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        assert_eq!(pt.lookup(guard), None);
        let ro = change_live(&mut pt, va, 2 * page, PageChange::ro());
        let ro_leaf = pt.lookup(va).map(|(d, _)| d.rdonly());
        let guard_after = pt.lookup(guard);
        // Writable again from inside the page, before anything is asserted.
        let rw = change_live(&mut pt, va + 0x10, page, PageChange::rw());
        let rw_leaf = pt.lookup(va).map(|(d, _)| d.rdonly());
        let empty = pt.update_range_prot(va, 0, PageChange::ro(), Split::Forbidden);
        assert_eq!(ro, Ok(()));
        assert_eq!(ro_leaf, Some(true));
        assert_eq!(guard_after, None);
        assert_eq!(rw, Ok(()));
        assert_eq!(rw_leaf, Some(false));
        assert_eq!(empty, Err(crate::error::Error::Invalid));
        Ok(())
    }

    /// The core on private tables in real memory: build, split and change a
    /// mapping no walker uses, read it back, free every table.
    #[test]
    fn core_on_private_tables() -> Result {
        let l = live()?;
        let fmt = &l.fmt;
        let g = fmt.geometry;
        let mut hw = KernelHw::new(l, TableSource::Gfp(bindings::GFP_KERNEL));
        let root = hw.alloc_table(g.start_level(), TableInit::Zeroed)?;
        let mut pt = PageTables::new(&mut hw, fmt, root);
        let pmd = g.entry_size(Level::Pmd);
        let page = g.page_size();
        let va = VirtAddr(g.page_offset());
        // Made-up output addresses: nothing translates through this tree.
        let pa = PhysAddr(1 << 40);
        let built = pt.create_pgd_mapping(pa, va, 2 * pmd + 3 * page, fmt.prot_normal(), 0);
        let block = pt.lookup(va + pmd + 7).map(|(_, l)| l);
        let target = va + 5 * page;
        let changed = pt.update_range_prot(target, page, PageChange::ro(), Split::Allowed);
        let at = pt.lookup(target);
        let after = pt.lookup(target + page);
        let hole = pt.lookup(va + 2 * pmd + 3 * page);
        // Freed before anything is asserted, so that a failure leaks nothing.
        // SAFETY: A private tree, never linked, every table allocated by
        // `hw`; no table of it is used afterwards.
        unsafe { pt.free_tree() };
        assert_eq!(built, Ok(()));
        assert_eq!(block, Some(Level::Pmd));
        assert_eq!(changed, Ok(()));
        let (d, l) = at.ok_or(ENOENT)?;
        assert_eq!((l, d.output_address(fmt)), (Level::Pte, pa + 5 * page));
        assert!(d.rdonly() && !d.write() && !d.cont());
        let (d, l) = after.ok_or(ENOENT)?;
        assert!(l == Level::Pte && !d.rdonly());
        assert_eq!(hole, None);
        assert!(hw.allocs >= 2);
        Ok(())
    }
}
