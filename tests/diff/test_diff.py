"""marpkit diff on real git repositories built here: slides paired by identity,
verdicts from real Marp CLI renders, the user's checkout left as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import needs_chromium, needs_marp, write

THEME = "/* @theme course */\nsection { background: #fff; color: #123; }\nh1 { color: #%s; }\n"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def deck(titles: list[str], theme: str | None = None, extra: dict[str, str] | None = None) -> str:
    """A paginated deck, one slide per title; `extra` adds lines to a slide."""
    extra = extra or {}
    front = "---\nmarp: true\npaginate: true\n" + (f"theme: {theme}\n" if theme else "") + "---\n\n"
    return front + "\n\n---\n\n".join(f"# {t}\n\nWhat {t} says.{extra.get(t, '')}" for t in titles) + "\n"


@pytest.fixture
def repo(project):
    """The `project` fixture as a git repository with one commit."""
    needs_marp()
    needs_chromium()
    write(project / ".gitignore", "node_modules\nbuild/\n.marpkit-cache/\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.email", "t@example.com")
    git(project, "config", "user.name", "t")
    return project


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def diff(run_cli, *args: str) -> dict:
    code, out, err = run_cli("diff", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def verdicts(report: dict, path: str | None = None) -> dict[str, int]:
    decks = [d for d in report["decks"] if path in (None, d["new_path"], d["old_path"])]
    return {k: sum(d["counts"][k] for d in decks) for k in decks[0]["counts"]}


def not_unchanged(report: dict) -> list[dict]:
    return [s for d in report["decks"] for s in d["slides"] if s["verdict"] != "unchanged"]


TITLES = [f"Slide {n}" for n in range(1, 24)]


def test_an_inserted_slide_is_one_added_and_the_rest_unchanged(repo, run_cli):
    write(repo / "slides" / "a.md", deck(TITLES))
    commit(repo)
    write(repo / "slides" / "a.md", deck([TITLES[0], "Inserted", *TITLES[1:]]))
    before_status = git(repo, "status", "--porcelain", "--untracked-files=all")
    index = (repo / ".git" / "index").read_bytes()
    report = diff(run_cli, "HEAD")
    counts = verdicts(report)
    assert (counts["added"], counts["unchanged"], counts["changed"]) == (1, 23, 0)
    assert [(s["verdict"], s["new"], s["title"]) for s in not_unchanged(report)] == [("added", 2, "Inserted")]
    # Neither the checkout nor the index moved (the report went to build/, ignored).
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == before_status
    assert (repo / ".git" / "index").read_bytes() == index
    assert before_status == " M slides/a.md\n"  # the edit itself is there, uncommitted


def test_pairing_by_position_would_call_every_later_slide_changed(repo, tmp_path):
    from marpkit.config import load_project
    from marpkit.diff.align import by_position
    from marpkit.diff.pipeline import run_diff
    from marpkit.procs import command_scope

    write(repo / "slides" / "a.md", deck(TITLES))
    commit(repo)
    write(repo / "slides" / "a.md", deck([TITLES[0], "Inserted", *TITLES[1:]]))
    scratch = tmp_path / "scratch"
    with command_scope():
        result = run_diff(load_project(), "HEAD", (), scratch, pairing=by_position)
    counts = result.decks[0].counts()
    assert (counts["changed"], counts["added"], counts["unchanged"]) == (22, 1, 1)


def test_a_moved_slide(repo, run_cli):
    write(repo / "slides" / "a.md", deck(TITLES[:8]))
    commit(repo)
    write(repo / "slides" / "a.md", deck([*TITLES[:2], *TITLES[3:7], TITLES[2], TITLES[7]]))
    report = diff(run_cli, "HEAD")
    assert [(s["verdict"], s["old"], s["new"]) for s in not_unchanged(report)] == [("moved", 3, 7)]


SNIPPET = """\
import math

# region one
x = 1
# endregion

