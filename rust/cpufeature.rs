// SPDX-License-Identifier: GPL-2.0

//! CPU feature fields that the linear map depends on.
//!
//! C header: [`arch/arm64/include/asm/cpufeature.h`](srctree/arch/arm64/include/asm/cpufeature.h),
//! field layout: [`arch/arm64/tools/sysreg`](srctree/arch/arm64/tools/sysreg).

use core::fmt;

/// Bit position of `ID_AA64MMFR2_EL1.BBM` (bits 55:52).
pub const ID_AA64MMFR2_EL1_BBM_SHIFT: u32 = 52;
/// Mask of `ID_AA64MMFR2_EL1.BBM` in place.
pub const ID_AA64MMFR2_EL1_BBM_MASK: u64 = 0xf << ID_AA64MMFR2_EL1_BBM_SHIFT;

/// The break-before-make level a CPU advertises in `ID_AA64MMFR2_EL1.BBM`.
///
/// Level 3 is what 7.3 calls BBML3 (`ARM64_HAS_BBML3`): a live block mapping
/// may be replaced by a table (or back) that maps the same output addresses
/// without break-before-make and without TLB conflict aborts. Level 2 allows
/// the same change but may raise a TLB conflict abort, which is why the kernel
/// only trusts it on an allow-list of CPUs (see `cpu_supports_bbml3()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BbmLevel(u8);

impl BbmLevel {
    /// `ID_AA64MMFR2_EL1_BBM_3`, the first level that is BBML3.
    pub const BBM_3: BbmLevel = BbmLevel(3);

    /// Decodes the field from a raw `ID_AA64MMFR2_EL1` value.
    pub const fn from_id_aa64mmfr2(mmfr2: u64) -> Self {
        // The mask keeps four bits, so the value always fits in a `u8`.
        BbmLevel(((mmfr2 & ID_AA64MMFR2_EL1_BBM_MASK) >> ID_AA64MMFR2_EL1_BBM_SHIFT) as u8)
    }

    /// The raw field value (0 to 15).
    pub const fn raw(self) -> u8 {
        self.0
    }

    /// Whether the field alone advertises BBML3 (`BBM >= BBM_3`).
    pub const fn is_bbml3(self) -> bool {
        self.0 >= Self::BBM_3.0
    }
}

impl fmt::Display for BbmLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#06b}", self.0)
    }
}

/// Mirrors the rule of 7.3's `cpu_supports_bbml3()` (host only: the kernel
/// runs the C, which reads the MIDR): the CPU has BBML3 if its
/// `ID_AA64MMFR2_EL1.BBM` says so, or if it is on the kernel's allow-list of
/// CPUs that implement it without advertising it (`midr_allowed`, which only
/// the kernel can evaluate).
#[cfg(not(kernel))]
pub const fn cpu_supports_bbml3(mmfr2: u64, midr_allowed: bool) -> bool {
    BbmLevel::from_id_aa64mmfr2(mmfr2).is_bbml3() || midr_allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbm_field_is_bits_55_to_52() {
        // Values as the 7.3 sysreg file lays the field out (UnsignedEnum 55:52 BBM).
        assert_eq!(BbmLevel::from_id_aa64mmfr2(0).raw(), 0);
        assert_eq!(BbmLevel::from_id_aa64mmfr2(0x0030_0000_0000_0000).raw(), 3);
        assert_eq!(BbmLevel::from_id_aa64mmfr2(0x0020_0000_0000_0000).raw(), 2);
        assert_eq!(BbmLevel::from_id_aa64mmfr2(0x00f0_0000_0000_0000).raw(), 15);
        // Neighbouring fields (EVT 59:56, TTL 51:48) must not leak in.
        assert_eq!(BbmLevel::from_id_aa64mmfr2(0x0f0f_ffff_ffff_ffff).raw(), 0);
        assert_eq!(BbmLevel::from_id_aa64mmfr2(0xff1f_0000_0000_0000).raw(), 1);
    }

    #[test]
    fn bbml3_threshold() {
        for raw in 0u64..16 {
            let mmfr2 = raw << ID_AA64MMFR2_EL1_BBM_SHIFT;
            assert_eq!(
                BbmLevel::from_id_aa64mmfr2(mmfr2).is_bbml3(),
                raw >= 3,
                "BBM={raw}"
            );
            assert_eq!(cpu_supports_bbml3(mmfr2, false), raw >= 3);
            assert!(cpu_supports_bbml3(mmfr2, true));
        }
    }

    #[test]
    fn display_is_binary_field() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{}", BbmLevel::from_id_aa64mmfr2(0)), "0b0000");
        assert_eq!(format!("{}", BbmLevel::BBM_3), "0b0011");
    }
}
