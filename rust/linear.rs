// SPDX-License-Identifier: GPL-2.0

//! Building the linear map the way 7.3's `map_mem()` does.
//!
//! C: [`arch/arm64/mm/mmu.c`](srctree/arch/arm64/mm/mmu.c):
//! `__create_pgd_mapping_locked()`, `alloc_init_p4d()`, `alloc_init_pud()`,
//! `alloc_init_cont_pmd()`, `init_pmd()`, `alloc_init_cont_pte()`,
//! `init_pte()` and `map_mem()`.
//!
//! The walk is written once over the architecture's levels, so folded
//! levels behave as in C: the top table of a 3-level 4K configuration holds
//! 1G blocks, the one of a 2-level 64K configuration holds contiguous 512M
//! blocks.

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::{
    pgattr_change_is_safe,
    Descriptor,
    Format,
    PMD_TABLE_AF,
    PMD_TABLE_PXN,
    PMD_TABLE_UXN,
    PTE_CONT, //
};
use crate::error::{
    Error,
    Result, //
};
use crate::geometry::Level;
use crate::hw::{
    set_entry,
    PageTableHw,
    Table,
    TableInit, //
};
use crate::walk::{
    load,
    PageTables, //
};

/// `NO_BLOCK_MAPPINGS`: no PUD or PMD blocks.
pub const NO_BLOCK_MAPPINGS: u32 = 1 << 0;
/// `NO_CONT_MAPPINGS`: no contiguous hint.
pub const NO_CONT_MAPPINGS: u32 = 1 << 1;
/// `NO_EXEC_MAPPINGS`: set PXNTable on new tables.
pub const NO_EXEC_MAPPINGS: u32 = 1 << 2;

/// `pgd_addr_end()` and friends: the end of the entry at `level` that
/// contains `addr`, or `end` if that comes first.
fn addr_end(addr: u64, end: u64, size: u64) -> u64 {
    let boundary = (addr & !(size - 1)).wrapping_add(size);
    if boundary.wrapping_sub(1) < end.wrapping_sub(1) {
        boundary
    } else {
        end
    }
}

/// The table attributes `alloc_init_*()` pass to `__p?d_populate()`.
fn table_attrs(flags: u32) -> u64 {
    let mut v = PMD_TABLE_UXN | PMD_TABLE_AF;
    if flags & NO_EXEC_MAPPINGS != 0 {
        v |= PMD_TABLE_PXN;
    }
    v
}

/// Returns the table an entry points to, allocating and publishing an
/// empty one if the entry is none (the `p?d_none()` branch of
/// `alloc_init_*()`).
fn next_table<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    table: Table,
    index: usize,
    flags: u32,
) -> Result<Table> {
    let slot = load(hw, fmt, table, index, VirtAddr(0));
    let d = slot.desc();
    let Some(level) = table.level().next() else {
        return Err(Error::Invalid);
    };
    if d.is_none() {
        let next = hw.alloc_table(level, TableInit::Zeroed)?;
        set_entry(hw, table, index, fmt.table(next.pa(), table_attrs(flags)));
        hw.dsb_ishst();
        hw.isb();
        return Ok(next);
    }
    // BUG_ON(p?d_leaf()) / BUG_ON(p?d_bad()) in C.
    slot.below().ok_or(Error::Invalid)
}

/// Whether any of the `n` entries from `first` is valid without the
/// contiguous bit (`pte_range_has_valid_noncont()`).
fn range_has_valid_noncont<H: PageTableHw>(hw: &H, table: Table, first: usize, n: usize) -> bool {
    (first..first + n).any(|i| {
        let d = hw.read(table, i);
        d.is_valid() && !d.cont()
    })
}

/// Writes one leaf where the C code would `BUG_ON(!pgattr_change_is_safe())`.
fn set_leaf<H: PageTableHw>(
    hw: &mut H,
    fmt: &Format,
    table: Table,
    index: usize,
    new: Descriptor,
) -> Result {
    let old = hw.read(table, index);
    if !pgattr_change_is_safe(fmt, old, new) {
        return Err(Error::Invalid);
    }
    set_entry(hw, table, index, new);
    Ok(())
}

