"""A path argument names the same decks for every command that takes decks.

Each deck here shows a snippet that does not exist: every command names the
decks it took (a finding, a summary line) without converting or running
anything, so the decks a command took can be read from what it prints.
"""

from __future__ import annotations

import re

import pytest

from conftest import needs_marp, write

DECK = "---\nmarp: true\n---\n\n# {name}\n\n```python snippet=m/nope.py\nx = 1\n```\n"
COMMANDS = {
    "lint": ["lint", "--no-render", "--select", "MK310"],
    "build": ["build", "--format", "html"],
    "check": ["check"],
    "sync": ["sync", "--check"],
    "inspect": ["inspect"],
    "extract": ["extract"],
}
CASES = {
    "nothing": ([], {"a", "b"}),
    "a file": (["slides/b.md"], {"b"}),
    "files in order, once": (["slides/b.md", "slides/a.md", "slides/b.md"], {"a", "b"}),
    "the slides folder": (["slides"], {"a", "b"}),
    "the project folder": (["."], {"a", "b"}),
    "a glob the shell left": (["slides/a*.md"], {"a"}),
    "a symlinked deck by its target": (["drafts/linked.md"], {"linked"}),
    "a subfolder of slides": (["slides/part"], {"c"}),
    "a deck in a subfolder": (["slides/part/c.md"], {"c"}),
    "a deck outside slides": (["notes/d.md"], {"d"}),
    "a folder outside slides": (["notes"], {"d"}),
    "a glob outside slides": (["notes/*.md"], {"d"}),
    "a glob that matches nothing": (["notes/*.txt"], "notes/*.txt: matches no file"),
    "a folder without decks": (["drafts/empty"], "no *.md files directly in this folder"),
    "a deck outside the project": (["../elsewhere.md"], "outside this project"),
    "a missing file": (["nope.md"], "nope.md: no such file or folder"),
}


@pytest.fixture
def path_course(project):
    for name in ("a", "b"):
        write(project / "slides" / f"{name}.md", DECK.format(name=name))
    write(project / "slides" / "part" / "c.md", DECK.format(name="c"))
    write(project / "notes" / "d.md", DECK.format(name="d"))
    (project / "drafts" / "empty").mkdir(parents=True)
    write(project.parent / "elsewhere.md", DECK.format(name="elsewhere"))
    target = write(project / "drafts" / "linked.md", DECK.format(name="linked"))
    (project / "slides" / "linked.md").symlink_to(target)
    return project


def decks_named(text: str) -> set[str]:
    return set(re.findall(r"(?:slides|slides/part|notes)/([\w-]+)\.md", text))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_arguments_mean_the_same_decks(path_course, run_cli, command, case):
    if command == "build":
        needs_marp()
    args, expected = CASES[case]
    if case == "nothing" or case.startswith("the "):
        expected = expected | {"linked"}
    code, out, err = run_cli(*COMMANDS[command], *args)
    if isinstance(expected, str):
        assert code == 2, (out, err)
        assert expected in err and len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err
    else:
        assert code in (0, 1), (out, err)
        assert decks_named(out + err) == expected, (out, err)


def test_extract_to_takes_one_deck(path_course, run_cli):
    code, _, err = run_cli("extract", "--to", "out.md", "slides")
    assert code == 2 and "--to out.md: names one deck's new file, but 3 decks were given" in err


def test_no_decks_at_all_is_a_usage_error(project, run_cli):
    for command in ("inspect", "extract", "lint"):
        code, _, err = run_cli(command)
        assert code == 2 and "no decks found in slides/" in err, (command, err)


def test_every_deck_is_the_md_files_directly_in_slides(path_course):
    from marpkit.config import load_project

    project = load_project()
    assert [p.name for p in project.decks()] == ["a.md", "b.md", "linked.md"]
