#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test result collection for linmap.

Subcommands (every one that records results appends them to --results, one
"PASS|FAIL<TAB>name<TAB>detail" line each):

  cargo LOG        results of a `cargo test` run (its "test result:" lines)
  pyunit LOG       results of a `python3 -m unittest -v` run
  matrix NAME      run a boot matrix of scripts/boots.py (test, run,
                   bench-kernel, config) with scripts/boot.sh, checking
                   each boot as `boot` does
  boot LOG         a QEMU console log: KTAP documents (KUnit and the
                   selftests, parsed with the kernel's kunit_parser), a
                   clean boot (no WARN/BUG/Oops/panic/lockdep report), the
                   guest reaching its end marker in time
  summary LOG      the linear map of a boot, per leaf kind
  picture LOG      the linear map of a boot as an SVG and a PNG (before
                   and after the guest's late selftests), next to the log
  compare A B      two boots' linear maps are byte-identical
  record NAME RC   one result from an exit status
  tally            print the results and the closing "N passed, N failed"
"""

import argparse
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import boots

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# A top-level KTAP or TAP document starts here (nested ones are indented).
DOC_START = re.compile(r"^(KTAP version \d+|TAP version \d+)$")

# A line that means the kernel complained. Matched after the printk
# timestamp is removed.
SPLATS = [
    re.compile(p)
    for p in (
        r"^-+\[ cut here \]-+",
        r"^WARNING:",
        r"^BUG:",
        r"kernel BUG at",
        r"^Internal error:",
        r"Oops",
        r"^Kernel panic",
        r"^Unable to handle kernel",
        r"^INFO: lockdep is turned off",
        r"DEBUG_LOCKS_WARN_ON",
        r"^Call trace:",
        r"^linmap: .*called",
        # The realm emulator stopping the machine.
        r"^realm-emu: .*(abort|unexpected|panic|halting)",
    )
]

# Lines that only accompany a report whose first line matched above.
SPLAT_FRAMING = [re.compile(p) for p in (r"^-+\[ cut here \]-+", r"^Call trace:")]

GUEST_DONE = "LINMAP-GUEST-DONE"


# A kernel message spliced into the middle of a line userspace was writing
# to the same serial console.
SPLICED = re.compile(r"(?=\[\s*\d+\.\d+\] )")


def console_lines(path):
    """The console's lines, printk timestamps removed, a kernel message that
    interrupted a userspace line split off onto its own line."""
    text = Path(path).read_text(errors="replace")
    for raw in text.splitlines():
        for part in SPLICED.split(raw.rstrip("\r")):
            if part:
                yield TIMESTAMP.sub("", part)


class Results:
    def __init__(self, path):
        self.path = Path(path) if path else None
        self.rows = []

    def add(self, ok, name, detail=""):
        self.rows.append(("PASS" if ok else "FAIL", name, detail.replace("\t", " ").replace("\n", " ")))

    def save(self):
        if self.path is None:
            return
        with self.path.open("a") as f:
            for row in self.rows:
                f.write("\t".join(row) + "\n")

    def echo(self):
        for status, name, detail in self.rows:
            print(f"  {status}  {name}" + (f"  ({detail})" if detail and status == "FAIL" else ""))


def kunit_parser():
    """The kernel's KTAP parser, from the pinned tree (LINMAP_TREE)."""
    tree = os.environ.get("LINMAP_TREE")
    if not tree:
        raise RuntimeError("LINMAP_TREE (the kernel tree, for tools/testing/kunit) is not set")
    path = str(Path(tree) / "tools/testing/kunit")
    if path not in sys.path:
        sys.path.insert(0, path)
    import kunit_parser  # noqa: E402 (found through LINMAP_TREE)
    import kunit_printer  # noqa: E402

    return kunit_parser, kunit_printer.null_printer


def ktap_documents(lines):
    """The console's top-level KTAP/TAP documents (KUnit's, then one per
    selftest), each from its version line to the next one."""
    docs = []
    for line in lines:
        if DOC_START.match(line):
            docs.append([])
        if docs:
            docs[-1].append(line)
    return docs


KSFT_HEADER = re.compile(r"^# selftests: (\S+): (\S+)$")
KSFT_RESULT = re.compile(r"^(ok|not ok) (\d+) selftests: (\S+): (\S+)(.*)$")
KSFT_NESTED_START = re.compile(r"^(KTAP|TAP) version \d+$")


def nest_kselftest_output(doc):
    """kselftest's runner (run_kselftest.sh) prints each test's own KTAP
    behind "# " between "# selftests: DIR: TEST" and its result line; as
    KTAP nesting (indented, with a "# Subtest:" name) kunit_parser reads
    the test's own results too. Returns the lines and the tests whose own
    KTAP was not found (their results would be lost, not failed)."""
    out, current, nested, missing = [], None, False, []
    for line in doc:
        m = KSFT_HEADER.match(line)
        if m:
            current, nested = f"{m.group(1)}/{m.group(2)}", False
            continue
        if current and line.startswith("# "):
            inner = line[2:]
            if KSFT_NESTED_START.match(inner):
                out += ["    KTAP version 1", f"    # Subtest: {current}"]
                nested = True
            else:
                out.append("    " + inner)
            continue
        m = KSFT_RESULT.match(line)
        if m:
            if current and not nested:
                missing.append(current)
            out.append(f"{m.group(1)} {m.group(2)} {m.group(3)}/{m.group(4)}{m.group(5)}")
            current = None
            continue
        out.append(line)
    return out, missing


def ktap_results(lines, prefix):
    """Yields (ok, name, detail) for every leaf test of every KTAP document,
    as kunit_parser reads them, with linmap's rules on top: a skipped test
    is not a passed one, a suite that reports not ok fails as well as its
    failing leaves, and a document the parser had to complain about (a
    short plan, a missing result) fails."""
    parser, printer = kunit_parser()
    status = parser.TestStatus

    def walk(test, path):
        name = ".".join(p for p in path if p)
        if not test.subtests:
            if test.status == status.SKIPPED:
                yield (False, f"{prefix}{name}", "skipped")
            else:
                detail = {status.SUCCESS: "", status.FAILURE: "not ok"}.get(test.status, test.status.name.lower())
                yield (test.status == status.SUCCESS, f"{prefix}{name}", detail)
            return
        for sub in test.subtests:
            yield from walk(sub, path + [sub.name])
        if test.status in (status.FAILURE, status.TEST_CRASHED):
            # Reported for itself too: a suite can fail without a failing
            # leaf (e.g. its init failed).
            yield (False, f"{prefix}{name}", "suite reported not ok")

    for i, doc in enumerate(ktap_documents(lines), 1):
        nested, missing = nest_kselftest_output(doc)
        for name in missing:
            yield (False, f"{prefix}{name}.ktap", "the test's own KTAP is missing or garbled")
        test = parser.parse_run_tests(nested, printer)
        # The parser calls every top-level document "main".
        top = "" if test.name in ("", "main") else test.name
        label = top or f"ktap{i}"
        if test.counts.errors:
            yield (False, f"{prefix}{label}.parse", f"{test.counts.errors} KTAP errors (plan or results)")
        for sub in test.subtests:
            # Leaves of an unnamed document are named after it (ktapN).
            yield from walk(sub, [top or ("" if sub.subtests else label), sub.name])
        if not test.subtests:
            yield (False, f"{prefix}{label}", "no results")


def cmd_cargo(args, res):
    text = Path(args.log).read_text(errors="replace")
    found = False
    for m in re.finditer(r"^test (\S+) \.\.\. (ok|FAILED|ignored)$", text, re.M):
        found = True
        res.add(m.group(2) == "ok", f"{args.prefix}{m.group(1)}", m.group(2))
    summaries = re.findall(r"test result: (\w+)\. (\d+) passed; (\d+) failed", text)
    if not found or not summaries or args.rc != 0:
        res.add(False, f"{args.prefix}cargo_test", f"cargo test exited {args.rc}, {len(summaries)} result lines")


def cmd_pyunit(args, res):
    text = Path(args.log).read_text(errors="replace")
    found = False
    for m in re.finditer(r"^(\w+) \(([\w.]+)\) \.\.\. (.*)$", text, re.M):
        found = True
        res.add(m.group(3) == "ok", f"host.{m.group(2)}", m.group(3))
    if not found or args.rc != 0:
        res.add(False, "host.python_unittest", f"unittest exited {args.rc}")


def check_boot(res, boot, log, geometry):
    """Records the checks of `boot` (a boots.Boot) on its console `log`."""
    name = boot.name
    lines = list(console_lines(log))
    rc_file = Path(log).with_name("qemu.rc")
    rc = int(rc_file.read_text()) if rc_file.exists() else 0
    if not (boot.halt or boot.skip_ktap):
        n_ktap = 0
        names = []
        try:
            for ok, tname, detail in ktap_results(lines, f"{name}."):
                if tname[len(name) + 1:] in boot.expect_skipped:
                    # A skip this boot asserts (the test says why).
                    ok, detail = detail == "skipped", f"expected a skip, got {detail or 'ok'}"
                res.add(ok, tname, detail)
                names.append(tname)
                n_ktap += 1
            for skipped in boot.expect_skipped:
                seen = f"{name}.{skipped}" in names
                res.add(seen, f"{name}.{skipped}.reported", "" if seen else "no result")
        except Exception as e:  # the other checks of the boot still run
            res.add(False, f"{name}.ktap_parse", f"{type(e).__name__}: {e}")
        res.add(n_ktap > 0, f"{name}.ktap_found", f"{n_ktap} KTAP results")
        if boot.realm and boot.realm_guest:
            # The guest's realm selftest runs in every boot that should
            # become a realm: its results must be there.
            doc = f"{name}.linmap_realm_{boot.realm}."
            ran = any(t.startswith(doc) for t in names)
            res.add(ran, f"{name}.realm_selftest_ran", "" if ran else f"no {doc}* results")
    splats = [l for l in lines if any(p.search(l) for p in SPLATS)]
    expected = [re.compile(p) for p in boot.expect_splats]
    if expected:
        # A boot that must show a report: every report is one of those
        # expected (their framing lines aside), and each expected one is there.
        for e in expected:
            seen = any(e.search(l) for l in splats)
            res.add(seen, f"{name}.splat_seen:{e.pattern}", "" if seen else "no such report")
        splats = [
            l
            for l in splats
            if not any(e.search(l) for e in expected) and not any(f.search(l) for f in SPLAT_FRAMING)
        ]
        res.add(not splats, f"{name}.no_other_kernel_splat", "; ".join(splats[:3]))
    else:
        res.add(not splats, f"{name}.no_kernel_splat", "; ".join(splats[:3]))
    done = any(l.strip() == GUEST_DONE for l in lines)
    if boot.halt:
        # The kernel must stop (a panic with nothing to restart the machine
        # hangs until the time-out): it must not reach userspace's end.
        res.add(not done, f"{name}.guest_halted", f"reached {GUEST_DONE}" if done else f"qemu exit {rc}")
    else:
        if rc == 124:
            detail = "timed out"
        elif not done:
            detail = f"guest did not reach {GUEST_DONE} (qemu exit {rc})"
        else:
            detail = f"qemu exit {rc}"
        res.add(done and rc == 0, f"{name}.guest_finished", detail)
    for pattern in boot.expect_lines:
        found = any(re.search(pattern, l) for l in lines)
        res.add(found, f"{name}.log_has:{pattern}", "" if found else "no such line")
    for pattern in boot.reject_lines:
        found = [l for l in lines if re.search(pattern, l)]
        res.add(not found, f"{name}.log_lacks:{pattern}", "; ".join(found[:2]))
    if boot.shared_swiotlb:
        ok, detail = swiotlb_shared(lines)
        res.add(ok, f"{name}.swiotlb_pool_shared", detail)
    if boot.shape:
        problems = shape_problems(lines, boot.shape, geometry)
        res.add(not problems, f"{name}.linear_map_{boot.shape}", "; ".join(problems))


def cmd_boot(args, res):
    boot = boots.Boot(
        args.name,
        shape=args.expect,
        expect_lines=tuple(args.expect_line or ()),
        reject_lines=tuple(args.reject_line or ()),
        expect_splats=tuple(args.expect_splat or ()),
        skip_ktap=args.skip_ktap,
        halt=args.expect_halt,
        shared_swiotlb=args.expect_shared_swiotlb,
    )
    check_boot(res, boot, args.log, Geometry.from_kconfig(args.kconfig))


SWIOTLB_MAPPED = re.compile(r"software IO TLB: mapped \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]")
RIPAS_EMPTY = re.compile(r"^realm-emu: RIPAS EMPTY \[0x([0-9a-f]+), 0x([0-9a-f]+)\)")


def swiotlb_shared(lines):
    """Whether the realm emulator saw the kernel's swiotlb pool, as the
    kernel reported it ([start, end) in swiotlb_print_info()), set to RIPAS
    EMPTY by accepted calls that cover it end to end (the emulator, as
    TF-RMM, makes at most 2 MiB of progress per call)."""
    pool = None
    for l in lines:
        m = SWIOTLB_MAPPED.search(l)
        if m:
            pool = (int(m.group(1), 16), int(m.group(2), 16))
    if pool is None:
        return False, "no 'software IO TLB: mapped' line"
    shared = [(int(m.group(1), 16), int(m.group(2), 16)) for m in map(RIPAS_EMPTY.match, lines) if m]
    at = pool[0]
    for start, end in shared:
        if start == at and end > start:
            at = end
            if at >= pool[1]:
                return at == pool[1], "" if at == pool[1] else f"shared past the pool, to {at:#x}"
    return False, f"pool [{pool[0]:#x}, {pool[1]:#x}) not covered by the {len(shared)} shared ranges (to {at:#x})"


class Geometry:
    """The table geometry of a kernel build, from its .config: what each
    ptdump level name maps, and which block kinds a block-mapped linear map
    of this test's RAM (4 GiB at 1 GiB) has."""

    def __init__(self, page_shift=12, levels=5):
        self.page_shift, self.levels = page_shift, levels

    @classmethod
    def from_kconfig(cls, path):
        if not path:
            return cls()
        conf = {}
        for line in Path(path).read_text().splitlines():
            m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
            if m:
                conf[m.group(1)] = m.group(2)
        return cls(int(conf["CONFIG_PAGE_SHIFT"]), int(conf["CONFIG_PGTABLE_LEVELS"]))

    def level_shift(self, level):
        return self.page_shift + (self.page_shift - 3) * (3 - level)

    def level_sizes(self):
        """ptdump's level name -> bytes one entry maps: the top table is
        "PGD" when it is at the P4D or PUD level (geometry.rs level_name)."""
        start = 4 - self.levels
        names = {}
        for level in range(start, 4):
            name = "PGD" if level == start and level <= 1 else {-1: "PGD", 0: "P4D", 1: "PUD", 2: "PMD", 3: "PTE"}[level]
            names[name] = 1 << self.level_shift(level)
        return names

    def level_of(self, name):
        """The level ptdump's `name` stands for (the top table's for "PGD")."""
        if name == "PGD":
            return 4 - self.levels
        return {"P4D": 0, "PUD": 1, "PMD": 2, "PTE": 3}[name]

    def block_kinds(self):
        """The block kinds every mode-1 boot shows. With 4K pages 1G PUD
        blocks, 32M contiguous PMDs and PMDs. With 16K pages PMDs, and
        contiguous PMDs (1G) unless the kernel has 2 levels: map_mem()
        then calls alloc_init_cont_pmd() once per top-level entry, so no
        range it gets spans a group. With 64K pages PMDs (a contiguous
        group is 16G, more than the guest has)."""
        if self.page_shift == 12:
            return ["PUD block", "contiguous PMD", "PMD"]
        if self.page_shift == 14 and self.levels > 2:
            return ["contiguous PMD", "PMD"]
        return ["PMD"]

UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}
PTDUMP_LINE = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16})\s+(\d+)([KMGTPE]) (PGD|P4D|PUD|PMD|PTE)(.*)$")
KINDS = ["PUD block", "contiguous PMD", "PMD", "contiguous PTE", "PTE", "invalid (present)"]


