#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""linmap's patch series against v7.3, read from patches/series.

The series is the one description of what linmap changes in a 7.3 tree:
each patch of patches/ carries a commit message and the diff of what it
changes, and the indented lines under it in patches/series add files of
this repository unchanged (the crate, the sample, the kselftests, the
documentation), so that no file is written twice.

Subcommands:

  sync TREE          make TREE's files what the series gives: the v7.3
                     files it changes (saved first in TREE/.linmap/pristine)
                     and the files it adds. Only files whose content changes
                     are written, so builds stay incremental.
  repo DIR --tree T  a git repository: v7.3's files the series changes (from
                     T's saved copies), then one commit per patch. Edit the
                     series there with git, then `export` it back.
  export DIR         write patches/ back from such a repository (the files
                     the series adds stay this repository's own).
  format OUT --tree T  the series as `git format-patch` writes it, with a
                     cover letter, authorship and Signed-off-by from `git
                     config` (placeholders when unset), into OUT.
  pristine DIR       a git repository of the whole pristine v7.3 source,
                     tagged v7.3 (extracted from the pinned package).
  check-am REPO OUT TREE   `git am` OUT's series onto REPO's v7.3, compare
                     the result with TREE, checkpatch --strict each patch.
  check-builds REPO CONFIG BUILD   build every commit of the series in
                     order (a kernel .config to start from, an output dir).

check-am and check-builds append "PASS|FAIL<TAB>name<TAB>detail" lines to
--results, as scripts/linmap_runner.py's subcommands do.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATCHES = ROOT / "patches"
STATE = ".linmap"
PLACEHOLDER = ("Your Name", "you@example.org")


@dataclass
class Patch:
    file: str
    test_only: bool
    # (path in the kernel tree, path in this repository)
    adds: list = field(default_factory=list)

    def text(self):
        return (PATCHES / self.file).read_text()

    def message(self):
        """The subject and the body, from the patch file's head."""
        head = self.text().split("\n---\n", 1)[0]
        lines = head.splitlines()
        subject = re.sub(r"^Subject:\s*(\[[^]]*\]\s*)?", "", lines[0])
        return subject, "\n".join(lines[1:]).strip("\n") + "\n"

    def diff(self):
        t = self.text()
        i = t.find("\ndiff --git ")
        return t[i + 1:] if i >= 0 else ""

    def diff_paths(self):
        return sorted(set(re.findall(r"^diff --git a/(\S+) b/", self.diff(), re.M)))


def read_series():
    """patches/series: patch lines, indented "dir/ files..." lines adding
    files of this repository, "[test only]" before the test-only patches."""
    patches, test_only = [], False
    for n, line in enumerate((PATCHES / "series").read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.strip() == "[test only]":
            test_only = True
        elif line[0] in " \t":
            if not patches:
                sys.exit(f"patches/series:{n}: files before any patch")
            dest, *globs = line.split()
            if not dest.endswith("/") or not globs:
                sys.exit(f"patches/series:{n}: expected '<directory>/ <files>...'")
            for g in globs:
                found = sorted(p for p in ROOT.glob(g) if p.is_file())
                if not found:
                    sys.exit(f"patches/series:{n}: {g} matches no file")
                patches[-1].adds += [(dest + p.name, str(p.relative_to(ROOT))) for p in found]
        else:
            if not (PATCHES / line.strip()).is_file():
                sys.exit(f"patches/series:{n}: no patches/{line.strip()}")
            patches.append(Patch(line.strip(), test_only))
    return patches


def run(*cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


def git(repo, *args, **kw):
    return run("git", "-C", str(repo), *args, **kw)


def copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    shutil.copymode(src, dst)


def apply_diff(patch, where):
    diff = patch.diff()
    if not diff:
        return
    r = run("patch", "-p1", "-N", "-s", "-F0", "--no-backup-if-mismatch", "-r", "-", "-d", str(where),
            input=diff, text=True, capture_output=True, check=False)
    if r.returncode:
        sys.exit(f"patches/{patch.file} does not apply:\n{r.stdout}{r.stderr}")


# --- the tree --------------------------------------------------------------

def stage(patches, original, where, upto=None):
    """Write into `where` every file the series (its first `upto` patches)
    gives. `original(path)` returns v7.3's copy of a file (a Path) or None
    for a file v7.3 does not have."""
    have = set()
    for p in patches[:upto]:
        for dest, src in p.adds:
            copy(ROOT / src, where / dest)
            have.add(dest)
        for path in p.diff_paths():
            if path not in have:
                orig = original(path)
                if orig is not None:
                    copy(orig, where / path)
                have.add(path)
        apply_diff(p, where)
    return sorted(have)


def migrate_quilt_state(tree):
    """Trees prepared by the earlier prepare-tree.sh: unapply its series
    (quilt style state in .linmap/applied) and remove its overlay."""
    state = tree / STATE
    if not (state / "applied").is_dir():
        return
    applied = (state / "series").read_text().split() if (state / "series").exists() else []
    for name in reversed(applied):
        print(f"linmap: unapplying {name} (old layout)", file=sys.stderr)
        run("patch", "-d", str(tree), "-p1", "-R", "-s", "--no-backup-if-mismatch",
            stdin=open(state / "applied" / name))
    for d in ("arch/arm64/mm/linmap", "tools/testing/selftests/arm64/linmap"):
        shutil.rmtree(tree / d, ignore_errors=True)
    shutil.rmtree(state / "applied")
    (state / "series").unlink(missing_ok=True)


def cmd_sync(args):
    tree = Path(args.tree).resolve()
    migrate_quilt_state(tree)
    state = tree / STATE
    pristine = state / "pristine"
    # The files linmap wrote; those with a copy in `pristine` are v7.3's.
    managed_file = state / "files"
    managed = {l.split()[0] for l in managed_file.read_text().splitlines()} \
        if managed_file.exists() else set()

    def original(path):
        saved = pristine / path
        if saved.exists():
            managed.add(path)
            return saved
        if path in managed or not (tree / path).exists():
            managed.add(path)
            return None
        # Not changed by linmap yet: the tree's copy is v7.3's.
        copy(tree / path, saved)
        managed.add(path)
        return saved

    patches = read_series()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        files = stage(patches, original, where)
        for path in files:
            if path not in managed:
                original(path)
            dst = tree / path
            if not dst.exists() or not same(where / path, dst):
                copy(where / path, dst)
    for path in sorted(set(managed) - set(files)):
        saved = pristine / path
        if saved.exists():
            copy(saved, tree / path)
            saved.unlink()
        else:
            (tree / path).unlink(missing_ok=True)
            prune(tree, Path(path).parent)
        managed.remove(path)
    state.mkdir(exist_ok=True)
    managed_file.write_text("".join(f"{k}\n" for k in sorted(managed)))
    print(tree)


def same(a, b):
    return a.read_bytes() == b.read_bytes() and os.stat(a).st_mode == os.stat(b).st_mode


def prune(tree, d):
    while str(d) not in (".", ""):
        try:
            (tree / d).rmdir()
        except OSError:
            return
        d = d.parent


# --- the series as commits -----------------------------------------------------

def identity():
    def cfg(key):
        r = git(ROOT, "config", key, capture_output=True, text=True, check=False)
        return r.stdout.strip()
    name, email = cfg("user.name"), cfg("user.email")
    return (name, email) if name and email else PLACEHOLDER


def make_repo(repo, tree, ident=None):
    """A git repository of the series: v7.3's files it changes, then one
    commit per patch, with `ident` (name, email) as author and sign-off."""
    patches = read_series()
    pristine = Path(tree).resolve() / STATE / "pristine"

    def original(path):
        p = pristine / path
        return p if p.exists() else None

    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    name, email = ident or identity()
    date = git(ROOT, "log", "-1", "--format=%aD", capture_output=True, text=True,
               check=False).stdout.strip()
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    git(repo, "init", "-q", "-b", "linmap")
    git(repo, "config", "core.fileMode", "true")
    for path in {p for patch in patches for p in patch.diff_paths()}:
        if original(path):
            copy(original(path), repo / path)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "v7.3: the files the series changes", env=env)
    git(repo, "tag", "v7.3-files")
    for i, p in enumerate(patches):
        for dest, src in p.adds:
            copy(ROOT / src, repo / dest)
        apply_diff(p, repo)
        subject, body = p.message()
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-s", "-F", "-", input=f"{subject}\n\n{body}", text=True, env=env)
    return patches


def cmd_repo(args):
    make_repo(Path(args.dir).resolve(), args.tree)
    print(Path(args.dir).resolve())


def cmd_export(args):
    """patches/ from an edited repository: each commit's message, and its
    diff without the files patches/series adds from this repository."""
    repo = Path(args.dir).resolve()
    patches = read_series()
    commits = git(repo, "rev-list", "--reverse", "v7.3-files..HEAD", capture_output=True,
                  text=True).stdout.split()
    if len(commits) != len(patches):
        sys.exit(f"{repo} has {len(commits)} commits after v7.3-files, patches/series {len(patches)}")
    for c, p in zip(commits, patches):
        exclude = [f":(exclude){dest}" for dest, _ in p.adds]
        for dest, src in p.adds:
            shown = git(repo, "show", f"{c}:{dest}", capture_output=True).stdout
            if shown != (ROOT / src).read_bytes():
                sys.exit(f"{dest} differs from {src} in {c[:12]}: edit {src} instead")
        msg = git(repo, "log", "-1", "--format=%B", c, capture_output=True, text=True).stdout
        msg = "\n".join(l for l in msg.strip().splitlines() if not l.startswith("Signed-off-by:"))
        subject, _, body = msg.partition("\n")
        diff = git(repo, "show", "--format=", "--full-index", "--stat=76", "-p", c, "--", ".",
                   *exclude, capture_output=True, text=True).stdout
        (PATCHES / p.file).write_text(f"Subject: {subject}\n{body.rstrip()}\n---\n{diff}")
        print(f"patches/{p.file}")


def cmd_format(args):
    out = Path(args.out).resolve()
    ident = identity()
    repo = out.parent / (out.name + ".git")
    patches = make_repo(repo, args.tree, ident)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.patch"):
        old.unlink()
    git(repo, "format-patch", "-q", "--cover-letter", "--full-index", "--zero-commit",
        "--no-signature", "--thread=shallow", "-o", str(out), "v7.3-files..linmap")
    cover = next(out.glob("0000-*.patch"))
    text = cover.read_text()
    intro = (PATCHES / "cover-letter").read_text()
    csubject, _, cbody = intro.partition("\n")
    lines = []
    for i, p in enumerate(patches, 1):
        if p.test_only and not patches[i - 2].test_only:
            lines.append("Test only (for test kernels; the series works without them):\n")
        subject, body = p.message()
        paras = body.strip().split("\n\n")
        # The first paragraph, and the next when it introduces it.
        first = "\n\n".join(paras[:2]) if paras[0].endswith(":") and len(paras) > 1 else paras[0]
        lines.append(f"{i}. {subject}\n" + "".join(f"   {l}\n" for l in first.splitlines()))
    blurb = cbody.strip("\n") + "\n\n" + "\n".join(lines)
    text = text.replace("*** SUBJECT HERE ***", csubject.strip())
    text = text.replace("*** BLURB HERE ***", blurb.rstrip("\n"))
    cover.write_text(text)
    if ident == PLACEHOLDER:
        print(f"linmap: no git config user.name/user.email: the series says "
              f"'{PLACEHOLDER[0]} <{PLACEHOLDER[1]}>'; set them and run make patches again",
              file=sys.stderr)
    print(out)


# --- checks ------------------------------------------------------------------

class Results:
    def __init__(self, path):
        self.path = path

    def add(self, ok, name, detail=""):
        print(f"  {'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail and not ok else ""))
        if self.path:
            with open(self.path, "a") as f:
                f.write(f"{'PASS' if ok else 'FAIL'}\t{name}\t{detail}\n".replace("\n", " ").rstrip() + "\n")


def cmd_pristine(args):
    """The pristine source as a git repository, tagged v7.3 (kept: the
    checks only move a branch)."""
    repo = Path(args.dir).resolve()
    if (repo / ".git").is_dir() and git(repo, "rev-parse", "-q", "--verify", "refs/tags/v7.3",
                                        capture_output=True, check=False).returncode == 0:
        print(repo)
        return
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    deb = Path(args.deb)
    print(f"linmap: extracting {deb.name} into {repo}", file=sys.stderr)
    run("bash", "-c", 'set -o pipefail; dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/src/linux-source-$2.tar.xz" '
        '| xz -dc -T0 | tar -x -C "$3" --strip-components=1', "-", str(deb), args.series, str(repo))
    git(repo, "init", "-q", "-b", "pristine")
    git(repo, "config", "user.name", "linmap")
    git(repo, "config", "user.email", "linmap@localhost")
    git(repo, "config", "gc.auto", "0")
    git(repo, "add", "-A", "-f", ".")
    git(repo, "commit", "-q", "-m", "v7.3 (the pinned linux-source package)")
    git(repo, "tag", "v7.3")
    print(repo)


def series_files(out):
    return sorted(p for p in Path(out).glob("*.patch") if not p.name.startswith("0000-"))


def cmd_check_am(args):
    res = Results(args.results)
    repo, out, tree = Path(args.repo), Path(args.out), Path(args.tree)
    patches = series_files(out)
    git(repo, "am", "--abort", capture_output=True, check=False)
    git(repo, "checkout", "-q", "-f", "-B", "linmap", "v7.3")
    git(repo, "clean", "-q", "-fdx", "-e", ".git")
    r = git(repo, "-c", "user.name=linmap", "-c", "user.email=linmap@localhost", "am", "-q",
            "--whitespace=error-all", *map(str, patches), capture_output=True, text=True, check=False)
    res.add(r.returncode == 0, "series.git_am", (r.stdout + r.stderr)[-300:])
    if r.returncode:
        git(repo, "am", "--abort", capture_output=True, check=False)
        return 1
    n = len(git(repo, "rev-list", "v7.3..HEAD", capture_output=True, text=True).stdout.split())
    res.add(n == len(patches), "series.git_am_commits", f"{n} commits for {len(patches)} patches")
    # The result and the workbench's tree: the same files, the same content.
    changed = set(git(repo, "diff", "--name-only", "v7.3", "HEAD", capture_output=True,
                      text=True).stdout.split())
    managed = {l.split()[0] for l in (tree / STATE / "files").read_text().splitlines()}
    diff = [p for p in sorted(changed | managed)
            if not (tree / p).exists() or not same(repo / p, tree / p)]
    res.add(changed == managed and not diff, "series.equals_workbench_tree",
            f"only in the series: {sorted(changed - managed)}, only in the tree: "
            f"{sorted(managed - changed)}, differing: {diff}")
    # checkpatch's "does MAINTAINERS need updating?" is a guess from the
    # patch alone; what it asks is checked instead: get_maintainer.pl names
    # linmap's entry for every file the series adds.
    for p in patches:
        r = run(str(repo / "scripts/checkpatch.pl"), "--strict", "-q", "--ignore", "FILE_PATH_CHANGES",
                str(p), cwd=repo, capture_output=True, text=True, check=False)
        if r.stdout:
            print(r.stdout, end="")
        res.add(r.returncode == 0, f"series.checkpatch.{p.name[:4]}", r.stdout[-300:])
    added = git(repo, "diff", "--name-only", "--diff-filter=A", "v7.3", "HEAD", capture_output=True,
                text=True).stdout.split()
    entry = "ARM64 LINEAR MAP IN RUST (LINMAP)"
    uncovered = [f for f in added if entry not in run(
        str(repo / "scripts/get_maintainer.pl"), "--no-git", "--no-git-fallback", "--subsystem",
        "--no-email", "--no-l", "--no-s", "--no-r", "--no-m", "--no-n", "-f", f, cwd=repo,
        capture_output=True, text=True, check=False).stdout]
    res.add(bool(added) and not uncovered, "series.maintainers_cover_added_files",
            f"{len(added)} added; not under '{entry}': {uncovered}")
    return 0


def cmd_check_builds(args):
    res = Results(args.results)
    repo, build = Path(args.repo), Path(args.build)
    commits = git(repo, "rev-list", "--reverse", "v7.3..linmap", capture_output=True,
                  text=True).stdout.split()
    build.mkdir(parents=True, exist_ok=True)
    kmake = ["make", "-C", str(repo), f"O={build}", *shlex.split(args.make_args)]
    log = open(args.log, "w") if args.log else subprocess.DEVNULL
    rc = 0
    for i, c in enumerate(commits, 1):
        subject = git(repo, "log", "-1", "--format=%s", c, capture_output=True, text=True).stdout.strip()
        git(repo, "checkout", "-q", c)
        start = os.times().elapsed
        # The configuration from `config`, as this commit's Kconfig takes it;
        # .config is replaced only when that differs, so that the build is
        # incremental (a new .config regenerates rustc_cfg: all Rust).
        shutil.copyfile(args.config, build / ".config.next")
        r = run(*kmake, "-s", "KCONFIG_CONFIG=.config.next", "olddefconfig", stdout=log,
                stderr=subprocess.STDOUT, check=False)
        if r.returncode == 0:
            if not (build / ".config").exists() or not same(build / ".config.next", build / ".config"):
                os.replace(build / ".config.next", build / ".config")
            r = run(*kmake, f"-j{os.cpu_count()}", *args.targets, stdout=log, stderr=subprocess.STDOUT,
                    check=False)
        secs = os.times().elapsed - start
        print(f"  {i:04d} {subject}: {'built' if r.returncode == 0 else 'FAILED'} in {secs:.0f} s")
        res.add(r.returncode == 0, f"series.build.{i:04d}", f"{subject}: make exit {r.returncode}")
        rc |= r.returncode
    git(repo, "checkout", "-q", "linmap")
    return 1 if rc else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", help="results file to append to")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sync")
    p.add_argument("tree")
    p = sub.add_parser("repo")
    p.add_argument("dir")
    p.add_argument("--tree", required=True)
    p = sub.add_parser("export")
    p.add_argument("dir")
    p = sub.add_parser("format")
    p.add_argument("out")
    p.add_argument("--tree", required=True)
    p = sub.add_parser("pristine")
    p.add_argument("dir")
    p.add_argument("--deb", required=True)
    p.add_argument("--series", required=True)
    p = sub.add_parser("check-am")
    p.add_argument("repo")
    p.add_argument("out")
    p.add_argument("tree")
    p = sub.add_parser("check-builds")
    p.add_argument("repo")
    p.add_argument("config")
    p.add_argument("build")
    p.add_argument("--log")
    p.add_argument("--targets", nargs="+", default=["Image", "modules"])
    p.add_argument("--make-args", default="", help="arguments for every make (one string)")
    args = ap.parse_args()
    return {"sync": cmd_sync, "repo": cmd_repo, "export": cmd_export, "format": cmd_format,
            "pristine": cmd_pristine, "check-am": cmd_check_am,
            "check-builds": cmd_check_builds}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
