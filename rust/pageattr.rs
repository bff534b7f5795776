// SPDX-License-Identifier: GPL-2.0

//! Changing the attributes of kernel mappings.
//!
//! C: [`arch/arm64/mm/pageattr.c`](srctree/arch/arm64/mm/pageattr.c):
//! `set_pageattr_masks()`, `pageattr_{pud,pmd,pte}_entry()`,
//! `update_range_prot()`, `__change_memory_common()` and the masks of
//! `set_memory_*()`, `set_direct_map_*_noflush()` and
//! `__set_memory_enc_dec()`.
//!
//! The inputs 7.3 accepts are accepted alike: holes are skipped, a start
//! inside a page starts from that page, a tagged address is walked as its
//! untagged self. Where linmap differs, deliberately:
//!
//! - The range is checked before anything is written: one that covers part
//!   of a block or of a contiguous group is refused with
//!   [`Error::PartlyCovered`] and the tables are left as they were (7.3
//!   warns from `pageattr_p?d_entry()` after having changed the part of the
//!   range before the offending block).
//! - A none PTE is left none (7.3's `pageattr_pte_entry()` writes the masks
//!   into it, as for the guard page of a vmalloc area, which
//!   `change_memory_common()` lets a range cover; a later vmap of that
//!   address then finds the PTE not none).

use crate::addr::VirtAddr;
use crate::desc::{
    Descriptor,
    Format,
    PTE_GP,
    PTE_NG,
    PTE_PRESENT_INVALID,
    PTE_PXN,
    PTE_RDONLY,
    PTE_VALID,
    PTE_WRITE, //
};
use crate::error::{
    Error,
    Result, //
};
use crate::hw::{
    set_entry,
    PageTableHw, //
};
use crate::walk::{
    Next,
    PageTables,
    Slot, //
};

/// The run-time parts of the kernel's masks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaskConfig {
    /// `arm64_use_ng_mappings` (KPTI): `PTE_MAYBE_NG` is `PTE_NG`.
    pub use_ng_mappings: bool,
    /// `system_supports_bti_kernel()`: `PTE_MAYBE_GP` is `PTE_GP`.
    pub bti_kernel: bool,
}

impl MaskConfig {
    /// `PTE_MAYBE_NG`.
    pub const fn maybe_ng(&self) -> u64 {
        if self.use_ng_mappings {
            PTE_NG
        } else {
            0
        }
    }

    /// `PTE_MAYBE_GP`.
    pub const fn maybe_gp(&self) -> u64 {
        if self.bti_kernel {
            PTE_GP
        } else {
            0
        }
    }

    /// `PTE_PRESENT_VALID_KERNEL`.
    pub const fn present_valid_kernel(&self) -> u64 {
        PTE_VALID | self.maybe_ng()
    }
}

/// A `struct page_change_data`: bits to clear, then bits to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageChange {
    /// `set_mask`.
    pub set: u64,
    /// `clear_mask`.
    pub clear: u64,
}

impl PageChange {
    /// `set_pageattr_masks()`: clear first, then set (some masks alias, as
    /// `PTE_NG` and `PTE_PRESENT_INVALID`).
    pub const fn apply(&self, d: Descriptor) -> Descriptor {
        Descriptor((d.bits() & !self.clear) | self.set)
    }

    /// `set_memory_ro()`.
    pub const fn ro() -> PageChange {
        PageChange {
            set: PTE_RDONLY,
            clear: PTE_WRITE,
        }
    }

    /// `set_memory_rw()`.
    pub const fn rw() -> PageChange {
        PageChange {
            set: PTE_WRITE,
            clear: PTE_RDONLY,
        }
    }

    /// `set_memory_nx()`.
    pub const fn nx(c: &MaskConfig) -> PageChange {
        PageChange {
            set: PTE_PXN,
            clear: c.maybe_gp(),
        }
    }

    /// `set_memory_x()`.
    pub const fn x(c: &MaskConfig) -> PageChange {
        PageChange {
            set: c.maybe_gp(),
            clear: PTE_PXN,
        }
    }

    /// `set_memory_valid(.., enable)`, `set_direct_map_valid_noflush()`
    /// and `set_direct_map_invalid_noflush()` (`enable` false).
    pub const fn valid(c: &MaskConfig, enable: bool) -> PageChange {
        if enable {
            PageChange {
                set: c.present_valid_kernel(),
                clear: PTE_PRESENT_INVALID,
            }
        } else {
            PageChange {
                set: PTE_PRESENT_INVALID,
                clear: c.present_valid_kernel(),
            }
        }
    }

    /// `set_direct_map_default_noflush()`: valid and writable.
    pub const fn direct_map_default(c: &MaskConfig) -> PageChange {
        PageChange {
            set: c.present_valid_kernel() | PTE_WRITE,
            clear: PTE_PRESENT_INVALID | PTE_RDONLY,
        }
    }

    /// The first step of `__set_memory_enc_dec()`: break the mapping and
    /// flip the realm shared bit (`encrypt`: clear it, else set it).
    pub const fn enc_dec_break(c: &MaskConfig, fmt: &Format, encrypt: bool) -> PageChange {
        let (set, clear) = if encrypt {
            (0, fmt.ns_shared)
        } else {
            (fmt.ns_shared, 0)
        };
        PageChange {
            set: set | PTE_PRESENT_INVALID,
            clear: clear | c.present_valid_kernel(),
        }
    }

