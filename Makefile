# SPDX-License-Identifier: GPL-2.0
#
# linmap workbench. Inside a kernel tree this directory is built by Kbuild
# through the `Kbuild` file; this Makefile is only for the host.
#
#   make run    build everything, boot the kernel, summarize its linear map
#   make test   host tests, lints, kernel build, boot; ends "N passed, N failed"
#
# Variables: KDIR=/path/to/your/kernel/tree (default: the pinned 7.3 source
# in $LINMAP_CACHE), LINMAP_CACHE (default ~/.cache/linmap), QEMU_SMP,
# QEMU_MEM, QEMU_CPU, QEMU_MACHINE, LINMAP_APPEND, BOOT_TIMEOUT.

SHELL := /bin/bash
S := $(CURDIR)/scripts

.PHONY: all setup tree kernel boot run test host-test lint clean help

all: kernel

help:
	@sed -n '3,12p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@$(S)/setup.sh

tree: setup
	@$(S)/prepare-tree.sh >/dev/null

kernel: setup
	@$(S)/build-kernel.sh >/dev/null

boot: kernel
	@$(S)/run.sh boot

run: kernel
	@$(S)/run.sh run

host-test:
	cd rust && cargo test

lint: setup
	@$(S)/run.sh lint

test: setup
	@$(S)/run.sh test

clean:
	cd rust && cargo clean