# region two
y = 2
# endregion
"""


def snippet_edit(repo: Path, run_cli, old: str, new: str) -> dict:
    """A deck whose slides 2 and 3 show regions `one` and `two`; the diff after `old` -> `new`."""
    fence = "\n\n```python snippet=m/demo.py#{0}\n```"
    write(repo / "snippets" / "m" / "demo.py", SNIPPET)
    write(repo / "slides" / "a.md", deck(["Intro", "One", "Two"],
                                         extra={"One": fence.format("one"), "Two": fence.format("two")}))
    commit(repo)
    write(repo / "snippets" / "m" / "demo.py", SNIPPET.replace(old, new))
    return diff(run_cli, "HEAD")


def test_a_snippet_edit_changes_exactly_the_slide_that_shows_it(repo, run_cli):
    report = snippet_edit(repo, run_cli, "y = 2", "y = 2 + 40")
    changed = not_unchanged(report)
    assert [(s["verdict"], s["new"], s["title"]) for s in changed] == [("changed", 3, "Two")]
    assert changed[0]["causes"] == ["snippet m/demo.py#two"]
    assert changed[0]["box"] is not None


def test_a_snippet_edit_outside_every_region_changes_nothing_and_renders_nothing(repo, run_cli):
    report = snippet_edit(repo, run_cli, "import math", "import math, os")
    assert not_unchanged(report) == []
    assert report["decks"][0]["rendered"] is False


def test_a_theme_colour_changes_every_slide_of_the_decks_using_it(repo, run_cli):
    write(repo / "themes" / "course.css", THEME % "456")
    write(repo / "slides" / "a.md", deck(["A1", "A2", "A3"], theme="course"))
    write(repo / "slides" / "b.md", deck(["B1", "B2"]))
    commit(repo)
    write(repo / "themes" / "course.css", THEME % "c00")
    report = diff(run_cli, "HEAD")
    assert verdicts(report, "slides/a.md")["changed"] == 3
    assert verdicts(report, "slides/b.md")["unchanged"] == 2
    assert {c for s in not_unchanged(report) for c in s["causes"]} == {"theme course"}


def test_a_changed_image_changes_its_slide(repo, run_cli):
    from PIL import Image

    Image.new("RGB", (40, 40), "red").save(repo / "slides" / "dot.png")
    write(repo / "slides" / "a.md", deck(["One", "Two"], extra={"Two": "\n\n![](dot.png)"}))
    commit(repo)
    Image.new("RGB", (40, 40), "blue").save(repo / "slides" / "dot.png")
    report = diff(run_cli, "HEAD")
    changed = not_unchanged(report)
    assert [(s["verdict"], s["new"]) for s in changed] == [("changed", 2)]
    assert changed[0]["causes"] == ["image slides/dot.png"]


def test_a_renamed_deck_pairs_with_its_old_name_and_a_deleted_one_is_removed(repo, run_cli):
    write(repo / "slides" / "a.md", deck(["A1", "A2"]))
    write(repo / "slides" / "b.md", deck(["B1", "B2", "B3"]))
    commit(repo)
    git(repo, "mv", "slides/a.md", "slides/z.md")
    (repo / "slides" / "b.md").unlink()
    report = diff(run_cli, "HEAD")
    decks = {(d["old_path"], d["new_path"]): d["counts"] for d in report["decks"]}
    assert decks[("slides/a.md", "slides/z.md")]["unchanged"] == 2
    assert decks[("slides/b.md", None)]["removed"] == 3


def test_exit_code_and_markdown_summary(repo, run_cli):
    write(repo / "slides" / "a.md", deck(["One", "Two"]))
    commit(repo)
    assert run_cli("diff", "HEAD", "--exit-code")[0] == 0
    write(repo / "slides" / "a.md", deck(["One", "Two changed"]))
    code, out, _ = run_cli("diff", "HEAD", "--exit-code", "--format", "md")
    assert code == 1
    assert '| `slides/a.md` | 1 | 0 | 0 | 0 | 1 |' in out
    assert '- `slides/a.md` changed slide 2 "Two changed": deck lines' in out


def test_a_deck_broken_at_one_revision_is_a_finding_and_the_others_are_compared(repo, run_cli):
    write(repo / "slides" / "a.md", deck(["A1"], extra={"A1": "\n\n```python snippet=m/nope.py\n```"}))
    write(repo / "slides" / "b.md", deck(["B1", "B2"]))
    commit(repo)
    write(repo / "slides" / "a.md", deck(["A1"]))
    write(repo / "slides" / "b.md", deck(["B1", "B2 changed"]))
    code, out, err = run_cli("diff", "HEAD")
    assert code == 1, err
    assert "slides/a.md:10:11: MK310 at HEAD: snippet file 'm/nope.py' does not exist" in out
    assert "slides/b.md: 1 changed, 1 unchanged" in out
    assert "slides/a.md: " not in out  # neither added nor compared


def test_paths_select_decks(repo, run_cli):
    write(repo / "slides" / "a.md", deck(["A1"]))
    write(repo / "slides" / "b.md", deck(["B1"]))
    commit(repo)
    write(repo / "slides" / "a.md", deck(["A1 changed"]))
    write(repo / "slides" / "b.md", deck(["B1 changed"]))
    report = diff(run_cli, "HEAD", "slides/b.md")
    assert [d["new_path"] for d in report["decks"]] == ["slides/b.md"]
    # No REV, a path first: the merge base with main (here HEAD), that deck alone.
    code, out, err = run_cli("diff", "slides/a.md", "--exit-code", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["revision"] == "merge-base main"
    assert [(d["new_path"], d["counts"]["changed"]) for d in report["decks"]] == [("slides/a.md", 1)]


@pytest.mark.parametrize("rev", ["no-such-branch", "HEAD~5"])
def test_an_unknown_revision_is_one_line_and_exit_2(repo, run_cli, rev):
    write(repo / "slides" / "a.md", deck(["One"]))
    commit(repo)
    code, out, err = run_cli("diff", rev)
    assert code == 2
    assert err.count("\n") == 1 and f"unknown revision '{rev}'" in err and "Traceback" not in err


def test_a_shallow_clone_names_the_fetch_that_fixes_it(repo, tmp_path, run_cli, monkeypatch):
    write(repo / "slides" / "a.md", deck(["One"]))
    commit(repo)
    write(repo / "slides" / "a.md", deck(["One", "Two"]))
    commit(repo)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    code, _, err = run_cli("diff", "HEAD~1")
    assert code == 2 and err.count("\n") == 1
    assert "git fetch --deepen" in err and "fetch-depth: 0" in err


def test_no_browser_is_one_line_and_exit_2_once_something_must_be_rendered(repo, run_cli, monkeypatch):
    write(repo / "slides" / "a.md", deck(["One"]))
    commit(repo)
    monkeypatch.setenv("CHROME_PATH", str(repo / "no-chromium"))
    assert run_cli("diff", "HEAD")[0] == 0  # nothing to render
    write(repo / "slides" / "a.md", deck(["One changed"]))
    code, _, err = run_cli("diff", "HEAD")
    assert code == 2 and err.count("\n") == 1
    assert "renders slides in a browser" in err and "CHROME_PATH=" in err


def test_not_a_git_repository_is_one_line_and_exit_2(project, run_cli):
    write(project / "slides" / "a.md", deck(["One"]))
    code, _, err = run_cli("diff", "HEAD")
    assert code == 2 and err.count("\n") == 1 and "not a git repository" in err


def test_the_html_report_shows_before_and_after_and_flips(repo, run_cli, browser):
    write(repo / "slides" / "a.md", deck(["One", "Two", "Three"]))
    commit(repo)
    write(repo / "slides" / "a.md", deck(["One", "Two, edited", "Three", "Four"]))
    diff(run_cli, "HEAD")
    page = browser.new_page()
    try:
        page.goto((repo / "build" / "diff" / "index.html").as_uri())
        sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
        assert len(sizes) == 3 and all(sizes)  # changed: before and after; added: after
        row = page.locator(".row", has=page.locator("button.flip"))
        assert row.count() == 1
        before, after = row.locator("figure.before"), row.locator("figure.after")
        assert before.is_visible() and after.is_visible()
        row.locator("button.flip").click()
        assert after.is_visible() and not before.is_visible()
        row.locator("button.flip").click()
        assert before.is_visible() and not after.is_visible()
        assert row.locator(".box").first.is_visible()  # the region that differs
    finally:
        page.close()


def test_a_setting_that_reaches_marp_is_the_cause_configuration(repo, run_cli):
    raw = '\n\n<span style="color: red">raw HTML</span>'  # shown as text unless html = true
    write(repo / "slides" / "a.md", deck(["One", "Two"], extra={"Two": raw}))
    commit(repo)
    write(repo / "pyproject.toml", "[tool.marpkit]\n[tool.marpkit.build]\nhtml = true\n")
    changed = not_unchanged(diff(run_cli, "HEAD"))
    assert [(s["verdict"], s["new"], s["causes"]) for s in changed] == [("changed", 2, ["configuration"])]


def test_diff_loads_no_heavy_library():
    """Like every command but check's, diff starts without wandb, rich or a plotting library."""
    code = ("import sys, marpkit.commands.diff, marpkit.diff.pipeline, marpkit.diff.report; "
            "print(sorted(m for m in ('wandb', 'rich', 'matplotlib', 'plotly') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_slide_whose_snippet_now_fails_its_check_is_flagged(repo, run_cli):
    """The shown lines are the same, the file now logs another key than its
    header promises: no pixel changed, but the check cache says passed at the
    base and failed now. (Only clean runs are cached: a crash is run again.)"""
    logged = ('# /// marpkit\n# expect:\n#   history: [loss]\n# ///\nimport wandb\n\n'
              'run = wandb.init(project="p", mode="offline")\n# region two\ny = 2\n# endregion\n'
              'run.log({"loss": 1.0})\nrun.finish()\n')
    fence = "\n\n```python snippet=m/demo.py#two\n```"
    write(repo / "snippets" / "m" / "demo.py", logged)
    write(repo / "slides" / "a.md", deck(["Intro", "Two"], extra={"Two": fence}))
    run_cli("sync")
    commit(repo)
    assert run_cli("check", "--isolation", "basic")[0] == 0
    write(repo / "snippets" / "m" / "demo.py", logged.replace('{"loss": 1.0}', '{"acc": 1.0}'))
    assert run_cli("check", "--isolation", "basic")[0] == 1
    report = diff(run_cli, "HEAD")
    flagged = [s for d in report["decks"] for s in d["slides"] if s["checks"]]
    assert [(s["verdict"], s["new"], s["checks"]) for s in flagged] == [
        ("unchanged", 2, ["m/demo.py: passed -> failed"])]
    code, out, _ = run_cli("diff", "HEAD", "--format", "md")
    assert "check m/demo.py: passed -> failed" in out
