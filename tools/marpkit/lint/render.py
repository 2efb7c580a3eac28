"""Rendered checks: Marp's HTML, measured in real Chromium through Playwright.

Marp renders in the browser that measures: Chromium loads Marp's engine
(marp-core, the copy Marp CLI converts with, bundled by bundle.py) while
marpkit parses the deck, and renders the deck while Playwright's driver
starts; each deck is then written out as a page like Marp CLI's bare
template, and measured.
Running Marp CLI instead would add a second JavaScript runtime that loads the
same engine, which on a two-core machine costs more than everything else in a
lint run. tests/test_lint_parity.py holds the two renderings equal.

The browser is a process of ours that Playwright attaches to over CDP, not one
Playwright launches: it starts (and loads the engine) before Playwright's
driver is up, and it is killed outright at the end instead of shut down
politely. One browser serves every deck of a run. Everything here is imported
lazily, so static lint never pays for it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from marpkit.findings import UsageError

CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-extensions", "--disable-default-apps",
    "--force-color-profile=srgb",
    # Themes may @import web fonts: lint judges the deck offline, as the build
    # does, and a dead proxy makes every remote request fail at once.
    "--proxy-server=http://127.0.0.1:9",
    # One process instead of six: a third less CPU to start, on a machine
    # where Playwright's driver wants the same cores.
    "--single-process", "--no-zygote",
]
START_TIMEOUT = 30.0  # seconds for Chromium to open its debugging port
RENDER_TIMEOUT_MS = 120_000
# What Marp CLI's bare template puts around the slides: the page scrolls, each
# slide's SVG is a block as wide as the window.
_SCREEN_CSS = ("body,html{background:#000;height:100%;margin:0;overflow:auto}"
               "body>svg{display:block;height:100%;width:100%}")
# Runs Chromium and ends its whole process group when either Chromium exits or
# marpkit's end of the stdin pipe closes.
_GUARD = """exec 3<&0
"$@" </dev/null &
chrome=$!
{ read -r _ <&3; kill -9 0; } &
wait "$chrome"
kill -9 0
"""
# The page Chromium opens: it loads Marp's engine, then waits for decks.js
# (written by submit()) and renders the decks the moment it appears, while
# Playwright's driver is still starting.
# (One-pass substitution: a theme or path that happens to hold the other
# placeholder's name is left alone.)
_ENGINE_PAGE = Template("""<!DOCTYPE html><meta charset="UTF-8"><title>marpkit</title>
<script src="$bundle"></script>
<script>
window.marpkitSettings = $settings;
window.marpkitMeasure = $measure;
// The rendered decks are laid out in frames the size of Playwright's window,
// as pages like Marp CLI's bare template, and measured there: all before
// Playwright's driver is even up. Decks with the same CSS and folder (a
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
marpkitLoad('decks.js').then(async () => {
  const settings = window.marpkitSettings, bases = window.marpkitBases;
  const rendered = window.marpkitRender(window.marpkitDecks, settings);
  if (!window.marpkitMore) window.marpkitRendered = rendered;
  const measured = await marpkitMeasureAll(rendered, bases);
  if (window.marpkitMore) {
    await marpkitLoad('decks-more.js');
    const { indices, texts } = window.marpkitMoreDecks;
    const again = window.marpkitRender(texts, settings);
    const remeasured = await marpkitMeasureAll(again, indices.map((i) => bases[i]));
    indices.forEach((i, k) => { rendered[i] = again[k]; measured[i] = remeasured[k]; });
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


def start(project, settings):
    """Start the browser and load Marp's engine into it: a context manager yielding
    the session `engine.run` takes. Cheap to import, so that callers start it
    before they import the parser."""
    return Renderer.for_project(project, settings).session()


def chrome_path() -> str:
    from marpkit.marp import find_chromium

    return find_chromium() or ""


def page_html(rendered: dict, deck: Path) -> str:
    """A deck's page: Marp's slides and CSS in a document like Marp CLI's bare
    template, with relative image paths resolving against the deck's folder."""
    base = deck.parent.resolve().as_uri() + "/"
    return ('<!DOCTYPE html><html><head><meta charset="UTF-8">'
            f'<base href="{base}"><style media="screen">{_SCREEN_CSS}</style>'
            f'<style>{rendered["css"]}</style></head><body>{rendered["html"]}</body></html>')


def _script_json(value) -> str:
    """JSON to embed in a <script>: with every `<` escaped, no `</script>` or
    `<!--` in a theme or a deck can end or bend the script."""
    return json.dumps(value).replace("<", "\\u003c")


def _tail(path: Path, limit: int = 500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()[-limit:]
    except OSError:
        return ""


class Renderer:
    def __init__(self, root: Path, thresholds: dict, themes_dir: Path | None = None,
                 cache_dir: Path | None = None, html: bool | None = None):
        from marpkit.marp import chromium_missing
        from marpkit.marp.bundle import marp_bundle

        self.root = root
        self.thresholds = thresholds
        self.themes_dir = themes_dir if themes_dir is not None and themes_dir.is_dir() else None
        self.cache_dir = cache_dir or root / ".marpkit-cache"
        self.html = html
        self.sample_contrast = True
        self.chromium = chrome_path()
        if not self.chromium:
            raise RenderUnavailable(chromium_missing())
        try:
            self.bundle = marp_bundle(root, self.cache_dir)
        except UsageError as exc:
            raise RenderUnavailable(str(exc)) from None

    @classmethod
    def for_project(cls, project, settings) -> Renderer:
        html = project.section("build").get("html")
        renderer = cls(project.root, settings.thresholds, project.themes_dir, project.cache_dir,
                       True if html else None)
        # Sampling pixels behind text costs a screenshot: only when MK503 can fire.
        renderer.sample_contrast = settings.enabled("MK503")
        return renderer

    def measure_options(self) -> dict:
        from marpkit.lint.settings import DEFAULT_THRESHOLDS

        t = {**DEFAULT_THRESHOLDS, **self.thresholds}
        return {"tolerance": t["overflow_tolerance_px"], "minCodePx": t["min_code_font_px"],
                "minContrast": t["min_contrast"], "minContrastLarge": t["min_contrast_large"]}

    def engine_settings(self) -> dict:
        """What Marp CLI would configure for the build: the same engine options
        (emoji as text, local KaTeX fonts), language, HTML setting and themes."""
        from marpkit.marp import engine_config

        fonts = self.root / "node_modules" / "katex" / "dist" / "fonts"
        config = engine_config(fonts.as_uri() + "/" if fonts.is_dir() else None)
        themes = []
        if self.themes_dir is not None:
            from marpkit.marp.themes import check_themes, theme_files

            files = theme_files(self.themes_dir)
            # A theme Marp cannot parse is reported where it breaks (exit 2),
            # not as an engine error on every deck.
            check_themes(self.root, self.cache_dir, files)
            themes = [p.read_text(encoding="utf-8", errors="replace") for p in files]
        return {"options": config["options"], "lang": config["lang"], "themes": themes,
                **({"html": True} if self.html else {})}

    @contextmanager
    def session(self):
        """Start the browser with Marp's engine loading; yield the session to
        `submit()` decks to and `collect()` measurements from. Leaving the block
        kills the browser."""
        session = RenderSession(self)
        try:
            session.open()
            yield session
        finally:
            session.close()

    def node_env(self) -> dict[str, str]:
        """Node's on-disk compile cache (Node >= 22) for Playwright's driver: it
        skips compiling the driver's bundles again, run after run."""
        if "NODE_COMPILE_CACHE" in os.environ:
            return {}
        return {"NODE_COMPILE_CACHE": str(self.cache_dir / "node-compile-cache")}


class RenderSession:
    def __init__(self, renderer: Renderer):
        self.r = renderer
        self.tmp = Path(tempfile.mkdtemp(prefix="marpkit-lint-"))
        self.decks: list[Path] = []
        self.texts: list[str] = []
        self.chrome: subprocess.Popen | None = None

    def open(self) -> None:
        loader = self.tmp / "engine.html"
        from marpkit.lint.measure_js import MEASURE_JS

        measure = {"source": MEASURE_JS, "opts": self.r.measure_options(), "screen": _SCREEN_CSS}
        loader.write_text(_ENGINE_PAGE.substitute(bundle=self.r.bundle.as_uri(),
                                                  settings=_script_json(self.r.engine_settings()),
                                                  measure=_script_json(measure)),
                          encoding="utf-8")
        profile = self.tmp / "profile"
        with open(self.tmp / "chromium.log", "wb") as log:
            # A process group of its own (Debian's chromium is a wrapper script
            # around the real binary: killing one pid would orphan the other),
            # tied to marpkit by a pipe: if marpkit dies, even by SIGKILL, the
            # pipe closes and the group goes with it.
            self.chrome = subprocess.Popen(
                ["/bin/sh", "-c", _GUARD, "marpkit-chromium", self.r.chromium, *CHROME_ARGS,
                 f"--user-data-dir={profile}", "--remote-debugging-port=0", loader.as_uri()],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)

    def submit(self, decks: list[Path], sources: dict[Path, str], *, more: bool = False) -> None:
        """Hand the decks to the engine page: `sources` gives the text to render
        instead of a deck's file (the expanded copy, so lint sees what the build
        publishes). The page renders and measures them at once, before
        Playwright is up. With `more`, corrected texts follow (`resubmit`)."""
        self.decks = list(decks)
        self.texts = [sources[d] if d in sources else d.read_text(encoding="utf-8", errors="replace")
                      for d in decks]
        bases = [d.parent.resolve().as_uri() + "/" for d in decks]
        self._publish("decks.js", "window.marpkitDecks = " + _script_json(self.texts) + ";\n"
                      "window.marpkitBases = " + _script_json(bases) + ";\n"
                      f"window.marpkitMore = {'true' if more else 'false'};")

    def resubmit(self, sources: dict[Path, str]) -> None:
        """The texts to render after all, for decks submitted `more=True` whose
        text to lint differs from their file (snippet fences expanded)."""
        changed = [(i, sources[d]) for i, d in enumerate(self.decks)
                   if d in sources and sources[d] != self.texts[i]]
        more = {"indices": [i for i, _ in changed], "texts": [t for _, t in changed]}
        self._publish("decks-more.js", "window.marpkitMoreDecks = " + _script_json(more) + ";")

    def _publish(self, name: str, script: str) -> None:
        partial = self.tmp / f"{name}.partial"
        partial.write_text(script, encoding="utf-8")
        os.replace(partial, self.tmp / name)  # the page polls for it: never half-written

    def _endpoint(self) -> str:
        """The browser's CDP address, from the file Chromium writes once it listens."""
        port_file = self.tmp / "profile" / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                port, path = port_file.read_text(encoding="utf-8").split()[:2]
                return f"ws://127.0.0.1:{port}{path}"
            except (OSError, ValueError):
                pass
            if self.chrome.poll() is not None:
                break
            time.sleep(0.005)
        raise UsageError(f"Chromium ({self.r.chromium}) did not start: "
                         f"{_tail(self.tmp / 'chromium.log') or 'no output'}")

    @contextmanager
    def _page(self):
        """Playwright attached to the session's browser: its one page, the engine's.
        A browser that crashes or hangs is a clear error, not a traceback."""
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - lazy by design

        # The driver's own temporary folders (playwright-artifacts-*) go with the session's.
        overrides = {**self.r.node_env(), "TMPDIR": str(self.tmp)}
        saved = {k: os.environ.get(k) for k in overrides}
        os.environ.update(overrides)  # Playwright hands its driver os.environ
        try:
            pw = sync_playwright().start()
        finally:
            for key, value in saved.items():
                os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
        try:
            browser = pw.chromium.connect_over_cdp(self._endpoint())
            context = browser.contexts[0]
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(RENDER_TIMEOUT_MS)
            page.set_viewport_size({"width": 1280, "height": 720})
            yield page
        except PlaywrightError as exc:
            message = exc.message.strip().splitlines()[0] if exc.message.strip() else repr(exc)
            raise UsageError(f"Chromium ({self.r.chromium}) failed while rendering: {message}"
                             ) from None
        finally:
            self._kill_browser()
            pw.stop()

    def _rendered(self, page) -> list[dict]:
        """Marp's output for each submitted deck: {"html", "css"} or {"error"}."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            page.wait_for_function("() => window.marpkitRendered !== undefined")
            return page.evaluate("() => window.marpkitRendered")
        except PlaywrightError as exc:
            raise UsageError(f"Marp's engine did not load in Chromium: {exc.message}") from None

    def marp_output(self) -> list[dict]:
        """What Marp made of the submitted decks, unmeasured (for parity checks)."""
        with self._page() as page:
            return self._rendered(page)

    def collect(self) -> dict[Path, RenderedDeck]:
        """Measure every submitted deck; the browser is gone afterwards."""
        with self._page() as page:
            results: dict[Path, RenderedDeck] = {}
            rendered = self._rendered(page)
            measured = self._measured(page)
            for i, (deck, out) in enumerate(zip(self.decks, rendered, strict=True)):
                result = results[deck] = RenderedDeck()
                if "error" in out:
                    result.error = out["error"][:500]
                    continue
                slides = measured[i]
                sample = self.r.sample_contrast and isinstance(slides, list) and any(
                    item["kind"] == "contrast-sample" for s in slides for item in s["items"])
                if isinstance(slides, list) and not sample:
                    result.slides = slides
                    continue
                # Text over images needs screenshots: measured again in the window.
                html = self.tmp / f"{i}.html"
                html.write_text(page_html(out, deck), encoding="utf-8")
                result.slides = self._measure(page, html)
            return results

    def _measured(self, page) -> list:
        """What the engine page measured of each deck in its frames (None: not
        rendered). A browser that dies meanwhile is reported by _page."""
        page.wait_for_function("() => window.marpkitMeasured !== undefined")
        return page.evaluate("() => window.marpkitMeasured")

    def _measure(self, page, html: Path) -> list[dict]:
        from marpkit.lint.measure_js import MEASURE_JS

        page.goto(html.as_uri(), wait_until="load")
        slides = page.evaluate(MEASURE_JS, self.r.measure_options())
        if self.r.sample_contrast and any(i["kind"] == "contrast-sample"
                                          for s in slides for i in s["items"]):
            self._sample(page, slides)
        return slides

    def _sample(self, page, slides: list[dict]) -> None:
        """Text over an image: turn each `contrast-sample` into a `contrast`
        finding (or nothing) by the pixels behind it, from one screenshot of
        the slides concerned, small and with every letter transparent."""
        import base64

        from marpkit.lint.measure_js import HIDE_TEXT_CSS, SAMPLE_JS, SAMPLE_SCALE, STACK_JS

        wanted = [s for s in slides if any(i["kind"] == "contrast-sample" for i in s["items"])]
        page.add_style_tag(content=HIDE_TEXT_CSS)
        stack = page.evaluate(STACK_JS, {"wanted": [s["index"] for s in wanted],
                                         "scale": SAMPLE_SCALE})
        page.set_viewport_size({"width": stack["width"], "height": stack["height"]})
        try:
            png = page.screenshot(animations="disabled")
        finally:
            page.set_viewport_size({"width": 1280, "height": 720})
        items = []
        for slide in wanted:
            x, y, width, height = stack["frames"][str(slide["index"])]
            k = width / (slide.get("frame") or width)
            items += [{**i, "at": [x, y, k, width, height]} for i in slide["items"]
                      if i["kind"] == "contrast-sample"]
        results = iter(page.evaluate(SAMPLE_JS, {
            "png": base64.b64encode(png).decode(), "items": items,
            "origin": {"x": 0, "y": 0, "width": stack["width"], "height": stack["height"]}}))
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
        if self.chrome is not None and self.chrome.poll() is None:
            try:
                os.killpg(self.chrome.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.chrome.wait()
        if self.chrome is not None and self.chrome.stdin is not None:
            self.chrome.stdin.close()

    def close(self) -> None:
        self._kill_browser()
        shutil.rmtree(self.tmp, ignore_errors=True)
