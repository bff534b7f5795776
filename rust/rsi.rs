// SPDX-License-Identifier: GPL-2.0

//! The Realm Services Interface from the guest's side, as 7.3's
//! `arch/arm64/kernel/rsi.c` and `asm/rsi_cmds.h` use it, over the
//! [`Firmware`] seam; and linmap's early realm probe, which runs before
//! `map_mem()` so that the linear map is built knowing it is in a realm.
//!
//! 7.3 learns that it runs in a realm in `arm64_rsi_init()`, after
//! `paging_init()` has built the linear map, so `force_pte_mapping()` and
//! `can_set_direct_map()` answer "not a realm" while the map is built. The
//! probe asks the same questions earlier: the SMCCC conduit from the
//! flattened device tree's `/psci` node (PSCI 0.2 or later, method `smc`),
//! then, through SMCs, PSCI 1.0 or later, SMCCC 1.1 or later and RSI 1.0,
//! each decided as 7.3's PSCI, SMCCC and RSI code decides it. ACPI systems
//! have no `/psci` node: for them the probe answers "not a realm" and 7.3's
//! late probe stays the only one.

use core::fmt;

use crate::fdt::{
    self,
    Fdt, //
};
use crate::hw::Firmware;

pub use crate::rsi_abi::*;

/// A realm IPA state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ripas {
    /// `RSI_RIPAS_EMPTY`: shared with the host.
    Empty = RSI_RIPAS_EMPTY as isize,
    /// `RSI_RIPAS_RAM`: protected.
    Ram = RSI_RIPAS_RAM as isize,
    /// `RSI_RIPAS_DESTROYED`: protected, its contents destroyed by the
    /// host; `arm64_rsi_is_protected()` counts it as protected.
    Destroyed = RSI_RIPAS_DESTROYED as isize,
}

/// `RSI_NO_CHANGE_DESTROYED` / `RSI_CHANGE_DESTROYED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destroyed {
    /// Leave DESTROYED granules alone (`RSI_NO_CHANGE_DESTROYED`).
    NoChange = RSI_NO_CHANGE_DESTROYED as isize,
    /// DESTROYED granules may change too (`RSI_CHANGE_DESTROYED`).
    Change = RSI_CHANGE_DESTROYED as isize,
}

fn call(fw: &mut impl Firmware, fid: u32, a: &[u64]) -> [u64; 4] {
    let mut x = [0u64; 8];
    x[0] = u64::from(fid);
    x[1..=a.len()].copy_from_slice(a);
    fw.smc(x)
}

/// The outcome of `SMC_RSI_ABI_VERSION`, as `rsi_version_matches()` judges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `SMCCC_RET_NOT_SUPPORTED`: no RMM answers (not a realm, silently).
    NotSupported,
    /// The RMM does not implement RSI 1.0; it offers `[lower, higher]`.
    Mismatch {
        /// The lowest revision offered.
        lower: u64,
        /// The highest revision offered.
        higher: u64,
    },
    /// RSI 1.0 is in use.
    Match {
        /// The revision in use (what 7.3 prints).
        lower: u64,
        /// The highest revision implemented.
        higher: u64,
    },
}

/// Formats an RSI revision as 7.3 does: `major.minor`.
struct Rev(u64);

impl fmt::Display for Rev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", (self.0 >> 16) & 0x7fff, self.0 & 0xffff)
    }
}

impl fmt::Display for Version {
    /// 7.3's messages, word for word.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Version::NotSupported => write!(f, "RME: no RSI (SMCCC_RET_NOT_SUPPORTED)"),
            Version::Mismatch { lower, higher } => write!(
                f,
                "RME: RMM doesn't support RSI version {}. Supported range: {}-{}",
                Rev(RSI_ABI_VERSION),
                Rev(lower),
                Rev(higher)
            ),
            Version::Match { lower, .. } => write!(f, "RME: Using RSI version {}", Rev(lower)),
        }
    }
}

/// `rsi_request_version(RSI_ABI_VERSION)` judged as `rsi_version_matches()`.
pub fn request_version(fw: &mut impl Firmware) -> Version {
    let r = call(fw, SMC_RSI_ABI_VERSION, &[RSI_ABI_VERSION]);
    match r[0] {
        SMCCC_RET_NOT_SUPPORTED => Version::NotSupported,
        RSI_SUCCESS => Version::Match {
            lower: r[1],
            higher: r[2],
        },
        _ => Version::Mismatch {
            lower: r[1],
            higher: r[2],
        },
    }
}

/// Why an RSI range operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsiError {
    /// The RMM returned this status.
    Status(u64),
    /// The host rejected the change (`RSI_REJECT`); 7.3's `-EPERM`.
    Rejected,
    /// The RMM's answer went backwards or past the end; 7.3's `-EINVAL`.
    BadProgress,
    /// The host declined: `RSI_ACCEPT` with no progress, [`NO_PROGRESS_RETRIES`]
    /// times in a row. 7.3's loop calls again forever; linmap's fails the
    /// range instead (a host that declines an EMPTY request is allowed to,
    /// and spinning in `set_memory_decrypted()` helps no one).
    NoProgress,
    /// The arguments are not granule aligned, or the range is empty or
    /// wraps.
    Input,
}

