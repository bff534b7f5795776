#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything linmap needs on a Debian 12 (bookworm) machine and
# fetch the pinned Linux 7.3 source and guest userspace into the cache.
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

. "$(dirname "$0")/common.sh"

die_pkg() {
	echo "linmap setup: cannot install/fetch '$1'" >&2
	echo "linmap setup: failed command: $2" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Debian packages ------------------------------------------------------
BPO_LIST=/etc/apt/sources.list.d/linmap-bookworm-backports.sources
need_update=0
if [ ! -f "$BPO_LIST" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	as_root tee "$BPO_LIST" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi

missing=()
for p in $HOST_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
qemu_ok=0
if command -v qemu-system-aarch64 >/dev/null &&
   qemu-system-aarch64 --version | grep -q "version $QEMU_SERIES"; then
	qemu_ok=1
fi

if [ ${#missing[@]} -gt 0 ] || [ $qemu_ok = 0 ]; then
	if [ $need_update = 1 ] || [ ! -f /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm-backports_InRelease ]; then
		as_root apt-get update -q || die_pkg "apt indexes" "apt-get update"
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "linmap setup: installing ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
			die_pkg "${missing[*]}" "apt-get install ${missing[*]}"
	fi
	if [ $qemu_ok = 0 ]; then
		echo "linmap setup: installing qemu-system-arm $QEMU_SERIES from bookworm-backports"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			-t bookworm-backports qemu-system-arm ||
			die_pkg qemu-system-arm "apt-get install -t bookworm-backports qemu-system-arm"
		qemu-system-aarch64 --version | grep -q "version $QEMU_SERIES" ||
			die_pkg "qemu-system-arm $QEMU_SERIES" "qemu-system-aarch64 --version"
	fi
fi

# --- bindgen --------------------------------------------------------------
mkdir -p "$LINMAP_TOOLS"
if ! "$LINMAP_TOOLS/bin/bindgen" --version 2>/dev/null | grep -q "bindgen $BINDGEN_VERSION"; then
	echo "linmap setup: cargo install bindgen-cli $BINDGEN_VERSION"
	cargo install --locked --quiet --root "$LINMAP_TOOLS" --version "$BINDGEN_VERSION" bindgen-cli ||
		die_pkg "bindgen-cli $BINDGEN_VERSION" "cargo install --locked --root $LINMAP_TOOLS --version $BINDGEN_VERSION bindgen-cli"
fi

# --- private apt state for trixie-backports and arm64 downloads -----------
apt_private() {
	local state="$LINMAP_CACHE/apt"
	mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc"
	if [ ! -f "$state/etc/sources.list" ]; then
		cat >"$state/etc/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
SRC
	fi
	local opts=(-o Dir::Etc::SourceList="$state/etc/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$state/lists"
		-o Dir::Cache="$state/cache"
		-o APT::Architectures::="$(dpkg --print-architecture)"
		-o APT::Architectures::=arm64
		-o Debug::NoLocking=1)
	if [ ! -f "$state/updated" ]; then
		apt-get "${opts[@]}" update -q >/dev/null || die_pkg "trixie-backports index" "apt-get update (private state $state)"
		touch "$state/updated"
	fi
	(cd "$LINMAP_CACHE/downloads" && apt-get "${opts[@]}" download "$@")
}

mkdir -p "$LINMAP_CACHE/downloads"
SRC_DEB="$LINMAP_CACHE/downloads/linux-source-${KERNEL_SERIES}_${KERNEL_DEB_VERSION//:/%3a}_all.deb"
if [ ! -f "$SRC_DEB" ]; then
	echo "linmap setup: downloading linux-source-$KERNEL_SERIES=$KERNEL_DEB_VERSION"
	apt_private "linux-source-$KERNEL_SERIES=$KERNEL_DEB_VERSION" ||
		die_pkg "linux-source-$KERNEL_SERIES=$KERNEL_DEB_VERSION" "apt-get download linux-source-$KERNEL_SERIES=$KERNEL_DEB_VERSION"
fi
echo "$KERNEL_DEB_SHA256  $SRC_DEB" | sha256sum -c --quiet - ||
	{ echo "linmap setup: SHA-256 mismatch for $SRC_DEB (pinned in scripts/common.sh)" >&2; exit 1; }

BB_DEB=$(ls "$LINMAP_CACHE"/downloads/busybox-static_*_arm64.deb 2>/dev/null | head -n1 || true)
if [ -z "$BB_DEB" ]; then
	echo "linmap setup: downloading busybox-static:arm64"
	apt_private busybox-static:arm64 || die_pkg busybox-static:arm64 "apt-get download busybox-static:arm64"
fi

# Static libcap for the memfd_secret mm selftest (guest, arm64).
CAP_DEB=$(ls "$LINMAP_CACHE"/downloads/libcap-dev_*_arm64.deb 2>/dev/null | head -n1 || true)
if [ -z "$CAP_DEB" ]; then
	echo "linmap setup: downloading libcap-dev:arm64"
	apt_private libcap-dev:arm64 || die_pkg libcap-dev:arm64 "apt-get download libcap-dev:arm64"
fi