/// What one `alloc_init_*()` call maps: `[addr, end)` to `phys` with `prot`.
#[derive(Clone, Copy, Debug)]
struct MapRange {
    addr: u64,
    end: u64,
    phys: u64,
    prot: u64,
    flags: u32,
}

impl MapRange {
    /// The part `[addr, next)` of the range, with `prot`.
    fn part(&self, addr: u64, next: u64, phys: u64, prot: u64) -> MapRange {
        MapRange {
            addr,
            end: next,
            phys,
            prot,
            flags: self.flags,
        }
    }
}

/// `alloc_init_*()`/`init_*()` for the entries of `table` that `r` covers.
fn map_level<H: PageTableHw>(hw: &mut H, fmt: &Format, table: Table, r: MapRange) -> Result {
    let g = &fmt.geometry;
    let level = table.level();
    let size = g.entry_size(level);
    let cont_size = g.cont_size(level);
    let has_cont = g.cont_entries(level) > 1;
    let (mut addr, end, mut phys, flags) = (r.addr, r.end, r.phys, r.flags);

    // When the PMD level is the top one (2-level kernels), 7.3 reaches
    // alloc_init_cont_pmd() once per top-level entry, through the folded
    // PUD and P4D levels: no range it gets spans a contiguous group.
    let chunk = if level == g.start_level() {
        size
    } else {
        cont_size
    };
    if level.is_last() || level == Level::Pmd {
        // alloc_init_cont_pte() / alloc_init_cont_pmd(): contiguous chunks.
        while addr != end {
            let next = addr_end(addr, end, chunk);
            let first = g.index(addr, level);
            let mut chunk_prot = r.prot;
            if has_cont
                && (addr | next | phys) & (cont_size - 1) == 0
                && flags & NO_CONT_MAPPINGS == 0
                && !range_has_valid_noncont(hw, table, first, g.cont_entries(level))
            {
                chunk_prot |= PTE_CONT;
            }
            let mut a = addr;
            let mut p = phys;
            while a != next {
                let n = addr_end(a, next, size);
                let i = g.index(a, level);
                if level.is_last() {
                    // init_pte()
                    set_leaf(hw, fmt, table, i, fmt.pfn_pte(PhysAddr(p), chunk_prot))?;
                } else {
                    // init_pmd()
                    let old = hw.read(table, i);
                    if (a | n | p) & (size - 1) == 0
                        && flags & NO_BLOCK_MAPPINGS == 0
                        && !old.is_table(level)
                    {
                        set_leaf(hw, fmt, table, i, fmt.pfn_block(PhysAddr(p), chunk_prot))?;
                        hw.dsb_ishst();
                        hw.isb();
                    } else {
                        let t = next_table(hw, fmt, table, i, flags)?;
                        map_level(hw, fmt, t, r.part(a, n, p, chunk_prot))?;
                    }
                }
                p += n - a;
                a = n;
            }
            phys += next - addr;
            addr = next;
        }
        if level.is_last() {
            // The fixmap teardown in C (a TLB invalidation, which ends with
            // dsb; isb) orders the PTE stores.
            hw.dsb_ishst();
            hw.isb();
        }
        return Ok(());
    }

    while addr != end {
        let next = addr_end(addr, end, size);
        let i = g.index(addr, level);
        let old = hw.read(table, i);
        if g.block_allowed(level)
            && (addr | next | phys) & (size - 1) == 0
            && flags & NO_BLOCK_MAPPINGS == 0
            && !old.is_table(level)
        {
            // alloc_init_pud(): a 1G block (4K pages only).
            set_leaf(hw, fmt, table, i, fmt.pfn_block(PhysAddr(phys), r.prot))?;
            hw.dsb_ishst();
            hw.isb();
        } else {
            let t = next_table(hw, fmt, table, i, flags)?;
            map_level(hw, fmt, t, r.part(addr, next, phys, r.prot))?;
        }
        phys += next - addr;
        addr = next;
    }
    Ok(())
}

