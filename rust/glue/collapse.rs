// SPDX-License-Identifier: GPL-2.0

//! Collapse in the kernel: a deferred worker that folds the parts of the
//! linear map that splits broke up back into blocks once their attributes
//! are uniform again ([`crate::collapse`]), and the counters it keeps.
//!
//! When it runs: `update_range_prot()` notes the region of every change it
//! made with splits live ([`linmap_collapse_note`]); a delayed work item on
//! the freezable system workqueue collapses the noted regions a while
//! later, the whole linear map on its first run. Only with
//! `linmap.impl=rust`, `linmap.collapse=1` (the default), once capabilities
//! are final and every CPU has BBML3 (C decides, `linmap_collapse_start()`).
//!
//! Why a table free is safe (`Documentation/arch/arm64/linmap.rst` has the
//! argument in full): a collapse folds holding `pgtable_split_lock`, under
//! which every writer of the linear map works (linmap's
//! `update_range_prot()` splits and walks under it), so no change is half
//! done in a range that folds; each step holds `init_mm`'s mmap lock for
//! read, which ptdump takes for write, and `get_online_mems()`, which memory
//! hot-remove excludes, and only boot memory folds; the tables it unlinked
//! are freed after a walk-cache invalidation and an RCU grace period, which
//! the lockless readers linmap provides are inside of; the walkers that
//! hold no lock and re-read entries (kexec's copy of the linear map,
//! hibernation) hold collapse off ([`linmap_core_collapse_inhibit`]). KFENCE's
//! pool never folds, nor do the tables above it.
//!
//! C header: [`linmap_internal.h`](srctree/arch/arm64/mm/linmap/linmap_internal.h)

use core::sync::atomic::{
    AtomicBool,
    AtomicU64,
    AtomicUsize,
    Ordering, //
};

use kernel::bindings;
use kernel::ffi::{
    c_long,
    c_uint,
    c_ulong, //
};
use kernel::prelude::*;
use kernel::sync::{
    new_mutex,
    rcu,
    Arc,
    Mutex,
    SetOnce, //
};
use kernel::time::msecs_to_jiffies;
use kernel::workqueue::{
    self,
    impl_has_delayed_work,
    new_delayed_work,
    DelayedWork,
    WorkItem, //
};

use crate::addr::VirtAddr;
use crate::collapse::{
    Folds,
    Keep,
    Kept,
    Retire, //
};
use crate::geometry::{
    Geometry,
    Granule,
    Level, //
};
use crate::hw::{
    PageTableHw,
    Table, //
};

use super::mm::{
    kernel_tables,
    live,
    split_counts,
    Live,
    TableSource, //
};

/// Words of the pending regions' bits: 4096 regions (4 TiB of linear map
/// with 4K pages); a change past them has the next run take the whole
/// linear map.
const PENDING_WORDS: usize = 64;

/// The most tables one locked step unlinks before they are freed (the
/// step then ends, frees them after a grace period, and goes on).
const BATCH: usize = 64;

/// The most ranges kept from folding: the kernel image's linear alias and
/// the KFENCE pool, and room for two more.
const KEEP_RANGES: usize = 4;

/// The largest leaf `map_mem()` makes: what one noted region is.
fn region_size(g: &Geometry) -> u64 {
    match g.granule() {
        Granule::K4 => g.entry_size(Level::Pud),
        _ if g.start_level() == Level::Pmd => g.entry_size(Level::Pmd),
        _ => g.cont_size(Level::Pmd),
    }
}

/// Regions changed since the last run, a bit each (region `k` starts `k`
/// region sizes into the linear map), so that noting one already noted is
/// one atomic load on `set_memory_*()`'s path.
struct Pending {
    bits: [AtomicU64; PENDING_WORDS],
    /// A region past the bits was noted (or the first run is due): the
    /// whole linear map.
    all: AtomicBool,
}

/// The regions one run takes.
struct Regions {
    bits: [u64; PENDING_WORDS],
    all: bool,
}

