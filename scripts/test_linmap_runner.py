#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of the result runner: what it counts decides whether `make test`
passes, so its parsing is tested like any other code."""

import tempfile
import unittest
from pathlib import Path

import boots
import linmap_runner as r

KUNIT = """\
[    3.160780] KTAP version 1
[    3.160861] 1..2
[    3.167077]     KTAP version 1
[    3.167129]     # Subtest: linmap_boot
[    3.168411]     1..2
[    3.180530]     ok 1 paging_init_reported_from_c
[    3.192600]     not ok 2 caps_finalized_reported_from_c
[    3.193100] not ok 1 linmap_boot
[    3.193678]     KTAP version 1
[    3.193704]     # Subtest: other
[    3.193807]     1..2
[    3.206109]     ok 1 a
[    3.206110]     ok 2 b # SKIP not here
[    3.206239] ok 2 other
"""


class Ktap(unittest.TestCase):
    def parse(self, text):
        lines = [r.TIMESTAMP.sub("", l) for l in text.splitlines()]
        return list(r.ktap_results(lines, "x."))

    def test_leaves_suites_and_skips(self):
        got = self.parse(KUNIT)
        self.assertEqual(
            got,
            [
                (True, "x.linmap_boot.paging_init_reported_from_c", ""),
                (False, "x.linmap_boot.caps_finalized_reported_from_c", "not ok"),
                (False, "x.linmap_boot", "suite reported not ok"),
                (True, "x.other.a", ""),
                (False, "x.other.b", "skipped"),
            ],
        )

    def test_incomplete_plan_fails(self):
        got = self.parse("KTAP version 1\n# Subtest: s\n1..3\nok 1 a\nok 2 b\nok 1 s\n")
        self.assertEqual(got[0][:2], (False, "x.ktap1.parse"))
        self.assertIn((True, "x.s.a", ""), got)

    def test_nested_incomplete_plan_fails(self):
        text = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n    ok 1 a\nok 1 s\n"
        got = self.parse(text)
        self.assertEqual(got[0][:2], (False, "x.ktap1.parse"))

    def test_kselftest_runner_output_nested(self):
        # run_kselftest.sh -t arm64/linmap:...: each test's KTAP behind "# ".
        text = (
            "TAP version 13\n1..2\n# timeout set to 300\n# selftests: arm64/linmap: linmap_boot.sh\n"
            "# TAP version 13\n# 1..2\n# ok 1 a\n# not ok 2 b\n"
            "# # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0\n"
            "not ok 1 selftests: arm64/linmap: linmap_boot.sh # exit=1\n"
            "# timeout set to 300\n# selftests: arm64/linmap: linmap_sample.sh\n# TAP version 13\n"
            "# 1..0 # SKIP no linmap_sample module\nok 2 selftests: arm64/linmap: linmap_sample.sh # SKIP\n"
        )
        self.assertEqual(
            self.parse(text),
            [
                (True, "x.arm64/linmap/linmap_boot.sh.a", ""),
                (False, "x.arm64/linmap/linmap_boot.sh.b", "not ok"),
                (False, "x.arm64/linmap/linmap_boot.sh", "suite reported not ok"),
                (False, "x.ktap1.arm64/linmap/linmap_sample.sh", "skipped"),
            ],
        )

    def test_kernel_message_spliced_into_a_line(self):
        # The serial console interleaves printk with userspace's writes.
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "console.log"
            log.write_text(
                "TAP version 13\n1..1\n# selftests: arm64/linmap: s.sh\n"
                "# TAP version 13[    7.473668] linmap_sample.sh: start 169 7\n\n"
                "# 1..1\n# ok 1 a\nok 1 selftests: arm64/linmap: s.sh\n"
            )
            lines = list(r.console_lines(log))
        self.assertIn("linmap_sample.sh: start 169 7", lines)
        self.assertEqual(list(r.ktap_results(lines, "x.")), [(True, "x.arm64/linmap/s.sh.a", "")])

    def test_lost_nested_ktap_fails(self):
        text = "TAP version 13\n1..1\n# selftests: arm64/linmap: s.sh\n# garbled\nok 1 selftests: arm64/linmap: s.sh\n"
        self.assertIn((False, "x.arm64/linmap/s.sh.ktap", "the test's own KTAP is missing or garbled"), self.parse(text))

    def test_unclosed_selftest_fails(self):
        # A selftest that died before its closing line.
        got = self.parse("TAP version 13\n# Subtest: s\n1..2\nok 1 a\n")
        self.assertEqual(got[0][:2], (False, "x.ktap1.parse"))

    def test_no_ktap_no_results(self):
        self.assertEqual(self.parse("hello\nok 1 not-in-a-document\n"), [])

    def test_selftest_documents_as_ktap_helpers_print_them(self):
        # tools/testing/selftests/kselftest/ktap_helpers.sh: TAP 13, the
        # document named by a "# Subtest:" line, totals after the results.
        # selftests/init closes each with the script's result.
        text = (
            "TAP version 13\n# Subtest: linmap_paths\n1..2\nok 1 sample_loaded\nnot ok 2 sample_unloaded\n"
            "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0\nnot ok 1 linmap_paths\n"
            "TAP version 13\n# Subtest: linmap_bench\n1..1\nok 1 ran # SKIP no module\n"
            "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0\nok 1 linmap_bench\n"
        )
        self.assertEqual(
            self.parse(text),
            [
                (True, "x.linmap_paths.sample_loaded", ""),
                (False, "x.linmap_paths.sample_unloaded", "not ok"),
                (False, "x.linmap_paths", "suite reported not ok"),
                (False, "x.linmap_bench.ran", "skipped"),
            ],
        )


class Boot(unittest.TestCase):
    def run_boot(self, console, rc=0, expect_splat=None, halt=False, skip_ktap=False, expect_skipped=()):
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "console.log"
            log.write_text(console)
            (Path(d) / "qemu.rc").write_text(f"{rc}\n")
            res = r.Results(None)
            boot = boots.Boot("b", expect_splats=tuple(expect_splat or ()), halt=halt, skip_ktap=skip_ktap,
                              expect_skipped=expect_skipped)
            r.check_boot(res, boot, str(log), r.Geometry())
            return {name: (status, detail) for status, name, detail in res.rows}

    GOOD = "KTAP version 1\n1..1\nok 1 t\nLINMAP-GUEST-DONE\n"

    def test_clean_boot(self):
        rows = self.run_boot(self.GOOD)
        self.assertEqual(rows["b.no_kernel_splat"][0], "PASS")
        self.assertEqual(rows["b.guest_finished"][0], "PASS")
        self.assertEqual(rows["b.ktap1.t"][0], "PASS")

    def test_splats_fail(self):
        for splat in (
            "[    1.0] WARNING: CPU: 0 PID: 0 at arch/arm64/mm/pageattr.c:56 pageattr_pmd_entry+0x1/0x2",
            "[    1.0] ------------[ cut here ]------------",
            "[    1.0] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580",
            "[    1.0] Unable to handle kernel paging request at virtual address 0000",
            "[    1.0] Kernel panic - not syncing: Attempted to kill init!",
            "[    1.0] WARNING: possible circular locking dependency detected",
            "[    1.0] linmap: caps-finalize hook called before paging_init",
        ):
            rows = self.run_boot(splat + "\n" + self.GOOD)
            self.assertEqual(rows["b.no_kernel_splat"][0], "FAIL", splat)

    def test_realm_emulator_stop_fails(self):
        rows = self.run_boot("realm-emu: stage-2 data abort: protected IPA 0x9000000 not mapped\n" + self.GOOD)
        self.assertEqual(rows["b.no_kernel_splat"][0], "FAIL")

    WARN = (
        "[    0.0] ------------[ cut here ]------------\n"
        "[    0.0] WARNING: CPU: 0 PID: 0 at arch/arm64/mm/pageattr.c:56 pageattr_pmd_entry+0x9c/0xa8\n"
        "[    0.0] Call trace:\n"
    )

    def test_expected_splat(self):
        pat = ["WARNING: .* pageattr_pmd_entry"]
        rows = self.run_boot(self.WARN + self.GOOD, expect_splat=pat)
        self.assertEqual(rows["b.splat_seen:" + pat[0]][0], "PASS")
        self.assertEqual(rows["b.no_other_kernel_splat"][0], "PASS")
        # Missing: fails.
        rows = self.run_boot(self.GOOD, expect_splat=pat)
        self.assertEqual(rows["b.splat_seen:" + pat[0]][0], "FAIL")
        # Another report besides it: fails.
        rows = self.run_boot(self.WARN + "[    1.0] BUG: scheduling while atomic\n" + self.GOOD, expect_splat=pat)
        self.assertEqual(rows["b.no_other_kernel_splat"][0], "FAIL")

    def test_expected_halt(self):
        panic = "[    0.0] Kernel panic - not syncing: Failed to set memory range to protected: 0x1-0x2\n"
        pat = ["Kernel panic - not syncing: Failed to set memory range"]
        rows = self.run_boot(panic, rc=124, expect_splat=pat, halt=True)
        self.assertEqual(rows["b.guest_halted"][0], "PASS")
        self.assertNotIn("b.ktap_found", rows)
        rows = self.run_boot(self.GOOD, expect_splat=pat, halt=True)
        self.assertEqual(rows["b.guest_halted"][0], "FAIL")

    def test_skip_ktap(self):
        rows = self.run_boot("KTAP version 1\n1..1\nnot ok 1 t\nLINMAP-GUEST-DONE\n", skip_ktap=True)
        self.assertNotIn("b.ktap1.t", rows)
        self.assertEqual(rows["b.guest_finished"][0], "PASS")

    def test_expected_skip(self):
        doc = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..2\n"
        skipped = doc + "    ok 1 a # SKIP why\n    ok 2 b\nok 1 s\nLINMAP-GUEST-DONE\n"
        rows = self.run_boot(skipped, expect_skipped=("s.a",))
        self.assertEqual(rows["b.s.a"][0], "PASS")
        self.assertEqual(rows["b.s.a.reported"][0], "PASS")
        self.assertEqual(rows["b.s.b"][0], "PASS")
        # Not expected: a skip fails; expected but passed or missing: fails.
        self.assertEqual(self.run_boot(skipped)["b.s.a"][0], "FAIL")
        passed = doc + "    ok 1 a\n    ok 2 b\nok 1 s\nLINMAP-GUEST-DONE\n"
        self.assertEqual(self.run_boot(passed, expect_skipped=("s.a",))["b.s.a"][0], "FAIL")
        rows = self.run_boot(self.GOOD, expect_skipped=("s.a",))
        self.assertEqual(rows["b.s.a.reported"][0], "FAIL")

    def test_benign_lines_pass(self):
        rows = self.run_boot("[    0.0] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc.\n" + self.GOOD)
        self.assertEqual(rows["b.no_kernel_splat"][0], "PASS")

    def test_timeout_and_missing_marker_fail(self):
        rows = self.run_boot("KTAP version 1\n1..1\nok 1 t\n", rc=124)
        self.assertEqual(rows["b.guest_finished"], ("FAIL", "timed out"))
        rows = self.run_boot("KTAP version 1\n1..1\nok 1 t\n", rc=0)
        self.assertEqual(rows["b.guest_finished"][0], "FAIL")

    def test_no_ktap_fails(self):
        rows = self.run_boot("LINMAP-GUEST-DONE\n")
        self.assertEqual(rows["b.ktap_found"][0], "FAIL")


class SwiotlbShared(unittest.TestCase):
    POOL = "[    0.0] software IO TLB: mapped [mem 0x00000000bd600000-0x00000000bd800000] (2MB)"

    def test_pool_shared(self):
        ok, _ = r.swiotlb_shared([self.POOL, "realm-emu: RIPAS EMPTY [0xbd600000, 0xbd800000)"])
        self.assertTrue(ok)
        # In pieces, one per call, other ranges in between.
        ok, _ = r.swiotlb_shared([self.POOL, "realm-emu: RIPAS EMPTY [0xbd600000, 0xbd700000)",
                                  "realm-emu: RIPAS EMPTY [0x42000000, 0x42010000)",
                                  "realm-emu: RIPAS EMPTY [0xbd700000, 0xbd800000)"])
        self.assertTrue(ok)

    def test_pool_not_shared(self):
        for lines in (
            [self.POOL],
            [self.POOL, "realm-emu: RIPAS EMPTY [0xbd600000, 0xbd7ff000)"],
            ["realm-emu: RIPAS EMPTY [0xbd600000, 0xbd800000)"],
            # A gap, and a range past the pool's end.
            [self.POOL, "realm-emu: RIPAS EMPTY [0xbd600000, 0xbd700000)",
             "realm-emu: RIPAS EMPTY [0xbd701000, 0xbd800000)"],
            [self.POOL, "realm-emu: RIPAS EMPTY [0xbd600000, 0xbd801000)"],
        ):
            ok, detail = r.swiotlb_shared(lines)
            self.assertFalse(ok, lines)


class Summary(unittest.TestCase):
    def test_classify(self):
        self.assertEqual(r.classify("PUD", "   RW NX SHD AF            BLK UXN    MEM/NORMAL", r.Geometry()), "PUD block")
        self.assertEqual(r.classify("PMD", "   RW NX SHD AF    CON BLK UXN    MEM/NORMAL", r.Geometry()), "contiguous PMD")
        self.assertEqual(r.classify("PMD", "   ro NX SHD AF        BLK UXN    MEM/NORMAL", r.Geometry()), "PMD")
        self.assertEqual(r.classify("PTE", "   RW NX SHD AF    CON     UXN    MEM/NORMAL", r.Geometry()), "contiguous PTE")
        self.assertEqual(r.classify("PTE", "   RW NX     AF            UXN    MEM/NORMAL-TAGGED", r.Geometry()), "PTE")
        self.assertEqual(r.classify("PTE", " F     RW NX     AF NG         UXN    MEM/NORMAL-TAGGED", r.Geometry()), "invalid (present)")
        self.assertIsNone(r.classify("PUD", "", r.Geometry()))


IOMEM = """LINMAP-IOMEM-BEGIN
40000000-13fffffff : System RAM
  40210000-40d8ffff : Kernel code
  40e00000-4165ffff : Kernel data
