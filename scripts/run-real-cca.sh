#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run linmap's kernel as a realm on the real Arm CCA stack under QEMU with
# RME, when you have built that stack (see Documentation/realm-emu.rst,
# "The real stack"). Nothing here is packaged; supply:
#   CCA_FLASH        flash.bin: TF-A bl1 + fip (with TF-RMM and BL33)
#   CCA_HOST_IMAGE   the linux-cca host kernel Image
#   CCA_HOST_ROOTFS  a raw root filesystem image for the host with lkvm
#                    (kvmtool-cca) in its PATH
# Optional: KOUT (linmap's kernel build directory; default: build it),
# CCA_MEM (8G), CCA_SMP (4), CCA_HOST_APPEND (extra host command line).
#
# The host boots on the console; linmap's guest Image and initramfs are
# shared with it over virtio-9p (mount tag "linmap"). Inside the host:
#   mount -t 9p -o trans=virtio linmap /mnt && sh /mnt/run-realm.sh
set -euo pipefail
. "$(dirname "$0")/common.sh"

missing=0
for v in CCA_FLASH CCA_HOST_IMAGE CCA_HOST_ROOTFS; do
	if [ -z "${!v:-}" ] || [ ! -f "${!v}" ]; then
		echo "run-real-cca: $v must name an existing file (got '${!v:-}')" >&2
		missing=1
	fi
done
if [ $missing = 1 ]; then
	echo "run-real-cca: see Documentation/realm-emu.rst for how to build TF-A, TF-RMM, linux-cca and kvmtool-cca" >&2
	exit 2
fi
qemu-system-aarch64 -cpu help | grep -q '^ *max' ||
	{ echo "run-real-cca: this QEMU has no 'max' CPU" >&2; exit 2; }

out=${KOUT:-$("$LINMAP_ROOT/scripts/build-kernel.sh" | tail -n1)}
share="$LINMAP_CACHE/real-cca/share"
rm -rf "$share" && mkdir -p "$share"
cp "$out/arch/arm64/boot/Image" "$share/Image"
# The initramfs the emulator's realm boots get.
"$LINMAP_ROOT/scripts/make-initramfs.sh" "$out" "$LINMAP_CACHE/real-cca/root" "$share/initramfs.cpio"
cat >"$share/run-realm.sh" <<'RUN'
#!/bin/sh
# Start linmap's kernel as a realm with kvmtool-cca.
exec lkvm run --realm -c 2 -m 512 \
	--kernel /mnt/Image --initrd /mnt/initramfs.cpio \
	-p "console=hvc0 rdinit=/init panic=-1 linmap_realm=real"
RUN

exec qemu-system-aarch64 \
	-M virt,virtualization=on,secure=on,gic-version=3,acpi=off \
	-cpu max,x-rme=on -m "${CCA_MEM:-8G}" -smp "${CCA_SMP:-4}" \
	-nographic -bios "$CCA_FLASH" -kernel "$CCA_HOST_IMAGE" \
	-drive "file=$CCA_HOST_ROOTFS,if=virtio,format=raw" \
	-virtfs "local,path=$share,mount_tag=linmap,security_model=none" \
	-append "root=/dev/vda rw console=ttyAMA0 ${CCA_HOST_APPEND:-}"
