// SPDX-License-Identifier: GPL-2.0
/*
 * linmap_selftest: the linear-map paths exercised in the kernel, whichever
 * implementation linmap.impl selected, as x86's cpa-test does for its
 * direct map. Test only (CONFIG_ARM64_LINMAP_SELFTEST), KUnit:
 *
 * - linmap_bad_input: bad arguments at every entry point the C shims reach
 *   (split_kernel_leaf_mapping(), set_memory_*(), linmap_leaf_info()):
 *   the exact errno 7.3 returns, and a linear map equivalent to before.
 * - linmap_alloc_fail: for each block kind, the N-th page-table allocation
 *   of a split fails (fault injection, current->fail_nth), for every N
 *   along the split: -ENOMEM, the map equivalent to before, no table
 *   leaked, and the retry succeeds.
 * - linmap_random: random set_memory_ro/rw/x/nx/valid() and
 *   set_direct_map_*() on linear-map and vmalloc pages, each result checked
 *   by a page-table walk and by faulting accesses; then one thread per CPU
 *   on neighbouring pages (sharing blocks and contiguous groups) while
 *   another walks the linear map without a lock, as ptdump does (the
 *   workbench's guest reads kernel_page_tables meanwhile, too); and the
 *   same with a thread collapsing the whole linear map again and again
 *   (CONFIG_ARM64_LINMAP_COLLAPSE, where it runs), whose table frees the
 *   lockless walk must survive. Collapse is held off while the module is
 *   loaded but in that case: the others compare the map before and after.
 *
 * The walks here are this file's own, over the generic page-table helpers,
 * so that they check either implementation independently. The seed is
 * printed; `modprobe linmap_selftest seed=S` replays a run.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/kfence.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include <asm/linmap.h>
#include <asm/mmu.h>
#include <asm/set_memory.h>
#include <asm/tlbflush.h>

#include "linmap_internal.h"

static ulong seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "Seed of the random tests (default: a random one, printed)");

static uint iterations = 2000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "Operations of the sequential random test");

static uint thread_iterations = 400;
module_param(thread_iterations, uint, 0444);
MODULE_PARM_DESC(thread_iterations, "Operations per thread of the concurrent test");

static bool real_caller;
module_param(real_caller, bool, 0444);
MODULE_PARM_DESC(real_caller, "Also fail a split under set_direct_map_invalid_noflush(), which 7.3 warns about once");

/* --- the linear map, walked here ----------------------------------------- */

/* swapper_pg_dir (init_mm is not exported), set at load. */
static pgd_t *kernel_pgd;

static pgd_t *pgd_offset_kernel(unsigned long addr)
{
	return pgd_offset_pgd(kernel_pgd, addr);
}

enum leaf_kind { LEAF_PUD, LEAF_CONT_PMD, LEAF_PMD, LEAF_CONT_PTE, LEAF_PTE,
		 NR_LEAF_KINDS, LEAF_NONE = NR_LEAF_KINDS };

static const char *const kind_name[] = {
	[LEAF_PUD] = "PUD", [LEAF_CONT_PMD] = "contiguous PMD",
	[LEAF_PMD] = "PMD", [LEAF_CONT_PTE] = "contiguous PTE",
	[LEAF_PTE] = "PTE", [LEAF_NONE] = "none",
};

/*
 * The leaf mapping an address: its kind, and its descriptor and what that
 * maps (one entry of a contiguous group).
 */
struct leaf {
	enum leaf_kind kind;
	u64 desc;
	unsigned long va;	/* the descriptor's first address */
	unsigned long size;
};

/* Attributes that say what a page is mapped as: not the leaf's size. */
static u64 leaf_attrs(u64 desc)
{
	pte_t pte = __pte(desc);

	/* The type bits but the valid one say block or page. */
	return pgprot_val(pte_pgprot(pte)) &
	       ~(PTE_CONT | (PTE_TYPE_MASK & ~PTE_VALID));
}

static phys_addr_t leaf_pa(u64 desc)
{
	return __pte_to_phys(__pte(desc));
}

static bool leaf_valid(const struct leaf *l)
{
	return l->desc & PTE_VALID;
}

static bool leaf_rdonly(const struct leaf *l)
{
	return l->desc & PTE_RDONLY;
}

static bool leaf_pxn(const struct leaf *l)
{
	return l->desc & PTE_PXN;
}

/*
 * The next level's entry for @addr from a table entry's value as it was
 * loaded, not re-read through its pointer as pmd_offset() and
 * pte_offset_kernel() do: a collapse may turn a table entry into a block
 * between two reads.
 */
static pmd_t *pmd_entry_of(pud_t *pudp, pud_t pud, unsigned long addr)
{
#if CONFIG_PGTABLE_LEVELS > 2
	return (pmd_t *)__va(pud_page_paddr(pud)) + pmd_index(addr);
#else
	/* Folded: the PUD entry is the PMD entry. */
	return pmd_offset(pudp, addr);
#endif
}

static pte_t *pte_entry_of(pmd_t pmd, unsigned long addr)
{
	return (pte_t *)__va(pmd_page_paddr(pmd)) + pte_index(addr);
}

static void leaf_of(unsigned long addr, struct leaf *l)
{
	pgd_t *pgdp = pgd_offset_kernel(addr);
	p4d_t *p4dp;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	pte_t *ptep, pte;

	l->kind = LEAF_NONE;
	l->desc = 0;
	if (pgd_none(pgdp_get(pgdp)))
		return;
	p4dp = p4d_offset(pgdp, addr);
	if (p4d_none(p4dp_get(p4dp)))
		return;
	pudp = pud_offset(p4dp, addr);
	pud = pudp_get(pudp);
	if (pud_none(pud))
		return;
	if (pud_leaf(pud)) {
		*l = (struct leaf){ LEAF_PUD, pud_val(pud), addr & PUD_MASK,
				    PUD_SIZE };
		return;
	}
	pmdp = pmd_entry_of(pudp, pud, addr);
	pmd = pmdp_get(pmdp);
	if (pmd_none(pmd))
		return;
	if (pmd_leaf(pmd)) {
		if (pmd_cont(pmd))
			*l = (struct leaf){ LEAF_CONT_PMD, pmd_val(pmd),
					    addr & PMD_MASK, PMD_SIZE };
		else
			*l = (struct leaf){ LEAF_PMD, pmd_val(pmd),
					    addr & PMD_MASK, PMD_SIZE };
		return;
	}
	ptep = pte_entry_of(pmd, addr);
	pte = __ptep_get(ptep);
	if (!pte_present(pte))
		return;
	if (pte_cont(pte))
		*l = (struct leaf){ LEAF_CONT_PTE, pte_val(pte),
				    addr & PAGE_MASK, PAGE_SIZE };
	else
		*l = (struct leaf){ LEAF_PTE, pte_val(pte), addr & PAGE_MASK,
				    PAGE_SIZE };
}

