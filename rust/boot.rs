// SPDX-License-Identifier: GPL-2.0

//! What linmap learns from C while the kernel boots, and in what order.
//!
//! C calls linmap at two points of the arm64 boot (`arch/arm64/mm/mmu.c`):
//!
//! 1. from `paging_init()`, before `map_mem()` builds the linear map, with the
//!    boot CPU's `ID_AA64MMFR2_EL1` and its BBML3 answer;
//! 2. from `linear_map_maybe_split_to_ptes()`, once the system capabilities are
//!    finalized, with the system-wide BBML3 answer and whether the linear map
//!    was built with large leaves that need BBML3.
//!
//! The state is one word so that the kernel can keep it in a single atomic.
//! The transitions are pure functions, tested on the host.

use core::fmt;

use crate::cpufeature::BbmLevel;

/// `paging_init()` reported in.
pub const PAGING_INIT_DONE: u32 = 1 << 0;
/// The boot CPU has BBML3 (valid once [`PAGING_INIT_DONE`] is set).
pub const BOOT_CPU_BBML3: u32 = 1 << 1;
/// The capabilities were finalized and reported in.
pub const CAPS_FINALIZED: u32 = 1 << 2;
/// Every CPU has BBML3 (valid once [`CAPS_FINALIZED`] is set).
pub const SYSTEM_BBML3: u32 = 1 << 3;
/// The linear map was built with leaves that need BBML3 to be split.
pub const LINEAR_MAP_REQUIRES_BBML3: u32 = 1 << 4;

/// A boot hook was called when it must not be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookError {
    /// `paging_init()` reported in a second time.
    PagingInitTwice,
    /// The caps-finalize hook ran before `paging_init()`.
    CapsBeforePagingInit,
    /// The caps-finalize hook ran a second time.
    CapsTwice,
    /// The system claims BBML3 although the boot CPU has none: the boot CPU
    /// is one of the CPUs the system-wide answer covers, so C passed
    /// inconsistent values.
    SystemWithoutBootCpu,
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookError::PagingInitTwice => "paging_init hook called twice",
            HookError::CapsBeforePagingInit => "caps-finalize hook called before paging_init",
            HookError::CapsTwice => "caps-finalize hook called twice",
            HookError::SystemWithoutBootCpu => "system BBML3 reported without boot CPU BBML3",
        })
    }
}

/// The state after `paging_init()` reported the boot CPU.
pub const fn on_paging_init(state: u32, boot_cpu_bbml3: bool) -> Result<u32, HookError> {
    if state & PAGING_INIT_DONE != 0 {
        return Err(HookError::PagingInitTwice);
    }
    let mut next = state | PAGING_INIT_DONE;
    if boot_cpu_bbml3 {
        next |= BOOT_CPU_BBML3;
    }
    Ok(next)
}

/// The state after the capabilities were finalized.
pub const fn on_caps_finalized(
    state: u32,
    system_bbml3: bool,
    linear_map_requires_bbml3: bool,
) -> Result<u32, HookError> {
    if state & PAGING_INIT_DONE == 0 {
        return Err(HookError::CapsBeforePagingInit);
    }
    if state & CAPS_FINALIZED != 0 {
        return Err(HookError::CapsTwice);
    }
    if system_bbml3 && state & BOOT_CPU_BBML3 == 0 {
        return Err(HookError::SystemWithoutBootCpu);
    }
    let mut next = state | CAPS_FINALIZED;
    if system_bbml3 {
        next |= SYSTEM_BBML3;
    }
    if linear_map_requires_bbml3 {
        next |= LINEAR_MAP_REQUIRES_BBML3;
    }
    Ok(next)
}

const fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The line linmap logs from `paging_init()`.
#[derive(Clone, Copy, Debug)]
pub struct PagingInitReport {
    /// The boot CPU's raw `ID_AA64MMFR2_EL1`.
    pub id_aa64mmfr2: u64,
    /// The kernel's `cpu_supports_bbml3()` on the boot CPU.
    pub boot_cpu_bbml3: bool,
}

impl fmt::Display for PagingInitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "version {} (Rust), paging_init: boot CPU BBML3: {} (ID_AA64MMFR2_EL1.BBM={})",
            crate::VERSION,
            yes_no(self.boot_cpu_bbml3),
            BbmLevel::from_id_aa64mmfr2(self.id_aa64mmfr2),
        )
    }
}

/// The line linmap logs when the capabilities are finalized.
#[derive(Clone, Copy, Debug)]
pub struct CapsReport {
    /// `system_supports_bbml3()`.
    pub system_bbml3: bool,
    /// 7.3's `linear_map_requires_bbml3`.
    pub linear_map_requires_bbml3: bool,
}

impl CapsReport {
    /// Whether 7.3 repaints the linear map to PTEs at this point.
    pub const fn needs_split_to_ptes(&self) -> bool {
        self.linear_map_requires_bbml3 && !self.system_bbml3
    }
}

impl fmt::Display for CapsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "caps finalized: system BBML3: {}, linear map requires BBML3: {}, split to PTEs: {}",
            yes_no(self.system_bbml3),
            yes_no(self.linear_map_requires_bbml3),
            yes_no(self.needs_split_to_ptes()),
        )
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn hooks_in_order() {
        let s = on_paging_init(0, true).unwrap();
        assert_eq!(s, PAGING_INIT_DONE | BOOT_CPU_BBML3);
        let s = on_caps_finalized(s, true, true).unwrap();
        assert_eq!(
            s,
            PAGING_INIT_DONE
                | BOOT_CPU_BBML3
                | CAPS_FINALIZED
                | SYSTEM_BBML3
                | LINEAR_MAP_REQUIRES_BBML3
        );

        let s = on_paging_init(0, false).unwrap();
        assert_eq!(s, PAGING_INIT_DONE);
        assert_eq!(
            on_caps_finalized(s, false, false),
            Ok(PAGING_INIT_DONE | CAPS_FINALIZED)
        );
    }

    #[test]
    fn hooks_out_of_order() {
        assert_eq!(
            on_caps_finalized(0, false, false),
            Err(HookError::CapsBeforePagingInit)
        );
        let s = on_paging_init(0, false).unwrap();
        assert_eq!(on_paging_init(s, false), Err(HookError::PagingInitTwice));
        assert_eq!(
            on_caps_finalized(s, true, true),
            Err(HookError::SystemWithoutBootCpu)
        );
        let s = on_caps_finalized(s, false, true).unwrap();
        assert_eq!(on_caps_finalized(s, false, true), Err(HookError::CapsTwice));
    }

    #[test]
    fn report_lines() {
        let r = PagingInitReport {
            id_aa64mmfr2: 0x0031_0000_0000_1011,
            boot_cpu_bbml3: true,
        };
        assert_eq!(
            format!("{r}"),
            "version 0.1.0 (Rust), paging_init: boot CPU BBML3: yes (ID_AA64MMFR2_EL1.BBM=0b0011)"
        );
        let c = CapsReport {
            system_bbml3: false,
            linear_map_requires_bbml3: true,
        };
        assert!(c.needs_split_to_ptes());
        assert_eq!(
            format!("{c}"),
            "caps finalized: system BBML3: no, linear map requires BBML3: yes, split to PTEs: yes"
        );
        let c = CapsReport {
            system_bbml3: true,
            linear_map_requires_bbml3: true,
        };
        assert!(!c.needs_split_to_ptes());
    }
}
