#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# linmap boot selftest: the Rust code was reached from C at the two boot
# hooks, in order, and the linear map is visible and W^X clean.
# Output: KTAP.

n=0
fail=0
result() {
	# result <ok|not ok> <name> [diagnostic]
	n=$((n + 1))
	[ -n "$3" ] && echo "# $3"
	echo "$1 $n $2"
	[ "$1" = ok ] || fail=$((fail + 1))
}
check() {
	# check <name> <command...>
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then result ok "$name"; else result "not ok" "$name" "failed: $*"; fi
}

log=/tmp/dmesg.$$
dmesg >"$log"
pt=/sys/kernel/debug/kernel_page_tables

echo "KTAP version 1"
echo "# Subtest: linmap_boot_selftest"
echo "1..6"
check linmap_paging_init_line grep -q 'linmap: version [0-9.]* (Rust), paging_init: boot CPU BBML3: \(yes\|no\)' "$log"
check linmap_caps_finalized_line grep -q 'linmap: caps finalized: system BBML3: \(yes\|no\)' "$log"
p=$(grep -n 'linmap: version' "$log" | head -n1 | cut -d: -f1)
c=$(grep -n 'linmap: caps finalized' "$log" | head -n1 | cut -d: -f1)
check linmap_hooks_in_boot_order test "${p:-0}" -gt 0 -a "${c:-0}" -gt "${p:-0}"
check linmap_no_hook_errors sh -c "! grep -q 'linmap: .*called' '$log'"
check ptdump_linear_map_section sh -c "grep -q 'Linear Mapping start' $pt && grep -q 'Linear Mapping end' $pt"
check debug_wx_passed grep -q 'Checked W+X mappings: passed' "$log"
rm -f "$log"
echo "# linmap_boot: pass:$((n - fail)) fail:$fail"