/*
 * What the linear map translates, as maximal runs of pages with consecutive
 * output addresses and equal attributes (hashed), whatever the leaves; and
 * its leaves by kind and its tables below the top level.
 */
struct map_digest {
	u64 hash;
	unsigned long runs;
	unsigned long mapped;	/* bytes, valid or present-invalid */
	unsigned long tables;
	unsigned long leaves[NR_LEAF_KINDS];
	unsigned long first[NR_LEAF_KINDS];	/* a leaf's address, or 0 */
	/* The run being built. */
	unsigned long run_va, run_size;
	phys_addr_t run_pa;
	u64 run_attrs;
};

static void digest_mix(struct map_digest *d, u64 v)
{
	d->hash = (d->hash ^ v) * 0x100000001b3ULL;
}

static void digest_end_run(struct map_digest *d)
{
	if (!d->run_size)
		return;
	digest_mix(d, d->run_va);
	digest_mix(d, d->run_pa);
	digest_mix(d, d->run_size);
	digest_mix(d, d->run_attrs);
	d->runs++;
	d->run_size = 0;
}

static void digest_leaf(struct map_digest *d, enum leaf_kind kind,
			unsigned long va, unsigned long size, u64 desc)
{
	phys_addr_t pa = leaf_pa(desc);
	u64 attrs = leaf_attrs(desc);

	if (!d->leaves[kind]++)
		d->first[kind] = va;
	d->mapped += size;
	if (d->run_size && d->run_va + d->run_size == va &&
	    d->run_pa + d->run_size == pa && d->run_attrs == attrs) {
		d->run_size += size;
		return;
	}
	digest_end_run(d);
	d->run_va = va;
	d->run_pa = pa;
	d->run_size = size;
	d->run_attrs = attrs;
}

static void digest_ptes(struct map_digest *d, pmd_t pmd, unsigned long addr,
			unsigned long end)
{
	pte_t *ptep = pte_entry_of(pmd, addr);

	for (; addr != end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = __ptep_get(ptep);

		/*
		 * KFENCE makes its pool's pages valid and invalid at any time
		 * (a PTE-mapped pool that never folds): not part of the digest.
		 */
		if (!pte_present(pte) || is_kfence_address((void *)addr)) {
			digest_end_run(d);
			continue;
		}
		digest_leaf(d, pte_cont(pte) ? LEAF_CONT_PTE : LEAF_PTE, addr,
			    PAGE_SIZE, pte_val(pte));
	}
}

static void digest_pmds(struct map_digest *d, pud_t *pudp, pud_t pud,
			unsigned long addr, unsigned long end)
{
	pmd_t *pmdp = pmd_entry_of(pudp, pud, addr);
	unsigned long next;

	do {
		pmd_t pmd = pmdp_get(pmdp);

		next = pmd_addr_end(addr, end);
		if (pmd_none(pmd)) {
			digest_end_run(d);
		} else if (pmd_leaf(pmd)) {
			digest_leaf(d, pmd_cont(pmd) ? LEAF_CONT_PMD : LEAF_PMD,
				    addr, next - addr, pmd_val(pmd));
		} else {
			d->tables++;
			digest_ptes(d, pmd, addr, next);
		}
	} while (pmdp++, addr = next, addr != end);
}

static void digest_puds(struct map_digest *d, p4d_t *p4dp, unsigned long addr,
			unsigned long end)
{
	pud_t *pudp = pud_offset(p4dp, addr);
	unsigned long next;

	do {
		pud_t pud = pudp_get(pudp);

		next = pud_addr_end(addr, end);
		if (pud_none(pud)) {
			digest_end_run(d);
		} else if (pud_leaf(pud)) {
			digest_leaf(d, LEAF_PUD, addr, next - addr, pud_val(pud));
		} else {
			/* (Where the PUD level is folded, a top entry.) */
			d->tables++;
			digest_pmds(d, pudp, pud, addr, next);
		}
	} while (pudp++, addr = next, addr != end);
}

/* Walks [start, end), both PAGE_SIZE aligned, into @d. */
static void digest_range(struct map_digest *d, unsigned long start,
			 unsigned long end)
{
	unsigned long addr = start, next;
	pgd_t *pgdp = pgd_offset_kernel(addr);

	memset(d, 0, sizeof(*d));
	d->hash = 0xcbf29ce484222325ULL;
	do {
		p4d_t *p4dp;
		unsigned long p4next;

		next = pgd_addr_end(addr, end);
		if (pgd_none(pgdp_get(pgdp))) {
			digest_end_run(d);
			continue;
		}
		p4dp = p4d_offset(pgdp, addr);
		do {
			p4next = p4d_addr_end(addr, next);
			if (p4d_none(p4dp_get(p4dp)))
				digest_end_run(d);
			else
				digest_puds(d, p4dp, addr, p4next);
		} while (p4dp++, addr = p4next, addr != next);
	} while (pgdp++, addr = next, addr != end);
	digest_end_run(d);
}

static unsigned long linear_start(void)
{
	return _PAGE_OFFSET(vabits_actual);
}

static void digest_linear_map(struct map_digest *d)
{
	digest_range(d, linear_start(), PAGE_END);
}