/// `SMC_RSI_REALM_CONFIG` into the 4 KiB buffer at `pa`; the RMM fills it.
#[cfg(not(kernel))]
pub fn realm_config(fw: &mut impl Firmware, pa: u64) -> Result<(), RsiError> {
    if pa % RSI_GRANULE_SIZE != 0 {
        return Err(RsiError::Input);
    }
    match call(fw, SMC_RSI_REALM_CONFIG, &[pa])[0] {
        RSI_SUCCESS => Ok(()),
        s => Err(RsiError::Status(s)),
    }
}

/// `prot_ns_shared` for a realm of `ipa_bits` IPA bits: the top IPA bit,
/// as a PTE value (`__phys_to_pte_val()`, which `pte_val` turns into the
/// descriptor's address field: identity for IPAs below 2^48, as realms have).
/// `None` for an IPA width no realm has (7.3 computes a shift regardless).
#[cfg(not(kernel))]
pub fn prot_ns_shared(ipa_bits: u64) -> Option<u64> {
    (33..=48)
        .contains(&ipa_bits)
        .then(|| 1u64 << (ipa_bits - 1))
}

/// How many answers in a row without progress [`set_memory_range()`] takes
/// before it gives up.
pub const NO_PROGRESS_RETRIES: u32 = 16;

/// `rsi_set_memory_range()`: sets `[start, end)` to `ripas`, calling again
/// from where the RMM stopped, as 7.3 does; any non-success, rejection, or
/// answer outside `[start, end]` fails the whole range, and so do
/// [`NO_PROGRESS_RETRIES`] answers in a row at `start` (where 7.3 loops).
#[cfg(not(kernel))]
pub fn set_memory_range(
    fw: &mut impl Firmware,
    start: u64,
    end: u64,
    ripas: Ripas,
    flags: Destroyed,
) -> Result<(), RsiError> {
    if start % RSI_GRANULE_SIZE != 0 || end % RSI_GRANULE_SIZE != 0 || end < start {
        return Err(RsiError::Input);
    }
    let mut start = start;
    let mut stalled = 0;
    while start != end {
        let r = call(
            fw,
            SMC_RSI_IPA_STATE_SET,
            &[start, end, ripas as u64, flags as u64],
        );
        if r[2] != RSI_ACCEPT {
            return Err(RsiError::Rejected);
        }
        if r[0] != RSI_SUCCESS {
            return Err(RsiError::Status(r[0]));
        }
        let top = r[1];
        if top < start || top > end {
            return Err(RsiError::BadProgress);
        }
        if top == start {
            stalled += 1;
            if stalled == NO_PROGRESS_RETRIES {
                return Err(RsiError::NoProgress);
            }
            continue;
        }
        stalled = 0;
        start = top;
    }
    Ok(())
}

/// `arm64_rsi_is_protected()`: whether no granule of `[base, base + size)`
/// is RIPAS EMPTY. An overflowing range, an RMM error or no progress counts
/// as "not protected" (7.3 warns and answers the same).
#[cfg(not(kernel))]
pub fn is_protected(fw: &mut impl Firmware, base: u64, size: u64) -> bool {
    let Some(end) = base.checked_add(size).filter(|&e| e > base) else {
        return false;
    };
    let Some(end) = end.checked_next_multiple_of(RSI_GRANULE_SIZE) else {
        return false;
    };
    let mut base = base - base % RSI_GRANULE_SIZE;
    while base < end {
        let r = call(fw, SMC_RSI_IPA_STATE_GET, &[base, end]);
        if r[0] != RSI_SUCCESS || r[1] <= base || r[2] == Ripas::Empty as u64 {
            return false;
        }
        base = r[1];
    }
    true
}

/// What the device tree says about the PSCI conduit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conduit {
    /// No usable PSCI 0.2+ node: no SMCCC conduit (or an ACPI system).
    None,
    /// `method = "smc"`.
    Smc,
    /// `method = "hvc"`: a hypervisor, not an RMM, answers.
    Hvc,
}

/// The PSCI conduit of the flattened device tree `blob`, decided as
/// `psci_dt_init()` and `get_set_conduit_method()` decide it. Anything
/// malformed or missing is [`Conduit::None`].
pub fn psci_conduit(blob: &[u8]) -> Conduit {
    let Ok(f) = Fdt::new(blob) else {
        return Conduit::None;
    };
    let Some(root) = f.root() else {
        return Conduit::None;
    };
    // psci_dt_init(): the first node, in tree order, compatible with a PSCI
    // binding (PSCI 0.1 has no SMCCC), which must be available.
    let Some((n, compat)) = find_psci(&f, root, 0) else {
        return Conduit::None;
    };
    if let Some(s) = f.property(n, b"status") {
        if !matches!(fdt::string(s.value), Some(b"okay") | Some(b"ok")) {
            return Conduit::None;
        }
    }
    if !fdt::stringlist_contains(compat, b"arm,psci-0.2")
        && !fdt::stringlist_contains(compat, b"arm,psci-1.0")
    {
        return Conduit::None;
    }
    match f.property(n, b"method").and_then(|p| fdt::string(p.value)) {
        Some(b"smc") => Conduit::Smc,
        Some(b"hvc") => Conduit::Hvc,
        _ => Conduit::None,
    }
}

