// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: a page of the linear map shared with the host of an Arm CCA
 * realm, seen from both sides of the shared bit.
 *
 * /sys/kernel/debug/linmap_realm_probe maps a page (one of a linear-map
 * block where there are blocks) into the process that mmap()s it, with
 * the default protection: a second, protected alias of the page. Writing a
 * command to the file acts on the page through the kernel's API, reading
 * it returns what the command saw:
 *
 *   decrypt   set_memory_decrypted(): the linear map's entry carries the
 *             shared bit, the page reads through it; the protected alias
 *             now faults (the RMM unmapped the granule: RIPAS EMPTY), which
 *             the process sees as SIGBUS (7.3's do_sea(): a synchronous
 *             external abort from EL0). In the kernel the same access
 *             would oops, so the kernel never makes it.
 *   encrypt   set_memory_encrypted(): back to a protected entry; the alias
 *             reads again.
 *   destroy   with a host that serves the emulator's test-only host call:
 *             the granule becomes RIPAS DESTROYED; IPA_STATE_GET reports
 *             it, arm64_rsi_is_protected() counts it protected, 7.3's
 *             boot-time request (NO_CHANGE_DESTROYED) is refused and
 *             set_memory_encrypted() (CHANGE_DESTROYED) makes it RAM.
 *
 * And the guest doing the wrong thing, for the boots that show the RMM's
 * enforcement catching it (each ends in a kernel report):
 *
 *   wrong-share    the granule is shared with the RSI only, the linear map
 *                  left protected, and read through it: an SEA, an oops.
 *   wrong-destroy  the granule destroyed, then read: the host cannot serve
 *                  the fault and the realm stops.
 *   wrong-hvc      an HVC from EL1: an undefined instruction, an oops.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm-smccc.h>
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <asm/rsi.h>

#include "linmap_internal.h"

/* The emulator's test-only host call (a 16-bit imm): destroy gprs[0]. */
#define LINMAP_HOST_CALL_DESTROY	0x6c6d
/* A PMD's worth where the allocator has one: a block in mode 1. */
#define PROBE_ORDER	min_t(unsigned int, PMD_SHIFT - PAGE_SHIFT, MAX_PAGE_ORDER)

/* RSI_HOST_CALL's argument: imm, then the registers. */
struct probe_host_call {
	u64 imm;
	u64 gprs[31];
};

static DEFINE_MUTEX(probe_lock);
/* The allocation, of order probe_order, and its page the probe uses. */
static struct page *probe_block, *probe_page;
static unsigned int probe_order;
static bool probe_shared;
/* A conversion failed: the page's state is unknown, it is leaked. */
static bool probe_broken;
static char probe_status[256];
static struct dentry *probe_file;

/* The linear map's leaf for @addr: its level (1..3, 0 if none) and value. */
static int leaf_of(unsigned long addr, u64 *desc)
{
	struct linmap_leaf l;

	if (linmap_leaf_info(addr, &l))
		return 0;
	*desc = l.desc;
	return l.level;
}

static const char *leaf_name(int level, u64 desc)
{
	static const char *const names[] = { "none", "pud", "pmd", "pte" };

	if (level < 0 || level > 3)
		return "none";
	if (level > 1 && (desc & PTE_CONT))
		return level == 2 ? "cont_pmd" : "cont_pte";
	return names[level];
}

static unsigned long probe_addr(void)
{
	return (unsigned long)page_address(probe_page);
}

/* Whether the granule's RIPAS is @want (a read elsewhere would fault). */
static bool probe_ripas_is(enum ripas want)
{
	phys_addr_t pa = page_to_phys(probe_page);
	enum ripas ripas;
	phys_addr_t top;

	return rsi_ipa_state_get(pa, pa + PAGE_SIZE, &ripas, &top) ==
		RSI_SUCCESS && ripas == want;
}

static void probe_report(const char *cmd, int ret)
{
	unsigned long addr = probe_addr();
	u64 desc = 0;
	int level = leaf_of(addr, &desc);
	bool shared = desc & PROT_NS_SHARED;
	/* Read only what maps a granule the host serves. */
	bool readable = (desc & PTE_VALID) &&
		probe_ripas_is(shared ? RSI_RIPAS_EMPTY : RSI_RIPAS_RAM);

	scnprintf(probe_status, sizeof(probe_status),
		  "%s ret=%d leaf=%s shared=%d valid=%d word=%#llx\n", cmd, ret,
		  leaf_name(level, desc), shared, !!(desc & PTE_VALID),
		  readable ? READ_ONCE(*(u64 *)addr) : 0ULL);
}

static int host_destroy(phys_addr_t pa)
{
	struct probe_host_call *hc = kzalloc(sizeof(*hc), GFP_KERNEL);
	struct arm_smccc_res res;
	int ret;

	if (!hc)
		return -ENOMEM;
	/* kmalloc-256: the 256-byte alignment RSI_HOST_CALL asks for. */
	hc->imm = LINMAP_HOST_CALL_DESTROY;
	hc->gprs[0] = pa;
	arm_smccc_1_1_invoke(SMC_RSI_HOST_CALL, virt_to_phys(hc), &res);
	ret = res.a0 != RSI_SUCCESS ? -EIO : hc->gprs[0] == 1 ? 0 : -ENOENT;
	kfree(hc);
	return ret;
}

