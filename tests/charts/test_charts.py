"""Charts of logged metrics on slides, end to end: a real W&B offline run
recorded by `marpkit check`, drawn by `marpkit sync`, judged by lint; and the
`check --report` page opened in Chromium."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, SNIPPETS_EXTRA, needs_marp
from marpkit.model.deck import load_deck

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(importlib.util.find_spec("wandb") is None, reason=SNIPPETS_EXTRA)]

LOSS = """
    import math
    import wandb

    # region train
    run = wandb.init(project="demo", name="known")
    for value in [5, 1, 4, 2, 3]:
        run.log({"loss": value, "epoch_f": value / 10, "odd": math.nan if value == 4 else value,
                 "label": f"v{value}"})
    run.finish()
    # endregion
"""

BROKEN = """
    import wandb

    # region train
    run = wandb.init(project="demo")
    if run.id:
        raise RuntimeError("the data loader broke")
    run.log({"loss": 1.0})
    # endregion
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def chart_deck(root: Path, title: str, alt: str = "w:900") -> Path:
    return write(root / "slides" / "01-m.md", f"""
        ---
        marp: true
        ---

        # Training

        ```python snippet=m/train.py#train
        ```

        ---

        # The curve

        Some text the chart must never touch.

        ![{alt}](charts/loss.svg "{title}")
        """)


@pytest.fixture
def proj(project, monkeypatch):
    write(project / "snippets" / "m" / "train.py", LOSS)
    for var in ("WANDB_MODE", "WANDB_DIR", "WANDB_SILENT"):
        monkeypatch.delenv(var, raising=False)
    return project


def chart_line(deck: Path) -> int:
    return next(n for n, line in enumerate(deck.read_text().splitlines(), 1) if "chart:" in line)


def test_a_known_series_is_drawn_with_its_facts_and_redrawn_byte_for_byte(proj, run_cli):
    deck = chart_deck(proj, "chart: m/train.py loss")
    assert run_cli("sync")[0] == 1  # never checked: nothing to draw from
    assert run_cli("check")[0] == 0
    code, out, err = run_cli("sync")
    assert code == 0, out + err
    svg_path = proj / "slides" / "charts" / "loss.svg"
    svg = svg_path.read_text()
    alt = "loss: 5 points, 5 → 3 (min 1, max 5)"
    assert f"![w:900 {alt}](charts/loss.svg" in deck.read_text()
    assert f"<title>{alt}</title>" in svg
    (points,) = [[tuple(map(float, p.split(","))) for p in m.group(1).split()]
                 for m in re.finditer(r'<polyline points="([^"]+)"', svg)]
    ys = [y for _, y in points]
    assert sorted(range(5), key=lambda i: -ys[i]) == [1, 3, 4, 2, 0]  # 1 < 2 < 3 < 4 < 5
    # Everything else in the deck is as it was.
    assert "Some text the chart must never touch." in deck.read_text()

    assert run_cli("sync", "--check")[0] == 0
    assert run_cli("lint", "--no-render")[0] == 0
    svg_path.unlink()
    assert run_cli("sync")[0] == 0
    assert svg_path.read_text() == svg  # the same run: the same bytes


def test_a_chart_the_run_cannot_draw_is_a_finding_on_its_line(proj, run_cli):
    deck = chart_deck(proj, "chart: m/train.py los")
    code, out, _ = run_cli("check")
    line = chart_line(deck)
    assert code == 1
    assert re.search(rf"01-m\.md:{line}:1: MK309 run known never logged 'los' .*logged: "
                     r"epoch_f, label, loss, odd", out), out
    code, out, _ = run_cli("sync")
    assert code == 1 and f":{line}:1: MK309" in out
    assert not (proj / "slides" / "charts" / "loss.svg").exists()

    chart_deck(proj, "chart: m/train.py label")
    code, out, _ = run_cli("check")
    assert code == 1 and "MK309 'label' has 5 value(s) that are not numbers (str)" in out

    write(proj / "snippets" / "m" / "train.py", BROKEN)
    chart_deck(proj, "chart: m/train.py loss")
    code, out, _ = run_cli("check")
    assert code == 1 and f":{line}:1: MK309 m/train.py failed" in out


