// SPDX-License-Identifier: GPL-2.0

//! Translation granule, VA size and the table geometry they imply.
//!
//! C header: [`asm/pgtable-hwdef.h`](srctree/arch/arm64/include/asm/pgtable-hwdef.h)
//!
//! Levels use the architecture's numbering: 3 is the last level (`PTE`), 2
//! is `PMD`, 1 `PUD`, 0 `P4D` and -1 the fifth level that 52-bit VAs with a
//! 4K granule add (`PGD`). Whatever the start level, the kernel calls the top
//! table `PGD`.

use core::fmt;

/// The translation granule (`PAGE_SIZE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granule {
    /// 4K pages (`CONFIG_ARM64_4K_PAGES`).
    K4,
    /// 16K pages (`CONFIG_ARM64_16K_PAGES`).
    K16,
    /// 64K pages (`CONFIG_ARM64_64K_PAGES`).
    K64,
}

impl Granule {
    /// All three granules.
    pub const ALL: [Granule; 3] = [Granule::K4, Granule::K16, Granule::K64];

    /// `PAGE_SHIFT`.
    #[inline]
    pub const fn page_shift(self) -> u32 {
        match self {
            Granule::K4 => 12,
            Granule::K16 => 14,
            Granule::K64 => 16,
        }
    }

    /// `CONFIG_ARM64_CONT_PTE_SHIFT`.
    #[inline]
    pub const fn cont_pte_shift(self) -> u32 {
        match self {
            Granule::K4 => 4,
            Granule::K16 => 7,
            Granule::K64 => 5,
        }
    }

    /// `CONFIG_ARM64_CONT_PMD_SHIFT`.
    #[inline]
    pub const fn cont_pmd_shift(self) -> u32 {
        match self {
            Granule::K4 => 4,
            Granule::K16 => 5,
            Granule::K64 => 5,
        }
    }
}

/// A translation level, in the architecture's numbering (-1 to 3).
///
/// The enum holds only levels that exist; which of them a given
/// configuration uses starts at [`Geometry::start_level`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i8)]
pub enum Level {
    /// The fifth level of 52-bit 4K configurations.
    Pgd5 = -1,
    /// `P4D`.
    P4d = 0,
    /// `PUD`.
    Pud = 1,
    /// `PMD`.
    Pmd = 2,
    /// The last level (`PTE`).
    Pte = 3,
}

impl Level {
    /// The architecture's number of this level (-1 to 3).
    #[inline(always)]
    pub const fn number(self) -> i8 {
        self as i8
    }

    /// The level numbered `n`, if there is one.
    #[inline]
    pub const fn from_number(n: i8) -> Option<Level> {
        Some(match n {
            -1 => Level::Pgd5,
            0 => Level::P4d,
            1 => Level::Pud,
            2 => Level::Pmd,
            3 => Level::Pte,
            _ => return None,
        })
    }

    /// The next (finer) level: that of the tables this level's table
    /// descriptors point to; `None` for the last level.
    #[inline(always)]
    pub const fn next(self) -> Option<Level> {
        Level::from_number(self as i8 + 1)
    }

    /// The previous (coarser) level; `None` for the first one.
    #[inline]
    pub const fn prev(self) -> Option<Level> {
        Level::from_number(self as i8 - 1)
    }

    /// Whether this is the last level.
    #[inline(always)]
    pub const fn is_last(self) -> bool {
        matches!(self, Level::Pte)
    }

    /// Whether the next level is the last one (the `PMD` level, where
    /// blocks hold pages).
    #[inline(always)]
    pub const fn is_above_last(self) -> bool {
        matches!(self, Level::Pmd)
    }
}

/// A granule and VA size that the 7.3 arm64 Kconfig allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryError {
    /// The VA size is not offered for this granule.
    UnsupportedVaBits,
}

/// The table geometry of one kernel configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    granule: Granule,
    va_bits: u32,
    pa_bits_52: bool,
    /// [`Geometry::levels`], derived once: every walk step asks for it.
    levels: u32,
}

