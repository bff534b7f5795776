// SPDX-License-Identifier: GPL-2.0

//! The Realm Services Interface (RMM specification 1.0, chapter B5) as the
//! emulator implements it: version negotiation, the realm configuration,
//! and the realm IPA state (RIPAS) of every 4 KiB granule of protected RAM.
//!
//! The host's side of RIPAS changes is the emulator's: a change inside
//! protected RAM is accepted, anything outside it is rejected (there is no
//! memory to back it). RIPAS is tracked, not enforced: stage 2 maps the
//! protected half whatever its RIPAS (see `Documentation/realm-emu.rst`).

use crate::options::Inject;

/// The function IDs.
pub mod fid {
    pub use crate::abi::{
        SMC_RSI_ABI_VERSION as VERSION,
        SMC_RSI_ATTESTATION_TOKEN_CONTINUE as ATTESTATION_TOKEN_CONTINUE,
        SMC_RSI_ATTESTATION_TOKEN_INIT as ATTESTATION_TOKEN_INIT,
        SMC_RSI_FEATURES as FEATURES,
        SMC_RSI_HOST_CALL as HOST_CALL,
        SMC_RSI_IPA_STATE_GET as IPA_STATE_GET,
        SMC_RSI_IPA_STATE_SET as IPA_STATE_SET,
        SMC_RSI_MEASUREMENT_EXTEND as MEASUREMENT_EXTEND,
        SMC_RSI_MEASUREMENT_READ as MEASUREMENT_READ,
        SMC_RSI_REALM_CONFIG as REALM_CONFIG, //
    };
}

pub use crate::abi::{
    RSI_ABI_VERSION as VERSION_1_0,
    RSI_ACCEPT as ACCEPT,
    RSI_ERROR_INPUT as ERROR_INPUT,
    RSI_ERROR_STATE as ERROR_STATE,
    RSI_ERROR_UNKNOWN as ERROR_UNKNOWN,
    RSI_GRANULE_SIZE as GRANULE,
    RSI_REJECT as REJECT,
    RSI_RIPAS_EMPTY as RIPAS_EMPTY,
    RSI_RIPAS_RAM as RIPAS_RAM,
    RSI_SUCCESS as SUCCESS, //
};

/// Where the emulator writes guest memory (`RSI_REALM_CONFIG`).
pub trait GuestMemory {
    /// Stores `val` at the protected IPA `ipa` (8-byte aligned).
    fn write_u64(&mut self, ipa: u64, val: u64);
}

/// Calls seen, for the report at shutdown and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `RSI_VERSION` calls.
    pub version: u64,
    /// `RSI_REALM_CONFIG` calls.
    pub config: u64,
    /// `RSI_IPA_STATE_SET` calls.
    pub set: u64,
    /// `RSI_IPA_STATE_SET` calls that changed a granule to EMPTY.
    pub set_empty: u64,
    /// `RSI_IPA_STATE_GET` calls.
    pub get: u64,
    /// Calls answered with an error status.
    pub errors: u64,
    /// Other RSI calls.
    pub other: u64,
}

/// The realm: its protected RAM and the RIPAS of each granule.
///
/// # Invariants
///
/// `ripas` has at least one bit per granule of `[ram_base, ram_top)`, both
/// granule aligned, and `ram_top <= 1 << (ipa_bits - 1)`.
pub struct Realm<'a> {
    ipa_bits: u32,
    ram_base: u64,
    ram_top: u64,
    /// One bit per granule of protected RAM: set for `RIPAS_RAM`.
    ripas: &'a mut [u64],
    inject: Inject,
    /// The calls seen so far.
    pub stats: Stats,
}

/// The results of one call: x0 to x3.
pub type Regs = [u64; 4];

impl<'a> Realm<'a> {
    /// A realm with protected RAM `[ram_base, ram_top)`, all of it RIPAS RAM
    /// (as the RMM leaves the memory the host populated before activation).
    /// `None` if the arguments break the type's invariants.
    pub fn new(
        ipa_bits: u32,
        ram_base: u64,
        ram_top: u64,
        ripas: &'a mut [u64],
        inject: Inject,
    ) -> Option<Self> {
        let granules = (ram_top.checked_sub(ram_base)? / GRANULE) as usize;
        if !(2..=48).contains(&ipa_bits)
            || ram_base % GRANULE != 0
            || ram_top % GRANULE != 0
            || ram_top <= ram_base
            || ram_top > 1 << (ipa_bits - 1)
            || ripas.len() * 64 < granules
        {
            return None;
        }
        ripas.fill(0);
        let mut r = Realm {
            ipa_bits,
            ram_base,
            ram_top,
            ripas,
            inject,
            stats: Stats::default(),
        };
        r.set_range(ram_base, ram_top, true);
        Some(r)
    }