def test_nan_is_a_gap_said_in_the_alt_text(proj, run_cli):
    deck = chart_deck(proj, "chart: m/train.py odd loss x=epoch_f", alt="")
    assert run_cli("check")[0] == 0
    assert run_cli("sync")[0] == 0
    text = deck.read_text()
    assert "odd: 5 points, 5 → 3 (min 1, max 5), 1 NaN/inf value shown as gaps; " \
           "loss: 5 points" in text and "x axis: epoch\\_f" in text
    svg = (proj / "slides" / "charts" / "loss.svg").read_text()
    assert svg.count("<polyline") == 3  # odd in two pieces, loss in one


def test_a_chart_goes_stale_when_its_snippet_changes(proj, run_cli):
    deck = chart_deck(proj, "chart: m/train.py loss")
    run_cli("check")
    run_cli("sync")
    source = proj / "snippets" / "m" / "train.py"
    source.write_text(source.read_text().replace("[5, 1, 4, 2, 3]", "[9, 8, 7]"))
    run_cli("sync")  # the fence follows the file; the chart cannot yet
    line = chart_line(deck)
    code, out, _ = run_cli("sync", "--check")
    assert code == 1 and f":{line}:1: MK309 m/train.py has not been checked as it is now" in out
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1 and f":{line}:1: MK317 chart charts/loss.svg was drawn from an older " \
                         "m/train.py" in out
    assert run_cli("check")[0] == 0
    code, out, _ = run_cli("sync", "--check")
    assert code == 1 and "MK317 chart charts/loss.svg differs from the checked run" in out
    assert run_cli("sync")[0] == 0
    assert "loss: 3 points, 9 → 7" in deck.read_text()
    assert run_cli("sync", "--check")[0] == 0 and run_cli("lint", "--no-render")[0] == 0


def test_a_hand_edited_alt_or_a_bad_reference_is_reported_by_lint(proj, run_cli):
    deck = chart_deck(proj, "chart: m/train.py loss")
    run_cli("check")
    run_cli("sync")
    deck.write_text(deck.read_text().replace("5 → 3", "5 → 0.5"))
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1 and "MK317 alt text of chart charts/loss.svg is not what the chart shows" in out
    chart_deck(proj, "chart: m/nothere.py loss")
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1 and "MK318 chart's snippet m/nothere.py not found" in out
    deck.write_text(deck.read_text().replace("charts/loss.svg", "../snippets/m/loss.svg")
                    .replace("m/nothere.py", "m/train.py"))
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1 and "MK318 chart file '../snippets/m/loss.svg' lies in the snippets folder" in out


def test_check_json_keeps_the_history_a_chart_needs(proj, run_cli):
    chart_deck(proj, "chart: m/train.py loss")
    code, out, _ = run_cli("check", "--format", "json")
    (run,) = json.loads(out)["snippets"][0]["runs"]
    assert run["name"] == "known"
    assert run["history"]["loss"]["values"] == [5, 1, 4, 2, 3]
    assert run["history"]["odd"]["nonfinite"] == 1


def test_the_check_report_shows_failures_first_and_its_images_load(proj, run_cli, browser):
    write(proj / "snippets" / "m" / "broken.py", BROKEN)
    write(proj / "slides" / "02-b.md", """
        ---
        marp: true
        ---

        # Broken

        ```python snippet=m/broken.py#train
        ```
        """)
    chart_deck(proj, "chart: m/train.py loss")
    run_cli("sync")
    code, _, err = run_cli("check", "--report", "report")
    assert code == 1 and "report: report/index.html" in err
    page = browser.new_page()
    try:
        page.goto((proj / "report" / "index.html").as_uri())
        statuses = page.eval_on_selector_all("section.snippet[data-snippet]",
                                             "s => s.map(e => [e.dataset.snippet, e.dataset.status])")
        assert statuses == [["m/broken.py", "failed"], ["m/train.py", "passed"]]
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.complete && i.naturalWidth > 0, i.alt])")
        assert len(images) == 3 and all(ok for ok, _ in images)  # loss, epoch_f, odd; not label
        assert "loss: 5 points, 5 → 3 (min 1, max 5)" in [alt for _, alt in images]
        text = page.inner_text("section.failed")
        assert "the data loader broke" in text and "MK301" in text
        never = page.eval_on_selector_all("section.failed .l.never", "ls => ls.length")
        assert never >= 1  # the lines after the raise never ran
        shown = page.eval_on_selector_all("section.passed .l.shown", "ls => ls.length")
        assert shown == 5  # the region: init, for, log (two lines), finish
    finally:
        page.close()


