// SPDX-License-Identifier: GPL-2.0

//! The realm's memory layout and its stage-2 translation.
//!
//! The IPA space has 33 bits: the protected half is `[0, 4 GiB)`, the
//! unprotected (shared) half `[4 GiB, 8 GiB)`, so the realm's shared bit is
//! bit 32. QEMU's `virt` board puts MMIO in GiB 0 and RAM from GiB 1.
//!
//! - GiB 0 (protected MMIO) is not mapped: a realm reaches devices only
//!   through the shared alias, as in real CCA. A protected access faults and
//!   the emulator reports the stage-2 abort.
//! - GiB 1..3 map protected RAM identity with 4 KiB pages, so that each
//!   granule is unmapped while its RIPAS is not RAM (an access then aborts
//!   to the emulator, which injects a synchronous external abort as TF-RMM
//!   does), except the emulator's own memory at the start of RAM (the
//!   carve-out), which is unmapped and hidden from the guest's device tree.
//! - GiB 4 maps the MMIO alias onto PA GiB 0, as Device memory.
//! - GiB 5..7, the shared alias of RAM, map in one of two ways:
//!   [`Sharing::SameRam`] onto the same RAM as the protected half (PA =
//!   IPA - 4 GiB): the CPU's two views share contents, which the GIC ITS
//!   needs (it is given protected addresses of tables the CPU wrote through
//!   the alias); [`Sharing::SeparateRam`] identity onto RAM of its own
//!   above 4 GiB (QEMU `-m 7G`): a device doing DMA to `addr | BIT(32)`
//!   sees what the CPU wrote through the alias and nothing of protected
//!   memory, as in real CCA, so DMA works only if sharing is done right.
//!   With the strict shared view ([`Strict`]) the alias of RAM is mapped
//!   with 4 KiB pages too, each only while its granule's RIPAS is EMPTY.

use crate::fdt::{
    read_cells,
    Fdt, //
};
use crate::options::Strict;
use crate::rsi::{
    Ripas,
    GRANULE, //
};

/// One GiB.
pub const GIB: u64 = 1 << 30;
/// The realm's IPA width.
pub const IPA_BITS: u32 = 33;
/// The shared (unprotected) bit of an IPA.
pub const SHARED: u64 = 1 << (IPA_BITS - 1);
/// Where QEMU `virt` puts RAM.
pub const RAM_BASE: u64 = GIB;
/// A level-2 block.
pub const BLOCK_2M: u64 = 2 << 20;

/// Stage-2 block: AF, inner shareable, S2AP read/write, Normal write-back.
pub const S2_NORMAL: u64 = 0x7fd;
/// Stage-2 block: AF, S2AP read/write, Device-nGnRE.
pub const S2_DEVICE: u64 = 0x7c5;
/// Stage-2 page (level 3): AF, inner shareable, S2AP read/write, Normal
/// write-back.
pub const S2_PAGE: u64 = 0x7ff;
/// Stage-2 table descriptor type bits.
pub const S2_TABLE: u64 = 0x3;
/// 2 MiB blocks of IPA space from RAM_BASE to the shared bit: the level-3
/// tables of one half.
pub const RAM_BLOCKS: usize = ((SHARED - RAM_BASE) / BLOCK_2M) as usize;
/// Level-2 tables: GiB 1..3 and their shared alias, GiB 5..7.
pub const L2_TABLES: usize = 6;

/// `VTCR_EL2`: T0SZ = 31 (33-bit IPA), SL0 = 1 (start at level 1), inner and
/// outer write-back, inner shareable, 4 KiB granule, PS = 36 bits, RES1.
pub const VTCR_EL2: u64 = 31 | (1 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 16) | (1 << 31);

/// How the shared alias of RAM is backed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// The same RAM as the protected half.
    SameRam,
    /// RAM of its own, above 4 GiB.
    SeparateRam,
}

/// Why the machine's memory cannot host a realm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// RAM does not start at 1 GiB.
    RamBase,
    /// The emulator's memory is not 2 MiB aligned at the start of RAM.
    CarveOut,
    /// More than 3 GiB but less than 7 GiB of RAM.
    RamSize,
    /// The device tree has no usable `/memory` node.
    NoMemoryNode,
}

