// SPDX-License-Identifier: GPL-2.0

//! SMC Calling Convention function IDs and the emulator's policy for each:
//! answer here, forward to QEMU's PSCI, or hand to the RSI.

pub use crate::abi::{
    ARM_SMCCC_ARCH_FEATURES_FUNC_ID as SMCCC_ARCH_FEATURES,
    ARM_SMCCC_VERSION_FUNC_ID as SMCCC_VERSION,
    PSCI_0_2_FN64_AFFINITY_INFO as PSCI_AFFINITY_INFO,
    PSCI_0_2_FN64_CPU_ON as PSCI_CPU_ON,
    PSCI_0_2_FN64_CPU_SUSPEND as PSCI_CPU_SUSPEND,
    PSCI_0_2_FN_CPU_OFF as PSCI_CPU_OFF,
    PSCI_0_2_FN_MIGRATE_INFO_TYPE as PSCI_MIGRATE_INFO_TYPE,
    PSCI_0_2_FN_PSCI_VERSION as PSCI_VERSION,
    PSCI_0_2_FN_SYSTEM_OFF as PSCI_SYSTEM_OFF,
    PSCI_0_2_FN_SYSTEM_RESET as PSCI_SYSTEM_RESET,
    PSCI_1_0_FN_PSCI_FEATURES as PSCI_FEATURES,
    PSCI_RET_INVALID_PARAMS as PSCI_INVALID_PARAMS,
    SMCCC_RET_NOT_SUPPORTED as NOT_SUPPORTED, //
};

/// The SMCCC version the emulator reports: 1.2.
pub const SMCCC_VERSION_1_2: u64 = crate::abi::ARM_SMCCC_VERSION_1_2 as u64;

/// The SVE hint bit (SMCCC 1.3), ignored when decoding a function ID.
const SVE_HINT: u32 = 1 << 16;

/// What to do with an SMC from the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Answer in the emulator with these values for x0.
    Answer(u64),
    /// Issue the same SMC at EL2, where QEMU's PSCI handles it, and return
    /// its x0.
    Forward,
    /// `PSCI_CPU_ON`: the secondary must come up through the emulator.
    CpuOn,
    /// `PSCI_SYSTEM_OFF` or `PSCI_SYSTEM_RESET`: report, then forward.
    Shutdown,
    /// An RSI call.
    Rsi,
}

/// Normalizes a function ID: the upper 32 bits of x0 are ignored and the
/// SVE hint bit cleared, as TF-RMM does.
pub fn fid(x0: u64) -> u32 {
    (x0 as u32) & !SVE_HINT
}

/// Whether `fid` is in the RSI range (SMC64, standard service, 0x190..).
pub fn is_rsi(fid: u32) -> bool {
    (0xc400_0190..=0xc400_01af).contains(&fid)
}

/// The PSCI functions the emulator reports through `PSCI_FEATURES`.
fn psci_supported(f: u32) -> bool {
    matches!(
        f,
        SMCCC_VERSION
            | PSCI_VERSION
            | PSCI_CPU_SUSPEND
            | PSCI_CPU_OFF
            | PSCI_CPU_ON
            | PSCI_AFFINITY_INFO
            | PSCI_MIGRATE_INFO_TYPE
            | PSCI_SYSTEM_OFF
            | PSCI_SYSTEM_RESET
            | PSCI_FEATURES
    )
}

/// The route of an SMC with function ID `x0` and first argument `x1`.
pub fn route(x0: u64, x1: u64) -> Route {
    let f = fid(x0);
    match f {
        SMCCC_VERSION => Route::Answer(SMCCC_VERSION_1_2),
        // No workaround (WORKAROUND_1/2/3), no SOC_ID: TF-RMM answers the
        // same, and 0 would put workaround SMCs on the guest's hot paths.
        SMCCC_ARCH_FEATURES => Route::Answer(NOT_SUPPORTED),
        PSCI_FEATURES => Route::Answer(if psci_supported(fid(x1)) {
            0
        } else {
            NOT_SUPPORTED
        }),
        PSCI_VERSION
        | PSCI_CPU_SUSPEND
        | PSCI_CPU_OFF
        | PSCI_AFFINITY_INFO
        | PSCI_MIGRATE_INFO_TYPE => Route::Forward,
        // The 32-bit forms of the SMC64 calls above.
        0x8400_0001 | 0x8400_0004 => Route::Forward,
        PSCI_CPU_ON | 0x8400_0003 => Route::CpuOn,
        PSCI_SYSTEM_OFF | PSCI_SYSTEM_RESET => Route::Shutdown,
        f if is_rsi(f) => Route::Rsi,
        // TRNG, the vendor hypervisor UID, FF-A, PV time and anything else.
        _ => Route::Answer(NOT_SUPPORTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_is_answered_locally() {
        assert_eq!(route(0x8000_0000, 0), Route::Answer(0x1_0002));
        // PSCI_FEATURES(SMCCC_VERSION) is what Linux needs to see SMCCC 1.1+;
        // QEMU's PSCI would say NOT_SUPPORTED.
        assert_eq!(route(0x8400_000a, 0x8000_0000), Route::Answer(0));
        assert_eq!(route(0x8400_000a, 0xc400_0003), Route::Answer(0));
        assert_eq!(
            route(0x8400_000a, 0x8400_0050),
            Route::Answer(NOT_SUPPORTED)
        );
        assert_eq!(
            route(0x8000_0001, 0x8000_8000),
            Route::Answer(NOT_SUPPORTED)
        );
        assert_eq!(route(0x8400_0050, 0), Route::Answer(NOT_SUPPORTED)); // TRNG_VERSION
        assert_eq!(route(0x8600_ff01, 0), Route::Answer(NOT_SUPPORTED)); // vendor hyp UID
    }

    #[test]
    fn psci_and_rsi_routes() {
        assert_eq!(route(0x8400_0000, 0), Route::Forward);
        assert_eq!(route(0xc400_0004, 1), Route::Forward);
        assert_eq!(route(0xc400_0003, 1), Route::CpuOn);
        assert_eq!(route(0x8400_0008, 0), Route::Shutdown);
        assert_eq!(route(0xc400_0190, 0x1_0000), Route::Rsi);
        // The SVE hint bit and the upper half of x0 are ignored.
        assert_eq!(route(0xffff_ffff_c401_0197, 0), Route::Rsi);
        assert_eq!(route(0xc400_01b0, 0), Route::Answer(NOT_SUPPORTED));
        assert_eq!(route(0, 0), Route::Answer(NOT_SUPPORTED));
    }
}
