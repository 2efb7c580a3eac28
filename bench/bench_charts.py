"""Charts and the check report: what they add to `make slides` and `marpkit check`.

A 6-module course, each module with a W&B snippet logging 50 steps of three
metrics, built twice in the same run: once without charts and once with one
`chart:` slide per module (drawn by `marpkit sync` from a check), both cold.
Then `marpkit check --no-cache` against the same with `--report DIR`,
interleaved, best of ROUNDS; and how long one chart of a 100,000-point run
takes to draw.

Targets (#22): build with charts <= 1.1 x without; check --report <= 1.1 x
check; a 100,000-point chart drawn well under a second.
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
DECKS = 6
ROUNDS = 3
SNIPPET = """\
import math
import wandb

# region train
run = wandb.init(project="bench", config={{"learning_rate": 0.00{n}}})
for step in range(50):
    run.log({{"train/loss": 1.0 / (step + {n}), "val/loss": 1.2 / (step + {n}),
             "accuracy": 1 - math.exp(-step / 10)}})
run.finish()
# endregion
"""


def deck(n: int, charts: bool) -> str:
    slides = [f"---\nmarp: true\npaginate: true\ntitle: Module {n}\n---\n\n# Module {n}\n",
              f"## Training\n\n```python snippet=m{n}/train.py#train\n```\n"]
    slides += [f"## Slide {s}\n\n- point one\n- point two\n" for s in range(3, 9)]
    if charts:
        slides.append(f'## Curves\n\n![h:420](charts/m{n}.svg "chart: m{n}/train.py '
                      f'train/loss val/loss accuracy")\n')
    return "\n---\n\n".join(slides)


def make_course(root: Path, charts: bool) -> None:
    (root / "slides").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.marpkit]\ntitle = 'Bench'\n")
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    for n in range(1, DECKS + 1):
        (root / "slides" / f"{n:02d}-m.md").write_text(deck(n, charts))
        (root / "snippets" / f"m{n}").mkdir(parents=True)
        (root / "snippets" / f"m{n}" / "train.py").write_text(SNIPPET.format(n=n))


def run(cmd: list[str], cwd: Path, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _draw_100k() -> tuple[float, float]:
    """(keeping 100,000 history rows as a series, as check does; drawing its chart)."""
    import math

    from marpkit.charts.series import HistoryBuilder
    from marpkit.charts.state import lines
    from marpkit.charts.svg import draw

    start = time.perf_counter()
    history = HistoryBuilder()
    for step in range(100_000):
        history.add(step, {"loss": math.sin(step / 900) + step / 50_000})
    series = history.series()["loss"]
    kept = time.perf_counter() - start
    start = time.perf_counter()
    draw(lines([series], None), "step")
    return kept, time.perf_counter() - start


def main() -> list[dict]:
    env = dict(os.environ)
    for var in ("WANDB_MODE", "WANDB_DIR", "WANDB_SILENT"):
        env.pop(var, None)
    work = Path(tempfile.mkdtemp(prefix="marpkit-bench-charts-"))
    try:
        plain, charted = work / "plain", work / "charts"
        make_course(plain, charts=False)
        make_course(charted, charts=True)
        for course in (plain, charted):
            # The first sync fills the fences; the charts wait for the check.
            subprocess.run([str(MARPKIT), "sync"], cwd=course, env=env, capture_output=True)
            run([str(MARPKIT), "check"], course, env)
        subprocess.run([str(MARPKIT), "sync"], cwd=charted, env=env, check=True,
                       capture_output=True)
        built = {course: run([str(MARPKIT), "build"], course, env) for course in (plain, charted)}
        without, with_charts = built[plain], built[charted]

        check, report = [], []
        for _ in range(ROUNDS):
            check.append(run([str(MARPKIT), "check", "--no-cache"], charted, env))
            report.append(run([str(MARPKIT), "check", "--no-cache", "--report", "report"],
                              charted, env))
        cached = min(run([str(MARPKIT), "check"], charted, env) for _ in range(ROUNDS))
        cached_report = min(run([str(MARPKIT), "check", "--report", "report"], charted, env)
                            for _ in range(ROUNDS))
        kept, draw = _draw_100k()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = with_charts / without
    report_ratio = min(report) / min(check)
    return [
        {"name": "cold build, course without charts", "value": without, "unit": "s"},
        {"name": "cold build with a chart per module / without", "value": ratio, "unit": "x",
         "target": "<= 1.1", "ok": ratio <= 1.1},
        {"name": "check --no-cache", "value": min(check), "unit": "s"},
        {"name": "check --no-cache --report / check --no-cache", "value": report_ratio,
         "unit": "x", "target": "<= 1.1", "ok": report_ratio <= 1.1},
        {"name": "cached check --report / cached check (jinja2's import)",
         "value": cached_report / cached, "unit": "x"},
        {"name": "keep a 100,000-row history as a series (in check)", "value": kept,
         "unit": "s"},
        {"name": "draw one chart of a 100,000-point run", "value": draw, "unit": "s",
         "target": "<= 0.5", "ok": draw <= 0.5},
    ]


if __name__ == "__main__":
    import sys

    for row in main():
        print(row)
    sys.exit(0)