impl LayoutError {
    /// A message for the console.
    pub fn message(self) -> &'static str {
        match self {
            LayoutError::RamBase => "RAM must start at 0x40000000 (QEMU virt)",
            LayoutError::CarveOut => "the emulator must sit in the first GiB of RAM",
            LayoutError::RamSize => {
                "use whole GiB: -m 3G or less (same RAM) or -m 7G (separate shared RAM)"
            }
            LayoutError::NoMemoryNode => "no /memory node with 2-cell reg in the device tree",
        }
    }
}

/// The layout chosen from QEMU's RAM and the emulator's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// How the shared alias is backed.
    pub sharing: Sharing,
    /// Whether protected MMIO (GiB 0) is mapped too (`realm_emu.lenient=1`).
    pub lenient: bool,
    /// The strict shared view (`realm_emu.strict=`).
    pub strict: Strict,
    /// The end of QEMU's RAM.
    pub mem_top: u64,
    /// The end of the emulator's memory (the start of the guest's).
    pub carve_top: u64,
}

impl Layout {
    /// The layout for RAM `[mem_base, mem_base + mem_size)` with the emulator
    /// in `[mem_base, carve_top)`. Up to 3 GiB of RAM gives
    /// [`Sharing::SameRam`]; 7 GiB or more gives [`Sharing::SeparateRam`].
    pub fn new(mem_base: u64, mem_size: u64, carve_top: u64) -> Result<Layout, LayoutError> {
        if mem_base != RAM_BASE {
            return Err(LayoutError::RamBase);
        }
        let mem_top = mem_base.checked_add(mem_size).ok_or(LayoutError::RamSize)?;
        if carve_top % BLOCK_2M != 0
            || carve_top <= mem_base
            || carve_top >= mem_base + GIB
            || carve_top >= mem_top
        {
            return Err(LayoutError::CarveOut);
        }
        if mem_size % GIB != 0 {
            return Err(LayoutError::RamSize);
        }
        let sharing = if mem_top <= SHARED {
            Sharing::SameRam
        } else if mem_top >= 2 * SHARED {
            Sharing::SeparateRam
        } else {
            return Err(LayoutError::RamSize);
        };
        Ok(Layout {
            sharing,
            lenient: false,
            strict: Strict::Off,
            mem_top,
            carve_top,
        })
    }

    /// The protected RAM the guest is given: `[start, end)`.
    pub fn protected_ram(&self) -> (u64, u64) {
        (self.carve_top, self.mem_top.min(SHARED))
    }

    /// The PA behind the shared IPA `ipa` (`>= SHARED`), if any RAM or MMIO
    /// is there.
    fn shared_pa(&self, ipa: u64, size: u64) -> Option<u64> {
        let pa = match self.sharing {
            Sharing::SameRam => ipa - SHARED,
            Sharing::SeparateRam if ipa < SHARED + RAM_BASE => ipa - SHARED,
            Sharing::SeparateRam => ipa,
        };
        (pa < RAM_BASE || pa + size <= self.mem_top).then_some(pa)
    }

    /// Whether `[ipa, ipa + size)` (protected) is all the guest's RAM.
    fn is_guest_ram(&self, ipa: u64, size: u64) -> bool {
        let (start, end) = self.protected_ram();
        ipa >= start && ipa + size <= end
    }

    /// Where the shared view of the protected RAM granule `ipa` lives: the
    /// PA a conversion to EMPTY fills in the strict view.
    pub fn shared_view(&self, ipa: u64) -> Option<u64> {
        if !self.is_guest_ram(ipa, GRANULE) {
            return None;
        }
        self.shared_pa(ipa + SHARED, GRANULE)
    }

    /// The PA a conversion of the guest RAM granule `ipa` from `from` to
    /// `to` fills in the strict view: the view it reveals, shared (to
    /// EMPTY) or protected (to RAM). None without the strict view.
    pub fn revealed(&self, ipa: u64, from: Ripas, to: Ripas) -> Option<u64> {
        if self.strict == Strict::Off || from == to || !self.is_guest_ram(ipa, GRANULE) {
            return None;
        }
        match to {
            Ripas::Empty => self.shared_view(ipa),
            Ripas::Ram => Some(ipa),
            Ripas::Destroyed => None,
        }
    }

