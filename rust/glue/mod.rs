// SPDX-License-Identifier: GPL-2.0

//! What only the kernel build has: the functions C calls, and the live
//! tables behind [`crate::hw::PageTableHw`].
//!
//! - [`boot`]: the boot hooks (`paging_init()`, caps finalize, the early
//!   realm probe).
//! - [`mm`]: the split and pageattr entry points, the repaint pool, the
//!   leaf queries, and `KernelHw`.

pub mod boot;
#[cfg(CONFIG_ARM64_LINMAP_COLLAPSE)]
pub mod collapse;
pub mod mm;

use kernel::bindings;

use crate::cpufeature;
use crate::desc;
use crate::rsi_abi;

/// `assert!(a == b)` at compile time for each pair: a value the core
/// mirrors against the one bindgen read from the C headers, so that a
/// kernel whose headers moved a bit does not build.
macro_rules! const_assert_eq {
    ($($a:expr => $b:expr),+ $(,)?) => {
        $(const _: () = assert!($a == $b);)+
    };
}

// Descriptor bits (`asm/pgtable-hwdef.h`, `asm/pgtable-prot.h`).
const_assert_eq!(
    desc::PTE_VALID => bindings::PTE_VALID,
    desc::PTE_TYPE_MASK => bindings::PTE_TYPE_MASK,
    desc::PTE_TYPE_PAGE => bindings::PTE_TYPE_PAGE,
    desc::PMD_TYPE_TABLE => bindings::PMD_TYPE_TABLE,
    desc::PMD_TYPE_SECT => bindings::PMD_TYPE_SECT,
    desc::PTE_ATTRINDX_MASK => bindings::PTE_ATTRINDX_MASK,
    desc::PTE_USER => bindings::PTE_USER,
    desc::PTE_RDONLY => bindings::PTE_RDONLY,
    desc::PTE_SHARED => bindings::PTE_SHARED,
    desc::PTE_AF => bindings::PTE_AF,
    desc::PTE_NG => bindings::PTE_NG,
    desc::PTE_PRESENT_INVALID => bindings::PTE_PRESENT_INVALID,
    desc::PTE_GP => bindings::PTE_GP,
    desc::PTE_DBM => bindings::PTE_DBM,
    desc::PTE_WRITE => bindings::PTE_WRITE,
    desc::PTE_CONT => bindings::PTE_CONT,
    desc::PTE_PXN => bindings::PTE_PXN,
    desc::PTE_UXN => bindings::PTE_UXN,
    desc::PTE_DIRTY => bindings::PTE_DIRTY,
    desc::PTE_SPECIAL => bindings::PTE_SPECIAL,
    desc::PTE_SWBITS_MASK => bindings::PTE_SWBITS_MASK,
    desc::PMD_TABLE_PXN => bindings::PMD_TABLE_PXN,
    desc::PMD_TABLE_UXN => bindings::PMD_TABLE_UXN,
    desc::PMD_TABLE_AF => bindings::PMD_TABLE_AF,
);

// Memory types (`asm/memory.h`): plain integers bindgen reads itself.
const_assert_eq!(
    desc::MT_NORMAL => bindings::MT_NORMAL as u64,
    desc::MT_NORMAL_TAGGED => bindings::MT_NORMAL_TAGGED as u64,
    desc::MT_NORMAL_NC => bindings::MT_NORMAL_NC as u64,
    desc::MT_DEVICE_NGNRNE => bindings::MT_DEVICE_nGnRnE as u64,
    desc::MT_DEVICE_NGNRE => bindings::MT_DEVICE_nGnRE as u64,
);

// `ID_AA64MMFR2_EL1.BBM` (`asm/sysreg-defs.h`).
const_assert_eq!(
    cpufeature::ID_AA64MMFR2_EL1_BBM_SHIFT as u64 => bindings::ID_AA64MMFR2_EL1_BBM_SHIFT as u64,
    cpufeature::ID_AA64MMFR2_EL1_BBM_MASK => bindings::ID_AA64MMFR2_EL1_BBM_MASK,
);

