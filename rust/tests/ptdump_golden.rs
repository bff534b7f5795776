// SPDX-License-Identifier: GPL-2.0

//! Golden dumps: the host model's linear map, printed by `linmap::host::ptdump`,
//! against text the kernel printed.

mod common;

use linmap::addr::{
    PhysAddr,
    VirtAddr, //
};
use linmap::desc::{
    Format,
    PTE_PRESENT_INVALID,
    PTE_RDONLY,
    PTE_VALID,
    PTE_WRITE, //
};
use linmap::geometry::{
    Geometry,
    Granule,
    Level, //
};
use linmap::host::model::HostMmu;
use linmap::host::ptdump::dump_linear_map;
use linmap::hw::PageTableHw;
use linmap::linear::{
    MemLayout,
    NO_EXEC_MAPPINGS, //
};
use linmap::walk::{
    LeafCounts, //
    PageTables,
};

/// Rewrites every last-level entry in `[start, end)` as `f(old)` (the
/// ranges used here are PTE-mapped).
fn rewrite_ptes(mmu: &mut HostMmu, start: u64, end: u64, f: impl Fn(u64) -> u64) {
    let fmt = *mmu.format();
    let g = fmt.geometry;
    let mut va = start;
    while va < end {
        let (slot, d) = mmu.tree().lookup_slot(VirtAddr(va));
        assert!(slot.level().is_last(), "{va:#x} is not PTE-mapped");
        mmu.write(
            slot.table(),
            slot.index(),
            linmap::desc::Descriptor(f(d.bits())),
        );
        va += g.page_size();
    }
}

fn dump(mmu: &HostMmu) -> String {
    let mut s = String::new();
    dump_linear_map(&mut PageTables::new(mmu, mmu.format(), mmu.root()), &mut s).unwrap();
    s
}

/// The dump our 7.3 test kernel printed under QEMU (`make test`: `-M virt
/// -cpu max -m 4G`, 4K pages, 52-bit VA with LPA2, MTE, boot CPU without
/// BBML3 so `force_pte_mapping()`), reproduced by building the same layout
/// with `map_mem()` and applying what the kernel does to the linear alias
/// of its image before the dump: `mark_linear_text_alias_ro()` makes
/// `[_text, __init_begin)` `PAGE_KERNEL_RO`, `mark_linear_data_alias_valid(false)`
/// makes `[__init_end, __bss_stop)` present-invalid. Symbol addresses are
/// from that kernel's System.map; the image was loaded at 0x40200000.
#[test]
fn qemu_virt_4g_lpa2_force_pte() {
    let fmt = Format::new(Geometry::new(Granule::K4, 52, false).unwrap());
    let mut mmu = HostMmu::new(fmt);
    let root = mmu.root();
    let memory = [(PhysAddr(0x4000_0000), PhysAddr(0x1_4000_0000))];
    let base = 0x4020_0000u64;
    let l = MemLayout {
        memory: &memory,
        memstart: PhysAddr(0x4000_0000),
        kernel_start: PhysAddr(base),
        init_begin: PhysAddr(base + 0x59_0000),
        init_end: PhysAddr(base + 0x60_0000),
        kernel_end: PhysAddr(base + 0x119_1000),
        force_pte: true,
        tagged: true,
    };
    PageTables::new(&mut mmu, &fmt, root).map_mem(&l).unwrap();
    // The kernel image mapping shares the last PGD entry with the end of the
    // linear map; one page of it is enough to make that entry a table.
    PageTables::new(&mut mmu, &fmt, root)
        .create_pgd_mapping(
            PhysAddr(base),
            VirtAddr(0xffff_8000_8000_0000),
            0x1000,
            fmt.prot_normal(),
            NO_EXEC_MAPPINGS,
        )
        .unwrap();

    let lm = |pa: u64| l.phys_to_virt(&fmt, PhysAddr(pa)).value();
    let page_kernel_ro = (fmt.prot_normal() & !PTE_WRITE) | PTE_RDONLY;
    let attr_mask = !fmt.addr_mask();
    rewrite_ptes(&mut mmu, lm(base), lm(base + 0x59_0000), |d| {
        (d & !attr_mask) | page_kernel_ro
    });
    rewrite_ptes(&mut mmu, lm(base + 0x60_0000), lm(base + 0x119_1000), |d| {
        (d & !PTE_VALID) | PTE_PRESENT_INVALID
    });

    let golden = include_str!("golden/qemu-virt-4g-lpa2-pte.txt");
    assert_eq!(dump(&mmu), golden);
    // The leaf counts the kernel's ptdump of that boot summed to.
    assert_eq!(
        linear_counts(&mmu),
        LeafCounts {
            pte: 1_045_615,
            present_invalid: 2961,
            // 2048 PTE tables for 4G, and the tables above them.
            tables: 2055,
            ..LeafCounts::default()
        }
    );
}

fn linear_counts(mmu: &HostMmu) -> LeafCounts {
    let g = mmu.format().geometry;
    PageTables::new(mmu, mmu.format(), mmu.root())
        .leaf_counts(VirtAddr(g.page_offset()), VirtAddr(g.page_end()))
}

