// SPDX-License-Identifier: GPL-2.0

//! linmap: the arm64 kernel linear map, managed in Rust.
//!
//! This crate is built twice from the same sources:
//!
//! - by Cargo on the host (`cargo test`), where it is a plain `no_std` library
//!   whose tests run against host models of the hardware, and
//! - by Kbuild into `vmlinux` (`CONFIG_ARM64_LINMAP`), which passes
//!   `--cfg kernel` and adds the kernel-only glue in [`glue`](self) that C
//!   calls into.
//!
//! Everything outside the kernel glue is pure logic with no dependency on the
//! `kernel` crate, so that what the host tests prove is what the kernel runs.

#![cfg_attr(not(kernel), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod addr;
#[cfg(not(kernel))]
pub mod audit;
pub mod boot;
pub mod cpufeature;
pub mod desc;
pub mod error;
pub mod fdt;
pub mod geometry;
pub mod hw;
pub mod linear;
#[cfg(not(kernel))]
pub mod model;
pub mod pageattr;
pub mod policy;
pub mod ptdump;
#[cfg(not(kernel))]
pub mod reference;
pub mod rsi;
pub mod split;
pub mod walk;

#[cfg(kernel)]
pub mod glue;
#[cfg(kernel)]
pub mod kernel_mm;

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
