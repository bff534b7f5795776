// SPDX-License-Identifier: GPL-2.0

//! What only the host build has: the MMU model, the break-before-make
//! auditor, the one-entry-per-page reference, the ptdump writer and the
//! world the property tests and the fuzz target build. None of it is copied
//! into the kernel tree.

pub mod audit;
pub mod model;
pub mod ptdump;
pub mod reference;
pub mod scenario;