    /// The size of the protected half of the IPA space.
    pub fn protected_top(&self) -> u64 {
        1 << (self.ipa_bits - 1)
    }

    fn in_ram(&self, ipa: u64) -> bool {
        (self.ram_base..self.ram_top).contains(&ipa)
    }

    /// The RIPAS of the granule at `ipa`.
    pub fn ripas(&self, ipa: u64) -> u64 {
        if !self.in_ram(ipa) {
            return RIPAS_EMPTY;
        }
        let g = ((ipa - self.ram_base) / GRANULE) as usize;
        (self.ripas[g / 64] >> (g % 64)) & 1
    }

    fn set_range(&mut self, base: u64, top: u64, ram: bool) {
        let mut g = ((base - self.ram_base) / GRANULE) as usize;
        let end = ((top - self.ram_base) / GRANULE) as usize;
        while g < end {
            if g % 64 == 0 && end - g >= 64 {
                self.ripas[g / 64] = if ram { u64::MAX } else { 0 };
                g += 64;
                continue;
            }
            if ram {
                self.ripas[g / 64] |= 1 << (g % 64);
            } else {
                self.ripas[g / 64] &= !(1 << (g % 64));
            }
            g += 1;
        }
    }

    fn aligned(x: u64) -> bool {
        x % GRANULE == 0
    }

    fn error(&mut self, status: u64) -> Regs {
        self.stats.errors += 1;
        [status, 0, 0, 0]
    }

    /// `RSI_VERSION(req)`: `[status, lower, higher]`.
    pub fn version(&mut self, req: u64) -> Regs {
        self.stats.version += 1;
        if self.inject == Inject::Version {
            self.stats.errors += 1;
            return [ERROR_INPUT, 0x2_0000, 0x2_0000, 0];
        }
        let status = if req == VERSION_1_0 {
            SUCCESS
        } else {
            self.stats.errors += 1;
            ERROR_INPUT
        };
        [status, VERSION_1_0, VERSION_1_0, 0]
    }

    /// `RSI_REALM_CONFIG(addr)`: writes `struct realm_config` (4 KiB).
    pub fn realm_config(&mut self, addr: u64, mem: &mut impl GuestMemory) -> Regs {
        self.stats.config += 1;
        if self.inject == Inject::Config
            || !Self::aligned(addr)
            || !self.in_ram(addr)
            || self.ripas(addr) != RIPAS_RAM
        {
            return self.error(ERROR_INPUT);
        }
        // ipa_bits, then hash_algo 0 (SHA-256, written as a whole u64 as
        // Linux declares it), then zeros: no auxiliary planes, the RPV zero.
        mem.write_u64(addr, u64::from(self.ipa_bits));
        let mut off = 8;
        while off < GRANULE {
            mem.write_u64(addr + off, 0);
            off += 8;
        }
        [SUCCESS, 0, 0, 0]
    }

    /// `RSI_IPA_STATE_SET(base, top, ripas, flags)`:
    /// `[status, new_base, response]`.
    pub fn ipa_state_set(&mut self, base: u64, top: u64, ripas: u64, flags: u64) -> Regs {
        self.stats.set += 1;
        if !Self::aligned(base)
            || !Self::aligned(top)
            || top <= base
            || top > self.protected_top()
            || ripas > RIPAS_RAM
            || flags > 1
        {
            return self.error(ERROR_INPUT);
        }
        if self.inject == Inject::Reject || !self.in_ram(base) {
            // The host declines: nothing changes.
            return [SUCCESS, base, REJECT, 0];
        }
        // Process up to the end of protected RAM; the guest calls again for
        // the rest, which is then rejected.
        let done = top.min(self.ram_top);
        self.set_range(base, done, ripas == RIPAS_RAM);
        if ripas == RIPAS_EMPTY {
            self.stats.set_empty += 1;
        }
        [SUCCESS, done, ACCEPT, 0]
    }