static unsigned long digest_blocks(const struct map_digest *d)
{
	return d->leaves[LEAF_PUD] + d->leaves[LEAF_CONT_PMD] +
	       d->leaves[LEAF_PMD] + d->leaves[LEAF_CONT_PTE];
}

enum same { EQUIVALENT, UNCHANGED };

/*
 * @a and @b translate the same (EQUIVALENT: a split is no change), or are
 * the same leaves in the same tables (UNCHANGED).
 */
static void expect_same(struct kunit *test, const struct map_digest *a,
			const struct map_digest *b, enum same same,
			const char *what)
{
	KUNIT_EXPECT_EQ_MSG(test, a->hash, b->hash,
			    "%s: the linear map translates differently", what);
	KUNIT_EXPECT_EQ_MSG(test, a->runs, b->runs, "%s", what);
	if (same == EQUIVALENT)
		return;
	KUNIT_EXPECT_EQ_MSG(test, a->tables, b->tables, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, digest_blocks(a), digest_blocks(b), "%s", what);
}

static bool impl_rust(void)
{
	return linmap_use_rust();
}

static struct linmap_map_inputs map_inputs(void)
{
	struct linmap_map_inputs in;

	linmap_get_map_inputs(&in);
	return in;
}

/*
 * Whether split_kernel_leaf_mapping() splits at all: map_mem() made blocks
 * that may be split (mm/mmu.c's linear_map_requires_bbml3) and every CPU
 * has BBML3.
 */
static bool splits_live(void)
{
	return linmap_linear_map_requires_bbml3() && map_inputs().system_bbml3;
}

static bool readable(unsigned long addr)
{
	u8 b;

	return !copy_from_kernel_nofault(&b, (void *)addr, 1);
}

/* Writes a byte back as it was; false if the write faults. */
static bool writable(unsigned long addr)
{
	return linmap_probe_write(addr);
}

/* --- linmap_bad_input ------------------------------------------------------ */

struct bad_input_ctx {
	struct page *page;
	unsigned long addr;
	void *area;
	struct map_digest before, after;
};

static int bad_input_init(struct kunit *test)
{
	struct bad_input_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	c->page = alloc_page(GFP_KERNEL);
	c->area = vmalloc(2 * PAGE_SIZE);
	if (!c->page || !c->area) {
		if (c->page)
			__free_page(c->page);
		vfree(c->area);
		return -ENOMEM;
	}
	c->addr = (unsigned long)page_address(c->page);
	test->priv = c;
	kunit_info(test, "impl=%s, splits %s\n", impl_rust() ? "rust" : "c",
		   splits_live() ? "live" : "off");
	return 0;
}

static void bad_input_exit(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;

	/* .exit runs after a failed .init too. */
	if (!c)
		return;
	vfree(c->area);
	__free_page(c->page);
}

static void bad_input_before(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;

	digest_linear_map(&c->before);
}

/* The errno @call returned, and what it left of the map. */
static void check_bad_input(struct kunit *test, int ret, int err,
			    enum same same, const char *call)
{
	struct bad_input_ctx *c = test->priv;

	digest_linear_map(&c->after);
	KUNIT_EXPECT_EQ_MSG(test, ret, err, "%s", call);
	expect_same(test, &c->before, &c->after, same, call);
}

/* @call in the test case's @test, with the linear map before and after. */
#define BAD_INPUT(call, err, same) do {					\
	bad_input_before(test);						\
	check_bad_input(test, (call), err, same, #call);		\
} while (0)

static void split_unaligned(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;
	unsigned long p = c->addr;
	int err = splits_live() ? -EINVAL : 0;

	/* 7.3 checks alignment only once it would split. */
	BAD_INPUT(split_kernel_leaf_mapping(p + 1, p + PAGE_SIZE), err,
		  UNCHANGED);
	BAD_INPUT(split_kernel_leaf_mapping(p, p + PAGE_SIZE - 8), err,
		  UNCHANGED);
}

static void split_empty_and_reversed(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;
	unsigned long p = c->addr;

	/* 7.3 splits at the address(es) given and succeeds. */
	BAD_INPUT(split_kernel_leaf_mapping(p, p), 0, EQUIVALENT);
	BAD_INPUT(split_kernel_leaf_mapping(p + PAGE_SIZE, p), 0, EQUIVALENT);
}

static void valid_empty_and_overflowing(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;
	unsigned long p = c->addr;

	/* The walk refuses start >= end, after the split. */
	BAD_INPUT(set_memory_valid(p, 0, 0), -EINVAL, EQUIVALENT);
	/* PAGE_SIZE * -1 wraps start + size below start. */
	BAD_INPUT(set_memory_valid(p, -1, 0), -EINVAL, EQUIVALENT);
	KUNIT_EXPECT_TRUE(test, readable(p));
}

static void valid_hole(struct kunit *test)
{
	unsigned long hole = PAGE_END - PAGE_SIZE;
	struct leaf l;

	leaf_of(hole, &l);
	if (l.kind != LEAF_NONE)
		kunit_skip(test, "the top of the linear map is RAM");
	/* 7.3's walk has no pte_hole(): nothing to change is success. */
	BAD_INPUT(set_memory_valid(hole, 1, 0), 0, UNCHANGED);
	BAD_INPUT(split_kernel_leaf_mapping(hole, hole + PAGE_SIZE), 0,
		  UNCHANGED);
}

static void valid_outside_linear_map(struct kunit *test)
{
	/*
	 * 7.3's walk indexes swapper_pg_dir with the address's bits whatever
	 * they are, so it would change the linear map's entry at that index:
	 * no caller sends such an address, and only linmap is tested here.
	 */
	if (!impl_rust())
		kunit_skip(test, "impl=c: 7.3 would change the entry at the masked index");
	BAD_INPUT(set_memory_valid(0x10000, 1, 0), -EINVAL, EQUIVALENT);
}

