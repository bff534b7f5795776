#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Real users of the split and pageattr paths, in the guest:
# - the linmap sample module, loaded and unloaded: the module loader's
#   set_memory_*() on its text and rodata (with rodata=full, on their linear
#   aliases too) and the sample's own vmalloc and linear-map churn, each
#   result checked by the sample in the page tables;
# - the upstream mm selftest memfd_secret (secretmem removes its pages from
#   the direct map with set_direct_map_invalid_noflush()), nested below.
# Output: KTAP.

. /selftests/lib/ktap.sh

ko=/lib/modules/linmap_sample.ko
err=/tmp/paths.$$

ktap_begin linmap_paths 5
if insmod "$ko" iterations="${LINMAP_SAMPLE_ITERATIONS:-16}" 2>"$err"; then
	ktap_test_pass sample_module_load
else
	echo "# insmod $ko: $(cat "$err")"
	ktap_test_fail sample_module_load
fi
check sample_all_checks_passed sh -c "dmesg | grep -q 'linmap_sample: .* all checks passed'"
check sample_module_unload rmmod linmap_sample
check sample_unload_message sh -c "dmesg | grep -q 'linmap_sample: unloaded'"

echo "    # Subtest: memfd_secret"
/bin/memfd_secret >"$err" 2>&1
rc=$?
sed -e '/^TAP version/d' -e 's/^/    /' "$err"
if [ $rc = 0 ]; then
	ktap_test_pass memfd_secret
else
	echo "# memfd_secret: exit status $rc"
	ktap_test_fail memfd_secret
fi
rm -f "$err"
ktap_end linmap_paths
