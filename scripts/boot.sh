#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a built kernel in QEMU with the test initramfs and save the console.
#   boot.sh OUT_DIR RUN_NAME
# Environment (all optional): QEMU_MACHINE, QEMU_CPU, QEMU_SMP, QEMU_MEM,
# LINMAP_APPEND (extra kernel command line), BOOT_TIMEOUT (seconds, 300).
# Prints the console log's path on stdout; the exit status is QEMU's (124
# on time-out).
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$1
name=${2:-boot}
image="$out/arch/arm64/boot/Image"
[ -f "$image" ] || { echo "no kernel image at $image: run 'make kernel'" >&2; exit 1; }

run="$LINMAP_CACHE/runs/$name-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
ln -sfn "$run" "$LINMAP_CACHE/runs/latest-$name"

# --- initramfs -------------------------------------------------------------
root="$run/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,selftests}
bb=$(ls "$LINMAP_CACHE"/downloads/busybox-static_*_arm64.deb | head -n1)
dpkg-deb --fsys-tarfile "$bb" | tar -xO ./bin/busybox >"$root/bin/busybox"
chmod +x "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$LINMAP_ROOT/selftests/init" "$root/init"
for t in "$LINMAP_ROOT"/selftests/*.sh; do
	install -m 755 "$t" "$root/selftests/"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$run/initramfs.cpio"

# --- QEMU ------------------------------------------------------------------
append="console=ttyAMA0 rdinit=/init panic=-1 nokaslr ${LINMAP_APPEND:-}"
cmd=(qemu-system-aarch64
	-M "${QEMU_MACHINE:-virt,gic-version=3}"
	-cpu "${QEMU_CPU:-max,pauth-impdef=on}"
	-smp "${QEMU_SMP:-4}" -m "${QEMU_MEM:-4G}"
	-display none -monitor none -serial stdio -nic none -no-reboot
	-kernel "$image" -initrd "$run/initramfs.cpio"
	-append "$append")
printf '%q ' "${cmd[@]}" >"$run/qemu.cmd"
echo >>"$run/qemu.cmd"
echo "linmap: booting ($run)" >&2
rc=0
timeout --foreground -k 5 "${BOOT_TIMEOUT:-300}" "${cmd[@]}" </dev/null >"$run/console.log" 2>"$run/qemu.stderr" || rc=$?
echo "$rc" >"$run/qemu.rc"
echo "$run/console.log"
exit "$rc"