LINMAP-IOMEM-END
"""


L_HEAD = "0xfff0000000000000-0xfff0000000200000           2M PTE       RW NX     AF            UXN    MEM/NORMAL-TAGGED"


def dump(*lines):
    # A real dump starts at PAGE_OFFSET.
    lines = (L_HEAD,) + lines
    return "LINMAP-PTDUMP-BEGIN\n---[ Linear Mapping start ]---\n" + "\n".join(lines) + "\n---[ Linear Mapping end ]---\nLINMAP-PTDUMP-END\n"


L_PUD = "0xfff0000040000000-0xfff0000100000000           3G PUD       RW NX     AF            BLK UXN    MEM/NORMAL-TAGGED"
L_CPMD = "0xfff0000002000000-0xfff0000040000000         992M PMD       RW NX     AF        CON BLK UXN    MEM/NORMAL-TAGGED"
L_PMD_ALIAS = "0xfff0000000200000-0xfff0000000400000           2M PMD       ro NX     AF            BLK UXN    MEM/NORMAL"
L_PMD_FAR = "0xfff0000001000000-0xfff0000001200000           2M PMD       RW NX     AF            BLK UXN    MEM/NORMAL-TAGGED"
L_PTE = "0xfff0000000400000-0xfff0000001000000          12M PTE       RW NX     AF            UXN    MEM/NORMAL-TAGGED"
L_CPTE = "0xfff0000001200000-0xfff0000001400000           2M PTE       RW NX     AF    CON     UXN    MEM/NORMAL-TAGGED"


class Shape(unittest.TestCase):
    def problems(self, text, expect):
        return r.shape_problems([r.TIMESTAMP.sub("", l) for l in text.splitlines()], expect, r.Geometry())

    def test_blocks(self):
        self.assertEqual(self.problems(IOMEM + dump(L_PMD_ALIAS, L_CPMD, L_PUD), "blocks"), [])
        self.assertEqual(self.problems(IOMEM + dump(L_PMD_ALIAS, L_PUD), "blocks"), ["no contiguous PMD leaf"])

    def test_pte_allows_blocks_only_in_the_kernel_alias(self):
        # Kernel code 0x40210000-0x40d90000 -> alias 0x210000-0xd90000.
        self.assertEqual(self.problems(IOMEM + dump(L_PMD_ALIAS, L_PTE), "pte"), [])
        self.assertEqual(
            self.problems(IOMEM + dump(L_PMD_ALIAS, L_PTE, L_PMD_FAR, L_CPTE), "pte"),
            ["PMD at 0xfff0000001000000-0xfff0000001200000", "contiguous PTE at 0xfff0000001200000-0xfff0000001400000"],
        )

    def test_missing_sections_fail(self):
        self.assertEqual(self.problems(dump(L_PTE), "pte"), ["no Kernel code range in /proc/iomem"])
        self.assertEqual(self.problems(IOMEM, "blocks"), ["no linear map in the log"])


class GeometryFromKconfig(unittest.TestCase):
    def geometry(self, page_shift, levels):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / ".config"
            p.write_text(f"CONFIG_PAGE_SHIFT={page_shift}\nCONFIG_PGTABLE_LEVELS={levels}\n")
            return r.Geometry.from_kconfig(str(p))

    def test_level_names_and_sizes(self):
        self.assertEqual(
            r.Geometry().level_sizes(),
            {"PGD": 1 << 48, "P4D": 1 << 39, "PUD": 1 << 30, "PMD": 1 << 21, "PTE": 1 << 12},
        )
        self.assertEqual(self.geometry(12, 3).level_sizes(), {"PGD": 1 << 30, "PMD": 1 << 21, "PTE": 1 << 12})
        self.assertEqual(self.geometry(16, 2).level_sizes(), {"PMD": 1 << 29, "PTE": 1 << 16})
        self.assertEqual(self.geometry(16, 3).level_sizes(), {"PGD": 1 << 42, "PMD": 1 << 29, "PTE": 1 << 16})
        self.assertEqual(self.geometry(14, 2).level_sizes(), {"PMD": 1 << 25, "PTE": 1 << 14})

    def test_a_folded_top_level_holds_pud_blocks(self):
        # 4K/39: ptdump names the 1G level "PGD".
        g = self.geometry(12, 3)
        attrs = "       RW NX SHD AF        BLK UXN    MEM/NORMAL-TAGGED"
        self.assertEqual(r.classify("PGD", attrs, g), "PUD block")
        self.assertEqual(r.classify("PMD", attrs, self.geometry(16, 2)), "PMD")
        self.assertEqual(r.classify("PGD", "", g), None)
        line = "0xffffff8040000000-0xffffff8100000000           3G PGD" + attrs
        text = "LINMAP-PTDUMP-BEGIN\n" + line + "\nLINMAP-PTDUMP-END\n"
        self.assertEqual(r.shape_problems(text.splitlines(), "blocks", g), ["no contiguous PMD leaf", "no PMD leaf"])

    def test_block_kinds(self):
        self.assertEqual(self.geometry(12, 3).block_kinds(), ["PUD block", "contiguous PMD", "PMD"])
        self.assertEqual(self.geometry(14, 3).block_kinds(), ["contiguous PMD", "PMD"])
        self.assertEqual(self.geometry(14, 2).block_kinds(), ["PMD"])
        # A 64K contiguous PMD group is 16G: more than the guest's RAM.
        self.assertEqual(self.geometry(16, 2).block_kinds(), ["PMD"])


class Compare(unittest.TestCase):
    def run_compare(self, a, b):
        with tempfile.TemporaryDirectory() as d:
            pa, pb = Path(d) / "a.log", Path(d) / "b.log"
            pa.write_text(a)
            pb.write_text(b)
            res = r.Results(None)

            class A:
                pass

            args = A()
            args.log_a, args.log_b, args.name = str(pa), str(pb), "cmp"
            r.cmd_compare(args, res)
            return res.rows[0]

    def test_identical_sections_pass_whatever_else_differs(self):
        a = "[ 1.0] boot A\n" + dump(L_PTE)
        b = "[ 2.0] boot B, other messages\n" + dump(L_PTE)
        self.assertEqual(self.run_compare(a, b)[0], "PASS")

    def test_different_sections_fail(self):
        status, _, detail = self.run_compare(dump(L_PTE), dump(L_CPTE))
        self.assertEqual(status, "FAIL")
        self.assertIn("line 3", detail)
        self.assertEqual(self.run_compare(dump(L_PTE), "no dump")[0], "FAIL")



class Bench(unittest.TestCase):
    LOG = """\
