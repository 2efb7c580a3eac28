"""Handouts: each slide beside its presenter notes, printed to PDF.

The slides are those of Marp CLI's HTML of the deck (the build's own html
output, or an HTML conversion when that format is not built): their inline
SVG elements and Marp's CSS go into a Jinja2 page (assets/handout.html.j2)
that the Chromium marpkit drives itself prints (marp/browser.py,
Page.printToPDF). So a handout costs no browser render by Marp CLI, and its
slides stay vector (text and code as sharp as in Marp's PDF).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from marpkit import marp
from marpkit.config import TIMEOUT_SETTING, Project
from marpkit.fsutil import atomic_write
from marpkit.model import course
from marpkit.model.deck import Deck

# Inches, as Page.printToPDF takes them.
PAPERS = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 0.6, 0.55, 0.5
# How wide a slide is beside its notes, by slides per page.
SHOT_WIDTH = {2: 55, 3: 45}
NO_LIMIT = 10.0 ** 7  # seconds: a browser timeout of 0
# Marp's slide container, as Marp CLI's HTML names it and as its CSS is scoped
# (`div#\:\$p > svg > foreignObject > section …`). In a handout there is one
# per slide, so the scope becomes a class.
CONTAINER = '<div id=":$p">'
SCOPE, HANDOUT_SCOPE = r"div#\:\$p", "div.marp-slide"
# Marp's print rules size the page to one slide; the handout's paper and
# margins are the printer's options.
_PAGE_RULE = re.compile(r"@page\s*\{[^{}]*\}")
# What follows the container in Marp CLI's page: the presenter notes (when
# public), else the viewer's script.
_AFTER_SLIDES = ('</div><div class="bespoke-marp-note"', "</div><script>")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
# Awaited before printing: Marp's browser script fits code and headings
# (`marp-auto-scaling`) once laid out, and fonts load with the first layout.
_READY = """async () => {
  await document.fonts.ready;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return window.marpkitProblem || null;
}"""


@dataclass(frozen=True)
class HandoutSlide:
    number: int
    title: str | None
    notes: Markup | None  # rendered Markdown


@dataclass(frozen=True)
class Handout:
    """One deck's handout, as the template and the printer take it."""

    deck: Deck
    stem: str
    html: Path  # Marp CLI's HTML of the deck, in the build folder
    target: Path


@dataclass(frozen=True)
class MarpSlides:
    """What a handout takes from Marp CLI's HTML of a deck."""

    css: str  # Marp's (theme, Marpit, math) rules, scoped to HANDOUT_SCOPE
    markup: str  # the slides' <svg data-marpit-svg> elements, and Marp's browser script


@dataclass(frozen=True)
class HandoutStyle:
    layout: int
    lines: bool
    paper: str
    html: bool  # raw HTML in notes kept, as in slides; escaped otherwise
    course_title: str


class HandoutError(Exception):
    """One deck's handout could not be made; the message says why."""


def render_notes(notes: list[str], html: bool) -> Markup | None:
    """A slide's notes (Markdown) as HTML. Raw HTML in them is text unless `html`."""
    if not notes:
        return None
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": html}).enable("table").enable("strikethrough")
    return Markup(md.render("\n\n".join(notes)))


def marp_slides(html: str) -> MarpSlides | None:
    """The slides and their CSS in Marp CLI's HTML (bespoke template); None if
    it is not such a page. The viewer's own CSS (`bespoke-marp-…`) and script
    stay out: the handout is no slide viewer."""
    head, body = html.split("<body", 1) if "<body" in html else ("", "")
    start = body.find(CONTAINER)
    if start < 0:
        return None
    end = body.find(_AFTER_SLIDES[0], start)
    end = end if end >= 0 else body.rfind(_AFTER_SLIDES[1])
    if end < start:
        return None
    css = "\n".join(s for s in _STYLE.findall(head) if "bespoke-marp" not in s)
    css = _PAGE_RULE.sub("", marp.strip_remote_imports(css)).replace(SCOPE, HANDOUT_SCOPE)
    return MarpSlides(css, body[start + len(CONTAINER):end])


