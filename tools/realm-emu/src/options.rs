// SPDX-License-Identifier: GPL-2.0

//! Options, read from the guest's command line (`/chosen/bootargs`), where
//! the test harness puts them with QEMU's `-append`. Linux ignores them.
//!
//! - `realm_emu.inject=<fault>`: make one RSI call fail, to test the
//!   guest's error paths (see [`Inject`]).
//! - `realm_emu.lenient=1`: map protected MMIO (GiB 0) too, as Device
//!   memory, so that a guest that does not take itself for a realm (after
//!   an injected failure) can still reach its devices and finish booting.

/// An RSI failure to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Inject {
    /// None: behave as the RMM specification says.
    #[default]
    None,
    /// `RSI_VERSION` answers that only RSI 2.0 is supported.
    Version,
    /// `RSI_REALM_CONFIG` answers `RSI_ERROR_INPUT`.
    Config,
    /// `RSI_IPA_STATE_SET` answers `RSI_REJECT` for every request.
    Reject,
}

/// The options the emulator understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Options {
    /// The RSI failure to inject.
    pub inject: Inject,
    /// Map protected MMIO as well as its shared alias.
    pub lenient: bool,
}

impl Options {
    /// Parses a command line; unknown words and values are ignored (the
    /// second tuple member counts them, so that they can be reported).
    pub fn parse(cmdline: &[u8]) -> (Options, usize) {
        let mut o = Options::default();
        let mut unknown = 0;
        for word in cmdline.split(|c| c.is_ascii_whitespace()) {
            let Some(opt) = word.strip_prefix(b"realm_emu.") else {
                continue;
            };
            match opt {
                b"inject=version" => o.inject = Inject::Version,
                b"inject=config" => o.inject = Inject::Config,
                b"inject=reject" => o.inject = Inject::Reject,
                b"inject=none" => o.inject = Inject::None,
                b"lenient=1" => o.lenient = true,
                b"lenient=0" => o.lenient = false,
                _ => unknown += 1,
            }
        }
        (o, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inject() {
        assert_eq!(Options::parse(b"console=ttyAMA0"), (Options::default(), 0));
        let (o, u) = Options::parse(b"a realm_emu.inject=reject b");
        assert_eq!((o.inject, u), (Inject::Reject, 0));
        let (o, u) = Options::parse(b"realm_emu.inject=version realm_emu.bogus=1");
        assert_eq!((o.inject, u), (Inject::Version, 1));
        let (o, u) = Options::parse(b"realm_emu.inject=config\trealm_emu.inject=");
        assert_eq!((o.inject, u), (Inject::Config, 1));
        assert!(!o.lenient);
        let (o, u) = Options::parse(b"realm_emu.lenient=1 realm_emu.lenient=yes");
        assert_eq!((o.lenient, u), (true, 1));
    }
}
