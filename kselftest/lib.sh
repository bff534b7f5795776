# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the linmap selftests: the kernel's KTAP helpers, a quiet
# check, and the requirements every test shares.

. "$(dirname "$0")/../../kselftest/ktap_helpers.sh"

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

# require_linmap: skip the whole test (KSFT_SKIP) unless this kernel has
# linmap, as its boot line says, and root can read the kernel log.
require_linmap() {
	if [ "$(id -u)" != 0 ]; then
		ktap_skip_all "must be run as root"
		exit "$KSFT_SKIP"
	fi
	if ! dmesg 2>/dev/null | grep -q 'linmap: version [0-9.]* (Rust)'; then
		ktap_skip_all "not a linmap kernel (no 'linmap: version' line in the kernel log)"
		exit "$KSFT_SKIP"
	fi
}
