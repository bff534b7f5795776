// SPDX-License-Identifier: GPL-2.0

//! What only the host build has: the MMU model, the break-before-make
//! auditor, the one-entry-per-page reference, the ptdump writer and the
//! world the property tests and the fuzz target build, and the fuzz
//! target's body. None of it is copied
//! into the kernel tree.

extern crate alloc;

pub mod audit;
pub mod fuzz;
pub mod model;
pub mod ptdump;
pub mod reference;
pub mod scenario;

impl crate::collapse::Retire for alloc::vec::Vec<crate::hw::Table> {
    fn has_room(&self) -> bool {
        true
    }

    fn retire(&mut self, table: crate::hw::Table) {
        self.push(table);
    }
}
