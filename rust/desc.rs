// SPDX-License-Identifier: GPL-2.0

//! Translation-table descriptors, named after the 7.3 C macros.
//!
//! C headers: [`asm/pgtable-hwdef.h`](srctree/arch/arm64/include/asm/pgtable-hwdef.h),
//! [`asm/pgtable-prot.h`](srctree/arch/arm64/include/asm/pgtable-prot.h),
//! [`asm/pgtable.h`](srctree/arch/arm64/include/asm/pgtable.h)
//!
//! A [`Descriptor`] is the raw 64-bit entry; what it means depends on its
//! level (a table descriptor and a page descriptor share the same type
//! bits) and on the run-time [`Format`] (LPA2 address bits, the realm's
//! `prot_ns_shared` bit).

use core::fmt;

use crate::addr::PhysAddr;
use crate::geometry::{
    Geometry,
    Level, //
};

/// `PTE_VALID`.
pub const PTE_VALID: u64 = 1 << 0;
/// `PTE_TYPE_MASK` (also `PMD_TYPE_MASK`, `PUD_TYPE_MASK`).
pub const PTE_TYPE_MASK: u64 = 3;
/// `PTE_TYPE_PAGE`: a last-level page.
pub const PTE_TYPE_PAGE: u64 = 3;
/// `PMD_TYPE_TABLE` (also `PUD_TYPE_TABLE`, `P4D_TYPE_TABLE`, `PGD_TYPE_TABLE`).
pub const PMD_TYPE_TABLE: u64 = 3;
/// `PMD_TYPE_SECT`: a block (also `PUD_TYPE_SECT`).
pub const PMD_TYPE_SECT: u64 = 1;
/// `PTE_TABLE_BIT`: set for table and page descriptors, clear for blocks.
pub const PTE_TABLE_BIT: u64 = 1 << 1;
/// `PTE_ATTRINDX_MASK`: `AttrIndx[2:0]`.
pub const PTE_ATTRINDX_MASK: u64 = 7 << 2;
/// `PTE_USER`: `AP[1]`.
pub const PTE_USER: u64 = 1 << 6;
/// `PTE_RDONLY`: `AP[2]`.
pub const PTE_RDONLY: u64 = 1 << 7;
/// `PTE_SHARED`: `SH[1:0]`, inner shareable (not used with LPA2).
pub const PTE_SHARED: u64 = 3 << 8;
/// `PTE_AF`: the access flag.
pub const PTE_AF: u64 = 1 << 10;
/// `PTE_NG`: not global.
pub const PTE_NG: u64 = 1 << 11;
/// `PTE_PRESENT_INVALID`: with `PTE_VALID` clear, the entry is present
/// but invalid (its fields stay meaningful). Aliases `PTE_NG`.
pub const PTE_PRESENT_INVALID: u64 = PTE_NG;
/// `PTE_GP`: BTI guarded.
pub const PTE_GP: u64 = 1 << 50;
/// `PTE_DBM`: dirty bit management.
pub const PTE_DBM: u64 = 1 << 51;
/// `PTE_WRITE`: the kernel's software write bit, the same bit as DBM.
pub const PTE_WRITE: u64 = PTE_DBM;
/// `PTE_CONT`: the contiguous hint.
pub const PTE_CONT: u64 = 1 << 52;
/// `PTE_PXN`: privileged execute-never.
pub const PTE_PXN: u64 = 1 << 53;
/// `PTE_UXN`: user execute-never.
pub const PTE_UXN: u64 = 1 << 54;
/// `PTE_DIRTY`: software dirty bit.
pub const PTE_DIRTY: u64 = 1 << 55;
/// `PTE_SPECIAL`: software special bit.
pub const PTE_SPECIAL: u64 = 1 << 56;
/// `PTE_UFFD`: software userfaultfd bit.
pub const PTE_UFFD: u64 = 1 << 58;
/// `PTE_SWBITS_MASK`: bits 63 and 58:55, ignored by hardware.
pub const PTE_SWBITS_MASK: u64 = (1 << 63) | (0xf << 55);
/// `PMD_TABLE_PXN`: PXNTable.
pub const PMD_TABLE_PXN: u64 = 1 << 59;
/// `PMD_TABLE_UXN`: UXNTable.
pub const PMD_TABLE_UXN: u64 = 1 << 60;
/// `APTable[1:0]` (bits 62:61).
pub const PMD_TABLE_AP: u64 = 3 << 61;
/// NSTable (bit 63).
pub const PMD_TABLE_NS: u64 = 1 << 63;
/// `PMD_TABLE_AF`: the table access flag (ignored without FEAT_HAFT).
pub const PMD_TABLE_AF: u64 = 1 << 10;

