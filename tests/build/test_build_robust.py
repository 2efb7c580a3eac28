"""A build that cannot succeed says why in one line and keeps what was published:
broken theme CSS, a read-only build folder, a full disk, two builds at once,
outputs of decks that are gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import BROKEN_THEME, GOOD_THEME, needs_chromium, needs_marp, tmpfs, write

MARPKIT = Path(sys.executable).with_name("marpkit")
DECK = "---\nmarp: true\ntheme: course\n---\n\n# Title\n\nText\n"


def marpkit(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(MARPKIT), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def fill(folder: Path) -> None:
    """Fill the file system `folder` is on, to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


def assert_one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> None:
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text
    errors = [line for line in proc.stderr.splitlines() if "marpkit: error:" in line]
    assert len(errors) == 1, text
    for part in expected:
        assert part in errors[0], text


# --------------------------------------------------------------------------- themes

@pytest.mark.integration
def test_broken_theme_fails_the_build_and_keeps_the_good_outputs(project):
    needs_marp()
    needs_chromium()
    theme = write(project / "themes" / "course.css", GOOD_THEME)
    write(project / "slides" / "d.md", DECK)
    first = marpkit(project, "build", "--format", "html", "--format", "pdf")
    assert first.returncode == 0, first.stdout + first.stderr
    good = {name: (project / "build" / name).read_bytes() for name in ("d.html", "d.pdf")}

    theme.write_text(BROKEN_THEME)
    proc = marpkit(project, "build", "--format", "html", "--format", "pdf")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # postcss reports the block that never closes where it opens.
    assert "themes/course.css:2:1: MK903" in proc.stdout, proc.stdout + proc.stderr
    assert "Unclosed block" in proc.stdout
    for name, data in good.items():
        assert (project / "build" / name).read_bytes() == data, name

    lint = marpkit(project, "lint")
    assert lint.returncode == 2, lint.stdout + lint.stderr
    assert "themes/course.css:2:1: MK903" in lint.stderr
    assert "    at " not in lint.stdout + lint.stderr  # no JavaScript stack
    assert "Traceback" not in lint.stderr

    theme.write_text(GOOD_THEME)
    assert marpkit(project, "build", "--format", "html").returncode == 0


def test_accepted_themes_are_not_checked_again(project, monkeypatch):
    needs_marp()
    from marpkit.marp import themes

    theme = write(project / "themes" / "course.css", GOOD_THEME)
    cache = project / ".marpkit-cache"
    assert themes.theme_problems(project, cache, [theme]) == []

    def no_node(*args, **kwargs):
        raise AssertionError("Node was started for a theme already accepted")

    monkeypatch.setattr(themes.procs, "run", no_node)
    assert themes.theme_problems(project, cache, [theme]) == []
    theme.write_text(BROKEN_THEME)
    with pytest.raises(AssertionError):
        themes.theme_problems(project, cache, [theme])


# --------------------------------------------------------------------------- unwritable

@pytest.mark.integration
def test_read_only_build_folder_is_one_line_and_exit_2(project):
    needs_marp()
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n")
    with tmpfs(project / "build", read_only=True):
        proc = marpkit(project, "build", "--format", "html")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert_one_line_error(proc, "build", "Read-only file system")


@pytest.mark.parametrize("command", [("sync",), ("lint", "--fix", "--no-render")])
def test_full_disk_on_sync_and_fix_is_one_line_and_keeps_the_deck(tmp_path, command):
    root = tmp_path / "course"
    with tmpfs(root, size="256k"):
        write(root / "pyproject.toml", "[tool.marpkit]\n")
        write(root / "snippets" / "a.py", "print('new')\n")
        # A drifted fence for sync; an invisible character for lint's fix.
        deck = write(root / "slides" / "d.md",
                     "---\nmarp: true\n---\n\n# Hi\u200b\n\n```python snippet=a.py\nprint('old')\n```\n")
        before = deck.read_bytes()
        fill(root)
        proc = marpkit(root, *command, timeout=60)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert_one_line_error(proc, "slides/d.md", "No space left on device")
        assert deck.read_bytes() == before
        assert sorted(p.name for p in (root / "slides").iterdir()) == ["d.md"]  # no temp file left