impl Geometry {
    /// A geometry for `granule` and `va_bits` as 7.3's Kconfig offers them
    /// (`ARM64_VA_BITS_*`): 4K 39/48/52, 16K 36/47/48/52, 64K 42/48/52.
    /// 52-bit VAs with 4K or 16K pages use LPA2, which implies 52-bit PAs;
    /// with 64K pages `pa_bits_52` selects `ARM64_PA_BITS_52`.
    #[inline]
    pub const fn new(
        granule: Granule,
        va_bits: u32,
        pa_bits_52: bool,
    ) -> Result<Geometry, GeometryError> {
        let ok = match granule {
            Granule::K4 => matches!(va_bits, 39 | 48 | 52),
            Granule::K16 => matches!(va_bits, 36 | 47 | 48 | 52),
            Granule::K64 => matches!(va_bits, 42 | 48 | 52),
        };
        if !ok {
            return Err(GeometryError::UnsupportedVaBits);
        }
        let pa_bits_52 = match granule {
            Granule::K64 => pa_bits_52,
            _ => va_bits == 52,
        };
        // `levels` is `ARM64_HW_PGTABLE_LEVELS(va_bits)`.
        Ok(Geometry {
            granule,
            va_bits,
            pa_bits_52,
            levels: (va_bits - 4) / (granule.page_shift() - 3),
        })
    }

    /// The geometry the kernel's walkers see in `swapper_pg_dir`, from the
    /// compile-time `VA_BITS` and the run-time `vabits_actual`:
    ///
    /// - 4K and 16K pages with 52-bit VAs on a CPU without LPA2 fold a
    ///   level at run time (`pgd_to_folded_p4d()`, `p4d_to_folded_pud()`):
    ///   `swapper_pg_dir` is the top table of a 48-bit (4K) or 47-bit (16K)
    ///   geometry, which is what `vabits_actual` then says.
    /// - 64K pages with 52-bit VAs on a CPU without FEAT_LVA fold nothing:
    ///   the PGD keeps its `PTRS_PER_PGD` (1024) entries, indexed with
    ///   `VA_BITS`, and TTBR1 points `TTBR1_BADDR_4852_OFFSET` into it, so
    ///   the 48-bit kernel half starts at entry 960.
    ///
    /// # Errors
    ///
    /// [`GeometryError::UnsupportedVaBits`] as [`Geometry::new`], or when
    /// `vabits_actual` exceeds `va_bits`.
    #[inline]
    pub const fn for_kernel(
        granule: Granule,
        va_bits: u32,
        vabits_actual: u32,
        pa_bits_52: bool,
    ) -> Result<Geometry, GeometryError> {
        if vabits_actual > va_bits {
            return Err(GeometryError::UnsupportedVaBits);
        }
        let walked = match granule {
            Granule::K64 => va_bits,
            Granule::K4 | Granule::K16 => vabits_actual,
        };
        Geometry::new(granule, walked, pa_bits_52)
    }

    /// The granule.
    #[inline]
    pub const fn granule(&self) -> Granule {
        self.granule
    }

    /// `VA_BITS`.
    #[inline]
    pub const fn va_bits(&self) -> u32 {
        self.va_bits
    }

    /// Whether output addresses have 52 bits (`ARM64_PA_BITS_52`).
    #[inline]
    pub const fn pa_bits_52(&self) -> bool {
        self.pa_bits_52
    }

    /// Whether descriptors use the LPA2 format (52-bit with 4K or 16K pages):
    /// bits 9:8 hold `OA[51:50]` and the shareability field is gone
    /// (`PTE_MAYBE_SHARED` is 0).
    #[inline]
    pub const fn lpa2(&self) -> bool {
        self.pa_bits_52 && !matches!(self.granule, Granule::K64)
    }

    /// `PAGE_SHIFT`.
    #[inline]
    pub const fn page_shift(&self) -> u32 {
        self.granule.page_shift()
    }

    /// `PAGE_SIZE`.
    #[inline]
    pub const fn page_size(&self) -> u64 {
        1 << self.page_shift()
    }

    /// `PTDESC_TABLE_SHIFT`: index bits per table.
    #[inline]
    pub const fn table_shift(&self) -> u32 {
        self.page_shift() - 3
    }

    /// `CONFIG_PGTABLE_LEVELS` (`ARM64_HW_PGTABLE_LEVELS(VA_BITS)`).
    #[inline]
    pub const fn levels(&self) -> u32 {
        self.levels
    }

    /// The level of the top table (the kernel's `PGD`).
    #[inline]
    pub const fn start_level(&self) -> Level {
        match Level::from_number(4 - self.levels() as i8) {
            Some(l) => l,
            // INVARIANT: `new()` allows two to five levels only.
            None => Level::Pte,
        }
    }

