// SPDX-License-Identifier: GPL-2.0
/*
 * linmap_bench: the Rust and the C implementation of the linear-map paths,
 * timed side by side in one boot. Test only (CONFIG_ARM64_LINMAP_BENCH).
 *
 * Loaded with run=1, it times each operation reps times per implementation,
 * alternating which one goes first, on ranges each implementation prepared
 * (split) itself beforehand, fresh block-mapped chunks for the first split,
 * and prints one line per operation:
 *
 *   linmap_bench: OP reps=N c_ns=MEDIAN c_spread=P25-P75 rust_ns=MEDIAN
 *     rust_spread=P25-P75 ratio=RUST/C
 *
 * Loaded without parameters it does nothing, so that a script can time its
 * load and unload (the module loader's set_memory_*() calls) with
 * /sys/kernel/debug/linmap/rust switched the same way.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <asm/linmap.h>
#include <asm/set_memory.h>

#include "linmap_internal.h"

static bool run;
module_param(run, bool, 0444);
MODULE_PARM_DESC(run, "Run the benchmark at load (default: do nothing)");

static unsigned int reps = 256;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Repetitions per operation and implementation");

static unsigned int cold_reps = 32;
module_param(cold_reps, uint, 0444);
MODULE_PARM_DESC(cold_reps, "Repetitions of the first split of a block");

enum impl { IMPL_C, IMPL_RUST, NR_IMPLS };

/* Batched calls per sample of operations too short for the clock. */
#define BATCH 256

/* A chunk for the first split of a block: about 2 MiB, naturally aligned. */
#define COLD_ORDER min(PMD_SHIFT - PAGE_SHIFT, 21 - PAGE_SHIFT)

struct samples {
	u64 *ns[NR_IMPLS];
	unsigned int n[NR_IMPLS];
};

static int samples_init(struct samples *s, unsigned int cap)
{
	int i;

	for (i = 0; i < NR_IMPLS; i++) {
		s->ns[i] = kcalloc(cap, sizeof(u64), GFP_KERNEL);
		s->n[i] = 0;
		if (!s->ns[i])
			return -ENOMEM;
	}
	return 0;
}