/// `MT_NORMAL`.
pub const MT_NORMAL: u64 = 0;
/// `MT_NORMAL_TAGGED`.
pub const MT_NORMAL_TAGGED: u64 = 1;
/// `MT_NORMAL_NC`.
pub const MT_NORMAL_NC: u64 = 2;
/// `MT_DEVICE_nGnRnE`.
pub const MT_DEVICE_NGNRNE: u64 = 3;
/// `MT_DEVICE_nGnRE`.
pub const MT_DEVICE_NGNRE: u64 = 4;

/// `PTE_ATTRINDX(t)`.
pub const fn pte_attrindx(t: u64) -> u64 {
    t << 2
}

/// What a descriptor is at its level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// All zero (`pte_none()`).
    None,
    /// Not valid and not present-invalid: a swap entry or garbage, never in
    /// a kernel linear map.
    Invalid,
    /// `PTE_VALID` clear and `PTE_PRESENT_INVALID` set: a leaf that the
    /// kernel made inaccessible but whose fields stay meaningful.
    PresentInvalid,
    /// A table descriptor (levels above the last).
    Table,
    /// A block (section) mapping (`PMD_TYPE_SECT` above the last level).
    Block,
    /// A last-level page (`PTE_TYPE_PAGE`).
    Page,
    /// `0b01` at the last level: reserved, faults like an invalid entry.
    Reserved,
}

/// The run-time parts of the descriptor format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// The table geometry.
    pub geometry: Geometry,
    /// `prot_ns_shared`: the realm's shared-IPA bit, 0 outside a realm. It
    /// sits in the output-address field but is an attribute.
    pub ns_shared: u64,
}

impl Format {
    /// A format without a realm shared bit.
    #[inline]
    pub const fn new(geometry: Geometry) -> Format {
        Format {
            geometry,
            ns_shared: 0,
        }
    }

    /// `PTE_ADDR_LOW`: OA bits `[49:PAGE_SHIFT]` (48 and 49 are RES0 below
    /// 52-bit PAs).
    #[inline]
    pub const fn addr_low(&self) -> u64 {
        ((1u64 << (50 - self.geometry.page_shift())) - 1) << self.geometry.page_shift()
    }

    /// `PTE_ADDR_HIGH` (0 below 52-bit PAs).
    #[inline]
    pub const fn addr_high(&self) -> u64 {
        if !self.geometry.pa_bits_52() {
            0
        } else if self.geometry.lpa2() {
            0x3 << 8
        } else {
            0xf << 12
        }
    }

    /// `PTE_ADDR_HIGH_SHIFT`.
    #[inline]
    pub const fn addr_high_shift(&self) -> u32 {
        if self.geometry.lpa2() {
            42
        } else {
            36
        }
    }

    /// Every descriptor bit that holds output address.
    #[inline]
    pub const fn addr_mask(&self) -> u64 {
        self.addr_low() | self.addr_high()
    }

    /// `__phys_to_pte_val()`.
    #[inline]
    pub const fn phys_to_pte_val(&self, pa: PhysAddr) -> u64 {
        if self.geometry.pa_bits_52() {
            (pa.0 | (pa.0 >> self.addr_high_shift())) & self.addr_mask()
        } else {
            pa.0 & self.addr_low()
        }
    }

    /// `PTE_MAYBE_SHARED`: `PTE_SHARED` unless the format is LPA2.
    #[inline]
    pub const fn pte_maybe_shared(&self) -> u64 {
        if self.geometry.lpa2() {
            0
        } else {
            PTE_SHARED
        }
    }

    /// `PROT_NORMAL` (`PAGE_KERNEL` with `PTE_MAYBE_NG` = 0).
    #[inline]
    pub const fn prot_normal(&self) -> u64 {
        PTE_TYPE_PAGE
            | self.pte_maybe_shared()
            | PTE_AF
            | PTE_PXN
            | PTE_UXN
            | PTE_WRITE
            | pte_attrindx(MT_NORMAL)
    }

