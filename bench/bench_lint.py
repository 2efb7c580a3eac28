"""Lint speed: static lint of the corpus, and rendered lint against Marp CLI itself.

Targets: static lint of ../shared/corpus/decks <= 1 s wall; rendered lint of
a deck <= 1.5x the time Marp CLI takes to render the same deck to HTML,
measured in this run. Run from the project root:

    .venv/bin/python bench/bench_lint.py [DECK]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "decks"
SEED = ROOT.parent / "shared" / "seed" / "05-wandb-tracking.original.md"


def best_of(n: int, func) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def static_corpus() -> tuple[float, int, int]:
    """Wall time of a fresh `marpkit lint --no-render` process over the corpus."""
    decks = sorted(CORPUS.glob("*.md"))
    cmd = [sys.executable, "-m", "marpkit", "lint", "--no-render", "--format", "json",
           *map(str, decks)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    import json
    return wall, len(decks), len(json.loads(proc.stdout))


def rendered(deck: Path) -> tuple[float, float]:
    from marpkit.config import load_project
    from marpkit.lint import engine
    from marpkit.lint.render import chrome_path
    from marpkit.lint.settings import load_settings

    project = load_project(ROOT)
    settings = load_settings({})
    env = {**os.environ, "CHROME_PATH": chrome_path()}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "deck.html"
        plain = [str(ROOT / "node_modules/.bin/marp"), "--html", "--allow-local-files",
                 str(deck), "-o", str(out)]

        def marp():
            subprocess.run(plain, cwd=ROOT, env=env, capture_output=True, check=True)

        def lint():
            engine.run(project, settings, [deck], render=True)

        marp()  # warm the file cache for both
        lint()
        marp_s = best_of(3, marp)
        lint_s = best_of(3, lint)
    return marp_s, lint_s


def main(deck: Path | None = None) -> list[dict]:
    rows = []
    if CORPUS.is_dir():
        wall, n, found = static_corpus()
        rows.append({"name": f"static lint, {n} corpus decks ({found} findings)", "value": wall,
                     "unit": "s", "target": "<= 1.0 s", "ok": wall <= 1.0})
    else:
        print(f"  skipped static corpus bench: {CORPUS} is absent")
    deck = deck or SEED
    if deck.is_file():
        marp_s, lint_s = rendered(deck)
        rows += [
            {"name": f"Marp CLI alone, {deck.name} to HTML", "value": marp_s, "unit": "s"},
            {"name": "rendered lint of the same deck", "value": lint_s, "unit": "s"},
            {"name": "  ratio rendered lint / Marp CLI", "value": lint_s / marp_s, "unit": "x",
             "target": "<= 1.5", "ok": lint_s / marp_s <= 1.5},
        ]
    else:
        print(f"  skipped rendered bench: {deck} is absent")
    return rows


if __name__ == "__main__":
    for row in main(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(row)