impl Pending {
    /// Notes region `k`; whether it was not noted yet.
    fn note(&self, k: u64) -> bool {
        let Some(word) = self.bits.get((k / 64) as usize) else {
            return !self.all.swap(true, Ordering::SeqCst);
        };
        let bit = 1u64 << (k % 64);
        word.load(Ordering::Relaxed) & bit == 0 && word.fetch_or(bit, Ordering::SeqCst) & bit == 0
    }

    /// What was noted, and none noted any more.
    fn take(&self) -> Regions {
        let mut r = Regions {
            bits: [0; PENDING_WORDS],
            all: self.all.swap(false, Ordering::SeqCst),
        };
        for (dst, src) in r.bits.iter_mut().zip(&self.bits) {
            *dst = src.swap(0, Ordering::SeqCst);
        }
        r
    }

    /// How many regions are noted (`c_ulong::MAX` for all).
    fn count(&self) -> c_ulong {
        if self.all.load(Ordering::SeqCst) {
            return c_ulong::MAX;
        }
        self.bits
            .iter()
            .map(|w| w.load(Ordering::SeqCst).count_ones() as c_ulong)
            .sum()
    }
}

/// The collapse worker.
#[pin_data]
struct Collapser {
    /// Held for the whole of a run: [`linmap_core_collapse_inhibit`] waits on it
    /// for the run under way.
    #[pin]
    run: Mutex<()>,
    pending: Pending,
    #[pin]
    work: DelayedWork<Collapser>,
    /// How long after a change the worker runs, in jiffies.
    delay: c_ulong,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Collapser { self.work }
}

impl WorkItem for Collapser {
    type Pointer = Arc<Collapser>;

    fn run(this: Arc<Collapser>) {
        let _run = this.run.lock();
        if INHIBITED.load(Ordering::Acquire) != 0 {
            // The last linmap_collapse_inhibit(false) queues the work again.
            return;
        }
        // Counted before the take, for linmap_collapse_get_stats().
        STARTED.fetch_add(1, Ordering::SeqCst);
        let r = this.pending.take();
        collapse(&r, &this.pending);
        PASSES.fetch_add(1, Ordering::SeqCst);
    }
}

/// The worker, once `linmap_collapse_init()` has made it.
static COLLAPSER: SetOnce<Arc<Collapser>> = SetOnce::new();

/// While non-zero no collapse runs: walkers that read the linear map
/// without a lock and re-read entries (kexec's copy of the linear map,
/// hibernation's `kernel_page_present()`), and self-tests that compare the
/// map before and after an operation.
static INHIBITED: AtomicUsize = AtomicUsize::new(0);

/// What collapses did, for `linmap/collapse` in debugfs: runs started and
/// finished (the worker's and [`linmap_core_collapse_run`]'s), and what they
/// folded and freed.
static STARTED: AtomicUsize = AtomicUsize::new(0);
static PASSES: AtomicUsize = AtomicUsize::new(0);
static FOLDS_CONT_PTE: AtomicUsize = AtomicUsize::new(0);
static FOLDS_PMD: AtomicUsize = AtomicUsize::new(0);
static FOLDS_CONT_PMD: AtomicUsize = AtomicUsize::new(0);
static FOLDS_PUD: AtomicUsize = AtomicUsize::new(0);
static TABLES_FREED: AtomicUsize = AtomicUsize::new(0);

/// Tables a locked step unlinked, to be freed after it, and where the
/// first fold it had no room for was.
struct Batch {
    tables: [Option<Table>; BATCH],
    len: usize,
    resume: Option<VirtAddr>,
}

impl Retire for Batch {
    fn has_room(&self) -> bool {
        self.len < BATCH
    }

    fn retire(&mut self, table: Table) {
        self.tables[self.len] = Some(table);
        self.len += 1;
    }

    fn refused(&mut self, va: VirtAddr) {
        self.resume = Some(self.resume.map_or(va, |r| r.min(va)));
    }
}

/// What may not fold in the kernel: the ranges C keeps (the kernel image's
/// alias, the KFENCE pool), read under `pgtable_split_lock` at each step
/// (a late KFENCE pool is set up under it), and memory that was not there
/// at boot: hot-remove clears the leaves of one memory block at a time, so
/// no leaf may span two (`map_mem()` and `arch_add_memory()` make none).
struct KernelKeep {
    ranges: [(VirtAddr, VirtAddr); KEEP_RANGES],
    n: usize,
}