    /// The stage-2 descriptor of the 1 GiB level-1 entry at `ipa` when it
    /// is a block or nothing (GiB 0 and 4).
    fn l1_block(&self, ipa: u64) -> u64 {
        if ipa == 0 && self.lenient {
            return S2_DEVICE;
        }
        if ipa == SHARED {
            return S2_DEVICE;
        }
        0
    }

    /// The level-3 table index (into [`Stage2`]'s `l3`) of the 2 MiB block
    /// at `ipa`, if that block is mapped with pages: guest RAM, and in the
    /// strict view its shared alias.
    fn l3_index(&self, ipa: u64) -> Option<usize> {
        let (off, base) = if ipa < SHARED {
            (ipa, 0)
        } else if self.strict != Strict::Off {
            (ipa - SHARED, RAM_BLOCKS)
        } else {
            return None;
        };
        (self.is_guest_ram(off, BLOCK_2M)
            && (ipa < SHARED || self.shared_pa(ipa, BLOCK_2M).is_some()))
        .then(|| base + ((off - RAM_BASE) / BLOCK_2M) as usize)
    }

    /// The level-2 descriptor of the 2 MiB block at `ipa` when it is not a
    /// table: the shared alias without the strict view, or nothing.
    fn l2_block(&self, ipa: u64) -> u64 {
        if ipa < SHARED {
            return 0;
        }
        let off = ipa - SHARED;
        if off < self.carve_top && off + BLOCK_2M > RAM_BASE {
            return 0;
        }
        match self.shared_pa(ipa, BLOCK_2M) {
            Some(pa) if off >= RAM_BASE => pa | S2_NORMAL,
            _ => 0,
        }
    }

    /// The level-3 descriptor of the granule at `ipa`, whose RIPAS is
    /// `ripas` (of the protected granule, for both halves).
    pub fn l3_entry(&self, ipa: u64, ripas: Ripas) -> u64 {
        if ipa < SHARED {
            return if ripas == Ripas::Ram {
                ipa | S2_PAGE
            } else {
                0
            };
        }
        match self.shared_pa(ipa, GRANULE) {
            Some(pa) if ripas == Ripas::Empty => pa | S2_PAGE,
            _ => 0,
        }
    }
}

/// The stage-2 tables: one level-1 table (8 entries of 1 GiB), a level-2
/// table for each GiB of RAM and of its shared alias, and a level-3 table
/// for each 2 MiB of guest RAM (and, in the strict view, of its alias).
///
/// # Invariants
///
/// `l3` has [`RAM_BLOCKS`] tables, or twice that with the strict view; the
/// tables' addresses are what the MMU walks (PA = address: the emulator
/// runs with its MMU off).
pub struct Stage2<'a> {
    layout: Layout,
    l1: &'a mut Table,
    l2: &'a mut [Table; L2_TABLES],
    l3: &'a mut [Table],
}

/// A stage-2 table page (4 KiB aligned, as the MMU needs).
#[repr(C, align(4096))]
#[derive(Clone, Copy)]
pub struct Table(pub [u64; 512]);

impl Table {
    /// An empty table.
    pub const EMPTY: Table = Table([0; 512]);

    fn addr(&self) -> u64 {
        self.0.as_ptr() as u64
    }
}

impl<'a> Stage2<'a> {
    /// Builds stage 2 for `layout`, every granule of guest RAM RIPAS RAM.
    /// `None` if `l3` is too small for the layout.
    pub fn new(
        layout: Layout,
        l1: &'a mut Table,
        l2: &'a mut [Table; L2_TABLES],
        l3: &'a mut [Table],
    ) -> Option<Self> {
        let need = if layout.strict == Strict::Off { 1 } else { 2 } * RAM_BLOCKS;
        if l3.len() < need {
            return None;
        }
        let mut s = Stage2 { layout, l1, l2, l3 };
        s.build();
        Some(s)
    }

