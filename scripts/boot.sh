#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a built kernel in QEMU with the test initramfs and save the console.
#   boot.sh OUT_DIR RUN_NAME
# Environment (all optional): QEMU_MACHINE, QEMU_CPU, QEMU_SMP, QEMU_MEM,
# LINMAP_APPEND (extra kernel command line), BOOT_TIMEOUT (seconds, 300),
# REALM=shared|separate (boot as an Arm CCA realm on the RSI emulator, with
# the shared alias onto the same RAM or onto RAM of its own),
# REALM_GUEST=0 (the kernel is not expected to become a realm: no realm
# selftest), LINMAP_KEEP_RUNS (how many run directories to keep, 150).
# Prints the console log's path on stdout; the exit status is QEMU's (124
# on time-out).
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$1
name=${2:-boot}
image="$out/arch/arm64/boot/Image"
[ -f "$image" ] || { echo "no kernel image at $image: run 'make kernel'" >&2; exit 1; }

# Keep the cache bounded: only the newest LINMAP_KEEP_RUNS (150) runs stay.
if [ -d "$LINMAP_CACHE/runs" ]; then
	find "$LINMAP_CACHE/runs" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' |
		sort -rn | tail -n +"$((${LINMAP_KEEP_RUNS:-150} + 1))" | cut -d' ' -f2- |
		xargs -r rm -rf
fi
run="$LINMAP_CACHE/runs/$name-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
ln -sfn "$run" "$LINMAP_CACHE/runs/latest-$name"

# --- initramfs -------------------------------------------------------------
"$LINMAP_ROOT/scripts/make-initramfs.sh" "$out" "$run/initramfs" "$run/initramfs.cpio"

# --- QEMU ------------------------------------------------------------------
append="console=ttyAMA0 rdinit=/init panic=-1 nokaslr ${LINMAP_APPEND:-}"
[ "${REALM:-}" = 1 ] && REALM=shared
case "${REALM:-}" in
"")
	machine=${QEMU_MACHINE:-virt,gic-version=3}
	cpu=${QEMU_CPU:-max,pauth-impdef=on}
	mem=${QEMU_MEM:-4G}
	boot=(-kernel "$image")
	;;
shared | separate)
	# A realm: the EL2 RSI emulator is what QEMU boots; it enters Linux,
	# which the generic loader puts at the first byte of the guest's RAM.
	emu=$("$LINMAP_ROOT/scripts/build-realm-emu.sh" | tail -n1)
	cpu=${QEMU_CPU:-neoverse-n1}
	boot=(-kernel "$emu" -device "loader,file=$image,addr=0x41000000,force-raw=on")
	if [ "$REALM" = shared ]; then
		# The shared alias onto the same RAM: the GIC ITS works.
		machine=${QEMU_MACHINE:-virt,virtualization=on,gic-version=3,highmem=off}
		mem=${QEMU_MEM:-3G}
	else
		# The shared alias onto RAM of its own: DMA works only through
		# memory the guest shared. A virtio disk behind the DMA API
		# (ACCESS_PLATFORM) with known contents proves it; the ITS
		# cannot work here (it reads protected memory), so INTx.
		machine=${QEMU_MACHINE:-virt,virtualization=on,gic-version=3,its=off,highmem-ecam=off,highmem-mmio=off,highmem-redists=off}
		mem=${QEMU_MEM:-7G}
		disk="$run/disk.img"
		head -c $((4 << 20)) /dev/urandom >"$disk"
		append="$append linmap_vda_sha256=$(sha256sum "$disk" | cut -d' ' -f1)"
		boot+=(-drive "file=$disk,if=none,format=raw,id=vda"
			-device virtio-blk-pci,drive=vda,disable-legacy=on,iommu_platform=on)
	fi
	# The guest's realm selftest runs unless the caller expects the kernel
	# not to take itself for a realm (REALM_GUEST=0: an injected failure).
	[ "${REALM_GUEST:-1}" = 0 ] || append="$append linmap_realm=$REALM"
	;;
*)
	echo "REALM=$REALM: use shared or separate" >&2
	exit 2
	;;
esac
cmd=(qemu-system-aarch64
	-M "$machine" -cpu "$cpu"
	-smp "${QEMU_SMP:-4}" -m "$mem"
	-display none -monitor none -serial stdio -nic none -no-reboot
	"${boot[@]}" -initrd "$run/initramfs.cpio"
	-append "$append")
printf '%q ' "${cmd[@]}" >"$run/qemu.cmd"
echo >>"$run/qemu.cmd"
echo "linmap: booting ($run)" >&2
rc=0
timeout --foreground -k 5 "${BOOT_TIMEOUT:-300}" "${cmd[@]}" </dev/null >"$run/console.log" 2>"$run/qemu.stderr" || rc=$?
echo "$rc" >"$run/qemu.rc"
echo "$run/console.log"
exit "$rc"
