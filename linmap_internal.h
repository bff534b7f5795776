/* SPDX-License-Identifier: GPL-2.0 */
/*
 * linmap: the interface between arch/arm64/mm and the Rust core that is
 * private to them: the hardware seam the core calls (implemented in
 * linmap_glue.c and, for table allocation, in mm/mmu.c), the inputs of the
 * decisions the glue collects and the read-only queries the tests and the
 * sample use. bindgen sees it through rust/bindings/bindings_helper.h, so
 * #[export] checks the Rust signatures against it.
 *
 * What mm/mmu.c and mm/pageattr.c call is in <asm/linmap.h>.
 */
#ifndef __ARM64_MM_LINMAP_INTERNAL_H
#define __ARM64_MM_LINMAP_INTERNAL_H

#include <linux/types.h>

#include <asm/linmap.h>

/* The inputs of force_pte_mapping() and can_set_direct_map(). */
struct linmap_map_inputs {
	bool debug_pagealloc;
	bool caps_finalized;
	bool system_bbml3;
	bool cpu_bbml3;
	bool rodata_full;
	bool kfence_can_set_direct_map;
	bool realm;
};

/* The leaf that maps an address (linmap_leaf_info()). */
struct linmap_leaf {
	int level;		/* 3 is the last (PTE) level */
	bool valid;
	bool rdonly;
	bool pxn;
	bool cont;
	u64 desc;
};

/* Leaf descriptors of the linear map by kind, as ptdump shows them. */
struct linmap_leaf_counts {
	unsigned long pud;
	unsigned long cont_pmd;
	unsigned long pmd;
	unsigned long cont_pte;
	unsigned long pte;
	unsigned long present_invalid;
	unsigned long tables;		/* page-table pages below the top one */
};

/* What the Rust core needs to know about the live descriptor format. */
struct linmap_hw_format {
	unsigned int page_shift;
	unsigned int va_bits;		/* VA_BITS */
	unsigned int va_bits_actual;	/* vabits_actual */
	bool pa_bits_52;
	u64 ns_shared;
	phys_addr_t pgd;
	u64 page_offset;		/* PAGE_OFFSET */
	u64 phys_offset;		/* PHYS_OFFSET */
};

/* The inputs of linmap_map_decide(), collected by the glue. */
void linmap_get_map_inputs(struct linmap_map_inputs *in);

/* Read-only queries (rust/glue/mm.rs) and their C wrappers. */
int linmap_core_leaf_info(unsigned long addr, struct linmap_leaf *leaf);
int linmap_core_linear_leaf_counts(struct linmap_leaf_counts *c);
int linmap_leaf_info(unsigned long addr, struct linmap_leaf *leaf);
int linmap_linear_leaf_counts(struct linmap_leaf_counts *c);

/* The early realm probe (rust/glue/boot.rs) and a test helper. */
bool linmap_early_realm(void);
bool linmap_probe_write(unsigned long addr);

/*
 * The hardware seam, implemented in C for the Rust core (which loads and
 * stores entries below the top table itself, through the linear map).
 */
void linmap_hw_write_top(phys_addr_t table, unsigned int index, u64 val);
phys_addr_t linmap_hw_alloc_table(unsigned int pgtable_level, gfp_t gfp,
				  bool zeroed);
unsigned int linmap_hw_alloc_tables(unsigned int pgtable_level, gfp_t gfp,
				    unsigned int n, phys_addr_t *pa);
void linmap_hw_free_table(phys_addr_t table, unsigned int pgtable_level);
void linmap_hw_flush_tlb_kernel_range(unsigned long start, unsigned long end);
void linmap_hw_flush_tlb_kernel_pgtable(unsigned long addr);
bool linmap_hw_table_freeable(phys_addr_t table);
void linmap_hw_mem_hotplug_begin(void);
void linmap_hw_mem_hotplug_end(void);
void linmap_hw_get_format(struct linmap_hw_format *f);
void linmap_hw_smc(const u64 *args, u64 *res);
const void *linmap_hw_early_fdt(unsigned long *size);
bool linmap_hw_realm_world(void);

#endif /* __ARM64_MM_LINMAP_INTERNAL_H */