    fn build(&mut self) {
        let layout = self.layout;
        for i in 0..512 {
            let ipa = i as u64 * GIB;
            self.l1.0[i] = match i {
                1..=3 => self.l2[i - 1].addr() | S2_TABLE,
                5..=7 => self.l2[i - 2].addr() | S2_TABLE,
                0 | 4 => layout.l1_block(ipa),
                _ => 0,
            };
        }
        for t in 0..L2_TABLES {
            let gib = if t < 3 { t as u64 + 1 } else { t as u64 + 2 };
            for j in 0..512 {
                let ipa = gib * GIB + j as u64 * BLOCK_2M;
                self.l2[t].0[j] = match layout.l3_index(ipa) {
                    Some(k) => {
                        for (n, e) in self.l3[k].0.iter_mut().enumerate() {
                            *e = layout.l3_entry(ipa + n as u64 * GRANULE, Ripas::Ram);
                        }
                        self.l3[k].addr() | S2_TABLE
                    }
                    None => layout.l2_block(ipa),
                };
            }
        }
    }

    /// The level-1 table's address, for `VTTBR_EL2`.
    pub fn root(&self) -> u64 {
        self.l1.addr()
    }

    /// The layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The granule of guest RAM at `ipa` has RIPAS `ripas` now: its
    /// protected page (and its shared one, in the strict view) are mapped
    /// or not accordingly. The caller invalidates the TLBs afterwards.
    pub fn set_ripas(&mut self, ipa: u64, ripas: Ripas) {
        self.set_entries(ipa, |l, half| l.l3_entry(half, ripas));
    }

    /// Unmaps both views of the granule of guest RAM at `ipa` (the first
    /// half of a conversion: the view it reveals is mapped by
    /// [`Stage2::set_ripas()`] once the TLBs are invalidated and the view
    /// filled).
    pub fn unmap(&mut self, ipa: u64) {
        self.set_entries(ipa, |_, _| 0);
    }

    fn set_entries(&mut self, ipa: u64, entry: impl Fn(&Layout, u64) -> u64) {
        for half in [ipa, ipa + SHARED] {
            if let Some(k) = self.layout.l3_index(half & !(BLOCK_2M - 1)) {
                let n = ((half % BLOCK_2M) / GRANULE) as usize;
                self.l3[k].0[n] = entry(&self.layout, half);
            }
        }
    }

    /// What the MMU finds for `ipa`: the output address and the size of
    /// the leaf, walking the tables by their addresses (`table_at` gives
    /// the table at an address, as memory would).
    pub fn translate(&self, ipa: u64) -> Option<(u64, u64)> {
        let i = (ipa / GIB) as usize;
        if i >= 8 {
            return None;
        }
        let find = |addr: u64| -> Option<&Table> {
            self.l2
                .iter()
                .chain(self.l3.iter())
                .find(|t| t.addr() == addr)
        };
        let mut desc = self.l1.0[i];
        let mut size = GIB;
        for level in 2..=3 {
            if desc & 3 != S2_TABLE || (level == 3 && size != BLOCK_2M) {
                break;
            }
            let t = find(desc & 0xffff_ffff_f000)?;
            size = if level == 2 { BLOCK_2M } else { GRANULE };
            desc = t.0[((ipa % (size * 512)) / size) as usize];
            if level == 3 && desc & 3 != 3 {
                return None;
            }
        }
        if desc & 1 == 0 {
            return None;
        }
        Some((
            (desc & 0xffff_ffff_f000 & !(size - 1)) | (ipa & (size - 1)),
            size,
        ))
    }
}

