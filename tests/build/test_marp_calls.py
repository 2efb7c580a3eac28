"""Integration: a build's Marp CLI calls run in one Node process with one browser,
and convert exactly as separate `marp` processes do."""

import re
import subprocess
import zlib

import pytest

from conftest import ROOT, group_members, needs_chromium, needs_marp, write
from marpkit import marp, procs
from marpkit.marp.converter import FORMATS

pytestmark = pytest.mark.integration

HEAD = "---\nmarp: true\npaginate: true\n---\n\n"
DECK = HEAD + "# Title\n\n- one\n- two\n\n---\n\n## Second\n\n```python\nprint(1)\n```\n"


def test_a_cold_build_starts_marp_and_the_browser_once(project, run_cli, monkeypatch):
    """HTML, PDF and the index's thumbnails: one Node process running Marp CLI
    and one Chromium (three processes and two browsers before)."""
    needs_marp()
    needs_chromium()
    marp_runs, browsers = [], []
    run, end_listed = procs.run, procs.end_listed

    def counting_run(cmd, **kwargs):
        if any("marp-cli" in part or "marp_calls" in part for part in cmd):
            marp_runs.append(cmd)
        return run(cmd, **kwargs)

    def counting_end_listed(folder, *args, **kwargs):
        listed = folder / procs.GROUPS_FILE  # a line per browser the launcher started
        browsers.extend(listed.read_text().split() if listed.is_file() else [])
        return end_listed(folder, *args, **kwargs)

    monkeypatch.setattr(procs, "run", counting_run)
    monkeypatch.setattr(procs, "end_listed", counting_end_listed)
    for n in (1, 2):
        write(project / "slides" / f"0{n}-m.md", DECK)
    code, out, err = run_cli("build")
    assert code == 0, out + err
    for stem in ("01-m", "02-m"):
        for suffix in (".html", ".pdf", ".png"):
            assert (project / "build" / f"{stem}{suffix}").stat().st_size > 0
    assert len(marp_runs) == 1, marp_runs
    assert len(browsers) == 1, browsers


def test_a_thumbnail_the_pdf_run_did_not_capture_comes_from_a_marp_run(project, run_cli,
                                                                        monkeypatch):
    """The capture relies on how Marp CLI loads a deck: where it finds none
    (a Marp that loads decks otherwise), Marp's own `--image png` makes it."""
    needs_marp()
    needs_chromium()
    import dataclasses

    runs = []
    run_calls = marp.run_marp_calls

    def uncaptured(root, calls, config, **kwargs):
        runs.append([c.args[:2] for c in calls])
        return run_calls(root, [dataclasses.replace(c, thumbnails=()) for c in calls], config,
                         **kwargs)

    monkeypatch.setattr(marp, "run_marp_calls", uncaptured)
    for n in (1, 2):
        write(project / "slides" / f"0{n}-m.md", DECK)
    code, out, err = run_cli("build")
    assert code == 0, out + err
    assert runs[1:] == [[("--image", "png")]], runs
    for stem in ("01-m", "02-m"):
        assert (project / "build" / f"{stem}.png").stat().st_size > 0
    assert not list((project / "build").glob("*.marpkit-src*"))


def test_calls_in_one_process_write_what_separate_marp_processes_write(tmp_path):
    needs_marp()
    needs_chromium()
    chromium = marp.find_chromium()
    config = tmp_path / "marp.json"
    config.write_text("{}")
    args = {"html": ("--allow-local-files",), "png": ("--image", "png"),
            "pdf": ("--pdf", "--pdf-outlines")}
    together, apart, home = tmp_path / "together", tmp_path / "apart", tmp_path / "home"
    for folder in (together, apart):
        write(folder / "d.md", DECK)
    home.mkdir()
    with procs.command_scope():
        results = marp.run_marp_calls(ROOT, [marp.MarpCall((together / "d.md",), a)
                                             for a in args.values()], config, chromium=chromium)
        assert [r.returncode for r in results] == [0, 0, 0], [r.output for r in results]
        for a in args.values():
            subprocess.run(["node", str(marp.find_marp(ROOT)), "--no-stdin", "--config-file",
                            str(config), *a, str(apart / "d.md")], cwd=ROOT, check=True,
                           capture_output=True, env=marp.marp_env(home, chromium))
    for suffix in (".html", ".png"):
        assert (together / f"d{suffix}").read_bytes() == (apart / f"d{suffix}").read_bytes()
    # A PDF carries the time it was made; the rest is the same.
    assert _undated(together / "d.pdf") == _undated(apart / "d.pdf")


# The first slide carries what a capture after printing could get wrong: a
# fitted header, math, an image, a background, a 4:3 size, a highlighted fence.
FIRST = ("---\nmarp: true\nmath: mathjax\nsize: 4:3\nbackgroundColor: '#fec'\n---\n\n"
         "# <!--fit--> A fitted title\n\n$e^{i\\pi} + 1 = 0$\n\n![w:60](dot.png)\n\n"
         "```python\nprint('a very long line of code that marp scales down to fit')\n```\n\n"
         "---\n\n## Second\n")


