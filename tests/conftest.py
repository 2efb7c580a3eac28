from __future__ import annotations

import shutil
import socket
import textwrap
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The hint on every skip for a module only the course's snippets need.
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
    """Playwright driving the system Chromium (browser downloads cannot work here).

    Module-scoped: Playwright's sync API allows one instance at a time, and
    marpkit's own rendered lint starts one in-process.
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
