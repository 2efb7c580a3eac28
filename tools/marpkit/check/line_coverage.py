"""Which lines of the snippet file ran, measured with coverage.py in the child.

Only files under the sandboxes are measured (in a fresh interpreter: only
the snippet file), and only the snippet file is reported: the tracer leaves
wandb and the standard library alone. No data file, no config file: nothing
is written to the sandbox or read from the user's project.
"""

from __future__ import annotations

import os

_prepared: tuple[str, object] | None = None  # (folder, Coverage) set up in the pool
_current = None  # the Coverage measuring the snippet, which its forked children inherit


def prepare(folder: str) -> None:
    """In the pool: set up one Coverage measuring whatever runs under `folder`.

    coverage.py's first start costs 40-100 ms (it walks the stack with
    `inspect` and expands sysconfig paths); done here once, each forked child
    only restarts the collector (start/stop/start is public API).
    """
    global _prepared
    try:
        import coverage

        cov = coverage.Coverage(data_file=None, include=[os.path.join(folder, "*")],
                                config_file=False, branch=False)
        cov.start()
        cov.stop()
    except Exception:  # noqa: BLE001 - each child then sets up its own
        return
    _prepared = (os.path.join(folder, ""), cov)


def current():
    return _current


def start(script: str):
    """A started coverage.Coverage, or None when coverage.py is unavailable."""
    global _current
    _current = _start(script)
    return _current


def _start(script: str):
    if _prepared is not None and script.startswith(_prepared[0]):
        try:
            _prepared[1].start()
            return _prepared[1]
        except Exception:  # noqa: BLE001
            pass
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



def merge(lines: dict | None, more: list[list[int]]) -> dict | None:
    """The script's `lines` with lines other processes ran (check/descendants.py)."""
    if lines is None or not any(more):
        return lines
    statements = set(lines.get("statements", []))
    executed = set(lines.get("executed", []))
    for ran in more:
        executed |= statements & set(ran)
    return {**lines, "executed": sorted(executed)}
