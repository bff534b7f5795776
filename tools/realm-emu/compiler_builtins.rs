// SPDX-License-Identifier: GPL-2.0

//! The `compiler_builtins` crate that every `no_std` crate links against,
//! empty: the emulator needs none of its intrinsics, and `memcpy` and
//! friends are in `src/el2.rs`. As the kernel's `rust/compiler_builtins.rs`.

#![allow(internal_features)]
#![feature(compiler_builtins)]
#![compiler_builtins]
#![no_builtins]
#![no_std]
