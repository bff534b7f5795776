// SPDX-License-Identifier: GPL-2.0

//! The errors linmap's core returns, as the C functions it mirrors do.

use core::fmt;

/// An error from a linear-map operation. The kernel glue turns each into
/// the errno the 7.3 C code returns (`From<Error> for kernel::error::Error`
/// in `glue/mm.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A page-table allocation failed (`-ENOMEM`).
    NoMemory,
    /// Bad input: unaligned, empty or overflowing range, or outside the map
    /// (`-EINVAL`).
    Invalid,
    /// The range covers part of a block or contiguous group that was not
    /// split (`-EINVAL`); 7.3's `pageattr_p?d_entry()` warn about it, so
    /// the kernel glue does too.
    PartlyCovered,
    /// The operation is not possible now (`-EBUSY`).
    Busy,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::NoMemory => "-ENOMEM",
            Error::Invalid => "-EINVAL",
            Error::PartlyCovered => "-EINVAL (part of a leaf)",
            Error::Busy => "-EBUSY",
        })
    }
}

/// `core::result::Result` with [`Error`].
pub type Result<T = ()> = core::result::Result<T, Error>;