static void valid_partly_covered_block(struct kunit *test)
{
	struct map_digest d;
	unsigned long blk;

	digest_linear_map(&d);
	blk = d.first[LEAF_PMD] ?: d.first[LEAF_CONT_PMD] ?: d.first[LEAF_PUD];
	if (splits_live() || !blk)
		kunit_skip(test, "no block that may not be split (mode 3 has some)");
	if (!real_caller)
		kunit_skip(test, "real_caller=1 runs it (7.3's pageattr_p?d_entry() warns once)");
	/*
	 * Without BBML3 nothing is split: a page of a block is refused (7.3's
	 * walker warns). Mapping valid what is valid would change nothing
	 * anyway.
	 */
	BAD_INPUT(set_memory_valid(blk + PAGE_SIZE, 1, 1), -EINVAL, UNCHANGED);
}

static void memory_ro_not_vmalloc(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;
	unsigned long area = (unsigned long)c->area, p = c->addr;

	/* change_memory_common(): one VM_ALLOC area or -EINVAL. */
	BAD_INPUT(set_memory_ro(p, 1), -EINVAL, UNCHANGED);
	BAD_INPUT(set_memory_x(p, 1), -EINVAL, UNCHANGED);
	BAD_INPUT(set_memory_nx(p, 1), -EINVAL, UNCHANGED);
	BAD_INPUT(set_memory_rw(p, 1), -EINVAL, UNCHANGED);
	/* Past the area and its guard page. */
	BAD_INPUT(set_memory_ro(area, 4), -EINVAL, UNCHANGED);
	BAD_INPUT(set_memory_ro(area, 0), 0, UNCHANGED);
	KUNIT_EXPECT_TRUE(test, writable(area));
	KUNIT_EXPECT_TRUE(test, writable(p));
}

static void leaf_info_bad_address(struct kunit *test)
{
	struct bad_input_ctx *c = test->priv;
	struct linmap_leaf l;
	struct leaf hole;

	leaf_of(PAGE_END - PAGE_SIZE, &hole);
	if (hole.kind != LEAF_NONE)
		kunit_skip(test, "the top of the linear map is RAM");
	KUNIT_EXPECT_EQ(test, linmap_leaf_info(0x10000, &l), -EINVAL);
	KUNIT_EXPECT_EQ(test, linmap_leaf_info(PAGE_END - PAGE_SIZE, &l),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, linmap_leaf_info(c->addr, &l), 0);
	KUNIT_EXPECT_TRUE(test, l.valid);
}

static struct kunit_case bad_input_cases[] = {
	KUNIT_CASE(split_unaligned),
	KUNIT_CASE(split_empty_and_reversed),
	KUNIT_CASE(valid_empty_and_overflowing),
	KUNIT_CASE(valid_hole),
	KUNIT_CASE(valid_outside_linear_map),
	KUNIT_CASE(valid_partly_covered_block),
	KUNIT_CASE(memory_ro_not_vmalloc),
	KUNIT_CASE(leaf_info_bad_address),
	{}
};

static struct kunit_suite bad_input_suite = {
	.name = "linmap_bad_input",
	.init = bad_input_init,
	.exit = bad_input_exit,
	.test_cases = bad_input_cases,
};

/* --- linmap_alloc_fail ----------------------------------------------------- */

/* The N-th should_fail() of this task fails (/proc/self/fail-nth). */
static void set_fail_nth(unsigned int n)
{
#ifdef CONFIG_FAULT_INJECTION
	WRITE_ONCE(current->fail_nth, n);
#endif
}

/* How many should_fail() calls were left before the failure (0: failed). */
static unsigned int fail_nth_left(void)
{
#ifdef CONFIG_FAULT_INJECTION
	unsigned int left = READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return left;
#else
	return 1;
#endif
}

static int alloc_fail_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_FAIL_SPLIT_PGTABLE))
		kunit_skip(test, "needs CONFIG_FAIL_SPLIT_PGTABLE");
	return 0;
}

/* Split page-table pages allocated and freed so far. */
static long pgtables_in_flight(void)
{
	return atomic_long_read(&linmap_split_pgtables_allocated) -
	       atomic_long_read(&linmap_split_pgtables_freed);
}

/*
 * Splits a one-page range out of a leaf of @kind with the N-th allocation
 * failing, for N = 1, 2, ... until the split needs fewer than N; each N on
 * a fresh leaf of that kind. A split changes no translation, so any leaf
 * of the linear map will do, whoever uses its pages.
 */
