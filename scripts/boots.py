# SPDX-License-Identifier: GPL-2.0
"""The boot matrix of the workbench, as data.

Every QEMU boot `make test`, `make test-configs` and `make bench-kernel`
run is a `Boot` here: its kernel command line, realm layout, expected
linear-map shape, the log lines it must and must not show and the kernel
reports it must show (a known upstream bug). `linmap_runner.py matrix`
runs a list of them with scripts/boot.sh and checks each; `Compare` steps
compare two boots' linear maps, `Summary` steps print one, `BenchFigures`
and `BootTimes` print the benchmark's figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Boot:
    """One boot and what it must show."""

    name: str
    append: str = ""
    # The linear map's shape: "blocks" (mode 1) or "pte" (modes 2, 3).
    shape: str | None = None
    # Boot as an Arm CCA realm on the RSI emulator: "shared" or "separate".
    realm: str | None = None
    # The kernel is expected to take itself for a realm (its selftest runs).
    realm_guest: bool = True
    smp: int | None = None
    # The CPU model (QEMU_CPU), where the boot needs another than boot.sh's.
    cpu: str | None = None
    # Guest RAM (QEMU_MEM), where the boot needs more than boot.sh's default.
    mem: str | None = None
    timeout: int | None = None
    # Appended to the machine (QEMU_MACHINE, or boot.sh's default).
    machine_extra: str = ""
    expect_lines: tuple[str, ...] = ()
    reject_lines: tuple[str, ...] = ()
    # Kernel reports this boot must show; any other report still fails.
    expect_splats: tuple[str, ...] = ()
    # The guest's KTAP results are not recorded (a known upstream bug).
    skip_ktap: bool = False
    # KTAP tests (DOCUMENT.TEST) that must report a skip, not a pass.
    expect_skipped: tuple[str, ...] = ()
    # The kernel must stop before userspace finishes.
    halt: bool = False
    # The realm emulator must log the swiotlb pool set to RIPAS EMPTY.
    shared_swiotlb: bool = False
    # Print the linear map's leaves by kind after the checks.
    summary: bool = False

    def env(self, caller: dict[str, str]) -> dict[str, str]:
        """The environment scripts/boot.sh takes this boot's settings from,
        on top of the caller's: its kernel arguments after the caller's
        LINMAP_APPEND, its realm layout (a boot without one keeps the
        caller's REALM), its vCPUs and time-out where it sets them."""
        env = dict(caller)
        env["LINMAP_APPEND"] = " ".join(a for a in (caller.get("LINMAP_APPEND", ""), self.append) if a)
        if self.realm:
            env["REALM"] = self.realm
            env["REALM_GUEST"] = "1" if self.realm_guest else "0"
        if self.smp is not None:
            env["QEMU_SMP"] = str(self.smp)
        if self.cpu is not None:
            env["QEMU_CPU"] = self.cpu
        if self.mem is not None:
            env["QEMU_MEM"] = self.mem
        if self.timeout is not None:
            env["BOOT_TIMEOUT"] = str(self.timeout)
        if self.machine_extra:
            env["QEMU_MACHINE"] = caller.get("QEMU_MACHINE", "virt,gic-version=3") + self.machine_extra
        return env


@dataclass(frozen=True)
class Compare:
    """The linear maps of two boots of the matrix are byte-identical."""

    a: str
    b: str
    name: str


@dataclass(frozen=True)
class BenchFigures:
    """The benchmark's figures from a boot, as a table."""

    boot: str


@dataclass(frozen=True)
class BootTimes:
    """Time to /init and the repaint per mode and implementation."""

    boots: tuple[tuple[str, str, str], ...]  # (mode, impl, boot name)


@dataclass(frozen=True)
class Mode:
    """A BBML3 mode upstream tested, through the test-only override
    (linmap.bbml3=<CPUs that have BBML3>)."""

    name: str
    shape: str
    bbml3: str


# 1: every CPU (large mappings); 2: all but the boot CPU (PTE mappings
# from map_mem()); 3: only the boot CPU (large mappings repainted to PTEs
# when the capabilities are finalized).
MODES = (
    Mode("mode1", "blocks", "linmap.bbml3=0-7"),
    Mode("mode2", "pte", "linmap.bbml3=1-7"),
    Mode("mode3", "pte", "linmap.bbml3=0"),
)
# The same workload for both implementations: only the deterministic KUnit
# suite (linmap_mm's live test splits wherever its page lands).
SAME_WORKLOAD = "kunit.filter_glob=linmap_boot"
# C never folds: boots whose linear maps are compared with C's keep
# linmap's collapse off.
NO_COLLAPSE = "linmap.collapse=0"
# Kernels built with KFENCE (the 4k-48 variant) have its sampling off
# (CONFIG_KFENCE_SAMPLE_INTERVAL=0: no pool); the boots that exercise it
# with collapse turn it on (ignored where KFENCE is not built).
KFENCE_ON = "kfence.sample_interval=100"

REPAINT_RUST = (r"linmap: repaint \(rust\): [0-9]+ us, ([1-9][0-9]*) tables preallocated "
                r"in [0-9]+ us, \1 used")
REPAINT_C = r"linmap: repaint \(c\): [0-9]+ us$"
REPAINT_ANY = "linmap: repaint"


def mode_boots(prefix: str, smp: int | None = None) -> list:
    """Each mode with both implementations and the same workload, their
    linear maps compared; only mode 3 repaints, timed for both, Rust with
    every table allocated before stop_machine()."""
    steps: list = []
    for m in MODES:
        repaint = m.name == "mode3"
        for impl, line in (("rust", REPAINT_RUST), ("c", REPAINT_C)):
            steps.append(Boot(
                f"{prefix}-{m.name}-{impl}", f"{m.bbml3} linmap.impl={impl} {SAME_WORKLOAD} {NO_COLLAPSE}",
                m.shape, smp=smp, summary=True,
                expect_lines=(line,) if repaint else (),
                reject_lines=() if repaint else (REPAINT_ANY,)))
        steps.append(Compare(f"{prefix}-{m.name}-rust", f"{prefix}-{m.name}-c",
                             f"{prefix}-{m.name}.linear_map_rust_equals_c"))
    return steps


# --- realms ----------------------------------------------------------------

RSI_LINE = r"RME: Using RSI version 1\.0"
DECRYPTED = r"realm-emu: RSI calls: VERSION [12] REALM_CONFIG 1 .*to EMPTY [1-9]"
SMP_LINE = "smp: Brought up 1 node, 4 CPUs"
EARLY_LINE = r"linmap: early RSI probe: realm \(RME: Using RSI version 1\.0\)"
# 7.3 learns of the realm only after map_mem(): with rodata=noalias its
# linear map is block-mapped with linear_map_requires_bbml3 false, so the
# first set_memory_decrypted() cannot split and warns, and the ITS fails.
# The upstream bug (Catalin Marinas, April 2026), asserted for impl=c.
UPSTREAM_BUG = dict(
    skip_ktap=True,
    expect_splats=(r"WARNING: .*pageattr_pud_entry", r"WARNING: .*pageattr_pmd_entry",
                   r"WARNING: .*realm_set_memory_decrypted"),
    expect_lines=(r"ITS@.*: failed probing",),
)


def realm_boots() -> list:
    """The reported scenario (every CPU with BBML3, the GIC ITS decrypting
    its tables during init_IRQ) in both layouts and implementations; the
    pre-fix refusal reproducing the report; linmap's early RSI probe in
    every mode; injected RSI failures."""
    steps: list = []
    for layout in ("shared", "separate"):
        for impl in ("c", "rust"):
            steps.append(Boot(
                f"test-realm-{layout}-{impl}", f"linmap.bbml3=0-7 linmap.impl={impl}", "blocks",
                realm=layout, shared_swiotlb=True,
                expect_lines=(RSI_LINE, DECRYPTED, SMP_LINE)))
    steps.append(Boot(
        "test-realm-shared-c-prefix-split", "linmap.bbml3=0-7 linmap.impl=c linmap.prefix_split=1",
        "blocks", realm="shared",
        expect_lines=(RSI_LINE, r"ITS@.*: failed probing"),
        expect_splats=(r"WARNING: .*pageattr_pmd_entry", r"WARNING: .*pageattr_pud_entry",
                       r"WARNING: .*realm_set_memory_decrypted")))
    # With impl=rust the early probe knows before map_mem(): mode 1 keeps
    # blocks and splits them, mode 2 is PTE-mapped from map_mem() on, mode
    # 3 splits before SMP and is repainted once caps are final.
    for m in MODES:
        steps.append(Boot(
            f"test-realm-noalias-{m.name}-rust", f"{m.bbml3} linmap.impl=rust rodata=noalias",
            m.shape, realm="shared", shared_swiotlb=True, summary=True,
            expect_lines=(EARLY_LINE, DECRYPTED),
            reject_lines=(r"ITS@.*failed", r"early RSI probe: .*arm64_rsi_init")))
        steps.append(Boot(
            f"test-realm-noalias-{m.name}-c", f"{m.bbml3} linmap.impl=c rodata=noalias", "blocks",
            realm="shared", summary=True, reject_lines=("early RSI probe",), **UPSTREAM_BUG))
    # Injected failures (the emulator maps protected MMIO too, so a kernel
    # that is not a realm reaches its devices). A version mismatch: both
    # probes say so with 7.3's message, the kernel boots as a normal guest.
    # REALM_CONFIG failing: 7.3 warns in arm64_rsi_init() and boots as a
    # normal guest (the early probe, which asks only the version, said
    # realm: the linear map was built for one, which is safe).
    # IPA_STATE_SET rejected: 7.3 panics.
    emu = "linmap.impl=rust realm_emu.lenient=1"
    not_realm = dict(realm="shared", realm_guest=False)
    steps += [
        Boot("test-realm-inject-version", f"linmap.bbml3=0-7 {emu} realm_emu.inject=version",
             "blocks", **not_realm,
             expect_lines=(r"linmap: early RSI probe: not a realm \(RME: RMM doesn't support RSI "
                           r"version 1\.0\. Supported range: 2\.0-2\.0\)",
                           r"^RME: RMM doesn't support RSI version 1\.0\. Supported range: 2\.0-2\.0"),
             reject_lines=(RSI_LINE,)),
        Boot("test-realm-inject-config", f"linmap.bbml3=0-7 {emu} realm_emu.inject=config",
             "blocks", **not_realm,
             expect_lines=(EARLY_LINE, r"linmap: early RSI probe: realm, arm64_rsi_init\(\): not a "
                           r"realm; the linear map was built for a realm"),
             expect_splats=(r"WARNING: .*arm64_rsi_init",)),
        # Without lenient, a kernel that does not take itself for a realm
        # touches protected MMIO: the emulator must say where and stop.
        Boot("test-realm-stage2-abort", "linmap.bbml3=0-7 linmap.impl=rust realm_emu.inject=version",
             **not_realm, halt=True,
             expect_splats=(r"^realm-emu: stage-2 data abort: protected IPA 0x[0-9a-f]+ not mapped "
                            r"\(VA 0x[0-9a-f]+, ESR 0x[0-9a-f]+, PC 0x[0-9a-f]+\)",
                            r"^realm-emu: halting")),
        Boot("test-realm-inject-reject",
             f"linmap.bbml3=0-7 {emu} realm_emu.inject=reject earlycon=pl011,0x9000000",
             **not_realm, halt=True, timeout=12, expect_lines=(EARLY_LINE,),
             expect_splats=(r"Kernel panic - not syncing: Failed to set memory range to protected",)),
    ]
    steps += fidelity_boots()
    return steps


# The guest's realm probe (linmap_realm.sh) ran its checks of a shared page.
PROBE_RAN = r"^ok \d+ protected_alias_read_faults_once_shared$"
SEA_LINE = (r"^realm-emu: SEA injected: data access to protected IPA 0x[0-9a-f]+, RIPAS EMPTY "
            r"\(VA 0x[0-9a-f]+, ESR 0x[0-9a-f]+, PC 0x[0-9a-f]+, EL0\)")
NO_PROGRESS_LINE = (r"^realm-emu: IPA_STATE_SET \[0x[0-9a-f]+, 0x[0-9a-f]+\) RIPAS 0: declined, "
                    r"no progress \((\d{4,}) so far\)")


def fidelity_boots() -> list:
    """What a real RMM enforces (Documentation/realm-emu.rst, "Fidelity"):
    the realm probe in modes 1 and 3 with both implementations (and in
    every realm boot above), the strict shared view, TF-RMM's partial
    progress, a host that declines (7.3 spins), DESTROYED granules at boot
    and at run time, -cpu max; then the guest doing the wrong thing, each
    caught."""
    steps: list = []
    probe = (RSI_LINE, DECRYPTED, SMP_LINE, PROBE_RAN, SEA_LINE)
    for m in (MODES[0], MODES[2]):
        for impl in ("rust", "c"):
            steps.append(Boot(f"test-realm-{m.name}-{impl}", f"{m.bbml3} linmap.impl={impl}", m.shape,
                              realm="shared", shared_swiotlb=True, expect_lines=probe))
    # The strict shared view: the ITS (shared layout) and DMA through
    # swiotlb (separate layout) work with poisoned and zeroed fresh views.
    for layout, fill in (("shared", "poison"), ("separate", "zero")):
        for impl in ("rust", "c"):
            steps.append(Boot(
                f"test-realm-strict-{layout}-{impl}", f"linmap.bbml3=0-7 linmap.impl={impl} realm_emu.strict={fill}",
                "blocks", realm=layout, shared_swiotlb=True,
                expect_lines=probe + (rf"shared alias at 0x100000000 onto .*\(strict: EMPTY granules only, "
                                      rf"conversions {fill} the revealed view\)",)))
    steps += [
        # TF-RMM's host makes some progress per call: Linux's loops restart.
        Boot("test-realm-partial-rust", "linmap.bbml3=0-7 linmap.impl=rust realm_emu.inject=partial", "blocks",
             realm="shared", shared_swiotlb=True,
             expect_lines=probe + (r"^realm-emu: IPA_STATE_SET answers: partial [1-9]\d* no progress 0",)),
        # A host that declines every EMPTY request (ACCEPT, no progress):
        # 7.3's rsi_set_memory_range() calls again forever, at mem_init()'s
        # swiotlb decryption. Asserted: the guest never gets further.
        Boot("test-realm-noprogress-c",
             "linmap.bbml3=0-7 linmap.impl=c realm_emu.inject=noprogress realm_emu.lenient=1 "
             "earlycon=pl011,0x9000000",
             realm="shared", realm_guest=False, halt=True, timeout=20,
             expect_lines=(RSI_LINE, NO_PROGRESS_LINE), reject_lines=(r"Run /init",)),
        # A granule destroyed before the realm runs: 7.3's boot-time
        # request (NO_CHANGE_DESTROYED) is rejected there and it panics.
        Boot("test-realm-destroy-at-boot",
             "linmap.bbml3=0-7 linmap.impl=rust realm_emu.lenient=1 realm_emu.destroy=0x80000000 "
             "earlycon=pl011,0x9000000",
             realm="shared", realm_guest=False, halt=True, timeout=12,
             expect_lines=(r"^realm-emu: RIPAS DESTROYED \[0x80000000\] \(realm_emu\.destroy\)",
                           r"^realm-emu: IPA_STATE_SET \[0x80000000, 0x100000000\) RIPAS 1 flags 0: "
                           r"rejected at 0x80000000"),
             expect_splats=(r"Kernel panic - not syncing: Failed to set memory range to protected",)),
    ]
    # Destroyed at run time (the emulator's test-only host call): reported,
    # refused by the _safe request, made RAM by set_memory_encrypted().
    for impl in ("rust", "c"):
        steps.append(Boot(
            f"test-realm-host-destroy-{impl}", f"linmap.bbml3=0-7 linmap.impl={impl} realm_emu.host_destroy=1",
            "blocks", realm="shared", shared_swiotlb=True,
            expect_lines=probe + (r"^ok \d+ destroyed_reported_refused_then_encrypted$",
                                  r"granules destroyed 1;")))
    # -cpu max: LPA2, FEAT_BBM level 2, SVE, SME, pointer authentication,
    # fine-grained traps and HCRX_EL2 set up by the emulator.
    for impl in ("rust", "c"):
        steps.append(Boot(
            f"test-realm-max-{impl}", f"linmap.bbml3=0-7 linmap.impl={impl}", "blocks", realm="shared",
            cpu="max,pauth-impdef=on", shared_swiotlb=True,
            expect_lines=probe + (r"CPU features: detected: 52-bit Virtual Addressing \(LPA2\)",
                                  r"ID_AA64MMFR2_EL1\.BBM=0b0010",
                                  r"CPU features: detected: Fine Grained Traps")))
    # The guest doing the wrong thing.
    steps += [
        # A granule shared through the RSI with its linear-map entry left
        # protected (a split or a loop that covers too few pages): the RMM
        # aborts the next access, 7.3 oopses.
        Boot("test-realm-wrong-share", "linmap.bbml3=0-7 linmap.impl=rust linmap_realm_probe.wrong=share",
             realm="shared", skip_ktap=True,
             expect_lines=(PROBE_RAN, r"^realm-emu: SEA injected: data access to protected IPA 0x[0-9a-f]+, "
                                      r"RIPAS EMPTY \(VA 0xffff[0-9a-f]+, .*EL1\)"),
             expect_splats=(r"^Internal error: synchronous external abort: ",)),
        # A destroyed granule read: the host cannot serve it, the realm stops.
        Boot("test-realm-wrong-destroy",
             "linmap.bbml3=0-7 linmap.impl=rust realm_emu.host_destroy=1 linmap_realm_probe.wrong=destroy",
             realm="shared", halt=True,
             expect_splats=(r"^realm-emu: stage-2 data abort: protected IPA 0x[0-9a-f]+, RIPAS Destroyed: "
                            r"the host cannot serve it",
                            r"^realm-emu: halting")),
        # An HVC from EL1 (a wrong conduit): TF-RMM injects an undefined
        # instruction, 7.3 oopses.
        Boot("test-realm-wrong-hvc", "linmap.bbml3=0-7 linmap.impl=rust linmap_realm_probe.wrong=hvc",
             realm="shared", skip_ktap=True,
             expect_lines=(r"^realm-emu: HVC #0x0 from the realm \(PC 0x[0-9a-f]+\): undefined instruction injected",),
             expect_splats=(r"^Internal error: Oops - Undefined instruction: ",)),
    ]
    return steps


# --- benchmark -------------------------------------------------------------

def bench_boot(smp: int) -> list:
    """The in-kernel benchmark: Rust and C side by side in one mode-1 boot.
    Figures, not a timed pass/fail: the boot passes when every measurement
    ran. One vCPU by default: under TCG a TLB invalidation is a broadcast
    that waits for every other vCPU, whose cost varies by tens of percent
    from one call to the next."""
    return [Boot("test-bench", "linmap.bbml3=0-7 linmap_bench=1", "blocks", smp=smp,
                 expect_lines=("linmap_bench: done", "linmap_bench: module_load_unload reps=")),
            BenchFigures("test-bench")]


def bench_kernel(bench_smp: int, boot_smp: int, boots: int) -> list:
    """make bench-kernel: the benchmark boot, then each mode with both
    implementations `boots` times, for the time to /init and mode 3's
    repaint."""
    steps = bench_boot(bench_smp)
    # The same with collapse off: set_memory_*()'s cost with and without it.
    steps += [Boot("bench-nocollapse", f"linmap.bbml3=0-7 linmap_bench=1 {NO_COLLAPSE}", "blocks",
                   smp=bench_smp, expect_lines=("linmap_bench: done",)),
              BenchFigures("bench-nocollapse")]
    timed = []
    for i in range(1, boots + 1):
        for m in MODES:
            for impl in ("c", "rust"):
                name = f"bench-{m.name}-{impl}-{i}"
                steps.append(Boot(name, f"{m.bbml3} linmap.impl={impl} {SAME_WORKLOAD}", m.shape,
                                  smp=boot_smp))
                timed.append((m.name, impl, name))
    steps.append(BootTimes(tuple(timed)))
    return steps


# --- the in-kernel self-test ------------------------------------------------

# linmap_selftest.ko's suites (linmap_bad_input, linmap_alloc_fail,
# linmap_random) and linmap_boot, not linmap_mm (the live suite of the
# mode1-live boots).
SELFTEST_KUNIT = "kunit.filter_glob=linmap_[bar]*"
# 7.3's update_range_prot() warns once when a split fails: the injected
# -ENOMEM through set_direct_map_invalid_noflush(), both implementations.
SPLIT_FAILED_WARN = r"WARNING: arch/arm64/mm/pageattr\.c:\d+ at update_range_prot"
# Without BBML3 a page of a block (mode 3: the kernel's alias) is refused
# with a warning: 7.3's walker, and linmap's as it.
PARTLY_COVERED_WARN = {"c": r"WARNING: arch/arm64/mm/pageattr\.c:\d+ at pageattr_p[um]d_entry",
                       "rust": r"WARNING: arch/arm64/mm/linmap/rust/glue/mm\.rs:\d+ at linmap_update_range_prot"}


def selftest_boots() -> list:
    """linmap_selftest in each mode with both implementations (8 GiB: 7
    PUD blocks, each failed step of a PUD split needs a fresh one), then the
    caps-finalize repaint with its page-table allocations failing."""
    steps: list = []
    for m in MODES:
        for impl in ("rust", "c"):
            if m.name == "mode1":
                alloc = tuple(rf"# alloc_fail_{k}: {n}: [1-9] allocation\(s\) along the split, [1-9] "
                              r"failure\(s\) injected, each -ENOMEM"
                              for k, n in (("pud", "PUD"), ("cont_pmd", "contiguous PMD"), ("pmd", "PMD")))
                alloc += (r"# alloc_fail_cont_pte: contiguous PTE: 0 allocation\(s\)",)
            else:
                alloc = (r"# alloc_fail_pmd: PMD: no split without BBML3, no allocation",)
            collapse = m.name == "mode1" and impl == "rust"
            collapse_lines = (
                rf"# random_concurrent_collapse: seed=0x[0-9a-f]+ impl={impl} threads=4 .* failures=0 "
                r"lockless walks=[1-9]\d* torn=0",
                r"# random_concurrent_collapse: collapse runs=[1-9]\d* folds=[1-9]\d* err=0") if collapse else ()
            steps.append(Boot(
                f"test-selftest-{m.name}-{impl}",
                f"{m.bbml3} linmap.impl={impl} linmap_selftest=1 linmap_selftest.real_caller=1 {SELFTEST_KUNIT} "
                f"{KFENCE_ON}",
                m.shape, mem="8G",
                # 7.3 would change the linear map at the masked index; only
                # mode 3 keeps blocks it may not split.
                expect_skipped=(("linmap_bad_input.valid_outside_linear_map",) if impl == "c" else ())
                + (("linmap_bad_input.valid_partly_covered_block",) if m.name != "mode3" else ())
                # Collapse runs with linmap.impl=rust in mode 1 only.
                + (("linmap_random.random_concurrent_collapse",) if not collapse else ()),
                expect_lines=alloc + collapse_lines + (
                    rf"# random_sequential: seed=0x[0-9a-f]+ impl={impl} pages=\d+ iterations=(\d+) ops=\1 failures=0",
                    rf"# random_concurrent: seed=0x[0-9a-f]+ impl={impl} threads=4 .* failures=0 "
                    r"lockless walks=[1-9]\d* torn=0",
                    r"^# kernel_page_tables read [1-9]\d* times meanwhile"),
                expect_splats={"mode1": (SPLIT_FAILED_WARN,), "mode3": (PARTLY_COVERED_WARN[impl],)}.get(m.name, ())))
    # The repaint's first two table allocations fail: linmap's
    # preallocation (bulk, then one by one) gives up before stop_machine()
    # and says so, the repaint allocates in it as 7.3 does. 7.3's first
    # allocation in stop_machine() failing panics.
    steps += [
        Boot("test-repaint-alloc-fail-rust", "linmap.bbml3=0 linmap.impl=rust fail_split_pgtable=1,100,0,2 "
             "kunit.filter_glob=linmap_boot", "pte",
             expect_lines=(r"^FAULT_INJECTION: forcing a failure",
                           r"^linmap: repaint: could not preallocate its tables .*allocating them in stop_machine\(\)",
                           r"^linmap: repaint \(rust\): \d+ us$")),
        Boot("test-repaint-alloc-fail-c", "linmap.bbml3=0 linmap.impl=c fail_split_pgtable=1,100,0,1 "
             "earlycon=pl011,0x9000000", halt=True, timeout=15,
             expect_lines=(r"^FAULT_INJECTION: forcing a failure",),
             expect_splats=(r"Kernel panic - not syncing: Failed to split linear map",)),
    ]
    return steps


# Collapse under a fragmenting churn (selftests/late/linmap_collapse.sh), in
# mode 1 with both implementations: Rust folds back what the churn split,
# C does not.
CHURN_LINE = {
    "rust": r"^# after release: (\d+\.\d+)% of the linear map in leaves >= 2M",
    "c": r"^# after release: (\d+\.\d+)% of the linear map in leaves >= 2M",
}


def collapse_boots() -> list:
    """The churn in mode 1, rust and c; the share of the linear map in
    large leaves and the tables, after boot, the churn and its release."""
    return [Boot(f"test-collapse-{impl}", f"linmap.bbml3=0-7 linmap.impl={impl} linmap_churn=1 "
                 f"{SAME_WORKLOAD} {KFENCE_ON}", "blocks", summary=True,
                 expect_lines=(r"^# after boot: ", r"^# after the churn: ", CHURN_LINE[impl],
                               r"^# counters: "))
            for impl in ("rust", "c")]


# --- make test -------------------------------------------------------------

def test_matrix(bench_smp: int) -> list:
    """The boots of `make test` on the default kernel."""
    steps: list = [Boot("test-default", shape="pte", summary=True)]
    steps += mode_boots("test")
    # Every KUnit suite, the live split-and-protect test among them, where
    # there are blocks to split.
    steps += [Boot(f"test-mode1-live-{impl}", f"linmap.bbml3=0-7 linmap.impl={impl}", "blocks")
              for impl in ("rust", "c")]
    steps += bench_boot(bench_smp)
    steps += selftest_boots()
    steps += collapse_boots()
    steps += realm_boots()
    return steps


def run_matrix() -> list:
    """`make run`: one boot of the default kernel and its linear map."""
    return [Boot("run", summary=True)]


def pictures_matrix() -> list:
    """`make pictures`: each mode once, drawn (Documentation/images/)."""
    return [Boot(f"picture-{m.name}", f"{m.bbml3} {SAME_WORKLOAD}", m.shape, summary=True) for m in MODES]


def boot_matrix() -> list:
    """`make boot`: one boot of the default kernel."""
    return [Boot("boot")]


# --- configurations --------------------------------------------------------

# Where the top table holds linear-map blocks (4K/39: 1G blocks, 16K/36 and
# 64K/42: PMD blocks), the sample must split one in mode 1.
TOP_BLOCKS = ("4k-39", "16k-36", "64k-42")
TOP_SPLIT = (r"linmap_sample: top-level block: page 0x[0-9a-f]+ was in a level [12] block, "
             r"split to PTEs and checked")


# PREEMPT_RT (variant rt): 7.3's caps-finalize repaint allocates its page
# tables with GFP_ATOMIC inside stop_machine(), where RT's sleeping zone
# lock may not be taken; linmap's repaint allocates them before. Asserted
# for impl=c, the upstream problem; impl=rust must be clean.
RT_REPAINT_BUG = r"BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt\.c"
# The kernel crate's own KUnit test rust_spinlock_irq_condvar asserts that
# IRQs are disabled under a SpinLockIrq, which RT does not disable: an
# upstream report in the boot that runs every suite, not linmap's.
RT_SPINLOCK_TEST_BUG = r"WARNING: rust/helpers/sync\.c:\d+ at rust_helper_lockdep_assert_irqs_disabled"
REPAINT = {"rust": r"linmap: repaint \(rust\): \d+ us, (\d+) tables preallocated in \d+ us, \1 used",
           "c": r"linmap: repaint \(c\): \d+ us"}


def config_matrix(variant: str, arg: str = "") -> list:
    """A configuration (configs/variants/VARIANT.config, booted with the
    kernel argument ARG): modes 1 and 3 with both implementations (same
    workload, linear maps byte-identical) and mode 1 with every KUnit
    suite; the sample module and memfd_secret run in every boot."""
    tag = variant + ("-" + re.sub(r"[^a-z0-9]", "", arg) if arg else "")
    top = (TOP_SPLIT,) if variant in TOP_BLOCKS else ()
    # KASAN's hardware tags need MTE in the machine.
    machine = ",mte=on" if variant == "kasan-hw-tags" else ""
    steps: list = []
    for m in MODES:
        if m.name == "mode2":
            continue
        for impl in ("rust", "c"):
            expect = top if m.name == "mode1" else ()
            splats: tuple[str, ...] = ()
            if variant == "rt" and m.name == "mode3":
                # The repaint ran (rust: every preallocated table used).
                expect = (REPAINT[impl],)
                splats = (RT_REPAINT_BUG,) if impl == "c" else ()
            steps.append(Boot(
                f"test-cfg-{tag}-{m.name}-{impl}",
                f"{m.bbml3} linmap.impl={impl} {SAME_WORKLOAD} {NO_COLLAPSE} {arg}".strip(),
                m.shape, machine_extra=machine, summary=impl == "rust",
                expect_lines=expect, expect_splats=splats))
        steps.append(Compare(f"test-cfg-{tag}-{m.name}-rust", f"test-cfg-{tag}-{m.name}-c",
                             f"test-cfg-{tag}-{m.name}.linear_map_rust_equals_c"))
    steps.append(Boot(f"test-cfg-{tag}-mode1-live-rust",
                      f"linmap.bbml3=0-7 linmap.impl=rust {KFENCE_ON} {arg}".strip(),
                      "blocks", machine_extra=machine, expect_lines=top,
                      expect_splats=(RT_SPINLOCK_TEST_BUG,) if variant == "rt" else ()))
    return steps


# Every configuration 7.3 builds besides the default one (4K pages, 52-bit
# VA with LPA2); VARIANT:ARG is the same build booted with ARG ("default"
# with arm64.nolva, which turns LPA2 off too: its 5 levels fold to 4).
ALL_CONFIGS = ("4k-39", "4k-48", "16k-47", "16k-36", "64k-42", "64k-52", "64k-52:arm64.nolva",
               "kasan-hw-tags", "default:arm64.nolva", "rt")
TEST_CONFIGS = ("4k-39", "64k-52:arm64.nolva")

MATRICES = {
    "test": test_matrix,
    "run": run_matrix,
    "boot": boot_matrix,
    "pictures": pictures_matrix,
    "bench-kernel": bench_kernel,
    "selftest": selftest_boots,
    "collapse": collapse_boots,
    "config": config_matrix,
}