impl KernelKeep {
    /// The ranges C keeps now; the caller holds `pgtable_split_lock`.
    fn read() -> KernelKeep {
        let mut r = [bindings::linmap_range::default(); KEEP_RANGES];
        // SAFETY: `r` has room for `KEEP_RANGES` ranges, as the call is told.
        let n = unsafe { bindings::linmap_hw_collapse_keep(r.as_mut_ptr(), KEEP_RANGES as c_uint) };
        let mut k = KernelKeep {
            ranges: [(VirtAddr(0), VirtAddr(0)); KEEP_RANGES],
            n: (n as usize).min(KEEP_RANGES),
        };
        for (dst, src) in k.ranges.iter_mut().zip(&r[..k.n]) {
            *dst = (VirtAddr(src.start as u64), VirtAddr(src.end as u64));
        }
        k
    }
}

impl Kept for KernelKeep {
    fn meets(&self, start: u64, size: u64) -> bool {
        let (addr, len) = (start as c_ulong, size as c_ulong);
        Keep(&self.ranges[..self.n]).meets(start, size)
            // SAFETY: A range of the linear map; the call only reads
            // memblock's and the memory sections' flags.
            || !unsafe { bindings::linmap_hw_collapse_boot_memory(addr, len) }
    }
}

/// Collapses `[start, end)` of the linear map in locked steps of at most
/// [`BATCH`] tables, each freeing what it unlinked before the next. `Err`
/// with what folded if it stopped before the end (collapse inhibited, or
/// `linmap.impl=c` by now).
fn collapse_range(l: &Live, start: u64, end: u64) -> core::result::Result<Folds, Folds> {
    let mut total = Folds::default();
    let size = region_size(&l.fmt.geometry);
    let mut from = start;
    loop {
        if INHIBITED.load(Ordering::Acquire) != 0 {
            return Err(total);
        }
        let mut batch = Batch {
            tables: [None; BATCH],
            len: 0,
            resume: None,
        };
        let mut pt = kernel_tables(l, TableSource::Gfp(bindings::GFP_KERNEL));
        // SAFETY: Process context (the worker, debugfs, a self-test), no
        // lock held; released below.
        unsafe { bindings::linmap_hw_collapse_begin() };
        // SAFETY: As above.
        if !unsafe { bindings::linmap_hw_collapse_lock() } {
            // linmap.impl=c by now: C walks without the lock.
            // SAFETY: Taken above.
            unsafe { bindings::linmap_hw_collapse_end() };
            return Err(total);
        }
        let keep = KernelKeep::read();
        let folds = pt.collapse_range(VirtAddr(from), VirtAddr(end), &keep, &mut batch);
        // SAFETY: Taken above.
        unsafe { bindings::linmap_hw_collapse_unlock() };
        total += folds;
        if batch.len != 0 {
            // Lockless readers walk inside RCU read-side sections: once a
            // grace period has passed none can still hold a table unlinked
            // above.
            rcu::synchronize_rcu();
        }
        for t in batch.tables[..batch.len].iter().flatten() {
            // SAFETY: `collapse_range()` unlinked it and invalidated the
            // walk caches for it under `pgtable_split_lock`, which every
            // writer of the linear map holds; every lockless reader that
            // could have loaded it has left its RCU section; ptdump and
            // hot-remove are held off by `linmap_hw_collapse_begin()`;
            // `table_freeable()` said it came from the page allocator.
            unsafe { pt.hw_mut().free_table(*t) };
        }
        TABLES_FREED.fetch_add(batch.len, Ordering::Relaxed);
        // SAFETY: Taken above.
        unsafe { bindings::linmap_hw_collapse_end() };
        // Go on from the region of the first fold there was no room for:
        // the larger folds above it need the whole region.
        match batch.resume {
            Some(va) => from = from.max(va.0 & !(size - 1)),
            None => return Ok(total),
        }
    }
}