/// A block-mapped layout (mode 1: boot CPU with BBML3, `rodata=full`): 4K
/// pages, 48-bit VA; 5G at 0x40000000 and a second bank with awkward
/// edges, so every leaf kind appears: PUD blocks, contiguous PMDs, PMDs,
/// contiguous PTEs and PTEs. The kernel image (0x40200000, 8M + 12M) is
/// mapped first, as `map_mem()` does.
#[test]
fn block_mapped_4k_48() {
    let fmt = Format::new(Geometry::new(Granule::K4, 48, false).unwrap());
    let mut mmu = HostMmu::new(fmt);
    let root = mmu.root();
    let memory = [
        (PhysAddr(0x4000_0000), PhysAddr(0x1_8000_0000)),
        (PhysAddr(0x1_8100_0000), PhysAddr(0x1_8342_3000)),
    ];
    let l = MemLayout {
        memory: &memory,
        memstart: PhysAddr(0x4000_0000),
        kernel_start: PhysAddr(0x4020_0000),
        init_begin: PhysAddr(0x40a0_0000),
        init_end: PhysAddr(0x40b0_0000),
        kernel_end: PhysAddr(0x4170_0000),
        force_pte: false,
        tagged: false,
    };
    PageTables::new(&mut mmu, &fmt, root).map_mem(&l).unwrap();
    let golden = include_str!("golden/block-mapped-4k-48.txt");
    assert_eq!(dump(&mmu), golden);
}

/// For every geometry: the dump's lines tile `[PAGE_OFFSET, _PAGE_END)`
/// without gaps, each size column agrees with its range, and the leaves
/// cover exactly the mapped bytes.
#[test]
fn dumps_tile_the_linear_map() {
    for fmt in common::all_formats() {
        let g = fmt.geometry;
        let mut mmu = HostMmu::new(fmt);
        let root = mmu.root();
        let page = g.page_size();
        let memory = [
            (
                PhysAddr(0x4000_0000),
                PhysAddr(0x4000_0000 + (96 << 20) + 3 * page),
            ),
            (
                PhysAddr(0x8000_0000 + page),
                PhysAddr(0x8000_0000 + (40 << 20)),
            ),
        ];
        let l = MemLayout {
            memory: &memory,
            memstart: PhysAddr(0x4000_0000),
            kernel_start: PhysAddr(0x4000_0000 + 2 * page),
            init_begin: PhysAddr(0x4000_0000 + 9 * page),
            init_end: PhysAddr(0x4000_0000 + 11 * page),
            kernel_end: PhysAddr(0x4000_0000 + 30 * page),
            force_pte: false,
            tagged: false,
        };
        PageTables::new(&mut mmu, &fmt, root).map_mem(&l).unwrap();
        let text = dump(&mmu);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.first(),
            Some(&"---[ Linear Mapping start ]---"),
            "{g}"
        );
        assert_eq!(lines.last(), Some(&"---[ Linear Mapping end ]---"), "{g}");
        let mut at = g.page_offset();
        let mut mapped = 0u64;
        let mut counts = LeafCounts::default();
        for line in &lines[1..lines.len() - 1] {
            let (range, rest) = line.split_once("   ").unwrap();
            let (s, e) = range.split_once('-').unwrap();
            let s = u64::from_str_radix(&s[2..], 16).unwrap();
            let e = u64::from_str_radix(&e[2..], 16).unwrap();
            assert_eq!(s, at, "{g}: gap before {line}");
            let size = rest.split_whitespace().next().unwrap();
            let (n, unit) = size.split_at(size.len() - 1);
            let shift = 10 * (1 + "KMGTPE".find(unit).unwrap() as u32);
            assert_eq!(
                n.parse::<u64>().unwrap() << shift,
                e.wrapping_sub(s),
                "{g}: {line}"
            );
            if line.contains("MEM/NORMAL") {
                mapped += e - s;
                let name = rest.split_whitespace().nth(1).unwrap();
                let level = match name {
                    "PGD" => g.start_level(),
                    "P4D" => Level::P4d,
                    "PUD" => Level::Pud,
                    "PMD" => Level::Pmd,
                    _ => Level::Pte,
                };
                let n = ((e - s) / g.entry_size(level)) as usize;
                let cont = line.contains(" CON ");
                *match (name, cont) {
                    ("PTE", true) => &mut counts.cont_pte,
                    ("PTE", false) => &mut counts.pte,
                    ("PMD", true) => &mut counts.cont_pmd,
                    ("PMD", false) => &mut counts.pmd,
                    _ => &mut counts.pud,
                } += n;
            }
            at = e;
        }
        assert_eq!(at, g.page_end(), "{g}");
        let expect = (96 << 20) + 3 * page + (40 << 20) - page;
        assert_eq!(mapped, expect, "{g}");
        // leaf_counts() agrees with the dump, entry by entry (the dump has
        // no tables).
        let leaves = LeafCounts {
            tables: 0,
            ..linear_counts(&mmu)
        };
        assert_eq!(leaves, counts, "{g}");
    }
}