def section(lines, name, keep=None):
    """The guest's output between LINMAP-<name>-BEGIN and -END (the last
    such section), stripped; only the lines `keep` accepts."""
    out, inside = [], False
    for raw in lines:
        if raw.strip() == f"LINMAP-{name}-BEGIN":
            inside, out = True, []
        elif raw.strip() == f"LINMAP-{name}-END":
            inside = False
        elif inside and (keep is None or keep(raw)):
            out.append(raw.strip())
    return out


def linear_map_section(lines):
    """The ptdump lines between the guest's markers, kernel messages dropped."""
    return section(lines, "PTDUMP", lambda l: l.startswith("0x") or l.startswith("---["))


def classify(name, attrs, geometry):
    """The kind of a ptdump line: by its level, which the name gives (the
    top table is "PGD" whatever its level: a folded PUD of 4K/39 holds 1G
    blocks under that name)."""
    if not attrs.strip():
        return None  # a hole: nothing mapped
    if attrs.startswith(" F"):
        return "invalid (present)"
    cont = " CON " in attrs + " "
    level = geometry.level_of(name)
    if level == 3:
        return "contiguous PTE" if cont else "PTE"
    if level == 2:
        return "contiguous PMD" if cont else "PMD"
    if level == 1:
        return "PUD block"
    return name