/// Nesting the PSCI search gives up at (the tree is malformed or hostile).
const MAX_DEPTH: usize = 16;

fn find_psci<'a>(f: &Fdt<'a>, n: fdt::Node, depth: usize) -> Option<(fdt::Node, &'a [u8])> {
    let compat = f.property(n, b"compatible").map(|p| p.value).unwrap_or(&[]);
    if [&b"arm,psci"[..], b"arm,psci-0.2", b"arm,psci-1.0"]
        .iter()
        .any(|c| fdt::stringlist_contains(compat, c))
    {
        return Some((n, compat));
    }
    if depth >= MAX_DEPTH {
        return None;
    }
    let mut found = None;
    f.for_each_child(n, |c| {
        found = find_psci(f, c, depth + 1);
        found.is_none()
    })?;
    found
}

/// The early probe's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// Not a realm, and why.
    NotRealm(NotRealm),
    /// A realm: RSI 1.0 answered.
    Realm(Version),
}

/// Why the early probe found no realm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRealm {
    /// The conduit is not SMC (or the device tree has none).
    Conduit(Conduit),
    /// PSCI before 1.0 (7.3 probes SMCCC only from PSCI 1.0).
    PsciVersion(u32),
    /// `PSCI_1_0_FN_PSCI_FEATURES(ARM_SMCCC_VERSION_FUNC_ID)` is not supported.
    NoSmcccVersion,
    /// SMCCC before 1.1.
    SmcccVersion(u32),
    /// SMC_RSI_ABI_VERSION did not match.
    Rsi(Version),
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Realm(v) => write!(f, "realm ({v})"),
            Probe::NotRealm(NotRealm::Conduit(c)) => write!(f, "not a realm (PSCI conduit: {c:?})"),
            Probe::NotRealm(NotRealm::PsciVersion(v)) => {
                write!(f, "not a realm (PSCI {}.{})", v >> 16, v & 0xffff)
            }
            Probe::NotRealm(NotRealm::NoSmcccVersion) => write!(f, "not a realm (SMCCC 1.0)"),
            Probe::NotRealm(NotRealm::SmcccVersion(v)) => {
                write!(f, "not a realm (SMCCC {}.{})", v >> 16, v & 0xffff)
            }
            Probe::NotRealm(NotRealm::Rsi(v)) => write!(f, "not a realm ({v})"),
        }
    }
}

impl Probe {
    /// Whether the kernel runs in a realm.
    pub fn is_realm(&self) -> bool {
        matches!(self, Probe::Realm(_))
    }
}

/// The early probe: conduit from the device tree, then PSCI, SMCCC and RSI
/// versions, each judged as 7.3 judges it later. No SMC is issued unless
/// the conduit is SMC.
pub fn early_probe(blob: &[u8], fw: &mut impl Firmware) -> Probe {
    let conduit = psci_conduit(blob);
    if conduit != Conduit::Smc {
        return Probe::NotRealm(NotRealm::Conduit(conduit));
    }
    // psci_probe(): SMCCC is probed only from PSCI 1.0 on.
    let ver = call(fw, PSCI_0_2_FN_PSCI_VERSION, &[])[0] as u32;
    if ver >> 16 < 1 || ver & (1 << 31) != 0 {
        return Probe::NotRealm(NotRealm::PsciVersion(ver));
    }
    // psci_init_smccc(): PSCI_1_0_FN_PSCI_FEATURES(ARM_SMCCC_VERSION_FUNC_ID),
    // then ARM_SMCCC_VERSION_FUNC_ID, which must be 1.1 or later. (7.3
    // compares the 32-bit return as unsigned, so a -1 would count as a high
    // version; a version has bit 31 clear, and here such an answer counts as
    // no SMCCC 1.1.)
    if call(
        fw,
        PSCI_1_0_FN_PSCI_FEATURES,
        &[u64::from(ARM_SMCCC_VERSION_FUNC_ID)],
    )[0] as u32 as i32
        == -1
    {
        return Probe::NotRealm(NotRealm::NoSmcccVersion);
    }
    let smccc = call(fw, ARM_SMCCC_VERSION_FUNC_ID, &[])[0] as u32;
    if smccc < ARM_SMCCC_VERSION_1_1 || smccc & (1 << 31) != 0 {
        return Probe::NotRealm(NotRealm::SmcccVersion(smccc));
    }
    match request_version(fw) {
        v @ Version::Match { .. } => Probe::Realm(v),
        v => Probe::NotRealm(NotRealm::Rsi(v)),
    }
}
