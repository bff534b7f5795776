#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make CLIPPY=1` does for linmap's object, without its side effect: the
# kernel's CLIPPY=1 swaps rustc for clippy-driver in every Rust command, so
# the next ordinary build rebuilds the whole Rust tree. Here the exact command
# Kbuild last used for linmap.o (from its .cmd file) is rerun with
# clippy-driver, -Dwarnings and a scratch output directory.
#   kernel-clippy.sh OUT_DIR TREE
set -euo pipefail
out=$1
tree=$2
obj=arch/arm64/mm/linmap/rust/linmap.o
cmdfile="$out/$(dirname "$obj")/.$(basename "$obj").cmd"
[ -f "$cmdfile" ] || { echo "no $cmdfile: build the kernel first" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmd=$(sed -n "s#^savedcmd_$obj := ##p" "$cmdfile")
cmd=${cmd/\/usr\/bin\/rustc /\/usr\/bin\/clippy-driver -Dwarnings }
cmd=${cmd/--out-dir $(dirname "$obj")\//--out-dir $scratch/}
cmd=${cmd/--emit=dep-info=$(dirname "$obj")\/.linmap.o.d/--emit=dep-info=$scratch/linmap.d}
cmd=${cmd/--emit=obj=$obj/--emit=obj=$scratch/linmap.o}
case "$cmd" in
*clippy-driver*"--out-dir $scratch/"*"--emit=obj=$scratch/"*) ;;
*) echo "unexpected command in $cmdfile" >&2; exit 1 ;;
esac
echo "  CLIPPY  $obj" >&2
cd "$out" && RUSTC_BOOTSTRAP=1 CLIPPY_CONF_DIR="$tree" eval "$cmd"
