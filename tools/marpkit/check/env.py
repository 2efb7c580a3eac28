"""A snippet's own temp folder, environment and limits (the OS sandbox is sandbox.py).

Everything W&B or the snippet could write (run files, caches, artifacts, the
user's HOME and XDG folders, TMPDIR) points inside one per-snippet folder, so a
check never touches the repository or the user's real W&B setup. The
environment is built from an allow-list, so no credential reaches a snippet,
and the server URL points at a loopback port nobody listens on:
`wandb.init(mode="online")` fails within seconds instead of reaching the network.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path


def wandb_core() -> Path | None:
    """wandb's own service binary (wandb/bin/wandb-core, as wandb.util.get_core_path
    finds it), found without importing wandb; None if this wandb has none."""
    from importlib.util import find_spec

    try:
        spec = find_spec("wandb")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    core = Path(next(iter(spec.submodule_search_locations))) / "bin" / "wandb-core"
    return core if core.is_file() else None


# Names looked up in wandb/env.py and wandb/sdk/wandb_settings.py (0.31):
# `WANDB__X` maps to the private setting `x_x`.
QUIET_WANDB = {
    "WANDB_MODE": "offline",
    "WANDB_DISABLE_GIT": "true",
    "WANDB_DISABLE_CODE": "true",
    "WANDB_SAVE_CODE": "false",
    "WANDB_ERROR_REPORTING": "false",  # no Sentry, and wandb-core starts --no-observability
    "WANDB__DISABLE_STATS": "true",
    "WANDB__DISABLE_META": "true",
    "WANDB__DISABLE_MACHINE_INFO": "true",
    "WANDB__SAVE_REQUIREMENTS": "false",
    "WANDB__DISABLE_VIEWER": "true",
    # A snippet that forces mode="online" (and even sets a key) must fail in
    # about a second against the refused port, not retry for minutes.
    "WANDB_INIT_TIMEOUT": "15",
    "WANDB__GRAPHQL_RETRY_MAX": "1",  # 0 reads as "unset" (wandb's default, many retries)
    "WANDB__GRAPHQL_RETRY_WAIT_MIN_SECONDS": "0.1",
    "WANDB__GRAPHQL_RETRY_WAIT_MAX_SECONDS": "0.2",
    "WANDB__GRAPHQL_TIMEOUT_SECONDS": "5",
    "WANDB__FILE_STREAM_RETRY_MAX": "1",
    "WANDB__FILE_TRANSFER_RETRY_MAX": "1",
}

# The only variables a snippet inherits: an allow-list, so a secret under any
# name (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, ...) stays out. Everything else it
# sees is set below.
ALLOW = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "COLUMNS", "LINES", "NO_COLOR"}
ALLOW_PREFIXES = ("LC_",)

OUTPUT_LIMIT = 256 * 1024**2  # RLIMIT_FSIZE: a runaway print loop dies, not the disk


def forking() -> bool:
    """Whether snippets run in the warm pool's forks; MARPKIT_CHECK_NO_FORK=1 (or
    no fork here) runs each in a fresh interpreter instead (tests compare the two)."""
    return hasattr(os, "fork") and os.environ.get("MARPKIT_CHECK_NO_FORK") != "1"


def sharing_service() -> bool:
    """Whether the pool's children share one wandb-core (MARPKIT_CHECK_SHARED_SERVICE=0:
    each starts its own, as `python file.py` does)."""
    return os.environ.get("MARPKIT_CHECK_SHARED_SERVICE", "1") != "0"


def measuring(what: str) -> bool:
    """Whether snippets are observed with `what` ("RECORD": W&B calls, "COVERAGE":
    lines run). Off switches for bench/bench_check.py, which reports what each
    costs; read in marpkit's own environment (the snippet's has no MARPKIT_ names)."""
    return os.environ.get(f"MARPKIT_CHECK_NO_{what}") != "1"


class ClosedPort:
    """A loopback port that is bound but never listened on: connects are refused.

    Keeping it bound for the whole check stops another process from taking it.
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.sock.close()