    /// `pgprot_tagged(PAGE_KERNEL)`: what `map_mem()` uses when MTE is on.
    #[inline]
    pub const fn prot_normal_tagged(&self) -> u64 {
        (self.prot_normal() & !PTE_ATTRINDX_MASK) | pte_attrindx(MT_NORMAL_TAGGED)
    }

    /// `pfn_pte(pa >> PAGE_SHIFT, prot)`.
    #[inline]
    pub const fn pfn_pte(&self, pa: PhysAddr, prot: u64) -> Descriptor {
        Descriptor(self.phys_to_pte_val(pa) | prot)
    }

    /// `pfn_pmd(pa >> PAGE_SHIFT, mk_pmd_sect_prot(prot))`: a block.
    #[inline]
    pub const fn pfn_block(&self, pa: PhysAddr, prot: u64) -> Descriptor {
        Descriptor(self.phys_to_pte_val(pa) | (prot & !PTE_TYPE_MASK) | PMD_TYPE_SECT)
    }

    /// A table descriptor for the table at `pa`, as `__pmd_populate()`
    /// writes it (`attrs` are the `*_TABLE_*` bits).
    #[inline]
    pub const fn table(&self, pa: PhysAddr, attrs: u64) -> Descriptor {
        Descriptor(self.phys_to_pte_val(pa) | PMD_TYPE_TABLE | attrs)
    }
}

/// A translation-table entry, as `pteval_t`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Descriptor(pub u64);

impl Descriptor {
    /// The empty entry.
    pub const NONE: Descriptor = Descriptor(0);

    /// The raw value.
    #[inline]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// `pte_none()`.
    #[inline]
    pub const fn is_none(self) -> bool {
        self.0 == 0
    }

    /// `pte_valid()`.
    #[inline]
    pub const fn is_valid(self) -> bool {
        self.0 & PTE_VALID != 0
    }

    /// `pte_present_invalid()`.
    #[inline]
    pub const fn is_present_invalid(self) -> bool {
        self.0 & (PTE_VALID | PTE_PRESENT_INVALID) == PTE_PRESENT_INVALID
    }

    /// `pte_present()`: valid or present-invalid.
    #[inline]
    pub const fn is_present(self) -> bool {
        self.is_valid() || self.is_present_invalid()
    }

    /// What the entry is at `level`.
    #[inline]
    pub const fn kind(self, level: Level) -> Kind {
        if self.is_none() {
            return Kind::None;
        }
        if self.is_present_invalid() {
            return Kind::PresentInvalid;
        }
        if !self.is_valid() {
            return Kind::Invalid;
        }
        let table_bit = self.0 & PTE_TABLE_BIT != 0;
        match (level.is_last(), table_bit) {
            (true, true) => Kind::Page,
            (true, false) => Kind::Reserved,
            (false, true) => Kind::Table,
            (false, false) => Kind::Block,
        }
    }

    /// `pmd_table()` / `pud_table()` at `level`.
    #[inline]
    pub const fn is_table(self, level: Level) -> bool {
        matches!(self.kind(level), Kind::Table)
    }

    /// `pmd_leaf()` / `pud_leaf()` / a present PTE: a present entry that
    /// maps memory (valid or present-invalid) rather than a table. A
    /// present-invalid entry above the last level is a leaf whatever its
    /// type bits say, as in 7.3.
    #[inline]
    pub const fn is_leaf(self, level: Level) -> bool {
        matches!(
            self.kind(level),
            Kind::Block | Kind::Page | Kind::PresentInvalid
        )
    }

