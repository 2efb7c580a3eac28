"""What one snippet may use: processes, memory and disk, and how that is enforced.

The defaults below are far above what a course snippet needs (measured on the
course's own snippets, torch included: see docs/check.md) and far below what
would hurt the machine. A snippet's header (`memory:`, `processes:`, `disk:`)
may raise a limit, but only up to the ceiling the project sets in
`[tool.marpkit.check]` (`max_memory`, `max_processes`, `max_disk`): the
header is written by whoever wrote the snippet, the ceiling by the course.

Enforcement is per snippet, not per process, where this process may create
cgroups (as root, which CI is): one cgroup per check, one per snippet under
it with a process limit and a memory limit without swap; the snippet's child
joins its cgroup before anything of the snippet runs, and whatever is left in
it when the snippet ends is killed. Both layouts are handled: cgroup v2 (one
unified hierarchy) and v1 (separate `memory` and `pids` hierarchies, as in
many containers). Where no cgroup can be made the fallback is per process:
RLIMIT_NPROC, which the kernel counts per user namespace, so per snippet in
the sandbox (but root is exempt from it), and RLIMIT_AS.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from marpkit.text import split_lines

MiB = 1024**2
GiB = 1024**3


@dataclass(frozen=True)
class Limits:
    memory: int  # bytes, all its processes together (its RAM-backed disk comes on top)
    processes: int  # processes and threads at once
    disk: int  # bytes it may write in all, its folder's copy included


DEFAULTS = Limits(memory=2 * GiB, processes=512, disk=256 * MiB)
CEILINGS = Limits(memory=8 * GiB, processes=4096, disk=4 * GiB)
# The header key of each limit and the [tool.marpkit.check] key of its ceiling.
HEADER_KEYS = ("memory", "processes", "disk")
CONFIG_KEYS = {"memory": "max_memory", "processes": "max_processes", "disk": "max_disk"}
# Virtual memory per process, as a guard where the cgroup is missing: wandb-core's
# Go runtime and torch map far more than they use, so never below this.
ADDRESS_SPACE = 4 * GiB


def size_text(size: int) -> str:
    if size >= GiB and size % GiB == 0:
        return f"{size // GiB} GiB"
    return f"{size / MiB:.0f} MiB" if size >= MiB else f"{size / MiB:.1f} MiB"


def value_text(name: str, value: int) -> str:
    return str(value) if name == "processes" else size_text(value)


def project_ceiling(section: dict) -> Limits:
    """The project's ceilings from its `[tool.marpkit.check]` table (validated by config)."""
    from marpkit.config import parse_size

    values = {}
    for name in HEADER_KEYS:
        raw = section.get(CONFIG_KEYS[name])
        if raw is None:
            values[name] = getattr(CEILINGS, name)
        else:
            values[name] = int(raw) if name == "processes" else parse_size(raw)
    return Limits(**values)


def above_ceiling(name: str, value: int, ceiling: Limits) -> str | None:
    """Why a header's `name: value` is refused, or None."""
    top = getattr(ceiling, name)
    if value <= top:
        return None
    return (f"{name}: {value_text(name, value)} is above the project's ceiling of "
            f"{value_text(name, top)} (`{CONFIG_KEYS[name]}` in [tool.marpkit.check] "
            f"of pyproject.toml)")


def resolve(header, ceiling: Limits) -> Limits:
    """A snippet's limits: its header's (already held to the ceiling) or the defaults,
    which a project with a lower ceiling lowers too."""
    values = {}
    for name in HEADER_KEYS:
        own = getattr(header, name, None)
        values[name] = own if own is not None else min(getattr(DEFAULTS, name),
                                                       getattr(ceiling, name))
    return Limits(**values)


def raise_hint(name: str, limits: Limits, ceiling: Limits) -> str:
    """How a snippet that hit limit `name` may get more, if it may."""
    top = getattr(ceiling, name)
    if getattr(limits, name) >= top:
        return (f"the project's ceiling; a course may raise it with `{CONFIG_KEYS[name]}` "
                f"in [tool.marpkit.check]")
    return f"raise it with the header `{name}:` up to the project's ceiling of " \
           f"{value_text(name, top)}"


def hit_message(name: str, limits: Limits, ceiling: Limits) -> str:
    """MK303's text for a snippet that went over its process or memory limit."""
    what = {"memory": "memory limit", "processes": "process limit"}[name]
    value = value_text(name, getattr(limits, name))
    if name == "processes":
        value += " processes and threads at once"
    return f"snippet hit its {what} ({value}; {raise_hint(name, limits, ceiling)})"


# ----- cgroups, created by marpkit's own process --------------------------------------

CONTROLLERS = ("memory", "pids")
PREFIX = "marpkit-check-"


