#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The upstream mm selftest memfd_secret, nested: secretmem removes its pages
# from the direct map with set_direct_map_invalid_noflush() and puts them
# back with set_direct_map_default_noflush(). (The linmap sample module
# runs before it, from the kselftest target.) Output: KTAP.

. /selftests/lib/ktap.sh

err=/tmp/paths.$$
ktap_begin linmap_paths 1
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
