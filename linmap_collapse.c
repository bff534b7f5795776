// SPDX-License-Identifier: GPL-2.0
/*
 * linmap: the C half of collapse (rust/glue/collapse.rs folds): when it
 * may run (linmap.collapse=), the locks it takes, the ranges that never
 * fold, and what users see of it: the DirectMap lines of /proc/meminfo
 * and linmap/collapse in debugfs.
 */

#define pr_fmt(fmt) "linmap: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kfence.h>
#include <linux/memblock.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmzone.h>
#include <linux/pgtable.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/suspend.h>

#include <asm/sections.h>

#include "linmap_internal.h"

/* linmap.collapse= and linmap.collapse_delay_ms= */
static bool linmap_collapse_on __ro_after_init = true;
static unsigned int linmap_collapse_delay_ms __ro_after_init = 1000;

static int __init parse_linmap_collapse(char *str)
{
	return kstrtobool(str, &linmap_collapse_on);
}
early_param("linmap.collapse", parse_linmap_collapse);

static int __init parse_linmap_collapse_delay(char *str)
{
	return kstrtouint(str, 0, &linmap_collapse_delay_ms);
}
early_param("linmap.collapse_delay_ms", parse_linmap_collapse_delay);

/*
 * The ranges of the linear map that never fold: the kernel image's alias,
 * which map_mem() maps apart and mark_linear_text_alias_ro() changes
 * without linmap, and the KFENCE pool, whose pages KFENCE makes valid and
 * invalid from any context without splitting.
 */
unsigned int linmap_hw_collapse_keep(struct linmap_range *r, unsigned int n)
{
	unsigned int i = 0;

	if (i < n) {
		r[i].start = (unsigned long)lm_alias(_text);
		r[i].end = (unsigned long)lm_alias(__bss_stop);
		i++;
	}
#ifdef CONFIG_KFENCE
	if (i < n && READ_ONCE(__kfence_pool)) {
		r[i].start = (unsigned long)__kfence_pool;
		r[i].end = r[i].start + KFENCE_POOL_SIZE;
		i++;
	}
#endif
	return i;
}

/*
 * Whether [@addr, @addr + @size) of the linear map is boot memory only:
 * memory hot-remove clears the leaves of one memory block (or ZONE_DEVICE
 * range) at a time, and neither map_mem() nor arch_add_memory() makes a
 * leaf that spans two, so no fold may reach into hot-added memory.
 */
bool linmap_hw_collapse_boot_memory(unsigned long addr, unsigned long size)
{
#ifdef CONFIG_MEMORY_HOTPLUG
	unsigned long pfn = ALIGN_DOWN(PHYS_PFN(__pa(addr)), PAGES_PER_SECTION);
	unsigned long end = PHYS_PFN(__pa(addr)) + (size >> PAGE_SHIFT);

	/*
	 * memremap_pages() adds pieces of ZONE_DEVICE memory into the unused
	 * part of a boot section, which memblock does not know.
	 */
	if (!memblock_is_region_memory(__pa(addr), size))
		return false;

	for (; pfn < end; pfn += PAGES_PER_SECTION) {
		struct mem_section *ms;

		if (pfn_to_section_nr(pfn) >= NR_MEM_SECTIONS)
			return false;
		ms = __pfn_to_section(pfn);
		if (valid_section(ms) && !early_section(ms))
			return false;
	}
#endif
	return true;
}

/*
 * Around each step of a collapse run: memory hot-remove frees linear-map
 * tables under the memory hotplug lock, and ptdump walks kernel tables
 * holding init_mm's mmap lock for write (mm/ptdump.c), which is what
 * freeing a kernel page table takes it for read against.
 */
void linmap_hw_collapse_begin(void)
{
	get_online_mems();
	mmap_read_lock(&init_mm);
}

void linmap_hw_collapse_end(void)
{
	mmap_read_unlock(&init_mm);
	put_online_mems();
}

/* "4k", "64k", "2M", "32M", "1G", "16G" */
static void linmap_meminfo_line(struct seq_file *m, unsigned long size,
				unsigned long pages)
{
	unsigned long kb = pages * (PAGE_SIZE >> 10);

	if (size >= SZ_1G)
		seq_printf(m, "DirectMap%luG:    %8lu kB\n", size / SZ_1G, kb);
	else if (size >= SZ_1M)
		seq_printf(m, "DirectMap%luM:    %8lu kB\n", size / SZ_1M, kb);
	else
		seq_printf(m, "DirectMap%luk:    %8lu kB\n", size / SZ_1K, kb);
}

/*
 * The linear map's valid memory by the size of the leaf that maps it, as
 * x86 reports its direct map: PTEs, contiguous PTEs, PMD blocks,
 * contiguous PMDs and PUD blocks, as this configuration has them.
 */
