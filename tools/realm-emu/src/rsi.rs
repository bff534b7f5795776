// SPDX-License-Identifier: GPL-2.0

//! The Realm Services Interface (RMM specification 1.0, chapter B5) as the
//! emulator implements it: version negotiation, the realm configuration,
//! and the realm IPA state (RIPAS) of every 4 KiB granule of protected RAM.
//!
//! The host's side of RIPAS changes is the emulator's, and answers as
//! TF-RMM and a host do: one `RSI_IPA_STATE_SET` exit changes at most one
//! level-3 table's worth (up to the next 2 MiB boundary) and reports that
//! progress; a host that declines a RAM request answers `REJECT`, one that
//! declines an EMPTY request makes no progress (`ACCEPT`, `top == base`);
//! RAM requests without `RSI_CHANGE_DESTROYED` stop at a DESTROYED
//! granule. Each change goes to the [`Host`], which maps or unmaps the
//! granule at stage 2 (see `Documentation/realm-emu.rst`).

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
    RSI_CHANGE_DESTROYED as CHANGE_DESTROYED,
    RSI_ERROR_INPUT as ERROR_INPUT,
    RSI_ERROR_STATE as ERROR_STATE,
    RSI_ERROR_UNKNOWN as ERROR_UNKNOWN,
    RSI_GRANULE_SIZE as GRANULE,
    RSI_REJECT as REJECT,
    RSI_RIPAS_DESTROYED as RIPAS_DESTROYED,
    RSI_RIPAS_EMPTY as RIPAS_EMPTY,
    RSI_RIPAS_RAM as RIPAS_RAM,
    RSI_SUCCESS as SUCCESS, //
};

/// What one host exit of `RSI_IPA_STATE_SET` covers at most, and where
/// `RSI_IPA_STATE_GET` stops inside protected RAM: one level-3 table.
pub const RTT_L3_SPAN: u64 = 2 << 20;
/// Where `RSI_IPA_STATE_GET` stops outside protected RAM: one level-2
/// table of unassigned entries.
pub const RTT_L2_SPAN: u64 = 1 << 30;

/// The `imm` (16 bits) of the emulator's test-only host call
/// (`RSI_HOST_CALL`) that destroys the granule at `gprs[0]`, when
/// `realm_emu.host_destroy=1`.
pub const HOST_CALL_DESTROY: u64 = 0x6c6d;

/// A granule's RIPAS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ripas {
    /// `RSI_RIPAS_EMPTY`: not protected memory; an access faults.
    Empty,
    /// `RSI_RIPAS_RAM`: protected memory.
    Ram,
    /// `RSI_RIPAS_DESTROYED`: protected memory the host destroyed; an
    /// access faults, a RAM request stops there without
    /// `RSI_CHANGE_DESTROYED`.
    Destroyed,
}

impl Ripas {
    /// The value the RSI returns.
    pub fn value(self) -> u64 {
        match self {
            Ripas::Empty => RIPAS_EMPTY,
            Ripas::Ram => RIPAS_RAM,
            Ripas::Destroyed => RIPAS_DESTROYED,
        }
    }
}

/// The host's side of the realm: guest memory and stage 2.
pub trait Host {
    /// Stores `val` at the protected IPA `ipa` (8-byte aligned).
    fn write_u64(&mut self, ipa: u64, val: u64);
    /// Reads the u64 at the protected IPA `ipa` (8-byte aligned).
    fn read_u64(&mut self, ipa: u64) -> u64;
    /// The granule at the protected IPA `ipa` went from `from` to `to`:
    /// map it at stage 2 when it is RAM, unmap it otherwise.
    fn ripas_changed(&mut self, ipa: u64, from: Ripas, to: Ripas);
    /// After the changes of one call: the stage-2 TLB invalidation.
    fn sync(&mut self);
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
    /// `RSI_IPA_STATE_SET` calls answered with progress short of `top`.
    pub partial: u64,
    /// `RSI_IPA_STATE_SET` calls answered with no progress (`ACCEPT`,
    /// `top == base`).
    pub no_progress: u64,
    /// `RSI_IPA_STATE_SET` calls answered `REJECT`.
    pub rejected: u64,
    /// `RSI_IPA_STATE_GET` calls.
    pub get: u64,
    /// Granules destroyed.
    pub destroyed: u64,
    /// Calls answered with an error status.
    pub errors: u64,
    /// Other RSI calls.
    pub other: u64,
}

