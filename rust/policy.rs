// SPDX-License-Identifier: GPL-2.0

//! When the linear map may be split, and how it is mapped at boot, as pure
//! functions of an explicit state.
//!
//! C: `force_pte_mapping()` and `split_kernel_leaf_mapping()` in
//! [`arch/arm64/mm/mmu.c`](srctree/arch/arm64/mm/mmu.c),
//! `can_set_direct_map()` in [`arch/arm64/mm/pageattr.c`](srctree/arch/arm64/mm/pageattr.c).

/// The inputs of 7.3's boot-time mapping decisions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapInputs {
    /// `debug_pagealloc_enabled()`.
    pub debug_pagealloc: bool,
    /// `system_capabilities_finalized()`.
    pub caps_finalized: bool,
    /// `system_supports_bbml3()` (meaningful once caps are finalized).
    pub system_bbml3: bool,
    /// `cpu_supports_bbml3()` on the CPU asking (the boot CPU at `map_mem()`).
    pub cpu_bbml3: bool,
    /// `rodata_full`.
    pub rodata_full: bool,
    /// `arm64_kfence_can_set_direct_map()`.
    pub kfence_can_set_direct_map: bool,
    /// `is_realm_world()`.
    pub realm: bool,
}

impl MapInputs {
    /// `force_pte_mapping()`: the linear map must be mapped with PTEs.
    pub const fn force_pte_mapping(&self) -> bool {
        let bbml3 = if self.caps_finalized {
            self.system_bbml3
        } else {
            self.cpu_bbml3
        };
        self.debug_pagealloc
            || (!bbml3 && (self.rodata_full || self.kfence_can_set_direct_map || self.realm))
    }

    /// `can_set_direct_map()`: page-granular changes of the linear map
    /// are expected.
    pub const fn can_set_direct_map(&self) -> bool {
        self.rodata_full || self.debug_pagealloc || self.kfence_can_set_direct_map || self.realm
    }

    /// `linear_map_requires_bbml3`, set by `map_mem()`: the map has large
    /// leaves that will need splitting.
    pub const fn linear_map_requires_bbml3(&self) -> bool {
        !self.force_pte_mapping() && self.can_set_direct_map()
    }
}

/// The inputs of `split_kernel_leaf_mapping()`'s decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitState {
    /// `linear_map_requires_bbml3`.
    pub linear_map_requires_bbml3: bool,
    /// `is_kfence_address(start)`.
    pub kfence_address: bool,
    /// `system_supports_bbml3()`.
    pub system_bbml3: bool,
    /// `system_capabilities_finalized()`.
    pub caps_finalized: bool,
    /// `page_alloc_available`.
    pub page_alloc_available: bool,
    /// `num_online_cpus()`.
    pub online_cpus: u32,
}

/// What `split_kernel_leaf_mapping()` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitDecision {
    /// Split at the range's ends.
    Split,
    /// Return 0 without splitting: the range is PTE-mapped already, or (on a
    /// system without BBML3 after caps are final) the linear map was
    /// repainted to PTEs.
    NothingToDo,
    /// Return `-EBUSY` after a `WARN_ON()`: a boot window in which a split
    /// is not possible.
    Busy,
}

