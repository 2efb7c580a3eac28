"""Live preview speed: from a save to the new text being served.

Plain baseline: `marp --server` on the slides folder, the deck itself edited.
marpkit: `marpkit serve`, the snippet a fence shows edited (marpkit expands
it into the preview Marp serves). Both are timed from the write until an HTTP
GET of the deck's page returns the new text (the page's own reload follows
Marp's file watcher, the same in both). Targets: <= 1 s, and <= 1.5 times
the plain baseline measured in this run (the floor: re-expanding one fence,
then Marp re-rendering the deck as for plain). A presenter reads a save's
findings before the next save: each marpkit round starts once serve has
printed the previous save's findings (its lint done), as plain Marp's rounds
start with nothing left running. Run from the project root:

    .venv/bin/python bench/bench_serve.py
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 9
DECK = """---
marp: true
---

# Live

```python snippet=m/demo.py#show
print("marker-0")
```
"""
SNIPPET = """import os
# region show
print("marker-0")
# endregion
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, name: str) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{name}", timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_for(port: int, name: str, text: str, limit: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if text in fetch(port, name):
            return time.monotonic() - started
        time.sleep(0.01)
    raise RuntimeError(f"{text!r} was not served within {limit:.0f}s")


class Reports:
    """Counts marpkit serve's reports ("…: preview updated in N ms, K finding(s)")."""

    def __init__(self, stream):
        self.count = 0
        self.changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            if b"preview updated" in line:
                with self.changed:
                    self.count += 1
                    self.changed.notify_all()

    def wait(self, count: int, limit: float = 60.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.count >= count, limit):
                raise RuntimeError(f"marpkit serve printed {self.count} report(s), not {count}")


def latencies(cmd: list[str], cwd: Path, port: int, edit, reports: bool = False) -> list[float]:
    """Start a server, then time ROUNDS edits until each is served. With
    `reports`, each round waits for the previous save's report (the first:
    the start-up's)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, "PORT": str(port)},  # Marp's port
                            stdout=subprocess.PIPE if reports else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    printed = Reports(proc.stdout) if reports else None
    try:
        wait_for(port, "01-m.md", "marker-0", limit=60)
        times = []
        for n in range(1, ROUNDS + 1):
            if printed:
                printed.wait(n)
            time.sleep(0.3)  # a presenter does not save twice in the same instant
            started = time.monotonic()
            edit(n)
            wait_for(port, "01-m.md", f"marker-{n}")
            times.append(time.monotonic() - started)
        return times
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> list[dict]:
    env_marp = str(ROOT / "node_modules" / ".bin" / "marp")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("[tool.marpkit]\n", encoding="utf-8")
        (root / "node_modules").symlink_to(ROOT / "node_modules")
        (root / "slides").mkdir()
        (root / "snippets" / "m").mkdir(parents=True)
        deck = root / "slides" / "01-m.md"
        snippet = root / "snippets" / "m" / "demo.py"
        deck.write_text(DECK, encoding="utf-8")
        snippet.write_text(SNIPPET, encoding="utf-8")

        plain_dir = root / "plain"
        plain_dir.mkdir()
        plain_deck = plain_dir / "01-m.md"
        plain_deck.write_text(DECK, encoding="utf-8")
        port = free_port()
        plain = latencies([env_marp, "--server", str(plain_dir)], root, port,
                          lambda n: plain_deck.write_text(DECK.replace("marker-0", f"marker-{n}"),
                                                          encoding="utf-8"))
        port = free_port()
        ours = latencies([str(ROOT / ".venv" / "bin" / "marpkit"), "serve", "--port", str(port)],
                         root, port,
                         lambda n: snippet.write_text(SNIPPET.replace("marker-0", f"marker-{n}"),
                                                      encoding="utf-8"), reports=True)
    plain_median, ours_median = statistics.median(plain), statistics.median(ours)
    return [
        {"name": "plain marp --server: deck edited, served (median)", "value": plain_median,
         "unit": "s"},
        {"name": "marpkit serve: snippet edited, served (median)", "value": ours_median,
         "unit": "s", "target": "<= 1.0 s", "ok": ours_median <= 1.0},
        {"name": "  ratio marpkit serve / plain marp --server", "value": ours_median / plain_median,
         "unit": "x", "target": "<= 1.5", "ok": ours_median / plain_median <= 1.5},
    ]


if __name__ == "__main__":
    for row in main():
        print(row)