def _write(path: Path, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _counter(text: str, key: str) -> int:
    for line in split_lines(text):
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def _mounts() -> dict[str, Path]:
    """Where each hierarchy is mounted: "" for v2, the controller's name for v1."""
    found: dict[str, Path] = {}
    try:
        lines = split_lines(Path("/proc/self/mountinfo").read_text())
    except OSError:
        return found
    for line in lines:
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3 or fields[3] != "/":
            continue  # a bind of part of a hierarchy: our path in it is not known
        point = Path(fields[4].replace("\\040", " "))
        if tail[0] == "cgroup2":
            found.setdefault("", point)
        elif tail[0] == "cgroup":
            for option in tail[2].split(","):
                if option in CONTROLLERS:
                    found.setdefault(option, point)
    return found


def _own() -> dict[str, str]:
    """This process's cgroup in each hierarchy, as /proc/self/cgroup names it."""
    own: dict[str, str] = {}
    try:
        lines = split_lines(Path("/proc/self/cgroup").read_text())
    except OSError:
        return own
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for name in (parts[1].split(",") if parts[1] else [""]):
            own[name] = parts[2]
    return own


def _upwards(point: Path, path: str):
    here = point / path.lstrip("/")
    while True:
        yield here
        if here == point:
            return
        here = here.parent


def _clear_stale(parent: Path) -> None:
    """Empty check cgroups a killed marpkit left behind (their processes are gone)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(PREFIX):
            continue
        pid = name[len(PREFIX):].split("-")[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            for sub in sorted(Path(parent, name).glob("*/"), reverse=True):
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
            try:
                os.rmdir(parent / name)
            except OSError:
                pass


class Cgroups:
    """One cgroup per check under the nearest cgroup this process may write, and one
    per snippet under that (per hierarchy: one in v2, `memory` and `pids` in v1)."""

    def __init__(self, version: int, tops: dict[str, Path]):
        self.version = version
        self.tops = tops  # "" (v2) or controller name (v1) -> the check's cgroup
        self.made: dict[str, list[Path]] = {}

    @classmethod
    def create(cls) -> tuple[Cgroups | None, str | None]:
        """The check's cgroups, or None and why not."""
        if os.environ.get("MARPKIT_CHECK_NO_CGROUP") == "1":
            return None, "MARPKIT_CHECK_NO_CGROUP=1"
        mounts, own = _mounts(), _own()
        name = f"{PREFIX}{os.getpid()}-{os.urandom(3).hex()}"
        if "" in mounts and "" in own:
            # The nearest cgroup, ours or above, whose children get both controllers.
            for parent in _upwards(mounts[""], own[""]):
                enabled = set(_read(parent / "cgroup.subtree_control").split())
                if set(CONTROLLERS) <= enabled and os.access(parent, os.W_OK):
                    _clear_stale(parent)
                    top = parent / name
                    try:
                        top.mkdir()
                        _write(top / "cgroup.subtree_control", "+memory +pids")
                    except OSError as exc:
                        _remove(top)
                        return None, f"cgroup v2 at {parent}: {exc.strerror or exc}"
                    return cls(2, {"": top}), None
        tops: dict[str, Path] = {}
        for controller in CONTROLLERS:
            if controller not in mounts or controller not in own:
                break
            for parent in _upwards(mounts[controller], own[controller]):
                if os.access(parent, os.W_OK) and (parent / "cgroup.procs").exists():
                    _clear_stale(parent)
                    try:
                        (parent / name).mkdir()
                    except OSError:
                        continue
                    tops[controller] = parent / name
                    break
        if len(tops) == len(CONTROLLERS):
            return cls(1, tops), None
        for top in tops.values():
            _remove(top)
        return None, "no writable cgroup with the memory and pids controllers"

    @property
    def binds(self) -> list[str]:
        """Folders the sandboxed pool must be able to write (its children join there)."""
        return [str(top) for top in self.tops.values()]

    def make(self, ident: str, limits: Limits) -> list[str]:
        """The snippet's cgroup(s), limits set; [] if they cannot be made (the child
        then falls back to rlimits)."""
        # Its disk is a tmpfs, RAM charged to whoever writes it: the snippet.
        memory = str(limits.memory + limits.disk)
        dirs = [top / ident for top in self.tops.values()]
        try:
            for folder in dirs:
                folder.mkdir()
            if self.version == 2:
                [folder] = dirs
                _write(folder / "pids.max", str(limits.processes))
                _write(folder / "memory.max", memory)
                for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                    if (folder / name).exists():
                        _write(folder / name, value)
            else:
                _write(self.tops["pids"] / ident / "pids.max", str(limits.processes))
                folder = self.tops["memory"] / ident
                _write(folder / "memory.limit_in_bytes", memory)
                if (folder / "memory.memsw.limit_in_bytes").exists():
                    _write(folder / "memory.memsw.limit_in_bytes", memory)
        except OSError:
            for folder in dirs:
                _remove(folder)
            return []
        self.made[ident] = dirs
        return [str(folder) for folder in dirs]

    def hit(self, ident: str) -> str | None:
        """Which limit the snippet went over: "memory", "processes" or None."""
        if ident not in self.made:
            return None
        if self.version == 2:
            folder = self.tops[""] / ident
            oom, pids = folder / "memory.events", folder / "pids.events"
        else:
            oom = self.tops["memory"] / ident / "memory.oom_control"
            pids = self.tops["pids"] / ident / "pids.events"
        if _counter(_read(oom), "oom_kill"):
            return "memory"
        if _counter(_read(pids), "max"):
            return "processes"
        return None

    def remove(self, ident: str) -> None:
        """Kill what the snippet left (a `setsid` daemon outside the sandbox) and remove
        its cgroup(s)."""
        for folder in self.made.pop(ident, []):
            _remove(folder)

    def close(self) -> None:
        for ident in list(self.made):
            self.remove(ident)
        for top in self.tops.values():
            _remove(top)


def _remove(folder: Path) -> None:
    """rmdir, once whatever is still in the cgroup is dead (a second at most)."""
    kill = folder / "cgroup.kill"
    deadline = time.monotonic() + 1.0
    while True:
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return  # left for the next check's _clear_stale
        if kill.exists():
            try:
                _write(kill, "1")
            except OSError:
                pass
        else:
            for pid in _read(folder / "cgroup.procs").split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        time.sleep(0.01)


# ----- in the snippet's child --------------------------------------------------------

def join(cgroups: list[str]) -> bool:
    """Move this process into its snippet's cgroup(s); False if it cannot (then the
    rlimits are the only limits)."""
    if not cgroups:
        return False
    try:
        for folder in cgroups:
            fd = os.open(os.path.join(folder, "cgroup.procs"), os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)
    except OSError:
        return False
    return True