/// The offset in the blob of the first `/memory` node's `reg` value and
/// the range it describes (2 address cells, 2 size cells, one range).
pub fn memory_reg(fdt: &Fdt<'_>) -> Result<(usize, u64, u64), LayoutError> {
    let root = fdt.root().ok_or(LayoutError::NoMemoryNode)?;
    let cells = (
        fdt.u32_property(root, b"#address-cells"),
        fdt.u32_property(root, b"#size-cells"),
    );
    if cells != (Some(2), Some(2)) {
        return Err(LayoutError::NoMemoryNode);
    }
    let node = fdt.find(b"/memory").ok_or(LayoutError::NoMemoryNode)?;
    let reg = fdt
        .property(node, b"reg")
        .ok_or(LayoutError::NoMemoryNode)?;
    if reg.value.len() != 16 {
        return Err(LayoutError::NoMemoryNode);
    }
    let base = read_cells(reg.value, 0, 2).ok_or(LayoutError::NoMemoryNode)?;
    let size = read_cells(reg.value, 8, 2).ok_or(LayoutError::NoMemoryNode)?;
    Ok((reg.offset, base, size))
}

/// The new `reg` value (big-endian cells) for the guest's protected RAM.
pub fn patched_reg(layout: &Layout) -> [u8; 16] {
    let (start, end) = layout.protected_ram();
    let mut v = [0u8; 16];
    v[..8].copy_from_slice(&start.to_be_bytes());
    v[8..].copy_from_slice(&(end - start).to_be_bytes());
    v
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::fdt::build::Builder;

    const CARVE: u64 = RAM_BASE + (16 << 20);

    /// Stage 2 for `l`, in tables on the heap.
    fn with_stage2<R>(l: Layout, f: impl FnOnce(&mut Stage2<'_>) -> R) -> R {
        let mut l1 = std::boxed::Box::new(Table::EMPTY);
        let mut l2 = std::boxed::Box::new([Table::EMPTY; L2_TABLES]);
        let mut l3 = std::vec![Table::EMPTY; 2 * RAM_BLOCKS];
        let mut s = Stage2::new(l, &mut l1, &mut l2, &mut l3).unwrap();
        f(&mut s)
    }

    /// What stage 2 translates `ipa` to, as the MMU walks it.
    fn walk(l: &Layout, ipa: u64) -> Option<u64> {
        with_stage2(*l, |s| s.translate(ipa).map(|(pa, _)| pa))
    }

    #[test]
    fn chooses_the_sharing() {
        let l = Layout::new(RAM_BASE, 3 * GIB, CARVE).unwrap();
        assert_eq!(l.sharing, Sharing::SameRam);
        assert_eq!(l.protected_ram(), (CARVE, 4 * GIB));
        let l = Layout::new(RAM_BASE, 7 * GIB, CARVE).unwrap();
        assert_eq!(l.sharing, Sharing::SeparateRam);
        assert_eq!(l.protected_ram(), (CARVE, 4 * GIB));
        assert_eq!(
            Layout::new(RAM_BASE, 4 * GIB, CARVE),
            Err(LayoutError::RamSize)
        );
        assert_eq!(
            Layout::new(0x8000_0000, GIB, CARVE),
            Err(LayoutError::RamBase)
        );
        assert_eq!(
            Layout::new(RAM_BASE, GIB, CARVE + 4096),
            Err(LayoutError::CarveOut)
        );
        assert_eq!(
            Layout::new(RAM_BASE, GIB, RAM_BASE),
            Err(LayoutError::CarveOut)
        );
        assert_eq!(
            Layout::new(RAM_BASE, 16 << 20, CARVE),
            Err(LayoutError::CarveOut)
        );
        assert_eq!(
            Layout::new(RAM_BASE, GIB + (512 << 20), CARVE),
            Err(LayoutError::RamSize)
        );
    }

    #[test]
    fn same_ram_stage2() {
        let l = Layout::new(RAM_BASE, 2 * GIB, CARVE).unwrap();
        // Protected MMIO and the carve-out are unmapped.
        assert_eq!(walk(&l, 0x0900_0000), None);
        assert_eq!(walk(&l, RAM_BASE), None);
        assert_eq!(walk(&l, CARVE - 1), None);
        // Protected RAM is identity; beyond RAM nothing.
        assert_eq!(walk(&l, CARVE), Some(CARVE));
        assert_eq!(walk(&l, 0x8abc_d123), Some(0x8abc_d123));
        assert_eq!(walk(&l, 3 * GIB), None);
        // The shared alias: MMIO as Device, RAM onto the same RAM.
        assert_eq!(walk(&l, SHARED + 0x0900_0000), Some(0x0900_0000));
        assert_eq!(l.l1_block(SHARED) & 0x3c, S2_DEVICE & 0x3c);
        assert_eq!(walk(&l, SHARED + 0x8abc_d123), Some(0x8abc_d123));
        assert_eq!(walk(&l, SHARED + RAM_BASE), None);
        assert_eq!(walk(&l, SHARED + 3 * GIB), None);
    }

    #[test]
    fn lenient_maps_protected_mmio() {
        let mut l = Layout::new(RAM_BASE, 2 * GIB, CARVE).unwrap();
        assert_eq!(walk(&l, 0x0900_0000), None);
        l.lenient = true;
        assert_eq!(walk(&l, 0x0900_0000), Some(0x0900_0000));
        assert_eq!(l.l1_block(0) & 0x3c, S2_DEVICE & 0x3c);
        assert_eq!(walk(&l, RAM_BASE), None);
    }

    #[test]
    fn separate_ram_stage2() {
        let l = Layout::new(RAM_BASE, 7 * GIB, CARVE).unwrap();
        assert_eq!(walk(&l, 0xf000_0000), Some(0xf000_0000));
        assert_eq!(walk(&l, SHARED + 0x0900_0000), Some(0x0900_0000));
        // The alias of RAM is RAM of its own: DMA to addr | BIT(32) lands
        // where the CPU's shared view is.
        assert_eq!(walk(&l, SHARED + 0x8abc_d000), Some(SHARED + 0x8abc_d000));
        assert_eq!(walk(&l, SHARED + 0xffff_f000), Some(0x1_ffff_f000));
        assert_eq!(walk(&l, SHARED + RAM_BASE), None);
    }

    #[test]
    fn protected_ram_is_mapped_by_granule() {
        for mem in [2 * GIB, 3 * GIB, 7 * GIB] {
            let l = Layout::new(RAM_BASE, mem, CARVE).unwrap();
            let (start, end) = l.protected_ram();
            with_stage2(l, |s| {
                for ipa in [start, start + 0x1234, 0x8abc_d000, end - GRANULE] {
                    assert_eq!(s.translate(ipa), Some((ipa, GRANULE)), "{ipa:#x}");
                }
                if end < SHARED {
                    assert_eq!(s.translate(end), None);
                }
                // A granule that is not RAM is unmapped, its neighbours
                // stay; back to RAM, it is mapped again.
                let g = 0x8abc_d000;
                for r in [Ripas::Empty, Ripas::Destroyed] {
                    s.set_ripas(g, r);
                    assert_eq!(s.translate(g + 8), None);
                    assert_eq!(s.translate(g - GRANULE), Some((g - GRANULE, GRANULE)));
                    assert_eq!(s.translate(g + GRANULE), Some((g + GRANULE, GRANULE)));
                    s.set_ripas(g, Ripas::Ram);
                    assert_eq!(s.translate(g + 8), Some((g + 8, GRANULE)));
                }
                // Without the strict view the alias stays whatever the RIPAS.
                let alias = s.translate(SHARED + g);
                assert!(alias.is_some());
                s.set_ripas(g, Ripas::Empty);
                assert_eq!(s.translate(SHARED + g), alias);
                assert_eq!(l.revealed(g, Ripas::Ram, Ripas::Empty), None);
            });
        }
    }

    #[test]
    fn strict_view_maps_the_alias_of_empty_granules_only() {
        for (mem, alias_pa) in [(3 * GIB, 0x8abc_d000), (7 * GIB, SHARED + 0x8abc_d000)] {
            let mut l = Layout::new(RAM_BASE, mem, CARVE).unwrap();
            l.strict = Strict::Poison;
            let g = 0x8abc_d000;
            with_stage2(l, |s| {
                // RAM: the alias of RAM is unmapped, MMIO's alias is not.
                assert_eq!(s.translate(SHARED + g), None);
                assert_eq!(s.translate(SHARED + 0x0900_0000), Some((0x0900_0000, GIB)));
                assert_eq!(s.translate(SHARED + CARVE - GRANULE), None);
                s.set_ripas(g, Ripas::Empty);
                assert_eq!(s.translate(g), None);
                assert_eq!(s.translate(SHARED + g + 4), Some((alias_pa + 4, GRANULE)));
                assert_eq!(s.translate(SHARED + g + GRANULE), None);
                s.set_ripas(g, Ripas::Destroyed);
                assert_eq!(s.translate(SHARED + g), None);
                s.set_ripas(g, Ripas::Ram);
                assert_eq!(s.translate(SHARED + g), None);
                assert_eq!(s.translate(g), Some((g, GRANULE)));
                // A conversion's first half: neither view.
                s.unmap(g);
                assert_eq!((s.translate(g), s.translate(SHARED + g)), (None, None));
                assert_eq!(s.translate(g + GRANULE), Some((g + GRANULE, GRANULE)));
            });
            // A conversion fills the view it reveals.
            assert_eq!(l.revealed(g, Ripas::Ram, Ripas::Empty), Some(alias_pa));
            assert_eq!(l.revealed(g, Ripas::Empty, Ripas::Ram), Some(g));
            assert_eq!(l.revealed(g, Ripas::Destroyed, Ripas::Ram), Some(g));
            assert_eq!(l.revealed(g, Ripas::Ram, Ripas::Destroyed), None);
            assert_eq!(l.revealed(g, Ripas::Ram, Ripas::Ram), None);
            assert_eq!(l.revealed(RAM_BASE, Ripas::Ram, Ripas::Empty), None);
        }
    }

    #[test]
    fn too_few_tables() {
        let mut l = Layout::new(RAM_BASE, 3 * GIB, CARVE).unwrap();
        let mut l1 = std::boxed::Box::new(Table::EMPTY);
        let mut l2 = std::boxed::Box::new([Table::EMPTY; L2_TABLES]);
        let mut l3 = std::vec![Table::EMPTY; RAM_BLOCKS];
        assert!(Stage2::new(l, &mut l1, &mut l2, &mut l3).is_some());
        l.strict = Strict::Zero;
        assert!(Stage2::new(l, &mut l1, &mut l2, &mut l3).is_none());
    }

    #[test]
    fn patches_the_memory_node() {
        let mut blob = Builder::new()
            .begin("")
            .prop_cells("#address-cells", &[2])
            .prop_cells("#size-cells", &[2])
            .begin("memory@40000000")
            .prop_str("device_type", "memory")
            .prop_cells("reg", &[0, 0x4000_0000, 0, 0x8000_0000])
            .end()
            .end()
            .finish();
        let f = Fdt::new(&blob).unwrap();
        let (off, base, size) = memory_reg(&f).unwrap();
        assert_eq!((base, size), (RAM_BASE, 2 * GIB));
        let l = Layout::new(base, size, CARVE).unwrap();
        blob[off..off + 16].copy_from_slice(&patched_reg(&l));
        let f = Fdt::new(&blob).unwrap();
        assert_eq!(
            memory_reg(&f).unwrap().1..memory_reg(&f).unwrap().2 + CARVE,
            CARVE..3 * GIB
        );

        let no_mem = Builder::new()
            .begin("")
            .prop_cells("#address-cells", &[2])
            .end()
            .finish();
        assert_eq!(
            memory_reg(&Fdt::new(&no_mem).unwrap()),
            Err(LayoutError::NoMemoryNode)
        );
        let one_cell = Builder::new()
            .begin("")
            .prop_cells("#address-cells", &[1])
            .prop_cells("#size-cells", &[1])
            .begin("memory")
            .prop_cells("reg", &[0x4000_0000, 0x1000_0000])
            .end()
            .end()
            .finish();
        assert_eq!(
            memory_reg(&Fdt::new(&one_cell).unwrap()),
            Err(LayoutError::NoMemoryNode)
        );
    }

    #[test]
    fn vtcr() {
        assert_eq!(VTCR_EL2 & 0x3f, 31);
        assert_eq!((VTCR_EL2 >> 6) & 3, 1);
        assert_eq!((VTCR_EL2 >> 16) & 7, 1);
    }
}
