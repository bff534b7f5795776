# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the linmap selftests: the kernel's KTAP helpers, a quiet
# check, and the requirements every test shares.

# KSFT_HELPERS: where ktap_helpers.sh is, for scripts outside the target.
. "${KSFT_HELPERS:-$(dirname "$0")/../../kselftest}/ktap_helpers.sh"

# check NAME COMMAND...: ok when COMMAND succeeds (its output dropped, the
# command shown when it fails).
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

# skip NAME REASON: a skipped test whose name does not depend on why.
skip() {
	echo "# $1: $2"
	ktap_test_skip "$1"
}

# require_linmap: skip the whole test (KSFT_SKIP) unless run as root on a
# kernel with linmap (its symbols, which survive a rotated kernel log).
require_linmap() {
	if [ "$(id -u)" != 0 ]; then
		ktap_skip_all "must be run as root"
		exit "$KSFT_SKIP"
	fi
	# A function: data symbols are in kallsyms only with KALLSYMS_ALL.
	if ! grep -qw linmap_map_decide /proc/kallsyms 2>/dev/null; then
		ktap_skip_all "not a linmap kernel (no linmap_map_decide in /proc/kallsyms)"
		exit "$KSFT_SKIP"
	fi
}
