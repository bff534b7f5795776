#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Rust code was reached from C at the two boot hooks, in order, and
# the linear map is visible in the kernel page tables and W^X clean.

. "$(dirname "$0")/lib.sh"

ktap_print_header
require_linmap
log=$(mktemp)
dmesg >"$log"
pt=/sys/kernel/debug/kernel_page_tables
[ -r "$pt" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

ktap_set_plan 6
check linmap_paging_init_line grep -q 'linmap: version [0-9.]* (Rust), paging_init: boot CPU BBML3: \(yes\|no\)' "$log"
check linmap_caps_finalized_line grep -q 'linmap: caps finalized: system BBML3: \(yes\|no\)' "$log"
p=$(grep -n 'linmap: version' "$log" | head -n1 | cut -d: -f1)
c=$(grep -n 'linmap: caps finalized' "$log" | head -n1 | cut -d: -f1)
check linmap_hooks_in_boot_order test "${p:-0}" -gt 0 -a "${c:-0}" -gt "${p:-0}"
check linmap_no_hook_errors sh -c "! grep -q 'linmap: .*called' '$log'"
if [ -r "$pt" ]; then
	check ptdump_linear_map_section sh -c "grep -q 'Linear Mapping start' $pt && grep -q 'Linear Mapping end' $pt"
else
	ktap_test_skip "ptdump_linear_map_section: no $pt (CONFIG_PTDUMP_DEBUGFS)"
fi
if grep -q 'Checked W+X mappings' "$log"; then
	check debug_wx_passed grep -q 'Checked W+X mappings: passed' "$log"
else
	ktap_test_skip "debug_wx_passed: no W+X check in the log (CONFIG_DEBUG_WX)"
fi
rm -f "$log"
ktap_finished
