// SPDX-License-Identifier: GPL-2.0

//! linmap sample: `set_memory_ro/rw/x/nx()` on a vmalloc buffer and
//! `set_direct_map_*()` on a linear-map page, each result checked in the
//! page tables (the vmalloc mapping and its linear alias, through
//! `linmap_leaf_info()`) and with faulting accesses. Loading the module is
//! itself a user of the paths: the loader makes the module's text
//! read-only and executable and its rodata read-only, and with
//! `rodata=full` changes their linear aliases too; the sample checks that
//! as well.
//!
//! It prints the linear map's leaf counts before and after, and a final
//! `all checks passed` line; any failed check fails the load with
//! `-EINVAL` after printing what failed.

use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{
    c_int,
    c_ulong,
    c_void, //
};
use kernel::page::{
    Page,
    PAGE_SIZE, //
};
use kernel::prelude::*;

module! {
    type: LinmapSample,
    name: "linmap_sample",
    authors: ["linmap developers"],
    description: "set_memory_*() on vmalloc and linear-map pages, checked",
    license: "GPL",
    params: {
        iterations: u32 {
            default: 16,
            description: "Rounds of set_memory_ro/rw/x/nx on the vmalloc buffer",
        },
        pages: u32 {
            default: 8,
            description: "Size of the vmalloc buffer in pages",
        },
    },
}

/// The last (PTE) level in `struct linmap_leaf`.
const PTE_LEVEL: c_int = 3;

/// The level of the top table (`swapper_pg_dir`) in the same numbering.
const TOP_LEVEL: c_int = 4 - bindings::CONFIG_PGTABLE_LEVELS as c_int;

/// Whether the top table can hold linear-map blocks: PUD blocks (4K pages
/// only, `pud_sect_supported()`) on 3-level 4K kernels, PMD blocks on
/// 2-level ones.
const TOP_HOLDS_BLOCKS: bool = match bindings::CONFIG_PGTABLE_LEVELS {
    2 => true,
    3 => bindings::PAGE_SHIFT == 12,
    _ => false,
};

/// The order of the chunks the top-level round allocates.
const CHUNK_ORDER: u32 = if bindings::MAX_PAGE_ORDER < 10 {
    bindings::MAX_PAGE_ORDER
} else {
    10
};

/// At most 2 GiB of chunks are held while looking for a top-level block.
const MAX_CHUNKS: usize = (2usize << 30) >> (bindings::PAGE_SHIFT + CHUNK_ORDER);

/// A string in the module's rodata, for the loader's permissions.
static RODATA_MARKER: [u8; 16] = *b"linmap-sample-ro";

fn check(ok: bool, what: core::fmt::Arguments<'_>) -> Result {
    if ok {
        Ok(())
    } else {
        pr_err!("check failed: {}\n", what);
        Err(EINVAL)
    }
}

fn leaf(addr: usize) -> Result<bindings::linmap_leaf> {
    let mut l = bindings::linmap_leaf::default();
    // SAFETY: `l` is a valid, writable `struct linmap_leaf`.
    to_result(unsafe { bindings::linmap_leaf_info(addr as c_ulong, &mut l) })?;
    Ok(l)
}

fn leaf_counts() -> Result<bindings::linmap_leaf_counts> {
    let mut c = bindings::linmap_leaf_counts::default();
    // SAFETY: `c` is a valid, writable `struct linmap_leaf_counts`.
    to_result(unsafe { bindings::linmap_linear_leaf_counts(&mut c) })?;
    Ok(c)
}

fn print_counts(when: &str, c: &bindings::linmap_leaf_counts) {
    pr_info!(
        "linear map {}: PUD {} contPMD {} PMD {} contPTE {} PTE {} present-invalid {}\n",
        when,
        c.pud,
        c.cont_pmd,
        c.pmd,
        c.cont_pte,
        c.pte,
        c.present_invalid
    );
}

/// Whether one byte at `addr` can be read without a fault.
fn can_read(addr: usize) -> bool {
    let mut b = 0u8;
    // SAFETY: `copy_from_kernel_nofault()` may be given any kernel address;
    // it reports a fault instead of taking it. `b` is writable.
    unsafe {
        bindings::copy_from_kernel_nofault((&raw mut b).cast::<c_void>(), addr as *const c_void, 1)
            == 0
    }
}

/// Whether the byte at `addr` can be written (with its own value) without
/// a fault.
fn can_write(addr: usize) -> bool {
    // SAFETY: `linmap_probe_write()` may be given any kernel address; it
    // rewrites the byte that is there with `copy_to_kernel_nofault()`, and
    // nothing else writes these bytes concurrently.
    unsafe { bindings::linmap_probe_write(addr as c_ulong) }
}

