#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel tree: extract the pinned linux-source-7.3 once into the
# cache (or use KDIR=...) and make its files what the patches/series gives
# (scripts/series.py sync). Files whose content did not change keep their
# mtime, so builds stay incremental. Prints the tree's path on stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ -n "${KDIR:-}" ]; then
	tree=$(cd "$KDIR" && pwd)
	[ -f "$tree/arch/arm64/mm/mmu.c" ] || { echo "KDIR=$KDIR is not an arm64 Linux tree" >&2; exit 1; }
else
	tree=$(kernel_src_dir)
	if [ ! -f "$tree/.linmap-extracted" ]; then
		deb="$LINMAP_CACHE/downloads/linux-source-${KERNEL_SERIES}_${KERNEL_DEB_VERSION}_all.deb"
		[ -f "$deb" ] || { echo "missing $deb: run 'make setup'" >&2; exit 1; }
		echo "linmap: extracting $(basename "$deb") into $tree" >&2
		rm -rf "$tree.tmp" && mkdir -p "$tree.tmp"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/linux-source-$KERNEL_SERIES.tar.xz" |
			xz -dc -T0 | tar -x -C "$tree.tmp" --strip-components=1
		rm -rf "$tree" && mv "$tree.tmp" "$tree"
		touch "$tree/.linmap-extracted"
	fi
fi

# --- the series ------------------------------------------------------------
# patches/series gives every file linmap changes or adds (the crate into
# arch/arm64/mm/linmap/, the sample into samples/rust/, the kselftests into
# tools/testing/selftests/arm64/linmap/, ...); rust/host/ is the host
# build's alone and never copied, as pin-init keeps its host-only files out
# of the kernel tree. v7.3's copies are kept in $tree/.linmap/pristine.
python3 "$LINMAP_ROOT/scripts/series.py" sync "$tree" >/dev/null
echo "$tree"
