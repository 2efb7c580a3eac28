"""Handouts (slide images beside presenter notes) and private notes, with the
real Marp CLI and Chromium."""

import http.server
import math
import re
import shutil
import struct
import subprocess
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import ROOT, needs_chromium, needs_marp, write
from marpkit.build.handout import marp_slides, render_notes
from marpkit.model.deck import load_deck
from marpkit.model.notes import without_notes

pytestmark = pytest.mark.integration

DECK = "slides/05-wandb-tracking.md"
# Slides of the Module 5 deck given a note; the others keep none.
NOTED = (1, 2, 4, 7, 11, 12, 18, 24)


def marker(n: int) -> str:
    return f"HANDOUTNOTE{n:02d}"


def with_notes(text: str, slides: tuple[int, ...]) -> str:
    """The deck with a Markdown note (emphasis, a list, code) added at the end of each of `slides`."""
    deck = load_deck(Path(DECK), text=text)
    lines = text.splitlines(keepends=True)
    for slide in sorted((s for s in deck.slides if s.index in slides), key=lambda s: -s.end_line):
        note = (f"\n<!--\n{marker(slide.index)} is *said* here.\n\n- a point\n- `code()`\n-->\n\n")
        lines.insert(slide.end_line - 1 if lines[slide.end_line - 1].strip() == "---"
                     else slide.end_line, note)
    return "".join(lines)


def build(root: Path, settings: str, *args: str) -> subprocess.CompletedProcess:
    write(root / "pyproject.toml", f'[tool.marpkit]\ntitle = "ML Course"\n[tool.marpkit.build]\n{settings}\n')
    return subprocess.run([str(ROOT / ".venv" / "bin" / "marpkit"), "build", *args], cwd=root,
                          capture_output=True, text=True, timeout=600)


