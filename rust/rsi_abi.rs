// SPDX-License-Identifier: GPL-2.0

//! The SMCCC, PSCI and RSI numbers: function IDs, return codes and the
//! values of their arguments, under their C names. The one copy that the
//! RSI client, the realm emulator (which includes this file) and the tests
//! use; the kernel build checks each against the C headers (`glue/mod.rs`).
//!
//! C headers: [`include/linux/arm-smccc.h`](srctree/include/linux/arm-smccc.h),
//! [`include/uapi/linux/psci.h`](srctree/include/uapi/linux/psci.h),
//! [`arch/arm64/include/asm/rsi_smc.h`](srctree/arch/arm64/include/asm/rsi_smc.h),
//! [`arch/arm64/include/asm/rsi_cmds.h`](srctree/arch/arm64/include/asm/rsi_cmds.h).

/// `ARM_SMCCC_VERSION_FUNC_ID`.
pub const ARM_SMCCC_VERSION_FUNC_ID: u32 = 0x8000_0000;
/// `ARM_SMCCC_ARCH_FEATURES_FUNC_ID`.
pub const ARM_SMCCC_ARCH_FEATURES_FUNC_ID: u32 = 0x8000_0001;
/// `ARM_SMCCC_VERSION_1_1`.
pub const ARM_SMCCC_VERSION_1_1: u32 = 0x1_0001;
/// `ARM_SMCCC_VERSION_1_2`.
pub const ARM_SMCCC_VERSION_1_2: u32 = 0x1_0002;
/// `SMCCC_RET_NOT_SUPPORTED` (-1), as the 64-bit x0.
pub const SMCCC_RET_NOT_SUPPORTED: u64 = -1i64 as u64;

/// `PSCI_0_2_FN_PSCI_VERSION`.
pub const PSCI_0_2_FN_PSCI_VERSION: u32 = 0x8400_0000;
/// `PSCI_0_2_FN64_CPU_SUSPEND`.
pub const PSCI_0_2_FN64_CPU_SUSPEND: u32 = 0xc400_0001;
/// `PSCI_0_2_FN_CPU_OFF`.
pub const PSCI_0_2_FN_CPU_OFF: u32 = 0x8400_0002;
/// `PSCI_0_2_FN64_CPU_ON`.
pub const PSCI_0_2_FN64_CPU_ON: u32 = 0xc400_0003;
/// `PSCI_0_2_FN64_AFFINITY_INFO`.
pub const PSCI_0_2_FN64_AFFINITY_INFO: u32 = 0xc400_0004;
/// `PSCI_0_2_FN_MIGRATE_INFO_TYPE`.
pub const PSCI_0_2_FN_MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
/// `PSCI_0_2_FN_SYSTEM_OFF`.
pub const PSCI_0_2_FN_SYSTEM_OFF: u32 = 0x8400_0008;
/// `PSCI_0_2_FN_SYSTEM_RESET`.
pub const PSCI_0_2_FN_SYSTEM_RESET: u32 = 0x8400_0009;
/// `PSCI_1_0_FN_PSCI_FEATURES`.
pub const PSCI_1_0_FN_PSCI_FEATURES: u32 = 0x8400_000a;
/// `PSCI_RET_INVALID_PARAMS` (-2), as the 64-bit x0.
pub const PSCI_RET_INVALID_PARAMS: u64 = -2i64 as u64;

/// `SMC_RSI_ABI_VERSION`.
pub const SMC_RSI_ABI_VERSION: u32 = 0xc400_0190;
/// `SMC_RSI_FEATURES`.
pub const SMC_RSI_FEATURES: u32 = 0xc400_0191;
/// `SMC_RSI_MEASUREMENT_READ`.
pub const SMC_RSI_MEASUREMENT_READ: u32 = 0xc400_0192;
/// `SMC_RSI_MEASUREMENT_EXTEND`.
pub const SMC_RSI_MEASUREMENT_EXTEND: u32 = 0xc400_0193;
/// `SMC_RSI_ATTESTATION_TOKEN_INIT`.
pub const SMC_RSI_ATTESTATION_TOKEN_INIT: u32 = 0xc400_0194;
/// `SMC_RSI_ATTESTATION_TOKEN_CONTINUE`.
pub const SMC_RSI_ATTESTATION_TOKEN_CONTINUE: u32 = 0xc400_0195;
/// `SMC_RSI_REALM_CONFIG`.
pub const SMC_RSI_REALM_CONFIG: u32 = 0xc400_0196;
/// `SMC_RSI_IPA_STATE_SET`.
pub const SMC_RSI_IPA_STATE_SET: u32 = 0xc400_0197;
/// `SMC_RSI_IPA_STATE_GET`.
pub const SMC_RSI_IPA_STATE_GET: u32 = 0xc400_0198;
/// `SMC_RSI_HOST_CALL`.
pub const SMC_RSI_HOST_CALL: u32 = 0xc400_0199;

/// `RSI_ABI_VERSION`: 1.0, the revision 7.3 asks for.
pub const RSI_ABI_VERSION: u64 = 0x1_0000;
/// `RSI_SUCCESS`.
pub const RSI_SUCCESS: u64 = 0;
/// `RSI_ERROR_INPUT`.
pub const RSI_ERROR_INPUT: u64 = 1;
/// `RSI_ERROR_STATE`.
pub const RSI_ERROR_STATE: u64 = 2;
/// `RSI_INCOMPLETE`.
pub const RSI_INCOMPLETE: u64 = 3;
/// `RSI_ERROR_UNKNOWN`.
pub const RSI_ERROR_UNKNOWN: u64 = 4;
/// `RSI_NO_CHANGE_DESTROYED`.
pub const RSI_NO_CHANGE_DESTROYED: u64 = 0;
/// `RSI_CHANGE_DESTROYED`.
pub const RSI_CHANGE_DESTROYED: u64 = 1;
/// `RSI_ACCEPT`.
pub const RSI_ACCEPT: u64 = 0;
/// `RSI_REJECT`.
pub const RSI_REJECT: u64 = 1;
/// `RSI_RIPAS_EMPTY`.
pub const RSI_RIPAS_EMPTY: u64 = 0;
/// `RSI_RIPAS_RAM`.
pub const RSI_RIPAS_RAM: u64 = 1;
/// `RSI_RIPAS_DESTROYED`.
pub const RSI_RIPAS_DESTROYED: u64 = 2;
/// `RSI_GRANULE_SIZE`.
pub const RSI_GRANULE_SIZE: u64 = 4096;
