# SPDX-License-Identifier: GPL-2.0
#
# KTAP for the guest selftests (sourced, not run): the kernel's own helpers
# (tools/testing/selftests/kselftest/ktap_helpers.sh, copied next to this
# file from the pinned tree), plus what they leave to the runner, which
# this initramfs does not have:
#   ktap_begin NAME PLAN   the header, the document's name, the plan
#   check NAME COMMAND...  ok when COMMAND succeeds (its output dropped,
#                          the command shown when it fails)
#   ktap_end NAME          the totals, the document's own result line (as
#                          kselftest's runner prints it) and ktap_finished()'s
#                          exit status

. /selftests/lib/ktap_helpers.sh

ktap_begin() {
	ktap_print_header
	ktap_print_msg "Subtest: $1"
	ktap_set_plan "$2"
}

check() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		ktap_test_pass "$name"
	else
		# ktap_print_msg() would glob the command.
		echo "# failed: $*"
		ktap_test_fail "$name"
	fi
}

ktap_end() {
	ktap_print_totals
	if [ $((KTAP_CNT_PASS + KTAP_CNT_SKIP + KTAP_CNT_XFAIL)) -eq "$KSFT_NUM_TESTS" ]; then
		echo "ok 1 $1"
		exit "$KSFT_PASS"
	fi
	echo "not ok 1 $1"
	exit "$KSFT_FAIL"
}
