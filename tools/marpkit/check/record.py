"""The child side of observing a snippet: every W&B call it makes, as it makes it.

`install(work)` patches W&B's public entry points in the snippet's process
(forked from the pool or fresh): `wandb.init`, the `Run` (and the disabled
`NoopRun`) methods `log`, `save`, `log_artifact`, `finish`, writes to
`run.config` and `run.summary`. Each call is remembered with its call site,
the innermost frame in the snippet's working copy, so an alias (`import wandb
as wb`), a dict built elsewhere or `**kwargs` are seen like a literal.

Calls are aggregated per (what, run, file, line): a loop logging 10,000 times
is one record with counts, so the result file stays small.

Everything here leans on SDK internals that are stable but not promised
(`Run._local_step`, `Config._callback`, `CustomChart.spec`). The patches are
applied only for the wandb versions they were read against (`TESTED`); any
other version runs unobserved and the parent reports that, rather than
guessing. The same module re-applies W&B's console capture to the child's own
stdout/stderr (see `repatch_console`).
"""

from __future__ import annotations

import os
import pathlib
import sys
import threading
import traceback

# [first, last) wandb versions whose SDK these patches were checked against.
TESTED = ((0, 31), (0, 32))

_records: dict[tuple, dict] = {}
_order: list[tuple] = []
_problems: list[dict] = []
# Tables a recorded log call logged: record key -> {dotted key: table}, and the
# most rows each table held when it was logged. Rows are counted at the end
# (`calls`), once the snippet has done all it does to them.
_tables: dict[tuple, dict] = {}
_logged_rows: dict[int, int] = {}
# Run id -> its mode: `run.settings` is a deep copy of every setting (about
# 0.7 ms), and the mode is fixed at init.
_modes: dict[str | None, str | None] = {}
_state = threading.local()
_work = ""
_lock = threading.Lock()


def _version() -> tuple[int, int] | None:
    try:
        import wandb
    except Exception:  # noqa: BLE001 - no wandb: nothing to observe
        return None
    parts = str(getattr(wandb, "__version__", "")).split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def supported() -> bool:
    version = _version()
    return version is not None and TESTED[0] <= version < TESTED[1]


def _site() -> tuple[str, int] | None:
    """(file relative to the working copy, line) of the innermost snippet frame."""
    frame = sys._getframe(1)
    prefix = _work + os.sep
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(prefix) and "site-packages" not in name:
            return os.path.relpath(name, _work), frame.f_lineno
        frame = frame.f_back
    return None


def _add(op: str, run, site, **fields) -> dict | None:
    if site is None:
        return None  # W&B calling itself, not something a slide shows
    run_id = _run_id(run)
    key = (op, run_id, site[0], site[1])
    with _lock:
        record = _records.get(key)
        if record is None:
            record = {"op": op, "run": run_id, "file": site[0], "line": site[1], "count": 0}
            if run is not None:
                if run_id not in _modes:
                    _modes[run_id] = _mode(run)
                record["mode"] = _modes[run_id]
            _records[key] = record
            _order.append(key)
        record["count"] += 1
        for name, value in fields.items():
            _merge(record, name, value)
    return record


def _merge(record: dict, name: str, value) -> None:
    if name == "keys":  # key -> any non-null value seen
        keys = record.setdefault("keys", {})
        for key, has_value in value.items():
            keys[key] = keys.get(key, False) or has_value
    elif name in ("dropped", "reused"):
        record[name] = record.get(name, 0) + value
    elif name in ("charts", "files", "dropped_keys", "ignored"):
        known = record.setdefault(name, [])
        for item in value:
            if item not in known:
                known.append(item)
    else:
        record[name] = value  # the last call's value (step, exit code, ...)


def _run_id(run) -> str | None:
    try:
        return None if run is None else str(run.id)
    except Exception:  # noqa: BLE001
        return None


def _mode(run) -> str | None:
    try:
        return str(run.settings.mode)
    except Exception:  # noqa: BLE001
        return None


def _flat_keys(data, prefix: str = "") -> dict[str, bool]:
    """Dotted key -> the value is not None, as W&B stores nested dicts."""
    out: dict[str, bool] = {}
    if not hasattr(data, "items"):
        return out
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "_type" not in value:
            out.update(_flat_keys(value, name + "."))
        else:
            out[name] = value is not None and not _is_nan_only(value)
    return out


def _is_nan_only(value) -> bool:
    return isinstance(value, float) and value != value


