#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test result collection for linmap.

Subcommands (every one that records results appends them to --results, one
"PASS|FAIL<TAB>name<TAB>detail" line each):

  cargo LOG        results of a `cargo test` run (its "test result:" lines)
  pyunit LOG       results of a `python3 -m unittest -v` run
  boot LOG         a QEMU console log: KTAP documents (KUnit and the
                   selftests), a clean boot (no WARN/BUG/Oops/panic/lockdep
                   report), the guest reaching its end marker in time
  summary LOG      the linear map of a boot, per leaf kind
  compare A B      two boots' linear maps are byte-identical
  record NAME RC   one result from an exit status
  tally            print the results and the closing "N passed, N failed"
"""

import argparse
import re
import sys
from pathlib import Path

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
KTAP_START = re.compile(r"^KTAP version \d+$")
KTAP_PLAN = re.compile(r"^(\s*)1\.\.(\d+)\s*$")
KTAP_RESULT = re.compile(r"^(\s*)(ok|not ok) (\d+)(?: (.*?))?(?:\s+#\s*(SKIP|TODO)\b.*)?$")
KTAP_SUBTEST = re.compile(r"^(\s*)# Subtest: (\S+)")

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


def console_lines(path):
    text = Path(path).read_text(errors="replace")
    for raw in text.splitlines():
        yield TIMESTAMP.sub("", raw.rstrip("\r"))


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


def parse_ktap(lines, prefix):
    """Yields (ok, name, detail) for every leaf test of every KTAP document.

    A result line is a leaf unless the result line just before it is more
    deeply indented (then it closes a suite). Plans are checked: a group that
    announced 1..N must end with N results.
    """
    in_doc = False
    prev_indent = None
    suites = {}
    plans = {}  # indent -> [expected, seen, suite]
    doc = 0

    def close_plans(below):
        for ind in sorted([i for i in plans if i > below], reverse=True):
            expected, seen, suite = plans.pop(ind)
            if expected != seen:
                yield (False, f"{prefix}{suite}.plan", f"planned {expected} tests, saw {seen}")

    for line in lines:
        if KTAP_START.match(line):
            if in_doc:
                yield from close_plans(-1)
            in_doc = True
            doc += 1
            prev_indent = None
            suites = {0: f"ktap{doc}"}
            plans = {}
            continue
        if not in_doc:
            continue
        m = KTAP_SUBTEST.match(line)
        if m:
            suites[len(m.group(1))] = m.group(2)
            continue
        m = KTAP_PLAN.match(line)
        if m:
            ind = len(m.group(1))
            plans[ind] = [int(m.group(2)), 0, suites.get(ind, f"ktap{doc}")]
            continue
        m = KTAP_RESULT.match(line)
        if not m:
            continue
        ind = len(m.group(1))
        ok = m.group(2) == "ok"
        name = (m.group(4) or "").strip() or f"test{m.group(3)}"
        yield from close_plans(ind)
        if ind in plans:
            plans[ind][1] += 1
        is_parent = prev_indent is not None and prev_indent > ind
        prev_indent = ind
        if is_parent:
            if not ok:
                # A suite can fail without a failing leaf (e.g. init failed).
                yield (False, f"{prefix}{name}", "suite reported not ok")
            continue
        if m.group(5) == "SKIP":
            # A skipped test is not a passed one.
            yield (False, f"{prefix}{suites.get(ind, '')}.{name}", "skipped")
            continue
        yield (ok, f"{prefix}{suites.get(ind, '')}.{name}", "" if ok else "not ok")
    if in_doc:
        yield from close_plans(-1)


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


def cmd_boot(args, res):
    name = args.name
    lines = list(console_lines(args.log))
    rc_file = Path(args.log).with_name("qemu.rc")
    rc = int(rc_file.read_text()) if rc_file.exists() else 0
    halt = getattr(args, "expect_halt", False)
    if not (halt or getattr(args, "skip_ktap", False)):
        n_ktap = 0
        for ok, tname, detail in parse_ktap(lines, f"{name}."):
            res.add(ok, tname, detail)
            n_ktap += 1
        res.add(n_ktap > 0, f"{name}.ktap_found", f"{n_ktap} KTAP results")
    splats = [l for l in lines if any(p.search(l) for p in SPLATS)]
    expected = [re.compile(p) for p in getattr(args, "expect_splat", None) or []]
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
    if halt:
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
    for pattern in getattr(args, "expect_line", None) or []:
        found = any(re.search(pattern, l) for l in lines)
        res.add(found, f"{name}.log_has:{pattern}", "" if found else "no such line")
    for pattern in getattr(args, "reject_line", None) or []:
        found = [l for l in lines if re.search(pattern, l)]
        res.add(not found, f"{name}.log_lacks:{pattern}", "; ".join(found[:2]))
    if getattr(args, "expect_shared_swiotlb", False):
        ok, detail = swiotlb_shared(lines)
        res.add(ok, f"{name}.swiotlb_pool_shared", detail)
    if getattr(args, "expect", None):
        problems = shape_problems(lines, args.expect, Geometry.from_kconfig(getattr(args, "kconfig", None)))
        res.add(not problems, f"{name}.linear_map_{args.expect}", "; ".join(problems))


SWIOTLB_MAPPED = re.compile(r"software IO TLB: mapped \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]")
RIPAS_EMPTY = re.compile(r"^realm-emu: RIPAS EMPTY \[0x([0-9a-f]+), 0x([0-9a-f]+)\)")


def swiotlb_shared(lines):
    """Whether the realm emulator saw the kernel's swiotlb pool, as the
    kernel reported it ([start, end) in swiotlb_print_info()), set to RIPAS
    EMPTY in one accepted call."""
    pool = None
    for l in lines:
        m = SWIOTLB_MAPPED.search(l)
        if m:
            pool = (int(m.group(1), 16), int(m.group(2), 16))
    if pool is None:
        return False, "no 'software IO TLB: mapped' line"
    shared = [(int(m.group(1), 16), int(m.group(2), 16)) for m in map(RIPAS_EMPTY.match, lines) if m]
    if pool in shared:
        return True, ""
    return False, f"pool [{pool[0]:#x}, {pool[1]:#x}) not among {len(shared)} shared ranges"


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


def linear_map_section(lines):
    """The ptdump lines between the guest's markers, kernel messages dropped."""
    out, inside = [], False
    for raw in lines:
        if raw.strip() == "LINMAP-PTDUMP-BEGIN":
            inside, out = True, []
        elif raw.strip() == "LINMAP-PTDUMP-END":
            inside = False
        elif inside and (raw.startswith("0x") or raw.startswith("---[")):
            out.append(raw)
    return out


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