/// The linear-map address of `page`.
///
/// On arm64 there is no highmem: `kmap_local_page()` returns
/// `page_address()`, which stays valid while the page is allocated. The
/// sample uses the address only for page-table lookups and the `nofault`
/// accessors.
fn linear_address(page: *mut bindings::page) -> usize {
    // SAFETY: `page` is a valid page the caller keeps allocated.
    let va = unsafe { bindings::kmap_local_page(page) };
    // SAFETY: `va` is the mapping just taken, the last one of this task.
    unsafe { bindings::kunmap_local(va) };
    va as usize
}

/// The linear alias of the vmalloc (or module) address `addr`.
fn vmalloc_alias(addr: usize) -> Result<usize> {
    // SAFETY: `addr` is a vmalloc or module address (every caller's), for
    // which `vmalloc_to_page()` returns the page mapped there or NULL.
    let page = unsafe { bindings::vmalloc_to_page(addr as *const c_void) };
    if page.is_null() {
        return Err(EINVAL);
    }
    Ok(linear_address(page))
}

fn flush(addr: usize) {
    // SAFETY: TLB invalidation of a kernel range has no precondition.
    unsafe {
        bindings::linmap_hw_flush_tlb_kernel_range(addr as c_ulong, (addr + PAGE_SIZE) as c_ulong)
    }
}

/// A vmalloc buffer whose permissions the rounds change; writable and
/// non-executable again before it is freed.
struct VmBuf {
    buf: VVec<u8>,
    pages: usize,
}

impl VmBuf {
    fn new(pages: usize) -> Result<Self> {
        let mut buf = VVec::<u8>::with_capacity(pages * PAGE_SIZE, GFP_KERNEL)?;
        for i in 0..pages * PAGE_SIZE {
            buf.push((i / PAGE_SIZE) as u8 ^ 0xa5, GFP_KERNEL)?;
        }
        let b = VmBuf { buf, pages };
        check(
            b.addr() % PAGE_SIZE == 0,
            format_args!("vmalloc buffer {:#x} is page aligned", b.addr()),
        )?;
        Ok(b)
    }

    fn addr(&self) -> usize {
        self.buf.as_ptr() as usize
    }

    fn page(&self, i: usize) -> usize {
        self.addr() + i * PAGE_SIZE
    }

    fn call(&self, f: unsafe extern "C" fn(c_ulong, c_int) -> c_int, pages: usize) -> c_int {
        // SAFETY: The range lies in this buffer's vmalloc area (or is bad
        // input the callee must refuse); nothing in Rust holds a reference
        // into it across the call.
        unsafe { f(self.addr() as c_ulong, pages as c_int) }
    }

    /// One round: read-only, then executable while read-only (never
    /// writable and executable at once, as `set_memory_rox()`), then
    /// non-executable, then writable again.
    fn round(&self, rodata_full: bool) -> Result {
        let n = self.pages;
        check(
            self.call(bindings::set_memory_ro, n) == 0,
            format_args!("set_memory_ro"),
        )?;
        for i in 0..n {
            let va = self.page(i);
            let l = leaf(va)?;
            let writable = can_write(va);
            let alias = vmalloc_alias(va)?;
            let a = leaf(alias)?;
            let alias_writable = can_write(alias);
            check(
                l.rdonly && !writable,
                format_args!("vmalloc page {i} read-only"),
            )?;
            check(can_read(va), format_args!("vmalloc page {i} readable"))?;
            if rodata_full {
                check(
                    a.rdonly && a.level == PTE_LEVEL && !alias_writable,
                    format_args!("linear alias {alias:#x} of page {i} read-only, PTE-mapped"),
                )?;
            }
        }
        check(
            self.call(bindings::set_memory_x, n) == 0,
            format_args!("set_memory_x"),
        )?;
        for i in 0..n {
            let va = self.page(i);
            let l = leaf(va)?;
            check(
                !l.pxn && l.rdonly && leaf(vmalloc_alias(va)?)?.pxn,
                format_args!("page {i} executable and read-only, its alias not executable"),
            )?;
        }
        check(
            self.call(bindings::set_memory_nx, n) == 0,
            format_args!("set_memory_nx"),
        )?;
        for i in 0..n {
            check(
                leaf(self.page(i))?.pxn,
                format_args!("page {i} non-executable"),
            )?;
        }
        check(
            self.call(bindings::set_memory_rw, n) == 0,
            format_args!("set_memory_rw"),
        )?;
        for i in 0..n {
            let va = self.page(i);
            let alias = vmalloc_alias(va)?;
            check(
                !leaf(va)?.rdonly && !leaf(alias)?.rdonly && can_write(va) && can_write(alias),
                format_args!("page {i} and its alias writable again"),
            )?;
            check(
                self.buf[i * PAGE_SIZE] == i as u8 ^ 0xa5,
                format_args!("page {i} content kept"),
            )?;
        }
        Ok(())
    }
}

