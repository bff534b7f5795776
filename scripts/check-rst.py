#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse reStructuredText files with docutils; any warning or error (a
malformed table, a broken title, an unknown directive) fails, with its
line. The kernel's Sphinx build reads the same markup; plain docutils
knows no Sphinx roles, which these files do not use."""

import io
import sys

import docutils.core


def check(path):
    stream = io.StringIO()
    with open(path) as f:
        docutils.core.publish_doctree(
            f.read(), source_path=path,
            settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream})
    return stream.getvalue()


def main():
    bad = 0
    for path in sys.argv[1:]:
        out = check(path)
        print(out, end="")
        print(f"{path}: {'FAIL' if out else 'ok'}")
        bad += bool(out)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
