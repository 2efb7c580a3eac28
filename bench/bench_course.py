"""A course's whole CI against plain Marp CLI, and how build and lint grow with the course.

* whole CI, cold (a fresh checkout: no build/, no cache): `marpkit lint
  --render`, `marpkit check`, `marpkit build`, one after another, against
  plain Marp CLI converting the same decks to HTML and then to PDF, measured
  in this run. Target <= 1.6x.
* scaling: a 20-deck and a 60-deck course (generated here, as bench_build's
  course), each built cold and linted (static and rendered rules): the time
  per deck at 60 decks may be at most 1.2x that at 20, else cost grows worse
  than linearly with the course.

Run from the project root: .venv/bin/python bench/bench_course.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import DECKS, MARP, MARPKIT, make_course, timed  # noqa: E402

SCALES = (20, 60)
LINEAR = 1.2  # per-deck time at the larger course / at the smaller one


def browser_env() -> dict[str, str]:
    from marpkit.marp import find_chromium

    # Plain Marp gets the browser marpkit picks, so the ratios measure marpkit, not the browser.
    return dict(os.environ, CHROME_NO_SANDBOX="1", CHROME_PATH=find_chromium() or "")


def plain_marp(root: Path, env: dict[str, str]) -> float:
    """Plain Marp CLI: every deck of the course to HTML, then to PDF."""
    out = root / "plain"
    return sum(timed(["node", str(MARP), "--no-stdin", "--allow-local-files", *args,
                      "-I", str(root / "slides"), "-o", str(out)], root, env)
               for args in ([], ["--pdf"]))


def course(root: Path, decks: int) -> None:
    """bench_build's course, its fences in sync with their snippets as in a working course."""
    make_course(root, decks)
    timed([str(MARPKIT), "sync"], root)


def whole_ci(decks: int, env: dict[str, str]) -> tuple[float, float, dict[str, float]]:
    """(plain Marp, marpkit's CI, marpkit's CI step by step) for a fresh course."""
    with tempfile.TemporaryDirectory(prefix="marpkit-bench-") as tmp:
        root = Path(tmp)
        course(root, decks)
        plain = plain_marp(root, env)
        steps = {name: timed([str(MARPKIT), *cmd], root, env, ok=(0, 1)) for name, cmd in
                 (("lint --render", ["lint", "--render"]), ("check", ["check"]),
                  ("build", ["build"]))}
    return plain, sum(steps.values()), steps


def scaled(decks: int, env: dict[str, str]) -> dict[str, float]:
    """Cold build and lint (static and rendered rules) of a fresh `decks`-deck course."""
    with tempfile.TemporaryDirectory(prefix="marpkit-bench-") as tmp:
        root = Path(tmp)
        course(root, decks)
        # The engine bundle is built once per project, whatever its size: not part of the growth.
        timed([str(MARPKIT), "lint", "--render", "slides/01-m.md"], root, env, ok=(0, 1))
        lint = timed([str(MARPKIT), "lint", "--render"], root, env, ok=(0, 1))
        shutil.rmtree(root / "build", ignore_errors=True)
        build = timed([str(MARPKIT), "build"], root, env)
    return {"build": build, "lint": lint}


def main() -> list[dict]:
    env = browser_env()
    # The best of two fresh courses, each side: one sample swung the ratio by a tenth.
    runs = [whole_ci(DECKS, env) for _ in range(2)]
    plain = min(r[0] for r in runs)
    _, ci, steps = min(runs, key=lambda r: r[1])
    rows = [
        {"name": f"plain marp: {DECKS}-deck course to HTML + PDF", "value": plain, "unit": "s"},
        {"name": "course CI, cold: lint --render, check, build", "value": ci, "unit": "s"},
        *({"name": f"  {name}", "value": took, "unit": "s"} for name, took in steps.items()),
        {"name": "  ratio course CI / plain marp", "value": ci / plain, "unit": "x",
         "target": "<= 1.6", "ok": ci / plain <= 1.6},
    ]
    small, large = SCALES
    at = {n: scaled(n, env) for n in SCALES}
    for what, label in (("build", "build, cold"), ("lint", "lint, static + rendered")):
        for n in SCALES:
            rows.append({"name": f"{label}, {n} decks, per deck", "value": at[n][what] / n,
                         "unit": "s"})
        growth = (at[large][what] / large) / (at[small][what] / small)
        rows.append({"name": f"  {what} per deck, {large} / {small} decks (linear: ~1)",
                     "value": growth, "unit": "x", "target": f"<= {LINEAR}",
                     "ok": growth <= LINEAR})
    return rows


if __name__ == "__main__":
    missed = False
    for row in main():
        print(row)
        missed |= row.get("ok") is False
    sys.exit(1 if missed else 0)
