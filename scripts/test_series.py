# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/series.py on a small repository and tree of its own."""

import contextlib
import io
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

import series

V73_C = "int a;\nint b;\nint c;\n"
PATCH1 = """Subject: arm64: mm: Add the thing

Why it is added.

More.
---
 a.c | 1 +
 1 file changed, 1 insertion(+)

diff --git a/a.c b/a.c
--- a/a.c
+++ b/a.c
@@ -1,3 +1,4 @@
 int a;
+int thing;
 int b;
 int c;
"""
# Changes a file patch 1 adds from the repository.
PATCH2 = """Subject: arm64: mm: Test-only knob

Test only.
---
diff --git a/dir/new.h b/dir/new.h
--- a/dir/new.h
+++ b/dir/new.h
@@ -1,1 +1,2 @@
 #define NEW 1
+#define KNOB 1
"""


class SeriesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        base = Path(self.tmp.name)
        self.root, self.tree = base / "repo", base / "tree"
        (self.root / "patches").mkdir(parents=True)
        (self.root / "new.h").write_text("#define NEW 1\n")
        (self.root / "tool.sh").write_text("#!/bin/sh\n")
        os.chmod(self.root / "tool.sh", 0o755)
        (self.root / "patches/0001-add.patch").write_text(PATCH1)
        (self.root / "patches/0002-knob.patch").write_text(PATCH2)
        self.write_series(True)
        self.tree.mkdir()
        (self.tree / "a.c").write_text(V73_C)
        (self.tree / "other.c").write_text("untouched\n")
        self.saved = series.ROOT, series.PATCHES
        series.ROOT, series.PATCHES = self.root, self.root / "patches"

    def tearDown(self):
        series.ROOT, series.PATCHES = self.saved
        self.tmp.cleanup()

    def write_series(self, with_knob):
        text = "# comment\n0001-add.patch\n\tdir/ new.h tool.sh\n"
        if with_knob:
            text += "[test only]\n0002-knob.patch\n"
        (self.root / "patches/series").write_text(text)

    def sync(self):
        with contextlib.redirect_stdout(io.StringIO()):
            series.cmd_sync(type("A", (), {"tree": str(self.tree)}))

    def test_sync_gives_the_series_and_keeps_v73(self):
        self.sync()
        self.assertIn("int thing;", (self.tree / "a.c").read_text())
        self.assertEqual((self.tree / "dir/new.h").read_text(), "#define NEW 1\n#define KNOB 1\n")
        self.assertTrue(os.access(self.tree / "dir/tool.sh", os.X_OK))
        self.assertEqual((self.tree / ".linmap/pristine/a.c").read_text(), V73_C)
        self.assertEqual((self.tree / "other.c").read_text(), "untouched\n")

    def test_sync_again_writes_nothing(self):
        self.sync()
        os.utime(self.tree / "a.c", (1, 1))
        os.utime(self.tree / "dir/new.h", (1, 1))
        self.sync()
        self.assertEqual(os.stat(self.tree / "a.c").st_mtime, 1)
        self.assertEqual(os.stat(self.tree / "dir/new.h").st_mtime, 1)

    def test_a_changed_file_is_rewritten_alone(self):
        self.sync()
        os.utime(self.tree / "a.c", (1, 1))
        (self.root / "new.h").write_text("#define NEW 2\n")
        with self.assertRaises(SystemExit):  # patch 2's context is gone
            self.sync()
        self.write_series(False)
        self.sync()
        self.assertEqual((self.tree / "dir/new.h").read_text(), "#define NEW 2\n")
        self.assertEqual(os.stat(self.tree / "a.c").st_mtime, 1)

    def test_a_dropped_patch_restores_v73(self):
        self.sync()
        (self.root / "patches/series").write_text("")
        self.sync()
        self.assertEqual((self.tree / "a.c").read_text(), V73_C)
        self.assertFalse((self.tree / "dir").exists())
        self.assertEqual((self.tree / ".linmap/files").read_text(), "")

    def test_series_names_what_exists(self):
        (self.root / "patches/series").write_text("0001-add.patch\n\tdir/ nothing*.h\n")
        with self.assertRaises(SystemExit):
            series.read_series()
        (self.root / "patches/series").write_text("0003-missing.patch\n")
        with self.assertRaises(SystemExit):
            series.read_series()

    def test_repo_and_export_round_trip(self):
        self.sync()
        before = {p.name: p.read_text() for p in (self.root / "patches").glob("0*.patch")}
        repo = Path(self.tmp.name) / "git"
        patches = series.make_repo(repo, self.tree, ("A U Thor", "author@example.org"))
        self.assertEqual([p.test_only for p in patches], [False, True])
        log = subprocess.run(["git", "-C", str(repo), "log", "--format=%s|%an|%(trailers:key=Signed-off-by,valueonly)",
                              "v7.3-files..linmap"], capture_output=True, text=True, check=True).stdout
        self.assertIn("arm64: mm: Add the thing|A U Thor|A U Thor <author@example.org>", log)
        with contextlib.redirect_stdout(io.StringIO()):
            series.cmd_export(type("A", (), {"dir": str(repo)}))
        after = {p.name: p.read_text() for p in (self.root / "patches").glob("0*.patch")}
        for name in before:
            self.assertEqual(series.Patch(name, False).diff_paths(),
                             ["a.c"] if name.startswith("0001") else ["dir/new.h"])
            self.assertEqual(after[name].split("\n---\n")[0], before[name].split("\n---\n")[0])
        # The exported series gives the same tree.
        self.sync()
        self.assertEqual((self.tree / "dir/new.h").read_text(), "#define NEW 1\n#define KNOB 1\n")


if __name__ == "__main__":
    unittest.main()
