#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Realm boots only (the harness puts linmap_realm=shared|separate on the
# command line, which reaches init's environment): the kernel found the RSI,
# the CCA guest device and driver are there, and in the separate-RAM layout
# a virtio disk behind the DMA API (swiotlb bounce buffers in memory the
# guest shared) reads back the contents the host wrote. Then
# linmap_realm_probe.ko and its user side: a page of the linear map shared
# with set_memory_decrypted() must fault through a second, protected alias
# (the RMM unmapped its granule) and read again once private; with the
# emulator's test-only destroy call, a destroyed granule is reported,
# refused by 7.3's boot-time request and made RAM by set_memory_encrypted().
# linmap_realm_probe.wrong=share|destroy|hvc on the command line then makes
# the guest do the wrong thing, which must end in a kernel report or the
# realm's stop. Output: KTAP.

[ -n "$linmap_realm" ] || exit 0

. /selftests/lib/ktap.sh

cmdline=" $(cat /proc/cmdline) "
# The page must come from a block where the linear map has them (mode 1).
case "$cmdline" in
*" linmap.bbml3=0-7 "*) shape=blocks ;;
*" linmap.bbml3=0 "* | *" linmap.bbml3=1-7 "*) shape=pte ;;
*) shape=any ;;
esac
strict=off
case "$cmdline" in
*" realm_emu.strict=zero "*) strict=zero ;;
*" realm_emu.strict=poison "*) strict=poison ;;
esac
destroy=
case "$cmdline" in *" realm_emu.host_destroy=1 "*) destroy=destroy ;; esac
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
probe_out=/tmp/linmap_realm_probe.out
: >"$probe_out"
probe_checks=0
# The pre-fix refusal (linmap.prefix_split=1) cannot share a page of a
# block: that is the reported bug, not the probe's to check.
case "$cmdline" in
*" linmap.prefix_split=1 "*) ;;
*)
	if insmod /lib/modules/linmap_realm_probe.ko; then
		/bin/linmap_realm_probe "$shape" "$strict" $destroy >"$probe_out" 2>&1
		echo "probe_exit $?" >>"$probe_out"
	else
		echo "not ok linmap_realm_probe_load" >"$probe_out"
		echo "probe_exit 1" >>"$probe_out"
	fi
	probe_checks=$(($(grep -cE '^(not )?ok ' "$probe_out") + 1))
	;;
esac

plan=$((5 + probe_checks))
[ "$linmap_realm" = separate ] && plan=$((plan + 1))
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
while read -r verdict rest; do
	case "$verdict" in
	ok)
		echo "# $rest"
		ktap_test_pass "${rest%% #*}"
		;;
	not)
		echo "# ${rest#ok }"
		rest=${rest#ok }
		ktap_test_fail "${rest%% #*}"
		;;
	probe_exit) check realm_probe_exit test "$rest" = 0 ;;
	esac
done <"$probe_out"
# The wrong thing, last: it ends in an oops (this subshell dies) or stops
# the realm.
for w in share destroy hvc; do
	case "$cmdline" in
	*" linmap_realm_probe.wrong=$w "*)
		echo "# linmap_realm_probe: wrong-$w"
		sh -c "echo wrong-$w >/sys/kernel/debug/linmap_realm_probe"
		;;
	esac
done
grep -q "linmap_realm_probe.wrong=" /proc/cmdline || rmmod linmap_realm_probe 2>/dev/null
ktap_end "linmap_realm_$linmap_realm"
