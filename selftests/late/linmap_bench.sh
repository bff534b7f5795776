#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Rust and the C implementation timed side by side (make bench-kernel,
# and once in make test): only in boots with linmap_bench=1 on the kernel
# command line. The figures go to the kernel log ("linmap_bench: ...");
# the checks are that every measurement ran. Output: KTAP.

grep -qw 'linmap_bench=1' /proc/cmdline || exit 0
. /selftests/lib/ktap.sh

ko=/lib/modules/linmap_bench.ko
reps=${LINMAP_BENCH_REPS:-256}
ktap_begin linmap_bench 4
check bench_in_kernel insmod "$ko" run=1 reps="$reps"
check bench_unload rmmod linmap_bench
check bench_module_load_unload sh -c \
	"/bin/linmap_bench_load $ko linmap_bench 96 >/dev/kmsg"
check bench_all_reported sh -c \
	"[ \$(dmesg | grep -c 'linmap_bench: [a-z_0-9]* reps=[1-9].* ratio=') = 6 ]"
ktap_end linmap_bench
