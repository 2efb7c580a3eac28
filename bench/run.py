"""`make bench`: every benchmark, each measured against its plain baseline in the same run.

Benchmarks live in bench_*.py modules with a `main() -> list[dict]` returning
rows {"name", "value", "unit", "target"?, "ok"?}; this prints them and exits 1
if a target is missed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    import compileall

    # marpkit as `make setup` leaves it: compiled (an editable install is not,
    # and where PYTHONDONTWRITEBYTECODE is set every run would compile it again).
    compileall.compile_dir(HERE.parent / "tools" / "marpkit", quiet=1)
    only = set(argv)
    missed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        print(f"== {path.stem}", flush=True)
        for row in load(path).main():
            target = f"  (target {row['target']})" if row.get("target") else ""
            verdict = "" if "ok" not in row else ("  ok" if row["ok"] else "  MISSED")
            print(f"  {row['name']:<58} {row['value']:>9.3f} {row['unit']}{target}{verdict}",
                  flush=True)
            if row.get("ok") is False:
                missed.append(row["name"])
    if missed:
        print(f"targets missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
