#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The workbench's composite commands:
#   run.sh boot   build, boot once, check the boot (KTAP, no splat)
#   run.sh run    like boot, then summarize the linear map
#   run.sh lint   cargo clippy/fmt, kernel CLIPPY=1 and rustfmtcheck,
#                 checkpatch on the C patches
#   run.sh test   host tests + lint + kernel build + boot checks (with
#                 the configurations of TEST_CONFIGS), ending with
#                 "N passed, N failed"; non-zero exit on any failure
#   run.sh test-configs
#                 every configuration of ALL_CONFIGS, built and booted,
#                 ending with "N passed, N failed"
#   run.sh bench-kernel
#                 Rust and C timed side by side in the kernel
#   run.sh pictures
#                 each BBML3 mode booted and its linear map drawn into
#                 Documentation/images/ (the README shows them)
#   run.sh patches
#                 the series as `git format-patch` writes it; the last
#                 line is its directory
#   run.sh check-patches
#                 the series checked: `git am` on pristine v7.3, equal to
#                 the workbench's tree, checkpatch --strict, each patch
#                 built in order
# The boots themselves, what each must show and the configuration lists
# are data: scripts/boots.py, run by `linmap_runner.py matrix`.
set -uo pipefail
. "$(dirname "$0")/common.sh"

mode=$1
runner="$LINMAP_ROOT/scripts/linmap_runner.py"
results=$(mktemp "${TMPDIR:-/tmp}/linmap-results.XXXXXX")
trap 'rm -f "$results"' EXIT
R() { python3 "$runner" --results "$results" "$@"; }
step() { printf '\n== %s\n' "$*"; }

host_tests() {
	step "host: cargo test"
	local log rc=0
	log=$(mktemp)
	(cd "$LINMAP_ROOT/rust" && cargo test --color never 2>&1) | tee "$log" | grep -E '^test |test result'
	rc=${PIPESTATUS[0]}
	R cargo "$log" --rc "$rc" >/dev/null
	step "host: cargo test (realm emulator)"
	(cd "$LINMAP_ROOT/tools/realm-emu" && cargo test --color never 2>&1) | tee "$log" | grep -E '^test |test result'
	rc=${PIPESTATUS[0]}
	R cargo "$log" --rc "$rc" --prefix host.realm_emu. >/dev/null
	step "host: fuzz smoke, ${FUZZ_SMOKE_SECONDS:-60} s (stable; the corpus, then random inputs)"
	(cd "$LINMAP_ROOT/rust" && cargo run --release --quiet --color never --example fuzz_smoke -- \
		"${FUZZ_SMOKE_SECONDS:-60}" 2>&1) | tail -n 20
	R record host.fuzz_smoke "${PIPESTATUS[0]}" >/dev/null
	step "host: the result runner's own tests"
	(cd "$LINMAP_ROOT/scripts" && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v test_linmap_runner test_series 2>&1) >"$log"
	rc=$?
	grep -E ' \.\.\. ' "$log" || cat "$log"
	R pyunit "$log" --rc "$rc" >/dev/null
	rm -f "$log"
}

