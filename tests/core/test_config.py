"""[tool.marpkit] is validated once, in config.py: a mistake is exit 2 naming it."""

from __future__ import annotations

import pytest

from conftest import write


@pytest.mark.parametrize("toml, message", [
    ("[tool.marpkit]\ntitle = 42\n", "[tool.marpkit] title must be a string, not 42"),
    ("[tool.marpkit]\nslide_dir = 'decks'\n", "unknown key 'slide_dir' (did you mean 'slides_dir'?)"),
    ("[tool.marpkit.build]\npdf_outlines = 'maybe'\n", "[tool.marpkit.build] pdf_outlines must be true or false"),
    ("[tool.marpkit.course]\nplanned = ['six']\n", "planned must be a list of whole numbers"),
    ("[tool.marpkit.bild]\nhtml = true\n", "unknown key 'bild' (did you mean 'build'?)"),
    # Checked with the rest of the config, not only by the command that builds.
    ("[tool.marpkit.build]\nformats = ['html', 'gif']\n", "[tool.marpkit.build] formats: unknown ['gif']"),
    ("[tool.marpkit.build]\nbrowser_timeout = -1\n", "browser_timeout must be a number of seconds"),
    ("tool = 5\n", "pyproject.toml: tool must be a table, not 5"),
    ("[tool]\nmarpkit = 3\n", "pyproject.toml: [tool] marpkit must be a table, not 3"),
    ("[tool.marpkit]\nslides = 5\n", "unknown key 'slides' (did you mean 'slides_dir'?)"),
])
@pytest.mark.parametrize("command", [["sync", "--check"], ["lint", "--no-render"], ["inspect", "slides/d.md"],
                                     ["check"], ["build"], ["new", "07-x"],
                                     ["extract", "slides/d.md"]],
                         ids=lambda c: c[0])
def test_bad_config_is_a_usage_error(project, run_cli, toml, message, command):
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n")
    write(project / "pyproject.toml", toml)
    status, _, err = run_cli(*command)
    assert status == 2 and message in err, err
    assert "Traceback" not in err


def test_good_config_passes(project, run_cli):
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n")
    write(project / "pyproject.toml", "[tool.marpkit]\ntitle = 'C'\n[tool.marpkit.build]\nformats = ['html']\n"
                                      "[tool.marpkit.course]\nplanned = [2]\ntheme = 'default'\n")
    assert run_cli("sync", "--check")[0] == 0


def test_lint_paths_are_relative_to_the_project_from_any_folder(project, run_cli, monkeypatch):
    """Linting from slides/ files findings under slides/d.md, like every other command."""
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n\n```python\nprint(1)\n```\n")
    monkeypatch.chdir(project / "slides")
    status, out, _ = run_cli("lint", "--no-render", "--select", "MK315", "d.md")
    assert status == 0 and out.startswith("slides/d.md:7:1: MK315"), out


@pytest.mark.parametrize("command", [["sync", "--check"], ["lint", "--no-render"], ["check"],
                                     ["inspect", "slides/bad.md"]],
                         ids=lambda c: c[0])
def test_unreadable_deck_is_the_same_mk204_everywhere(project, run_cli, command):
    (project / "slides" / "bad.md").write_bytes(b"---\nmarp: true\n---\n\n# caf\xe9\n")
    status, out, _ = run_cli(*command)
    assert status == 1
    assert "slides/bad.md:5:6: MK204 not UTF-8: byte 0xe9 cannot be decoded" in out, out


@pytest.mark.parametrize("cache_dir, what", [
    (".", "is the project folder"), ("slides", "is slides_dir"), ("snippets", "is snippets_dir"),
    ("themes", "is themes_dir"), ("build", "is build_dir"), ("..", "holds the project folder"),
])
@pytest.mark.parametrize("command", [["sync"], ["lint", "--no-render"], ["serve"]], ids=lambda c: c[0])
def test_a_cache_dir_that_is_not_marpkits_own_is_refused(project, command, cache_dir, what):
    """serve empties its folder in the cache: with cache_dir = "." it deleted the user's serve/."""
    import subprocess
    import sys

    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n")
    write(project / "serve" / "notes.md", "mine\n")
    write(project / "pyproject.toml", f"[tool.marpkit]\ncache_dir = {cache_dir!r}\n")
    # A process of its own: on the code before, serve never returned.
    proc = subprocess.run([sys.executable, "-m", "marpkit", *command], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc
    assert proc.stderr == f"marpkit: error: pyproject.toml: [tool.marpkit] cache_dir {cache_dir!r} {what}: " \
                          "the cache must be a folder of marpkit's own, e.g. '.marpkit-cache'\n"
    assert (project / "serve" / "notes.md").read_text() == "mine\n"


def test_an_existing_cache_folder_must_be_empty_or_tagged(project, run_cli):
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n")
    write(project / "pyproject.toml", "[tool.marpkit]\ncache_dir = 'tmp'\n")
    write(project / "tmp" / "draft.md", "mine\n")
    status, _, err = run_cli("sync")
    assert status == 2 and "cache_dir 'tmp' holds files marpkit did not write" in err
    assert sorted(p.name for p in (project / "tmp").iterdir()) == ["draft.md"]

    (project / "tmp" / "draft.md").unlink()  # empty: marpkit's from now on
    assert run_cli("lint", "--no-render")[0] == 0
    assert (project / "tmp" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert run_cli("lint", "--no-render")[0] == 0  # its own files no longer make it foreign


def test_a_new_cache_folder_is_created_tagged(project, run_cli):
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# T\n")
    write(project / "pyproject.toml", "[tool.marpkit]\ncache_dir = '.cache/marpkit'\n")
    assert run_cli("sync")[0] == 0
    assert (project / ".cache" / "marpkit" / "CACHEDIR.TAG").is_file()
    assert run_cli("sync")[0] == 0