    /// `PTE_USER`.
    #[inline]
    pub const fn user(self) -> bool {
        self.0 & PTE_USER != 0
    }
    /// `PTE_RDONLY`.
    #[inline]
    pub const fn rdonly(self) -> bool {
        self.0 & PTE_RDONLY != 0
    }
    /// `PTE_WRITE` (the DBM bit).
    #[inline]
    pub const fn write(self) -> bool {
        self.0 & PTE_WRITE != 0
    }
    /// `SH[1:0]` (meaningless with LPA2, where the bits hold address).
    #[inline]
    pub const fn shareability(self) -> u64 {
        (self.0 & PTE_SHARED) >> 8
    }
    /// `PTE_AF`.
    #[inline]
    pub const fn af(self) -> bool {
        self.0 & PTE_AF != 0
    }
    /// `PTE_NG`.
    #[inline]
    pub const fn ng(self) -> bool {
        self.0 & PTE_NG != 0
    }
    /// `PTE_GP`.
    #[inline]
    pub const fn gp(self) -> bool {
        self.0 & PTE_GP != 0
    }
    /// `PTE_DBM`.
    #[inline]
    pub const fn dbm(self) -> bool {
        self.0 & PTE_DBM != 0
    }
    /// `PTE_CONT`.
    #[inline]
    pub const fn cont(self) -> bool {
        self.0 & PTE_CONT != 0
    }
    /// `PTE_PXN`.
    #[inline]
    pub const fn pxn(self) -> bool {
        self.0 & PTE_PXN != 0
    }
    /// `PTE_UXN`.
    #[inline]
    pub const fn uxn(self) -> bool {
        self.0 & PTE_UXN != 0
    }
    /// `PTE_DIRTY`.
    #[inline]
    pub const fn dirty(self) -> bool {
        self.0 & PTE_DIRTY != 0
    }
    /// `PTE_SPECIAL`.
    #[inline]
    pub const fn special(self) -> bool {
        self.0 & PTE_SPECIAL != 0
    }
    /// The software bits (`PTE_SWBITS_MASK`).
    #[inline]
    pub const fn swbits(self) -> u64 {
        self.0 & PTE_SWBITS_MASK
    }
    /// AttrIndx (`MT_*`).
    #[inline]
    pub const fn attrindx(self) -> u64 {
        (self.0 & PTE_ATTRINDX_MASK) >> 2
    }
    /// PXNTable (table descriptors).
    #[inline]
    pub const fn pxn_table(self) -> bool {
        self.0 & PMD_TABLE_PXN != 0
    }
    /// UXNTable (table descriptors).
    #[inline]
    pub const fn uxn_table(self) -> bool {
        self.0 & PMD_TABLE_UXN != 0
    }
    /// `APTable[1:0]` (table descriptors).
    #[inline]
    pub const fn ap_table(self) -> u64 {
        (self.0 & PMD_TABLE_AP) >> 61
    }
    /// NSTable (table descriptors).
    #[inline]
    pub const fn ns_table(self) -> bool {
        self.0 & PMD_TABLE_NS != 0
    }

    /// `__pte_to_phys()`, with the realm shared bit removed: the output
    /// address of a page or table, or the base of a block.
    #[inline]
    pub const fn output_address(self, fmt: &Format) -> PhysAddr {
        let v = self.0 & !fmt.ns_shared;
        let mut pa = v & fmt.addr_low();
        if fmt.geometry.pa_bits_52() {
            pa |= (v & fmt.addr_high()) << fmt.addr_high_shift();
        }
        PhysAddr(pa)
    }

    /// Whether the realm shared bit is set (the page is shared with the
    /// host, `set_memory_decrypted()`).
    #[inline]
    pub const fn is_shared(self, fmt: &Format) -> bool {
        fmt.ns_shared != 0 && self.0 & fmt.ns_shared != 0
    }

    /// Everything but the output address: the attributes, type and valid
    /// bits (the realm shared bit counts as an attribute).
    #[inline]
    pub const fn attrs(self, fmt: &Format) -> u64 {
        (self.0 & !fmt.addr_mask()) | (self.0 & fmt.ns_shared)
    }

    /// The same entry with another output address.
    #[inline]
    pub const fn with_output_address(self, fmt: &Format, pa: PhysAddr) -> Descriptor {
        Descriptor(self.attrs(fmt) | fmt.phys_to_pte_val(pa))
    }

    /// `self | set`.
    #[inline]
    pub const fn set(self, set: u64) -> Descriptor {
        Descriptor(self.0 | set)
    }

    /// `self & !clear`.
    #[inline]
    pub const fn clear(self, clear: u64) -> Descriptor {
        Descriptor(self.0 & !clear)
    }
}

impl fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Descriptor({:#018x})", self.0)
    }
}

impl fmt::Display for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

