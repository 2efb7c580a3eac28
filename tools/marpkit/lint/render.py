"""Rendered checks: Marp CLI's real HTML, measured in real Chromium.

Everything heavy (playwright, the Marp subprocess) is imported and started
here, lazily, so static lint never pays for it. One browser serves every deck
of a run; Marp renders all decks in parallel while the browser starts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.findings import UsageError

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


_WARM_UP = """<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body>
<svg data-marpit-svg viewBox="0 0 1280 720"><foreignObject width="1280" height="720">
<section><h1>Warm-up</h1><p>text</p><pre><code>code</code></pre></section>
</foreignObject></svg></body></html>"""


@dataclass
class RenderedDeck:
    slides: list[dict] = field(default_factory=list)
    error: str | None = None
    seconds_marp: float = 0.0


def chrome_path() -> str:
    from marpkit.marp import find_chromium

    return find_chromium() or ""


def marp_path(root: Path) -> Path:
    return root / "node_modules" / ".bin" / "marp"


def marp_command(root: Path, inputs: list[str], out: Path, themes_dir: Path | None = None
                 ) -> list[str]:
    """Marp CLI's HTML conversion, the way `marpkit build` renders slides.

    The bare template holds the same slide markup and CSS as the default
    bespoke one, without the presenter UI: Chromium loads it in half the time.
    """
    cmd = [str(marp_path(root)), *inputs, "--template", "bare", "--html", "--allow-local-files"]
    if themes_dir is not None and any(themes_dir.glob("*.css")):
        # An array option: it must not be followed by the inputs, or it eats them.
        cmd += ["--theme-set", str(themes_dir)]
    return [*cmd, "-o", str(out)]


def _with_base(html: str, deck: Path) -> str:
    """Let relative image paths resolve against the deck's folder, as in the deck's own build."""
    base = f'<base href="{deck.parent.resolve().as_uri()}/">'
    return re.sub(r"<head>", "<head>" + base, html, count=1)


class Renderer:
    def __init__(self, root: Path, thresholds: dict, themes_dir: Path | None = None):
        self.root = root
        self.thresholds = thresholds
        self.themes_dir = themes_dir if themes_dir is not None and themes_dir.is_dir() else None
        if not marp_path(root).exists():
            raise UsageError(f"Marp CLI not found at {marp_path(root)} (run `npm ci`), "
                             "or use --no-render")
        if not chrome_path():
            from marpkit.marp import CHROMIUM_HINT

            raise UsageError(f"no Chromium found: {CHROMIUM_HINT}, "
                             "or use --no-render")

    def render(self, decks: list[Path], sources: dict[Path, str] | None = None
               ) -> dict[Path, RenderedDeck]:
        """Render `decks`; `sources` gives the text to render instead of a deck's
        file (the expanded copy, so lint sees what the build publishes)."""
        import time

        sources = sources or {}

        results: dict[Path, RenderedDeck] = {}
        tmp = Path(tempfile.mkdtemp(prefix="marpkit-lint-"))
        env = {**os.environ, "CHROME_PATH": chrome_path()}
        proc = None
        try:
            started = time.perf_counter()
            # One Marp process for every deck: Node's start-up dominates a
            # small deck, and N processes would starve the browser of CPU.
            if len(decks) == 1:
                outputs = {decks[0]: tmp / "0.html"}
                source = decks[0]
                if decks[0] in sources:
                    source = tmp / "0.md"
                    source.write_text(sources[decks[0]], encoding="utf-8")
                cmd = marp_command(self.root, [str(source)], outputs[decks[0]], self.themes_dir)
            else:
                (tmp / "in").mkdir()
                outputs = {}
                for i, deck in enumerate(decks):
                    if deck in sources:
                        (tmp / "in" / f"{i}.md").write_text(sources[deck], encoding="utf-8")
                    else:
                        shutil.copyfile(deck, tmp / "in" / f"{i}.md")
                    outputs[deck] = tmp / "out" / f"{i}.html"
                cmd = marp_command(self.root, ["-I", str(tmp / "in")], tmp / "out", self.themes_dir)
            proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            # The browser and its pages start while Marp is still rendering.
            from playwright.sync_api import sync_playwright  # noqa: PLC0415 - lazy by design

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chrome_path(), args=CHROME_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    # Themes may @import web fonts; lint judges the deck offline, as
                    # the build does, instead of waiting on the network.
                    page.route(re.compile(r"^https?://"), lambda route: route.abort())
                    self._warm_up(page, tmp)
                    _, err = proc.communicate()
                    seconds = time.perf_counter() - started
                    for deck, out in outputs.items():
                        result = results[deck] = RenderedDeck(seconds_marp=seconds)
                        if not out.exists():
                            message = (err or b"").decode("utf-8", "replace").strip()
                            result.error = message[-500:] or f"exit code {proc.returncode}"
                            continue
                        out.write_text(_with_base(out.read_text(encoding="utf-8"), deck),
                                       encoding="utf-8")
                        result.slides = self._measure(page, out)
                finally:
                    browser.close()
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)
        return results

    def _warm_up(self, page, tmp: Path) -> None:
        """Pay the first navigation's costs (renderer process, fonts, compiling the
        measuring script) while Marp is still busy, not after it finishes."""
        warm = tmp / "warm-up.html"
        warm.write_text(_WARM_UP, encoding="utf-8")
        self._measure(page, warm)

    def _measure(self, page, html: Path) -> list[dict]:
        from marpkit.lint.measure_js import MEASURE_JS

        page.goto(html.as_uri(), wait_until="load")
        t = self.thresholds
        return page.evaluate(MEASURE_JS, {
            "tolerance": t["overflow_tolerance_px"],
            "minCodePx": t["min_code_font_px"],
            "minContrast": t["min_contrast"],
            "minContrastLarge": t["min_contrast_large"],
        })
