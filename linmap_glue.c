// SPDX-License-Identifier: GPL-2.0
/*
 * linmap: the C half of the hardware seam (stores into swapper_pg_dir,
 * TLB maintenance, table frees, the live format, SMC, the early FDT),
 * the decisions' inputs and linmap.impl=. The Rust core loads and stores
 * the other entries and issues barriers itself.
 *
 * Table allocation lives in arch/arm64/mm/mmu.c, next to the allocator it
 * shares with split_pmd()/split_pud().
 */

#include <linux/arm-smccc.h>
#include <linux/init.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/memory_hotplug.h>
#include <linux/mmu_context.h>
#include <linux/of_fdt.h>
#include <linux/pgalloc.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <asm/barrier.h>
#include <asm/kfence.h>
#include <asm/rsi.h>
#include <asm/tlbflush.h>

#include "linmap_internal.h"

/* linmap.impl= */
bool linmap_rust __ro_after_init = true;

static int __init parse_linmap_impl(char *str)
{
	if (!str)
		return -EINVAL;
	if (!strcmp(str, "rust"))
		linmap_rust = true;
	else if (!strcmp(str, "c"))
		linmap_rust = false;
	else
		return -EINVAL;
	return 0;
}
early_param("linmap.impl", parse_linmap_impl);

/* The answers of linmap_map_decide() once final, see <asm/linmap.h>. */
u8 linmap_map_answers;

/* The walk caches too: between unlinking a table and freeing it. */
void linmap_hw_flush_tlb_kernel_pgtable(unsigned long addr)
{
	__flush_tlb_kernel_pgtable(addr);
}

/*
 * Whether linmap_hw_free_table() may free a table: tables from the page
 * allocator, not map_mem()'s, which came from memblock (reserved pages).
 */
bool linmap_hw_table_freeable(phys_addr_t table)
{
	return !PageReserved(phys_to_page(table));
}

/*
 * Around a walk of the whole linear map: memory hot-remove frees its
 * tables with no grace period.
 */
void linmap_hw_mem_hotplug_begin(void)
{
	get_online_mems();
}

void linmap_hw_mem_hotplug_end(void)
{
	put_online_mems();
}

/*
 * A store into the top table of a tree. swapper_pg_dir's linear alias is
 * read-only once mark_linear_text_alias_ro() has run, so its entries are
 * written as set_pud()/set_pmd() write them when in_swapper_pgdir(): through
 * set_swapper_pgd() (the fixmap, with the barriers). Lazy MMU mode is paused
 * around it: in lazy mode the fixmap PTE's dsb; isb would only be queued,
 * and the store through the fixmap could take a spurious translation
 * fault. Other trees (KUnit's private ones) are written in place.
 */
void linmap_hw_write_top(phys_addr_t table, unsigned int index, u64 val)
{
	if (table == __pa_symbol(swapper_pg_dir)) {
		lazy_mmu_mode_pause();
		set_swapper_pgd(&swapper_pg_dir[index], __pgd(val));
		lazy_mmu_mode_resume();
		return;
	}
	WRITE_ONCE(((u64 *)phys_to_virt(table))[index], val);
}

void linmap_hw_free_table(phys_addr_t table, unsigned int pgtable_level)
{
	pagetable_dtor_free(virt_to_ptdesc(phys_to_virt(table)));
}

void linmap_hw_flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	flush_tlb_kernel_range(start, end);
}

void linmap_hw_get_format(struct linmap_hw_format *f)
{
	f->page_shift = PAGE_SHIFT;
	f->va_bits = VA_BITS;
	f->va_bits_actual = vabits_actual;
	f->pa_bits_52 = IS_ENABLED(CONFIG_ARM64_64K_PAGES) ?
			IS_ENABLED(CONFIG_ARM64_PA_BITS_52) : lpa2_is_enabled();
	f->ns_shared = PROT_NS_SHARED;
	f->pgd = __pa_symbol(swapper_pg_dir);
	f->page_offset = PAGE_OFFSET;
	f->phys_offset = PHYS_OFFSET;
}

/* The inputs of force_pte_mapping() and can_set_direct_map(), now. */
void linmap_get_map_inputs(struct linmap_map_inputs *in)
{
	in->debug_pagealloc = debug_pagealloc_enabled();
	in->caps_finalized = system_capabilities_finalized();
	in->system_bbml3 = system_supports_bbml3();
	/* An ID register read (trapped under KVM): only while it decides. */
	in->cpu_bbml3 = !in->caps_finalized && cpu_supports_bbml3();
	in->rodata_full = rodata_full;
	in->kfence_can_set_direct_map = arm64_kfence_can_set_direct_map();
	/*
	 * 7.3 learns it is in a realm only in arm64_rsi_init(), after
	 * map_mem(); linmap's early probe knows before (rust only: with
	 * linmap.impl=c the upstream answer stands).
	 */
	in->realm = is_realm_world() || (linmap_rust && linmap_early_realm());
}

/* An SMC through the SMC conduit, whatever the kernel has probed yet. */
void linmap_hw_smc(const u64 *args, u64 *res)
{
	struct arm_smccc_res r;

	arm_smccc_smc(args[0], args[1], args[2], args[3], args[4], args[5],
		      args[6], args[7], &r);
	res[0] = r.a0;
	res[1] = r.a1;
	res[2] = r.a2;
	res[3] = r.a3;
}

/* The flattened device tree the kernel booted with, before unflattening. */
const void *linmap_hw_early_fdt(unsigned long *size)
{
	if (!initial_boot_params || fdt_check_header(initial_boot_params)) {
		*size = 0;
		return NULL;
	}
	*size = fdt_totalsize(initial_boot_params);
	return initial_boot_params;
}

/* 7.3's answer: true once arm64_rsi_init() has found a realm. */
bool linmap_hw_realm_world(void)
{
	return is_realm_world();
}

/* Whether the byte at @addr can be written (with its own value). */
bool linmap_probe_write(unsigned long addr)
{
	u8 b;

	if (copy_from_kernel_nofault(&b, (void *)addr, 1))
		return false;
	return !copy_to_kernel_nofault((void *)addr, &b, 1);
}

/*
 * Read-only queries of the kernel page tables, for tests and the sample
 * module; the walks are the Rust core's (rust/glue/mm.rs).
 */
int linmap_leaf_info(unsigned long addr, struct linmap_leaf *leaf)
{
	return linmap_core_leaf_info(addr, leaf);
}

int linmap_linear_leaf_counts(struct linmap_leaf_counts *c)
{
	return linmap_core_linear_leaf_counts(c);
}