/* The checks of a destroyed granule, before it is made RAM again. */
static int probe_destroyed(phys_addr_t pa)
{
	if (!probe_ripas_is(RSI_RIPAS_DESTROYED))
		return -EPROTO;
	if (!arm64_rsi_is_protected(pa, PAGE_SIZE))
		return -EPROTO;
	/* 7.3's boot-time request must not take a destroyed granule. */
	if (rsi_set_memory_range_protected_safe(pa, pa + PAGE_SIZE) != -EINVAL)
		return -EPROTO;
	return 0;
}

/* The granule destroyed, checked and converted back. */
static int probe_destroy(void)
{
	phys_addr_t pa = page_to_phys(probe_page);
	int ret, err;

	if (probe_shared)
		return -EBUSY;
	ret = host_destroy(pa);
	if (ret)
		return ret;
	ret = probe_destroyed(pa);
	/* Whatever the checks said: RAM again (CHANGE_DESTROYED). */
	err = set_memory_encrypted(probe_addr(), 1);
	if (err) {
		probe_broken = true;
		return err;
	}
	if (!ret && !probe_ripas_is(RSI_RIPAS_RAM))
		ret = -EPROTO;
	return ret;
}

static int probe_command(const char *cmd)
{
	phys_addr_t pa = page_to_phys(probe_page);
	struct arm_smccc_res res;
	int ret;

	if (probe_broken)
		return -EIO;
	if (!strcmp(cmd, "decrypt")) {
		if (probe_shared)
			return -EBUSY;
		ret = set_memory_decrypted(probe_addr(), 1);
		probe_shared = !ret;
		probe_broken = !!ret;
	} else if (!strcmp(cmd, "encrypt")) {
		/* Only what was shared: 7.3 warns of a leak when this fails. */
		if (!probe_shared)
			return -EINVAL;
		ret = set_memory_encrypted(probe_addr(), 1);
		probe_shared = !!ret;
		probe_broken = !!ret;
	} else if (!strcmp(cmd, "destroy")) {
		ret = probe_destroy();
	} else if (!strcmp(cmd, "wrong-share")) {
		ret = rsi_set_memory_range_shared(pa, pa + PAGE_SIZE);
		pr_info("%pa shared with the RSI only (%d), reading it through the protected linear map\n",
			&pa, ret);
		ret = READ_ONCE(*(int *)probe_addr());
	} else if (!strcmp(cmd, "wrong-destroy")) {
		ret = host_destroy(pa);
		pr_info("%pa destroyed (%d), reading it\n", &pa, ret);
		ret = READ_ONCE(*(int *)probe_addr());
	} else if (!strcmp(cmd, "wrong-hvc")) {
		pr_info("an HVC from EL1\n");
		arm_smccc_1_1_hvc(ARM_SMCCC_VERSION_FUNC_ID, &res);
		ret = res.a0;
	} else {
		return -EINVAL;
	}
	probe_report(cmd, ret);
	return 0;
}

static ssize_t probe_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char cmd[32];
	int ret;

	if (!count || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	mutex_lock(&probe_lock);
	ret = probe_command(strim(cmd));
	mutex_unlock(&probe_lock);
	return ret ?: count;
}

static ssize_t probe_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&probe_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, probe_status,
				      strlen(probe_status));
	mutex_unlock(&probe_lock);
	return ret;
}

static int probe_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	return vm_insert_page(vma, vma->vm_start, probe_page);
}

static const struct file_operations probe_fops = {
	.owner = THIS_MODULE,
	.read = probe_read,
	.write = probe_write,
	.mmap = probe_mmap,
	.llseek = default_llseek,
};

/*
 * A PMD-sized allocation is one block of a block-mapped linear map (mode
 * 1), or PTEs (modes 2 and 3); the probe uses its second page, inside it.
 * Smaller allocations where that is too large or fails.
 */
static int probe_alloc(void)
{
	unsigned int order;

	for (order = PROBE_ORDER; ; order--) {
		probe_block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (probe_block || !order)
			break;
	}
	if (!probe_block)
		return -ENOMEM;
	/* Pages of their own: vm_insert_page() takes a reference. */
	split_page(probe_block, order);
	probe_order = order;
	probe_page = order ? probe_block + 1 : probe_block;
	return 0;
}

static int __init probe_init(void)
{
	u64 *words;
	int i;

	if (!is_realm_world())
		return -ENODEV;
	if (probe_alloc())
		return -ENOMEM;
	words = page_address(probe_page);
	for (i = 0; i < PAGE_SIZE / sizeof(*words); i++)
		words[i] = 0x6c696e6d61700000ULL | i;
	probe_report("init", 0);
	/* Not the proxy of debugfs_create_file(): it has no mmap. */
	probe_file = debugfs_create_file_unsafe("linmap_realm_probe", 0600, NULL,
						NULL, &probe_fops);
	return 0;
}

static void __exit probe_exit(void)
{
	unsigned int i;

	debugfs_remove(probe_file);
	/* A page that cannot be made private again is leaked, as 7.3 does. */
	if (probe_shared && set_memory_encrypted(probe_addr(), 1))
		probe_broken = true;
	if (probe_broken) {
		pr_warn("leaking %u page(s) in an unknown state\n", 1U << probe_order);
		return;
	}
	for (i = 0; i < 1U << probe_order; i++)
		__free_page(probe_block + i);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_DESCRIPTION("Test only: a realm's shared linear-map page from both sides");
MODULE_LICENSE("GPL");