def section(lines, name):
    """The guest's output between LINMAP-<name>-BEGIN and -END."""
    out, inside = [], False
    for raw in lines:
        if raw.strip() == f"LINMAP-{name}-BEGIN":
            inside, out = True, []
        elif raw.strip() == f"LINMAP-{name}-END":
            inside = False
        elif inside:
            out.append(raw.strip())
    return out


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


def cmd_summary(args, res):
    section = linear_map_section(console_lines(args.log))
    geometry = Geometry.from_kconfig(args.kconfig)
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
    print(f"Linear map ({args.name}): leaves by kind")
    print(f"  {'kind':<20} {'entries':>10} {'bytes':>12}")
    for kind, (count, size) in totals.items():
        print(f"  {kind:<20} {count:>10} {fmt_bytes(size) if size else '0':>12}")
    total = sum(v[1] for v in totals.values())
    print(f"  {'total':<20} {sum(v[0] for v in totals.values()):>10} {fmt_bytes(total):>12}")
    print(f"Console log: {args.log}")
    if not section:
        print("  (no linear-map section in the log)")
        return 1
    return 0

BENCH_LINE = re.compile(
    r"linmap_bench: (?P<op>[a-z_0-9]+) reps=(?P<reps>\d+) c_ns=(?P<c>\d+) c_spread=(?P<cs>[\d-]+)"
    r" rust_ns=(?P<rust>\d+) rust_spread=(?P<rs>[\d-]+) ratio=(?P<ratio>[\d.]+)(?P<note>.*)"
)


def cmd_bench(args, res):
    """The benchmark's figures from a console log, as a table."""
    rows = [m for m in (BENCH_LINE.search(l) for l in console_lines(args.log)) if m]
    print(f"  {'operation':<28} {'reps':>5} {'C median':>12} {'C p25-p75':>21} {'Rust median':>12} {'Rust p25-p75':>21} {'Rust/C':>7}")
    for m in rows:
        print(f"  {m['op']:<28} {m['reps']:>5} {m['c']:>12} {m['cs']:>21} {m['rust']:>12} {m['rs']:>21} {m['ratio']:>7}{m['note']}")
    print(f"Console log: {args.log}")
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
    """Median time to /init and of the repaint per mode and implementation."""
    groups = {}
    for item in args.boots:
        mode, impl, log = item.split(":", 2)
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
    """The linear-map sections of two boots must be byte-identical."""
    a = linear_map_section(console_lines(args.log_a))
    b = linear_map_section(console_lines(args.log_b))
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
    res.add(not detail, args.name, detail)


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
    p.add_argument("log")
    p.add_argument("--rc", type=int, default=0)
    p.add_argument("--prefix", default="host.", help="prefix of the result names")
    p = sub.add_parser("pyunit")
    p.add_argument("log")
    p.add_argument("--rc", type=int, default=0)
    p = sub.add_parser("boot")
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
    p.add_argument("log")
    p.add_argument("--name", default="boot")
    p.add_argument("--kconfig", help="the kernel's .config (its page size and levels; default 4K, 5 levels)")
    p = sub.add_parser("bench")
    p.add_argument("log")
    p = sub.add_parser("boot-times")
    p.add_argument("boots", nargs="+", help="MODE:IMPL:LOG")
    p = sub.add_parser("compare")
    p.add_argument("log_a")
    p.add_argument("log_b")
    p.add_argument("--name", required=True)
    p = sub.add_parser("record")
    p.add_argument("test")
    p.add_argument("rc", type=int)
    sub.add_parser("tally")
    args = ap.parse_args()
    res = Results(args.results)
    try:
        rc = globals()[f"cmd_{args.cmd.replace('-', '_')}"](args, res) or 0
    except Exception as e:  # a crash is a failed check, not a missing one
        res.add(False, f"{getattr(args, 'name', args.cmd)}.runner", f"{type(e).__name__}: {e}")
        rc = 1
    res.echo()
    res.save()
    return rc


if __name__ == "__main__":
    sys.exit(main())
