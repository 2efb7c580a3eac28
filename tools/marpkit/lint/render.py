"""Rendered checks: Marp's HTML, measured in real Chromium.

Marp renders in the browser that measures: Chromium loads Marp's engine
(marp-core, the copy Marp CLI converts with, bundled by bundle.py) while
marpkit parses the deck, renders the decks the moment marpkit hands them
over, lays each out as a page like Marp CLI's bare template, and measures it,
all inside the page. marpkit only collects the results, over the DevTools
protocol on a pipe (marp/browser.py).
Running Marp CLI instead would add a second JavaScript runtime that loads the
same engine, which on a two-core machine costs more than everything else in a
lint run. tests/lint/test_lint_parity.py holds the two renderings equal.

One browser serves every deck of a run, and it is killed outright at the end
instead of shut down politely. Everything here is imported lazily, so static
lint never pays for it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from marpkit.findings import UsageError
from marpkit.fsutil import DECK_LIMIT, read_input, real
from marpkit.marp.browser import HEADLESS_ARGS

if TYPE_CHECKING:
    from marpkit.marp.converter import MarpSettings

# Lint judges the deck offline, as the build does (web fonts a theme imports,
# remote images: MK703 names them): HEADLESS_ARGS carry OFFLINE_ARGS.
CHROME_ARGS = list(HEADLESS_ARGS)
# One page: one process instead of six, a third less CPU to start; in the
# headless shell only (marp.headless_shell says why).
# Much to render on several cores: a page (and a renderer process) per core,
# each rendering and measuring its share, as Marp CLI converts in parallel.
_ONE_PROCESS = ["--single-process"]
MAX_PAGES = 4
# Each page loads Marp's engine (a 4 MB script) again: a second page paid for
# itself on two cores from about 60 ten-slide decks (60 KB of Markdown), and
# cost a second more than it saved at 6 and at 20 (bench/bench_course.py).
PAGE_BYTES = 40_000


def pages_for(decks: Sequence[Path]) -> int:
    """Pages to render `decks` in: one more for each PAGE_BYTES of Markdown,
    as far as there are decks and cores."""
    # The cores this process may use, not the machine's (a CI container's share).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    size = 0
    for deck in decks:
        try:
            size += deck.stat().st_size
        except OSError:
            pass  # the static pass reports it (MK204); the page renders nothing for it
    return max(1, min(len(decks), cores or 1, MAX_PAGES, 1 + size // PAGE_BYTES))
START_TIMEOUT = 30.0  # seconds for Chromium to open its first page
RENDER_TIMEOUT = 120.0  # seconds for the decks to render and be measured
# What Marp CLI's bare template puts around the slides: the page scrolls, each
# slide's SVG is a block as wide as the window.
_SCREEN_CSS = ("body,html{background:#000;height:100%;margin:0;overflow:auto}"
               "body>svg{display:block;height:100%;width:100%}")
# The page Chromium opens: it loads Marp's engine, then waits for decks.js
# (written by submit()) and renders the decks the moment it appears.
# (One-pass substitution: a theme or path that happens to hold the other
# placeholder's name is left alone.)
_ENGINE_PAGE = Template("""<!DOCTYPE html><meta charset="UTF-8"><title>marpkit</title>
<script src="$light"></script>
<script>
window.marpkitSettings = $settings;
window.marpkitWholeEngine = $whole;
// The engine without MathJax first (half the script to load); a deck with
// MathJax math (its stand-in says it was used) sends the decks through the
// whole engine instead, which replaces window.marpkitRender from then on.
async function marpkitRenderAll(decks, settings) {
  window.marpkitNeedsMathJax = false;
  const out = window.marpkitRender(decks, settings);
  if (!window.marpkitNeedsMathJax) return out;
  await new Promise((done, fail) => {
    const script = document.createElement('script');
    script.src = window.marpkitWholeEngine;
    script.onload = done;
    script.onerror = () => fail(new Error('could not load Marp engine ' + script.src));
    document.head.appendChild(script);
  });
  window.marpkitNeedsMathJax = false;
  return window.marpkitRender(decks, settings);
}
window.marpkitMeasure = $measure;
// The rendered decks are laid out in frames the size of the window, as pages
// like Marp CLI's bare template, and measured there. Decks with the same CSS and folder (a
// course on one theme) share one frame: the CSS is parsed and matched once.
// Marp's browser script sets up the slides that exist when it runs, once per
// document: in a shared frame it runs once, after every deck.
const SCRIPT = /<script>[\\s\\S]*?<\\/script>/g;
async function marpkitMeasureAll(rendered, bases) {
  const out = rendered.map(() => null), groups = new Map();
  rendered.forEach((deck, i) => {
    if (deck.error) return;
    const key = bases[i] + '\\n' + deck.css;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  });
  for (const members of groups.values()) {
    const first = rendered[members[0]];
    const frame = document.createElement('iframe');
    frame.style.cssText = 'position:absolute;left:0;top:0;width:1280px;height:720px;border:0';
    const loaded = new Promise((done) => { frame.onload = done; });
    frame.srcdoc = '<!DOCTYPE html><html><head><meta charset="UTF-8"><base href="' + bases[members[0]] + '">'
      + '<style media="screen">' + window.marpkitMeasure.screen + '</style><style>' + first.css
      + '</style></head><body>' + members.map((i) => rendered[i].html.replace(SCRIPT, '')).join('')
      + ((first.html.match(SCRIPT) || [])[0] || '') + '</body></html>';
    document.body.appendChild(frame);
    await loaded;
    try {
      const measure = frame.contentWindow.eval('(' + window.marpkitMeasure.source + ')');
      const slides = await measure(window.marpkitMeasure.opts);
      // Slides per deck, from its markup (a `<` in text is always escaped).
      const counts = members.map((i) => (rendered[i].html.match(/<svg\\b[^>]*\\bdata-marpit-svg/g) || []).length);
      let at = 0;
      members.forEach((i, k) => {
        out[i] = slides.slice(at, at + counts[k]).map((s) => ({ ...s, index: s.index - at }));
        at += counts[k];
      });
    } catch (e) {
      for (const i of members) out[i] = { error: String(e) };
    }
    frame.remove();
  }
  return out;
}
// decks.js may say that corrected texts for some decks will follow in
// decks-more.js (lint submits the files at once, then the snippet-expanded
// copies that differ): those decks are rendered and measured again.
const marpkitLoad = (name) => new Promise((done) => {
  (function poll() {
    const script = document.createElement('script');
    script.src = name + '?' + Date.now();
    script.onload = done;
    script.onerror = () => { script.remove(); setTimeout(poll, 5); };
    document.head.appendChild(script);
  })();
});
// Each page of the browser renders its share of the decks (the number after
// `#` in its address): window.marpkitShares[n] lists the decks' indices.
// What it renders and measures is listed in that order.
const SHARE = Number(location.hash.slice(1) || 0);
marpkitLoad('decks.js').then(async () => {
  const settings = window.marpkitSettings, mine = window.marpkitShares[SHARE];
  const bases = mine.map((i) => window.marpkitBases[i]);
  const rendered = await marpkitRenderAll(mine.map((i) => window.marpkitDecks[i]), settings);
  if (!window.marpkitMore) window.marpkitRendered = rendered;
  const measured = await marpkitMeasureAll(rendered, bases);
  if (window.marpkitMore) {
    await marpkitLoad('decks-more.js');
    const { indices, texts } = window.marpkitMoreDecks;
    const at = indices.map((i) => mine.indexOf(i)), redo = at.filter((k) => k >= 0);
    const again = await marpkitRenderAll(texts.filter((_, j) => at[j] >= 0), settings);
    const remeasured = await marpkitMeasureAll(again, redo.map((k) => bases[k]));
    redo.forEach((k, j) => { rendered[k] = again[j]; measured[k] = remeasured[j]; });
    window.marpkitRendered = rendered;
  }
  window.marpkitMeasured = measured;
});
</script><body></body>""")


class RenderUnavailable(UsageError):
    """No browser or no Marp engine: nothing can be rendered on this machine
    until it is set up (unlike a deck that fails to render). `reason` says
    what is missing and the command that installs it."""

    def __init__(self, reason: str):
        super().__init__(f"{reason}, or use --no-render")
        self.reason = reason


@dataclass
class RenderedDeck:
    slides: list[dict] = field(default_factory=list)
    error: str | None = None


def wants_render(settings) -> bool:
    """Whether any rendered rule (MK5xx) can fire, known before the rules are loaded."""
    return any(settings.enabled(f"MK5{n:02d}") for n in range(100))


def start(project, settings, decks: Sequence[Path]):
    """Start the browser and load Marp's engine into it: a context manager yielding
    the session `engine.run` takes, for `decks`. Cheap to import, so that
    callers start it before they import the parser."""
    return Renderer.for_project(project, settings).session(pages_for(decks))


def chrome_path() -> str:
    from marpkit.marp import find_chromium

    return find_chromium() or ""


def page_html(rendered: dict, deck: Path) -> str:
    """A deck's page: Marp's slides and CSS in a document like Marp CLI's bare
    template, with relative image paths resolving against the deck's folder."""
    base = real(deck.parent).as_uri() + "/"
    return ('<!DOCTYPE html><html><head><meta charset="UTF-8">'
            f'<base href="{base}"><style media="screen">{_SCREEN_CSS}</style>'
            f'<style>{rendered["css"]}</style></head><body>{rendered["html"]}</body></html>')


