// SPDX-License-Identifier: GPL-2.0

//! Kernel entry points: the functions C calls during boot.
//!
//! C header: [`arch/arm64/include/asm/linmap.h`](srctree/arch/arm64/include/asm/linmap.h)

// `kernel::fmt::Display` is not `core::fmt::Display`: the reports, which are
// shared with the host build, are printed through `format_args!`.
use kernel::prelude::*;
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};

use crate::boot::{
    self,
    CapsReport,
    PagingInitReport, //
};

/// The boot state word, see [`crate::boot`].
static STATE: Atomic<u32> = Atomic::new(0);

/// Records the boot CPU's BBML3 status before the linear map is built.
///
/// # Safety
///
/// - Must only be called from `paging_init()`, on the boot CPU, before
///   secondary CPUs are started (the state is updated without locking).
#[export]
pub unsafe extern "C" fn linmap_paging_init(id_aa64mmfr2: u64, cpu_bbml3: bool) {
    match boot::on_paging_init(STATE.load(Relaxed), cpu_bbml3) {
        Ok(next) => STATE.store(next, Relaxed),
        Err(e) => {
            pr_err!("{}\n", format_args!("{e}"));
            return;
        }
    }
    let report = PagingInitReport {
        id_aa64mmfr2,
        boot_cpu_bbml3: cpu_bbml3,
    };
    pr_info!("{}\n", format_args!("{report}"));
}

/// Records the system-wide BBML3 answer once capabilities are finalized.
///
/// # Safety
///
/// - Must only be called from `linear_map_maybe_split_to_ptes()`, which runs
///   once, from `setup_system_features()` on one CPU, before any other code
///   reads the state.
#[export]
pub unsafe extern "C" fn linmap_caps_finalized(system_bbml3: bool, requires_bbml3: bool) {
    match boot::on_caps_finalized(STATE.load(Relaxed), system_bbml3, requires_bbml3) {
        Ok(next) => STATE.store(next, Relaxed),
        Err(e) => {
            pr_err!("{}\n", format_args!("{e}"));
            return;
        }
    }
    let report = CapsReport {
        system_bbml3,
        linear_map_requires_bbml3: requires_bbml3,
    };
    pr_info!("{}\n", format_args!("{report}"));
}

#[cfg(CONFIG_ARM64_LINMAP_KUNIT_TEST)]
#[kunit_tests(linmap_boot)]
mod tests {
    use super::*;

    #[test]
    fn paging_init_reported_from_c() {
        let s = STATE.load(Relaxed);
        assert!(s & boot::PAGING_INIT_DONE != 0);
    }

    #[test]
    fn caps_finalized_reported_from_c() {
        // Built-in KUnit suites run from `kernel_init_freeable()`, after
        // `smp_init()` has finalized the capabilities.
        let s = STATE.load(Relaxed);
        assert!(s & boot::CAPS_FINALIZED != 0);
        if s & boot::SYSTEM_BBML3 != 0 {
            assert!(s & boot::BOOT_CPU_BBML3 != 0);
        }
    }
}