static void split_fails_at_every_step(struct kunit *test, enum leaf_kind kind)
{
	unsigned int n, injected = 0;
	struct map_digest before, after;

	digest_linear_map(&before);
	if (!splits_live()) {
		/* Modes 2 and 3 (PTE-mapped): nothing is split or allocated. */
		unsigned long addr = before.first[LEAF_PTE] + PAGE_SIZE;
		int ret;

		set_fail_nth(1);
		ret = split_kernel_leaf_mapping(addr, addr + PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, fail_nth_left(), 1);
		KUNIT_EXPECT_EQ(test, ret, 0);
		digest_linear_map(&after);
		expect_same(test, &before, &after, UNCHANGED, "no split");
		kunit_info(test, "%s: no split without BBML3, no allocation\n",
			   kind_name[kind]);
		return;
	}
	if (kind == LEAF_PUD && !pud_sect_supported())
		kunit_skip(test, "no PUD blocks with this granule");
	if (kind == LEAF_CONT_PTE && !before.leaves[kind] &&
	    before.first[LEAF_PMD]) {
		/* A PMD splits to contiguous PTEs but where it is split. */
		unsigned long addr = before.first[LEAF_PMD] + PAGE_SIZE;
		int ret = split_kernel_leaf_mapping(addr, addr + PAGE_SIZE);

		KUNIT_ASSERT_EQ(test, ret, 0);
	}

	for (n = 1; n <= 8; n++) {
		unsigned long addr, retry_tables;
		long tables;
		struct leaf l;
		int ret, left;

		digest_linear_map(&before);
		/* Each N takes a leaf of its own: RAM may have too few. */
		if (!before.leaves[kind])
			kunit_skip(test, "no %s leaf left for N=%u (%u injected so far)",
				   kind_name[kind], n, injected);
		addr = before.first[kind] + PAGE_SIZE;
		tables = pgtables_in_flight();
		set_fail_nth(n);
		ret = split_kernel_leaf_mapping(addr, addr + PAGE_SIZE);
		left = fail_nth_left();
		digest_linear_map(&after);
		expect_same(test, &before, &after, EQUIVALENT, "failed split");
		/* Every table allocated is in the map or was freed. */
		KUNIT_EXPECT_EQ_MSG(test, pgtables_in_flight() - tables,
				    (long)after.tables - (long)before.tables,
				    "%s N=%u: page-table pages leaked",
				    kind_name[kind], n);
		if (left) {
			/* Fewer than N allocations: the split is complete. */
			KUNIT_EXPECT_EQ(test, ret, 0);
			leaf_of(addr, &l);
			KUNIT_EXPECT_EQ(test, l.kind, LEAF_PTE);
			kunit_info(test, "%s: %u allocation(s) along the split, %u failure(s) injected, each -ENOMEM with the map unchanged and no leak, each retry done\n",
				   kind_name[kind], n - 1, injected);
			return;
		}
		injected++;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "%s N=%u",
				    kind_name[kind], n);
		/* The retry, without the fault. */
		retry_tables = after.tables;
		tables = pgtables_in_flight();
		KUNIT_EXPECT_EQ(test,
				split_kernel_leaf_mapping(addr, addr + PAGE_SIZE), 0);
		digest_linear_map(&after);
		expect_same(test, &before, &after, EQUIVALENT, "retried split");
		leaf_of(addr, &l);
		KUNIT_EXPECT_EQ(test, l.kind, LEAF_PTE);
		KUNIT_EXPECT_EQ(test, pgtables_in_flight() - tables,
				(long)after.tables - (long)retry_tables);
	}
	KUNIT_FAIL(test, "%s: the split still allocates after 8 steps",
		   kind_name[kind]);
}

static void alloc_fail_pud(struct kunit *test)
{
	split_fails_at_every_step(test, LEAF_PUD);
}

static void alloc_fail_cont_pmd(struct kunit *test)
{
	split_fails_at_every_step(test, LEAF_CONT_PMD);
}

static void alloc_fail_pmd(struct kunit *test)
{
	split_fails_at_every_step(test, LEAF_PMD);
}

static void alloc_fail_cont_pte(struct kunit *test)
{
	split_fails_at_every_step(test, LEAF_CONT_PTE);
}

/*
 * Through a real caller: set_direct_map_invalid_noflush() of a page in a
 * block returns the split's -ENOMEM (7.3's update_range_prot() warns once)
 * and the page stays mapped; the retry unmaps it.
 */
/* A PMD's worth of pages, or the most the page allocator gives at once. */
#define BLOCK_ORDER	min_t(unsigned int, MAX_PAGE_ORDER, PMD_SHIFT - PAGE_SHIFT)

static void alloc_fail_set_direct_map(struct kunit *test)
{
	struct page *chunks[32], *chunk = NULL, *page;
	struct map_digest before, after;
	unsigned int nr, i;
	unsigned long addr;
	struct leaf l;
	int ret, left;

	/* A page of ours in a block (any, in mode 1): large chunks find one. */
	for (nr = 0; nr < ARRAY_SIZE(chunks) && !chunk; nr++) {
		chunks[nr] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, BLOCK_ORDER);
		if (!chunks[nr])
			break;
		leaf_of((unsigned long)page_address(chunks[nr]) + PAGE_SIZE, &l);
		if (l.kind < LEAF_CONT_PTE)
			chunk = chunks[nr];
	}
	for (i = 0; i < nr; i++)
		if (chunks[i] != chunk)
			__free_pages(chunks[i], BLOCK_ORDER);
	if (chunk && !real_caller) {
		__free_pages(chunk, BLOCK_ORDER);
		kunit_skip(test, "real_caller=1 runs it (7.3's update_range_prot() warns once)");
	}
	if (!chunk && splits_live())
		kunit_skip(test, "no chunk of ours in a block among %u", nr);
	if (!chunk) {
		/* PTE-mapped: no split, no allocation to fail. */
		page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		set_fail_nth(1);
		KUNIT_EXPECT_EQ(test, set_direct_map_invalid_noflush(page), 0);
		KUNIT_EXPECT_EQ(test, fail_nth_left(), 1);
		KUNIT_EXPECT_EQ(test, set_direct_map_default_noflush(page), 0);
		__free_page(page);
		return;
	}
	page = virt_to_page(page_address(chunk) + PAGE_SIZE);
	addr = (unsigned long)page_address(page);
	digest_linear_map(&before);
	set_fail_nth(1);
	ret = set_direct_map_invalid_noflush(page);
	left = fail_nth_left();
	flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
	digest_linear_map(&after);
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	expect_same(test, &before, &after, EQUIVALENT, "failed set_direct_map");
	KUNIT_EXPECT_TRUE(test, readable(addr));

	KUNIT_EXPECT_EQ(test, set_direct_map_invalid_noflush(page), 0);
	flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
	leaf_of(addr, &l);
	KUNIT_EXPECT_EQ(test, l.kind, LEAF_PTE);
	KUNIT_EXPECT_FALSE(test, leaf_valid(&l));
	KUNIT_EXPECT_FALSE(test, readable(addr));
	KUNIT_EXPECT_EQ(test, set_direct_map_default_noflush(page), 0);
	KUNIT_EXPECT_TRUE(test, readable(addr));
	/* A page left unmapped is leaked, not freed. */
	if (readable(addr))
		__free_pages(chunk, BLOCK_ORDER);
}

static struct kunit_case alloc_fail_cases[] = {
	KUNIT_CASE(alloc_fail_pud),
	KUNIT_CASE(alloc_fail_cont_pmd),
	KUNIT_CASE(alloc_fail_pmd),
	KUNIT_CASE(alloc_fail_cont_pte),
	KUNIT_CASE(alloc_fail_set_direct_map),
	{}
};