[    3.091327] Run /init as init process
[    4.407126] linmap_bench: vmalloc_ro_rw reps=64 c_ns=296995 c_spread=290833-389667 rust_ns=325118 rust_spread=309969-424022 ratio=1.094
[    4.410000] linmap_bench: linear_cold_invalid_default reps=16 c_ns=39834 c_spread=39574-42419 rust_ns=37054 rust_spread=36183-39969 ratio=0.930 leaves_c=0/0/16/0 leaves_rust=0/0/16/0
[    0.621466] linmap: repaint (rust): 48123 us, 2047 tables preallocated, 2047 used
"""

    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
        f.write(text)
        f.close()
        return f.name

    def test_bench_lines(self):
        rows = [m for m in map(r.BENCH_LINE.search, self.LOG.splitlines()) if m]
        self.assertEqual([m["op"] for m in rows], ["vmalloc_ro_rw", "linear_cold_invalid_default"])
        self.assertEqual((rows[1]["c"], rows[1]["rust"], rows[1]["ratio"]), ("39834", "37054", "0.930"))
        self.assertIn("leaves_c=0/0/16/0", rows[1]["note"])

    def test_boot_times(self):
        self.assertEqual(r.boot_times(self.write(self.LOG)), (3091.327, 48123))
        self.assertEqual(r.boot_times(self.write("[    1.0] nothing\n")), (None, None))



class Matrices(unittest.TestCase):
    def all_steps(self):
        yield "test", boots.test_matrix(bench_smp=1)
        yield "run", boots.run_matrix()
        yield "pictures", boots.pictures_matrix()
        yield "bench-kernel", boots.bench_kernel(bench_smp=1, boot_smp=2, boots=2)
        for entry in boots.ALL_CONFIGS:
            variant, _, arg = entry.partition(":")
            yield entry, boots.config_matrix(variant, arg)

    def test_names_unique_and_references_resolve(self):
        for name, steps in self.all_steps():
            booted = [s.name for s in steps if isinstance(s, boots.Boot)]
            self.assertEqual(len(booted), len(set(booted)), name)
            for s in steps:
                if isinstance(s, boots.Compare):
                    self.assertIn(s.a, booted, name)
                    self.assertIn(s.b, booted, name)
                    # A comparison follows both boots.
                    self.assertLess(steps.index(s), len(steps))
                    self.assertGreater(steps.index(s), booted.index(s.b))
                if isinstance(s, boots.BootTimes):
                    self.assertTrue(all(b in booted for _, _, b in s.boots), name)

    def test_every_mode_both_implementations_compared(self):
        steps = boots.test_matrix(bench_smp=1)
        compares = {s.name for s in steps if isinstance(s, boots.Compare)}
        self.assertEqual(compares, {f"test-{m.name}.linear_map_rust_equals_c" for m in boots.MODES})

    def test_config_names_and_top_level_split(self):
        steps = boots.config_matrix("4k-39")
        mode1 = [s for s in steps if isinstance(s, boots.Boot) and "mode1" in s.name]
        self.assertTrue(mode1 and all(boots.TOP_SPLIT in s.expect_lines for s in mode1))
        steps = boots.config_matrix("64k-52", "arm64.nolva")
        names = [s.name for s in steps if isinstance(s, boots.Boot)]
        self.assertIn("test-cfg-64k-52-arm64nolva-mode3-c", names)
        self.assertFalse(any("mode2" in n for n in names))
        self.assertTrue(all("arm64.nolva" in s.append for s in steps if isinstance(s, boots.Boot)))
        kasan = boots.config_matrix("kasan-hw-tags")
        env = [s.env({"QEMU_MACHINE": "virt,x"}) for s in kasan if isinstance(s, boots.Boot)]
        self.assertTrue(env and all(e["QEMU_MACHINE"] == "virt,x,mte=on" for e in env))

    def test_env_of_a_realm_boot(self):
        b = boots.Boot("x", "a=1", realm="shared", realm_guest=False, smp=1, timeout=12)
        self.assertEqual(
            b.env({"LINMAP_APPEND": "loglevel=8", "REALM": "separate", "OTHER": "y"}),
            {
                "LINMAP_APPEND": "loglevel=8 a=1",
                "REALM": "shared",
                "REALM_GUEST": "0",
                "QEMU_SMP": "1",
                "BOOT_TIMEOUT": "12",
                "OTHER": "y",
            },
        )

    def test_env_keeps_what_the_caller_asked_for(self):
        # make run LINMAP_APPEND=... REALM=1: the run boot sets neither.
        env = boots.run_matrix()[0].env({"LINMAP_APPEND": "linmap.bbml3=0", "REALM": "1", "QEMU_SMP": "2"})
        self.assertEqual((env["LINMAP_APPEND"], env["REALM"], env["QEMU_SMP"]), ("linmap.bbml3=0", "1", "2"))
        self.assertNotIn("REALM_GUEST", env)


class Picture(unittest.TestCase):
    CONSOLE = """\
