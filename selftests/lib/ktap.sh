# SPDX-License-Identifier: GPL-2.0
#
# KTAP helpers for the guest selftests (sourced, not run).
#   ktap_begin NAME PLAN    the document's header
#   result ok|"not ok" NAME [DIAGNOSTIC]
#   check NAME COMMAND...   ok when COMMAND succeeds (its output dropped)
#   ktap_end NAME           the totals line

n=0
fail=0

ktap_begin() {
	echo "KTAP version 1"
	echo "# Subtest: $1"
	echo "1..$2"
}

result() {
	n=$((n + 1))
	[ -n "$3" ] && echo "# $3"
	echo "$1 $n $2"
	[ "$1" = ok ] || fail=$((fail + 1))
}

check() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then result ok "$name"; else result "not ok" "$name" "failed: $*"; fi
}

ktap_end() {
	echo "# $1: pass:$((n - fail)) fail:$fail"
}
