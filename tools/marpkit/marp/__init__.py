"""Finding and running the pinned Marp CLI and the system Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from marpkit import procs
from marpkit.findings import UsageError
from marpkit.text import split_lines

INSTALL_CHROMIUM = "`apt-get install chromium-headless-shell` (or `chromium`)"
CHROMIUM_HINT = f"install it with {INSTALL_CHROMIUM}, or set CHROME_PATH to a Chrome/Chromium binary"
MARP_HINT = "run `make setup` (or `npm ci`) in the project root to install the pinned Marp CLI"
# Debian's headless shell first: the same Blink as `chromium` (one source
# package, one version) without the browser UI layer, so it starts and prints
# in a fraction of the time. It is what Playwright itself runs for headless.
_CHROME_NAMES = ("chromium-headless-shell", "chrome-headless-shell", "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable")
_WARN = re.compile(r"^\[\s*WARN\s*\]\s*(.*)$")
_ERROR = re.compile(r"^\[\s*ERROR\s*\]\s*(.*)$")
# Remote stylesheets a built-in theme imports (gaia pulls web fonts): offline
# builds drop them and fall back to local fonts.
_REMOTE_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?https?://[^;]*;""")


def headless_shell(chromium: str) -> bool:
    """Whether `chromium` is a headless shell (Debian's chromium-headless-shell,
    Chrome for Testing's chrome-headless-shell) rather than the whole browser.
    Only the shell is fit to run in one process: the whole browser's
    --single-process is a debugging mode that crashes at times."""
    return "headless-shell" in Path(chromium).name or "headless_shell" in Path(chromium).name


def find_chromium() -> str | None:
    configured = os.environ.get("CHROME_PATH")
    if configured:
        return configured if _unusable(Path(configured)) is None else None
    return _installed_chromium()


def _installed_chromium() -> str | None:
    for name in _CHROME_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _unusable(path: Path) -> str | None:
    """Why a configured browser path cannot be run, or None if it can."""
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "a directory, not a binary"
    if not os.access(path, os.X_OK):
        return "not executable"
    return None


def chromium_missing() -> str:
    """Why find_chromium() found nothing, and what to do about it.

    A CHROME_PATH that points nowhere is named with its value: it hides any
    browser that is installed, so "install one" would be the wrong advice.
    """
    configured = os.environ.get("CHROME_PATH")
    if configured and (why := _unusable(Path(configured))):
        installed = _installed_chromium()
        remedy = (f"or unset it to use {installed}" if installed
                  else f"or unset it and install one with {INSTALL_CHROMIUM}")
        return (f"CHROME_PATH={configured} points nowhere ({why}): set it to a Chrome/Chromium "
                f"binary, {remedy}")
    return f"no Chromium found: {CHROMIUM_HINT}"


def require_node() -> None:
    if shutil.which("node") is None:
        raise UsageError("Node.js is not installed: install it (e.g. `apt-get install nodejs npm`), "
                         f"then {MARP_HINT}")


def find_marp(root: Path) -> Path:
    require_node()
    marp = root / "node_modules" / "@marp-team" / "marp-cli" / "marp-cli.js"
    if not marp.is_file():
        raise UsageError(f"Marp CLI is not installed: {MARP_HINT}")
    return marp