static struct kunit_suite alloc_fail_suite = {
	.name = "linmap_alloc_fail",
	.init = alloc_fail_init,
	.test_cases = alloc_fail_cases,
};

/* --- linmap_random --------------------------------------------------------- */

/* A vmalloc area and what its pages should be. */
#define AREA_PAGES	8

struct area {
	void *addr;
	bool ro[AREA_PAGES];
	bool x[AREA_PAGES];
};

/*
 * What one worker owns: the pages of a linear-map chunk at @first, @first +
 * @stride, ... (below @nr), whether each is mapped, and a vmalloc area.
 */
struct worker {
	struct rnd_state rnd;
	unsigned long base;	/* the chunk's first page */
	unsigned int first, stride, nr;
	bool *invalid;		/* per page of the chunk */
	struct area area;
	bool rodata_full;
	unsigned int iterations, ops;
	unsigned int failures;
	unsigned long id;
	struct completion done;
};

static void worker_fail(struct worker *w, const char *what, unsigned long addr,
			unsigned int it)
{
	if (w->failures++ < 8)
		pr_err("worker %lu, iteration %u: %s at %#lx (seed %#lx)\n",
		       w->id, it, what, addr, seed);
}

static void check_linear(struct worker *w, unsigned int page, unsigned int it)
{
	unsigned long addr = w->base + page * PAGE_SIZE;
	bool valid = !w->invalid[page];
	struct leaf l;

	leaf_of(addr, &l);
	if (l.kind == LEAF_NONE || leaf_valid(&l) != valid || leaf_rdonly(&l))
		worker_fail(w, "linear-map leaf", addr, it);
	else if (leaf_pa(l.desc) + (addr - l.va) != __pa(addr))
		worker_fail(w, "linear-map output address", addr, it);
	if (readable(addr) != valid)
		worker_fail(w, valid ? "read faulted" : "read did not fault",
			    addr, it);
	else if (valid && !writable(addr))
		worker_fail(w, "write faulted", addr, it);
}

static void check_area(struct worker *w, unsigned int i, unsigned int it)
{
	unsigned long addr = (unsigned long)w->area.addr + i * PAGE_SIZE;
	unsigned long alias = (unsigned long)page_address(vmalloc_to_page((void *)addr));
	bool ro = w->area.ro[i];
	/* rodata=full makes the linear alias read-only too. */
	bool alias_ro = ro && w->rodata_full;
	struct leaf l;

	leaf_of(addr, &l);
	if (l.kind == LEAF_NONE || !leaf_valid(&l) || leaf_rdonly(&l) != ro ||
	    leaf_pxn(&l) == w->area.x[i])
		worker_fail(w, "vmalloc leaf", addr, it);
	if (writable(addr) == ro)
		worker_fail(w, ro ? "vmalloc write did not fault" :
			    "vmalloc write faulted", addr, it);
	leaf_of(alias, &l);
	if (l.kind == LEAF_NONE || leaf_rdonly(&l) != alias_ro)
		worker_fail(w, "linear alias leaf", alias, it);
	if (writable(alias) == alias_ro)
		worker_fail(w, "linear alias write", alias, it);
}

static int linear_op(struct worker *w, unsigned int it)
{
	unsigned int k = prandom_u32_state(&w->rnd) % w->nr;
	unsigned int page = w->first + k * w->stride;
	unsigned long addr = w->base + page * PAGE_SIZE;
	unsigned int i, n = 1;
	int ret;

	switch (prandom_u32_state(&w->rnd) % 3) {
	case 0:
		ret = set_direct_map_invalid_noflush(virt_to_page((void *)addr));
		if (!ret)
			w->invalid[page] = true;
		break;
	case 1:
		ret = set_direct_map_default_noflush(virt_to_page((void *)addr));
		if (!ret)
			w->invalid[page] = false;
		break;
	default: {
		bool enable = prandom_u32_state(&w->rnd) & 1;

		/* A run of pages when this worker owns them all. */
		if (w->stride == 1)
			n = 1 + prandom_u32_state(&w->rnd) % min(64U, w->nr - k);
		ret = set_memory_valid(addr, n, enable);
		for (i = 0; !ret && i < n; i++)
			w->invalid[page + i] = !enable;
		break;
	}
	}
	flush_tlb_kernel_range(addr, addr + n * PAGE_SIZE);
	if (ret) {
		worker_fail(w, "linear-map operation failed", addr, it);
		return ret;
	}
	for (i = 0; i < n; i++)
		check_linear(w, page + i, it);
	return 0;
}

static int area_op(struct worker *w, unsigned int it)
{
	unsigned int first = prandom_u32_state(&w->rnd) % AREA_PAGES;
	unsigned int n = 1 + prandom_u32_state(&w->rnd) % (AREA_PAGES - first);
	unsigned long addr = (unsigned long)w->area.addr + first * PAGE_SIZE;
	unsigned int op = prandom_u32_state(&w->rnd) % 4, i;
	int ret;

	switch (op) {
	case 0:
		ret = set_memory_ro(addr, n);
		break;
	case 1:
		ret = set_memory_rw(addr, n);
		break;
	case 2:
		ret = set_memory_x(addr, n);
		break;
	default:
		ret = set_memory_nx(addr, n);
		break;
	}
	if (ret) {
		worker_fail(w, "vmalloc operation failed", addr, it);
		return ret;
	}
	for (i = first; i < first + n; i++) {
		if (op < 2)
			w->area.ro[i] = op == 0;
		else
			w->area.x[i] = op == 2;
	}
	for (i = 0; i < AREA_PAGES; i++)
		check_area(w, i, it);
	return 0;
}

/* The worker's vmalloc area back to writable and NX; false if not. */
static bool worker_restore(struct worker *w)
{
	unsigned long area = (unsigned long)w->area.addr;

	if (area && (set_memory_rw(area, AREA_PAGES) ||
		     set_memory_nx(area, AREA_PAGES))) {
		worker_fail(w, "vmalloc area not restored", area, w->iterations);
		return false;
	}
	return true;
}