void arch_report_meminfo(struct seq_file *m)
{
	struct linmap_leaf_counts c;
	unsigned long per_pmd = PMD_SIZE / PAGE_SIZE;

	if (linmap_core_linear_leaf_counts(&c))
		return;
	linmap_meminfo_line(m, PAGE_SIZE, c.pte);
	linmap_meminfo_line(m, CONT_PTE_SIZE, c.cont_pte);
	linmap_meminfo_line(m, PMD_SIZE, c.pmd * per_pmd);
	if (CONFIG_PGTABLE_LEVELS > 2)
		linmap_meminfo_line(m, CONT_PMD_SIZE, c.cont_pmd * per_pmd);
	if (pud_sect_supported() && CONFIG_PGTABLE_LEVELS > 2)
		linmap_meminfo_line(m, PUD_SIZE, c.pud * (PUD_SIZE / PAGE_SIZE));
}

/* Read: the counters. Write anything: collapse the whole linear map now. */
static int linmap_collapse_show(struct seq_file *m, void *v)
{
	struct linmap_collapse_stats s = {};
	struct linmap_leaf_counts c = {};

	linmap_collapse_get_stats(&s);
	linmap_core_linear_leaf_counts(&c);
	seq_printf(m, "enabled %d\n", s.enabled);
	seq_printf(m, "started %lu\n", s.started);
	seq_printf(m, "passes %lu\n", s.passes);
	seq_printf(m, "pending %lu\n", s.pending);
	seq_printf(m, "split_pud %lu\n", s.split_pud);
	seq_printf(m, "split_pmd %lu\n", s.split_pmd);
	seq_printf(m, "collapse_cont_pte %lu\n", s.cont_pte);
	seq_printf(m, "collapse_pmd %lu\n", s.pmd);
	seq_printf(m, "collapse_cont_pmd %lu\n", s.cont_pmd);
	seq_printf(m, "collapse_pud %lu\n", s.pud);
	seq_printf(m, "pgtables_allocated %lu\n", s.split_pud + s.split_pmd);
	seq_printf(m, "pgtables_freed %lu\n", s.tables_freed);
	seq_printf(m, "linear_map_tables %lu\n", c.tables);
	return 0;
}

static int linmap_collapse_open(struct inode *inode, struct file *file)
{
	return single_open(file, linmap_collapse_show, NULL);
}

static ssize_t linmap_collapse_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	long ret = linmap_collapse_run();

	return ret < 0 ? ret : count;
}

/*
 * A run of the whole linear map now: what folded, -EPERM where collapse
 * does not run, -EBUSY while it is held off. For debugfs and the
 * self-test.
 */
long linmap_collapse_run(void)
{
	return linmap_core_collapse_run();
}
EXPORT_SYMBOL_FOR_LINMAP_TESTS(linmap_collapse_run);

/*
 * Holds collapse off (in pairs, process context): once it returns, no run
 * is under way and none starts until the last release.
 */
void linmap_collapse_inhibit(bool inhibit)
{
	linmap_core_collapse_inhibit(inhibit);
}
EXPORT_SYMBOL_FOR_LINMAP_TESTS(linmap_collapse_inhibit);

/*
 * Hibernation walks the linear map without a lock and re-reads entries
 * (kernel_page_present() from saveable_page(), before kernel threads are
 * frozen; the copy of the linear map at restore): no collapse meanwhile.
 */
static int linmap_collapse_pm_notifier(struct notifier_block *nb,
				       unsigned long action, void *data)
{
	switch (action) {
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		linmap_collapse_inhibit(true);
		break;
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		linmap_collapse_inhibit(false);
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block linmap_collapse_pm_nb = {
	.notifier_call = linmap_collapse_pm_notifier,
};

static const struct file_operations linmap_collapse_fops = {
	.owner = THIS_MODULE,
	.open = linmap_collapse_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = linmap_collapse_write,
};

static int __init linmap_collapse_start(void)
{
	/* Another linmap file may have made the directory. */
	struct dentry *dir = debugfs_lookup("linmap", NULL);
	long ret;

	if (dir) {
		debugfs_create_file("collapse", 0600, dir, NULL,
				    &linmap_collapse_fops);
		dput(dir);
	} else {
		dir = debugfs_create_dir("linmap", NULL);
		debugfs_create_file("collapse", 0600, dir, NULL,
				    &linmap_collapse_fops);
	}
	register_pm_notifier(&linmap_collapse_pm_nb);

	if (!linmap_use_rust() || !linmap_collapse_on)
		return 0;
	if (!linmap_hw_collapse_allowed()) {
		pr_info("collapse off: not every CPU has BBML3, or the linear map has no blocks\n");
		return 0;
	}
	ret = linmap_collapse_init(linmap_collapse_delay_ms);
	if (ret)
		pr_warn("collapse off: %ld\n", ret);
	else
		pr_info("collapse on, %u ms after a change\n",
			linmap_collapse_delay_ms);
	return 0;
}
late_initcall(linmap_collapse_start);
