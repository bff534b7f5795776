// SPDX-License-Identifier: GPL-2.0
/*
 * Times the load and unload of a module with linmap.impl switched between
 * c and rust at each repetition (alternating which goes first), through
 * /sys/kernel/debug/linmap/rust, and prints the result as the linmap_bench
 * module prints its own:
 *
 *   linmap_bench: module_load_unload reps=N c_ns=... ratio=...
 *
 * Usage: linmap_bench_load MODULE.ko NAME REPS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, int n, int p)
{
	return v[(n - 1) * p / 100];
}

static int set_rust(int rust)
{
	int fd = open("/sys/kernel/debug/linmap/rust", O_WRONLY);
	int ok, err;

	if (fd < 0)
		return -1;
	errno = 0;
	ok = write(fd, rust ? "Y" : "N", 1) == 1;
	err = errno ? errno : EIO;
	close(fd);
	if (ok)
		return 0;
	errno = err;
	return -1;
}

/* The current switch: 1 (rust), 0 (c) or -1. */
static int get_rust(void)
{
	int fd = open("/sys/kernel/debug/linmap/rust", O_RDONLY);
	char c = 0;

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y' ? 1 : c == 'N' ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint64_t *t[2], med[2];
	int reps, rep, k, i, was_rust;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MODULE.ko NAME REPS\n", argv[0]);
		return 2;
	}
	reps = atoi(argv[3]);
	if (reps < 1)
		return 2;
	was_rust = get_rust();
	if (was_rust < 0) {
		perror("/sys/kernel/debug/linmap/rust");
		return 1;
	}
	t[0] = calloc(reps, sizeof(uint64_t));
	t[1] = calloc(reps, sizeof(uint64_t));
	if (!t[0] || !t[1])
		return 1;
	for (rep = 0; rep < reps; rep++) {
		for (k = 0; k < 2; k++) {
			int rust = (rep + k) % 2;
			int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
			const char *what = argv[1];
			uint64_t t0;

			if (fd < 0)
				goto fail;
			what = "/sys/kernel/debug/linmap/rust";
			if (set_rust(rust))
				goto fail_fd;
			what = "finit_module/delete_module";
			t0 = now_ns();
			if (syscall(SYS_finit_module, fd, "", 0) ||
			    syscall(SYS_delete_module, argv[2], O_NONBLOCK))
				goto fail_fd;
			t[rust][rep] = now_ns() - t0;
			close(fd);
			continue;
fail_fd:
			perror(what);
			close(fd);
			set_rust(was_rust);
			return 1;
fail:
			perror(what);
			set_rust(was_rust);
			return 1;
		}
	}
	if (set_rust(was_rust)) {
		perror("/sys/kernel/debug/linmap/rust");
		return 1;
	}
	for (i = 0; i < 2; i++) {
		qsort(t[i], reps, sizeof(uint64_t), cmp);
		med[i] = pct(t[i], reps, 50);
	}
	if (!med[0]) {
		fprintf(stderr, "no time measured\n");
		return 1;
	}
	printf("linmap_bench: module_load_unload reps=%d c_ns=%llu c_spread=%llu-%llu rust_ns=%llu rust_spread=%llu-%llu ratio=%llu.%03llu\n",
	       reps, (unsigned long long)med[0],
	       (unsigned long long)pct(t[0], reps, 25),
	       (unsigned long long)pct(t[0], reps, 75),
	       (unsigned long long)med[1],
	       (unsigned long long)pct(t[1], reps, 25),
	       (unsigned long long)pct(t[1], reps, 75),
	       (unsigned long long)(med[1] * 1000 / med[0] / 1000),
	       (unsigned long long)(med[1] * 1000 / med[0] % 1000));
	return 0;
}