impl<H: PageTableHw> PageTables<'_, H> {
    /// `__create_pgd_mapping_locked()`: maps `[virt, virt + size)` to `phys`
    /// with `prot` (a page descriptor's attributes; blocks get the section
    /// type).
    ///
    /// # Errors
    ///
    /// - [`Error::Invalid`] if `phys` and `virt` have different offsets
    ///   within a page, the range overflows, or an existing mapping would
    ///   have to change other than in its permissions (a `BUG_ON()` in C).
    /// - [`Error::NoMemory`] if a table allocation fails; what was mapped
    ///   before the failure stays mapped.
    pub fn create_pgd_mapping(
        &mut self,
        phys: PhysAddr,
        virt: VirtAddr,
        size: u64,
        prot: u64,
        flags: u32,
    ) -> Result {
        let fmt = self.fmt();
        let g = &fmt.geometry;
        let page_mask = g.page_size() - 1;
        if (phys.0 ^ virt.0) & page_mask != 0 {
            return Err(Error::Invalid);
        }
        let addr = virt.0 & !page_mask;
        let end = virt
            .0
            .checked_add(size)
            .and_then(|e| e.checked_add(page_mask))
            .map(|e| e & !page_mask)
            .ok_or(Error::Invalid)?;
        if end <= addr || addr < g.page_offset() {
            return Err(Error::Invalid);
        }
        let r = MapRange {
            addr,
            end,
            phys: phys.0 & !page_mask,
            prot,
            flags,
        };
        let root = self.root();
        map_level(self.hw_mut(), fmt, root, r)
    }

    /// `map_mem()`: the kernel alias first (so that it can become read-only
    /// without splitting), then the kernel data, then every memory range
    /// rounded inward to pages.
    ///
    /// # Errors
    ///
    /// As [`Self::create_pgd_mapping`]; the C code panics instead.
    pub fn map_mem(&mut self, l: &MemLayout<'_>) -> Result {
        let fmt = self.fmt();
        let mut flags = NO_EXEC_MAPPINGS;
        if l.force_pte {
            flags |= NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS;
        }
        let prot = if l.tagged {
            fmt.prot_normal_tagged()
        } else {
            fmt.prot_normal()
        };
        let page = fmt.geometry.page_size();
        let mut map = |start: PhysAddr, end: PhysAddr| -> Result {
            if start >= end {
                // An empty section; C never has one, and would loop on it.
                return Ok(());
            }
            let va = l.phys_to_virt(fmt, start);
            self.create_pgd_mapping(start, va, end - start, prot, flags)
        };
        map(l.kernel_start, l.init_begin)?;
        map(l.init_end, l.kernel_end)?;
        for &(start, end) in l.memory {
            let Some(start) = start.checked_align_up(page) else {
                continue;
            };
            let end = end.align_down(page);
            if start >= end {
                continue;
            }
            map(start, end)?;
        }
        Ok(())
    }
}

/// What `map_mem()` needs to know about the machine.
#[derive(Clone, Copy, Debug)]
pub struct MemLayout<'a> {
    /// The memblock memory ranges, `[start, end)`, sorted.
    pub memory: &'a [(PhysAddr, PhysAddr)],
    /// `PHYS_OFFSET` (`memstart_addr`): the PA that maps to `PAGE_OFFSET`.
    pub memstart: PhysAddr,
    /// `__pa_symbol(_text)`.
    pub kernel_start: PhysAddr,
    /// `__pa_symbol(__init_begin)`.
    pub init_begin: PhysAddr,
    /// `__pa_symbol(__init_end)`.
    pub init_end: PhysAddr,
    /// `__pa_symbol(__bss_stop)`.
    pub kernel_end: PhysAddr,
    /// `force_pte_mapping()`.
    pub force_pte: bool,
    /// MTE present: map with `pgprot_tagged(PAGE_KERNEL)`.
    pub tagged: bool,
}

impl MemLayout<'_> {
    /// `__phys_to_virt()`.
    pub fn phys_to_virt(&self, fmt: &Format, pa: PhysAddr) -> VirtAddr {
        VirtAddr(pa.0.wrapping_sub(self.memstart.0) | fmt.geometry.page_offset())
    }
}