def _script_json(value) -> str:
    """JSON to embed in a <script>: with every `<` escaped, no `</script>` or
    `<!--` in a theme or a deck can end or bend the script."""
    return json.dumps(value).replace("<", "\\u003c")


class Renderer:
    def __init__(self, marp: MarpSettings, thresholds: dict, cache_dir: Path):
        from marpkit.marp import chromium_missing
        from marpkit.marp.bundle import marp_bundle

        self.marp = marp
        self.root = marp.root
        self.thresholds = thresholds
        self.cache_dir = cache_dir
        self.sample_contrast = True
        self.chromium = chrome_path()
        if not self.chromium:
            raise RenderUnavailable(chromium_missing())
        try:
            self.bundle = marp_bundle(self.root, self.cache_dir)
        except UsageError as exc:
            raise RenderUnavailable(str(exc)) from None

    @classmethod
    def for_project(cls, project, settings) -> Renderer:
        from marpkit.marp.converter import MarpSettings

        renderer = cls(MarpSettings.of(project), settings.thresholds, project.cache_dir)
        # Sampling pixels behind text costs a screenshot: only when MK503 can fire.
        renderer.sample_contrast = settings.enabled("MK503")
        return renderer

    def measure_options(self) -> dict:
        from marpkit.lint.settings import DEFAULT_THRESHOLDS

        t = {**DEFAULT_THRESHOLDS, **self.thresholds}
        return {"tolerance": t["overflow_tolerance_px"], "minCodePx": t["min_code_font_px"],
                "minContrast": t["min_contrast"], "minContrastLarge": t["min_contrast_large"]}

    @contextmanager
    def session(self, pages: int = 1):
        """Start the browser with Marp's engine loading in `pages` pages; yield
        the session to `submit()` decks to and `collect()` measurements from.
        Leaving the block kills the browser."""
        session = RenderSession(self, pages)
        try:
            session.open()
            yield session
        finally:
            session.close()