def page_html(handout: Handout, style: HandoutStyle, slides_of_marp: MarpSlides) -> str:
    from marpkit.pages import render_page

    slides = [HandoutSlide(s.index, s.title, render_notes(s.notes, style.html))
              for s in handout.deck.slides]
    width, height = PAPERS[style.paper]
    return render_page("handout.html.j2",
        title=course.deck_title(handout.deck) or handout.stem, layout=style.layout,
        # Marp's HTML names images, backgrounds and fonts relative to itself.
        base=handout.html.parent.as_uri() + "/",
        marp_css=Markup(slides_of_marp.css), marp_slides=Markup(slides_of_marp.markup),
        pages=[slides[i:i + style.layout] for i in range(0, len(slides), style.layout)],
        lines=style.lines, shot_width=SHOT_WIDTH.get(style.layout, 100),
        # A hair under the printable area, so that a page never spills onto a blank one.
        width=round(width - 2 * MARGIN_SIDE - 0.02, 2),
        height=round(height - MARGIN_TOP - MARGIN_BOTTOM - 0.02, 2))


def print_options(handout: Handout, style: HandoutStyle) -> dict:
    width, height = PAPERS[style.paper]
    module = course.deck_title(handout.deck) or handout.stem
    small = "font-size:8pt;color:#59636e;font-family:system-ui,sans-serif;"
    return {
        "paperWidth": width, "paperHeight": height, "marginTop": MARGIN_TOP,
        "marginBottom": MARGIN_BOTTOM, "marginLeft": MARGIN_SIDE, "marginRight": MARGIN_SIDE,
        "printBackground": True, "displayHeaderFooter": True,
        "headerTemplate": f'<div style="{small}width:100%;margin:0 {MARGIN_SIDE}in;display:flex;'
                          f'justify-content:space-between"><span>{escape(style.course_title)}</span>'
                          f"<span>{escape(module)}</span></div>",
        "footerTemplate": f'<div style="{small}width:100%;text-align:center">'
                          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
    }


def style_of(project: Project) -> HandoutStyle:
    build = project.build_settings
    return HandoutStyle(build.handout_layout, build.handout_lines, build.handout_paper, build.html,
                        str(project.settings.get("title", "Course")))


def write_handouts(project: Project, handouts: list[Handout], chromium: str,
                   seconds: float) -> dict[str, str]:
    """Print each handout over its target; deck stem -> why it failed, for those that did.

    `seconds`: how long each browser operation may take (0: no limit)."""
    from marpkit.marp.browser import HEADLESS_ARGS, Browser, BrowserError

    style = style_of(project)
    failed: dict[str, str] = {}
    scratch = Path(tempfile.mkdtemp(prefix="marpkit-handout-"))
    timeout = seconds or NO_LIMIT
    browser = None
    try:
        browser = Browser(chromium, [*HEADLESS_ARGS, f"--user-data-dir={scratch / 'profile'}",
                                     "about:blank#handout"], scratch / "chromium.log")
        session = browser.pages(["#handout"], timeout=timeout)[0]
        for handout in handouts:
            marp_page = marp_slides(handout.html.read_text(encoding="utf-8", errors="replace"))
            if marp_page is None:
                failed[handout.stem] = f"Marp CLI's HTML has no slides ({handout.html.name})"
                continue
            page = scratch / f"{handout.stem}.html"
            page.write_text(page_html(handout, style, marp_page), encoding="utf-8")
            try:
                pdf = browser.print_pdf(session, page.as_uri(), print_options(handout, style),
                                        timeout, ready=_READY)
            except BrowserError as exc:
                failed[handout.stem] = str(exc) + (
                    f"; set {TIMEOUT_SETTING} (seconds, 0 for no limit) in pyproject.toml to wait longer"
                    if " within " in str(exc) else "")
                if browser.proc.poll() is not None:
                    raise
                continue
            atomic_write(handout.target, pdf)
    except BrowserError as exc:
        for handout in handouts:
            failed.setdefault(handout.stem, f"the browser failed: {exc}")
    finally:
        if browser is not None:
            browser.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    return failed