# --------------------------------------------------------------------------- two at once

@pytest.mark.integration
def test_two_builds_at_once_both_succeed(project):
    needs_marp()
    for name in ("a", "b", "c"):
        write(project / "slides" / f"{name}.md", f"---\nmarp: true\n---\n\n# {name}\n")
    procs = [subprocess.Popen([str(MARPKIT), "build", "--format", "html"], cwd=project,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(proc.wait(timeout=300), *proc.communicate()) for proc in procs]
    for code, out, err in results:
        assert code == 0, out + err
        assert "exit status" not in out + err
    for name in ("a", "b", "c"):
        assert "<svg" in (project / "build" / f"{name}.html").read_text()


@pytest.mark.integration
def test_a_build_waits_for_the_one_running_and_says_so(project):
    needs_marp()
    from marpkit.fsutil import exclusive

    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n")
    with exclusive(project / "build" / ".marpkit" / "build.lock"):  # "another build"
        proc = subprocess.Popen([str(MARPKIT), "build", "--format", "html"], cwd=project,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not any("another marpkit build is running" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "no word about the running build"
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None  # it waits, and builds nothing meanwhile
        assert not (project / "build" / "d.html").exists()
    assert proc.wait(timeout=300) == 0, "".join(lines)
    assert (project / "build" / "d.html").is_file()


# --------------------------------------------------------------------------- what is published

@pytest.mark.integration
def test_outputs_of_a_deleted_deck_leave_the_build(project):
    needs_marp()
    needs_chromium()
    write(project / "slides" / "keep.md", "---\nmarp: true\n---\n\n# Keep\n")
    gone = write(project / "slides" / "gone.md", "---\nmarp: true\n---\n\n# Gone\n")
    (project / "build" / ".preview").mkdir(parents=True)  # what older serves left
    (project / "build" / ".preview" / "keep.md").write_text("# old preview\n")
    first = marpkit(project, "build", "--format", "html")
    assert first.returncode == 0, first.stdout + first.stderr
    build = project / "build"
    assert (build / "gone.html").is_file() and (build / "gone.png").is_file()
    assert not (build / ".preview").exists()

    gone.unlink()
    proc = marpkit(project, "build", "--format", "html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not list(build.glob("gone.*"))
    assert (build / "keep.html").is_file() and (build / "keep.png").is_file()
    manifest = json.loads((build / ".marpkit" / "manifest.json").read_text())
    assert not [key for key in manifest if key.startswith("gone:")]
    assert "gone" not in (build / "index.html").read_text()
    # Nothing more to remove: the next build is a no-op.
    again = marpkit(project, "build", "--format", "html")
    assert "up to date" in again.stdout and "removed" not in again.stdout


def test_a_deck_named_index_and_the_course_index_are_both_kept(project, run_cli):
    needs_marp()
    write(project / "slides" / "index.md", "---\nmarp: true\n---\n\n# Welcome deck\n")
    write(project / "slides" / "01-a.md", "---\nmarp: true\n---\n\n# Module one\n")
    code, out, err = run_cli("build", "--format", "html")
    assert code == 0, out + err
    warning = ("slides/index.md:1:1: MK605 this deck builds build/index.html, the name of the course "
               "index page: the course index is written to build/course-index.html instead")
    assert warning in out, out
    assert "Welcome deck" in (project / "build" / "index.html").read_text()
    course_index = (project / "build" / "course-index.html").read_text()
    assert 'href="index.html"' in course_index and 'href="01-a.html"' in course_index

    code, out, _ = run_cli("lint", "--no-render", "--select", "MK605")
    assert code == 0 and warning in out, out
