# SPDX-License-Identifier: GPL-2.0
#
# KTAP for the workbench's own guest selftests (sourced, not run): the
# kernel's helpers and check() as linmap's kselftest target has them
# (/kselftest/arm64/linmap/lib.sh, installed by make-initramfs.sh), plus
# what they leave to kselftest's runner, which these scripts run without:
#   ktap_begin NAME PLAN   the header, the document's name, the plan
#   ktap_end NAME          the totals, the document's own result line (as
#                          kselftest's runner prints it) and ktap_finished()'s
#                          exit status

KSFT_HELPERS=/kselftest/kselftest
. /kselftest/arm64/linmap/lib.sh

ktap_begin() {
	ktap_print_header
	ktap_print_msg "Subtest: $1"
	ktap_set_plan "$2"
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