def fmt_bytes(n):
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n / (1 << 20):.2f}M"


def kernel_alias(lines, ram_va):
    """The linear alias [start, end) of "Kernel code" ([_stext,
    __init_begin), which 7.3 never repaints), from the guest's /proc/iomem
    (as root, with real addresses) and the linear address of the first
    byte of RAM, `ram_va`."""
    ram, code = None, None
    for l in section(lines, "IOMEM"):
        m = re.match(r"^\s*([0-9a-f]+)-([0-9a-f]+) : (.*)$", l)
        if not m:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16) + 1
        if m.group(3) == "System RAM" and ram is None:
            ram = start
        elif m.group(3) == "Kernel code":
            code = (start, end)
    if ram is None or code is None:
        return None
    return (ram_va + code[0] - ram, ram_va + code[1] - ram)


def shape_problems(lines, expect, geometry):
    """What is wrong with the linear map's leaves for the expected mode:
    "blocks" (mode 1: the geometry's block kinds present, block_kinds()) or "pte"
    (modes 2 and 3: nothing but non-contiguous PTEs outside the kernel
    alias)."""
    leaves = []
    for line in linear_map_section(lines):
        m = PTDUMP_LINE.match(line)
        if not m:
            continue
        kind = classify(m.group(5), m.group(6), geometry)
        if kind is not None:
            leaves.append((int(m.group(1), 16), int(m.group(2), 16), kind))
    if not leaves:
        return ["no linear map in the log"]
    kinds = {k for _, _, k in leaves}
    if expect == "blocks":
        return [f"no {k} leaf" for k in geometry.block_kinds() if k not in kinds]
    # The first leaf maps the first byte of RAM.
    alias = kernel_alias(lines, leaves[0][0])
    if alias is None:
        return ["no Kernel code range in /proc/iomem"]
    bad = []
    for start, end, kind in leaves:
        if kind in ("PTE", "invalid (present)"):
            continue
        if start < alias[1] and end > alias[0]:
            continue
        bad.append(f"{kind} at {start:#x}-{end:#x}")
    return bad[:5]