def _charts(data, prefix: str = "") -> list[dict]:
    out = []
    if not hasattr(data, "items"):
        return out
    for key, value in data.items():
        spec = getattr(value, "spec", None)
        table = getattr(value, "table", None)
        if spec is not None and table is not None and hasattr(spec, "fields"):
            name = f"{prefix}{key}"
            table_key = f"Custom Chart Tables/{name}_table" if getattr(
                spec, "split_table", False) else f"{name}_table"
            fields = {k: v for k, v in (spec.fields or {}).items() if isinstance(v, str)}
            out.append({"key": name, "table_key": table_key,
                        "columns": [str(c) for c in getattr(table, "columns", []) or []],
                        "fields": fields})
        elif isinstance(value, dict):
            out += _charts(value, f"{prefix}{key}.")
    return out


def _tables_in(data, prefix: str = "") -> dict:
    """Dotted key -> each wandb.Table logged in `data` (found by shape: no import)."""
    out: dict = {}
    if not hasattr(data, "items"):
        return out
    for key, value in data.items():
        if hasattr(value, "add_data") and isinstance(getattr(value, "data", None), list):
            out[f"{prefix}{key}"] = value
        elif isinstance(value, dict):
            out.update(_tables_in(value, f"{prefix}{key}."))
    return out


def _config_values(data) -> dict:
    """Dotted key -> plain value (str, number, bool, None): the values that can be
    compared with the run's config JSON as they are; other objects are left out."""
    values: dict = {}
    if not hasattr(data, "items"):
        return values
    for key, value in data.items():
        if isinstance(value, dict) and value:
            values.update({f"{key}.{k}": v for k, v in _config_values(value).items()})
        elif value is None or isinstance(value, str | int | float | bool) \
                and not _is_nan_only(value):
            values[str(key)] = value
    return values


def _untraced(call, *args, **kwargs):
    """Run a W&B call with line tracing (coverage.py) paused in this thread.

    On Python < 3.12 an installed trace function puts every frame on the
    interpreter's slow path, even in files coverage does not measure: W&B's
    own work ran ~2x slower. Only the snippet's lines matter, so the tracer is
    lifted for the call (and for threads W&B starts during it) and put back.
    """
    trace = sys.gettrace()
    if trace is None:
        return call(*args, **kwargs)
    thread_trace = threading.gettrace()
    sys.settrace(None)
    threading.settrace(None)
    try:
        return call(*args, **kwargs)
    finally:
        threading.settrace(thread_trace)
        sys.settrace(trace)


def _guarded(original, observe):
    """Call `observe` before the original, only for the outermost patched call."""

    def wrapper(*args, **kwargs):
        if getattr(_state, "busy", False):
            return original(*args, **kwargs)
        _state.busy = True
        try:
            try:
                observe(*args, **kwargs)
            except Exception:  # noqa: BLE001 - observing must never break the snippet
                pass
            # What W&B calls from inside is not the slide's: not recorded, not traced.
            return _untraced(original, *args, **kwargs)
        finally:
            _state.busy = False

    wrapper.__wrapped__ = original
    wrapper.__name__ = getattr(original, "__name__", "wrapper")
    wrapper.__doc__ = getattr(original, "__doc__", None)
    return wrapper


def _on_log(run, data=None, step=None, commit=None, *args, **kwargs):
    if data is None:
        data = kwargs.get("data") or {}
    dropped = 0
    current = getattr(run, "_local_step", None)
    if step is not None and isinstance(current, int) and isinstance(step, int) \
            and step < current:
        dropped = 1  # W&B ignores a row whose step is behind the run's
    fields = {"keys": _flat_keys(data), "dropped": dropped, "charts": _charts(data)}
    if step is not None:
        fields["step"] = step
    if dropped:
        fields["behind"] = current
        fields["dropped_keys"] = [k for k in fields["keys"] if not k.startswith("_")]
    site = _site()
    record = _add("log", run, site, **fields)
    tables = _tables_in(data)
    if record is not None and tables:
        with _lock:
            _tables.setdefault((record["op"], record["run"], *site), {}).update(tables)
            for table in tables.values():
                _logged_rows[id(table)] = max(_logged_rows.get(id(table), 0), len(table.data))


def _on_save(run, glob_str=None, base_path=None, policy="live", glob=True, *args, **kwargs):
    target = glob_str if glob_str is not None else kwargs.get("glob_str")
    if target is None:
        return
    _add("save", run, _site(), files=[saved_name(target, base_path)], literal=not glob)


