"""The child side: turn a (forked or fresh) process into one snippet's run.

`exec_job` never returns. It is called either in a child forked from the warm
pool (wandb already imported) or in a fresh `python -m marpkit.check.child
JOB.json` process when fork is unavailable; both paths behave the same, so the
fallback is tested by the same assertions.

A Python snippet runs as a whole program: `__name__ == "__main__"`, `sys.argv`
and `sys.path[0]` as `python file.py` would set them, non-daemon threads are
joined and atexit handlers (wandb finishes its run there) run before exit.
"""

from __future__ import annotations

# Everything a child needs is imported here, not in the functions: the pool
# imports this module before it forks, so no child imports (or, without a
# bytecode cache, compiles) any of it again.
import atexit
import errno
import json
import multiprocessing.util  # noqa: F401 - descendants.follow_forks imports it
import os
import pkgutil  # noqa: F401 - runpy.run_path imports it
import resource  # noqa: F401 - env.apply_limits imports it
import runpy
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from marpkit.check import descendants, line_coverage, record
from marpkit.check.env import apply_limits, folder_size, prepare_sandbox
from marpkit.check.job import Job
from marpkit.check.limits import join, size_text


def _redirect(job: Job) -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, job.stdout), (2, job.stderr)):
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, fd)
        os.close(out)
    # The streams inherited from the pool are block-buffered pipes; the snippet
    # gets fresh line-buffered ones on the files, as a terminal run would.
    sys.stdin = sys.__stdin__ = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = sys.__stdout__ = open(1, "w", buffering=1, encoding="utf-8",  # noqa: SIM115
                                        errors="backslashreplace", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, encoding="utf-8",  # noqa: SIM115
                                        errors="backslashreplace", closefd=False)


def _hook_wandb_warnings(script: str, events: list) -> None:
    """Remember which snippet line was running when W&B printed a warning.

    stderr only has the text; the stack at the moment of the warning has the
    line. Warnings printed from wandb's own threads have no snippet frame and
    are reported without one.
    """
    try:
        import logging

        from wandb.errors import term
    except Exception:  # noqa: BLE001 - wandb absent or changed: warnings still come from stderr
        return
    original = term._log

    def _log(string="", *args, level=logging.INFO, **kwargs):
        if level == logging.WARNING:
            line = None
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_filename == script:
                    line = frame.f_lineno
                    break
                frame = frame.f_back
            events.append({"message": str(string), "line": line})
        return original(string, *args, level=level, **kwargs)

    term._log = _log


def _fresh_media_tmp() -> None:
    """Give this child its own wandb media temp dir.

    wandb creates one TemporaryDirectory at import (wandb/sdk/data_types/
    _private.py) and removes it at exit. Imported once in the pool, it would be
    shared by every child and deleted by the first one to exit, breaking
    `wandb.Image` & co. in the others. The object is repointed (not replaced)
    because the media modules imported it by name.
    """
    private = sys.modules.get("wandb.sdk.data_types._private")
    media = getattr(private, "MEDIA_TMP", None) if private else None
    if media is None:
        return
    fresh = tempfile.TemporaryDirectory("wandb-media")
    private._marpkit_media_tmp = fresh  # its finalizer removes the dir once it is collected
    media._finalizer.detach()
    media.name, media._finalizer = fresh.name, fresh._finalizer


def _frames(tb) -> list[list]:
    return [[f.filename, f.lineno, f.name] for f in traceback.extract_tb(tb)]


def exec_job(job: Job, session_started: bool = False) -> None:
    code = 70  # EX_SOFTWARE, if anything below fails before the snippet runs
    try:
        # The pool's handlers kill every snippet it runs; a snippet gets Python's own.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if not session_started:
            os.setpgid(0, 0)  # one group: a timeout kills the snippet and its children
        _redirect(job)
        if job.source:
            problem = _prepare(job)
            if problem is not None:
                with open(job.result, "w", encoding="utf-8") as fh:
                    json.dump(problem, fh)
                return
        os.environ.clear()
        os.environ.update(job.env)
        os.chdir(job.cwd)
        tempfile.tempdir = None  # the pool may have cached its own TMPDIR
        apply_limits(job.memory, job.output, job.nproc)
        if job.kind == "shell":
            os.execvpe("bash", ["bash", job.script], job.env)
        code = _run_python(job)
    except BaseException:  # noqa: BLE001 - the child must always reach os._exit
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)


def _prepare(job: Job) -> dict | None:
    """Copy the snippet's folder into its sandbox; why not, if it cannot."""
    try:
        prepare_sandbox(Path(job.root), Path(job.source))
    except (OSError, shutil.Error) as exc:
        if getattr(exc, "errno", None) == errno.ENOSPC or "[Errno 28]" in str(exc):
            return {"over_quota": f"needs more than its disk quota of {size_text(job.disk)} "
                                  f"for a copy of its folder "
                                  f"({size_text(folder_size(Path(job.source)))}); raise it with "
                                  f"the header `disk:`"}
        return {"exception": {"type": type(exc).__name__, "frames": [],
                              "message": f"its folder could not be copied: {exc}"}}
    return None


def _run_python(job: Job) -> int:
    script = job.script
    events: list = []
    _fresh_media_tmp()
    _hook_wandb_warnings(script, events)
    record.repatch_console()
    observed = job.record and record.install(job.cwd)
    descendants.follow_forks()  # processes multiprocessing forks record too
    sys.argv = [script]
    sys.path[0] = os.path.dirname(script)
    result: dict = {"exception": None}
    lines = line_coverage.start(script) if job.coverage else None
    try:
        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:  # noqa: BLE001 - report whatever the snippet raised
        kind, value, tb = sys.exc_info()
        result["exception"] = {
            "type": kind.__name__,
            "message": str(value),
            "frames": _frames(tb),
        }
        # Through sys.excepthook, as the interpreter would: wandb hooks it to
        # record exit code 1 on the run it is about to finish.
        sys.excepthook(kind, value, tb)
        code = 1
    try:
        threading._shutdown()  # the interpreter joins non-daemon threads before atexit
    except BaseException:  # noqa: BLE001
        pass
    try:
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    _finish_open_runs(code)
    result["lines"] = line_coverage.stop(lines, script)
    result["exit_code"] = code
    result["warnings"] = events
    result["observed"] = observed
    result["calls"] = record.calls()
    result["problems"] = record.problems()
    with open(job.result, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return code


def _finish_open_runs(code: int) -> None:
    """Finish runs the snippet left open, with its exit code.

    `python file.py` gets this from wandb's atexit service teardown; a child
    of the pool shares a service it does not own, so that hook is not
    registered and must be replayed here, run by run (a teardown request
    would stop the shared service).
    """
    setup = sys.modules.get("wandb.sdk.wandb_setup")
    singleton = getattr(setup, "_singleton", None) if setup else None
    if singleton is None:
        return
    for run in list(getattr(singleton, "_active_runs", [])):
        try:
            run.finish(exit_code=code)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()


def _exit_code(value) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        job = Job.from_json(json.load(fh))
    join(job.cgroups)  # no user namespace here: no RLIMIT_NPROC fallback
    exec_job(job, session_started=True)  # the parent started us with start_new_session


if __name__ == "__main__":
    main()
