// SPDX-License-Identifier: GPL-2.0

//! realm-emu: an EL2 firmware that lets QEMU (`-M virt,virtualization=on`)
//! run a Linux kernel as an Arm CCA realm guest, by answering the Realm
//! Services Interface (RSI, RMM specification 1.0) and the SMCCC discovery
//! calls itself, tracking each granule's RIPAS, and giving the guest a
//! stage-2 translation with a protected and an unprotected (shared) half.
//!
//! The same sources build twice: on the host, where `cargo test` checks the
//! RSI, RIPAS, PSCI and layout logic, and for `aarch64-unknown-none-softfloat`,
//! where [`el2`](self) adds the entry code, the exception vectors and the
//! hardware side (see `scripts/build-realm-emu.sh`).

#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[path = "../../../rust/rsi_abi.rs"]
pub mod abi;
#[path = "../../../rust/fdt.rs"]
#[allow(dead_code, missing_docs)]
pub mod fdt;
pub mod inject;
pub mod layout;
pub mod options;
pub mod rsi;
pub mod smccc;

#[cfg(target_os = "none")]
mod el2;

/// The emulator's version, printed at boot (a host test keeps it equal to
/// the one in `Cargo.toml`).
pub const VERSION: &str = "0.1.0";

#[cfg(test)]
mod tests {
    #[test]
    fn version_matches_cargo_manifest() {
        assert_eq!(super::VERSION, env!("CARGO_PKG_VERSION"));
    }
}
