#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel tree: extract the pinned linux-source-7.3 once into the
# cache (or use KDIR=...), overlay this repository into arch/arm64/mm/linmap/
# and bring the patches/ series up to date (quilt style: what was applied is
# remembered in $tree/.linmap/, a changed series is unapplied and reapplied).
# Files whose content did not change keep their mtime, so builds stay
# incremental. Prints the tree's path on stdout.
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

# --- overlay ---------------------------------------------------------------
dst="$tree/arch/arm64/mm/linmap"
mkdir -p "$dst"
# rust/host/ is the host build's alone (model, auditor, test world): never
# copied, as pin-init keeps its host-only files out of the kernel tree.
want=$(cd "$LINMAP_ROOT" && ls Kbuild Kconfig ./*.c ./*.h rust/*.rs rust/glue/*.rs samples/Kbuild samples/*.rs samples/*.c | sed 's#^\./##')
for f in $want; do
	mkdir -p "$dst/$(dirname "$f")"
	cmp -s "$LINMAP_ROOT/$f" "$dst/$f" || cp "$LINMAP_ROOT/$f" "$dst/$f"
done
# Drop files that left the repository.
(cd "$dst" && find . -type f | sed 's#^\./##') | while read -r f; do
	grep -qxF "$f" <<<"$want" || rm -f "$dst/$f"
done
# The kselftest target, where kselftest's Makefile finds it
# (make -C tools/testing/selftests TARGETS=arm64/linmap run_tests).
ksft="$tree/tools/testing/selftests/arm64/linmap"
mkdir -p "$ksft"
for f in "$LINMAP_ROOT"/kselftest/*; do
	cmp -s "$f" "$ksft/$(basename "$f")" || cp -p "$f" "$ksft/"
done
for f in "$ksft"/*; do
	[ -e "$LINMAP_ROOT/kselftest/$(basename "$f")" ] || rm -f "$f"
done

# --- patches ---------------------------------------------------------------
state="$tree/.linmap"
mkdir -p "$state/applied"
touch "$state/series"
mapfile -t new < <(grep -v '^\s*#' "$LINMAP_ROOT/patches/series" | sed '/^\s*$/d')
mapfile -t old < "$state/series"
# The applied prefix that is unchanged stays; the rest is unapplied (last
# first) and the new rest applied, as quilt would.
keep=0
while [ $keep -lt ${#old[@]} ] && [ $keep -lt ${#new[@]} ] &&
      [ "${old[$keep]}" = "${new[$keep]}" ] &&
      cmp -s "$LINMAP_ROOT/patches/${new[$keep]}" "$state/applied/${old[$keep]}"; do
	keep=$((keep + 1))
done
for ((i = ${#old[@]} - 1; i >= keep; i--)); do
	p="$state/applied/${old[$i]}"
	echo "linmap: unapplying ${old[$i]}" >&2
	patch -d "$tree" -p1 -R -s --no-backup-if-mismatch --dry-run <"$p" >&2 ||
		{ echo "cannot unapply ${old[$i]} from $tree" >&2; exit 1; }
	patch -d "$tree" -p1 -R -s --no-backup-if-mismatch <"$p" >&2
	rm -f "$p"
	sed -i '$d' "$state/series"
done
for ((i = keep; i < ${#new[@]}; i++)); do
	p=${new[$i]}
	echo "linmap: applying $p" >&2
	patch -d "$tree" -p1 -N -s --no-backup-if-mismatch --dry-run <"$LINMAP_ROOT/patches/$p" >&2 ||
		{ echo "patch $p does not apply to $tree" >&2; exit 1; }
	patch -d "$tree" -p1 -N -s --no-backup-if-mismatch <"$LINMAP_ROOT/patches/$p" >&2
	cp "$LINMAP_ROOT/patches/$p" "$state/applied/$p"
	echo "$p" >>"$state/series"
done
echo "$tree"