    /// `ARM64_HW_PGTABLE_LEVEL_SHIFT(level)`: log2 of what one entry maps.
    #[inline]
    pub const fn level_shift(&self, level: Level) -> u32 {
        self.table_shift() * (3 - level.number()) as u32 + self.page_shift()
    }

    /// The bytes one entry at `level` maps (`PMD_SIZE`, `PUD_SIZE`, ...).
    #[inline]
    pub const fn entry_size(&self, level: Level) -> u64 {
        1 << self.level_shift(level)
    }

    /// Entries in a table at `level` (`PTRS_PER_PGD` for the top one).
    #[inline(always)]
    pub const fn entries(&self, level: Level) -> usize {
        if level as i8 == self.start_level() as i8 {
            1 << (self.va_bits - self.level_shift(level))
        } else {
            1 << self.table_shift()
        }
    }

    /// The index of `va` in its table at `level`.
    #[inline(always)]
    pub const fn index(&self, va: u64, level: Level) -> usize {
        ((va >> self.level_shift(level)) as usize) & (self.entries(level) - 1)
    }

    /// Whether the kernel puts block mappings at `level`: PMD always, PUD
    /// only with 4K pages (`pud_sect_supported()`).
    #[inline]
    pub const fn block_allowed(&self, level: Level) -> bool {
        match level {
            Level::Pmd => true,
            Level::Pud => matches!(self.granule, Granule::K4),
            _ => false,
        }
    }

    /// `CONT_PTES`.
    #[inline]
    pub const fn cont_ptes(&self) -> usize {
        1 << self.granule.cont_pte_shift()
    }

    /// `CONT_PMDS`.
    #[inline]
    pub const fn cont_pmds(&self) -> usize {
        1 << self.granule.cont_pmd_shift()
    }

    /// Entries in a contiguous group at `level` (1 where there is none).
    #[inline]
    pub const fn cont_entries(&self, level: Level) -> usize {
        match level {
            Level::Pte => self.cont_ptes(),
            Level::Pmd => self.cont_pmds(),
            _ => 1,
        }
    }

    /// `CONT_PTE_SIZE` / `CONT_PMD_SIZE`.
    #[inline]
    pub const fn cont_size(&self, level: Level) -> u64 {
        self.entry_size(level) * self.cont_entries(level) as u64
    }

    /// `_PAGE_OFFSET(VA_BITS)`: the start of the linear map.
    #[inline]
    pub const fn page_offset(&self) -> u64 {
        (1u64 << self.va_bits).wrapping_neg()
    }

    /// `_PAGE_END(VA_BITS_MIN)`: the end of the linear map, where the
    /// kernel's ptdump puts its "Linear Mapping end" marker. `VA_BITS_MIN`
    /// is 48 when `VA_BITS` is 52 (47 with 16K pages).
    #[inline]
    pub const fn page_end(&self) -> u64 {
        let min = match (self.va_bits, self.granule) {
            (52, Granule::K16) => 47,
            (52, _) => 48,
            (va, _) => va,
        };
        (1u64 << (min - 1)).wrapping_neg()
    }

    /// The name the kernel's ptdump gives a level: the top table is `PGD`
    /// when the `P4D` or `PUD` level is folded into it; a folded `PMD`
    /// (two-level configurations) keeps its name.
    #[inline]
    pub const fn level_name(&self, level: Level) -> &'static str {
        if level as i8 == self.start_level() as i8 && level as i8 <= 1 {
            return "PGD";
        }
        match level {
            Level::P4d => "P4D",
            Level::Pud => "PUD",
            Level::Pmd => "PMD",
            Level::Pte => "PTE",
            Level::Pgd5 => "PGD",
        }
    }
}