def saved_name(glob_str, base_path=None) -> str:
    """The name W&B registers a saved path or glob under (wandb 0.31 `Run.save`):
    the part below `base_path`; without one, a relative path as given, an
    absolute one with its last folder kept."""
    given = os.fspath(glob_str)
    if isinstance(given, bytes):
        given = given.decode("utf-8")
    path = pathlib.PurePath(os.path.abspath(given))
    if base_path is not None:
        base = os.path.abspath(os.fspath(base_path))
    elif not os.path.isabs(given):
        base = os.path.abspath(".")
    else:
        base = str(path.parent.parent)
    from marpkit.fsutil import inside

    rel = inside(path, base)
    if rel is None:  # as W&B itself: the snippet's crash says so
        raise ValueError(f"{given} is not below base_path {base}")
    return rel.as_posix()


def _on_artifact(run, artifact_or_path=None, name=None, type=None, *args, **kwargs):  # noqa: A002
    given = name or getattr(artifact_or_path, "name", None)
    # A path logged without a name gets one W&B makes up: any artifact matches it.
    _add("artifact", run, _site(), files=[str(given or artifact_or_path)], named=bool(given),
         type=type or getattr(artifact_or_path, "type", None))


def _on_finish(run, exit_code=None, *args, **kwargs):
    _add("finish", run, _site(), exit_code=exit_code)


def _config_owner(config):
    callback = object.__getattribute__(config, "_callback")
    return getattr(callback, "__self__", None)


def _on_config_item(config, key, val=None, *args, **kwargs):
    owner = _config_owner(config)
    if owner is not None:  # None: wandb.init filling the config before the run exists
        _add("config", owner, _site(), keys=_flat_keys({key: val}))


def _on_config_update(config, d=None, *args, **kwargs):
    data = d if d is not None else kwargs.get("d") or {}
    if not hasattr(data, "items"):
        data = vars(data) if hasattr(data, "__dict__") else {}
    owner = _config_owner(config)
    if owner is not None:
        _add("config", owner, _site(), keys=_flat_keys(data))


def _summary_owner(summary) -> tuple[object, str]:
    """(the run, the dotted path of this sub-dict) of a summary (sub-)dict."""
    path: list[str] = []
    while summary is not None:
        try:
            callback = object.__getattribute__(summary, "_update_callback")
            return getattr(callback, "__self__", None), ".".join(reversed(path))
        except AttributeError:
            try:
                path.append(str(object.__getattribute__(summary, "_parent_key")))
                summary = object.__getattribute__(summary, "_parent")
            except AttributeError:
                break
    return None, ""


def _on_summary(summary, d=None, *args, **kwargs):
    owner, prefix = _summary_owner(summary)
    if owner is not None:
        _add("summary", owner, _site(),
             keys=_flat_keys(d or {}, prefix + "." if prefix else ""))


def _wrap_init(original):
    def init(*args, **kwargs):
        site = _site_from_here()
        if isinstance(kwargs.get("dir"), str | os.PathLike):
            # The shared wandb-core resolves a relative dir from its own cwd, not
            # the snippet's: `python file.py` starts its core in the snippet's cwd.
            kwargs["dir"] = os.path.abspath(kwargs["dir"])
        import wandb

        # Without finish() (or reinit) W&B hands back the run already open and
        # drops this call's config: the slide's second run never exists.
        previous = getattr(wandb, "run", None)
        run = _untraced(original, *args, **kwargs)
        try:
            fields: dict = {}
            config = kwargs.get("config")
            if previous is not None and run is previous:
                fields["reused"] = 1
                if hasattr(config, "items"):
                    fields["ignored"] = [_config_values(config)]
            settings = getattr(run, "settings", None)
            sync_file = getattr(settings, "sync_file", None)
            if sync_file:
                fields["run_file"] = os.path.abspath(str(sync_file))
            if hasattr(config, "items"):
                fields["keys"] = _flat_keys(config)
            _add("init", run, site, **fields)
        except Exception:  # noqa: BLE001
            pass
        return run

    init.__wrapped__ = original
    init.__doc__ = original.__doc__
    return init


def _site_from_here():
    return _site()


def _patch_method(cls, name: str, observe) -> None:
    original = cls.__dict__.get(name)
    if original is None:
        return
    setattr(cls, name, _guarded(original, observe))