    /// `RSI_IPA_STATE_GET(base, end)`: `[status, top, ripas]`, where
    /// `[base, top)` is the longest run of one RIPAS, clipped to `end`.
    pub fn ipa_state_get(&mut self, base: u64, end: u64) -> Regs {
        self.stats.get += 1;
        if !Self::aligned(base) || !Self::aligned(end) || end <= base || end > self.protected_top()
        {
            return self.error(ERROR_INPUT);
        }
        let r = self.ripas(base);
        let limit = if self.in_ram(base) {
            end.min(self.ram_top)
        } else if base < self.ram_base {
            end.min(self.ram_base)
        } else {
            end
        };
        let mut top = base + GRANULE;
        if self.in_ram(base) {
            while top < limit {
                let g = ((top - self.ram_base) / GRANULE) as usize;
                let word = self.ripas[g / 64];
                let uniform = if r == RIPAS_RAM { u64::MAX } else { 0 };
                if g % 64 == 0 && word == uniform && limit - top >= 64 * GRANULE {
                    top += 64 * GRANULE;
                } else if (word >> (g % 64)) & 1 == r {
                    top += GRANULE;
                } else {
                    break;
                }
            }
        } else {
            top = limit;
        }
        [SUCCESS, top, r, 0]
    }

    /// The calls Linux 7.3 never makes at boot, with the specification's
    /// input checks; there are no measurements, no attestation and no host.
    pub fn other(&mut self, f: u32, x: &[u64; 8]) -> Regs {
        self.stats.other += 1;
        match f {
            // No optional features.
            fid::FEATURES => [SUCCESS, 0, 0, 0],
            // Nothing is measured: every REM and the RIM read as zero.
            fid::MEASUREMENT_READ if x[1] <= 4 => [SUCCESS, 0, 0, 0],
            fid::MEASUREMENT_EXTEND if (1..=4).contains(&x[1]) && x[2] <= 64 => {
                self.error(ERROR_UNKNOWN)
            }
            fid::MEASUREMENT_READ | fid::MEASUREMENT_EXTEND => self.error(ERROR_INPUT),
            // No attestation: INIT cannot start one, so CONTINUE has none.
            fid::ATTESTATION_TOKEN_INIT => self.error(ERROR_UNKNOWN),
            fid::ATTESTATION_TOKEN_CONTINUE => {
                if !Self::aligned(x[1]) || !self.in_ram(x[1]) || x[2] + x[3] > GRANULE {
                    self.error(ERROR_INPUT)
                } else {
                    self.error(ERROR_STATE)
                }
            }
            // The host has nothing to say; the call returns at once.
            fid::HOST_CALL => {
                if x[1] % 256 != 0 || !self.in_ram(x[1]) {
                    self.error(ERROR_INPUT)
                } else {
                    [SUCCESS, 0, 0, 0]
                }
            }
            _ => [crate::smccc::NOT_SUPPORTED, 0, 0, 0],
        }
    }