/// The part of `[start, start + size)` in the linear map, if any.
fn in_linear_map(l: &Live, start: u64, size: u64) -> Option<(u64, u64)> {
    let g = l.fmt.geometry;
    let s = start.max(g.page_offset());
    let e = start.saturating_add(size).min(g.page_end());
    (s < e).then_some((s, e))
}

/// One run over the regions `r` names (the whole linear map if it says
/// so). A run that stops early notes what it had left in `pending`.
fn collapse(r: &Regions, pending: &Pending) -> Folds {
    let Ok(l) = live() else {
        return Folds::default();
    };
    let g = l.fmt.geometry;
    let mut folds = Folds::default();
    if r.all {
        match collapse_range(l, g.page_offset(), g.page_end()) {
            Ok(f) => folds += f,
            Err(f) => {
                folds += f;
                pending.all.store(true, Ordering::SeqCst);
            }
        }
    } else {
        let size = region_size(&g);
        let mut stopped = false;
        for (w, &bits) in r.bits.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let k = (w * 64) as u64 + u64::from(bits.trailing_zeros());
                bits &= bits - 1;
                if stopped {
                    pending.note(k);
                    continue;
                }
                let start = g.page_offset().wrapping_add(k.wrapping_mul(size));
                if let Some((s, e)) = in_linear_map(l, start, size) {
                    match collapse_range(l, s, e) {
                        Ok(f) => folds += f,
                        Err(f) => {
                            folds += f;
                            stopped = true;
                            pending.note(k);
                        }
                    }
                }
            }
        }
    }
    FOLDS_CONT_PTE.fetch_add(folds.cont_pte, Ordering::Relaxed);
    FOLDS_PMD.fetch_add(folds.pmd, Ordering::Relaxed);
    FOLDS_CONT_PMD.fetch_add(folds.cont_pmd, Ordering::Relaxed);
    FOLDS_PUD.fetch_add(folds.pud, Ordering::Relaxed);
    folds
}

/// Starts the collapse worker: its first run, `delay_ms` from now, takes
/// the whole linear map.
///
/// # Safety
///
/// - Called once, from `linmap_collapse_start()` (a late initcall), when C
///   has checked that collapse may run: `linmap.impl=rust`, capabilities
///   final, BBML3 on every CPU and a linear map made of blocks.
#[export]
pub unsafe extern "C" fn linmap_collapse_init(delay_ms: c_uint) -> c_long {
    let c = Arc::pin_init(
        pin_init!(Collapser {
            run <- new_mutex!(()),
            pending: Pending {
                bits: [const { AtomicU64::new(0) }; PENDING_WORDS],
                // The first run takes the whole linear map.
                all: AtomicBool::new(true),
            },
            work <- new_delayed_work!("linmap_collapse"),
            delay: msecs_to_jiffies(delay_ms),
        }),
        GFP_KERNEL,
    );
    match c {
        Ok(c) => {
            let delay = c.delay;
            if COLLAPSER.populate(c.clone()) {
                let _ = workqueue::system_freezable().enqueue_delayed(c, delay);
            }
            0
        }
        Err(e) => e.to_errno() as c_long,
    }
}

/// Notes that `[start, end)` changed, and has the worker run later.
///
/// # Safety
///
/// - Called from `update_range_prot()` (process context, under
///   `pgtable_split_lock`) after a change with splits live.
#[export]
pub unsafe extern "C" fn linmap_collapse_note(start: c_ulong, end: c_ulong) {
    let (Some(c), Ok(l)) = (COLLAPSER.as_ref(), live()) else {
        return;
    };
    // Only the linear map folds: vmalloc, module and ioremap mappings have
    // their own rules (vunmap clears contiguous PTEs and blocks whole).
    let start = VirtAddr(start as u64).untagged().0;
    let end = VirtAddr(end as u64).untagged().0;
    let Some((start, end)) = in_linear_map(l, start, end.wrapping_sub(start)) else {
        return;
    };
    let g = l.fmt.geometry;
    let size = region_size(&g);
    let mut new = false;
    let mut k = (start - g.page_offset()) / size;
    while g.page_offset().wrapping_add(k.wrapping_mul(size)) < end {
        new |= c.pending.note(k);
        k += 1;
    }
    // A region noted before has had the work queued already (or is taken
    // by the run under way, which queued nothing: this note queues it).
    if new && INHIBITED.load(Ordering::Acquire) == 0 {
        let _ = workqueue::system_freezable().enqueue_delayed(c.clone(), c.delay);
    }
}