def marp_version(root: Path) -> str:
    package = root / "node_modules" / "@marp-team" / "marp-cli" / "package.json"
    try:
        return json.loads(package.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


@dataclass
class MarpResult:
    returncode: int
    warnings: list[str]
    errors: list[str]
    output: str


PROCESS_TIMEOUT = 600.0  # seconds for one Marp CLI call, unless the caller allows more
# Runs several Marp CLI calls in one Node process (see there).
CALLS_JS = Path(__file__).resolve().parent.parent / "assets" / "marp_calls.js"


@dataclass(frozen=True)
class MarpCall:
    """One Marp CLI call for many decks: outputs land next to each input.

    `args` come from the converter (marp/converter.py): they select the
    converter (`--pdf`, `--image png`, …) and the run's options. A PDF call
    also writes the first slide of each of its `thumbnails` (some of its
    inputs) where `--image png` would, from the page it prints; an input whose
    capture failed has none."""

    inputs: tuple[Path, ...]
    args: tuple[str, ...]
    timeout: float | None = PROCESS_TIMEOUT
    thumbnails: tuple[Path, ...] = ()

    def argv(self, config: Path) -> list[str]:
        # Marp's own parallelism (5 decks at a time), not one per core: a deck's
        # browser conversion mostly waits (half a second for the network to be
        # idle, which offline it always is), and the waits overlap.
        return ["--no-stdin", "--config-file", str(config), *self.args,
                *(str(p) for p in self.inputs)]


def run_marp(root: Path, inputs: list[Path], args: list[str], config: Path, *,
             chromium: str | None = None, timeout: float | None = PROCESS_TIMEOUT) -> MarpResult:
    """One Marp CLI call (see MarpCall)."""
    return run_marp_calls(root, [MarpCall(tuple(inputs), tuple(args), timeout)], config,
                          chromium=chromium)[0]


def run_marp_calls(root: Path, calls: list[MarpCall], config: Path, *,
                   chromium: str | None = None) -> list[MarpResult]:
    """Marp CLI's calls `calls`, all at once in one Node process that starts
    the browser once (assets/marp_calls.js): a result per call, in order."""
    marp = find_marp(root)
    timeouts = [c.timeout for c in calls]
    timeout = None if None in timeouts else max(timeouts, default=PROCESS_TIMEOUT)
    # In the command's private TMPDIR (procs.command_scope), so an interrupted
    # run leaves nothing behind either.
    scratch = Path(tempfile.mkdtemp(prefix="marp-"))
    results = scratch / "results.jsonl"
    try:
        proc = procs.run(["node", str(CALLS_JS), str(marp.parent), str(results)], cwd=root,
                         env=marp_env(scratch, chromium), timeout=timeout, text=True,
                         input=json.dumps([{"args": c.argv(config),
                                            "thumbnails": [str(p) for p in c.thumbnails]}
                                           for c in calls]))
        ended = _ended_calls(results)
    except subprocess.TimeoutExpired:
        ended, proc = _ended_calls(results), None
    finally:
        procs.end_listed(scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    # Output of no call in particular (Node's own errors and warnings): shown
    # with each call that failed, where it may say why, and else once, with
    # the first call, not repeated for every deck and format.
    shared = (proc.stdout + proc.stderr) if proc else ""
    failed = [i for i in range(len(calls)) if i not in ended or ended[i][0] != 0]
    shown = set(failed) if failed else {0}
    out = []
    for index in range(len(calls)):
        if index in ended:
            code, output = ended[index]
            output = "\n".join(t for t in (output, shared if index in shown else "") if t)
        elif proc is None:
            out.append(MarpResult(124, [], [f"Marp CLI did not finish within {timeout:.0f}s"], ""))
            continue
        else:  # Node died before the call ended
            code, output = proc.returncode or 1, shared
        warnings, errors = _messages(output)
        out.append(MarpResult(code, warnings, errors, output))
    return out


def _ended_calls(results: Path) -> dict[int, tuple[int, str]]:
    """Call index -> (exit code, output) of the calls the driver saw end."""
    try:
        lines = split_lines(results.read_text(encoding="utf-8"))
    except OSError:
        return {}
    ended = {}
    for line in lines:
        try:
            entry = json.loads(line)
            ended[int(entry["call"])] = (int(entry["code"]), str(entry["output"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a killed driver
    return ended


def marp_env(scratch: Path, chromium: str | None) -> dict[str, str]:
    """The environment of a Marp CLI child: its browser offline, its HOME the
    private folder `scratch` (which the caller removes)."""
    env = dict(os.environ)
    if chromium:
        from marpkit.marp.browser import offline_launcher

        env["CHROME_PATH"] = str(offline_launcher(chromium, scratch))
    # Chromium's own sandbox cannot start as root (CI).
    env.setdefault("CHROME_NO_SANDBOX", "1")
    # Marp CLI on Linux writes each PDF conversion's whole deck to
    # $HOME/tmp-<pid>-*.html for the browser to open, and leaves it there when
    # interrupted: its HOME is a private folder. The user's fonts and font
    # configuration still count (fontconfig finds them through XDG_*).
    home = Path(os.environ.get("HOME") or Path.home())
    env.setdefault("XDG_DATA_HOME", str(home / ".local" / "share"))
    env.setdefault("XDG_CONFIG_HOME", str(home / ".config"))
    env.setdefault("XDG_CACHE_HOME", str(home / ".cache"))
    env["HOME"] = str(scratch)
    return env


def _messages(output: str) -> tuple[list[str], list[str]]:
    """Marp's [WARN]/[ERROR] messages, continuation lines folded in."""
    warnings: list[str] = []
    errors: list[str] = []
    current: list[str] | None = None
    for line in split_lines(output):
        if m := _WARN.match(line):
            warnings.append(m.group(1).strip())
            current = warnings
        elif m := _ERROR.match(line):
            errors.append(m.group(1).strip())
            current = errors
        elif line.startswith(" ") and current is not None and current:
            current[-1] += " " + line.strip()
        else:
            current = None
    return warnings, errors


def strip_remote_imports(html: str) -> str:
    return _REMOTE_IMPORT.sub("", html)
