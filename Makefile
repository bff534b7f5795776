# SPDX-License-Identifier: GPL-2.0
#
# linmap workbench. Inside a kernel tree this directory is built by Kbuild
# through the `Kbuild` file; this Makefile is only for the host.
#
#   make run    build everything, boot the kernel, summarize its linear map
#   make test   host tests, lints, kernel build, boot; ends "N passed, N failed"
#   make test-configs  every kernel configuration of the matrix, built and
#               booted (CONFIGS="4k-39 64k-42" for some); same last line
#   make bench-kernel  Rust and C timed side by side in the kernel
#   make selftest-kernel  linmap_selftest.ko in each BBML3 mode with both
#               implementations, and the repaint with allocations failing
#               (make test boots these too)
#   make collapse-kernel  the fragmenting churn in mode 1 with both
#               implementations: what collapse gives back (make test
#               boots these too)
#   make pictures  the linear map of each BBML3 mode, drawn (SVG) into
#               Documentation/images/
#   make patches   the series against v7.3 (git format-patch, cover letter),
#               for `git am`; the last line is its directory
#   make check-patches  the series applied to pristine v7.3 with git am,
#               compared with the workbench's tree, checkpatch'ed, and
#               built patch by patch (make test does this too)
#
# Variables: KDIR=/path/to/your/kernel/tree (default: the pinned 7.3 source
# in $LINMAP_CACHE), LINMAP_CACHE (default ~/.cache/linmap), QEMU_SMP,
# QEMU_MEM, QEMU_CPU, QEMU_MACHINE, LINMAP_APPEND, BOOT_TIMEOUT,
# REALM=1|shared|separate (boot as an Arm CCA realm on the RSI emulator),
# BENCH_BOOTS, BENCH_SMP, BOOT_SMP (make bench-kernel: boots per mode, and
# vCPUs of the benchmark boot, default 1, and of the mode boots).

SHELL := /bin/bash
S := $(CURDIR)/scripts

.PHONY: all setup tree kernel realm-emu boot run test test-configs host-test lint bench bench-kernel selftest-kernel collapse-kernel pictures patches check-patches fuzz fuzz-smoke clean help

all: kernel

help:
	@sed -n '3,31p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@$(S)/setup.sh

tree: setup
	@$(S)/prepare-tree.sh >/dev/null

kernel: setup
	@$(S)/build-kernel.sh >/dev/null
	@$(S)/build-realm-emu.sh >/dev/null

# The EL2 RSI emulator firmware (tools/realm-emu), for realm boots.
realm-emu: setup
	@$(S)/build-realm-emu.sh

boot: kernel
	@$(S)/run.sh boot

run: kernel
	@$(S)/run.sh run

host-test:
	cd rust && cargo test
	cd tools/realm-emu && cargo test

lint: setup
	@$(S)/run.sh lint

test: setup
	@$(S)/run.sh test

test-configs: setup
	@$(S)/run.sh test-configs

pictures: setup
	@$(S)/run.sh pictures

patches: setup
	@$(S)/run.sh patches

check-patches: setup
	@$(S)/run.sh check-patches

# Costs of the split and pageattr paths on the host model (figures, not
# assertions).
bench:
	cd rust && cargo run --release --quiet --example bench

# Rust and C side by side in the kernel: the benchmark module and
# module-load timer, the mode-3 repaint and the time to /init per mode
# (BENCH_BOOTS boots each, default 3). Figures, not assertions.
bench-kernel: setup
	@$(S)/run.sh bench-kernel

selftest-kernel: setup
	@$(S)/run.sh selftest

collapse-kernel: setup
	@$(S)/run.sh collapse

# Fuzz operation sequences on the host model (nightly + cargo-fuzz,
# coverage-guided; rust/fuzz/corpus/ops/ seeds it).
FUZZ_SECONDS ?= 600
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
	cd rust/fuzz && cargo +nightly fuzz run -s none ops -- \
		-max_total_time=$(FUZZ_SECONDS) -max_len=512

# The same target on stable Rust, not coverage-guided: the corpus, then
# random inputs and mutations for FUZZ_SECONDS (make test runs 60 s).
fuzz-smoke:
	cd rust && cargo run --release --example fuzz_smoke -- $(FUZZ_SECONDS)

clean:
	cd rust && cargo clean
	cd tools/realm-emu && cargo clean