def install(work: str) -> bool:
    """Patch W&B in this process; False when the version is not one we tested."""
    global _work
    _work = os.path.abspath(work)
    _install_exception_hooks()
    if not supported():
        return False
    try:
        import wandb
        from wandb.sdk import wandb_config, wandb_init, wandb_run, wandb_summary
        from wandb.sdk.lib import noop_run
    except Exception:  # noqa: BLE001
        return False
    for cls in (wandb_run.Run, noop_run.NoopRun):
        _patch_method(cls, "log", _on_log)
        _patch_method(cls, "save", _on_save)
        _patch_method(cls, "log_artifact", _on_artifact)
        _patch_method(cls, "finish", _on_finish)
    config = wandb_config.Config
    setitem = _guarded(config.__dict__["__setitem__"], _on_config_item)
    config.__setitem__ = setitem
    config.__setattr__ = setitem
    _patch_method(config, "update", _on_config_update)
    _patch_method(config, "setdefaults", _on_config_update)
    _patch_method(wandb_summary.SummaryDict, "update", _on_summary)
    init = _wrap_init(wandb_init.init)
    wandb_init.init = init
    wandb.init = init
    if getattr(wandb, "sdk", None) is not None and hasattr(wandb.sdk, "init"):
        wandb.sdk.init = init
    return True


def repatch_console() -> None:
    """Give W&B's console capture the child's own stdout/stderr.

    wandb patches the `write` of the sys.stdout/sys.stderr objects that exist
    when it is imported (wandb/sdk/lib/console_capture.py) and never again.
    A pool child replaces those objects with streams on its output files, so
    without this `print` never reaches the run's output.log. The patch is the
    module's own `_patch`, applied to the new objects.
    """
    capture = sys.modules.get("wandb.sdk.lib.console_capture")
    patch = getattr(capture, "_patch", None) if capture else None
    if patch is None or not supported():
        return
    try:
        patch(sys.stdout, capture._stdout_callbacks)
        patch(sys.stderr, capture._stderr_callbacks)
        # Each print now runs W&B's console callbacks: untraced, like W&B's calls.
        for stream in (sys.stdout, sys.stderr):
            stream.write = _untraced_function(stream.write)
    except Exception:  # noqa: BLE001 - capture lost is what fidelity tests catch
        pass


def _untraced_function(function):
    def untraced(*args, **kwargs):
        return _untraced(function, *args, **kwargs)

    return untraced


def _snippet_line(tb) -> tuple[str, int] | None:
    prefix = _work + os.sep
    found = None
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith(prefix):
            found = (os.path.relpath(frame.filename, _work), frame.lineno)
    return found


def _install_exception_hooks() -> None:
    """Exceptions Python only prints (threads, __del__) still fail the snippet."""
    previous_thread = threading.excepthook
    previous_unraisable = sys.unraisablehook

    def thread_hook(args):
        if args.exc_type is not SystemExit:
            site = _snippet_line(args.exc_traceback)
            if site is not None:
                thread = getattr(args.thread, "name", "?")
                _problems.append({"kind": "thread", "type": args.exc_type.__name__,
                                  "message": str(args.exc_value), "file": site[0],
                                  "line": site[1], "thread": thread})
        previous_thread(args)

    def unraisable_hook(args):
        site = _snippet_line(args.exc_traceback) if args.exc_traceback else None
        if site is not None and args.exc_type is not None:
            _problems.append({"kind": "unraisable", "type": args.exc_type.__name__,
                              "message": str(args.exc_value), "file": site[0],
                              "line": site[1], "thread": None})
        previous_unraisable(args)

    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook


def calls(timeout: float = -1) -> list[dict]:
    """The records; `timeout`: a signal handler (check/descendants.py) may have
    interrupted this very thread inside `_add`, holding the lock."""
    locked = _lock.acquire(timeout=timeout)
    try:
        for key, tables in _tables.items():
            # The rows each table holds now, against the most it held when logged:
            # W&B serialises a table when it is logged, later rows never reach it.
            _records[key]["tables"] = [
                {"key": name, "logged": _logged_rows.get(id(table), 0), "rows": len(table.data)}
                for name, table in tables.items()]
        return [_records[key] for key in list(_order)]
    finally:
        if locked:
            _lock.release()


def problems() -> list[dict]:
    return list(_problems)


def forget() -> None:
    """In a forked child: the parent reports what it recorded before the fork."""
    global _lock
    _lock = threading.Lock()  # another thread may have held it at fork time
    _records.clear()
    _order.clear()
    _problems.clear()
    _modes.clear()


def merge(lists: list[list[dict]]) -> list[dict]:
    """Records of several processes as one process would have aggregated them."""
    merged: dict[tuple, dict] = {}
    for records in lists:
        for record in records:
            key = (record.get("op"), record.get("run"), record.get("file"), record.get("line"))
            into = merged.get(key)
            if into is None:
                merged[key] = dict(record)
                continue
            into["count"] = into.get("count", 0) + record.get("count", 0)
            for name, value in record.items():
                if name not in ("op", "run", "file", "line", "count", "mode"):
                    _merge(into, name, value)
    return list(merged.values())
