// SPDX-License-Identifier: GPL-2.0

//! libFuzzer target over `linmap::host::fuzz::ops` (see there for what each
//! input does and what is checked).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| linmap::host::fuzz::ops(data));
