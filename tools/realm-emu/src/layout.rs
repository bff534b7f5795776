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
//! - GiB 1..3 map protected RAM identity, except the emulator's own memory
//!   at the start of RAM (the carve-out), which is unmapped and hidden from
//!   the guest's device tree.
//! - GiB 4 maps the MMIO alias onto PA GiB 0, as Device memory.
//! - GiB 5..7, the shared alias of RAM, map in one of two ways:
//!   [`Sharing::SameRam`] onto the same RAM as the protected half (PA =
//!   IPA - 4 GiB): the CPU's two views share contents, which the GIC ITS
//!   needs (it is given protected addresses of tables the CPU wrote through
//!   the alias); [`Sharing::SeparateRam`] identity onto RAM of its own
//!   above 4 GiB (QEMU `-m 7G`): a device doing DMA to `addr | BIT(32)`
//!   sees what the CPU wrote through the alias and nothing of protected
//!   memory, as in real CCA, so DMA works only if sharing is done right.

use crate::fdt::{
    read_cells,
    Fdt, //
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
/// Stage-2 table descriptor type bits.
pub const S2_TABLE: u64 = 0x3;

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

    /// The stage-2 descriptor of a block of `size` (1 GiB or 2 MiB) at `ipa`.
    fn block(&self, ipa: u64, size: u64) -> u64 {
        let (ram_start, ram_end) = self.protected_ram();
        let in_carve = |off: u64| off < self.carve_top && off + size > RAM_BASE;
        if ipa < SHARED {
            if ipa < RAM_BASE && self.lenient {
                return ipa | S2_DEVICE;
            }
            if ipa < RAM_BASE || in_carve(ipa) || ipa < ram_start || ipa + size > ram_end {
                return 0;
            }
            return ipa | S2_NORMAL;
        }
        let off = ipa - SHARED;
        if in_carve(off) {
            return 0;
        }
        match self.shared_pa(ipa, size) {
            Some(pa) if off < RAM_BASE => pa | S2_DEVICE,
            Some(pa) => pa | S2_NORMAL,
            None => 0,
        }
    }

    /// Entry `i` of the level-1 table (8 entries of 1 GiB). GiB 1 and 5 are
    /// tables (`l2[0]` and `l2[1]`, see [`Layout::l2_entry`]), to leave the
    /// carve-out unmapped at 2 MiB granularity.
    pub fn l1_entry(&self, i: usize, l2: [u64; 2]) -> u64 {
        match i {
            1 => l2[0] | S2_TABLE,
            5 => l2[1] | S2_TABLE,
            _ => self.block(i as u64 * GIB, GIB),
        }
    }

    /// Entry `j` of level-2 table `which` (0: GiB 1, 1: GiB 5).
    pub fn l2_entry(&self, which: usize, j: usize) -> u64 {
        let gib = if which == 0 { 1 } else { 5 };
        self.block(gib * GIB + j as u64 * BLOCK_2M, BLOCK_2M)
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

    /// What stage 2 translates `ipa` to: the level-1 entry, or the
    /// level-2 entry for GiB 1 and 5, as the MMU would walk them.
    fn walk(l: &Layout, ipa: u64) -> Option<u64> {
        let i = (ipa / GIB) as usize;
        if i >= 8 {
            return None;
        }
        let (d, size) = match i {
            1 | 5 => (
                l.l2_entry(i / 5, ((ipa % GIB) / BLOCK_2M) as usize),
                BLOCK_2M,
            ),
            _ => (l.l1_entry(i, [0, 0]), GIB),
        };
        if d & 1 == 0 {
            return None;
        }
        Some((d & !0xfff & !(size - 1)) | (ipa & (size - 1)))
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
        assert_eq!(l.l1_entry(4, [0, 0]) & 0x3c, S2_DEVICE & 0x3c);
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
        assert_eq!(l.l1_entry(0, [0, 0]) & 0x3c, S2_DEVICE & 0x3c);
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
