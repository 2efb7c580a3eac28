"""fsutil: whole files, normal modes, symlinks kept; whether a path lies in a folder, and how it is shown."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import write
from marpkit.fsutil import atomic_write


@pytest.fixture
def umask():
    def set_mask(mask: int):
        previous = os.umask(mask)
        restore.append(previous)

    restore: list[int] = []
    yield set_mask
    for mask in restore:
        os.umask(mask)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_file_gets_the_mode_open_would_give(tmp_path, umask, mask):
    umask(mask)
    atomic_write(tmp_path / "a" / "new.html", "x")
    with open(tmp_path / "plain.html", "w") as handle:
        handle.write("x")
    made = stat.S_IMODE((tmp_path / "a" / "new.html").stat().st_mode)
    assert made == stat.S_IMODE((tmp_path / "plain.html").stat().st_mode) == 0o666 & ~mask


def test_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "run.sh"
    target.write_text("old")
    target.chmod(0o750)
    atomic_write(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o750


def test_symlink_stays_a_symlink_and_its_target_changes(tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_no_temp_file_is_left_behind_on_failure(tmp_path):
    with pytest.raises(TypeError):
        atomic_write(tmp_path / "f.txt", 42)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def _drifted_deck(project):
    write(project / "snippets" / "m" / "a.py", "print('new')\n")
    real = write(project / "decks" / "d.md", "---\nmarp: true\n---\n\n```python snippet=m/a.py\nprint('old')\n```\n")
    link = project / "slides" / "d.md"
    link.symlink_to(real)
    return link, real


@pytest.mark.parametrize("command", [["sync"], ["lint", "--fix", "--no-render", "--select", "MK313"]],
                         ids=["sync", "lint-fix"])
def test_symlinked_deck_stays_a_symlink(project, run_cli, command):
    link, real = _drifted_deck(project)
    run_cli(*command)
    assert link.is_symlink()
    assert "print('new')" in real.read_text()


@pytest.mark.parametrize("args, created", [
    (["new", "06-notes", "--title", "Notes"], ["slides/06-notes.md", "snippets/06-notes/quickstart.py"]),
    (["extract", "slides/d.md"], ["snippets/d/01-t.py"]),
])
def test_files_marpkit_creates_have_normal_modes(project, run_cli, umask, args, created):
    umask(0o022)
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n\n```python\nprint(1)\n```\n")
    status, out, err = run_cli(*args)
    assert status == 0, out + err
    for rel in created:
        assert stat.S_IMODE((project / rel).stat().st_mode) == 0o644, rel


# --------------------------------------------------------------------------- paths


def test_inside_by_name_and_by_target(tmp_path):
    from pathlib import PurePosixPath

    from marpkit.fsutil import inside

    folder = tmp_path / "snippets"
    (folder / "m").mkdir(parents=True)
    outside = write(tmp_path / "secret.txt", "x")
    (folder / "link.py").symlink_to(outside)
    (folder / "loop").symlink_to(folder / "loop")
    assert inside(folder / "m" / "a.py", folder) == PurePosixPath("m/a.py")
    assert inside(folder, folder) == PurePosixPath(".")
    assert inside(folder / ".." / "secret.txt", folder) is None  # `..` folded as text
    assert inside(tmp_path / "snippetsX" / "a.py", folder) is None  # a prefix is no folder
    assert inside(folder / "link.py", folder) == PurePosixPath("link.py")
    assert inside(folder / "link.py", folder, follow=True) is None  # where it points
    assert inside(folder / "loop", folder, follow=True) is None


def test_shown_names_a_path_relative_to_its_base(tmp_path, monkeypatch):
    from marpkit.fsutil import shown

    base = tmp_path / "course"
    real = write(base / "decks" / "d.md", "x")
    (base / "slides").mkdir()
    (base / "slides" / "d.md").symlink_to(real)
    (tmp_path / "e.md").symlink_to(real)
    monkeypatch.chdir(base / "slides")
    assert shown(base / "slides" / "d.md", base) == "slides/d.md"  # the link, as itself
    assert shown(tmp_path / "e.md", base) == "decks/d.md"  # only its target lies in base
    assert shown("/nowhere/x.md", base) == "/nowhere/x.md"
    assert shown(base / "slides" / "d.md") == "d.md"  # base: the working directory
    assert shown(base / "slides") == "."
