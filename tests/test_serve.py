"""`marpkit serve`: the real Marp server, a real browser page, real file saves."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, needs_chromium, needs_marp, write
from marpkit.config import load_project
from marpkit.serve import Preview
from marpkit.snippets import SnippetStore

MARPKIT = Path(sys.executable).with_name("marpkit")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


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


def test_only_decks_using_a_snippet_are_re_expanded(tmp_path):
    make_project(tmp_path)
    project = load_project(tmp_path)
    preview = Preview(project, tmp_path / "build" / ".preview")
    store = SnippetStore(project.snippets_dir)
    for deck in project.decks():
        assert preview.render(deck, store) == []
    assert preview.decks_using(project.snippets_dir / "m" / "demo.py") == [
        project.slides_dir / "01-m.md"]
    assert preview.decks_using(project.snippets_dir / "m" / "nope.py") == []
    text = (preview.folder / "01-m.md").read_text()
    assert 'print("marker-version-1")' in text


@pytest.mark.integration
def test_saving_a_snippet_reloads_the_open_page_within_a_second(tmp_path):
    needs_marp()
    needs_chromium()
    playwright = pytest.importorskip("playwright.sync_api")
    chromium_path = os.environ.get("CHROME_PATH") or shutil.which("chromium")
    make_project(tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([str(MARPKIT), "serve", "--port", str(port)], cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "marpkit serve never listened"
            time.sleep(0.1)
        marp_pids = children_of(proc.pid)
        assert marp_pids, "Marp CLI was not started"

        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path, args=BROWSER_ARGS)
            page = browser.new_page()
            # Marp's page script logs this once its reload websocket is open.
            with page.expect_console_message(
                    lambda msg: "Observing the change of file" in msg.text, timeout=30_000):
                page.goto(f"http://127.0.0.1:{port}/01-m.md")
            assert "marker-version-1" in page.evaluate("document.body.textContent")

            snippet = tmp_path / "snippets" / "m" / "demo.py"
            started = time.monotonic()
            snippet.write_text(snippet.read_text().replace("version-1", "version-2"))
            latency = None
            while time.monotonic() - started < 10:
                try:
                    if "marker-version-2" in page.evaluate("document.body.textContent"):
                        latency = time.monotonic() - started
                        break
                except playwright.Error:
                    pass  # the page is navigating: the reload has begun
                time.sleep(0.01)
            browser.close()
        print(f"\nreload latency: {latency if latency is None else round(latency, 3)} s")
        assert latency is not None, (tmp_path / "serve.log").read_text()
        assert latency <= 1.0

        output = (tmp_path / "serve.log").read_text()
        assert "slides/01-m.md: preview updated" in output
        assert "MK313" in output  # the deck's fence body now lags its snippet
        # 02-n does not use demo.py: only its start-up expansion is reported.
        assert output.count("slides/02-n.md: preview updated") == 1

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        for pid in marp_pids:
            assert group_members(pid) == [], f"Marp's process group {pid} outlived marpkit"
        assert not listening(port)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in children_of(proc.pid):
            os.killpg(pid, signal.SIGKILL)
        log.close()


@pytest.mark.integration
def test_sigterm_stops_marp_too(tmp_path):
    needs_marp()
    make_project(tmp_path)
    port = free_port()
    proc = subprocess.Popen([str(MARPKIT), "serve", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        marp_pids = children_of(proc.pid)
        proc.terminate()
        proc.wait(timeout=15)
        assert marp_pids and all(group_members(pid) == [] for pid in marp_pids)
        assert not listening(port)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_busy_port_is_a_usage_error(tmp_path):
    needs_marp()
    make_project(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run([str(MARPKIT), "serve", "--port", str(port)], cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "already in use" in proc.stderr
    assert "Traceback" not in proc.stderr
