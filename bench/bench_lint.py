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
    from marpkit.lint.render import chrome_path, marp_command
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
        del marp_command
    return marp_s, lint_s


def main() -> int:
    ok = True
    if CORPUS.is_dir():
        wall, n, found = static_corpus()
        ok &= wall <= 1.0
        print(f"static lint, {n} corpus decks: {wall:.3f} s wall ({found} findings) "
              f"[target <= 1.0 s: {'ok' if wall <= 1.0 else 'SLOW'}]")
    else:
        print(f"skipped static corpus bench: {CORPUS} is absent")
    deck = Path(sys.argv[1]) if len(sys.argv) > 1 else SEED
    if deck.is_file():
        marp_s, lint_s = rendered(deck)
        ratio = lint_s / marp_s
        ok &= ratio <= 1.5
        print(f"rendered lint of {deck.name}: {lint_s:.3f} s; Marp CLI alone: {marp_s:.3f} s; "
              f"ratio {ratio:.2f} [target <= 1.5: {'ok' if ratio <= 1.5 else 'SLOW'}]")
    else:
        print(f"skipped rendered bench: {deck} is absent")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