def test_thumbnails_captured_while_printing_are_marps_own_first_slide_images(tmp_path):
    """A PDF call's thumbnails are byte for byte what `marp --image png`
    writes, for every deck of the call (five at a time in Marp's workers),
    and the PDFs are what a PDF call without them prints."""
    needs_marp()
    needs_chromium()
    chromium = marp.find_chromium()
    config = tmp_path / "marp.json"
    config.write_text("{}")
    dot = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a7c3b5e40000000049454e44ae426082")
    decks = {f"d{n}.md": FIRST.replace("A fitted", f"Deck {n}, a fitted") for n in range(7)}
    decks["plain.md"] = DECK
    folders = {name: tmp_path / name for name in ("captured", "marp", "printed")}
    for folder in folders.values():
        for name, text in decks.items():
            write(folder / name, text)
        (folder / "dot.png").write_bytes(dot)
    inputs = {k: tuple(sorted(f.glob("*.md"))) for k, f in folders.items()}
    # Named through a link to their folder: the same files all the same.
    (tmp_path / "link").symlink_to(folders["captured"])
    wanted = tuple(tmp_path / "link" / p.name for p in inputs["captured"][1:])
    pdf = ("--pdf", "--allow-local-files", "--pdf-outlines")
    with procs.command_scope():
        results = marp.run_marp_calls(ROOT, [
            marp.MarpCall(inputs["captured"], pdf, thumbnails=wanted),
            # The thumbnail format's own arguments: the capture (assets/marp_calls.js)
            # takes Marp's steps for them, and must change when they do.
            marp.MarpCall(inputs["marp"], (*FORMATS["thumbnail"].args, "--allow-local-files")),
            marp.MarpCall(inputs["printed"], pdf)], config, chromium=chromium)
    assert [r.returncode for r in results] == [0, 0, 0], [r.output for r in results]
    first, *rest = inputs["captured"]
    assert not first.with_suffix(".png").exists()  # not asked for
    for deck in rest:
        assert deck.with_suffix(".png").read_bytes() == (folders["marp"] / f"{deck.stem}.png").read_bytes(), deck
        assert _undated(deck.with_suffix(".pdf")) == _undated(folders["printed"] / f"{deck.stem}.pdf")


def test_each_call_has_its_own_result_and_messages(tmp_path):
    needs_marp()
    config = tmp_path / "marp.json"
    config.write_text("{}")
    write(tmp_path / "d.md", DECK)
    with procs.command_scope():
        ok, missing = marp.run_marp_calls(ROOT, [
            marp.MarpCall((tmp_path / "d.md",), ()),
            marp.MarpCall((tmp_path / "nope.md",), ())], config)
    assert ok.returncode == 0 and not ok.warnings and not ok.errors
    assert "d.html" in ok.output and "nope" not in ok.output
    assert missing.returncode != 0
    assert [w.strip() for w in missing.warnings] == ["Not found processable Markdown file(s)."]
    assert (tmp_path / "d.html").is_file()


def test_output_of_no_call_is_shown_once_or_with_the_calls_that_failed(tmp_path, monkeypatch):
    """Node's own output (here a [WARN] printed as it starts, before any call)
    belongs to no deck: it is shown with the first result, not once per call,
    and with every call that failed, where it may say why."""
    needs_marp()
    config = tmp_path / "marp.json"
    config.write_text("{}")
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.md", DECK)
    (tmp_path / "stray.js").write_text("console.error('[ WARN ] stray warning from Node');\n")
    monkeypatch.setenv("NODE_OPTIONS", f"--require {tmp_path / 'stray.js'}")
    calls = [marp.MarpCall((tmp_path / f"{n}.md",), ()) for n in ("a", "b", "c")]
    with procs.command_scope():
        results = marp.run_marp_calls(ROOT, calls, config)
    assert [r.returncode for r in results] == [0, 0, 0]
    assert [r.warnings for r in results] == [["stray warning from Node"], [], []]
    calls[1] = marp.MarpCall((tmp_path / "nope.md",), ())
    with procs.command_scope():
        results = marp.run_marp_calls(ROOT, calls, config)
    assert [r.returncode != 0 for r in results] == [False, True, False]
    assert ["stray warning from Node" in r.warnings for r in results] == [False, True, False]


def test_a_call_past_its_time_is_reported_and_leaves_no_process(tmp_path, monkeypatch):
    needs_marp()
    config = tmp_path / "marp.json"
    config.write_text("{}")
    write(tmp_path / "d.md", DECK)
    started = []
    spawn = procs.spawn
    monkeypatch.setattr(procs, "spawn", lambda *a, **k: started.append(spawn(*a, **k)) or started[-1])
    with procs.command_scope():
        [result] = marp.run_marp_calls(ROOT, [marp.MarpCall((tmp_path / "d.md",), (), 0.01)],
                                       config)
    assert result.returncode == 124
    assert result.errors == ["Marp CLI did not finish within 0s"]
    [driver] = started
    assert not group_members(driver.pid)


def _undated(pdf) -> list[bytes]:
    """A PDF's streams, inflated, with its creation and modification times left
    out, and its cross-reference streams (the offsets shift with the times'
    compressed length)."""
    streams = re.findall(rb"obj\s*(<<.*?)stream\r?\n(.*?)endstream", pdf.read_bytes(), re.S)
    assert streams
    return [re.sub(rb"/(CreationDate|ModDate) \(D:\d+Z\)", b"", _inflate(s))
            for head, s in streams if b"/XRef" not in head]


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return data