static void samples_free(struct samples *s)
{
	int i;

	for (i = 0; i < NR_IMPLS; i++)
		kfree(s->ns[i]);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 pct(const u64 *v, unsigned int n, unsigned int p)
{
	return n ? v[(n - 1) * p / 100] : 0;
}

static void report(const char *op, struct samples *s, const char *note)
{
	u64 med[NR_IMPLS];
	int i;

	for (i = 0; i < NR_IMPLS; i++) {
		sort(s->ns[i], s->n[i], sizeof(u64), cmp_u64, NULL);
		med[i] = pct(s->ns[i], s->n[i], 50);
	}
	pr_info("%s reps=%u c_ns=%llu c_spread=%llu-%llu rust_ns=%llu rust_spread=%llu-%llu ratio=%llu.%03llu%s%s\n",
		op, min(s->n[IMPL_C], s->n[IMPL_RUST]),
		med[IMPL_C], pct(s->ns[IMPL_C], s->n[IMPL_C], 25),
		pct(s->ns[IMPL_C], s->n[IMPL_C], 75),
		med[IMPL_RUST], pct(s->ns[IMPL_RUST], s->n[IMPL_RUST], 25),
		pct(s->ns[IMPL_RUST], s->n[IMPL_RUST], 75),
		med[IMPL_C] ? med[IMPL_RUST] * 1000 / med[IMPL_C] / 1000 : 0,
		med[IMPL_C] ? med[IMPL_RUST] * 1000 / med[IMPL_C] % 1000 : 0,
		note ? " " : "", note ? note : "");
}

static void use_impl(enum impl i)
{
	linmap_bench_set_rust(i == IMPL_RUST);
}

/*
 * The implementation of repetition @rep's @k-th turn: C first on even ones.
 * Warm ranges are prepared once per implementation and then used by turn
 * (the first of each repetition on one, the second on the other): under
 * QEMU TCG the position after the previous turn's TLB invalidation and the
 * address (the software TLB is direct-mapped) cost differently, and each
 * implementation gets both equally.
 */
static enum impl turn(unsigned int rep, int k)
{
	return (rep + k) % 2 ? IMPL_RUST : IMPL_C;
}

enum warm_op { WARM_RO_RW, WARM_DIRECT_MAP, WARM_VALID_64 };

/*
 * One operation on the range at @addr: a vmalloc area for WARM_RO_RW, the
 * linear map otherwise.
 */
static int warm_once(enum warm_op op, unsigned long addr)
{
	int ret;

	switch (op) {
	case WARM_RO_RW:
		ret = set_memory_ro(addr, 1);
		return ret ?: set_memory_rw(addr, 1);
	case WARM_DIRECT_MAP:
		ret = set_direct_map_invalid_noflush(virt_to_page((void *)addr));
		return ret ?: set_direct_map_default_noflush(virt_to_page((void *)addr));
	case WARM_VALID_64:
		ret = set_memory_valid(addr, 64, 0);
		return ret ?: set_memory_valid(addr, 64, 1);
	}
	return -EINVAL;
}

/* Times @op reps times per implementation, turn k on @addr[k]. */
static int time_turns(struct samples *s, enum warm_op op,
		      const unsigned long addr[NR_IMPLS])
{
	unsigned int rep;
	int k, ret = 0;

	for (rep = 0; rep < reps && !ret; rep++) {
		for (k = 0; k < NR_IMPLS && !ret; k++) {
			enum impl i = turn(rep, k);
			u64 t0;

			use_impl(i);
			t0 = ktime_get_ns();
			ret = warm_once(op, addr[k]);
			s->ns[i][s->n[i]++] = ktime_get_ns() - t0;
		}
	}
	return ret;
}

/* set_memory_ro() + set_memory_rw() on one page of a vmalloc area. */
static int bench_vmalloc(struct samples *s)
{
	void *area[NR_IMPLS] = {};
	unsigned long addr[NR_IMPLS];
	int i, ret = 0;

	for (i = 0; i < NR_IMPLS; i++) {
		area[i] = vmalloc(PAGE_SIZE);
		if (!area[i]) {
			ret = -ENOMEM;
			goto out;
		}
		addr[i] = (unsigned long)area[i];
		/* Warm: the linear alias is split once, by its own impl. */
		use_impl(i);
		ret = warm_once(WARM_RO_RW, addr[i]);
		if (ret)
			goto out;
	}
	ret = time_turns(s, WARM_RO_RW, addr);
out:
	/*
	 * Areas whose mapping may not be restored are leaked, not freed (an
	 * allocation failure, a split's included, changes no mapping).
	 */
	for (i = 0; i < NR_IMPLS && (!ret || ret == -ENOMEM); i++)
		vfree(area[i]);
	return ret;
}

/* 0: level 1 block, 1: contiguous level 2, 2: level 2, 3: contiguous PTE. */
static int leaf_kind(const struct linmap_leaf *leaf)
{
	if (leaf->level == 3)
		return 3;
	if (leaf->level == 2)
		return leaf->cont ? 1 : 2;
	return 0;
}

/* Chunks for the first split of a block, and which ones were split. */
struct cold {
	struct page **chunks;
	bool *used;
	unsigned int nr, cap;
};

/* Whether @p's page 3 is still in a block or contiguous group. */
static bool is_cold(struct page *p, struct linmap_leaf *leaf)
{
	if (linmap_leaf_info((unsigned long)page_address(p + 3), leaf))
		return false;
	return leaf->level < 3 || leaf->cont;
}

/*
 * A chunk whose page 3 is still block-mapped, in a leaf of kind @want (any
 * if negative): an unused one first, else a new one; NULL if none.
 */
static struct page *cold_chunk(struct cold *c, int want,
			       struct linmap_leaf *leaf)
{
	unsigned int j;

	for (j = 0; j < c->nr; j++) {
		if (c->used[j] || !is_cold(c->chunks[j], leaf) ||
		    (want >= 0 && leaf_kind(leaf) != want))
			continue;
		c->used[j] = true;
		return c->chunks[j];
	}
	while (c->nr < c->cap) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
					     __GFP_NORETRY, COLD_ORDER);

		if (!p)
			return NULL;
		c->chunks[c->nr] = p;
		c->used[c->nr] = false;
		c->nr++;
		if (!is_cold(p, leaf))
			continue;
		if (want >= 0 && leaf_kind(leaf) != want)
			return NULL;	/* The caller may split this one. */
		c->used[c->nr - 1] = true;
		return p;
	}
	return NULL;
}