lint() {
	local out tree
	step "lint: cargo clippy -D warnings"
	(cd "$LINMAP_ROOT/rust" && cargo clippy --all-targets --color never -q -- -D warnings)
	R record lint.cargo_clippy $? >/dev/null
	step "lint: cargo fmt --check (and rustfmt --check rust/host/, which the crate root skips)"
	(cd "$LINMAP_ROOT/rust" && cargo fmt --check && rustfmt --edition 2021 --check host/*.rs)
	R record lint.cargo_fmt $? >/dev/null
	step "lint: cargo doc -D warnings"
	(cd "$LINMAP_ROOT/rust" && RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --document-private-items --color never -q)
	R record lint.cargo_doc $? >/dev/null
	step "lint: realm emulator: cargo clippy -D warnings, cargo fmt --check"
	(cd "$LINMAP_ROOT/tools/realm-emu" && cargo clippy --all-targets --color never -q -- -D warnings &&
		cargo fmt --check)
	R record lint.realm_emu_clippy_fmt $? >/dev/null
	step "lint: realm emulator firmware (clippy-driver for aarch64-unknown-none-softfloat)"
	"$LINMAP_ROOT/scripts/build-realm-emu.sh" --clippy >/dev/null
	R record lint.realm_emu_firmware_clippy $? >/dev/null
	step "lint: kernel CLIPPY=1 on linmap (clippy-driver -Dwarnings)"
	out=${KOUT:-$("$LINMAP_ROOT/scripts/build-kernel.sh" 2>/dev/null | tail -n1)}
	tree=$("$LINMAP_ROOT/scripts/prepare-tree.sh")
	"$LINMAP_ROOT/scripts/kernel-clippy.sh" "$out" "$tree"
	R record lint.kernel_clippy $? >/dev/null
	step "lint: kernel rustfmtcheck"
	make -s -C "$tree" "${KMAKE_ARGS[@]}" rustfmtcheck
	R record lint.kernel_rustfmtcheck $? >/dev/null
	step "lint: reStructuredText (docutils, Debian's python3-docutils; warnings fail)"
	/usr/bin/python3 "$LINMAP_ROOT/scripts/check-rst.py" "$LINMAP_ROOT"/Documentation/*.rst \
		"$LINMAP_ROOT"/Documentation/arch/arm64/*.rst
	R record lint.rst $? >/dev/null
	step "lint: checkpatch.pl --strict on the C files (the patches: series_checks)"
	local p rc=0
	for p in "$LINMAP_ROOT"/*.c "$LINMAP_ROOT"/*.h; do
		"$tree/scripts/checkpatch.pl" --no-tree --strict -q -f "$p" || rc=1
	done
	R record lint.checkpatch "$rc" >/dev/null
}

build() {
	step "kernel: build (log: $LINMAP_CACHE/kernel-build.log)"
	local start=$SECONDS rc
	KOUT=$("$LINMAP_ROOT/scripts/build-kernel.sh" 2>"$LINMAP_CACHE/kernel-build.log" | tail -n1)
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		tail -n 40 "$LINMAP_CACHE/kernel-build.log"
	else
		echo "built $KOUT/arch/arm64/boot/Image in $((SECONDS - start)) s"
	fi
	R record kernel.build "$rc" >/dev/null
	[ "$rc" = 0 ] || return "$rc"
	step "realm emulator: build (aarch64-unknown-none-softfloat)"
	start=$SECONDS
	"$LINMAP_ROOT/scripts/build-realm-emu.sh" 2>&1 | tail -n 20
	rc=${PIPESTATUS[0]}
	echo "built in $((SECONDS - start)) s"
	R record kernel.realm_emu_build "$rc" >/dev/null
	return "$rc"
}

# The series (scripts/series.py): written as `git format-patch` does into
# $LINMAP_CACHE/series/patches, applied with `git am` to a git repository of
# the pristine source, compared with the workbench's tree, checkpatch'ed,
# and each of its commits built in order (from the default build's
# .config, in a build directory of its own).
SERIES_OUT=$LINMAP_CACHE/series/patches
series() {
	python3 "$LINMAP_ROOT/scripts/series.py" "$@"
}

series_checks() {
	local rc repo ver
	step "series: make patches"
	series format "$SERIES_OUT" --tree "$LINMAP_TREE" | tail -n1
	R record series.format "${PIPESTATUS[0]}" >/dev/null
	step "series: git am on pristine $KERNEL_SERIES, the workbench's tree, checkpatch --strict"
	repo=$(series pristine "$LINMAP_CACHE/series/linux" --series "$KERNEL_SERIES" \
		--deb "$LINMAP_CACHE/downloads/linux-source-${KERNEL_SERIES}_${KERNEL_DEB_VERSION}_all.deb" | tail -n1)
	rc=$?
	R record series.pristine_repo "$rc" >/dev/null
	[ "$rc" = 0 ] || return 1
	series --results "$results" check-am "$repo" "$SERIES_OUT" "$LINMAP_TREE"
	rc=$?
	R record series.check_am "$rc" >/dev/null
	[ "$rc" = 0 ] || return 1
	step "series: each patch built in order (log: $LINMAP_CACHE/series/build.log)"
	ver=$(make -s -C "$repo" kernelversion)
	series --results "$results" check-builds "$repo" "$KOUT/.config" "$LINMAP_CACHE/build/series-$ver" \
		--log "$LINMAP_CACHE/series/build.log" --make-args "${KMAKE_ARGS[*]@Q}"
	R record series.check_builds $? >/dev/null
}

# The boots: the matrices of scripts/boots.py, run and checked by the
# runner (scripts/boot.sh for each boot).
matrix() {
	R matrix "$@" --kout "$KOUT"
}

# The benchmark boot runs on one vCPU (BENCH_SMP): under TCG a TLB
# invalidation is a broadcast that waits for every other vCPU. The boots
# per mode of make bench-kernel get one vCPU per host CPU (BOOT_SMP; mode 3
# needs two).
BENCH_SMP=${BENCH_SMP:-1}
BOOT_SMP=${BOOT_SMP:-$(nproc)}

# The configurations 7.3 builds besides the default one, each built
# (configs/variants/VARIANT.config on top of linmap.config) and booted
# (the "config" matrix); VARIANT:ARG boots the same build with ARG.
config_tests() {
	local entry variant arg rc start KOUT
	local -A built=()
	for entry; do
		variant=${entry%%:*}
		arg=""
		[ "$entry" = "$variant" ] || arg=${entry#*:}
		if [ -z "${built[$variant]:-}" ]; then
			step "kernel: build $variant (log: $LINMAP_CACHE/kernel-build-$variant.log)"
			start=$SECONDS
			KOUT=$(LINMAP_VARIANT=$variant "$LINMAP_ROOT/scripts/build-kernel.sh" \
				2>"$LINMAP_CACHE/kernel-build-$variant.log" | tail -n1)
			rc=${PIPESTATUS[0]}
			if [ "$rc" = 0 ]; then
				echo "built in $((SECONDS - start)) s"
				built[$variant]=$KOUT
			else
				tail -n 20 "$LINMAP_CACHE/kernel-build-$variant.log"
				built[$variant]=failed
			fi
			R record "kernel.build_$variant" "$rc" >/dev/null
		fi
		[ "${built[$variant]}" != failed ] || continue
		KOUT=${built[$variant]}
		matrix config --variant "$variant" ${arg:+--arg "$arg"}
	done
}

# config_list NAME: a configuration list of scripts/boots.py (a failure
# to read it is recorded).
config_list() {
	PYTHONPATH="$LINMAP_ROOT/scripts" python3 -c "import boots; print(*boots.$1)" ||
		R record "config_list_$1" 1 >/dev/null
}

# The kernel tree: the KTAP parser (tools/testing/kunit) and the selftest
# helpers (tools/testing/selftests/kselftest) come from it.
# A tree that cannot be prepared fails the build step (and the runner's
# tests), not the whole run.
LINMAP_TREE=$("$LINMAP_ROOT/scripts/prepare-tree.sh") && export LINMAP_TREE

case "$mode" in
boot | run | selftest | collapse)
	build || { R tally; exit 1; }
	matrix "$mode"
	step "result"
	R tally
	;;
lint)
	lint
	step "result"
	R tally
	;;
test)
	start=$SECONDS
	host_tests
	if build; then
		matrix test --bench-smp "$BENCH_SMP"
		read -ra test_configs <<<"$(config_list TEST_CONFIGS)"
		config_tests "${test_configs[@]}"
		series_checks
	fi
	lint
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
pictures)
	build || { R tally; exit 1; }
	matrix pictures
	mkdir -p "$LINMAP_ROOT/Documentation/images"
	for m in mode1 mode2 mode3; do
		cp "$LINMAP_CACHE/runs/latest-picture-$m/linear-map.svg" \
			"$LINMAP_ROOT/Documentation/images/linear-map-$m.svg" &&
			echo "Documentation/images/linear-map-$m.svg"
	done
	step "result"
	R tally
	;;
bench-kernel)
	start=$SECONDS
	build || { R tally; exit 1; }
	matrix bench-kernel --bench-smp "$BENCH_SMP" --boot-smp "$BOOT_SMP" --boots "${BENCH_BOOTS:-3}"
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
patches)
	series format "$SERIES_OUT" --tree "$LINMAP_TREE"
	exit $?
	;;
check-patches)
	start=$SECONDS
	build || { R tally; exit 1; }
	series_checks
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
test-configs)
	start=$SECONDS
	# CONFIGS="4k-39 64k-52:arm64.nolva" runs only those.
	read -ra configs <<<"${CONFIGS:-$(config_list ALL_CONFIGS)}"
	config_tests "${configs[@]}"
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
*)
	echo "usage: run.sh boot|run|lint|test|test-configs|bench-kernel|pictures|patches|check-patches" >&2
	exit 2
	;;
esac
