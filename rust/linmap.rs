// SPDX-License-Identifier: GPL-2.0

//! linmap: the arm64 kernel linear map, managed in Rust.
//!
//! This crate is built twice from the same sources:
//!
//! - by Cargo on the host (`cargo test`), where it is a plain `no_std` library
//!   whose tests run against host models of the hardware, and
//! - by Kbuild into `vmlinux` (`CONFIG_ARM64_LINMAP`), which passes
//!   `--cfg kernel` and adds the kernel-only glue in `glue/` that C calls
//!   into.
//!
//! The directories are the builds: the files of `rust/` are compiled into
//! both, `rust/glue/` only into the kernel, `rust/host/` (the MMU model,
//! the auditor, the reference, the ptdump writer and the test world) only
//! on the host and never copied into the kernel tree. The shared files
//! have no dependency on the `kernel` crate; what they hold that only the
//! host runs is gated with `cfg(not(kernel))`, so vmlinux has:
//!
//! - [`walk`], [`split`], [`pageattr`], [`collapse`]: the walker, the
//!   splits, the attribute changes (`update_range_prot()` without the
//!   split, and `range_split_to_ptes()` with its table count for the
//!   repaint), the folds back into blocks;
//! - [`policy`], [`boot`], [`cpufeature`]: the decisions C asks for;
//! - [`rsi`], [`rsi_abi`], [`fdt`]: the early realm probe;
//! - [`addr`], [`geometry`], [`desc`], [`hw`], [`error`]: the types;
//! - `linear` only in kernels with the KUnit test, which builds private
//!   trees with it.

#![cfg_attr(not(kernel), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod addr;
pub mod boot;
pub mod collapse;
pub mod cpufeature;
pub mod desc;
pub mod error;
pub mod fdt;
pub mod geometry;
pub mod hw;
#[cfg(any(not(kernel), CONFIG_ARM64_LINMAP_KUNIT_TEST))]
pub mod linear;
pub mod pageattr;
pub mod policy;
pub mod rsi;
pub mod rsi_abi;
pub mod split;
pub mod walk;

#[cfg(kernel)]
pub mod glue;
// Host only, and not in the kernel tree, whose `make rustfmtcheck` formats
// every file it has: there the module must not be looked for. The host's
// lint checks its format with rustfmt directly.
#[cfg(not(kernel))]
#[rustfmt::skip]
pub mod host;

/// The prefix of every message linmap prints from the kernel.
#[cfg(kernel)]
const __LOG_PREFIX: &[u8] = b"linmap\0";

/// linmap's version, as printed in the boot log.
///
/// Kbuild has no `CARGO_PKG_VERSION`, so the version is written here and a
/// host test keeps it equal to the one in `Cargo.toml`.
pub const VERSION: &str = "0.1.0";

#[cfg(test)]
mod tests {
    #[test]
    fn version_matches_cargo_manifest() {
        assert_eq!(super::VERSION, env!("CARGO_PKG_VERSION"));
    }
}
