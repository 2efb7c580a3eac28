"""`marpkit new`, and the CI files shipped for users of the tool."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, needs_chromium, needs_marp, write
from marpkit.cli import COMMANDS, LazyGroup
from marpkit.model.deck import load_deck
from marpkit.snippets.store import SnippetStore, resolve_deck

MARPKIT = Path(sys.executable).with_name("marpkit")


def marpkit(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(MARPKIT), *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout)


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_scaffolds_a_deck_and_a_synced_snippet(project, run_cli):
    code, out, err = run_cli("new", "06-sweeps", "--title", 'Sweeps: "fast" & cheap')
    assert code == 0, err
    deck = load_deck(project / "slides" / "06-sweeps.md")
    assert deck.is_marp
    assert deck.front_matter.data == {"marp": "true", "theme": "default", "paginate": "true"}
    assert deck.slides[0].title == 'Sweeps: "fast" & cheap'
    assert "**Module 6 of 1**" in deck.text
    [res] = resolve_deck(deck, SnippetStore(project / "snippets"))
    assert res.ok and res.ref == "06-sweeps/quickstart.py#log"
    assert res.block.body == res.code  # already synced
    assert "wandb.log({" in res.code and "config={" in res.code
    assert "created slides/06-sweeps.md" in out
    assert "created snippets/06-sweeps/quickstart.py" in out


def test_copies_the_course_theme_and_pagination_and_counts_modules(project, run_cli):
    write(project / "slides" / "05-tracking.md", '''
        ---
        marp: true
        theme: gaia
        paginate: false
        footer: "BAI Lab • W&B: \\"course\\""
        ---

        # Tracking

        **Module 5 of 2**
        ''')
    code, out, err = run_cli("new", "06-sweeps")
    assert code == 0, err
    deck = load_deck(project / "slides" / "06-sweeps.md")
    data = deck.front_matter.data
    assert (data["theme"], data["paginate"]) == ("gaia", "false")
    assert "footer" not in data  # it names module 5: only [tool.marpkit.course] sets a footer
    assert deck.slides[0].title == "Sweeps"
    assert "**Module 6 of 2**" in deck.text
    assert "slides/05-tracking.md" not in out  # its "of 2" is still right


def test_course_settings_win_over_decks(project, run_cli):
    (project / "pyproject.toml").write_text(
        '[tool.marpkit.course]\ntheme = "uncover"\nfooter = "Course"\nplanned = [1, 2]\n')
    code, out, err = run_cli("new", "03-x")
    assert code == 0, err
    text = (project / "slides" / "03-x.md").read_text()
    assert "theme: uncover\n" in text and "footer: Course\n" in text
    assert "**Module 3 of 3**" in text


@pytest.mark.parametrize("footer", ["null", "yes", "12", "a: b", "# not a comment", "x'y\"z",
                                    "Lab • Vương", "- item", "[1]", "{a: 1}", "@me", "x  "])
def test_footers_read_back_as_written(project, run_cli, footer):
    (project / "pyproject.toml").write_text(
        "[tool.marpkit.course]\nfooter = " + json.dumps(footer) + "\n")
    assert run_cli("new", "01-x")[0] == 0
    deck = load_deck(project / "slides" / "01-x.md")
    assert deck.front_matter.data["footer"] == footer
    assert deck.slides[0].title == "X"


@pytest.mark.parametrize("name", ["6-sweeps", "06_sweeps", "06-Sweeps", "06-", "006-x",
                                  "../06-x", "06-x/y", "06-x.md", "06-x\n", " 06-x"])
def test_refuses_bad_names(project, run_cli, name):
    code, out, err = run_cli("new", name)
    assert code == 2
    assert "not a module name" in err and "Traceback" not in err
    assert not any((project / "slides").iterdir())


def test_refuses_a_title_that_is_not_one_line(project, run_cli):
    code, _, err = run_cli("new", "06-x", "--title", "a\nb")
    assert code == 2 and "one non-empty line" in err


def test_refuses_a_title_with_an_html_comment(project, run_cli):
    code, _, err = run_cli("new", "06-x", "--title", "A <!-- b")
    assert code == 2 and "HTML comment" in err
    assert not (project / "slides" / "06-x.md").exists()


def test_never_overwrites(project, run_cli):
    write(project / "snippets" / "06-x" / "quickstart.py", "print('mine')\n")
    code, _, err = run_cli("new", "06-x")
    assert code == 2 and "already exists" in err
    assert (project / "snippets" / "06-x" / "quickstart.py").read_text() == "print('mine')\n"
    assert not (project / "slides" / "06-x.md").exists()

    assert run_cli("new", "07-y")[0] == 0
    before = (project / "slides" / "07-y.md").read_text()
    code, _, err = run_cli("new", "07-y", "--title", "Other")
    assert code == 2 and "already exists" in err
    assert (project / "slides" / "07-y.md").read_text() == before
    # Another deck with the same module number is refused too.
    code, _, err = run_cli("new", "07-z")
    assert code == 2 and "module 7 already has a deck" in err


def test_points_at_title_slides_the_new_module_makes_stale(project, run_cli):
    write(project / "slides" / "01-a.md", "---\nmarp: true\n---\n\n# A\n\n**Module 1 of 1**\n")
    code, out, _ = run_cli("new", "02-b")
    assert code == 0
    assert "slides/01-a.md:7: 'Module 1 of 1'" in out


@pytest.mark.integration
def test_a_new_module_passes_sync_build_check_and_lint(project):
    needs_marp()
    assert marpkit(project, "new", "06-sweeps", "--title", "Sweeps").returncode == 0

    sync = marpkit(project, "sync", "--check")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    build = marpkit(project, "build", "--format", "html")
    assert build.returncode == 0, build.stdout + build.stderr
    assert (project / "build" / "06-sweeps.html").is_file()
    if has_module("marpkit.lint.engine"):
        lint = marpkit(project, "lint", "--no-render")
        assert lint.returncode == 0, lint.stdout + lint.stderr
        assert "06-sweeps" not in lint.stdout  # no findings at all, warnings included
    if has_module("marpkit.commands.check") and has_module("wandb"):
        check = marpkit(project, "check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "1 passed" in check.stdout


@pytest.mark.integration
def test_a_new_module_builds_a_pdf_and_passes_rendered_lint(project):
    needs_marp()
    needs_chromium()
    assert marpkit(project, "new", "06-sweeps").returncode == 0
    build = marpkit(project, "build", "--format", "pdf")
    assert build.returncode == 0, build.stdout + build.stderr
    assert (project / "build" / "06-sweeps.pdf").stat().st_size > 0
    if has_module("marpkit.lint.render"):
        # Rendered rules too (overflow, shrunk code, contrast) in real Chromium.
        lint = marpkit(project, "lint")
        assert lint.returncode == 0, lint.stdout + lint.stderr
        assert "06-sweeps" not in lint.stdout


# --------------------------------------------------------------------------- CI files

def _command(entry: str):
    """The click command an `entry` runs, and the options it passes."""
    words = entry.split()
    assert words[0] == "marpkit", entry
    assert words[1] in COMMANDS, entry
    command = LazyGroup().get_command(None, words[1])
    return command, [w for w in words[2:] if w.startswith("-")]


def test_pre_commit_hooks_run_existing_marpkit_commands():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"marpkit-lint", "marpkit-sync-check"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        re.compile(hook["files"])
        if not has_module(COMMANDS[hook["entry"].split()[1]].partition(":")[0]):
            continue  # that command is still being written
        command, flags = _command(hook["entry"])
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        assert set(flags) <= known, (hook["id"], flags)

    lint, sync = hooks["marpkit-lint"], hooks["marpkit-sync-check"]
    assert lint["entry"] == "marpkit lint --no-render"
    assert re.search(lint["files"], "slides/05-wandb-tracking.md")
    assert not re.search(lint["files"], "README.md")
    assert not re.search(lint["files"], "slides/drafts/x.md")  # not a deck: lint would refuse it
    assert sync["entry"] == "marpkit sync --check"
    assert sync["pass_filenames"] is False  # a snippet can make any deck drift
    for path in ("slides/05-wandb-tracking.md", "snippets/05-wandb-tracking/basic_tracking.py"):
        assert re.search(sync["files"], path)
    assert not re.search(sync["files"], "tools/marpkit/cli.py")


def test_slides_workflow_parses_and_runs_marpkit():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "slides.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert workflow["permissions"]["security-events"] == "write"
    [job] = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    for action in ("actions/setup-python", "actions/setup-node", "actions/cache",
                   "github/codeql-action/upload-sarif", "actions/upload-artifact"):
        assert any(u.startswith(action + "@") for u in uses), action
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11" and python["with"]["cache"] == "pip"
    node = next(s for s in steps if s.get("uses", "").startswith("actions/setup-node"))
    assert node["with"]["node-version"] == "20" and node["with"]["cache"] == "npm"
    cached = {s["with"]["path"].rstrip("/") for s in steps
              if s.get("uses", "").startswith("actions/cache")}
    assert cached == {".venv", "node_modules", ".marpkit-cache"}

    runs = "\n".join(s.get("run", "") for s in steps)
    assert "make setup" in runs and "make slides" in runs
    for package in ("chromium", "fonts-noto-color-emoji", "poppler-utils"):
        assert package in runs
    lint = next(s for s in steps if "marpkit lint" in s.get("run", ""))
    assert lint["continue-on-error"] is True
    assert "--format sarif > lint.sarif" in lint["run"]
    sarif = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert sarif["with"]["sarif_file"] == "lint.sarif"
    for line in runs.splitlines():
        for match in re.finditer(r"\.venv/bin/marpkit (\w+)", line):
            assert match.group(1) in COMMANDS, line
    if has_module("marpkit.outputs.formats"):
        from marpkit.outputs.formats import FORMATS

        assert "sarif" in FORMATS
    if has_module("marpkit.commands.check"):
        command, _ = _command("marpkit check")
        assert "--junit" in {opt for param in command.params for opt in param.opts}
    artifact = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")
                    and s["with"]["path"].rstrip("/") == "build")
    assert artifact["if"] == "always()"
    # A pull request's slide changes: the diff needs the base commit, its table
    # goes to the job summary, its page is an artifact.
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert "pull_request" in str(checkout["with"]["fetch-depth"])
    diff = next(s for s in steps if "marpkit diff" in s.get("run", ""))
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert '--format md >> "$GITHUB_STEP_SUMMARY"' in diff["run"]
    assert any(s.get("uses", "").startswith("actions/upload-artifact@")
               and s["with"]["path"].rstrip("/") == "build/diff" for s in steps)
