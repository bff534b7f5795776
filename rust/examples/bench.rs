// SPDX-License-Identifier: GPL-2.0

//! `make bench`: costs of the split and pageattr paths on the host model,
//! for regression tracking. Prints wall time per operation and, because
//! time on a shared machine is noisy, the deterministic work counts
//! (stores, barriers, TLB invalidations, table allocations) per operation.

use std::time::Instant;

use linmap::addr::{
    PhysAddr,
    VirtAddr, //
};
use linmap::desc::Format;
use linmap::geometry::{
    Geometry,
    Granule, //
};
use linmap::host::model::{
    HostMmu,
    Stats, //
};
use linmap::linear::{
    MemLayout, //
};
use linmap::pageattr::Split;
use linmap::pageattr::{
    MaskConfig,
    PageChange, //
};
use linmap::walk::PageTables;

const MEMSTART: u64 = 0x4000_0000;
const MEM: u64 = 4 << 30;

fn fresh(fmt: Format) -> HostMmu {
    let mut m = HostMmu::new(fmt);
    let root = m.root();
    let memory = [(PhysAddr(MEMSTART), PhysAddr(MEMSTART + MEM))];
    let l = MemLayout {
        memory: &memory,
        memstart: PhysAddr(MEMSTART),
        kernel_start: PhysAddr(MEMSTART + (2 << 20)),
        init_begin: PhysAddr(MEMSTART + (10 << 20)),
        init_end: PhysAddr(MEMSTART + (12 << 20)),
        kernel_end: PhysAddr(MEMSTART + (20 << 20)),
        force_pte: false,
        tagged: false,
    };
    PageTables::new(&mut m, &fmt, root).map_mem(&l).unwrap();
    m.stats = Stats::default();
    m.reads.reset();
    m
}

fn per_op(m: &HostMmu, n: u64) -> String {
    let n = n as f64;
    let s = &m.stats;
    format!(
        "loads {:7.1}  stores {:7.1}  dsb {:5.1}  tlbi {:4.2}  tables {:5.3}",
        m.reads.get() as f64 / n,
        s.writes as f64 / n,
        s.dsbs as f64 / n,
        s.tlb_flushes as f64 / n,
        s.allocs as f64 / n
    )
}

fn report(name: &str, ns: f64, m: &HostMmu, n: u64) {
    println!("  {name:<44} {ns:>10.0} ns/op   {}", per_op(m, n));
}

fn main() {
    let masks = MaskConfig::default();
    for (granule, va) in [(Granule::K4, 48), (Granule::K16, 48), (Granule::K64, 48)] {
        let fmt = Format::new(Geometry::new(granule, va, false).unwrap());
        let g = fmt.geometry;
        let page = g.page_size();
        println!("{g}, 4G of RAM block-mapped (BBML3):");
        let off = g.page_offset();

        // map_mem() itself.
        let t = Instant::now();
        let n = 20u64;
        for _ in 0..n {
            std::hint::black_box(fresh(fmt));
        }
        println!(
            "  {:<44} {:>10.0} ns/op",
            "map_mem 4G",
            t.elapsed().as_nanos() as f64 / n as f64
        );

        // Splitting one page out of large leaves, each time in a fresh
        // block (the first split of a region is the expensive one).
        let mut m = fresh(fmt);
        let root = m.root();
        let n = 200u64;
        let step = (MEM / (n + 1)) & !(page - 1);
        let t = Instant::now();
        for i in 0..n {
            let va = VirtAddr(off + (i + 1) * step + 3 * page);
            PageTables::new(&mut m, &fmt, root)
                .split_kernel_leaf_mapping(va, va + page)
                .unwrap();
        }
        report(
            "split_kernel_leaf_mapping, 1 page, cold",
            t.elapsed().as_nanos() as f64 / n as f64,
            &m,
            n,
        );

        // set_memory_ro + set_memory_rw round trips on an already split page.
        let mut m = fresh(fmt);
        let va = VirtAddr(off + (64 << 20) + 5 * page);
        PageTables::new(&mut m, &fmt, root)
            .change_memory_common(&masks, va, page, PageChange::ro(), Split::Allowed)
            .unwrap();
        m.stats = Stats::default();
        m.reads.reset();
        m.reads.reset();
        let n = 20_000u64;
        let t = Instant::now();
        for _ in 0..n {
            PageTables::new(&mut m, &fmt, root)
                .change_memory_common(&masks, va, page, PageChange::ro(), Split::Allowed)
                .unwrap();
            PageTables::new(&mut m, &fmt, root)
                .change_memory_common(&masks, va, page, PageChange::rw(), Split::Allowed)
                .unwrap();
        }
        report(
            "set_memory_ro+rw round trip, 1 page, warm",
            t.elapsed().as_nanos() as f64 / n as f64,
            &m,
            n,
        );

        // The kernel's share of the same round trip: the walk of
        // update_range_prot() alone (the split is a separate call there).
        m.stats = Stats::default();
        m.reads.reset();
        let t = Instant::now();
        for _ in 0..n {
            PageTables::new(&mut m, &fmt, root)
                .update_range_prot(va, page, PageChange::ro(), Split::Forbidden)
                .unwrap();
            PageTables::new(&mut m, &fmt, root)
                .update_range_prot(va, page, PageChange::rw(), Split::Forbidden)
                .unwrap();
        }
        report(
            "update_range_prot ro+rw, 1 page (kernel walk)",
            t.elapsed().as_nanos() as f64 / n as f64,
            &m,
            n,
        );

        // set_memory_valid(0/1) on 64 pages (the DEBUG_PAGEALLOC/secretmem shape).
        let mut m = fresh(fmt);
        let va = VirtAddr(off + (128 << 20));
        let n = 2_000u64;
        let t = Instant::now();
        for _ in 0..n {
            PageTables::new(&mut m, &fmt, root)
                .change_memory_common(
                    &masks,
                    va,
                    64 * page,
                    PageChange::valid(&masks, false),
                    Split::Allowed,
                )
                .unwrap();
            PageTables::new(&mut m, &fmt, root)
                .change_memory_common(
                    &masks,
                    va,
                    64 * page,
                    PageChange::valid(&masks, true),
                    Split::Allowed,
                )
                .unwrap();
        }
        report(
            "set_memory_valid 0+1 round trip, 64 pages",
            t.elapsed().as_nanos() as f64 / n as f64,
            &m,
            n,
        );

        // The caps-finalize repaint of the whole map.
        let mut m = fresh(fmt);
        let t = Instant::now();
        PageTables::new(&mut m, &fmt, root)
            .linear_map_split_to_ptes(
                VirtAddr(off),
                VirtAddr(g.page_end()),
                VirtAddr(off + (2 << 20)),
                VirtAddr(off + (10 << 20)),
            )
            .unwrap();
        report(
            "linear_map_split_to_ptes, 4G",
            t.elapsed().as_nanos() as f64,
            &m,
            1,
        );
        println!("  tables after repaint: {}", m.table_count());
    }
}
