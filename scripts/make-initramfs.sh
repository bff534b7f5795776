#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the test guest's initramfs: busybox, selftests/init as PID 1, the
# selftests (selftests/*.sh, then selftests/late/*.sh, with selftests/lib/
# and the kernel's ktap_helpers.sh), the linmap sample,
# benchmark, self-test and realm probe modules, the upstream mm selftest
# memfd_secret, the benchmark's module-load timer and the realm probe's
# user side.
#   make-initramfs.sh KERNEL_OUT_DIR WORK_DIR CPIO
# WORK_DIR receives the unpacked tree (kept for inspection).
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$1
root=$2
cpio_out=$3
mkdir -p "$root"/{bin,dev,proc,sys,tmp,selftests/late,selftests/lib,lib/modules}
bb=$(ls "$LINMAP_CACHE"/downloads/busybox-static_*_arm64.deb | head -n1)
dpkg-deb --fsys-tarfile "$bb" | tar -xO ./bin/busybox >"$root/bin/busybox"
chmod +x "$root/bin/busybox"
ln -sfn busybox "$root/bin/sh"
install -m 755 "$LINMAP_ROOT/selftests/init" "$root/init"
for t in "$LINMAP_ROOT"/selftests/*.sh; do
	[ -e "$t" ] && install -m 755 "$t" "$root/selftests/"
done
install -m 755 "$LINMAP_ROOT"/selftests/late/*.sh "$root/selftests/late/"
install -m 644 "$LINMAP_ROOT"/selftests/lib/ktap.sh "$root/selftests/lib/"
# linmap's kselftest target, installed as kselftest installs it (with the
# kernel's ktap_helpers.sh, which selftests/lib/ktap.sh uses too); the guest
# runs it with run_kselftest.sh, as on any arm64 machine.
tree=${LINMAP_TREE:-$("$LINMAP_ROOT/scripts/prepare-tree.sh")}
make -s -C "$tree/tools/testing/selftests" TARGETS=arm64/linmap INSTALL_PATH="$root/kselftest" install >/dev/null
ko="$out/samples/rust/linmap_sample.ko"
[ -f "$ko" ] || { echo "no $ko: run 'make kernel'" >&2; exit 1; }
install -m 644 "$ko" "$root/lib/modules/"
bko="$out/arch/arm64/mm/linmap/linmap_bench.ko"
[ -f "$bko" ] || { echo "no $bko: run 'make kernel'" >&2; exit 1; }
install -m 644 "$bko" "$root/lib/modules/"
sko="$out/arch/arm64/mm/linmap/linmap_selftest.ko"
[ -f "$sko" ] || { echo "no $sko: run 'make kernel'" >&2; exit 1; }
install -m 644 "$sko" "$root/lib/modules/"
pko="$out/arch/arm64/mm/linmap/linmap_realm_probe.ko"
[ -f "$pko" ] || { echo "no $pko: run 'make kernel'" >&2; exit 1; }
install -m 644 "$pko" "$root/lib/modules/"
sel=$("$LINMAP_ROOT/scripts/build-selftests.sh" | tail -n1)
install -m 755 "$sel/memfd_secret" "$sel/linmap_bench_load" "$sel/linmap_realm_probe" "$root/bin/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$cpio_out"