/// The decision of `split_kernel_leaf_mapping()`.
pub const fn split_decision(s: &SplitState) -> SplitDecision {
    match (
        s.linear_map_requires_bbml3 && !s.kfence_address,
        s.system_bbml3,
        s.caps_finalized,
    ) {
        (false, _, _) => SplitDecision::NothingToDo,
        (true, true, _) => SplitDecision::Split,
        (true, false, true) => SplitDecision::NothingToDo,
        (true, false, false) => {
            if !s.page_alloc_available || s.online_cpus > 1 {
                SplitDecision::Busy
            } else {
                SplitDecision::Split
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 7.3's `force_pte_mapping()`, transcribed statement by statement.
    fn c_force_pte_mapping(i: &MapInputs) -> bool {
        let bbml3 = if i.caps_finalized {
            i.system_bbml3
        } else {
            i.cpu_bbml3
        };
        if i.debug_pagealloc {
            return true;
        }
        if bbml3 {
            return false;
        }
        i.rodata_full || i.kfence_can_set_direct_map || i.realm
    }

    /// 7.3's `split_kernel_leaf_mapping()` up to the split, transcribed.
    fn c_split(s: &SplitState) -> SplitDecision {
        if !s.linear_map_requires_bbml3 || s.kfence_address {
            return SplitDecision::NothingToDo;
        }
        if !s.system_bbml3 {
            if s.caps_finalized {
                return SplitDecision::NothingToDo;
            }
            if !s.page_alloc_available {
                return SplitDecision::Busy;
            }
            if s.online_cpus > 1 {
                return SplitDecision::Busy;
            }
        }
        SplitDecision::Split
    }

    fn bits(n: u32, k: u32) -> bool {
        n & (1 << k) != 0
    }

    #[test]
    fn force_pte_mapping_exhaustive() {
        for n in 0..(1 << 7) {
            let i = MapInputs {
                debug_pagealloc: bits(n, 0),
                caps_finalized: bits(n, 1),
                system_bbml3: bits(n, 2),
                cpu_bbml3: bits(n, 3),
                rodata_full: bits(n, 4),
                kfence_can_set_direct_map: bits(n, 5),
                realm: bits(n, 6),
            };
            assert_eq!(i.force_pte_mapping(), c_force_pte_mapping(&i), "{i:?}");
            let c_can =
                i.rodata_full || i.debug_pagealloc || i.kfence_can_set_direct_map || i.realm;
            assert_eq!(i.can_set_direct_map(), c_can);
            assert_eq!(
                i.linear_map_requires_bbml3(),
                !c_force_pte_mapping(&i) && c_can
            );
        }
    }

    #[test]
    fn split_decision_exhaustive() {
        for n in 0..(1 << 5) {
            for cpus in [1, 2, 8] {
                let s = SplitState {
                    linear_map_requires_bbml3: bits(n, 0),
                    kfence_address: bits(n, 1),
                    system_bbml3: bits(n, 2),
                    caps_finalized: bits(n, 3),
                    page_alloc_available: bits(n, 4),
                    online_cpus: cpus,
                };
                assert_eq!(split_decision(&s), c_split(&s), "{s:?}");
            }
        }
    }

    #[test]
    fn the_reported_realm_window() {
        // init_IRQ in a realm on a BBML3 boot CPU, before secondaries and
        // before caps are final: 7.3 splits (the fix); the report's kernel
        // refused because it required finalized caps.
        let s = SplitState {
            linear_map_requires_bbml3: true,
            kfence_address: false,
            system_bbml3: false,
            caps_finalized: false,
            page_alloc_available: true,
            online_cpus: 1,
        };
        assert_eq!(split_decision(&s), SplitDecision::Split);
        // Secondaries started, caps not final: refused with a WARN.
        assert_eq!(
            split_decision(&SplitState {
                online_cpus: 2,
                ..s
            }),
            SplitDecision::Busy
        );
        // Before the page allocator.
        assert_eq!(
            split_decision(&SplitState {
                page_alloc_available: false,
                ..s
            }),
            SplitDecision::Busy
        );
        // A realm whose boot CPU lacks BBML3: 7.3 cannot see the realm at
        // map_mem() (is_realm_world() is false then), so it maps blocks
        // when rodata_full is off.
        let at_map_mem = MapInputs {
            rodata_full: false,
            realm: false,
            ..MapInputs::default()
        };
        assert!(!at_map_mem.force_pte_mapping());
        let known = MapInputs {
            realm: true,
            ..at_map_mem
        };
        assert!(known.force_pte_mapping());
    }
}
