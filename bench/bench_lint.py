"""Lint speed: static lint of the corpus, and rendered lint against Marp CLI itself.

Targets: static lint of ../shared/corpus/decks <= 1 s wall; `marpkit lint` of
a deck (a fresh process, rendered rules included) <= 1.0x the time a fresh
Marp CLI process takes to render the same deck to HTML, and of a 20-deck
course <= 1.2x Marp CLI converting those 20 decks, measured in this run. Run
from the project root:

    .venv/bin/python bench/bench_lint.py [DECK]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "decks"
SEED = ROOT.parent / "shared" / "seed" / "05-wandb-tracking.original.md"
# One render of the deck is the floor: lint's rendered rules measure that render.
ONE_DECK = 1.0


def timings(n: int, func) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def course_project(root: Path, decks: dict[str, str]) -> Path:
    """A course in `root` with this repository's settings, themes and snippets, and
    `decks` (name -> text) as its slides: marpkit lints the decks of a course's slides/."""
    (root / "slides").mkdir(parents=True)
    for name, text in decks.items():
        (root / "slides" / name).write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    for shared in ("node_modules", "themes", "snippets"):
        (root / shared).symlink_to(ROOT / shared)
    return root


def static_corpus() -> tuple[float, int, int]:
    """Wall time of a fresh `marpkit lint --no-render` process over the corpus."""
    decks = sorted(CORPUS.glob("*.md"))
    # The corpus decks come from unrelated courses: the rules that hold decks
    # to one course (MK6) would only compare strangers.
    cmd = [sys.executable, "-m", "marpkit", "lint", "--no-render", "--format", "json",
           "--ignore", "MK6"]
    with tempfile.TemporaryDirectory() as tmp:
        root = course_project(Path(tmp), {d.name: d.read_text(encoding="utf-8") for d in decks})
        # Once first, as in a working copy: snippet region markers are cached
        # in the project's cache folder, which a fresh course does not have yet.
        subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        wall = time.perf_counter() - start
    import json
    return wall, len(decks), len(json.loads(proc.stdout))


def rendered(deck: Path, runs: int = 7) -> dict[str, float]:
    """Median wall times, interleaved so that both sides see the same machine:
    a fresh `marp DECK -o x.html` process, a fresh `marpkit lint DECK` process
    (every rule, rendered ones included), and the lint run in-process."""
    from marpkit.config import load_project
    from marpkit.lint import engine
    from marpkit.lint.render import chrome_path
    from marpkit.lint.settings import load_settings

    env = {**os.environ, "CHROME_PATH": chrome_path()}
    with tempfile.TemporaryDirectory() as tmp:
        root = course_project(Path(tmp) / "course", {deck.name: deck.read_text(encoding="utf-8")})
        deck = root / "slides" / deck.name
        project = load_project(root)
        settings = load_settings(project.section("lint"))
        out = Path(tmp) / "deck.html"
        plain = [str(ROOT / "node_modules/.bin/marp"), str(deck), "-o", str(out)]
        cli = [str(ROOT / ".venv/bin/marpkit"), "lint", str(deck)]

        def marp():
            subprocess.run(plain, cwd=root, env=env, capture_output=True, check=True)

        def lint_process():
            proc = subprocess.run(cli, cwd=root, capture_output=True)
            if proc.returncode not in (0, 1):
                raise RuntimeError(proc.stderr.decode())

        def lint_in_process():
            engine.run(project, settings, [deck], render=True)

        for func in (marp, lint_process, lint_in_process):
            func()  # warm the file cache and the bundled engine
        samples: dict[str, list[float]] = {"marp": [], "lint": [], "lint_in_process": []}
        for _ in range(runs):
            samples["marp"] += timings(1, marp)
            samples["lint"] += timings(1, lint_process)
            samples["lint_in_process"] += timings(1, lint_in_process)
    return {key: statistics.median(values) for key, values in samples.items()}


def course(deck: Path, decks: int = 20, runs: int = 3) -> dict[str, float]:
    """Median wall times for a course of `decks` decks (copies of `deck`): one
    fresh `marp -I slides -o out` process against one fresh `marpkit lint`."""
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "slides").mkdir()
        (root / "pyproject.toml").write_text("[tool.marpkit]\n", encoding="utf-8")
        (root / "node_modules").symlink_to(ROOT / "node_modules")
        text = deck.read_text(encoding="utf-8")
        for n in range(1, decks + 1):
            (root / "slides" / f"{n:02d}-module.md").write_text(text, encoding="utf-8")
        from marpkit.lint.render import chrome_path

        env["CHROME_PATH"] = chrome_path()
        plain = [str(ROOT / "node_modules/.bin/marp"), "-I", "slides", "-o", str(root / "out")]
        cli = [str(ROOT / ".venv/bin/marpkit"), "lint"]

        def marp():
            subprocess.run(plain, cwd=root, env=env, capture_output=True, check=True)

        def lint_process():
            proc = subprocess.run(cli, cwd=root, capture_output=True)
            if proc.returncode not in (0, 1):
                raise RuntimeError(proc.stderr.decode())

        marp()
        lint_process()  # builds the engine bundle in this project's cache
        samples: dict[str, list[float]] = {"marp": [], "lint": []}
        for _ in range(runs):
            samples["marp"] += timings(1, marp)
            samples["lint"] += timings(1, lint_process)
    return {key: statistics.median(values) for key, values in samples.items()}


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
        t = rendered(deck)
        ratio = t["lint"] / t["marp"]
        rows += [
            {"name": f"Marp CLI alone, {deck.name} to HTML (median)", "value": t["marp"], "unit": "s"},
            {"name": "`marpkit lint` of the same deck, all rules (median)", "value": t["lint"],
             "unit": "s"},
            {"name": "  ratio marpkit lint / Marp CLI", "value": ratio, "unit": "x",
             "target": f"<= {ONE_DECK}", "ok": ratio <= ONE_DECK},
            {"name": "  (same lint in-process, no interpreter start-up)",
             "value": t["lint_in_process"], "unit": "s"},
        ]
        c = course(deck)
        ratio = c["lint"] / c["marp"]
        rows += [
            {"name": "Marp CLI alone, 20-deck course to HTML (median)", "value": c["marp"],
             "unit": "s"},
            {"name": "`marpkit lint` of the same course, all rules (median)", "value": c["lint"],
             "unit": "s"},
            {"name": "  ratio marpkit lint / Marp CLI, 20 decks", "value": ratio, "unit": "x",
             "target": "<= 1.2", "ok": ratio <= 1.2},
        ]
    else:
        print(f"  skipped rendered bench: {deck} is absent")
    return rows


if __name__ == "__main__":
    for row in main(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(row)
