"""`marpkit serve`: the real Marp server, a real browser page, real file saves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (
    Serving,
    children_of,
    group_members,
    listening,
    make_project,
    needs_marp,
    start_serve,
    write,
)
from marpkit.config import load_project
from marpkit.serve import preview as preview_module
from marpkit.serve.preview import Preview, Reporter, handle_changes
from marpkit.snippets.store import SnippetStore

MARPKIT = Path(sys.executable).with_name("marpkit")
# Pages are opened with conftest's `browser` fixture: Playwright driving the
# system Chromium (CHROME_PATH or `chromium`), never a downloaded browser.


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


def test_changes_update_the_right_previews(tmp_path, capsys):
    make_project(tmp_path)
    write(tmp_path / "slides" / "03-later.md", """
        ---
        marp: true
        ---

        # Later

        ```python snippet=m/later.py
        ```
        """)
    project = load_project(tmp_path)
    preview = Preview(project, tmp_path / "build" / ".preview")
    store = SnippetStore(project.snippets_dir)
    for deck in project.decks():
        preview.render(deck, store)
    later = preview.folder / "03-later.md"
    assert "waiting" not in later.read_text()

    # A snippet a deck names before it exists fills the deck once written.
    write(tmp_path / "snippets" / "m" / "later.py", 'print("waiting")\n')
    handle_changes(preview, {(tmp_path / "snippets" / "m" / "later.py").resolve()})
    assert 'print("waiting")' in later.read_text()
    assert "slides/03-later.md: preview updated" in capsys.readouterr().out

    # A deck that can no longer be read keeps its last preview.
    (tmp_path / "slides" / "03-later.md").write_bytes(b"# \xff\n")
    handle_changes(preview, {(tmp_path / "slides" / "03-later.md").resolve()})
    assert "MK204" in capsys.readouterr().out
    assert 'print("waiting")' in later.read_text()

    # A deleted deck leaves the preview.
    (tmp_path / "slides" / "03-later.md").unlink()
    handle_changes(preview, {(tmp_path / "slides" / "03-later.md").resolve()})
    assert not later.exists()
    assert sorted(p.name for p in preview.folder.glob("*.md")) == ["01-m.md", "02-n.md"]


@pytest.mark.integration
def test_a_save_reports_rendered_findings_too(tmp_path, capsys):
    """Content cut off the slide is named on save, not only by a later `marpkit lint`."""
    from conftest import needs_chromium

    needs_marp()
    needs_chromium()
    make_project(tmp_path)
    project = load_project(tmp_path)
    preview = Preview(project, tmp_path / "build" / ".preview")
    deck = write(tmp_path / "slides" / "03-long.md", "---\nmarp: true\n---\n\n# Long\n\n"
                 + "".join(f"- point {i}\n" for i in range(20)))
    handle_changes(preview, {deck.resolve()})
    out = capsys.readouterr().out
    assert "slides/03-long.md: preview updated" in out
    assert "MK501" in out and "(slide 1" in out
    assert preview.rendered_lint


def test_a_save_is_linted_once_saves_have_settled_with_those_just_before(tmp_path, monkeypatch):
    """The lint waits for the saves to be quiet (the reloads they cause are served
    meanwhile): a deck saved shortly after another is linted with it, once."""
    make_project(tmp_path)
    project = load_project(tmp_path)
    preview = Preview(project, tmp_path / "build" / ".preview")
    monkeypatch.setattr(preview_module, "LINT_SETTLE", 2.0, raising=False)
    linted = []
    monkeypatch.setattr(preview_module, "report", lambda preview, updated, store, before=None:
                        linted.append(sorted(path.name for path, _, _ in updated)))
    store = SnippetStore(project.snippets_dir)
    first, second = sorted(project.decks())[:2]
    reporter = Reporter(preview)
    try:
        reporter.submit([(first, [], 0.0)], store)
        time.sleep(0.2)  # a lint started at once would have taken the first deck alone by now
        reporter.submit([(second, [], 0.0)], store)
        assert reporter.wait(30)
    finally:
        reporter.close()
    assert linted == [[first.name, second.name]]


def test_without_a_browser_a_save_reports_static_findings(tmp_path, capsys, monkeypatch):
    make_project(tmp_path)
    monkeypatch.setenv("CHROME_PATH", str(tmp_path / "no-such-chromium"))
    project = load_project(tmp_path)
    preview = Preview(project, tmp_path / "build" / ".preview")
    deck = write(tmp_path / "slides" / "03-x.md", "---\nmarp: true\n---\n\n# X\n\n```python\nprint(1)\n```\n")
    handle_changes(preview, {deck.resolve()})
    handle_changes(preview, {deck.resolve()})
    out = capsys.readouterr().out
    assert out.count("rendered lint rules are off in this preview") == 1  # said once, not per save
    assert out.count("MK315") == 2 and "Traceback" not in out  # static rules still report
    assert not preview.rendered_lint


@pytest.fixture
def serving(tmp_path):
    needs_marp()
    make_project(tmp_path)
    server = None

    def start():
        nonlocal server
        server = Serving(tmp_path)
        return server

    yield start
    if server is not None:
        server.close()


def seconds_until(page, expression: str, limit: float = 10.0) -> float | None:
    """Seconds until `expression` is truthy in the page, surviving its reloads."""
    from playwright.sync_api import Error

    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if page.evaluate(expression):
                return time.monotonic() - started
        except Error:
            pass  # the page is navigating: the reload has begun
        time.sleep(0.01)
    return None


TEXT = "document.body.textContent.includes({!r})"


@pytest.mark.integration
def test_saving_a_snippet_reloads_the_open_page(serving, browser):
    # How fast is `make bench` (bench_serve.py)'s question; here: it reloads by itself.
    server = serving()
    page = server.open(browser, "01-m.md")
    assert page.evaluate(TEXT.format("marker-version-1"))

    snippet = server.root / "snippets" / "m" / "demo.py"
    snippet.write_text(snippet.read_text().replace("version-1", "version-2"))
    latency = seconds_until(page, TEXT.format("marker-version-2"))
    print(f"\nreload latency after a snippet save: {latency and round(latency, 3)} s")
    assert latency is not None, server.output
    page.close()

    output = server.wait_for_output("slides/01-m.md: preview updated", count=2)
    assert "MK313" in output  # the deck's fence body now lags its snippet
    # 02-n does not use demo.py: only its start-up expansion is reported.
    assert output.count("slides/02-n.md: preview updated") == 1

    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=15) == 0
    for pid in server.marp_pids:
        assert group_members(pid) == [], f"Marp's process group {pid} outlived marpkit"
    assert not listening(server.port)


@pytest.mark.integration
def test_theme_and_image_changes_reload_the_page(serving, browser, tmp_path):
    write(tmp_path / "themes" / "t.css", """
        /* @theme t */
        @import 'default';
        section { background: rgb(1, 2, 3); }
        """)
    write(tmp_path / "slides" / "img" / "dot.svg",
          '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"></svg>\n')
    write(tmp_path / "slides" / "03-t.md", """
        ---
        marp: true
        theme: t
        ---

        # Themed

        ![dot](img/dot.svg)
        """)
    server = serving()
    page = server.open(browser, "03-t.md")
    background = "getComputedStyle(document.querySelector('section')).backgroundColor"
    assert page.evaluate(background) == "rgb(1, 2, 3)"
    page.wait_for_function("document.querySelector('img').naturalWidth === 40")

    css = tmp_path / "themes" / "t.css"
    css.write_text(css.read_text().replace("rgb(1, 2, 3)", "rgb(4, 5, 6)"))
    latency = seconds_until(page, f"{background} === 'rgb(4, 5, 6)'")
    print(f"\nreload latency after a theme save: {latency and round(latency, 3)} s")
    assert latency is not None, server.output

    svg = tmp_path / "slides" / "img" / "dot.svg"
    svg.write_text(svg.read_text().replace('width="40"', 'width="80"'))
    latency = seconds_until(page, "document.querySelector('img').naturalWidth === 80")
    print(f"reload latency after an image save: {latency and round(latency, 3)} s")
    assert latency is not None, server.output


@pytest.mark.integration
def test_the_url_comes_first_and_the_findings_after_the_server_listens(serving, tmp_path):
    """The first lint finishes while Marp's server starts: its findings wait for the address."""
    write(tmp_path / "slides" / "03-x.md", "---\nmarp: true\n---\n\n# X\n\n```python\nprint(1)\n```\n")
    server = serving()
    output = server.wait_for_output("slides/03-x.md: preview updated", limit=120)
    assert "slides/03-x.md: preview updated" in output, output
    lines = output.splitlines()
    assert lines[0] == f"marpkit serve: http://localhost:{server.port}/ (starting Marp's server)", output
    listening_at = next(i for i, line in enumerate(lines) if line.startswith("Serving "))
    reported_at = next(i for i, line in enumerate(lines) if "preview updated" in line)
    assert listening_at < reported_at, output
    assert "MK315" in output