/// The realm: its protected RAM and the RIPAS of each granule.
///
/// # Invariants
///
/// `ram` and `destroyed` have at least one bit per granule of `[ram_base,
/// ram_top)`, both granule aligned, and `ram_top <= 1 << (ipa_bits - 1)`.
/// No granule has both bits set.
pub struct Realm<'a> {
    ipa_bits: u32,
    ram_base: u64,
    ram_top: u64,
    /// One bit per granule of protected RAM: set for RAM.
    ram: &'a mut [u64],
    /// One bit per granule of protected RAM: set for DESTROYED.
    destroyed: &'a mut [u64],
    inject: Inject,
    /// The state of `Inject::Partial`'s generator (xorshift64).
    rng: u64,
    /// The calls seen so far.
    pub stats: Stats,
}

/// The results of one call: x0 to x3.
pub type Regs = [u64; 4];

fn bit(bits: &[u64], g: usize) -> bool {
    (bits[g / 64] >> (g % 64)) & 1 != 0
}

fn set_bit(bits: &mut [u64], g: usize, on: bool) {
    if on {
        bits[g / 64] |= 1 << (g % 64);
    } else {
        bits[g / 64] &= !(1 << (g % 64));
    }
}

impl<'a> Realm<'a> {
    /// A realm with protected RAM `[ram_base, ram_top)`, all of it RIPAS RAM
    /// (as the RMM leaves the memory the host populated before activation).
    /// `None` if the arguments break the type's invariants.
    pub fn new(
        ipa_bits: u32,
        ram_base: u64,
        ram_top: u64,
        ram: &'a mut [u64],
        destroyed: &'a mut [u64],
        inject: Inject,
    ) -> Option<Self> {
        let granules = (ram_top.checked_sub(ram_base)? / GRANULE) as usize;
        if !(2..=48).contains(&ipa_bits)
            || ram_base % GRANULE != 0
            || ram_top % GRANULE != 0
            || ram_top <= ram_base
            || ram_top > 1 << (ipa_bits - 1)
            || ram.len() * 64 < granules
            || destroyed.len() * 64 < granules
        {
            return None;
        }
        ram.fill(0);
        destroyed.fill(0);
        for g in 0..granules {
            set_bit(ram, g, true);
        }
        Some(Realm {
            ipa_bits,
            ram_base,
            ram_top,
            ram,
            destroyed,
            inject,
            rng: 0x9e37_79b9_7f4a_7c15,
            stats: Stats::default(),
        })
    }

    /// The size of the protected half of the IPA space.
    pub fn protected_top(&self) -> u64 {
        1 << (self.ipa_bits - 1)
    }

    /// Whether `ipa` is protected RAM (whatever its RIPAS).
    pub fn in_ram(&self, ipa: u64) -> bool {
        (self.ram_base..self.ram_top).contains(&ipa)
    }

    fn granule(&self, ipa: u64) -> usize {
        ((ipa - self.ram_base) / GRANULE) as usize
    }

    /// The RIPAS of the granule at `ipa`.
    pub fn ripas(&self, ipa: u64) -> Ripas {
        if !self.in_ram(ipa) {
            return Ripas::Empty;
        }
        let g = self.granule(ipa);
        if bit(self.ram, g) {
            Ripas::Ram
        } else if bit(self.destroyed, g) {
            Ripas::Destroyed
        } else {
            Ripas::Empty
        }
    }

    /// Changes the granule at `ipa` from `from` (its RIPAS) to `to`.
    fn set(&mut self, ipa: u64, from: Ripas, to: Ripas, host: &mut impl Host) {
        let g = self.granule(ipa);
        set_bit(self.ram, g, to == Ripas::Ram);
        set_bit(self.destroyed, g, to == Ripas::Destroyed);
        host.ripas_changed(ipa, from, to);
    }

