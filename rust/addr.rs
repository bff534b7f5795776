// SPDX-License-Identifier: GPL-2.0

//! Physical and virtual address newtypes.
//!
//! Addresses are `u64` on every host so that the same arithmetic runs in the
//! kernel (where `phys_addr_t` and `unsigned long` are 64-bit on arm64) and in
//! host tests.

use core::fmt;
use core::ops::{
    Add,
    Sub, //
};

macro_rules! address_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw value.
            #[inline]
            pub const fn value(self) -> u64 {
                self.0
            }

            /// Whether the address is a multiple of `size` (a power of two).
            #[inline]
            pub const fn is_aligned(self, size: u64) -> bool {
                self.0 & (size - 1) == 0
            }

            /// Rounds down to a multiple of `size` (a power of two).
            #[inline]
            pub const fn align_down(self, size: u64) -> Self {
                Self(self.0 & !(size - 1))
            }

            /// Rounds up to a multiple of `size` (a power of two), or `None`
            /// on overflow.
            #[inline]
            pub const fn checked_align_up(self, size: u64) -> Option<Self> {
                match self.0.checked_add(size - 1) {
                    Some(v) => Some(Self(v & !(size - 1))),
                    None => None,
                }
            }

            /// `self + off`, or `None` on overflow.
            #[inline]
            pub const fn checked_add(self, off: u64) -> Option<Self> {
                match self.0.checked_add(off) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }
        }

        impl Add<u64> for $name {
            type Output = Self;
            fn add(self, off: u64) -> Self {
                Self(self.0 + off)
            }
        }

        impl Sub<u64> for $name {
            type Output = Self;
            fn sub(self, off: u64) -> Self {
                Self(self.0 - off)
            }
        }

        impl Sub for $name {
            type Output = u64;
            fn sub(self, other: Self) -> u64 {
                self.0 - other.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#018x}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#018x})", stringify!($name), self.0)
            }
        }
    };
}

address_type!(
    /// A physical (output) address, as `phys_addr_t`.
    PhysAddr
);
address_type!(
    /// A kernel virtual address, as `unsigned long`.
    VirtAddr
);

impl VirtAddr {
    /// The address without the tag KASAN (`SW_TAGS`, `HW_TAGS`) keeps in
    /// its top byte, which the MMU ignores (`TCR_EL1.TBI1`): bits 63:56
    /// copied from bit 55, as `__tag_reset()` / `untagged_addr()` do. The
    /// table indices never include those bits; range arithmetic must not.
    #[inline]
    pub const fn untagged(self) -> VirtAddr {
        VirtAddr((((self.0 << 8) as i64) >> 8) as u64)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn untagged() {
        // page_to_virt() under KASAN tags: 0xf0..0xfe in the top byte.
        let tagged = VirtAddr(0xf4ff_0000_4020_3000);
        assert_eq!(tagged.untagged(), VirtAddr(0xffff_0000_4020_3000));
        assert_eq!(
            VirtAddr(0xffff_0000_4020_3000).untagged().0,
            0xffff_0000_4020_3000
        );
        // A user (TTBR0) address stays a user address.
        assert_eq!(VirtAddr(0x0a00_0000_1000_0000).untagged().0, 0x1000_0000);
    }

    #[test]
    fn alignment() {
        let a = VirtAddr(0xffff_0000_0020_1000);
        assert!(a.is_aligned(0x1000));
        assert!(!a.is_aligned(0x20_0000));
        assert_eq!(a.align_down(0x20_0000), VirtAddr(0xffff_0000_0020_0000));
        assert_eq!(
            a.checked_align_up(0x20_0000),
            Some(VirtAddr(0xffff_0000_0040_0000))
        );
        assert_eq!(VirtAddr(u64::MAX - 5).checked_align_up(0x1000), None);
        assert_eq!(PhysAddr(u64::MAX).checked_add(1), None);
        assert_eq!(PhysAddr(0x4000_0000) - PhysAddr(0x1000), 0x3fff_f000);
    }

    #[test]
    fn formatting() {
        assert_eq!(format!("{}", PhysAddr(0x4000_0000)), "0x0000000040000000");
        assert_eq!(
            format!("{:?}", VirtAddr(0xfff0_0000_0000_0000)),
            "VirtAddr(0xfff0000000000000)"
        );
    }
}
