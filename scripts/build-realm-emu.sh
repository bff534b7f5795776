#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the realm emulator firmware (tools/realm-emu) for
# aarch64-unknown-none-softfloat with the Debian toolchain the kernel uses:
# rustc-web builds `core` from rust-web-src (RUSTC_BOOTSTRAP=1, as Kbuild
# does), an empty compiler_builtins, then the emulator, and ld.lld-19 links
# it. Incremental: cached by the content of its inputs. Prints the path of
# the raw image (realm-emu.bin) on the last line of stdout.
#   build-realm-emu.sh --clippy   lint the firmware build instead (clippy-driver
#                                 for the target, -D warnings), which the
#                                 host's cargo clippy cannot see (src/el2.rs)
set -euo pipefail
. "$(dirname "$0")/common.sh"

src="$LINMAP_ROOT/tools/realm-emu"
rustc=/usr/bin/rustc
lib_src=/usr/lib/rustlib/src/rust/library
target=aarch64-unknown-none-softfloat
flags=(--target "$target" -C panic=abort -C opt-level=2 -C debuginfo=1
	-C relocation-model=static -C force-frame-pointers=yes)

key=$( { "$rustc" --version; cat "$0" "$src"/link.ld "$src"/compiler_builtins.rs \
	"$src"/src/*.rs "$LINMAP_ROOT"/rust/fdt.rs; } | sha256sum | cut -c1-12)
out="$LINMAP_CACHE/realm-emu/$key"
# core and compiler_builtins: once per toolchain, shared by every build.
core_dir="$LINMAP_CACHE/realm-emu/core-$("$rustc" --version | sha256sum | cut -c1-12)"
if [ ! -f "$out/realm-emu.bin" ]; then
	rm -rf "$out.tmp" && mkdir -p "$out.tmp"
	export RUSTC_BOOTSTRAP=1
	if [ ! -f "$core_dir/libcore.rlib" ]; then
		rm -rf "$core_dir.tmp" && mkdir -p "$core_dir.tmp"
		"$rustc" "${flags[@]}" --edition 2024 --crate-name core --crate-type rlib \
			-Zforce-unstable-if-unmarked --cap-lints allow \
			--emit=obj="$core_dir.tmp/core.o",metadata="$core_dir.tmp/libcore.rmeta",link="$core_dir.tmp/libcore.rlib" \
			"$lib_src/core/src/lib.rs"
		"$rustc" "${flags[@]}" --edition 2021 --crate-name compiler_builtins --crate-type rlib \
			--extern core="$core_dir.tmp/libcore.rlib" -L "$core_dir.tmp" \
			--emit=obj="$core_dir.tmp/compiler_builtins.o",link="$core_dir.tmp/libcompiler_builtins.rlib" \
			"$src/compiler_builtins.rs"
		rm -rf "$core_dir" && mv "$core_dir.tmp" "$core_dir"
	fi
	"$rustc" "${flags[@]}" --edition 2021 --crate-name realm_emu --crate-type rlib \
		-L "$core_dir" --extern core="$core_dir/libcore.rlib" \
		--extern compiler_builtins="$core_dir/libcompiler_builtins.rlib" \
		-D warnings --emit=obj="$out.tmp/realm_emu.o" "$src/src/lib.rs"
	ld.lld-19 -T "$src/link.ld" --gc-sections -o "$out.tmp/realm-emu.elf" \
		"$out.tmp/realm_emu.o" "$core_dir/core.o" "$core_dir/compiler_builtins.o"
	llvm-objcopy-19 -O binary "$out.tmp/realm-emu.elf" "$out.tmp/realm-emu.bin"
	rm -rf "$out" && mv "$out.tmp" "$out"
fi
if [ "${1:-}" = --clippy ]; then
	CLIPPY_CONF_DIR="$src" RUSTC_BOOTSTRAP=1 /usr/bin/clippy-driver "$rustc" "${flags[@]}" \
		--edition 2021 --crate-name realm_emu --crate-type rlib \
		-L "$core_dir" --extern core="$core_dir/libcore.rlib" \
		--extern compiler_builtins="$core_dir/libcompiler_builtins.rlib" \
		-D warnings -D clippy::undocumented_unsafe_blocks \
		--emit=metadata -o "$(mktemp -d)/realm_emu.rmeta" "$src/src/lib.rs"
	exit
fi
echo "$out/realm-emu.bin"