# Waits in the page until `name` is set on its window, and returns it. The
# first page may still be the blank one Chromium opens before the engine
# page: that wait ends with its document, and is made again.
_WAIT_JS = """(name) => new Promise((done) => {
  (function poll() { if (window[name] !== undefined) done(window[name]); else setTimeout(poll, 5); })();
})"""
_ADD_STYLE_JS = """(css) => {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
}"""
# Screenshots show the end state: no animation or transition half-way.
_STILL_CSS = ("*, *::before, *::after { animation: none !important; "
              "transition: none !important; caret-color: transparent !important }")


def _text_or_nothing(deck: Path) -> str:
    # A deck that cannot be read (a dangling link, a folder named x.md) is
    # MK204 from the static pass; the page renders nothing in its place.
    try:
        return read_input(deck, DECK_LIMIT).decode("utf-8", errors="replace")
    except OSError:
        return ""


class RenderSession:
    def __init__(self, renderer: Renderer, pages: int = 1):
        self.r = renderer
        self.pages = pages
        self.tmp = Path(tempfile.mkdtemp(prefix="marpkit-lint-"))
        self.decks: list[Path] = []
        self.texts: list[str] = []
        self.shares: list[list[int]] = []
        self.browser = None

    def open(self) -> None:
        from marpkit.lint.measure_js import MEASURE_JS
        from marpkit.marp import headless_shell
        from marpkit.marp.browser import Browser
        from marpkit.marp.bundle import light

        loader = self.tmp / "engine.html"
        measure = {"source": MEASURE_JS, "opts": self.r.measure_options(), "screen": _SCREEN_CSS}
        engine = self.r.marp.browser_engine(self.r.cache_dir)
        loader.write_text(_ENGINE_PAGE.substitute(light=light(self.r.bundle).as_uri(),
                                                  whole=_script_json(self.r.bundle.as_uri()),
                                                  settings=_script_json(engine),
                                                  measure=_script_json(measure)),
                          encoding="utf-8")
        self.browser = Browser(self.r.chromium, [
            *CHROME_ARGS, *(_ONE_PROCESS if self.pages == 1 and headless_shell(self.r.chromium) else []),
            f"--user-data-dir={self.tmp / 'profile'}", "--window-size=1280,720",
            loader.as_uri() + "#0"], self.tmp / "chromium.log")
        for n in range(1, self.pages):
            # Not waited for: the browser opens them as soon as it is up.
            # A window each: a page in a background tab gets no animation
            # frames, and Marp's fitting code waits for one.
            self.browser.send("Target.createTarget", {"url": f"{loader.as_uri()}#{n}", "newWindow": True})

    def submit(self, decks: list[Path], sources: dict[Path, str], *, more: bool = False) -> None:
        """Hand the decks to the engine page: `sources` gives the text to render
        instead of a deck's file (the expanded copy, so lint sees what the build
        publishes). The page renders and measures them at once. With `more`,
        corrected texts follow (`resubmit`)."""
        self.decks = list(decks)
        self.texts = [sources[d] if d in sources else _text_or_nothing(d) for d in decks]
        bases = [real(d.parent).as_uri() + "/" for d in decks]
        # The longest decks first, each to the page with the least text so far.
        loads = [0] * self.pages
        self.shares = [[] for _ in range(self.pages)]
        for i in sorted(range(len(decks)), key=lambda i: -len(self.texts[i])):
            n = loads.index(min(loads))
            self.shares[n].append(i)
            loads[n] += len(self.texts[i])
        for share in self.shares:
            share.sort()  # decks on one theme, in order, share a frame
        self._publish("decks.js", "window.marpkitDecks = " + _script_json(self.texts) + ";\n"
                      "window.marpkitBases = " + _script_json(bases) + ";\n"
                      "window.marpkitShares = " + _script_json(self.shares) + ";\n"
                      f"window.marpkitMore = {'true' if more else 'false'};")

    def resubmit(self, sources: dict[Path, str]) -> None:
        """The texts to render after all, for decks submitted `more=True` whose
        text to lint differs from their file (snippet fences expanded)."""
        changed = [(i, sources[d]) for i, d in enumerate(self.decks)
                   if d in sources and sources[d] != self.texts[i]]
        more = {"indices": [i for i, _ in changed], "texts": [t for _, t in changed]}
        self._publish("decks-more.js", "window.marpkitMoreDecks = " + _script_json(more) + ";")

    def _publish(self, name: str, script: str) -> None:
        from marpkit.fsutil import atomic_write

        atomic_write(self.tmp / name, script)  # the page polls for it: never half-written

    @contextmanager
    def _pages(self):
        """Protocol sessions on the engine pages, in share order. A browser
        that crashes or hangs is a clear error, not a traceback; the browser
        is gone afterwards."""
        from marpkit.marp.browser import BrowserError

        try:
            yield self.browser.pages([f"#{n}" for n in range(self.pages)], START_TIMEOUT)
        except BrowserError as exc:
            what = "failed while rendering" if exc.started else "did not start"
            raise UsageError(f"Chromium ({self.r.chromium}) {what}: {exc}") from None
        finally:
            self._kill_browser()

    def _gather(self, sessions: list[str], name: str) -> list:
        """`name` from every page, as one list in deck order."""
        out: list = [None] * len(self.decks)
        for session, share in zip(sessions, self.shares, strict=True):
            for i, value in zip(share, self._wait(session, name) if share else [], strict=True):
                out[i] = value
        return out

    def _wait(self, session: str, name: str):
        from marpkit.marp.browser import BrowserError

        deadline = time.monotonic() + RENDER_TIMEOUT
        while True:
            try:
                return self.browser.evaluate(session, _WAIT_JS, name, RENDER_TIMEOUT)
            except BrowserError as exc:
                # The blank first document went away under the wait.
                if "context" not in str(exc).lower() or time.monotonic() > deadline:
                    raise

    def _viewport(self, session: str, width: int, height: int) -> None:
        self.browser.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)

    def marp_output(self) -> list[dict]:
        """What Marp made of the submitted decks, unmeasured (for parity checks)."""
        with self._pages() as sessions:
            return self._gather(sessions, "marpkitRendered")

    def collect(self) -> dict[Path, RenderedDeck]:
        """Measure every submitted deck; the browser is gone afterwards."""
        with self._pages() as sessions:
            measured = self._gather(sessions, "marpkitMeasured")
            results: dict[Path, RenderedDeck] = {}
            again = []
            for i, deck in enumerate(self.decks):
                result = results[deck] = RenderedDeck()
                slides = measured[i]
                if isinstance(slides, list) and not (self.r.sample_contrast and any(
                        item["kind"] == "contrast-sample" for s in slides for item in s["items"])):
                    result.slides = slides
                else:
                    again.append(i)
            if not again:
                return results
            # Marp's own errors, text over images that needs screenshots, and a
            # deck whose frame failed: from Marp's output, measured again in
            # the first page's window, as a page of its own.
            rendered: dict[int, dict] = {}
            for session, share in zip(sessions, self.shares, strict=True):
                wanted = [k for k, i in enumerate(share) if i in again]
                if wanted:
                    outs = self.browser.evaluate(
                        session, "(wanted) => wanted.map((k) => window.marpkitRendered[k])", wanted)
                    rendered |= zip((share[k] for k in wanted), outs, strict=True)
            # The window is the size of Marp CLI's, as the frames are.
            self._viewport(sessions[0], 1280, 720)
            self.browser.call("Page.enable", session=sessions[0])
            for i in again:
                out = rendered[i]
                if "error" in out:
                    results[self.decks[i]].error = out["error"][:500]
                    continue
                html = self.tmp / f"{i}.html"
                html.write_text(page_html(out, self.decks[i]), encoding="utf-8")
                results[self.decks[i]].slides = self._measure(sessions[0], html)
            return results

    def _measure(self, session: str, html: Path) -> list[dict]:
        from marpkit.lint.measure_js import MEASURE_JS

        self.browser.call("Page.navigate", {"url": html.as_uri()}, session)
        self.browser.wait_event("Page.loadEventFired", session, RENDER_TIMEOUT)
        slides = self.browser.evaluate(session, MEASURE_JS, self.r.measure_options(), RENDER_TIMEOUT)
        if self.r.sample_contrast and any(i["kind"] == "contrast-sample"
                                          for s in slides for i in s["items"]):
            self._sample(session, slides)
        return slides

    def _sample(self, session: str, slides: list[dict]) -> None:
        """Text over an image: turn each `contrast-sample` into a `contrast`
        finding (or nothing) by the pixels behind it, from one screenshot of
        the slides concerned, small and with every letter transparent."""
        from marpkit.lint.measure_js import HIDE_TEXT_CSS, SAMPLE_JS, SAMPLE_SCALE, STACK_JS

        wanted = [s for s in slides if any(i["kind"] == "contrast-sample" for i in s["items"])]
        self.browser.evaluate(session, _ADD_STYLE_JS, HIDE_TEXT_CSS + _STILL_CSS)
        stack = self.browser.evaluate(session, STACK_JS, {"wanted": [s["index"] for s in wanted],
                                                          "scale": SAMPLE_SCALE})
        self._viewport(session, stack["width"], stack["height"])
        try:
            png = self.browser.call("Page.captureScreenshot", {"format": "png"}, session,
                                    RENDER_TIMEOUT)["data"]
        finally:
            self._viewport(session, 1280, 720)
        items = []
        for slide in wanted:
            x, y, width, height = stack["frames"][str(slide["index"])]
            k = width / (slide.get("frame") or width)
            items += [{**i, "at": [x, y, k, width, height]} for i in slide["items"]
                      if i["kind"] == "contrast-sample"]
        results = iter(self.browser.evaluate(session, SAMPLE_JS, {
            "png": png, "items": items,
            "origin": {"x": 0, "y": 0, "width": stack["width"], "height": stack["height"]}},
            RENDER_TIMEOUT))
        for slide in wanted:
            kept, seen = [], set()
            for item in [i for i in slide["items"] if i["kind"] == "contrast-sample"]:
                got = next(results)
                key = (got and got["fg"], got and got["bg"], item["large"])
                if got and got["ratio"] < item["need"] and key not in seen:
                    seen.add(key)
                    kept.append({**{k: v for k, v in item.items() if k not in ("boxes", "fg")},
                                 "kind": "contrast", "over_image": True, **got})
            slide["items"] = [i for i in slide["items"] if i["kind"] != "contrast-sample"] + kept

    def _kill_browser(self) -> None:
        if self.browser is not None:
            self.browser.kill()

    def close(self) -> None:
        self._kill_browser()
        shutil.rmtree(self.tmp, ignore_errors=True)