static void worker_run(struct worker *w)
{
	unsigned int it;

	for (it = 0; it < w->iterations; it++) {
		if (prandom_u32_state(&w->rnd) % 4)
			linear_op(w, it);
		else
			area_op(w, it);
		w->ops++;
		cond_resched();
	}
}

/* Pages of the chunk the random tests work on: naturally aligned, large. */
static unsigned int chunk_order(void)
{
	return min_t(unsigned int, MAX_PAGE_ORDER, 10);
}

struct random_ctx {
	struct page *chunk;
	unsigned int order;
	bool *invalid;
	struct worker *workers;
	unsigned int nr_workers;
};

static int random_case_init(struct kunit *test)
{
	struct random_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int order;

	if (!c)
		return -ENOMEM;
	for (order = chunk_order(); order >= ilog2(CONT_PTES); order--) {
		c->chunk = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (c->chunk)
			break;
	}
	if (!c->chunk)
		return -ENOMEM;
	c->order = order;
	test->priv = c;
	return 0;
}

/* Every page of the chunk mapped again; false if that failed. */
static bool chunk_restore(struct random_ctx *c)
{
	return !set_memory_valid((unsigned long)page_address(c->chunk),
				 1 << c->order, 1);
}

static void random_case_exit(struct kunit *test)
{
	struct random_ctx *c = test->priv;
	unsigned int i;

	/* .exit runs after a failed .init too. */
	if (!c)
		return;
	/* Areas and pages that could not be restored are leaked, not freed. */
	for (i = 0; i < c->nr_workers; i++)
		if (worker_restore(&c->workers[i]))
			vfree(c->workers[i].area.addr);
	if (chunk_restore(c))
		__free_pages(c->chunk, c->order);
}

static int workers_init(struct kunit *test, unsigned int nr, unsigned int iters)
{
	struct random_ctx *c = test->priv;
	bool *invalid;
	unsigned int i;

	if (!can_set_direct_map())
		kunit_skip(test, "the linear map cannot be changed per page");
	/* Every worker owns at least one page. */
	if (nr > 1U << c->order)
		return -EINVAL;
	invalid = kunit_kcalloc(test, 1 << c->order, sizeof(bool), GFP_KERNEL);
	c->workers = kunit_kcalloc(test, nr, sizeof(*c->workers), GFP_KERNEL);
	if (!invalid || !c->workers)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		struct worker *w = &c->workers[i];

		prandom_seed_state(&w->rnd, seed + i);
		w->base = (unsigned long)page_address(c->chunk);
		w->first = i;
		w->stride = nr;
		w->nr = ((1U << c->order) - i + nr - 1) / nr;
		w->invalid = invalid;
		w->rodata_full = map_inputs().rodata_full;
		w->iterations = iters;
		w->id = i;
		init_completion(&w->done);
		w->area.addr = vmalloc(AREA_PAGES * PAGE_SIZE);
		if (!w->area.addr)
			return -ENOMEM;
		c->nr_workers++;
	}
	return 0;
}

static void random_sequential(struct kunit *test)
{
	struct random_ctx *c = test->priv;
	struct map_digest before, after;
	struct worker *w;

	KUNIT_ASSERT_EQ(test, workers_init(test, 1, iterations), 0);
	w = &c->workers[0];
	digest_linear_map(&before);
	worker_run(w);
	worker_restore(w);
	KUNIT_EXPECT_TRUE(test, chunk_restore(c));
	digest_linear_map(&after);
	kunit_info(test, "seed=%#lx impl=%s pages=%u iterations=%u ops=%u failures=%u leaves before: %lu blocks %lu PTEs, after: %lu blocks %lu PTEs\n",
		   seed, impl_rust() ? "rust" : "c", 1U << c->order,
		   w->iterations, w->ops, w->failures, digest_blocks(&before),
		   before.leaves[LEAF_PTE], digest_blocks(&after),
		   after.leaves[LEAF_PTE]);
	KUNIT_EXPECT_EQ(test, w->failures, 0);
	KUNIT_EXPECT_EQ(test, w->ops, w->iterations);
	/* Everything restored: the same translations as before. */
	expect_same(test, &before, &after, EQUIVALENT, "after");
}

struct reader {
	unsigned long mapped;	/* what every walk must find mapped */
	unsigned int walks;
	unsigned int torn;
	bool stop;
	struct completion done;
};

/*
 * Walks the linear map without a lock, as ptdump and
 * kernel_page_present() do, again and again until told to stop: splits
 * and attribute changes never unmap a page, even for a moment.
 */
static int reader_fn(void *data)
{
	struct reader *r = data;
	struct map_digest d;

	while (!READ_ONCE(r->stop)) {
		/* A collapse frees the tables it unlinks after a grace period. */
		rcu_read_lock();
		digest_linear_map(&d);
		rcu_read_unlock();
		if (d.mapped != r->mapped && r->torn++ < 8)
			pr_err("walk %u: %#lx bytes mapped, not %#lx (seed %#lx)\n",
			       r->walks, d.mapped, r->mapped, seed);
		r->walks++;
		cond_resched();
	}
	/* No module code runs after the completion. */
	kthread_complete_and_exit(&r->done, 0);
}

#if IS_ENABLED(CONFIG_ARM64_LINMAP_COLLAPSE)
static long collapse_run(void)
{
	return linmap_collapse_run();
}

static void collapse_inhibit(bool inhibit)
{
	linmap_collapse_inhibit(inhibit);
}
#else
static long collapse_run(void)
{
	return -EPERM;
}

static void collapse_inhibit(bool inhibit)
{
}
#endif

struct collapser {
	unsigned int runs;
	long folds;
	long err;
	bool stop;
	struct completion done;
};

/* Collapses the whole linear map, again and again until told to stop. */
static int collapser_fn(void *data)
{
	struct collapser *cl = data;

	/* At least one run, however late the thread is scheduled. */
	do {
		long n = collapse_run();

		if (n < 0) {
			cl->err = n;
			break;
		}
		cl->folds += n;
		cl->runs++;
		cond_resched();
	} while (!READ_ONCE(cl->stop));
	kthread_complete_and_exit(&cl->done, 0);
}

