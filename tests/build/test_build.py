"""Integration: the real Marp CLI and the real Chromium."""

import html
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, CodeText, fake_marp, needs_chromium, needs_marp, write
from marpkit.model.deck import load_deck
from marpkit.snippets.store import SnippetStore, resolve_deck

pytestmark = pytest.mark.integration

MOJIBAKE = re.compile("[‚Ä∆·ª√Ô]|Ä¢|Äî")
ASSET_URL = re.compile(
    r"""(?:src|href|srcset)\s*=\s*["']?\s*https?://"""  # elements that load something
    r"""|url\(\s*["']?https?://|@import\s+(?:url\()?\s*["']?https?://""",  # CSS
    re.I)


@pytest.fixture(scope="module")
def module5(tmp_path_factory):
    """`marpkit build` of the real Module 5 deck, in a copy of the project."""
    needs_marp()
    needs_chromium()
    root = tmp_path_factory.mktemp("course")
    for name in ("slides", "snippets"):
        shutil.copytree(ROOT / name, root / name)
    (root / "pyproject.toml").write_text("[tool.marpkit]\n")
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "marpkit"), "build"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def test_pdf_has_one_page_per_slide_and_the_right_text(module5):
    deck = load_deck(module5 / "slides" / "05-wandb-tracking.md")
    pdf = module5 / "build" / "05-wandb-tracking.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == len(deck.slides)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Vương Cường" in text
    assert not MOJIBAKE.search(text)
    for emoji in ("✅", "➡️", "🚀"):
        assert emoji in text
    # Colour emoji glyphs come from the local Noto Color Emoji font (embedded as
    # Type 3), not from twemoji images a CDN would serve.
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "Type 3" in fonts


def test_html_shows_every_snippet_line_and_loads_nothing_remote(module5):
    page = (module5 / "build" / "05-wandb-tracking.html").read_text(encoding="utf-8")
    assert not ASSET_URL.search(page), ASSET_URL.search(page)
    assert "twemoji" not in page.replace("data-marp-twemoji", "")
    parser = CodeText()
    parser.feed(page)
    shown = "\n".join(html.unescape(block) for block in parser.blocks)
    deck = load_deck(module5 / "slides" / "05-wandb-tracking.md")
    resolutions = resolve_deck(deck, SnippetStore(module5 / "snippets"))
    assert resolutions and all(r.ok for r in resolutions)
    for res in resolutions:
        for line in res.code.splitlines():
            assert line in shown, (res.ref, line)


def test_build_renders_the_file_not_the_stale_fence_body(project, run_cli):
    needs_marp()
    write(project / "snippets" / "a.py", "# region r\nprint('from the file')\n# endregion\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n```python snippet=a.py#r\nstale()\n```\n")
    code, out, err = run_cli("build", "--format", "html")
    assert code == 0, out + err
    page = (project / "build" / "d.html").read_text()
    assert "from the file" in page and "stale()" not in page
    assert not list((project / "build").glob("*.marpkit-src*"))  # staging copies are gone


def test_failed_build_keeps_the_previous_good_output(project, run_cli):
    needs_marp()
    snippet = write(project / "snippets" / "a.py", "# region r\nprint('v1')\n# endregion\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n```python snippet=a.py#r\n```\n")
    assert run_cli("build", "--format", "html")[0] == 0
    good = (project / "build" / "d.html").read_bytes()
    snippet.write_text("print('no region any more')\n")
    code, out, _ = run_cli("build", "--format", "html")
    assert code == 1 and "MK311" in out
    assert (project / "build" / "d.html").read_bytes() == good


def test_marp_failure_mid_conversion_keeps_the_previous_output(project, run_cli, monkeypatch):
    needs_marp()
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# v1\n")
    assert run_cli("build", "--format", "html")[0] == 0
    good = (project / "build" / "d.html").read_bytes()
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# v2\n")
    from marpkit import marp

    def half_written(root, inputs, args, config, **kwargs):
        for path in inputs:  # what a crashed converter leaves: a truncated file
            path.with_suffix(".html").write_text("<!DOCTYPE html><html><bo")
        return marp.MarpResult(1, [], ["boom"], "")

    fake_marp(monkeypatch, half_written)
    code, _, err = run_cli("build", "--format", "html")
    assert code == 1 and "MK900" in err and "previous output kept" in err
    assert (project / "build" / "d.html").read_bytes() == good
    assert not list((project / "build").glob("*.marpkit-src*"))


def test_without_a_browser_html_still_builds_and_pdf_says_how(project, run_cli, no_browser):
    needs_marp()
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n")
    code, _, err = run_cli("build")
    assert code == 2
    assert "apt-get install chromium" in err
    assert (project / "build" / "d.html").is_file()
    assert not (project / "build" / "d.pdf").exists()


def test_without_marp_the_error_says_what_to_run(project, run_cli):
    (project / "node_modules").unlink()
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n")
    code, _, err = run_cli("build")
    assert code == 2
    assert "Marp CLI is not installed" in err and "make setup" in err
    assert "Traceback" not in err


def test_relative_images_are_published_with_the_build(project, run_cli):
    needs_marp()
    (project / "slides" / "img").mkdir()
    (project / "slides" / "img" / "a.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n![](img/a.svg)\n\n![](img/missing.png)\n")
    code, out, _ = run_cli("build", "--format", "html")
    assert code == 1
    assert "slides/d.md:7:1: MK902 local file 'img/missing.png' does not exist (slide 1)" in out
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n![](img/a.svg)\n")
    assert run_cli("build", "--format", "html")[0] == 0
    assert (project / "build" / "img" / "a.svg").is_file()
    assert 'src="img/a.svg"' in (project / "build" / "d.html").read_text()


OUTPUT_DECK = """\
---
marp: true
---

# Run it

```python snippet=train.py#loop
```

```text output=train.py
(filled from the last check)
```
"""

TRAIN = """\
import wandb

run = wandb.init(project="p", config={"epochs": 2})
# region loop
for epoch in range(run.config.epochs):
    loss = 1.0 / (epoch + 1)
    run.log({"loss": loss})
    print(f"epoch {epoch}: loss={loss:.2f}")
# endregion
print(f"run {run.id} done")
run.finish()
"""


def test_output_fence_shows_the_real_stdout_and_sync_does_not_flap(project, run_cli):
    needs_marp()
    write(project / "snippets" / "train.py", TRAIN)
    deck = write(project / "slides" / "d.md", OUTPUT_DECK)
    assert run_cli("sync")[0] == 0
    assert "(filled from the last check)" in deck.read_text()  # nothing checked yet: untouched
    code, out, err = run_cli("check")
    assert code == 0, out + err
    code, out, _ = run_cli("sync", "--check")
    assert code == 1 and "checked output of train.py" in out
    assert run_cli("sync")[0] == 0
    body = deck.read_text().split("output=train.py\n", 1)[1].split("```", 1)[0]
    assert body.startswith("epoch 0: loss=1.00\nepoch 1: loss=0.50\nrun <run-id> done")
    assert "wandb:" not in body
    # A fresh run has a new run id and timings; the normalised output is the same.
    assert run_cli("check", "--no-cache")[0] == 0
    assert run_cli("sync", "--check")[0] == 0
    assert run_cli("build", "--format", "html")[0] == 0
    assert "epoch 1: loss=0.50" in (project / "build" / "d.html").read_text()
