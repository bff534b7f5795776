#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# linmap boot selftest: the Rust code was reached from C at the two boot
# hooks, in order, and the linear map is visible and W^X clean.
# Output: KTAP.

. /selftests/lib/ktap.sh

log=/tmp/dmesg.$$
dmesg >"$log"
pt=/sys/kernel/debug/kernel_page_tables

ktap_begin linmap_boot_selftest 6
check linmap_paging_init_line grep -q 'linmap: version [0-9.]* (Rust), paging_init: boot CPU BBML3: \(yes\|no\)' "$log"
check linmap_caps_finalized_line grep -q 'linmap: caps finalized: system BBML3: \(yes\|no\)' "$log"
p=$(grep -n 'linmap: version' "$log" | head -n1 | cut -d: -f1)
c=$(grep -n 'linmap: caps finalized' "$log" | head -n1 | cut -d: -f1)
check linmap_hooks_in_boot_order test "${p:-0}" -gt 0 -a "${c:-0}" -gt "${p:-0}"
check linmap_no_hook_errors sh -c "! grep -q 'linmap: .*called' '$log'"
check ptdump_linear_map_section sh -c "grep -q 'Linear Mapping start' $pt && grep -q 'Linear Mapping end' $pt"
check debug_wx_passed grep -q 'Checked W+X mappings: passed' "$log"
rm -f "$log"
ktap_end linmap_boot_selftest
