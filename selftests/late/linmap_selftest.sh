#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# linmap_selftest.ko (CONFIG_ARM64_LINMAP_SELFTEST): its KUnit suites run
# when it loads and print their own KTAP to the kernel log. Only in boots
# with linmap_selftest=1 on the kernel command line; the module's
# parameters are taken from there as modprobe would
# (linmap_selftest.seed=S replays a run). Output: KTAP.

grep -qw 'linmap_selftest=1' /proc/cmdline || exit 0
. /selftests/lib/ktap.sh

ko=/lib/modules/linmap_selftest.ko
params=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^linmap_selftest\.//p')
# ptdump reads the kernel page tables while the module splits and changes
# them: the whole kernel_page_tables file, again and again.
reads=/tmp/ptdump.reads
stop=/tmp/ptdump.stop
rm -f "$stop"
echo 0 >"$reads"
(
	n=0
	while [ ! -e "$stop" ]; do
		cat /sys/kernel/debug/kernel_page_tables >/dev/null || break
		n=$((n + 1))
		echo "$n" >"$reads"
	done
) &
reader=$!
# The module's KTAP goes to the console while it loads: this document
# comes after it, not around it.
# shellcheck disable=SC2086 # one word per parameter
insmod "$ko" $params
load=$?
touch "$stop"
wait "$reader"
rmmod linmap_selftest
unload=$?
ktap_begin linmap_selftest 3
check selftest_load test "$load" = 0
check selftest_unload test "$unload" = 0
ktap_print_msg "kernel_page_tables read $(cat "$reads") times meanwhile"
check ptdump_read_meanwhile test "$(cat "$reads")" -gt 0
ktap_end linmap_selftest
