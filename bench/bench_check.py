"""Benchmark `marpkit check` against running the same snippets by hand.

Generates 12 small W&B snippets in a temp project, then times:

* baseline: each file run one after another as `WANDB_MODE=offline python file.py`;
* cold:     `marpkit check --no-cache` (warm pool, shared wandb-core, parallel);
* cached:   `marpkit check` again with nothing changed.

Targets: cold <= 0.25 x baseline, cached <= 0.5 s wall. Exits 1 if missed.
Run with `make bench` or `.venv/bin/python bench/bench_check.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

COUNT = 12
SNIPPET = """\
import wandb

# region train
run = wandb.init(project="bench", config={{"learning_rate": 0.00{n}, "epochs": 3}})
for step in range(5):
    run.log({{"train/loss": 1.0 / (step + {n}), "step": step}})
print("finished", {n})
run.finish()
# endregion
"""


def make_project(root: Path) -> None:
    (root / "slides").mkdir()
    (root / "pyproject.toml").write_text("[tool.marpkit]\n")
    deck = ["---", "marp: true", "---", ""]
    for n in range(1, COUNT + 1):
        folder = root / "snippets" / f"s{n:02d}"
        folder.mkdir(parents=True)
        (folder / "train.py").write_text(SNIPPET.format(n=n))
        if n > 1:
            deck += ["---", ""]
        deck += [f"# Snippet {n}", "", f"```python snippet=s{n:02d}/train.py#train", "```", ""]
    (root / "slides" / "bench.md").write_text("\n".join(deck))


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, file=sys.stderr)
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return elapsed


def main() -> int:
    python = sys.executable
    marpkit = str(Path(python).with_name("marpkit"))
    root = Path(tempfile.mkdtemp(prefix="marpkit-bench-"))
    try:
        make_project(root)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
        env["WANDB_MODE"] = "offline"
        baseline = 0.0
        for n in range(1, COUNT + 1):
            folder = root / "snippets" / f"s{n:02d}"
            baseline += timed([python, "train.py"], folder, env)
        for folder in (root / "snippets").iterdir():
            shutil.rmtree(folder / "wandb", ignore_errors=True)
        cold = timed([marpkit, "check", "--no-cache"], root)
        cached = min(timed([marpkit, "check"], root) for _ in range(3))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratio = cold / baseline
    print(textwrap.dedent(f"""\
        marpkit check, {COUNT} snippets, {os.cpu_count()} CPU(s)
          sequential `python file.py`: {baseline:6.2f} s
          check --no-cache (cold):     {cold:6.2f} s  ratio {ratio:.3f} (target <= 0.25)
          check (all cached):          {cached:6.2f} s  (target <= 0.5 s)"""))
    ok = ratio <= 0.25 and cached <= 0.5
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
