// SPDX-License-Identifier: GPL-2.0

//! Kernel entry points: the functions C calls during boot.
//!
//! C header: [`arch/arm64/include/asm/linmap.h`](srctree/arch/arm64/include/asm/linmap.h)

// `kernel::fmt::Display` is not `core::fmt::Display`: the reports, which are
// shared with the host build, are printed through `format_args!`.
use kernel::bindings;
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
use crate::glue::mm::SmcConduit;
use crate::rsi::{
    self,
    Conduit,
    NotRealm,
    Probe, //
};

/// The boot state word, see [`crate::boot`].
static STATE: Atomic<u32> = Atomic::new(0);

/// Whether the early probe found a realm (1) or not (0).
static EARLY_REALM: Atomic<u32> = Atomic::new(0);

/// linmap's early realm probe, before `map_mem()` (see [`crate::rsi`]).
fn early_realm_probe() -> Probe {
    let mut size: kernel::ffi::c_ulong = 0;
    // SAFETY: `size` is writable; the function only reads
    // `initial_boot_params`.
    let blob = unsafe { bindings::linmap_hw_early_fdt(&mut size) };
    if blob.is_null() {
        // ACPI, or no device tree: 7.3's late probe decides alone.
        return Probe::NotRealm(NotRealm::Conduit(Conduit::None));
    }
    // SAFETY: `blob` is the flattened device tree the kernel booted with,
    // whose header was checked and which stays in memory, unchanged, until
    // it is unflattened after `paging_init()`; `size` is its totalsize.
    let blob = unsafe { core::slice::from_raw_parts(blob.cast::<u8>(), size as usize) };
    rsi::early_probe(blob, &mut SmcConduit)
}

/// Whether linmap's early probe found that the kernel runs in a realm.
///
/// # Safety
///
/// - None: callable from any context.
#[export]
pub unsafe extern "C" fn linmap_early_realm() -> bool {
    EARLY_REALM.load(Relaxed) != 0
}

/// Records the boot CPU's BBML3 status before the linear map is built.
///
/// # Safety
///
/// - Must only be called from `paging_init()`, on the boot CPU, before
///   secondary CPUs are started (the state is updated without locking).
#[export]
pub unsafe extern "C" fn linmap_paging_init(id_aa64mmfr2: u64, cpu_bbml3: bool) {
    // SAFETY: On the boot CPU, before secondary CPUs are started (this
    // function's requirement) and before the linear map exists.
    unsafe { crate::glue::mm::init_live() };
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
    // With linmap.impl=c the upstream code runs alone: no early probe.
    // SAFETY: `linmap_rust` is written by an early_param, before this, and
    // (test-only benchmark kernels) from debugfs and the benchmark module,
    // which exist only from `late_initcall()` on.
    if unsafe { bindings::linmap_rust } {
        let probe = early_realm_probe();
        EARLY_REALM.store(u32::from(probe.is_realm()), Relaxed);
        pr_info!("early RSI probe: {}\n", format_args!("{probe}"));
    }
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
    // SAFETY: `linmap_rust` is written by an early_param, long before, and
    // (test-only benchmark kernels) from debugfs and the benchmark module,
    // which exist only from `late_initcall()` on.
    if unsafe { bindings::linmap_rust } {
        let early = EARLY_REALM.load(Relaxed) != 0;
        // SAFETY: Reading a static key has no precondition.
        let late = unsafe { bindings::linmap_hw_realm_world() };
        if early != late {
            // Not an error: a REALM_CONFIG or RIPAS failure after the version
            // matched leaves a kernel that is not a realm with a linear map
            // built for one (PTE-mapped or splittable), which is safe.
            pr_warn!(
                "early RSI probe: {}, arm64_rsi_init(): {}; the linear map was built for {}\n",
                if early { "realm" } else { "not a realm" },
                if late { "realm" } else { "not a realm" },
                if early { "a realm" } else { "no realm" }
            );
        }
    }
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
