"""Live preview speed: from a save to the new text being served.

Plain baseline: `marp --server` on the slides folder, the deck itself edited.
marpkit: `marpkit serve`, the snippet a fence shows edited (marpkit expands
it into the preview Marp serves). Both are timed as an open page sees it:
from the write until Marp's file watcher tells the page to reload (over its
WebSocket, as Marp's page script listens) and the page's GET returns the new
text. (Polling GETs instead kept Marp converting the old text when marpkit's
new preview landed, which counted a stale conversion against marpkit only.)
Targets: <= 1 s, and <= 1.5 times the plain baseline measured in this run
(the floor: re-expanding one fence, then Marp's reload as for plain). The
two servers' rounds alternate, so that a busy moment of the machine falls on
both. A presenter reads a save's findings before the next save: each marpkit
round ends once serve has printed that save's findings (its lint done), so
each round of either server starts with nothing left running. Run from the
project root:

    .venv/bin/python bench/bench_serve.py
"""

from __future__ import annotations

import base64
import json
import os
import re
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
ROUNDS = 15
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


class Reloads:
    """The page's side of Marp's file watcher: a WebSocket client that receives
    "reload" (RFC 6455, text frames from the server, which never masks them)."""

    def __init__(self, port: int, path: str):
        self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"Marp's watcher refused the WebSocket: {head[:80]!r}")

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("Marp's watcher closed the WebSocket")
        return data

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def message(self) -> str:
        """The next text message (pings and other frames skipped)."""
        while True:
            first, second = self._take(2)
            size = second & 0x7F
            if size >= 126:
                size = int.from_bytes(self._take(2 if size == 126 else 8), "big")
            payload = self._take(size)
            if first & 0x0F == 1:
                return payload.decode("utf-8", "replace")

    def drain(self) -> None:
        """Drop what came before now (reloads of earlier saves)."""
        self.sock.setblocking(False)
        try:
            while True:
                self.buffer += self.sock.recv(65536)
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(30)
        while self.buffer:
            self.message()

    def close(self) -> None:
        self.sock.close()


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


class Server:
    """A preview server under test, and how a round edits what it serves."""

    def __init__(self, cmd: list[str], cwd: Path, port: int, edit, reports: bool = False):
        self.port, self.edit = port, edit
        self.proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, "PORT": str(port)},  # Marp's
                                     stdout=subprocess.PIPE if reports else subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        self.printed = Reports(self.proc.stdout) if reports else None
        self.reloads = None
        try:
            # Before the next server starts: Marp's reload notifier takes the first
            # free port from a fixed one, and two starting at once take the same.
            wait_for(port, "01-m.md", "marker-0", limit=60)
            # Marp's server takes the page's WebSocket on its own port, at this path.
            path = re.search(r'__marpCliWatchWS=("/[^"]+")', fetch(port, "01-m.md"))
            if path is None:
                raise RuntimeError("the page has no reload WebSocket (is Marp watching?)")
            self.reloads = Reloads(port, json.loads(path.group(1)))
        except BaseException:
            self.stop()
            raise

    def round(self, n: int) -> float:
        """Edit n, timed until served; then, with reports, until its lint is done
        (the first round also waits for the start-up's)."""
        if self.printed and n == 1:
            self.printed.wait(1)
        time.sleep(0.3)  # a presenter does not save twice in the same instant
        self.reloads.drain()
        started = time.monotonic()
        self.edit(n)
        while self.reloads.message() != "reload":
            pass
        wait_for(self.port, "01-m.md", f"marker-{n}")
        took = time.monotonic() - started
        if self.printed:
            self.printed.wait(n + 1)
        return took

    def stop(self) -> None:
        if self.reloads is not None:
            self.reloads.close()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def latencies(servers: list[Server]) -> list[list[float]]:
    """ROUNDS edits on each server, their rounds taken in turn (so that a busier
    moment of the machine falls on both alike), each with nothing else running."""
    try:
        times: list[list[float]] = [[] for _ in servers]
        for n in range(1, ROUNDS + 1):
            for server, took in zip(servers, times, strict=True):
                took.append(server.round(n))
        return times
    finally:
        for server in servers:
            server.stop()


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
        servers = [Server([env_marp, "--server", str(plain_dir)], root, free_port(),
                          lambda n: plain_deck.write_text(DECK.replace("marker-0", f"marker-{n}"),
                                                          encoding="utf-8"))]
        try:
            port = free_port()
            servers.append(Server(
                [str(ROOT / ".venv" / "bin" / "marpkit"), "serve", "--port", str(port)], root, port,
                lambda n: snippet.write_text(SNIPPET.replace("marker-0", f"marker-{n}"),
                                             encoding="utf-8"), reports=True))
        except BaseException:
            servers[0].stop()
            raise
        plain, ours = latencies(servers)
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