def print_summary(log, name, geometry):
    """Prints the linear map of a boot by leaf kind; 1 if it has none."""
    section = linear_map_section(console_lines(log))
    sizes = geometry.level_sizes()
    totals = {k: [0, 0] for k in KINDS}
    for line in section:
        m = PTDUMP_LINE.match(line)
        if not m:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        kind = classify(m.group(5), m.group(6), geometry)
        if kind is None:
            continue
        size = end - start
        totals.setdefault(kind, [0, 0])
        totals[kind][0] += size // sizes[m.group(5)]
        totals[kind][1] += size
    print(f"Linear map ({name}): leaves by kind")
    print(f"  {'kind':<20} {'entries':>10} {'bytes':>12}")
    for kind, (count, size) in totals.items():
        print(f"  {kind:<20} {count:>10} {fmt_bytes(size) if size else '0':>12}")
    total = sum(v[1] for v in totals.values())
    print(f"  {'total':<20} {sum(v[0] for v in totals.values()):>10} {fmt_bytes(total):>12}")
    print(f"Console log: {log}")
    if not section:
        print("  (no linear-map section in the log)")
        return 1
    return 0


# Leaf kinds in the picture, coarse to fine, with their colours.
KIND_COLOURS = {
    "PUD block": "#1f4e79",
    "contiguous PMD": "#2e75b6",
    "PMD": "#9dc3e6",
    "contiguous PTE": "#c55a11",
    "PTE": "#f8cbad",
    "invalid (present)": "#7f7f7f",
}