impl Drop for VmBuf {
    fn drop(&mut self) {
        // A failed round may have left the buffer read-only or executable.
        let nx = self.call(bindings::set_memory_nx, self.pages);
        let rw = self.call(bindings::set_memory_rw, self.pages);
        let aliases_writable = (0..self.pages).all(|i| {
            vmalloc_alias(self.page(i))
                .and_then(leaf)
                .is_ok_and(|a| !a.rdonly)
        });
        if nx != 0 || rw != 0 || !aliases_writable {
            // Pages whose permissions (or their linear aliases') were not
            // restored must not go back to the allocator: leak them.
            pr_err!("restoring the vmalloc buffer failed ({nx}, {rw}): leaking it\n");
            let buf = core::mem::replace(&mut self.buf, VVec::new());
            core::mem::forget(buf);
        }
    }
}

/// `set_direct_map_invalid_noflush()` and back on `page`, checked: a
/// present-invalid PTE whose reads fault, then a valid, writable PTE.
/// Returns whether the page is verified valid and writable again (if not,
/// it must not go back to the allocator: secretmem leaks such pages too)
/// and the checks' result.
fn direct_map_round(page: *mut bindings::page, what: &str) -> (bool, Result) {
    let va = linear_address(page);
    // SAFETY: The page is the caller's; nothing reads it while it is invalid.
    let r = unsafe { bindings::set_direct_map_invalid_noflush(page) };
    flush(va);
    let invalid = leaf(va);
    let readable = can_read(va);
    // SAFETY: As above; this restores the default before anything else.
    let r2 = unsafe { bindings::set_direct_map_default_noflush(page) };
    flush(va);
    let after = leaf(va);
    let restored = r2 == 0 && after.as_ref().is_ok_and(|l| l.valid && !l.rdonly) && can_write(va);
    let checks = || -> Result {
        check(
            r == 0 && r2 == 0,
            format_args!("set_direct_map_*() on {what} {va:#x} return 0"),
        )?;
        let invalid = invalid?;
        check(
            !invalid.valid && invalid.level == PTE_LEVEL && !readable,
            format_args!("{what} {va:#x} invalid (present-invalid PTE), reads fault"),
        )?;
        check(
            restored && after?.level == PTE_LEVEL,
            format_args!("{what} {va:#x} valid and writable again, PTE-mapped"),
        )
    };
    (restored, checks())
}

/// `set_direct_map_*()` on a page of the linear map, and `set_memory_ro()`
/// on its linear address refused.
fn linear_page_round() -> Result {
    let page = Page::alloc_page(GFP_KERNEL)?;
    let va = linear_address(page.as_ptr());
    // SAFETY: No precondition.
    if !unsafe { bindings::can_set_direct_map() } {
        pr_info!("can_set_direct_map() is false: the direct map keeps its permissions\n");
        return Ok(());
    }
    // set_memory_*() take only vmalloc addresses.
    // SAFETY: Bad input, which must be refused.
    let r = unsafe { bindings::set_memory_ro(va as c_ulong, 1) };
    check(
        r == EINVAL.to_errno() && !leaf(va)?.rdonly,
        format_args!("set_memory_ro() on a linear address is -EINVAL and changes nothing"),
    )?;
    let (restored, checked) = direct_map_round(page.as_ptr(), "linear page");
    if !restored {
        core::mem::forget(page);
    }
    checked
}

/// Frees a chunk `top_level_block_round()` allocated.
fn free_chunk(p: *mut bindings::page) {
    // SAFETY: `p` came from `alloc_pages(.., CHUNK_ORDER)` and is freed once.
    unsafe { bindings::__free_pages(p, CHUNK_ORDER) };
}

