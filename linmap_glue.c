// SPDX-License-Identifier: GPL-2.0
/*
 * linmap: the C half of the hardware seam (descriptor loads and stores,
 * barriers, TLB maintenance, the live format) and linmap.impl=.
 *
 * Table allocation lives in arch/arm64/mm/mmu.c, next to the allocator it
 * shares with split_pmd()/split_pud().
 */

#include <linux/init.h>
#include <linux/mm.h>
#include <linux/string.h>

#include <asm/barrier.h>
#include <asm/kfence.h>
#include <asm/linmap.h>
#include <asm/mmu_context.h>
#include <asm/pgalloc.h>
#include <asm/rsi.h>
#include <asm/tlbflush.h>

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

u64 linmap_hw_read(phys_addr_t table, unsigned int index)
{
	return READ_ONCE(((u64 *)phys_to_virt(table))[index]);
}

/* As __set_pte_nosync(): the caller orders the stores with a barrier. */
void linmap_hw_write(phys_addr_t table, unsigned int index, u64 val)
{
	WRITE_ONCE(((u64 *)phys_to_virt(table))[index], val);
}

void linmap_hw_free_table(phys_addr_t table, unsigned int pgtable_level)
{
	pagetable_dtor_free(virt_to_ptdesc(phys_to_virt(table)));
}

void linmap_hw_dsb_ishst(void)
{
	dsb(ishst);
}

void linmap_hw_isb(void)
{
	isb();
}

void linmap_hw_flush_tlb_kernel_range(unsigned long start, unsigned long end)
{
	flush_tlb_kernel_range(start, end);
}

void linmap_hw_flush_tlb_all(void)
{
	flush_tlb_all();
}

void linmap_hw_get_format(struct linmap_hw_format *f)
{
	f->page_shift = PAGE_SHIFT;
	f->va_bits = vabits_actual;
	f->pa_bits_52 = IS_ENABLED(CONFIG_ARM64_64K_PAGES) ?
			IS_ENABLED(CONFIG_ARM64_PA_BITS_52) : lpa2_is_enabled();
	f->ns_shared = PROT_NS_SHARED;
	f->pgd = __pa_symbol(swapper_pg_dir);
}

/* The inputs of force_pte_mapping() and can_set_direct_map(), now. */
void linmap_get_map_inputs(struct linmap_map_inputs *in)
{
	in->debug_pagealloc = debug_pagealloc_enabled();
	in->caps_finalized = system_capabilities_finalized();
	in->system_bbml3 = system_supports_bbml3();
	in->cpu_bbml3 = cpu_supports_bbml3();
	in->rodata_full = rodata_full;
	in->kfence_can_set_direct_map = arm64_kfence_can_set_direct_map();
	in->realm = is_realm_world();
}
