// SPDX-License-Identifier: GPL-2.0

//! The world the property tests and the fuzz target both drive: a linear
//! map built by [`PageTables::map_mem`] over a given RAM layout, the
//! reference of what each page maps and the split oracle captured from it,
//! and the auditor watching every change from then on. Host only.

extern crate alloc;

use alloc::vec::Vec;

use crate::addr::{
    PhysAddr,
    VirtAddr, //
};
use crate::desc::Format;
use crate::hw::Table;
use crate::linear::MemLayout;
use crate::pageattr::MaskConfig;
use crate::walk::PageTables;

use super::audit::Auditor;
use super::model::HostMmu;
use super::reference::{
    Reference,
    SplitOracle, //
};

/// `PHYS_OFFSET` of every world: RAM starts at 1 GiB, as on QEMU's `virt`.
pub const MEMSTART: u64 = 0x4000_0000;

/// The RAM and kernel image a world is built from (physical addresses).
#[derive(Clone, Debug)]
pub struct Layout {
    /// The memory banks, `[start, end)`, sorted.
    pub banks: Vec<(u64, u64)>,
    /// `[_text, __init_begin)`, mapped first.
    pub text: (u64, u64),
    /// `[__init_end, __bss_stop)`, mapped second.
    pub data: (u64, u64),
    /// `force_pte_mapping()`.
    pub force_pte: bool,
    /// MTE: the map is `pgprot_tagged()`.
    pub tagged: bool,
}

/// A built linear map under audit, with what it should map.
pub struct World {
    /// The model under the auditor (BBML3 rules).
    pub a: Auditor<HostMmu>,
    /// The descriptor format.
    pub fmt: Format,
    /// The run-time masks of the `set_memory_*()` changes.
    pub masks: MaskConfig,
    /// What every page of the banks maps.
    pub reference: Reference,
    /// The leaves 7.3's split algorithm gives.
    pub oracle: SplitOracle,
    /// What the map was built from.
    pub layout: Layout,
}

impl World {
    /// Builds the linear map of `layout` as `map_mem()` does and starts
    /// auditing it.
    ///
    /// # Panics
    ///
    /// If `map_mem()` fails: a layout the kernel would refuse.
    pub fn new(fmt: Format, layout: &Layout, masks: MaskConfig) -> World {
        let mut m = HostMmu::new(fmt);
        let root = m.root();
        let memory: Vec<_> = layout
            .banks
            .iter()
            .map(|&(s, e)| (PhysAddr(s), PhysAddr(e)))
            .collect();
        let l = MemLayout {
            memory: &memory,
            memstart: PhysAddr(MEMSTART),
            kernel_start: PhysAddr(layout.text.0),
            init_begin: PhysAddr(layout.text.1),
            init_end: PhysAddr(layout.data.0),
            kernel_end: PhysAddr(layout.data.1),
            force_pte: layout.force_pte,
            tagged: layout.tagged,
        };
        PageTables::new(&mut m, &fmt, root)
            .map_mem(&l)
            .expect("map_mem() of the layout");
        let reference = Reference::capture(&m, PhysAddr(MEMSTART), &memory);
        let oracle = SplitOracle::capture(&m);
        World {
            a: Auditor::new(m, fmt, root, true),
            fmt,
            masks,
            reference,
            oracle,
            layout: layout.clone(),
        }
    }

    /// The top table.
    pub fn root(&self) -> Table {
        self.a.inner().root()
    }

    /// The audited tree, for an operation.
    pub fn tables(&mut self) -> PageTables<'_, &mut Auditor<HostMmu>> {
        let root = self.root();
        PageTables::new(&mut self.a, &self.fmt, root)
    }

    /// The model without the auditor.
    pub fn mmu(&self) -> &HostMmu {
        self.a.inner()
    }

    /// `__phys_to_virt()` of the world.
    pub fn va_of(&self, pa: u64) -> VirtAddr {
        self.reference.va(PhysAddr(pa))
    }
}