/// `set_direct_map_*()` on a page inside a block of the top table, where
/// 3-level 4K (1G blocks) and 2-level 16K/64K kernels (PMD blocks) keep
/// linear-map leaves: the split stores into `swapper_pg_dir`, whose linear
/// alias is read-only by now. When the linear map has such blocks, allocates
/// chunks (up to [`MAX_CHUNKS`]) until one lies in one, then frees the
/// others.
fn top_level_block_round(counts: &bindings::linmap_leaf_counts) -> Result {
    let blocks = if TOP_LEVEL == 1 {
        counts.pud
    } else {
        counts.pmd + counts.cont_pmd
    };
    // SAFETY: No precondition.
    if !TOP_HOLDS_BLOCKS || blocks == 0 || !unsafe { bindings::can_set_direct_map() } {
        pr_info!("top-level block: none in the linear map (top level {TOP_LEVEL})\n");
        return Ok(());
    }
    // __GFP_NORETRY (bindgen cannot evaluate the macro): give up rather
    // than reclaim hard while holding chunks.
    let noretry: bindings::gfp_t = 1 << bindings::___GFP_NORETRY_BIT;
    let gfp = bindings::GFP_KERNEL | bindings::__GFP_NOWARN | noretry;
    let mut held = KVec::<*mut bindings::page>::new();
    let mut found = None;
    while found.is_none() && held.len() < MAX_CHUNKS {
        // SAFETY: Allocating pages has no precondition in process context.
        let p = unsafe { bindings::alloc_pages(gfp, CHUNK_ORDER) };
        if p.is_null() {
            break;
        }
        match leaf(linear_address(p)) {
            Ok(l) if l.level == TOP_LEVEL && l.valid => found = Some(p),
            _ => {
                if held.push(p, GFP_KERNEL).is_err() {
                    free_chunk(p);
                    break;
                }
            }
        }
    }
    let tried = held.len() + usize::from(found.is_some());
    while let Some(p) = held.pop() {
        free_chunk(p);
    }
    let Some(chunk) = found else {
        pr_info!("top-level block: none left in the linear map ({tried} chunks tried)\n");
        return Ok(());
    };
    // The second page of the chunk: not aligned to any block, so its
    // block is split and the new table stored into the top table.
    // SAFETY: A chunk of order CHUNK_ORDER >= 1 has a second page, whose
    // `struct page` follows the first one (vmemmap).
    let page = unsafe { chunk.add(1) };
    let va = linear_address(page);
    let (restored, checked) = direct_map_round(page, "page of a top-level block");
    if restored {
        free_chunk(chunk);
    }
    checked?;
    pr_info!(
        "top-level block: page {va:#x} was in a level {TOP_LEVEL} block, split to PTEs and checked ({tried} chunks tried)\n"
    );
    Ok(())
}

/// What the module loader did to this module before `init`.
fn module_permissions(rodata_full: bool) -> Result {
    let ro = RODATA_MARKER.as_ptr() as usize;
    let l = leaf(ro)?;
    check(
        l.rdonly && l.pxn && !can_write(ro),
        format_args!("module rodata {ro:#x} read-only, non-executable"),
    )?;
    let text = check as *const () as usize;
    let t = leaf(text)?;
    check(
        t.rdonly && !t.pxn,
        format_args!("module text {text:#x} read-only, executable"),
    )?;
    if rodata_full {
        let alias = vmalloc_alias(ro)?;
        let a = leaf(alias)?;
        check(
            a.rdonly && a.pxn && !can_write(alias),
            format_args!("linear alias {alias:#x} of module rodata read-only"),
        )?;
        let alias = vmalloc_alias(text)?;
        check(
            leaf(alias)?.rdonly && leaf(alias)?.pxn,
            format_args!("linear alias {alias:#x} of module text read-only, non-executable"),
        )?;
    }
    Ok(())
}

struct LinmapSample;

impl kernel::Module for LinmapSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let iterations = module_parameters::iterations.value();
        let pages = module_parameters::pages.value() as usize;
        if pages == 0 || pages > 4096 {
            pr_err!("pages={} is out of range (1..=4096)\n", pages);
            return Err(EINVAL);
        }
        let mut inputs = bindings::linmap_map_inputs::default();
        // SAFETY: `inputs` is a valid, writable `struct linmap_map_inputs`.
        unsafe { bindings::linmap_get_map_inputs(&mut inputs) };
        let before = leaf_counts()?;
        print_counts("before", &before);

        module_permissions(inputs.rodata_full)?;
        let buf = VmBuf::new(pages)?;
        for _ in 0..iterations {
            buf.round(inputs.rodata_full)?;
        }
        // A range running past the vmalloc area is refused.
        check(
            buf.call(bindings::set_memory_ro, pages + 4096) == EINVAL.to_errno()
                && !leaf(buf.addr())?.rdonly,
            format_args!("set_memory_ro() past the area is -EINVAL and changes nothing"),
        )?;
        drop(buf);
        linear_page_round()?;
        top_level_block_round(&leaf_counts()?)?;

        print_counts("after", &leaf_counts()?);
        pr_info!(
            "{} rounds on {} vmalloc pages (rodata_full: {}): all checks passed\n",
            iterations,
            pages,
            inputs.rodata_full
        );
        Ok(LinmapSample)
    }
}

impl Drop for LinmapSample {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