/// Collapses the whole linear map now, in the caller's context; returns
/// what folded (blocks and groups made), `-EPERM` when collapse does not
/// run on this system, `-EBUSY` while it is inhibited. For debugfs
/// (`linmap/collapse`) and the self-test.
///
/// # Safety
///
/// - Process context, no lock held.
#[export]
pub unsafe extern "C" fn linmap_core_collapse_run() -> c_long {
    let Some(c) = COLLAPSER.as_ref() else {
        return EPERM.to_errno() as c_long;
    };
    let _run = c.run.lock();
    if INHIBITED.load(Ordering::Acquire) != 0 {
        return EBUSY.to_errno() as c_long;
    }
    STARTED.fetch_add(1, Ordering::SeqCst);
    let f = collapse(
        &Regions {
            bits: [0; PENDING_WORDS],
            all: true,
        },
        &c.pending,
    );
    PASSES.fetch_add(1, Ordering::SeqCst);
    (f.cont_pte + f.pmd + f.cont_pmd + f.pud) as c_long
}

/// Holds collapse off while `inhibit` calls outnumber the others: once it
/// returns, no run is under way and none starts. For walkers of the linear
/// map that hold no lock and re-read entries (a fold between two reads
/// would have them take a block for a table): kexec's copy of the linear
/// map, hibernation (`kernel_page_present()`); and self-tests that compare
/// the map before and after an operation. The last release has the worker
/// run later if changes were noted meanwhile.
///
/// # Safety
///
/// - Calls come in pairs, in process context, not under a lock a collapse
///   run takes (`pgtable_split_lock`, `init_mm`'s mmap lock, the memory
///   hotplug lock).
#[export]
pub unsafe extern "C" fn linmap_core_collapse_inhibit(inhibit: bool) {
    if inhibit {
        INHIBITED.fetch_add(1, Ordering::AcqRel);
        if let Some(c) = COLLAPSER.as_ref() {
            // The run under way, if any, ends (early) before this returns.
            drop(c.run.lock());
        }
        return;
    }
    let Ok(was) = INHIBITED.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
    else {
        // A release without its inhibit: the pairs are the callers' rule.
        kernel::warn_on!(true);
        return;
    };
    if was == 1 {
        if let Some(c) = COLLAPSER.as_ref() {
            if c.pending.count() != 0 {
                let _ = workqueue::system_freezable().enqueue_delayed(c.clone(), c.delay);
            }
        }
    }
}

/// The counters, for `linmap/collapse` in debugfs.
///
/// # Safety
///
/// - `s` points to a writable `struct linmap_collapse_stats`.
#[export]
pub unsafe extern "C" fn linmap_collapse_get_stats(s: *mut bindings::linmap_collapse_stats) {
    // SAFETY: By the function's safety requirement.
    let s = unsafe { &mut *s };
    let get = |a: &AtomicUsize| a.load(Ordering::Relaxed) as c_ulong;
    s.enabled = COLLAPSER.as_ref().is_some();
    // In this order: a run counts itself started before it takes the
    // regions, and finished after; a reader that sees none pending and as
    // many finished as started knows that every change noted before it
    // looked has been collapsed.
    s.pending = COLLAPSER.as_ref().map_or(0, |c| c.pending.count());
    s.started = STARTED.load(Ordering::SeqCst) as c_ulong;
    s.passes = PASSES.load(Ordering::SeqCst) as c_ulong;
    s.cont_pte = get(&FOLDS_CONT_PTE);
    s.pmd = get(&FOLDS_PMD);
    s.cont_pmd = get(&FOLDS_CONT_PMD);
    s.pud = get(&FOLDS_PUD);
    s.tables_freed = get(&TABLES_FREED);
    let sc = split_counts();
    s.split_pmd = sc.pmd as c_ulong;
    s.split_pud = sc.pud as c_ulong;
}