impl fmt::Display for Geometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = match self.granule {
            Granule::K4 => "4K",
            Granule::K16 => "16K",
            Granule::K64 => "64K",
        };
        write!(
            f,
            "{g} pages, {}-bit VA, {}-bit PA, {} levels",
            self.va_bits,
            if self.pa_bits_52 { 52 } else { 48 },
            self.levels()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(granule: Granule, va: u32) -> Geometry {
        Geometry::new(granule, va, false).unwrap()
    }

    #[test]
    fn levels_are_the_architecture_s_and_nothing_else() {
        let all = [Level::Pgd5, Level::P4d, Level::Pud, Level::Pmd, Level::Pte];
        for (i, l) in all.iter().enumerate() {
            assert_eq!(l.number(), i as i8 - 1);
            assert_eq!(Level::from_number(l.number()), Some(*l));
            assert_eq!(l.next(), all.get(i + 1).copied());
            assert_eq!(l.prev(), i.checked_sub(1).map(|p| all[p]));
            assert_eq!(l.is_last(), i == 4);
            assert_eq!(l.is_above_last(), i == 3);
        }
        assert_eq!(Level::from_number(-2), None);
        assert_eq!(Level::from_number(4), None);
        // The start level of every configuration is one of them, and the
        // levels below it reach the last one.
        for (gr, va) in [
            (Granule::K4, 52),
            (Granule::K4, 39),
            (Granule::K16, 36),
            (Granule::K64, 42),
        ] {
            let geo = g(gr, va);
            let mut l = geo.start_level();
            let mut n = 1;
            while let Some(next) = l.next() {
                l = next;
                n += 1;
            }
            assert_eq!(n, geo.levels());
        }
    }

    #[test]
    fn kconfig_combinations() {
        for (gr, ok) in [
            (Granule::K4, &[39u32, 48, 52][..]),
            (Granule::K16, &[36, 47, 48, 52][..]),
            (Granule::K64, &[42, 48, 52][..]),
        ] {
            for va in 30..=56 {
                assert_eq!(
                    Geometry::new(gr, va, false).is_ok(),
                    ok.contains(&va),
                    "{gr:?} {va}"
                );
            }
        }
    }

    #[test]
    fn levels_match_arm64_hw_pgtable_levels() {
        // CONFIG_PGTABLE_LEVELS for each allowed combination (arch/arm64/Kconfig).
        assert_eq!(g(Granule::K4, 39).levels(), 3);
        assert_eq!(g(Granule::K4, 48).levels(), 4);
        assert_eq!(g(Granule::K4, 52).levels(), 5);
        assert_eq!(g(Granule::K16, 36).levels(), 2);
        assert_eq!(g(Granule::K16, 47).levels(), 3);
        assert_eq!(g(Granule::K16, 48).levels(), 4);
        assert_eq!(g(Granule::K16, 52).levels(), 4);
        assert_eq!(g(Granule::K64, 42).levels(), 2);
        assert_eq!(g(Granule::K64, 48).levels(), 3);
        assert_eq!(g(Granule::K64, 52).levels(), 3);
        assert_eq!(g(Granule::K4, 52).start_level(), Level::Pgd5);
    }

    #[test]
    fn sizes_match_pgtable_hwdef() {
        let k4 = g(Granule::K4, 48);
        assert_eq!(k4.entry_size(Level::Pte), 4 << 10);
        assert_eq!(k4.entry_size(Level::Pmd), 2 << 20);
        assert_eq!(k4.entry_size(Level::Pud), 1 << 30);
        assert_eq!(k4.entry_size(Level::P4d), 512 << 30);
        assert_eq!(k4.entries(Level::P4d), 512);
        assert_eq!((k4.cont_ptes(), k4.cont_pmds()), (16, 16));
        assert_eq!(k4.cont_size(Level::Pte), 64 << 10);
        assert_eq!(k4.cont_size(Level::Pmd), 32 << 20);
        let k16 = g(Granule::K16, 48);
        assert_eq!(k16.entry_size(Level::Pmd), 32 << 20);
        assert_eq!(k16.entry_size(Level::Pud), 64 << 30);
        assert_eq!(k16.entries(Level::P4d), 2);
        assert_eq!((k16.cont_ptes(), k16.cont_pmds()), (128, 32));
        assert_eq!(k16.cont_size(Level::Pte), 2 << 20);
        assert_eq!(k16.cont_size(Level::Pmd), 1 << 30);
        let k64 = g(Granule::K64, 48);
        assert_eq!(k64.entry_size(Level::Pmd), 512 << 20);
        assert_eq!(k64.entries(Level::Pud), 64);
        assert_eq!((k64.cont_ptes(), k64.cont_pmds()), (32, 32));
        assert_eq!(k64.cont_size(Level::Pte), 2 << 20);
        assert_eq!(k64.cont_size(Level::Pmd), 16 << 30);
        assert!(k4.block_allowed(Level::Pud) && !k16.block_allowed(Level::Pud));
        assert!(!k64.block_allowed(Level::Pud) && k64.block_allowed(Level::Pmd));
    }

    #[test]
    fn linear_map_bounds() {
        assert_eq!(g(Granule::K4, 48).page_offset(), 0xffff_0000_0000_0000);
        assert_eq!(g(Granule::K4, 48).page_end(), 0xffff_8000_0000_0000);
        assert_eq!(g(Granule::K4, 52).page_offset(), 0xfff0_0000_0000_0000);
        assert_eq!(g(Granule::K4, 52).page_end(), 0xffff_8000_0000_0000);
        assert_eq!(g(Granule::K4, 39).page_offset(), 0xffff_ff80_0000_0000);
        // VA_BITS_MIN is 47 with 16K pages and 52-bit VAs.
        assert_eq!(g(Granule::K16, 52).page_end(), 0xffff_c000_0000_0000);
        assert_eq!(g(Granule::K64, 52).page_end(), 0xffff_8000_0000_0000);
    }

    #[test]
    fn level_names_follow_ptdump_folding() {
        let five = g(Granule::K4, 52);
        assert_eq!(five.level_name(Level::Pgd5), "PGD");
        assert_eq!(five.level_name(Level::P4d), "P4D");
        let four = g(Granule::K4, 48);
        assert_eq!(four.level_name(Level::P4d), "PGD");
        assert_eq!(four.level_name(Level::Pud), "PUD");
        let three = g(Granule::K4, 39);
        assert_eq!(three.level_name(Level::Pud), "PGD");
        let two = g(Granule::K64, 42);
        assert_eq!(two.level_name(Level::Pmd), "PMD");
        assert_eq!(two.level_name(Level::Pte), "PTE");
    }

    #[test]
    fn kernel_geometry_follows_the_walkers() {
        // 64K/52 on a CPU without FEAT_LVA: the 1024-entry PGD, the 48-bit
        // kernel half from entry 960 (TTBR1_BADDR_4852_OFFSET / 8).
        let k64 = Geometry::for_kernel(Granule::K64, 52, 48, true).unwrap();
        let top = k64.start_level();
        assert_eq!((k64.levels(), k64.entries(top)), (3, 1024));
        assert_eq!(k64.index(0xffff_0000_0000_0000, top), 960);
        assert_eq!(k64.index(0xffff_ffff_ffff_0000, top), 1023);
        assert!(k64.pa_bits_52());
        // ... and with FEAT_LVA, the same tables.
        assert_eq!(Geometry::for_kernel(Granule::K64, 52, 52, true), Ok(k64));
        // 4K/52 and 16K/52 without LPA2 fold a level at run time.
        let k4 = Geometry::for_kernel(Granule::K4, 52, 48, false).unwrap();
        assert_eq!(k4, g(Granule::K4, 48));
        assert_eq!(k4.index(0xffff_0000_0000_0000, k4.start_level()), 0);
        let k16 = Geometry::for_kernel(Granule::K16, 52, 47, false).unwrap();
        assert_eq!(k16, g(Granule::K16, 47));
        // Every other configuration: VA_BITS == vabits_actual.
        for (gr, va) in [
            (Granule::K4, 39),
            (Granule::K4, 48),
            (Granule::K16, 36),
            (Granule::K16, 47),
            (Granule::K64, 42),
            (Granule::K64, 48),
        ] {
            assert_eq!(Geometry::for_kernel(gr, va, va, false), Ok(g(gr, va)));
        }
        assert!(Geometry::for_kernel(Granule::K4, 48, 52, false).is_err());
    }

    #[test]
    fn index_uses_top_table_width() {
        let k16 = g(Granule::K16, 48);
        // The 16K/48-bit PGD has two entries, selected by VA bit 47.
        assert_eq!(k16.index(0xffff_8000_0000_0000, Level::P4d), 1);
        assert_eq!(k16.index(0xffff_0000_0000_0000, Level::P4d), 0);
        let k4 = g(Granule::K4, 48);
        assert_eq!(k4.index(0xffff_0000_4020_3000, Level::Pte), 3);
        assert_eq!(k4.index(0xffff_0000_4020_3000, Level::Pmd), 1);
        assert_eq!(k4.index(0xffff_0000_4020_3000, Level::Pud), 1);
    }
}
