"""Recording in every Python process a snippet starts, not only in its own.

A snippet's W&B calls may run in other interpreters: `multiprocessing` with
the spawn or forkserver start method, `subprocess.run([sys.executable,
"worker.py"])`. Those start fresh, without what child.py installed, so a
correct distributed-logging slide would read as "never ran". Check gives
Python snippets an environment (`env`) whose PYTHONPATH holds only `boot/`;
its `sitecustomize` calls `start()` in each such interpreter: the same W&B
recording (record.py, patched once wandb is imported, so a process that never
imports it pays nothing for it) and line coverage of the snippet's working
copy. Processes forked from a recording one (multiprocessing's fork start
method, forkserver children) inherit both; `follow_forks` gives each its own
record. Every process writes what it saw to a file of its own in the job's
`out` folder when it exits, also when multiprocessing ends it (its exit hooks,
or SIGTERM from `Pool.terminate`); the parent merges them with the snippet's
own (`collect`). A process killed with SIGKILL, or leaving through
`os._exit` outside multiprocessing, is not seen.
"""

from __future__ import annotations

import json
import os
import sys

FOLDER = "procs"  # in the job's `out`: one JSON file per recording process
ENV_FOLDER = "MARPKIT_CHECK_PROCS"
ENV_WORK = "MARPKIT_CHECK_WORK"
BOOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "boot")

_folder = ""
_work = ""
_coverage = None  # this process's own coverage.Coverage (fresh interpreters)
_dumped = False
_dumping = False  # a dump is under way in this process
_dying = 0  # the signal that ends this process once its dump is written


def env(out: str, work: str) -> dict[str, str]:
    """What a Python snippet's environment gets so its child interpreters record too."""
    return {"PYTHONPATH": BOOT, ENV_FOLDER: os.path.join(out, FOLDER), ENV_WORK: work}


def start() -> None:
    """In a fresh interpreter started from a snippet (boot/sitecustomize.py)."""
    global _folder, _work, _coverage
    folder, work = os.environ.get(ENV_FOLDER), os.environ.get(ENV_WORK)
    if not folder or not work or _folder:
        return
    _folder, _work = folder, os.path.abspath(work)
    try:
        import coverage

        _coverage = coverage.Coverage(data_file=None, include=[os.path.join(_work, "*")],
                                      config_file=False, branch=False)
        # A process that runs none of the snippet's files (resource tracker,
        # `python -c`) must not print coverage.py's warnings into its output.
        _coverage.set_option("run:disable_warnings", ["no-data-collected",
                                                      "module-not-measured",
                                                      "module-not-imported"])
        _coverage.start()
    except Exception:  # noqa: BLE001 - no coverage.py: calls are still recorded
        _coverage = None
    sys.meta_path.insert(0, _WandbImport())
    import atexit

    atexit.register(dump)
    _on_sigterm()
    follow_forks()


class _WandbImport:
    """Installs the recording as soon as `import wandb` has run, not before."""

    def find_spec(self, name, path=None, target=None):
        if name != "wandb":
            return None
        sys.meta_path.remove(self)
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module):
            from marpkit.check import record

            # Importing wandb is not the slide's code: not traced (see record._untraced).
            record._untraced(original, module)
            record.install(_work)

        loader.exec_module = exec_module
        return spec


def follow_forks() -> None:
    """Give each process multiprocessing forks from this one a record of its own.

    A forked child inherits the patches, the records so far and the tracer,
    but leaves through `os._exit`: its exit hooks never run, multiprocessing's
    finalizers do.
    """
    global _folder, _work
    _folder = _folder or os.environ.get(ENV_FOLDER, "")
    _work = _work or os.path.abspath(os.environ.get(ENV_WORK, "") or ".")
    if not _folder:
        return
    try:
        from multiprocessing import util
    except Exception:  # noqa: BLE001
        return
    util.register_after_fork(_after_fork, _forked)


class _AfterFork:
    pass


_after_fork = _AfterFork()  # multiprocessing keeps after-fork hooks only while it lives


def _forked(_anchor) -> None:
    global _dumped, _dumping, _dying
    from multiprocessing import util

    from marpkit.check import record

    record.forget()  # the parent reports its own calls
    _dumped = _dumping = False
    _dying = 0
    # Run by Process._bootstrap's exit, after the run's code; priority < 0: last.
    util.Finalize(None, dump, exitpriority=-100)
    _on_sigterm()


def _on_sigterm() -> None:
    """`Pool.terminate` ends workers with SIGTERM: write the record, then die of it."""
    import signal

    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the snippet's own handler decides
        signal.signal(signal.SIGTERM, _terminated)
    except (ValueError, OSError):
        pass  # not the main thread


def _terminated(signum, frame) -> None:
    global _dying
    _dying = signum
    if not _dumping:  # else the dump under way (exit hooks racing the signal) ends first
        dump()


def _die(signum: int) -> None:
    import signal

    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _covered() -> dict[str, list[int]]:
    """Lines that ran in this process, per file of the working copy."""
    from marpkit.check import line_coverage

    cov = _coverage or line_coverage.current()
    if cov is None:
        return {}
    out: dict[str, list[int]] = {}
    try:
        cov.stop()
        data = cov.get_data()
        base = os.path.realpath(_work) + os.sep
        for name in data.measured_files():
            real = os.path.realpath(name)
            if real.startswith(base):
                out[os.path.relpath(real, base)] = sorted(data.lines(name) or [])
    except Exception:  # noqa: BLE001 - the calls are still worth reporting
        pass
    return out


def dump() -> None:
    """Write what this process recorded (once); then die of a signal that came meanwhile."""
    global _dumped, _dumping
    if not _dumped and _folder:
        _dumped = _dumping = True
        try:
            _write()
        finally:
            _dumping = False
    if _dying:
        _die(_dying)


def _write() -> None:
    from marpkit.check import record

    result = {"calls": record.calls(timeout=1), "problems": record.problems(),
              "lines": _covered()}
    if not (result["calls"] or result["problems"] or result["lines"]):
        return
    try:
        os.makedirs(_folder, exist_ok=True)
        # pid alone could repeat: a process may end and its pid be reused meanwhile.
        path = os.path.join(_folder, f"{os.getpid()}-{os.urandom(4).hex()}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(result, fh)
        os.replace(path + ".tmp", path)
    except (OSError, TypeError, ValueError):
        pass


def collect(out, result: dict, script: str) -> dict:
    """The snippet process's `result` with what every process it started recorded.

    `out` is the job's folder as this process reaches it; `script` the snippet's
    file name in its working copy (the file whose lines the claims judge).
    """
    from pathlib import Path

    from marpkit.check import line_coverage, record
    from marpkit.check.job import REPORT_LIMIT
    from marpkit.fsutil import read_input

    others = []
    for path in sorted(Path(out, FOLDER).glob("*.json")):
        try:
            others.append(json.loads(read_input(path, REPORT_LIMIT)))
        except (OSError, ValueError):
            continue
    if not others:
        return result
    merged = dict(result)
    merged["calls"] = record.merge([result.get("calls") or []]
                                   + [o.get("calls") or [] for o in others])
    merged["problems"] = list(result.get("problems") or []) + [
        p for o in others for p in o.get("problems") or []]
    merged["lines"] = line_coverage.merge(result.get("lines"), [
        (o.get("lines") or {}).get(script, []) for o in others])
    return merged
