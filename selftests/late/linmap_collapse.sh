#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Collapse under a fragmenting churn (boots with linmap_churn=1 on the
# kernel command line, mode 1): the share of the linear map in leaves of
# 2M and more (/proc/meminfo's DirectMap lines) and the page-table pages
# under it (debugfs linmap/collapse), after boot, after the churn (module
# loads and unloads, whose linear aliases become read-only; the sample's
# vmalloc buffers made read-only and writable again; memfd_secret pages
# faulted and freed; one module left loaded) and after its release (the
# module unloaded, then the collapse worker's runs). With linmap.impl=rust
# the release must bring the share back to 99% of the after-boot share at
# least; with linmap.impl=c nothing folds. Output: KTAP.

grep -qw 'linmap_churn=1' /proc/cmdline || exit 0
. /selftests/lib/ktap.sh

stats=/sys/kernel/debug/linmap/collapse
ko=/lib/modules/linmap_sample.ko
impl=rust
grep -qw 'linmap.impl=c' /proc/cmdline && impl=c
rounds=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^linmap_churn\.rounds=//p')
rounds=${rounds:-8}

# The share of the linear map in leaves of 2M and more, in units of
# 1/10000, and the kB of each.
share() {
	awk '/^DirectMap/ { all += $2; if ($1 ~ /[MG]:$/) big += $2 }
	     END { if (all) printf "%d\n", big * 10000 / all; else print 0 }' /proc/meminfo
}
stat() {
	sed -n "s/^$1 //p" "${2:-$stats}"
}
# What a measurement reports: the share, the tables, the counters.
report() {
	ktap_print_msg "$1: $(share | awk '{ printf "%d.%02d", $1 / 100, $1 % 100 }')% of the linear map in leaves >= 2M, $(stat linear_map_tables) tables; $(grep '^DirectMap' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
}
# Waits (at most 60 s) until the collapse worker has finished a run after
# the count of runs was $1, with nothing noted since and no run under way.
wait_idle() {
	i=0
	while [ $i -lt 600 ]; do
		# One read: the counters are consistent with each other.
		cat "$stats" >/tmp/collapse.stats
		if [ "$(stat passes /tmp/collapse.stats)" -gt "$1" ] &&
		   [ "$(stat pending /tmp/collapse.stats)" = 0 ] &&
		   [ "$(stat started /tmp/collapse.stats)" = "$(stat passes /tmp/collapse.stats)" ]; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

ktap_begin linmap_collapse 6
if [ ! -r "$stats" ]; then
	ktap_skip_all "no $stats"
	exit "$KSFT_SKIP"
fi
enabled=$(stat enabled)
# After boot: the worker's first run, over the whole linear map, is done.
[ "$impl" = c ] || wait_idle 0
boot=$(share)
boot_tables=$(stat linear_map_tables)
report "after boot"

i=0
while [ $i -lt "$rounds" ]; do
	# 16 MiB of vmalloc buffer (the most the sample takes), its linear
	# aliases made read-only and writable again page by page.
	insmod "$ko" iterations=1 pages=4096 >/dev/null 2>&1 && rmmod linmap_sample
	[ $((i % 4)) = 0 ] && /bin/memfd_secret >/dev/null 2>&1
	i=$((i + 1))
done
insmod "$ko" iterations=1 pages=4096 >/dev/null 2>&1
loaded=$?
churn=$(share)
report "after the churn"
before=$(stat passes)
rmmod linmap_sample
if [ "$impl" = rust ]; then
	# The module's release is a change: the worker runs after it.
	wait_idle "$before"
	runs=$?
else
	sleep 3
	runs=0
fi
release=$(share)
release_tables=$(stat linear_map_tables)
report "after release"
ktap_print_msg "counters: $(tr '\n' ' ' <"$stats")"

check sample_loaded test "$loaded" = 0
# The churn reached the paths: it split blocks.
check churn_split test "$churn" -lt "$boot"
if [ "$impl" = rust ]; then
	check collapse_enabled test "$enabled" = 1
	check worker_ran test "$runs" = 0
	check share_restored test $((release * 100)) -ge $((boot * 99))
	check tables_released test "$release_tables" -le "$boot_tables"
else
	check collapse_disabled test "$enabled" = 0
	check worker_absent test "$(stat passes)" = 0
	check share_not_restored test "$release" -lt "$boot"
	check tables_kept test "$release_tables" -gt "$boot_tables"
fi
ktap_end linmap_collapse