    /// Whether `__change_memory_common()` invalidates the TLB after this
    /// change: always but for present-invalid to valid, since an invalid
    /// entry cannot be in a TLB.
    pub const fn needs_tlb_flush(&self, c: &MaskConfig) -> bool {
        !(self.set == c.present_valid_kernel() && self.clear == PTE_PRESENT_INVALID)
    }
}

/// Whether [`PageTables::update_range_prot`] may split the leaves that
/// cross the ends of its range (the answer of
/// [`crate::policy::split_decision`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Split them first, as `change_memory_common()` does under BBML3.
    Allowed,
    /// Refuse a range that covers part of a leaf.
    Forbidden,
}

/// Refuses a leaf at `slot` (descriptor `d`) that `[start, end)` covers
/// only in part, counting a contiguous group as one leaf.
#[inline(always)]
fn check_whole(fmt: &Format, slot: Slot, d: Descriptor, start: VirtAddr, end: VirtAddr) -> Result {
    let g = fmt.geometry;
    let size = if d.cont() {
        g.cont_size(slot.level())
    } else {
        g.entry_size(slot.level())
    };
    let first = slot.va().align_down(size);
    if first < start || first.0.wrapping_add(size) > end.0 {
        return Err(Error::PartlyCovered);
    }
    Ok(())
}

/// Applies `change` to the leaf at `slot`.
#[inline(always)]
fn apply<H: PageTableHw>(hw: &mut H, slot: Slot, d: Descriptor, change: PageChange) {
    set_entry(hw, slot.table(), slot.index(), change.apply(d));
    if !slot.level().is_last() {
        // set_pud()/set_pmd() order each store.
        hw.dsb_ishst();
        hw.isb();
    }
}

impl<H: PageTableHw> PageTables<'_, H> {
    /// `update_range_prot()`: applies `change` to every leaf of
    /// `[start, start + size)`, after splitting the leaves that cross its
    /// ends when `split` allows it. Does not invalidate the TLB; ends with
    /// `dsb; isb` as leaving lazy MMU mode does after valid kernel PTE
    /// stores (`emit_pte_barriers()`), so that an entry made valid can be
    /// used at once.
    ///
    /// As 7.3's walker: `start` may be tagged (KASAN) and need not be page
    /// aligned (the change starts from its page and covers `size` rounded up
    /// to pages), holes are skipped.
    ///
    /// # Errors
    ///
    /// - [`Error::Invalid`]: an empty range (7.3's walker refuses `start >=
    ///   end`), one that overflows or starts below the linear map. Nothing is
    ///   changed.
    /// - [`Error::PartlyCovered`]: (without a split) the range covers part
    ///   of a block or contiguous group. Nothing is changed.
    /// - [`Error::NoMemory`]: a split could not allocate; the splits done
    ///   stay, no attribute is changed.
    pub fn update_range_prot(
        &mut self,
        start: VirtAddr,
        size: u64,
        change: PageChange,
        split: Split,
    ) -> Result {
        let fmt = self.fmt();
        let g = fmt.geometry;
        let page = g.page_size();
        let start = start.untagged().align_down(page);
        if size == 0 || start.0 < g.page_offset() {
            return Err(Error::Invalid);
        }
        let size = size.checked_next_multiple_of(page).ok_or(Error::Invalid)?;
        let end = start.checked_add(size).ok_or(Error::Invalid)?;
        if split == Split::Allowed {
            self.split_kernel_leaf_mapping(start, end)?;
        }
        // Only the leaves at the two ends can be partly covered. The last one
        // is checked before anything is written, the first one when the walk
        // reaches it, before its store; a range inside one leaf (the common
        // single page) is done with this one descent, as C's walk.
        let (last, d) = self.lookup_slot(end - page);
        if d.is_leaf(last.level()) {
            check_whole(fmt, last, d, start, end)?;
            if last.va() <= start {
                let hw = self.hw_mut();
                apply(hw, last, d, change);
                hw.dsb_ishst();
                hw.isb();
                return Ok(());
            }
        }
        self.walk(start, end, |hw, slot, d| {
            if d.is_leaf(slot.level()) {
                check_whole(fmt, slot, d, start, end)?;
                apply(hw, slot, d, change);
            }
            Ok(Next::Descend)
        })?;
        let hw = self.hw_mut();
        hw.dsb_ishst();
        hw.isb();
        Ok(())
    }

    /// `__change_memory_common()`: [`Self::update_range_prot`], then the TLB
    /// invalidation unless [`PageChange::needs_tlb_flush`] says it is not
    /// needed. Unlike C, a failed update (which changed no attribute) is not
    /// followed by an invalidation. The kernel runs 7.3's C for this part
    /// (it calls [`Self::update_range_prot`] without a split); the host
    /// tests drive the whole composition.
    ///
    /// # Errors
    ///
    /// As [`Self::update_range_prot`].
    #[cfg(not(kernel))]
    pub fn change_memory_common(
        &mut self,
        masks: &MaskConfig,
        start: VirtAddr,
        size: u64,
        change: PageChange,
        split: Split,
    ) -> Result {
        self.update_range_prot(start, size, change, split)?;
        if change.needs_tlb_flush(masks) {
            self.hw_mut().flush_tlb_kernel_range(start, start + size);
        }
        Ok(())
    }
}