/*
 * set_direct_map_invalid_noflush() + set_direct_map_default_noflush() on a
 * page inside a block: the first split of a PUD, contiguous PMD, PMD or
 * contiguous PTE leaf (set_memory_ro() refuses linear-map addresses; it
 * reaches them only as the alias of a vmalloc area). Each turn takes a
 * chunk that is still block-mapped, in a level-2 (PMD) block where there is
 * one, else in a leaf of the same kind as the other implementation's; the
 * kinds met are counted per implementation
 * (leaves_IMPL=L1/contL2/L2/contPTE).
 */
static int bench_linear_cold(struct samples *s, char *note, size_t len)
{
	unsigned int kinds[NR_IMPLS][4] = {};
	struct cold c = { .cap = cold_reps * NR_IMPLS * 4 };
	unsigned int rep;
	int k, ret = 0;

	c.chunks = kcalloc(c.cap, sizeof(*c.chunks), GFP_KERNEL);
	c.used = kcalloc(c.cap, sizeof(*c.used), GFP_KERNEL);
	if (!c.chunks || !c.used) {
		ret = -ENOMEM;
		goto out;
	}
	for (rep = 0; rep < cold_reps && !ret; rep++) {
		/* PMD blocks are the common kind; both get one where they can. */
		int want = 2;

		for (k = 0; k < NR_IMPLS && !ret; k++) {
			enum impl i = turn(rep, k);
			struct linmap_leaf leaf;
			struct page *p = cold_chunk(&c, want, &leaf);
			u64 t0;

			if (!p) {
				/*
				 * None left of that kind: split one of another
				 * kind, untimed (a contiguous group becomes PMD
				 * blocks), and look again.
				 */
				struct page *q = cold_chunk(&c, -1, &leaf);

				use_impl(i);
				if (q && leaf_kind(&leaf) < want)
					ret = warm_once(WARM_DIRECT_MAP,
							(unsigned long)page_address(q + 3));
				if (ret)
					goto out;
				p = cold_chunk(&c, want, &leaf) ?:
				    cold_chunk(&c, -1, &leaf);
			}
			if (!p)
				goto out;
			want = leaf_kind(&leaf);
			kinds[i][want]++;
			use_impl(i);
			t0 = ktime_get_ns();
			ret = warm_once(WARM_DIRECT_MAP,
					(unsigned long)page_address(p + 3));
			s->ns[i][s->n[i]++] = ktime_get_ns() - t0;
		}
	}
out:
	snprintf(note, len, "leaves_c=%u/%u/%u/%u leaves_rust=%u/%u/%u/%u%s",
		 kinds[IMPL_C][0], kinds[IMPL_C][1], kinds[IMPL_C][2],
		 kinds[IMPL_C][3], kinds[IMPL_RUST][0], kinds[IMPL_RUST][1],
		 kinds[IMPL_RUST][2], kinds[IMPL_RUST][3],
		 s->n[IMPL_C] && s->n[IMPL_RUST] ? "" :
		 " (no block-mapped chunk found)");
	/* Pages whose mapping may not be restored are leaked, not freed. */
	while (c.nr && (!ret || ret == -ENOMEM))
		__free_pages(c.chunks[--c.nr], COLD_ORDER);
	kfree(c.chunks);
	kfree(c.used);
	return ret;
}

static void free_warm(struct page *pg[NR_IMPLS], unsigned int order)
{
	int i;

	for (i = 0; i < NR_IMPLS; i++)
		if (pg[i])
			__free_pages(pg[i], order);
}