    /// Dispatches an RSI call with arguments `x` (x0 is the function ID).
    pub fn call(&mut self, x: &[u64; 8], mem: &mut impl GuestMemory) -> Regs {
        match crate::smccc::fid(x[0]) {
            fid::VERSION => self.version(x[1]),
            fid::REALM_CONFIG => self.realm_config(x[1], mem),
            fid::IPA_STATE_SET => self.ipa_state_set(x[1], x[2], x[3], x[4]),
            fid::IPA_STATE_GET => self.ipa_state_get(x[1], x[2]),
            f => self.other(f, x),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap;
    use std::vec;

    const BASE: u64 = 0x4100_0000;
    const TOP: u64 = 0x1_0000_0000;

    #[derive(Default)]
    struct Mem(BTreeMap<u64, u64>);
    impl GuestMemory for Mem {
        fn write_u64(&mut self, ipa: u64, val: u64) {
            self.0.insert(ipa, val);
        }
    }

    fn with_realm(inject: Inject, f: impl FnOnce(&mut Realm<'_>)) {
        let mut bits = vec![0u64; ((TOP - BASE) / GRANULE / 64 + 1) as usize];
        let mut r = Realm::new(33, BASE, TOP, &mut bits, inject).unwrap();
        f(&mut r);
    }

    #[test]
    fn construction_checks_its_invariants() {
        let mut small = [0u64; 1];
        assert!(Realm::new(33, BASE, BASE + 64 * GRANULE, &mut small, Inject::None).is_some());
        assert!(Realm::new(33, BASE, BASE + 65 * GRANULE, &mut small, Inject::None).is_none());
        assert!(Realm::new(33, BASE + 1, BASE + GRANULE, &mut small, Inject::None).is_none());
        assert!(Realm::new(33, BASE, BASE, &mut small, Inject::None).is_none());
        assert!(Realm::new(32, BASE, TOP, &mut small, Inject::None).is_none());
    }

    #[test]
    fn version_negotiation() {
        with_realm(Inject::None, |r| {
            assert_eq!(r.version(0x1_0000)[..3], [SUCCESS, 0x1_0000, 0x1_0000]);
            assert_eq!(r.version(0x1_0001)[..3], [ERROR_INPUT, 0x1_0000, 0x1_0000]);
            assert_eq!(r.version(0x2_0000)[0], ERROR_INPUT);
        });
        with_realm(Inject::Version, |r| {
            assert_eq!(r.version(0x1_0000)[..3], [ERROR_INPUT, 0x2_0000, 0x2_0000]);
        });
    }

    #[test]
    fn realm_config_writes_the_page() {
        with_realm(Inject::None, |r| {
            let mut m = Mem::default();
            assert_eq!(r.realm_config(BASE + 0x5000, &mut m)[0], SUCCESS);
            assert_eq!(m.0[&(BASE + 0x5000)], 33);
            assert_eq!(m.0[&(BASE + 0x5008)], 0);
            assert_eq!(m.0.len(), 512);
            let mut m = Mem::default();
            for bad in [BASE + 8, BASE - GRANULE, TOP, 0x900_0000] {
                assert_eq!(r.realm_config(bad, &mut m)[0], ERROR_INPUT, "{bad:#x}");
            }
            // Not into memory the guest made EMPTY.
            r.ipa_state_set(BASE, BASE + GRANULE, RIPAS_EMPTY, 1);
            assert_eq!(r.realm_config(BASE, &mut m)[0], ERROR_INPUT);
            assert!(m.0.is_empty());
        });
        with_realm(Inject::Config, |r| {
            let mut m = Mem::default();
            assert_eq!(r.realm_config(BASE, &mut m)[0], ERROR_INPUT);
            assert!(m.0.is_empty());
        });
    }

    #[test]
    fn ipa_state_set_input_errors() {
        with_realm(Inject::None, |r| {
            let g = GRANULE;
            for (base, top, ripas, flags) in [
                (BASE + 1, BASE + g, 0, 0),
                (BASE, BASE + g + 8, 0, 0),
                (BASE + g, BASE + g, 0, 0),
                (BASE + 2 * g, BASE + g, 0, 0),
                (BASE, BASE + g, 2, 0),
                (BASE, BASE + g, 3, 0),
                (BASE, BASE + g, 0, 2),
                (BASE, 0x2_0000_0000, 1, 0),
            ] {
                assert_eq!(
                    r.ipa_state_set(base, top, ripas, flags)[0],
                    ERROR_INPUT,
                    "{base:#x}-{top:#x} ripas {ripas} flags {flags}"
                );
            }
            assert_eq!(r.stats.errors, 8);
            // Nothing changed.
            assert_eq!(r.ipa_state_get(BASE, TOP)[..3], [SUCCESS, TOP, RIPAS_RAM]);
        });
    }

    #[test]
    fn ripas_runs_follow_set_calls() {
        with_realm(Inject::None, |r| {
            let g = GRANULE;
            let a = BASE + 100 * g;
            assert_eq!(
                r.ipa_state_set(a, a + 3 * g, RIPAS_EMPTY, 1)[..3],
                [SUCCESS, a + 3 * g, ACCEPT]
            );
            assert_eq!(r.ipa_state_get(BASE, TOP)[..3], [SUCCESS, a, RIPAS_RAM]);
            assert_eq!(
                r.ipa_state_get(a, TOP)[..3],
                [SUCCESS, a + 3 * g, RIPAS_EMPTY]
            );
            assert_eq!(
                r.ipa_state_get(a + g, a + 2 * g)[..3],
                [SUCCESS, a + 2 * g, RIPAS_EMPTY]
            );
            assert_eq!(
                r.ipa_state_get(a + 3 * g, TOP)[..3],
                [SUCCESS, TOP, RIPAS_RAM]
            );
            assert_eq!(r.ripas(a + 2 * g), RIPAS_EMPTY);
            assert_eq!(r.ripas(a + 3 * g), RIPAS_RAM);
            // Back to RAM.
            assert_eq!(r.ipa_state_set(a, a + 3 * g, RIPAS_RAM, 0)[2], ACCEPT);
            assert_eq!(r.ipa_state_get(BASE, TOP)[..3], [SUCCESS, TOP, RIPAS_RAM]);
            assert_eq!(r.stats.set_empty, 1);
        });
    }

    #[test]
    fn outside_protected_ram() {
        with_realm(Inject::None, |r| {
            // MMIO below RAM and the emulator's own memory read EMPTY, as runs
            // that stop where RAM starts.
            assert_eq!(
                r.ipa_state_get(0x900_0000, 0x900_1000)[..3],
                [SUCCESS, 0x900_1000, RIPAS_EMPTY]
            );
            assert_eq!(
                r.ipa_state_get(0x4000_0000, TOP)[..3],
                [SUCCESS, BASE, RIPAS_EMPTY]
            );
            // The host has no memory to back a change there.
            assert_eq!(
                r.ipa_state_set(0x900_0000, 0x900_1000, RIPAS_RAM, 0)[..3],
                [SUCCESS, 0x900_0000, REJECT]
            );
            // A range that runs out of RAM is done up to its end.
            let top = r.protected_top();
            assert_eq!(
                r.ipa_state_set(TOP - GRANULE, top, RIPAS_EMPTY, 0)[..3],
                [SUCCESS, TOP, ACCEPT]
            );
            assert_eq!(
                r.ipa_state_get(TOP - GRANULE, top)[..3],
                [SUCCESS, TOP, RIPAS_EMPTY]
            );
            assert_eq!(r.ipa_state_get(0, 0)[0], ERROR_INPUT);
            assert_eq!(r.ipa_state_get(0x1000, 0x800)[0], ERROR_INPUT);
            assert_eq!(r.ipa_state_get(0x1000, top + GRANULE)[0], ERROR_INPUT);
        });
        with_realm(Inject::Reject, |r| {
            assert_eq!(
                r.ipa_state_set(BASE, TOP, RIPAS_RAM, 0)[..3],
                [SUCCESS, BASE, REJECT]
            );
        });
    }

    #[test]
    fn calls_linux_does_not_make() {
        with_realm(Inject::None, |r| {
            let call = |r: &mut Realm<'_>, args: [u64; 4]| {
                let mut x = [0u64; 8];
                x[..4].copy_from_slice(&args);
                r.call(&x, &mut Mem::default())[0]
            };
            assert_eq!(call(r, [fid::FEATURES as u64, 0, 0, 0]), SUCCESS);
            assert_eq!(call(r, [fid::MEASUREMENT_READ as u64, 0, 0, 0]), SUCCESS);
            assert_eq!(
                call(r, [fid::MEASUREMENT_READ as u64, 5, 0, 0]),
                ERROR_INPUT
            );
            assert_eq!(
                call(r, [fid::MEASUREMENT_EXTEND as u64, 0, 8, 0]),
                ERROR_INPUT
            );
            assert_eq!(
                call(r, [fid::MEASUREMENT_EXTEND as u64, 1, 65, 0]),
                ERROR_INPUT
            );
            assert_eq!(
                call(r, [fid::ATTESTATION_TOKEN_INIT as u64, 0, 0, 0]),
                ERROR_UNKNOWN
            );
            assert_eq!(
                call(r, [fid::ATTESTATION_TOKEN_CONTINUE as u64, BASE, 0, 64]),
                ERROR_STATE
            );
            assert_eq!(
                call(r, [fid::ATTESTATION_TOKEN_CONTINUE as u64, BASE + 8, 0, 64]),
                ERROR_INPUT
            );
            assert_eq!(
                call(r, [fid::HOST_CALL as u64, BASE + 0x100, 0, 0]),
                SUCCESS
            );
            assert_eq!(
                call(r, [fid::HOST_CALL as u64, BASE + 0x10, 0, 0]),
                ERROR_INPUT
            );
            assert_eq!(call(r, [0xc400_019a, 0, 0, 0]), crate::smccc::NOT_SUPPORTED);
        });
    }
}
