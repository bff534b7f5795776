#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Cross-build the upstream mm selftests the guest runs, statically, from the
# prepared 7.3 tree: tools/testing/selftests/mm/memfd_secret.c against the
# tree's UAPI headers (headers_install) and libcap.a from libcap-dev:arm64,
# linmap's module-load timer (selftests/bench/linmap_bench_load.c) and the
# user side of the realm probe (selftests/realm/linmap_realm_probe.c).
# Cached by content; prints the output directory on the last line of stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$("$LINMAP_ROOT/scripts/prepare-tree.sh")
cap_deb=$(ls "$LINMAP_CACHE"/downloads/libcap-dev_*_arm64.deb | head -n1)
src="$tree/tools/testing/selftests/mm/memfd_secret.c"
bench="$LINMAP_ROOT/selftests/bench/linmap_bench_load.c"
probe="$LINMAP_ROOT/selftests/realm/linmap_realm_probe.c"
key=$(cat "$src" "$tree/tools/testing/selftests/kselftest.h" "$cap_deb" "$bench" "$probe" "$0" | sha256sum | cut -c1-12)
out="$LINMAP_CACHE/selftests/$key"
if [ ! -x "$out/memfd_secret" ] || [ ! -x "$out/linmap_bench_load" ] || [ ! -x "$out/linmap_realm_probe" ]; then
	rm -rf "$out.tmp" && mkdir -p "$out.tmp/cap"
	make -s -C "$tree" ARCH=arm64 O="$out.tmp/hdr" INSTALL_HDR_PATH="$out.tmp/usr" headers_install >&2
	dpkg-deb -x "$cap_deb" "$out.tmp/cap"
	aarch64-linux-gnu-gcc -static -O2 -Wall \
		-isystem "$out.tmp/usr/include" -isystem "$out.tmp/cap/usr/include" \
		-I "$tree/tools/testing/selftests" \
		-o "$out.tmp/memfd_secret" "$src" \
		-L "$out.tmp/cap/usr/lib/aarch64-linux-gnu" -lcap >&2
	aarch64-linux-gnu-gcc -static -O2 -Wall -o "$out.tmp/linmap_bench_load" "$bench" >&2
	aarch64-linux-gnu-gcc -static -O2 -Wall -o "$out.tmp/linmap_realm_probe" "$probe" >&2
	mkdir -p "$out"
	mv "$out.tmp/memfd_secret" "$out.tmp/linmap_bench_load" "$out.tmp/linmap_realm_probe" "$out/"
	rm -rf "$out.tmp"
fi
echo "$out"
