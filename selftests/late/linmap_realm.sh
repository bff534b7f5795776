#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Realm boots only (the harness puts linmap_realm=shared|separate on the
# command line, which reaches init's environment): the kernel found the RSI,
# the CCA guest device and driver are there, and in the separate-RAM layout
# a virtio disk behind the DMA API (swiotlb bounce buffers in memory the
# guest shared) reads back the contents the host wrote. Output: KTAP.

[ -n "$linmap_realm" ] || exit 0

. /selftests/lib/ktap.sh

plan=5
[ "$linmap_realm" = separate ] && plan=6
ktap_begin "linmap_realm_$linmap_realm" "$plan"
check rsi_version sh -c "dmesg | grep -q 'RME: Using RSI version 1.0'"
check arm_cca_dev test -e /sys/bus/platform/devices/arm-cca-dev
mkdir -p /sys/kernel/config 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
check tsm_report_configfs test -d /sys/kernel/config/tsm/report
# arm-cca-guest registered itself as the TSM report provider (it does only
# in a realm).
r=/sys/kernel/config/tsm/report/linmap
mkdir "$r" 2>/dev/null
check arm_cca_guest_tsm_provider sh -c "[ \"\$(cat $r/provider)\" = arm_cca_guest ]"
rmdir "$r" 2>/dev/null
check swiotlb_pool sh -c "dmesg | grep -q 'software IO TLB: mapped'"
if [ "$linmap_realm" = separate ]; then
	sum=$(sha256sum /dev/vda 2>/dev/null | cut -d' ' -f1)
	if [ -n "$sum" ] && [ "$sum" = "$linmap_vda_sha256" ]; then
		ktap_test_pass virtio_blk_dma_through_swiotlb
	else
		echo "# vda sha256 '$sum', host wrote '$linmap_vda_sha256'"
		ktap_test_fail virtio_blk_dma_through_swiotlb
	fi
fi
ktap_end "linmap_realm_$linmap_realm"