def allowed(base: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in base.items() if k in ALLOW or k.startswith(ALLOW_PREFIXES)}


def sandbox_dirs(root: Path) -> dict[str, Path]:
    dirs = {
        "work": root / "work",
        "home": root / "home",
        "tmp": root / "tmp",
        "wandb": root / "wandb-dir",
        "cache": root / "xdg-cache",
        "config": root / "xdg-config",
        "data": root / "xdg-data",
        "state": root / "xdg-state",
        "artifacts": root / "artifacts",
    }
    return dirs


# What a snippet's copy leaves out: bytecode and runs of earlier executions.
# The pool calls it once (pool._warm_imports), so its patterns are compiled
# there and not in every child.
NOT_COPIED = shutil.ignore_patterns("__pycache__", "wandb", ".wandb")


def prepare_sandbox(root: Path, source_dir: Path) -> dict[str, Path]:
    """Create the folders and copy the snippet's folder as the working dir."""
    dirs = sandbox_dirs(root)
    shutil.copytree(source_dir, dirs["work"], symlinks=True, ignore=NOT_COPIED)
    for key, path in dirs.items():
        if key != "work":
            path.mkdir(parents=True, exist_ok=True)
    return dirs


def folder_size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


def installation_path(path: str) -> str:
    """PATH with the running installation's `bin/` first.

    `make check` runs `.venv/bin/marpkit` without an activated venv: a shell
    snippet's `wandb` (or `python`) must still be the CLI of the installation
    that runs the check, as Python snippets already use its interpreter. Not
    resolved: a venv's `bin/python` is a symlink out of the venv.
    """
    own = os.path.abspath(os.path.dirname(sys.executable)) if sys.executable else ""
    if not own:
        return path
    rest = [p for p in path.split(os.pathsep) if p and os.path.abspath(p) != own]
    return os.pathsep.join([own, *rest])


def child_env(base: dict[str, str], dirs: dict[str, Path], base_url: str,
              service: str | None = None) -> dict[str, str]:
    env = allowed(base)
    env["PATH"] = installation_path(env.get("PATH", os.defpath))
    env.update(QUIET_WANDB)
    env.update({
        "HOME": str(dirs["home"]),
        "PWD": str(dirs["work"]),
        "TMPDIR": str(dirs["tmp"]),
        "TEMP": str(dirs["tmp"]),
        "TMP": str(dirs["tmp"]),
        "XDG_CACHE_HOME": str(dirs["cache"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "XDG_DATA_HOME": str(dirs["data"]),
        "XDG_STATE_HOME": str(dirs["state"]),
        "WANDB_DIR": str(dirs["wandb"]),
        "WANDB_CACHE_DIR": str(dirs["cache"] / "wandb"),
        "WANDB_CONFIG_DIR": str(dirs["config"] / "wandb"),
        "WANDB_DATA_DIR": str(dirs["data"] / "wandb"),
        "WANDB_ARTIFACT_DIR": str(dirs["artifacts"]),
        "WANDB_BASE_URL": base_url,
        # Loopback must never go through a proxy that could forward it.
        "NO_PROXY": "*",
        "no_proxy": "*",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
    })
    if service:
        env["WANDB_SERVICE"] = service
    return env


def apply_limits(memory: int, output: int = OUTPUT_LIMIT, processes: int | None = None) -> None:
    """Called in the child just before the snippet starts: `memory` is RLIMIT_AS,
    `processes` RLIMIT_NPROC where no cgroup counts them (check/limits.py)."""
    import resource

    values = [(resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, output)]
    if processes:
        values.append((resource.RLIMIT_NPROC, processes))
    for limit, value in values:
        try:
            soft, hard = resource.getrlimit(limit)
            cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (cap, hard))
        except (ValueError, OSError):
            pass  # a platform without the limit still runs, just unbounded
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass

