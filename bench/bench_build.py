"""Build speed: plain Marp CLI vs marpkit build, cold, no-op and after one snippet edit.

Targets: a cold build (HTML + PDF + thumbnails + index) <= 1.05x plain Marp CLI
converting the same decks to HTML and then to PDF, measured in this run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARPKIT = ROOT / ".venv" / "bin" / "marpkit"
MARP = ROOT / "node_modules" / "@marp-team" / "marp-cli" / "marp-cli.js"
DECKS = 6
# Marp's own conversions are the floor; thumbnails and index come on top.
COLD = 1.05
ROUNDS = 2


def deck(n: int) -> str:
    slides = [f"---\nmarp: true\npaginate: true\ntitle: Module {n}\n---\n\n# Module {n}\n"]
    for s in range(2, 11):
        slides.append(f"## Slide {s}\n\n- point one\n- point two\n\n"
                      f"```python snippet=m{n}/code.py#r{s % 3}\n```\n")
    return "\n---\n\n".join(slides)


def snippet(n: int, tag: str = "") -> str:
    return "".join(f"# region r{r}\nprint('module {n} region {r} {tag}')\n# endregion\n"
                   for r in range(3))


def make_course(root: Path, decks: int = DECKS) -> None:
    """A course of `decks` ten-slide decks, each showing three regions of its own snippet."""
    (root / "slides").mkdir()
    (root / "pyproject.toml").write_text("[tool.marpkit]\ntitle = 'Bench'\n")
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    for n in range(1, decks + 1):
        (root / "slides" / f"{n:02d}-m.md").write_text(deck(n))
        (root / "snippets" / f"m{n}").mkdir(parents=True)
        (root / "snippets" / f"m{n}" / "code.py").write_text(snippet(n))


def timed(cmd: list[str], cwd: Path, env=None, ok=(0,)) -> float:
    """Wall time of `cmd`, which must exit with a status in `ok`."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return took


def best(cmd, cwd, runs=3, env=None) -> float:
    return min(timed(cmd, cwd, env) for _ in range(runs))


def main() -> list[dict]:
    from marpkit.marp import find_chromium

    # Plain Marp gets the browser marpkit picks, so the ratios measure marpkit, not the browser.
    env = dict(os.environ, CHROME_NO_SANDBOX="1", CHROME_PATH=find_chromium() or "")
    work = Path(tempfile.mkdtemp(prefix="marpkit-bench-"))
    try:
        make_course(work)
        decks = [str(p) for p in sorted((work / "slides").glob("*.md"))]
        out = work / "plain"
        out.mkdir()
        # Each side the best of ROUNDS, taken in turns: one sample of a
        # five-second run on a shared machine swung the ratio by a tenth.
        plains, colds = [], []
        for _ in range(ROUNDS):
            plains.append(sum(timed(["node", str(MARP), "--no-stdin", "--allow-local-files",
                                     *args, "-I", str(work / "slides"), "-o", str(out)], work, env)
                              for args in ([], ["--pdf"])))
            shutil.rmtree(work / "build", ignore_errors=True)
            colds.append(timed([str(MARPKIT), "build"], work, env))
        plain_all, cold = min(plains), min(colds)
        noop = best([str(MARPKIT), "build"], work)
        # The same cold build with every deck's handout too.
        shutil.rmtree(work / "build")
        handouts = timed([str(MARPKIT), "build", "--format", "html", "--format", "pdf",
                          "--format", "handout"], work, env)

        (work / "snippets" / "m3" / "code.py").write_text(snippet(3, "edited"))
        one_edit = timed([str(MARPKIT), "build"], work, env)
        one_alone = min(timed([str(MARPKIT), "build", decks[2], "--force"], work, env)
                        for _ in range(2))

        # The real project: a no-op `make slides` after a build.
        subprocess.run(["make", "-s", "slides"], cwd=ROOT, capture_output=True)
        make_noop = best(["make", "-s", "slides"], ROOT)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [
        {"name": f"plain marp: {DECKS} decks to HTML + PDF", "value": plain_all, "unit": "s"},
        {"name": "marpkit build, cold (HTML + PDF + thumbnails + index)", "value": cold, "unit": "s"},
        {"name": "  ratio cold / plain marp", "value": cold / plain_all, "unit": "x",
         "target": f"<= {COLD}", "ok": cold / plain_all <= COLD},
        {"name": "marpkit build, cold, with handouts", "value": handouts, "unit": "s"},
        {"name": "  ratio cold with handouts / cold without", "value": handouts / cold, "unit": "x",
         "target": "<= 1.25", "ok": handouts / cold <= 1.25},
        {"name": "marpkit build, nothing changed", "value": noop, "unit": "s",
         "target": "<= 0.5 s", "ok": noop <= 0.5},
        {"name": "  ratio no-op / plain marp", "value": noop / plain_all, "unit": "x"},
        {"name": "make slides, nothing changed (this repo)", "value": make_noop, "unit": "s",
         "target": "<= 0.5 s", "ok": make_noop <= 0.5},
        {"name": "rebuild after editing one snippet", "value": one_edit, "unit": "s"},
        {"name": "build that one deck alone", "value": one_alone, "unit": "s"},
        {"name": "  ratio one-snippet rebuild / one deck alone", "value": one_edit / one_alone,
         "unit": "x", "target": "<= 1.3", "ok": one_edit / one_alone <= 1.3},
        {"name": "  ratio one-snippet rebuild / plain marp (all decks)",
         "value": one_edit / plain_all, "unit": "x"},
    ]
