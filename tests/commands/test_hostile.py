"""Hostile or unlucky inputs (issue #19): a clear one-line answer, nothing lost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import needs_chromium, needs_marp, write

MARPKIT = str(Path(sys.executable).with_name("marpkit"))

LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>MK\d{3}) ")


def test_a_newline_in_a_file_name_keeps_one_finding_per_line(project, run_cli):
    write(project / "slides" / "two\nlines.md", "---\nmarp: true\n---\n\n# A\n\n![](img/x.png)\n")
    code, out, _ = run_cli("lint", "--no-render", "--select", "MK701")
    lines = [line for line in out.splitlines() if "MK701" in line]
    assert len(lines) == 1, out
    match = LINE.match(lines[0])
    assert match and match["path"] == "slides/two\\nlines.md", lines


def test_front_matter_that_is_a_list_is_said_to_be_one(project, run_cli):
    write(project / "slides" / "l.md", "---\n- marp: true\n- theme: gaia\n---\n\n# A\n")
    _, out, _ = run_cli("lint", "--no-render", "--select", "MK102")
    assert "slides/l.md:2:1: MK102 front matter must be a mapping" in out, out
    assert "has no `marp: true`" not in out


def test_snippets_of_a_deck_or_file_that_is_not_utf8_are_still_referenced(project, run_cli):
    (project / "slides" / "05-a.md").write_bytes(
        b"---\nmarp: true\n---\n\n# Caf\xe9\n\n```python snippet=05/a.py\n```\n")
    write(project / "snippets" / "05" / "a.py", "print(1)\n")
    write(project / "slides" / "05-b.md", "---\nmarp: true\n---\n\n# B\n\n```python snippet=05/b.py\n```\n")
    (project / "snippets" / "05" / "b.py").write_bytes(b'print("caf\xe9")\n')
    _, out, _ = run_cli("lint", "--no-render")
    assert "slides/05-a.md:5:6: MK204 not UTF-8" in out, out
    assert "MK310" in out
    assert "MK314" not in out, out


@pytest.mark.integration
def test_rendered_lint_reports_an_unreadable_deck_and_lints_the_others(project):
    needs_marp()
    needs_chromium()
    write(project / "slides" / "good.md", "---\nmarp: true\n---\n\n# Good\n\n![](img/x.png)\n")
    (project / "slides" / "dangling.md").symlink_to("nowhere.md")
    (project / "slides" / "dir.md").mkdir()
    proc = subprocess.run([MARPKIT, "lint", "--render"], cwd=project, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "slides/dangling.md:1:1: MK204 cannot read: it is a symlink to nowhere.md, which does " \
           "not exist" in proc.stdout
    assert "slides/dir.md:1:1: MK204" in proc.stdout
    assert "slides/good.md:7:1: MK701" in proc.stdout  # the other deck is still linted
    assert "Traceback" not in proc.stderr


@pytest.mark.integration
def test_one_ctrl_c_stops_a_build_and_leaves_nothing_behind(project, tmp_path_factory):
    """Ctrl-C while Marp converts: marpkit stops without waiting for the
    conversion, keeps no half output, and leaves no browser and no temporary
    files (a Chromium profile was left in TMPDIR)."""
    import os
    import signal
    import time

    needs_marp()
    needs_chromium()
    # A stylesheet that is a FIFO nobody writes: Chromium waits on it, so the
    # PDF conversion runs until its browser timeout (far past the guard below).
    (project / "build").mkdir()
    os.mkfifo(project / "build" / "hang.css")
    write(project / "slides" / "big.md", '---\nmarp: true\n---\n\n<style>\n@import url("hang.css");\n'
          '</style>\n\n# Waits\n')
    (project / "pyproject.toml").write_text("[tool.marpkit.build]\nbrowser_timeout = 600\n")
    tmp = tmp_path_factory.mktemp("tmpdir")
    build = subprocess.Popen([MARPKIT, "build"], cwd=project, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    try:
        deadline = time.monotonic() + 60
        while not list((project / "build").glob("big.marpkit-src*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(2.0)  # Marp CLI is converting
        build.send_signal(signal.SIGINT)
        _, err = build.communicate(timeout=30)  # a guard: without the fix it waits 600 s
    finally:
        build.kill()
    assert build.returncode == 130, err
    assert "Traceback" not in err
    assert not (project / "build" / "big.pdf").exists()
    assert not list((project / "build").glob("*.marpkit-src*"))
    assert list(tmp.iterdir()) == []


@pytest.mark.integration
def test_a_fifo_deck_and_a_huge_snippet_are_named_not_waited_for(project):
    """A FIFO named like a deck blocked every command forever; a 57 MB snippet
    made lint give up after minutes, naming no deck. Both are one finding."""
    import os

    os.mkfifo(project / "slides" / "fifo.md")
    write(project / "slides" / "05-big.md", "---\nmarp: true\n---\n\n# Big\n\n```python snippet=05/big.py\n```\n")
    big = project / "snippets" / "05" / "big.py"
    big.parent.mkdir(parents=True)
    big.write_text("x = 1\n" * 600_000)  # 3.4 MiB
    # The timeout is a guard against the hang, not a measure of speed.
    proc = subprocess.run([MARPKIT, "lint"], cwd=project, capture_output=True, text=True, timeout=120)
    assert "slides/fifo.md:1:1: MK204 cannot read: not a regular file" in proc.stdout, proc.stdout + proc.stderr
    assert ("slides/05-big.md:7:11: MK310 snippet file '05/big.py' cannot be read: the file is 3.4 MiB, "
            "over marpkit's limit of 2.0 MiB") in proc.stdout
    assert proc.returncode == 1


@pytest.mark.parametrize("command", [["lint", "--no-render"], ["sync"], ["inspect"], ["build", "--format", "html"],
                                     ["check"], ["lint", "--render"]])
def test_a_symlink_loop_among_the_decks_is_mk204_for_it_alone(project, command):
    """Python 3.11's Path.resolve raises RuntimeError on a loop: every command
    crashed with a traceback (the LSP and serve went down with it)."""
    if command[0] in ("build", "lint") and command[-1] != "--no-render":
        needs_marp()
        needs_chromium()
    write(project / "slides" / "good.md", "---\nmarp: true\n---\n\n# Good\n")
    (project / "slides" / "loop1.md").symlink_to("loop2.md")
    (project / "slides" / "loop2.md").symlink_to("loop1.md")
    proc = subprocess.run([MARPKIT, *command], cwd=project, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    assert ("slides/loop1.md:1:1: MK204 cannot read: it is a symlink to loop2.md, which leads back "
            "to itself (a symlink loop)") in out
    assert proc.returncode == 1, out


def test_no_path_resolve_that_a_symlink_loop_crashes(project):
    """fsutil.real is the one way to follow symlinks (Path.resolve raises on a
    loop in Python 3.11); the package's own files may still use it."""
    from conftest import ROOT

    offenders = []
    for path in sorted((ROOT / "tools" / "marpkit").rglob("*.py")):
        if path.name == "fsutil.py" or path.name == "sandbox.py":  # sandbox.py runs alone, as a probe
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if ".resolve()" in line and "Path(__file__).resolve()" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.integration
def test_build_says_when_marp_would_silently_fall_back(project):
    """Broken front matter or an unknown theme: the build exited 0 in the
    default theme without a word."""
    needs_marp()
    write(project / "slides" / "a.md", "---\nmarp: true\ntheme: gaiaa\n---\n\n# A\n")
    write(project / "slides" / "b.md", '---\nmarp: true\ntheme: gaia\nfooter: "unclosed\n---\n\n# B\n')
    proc = subprocess.run([MARPKIT, "build", "--format", "html"], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # warnings: Marp builds them all the same
    assert "slides/a.md:3:1: MK105 unknown theme `gaiaa`" in proc.stdout
    assert "Marp builds the deck in the default theme" in proc.stdout
    assert "slides/b.md:4:18: MK101 front matter is not valid YAML" in proc.stdout


@pytest.mark.integration
def test_check_on_a_stale_fence_names_the_fence_and_never_points_past_it(project):
    """A fence that shows other lines than the file: check pointed at the
    wrong deck line, or past the end of the file; and said nothing of the drift."""
    write(project / "snippets" / "m" / "a.py", 'print(1)\nx = 1\nraise ValueError("boom")\n')
    deck = write(project / "slides" / "a.md",
                 "---\nmarp: true\n---\n\n# A\n\n```python snippet=m/a.py\nprint(1)\n```\n")
    proc = subprocess.run([MARPKIT, "check", "--isolation", "basic"], cwd=project, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = len(deck.read_text().split("\n")) - 1
    positions = [int(m) for m in re.findall(r"^slides/a\.md:(\d+):", proc.stdout, re.M)]
    assert positions and max(positions) <= lines, proc.stdout
    assert ("slides/a.md:7:1: MK301 snippet m/a.py:3 raised ValueError: boom (the fence at line 7 is "
            "stale") in proc.stdout
    assert "MK313 fence body differs from snippet m/a.py" in proc.stdout


def test_inspect_reports_each_unreadable_deck_and_shows_the_others(project, run_cli):
    write(project / "slides" / "a.md", "---\nmarp: true\n---\n\n# A\n")
    (project / "slides" / "dangling.md").symlink_to("nowhere.md")
    (project / "slides" / "dir.md").mkdir()
    code, out, _ = run_cli("inspect")
    assert code == 1  # the README's "1 unreadable deck"
    assert "slides/dangling.md:1:1: MK204" in out and "slides/dir.md:1:1: MK204" in out
    assert "slides/a.md: 1 slides" in out
    code, out, err = run_cli("inspect", "--format", "json")
    assert code == 1 and "slides/dir.md:1:1: MK204" in err
    assert json.loads(out)["path"] == "slides/a.md"