def built(out: str) -> set[str]:
    return set(re.findall(r"^built build/(\S+)", out, re.M))


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def pdf_has(pdf: Path, needle: str) -> bool:
    """Whether `needle` is anywhere in the PDF: its page text (pdftotext) or
    its annotations, where Marp's `--pdf-notes` puts notes as UTF-16 hex
    strings inside compressed object streams, which pdftotext does not read."""
    if needle in "".join(pdf_pages(pdf)):
        return True
    data = pdf.read_bytes()
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            data += zlib.decompress(stream.group(1))
        except zlib.error:
            pass
    return any(form in data.upper() for form in (
        needle.upper().encode(), needle.encode("utf-16-be").hex().upper().encode(),
        needle.upper().encode("utf-16-be")))


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the project with the Module 5 deck, notes added to some slides."""
    needs_marp()
    needs_chromium()
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "snippets", root / "snippets")
    # The deck's chart (slide 14) is a file beside it.
    shutil.copytree(ROOT / "slides" / "charts", root / "slides" / "charts")
    write(root / DECK, with_notes((ROOT / DECK).read_text(encoding="utf-8"), NOTED))
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    deck = load_deck(root / DECK)
    assert len(deck.slides) == 24
    assert [s.index for s in deck.slides if s.notes] == list(NOTED)
    return root


def test_each_layout_has_its_pages_and_each_note_beside_its_slide(course):
    handout = course / "build" / "05-wandb-tracking-handout.pdf"
    for layout in (1, 2, 3):
        proc = build(course, f'formats = ["png", "handout"]\nhandout_layout = {layout}\nindex = false')
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # A new layout prints the handout again and publishes nothing else.
        assert built(proc.stdout) >= {"05-wandb-tracking-handout.pdf"}
        if layout > 1:
            assert built(proc.stdout) == {"05-wandb-tracking-handout.pdf"}
        assert page_count(handout) == math.ceil(24 / layout)
        pages = pdf_pages(handout)
        for number, text in enumerate(pages, 1):
            on_page = range((number - 1) * layout + 1, min(number * layout, 24) + 1)
            assert sorted(map(int, re.findall(r"HANDOUTNOTE(\d\d)", text))) == \
                [n for n in on_page if n in NOTED], (layout, number, text)
            for slide in on_page:
                assert f"Slide {slide} ·" in text
            assert "ML Course" in text and "Weights & Biases Tracking" in text
            assert re.search(rf"(?m)^{number} ?/ ?{len(pages)}$", text), text
    # Rendered Markdown: the emphasis and code marks are gone, the words stay.
    assert "*said*" not in pages[0] and "is said here" in pages[0] and "code()" in pages[0]


def test_private_notes_stay_out_of_everything_but_the_handout(course):
    proc = build(course, 'formats = ["html", "pdf", "pptx", "png", "handout"]\nnotes = "private"')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = {}
    for path in sorted((course / "build").rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".pdf":
            texts = ["HANDOUTNOTE" if pdf_has(path, "HANDOUTNOTE") else ""]
        elif path.suffix == ".pptx":
            with zipfile.ZipFile(path) as pptx:
                texts = [pptx.read(name).decode("utf-8", "replace") for name in pptx.namelist()]
        else:
            texts = [path.read_bytes().decode("utf-8", "replace")]
        if any("HANDOUTNOTE" in t for t in texts):
            found[path.relative_to(course).as_posix()] = True
    assert found == {"build/05-wandb-tracking-handout.pdf": True}
    index = (course / "build" / "index.html").read_text(encoding="utf-8")
    assert 'href="05-wandb-tracking-handout.pdf"' in index
    # The thumbnail is the first slide image, taken from the png run.
    thumbnail = course / "build" / "05-wandb-tracking.png"
    assert thumbnail.read_bytes() == (course / "build" / "05-wandb-tracking.001.png").read_bytes()


def test_public_notes_are_published_as_before(course):
    # Also what shows that the private test's search finds notes where Marp puts them.
    proc = build(course, 'formats = ["html", "pdf", "pptx"]\nindex = false')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert marker(7) in (course / "build" / "05-wandb-tracking.html").read_text(encoding="utf-8")
    assert pdf_has(course / "build" / "05-wandb-tracking.pdf", marker(7))
    with zipfile.ZipFile(course / "build" / "05-wandb-tracking.pptx") as pptx:
        assert any(marker(7) in pptx.read(name).decode("utf-8", "replace") for name in pptx.namelist())


TWO = "---\nmarp: true\ntitle: Module {n}\n---\n\n# Deck {n}\n\n<!-- {note} -->\n\n---\n\n# Second\n"


def test_editing_a_note_rebuilds_only_its_deck(project, run_cli):
    needs_marp()
    needs_chromium()
    write(project / "pyproject.toml", "[tool.marpkit.build]\nformats = ['html', 'handout']\nindex = false\n")
    write(project / "slides" / "01-a.md", TWO.format(n=1, note="first note"))
    write(project / "slides" / "02-b.md", TWO.format(n=2, note="second note"))
    code, out, err = run_cli("build")
    assert code == 0, out + err
    assert built(out) == {"01-a.html", "01-a-handout.pdf", "02-b.html", "02-b-handout.pdf"}
    write(project / "slides" / "01-a.md", TWO.format(n=1, note="first note, edited"))
    code, out, err = run_cli("build")
    assert code == 0, out + err
    assert built(out) == {"01-a.html", "01-a-handout.pdf"}
    assert "first note, edited" in "".join(pdf_pages(project / "build" / "01-a-handout.pdf"))
    # The handout's own settings reprint the handouts and nothing else.
    write(project / "pyproject.toml",
          "[tool.marpkit.build]\nformats = ['html', 'handout']\nindex = false\nhandout_paper = 'Letter'\n")
    code, out, err = run_cli("build")
    assert built(out) == {"01-a-handout.pdf", "02-b-handout.pdf"}
    info = subprocess.run(["pdfinfo", str(project / "build" / "02-b-handout.pdf")],
                          capture_output=True, text=True, check=True).stdout
    assert "612 x 792 pts (letter)" in info


def test_without_a_browser_the_handout_says_how_and_html_still_builds(project, run_cli, no_browser):
    needs_marp()
    write(project / "pyproject.toml", "[tool.marpkit.build]\nformats = ['html', 'handout']\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n\n<!-- a note -->\n")
    code, _, err = run_cli("build")
    assert code == 2
    assert "no HANDOUT was built" in err and "apt-get install chromium" in err
    assert (project / "build" / "d.html").is_file()
    assert not (project / "build" / "d-handout.pdf").exists()


@pytest.mark.parametrize("settings, message", [
    ("handout_layout = 4", "handout_layout must be 1, 2 or 3"),
    ("handout_paper = 'A3'", 'handout_paper must be "A4" or "Letter"'),
    ("notes = 'secret'", 'notes must be "public" or "private"'),
    ("notes = 'private'\nformats = ['notes']", 'notes = "private"'),
])
def test_bad_settings_are_one_line_and_exit_2(project, run_cli, settings, message):
    write(project / "pyproject.toml", f"[tool.marpkit.build]\n{settings}\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n")
    code, _, err = run_cli("build")
    assert code == 2
    assert message in err and "pyproject.toml" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_private_notes_and_the_notes_format_on_the_command_line(project, run_cli):
    needs_marp()
    write(project / "pyproject.toml", "[tool.marpkit.build]\nnotes = 'private'\n")
    write(project / "slides" / "d.md", "---\nmarp: true\n---\n\n# Hi\n")
    code, _, err = run_cli("build", "--format", "notes")
    assert code == 2 and 'notes = "private"' in err


def test_raw_html_in_notes_is_escaped_unless_html_is_on():
    escaped = str(render_notes(["<b>bold</b> and *em*\n\n<script>x()</script>"], html=False))
    assert "&lt;b&gt;bold&lt;/b&gt;" in escaped and "<em>em</em>" in escaped
    assert "<script>" not in escaped
    kept = str(render_notes(["<b>bold</b>"], html=True))
    assert "<b>bold</b>" in kept
    assert render_notes([], html=False) is None


def test_the_handout_takes_marps_slides_and_css_but_not_its_viewer():
    page = ("<html><head><style>body[data-bespoke-view] .bespoke-marp-osc{opacity:1}</style>"
            "<style>@import url('https://fonts.example/x.css');"
            "div#\\:\\$p > svg > foreignObject > section{color:red}"
            "@page {size:1280px 720px;margin:0}"
            "@media print{div#\\:\\$p > svg[data-marpit-svg]{height:100vh}}</style></head>"
            '<body><div class="bespoke-marp-osc"><button>Next</button></div><div id=":$p">'
            '<svg data-marpit-svg=""><foreignObject><section>One</section></foreignObject></svg>'
            '<svg data-marpit-svg=""><foreignObject><section>Two</section></foreignObject></svg>'
            '</div><div class="bespoke-marp-note" data-index="0"><p>a note</p></div>'
            "<script>bespoke()</script></body></html>")
    slides = marp_slides(page)
    # The slides' rules, scoped to the handout's slide boxes; not the viewer's,
    # not the page size of Marp's PDF, nothing remote.
    assert "div.marp-slide > svg > foreignObject > section{color:red}" in slides.css
    assert "div.marp-slide > svg[data-marpit-svg]" in slides.css
    assert "bespoke" not in slides.css and "@page" not in slides.css
    assert "fonts.example" not in slides.css
    assert slides.markup.count("<svg data-marpit-svg") == 2 and slides.markup.endswith("</svg>")
    assert "a note" not in slides.markup and "Next" not in slides.markup
    # Without notes the viewer's script follows the container.
    bare = page.replace('<div class="bespoke-marp-note" data-index="0"><p>a note</p></div>', "")
    assert marp_slides(bare).markup == slides.markup
    assert marp_slides("<html><body><p>no slides</p></body></html>") is None


def test_without_notes_keeps_directives_and_comments_in_code():
    text = ("---\nmarp: true\n---\n\n# A\n\n<!-- _class: lead -->\n\nhi <!-- inline note -->\n\n"
            "<!--\nblock *note*\n-->\n\n```html\n<!-- in code -->\n```\n\n---\n\n# B\n<!-- note b -->\n")
    out = without_notes(text, Path("d.md"))
    assert "<!-- _class: lead -->" in out and "<!-- in code -->" in out
    for note in ("inline note", "block *note*", "note b"):
        assert note not in out
    assert all(not s.notes for s in load_deck(Path("d.md"), text=out).slides)
    assert without_notes("# no notes\n", Path("d.md")) == "# no notes\n"


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def page_pixels(pdf: Path, page: int) -> list[tuple[int, int, int]]:
    """The page's pixels at 30 dpi (pdftoppm's PPM)."""
    ppm = subprocess.run(["pdftoppm", "-r", "30", "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    magic, width, height, _, data = ppm.split(maxsplit=4)
    assert magic == b"P6"
    return [tuple(data[i:i + 3]) for i in range(0, int(width) * int(height) * 3, 3)]


def near(pixel: tuple[int, int, int], rgb: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, rgb, strict=True))


class Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the stdlib's name
        Counter.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


RED, GREEN = (230, 20, 20), (20, 160, 40)


def test_the_handout_shows_marps_own_slides_and_fetches_nothing(project, run_cli):
    """The slides are Marp's (vector: their text is in the PDF), with their
    local images and backgrounds, pagination and theme; a remote one is not fetched."""
    needs_marp()
    needs_chromium()
    Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        (project / "slides" / "img").mkdir()
        (project / "slides" / "img" / "red.png").write_bytes(solid_png(40, 40, RED))
        (project / "slides" / "img" / "green.png").write_bytes(solid_png(64, 36, GREEN))
        write(project / "pyproject.toml",
              "[tool.marpkit]\ntitle = 'Course'\n[tool.marpkit.build]\nformats = ['handout']\n"
              "handout_layout = 1\nindex = false\n")
        write(project / "slides" / "d.md", f"""
            ---
            marp: true
            theme: gaia
            paginate: true
            math: katex
            style: |
              @import url('{host}/style.css');
            ---

            # Squared $x^2$

            ![w:200](img/red.png) ![remote]({host}/img.png)

            <!-- SPOKENNOTE about the square -->

            ---

            <!-- _class: invert -->
            ![bg right]({host}/bg.png)
            ![bg right](img/green.png)

            ## Code slide

            ```python
            def area(side):
                return side ** 2
            ```
            """)
        code, out, err = run_cli("build")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, out + err
    handout = project / "build" / "d-handout.pdf"
    assert Counter.hits == []
    # Only the handout is published; the HTML Marp made for it is gone with the staging.
    assert sorted(p.name for p in (project / "build").iterdir() if p.is_file()) == ["d-handout.pdf"]
    first, second = pdf_pages(handout)
    assert "Squared" in first and "SPOKENNOTE about the square" in first
    assert "Code slide" in second and "def area(side):" in second and "return side ** 2" in second
    # Pagination: the slide's own page number, beside the handout's "2 / 2".
    assert re.search(r"(?m)^2$", second), second
    assert any(near(p, RED) for p in page_pixels(handout, 1))
    assert any(near(p, GREEN) for p in page_pixels(handout, 2))
