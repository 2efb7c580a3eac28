"""What a newcomer meets in the first hour, following the README (issue #14):
set-up problems named precisely, honest summaries, a course that shows all its
modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, fake_marp, needs_chromium, needs_marp, write

HEAD = "---\nmarp: true\n---\n\n"
# A warning the static rules always find (MK315), and nothing rendered could add an error to.
INLINE = HEAD + "# A\n\n```python\nprint(1)\n```\n"


# --------------------------------------------------------------------------- CHROME_PATH

@pytest.mark.parametrize("kind", ["missing", "directory", "not executable"])
def test_a_chrome_path_that_points_nowhere_is_named(project, run_cli, monkeypatch, kind):
    needs_marp()
    target = project / "chrome"
    if kind == "directory":
        target.mkdir()
    elif kind == "not executable":
        target.write_text("#!/bin/sh\n")
    monkeypatch.setenv("CHROME_PATH", str(target))
    write(project / "slides" / "d.md", HEAD + "# Hi\n")
    code, _, err = run_cli("build", "--format", "pdf")
    assert code == 2
    assert f"CHROME_PATH={target} points nowhere" in err, err
    code, _, err = run_cli("lint", "--render")
    assert code == 2 and f"CHROME_PATH={target} points nowhere" in err, err


def test_a_chrome_path_that_points_nowhere_says_what_is_installed(project, monkeypatch):
    needs_chromium()
    from marpkit import marp

    installed = marp.find_chromium()
    monkeypatch.setenv("CHROME_PATH", "/nonexistent")
    assert marp.find_chromium() is None
    message = marp.chromium_missing()
    assert message.startswith("CHROME_PATH=/nonexistent points nowhere (no such file)")
    assert f"unset it to use {installed}" in message


def test_no_chrome_path_and_no_browser_says_what_to_install(no_browser):
    from marpkit import marp

    message = marp.chromium_missing()
    assert "CHROME_PATH=" not in message
    assert "apt-get install chromium-headless-shell" in message


# --------------------------------------------------------------------------- lint without a browser

def test_lint_without_a_browser_runs_the_static_rules(project, run_cli, no_browser):
    write(project / "slides" / "01-a.md", INLINE)
    write(project / "slides" / "02-b.md", INLINE)
    code, out, err = run_cli("lint")
    assert code == 0, err  # the static verdict: one warning per deck, no error
    assert out.count("MK315") == 2
    assert err.count("rendered rules (MK5xx) skipped") == 1, err  # said once, not per deck
    assert "apt-get install chromium-headless-shell" in err
    assert "Traceback" not in err


def test_lint_without_a_browser_exits_by_the_static_errors(project, run_cli, no_browser):
    write(project / "slides" / "01-a.md", HEAD + "# A\n\n```python snippet=nope.py\n```\n")
    code, out, err = run_cli("lint", "--format", "json")
    assert code == 1 and '"MK310"' in out
    assert "skipped" in err  # stdout stays machine-readable


def test_lint_with_fix_without_a_browser_says_it_once(project, run_cli, no_browser):
    write(project / "slides" / "01-a.md", HEAD + "# A \u201a\u00c4\u00a2 B\n")
    code, _, err = run_cli("lint", "--fix")
    assert code == 0, err
    assert err.count("skipped") == 1
    assert "\u2022" in (project / "slides" / "01-a.md").read_text()


def test_explicit_render_without_a_browser_is_a_usage_error(project, run_cli, no_browser):
    write(project / "slides" / "01-a.md", INLINE)
    code, out, err = run_cli("lint", "--render")
    assert code == 2
    assert "no Chromium found" in err and "apt-get install chromium" in err
    assert "MK315" not in out


# --------------------------------------------------------------------------- new: footer and next step

SEED = """---
marp: true
theme: gaia
paginate: true
footer: "BAI Lab • Weights & Biases • Vương Cường"
---

# Weights & Biases Tracking

**Module 5 of 7**
"""
COURSE = """[tool.marpkit.course]
planned = [1, 2, 3, 4, 6, 7]
footer = "BAI Lab • {title} • Vương Cường"