def section_leaves(section, geometry):
    """(start VA, end VA, kind) of each mapped ptdump line of a section."""
    out = []
    for line in section:
        m = PTDUMP_LINE.match(line)
        if m:
            kind = classify(m.group(5), m.group(6), geometry)
            if kind is not None:
                # A leaf above the PUD level would be a bug: drawn as the
                # kind nobody expects, the coarsest.
                out.append((int(m.group(1), 16), int(m.group(2), 16), kind if kind in KIND_COLOURS else "PUD block"))
    return out


def ram_start(lines):
    """The first System RAM address in the guest's /proc/iomem, if any."""
    for l in section(lines, "IOMEM"):
        m = re.match(r"^\s*([0-9a-f]+)-[0-9a-f]+ : System RAM$", l)
        if m:
            return int(m.group(1), 16)
    return None


def picture_svg(title, panels, pa_base):
    """An SVG of the linear map: one panel per (caption, leaves), the span
    of RAM it maps laid out in rows (physical address down the left), each
    leaf coloured by kind, a legend with the bytes of each kind."""
    from xml.sax.saxutils import escape

    starts = [l[0] for _, leaves in panels for l in leaves]
    ends = [l[1] for _, leaves in panels for l in leaves]
    if not starts:
        raise ValueError("no linear map to draw")
    base, span = min(starts), max(ends) - min(starts)
    row = 1 << 20
    while span > 16 * row:
        row <<= 1
    rows = (span + row - 1) // row
    width, height, gap, label = 512, 14, 3, 150
    panel_w = label + width + 40
    top = 56
    legend_top = top + rows * (height + gap) + 16
    total_h = legend_top + 20 * (len(KIND_COLOURS) + 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{panel_w * len(panels)}" height="{total_h}" '
           f'font-family="monospace" font-size="11">',
           f'<text x="8" y="18" font-size="14">{escape(title)}</text>']
    for p, (caption, leaves) in enumerate(panels):
        x0 = p * panel_w
        out.append(f'<text x="{x0 + label}" y="40">{escape(caption)}</text>')
        for r in range(rows):
            y = top + r * (height + gap)
            pa = (pa_base or 0) + r * row
            out.append(f'<text x="{x0 + 8}" y="{y + 11}">PA {pa:#014x}</text>')
            out.append(f'<rect x="{x0 + label}" y="{y}" width="{width}" height="{height}" fill="#ffffff" '
                       'stroke="#d0d0d0"/>')
        totals = dict.fromkeys(KIND_COLOURS, 0)
        for start, end, kind in leaves:
            totals[kind] = totals.get(kind, 0) + end - start
            off, left = start - base, end - start
            while left > 0:
                r, col = divmod(off, row)
                n = min(left, row - col)
                x = x0 + label + col * width / row
                w = max(n * width / row, 0.5)
                y = top + r * (height + gap)
                out.append(f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{height}" '
                           f'fill="{KIND_COLOURS[kind]}"><title>{kind}</title></rect>')
                off, left = off + n, left - n
        for i, (kind, colour) in enumerate(KIND_COLOURS.items()):
            y = legend_top + 20 * i
            out.append(f'<rect x="{x0 + label}" y="{y}" width="14" height="14" fill="{colour}"/>')
            size = totals.get(kind, 0)
            out.append(f'<text x="{x0 + label + 20}" y="{y + 11}">{escape(kind)}: '
                       f'{fmt_bytes(size) if size else "0"}</text>')
        out.append(f'<text x="{x0 + label}" y="{legend_top + 20 * len(KIND_COLOURS) + 11}">'
                   f'one row: {fmt_bytes(row)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_picture(log, name, geometry):
    """Writes linear-map.svg next to the console log: the linear map after
    the boot and, when the guest dumped it again after its late selftests,
    after those too. Returns the path."""
    lines = list(console_lines(log))
    keep = lambda l: l.startswith("0x") or l.startswith("---[")
    panels = [("after boot", section_leaves(linear_map_section(lines), geometry))]
    after = section_leaves(section(lines, "PTDUMP-AFTER", keep), geometry)
    if after:
        panels.append(("after the late selftests (sample module, memfd_secret, ...)", after))
    svg = picture_svg(f"linear map: {name}", panels, ram_start(lines))
    path = Path(log).with_name("linear-map.svg")
    path.write_text(svg)
    return path


def write_png(svg, width, height):
    """The SVG as a PNG beside it, with Debian's rsvg-convert (librsvg2-bin);
    (ok, detail): a PNG of the SVG's size."""
    png = svg.with_suffix(".png")
    r = subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], capture_output=True, text=True)
    if r.returncode:
        return False, f"rsvg-convert: {r.stderr.strip()[-200:]}"
    head = png.read_bytes()[:24]
    size = (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
    ok = head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and size == (width, height)
    return ok, f"{png}: {size[0]}x{size[1]}, the SVG is {width}x{height}"


def check_picture(res, log, name, geometry):
    """Draws a boot's linear map and checks the SVG is well formed; the
    path, or None."""
    import xml.etree.ElementTree as ET

    try:
        path = write_picture(log, name, geometry)
        root = ET.parse(path).getroot()
        # The leaves (the rectangles with a kind), not the row backgrounds.
        leaves = [e for e in root.iter("{http://www.w3.org/2000/svg}rect") if e.find("{http://www.w3.org/2000/svg}title") is not None]
        ok = root.tag == "{http://www.w3.org/2000/svg}svg" and len(leaves) > 0
        res.add(ok, f"{name}.picture", str(path) if ok else "no leaf drawn")
        if ok:
            png_ok, detail = write_png(path, int(root.get("width")), int(root.get("height")))
            res.add(png_ok, f"{name}.picture_png", detail)
        return path
    except Exception as e:
        res.add(False, f"{name}.picture", f"{type(e).__name__}: {e}")
        return None


def cmd_picture(args, res):
    import xml.etree.ElementTree as ET

    path = write_picture(args.log, args.name, Geometry.from_kconfig(args.kconfig))
    root = ET.parse(path).getroot()
    print(path)
    print(write_png(path, int(root.get("width")), int(root.get("height")))[1])


def cmd_summary(args, res):
    return print_summary(args.log, args.name, Geometry.from_kconfig(args.kconfig))


BENCH_LINE = re.compile(
    r"linmap_bench: (?P<op>[a-z_0-9]+) reps=(?P<reps>\d+) c_ns=(?P<c>\d+) c_spread=(?P<cs>[\d-]+)"
    r" rust_ns=(?P<rust>\d+) rust_spread=(?P<rs>[\d-]+) ratio=(?P<ratio>[\d.]+)(?P<note>.*)"
)


def cmd_bench(args, res):
    return print_bench(args.log)


def print_bench(log):
    """The benchmark's figures from a console log, as a table."""
    rows = [m for m in (BENCH_LINE.search(l) for l in console_lines(log)) if m]
    print(f"  {'operation':<28} {'reps':>5} {'C median':>12} {'C p25-p75':>21} {'Rust median':>12} {'Rust p25-p75':>21} {'Rust/C':>7}")
    for m in rows:
        print(f"  {m['op']:<28} {m['reps']:>5} {m['c']:>12} {m['cs']:>21} {m['rust']:>12} {m['rs']:>21} {m['ratio']:>7}{m['note']}")
    print(f"Console log: {log}")
    return 0 if rows else 1


BOOT_STAMP = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)")


