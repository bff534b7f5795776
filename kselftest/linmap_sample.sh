#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The linmap sample module (CONFIG_SAMPLE_RUST_LINMAP=m), loaded and
# unloaded: the module loader's set_memory_*() on its text and rodata (with
# rodata=full, on their linear aliases too) and the sample's own vmalloc
# and linear-map churn, each result checked by the sample in the page
# tables. LINMAP_SAMPLE_KO=path loads a module that is not installed.

. "$(dirname "$0")/lib.sh"

ktap_print_header
require_linmap
ko=${LINMAP_SAMPLE_KO:-}
if [ -d /sys/module/linmap_sample ]; then
	ktap_skip_all \
		"linmap_sample is loaded already (or built in): its checks would not be this run's"
	exit "$KSFT_SKIP"
fi
if [ -z "$ko" ] && ! modinfo linmap_sample >/dev/null 2>&1; then
	ktap_skip_all "no linmap_sample module (CONFIG_SAMPLE_RUST_LINMAP=m)"
	exit "$KSFT_SKIP"
fi
err=$(mktemp)
# Only the kernel log after this line is this run's.
marker="linmap_sample.sh: start $$ $(date +%s)"
# KERN_DEBUG: in the log, not on a console it could garble.
echo "<7>$marker" >/dev/kmsg
since="dmesg | sed -n '/$marker/,\$p'"

ktap_set_plan 4
iterations=${LINMAP_SAMPLE_ITERATIONS:-16}
if [ -n "$ko" ]; then
	insmod "$ko" iterations="$iterations" 2>"$err"
else
	modprobe linmap_sample iterations="$iterations" 2>"$err"
fi
if [ $? = 0 ]; then
	ktap_test_pass sample_module_load
else
	echo "# loading linmap_sample: $(cat "$err")"
	ktap_test_fail sample_module_load
fi
check sample_all_checks_passed sh -c "$since | grep -q 'linmap_sample: .* all checks passed'"
check sample_module_unload rmmod linmap_sample
check sample_unload_message sh -c "$since | grep -q 'linmap_sample: unloaded'"
rm -f "$err"
ktap_finished