static int worker_fn(void *data)
{
	struct worker *w = data;

	worker_run(w);
	kthread_complete_and_exit(&w->done, 0);
}

/*
 * One thread per CPU on neighbouring pages while another walks the linear
 * map without a lock and, with @collapse, another collapses it.
 */
static void concurrent(struct kunit *test, bool collapse)
{
	struct random_ctx *c = test->priv;
	unsigned int nr = num_online_cpus(), i, failures = 0, ops = 0;
	unsigned int threads = nr + 1 + collapse;
	struct map_digest before, after;
	struct task_struct **tasks;
	struct collapser cl = {};
	struct reader r = {};
	int err = 0;

	if (nr < 2)
		kunit_skip(test, "one CPU");
	KUNIT_ASSERT_EQ(test, workers_init(test, nr, thread_iterations), 0);
	tasks = kunit_kcalloc(test, threads, sizeof(*tasks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tasks);
	digest_linear_map(&before);
	r.mapped = before.mapped;
	init_completion(&r.done);
	init_completion(&cl.done);

	/* Every thread is created before any runs: on failure none has run. */
	cpus_read_lock();
	for (i = 0; i < threads && !err; i++) {
		if (i < nr)
			tasks[i] = kthread_create(worker_fn, &c->workers[i],
						  "linmap_worker/%u", i);
		else if (i == nr)
			tasks[i] = kthread_create(reader_fn, &r, "linmap_walker");
		else
			tasks[i] = kthread_create(collapser_fn, &cl,
						  "linmap_collapser");
		if (IS_ERR(tasks[i])) {
			err = PTR_ERR(tasks[i]);
			tasks[i] = NULL;
		} else if (i < nr) {
			kthread_bind(tasks[i], cpumask_nth(i, cpu_online_mask));
		}
	}
	for (i = 0; i < threads; i++) {
		if (err && tasks[i])
			kthread_stop(tasks[i]);
		else if (!err)
			wake_up_process(tasks[i]);
	}
	cpus_read_unlock();
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "kthread_create()");

	for (i = 0; i < nr; i++) {
		wait_for_completion(&c->workers[i].done);
		failures += c->workers[i].failures;
		ops += c->workers[i].ops;
	}
	WRITE_ONCE(r.stop, true);
	wait_for_completion(&r.done);
	if (collapse) {
		WRITE_ONCE(cl.stop, true);
		wait_for_completion(&cl.done);
	}
	for (i = 0; i < nr; i++) {
		worker_restore(&c->workers[i]);
		failures += c->workers[i].failures;
	}
	KUNIT_EXPECT_TRUE(test, chunk_restore(c));
	digest_linear_map(&after);
	kunit_info(test, "seed=%#lx impl=%s threads=%u pages=%u iterations=%u per thread ops=%u failures=%u lockless walks=%u torn=%u leaves before: %lu blocks %lu PTEs, after: %lu blocks %lu PTEs\n",
		   seed, impl_rust() ? "rust" : "c", nr, 1U << c->order,
		   thread_iterations, ops, failures, r.walks, r.torn,
		   digest_blocks(&before), before.leaves[LEAF_PTE],
		   digest_blocks(&after), after.leaves[LEAF_PTE]);
	KUNIT_EXPECT_EQ(test, failures, 0);
	KUNIT_EXPECT_EQ(test, ops, nr * thread_iterations);
	KUNIT_EXPECT_EQ(test, r.torn, 0);
	KUNIT_EXPECT_GT(test, r.walks, 0);
	expect_same(test, &before, &after, EQUIVALENT, "after");
	if (collapse) {
		kunit_info(test, "collapse runs=%u folds=%ld err=%ld\n",
			   cl.runs, cl.folds, cl.err);
		KUNIT_EXPECT_EQ(test, cl.err, 0);
		KUNIT_EXPECT_GT(test, cl.runs, 0);
	}
}

static void random_concurrent(struct kunit *test)
{
	concurrent(test, false);
}

/*
 * The same with the whole linear map collapsed again and again meanwhile:
 * what the workers changed is never lost, the lockless walk never finds a
 * page unmapped nor reads a freed table, and then folds come back.
 */
static void collapse_reinhibit(void *unused)
{
	collapse_inhibit(true);
}

static void random_concurrent_collapse(struct kunit *test)
{
	long ret;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one CPU");
	/*
	 * The module holds collapse off; this case lets it run, and holds it
	 * off again however the case ends.
	 */
	collapse_inhibit(false);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, collapse_reinhibit, NULL), 0);
	ret = collapse_run();
	if (ret < 0)
		kunit_skip(test, "collapse does not run here (%ld)", ret);
	concurrent(test, true);
}

static struct kunit_case random_cases[] = {
	KUNIT_CASE_SLOW(random_sequential),
	KUNIT_CASE_SLOW(random_concurrent),
	KUNIT_CASE_SLOW(random_concurrent_collapse),
	{}
};

static struct kunit_suite random_suite = {
	.name = "linmap_random",
	.init = random_case_init,
	.exit = random_case_exit,
	.test_cases = random_cases,
};

static int __init linmap_selftest_init(void)
{
	struct linmap_hw_format f;

	linmap_hw_get_format(&f);
	kernel_pgd = phys_to_virt(f.pgd);
	if (!seed)
		seed = get_random_u64();
	pr_info("seed=%#lx impl=%s (replay: modprobe linmap_selftest seed=%#lx)\n",
		seed, impl_rust() ? "rust" : "c", seed);
	/* The suites compare maps: no collapse behind their backs. */
	collapse_inhibit(true);
	return 0;
}

static void __exit linmap_selftest_exit(void)
{
	collapse_inhibit(false);
}

kunit_test_suites(&bad_input_suite, &alloc_fail_suite, &random_suite);
module_init(linmap_selftest_init);
module_exit(linmap_selftest_exit);

MODULE_DESCRIPTION("linmap: the linear-map paths exercised in the kernel");
MODULE_LICENSE("GPL");
