// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the integration tests.

#![allow(dead_code)]

use linmap::desc::Format;
use linmap::geometry::{
    Geometry,
    Granule, //
};

/// A small deterministic generator (xorshift64*), so that a failing case is
/// reproducible from its printed seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Every geometry the 7.3 Kconfig offers, one per (granule, VA size), with
/// 52-bit PAs for 64K once.
pub(crate) fn all_formats() -> Vec<Format> {
    let mut v = Vec::new();
    for (g, va, pa52) in [
        (Granule::K4, 39, false),
        (Granule::K4, 48, false),
        (Granule::K4, 52, true),
        (Granule::K16, 36, false),
        (Granule::K16, 47, false),
        (Granule::K16, 48, false),
        (Granule::K16, 52, true),
        (Granule::K64, 42, false),
        (Granule::K64, 48, false),
        (Granule::K64, 52, true),
    ] {
        v.push(Format::new(Geometry::new(g, va, pa52).unwrap()));
    }
    v
}
