#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Rust code was reached from C at the two boot hooks, in order, and
# the linear map is visible in the kernel page tables and W^X clean.

. "$(dirname "$0")/lib.sh"

ktap_print_header
require_linmap
log=$(mktemp)
dmesg >"$log" 2>/dev/null
if ! grep -q 'linmap: version' "$log"; then
	ktap_skip_all "the kernel log no longer has the boot (rotated, or not readable)"
	rm -f "$log"
	exit "$KSFT_SKIP"
fi
pt=/sys/kernel/debug/kernel_page_tables

ktap_set_plan 6
check linmap_paging_init_line \
	grep -Eq 'linmap: version [0-9.]+ \(Rust\), paging_init: boot CPU BBML3: (yes|no)' "$log"
check linmap_caps_finalized_line grep -Eq 'linmap: caps finalized: system BBML3: (yes|no)' "$log"
p=$(grep -n 'linmap: version' "$log" | head -n1 | cut -d: -f1)
c=$(grep -n 'linmap: caps finalized' "$log" | head -n1 | cut -d: -f1)
check linmap_hooks_in_boot_order test "${p:-0}" -gt 0 -a "${c:-0}" -gt "${p:-0}"
check linmap_no_hook_errors sh -c "! grep -q 'linmap: .*called' '$log'"
if [ -r "$pt" ] && head -c 1 "$pt" >/dev/null 2>&1; then
	check ptdump_linear_map_section \
		sh -c "grep -q 'Linear Mapping start' $pt && grep -q 'Linear Mapping end' $pt"
else
	skip ptdump_linear_map_section \
		"$pt not readable (debugfs mounted? CONFIG_PTDUMP_DEBUGFS, lockdown)"
fi
if grep -q 'Checked W+X mappings' "$log"; then
	check debug_wx_passed grep -q 'Checked W+X mappings: passed' "$log"
else
	skip debug_wx_passed "no W+X check in the kernel log (CONFIG_DEBUG_WX)"
fi
rm -f "$log"
ktap_finished