/// 7.3's `pgattr_change_is_safe()`: whether a live entry may change from
/// `old` to `new` without break-before-make.
///
/// Creating or removing a mapping is always safe; a live entry may not
/// change its page frame, may not go from non-global to global, and may only
/// change `PXN`, `RDONLY`, `WRITE`, `NG` and the software bits, plus the
/// memory type between Normal and Normal-Tagged.
pub const fn pgattr_change_is_safe(fmt: &Format, old: Descriptor, new: Descriptor) -> bool {
    let mut mask = PTE_PXN | PTE_RDONLY | PTE_WRITE | PTE_NG | PTE_SWBITS_MASK;
    if !old.is_valid() || !new.is_valid() {
        return true;
    }
    let shift = fmt.geometry.page_shift();
    if old.output_address(fmt).0 >> shift != new.output_address(fmt).0 >> shift {
        return false;
    }
    if old.0 & !new.0 & PTE_NG != 0 {
        return false;
    }
    let normal = pte_attrindx(MT_NORMAL);
    let tagged = pte_attrindx(MT_NORMAL_TAGGED);
    let o = old.0 & PTE_ATTRINDX_MASK;
    let n = new.0 & PTE_ATTRINDX_MASK;
    if (o == normal || o == tagged) && (n == normal || n == tagged) {
        mask |= PTE_ATTRINDX_MASK;
    }
    (old.0 ^ new.0) & !mask == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Granule;

    fn fmt(granule: Granule, va: u32) -> Format {
        Format::new(Geometry::new(granule, va, false).unwrap())
    }

    #[test]
    fn macro_values_match_7_3_headers() {
        assert_eq!(PTE_SWBITS_MASK, 0x8780_0000_0000_0000);
        assert_eq!(PTE_ATTRINDX_MASK, 0x1c);
        assert_eq!(PTE_SHARED, 0x300);
        assert_eq!(PTE_CONT, 0x0010_0000_0000_0000);
        assert_eq!(PTE_PXN | PTE_UXN, 0x0060_0000_0000_0000);
        assert_eq!(PTE_WRITE, PTE_DBM);
        assert_eq!(PTE_PRESENT_INVALID, PTE_NG);
        assert_eq!(pte_attrindx(MT_NORMAL_TAGGED), 0x4);
        let f = fmt(Granule::K4, 48);
        // PROT_NORMAL with PTE_MAYBE_NG = 0: 0x0068000000000703 (VALID|PAGE,
        // SHARED, AF, WRITE, PXN, UXN, AttrIndx 0).
        assert_eq!(f.prot_normal(), 0x0068_0000_0000_0703);
        assert_eq!(f.prot_normal_tagged(), 0x0068_0000_0000_0707);
        // LPA2: no shareability.
        assert_eq!(fmt(Granule::K4, 52).prot_normal(), 0x0068_0000_0000_0403);
        assert_eq!(f.addr_low(), 0x0003_ffff_ffff_f000);
        assert_eq!(fmt(Granule::K64, 48).addr_low(), 0x0003_ffff_ffff_0000);
    }

    #[test]
    fn kinds_per_level() {
        let f = fmt(Granule::K4, 48);
        let page = f.pfn_pte(PhysAddr(0x4000_1000), f.prot_normal());
        assert_eq!(page.kind(Level::Pte), Kind::Page);
        assert_eq!(page.kind(Level::Pmd), Kind::Table);
        let block = f.pfn_block(PhysAddr(0x4020_0000), f.prot_normal());
        assert_eq!(block.kind(Level::Pmd), Kind::Block);
        assert_eq!(block.kind(Level::Pte), Kind::Reserved);
        assert!(block.is_leaf(Level::Pmd) && !block.is_table(Level::Pmd));
        // set_memory_valid(.., 0) on a kernel mapping: clear VALID, set
        // PTE_PRESENT_INVALID.
        let pi = block.clear(PTE_VALID).set(PTE_PRESENT_INVALID);
        assert_eq!(pi.kind(Level::Pmd), Kind::PresentInvalid);
        assert!(pi.is_leaf(Level::Pmd) && pi.is_present() && !pi.is_valid());
        assert_eq!(Descriptor(0).kind(Level::Pmd), Kind::None);
        assert_eq!(Descriptor(0x4000_0000).kind(Level::Pte), Kind::Invalid);
        let t = f.table(PhysAddr(0x8000_0000), PMD_TABLE_UXN | PMD_TABLE_AF);
        assert_eq!(t.kind(Level::Pud), Kind::Table);
        assert!(t.uxn_table() && !t.pxn_table() && t.ap_table() == 0 && !t.ns_table());
    }

    #[test]
    fn accessors() {
        let f = fmt(Granule::K4, 48);
        let d = f
            .pfn_pte(PhysAddr(0x4000_1000), f.prot_normal_tagged())
            .set(PTE_RDONLY | PTE_NG | PTE_CONT | PTE_DIRTY | PTE_GP);
        assert!(d.rdonly() && d.ng() && d.cont() && d.dirty() && d.gp());
        assert!(d.pxn() && d.uxn() && d.af() && d.write() && d.dbm());
        assert!(!d.user() && !d.special());
        assert_eq!(d.shareability(), 3);
        assert_eq!(d.attrindx(), MT_NORMAL_TAGGED);
        assert_eq!(d.swbits(), PTE_DIRTY);
    }

    #[test]
    fn output_address_formats() {
        // 48-bit PA.
        let f = fmt(Granule::K4, 48);
        let d = f.pfn_pte(PhysAddr(0x0000_8765_4321_0000), f.prot_normal());
        assert_eq!(d.output_address(&f), PhysAddr(0x0000_8765_4321_0000));
        // LPA2 (4K, 52-bit): OA[51:50] in bits 9:8.
        let f = fmt(Granule::K4, 52);
        let pa = PhysAddr(0x000c_0000_4000_0000);
        let d = f.pfn_pte(pa, f.prot_normal());
        assert_eq!(d.bits() & 0x300, 0x300);
        assert_eq!(d.output_address(&f), pa);
        // 64K with 52-bit PA: OA[51:48] in bits 15:12.
        let f = Format::new(Geometry::new(Granule::K64, 48, true).unwrap());
        let pa = PhysAddr(0x000f_0000_0001_0000);
        let d = f.pfn_pte(pa, f.prot_normal());
        assert_eq!(d.bits() & 0xf000, 0xf000);
        assert_eq!(d.output_address(&f), pa);
        // The realm shared bit is an attribute, not address.
        let mut f = fmt(Granule::K4, 48);
        f.ns_shared = 1 << 47;
        let d = f
            .pfn_pte(PhysAddr(0x4000_0000), f.prot_normal())
            .set(f.ns_shared);
        assert!(d.is_shared(&f));
        assert_eq!(d.output_address(&f), PhysAddr(0x4000_0000));
        let moved = d.with_output_address(&f, PhysAddr(0x5000_0000));
        assert!(moved.is_shared(&f));
        assert_eq!(moved.output_address(&f), PhysAddr(0x5000_0000));
    }

    #[test]
    fn pgattr_change_is_safe_matches_c() {
        let f = fmt(Granule::K4, 48);
        let rw = f.pfn_pte(PhysAddr(0x4000_0000), f.prot_normal());
        let ro = rw.clear(PTE_WRITE).set(PTE_RDONLY);
        // Permission changes.
        assert!(pgattr_change_is_safe(&f, rw, ro));
        assert!(pgattr_change_is_safe(&f, ro, rw));
        assert!(pgattr_change_is_safe(&f, rw, rw.clear(PTE_PXN)));
        // Creating or removing is always safe.
        assert!(pgattr_change_is_safe(&f, Descriptor::NONE, rw));
        assert!(pgattr_change_is_safe(&f, rw, rw.clear(PTE_VALID)));
        // Another page frame.
        let other = rw.with_output_address(&f, PhysAddr(0x4000_1000));
        assert!(!pgattr_change_is_safe(&f, rw, other));
        // nG -> G is unsafe, G -> nG safe.
        assert!(pgattr_change_is_safe(&f, rw, rw.set(PTE_NG)));
        assert!(!pgattr_change_is_safe(&f, rw.set(PTE_NG), rw));
        // Normal <-> Normal-Tagged is safe, Normal -> Device is not.
        let tagged = Descriptor(rw.0 & !PTE_ATTRINDX_MASK | pte_attrindx(MT_NORMAL_TAGGED));
        assert!(pgattr_change_is_safe(&f, rw, tagged));
        let dev = Descriptor(rw.0 & !PTE_ATTRINDX_MASK | pte_attrindx(MT_DEVICE_NGNRE));
        assert!(!pgattr_change_is_safe(&f, rw, dev));
        // The contiguous bit, AF and UXN are not in the mask.
        assert!(!pgattr_change_is_safe(&f, rw, rw.set(PTE_CONT)));
        assert!(!pgattr_change_is_safe(&f, rw, rw.clear(PTE_AF)));
        assert!(!pgattr_change_is_safe(&f, rw, rw.clear(PTE_UXN)));
        // Software bits are.
        assert!(pgattr_change_is_safe(
            &f,
            rw,
            rw.set(PTE_SPECIAL | PTE_UFFD)
        ));
    }
}