def boot_times(log):
    """(ms to /init, repaint us or None) of one boot."""
    init = repaint = None
    for line in Path(log).read_text(errors="replace").splitlines():
        m = BOOT_STAMP.match(line.rstrip("\r"))
        if not m:
            continue
        if m[2].startswith("Run /init as init process"):
            init = float(m[1]) * 1000
        r = re.match(r"linmap: repaint \((?:rust|c)\): (\d+) us", m[2])
        if r:
            repaint = int(r[1])
    return init, repaint


def cmd_boot_times(args, res):
    return print_boot_times([item.split(":", 2) for item in args.boots])


def print_boot_times(items):
    """Median time to /init and of the repaint per mode and implementation,
    from (mode, impl, log) items."""
    groups = {}
    for mode, impl, log in items:
        groups.setdefault((mode, impl), []).append(boot_times(log))
    med = lambda v: sorted(v)[len(v) // 2] if v else None
    print(f"  {'mode':<6} {'impl':<5} {'boots':>5} {'to /init (ms)':>14} {'range':>17} {'repaint (ms)':>13} {'range':>15}")
    for (mode, impl), v in sorted(groups.items()):
        inits = [i for i, _ in v if i is not None]
        reps = [r / 1000 for _, r in v if r is not None]
        rng = lambda x: f"{min(x):.1f}-{max(x):.1f}" if x else "-"
        print(
            f"  {mode:<6} {impl:<5} {len(v):>5} {med(inits) or 0:>14.1f} {rng(inits):>17}"
            f" {(f'{med(reps):.1f}' if reps else '-'):>13} {rng(reps):>15}"
        )
    return 0


def cmd_compare(args, res):
    compare_boots(res, args.log_a, args.log_b, args.name)


def compare_boots(res, log_a, log_b, name):
    """The linear-map sections of two boots must be byte-identical."""
    a = linear_map_section(console_lines(log_a))
    b = linear_map_section(console_lines(log_b))
    detail = ""
    if not a or not b:
        detail = "a linear-map section is missing"
    elif a != b:
        for i, (la, lb) in enumerate(zip(a, b)):
            if la != lb:
                detail = f"line {i + 1}: {la!r} != {lb!r}"
                break
        else:
            detail = f"{len(a)} lines != {len(b)} lines"
    res.add(not detail, name, detail)


def describe(boot):
    """The step header of a boot, as `make test` prints it."""
    parts = []
    if boot.realm:
        parts.append(f"realm, {boot.realm} RAM")
    env = boot.env(dict(os.environ))
    parts.append(f"qemu -smp {env.get('QEMU_SMP', 4)}")
    if env["LINMAP_APPEND"]:
        parts.append(env["LINMAP_APPEND"])
    return f"boot: {boot.name} ({', '.join(parts)})"


def run_boot(boot, kout):
    """Boots `boot` with scripts/boot.sh; the console log's path."""
    env = boot.env(dict(os.environ))
    script = Path(__file__).with_name("boot.sh")
    p = subprocess.run([str(script), kout, boot.name], env=env, stdout=subprocess.PIPE, text=True)
    out = p.stdout.strip().splitlines()
    cache = Path(os.environ.get("LINMAP_CACHE", Path.home() / ".cache/linmap"))
    return out[-1] if out else str(cache / "runs" / f"latest-{boot.name}" / "console.log")


def cmd_matrix(args, res):
    """Runs a matrix of scripts/boots.py: each boot, its checks recorded as
    soon as it ends, then the comparisons and figures that need it."""
    kwargs = {}
    if args.name == "config":
        kwargs = dict(variant=args.variant, arg=args.arg or "")
    elif args.name == "test":
        kwargs = dict(bench_smp=args.bench_smp)
    elif args.name == "bench-kernel":
        kwargs = dict(bench_smp=args.bench_smp, boot_smp=args.boot_smp, boots=args.boots)
    steps = boots.MATRICES[args.name](**kwargs)
    if args.only:
        steps = [s for s in steps if isinstance(s, boots.Boot) and re.search(args.only, s.name)]
    geometry = Geometry.from_kconfig(str(Path(args.kout) / ".config"))
    logs = {}
    rc = 0
    for step in steps:
        if isinstance(step, boots.Boot):
            print(f"\n== {describe(step)}", flush=True)
            try:
                log = run_boot(step, args.kout)
                logs[step.name] = log
                check_boot(res, step, log, geometry)
            except Exception as e:  # a crash is a failed check, not a missing one
                res.add(False, f"{step.name}.runner", f"{type(e).__name__}: {e}")
            if step.summary:
                print(f"\n== linear map: {step.name}")
                print_summary(log, step.name, geometry)
                picture = check_picture(res, log, step.name, geometry)
                if picture:
                    print(f"Picture: {picture} (PNG: {picture.with_suffix('.png')})")
        elif isinstance(step, boots.Compare):
            if step.a in logs and step.b in logs:
                compare_boots(res, logs[step.a], logs[step.b], step.name)
        elif isinstance(step, boots.BenchFigures):
            print("\n== benchmark figures (ns; spread is p25-p75; ratio is rust/c)")
            rc |= print_bench(logs[step.boot]) if step.boot in logs else 1
        elif isinstance(step, boots.BootTimes):
            print("\n== boot times (ms; repaint is mode 3's, from before the preallocation to after stop_machine())")
            print_boot_times([(m, i, logs[b]) for m, i, b in step.boots if b in logs])
        res.echo()
        res.save()
        res.rows = []
    return rc


def cmd_record(args, res):
    res.add(args.rc == 0, args.test, f"exit status {args.rc}")


def cmd_tally(args, res):
    rows = []
    if res.path and res.path.exists():
        rows = [l.split("\t") for l in res.path.read_text().splitlines() if l.strip()]
    failed = [r for r in rows if r[0] == "FAIL"]
    for r in failed:
        print(f"FAIL: {r[1]}" + (f" ({r[2]})" if len(r) > 2 and r[2] else ""))
    passed = len(rows) - len(failed)
    print(f"{passed} passed, {len(failed)} failed")
    return 1 if failed or not rows else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", help="results file to append to / tally")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("cargo")
    p.set_defaults(func=cmd_cargo)
    p.add_argument("log")
    p.add_argument("--rc", type=int, default=0)
    p.add_argument("--prefix", default="host.", help="prefix of the result names")
    p = sub.add_parser("pyunit")
    p.set_defaults(func=cmd_pyunit)
    p.add_argument("log")
    p.add_argument("--rc", type=int, default=0)
    p = sub.add_parser("matrix")
    p.set_defaults(func=cmd_matrix)
    p.add_argument("name", choices=sorted(boots.MATRICES))
    p.add_argument("--kout", required=True, help="the kernel build's output directory")
    p.add_argument("--variant", help="config: the configuration (configs/variants/VARIANT.config)")
    p.add_argument("--arg", help="config: a kernel argument every boot gets")
    p.add_argument("--bench-smp", type=int, default=1, help="vCPUs of the benchmark boot")
    p.add_argument("--boot-smp", type=int, default=os.cpu_count(), help="bench-kernel: vCPUs of the mode boots")
    p.add_argument("--boots", type=int, default=3, help="bench-kernel: boots per mode and implementation")
    p.add_argument("--only", help="only the boots whose name matches this regex")
    p = sub.add_parser("boot")
    p.set_defaults(func=cmd_boot)
    p.add_argument("log")
    p.add_argument("--name", default="boot")
    p.add_argument("--expect", choices=("blocks", "pte"), help="the linear map's expected shape")
    p.add_argument("--expect-line", action="append", help="a regex some console line must match")
    p.add_argument("--reject-line", action="append", help="a regex no console line may match")
    p.add_argument(
        "--expect-splat",
        action="append",
        help="a regex for a kernel report this boot must show (other reports still fail)",
    )
    p.add_argument(
        "--expect-shared-swiotlb",
        action="store_true",
        help="the realm emulator must log the swiotlb pool set to RIPAS EMPTY",
    )
    p.add_argument(
        "--skip-ktap",
        action="store_true",
        help="do not record the guest's KTAP results (a boot that shows a known upstream bug)",
    )
    p.add_argument(
        "--expect-halt",
        action="store_true",
        help="the kernel must stop before userspace finishes (implies --skip-ktap)",
    )
    p.add_argument("--kconfig", help="the kernel's .config (its page size and levels; default 4K, 5 levels)")
    p = sub.add_parser("summary")
    p.set_defaults(func=cmd_summary)
    p.add_argument("log")
    p.add_argument("--name", default="boot")
    p.add_argument("--kconfig", help="the kernel's .config (its page size and levels; default 4K, 5 levels)")
    p = sub.add_parser("picture")
    p.set_defaults(func=cmd_picture)
    p.add_argument("log")
    p.add_argument("--name", default="boot")
    p.add_argument("--kconfig", help="the kernel's .config (its page size and levels; default 4K, 5 levels)")
    p = sub.add_parser("bench")
    p.set_defaults(func=cmd_bench)
    p.add_argument("log")
    p = sub.add_parser("boot-times")
    p.set_defaults(func=cmd_boot_times)
    p.add_argument("boots", nargs="+", help="MODE:IMPL:LOG")
    p = sub.add_parser("compare")
    p.set_defaults(func=cmd_compare)
    p.add_argument("log_a")
    p.add_argument("log_b")
    p.add_argument("--name", required=True)
    p = sub.add_parser("record")
    p.set_defaults(func=cmd_record)
    p.add_argument("test")
    p.add_argument("rc", type=int)
    p = sub.add_parser("tally")
    p.set_defaults(func=cmd_tally)
    args = ap.parse_args()
    res = Results(args.results)
    try:
        rc = args.func(args, res) or 0
    except Exception as e:  # a crash is a failed check, not a missing one
        res.add(False, f"{getattr(args, 'name', args.cmd)}.runner", f"{type(e).__name__}: {e}")
        rc = 1
    res.echo()
    res.save()
    return rc


if __name__ == "__main__":
    sys.exit(main())