def test_the_course_index_check_badge_leads_to_the_report(proj, run_cli, browser):
    needs_marp()
    chart_deck(proj, "chart: m/train.py loss")
    run_cli("sync")
    assert run_cli("check", "--report", "build/check")[0] == 0
    assert run_cli("sync")[0] == 0
    code, out, err = run_cli("build", "--format", "html")
    assert code == 0, out + err
    assert (proj / "build" / "charts" / "loss.svg").is_file()  # published with the deck
    page = browser.new_page()
    try:
        page.goto((proj / "build" / "index.html").as_uri())
        page.click("a.badge:has-text('check')")
        page.wait_for_selector("section.snippet[data-snippet='m/train.py']")
        assert page.title().startswith("marpkit check: 0 failed")
    finally:
        page.close()


def test_the_course_deck_shows_its_real_chart_and_lints_clean(tmp_path, monkeypatch, browser):
    """Module 5's Step 3 slide: train.py's curves, current, published, legible."""
    needs_marp()
    for name in ("slides", "snippets", "themes"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    monkeypatch.chdir(tmp_path)
    marpkit = [str(Path(sys.executable).with_name("marpkit"))]
    deck_path = Path("slides/05-wandb-tracking.md")
    deck = load_deck(deck_path)
    charts = [i for s in deck.slides for i in s.images if i.title.startswith("chart:")]
    assert any("train.py" in i.title for i in charts)
    step3 = next(s for s in deck.slides if s.title and "View Results" in s.title)
    assert any(i.title.startswith("chart:") for i in step3.images)
    for args in (["sync", "--check"], ["lint", "--render", str(deck_path)]):
        proc = subprocess.run(marpkit + args, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(marpkit + ["build", "--format", "html"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = browser.new_page()
    try:
        page.goto((tmp_path / "build" / "05-wandb-tracking.html").as_uri())
        loaded = page.eval_on_selector_all(
            "img[src$='.svg']", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])")
        assert loaded and all(width > 0 for _, width in loaded), loaded
    finally:
        page.close()


def test_an_alt_over_two_lines_is_reported_not_redrawn_on_every_sync(proj, run_cli):
    deck = chart_deck(proj, "chart: m/train.py loss")
    deck.write_text(deck.read_text().replace("![w:900](", "![w:900 the curve\nof the loss]("))
    assert run_cli("check")[0] == 0
    code, out, _ = run_cli("sync")  # the fence, and the file drawn; the alt is not sync's
    assert "drew 1 chart(s)" in out
    drawn = (proj / "slides" / "charts" / "loss.svg").read_bytes()
    for _ in range(2):
        code, out, err = run_cli("sync")
        assert code == 1 and "drew" not in out and "Traceback" not in err
        assert "MK317 alt text of chart charts/loss.svg spans several lines" in out
    assert (proj / "slides" / "charts" / "loss.svg").read_bytes() == drawn
    assert "the curve\nof the loss" in deck.read_text()
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1 and "MK317 alt text of chart charts/loss.svg spans several lines" in out


@pytest.mark.parametrize("occupant", ["picture", "folder", "loop", "pipe", "link out"])
def test_sync_never_replaces_what_it_did_not_draw(proj, run_cli, occupant, tmp_path_factory):
    deck = chart_deck(proj, "chart: m/train.py loss")
    target = proj / "slides" / "charts" / "loss.svg"
    target.parent.mkdir(parents=True)
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "loss.svg"
    if occupant == "picture":
        target.write_text("<svg xmlns='http://www.w3.org/2000/svg'><title>mine</title></svg>")
    elif occupant == "folder":
        target.mkdir()
    elif occupant == "pipe":
        os.mkfifo(target)  # read, it would block lint and sync for ever
    elif occupant == "link out":
        elsewhere.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
        target.symlink_to(elsewhere)
    else:
        target.symlink_to(target)
    assert run_cli("check")[0] == 0
    run_cli("sync")  # the fence is filled; the chart is refused
    before, line = deck.read_text(), chart_line(deck)
    code, out, err = run_cli("sync")
    assert code == 1 and "Traceback" not in err
    assert f"01-m.md:{line}:1: MK318" in out
    assert deck.read_text() == before
    if occupant == "picture":
        assert "<title>mine</title>" in target.read_text()
    if occupant == "link out":
        assert "lies outside the project" in out
        assert elsewhere.read_text() == "<svg xmlns='http://www.w3.org/2000/svg'/>"
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1 and f":{line}:1: MK318" in out
