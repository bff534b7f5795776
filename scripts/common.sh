# SPDX-License-Identifier: GPL-2.0
# Shared settings for the linmap scripts. Sourced, not executed.

LINMAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LINMAP_CACHE=${LINMAP_CACHE:-$HOME/.cache/linmap}
LINMAP_TOOLS=$LINMAP_CACHE/tools

KERNEL_SERIES=7.3
KERNEL_DEB_VERSION=7.3.4-1~bpo13+1
KERNEL_DEB_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
BINDGEN_VERSION=0.73.2
QEMU_SERIES=10.0

HOST_PKGS="rustc-web rust-web-src rust-web-clippy rustfmt-web clang-19 lld-19 llvm-19 libclang-19-dev
gcc-aarch64-linux-gnu libc6-dev-arm64-cross flex bison bc cpio kmod
libelf-dev libssl-dev xz-utils python3 python3-docutils librsvg2-bin make rsync"

export PATH="$LINMAP_TOOLS/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib

# The extracted, patched source tree used when KDIR is not given.
kernel_src_dir() {
	echo "$LINMAP_CACHE/src/linux-$(echo "$KERNEL_DEB_VERSION" | tr "~+:" "---")"
}

# Arguments for every make in the kernel tree.
KMAKE_ARGS=(ARCH=arm64 LLVM=-19
	RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt
	CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN="$LINMAP_TOOLS/bin/bindgen"
	RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library)
