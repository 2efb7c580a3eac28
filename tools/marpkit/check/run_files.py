"""Reading the offline runs a snippet produced, from their .wandb transaction logs.

Two readers give the same records. In a process that has wandb imported (the
job's first process in the OS sandbox, write_runs), `_scan` reads the file's
leveldb-log framing itself (wandb 0.31 no longer ships a Python reader) and
wandb's protobuf classes decode the records, in about a millisecond. Elsewhere
(the parent, which does not import wandb) it is the `wandb-core leet inspect
--json` command shipped in the wandb wheel (0.31 has it), one JSON object per
record in ~15 ms; where that is missing, the protobuf reader again.
Either way the result is a `RunData` with only what claims need.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from marpkit import procs
from marpkit.charts.series import HistoryBuilder
from marpkit.check.job import REPORT_LIMIT
from marpkit.fsutil import read_input
from marpkit.text import split_lines

# The `_type` W&B writes for each media kind in history/summary values.
MEDIA_TYPES = {
    "table": ("table", "table-file", "partitioned-table", "joined-table"),
    "image": ("image", "image-file", "images/separated"),
    "histogram": ("histogram",),
    "html": ("html", "html-file"),
    "video": ("video", "video-file"),
    "audio": ("audio", "audio-file"),
    "plotly": ("plotly", "plotly-file"),
    "object3d": ("object3D", "object3D-file"),
    "molecule": ("molecule", "molecule-file"),
    "bokeh": ("bokeh", "bokeh-file"),
    "graph": ("graph", "graph-file"),
}


CONSOLE_LIMIT = 64 * 1024
# A run file read whole: W&B writes a 100,000-step history in a few MB; more
# than this is not a run a slide shows.
RUN_LIMIT = 1024**3


@dataclass
class RunData:
    run_id: str = ""
    path: str = ""
    config: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)  # flattened "a.b" keys, values
    history_keys: list[str] = field(default_factory=list)
    steps: int = 0  # history rows written
    files: list[str] = field(default_factory=list)  # paths registered with a files record
    # Registered and present in the run's files dir when the run was read: the
    # sandbox is gone by the time a cached execution is re-verified.
    saved: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)  # media kinds seen
    exit_code: int | None = None
    finished: bool = False
    null_keys: list[str] = field(default_factory=list)  # history keys never logged non-null
    console: str = ""  # files/output.log (W&B's console capture), capped
    artifacts: list[dict] = field(default_factory=list)  # {"name", "type", "files": count}
    name: str = ""  # the run's display name (`wandb.init(name=...)`)
    # metric -> Series.to_json() (charts/series.py): what charts and the report draw
    history: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> RunData:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def has_metric(self, key: str) -> bool:
        keys = set(self.history_keys) | set(self.summary)
        return key in keys or any(k.startswith(key + ".") for k in keys)

    def in_history(self, key: str) -> bool:
        """`key` (or, for a nested dict, a dotted sub-key) has a non-null value in history."""
        null = set(self.null_keys)
        return any((k == key or k.startswith(key + ".")) and k not in null
                   for k in self.history_keys)

    def flat_config(self) -> dict:
        """Config with nested values also under their dotted paths (`optimizer.lr`)."""
        out: dict = {}
        for key, value in self.config.items():
            out[key] = value
            if isinstance(value, dict):
                flat: dict = {}
                _flatten(key, value, flat)
                out.update(flat)
        return out


def find_run_files(wandb_dir: Path) -> list[Path]:
    """The run files under WANDB_DIR: plain files only (the snippet may leave a
    FIFO or a device under such a name, which no reader may wait on)."""
    found = []
    for folder in ("wandb", ".wandb"):
        found += sorted((wandb_dir / folder).glob("offline-run-*/run-*.wandb"))
        found += sorted((wandb_dir / folder).glob("run-*/run-*.wandb"))
    return [path for path in found if path.is_file()]


@lru_cache(maxsize=1)
def _leet() -> str | None:
    from marpkit.check.env import wandb_core

    core = wandb_core()
    if core is None:
        return None
    try:
        probe = procs.run([str(core), "leet", "inspect", "-h"], text=True, timeout=20)
        return str(core) if "-summary" in probe.stdout + probe.stderr else None
    except (OSError, subprocess.SubprocessError):
        return None


def _flatten(prefix: str, value, out: dict) -> None:
    if isinstance(value, dict) and "_type" not in value:
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    else:
        out[prefix] = value


# A reader of one file needs neither Go's threads nor its collector until
# its heap is large: 21 -> 12 ms of CPU a run here, twelve times a check.
_LEET_RUNTIME = {"GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "256MiB"}


def _records_leet(core: str, run_file: Path, env: dict | None) -> list[dict]:
    proc = procs.run(
        [core, "leet", "inspect", "--no-observability", "--json", "--run-file", str(run_file)],
        text=True, timeout=60, env={**(os.environ if env is None else env), **_LEET_RUNTIME})
    records = []
    for line in split_lines(proc.stdout):
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


_BLOCK = 32768
_FILE_HEADER = 7  # b":W&B", magic 0xBEE1, version byte
_RECORD_HEADER = 7  # crc32c (4), length (2), type (1)
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def _scan(raw: bytes):
    """Yield each record's bytes from W&B's leveldb-log framing.

    Checksums are not verified: this is a fallback reader for claims, and a
    torn tail (a killed run) simply ends the scan.
    """
    if raw[:4] != b":W&B":
        return
    pos, pending = _FILE_HEADER, b""
    while pos + _RECORD_HEADER <= len(raw):
        left = _BLOCK - pos % _BLOCK
        if left < _RECORD_HEADER:
            pos += left  # block trailer padding
            continue
        length = int.from_bytes(raw[pos + 4:pos + 6], "little")
        kind = raw[pos + 6]
        start = pos + _RECORD_HEADER
        chunk = raw[start:start + length]
        if len(chunk) < length or kind not in (_FULL, _FIRST, _MIDDLE, _LAST):
            return
        pos = start + length
        if kind == _FULL:
            yield chunk
        elif kind == _FIRST:
            pending = chunk
        elif kind == _MIDDLE:
            pending += chunk
        else:
            yield pending + chunk
            pending = b""


# Values as leet writes them, so that either reader gives the same RunData:
# Go writes an object's keys sorted, at every level; a float as its shortest
# form, which for a whole number below 1e21 has no point (1.0 is read back as
# 1); and NaN and the infinities, which JSON lacks, as the strings
# "NaN", "Infinity" and "-Infinity".
def _sorted_object(pairs: list) -> dict:
    return dict(sorted(pairs))


def _go_float(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 1e21 else value


def _values(items: list[dict]) -> dict:
    """Key-value items of a history, summary or config record as one object."""
    flat = {}
    for item in items:
        key = item.get("key") or ".".join(item.get("nested_key", []))
        try:
            flat[key] = json.loads(item.get("value_json", "null"), object_pairs_hook=_sorted_object,
                                   parse_float=_go_float, parse_constant=str)
        except json.JSONDecodeError:
            flat[key] = item.get("value_json")
    return dict(sorted(flat.items()))


def _records_python(run_file: Path) -> list[dict]:
    """The same records through wandb's Python reader, shaped like leet's JSON."""
    from google.protobuf.json_format import MessageToDict
    from wandb.proto import wandb_internal_pb2

    records = []
    for data in _scan(read_input(run_file, RUN_LIMIT)):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if not kind:
            continue
        body = MessageToDict(getattr(record, kind), preserving_proto_field_name=True)
        if kind == "history":
            body = {"item": _values(body.get("item", []))}
        elif kind == "summary":
            body = {"update": _values(body.get("update", []))}
        elif kind == "run" and "config" in body:
            body["config"] = {"update": _values(body["config"].get("update", []))}
        elif kind == "config":
            body = {"update": _values(body.get("update", []))}
        records.append({"type": kind, kind: body})
    return records


def _collapse(item: dict) -> dict:
    """Flattened keys back to one entry per logged value.

    Records hold `tbl._type`, `tbl.path`, ... for a media object and `a.b` for
    a nested dict: a media object becomes `{"tbl": {"_type": ...}}`, plain
    nesting stays dotted (the key a slide would write for it is its prefix).
    """
    flat: dict = {}
    for key, value in item.items():
        _flatten(key, value, flat)
    media = {k[: -len("._type")] for k in flat if k.endswith("._type")}
    out: dict = {}
    for key, value in flat.items():
        owner = next((m for m in media if key == m or key.startswith(m + ".")), None)
        if owner is None:
            out[key] = value
        else:
            entry = out.setdefault(owner, {})
            entry[key[len(owner) + 1:]] = value
    return out


def _media_kind(value) -> str | None:
    if not isinstance(value, dict):
        return None
    kind = value.get("_type")
    for name, types in MEDIA_TYPES.items():
        if kind in types:
            return name
    return None


def read_run(run_file: Path, env: dict | None = None, *, python: bool = False) -> RunData:
    """`python`: with wandb's protobuf classes, in a process that has them imported."""
    core = None if python else _leet()
    records = _records_leet(core, run_file, env) if core else []
    if not records:
        records = _records_python(run_file)
    data = RunData(path=str(run_file))
    history_keys: dict[str, None] = {}
    non_null: set[str] = set()
    media: dict[str, None] = {}
    series = HistoryBuilder()
    for record in records:
        kind = record.get("type")
        body = record.get(kind) or {}
        if kind == "run":
            data.run_id = body.get("run_id", data.run_id)
            data.name = body.get("display_name", data.name) or data.name
            data.config.update(_config_values(body.get("config", {})))
        elif kind == "config":
            data.config.update(_config_values(body))
        elif kind == "history":
            data.steps += 1
            item = _collapse(body.get("item") or {})
            step = item.get("_step")
            series.add(step if isinstance(step, int) else data.steps - 1, item)
            for key, value in item.items():
                if not key.startswith("_"):
                    history_keys.setdefault(key, None)
                    if value is not None:
                        non_null.add(key)
                if (found := _media_kind(value)):
                    media.setdefault(found, None)
        elif kind == "summary":
            for key, value in _collapse(body.get("update") or {}).items():
                if key.startswith("_"):
                    continue
                data.summary[key] = value
                if (found := _media_kind(value)):
                    media.setdefault(found, None)
            for key in (body.get("remove") or []):
                data.summary.pop(key if isinstance(key, str) else ".".join(key), None)
        elif kind == "files":
            for item in body.get("files") or []:
                if item.get("path"):
                    data.files.append(item["path"])
        elif kind == "exit":
            data.exit_code = int(body.get("exit_code", 0) or 0)
            data.finished = True
        elif kind == "artifact":
            manifest = body.get("manifest") or {}
            data.artifacts.append({"name": body.get("name", ""), "type": body.get("type", ""),
                                   "files": len(manifest.get("contents") or [])})
    data.history_keys = list(history_keys)
    data.null_keys = [k for k in history_keys if k not in non_null]
    data.media = list(media)
    data.history = {key: found.to_json() for key, found in series.series().items()}
    _read_files_dir(data, run_file.parent / "files")
    return data