LINMAP-IOMEM-BEGIN
40000000-13fffffff : System RAM
LINMAP-IOMEM-END
LINMAP-PTDUMP-BEGIN
---[ Linear Mapping start ]---
0xfff0000000000000-0xfff0000000200000           2M PMD       RW NX     AF        BLK UXN    MEM/NORMAL
0xfff0000000200000-0xfff0000000210000          64K PTE       ro NX     AF    CON     UXN    MEM/NORMAL
0xfff0000000210000-0xfff0000040000000     1046464K PTE       RW NX     AF            UXN    MEM/NORMAL
0xfff0000040000000-0xfff0000100000000           3G PUD       RW NX     AF        BLK UXN    MEM/NORMAL
---[ Linear Mapping end ]---
LINMAP-PTDUMP-END
LINMAP-PTDUMP-AFTER-BEGIN
---[ Linear Mapping start ]---
0xfff0000000000000-0xfff0000100000000           4G PTE F     RW NX     AF NG         UXN    MEM/NORMAL
---[ Linear Mapping end ]---
LINMAP-PTDUMP-AFTER-END
"""

    def draw(self, console):
        import xml.etree.ElementTree as ET

        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "console.log"
            log.write_text(console)
            res = r.Results(None)
            r.check_picture(res, str(log), "b", r.Geometry())
            path = Path(d) / "linear-map.svg"
            root = ET.parse(path).getroot() if path.exists() else None
            return res.rows, root

    def test_both_dumps_drawn_by_kind_with_totals(self):
        rows, root = self.draw(self.CONSOLE)
        self.assertEqual(rows[0][:2], ("PASS", "b.picture"))
        ns = "{http://www.w3.org/2000/svg}"
        fills = [e.get("fill") for e in root.iter(ns + "rect")]
        for kind in ("PUD block", "PMD", "contiguous PTE", "PTE", "invalid (present)"):
            self.assertIn(r.KIND_COLOURS[kind], fills, kind)
        texts = [e.text for e in root.iter(ns + "text")]
        self.assertIn("after boot", texts)
        self.assertIn("after the late selftests (sample module, memfd_secret, ...)", texts)
        self.assertIn("PUD block: 3G", texts)
        self.assertIn("invalid (present): 4G", texts)
        self.assertIn("PA 0x000040000000", texts)
        # 4 GiB in rows of 256 MiB, in both panels.
        self.assertEqual(sum(t.startswith("PA ") for t in texts), 32)

    def test_no_linear_map_fails(self):
        rows, root = self.draw("LINMAP-GUEST-DONE\n")
        self.assertEqual(rows[0][:2], ("FAIL", "b.picture"))


if __name__ == "__main__":
    unittest.main()
