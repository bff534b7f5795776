#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The linmap sample module (CONFIG_ARM64_LINMAP_SAMPLE=m), loaded and
# unloaded: the module loader's set_memory_*() on its text and rodata (with
# rodata=full, on their linear aliases too) and the sample's own vmalloc
# and linear-map churn, each result checked by the sample in the page
# tables.

. "$(dirname "$0")/lib.sh"

ktap_print_header
require_linmap
ko=${LINMAP_SAMPLE_KO:-}
if [ -z "$ko" ] && ! modinfo linmap_sample >/dev/null 2>&1; then
	ktap_skip_all "no linmap_sample module (CONFIG_ARM64_LINMAP_SAMPLE=m)"
	exit "$KSFT_SKIP"
fi
err=$(mktemp)

ktap_set_plan 4
if [ -n "$ko" ]; then
	load="insmod $ko iterations=${LINMAP_SAMPLE_ITERATIONS:-16}"
else
	load="modprobe linmap_sample iterations=${LINMAP_SAMPLE_ITERATIONS:-16}"
fi
if $load 2>"$err"; then
	ktap_test_pass sample_module_load
else
	echo "# $load: $(cat "$err")"
	ktap_test_fail sample_module_load
fi
check sample_all_checks_passed sh -c "dmesg | grep -q 'linmap_sample: .* all checks passed'"
check sample_module_unload rmmod linmap_sample
check sample_unload_message sh -c "dmesg | grep -q 'linmap_sample: unloaded'"
rm -f "$err"
ktap_finished