def _read_files_dir(data: RunData, files_dir: Path) -> None:
    """The run's console log, and which of its files exist."""
    try:
        console = read_input(files_dir / "output.log", CONSOLE_LIMIT, head=True)
        data.console = console.decode("utf-8", errors="replace")
    except OSError:
        pass
    data.saved = [p for p in dict.fromkeys(data.files) if os.path.lexists(files_dir / p)]
    # What W&B writes there itself (output.log, config.yaml, ...) is in the run's files too.
    for name in _written_files(files_dir):
        if name not in data.saved:
            data.saved.append(name)


def _written_files(files_dir: Path) -> list[str]:
    out = []
    for root, _dirs, names in os.walk(files_dir):
        for name in sorted(names):
            out.append(Path(os.path.relpath(os.path.join(root, name), files_dir)).as_posix())
    return sorted(out)


def _config_values(body: dict) -> dict:
    update = body.get("update", body) if isinstance(body, dict) else {}
    out = {}
    for key, value in (update or {}).items():
        if key == "_wandb":
            continue
        if isinstance(value, dict) and set(value) == {"value"}:
            value = value["value"]  # the run record's config wraps values
        out[key] = value
    return out


def read_runs(wandb_dir: Path | None, env: dict | None = None, also: list[Path] | None = None,
              known: list[RunData] | None = None, *, python: bool = False) -> list[RunData]:
    """Runs under WANDB_DIR, plus run files found elsewhere (`wandb.init(dir=...)`).
    `known`: runs read already (write_runs), which come first and are not read again."""
    runs = list(known or [])
    seen = {os.path.realpath(run.path) for run in runs}
    found = find_run_files(wandb_dir) if wandb_dir is not None else []
    for path in found + [p for p in (also or []) if p.is_file()]:
        if (key := os.path.realpath(path)) not in seen:
            seen.add(key)
            runs.append(read_run(path, env, python=python))
    return runs


