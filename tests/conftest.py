from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The hint on every skip for a module only the course's snippets need.
# The console script of the venv running the tests: commands run as users run them.
MARPKIT = Path(sys.executable).with_name("marpkit")
SNIPPETS_EXTRA = "install the snippets extra: .venv/bin/pip install -e '.[snippets]'"


def shared_path(*parts: str) -> Path:
    """A file from ../shared, or skip: a user's clone does not have it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only beside the project in CI and dev sessions)")
    return path


def needs_marp():
    if not (ROOT / "node_modules" / "@marp-team" / "marp-cli").is_dir():
        pytest.skip("Marp CLI not installed: run `make setup`")


def needs_chromium():
    from marpkit.marp import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium: apt-get install chromium")


@pytest.fixture
def no_browser(tmp_path, monkeypatch):
    """A machine without Chromium: PATH holds node and nothing else, CHROME_PATH unset."""
    node = shutil.which("node")
    bin_dir = tmp_path / "only-node"
    bin_dir.mkdir()
    if node:
        (bin_dir / "node").symlink_to(node)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("CHROME_PATH", raising=False)
    from marpkit.marp import find_chromium

    assert find_chromium() is None


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty course project in tmp_path (cwd), able to run the real Marp CLI."""
    (tmp_path / "slides").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.marpkit]\n")
    if (ROOT / "node_modules").is_dir():
        (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def run_cli(capsys):
    """Run marpkit in-process; returns (exit code, stdout, stderr)."""
    from marpkit.cli import main

    def run(*args: str):
        with pytest.raises(SystemExit) as exc:
            main(list(args))
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    return run


__all__ = ["ROOT", "SHARED", "SNIPPETS_EXTRA", "shared_path", "needs_marp", "needs_chromium", "write", "shutil"]


@pytest.fixture(scope="module")
def browser():
    """Playwright driving the system Chromium, for the tests that drive served pages
    (serve, reports); marpkit itself talks to Chromium over its DevTools pipe.

    Module-scoped: Playwright's sync API allows one instance at a time.
    Browser downloads cannot work here: it launches the system's Chromium.
    """
    needs_chromium()
    from playwright.sync_api import sync_playwright

    from marpkit.marp import find_chromium

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=find_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


class LoopbackListener:
    """A TCP server on this machine's loopback that only counts connections (a
    stand-in W&B server, or a target a sandboxed snippet must not reach)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


# --------------------------------------------------------------------------- shared by several packages' tests
# A course theme Marp rejects (an unclosed block), and the same theme fixed.
BROKEN_THEME = "/* @theme course */\nsection {\n  color: #123;\n\nh1 { color: #456; }\n"
GOOD_THEME = "/* @theme course */\nsection { color: #123; }\nh1 { color: #456; }\n"


@contextmanager
def tmpfs(path: Path, size: str = "1m", read_only: bool = False):
    """A small file system of our own at `path`: read-only or soon full, without
    touching the real disk. Needs root and a working mount, else the test skips."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                           str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


class CodeText(HTMLParser):
    """Text of every <pre> element, tags dropped."""

    def __init__(self):
        super().__init__()
        self.depth, self.blocks = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "pre":
            self.depth += 1
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "pre":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.blocks[-1] += data


# --------------------------------------------------------------------------- a served preview (serve/, commands/)

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0

def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members

def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found

def start_serve(root: Path, env: dict | None = None, **popen) -> tuple[subprocess.Popen, int]:
    """`marpkit serve` on a free port, once it listens: (process, port)."""
    port = free_port()
    proc = subprocess.Popen([str(MARPKIT), "serve", "--port", str(port)], cwd=root, env=env,
                            start_new_session=True, **popen)
    deadline = time.monotonic() + 60
    while not listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
            raise AssertionError("marpkit serve never listened")
        time.sleep(0.1)
    return proc, port


def make_project(root: Path) -> None:
    write(root / "pyproject.toml", "[tool.marpkit]\n")
    write(root / "snippets" / "m" / "demo.py", '''
        import os
        # region show
        print("marker-version-1")
        # endregion
        ''')
    write(root / "snippets" / "m" / "other.py", 'print("unrelated")\n')
    write(root / "slides" / "01-m.md", '''
        ---
        marp: true
        ---

        # Live

        ```python snippet=m/demo.py#show
        print("marker-version-1")
        ```
        ''')
    write(root / "slides" / "02-n.md", '''
        ---
        marp: true
        ---

        # Other

        ```python snippet=m/other.py
        print("unrelated")
        ```
        ''')
    (root / "node_modules").symlink_to(ROOT / "node_modules")

class Serving:
    """`marpkit serve` running in a project, as a presenter starts it from a terminal."""

    def __init__(self, root: Path, *args: str):
        self.root, self.port = root, free_port()
        self.log_path = root / "serve.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen([str(MARPKIT), "serve", "--port", str(self.port), *args],
                                     cwd=root, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 60
        while not listening(self.port):
            assert self.proc.poll() is None, self.output
            assert time.monotonic() < deadline, "marpkit serve never listened"
            time.sleep(0.05)
        self.marp_pids = children_of(self.proc.pid)
        assert self.marp_pids, "Marp CLI was not started"

    @property
    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def wait_for_output(self, text: str, count: int = 1, limit: float = 30.0) -> str:
        """The output once it holds `text` `count` times: lint findings are printed
        after the preview is written, so after the page has reloaded."""
        deadline = time.monotonic() + limit
        while self.output.count(text) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.output

    def open(self, browser, deck: str):
        page = browser.new_page()
        # Marp's page script logs this once its reload websocket is open.
        with page.expect_console_message(
                lambda msg: "Observing the change of file" in msg.text, timeout=30_000):
            page.goto(f"http://127.0.0.1:{self.port}/{deck}")
        return page

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        for pid in self.marp_pids:
            if group_members(pid):
                os.killpg(pid, signal.SIGKILL)
        self._log.close()


def fake_marp(monkeypatch, fake):
    """Every Marp CLI call marpkit makes becomes `fake(root, inputs, args, config,
    timeout=…, chromium=…)`, returning its MarpResult."""
    from marpkit import marp

    def calls(root, calls, config, **kwargs):
        return [fake(root, list(c.inputs), list(c.args), config, timeout=c.timeout, **kwargs)
                for c in calls]

    monkeypatch.setattr(marp, "run_marp_calls", calls)
