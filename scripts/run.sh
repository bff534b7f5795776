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
	step "host: the result runner's own tests"
	(cd "$LINMAP_ROOT/scripts" && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v test_linmap_runner 2>&1) >"$log"
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
	step "lint: cargo fmt --check"
	(cd "$LINMAP_ROOT/rust" && cargo fmt --check)
	R record lint.cargo_fmt $? >/dev/null
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
	step "lint: checkpatch.pl on patches/ and the C glue"
	local p rc=0
	for p in $(grep -v '^#' "$LINMAP_ROOT/patches/series"); do
		"$tree/scripts/checkpatch.pl" --no-tree --no-signoff --strict -q "$LINMAP_ROOT/patches/$p" || rc=1
	done
	for p in "$LINMAP_ROOT"/*.c; do
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

boot_and_check() {
	# boot_and_check NAME [EXPECT] [KERNEL ARGS] [RUNNER ARGS...]: EXPECT is
	# the linear map's shape, "blocks" or "pte".
	local name=$1 expect=${2:-} append=${3:-} log
	shift 3 2>/dev/null || shift $#
	step "boot: $name (${REALM:+realm, $REALM RAM, }qemu -smp ${QEMU_SMP:-4}${append:+, $append})"
	log=$(BOOT_TIMEOUT="${BOOT_TIMEOUT:-300}" REALM="${REALM:-}" REALM_GUEST="${REALM_GUEST:-1}" LINMAP_APPEND="${LINMAP_APPEND:-} $append" "$LINMAP_ROOT/scripts/boot.sh" "$KOUT" "$name")
	[ -n "$log" ] || log="$LINMAP_CACHE/runs/latest-$name/console.log"
	R boot "$log" --name "$name" --kconfig "$KOUT/.config" ${expect:+--expect "$expect"} "$@"
	LAST_LOG=$log
}

summary() {
	# summary LOG NAME: the linear map's leaves by kind.
	python3 "$runner" summary "$1" --name "$2" --kconfig "$KOUT/.config"
}

# The BBML3 modes upstream tested, through the test-only override
# (linmap.bbml3=<cpus that have BBML3>): 1, every CPU (large mappings);
# 2, all but the boot CPU (PTE mappings from map_mem()); 3, only the boot
# CPU (large mappings repainted to PTEs when caps are finalized).
MODES=("mode1 blocks linmap.bbml3=0-7" "mode2 pte linmap.bbml3=1-7" "mode3 pte linmap.bbml3=0")
SAME_WORKLOAD="kunit.filter_glob=linmap_boot"

# Realms on the RSI emulator (tools/realm-emu). The reported scenario:
# every CPU with BBML3, so the linear map is block-mapped, and the GIC ITS
# decrypts its tables during init_IRQ, before the secondaries are up. 7.3
# handles it (and so does linmap); with the pre-fix refusal restored
# (linmap.prefix_split=1) pageattr_pmd_entry() warns, as reported.
RSI_LINE="RME: Using RSI version 1\\.0"
DECRYPTED="realm-emu: RSI calls: VERSION [12] REALM_CONFIG 1 .*to EMPTY [1-9]"
SMP_LINE="smp: Brought up 1 node, 4 CPUs"
realm_tests() {
	local layout impl
	for layout in shared separate; do
		for impl in c rust; do
			REALM=$layout boot_and_check "test-realm-$layout-$impl" blocks \
				"linmap.bbml3=0-7 linmap.impl=$impl" --expect-line "$RSI_LINE" \
				--expect-line "$DECRYPTED" --expect-shared-swiotlb --expect-line "$SMP_LINE"
		done
	done
	REALM=shared boot_and_check "test-realm-shared-c-prefix-split" blocks \
		"linmap.bbml3=0-7 linmap.impl=c linmap.prefix_split=1" \
		--expect-line "$RSI_LINE" --expect-splat "WARNING: .*pageattr_pmd_entry" \
		--expect-splat "WARNING: .*pageattr_pud_entry" --expect-splat "WARNING: .*realm_set_memory_decrypted" \
		--expect-line "ITS@.*: failed probing"
	early_realm_tests
}

# linmap's early RSI probe (before map_mem()). With rodata=noalias nothing
# but the realm makes 7.3 want a splittable or PTE-mapped linear map, and
# 7.3 learns of the realm only after map_mem(): in every mode its linear
# map is block-mapped with linear_map_requires_bbml3 false, so the first
# set_memory_decrypted() (swiotlb, then the ITS) cannot split and warns, and
# the ITS fails. That is the upstream bug (Catalin Marinas, April 2026),
# asserted for impl=c. With impl=rust the probe knows before map_mem(): mode
# 1 keeps blocks and splits them, mode 2 is PTE-mapped from map_mem() on,
# mode 3 splits before SMP and is repainted once caps are final.
EARLY_LINE="linmap: early RSI probe: realm \\(RME: Using RSI version 1\\.0\\)"
UPSTREAM_BUG=(--skip-ktap --expect-splat "WARNING: .*pageattr_pud_entry"
	--expect-splat "WARNING: .*pageattr_pmd_entry"
	--expect-splat "WARNING: .*realm_set_memory_decrypted"
	--expect-line "ITS@.*: failed probing")
early_realm_tests() {
	local m
	for m in "${MODES[@]}"; do
		set -- $m
		REALM=shared boot_and_check "test-realm-noalias-$1-rust" "$2" \
			"$3 linmap.impl=rust rodata=noalias" --expect-line "$EARLY_LINE" \
			--expect-line "$DECRYPTED" --expect-shared-swiotlb --reject-line "ITS@.*failed" \
			--reject-line "early RSI probe: .*arm64_rsi_init"
		summary "$LAST_LOG" "test-realm-noalias-$1-rust"
		REALM=shared boot_and_check "test-realm-noalias-$1-c" blocks \
			"$3 linmap.impl=c rodata=noalias" --reject-line "early RSI probe" "${UPSTREAM_BUG[@]}"
		summary "$LAST_LOG" "test-realm-noalias-$1-c"
	done
	# Injected RSI failures (the emulator maps protected MMIO too, so a
	# kernel that is not a realm reaches its devices). A version mismatch:
	# both probes say so with 7.3's message, and the kernel boots as a
	# normal guest. REALM_CONFIG failing: 7.3 warns in arm64_rsi_init() and
	# boots as a normal guest (the early probe, which asks only the version,
	# said realm: the linear map was built for one, which is safe).
	# IPA_STATE_SET rejected: 7.3 panics.
	local emu="linmap.impl=rust realm_emu.lenient=1"
	REALM_GUEST=0 REALM=shared boot_and_check test-realm-inject-version blocks \
		"linmap.bbml3=0-7 $emu realm_emu.inject=version" \
		--expect-line "linmap: early RSI probe: not a realm \\(RME: RMM doesn't support RSI version 1\\.0\\. Supported range: 2\\.0-2\\.0\\)" \
		--expect-line "^RME: RMM doesn't support RSI version 1\\.0\\. Supported range: 2\\.0-2\\.0" \
		--reject-line "$RSI_LINE"
	REALM_GUEST=0 REALM=shared boot_and_check test-realm-inject-config blocks \
		"linmap.bbml3=0-7 $emu realm_emu.inject=config" --expect-line "$EARLY_LINE" \
		--expect-splat "WARNING: .*arm64_rsi_init" \
		--expect-line "linmap: early RSI probe: realm, arm64_rsi_init\\(\\): not a realm; the linear map was built for a realm"
	# Without lenient, a kernel that does not take itself for a realm
	# touches protected MMIO: the emulator must say where and stop.
	REALM_GUEST=0 REALM=shared boot_and_check test-realm-stage2-abort "" \
		"linmap.bbml3=0-7 linmap.impl=rust realm_emu.inject=version" --expect-halt \
		--expect-splat "^realm-emu: stage-2 data abort: protected IPA 0x[0-9a-f]+ not mapped \\(VA 0x[0-9a-f]+, ESR 0x[0-9a-f]+, PC 0x[0-9a-f]+\\)" \
		--expect-splat "^realm-emu: halting"
	BOOT_TIMEOUT=12 REALM_GUEST=0 REALM=shared boot_and_check test-realm-inject-reject "" \
		"linmap.bbml3=0-7 $emu realm_emu.inject=reject earlycon=pl011,0x9000000" --expect-halt \
		--expect-line "$EARLY_LINE" \
		--expect-splat "Kernel panic - not syncing: Failed to set memory range to protected"
}

# The configurations 7.3 builds besides the default one (4K pages, 52-bit
# VA with LPA2): configs/variants/VARIANT.config on top of linmap.config.
# An entry is VARIANT, or VARIANT:ARG for the same build booted with the
# kernel argument ARG ("default" is the default build: with arm64.nolva,
# which turns LPA2 off too, its 5 levels fold to 4 at run time). Each is booted in modes 1 and 3 with both
# implementations (same workload, linear maps byte-identical) and once
# with every KUnit suite; the sample module and memfd_secret run in every
# boot. Where the top table holds linear-map blocks (4K/39: 1G blocks,
# 16K/36 and 64K/42: PMD blocks), the sample must split one in mode 1.
ALL_CONFIGS=(4k-39 4k-48 16k-47 16k-36 64k-42 64k-52 64k-52:arm64.nolva kasan-hw-tags
	default:arm64.nolva)
TEST_CONFIGS=(4k-39 64k-52:arm64.nolva)
TOP_BLOCKS=" 4k-39 16k-36 64k-42 "
TOP_SPLIT="linmap_sample: top-level block: page 0x[0-9a-f]+ was in a level [12] block, split to PTEs and checked"

# The in-kernel benchmark (samples/linmap_bench.c and the module-load
# timer): Rust and C side by side in one mode-1 boot. Figures, not a timed
# pass/fail: the boot passes when every measurement ran. It runs on one
# vCPU (BENCH_SMP): under TCG a TLB invalidation is a broadcast that waits
# for every other vCPU, whose cost varies by tens of percent from one
# call to the next, and with it every operation that invalidates. The
# boots per mode get one vCPU per host CPU (BOOT_SMP; mode 3 needs two).
BENCH_SMP=${BENCH_SMP:-1}
BOOT_SMP=${BOOT_SMP:-$(nproc)}
bench_boot() {
	QEMU_SMP=$BENCH_SMP boot_and_check test-bench blocks "linmap.bbml3=0-7 linmap_bench=1" \
		--expect-line "linmap_bench: done" --expect-line "linmap_bench: module_load_unload reps="
	step "benchmark figures (ns; spread is p25-p75; ratio is rust/c)"
	python3 "$runner" bench "$LAST_LOG"
}

# make bench-kernel: the benchmark boot, and the mode-3 repaint of 4 GiB
# and the time to /init in each mode, for both implementations, BENCH_BOOTS
# boots each.
bench_kernel() {
	local i m impl logs=()
	bench_boot
	for ((i = 1; i <= ${BENCH_BOOTS:-3}; i++)); do
		for m in "${MODES[@]}"; do
			set -- $m
			for impl in c rust; do
				QEMU_SMP=$BOOT_SMP boot_and_check "bench-$1-$impl-$i" "$2" \
					"$3 linmap.impl=$impl $SAME_WORKLOAD"
				logs+=("$1:$impl:$LAST_LOG")
			done
		done
	done
	step "boot times (ms; repaint is mode 3's, from before the preallocation to after stop_machine())"
	python3 "$runner" boot-times "${logs[@]}"
}

config_tests() {
	local entry variant arg tag rc m impl top_split expect_top rust_log start
	local machine=${QEMU_MACHINE:-virt,gic-version=3}
	local KOUT QEMU_MACHINE REALM=
	local -A built=()
	for entry; do
		variant=${entry%%:*}
		arg=""
		[ "$entry" = "$variant" ] || arg=${entry#*:}
		tag=$variant${arg:+-${arg//[^a-z0-9]/}}
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
		# KASAN's hardware tags need MTE in the machine.
		QEMU_MACHINE=$machine
		case $variant in kasan-hw-tags) QEMU_MACHINE=$QEMU_MACHINE,mte=on ;; esac
		export QEMU_MACHINE
		top_split=()
		[[ $TOP_BLOCKS == *" $variant "* ]] && top_split=(--expect-line "$TOP_SPLIT")
		for m in "${MODES[@]}"; do
			set -- $m
			[ "$1" = mode2 ] && continue
			expect_top=()
			[ "$1" = mode1 ] && expect_top=("${top_split[@]}")
			for impl in rust c; do
				boot_and_check "test-cfg-$tag-$1-$impl" "$2" "$3 linmap.impl=$impl $SAME_WORKLOAD $arg" \
					"${expect_top[@]}"
				[ "$impl" = rust ] && rust_log=$LAST_LOG
			done
			summary "$rust_log" "test-cfg-$tag-$1-rust"
			R compare "$rust_log" "$LAST_LOG" --name "test-cfg-$tag-$1.linear_map_rust_equals_c"
		done
		boot_and_check "test-cfg-$tag-mode1-live-rust" blocks "linmap.bbml3=0-7 linmap.impl=rust $arg" \
			"${top_split[@]}"
	done
}

case "$mode" in
boot | run)
	build || { R tally; exit 1; }
	boot_and_check "$mode"
	if [ "$mode" = run ]; then
		step "linear map"
		summary "$LAST_LOG" "$mode"
	fi
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
		boot_and_check test-default pte
		summary "$LAST_LOG" test-default
		for m in "${MODES[@]}"; do
			set -- $m
			# Only mode 3 repaints, timed for both; Rust allocates every
			# table it uses before stop_machine().
			repaint_rust=(--reject-line "linmap: repaint")
			repaint_c=(--reject-line "linmap: repaint")
			if [ "$1" = mode3 ]; then
				repaint_rust=(--expect-line "linmap: repaint \(rust\): [0-9]+ us, ([1-9][0-9]*) tables preallocated in [0-9]+ us, \1 used")
				repaint_c=(--expect-line "linmap: repaint \(c\): [0-9]+ us$")
			fi
			# The same workload for both: only the deterministic KUnit suite
			# (linmap_mm's live test splits wherever its page lands).
			boot_and_check "test-$1-rust" "$2" "$3 linmap.impl=rust $SAME_WORKLOAD" "${repaint_rust[@]}"
			rust_log=$LAST_LOG
			boot_and_check "test-$1-c" "$2" "$3 linmap.impl=c $SAME_WORKLOAD" "${repaint_c[@]}"
			summary "$rust_log" "test-$1-rust"
			summary "$LAST_LOG" "test-$1-c"
			R compare "$rust_log" "$LAST_LOG" --name "test-$1.linear_map_rust_equals_c"
		done
		# Every KUnit suite, the live split-and-protect test among them, where
		# there are blocks to split.
		for impl in rust c; do
			boot_and_check "test-mode1-live-$impl" blocks "linmap.bbml3=0-7 linmap.impl=$impl"
		done
		bench_boot
		realm_tests
		config_tests "${TEST_CONFIGS[@]}"
	fi
	lint
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
bench-kernel)
	start=$SECONDS
	build || { R tally; exit 1; }
	bench_kernel
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
test-configs)
	start=$SECONDS
	# CONFIGS="4k-39 64k-52:arm64.nolva" runs only those.
	read -ra configs <<<"${CONFIGS:-${ALL_CONFIGS[*]}}"
	config_tests "${configs[@]}"
	step "result ($((SECONDS - start)) s)"
	R tally
	;;
*)
	echo "usage: run.sh boot|run|lint|test|test-configs|bench-kernel" >&2
	exit 2
	;;
esac