@pytest.mark.integration
def test_marp_dies_with_a_killed_marpkit(serving):
    server = serving()
    os.killpg(server.proc.pid, signal.SIGKILL)  # no clean-up can run
    server.proc.wait(timeout=15)
    deadline = time.monotonic() + 10
    while any(group_members(pid) for pid in server.marp_pids):
        assert time.monotonic() < deadline, "Marp outlived a killed marpkit"
        time.sleep(0.05)


@pytest.mark.integration
def test_sigterm_stops_marp_too(tmp_path):
    needs_marp()
    make_project(tmp_path)
    proc, port = start_serve(tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        marp_pids = children_of(proc.pid)
        proc.terminate()
        assert proc.wait(timeout=15) == 0
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


@pytest.mark.integration
def test_serve_removes_only_what_it_created(tmp_path):
    needs_marp()
    make_project(tmp_path)
    cache = tmp_path / ".marpkit-cache"
    (cache / "serve").mkdir(parents=True)
    (cache / "serve" / "kept.txt").write_text("not this session's\n")
    proc, port = start_serve(tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert (cache / "serve" / "preview").is_dir()
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (cache / "serve" / "preview").exists()
    assert (cache / "serve" / "kept.txt").read_text() == "not this session's\n"


@pytest.mark.integration
def test_a_symlink_loop_among_the_decks_does_not_stop_the_preview(tmp_path):
    """The loop killed the preview with a RuntimeError (Python 3.11's Path.resolve)."""
    needs_marp()
    make_project(tmp_path)
    (tmp_path / "slides" / "loop1.md").symlink_to("loop2.md")
    (tmp_path / "slides" / "loop2.md").symlink_to("loop1.md")
    server = Serving(tmp_path)
    try:
        out = server.wait_for_output("slides/loop2.md:1:1: MK204")
        assert "slides/loop1.md:1:1: MK204 cannot read: it is a symlink to loop2.md, which leads back " \
               "to itself (a symlink loop)" in out
        assert "Traceback" not in out
        write(tmp_path / "snippets" / "m" / "demo.py", 'import os\n# region show\nprint("marker-version-2")\n'
                                                       "# endregion\n")
        assert "slides/01-m.md: preview updated" in server.wait_for_output("slides/01-m.md: preview updated")
        assert server.proc.poll() is None
    finally:
        server.close()
