"""Which lines of the snippet file ran, measured with coverage.py in the child.

Only the snippet file itself is measured (`include=[script]`): the tracer
then leaves wandb, the standard library and the snippet's helpers alone, so
the cost is the snippet's own lines. No data file, no config file: nothing is
written to the sandbox or read from the user's project.
"""

from __future__ import annotations

import os


def start(script: str):
    """A started coverage.Coverage, or None when coverage.py is unavailable."""
    try:
        import coverage
    except ImportError:
        return None
    try:
        cov = coverage.Coverage(data_file=None, include=[script], config_file=False,
                                branch=False)
        cov.start()
    except Exception:  # noqa: BLE001 - no measurement beats a failed snippet
        return None
    return cov


def stop(cov, script: str) -> dict | None:
    """{"statements": [...], "executed": [...]} for the script (first lines of statements)."""
    if cov is None:
        return None
    try:
        cov.stop()
        _name, statements, _excluded, missing, _text = cov.analysis2(script)
    except Exception:  # noqa: BLE001
        return None
    missing_set = set(missing)
    return {"statements": sorted(statements),
            "executed": sorted(n for n in statements if n not in missing_set)}


def warm() -> None:
    """Pay once, in the pool, for what every child's first `start` would recompute.

    coverage.py's start walks the stack with `inspect` (whose module cache then
    covers everything wandb imported) and reads sysconfig: done before the
    fork, each child inherits the filled caches (measured: ~60 -> ~30 ms a child).
    """
    cov = start(os.devnull)
    if cov is not None:
        try:
            cov.stop()
        except Exception:  # noqa: BLE001
            pass
