"""Nothing is fetched: rendered lint and the PDF build ask no host for a deck's
remote images, backgrounds or stylesheets, and lint names each one (MK703).

The "remote" host is a counting HTTP server on 127.0.0.1: Chromium's default
proxy bypass for loopback addresses is exactly what let requests through."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import needs_chromium, needs_marp, write

MARPKIT = str(Path(sys.executable).with_name("marpkit"))


class Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def remote():
    Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Counter.hits
    server.shutdown()
    server.server_close()


def remote_deck(project: Path, host: str) -> Path:
    return write(project / "slides" / "r.md", f"""
        ---
        marp: true
        style: |
          @import url('{host}/style.css');
        ---

        # Remote

        ![A logo]({host}/img.png)

        <style>
        @import url({host}/block.css);
        section {{ background-image: url("{host}/block-bg.png"); }}
        </style>

        ---

        <!-- _backgroundImage: url({host}/directive-bg.png) -->
        ![bg]({host}/bg.png)

        ```md
        ![not fetched, only shown]({host}/in-code.png)
        ```
        """)


def test_lint_names_every_remote_resource_once(project, remote, run_cli):
    host, _ = remote
    remote_deck(project, host)
    code, out, _ = run_cli("lint", "--no-render", "--select", "MK703")
    lines = [line for line in out.splitlines() if "MK703" in line]
    assert [line.split(": MK703")[0] for line in lines] == [
        "slides/r.md:3:1", "slides/r.md:9:1", "slides/r.md:12:13", "slides/r.md:13:34",
        "slides/r.md:18:1", "slides/r.md:19:1"], out
    assert "in-code.png" not in out  # a code block shows a URL, it does not load it
    assert code == 0  # a warning


@pytest.mark.integration
def test_rendered_lint_fetches_nothing(project, remote):
    needs_marp()
    needs_chromium()
    host, hits = remote
    remote_deck(project, host)
    proc = subprocess.run([MARPKIT, "lint", "--render"], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert "MK703" in proc.stdout, proc.stdout + proc.stderr
    assert hits == []


@pytest.mark.integration
def test_pdf_build_fetches_nothing_and_leaves_nothing_in_home(project, remote, tmp_path_factory):
    needs_marp()
    needs_chromium()
    host, hits = remote
    remote_deck(project, host)
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run([MARPKIT, "build"], cwd=project, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "build" / "r.pdf").is_file()
    assert hits == []
    # Marp CLI writes each PDF conversion's deck to $HOME/tmp-<pid>-*.html
    # where it thinks the browser cannot read /tmp: never the user's home.
    assert list(home.iterdir()) == []
