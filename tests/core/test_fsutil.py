"""fsutil: whole files, normal modes, symlinks kept; whether a path lies in a folder, and how it is shown."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import ROOT, shutil, write
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


BOM = "\ufeff".encode()


@pytest.mark.parametrize("command", [["sync"], ["lint", "--fix", "--no-render", "--select", "MK313"]],
                         ids=["sync", "lint-fix"])
def test_rewritten_deck_keeps_its_bom_and_crlf(project, run_cli, command):
    write(project / "snippets" / "m" / "a.py", "print('new')\n")
    deck = project / "slides" / "d.md"
    deck.write_bytes(BOM + b"---\r\nmarp: true\r\n---\r\n\r\n```python snippet=m/a.py\r\nprint('old')\r\n```\r\n")
    run_cli(*command)
    data = deck.read_bytes()
    assert data.startswith(BOM + b"---\r\n") and data.count(BOM) == 1
    assert b"print('new')\r\n```\r\n" in data


def test_a_file_without_a_bom_gets_none(tmp_path):
    from marpkit.model.load import save_deck

    deck = tmp_path / "d.md"
    deck.write_bytes(b"# T\n")
    save_deck(deck, "\ufeff# U\n")  # a BOM in the text is the file's, not the content's
    assert deck.read_bytes() == b"# U\n"


def test_existing_file_keeps_its_owner_and_group(tmp_path):
    target = tmp_path / "d.md"
    target.write_text("old")
    os.chown(target, 65534, 65534)
    atomic_write(target, "new")
    info = target.stat()
    assert target.read_text() == "new" and (info.st_uid, info.st_gid) == (65534, 65534)


def test_hard_linked_file_stays_linked(tmp_path):
    target = tmp_path / "d.md"
    target.write_text("old")
    other = tmp_path / "same.md"
    os.link(target, other)
    atomic_write(target, "new")
    assert other.read_text() == "new" and target.stat().st_nlink == 2


NOBODY = 65534


@pytest.fixture
def shared_project(project):
    """The project, open to a user without privileges (pytest's tmp folders are root's only)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder) / "course"
        shutil.copytree(project, here, symlinks=True)
        os.chmod(folder, 0o755)
        for path in [here, *here.rglob("*")]:
            if not path.is_symlink():
                os.chmod(path, 0o777 if path.is_dir() else 0o666)
        yield here


def run_as_nobody(project: Path, *args: str):
    import subprocess

    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         str(ROOT / ".venv" / "bin" / "marpkit"), *args],
        cwd=project, capture_output=True, text=True, timeout=120,
        env={**os.environ, "HOME": str(project)})


MOJIBAKE_DECK = "---\nmarp: true\n---\n\n# Caf\u00c3\u00a9\n"


@pytest.mark.parametrize("command", [["sync"], ["lint", "--fix", "--no-render"]], ids=["sync", "lint-fix"])
def test_a_deck_the_user_cannot_write_is_refused_in_one_line(project, shared_project, command):
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    write(shared_project / "snippets" / "m" / "a.py", "print('new')\n")
    deck = shared_project / "slides" / "d.md"
    original = MOJIBAKE_DECK + "\n```python snippet=m/a.py\nprint('old')\n```\n"
    deck.write_text(original)
    os.chmod(shared_project / "snippets" / "m" / "a.py", 0o644)
    os.chown(deck, NOBODY, NOBODY)
    deck.chmod(0o444)
    proc = run_as_nobody(shared_project, *command)
    assert proc.returncode == 2, proc
    assert proc.stderr.strip() == "marpkit: error: cannot write slides/d.md: " \
                                  "the file is read-only for this user (permission denied)"
    assert deck.read_text() == original and stat.S_IMODE(deck.stat().st_mode) == 0o444


def test_someone_elses_writable_deck_keeps_its_owner(project, shared_project):
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    deck = shared_project / "slides" / "d.md"
    deck.write_text(MOJIBAKE_DECK)
    deck.chmod(0o666)  # root's file, everyone may write it (and the folder)
    proc = run_as_nobody(shared_project, "lint", "--fix", "--no-render")
    assert proc.returncode == 0, proc
    assert "# Café\n" in deck.read_text()
    assert deck.stat().st_uid == 0 and stat.S_IMODE(deck.stat().st_mode) == 0o666
    assert sorted(p.name for p in deck.parent.iterdir()) == ["d.md"]