/* 2^@order pages per implementation, split once by it. */
static int warm_pages(struct page *pg[NR_IMPLS], unsigned int order)
{
	int i;

	for (i = 0; i < NR_IMPLS; i++) {
		int ret;

		pg[i] = alloc_pages(GFP_KERNEL, order);
		if (!pg[i])
			return -ENOMEM;
		/* Both ends become leaf boundaries: the range is whole leaves. */
		use_impl(i);
		ret = warm_once(WARM_DIRECT_MAP,
				(unsigned long)page_address(pg[i]));
		if (!ret && order)
			ret = warm_once(WARM_DIRECT_MAP, (unsigned long)
					page_address(pg[i] + (1 << order) - 1));
		if (ret)
			return ret;
	}
	return 0;
}

static int bench_warm(struct samples *s, enum warm_op op)
{
	unsigned int order = op == WARM_VALID_64 ? 6 : 0;
	struct page *pg[NR_IMPLS] = {};
	unsigned long addr[NR_IMPLS];
	int i, ret;

	ret = warm_pages(pg, order);
	if (!ret) {
		for (i = 0; i < NR_IMPLS; i++)
			addr[i] = (unsigned long)page_address(pg[i]);
		ret = time_turns(s, op, addr);
	}
	if (!ret || ret == -ENOMEM)
		free_warm(pg, order);
	return ret;
}

/* can_set_direct_map(), per call, from batches of BATCH calls. */
static int bench_can_set_direct_map(struct samples *s)
{
	unsigned int rep, j;
	u64 yes = 0;
	int k;

	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < NR_IMPLS; k++) {
			enum impl i = turn(rep, k);
			u64 t0;

			use_impl(i);
			t0 = ktime_get_ns();
			for (j = 0; j < BATCH; j++)
				yes += can_set_direct_map();
			s->ns[i][s->n[i]++] = (ktime_get_ns() - t0) / BATCH;
		}
	}
	/* Both answer the same. */
	return yes == 0 || yes == (u64)reps * NR_IMPLS * BATCH ? 0 : -EINVAL;
}

enum op {
	OP_VMALLOC,
	OP_LINEAR_COLD,
	OP_DIRECT_MAP,
	OP_VALID_64,
	OP_CAN_SET_DIRECT_MAP,
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	[OP_VMALLOC] = "vmalloc_ro_rw",
	[OP_LINEAR_COLD] = "linear_cold_invalid_default",
	[OP_DIRECT_MAP] = "direct_map_invalid_default",
	[OP_VALID_64] = "set_memory_valid_64",
	[OP_CAN_SET_DIRECT_MAP] = "can_set_direct_map",
};

static int bench_all(void)
{
	bool was_rust = linmap_use_rust();
	struct samples s = {};
	char note[128];
	int op, ret;

	ret = samples_init(&s, max(reps, cold_reps));
	if (ret)
		goto out;
	pr_info("start reps=%u cold_reps=%u page_size=%lu\n", reps, cold_reps,
		PAGE_SIZE);

	for (op = 0; op < NR_OPS; op++) {
		s.n[IMPL_C] = 0;
		s.n[IMPL_RUST] = 0;
		note[0] = '\0';
		switch (op) {
		case OP_VMALLOC:
			ret = bench_vmalloc(&s);
			break;
		case OP_LINEAR_COLD:
			ret = bench_linear_cold(&s, note, sizeof(note));
			break;
		case OP_DIRECT_MAP:
			ret = bench_warm(&s, WARM_DIRECT_MAP);
			break;
		case OP_VALID_64:
			ret = bench_warm(&s, WARM_VALID_64);
			break;
		case OP_CAN_SET_DIRECT_MAP:
			ret = bench_can_set_direct_map(&s);
			snprintf(note, sizeof(note), "per_call_of_batch=%d", BATCH);
			break;
		}
		if (ret) {
			pr_err("%s: error %d\n", op_name[op], ret);
			goto out;
		}
		report(op_name[op], &s, note[0] ? note : NULL);
	}
	pr_info("done\n");
out:
	samples_free(&s);
	linmap_bench_set_rust(was_rust);
	return ret;
}

static int __init linmap_bench_init(void)
{
	return run ? bench_all() : 0;
}

static void __exit linmap_bench_exit(void)
{
}

module_init(linmap_bench_init);
module_exit(linmap_bench_exit);

MODULE_DESCRIPTION("linmap: Rust and C linear-map paths timed side by side");
MODULE_LICENSE("GPL");
