"""The sandbox a snippet runs in: its own temp folder, environment and limits.

Everything W&B or the snippet could write (run files, caches, artifacts, the
user's HOME and XDG folders, TMPDIR) points inside one per-snippet folder, so a
check never touches the repository or the user's real W&B setup. The API key
is removed and the server URL points at a loopback port nobody listens on:
`wandb.init(mode="online")` fails within seconds instead of reaching the network.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

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

# Removed from the inherited environment: credentials, and anything that would
# attach the snippet to some other run, sweep or service.
DROP_PREFIXES = ("WANDB_",)
DROP = {"NETRC", "PYTHONSTARTUP", "PYTHONINSPECT"}
PROXY = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}

MEMORY_LIMIT = 4 * 1024**3  # RLIMIT_AS: generous, wandb-core's Go runtime maps a lot
OUTPUT_LIMIT = 256 * 1024**2  # RLIMIT_FSIZE: a runaway print loop dies, not the disk


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


def prepare_sandbox(root: Path, source_dir: Path) -> dict[str, Path]:
    """Create the folders and copy the snippet's folder as the working dir."""
    dirs = sandbox_dirs(root)
    shutil.copytree(source_dir, dirs["work"], symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "wandb", ".wandb"))
    for key, path in dirs.items():
        if key != "work":
            path.mkdir(parents=True, exist_ok=True)
    return dirs


def child_env(base: dict[str, str], dirs: dict[str, Path], base_url: str,
              service: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in base.items()
           if not k.startswith(DROP_PREFIXES) and not k.startswith("XDG_")
           and k not in DROP and k not in PROXY}
    env.update(QUIET_WANDB)
    env.update({
        "HOME": str(dirs["home"]),
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


def apply_limits(memory: int = MEMORY_LIMIT, output: int = OUTPUT_LIMIT) -> None:
    """Called in the child just before the snippet starts."""
    import resource

    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, output)):
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

