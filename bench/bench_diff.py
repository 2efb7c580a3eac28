"""Diff speed: `marpkit diff` on a change to one of 6 decks against plain Marp CLI
rendering that deck to PNGs twice (once per revision), and a diff where no
deck's inputs changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import MARP, MARPKIT, best, make_course, snippet, timed  # noqa: E402


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def main() -> list[dict]:
    from marpkit.marp import find_chromium

    env = dict(os.environ, CHROME_NO_SANDBOX="1", CHROME_PATH=find_chromium() or "")
    work = Path(tempfile.mkdtemp(prefix="marpkit-bench-diff-"))
    try:
        make_course(work)
        (work / ".gitignore").write_text("node_modules\nbuild/\n.marpkit-cache/\n")
        git(work, "init", "-q", "-b", "main")
        git(work, "-c", "user.email=b@example.com", "-c", "user.name=b", "add", "-A")
        git(work, "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-qm", "one")
        nothing = best([str(MARPKIT), "diff", "HEAD"], work)

        (work / "snippets" / "m3" / "code.py").write_text(snippet(3, "edited"))
        one = min(timed([str(MARPKIT), "diff", "HEAD"], work, env) for _ in range(2))
        out = work / "plain"
        out.mkdir()
        deck = sorted((work / "slides").glob("*.md"))[2]
        plain = min(sum(timed(["node", str(MARP), "--no-stdin", "--allow-local-files", "--images", "png",
                               str(deck), "-o", str(out / f"{side}.png")], work, env)
                        for side in ("old", "new")) for _ in range(2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [
        {"name": "plain marp: one deck to PNGs, twice", "value": plain, "unit": "s"},
        {"name": "marpkit diff, one of 6 decks changed", "value": one, "unit": "s"},
        {"name": "  ratio diff / plain marp twice", "value": one / plain, "unit": "x",
         "target": "<= 1.0", "ok": one / plain <= 1.0},
        {"name": "marpkit diff, no deck's inputs changed", "value": nothing, "unit": "s",
         "target": "<= 0.5 s", "ok": nothing <= 0.5},
    ]
