#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure (tinyconfig + configs/linmap.config, plus the variant's fragment
# configs/variants/$LINMAP_VARIANT.config when LINMAP_VARIANT is set, else
# configs/default.config) and
# build the arm64 Image incrementally in an output directory in the cache
# keyed by the kernel version and the configuration. Extra arguments go to
# the kernel's make
# (for example CLIPPY=1, or a target such as rustfmtcheck); the default is
# the Image and the modules.
# Prints the output directory on the last line of stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$("$LINMAP_ROOT/scripts/prepare-tree.sh")
frag="$LINMAP_ROOT/configs/linmap.config"
frags=("$frag")
if [ -n "${LINMAP_VARIANT:-}" ] && [ "$LINMAP_VARIANT" != default ]; then
	vfrag="$LINMAP_ROOT/configs/variants/$LINMAP_VARIANT.config"
	[ -f "$vfrag" ] || { echo "linmap: no variant $LINMAP_VARIANT ($vfrag)" >&2; exit 1; }
	frags+=("$vfrag")
else
	frags+=("$LINMAP_ROOT/configs/default.config")
fi
key=$( { cat "${frags[@]}"; echo "$tree"; } | sha256sum | cut -c1-12)
ver=$(make -s -C "$tree" kernelversion)
out="$LINMAP_CACHE/build/$ver-$key"
mkdir -p "$out"

kmake() {
	make -C "$tree" O="$out" "${KMAKE_ARGS[@]}" "$@"
}

if [ ! -f "$out/.config" ] || [ ! -f "$out/.linmap-config-ok" ] ||
   [ "$tree/arch/arm64/mm/linmap/Kconfig" -nt "$out/.linmap-config-ok" ]; then
	echo "linmap: configuring $out" >&2
	kmake -s tinyconfig >&2
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" .config "${frags[@]}" >/dev/null)
	kmake -s olddefconfig >&2
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$out/.config" || {
				echo "linmap: $line did not survive olddefconfig (got: $(grep "^${line%%=*}=" "$out/.config" || echo unset))" >&2
				bad=1
			} ;;
		esac
	done < <(cat "${frags[@]}")
	if [ $bad = 1 ]; then
		[ "$(grep -c '^CONFIG_RUST=y' "$out/.config")" = 1 ] || kmake rustavailable >&2 || true
		exit 1
	fi
	touch "$out/.linmap-config-ok"
fi

echo "linmap: building in $out" >&2
[ $# -gt 0 ] || set -- Image modules
kmake -j"$(nproc)" "$@" >&2
echo "$out"