# Runs up to this size are read where the snippet ran (write_runs): more is
# left to leet, whose memory and time are not the snippet's.
SMALL_RUNS = 1024**2


def write_runs(wandb_dir: Path, out_file: Path, say: int) -> None:
    """In the OS sandbox, the job's first process, once the snippet and all it
    started are gone: its runs under WANDB_DIR, read with the protobuf classes
    the pool imported (about a millisecond a run; leet is 12 ms of CPU), as a
    JSON list of RunData in `out_file`, and its SHA-256 on the pipe `say`: the
    parent takes the file instead of reading the runs again (read_runs'
    `known`) only when that digest, which the snippet cannot write, is its
    own. Nothing is written when the runs are large or cannot be read: the
    parent reads them itself then."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out_file)  # whatever the snippet left under that name
    found = find_run_files(wandb_dir)
    if sum(path.stat().st_size for path in found) > SMALL_RUNS:
        return
    data = json.dumps([run.to_json() for run in read_runs(wandb_dir, python=True)]).encode()
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with open(fd, "wb") as fh:
        fh.write(data)
    os.write(say, hashlib.sha256(data).hexdigest().encode())


def written_runs(out_file: Path, digest: str | None) -> list[RunData] | None:
    """What write_runs left, if it is what it said (`digest`); None otherwise."""
    if not digest:
        return None
    try:
        data = read_input(out_file, REPORT_LIMIT)
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        return [RunData.from_json(item) for item in json.loads(data)]
    except (OSError, ValueError, TypeError, AttributeError):
        return None