// SMCCC and PSCI (`linux/arm-smccc.h`, `uapi/linux/psci.h`).
const_assert_eq!(
    rsi_abi::ARM_SMCCC_VERSION_FUNC_ID => bindings::ARM_SMCCC_VERSION_FUNC_ID,
    rsi_abi::ARM_SMCCC_ARCH_FEATURES_FUNC_ID => bindings::ARM_SMCCC_ARCH_FEATURES_FUNC_ID,
    rsi_abi::ARM_SMCCC_VERSION_1_1 => bindings::ARM_SMCCC_VERSION_1_1,
    rsi_abi::ARM_SMCCC_VERSION_1_2 => bindings::ARM_SMCCC_VERSION_1_2,
    rsi_abi::SMCCC_RET_NOT_SUPPORTED => bindings::SMCCC_RET_NOT_SUPPORTED as i64 as u64,
    rsi_abi::PSCI_0_2_FN_PSCI_VERSION => bindings::PSCI_0_2_FN_PSCI_VERSION,
    rsi_abi::PSCI_0_2_FN64_CPU_SUSPEND => bindings::PSCI_0_2_FN64_CPU_SUSPEND,
    rsi_abi::PSCI_0_2_FN_CPU_OFF => bindings::PSCI_0_2_FN_CPU_OFF,
    rsi_abi::PSCI_0_2_FN64_CPU_ON => bindings::PSCI_0_2_FN64_CPU_ON,
    rsi_abi::PSCI_0_2_FN64_AFFINITY_INFO => bindings::PSCI_0_2_FN64_AFFINITY_INFO,
    rsi_abi::PSCI_0_2_FN_MIGRATE_INFO_TYPE => bindings::PSCI_0_2_FN_MIGRATE_INFO_TYPE,
    rsi_abi::PSCI_0_2_FN_SYSTEM_OFF => bindings::PSCI_0_2_FN_SYSTEM_OFF,
    rsi_abi::PSCI_0_2_FN_SYSTEM_RESET => bindings::PSCI_0_2_FN_SYSTEM_RESET,
    rsi_abi::PSCI_1_0_FN_PSCI_FEATURES => bindings::PSCI_1_0_FN_PSCI_FEATURES,
    rsi_abi::PSCI_RET_INVALID_PARAMS => bindings::PSCI_RET_INVALID_PARAMS as i64 as u64,
);

// The RSI (`asm/rsi_smc.h`, `asm/rsi_cmds.h`).
const_assert_eq!(
    rsi_abi::SMC_RSI_ABI_VERSION => bindings::SMC_RSI_ABI_VERSION,
    rsi_abi::SMC_RSI_FEATURES => bindings::SMC_RSI_FEATURES,
    rsi_abi::SMC_RSI_MEASUREMENT_READ => bindings::SMC_RSI_MEASUREMENT_READ,
    rsi_abi::SMC_RSI_MEASUREMENT_EXTEND => bindings::SMC_RSI_MEASUREMENT_EXTEND,
    rsi_abi::SMC_RSI_ATTESTATION_TOKEN_INIT => bindings::SMC_RSI_ATTESTATION_TOKEN_INIT,
    rsi_abi::SMC_RSI_ATTESTATION_TOKEN_CONTINUE => bindings::SMC_RSI_ATTESTATION_TOKEN_CONTINUE,
    rsi_abi::SMC_RSI_REALM_CONFIG => bindings::SMC_RSI_REALM_CONFIG,
    rsi_abi::SMC_RSI_IPA_STATE_SET => bindings::SMC_RSI_IPA_STATE_SET,
    rsi_abi::SMC_RSI_IPA_STATE_GET => bindings::SMC_RSI_IPA_STATE_GET,
    rsi_abi::SMC_RSI_HOST_CALL => bindings::SMC_RSI_HOST_CALL,
    rsi_abi::RSI_ABI_VERSION => bindings::RSI_ABI_VERSION,
    rsi_abi::RSI_SUCCESS => bindings::RSI_SUCCESS,
    rsi_abi::RSI_ERROR_INPUT => bindings::RSI_ERROR_INPUT,
    rsi_abi::RSI_ERROR_STATE => bindings::RSI_ERROR_STATE,
    rsi_abi::RSI_INCOMPLETE => bindings::RSI_INCOMPLETE,
    rsi_abi::RSI_ERROR_UNKNOWN => bindings::RSI_ERROR_UNKNOWN,
    rsi_abi::RSI_NO_CHANGE_DESTROYED => bindings::RSI_NO_CHANGE_DESTROYED,
    rsi_abi::RSI_CHANGE_DESTROYED => bindings::RSI_CHANGE_DESTROYED,
    rsi_abi::RSI_ACCEPT => bindings::RSI_ACCEPT,
    rsi_abi::RSI_REJECT => bindings::RSI_REJECT,
    rsi_abi::RSI_RIPAS_EMPTY => bindings::RSI_RIPAS_EMPTY,
    rsi_abi::RSI_RIPAS_RAM => bindings::RSI_RIPAS_RAM,
    rsi_abi::RSI_RIPAS_DESTROYED => bindings::ripas_RSI_RIPAS_DESTROYED as u64,
    rsi_abi::RSI_GRANULE_SIZE => bindings::RSI_GRANULE_SIZE,
);
