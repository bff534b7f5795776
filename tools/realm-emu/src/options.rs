// SPDX-License-Identifier: GPL-2.0

//! Options, read from the guest's command line (`/chosen/bootargs`), where
//! the test harness puts them with QEMU's `-append`. Linux ignores them.
//!
//! - `realm_emu.inject=<fault>`: make RSI calls fail or progress as a
//!   declining or slow host would, to test the guest's error paths (see
//!   [`Inject`]).
//! - `realm_emu.lenient=1`: map protected MMIO (GiB 0) too, as Device
//!   memory, so that a guest that does not take itself for a realm (after
//!   an injected failure) can still reach its devices and finish booting.
//! - `realm_emu.strict=zero|poison`: the strict shared view (see [`Strict`]).
//! - `realm_emu.destroy=<ipa>[,<ipa>...]`: the host destroys these granules
//!   before the realm runs (RIPAS DESTROYED).
//! - `realm_emu.host_destroy=1`: the test-only `RSI_HOST_CALL` that
//!   destroys a granule of the guest's choice is served.

/// How many `realm_emu.destroy=` granules are kept.
pub const MAX_DESTROY: usize = 8;

/// An RSI failure to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Inject {
    /// None: behave as TF-RMM and a host that serves every request.
    #[default]
    None,
    /// `RSI_VERSION` answers that only RSI 2.0 is supported.
    Version,
    /// `RSI_REALM_CONFIG` answers `RSI_ERROR_INPUT`.
    Config,
    /// The host declines every RIPAS change: RAM requests are answered
    /// `REJECT`, EMPTY requests `ACCEPT` with no progress (TF-RMM does
    /// not let a host reject those).
    Reject,
    /// The host declines EMPTY requests only (`ACCEPT`, no progress).
    NoProgress,
    /// Each `RSI_IPA_STATE_SET` progresses a random number of granules
    /// (at least one, at most to the next 2 MiB boundary).
    Partial,
}

/// The strict shared view: the shared alias of a granule is mapped only
/// while its RIPAS is EMPTY, and each conversion fills the view it reveals
/// (the shared one on RAM to EMPTY, the protected one on EMPTY to RAM), as
/// fresh host memory and a freshly delegated granule would be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strict {
    /// Off: the shared alias of RAM is always mapped, contents survive.
    #[default]
    Off,
    /// With zeros.
    Zero,
    /// With a pattern no one initialises memory with.
    Poison,
}

/// The options the emulator understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Options {
    /// The RSI failure to inject.
    pub inject: Inject,
    /// Map protected MMIO as well as its shared alias.
    pub lenient: bool,
    /// The strict shared view.
    pub strict: Strict,
    /// Granules the host destroys before the realm runs (0: none).
    pub destroy: [u64; MAX_DESTROY],
    /// Serve the test-only destroy host call.
    pub host_destroy: bool,
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    let (digits, radix) = match s.strip_prefix(b"0x") {
        Some(h) => (h, 16),
        None => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix)?;
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(v)
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
                b"inject=noprogress" => o.inject = Inject::NoProgress,
                b"inject=partial" => o.inject = Inject::Partial,
                b"inject=none" => o.inject = Inject::None,
                b"lenient=1" => o.lenient = true,
                b"lenient=0" => o.lenient = false,
                b"strict=zero" => o.strict = Strict::Zero,
                b"strict=poison" => o.strict = Strict::Poison,
                b"strict=0" => o.strict = Strict::Off,
                b"host_destroy=1" => o.host_destroy = true,
                b"host_destroy=0" => o.host_destroy = false,
                _ => match opt.strip_prefix(b"destroy=") {
                    Some(list) => {
                        let mut n = 0;
                        for ipa in list.split(|&c| c == b',') {
                            match parse_u64(ipa) {
                                Some(v) if v != 0 && n < MAX_DESTROY => {
                                    o.destroy[n] = v;
                                    n += 1;
                                }
                                _ => unknown += 1,
                            }
                        }
                    }
                    None => unknown += 1,
                },
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
        let (o, u) = Options::parse(b"realm_emu.inject=noprogress realm_emu.strict=poison");
        assert_eq!(
            (o.inject, o.strict, u),
            (Inject::NoProgress, Strict::Poison, 0)
        );
        let (o, u) =
            Options::parse(b"realm_emu.inject=partial realm_emu.strict=zero realm_emu.strict=1");
        assert_eq!((o.inject, o.strict, u), (Inject::Partial, Strict::Zero, 1));
    }

    #[test]
    fn parses_destroy() {
        let (o, u) =
            Options::parse(b"realm_emu.destroy=0x80000000,1073741824 realm_emu.host_destroy=1");
        assert_eq!(
            (&o.destroy[..3], u),
            (&[0x8000_0000, 0x4000_0000, 0][..], 0)
        );
        assert!(o.host_destroy);
        // Bad numbers, zero and more than MAX_DESTROY are counted, not kept.
        let (o, u) = Options::parse(b"realm_emu.destroy=0x,zz,0,0x1ffffffffffffffff");
        assert_eq!((o.destroy, u), ([0; MAX_DESTROY], 4));
        let (o, u) = Options::parse(b"realm_emu.destroy=1,2,3,4,5,6,7,8,9");
        assert_eq!((o.destroy[MAX_DESTROY - 1], u), (8, 1));
    }
}
