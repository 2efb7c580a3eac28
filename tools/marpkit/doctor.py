"""Set-up check: says what is missing and the exact command that fixes it."""

from __future__ import annotations

import sys
from pathlib import Path

from marpkit import marp
from marpkit.findings import UsageError


def main() -> int:
    root = Path.cwd()
    problems = 0
    try:
        marp.find_marp(root)
        print(f"marpkit: Marp CLI {marp.marp_version(root)} ready")
    except UsageError as exc:
        print(f"marpkit: {exc}")
        problems += 1
    try:
        from marpkit.config import load_project
        from marpkit.marp.bundle import marp_bundle

        # Built now so the first rendered lint does not pay for it.
        bundle = marp_bundle(root, load_project(root).cache_dir)
        print(f"marpkit: Marp's engine bundled for rendered lint ({bundle.stat().st_size // 1024} KiB)")
    except UsageError as exc:
        print(f"marpkit: {exc}")
        problems += 1
    chromium = marp.find_chromium()
    if chromium:
        print(f"marpkit: browser {chromium}")
    else:
        # HTML still builds without a browser; PDF and rendered lint need one.
        print(f"marpkit: warning: {marp.chromium_missing()}. "
              "HTML still builds; PDF and rendered lint rules need it.")
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