    /// The host destroys the granule at `ipa` (`RMI_DATA_DESTROY`): RAM
    /// becomes DESTROYED; EMPTY stays EMPTY. Whether anything changed.
    pub fn destroy(&mut self, ipa: u64, host: &mut impl Host) -> bool {
        let ipa = ipa & !(GRANULE - 1);
        if self.ripas(ipa) != Ripas::Ram {
            return false;
        }
        self.set(ipa, Ripas::Ram, Ripas::Destroyed, host);
        host.sync();
        self.stats.destroyed += 1;
        true
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
    pub fn realm_config(&mut self, addr: u64, mem: &mut impl Host) -> Regs {
        self.stats.config += 1;
        if self.inject == Inject::Config
            || !Self::aligned(addr)
            || !self.in_ram(addr)
            || self.ripas(addr) != Ripas::Ram
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

    /// A number in `1..=n` from `Inject::Partial`'s generator.
    fn random_up_to(&mut self, n: u64) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        1 + x % n
    }

    /// `RSI_IPA_STATE_SET(base, top, ripas, flags)`:
    /// `[status, new_base, response]`. One host exit: at most up to the
    /// next 2 MiB boundary.
    pub fn ipa_state_set(
        &mut self,
        base: u64,
        top: u64,
        ripas: u64,
        flags: u64,
        host: &mut impl Host,
    ) -> Regs {
        self.stats.set += 1;
        // TF-RMM tests only flags == CHANGE_DESTROYED; other bits are
        // ignored, not refused.
        let to = match ripas {
            RIPAS_EMPTY => Ripas::Empty,
            RIPAS_RAM => Ripas::Ram,
            _ => return self.error(ERROR_INPUT),
        };
        if !Self::aligned(base) || !Self::aligned(top) || top <= base || top > self.protected_top()
        {
            return self.error(ERROR_INPUT);
        }
        let mut end = top.min((base / RTT_L3_SPAN + 1) * RTT_L3_SPAN);
        let refused = match self.inject {
            Inject::Reject => true,
            Inject::NoProgress => to == Ripas::Empty,
            _ => false,
        };
        if !self.in_ram(base) {
            // Nothing backs a RAM request here; EMPTY is what it is.
            if to == Ripas::Ram || refused {
                return self.answer(base, base, top, to);
            }
            if base < self.ram_base {
                end = end.min(self.ram_base);
            }
            return self.answer(base, end, top, to);
        }
        if refused {
            return self.answer(base, base, top, to);
        }
        end = end.min(self.ram_top);
        if self.inject == Inject::Partial {
            let n = (end - base) / GRANULE;
            end = base + self.random_up_to(n) * GRANULE;
        }
        let mut ipa = base;
        let mut changed = false;
        while ipa < end {
            let from = self.ripas(ipa);
            // TF-RMM's update_ripas(): a DESTROYED granule changes only
            // with CHANGE_DESTROYED, to RAM or to EMPTY.
            if from == Ripas::Destroyed && flags != CHANGE_DESTROYED {
                break;
            }
            if from != to {
                self.set(ipa, from, to, host);
                changed = true;
            }
            ipa += GRANULE;
        }
        if changed {
            host.sync();
            if to == Ripas::Empty {
                self.stats.set_empty += 1;
            }
        }
        self.answer(base, ipa, top, to)
    }

    /// The answer to a request for `[base, top)` that got to `done`: a RAM
    /// request with no progress was declined (`REJECT`); anything else is
    /// `ACCEPT` with the progress made.
    fn answer(&mut self, base: u64, done: u64, top: u64, to: Ripas) -> Regs {
        if done == base && to == Ripas::Ram {
            self.stats.rejected += 1;
            return [SUCCESS, base, REJECT, 0];
        }
        if done == base {
            self.stats.no_progress += 1;
        } else if done < top {
            self.stats.partial += 1;
        }
        [SUCCESS, done, ACCEPT, 0]
    }

    /// `RSI_IPA_STATE_GET(base, end)`: `[status, top, ripas]`, where
    /// `[base, top)` is a run of one RIPAS, clipped to `end` and, as
    /// TF-RMM walks one table, to the next 2 MiB boundary in protected RAM
    /// (1 GiB outside it).
    pub fn ipa_state_get(&mut self, base: u64, end: u64) -> Regs {
        self.stats.get += 1;
        if !Self::aligned(base) || !Self::aligned(end) || end <= base || end > self.protected_top()
        {
            return self.error(ERROR_INPUT);
        }
        let r = self.ripas(base);
        if !self.in_ram(base) {
            let mut limit = end.min((base / RTT_L2_SPAN + 1) * RTT_L2_SPAN);
            if base < self.ram_base {
                limit = limit.min(self.ram_base);
            }
            return [SUCCESS, limit, r.value(), 0];
        }
        let limit = end
            .min(self.ram_top)
            .min((base / RTT_L3_SPAN + 1) * RTT_L3_SPAN);
        let mut top = base + GRANULE;
        while top < limit && self.ripas(top) == r {
            top += GRANULE;
        }
        [SUCCESS, top, r.value(), 0]
    }

    /// The calls Linux 7.3 never makes at boot, with the specification's
    /// input checks; there are no measurements and no attestation.
    /// `RSI_HOST_CALL` returns at once, except the test-only destroy call
    /// when `host_destroy` is on.
    pub fn other(
        &mut self,
        f: u32,
        x: &[u64; 8],
        host_destroy: bool,
        host: &mut impl Host,
    ) -> Regs {
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
                if !Self::aligned(x[1])
                    || !self.in_ram(x[1])
                    || x[2] >= GRANULE
                    || x[2].checked_add(x[3]).is_none_or(|e| e > GRANULE)
                {
                    self.error(ERROR_INPUT)
                } else {
                    self.error(ERROR_STATE)
                }
            }
            fid::HOST_CALL => {
                if x[1] % 256 != 0 || !self.in_ram(x[1]) || self.ripas(x[1]) != Ripas::Ram {
                    return self.error(ERROR_INPUT);
                }
                // struct rsi_host_call: imm at 0, gprs[31] from 8.
                if host_destroy && host.read_u64(x[1]) & 0xffff == HOST_CALL_DESTROY {
                    let ipa = host.read_u64(x[1] + 8);
                    let done = self.in_ram(ipa) && self.destroy(ipa, host);
                    host.write_u64(x[1] + 8, u64::from(done));
                }
                [SUCCESS, 0, 0, 0]
            }
            _ => [crate::smccc::NOT_SUPPORTED, 0, 0, 0],
        }
    }

    /// Dispatches an RSI call with arguments `x` (x0 is the function ID).
    pub fn call(&mut self, x: &[u64; 8], host_destroy: bool, host: &mut impl Host) -> Regs {
        match crate::smccc::fid(x[0]) {
            fid::VERSION => self.version(x[1]),
            fid::REALM_CONFIG => self.realm_config(x[1], host),
            fid::IPA_STATE_SET => self.ipa_state_set(x[1], x[2], x[3], x[4], host),
            fid::IPA_STATE_GET => self.ipa_state_get(x[1], x[2]),
            f => self.other(f, x, host_destroy, host),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::{
        BTreeMap,
        BTreeSet, //
    };
    use std::vec;

    const BASE: u64 = 0x4100_0000;
    const TOP: u64 = 0x1_0000_0000;
    const G: u64 = GRANULE;

    /// Guest memory and stage 2 as a model: the granules unmapped, the
    /// changes not yet followed by a TLB invalidation.
    #[derive(Default)]
    struct Mem {
        words: BTreeMap<u64, u64>,
        unmapped: BTreeSet<u64>,
        unsynced: usize,
        changes: usize,
    }

    impl Host for Mem {
        fn write_u64(&mut self, ipa: u64, val: u64) {
            self.words.insert(ipa, val);
        }
        fn read_u64(&mut self, ipa: u64) -> u64 {
            self.words.get(&ipa).copied().unwrap_or(0)
        }
        fn ripas_changed(&mut self, ipa: u64, from: Ripas, to: Ripas) {
            assert_ne!(from, to);
            assert_eq!(self.unmapped.contains(&ipa), from != Ripas::Ram);
            if to == Ripas::Ram {
                self.unmapped.remove(&ipa);
            } else {
                self.unmapped.insert(ipa);
            }
            self.unsynced += 1;
            self.changes += 1;
        }
        fn sync(&mut self) {
            self.unsynced = 0;
        }
    }

    fn with_realm(inject: Inject, f: impl FnOnce(&mut Realm<'_>, &mut Mem)) {
        let words = ((TOP - BASE) / G / 64 + 1) as usize;
        let (mut ram, mut destroyed) = (vec![0u64; words], vec![0u64; words]);
        let mut r = Realm::new(33, BASE, TOP, &mut ram, &mut destroyed, inject).unwrap();
        assert_eq!(r.protected_top(), TOP);
        let mut m = Mem::default();
        f(&mut r, &mut m);
        // Every change the host was told of was followed by a sync, and
        // stage 2 is unmapped exactly where RIPAS is not RAM.
        assert_eq!(m.unsynced, 0);
        for &ipa in &m.unmapped {
            assert_ne!(r.ripas(ipa), Ripas::Ram, "{ipa:#x}");
        }
    }

    /// Sets `[base, top)` as Linux's loop does; the calls it took.
    fn set_all(
        r: &mut Realm<'_>,
        m: &mut Mem,
        base: u64,
        top: u64,
        ripas: u64,
        flags: u64,
    ) -> Regs {
        let mut b = base;
        let mut calls = 0;
        loop {
            let a = r.ipa_state_set(b, top, ripas, flags, m);
            calls += 1;
            if a[0] != SUCCESS || a[2] != ACCEPT || a[1] == top || a[1] == b {
                return [a[0], a[1], a[2], calls];
            }
            assert!(a[1] > b && a[1] <= top);
            b = a[1];
        }
    }

    #[test]
    fn construction_checks_its_invariants() {
        let (mut a, mut b) = ([0u64; 1], [0u64; 1]);
        assert!(Realm::new(33, BASE, BASE + 64 * G, &mut a, &mut b, Inject::None).is_some());
        assert!(Realm::new(33, BASE, BASE + 65 * G, &mut a, &mut b, Inject::None).is_none());
        assert!(Realm::new(33, BASE + 1, BASE + G, &mut a, &mut b, Inject::None).is_none());
        assert!(Realm::new(33, BASE, BASE, &mut a, &mut b, Inject::None).is_none());
        assert!(Realm::new(32, BASE, TOP, &mut a, &mut b, Inject::None).is_none());
        let mut c = [0u64; 2];
        assert!(Realm::new(33, BASE, BASE + 65 * G, &mut c, &mut b, Inject::None).is_none());
    }

    #[test]
    fn version_negotiation() {
        with_realm(Inject::None, |r, _| {
            assert_eq!(r.version(0x1_0000)[..3], [SUCCESS, 0x1_0000, 0x1_0000]);
            assert_eq!(r.version(0x1_0001)[..3], [ERROR_INPUT, 0x1_0000, 0x1_0000]);
            assert_eq!(r.version(0x2_0000)[0], ERROR_INPUT);
        });
        with_realm(Inject::Version, |r, _| {
            assert_eq!(r.version(0x1_0000)[..3], [ERROR_INPUT, 0x2_0000, 0x2_0000]);
        });
    }

    #[test]
    fn realm_config_writes_the_page() {
        with_realm(Inject::None, |r, m| {
            assert_eq!(r.realm_config(BASE + 0x5000, m)[0], SUCCESS);
            assert_eq!(m.words[&(BASE + 0x5000)], 33);
            assert_eq!(m.words[&(BASE + 0x5008)], 0);
            assert_eq!(m.words.len(), 512);
            m.words.clear();
            for bad in [BASE + 8, BASE - G, TOP, 0x900_0000] {
                assert_eq!(r.realm_config(bad, m)[0], ERROR_INPUT, "{bad:#x}");
            }
            // Not into memory the guest made EMPTY.
            r.ipa_state_set(BASE, BASE + G, RIPAS_EMPTY, 1, m);
            assert_eq!(r.realm_config(BASE, m)[0], ERROR_INPUT);
            assert!(m.words.is_empty());
        });
        with_realm(Inject::Config, |r, m| {
            assert_eq!(r.realm_config(BASE, m)[0], ERROR_INPUT);
            assert!(m.words.is_empty());
        });
    }

    #[test]
    fn ipa_state_set_input_errors() {
        with_realm(Inject::None, |r, m| {
            for (base, top, ripas) in [
                (BASE + 1, BASE + G, 0),
                (BASE, BASE + G + 8, 0),
                (BASE + G, BASE + G, 0),
                (BASE + 2 * G, BASE + G, 0),
                (BASE, BASE + G, 2),
                (BASE, BASE + G, 3),
                (BASE, 0x2_0000_0000, 1),
            ] {
                assert_eq!(
                    r.ipa_state_set(base, top, ripas, 0, m)[0],
                    ERROR_INPUT,
                    "{base:#x}-{top:#x} ripas {ripas}"
                );
            }
            assert_eq!(r.stats.errors, 7);
            // Flags other than CHANGE_DESTROYED are ignored, as TF-RMM does.
            assert_eq!(
                r.ipa_state_set(BASE, BASE + G, 0, 2, m)[..3],
                [SUCCESS, BASE + G, ACCEPT]
            );
            assert_eq!(r.ripas(BASE), Ripas::Empty);
        });
    }

    #[test]
    fn set_progresses_one_table_per_call() {
        with_realm(Inject::None, |r, m| {
            let a = BASE + 100 * G;
            // To the next 2 MiB boundary, then the rest.
            let b1 = (a / RTT_L3_SPAN + 1) * RTT_L3_SPAN;
            let top = b1 + RTT_L3_SPAN + 3 * G;
            assert_eq!(
                r.ipa_state_set(a, top, RIPAS_EMPTY, 1, m)[..3],
                [SUCCESS, b1, ACCEPT]
            );
            assert_eq!(m.changes as u64, (b1 - a) / G);
            assert_eq!(r.ripas(b1), Ripas::Ram);
            assert_eq!(
                set_all(r, m, b1, top, RIPAS_EMPTY, 1),
                [SUCCESS, top, ACCEPT, 2]
            );
            assert_eq!(r.stats.partial, 2);
            assert_eq!(r.ripas(top - G), Ripas::Empty);
            assert_eq!(r.ripas(top), Ripas::Ram);
            // Setting what already is changes nothing and still progresses.
            let before = m.changes;
            assert_eq!(
                set_all(r, m, a, top, RIPAS_EMPTY, 1)[..3],
                [SUCCESS, top, ACCEPT]
            );
            assert_eq!(m.changes, before);
            assert_eq!(
                set_all(r, m, a, top, RIPAS_RAM, 0)[..3],
                [SUCCESS, top, ACCEPT]
            );
            assert!(m.unmapped.is_empty());
        });
    }

    #[test]
    fn get_stops_at_table_boundaries() {
        with_realm(Inject::None, |r, m| {
            let a = BASE + 100 * G;
            assert_eq!(
                set_all(r, m, a, a + 3 * G, RIPAS_EMPTY, 1)[..3],
                [SUCCESS, a + 3 * G, ACCEPT]
            );
            // A run of RAM ends at the EMPTY granules, one of EMPTY at RAM.
            assert_eq!(r.ipa_state_get(BASE, TOP)[..3], [SUCCESS, a, RIPAS_RAM]);
            assert_eq!(
                r.ipa_state_get(a, TOP)[..3],
                [SUCCESS, a + 3 * G, RIPAS_EMPTY]
            );
            assert_eq!(
                r.ipa_state_get(a + G, a + 2 * G)[..3],
                [SUCCESS, a + 2 * G, RIPAS_EMPTY]
            );
            // A uniform run stops at the 2 MiB boundary (TF-RMM walks one
            // table); a caller loops.
            let b = a + 3 * G;
            let next = (b / RTT_L3_SPAN + 1) * RTT_L3_SPAN;
            assert_eq!(r.ipa_state_get(b, TOP)[..3], [SUCCESS, next, RIPAS_RAM]);
            assert_eq!(
                r.ipa_state_get(next, TOP)[..3],
                [SUCCESS, next + RTT_L3_SPAN, RIPAS_RAM]
            );
            assert_eq!(
                r.ipa_state_get(TOP - G, TOP)[..3],
                [SUCCESS, TOP, RIPAS_RAM]
            );
        });
    }

    #[test]
    fn outside_protected_ram() {
        with_realm(Inject::None, |r, m| {
            // MMIO below RAM and the emulator's own memory read EMPTY, as runs
            // that stop where RAM starts or at a 1 GiB boundary.
            assert_eq!(
                r.ipa_state_get(0x900_0000, 0x900_1000)[..3],
                [SUCCESS, 0x900_1000, RIPAS_EMPTY]
            );
            assert_eq!(
                r.ipa_state_get(0x3f00_0000, TOP)[..3],
                [SUCCESS, 0x4000_0000, RIPAS_EMPTY]
            );
            assert_eq!(
                r.ipa_state_get(0x4000_0000, TOP)[..3],
                [SUCCESS, BASE, RIPAS_EMPTY]
            );
            // The host has no memory to back a RAM request there; an EMPTY
            // one is accepted (it is EMPTY).
            assert_eq!(
                r.ipa_state_set(0x900_0000, 0x900_1000, RIPAS_RAM, 0, m)[..3],
                [SUCCESS, 0x900_0000, REJECT]
            );
            assert_eq!(
                r.ipa_state_set(0x900_0000, 0x900_1000, RIPAS_EMPTY, 0, m)[..3],
                [SUCCESS, 0x900_1000, ACCEPT]
            );
            assert_eq!(
                r.ipa_state_set(BASE - G, BASE + G, RIPAS_EMPTY, 0, m)[..3],
                [SUCCESS, BASE, ACCEPT]
            );
            let top = r.protected_top();
            assert_eq!(
                r.ipa_state_set(TOP - G, top, RIPAS_EMPTY, 0, m)[..3],
                [SUCCESS, TOP, ACCEPT]
            );
            assert_eq!(
                r.ipa_state_set(TOP - G, top, RIPAS_RAM, 0, m)[..3],
                [SUCCESS, TOP, ACCEPT]
            );
            assert_eq!(r.ipa_state_get(0, 0)[0], ERROR_INPUT);
            assert_eq!(r.ipa_state_get(0x1000, 0x800)[0], ERROR_INPUT);
            assert_eq!(r.ipa_state_get(0x1000, top + G)[0], ERROR_INPUT);
        });
    }

    #[test]
    fn beyond_protected_ram() {
        // RAM that ends below the protected top: EMPTY requests go on past
        // its end, RAM requests are rejected there.
        let mut ram = vec![0u64; 1];
        let mut destroyed = vec![0u64; 1];
        let top = BASE + 64 * G;
        let mut r = Realm::new(33, BASE, top, &mut ram, &mut destroyed, Inject::None).unwrap();
        let mut m = Mem::default();
        assert_eq!(
            r.ipa_state_set(top - G, TOP, RIPAS_EMPTY, 0, &mut m)[..3],
            [SUCCESS, top, ACCEPT]
        );
        let next = (top / RTT_L3_SPAN + 1) * RTT_L3_SPAN;
        assert_eq!(
            r.ipa_state_set(top, TOP, RIPAS_EMPTY, 0, &mut m)[..3],
            [SUCCESS, next, ACCEPT]
        );
        assert_eq!(
            r.ipa_state_set(top - G, TOP, RIPAS_RAM, 0, &mut m)[..3],
            [SUCCESS, top, ACCEPT]
        );
        assert_eq!(
            r.ipa_state_set(top, TOP, RIPAS_RAM, 0, &mut m)[..3],
            [SUCCESS, top, REJECT]
        );
        assert_eq!(
            r.ipa_state_get(top, TOP)[..3],
            [SUCCESS, 2 * GIB_, RIPAS_EMPTY]
        );
    }

    const GIB_: u64 = 1 << 30;

    #[test]
    fn a_declining_host() {
        // Every request declined: RAM is rejected, EMPTY makes no progress
        // (TF-RMM turns a host's REJECT of an EMPTY request into ACCEPT).
        with_realm(Inject::Reject, |r, m| {
            assert_eq!(
                r.ipa_state_set(BASE, TOP, RIPAS_RAM, 0, m)[..3],
                [SUCCESS, BASE, REJECT]
            );
            assert_eq!(
                r.ipa_state_set(BASE, TOP, RIPAS_EMPTY, 1, m)[..3],
                [SUCCESS, BASE, ACCEPT]
            );
            assert_eq!(
                (r.stats.rejected, r.stats.no_progress, m.changes),
                (1, 1, 0)
            );
        });
        // EMPTY requests declined only.
        with_realm(Inject::NoProgress, |r, m| {
            assert_eq!(
                r.ipa_state_set(BASE, TOP, RIPAS_EMPTY, 1, m)[..3],
                [SUCCESS, BASE, ACCEPT]
            );
            assert_eq!(
                r.ipa_state_set(BASE, BASE + G, RIPAS_RAM, 0, m)[..3],
                [SUCCESS, BASE + G, ACCEPT]
            );
            assert_eq!(m.changes, 0);
        });
    }

    #[test]
    fn partial_progress_is_random_and_complete() {
        with_realm(Inject::Partial, |r, m| {
            let (a, top) = (BASE + 5 * G, BASE + 3 * RTT_L3_SPAN);
            let mut b = a;
            let mut steps = BTreeSet::new();
            while b < top {
                let x = r.ipa_state_set(b, top, RIPAS_EMPTY, 1, m);
                assert_eq!((x[0], x[2]), (SUCCESS, ACCEPT));
                assert!(x[1] > b && x[1] <= (b / RTT_L3_SPAN + 1) * RTT_L3_SPAN);
                steps.insert(x[1] - b);
                b = x[1];
            }
            assert!(steps.len() > 3, "{steps:?}");
            assert_eq!(
                r.ipa_state_get(a, top)[..3],
                [SUCCESS, BASE + RTT_L3_SPAN, RIPAS_EMPTY]
            );
            assert_eq!(m.unmapped.len() as u64, (top - a) / G);
        });
    }

    #[test]
    fn destroyed_granules() {
        with_realm(Inject::None, |r, m| {
            let d = BASE + 10 * G;
            assert!(r.destroy(d + 5, m));
            assert!(!r.destroy(d, m));
            assert_eq!(r.ripas(d), Ripas::Destroyed);
            assert!(m.unmapped.contains(&d));
            assert_eq!(
                r.ipa_state_get(d, TOP)[..3],
                [SUCCESS, d + G, RIPAS_DESTROYED]
            );
            assert_eq!(r.ipa_state_get(BASE, TOP)[..3], [SUCCESS, d, RIPAS_RAM]);
            // A RAM request without CHANGE_DESTROYED stops there: progress
            // up to it, then REJECT (7.3's boot-time loop panics).
            assert_eq!(
                r.ipa_state_set(BASE, TOP, RIPAS_RAM, NO_CHANGE, m)[..3],
                [SUCCESS, d, ACCEPT]
            );
            assert_eq!(
                r.ipa_state_set(d, TOP, RIPAS_RAM, NO_CHANGE, m)[..3],
                [SUCCESS, d, REJECT]
            );
            assert_eq!(r.ripas(d), Ripas::Destroyed);
            // With CHANGE_DESTROYED it becomes RAM.
            assert_eq!(
                r.ipa_state_set(d, d + G, RIPAS_RAM, CHANGE_DESTROYED, m)[..3],
                [SUCCESS, d + G, ACCEPT]
            );
            assert_eq!(r.ripas(d), Ripas::Ram);
            // An EMPTY granule is not destroyed; an EMPTY request stops at
            // a destroyed one too (no progress: ACCEPT, 7.3 would call
            // again) unless CHANGE_DESTROYED.
            r.ipa_state_set(d, d + G, RIPAS_EMPTY, NO_CHANGE, m);
            assert!(!r.destroy(d, m));
            r.ipa_state_set(d, d + G, RIPAS_RAM, NO_CHANGE, m);
            assert!(r.destroy(d, m));
            assert_eq!(
                r.ipa_state_set(d - G, d + G, RIPAS_EMPTY, NO_CHANGE, m)[..3],
                [SUCCESS, d, ACCEPT]
            );
            assert_eq!(
                r.ipa_state_set(d, d + G, RIPAS_EMPTY, NO_CHANGE, m)[..3],
                [SUCCESS, d, ACCEPT]
            );
            assert_eq!(r.ripas(d), Ripas::Destroyed);
            assert_eq!(
                r.ipa_state_set(d, d + G, RIPAS_EMPTY, CHANGE_DESTROYED, m)[..3],
                [SUCCESS, d + G, ACCEPT]
            );
            assert_eq!(r.ripas(d), Ripas::Empty);
            assert_eq!(r.stats.destroyed, 2);
        });
    }

    const NO_CHANGE: u64 = crate::abi::RSI_NO_CHANGE_DESTROYED;

    #[test]
    fn the_destroy_host_call() {
        with_realm(Inject::None, |r, m| {
            let call = BASE + 0x100;
            let d = BASE + 42 * G;
            // Only imm's 16 bits count.
            m.write_u64(call, 0xdead_0000 | HOST_CALL_DESTROY);
            m.write_u64(call + 8, d);
            let mut x = [0u64; 8];
            x[0] = u64::from(fid::HOST_CALL);
            x[1] = call;
            // Off: an ordinary host call.
            assert_eq!(r.call(&x, false, m)[0], SUCCESS);
            assert_eq!(r.ripas(d), Ripas::Ram);
            assert_eq!(r.call(&x, true, m)[0], SUCCESS);
            assert_eq!((r.ripas(d), m.read_u64(call + 8)), (Ripas::Destroyed, 1));
            // Again: nothing to destroy, and it says so.
            m.write_u64(call + 8, d);
            assert_eq!(r.call(&x, true, m)[0], SUCCESS);
            assert_eq!(m.read_u64(call + 8), 0);
            m.write_u64(call + 8, 0x900_0000);
            assert_eq!(r.call(&x, true, m)[0], SUCCESS);
            assert_eq!(m.read_u64(call + 8), 0);
        });
    }

    #[test]
    fn calls_linux_does_not_make() {
        with_realm(Inject::None, |r, m| {
            let mut call = |args: [u64; 4]| {
                let mut x = [0u64; 8];
                x[..4].copy_from_slice(&args);
                r.call(&x, false, m)[0]
            };
            assert_eq!(call([fid::FEATURES as u64, 0, 0, 0]), SUCCESS);
            assert_eq!(call([fid::MEASUREMENT_READ as u64, 0, 0, 0]), SUCCESS);
            assert_eq!(call([fid::MEASUREMENT_READ as u64, 5, 0, 0]), ERROR_INPUT);
            assert_eq!(call([fid::MEASUREMENT_EXTEND as u64, 0, 8, 0]), ERROR_INPUT);
            assert_eq!(
                call([fid::MEASUREMENT_EXTEND as u64, 1, 65, 0]),
                ERROR_INPUT
            );
            assert_eq!(
                call([fid::ATTESTATION_TOKEN_INIT as u64, 0, 0, 0]),
                ERROR_UNKNOWN
            );
            assert_eq!(
                call([fid::ATTESTATION_TOKEN_CONTINUE as u64, BASE, 0, 64]),
                ERROR_STATE
            );
            assert_eq!(
                call([fid::ATTESTATION_TOKEN_CONTINUE as u64, BASE + 8, 0, 64]),
                ERROR_INPUT
            );
            // offset >= 4 KiB, and an offset + size that wraps.
            assert_eq!(
                call([fid::ATTESTATION_TOKEN_CONTINUE as u64, BASE, G, 0]),
                ERROR_INPUT
            );
            assert_eq!(
                call([fid::ATTESTATION_TOKEN_CONTINUE as u64, BASE, 8, u64::MAX]),
                ERROR_INPUT
            );
            assert_eq!(call([fid::HOST_CALL as u64, BASE + 0x100, 0, 0]), SUCCESS);
            assert_eq!(
                call([fid::HOST_CALL as u64, BASE + 0x10, 0, 0]),
                ERROR_INPUT
            );
            assert_eq!(call([0xc400_019a, 0, 0, 0]), crate::smccc::NOT_SUPPORTED);
        });
    }
}
