// SPDX-License-Identifier: GPL-2.0
/*
 * The user side of linmap_realm_probe.ko (a realm guest only): a second,
 * protected alias of a kernel page shared with the host must fault once
 * the page is shared (the RMM unmapped its protected granule) and read
 * again once it is private; the kernel's linear map carries the shared bit
 * in between. One "ok"/"not ok" line per check, for the calling script.
 *
 *   linmap_realm_probe SHAPE STRICT [destroy]
 *
 * SHAPE: blocks (the page must come from a linear-map block), pte, any.
 * STRICT: off, zero or poison: the emulator's strict shared view, which
 * decides what a conversion leaves in the page.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE "/sys/kernel/debug/linmap_realm_probe"
#define WORD1 0x6c696e6d61700001ULL
#define POISON 0xa5a5a5a5a5a5a5a5ULL

static sigjmp_buf env;
static volatile siginfo_t seen;
static int failures;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	seen = *si;
	siglongjmp(env, 1);
}

static void result(int ok, const char *name, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "ok" : "not ok", name, detail[0] ? " # " : "", detail);
	failures += !ok;
}

/* Reads (or writes) the word at @p: 0 if it did, the signal otherwise. */
static int probe(volatile uint64_t *p, int write, uint64_t *val)
{
	memset((void *)&seen, 0, sizeof(seen));
	if (sigsetjmp(env, 1))
		return seen.si_signo;
	if (write)
		*p = 42;
	else
		*val = *p;
	return 0;
}

static void faults(const char *name, volatile uint64_t *p, int write)
{
	char d[128];
	uint64_t v;
	int sig = probe(p, write, &v);

	snprintf(d, sizeof(d), "signal %d code %d addr %p", sig, seen.si_code, seen.si_addr);
	result(sig == SIGBUS && seen.si_code == BUS_OBJERR && seen.si_addr == (void *)p, name, d);
}

static void reads(const char *name, volatile uint64_t *p, uint64_t want, int check)
{
	char d[128];
	uint64_t v = 0;
	int sig = probe(p, 0, &v);

	snprintf(d, sizeof(d), "signal %d, read %#llx, want %#llx", sig,
		 (unsigned long long)v, (unsigned long long)want);
	result(!sig && (!check || v == want), name, d);
}

/* Reads the status line into @st. */
static void status(int fd, char *st, size_t n)
{
	ssize_t r = pread(fd, st, n - 1, 0);

	st[r < 0 ? 0 : r] = '\0';
	st[strcspn(st, "\n")] = '\0';
}

/* Writes @cmd, reads back its status line into @st ("failed" if none). */
static void command(int fd, const char *cmd, char *st, size_t n)
{
	size_t len = strlen(cmd);

	if (write(fd, cmd, len) != (ssize_t)len) {
		snprintf(st, n, "%s failed: %s", cmd, strerror(errno));
		return;
	}
	status(fd, st, n);
	if (strncmp(st, cmd, len) || st[len] != ' ')
		snprintf(st, n, "%s: no status of its own", cmd);
}

/* Whether the status line @st has the space-separated field @field. */
static int has(const char *st, const char *field)
{
	char line[300], f[64];

	snprintf(line, sizeof(line), " %s ", st);
	snprintf(f, sizeof(f), " %s ", field);
	return strstr(line, f) != NULL;
}

int main(int argc, char **argv)
{
	const char *shape = argc > 1 ? argv[1] : "any";
	const char *strict = argc > 2 ? argv[2] : "off";
	int destroy = argc > 3 && !strcmp(argv[3], "destroy");
	uint64_t fill = !strcmp(strict, "poison") ? POISON : 0;
	int filled = strcmp(strict, "off") != 0;
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	long page = sysconf(_SC_PAGESIZE);
	volatile uint64_t *p;
	char st[256];
	int fd, block;

	/* Each line out at once: a probe killed midway keeps its results. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGBUS, &sa, NULL);
	fd = open(PROBE, O_RDWR);
	if (fd < 0) {
		result(0, "open", PROBE);
		return 1;
	}
	status(fd, st, sizeof(st));
	block = has(st, "leaf=pud") || has(st, "leaf=pmd") || has(st, "leaf=cont_pmd");
	result(!strcmp(shape, "any") || (!strcmp(shape, "blocks") ? block : has(st, "leaf=pte")),
	       "page_in_expected_leaf", st);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		result(0, "mmap", "");
		return 1;
	}
	p++;
	reads("protected_alias_reads", p, WORD1, 1);

	command(fd, "decrypt", st, sizeof(st));
	result(has(st, "ret=0") && has(st, "shared=1") && has(st, "valid=1"),
	       "decrypt_linear_map_shared", st);
	faults("protected_alias_read_faults_once_shared", p, 0);
	faults("protected_alias_write_faults_once_shared", p, 1);

	command(fd, "encrypt", st, sizeof(st));
	result(has(st, "ret=0") && has(st, "shared=0") && has(st, "valid=1"),
	       "encrypt_linear_map_private", st);
	/* Strict: the private page is a fresh granule; else the bytes stayed. */
	reads("protected_alias_reads_again", p, filled ? fill : WORD1, 1);

	if (destroy) {
		p[1] = WORD1;
		command(fd, "destroy", st, sizeof(st));
		result(has(st, "ret=0") && has(st, "shared=0") && has(st, "valid=1"),
		       "destroyed_reported_refused_then_encrypted", st);
		reads("protected_alias_reads_after_destroy", p + 1, filled ? fill : WORD1, 1);
	}
	munmap((void *)(p - 1), page);
	close(fd);
	return failures != 0;
}