[tool.marpkit.course.titles]
5 = "Weights & Biases"
"""


def front(project: Path, name: str) -> dict:
    from marpkit.model.deck import load_deck

    return load_deck(project / "slides" / name).front_matter.data


def test_new_takes_the_footer_from_the_course_template(project, run_cli):
    write(project / "pyproject.toml", COURSE)
    write(project / "slides" / "05-wandb-tracking.md", SEED)
    code, out, err = run_cli("new", "06-notifications", "--title", "Telegram Notifications")
    assert code == 0, err
    assert front(project, "06-notifications.md")["footer"] == "BAI Lab • Telegram Notifications • Vương Cường"
    # MK603 compares each deck with the template rendered for it: both decks agree with the course.
    code, out, _ = run_cli("lint", "--no-render", "--select", "MK603")
    assert (code, out.strip()) == (0, "All checks passed."), out


def test_new_fills_in_the_module_number_and_a_declared_title(project, run_cli):
    write(project / "pyproject.toml", '[tool.marpkit.course]\nfooter = "Lab • {number}. {title}"\n'
          '[tool.marpkit.course.titles]\n7 = "Deploying Models"\n')
    assert run_cli("new", "07-deploy")[0] == 0
    assert front(project, "07-deploy.md")["footer"] == "Lab • 7. Deploying Models"
    from marpkit.model.deck import load_deck

    assert load_deck(project / "slides" / "07-deploy.md").slides[0].title == "Deploying Models"


def test_new_without_a_course_footer_writes_none(project, run_cli):
    write(project / "slides" / "05-wandb-tracking.md", SEED)
    code, _, err = run_cli("new", "06-notifications", "--title", "Telegram Notifications")
    assert code == 0, err
    data = front(project, "06-notifications.md")
    assert "footer" not in data  # not the previous module's "… Weights & Biases …"
    assert data["theme"] == "gaia"  # the course's look still carries over


def test_a_footer_template_with_an_unknown_placeholder_is_a_usage_error(project, run_cli):
    write(project / "pyproject.toml", '[tool.marpkit.course]\nfooter = "Lab • {tilte}"\n')
    code, _, err = run_cli("new", "06-x")
    assert code == 2 and "{tilte}" in err and "{title}" in err and "Traceback" not in err
    assert not (project / "slides" / "06-x.md").exists()


def test_mk603_names_the_footer_the_template_gives(project, run_cli):
    write(project / "pyproject.toml", COURSE)
    write(project / "slides" / "05-wandb-tracking.md", SEED.replace("Weights & Biases •", "W&B •"))
    code, out, _ = run_cli("lint", "--no-render", "--select", "MK603")
    assert code == 1
    assert "footer is `BAI Lab • W&B • Vương Cường`" in out
    assert "the course uses `BAI Lab • Weights & Biases • Vương Cường`" in out  # rendered, not the raw template
    assert "{title}" not in out


def test_new_ends_with_the_preview_command_and_url(project, run_cli):
    code, out, _ = run_cli("new", "06-notifications")
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert "marpkit serve" in last and "http://localhost:8080/06-notifications.md" in last


# --------------------------------------------------------------------------- course index

def test_the_index_lists_every_module_planned_ones_as_placeholders(project):
    import re

    from marpkit.build import pipeline as build
    from marpkit.config import load_project
    from marpkit.outputs.index import write_index
    from marpkit.snippets.store import SnippetStore

    write(project / "pyproject.toml", COURSE + '6 = "Telegram Notifications"\n')
    write(project / "slides" / "05-wandb-tracking.md", SEED)
    proj = load_project()
    jobs, errors, _ = build.prepare(proj, (), SnippetStore(proj.snippets_dir))
    assert not errors
    page = write_index(proj, jobs, build.Manifest(proj)).read_text(encoding="utf-8")
    ids = re.findall(r'<article id="([^"]+)"', page)
    assert ids == ["module-1", "module-2", "module-3", "module-4", "05-wandb-tracking",
                   "module-6", "module-7"]
    assert "7 modules (6 planned)" in page
    assert "Module 6: Telegram Notifications" in page  # a title where the course knows it
    assert "<h2>Module 7</h2>" in page  # and the number alone where it does not
    assert page.count('class="planned"') == 6


# --------------------------------------------------------------------------- summaries

def test_sync_with_nothing_to_do_says_so(project, run_cli):
    write(project / "snippets" / "a.py", "print(1)\n")
    write(project / "slides" / "01-a.md", HEAD + "# A\n\n```python snippet=a.py\nprint(1)\n```\n")
    code, out, _ = run_cli("sync")
    assert (code, out.strip()) == (0, "1 deck in sync")
    code, out, _ = run_cli("sync", "--check")
    assert (code, out.strip()) == (0, "1 deck in sync")
    write(project / "snippets" / "a.py", "print(2)\n")
    code, out, _ = run_cli("sync")
    assert (code, out.strip()) == (0, "slides/01-a.md: synced 1 fence(s)")
    write(project / "slides" / "02-b.md", HEAD + "# B\n")
    assert run_cli("sync")[1].strip() == "2 decks in sync"


def test_build_counts_the_outputs_it_wrote(project, run_cli, no_browser):
    needs_marp()
    write(project / "slides" / "01-a.md", HEAD + "# A\n")
    code, out, err = run_cli("build")  # html and pdf, and a thumbnail for the index
    assert code == 2 and "no PDF was built" in err
    assert "build: 1 output(s) for 1 deck(s)" in out, out  # the HTML, not three attempts


def test_a_failed_first_build_does_not_claim_to_keep_an_output(project, run_cli, monkeypatch):
    needs_marp()
    from marpkit import marp

    fake_marp(monkeypatch, lambda *a, **k: marp.MarpResult(1, [], ["boom"], ""))
    write(project / "slides" / "01-a.md", HEAD + "# A\n")
    code, out, err = run_cli("build", "--format", "html")
    assert code == 1 and "MK900" in err and "boom" in err
    assert "previous output kept" not in err
    assert "build: nothing written" in out


# --------------------------------------------------------------------------- PDF of a huge deck

def test_the_browser_timeout_grows_with_the_deck_and_can_be_set(project, run_cli, monkeypatch):
    needs_marp()
    needs_chromium()
    from marpkit import marp
    from marpkit.marp.converter import BROWSER_TIMEOUT, SECONDS_PER_SLIDE

    calls = {}

    def record(root, inputs, args, config, **kwargs):
        calls[args[0] if args else "html"] = (args, kwargs.get("timeout"))
        return marp.MarpResult(0, [], [], "")

    fake_marp(monkeypatch, record)
    slides = "\n---\n\n".join(f"# Slide {i}\n" for i in range(10_000))
    write(project / "slides" / "01-huge.md", HEAD + slides)
    run_cli("build", "--format", "pdf")
    args, wait = calls["--pdf"]
    seconds = float(args[args.index("--browser-timeout") + 1])
    assert seconds >= 10_000 * SECONDS_PER_SLIDE > BROWSER_TIMEOUT
    assert wait is not None and wait >= seconds  # the whole call outlasts the browser's limit

    write(project / "slides" / "01-huge.md", HEAD + "# Small\n")
    run_cli("build", "--format", "pdf", "--force")
    args, _ = calls["--pdf"]
    assert args[args.index("--browser-timeout") + 1] == "30"  # Marp's own default

    write(project / "pyproject.toml", "[tool.marpkit.build]\nbrowser_timeout = 0\n")
    run_cli("build", "--format", "pdf", "--force")
    args, wait = calls["--pdf"]
    assert args[args.index("--browser-timeout") + 1] == "0" and wait is None

    write(project / "pyproject.toml", "[tool.marpkit.build]\nbrowser_timeout = 'long'\n")
    code, _, err = run_cli("build", "--format", "pdf", "--force")
    assert code == 2 and "browser_timeout must be a number" in err


@pytest.mark.integration
def test_a_deck_that_times_out_is_named_with_what_to_set(project, run_cli):
    needs_marp()
    needs_chromium()
    # 1 ms: no browser loads a page that fast, however idle the machine.
    write(project / "pyproject.toml", "[tool.marpkit.build]\nbrowser_timeout = 0.001\nindex = false\n")
    write(project / "slides" / "02-big.md", HEAD + "\n---\n\n".join(f"# Slide {i}\n" for i in range(300)))
    code, out, err = run_cli("build", "--format", "pdf")
    assert code == 1, out + err
    [line] = [line for line in err.splitlines() if "MK900" in line]
    assert line.startswith("slides/02-big.md:1:1: MK900 Marp CLI failed to build PDF: the browser "
                           "timed out after 0.001 s on this deck (300 slides)"), line
    assert "set [tool.marpkit.build] browser_timeout = 60 (seconds, 0 for no limit)" in line
    assert "previous output kept" not in line
    assert "build: nothing written" in out


def test_a_timeout_names_the_deck_marp_gave_up_on_and_publishes_the_rest(project, run_cli,
                                                                          monkeypatch):
    """Marp's message does not say which deck timed out; it goes on with the
    others. marpkit names the deck it wrote nothing for and publishes the rest."""
    from marpkit import marp

    def one_timed_out(root, inputs, args, config, **kwargs):
        for path in inputs:
            if "01-small" in path.name:
                path.with_suffix(".pdf").write_bytes(b"%PDF-1.7 complete")
        return marp.MarpResult(1, [], ["Failed converting Markdown. (Timed out after waiting 30000ms)"], "")

    fake_marp(monkeypatch, one_timed_out)
    monkeypatch.setattr(marp, "find_marp", lambda root: root)
    monkeypatch.setattr(marp, "find_chromium", lambda: "/usr/bin/chromium")
    write(project / "pyproject.toml", "[tool.marpkit.build]\nindex = false\n")
    write(project / "slides" / "01-small.md", HEAD + "# Small\n")
    write(project / "slides" / "02-big.md", HEAD + "\n---\n\n".join(f"# Slide {i}\n" for i in range(400)))
    code, out, err = run_cli("build", "--format", "pdf")
    assert code == 1
    [line] = [line for line in err.splitlines() if "MK900" in line]
    assert line.startswith("slides/02-big.md:1:1: MK900")
    assert "timed out after 30 s on this deck (400 slides)" in line
    assert "browser_timeout = 120" in line
    assert (project / "build" / "01-small.pdf").read_bytes() == b"%PDF-1.7 complete"
    assert "build: 1 output(s) for 1 deck(s)" in out


# --------------------------------------------------------------------------- set-up and README




def test_the_license_is_an_spdx_expression_setuptools_takes_without_warning(monkeypatch):
    import tomllib
    import warnings

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    [requirement] = data["build-system"]["requires"]
    assert requirement == "setuptools>=77"  # the first release that reads an SPDX `license`
    setuptools = pytest.importorskip("setuptools")
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    monkeypatch.chdir(ROOT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist = apply_configuration(Distribution(), "pyproject.toml")
    assert [str(w.message) for w in caught if "license" in str(w.message).lower()] == [], \
        setuptools.__version__
    assert dist.metadata.license_expression == "MIT"


def test_the_readme_names_the_snippets_extra_and_every_skip_hints_at_it():
    import ast

    from conftest import SNIPPETS_EXTRA

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[snippets]'" in readme
    assert "pip install -e '.[snippets]'" in SNIPPETS_EXTRA
    extra = {"torch", "numpy", "PIL"}
    unhinted = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "importorskip"
                    and node.args and (not isinstance(node.args[0], ast.Constant)
                                       or node.args[0].value in extra)
                    and not any(k.arg == "reason" for k in node.keywords)):
                unhinted.append(f"{path.name}:{node.lineno}")
    assert unhinted == []


def test_the_readme_lists_every_exit_status_of_inspect(project, run_cli):
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith("| `marpkit inspect")]
    statuses = set(re.findall(r"\b[012]\b", row.rsplit("|", 2)[1]))
    (project / "slides" / "bad.md").write_bytes(b"\xff\xfe not text")
    code, out, _ = run_cli("inspect", "slides/bad.md")
    assert code == 1 and "MK204" in out
    assert statuses == {"0", "1", "2"}
