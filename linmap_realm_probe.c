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

/* The emulator's test-only host call: destroy the granule at gprs[0]. */
#define LINMAP_HOST_CALL_DESTROY	0x6c6d0001UL
/* Pages tried for one inside a linear-map block. */
#define PROBE_CANDIDATES		64

/* RSI_HOST_CALL's argument: imm, then the registers. */
struct probe_host_call {
	u64 imm;
	u64 gprs[31];
};

static DEFINE_MUTEX(probe_lock);
static struct page *probe_page;
static bool probe_shared;
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

static void probe_report(const char *cmd, int ret)
{
	unsigned long addr = probe_addr();
	u64 desc = 0;
	int level = leaf_of(addr, &desc);

	scnprintf(probe_status, sizeof(probe_status),
		  "%s ret=%d leaf=%s shared=%d valid=%d word=%#llx\n", cmd, ret,
		  leaf_name(level, desc),
		  !!(desc & PROT_NS_SHARED),
		  !!(desc & PTE_VALID),
		  (desc & PTE_VALID) ? READ_ONCE(*(u64 *)addr) : 0ULL);
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

/* The granule destroyed and converted back, each step checked. */
static int probe_destroy(void)
{
	phys_addr_t pa = page_to_phys(probe_page);
	enum ripas ripas;
	phys_addr_t top;
	int ret;

	if (probe_shared)
		return -EBUSY;
	ret = host_destroy(pa);
	if (ret)
		return ret;
	if (rsi_ipa_state_get(pa, pa + PAGE_SIZE, &ripas, &top) != RSI_SUCCESS ||
	    ripas != RSI_RIPAS_DESTROYED)
		return -EPROTO;
	if (!arm64_rsi_is_protected(pa, PAGE_SIZE))
		return -EPROTO;
	/* 7.3's boot-time request must not take a destroyed granule. */
	if (rsi_set_memory_range_protected_safe(pa, pa + PAGE_SIZE) != -EINVAL)
		return -EPROTO;
	ret = set_memory_encrypted(probe_addr(), 1);
	if (ret)
		return ret;
	if (rsi_ipa_state_get(pa, pa + PAGE_SIZE, &ripas, &top) != RSI_SUCCESS ||
	    ripas != RSI_RIPAS_RAM)
		return -EPROTO;
	return 0;
}

static int probe_command(const char *cmd)
{
	phys_addr_t pa = page_to_phys(probe_page);
	struct arm_smccc_res res;
	int ret;

	if (!strcmp(cmd, "decrypt")) {
		ret = probe_shared ? -EBUSY : set_memory_decrypted(probe_addr(), 1);
		probe_shared |= !ret;
	} else if (!strcmp(cmd, "encrypt")) {
		/* Only what was shared: 7.3 warns of a leak when this fails. */
		ret = !probe_shared ? -EINVAL : set_memory_encrypted(probe_addr(), 1);
		probe_shared &= !!ret;
	} else if (!strcmp(cmd, "destroy")) {
		ret = probe_destroy();
	} else if (!strcmp(cmd, "wrong-share")) {
		ret = rsi_set_memory_range_shared(pa, pa + PAGE_SIZE);
		pr_info("linmap_realm_probe: %pa shared with the RSI only (%d), reading it through the protected linear map\n",
			&pa, ret);
		ret = READ_ONCE(*(int *)probe_addr());
	} else if (!strcmp(cmd, "wrong-destroy")) {
		ret = host_destroy(pa);
		pr_info("linmap_realm_probe: %pa destroyed (%d), reading it\n",
			&pa, ret);
		ret = READ_ONCE(*(int *)probe_addr());
	} else if (!strcmp(cmd, "wrong-hvc")) {
		pr_info("linmap_realm_probe: an HVC from EL1\n");
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
	strim(cmd);
	mutex_lock(&probe_lock);
	ret = probe_command(cmd);
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
 * A page inside a linear-map block if there is one among the candidates,
 * else one inside a contiguous range, else any.
 */
static struct page *probe_alloc(void)
{
	struct page *pages[PROBE_CANDIDATES];
	int best = -1, rank = 3;
	int i, n;

	for (n = 0; n < PROBE_CANDIDATES && rank; n++) {
		u64 desc = 0;
		int level, r;

		pages[n] = alloc_page(GFP_KERNEL);
		if (!pages[n])
			break;
		level = leaf_of((unsigned long)page_address(pages[n]), &desc);
		r = !level ? 3 : level < 3 ? 0 : (desc & PTE_CONT) ? 1 : 2;
		if (best < 0 || r < rank) {
			best = n;
			rank = r;
		}
	}
	for (i = 0; i < n; i++)
		if (i != best)
			__free_page(pages[i]);
	return best < 0 ? NULL : pages[best];
}

static int __init probe_init(void)
{
	u64 *words;
	int i;

	if (!is_realm_world())
		return -ENODEV;
	probe_page = probe_alloc();
	if (!probe_page)
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
	debugfs_remove(probe_file);
	/* A page that cannot be made private again is leaked, as 7.3 does. */
	if (probe_shared && set_memory_encrypted(probe_addr(), 1))
		return;
	__free_page(probe_page);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_DESCRIPTION("Test only: a realm's shared linear-map page from both sides");
MODULE_LICENSE("GPL");
