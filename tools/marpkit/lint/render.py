"""Rendered checks: Marp CLI's real HTML, measured in real Chromium through Playwright.

Everything heavy (playwright, Marp, the browser) is imported and started here,
lazily, so static lint never pays for it. A run starts Marp and Chromium
first, so that Marp, Chromium, Playwright's driver and marpkit's own parsing
and static rules overlap; one browser serves every deck of the run. For a
single deck Marp starts before the deck is even parsed: it loads (two thirds
of its time) while marpkit works, then reads the expanded deck on stdin.

The browser is a process of ours that Playwright attaches to over CDP, not one
Playwright launches: it can start before Playwright's driver is up, and it can
be killed outright at the end instead of shut down politely (a tenth of a
second on a two-core machine, more than the measuring itself).
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
    # where Marp and Playwright's driver want the same cores.
    "--single-process", "--no-zygote",
]
# Marp renders a deck or two per lint run: V8's optimising compiler would
# spend a fifth of Marp's CPU on code that finishes before it pays off, and
# that CPU is what the browser and Playwright's driver need at the same time.
MARP_NODE_ARGS = ("--no-opt",)
START_TIMEOUT = 30.0  # seconds for Chromium to open its debugging port
MARP_TIMEOUT = 300.0


@dataclass
class RenderedDeck:
    slides: list[dict] = field(default_factory=list)
    error: str | None = None
    seconds_marp: float = 0.0


def wants_render(settings) -> bool:
    """Whether any rendered rule (MK5xx) can fire, known before the rules are loaded."""
    return any(settings.enabled(f"MK5{n:02d}") for n in range(100))


def start(project, settings, expected: int):
    """Start Marp and the browser for `expected` decks: a context manager yielding
    the session `engine.run` takes. Cheap to import, so that callers start it
    before they import the parser."""
    renderer = Renderer(project.root, settings.thresholds, project.themes_dir, project.cache_dir)
    return renderer.session(expected)


def chrome_path() -> str:
    from marpkit.marp import find_chromium

    return find_chromium() or ""


def _with_base(html: str, deck: Path) -> str:
    """Let relative image paths resolve against the deck's folder, as in the deck's own build."""
    base = f'<base href="{deck.parent.resolve().as_uri()}/">'
    return html.replace("<head>", "<head>" + base, 1)


def _tail(path: Path, limit: int = 500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()[-limit:]
    except OSError:
        return ""


class Renderer:
    def __init__(self, root: Path, thresholds: dict, themes_dir: Path | None = None,
                 cache_dir: Path | None = None):
        from marpkit.marp import CHROMIUM_HINT, find_marp

        self.root = root
        self.thresholds = thresholds
        self.themes_dir = themes_dir if themes_dir is not None and themes_dir.is_dir() else None
        self.cache_dir = cache_dir
        try:
            find_marp(root)
        except UsageError as exc:
            raise UsageError(f"{exc}, or use --no-render") from None
        self.chromium = chrome_path()
        if not self.chromium:
            raise UsageError(f"no Chromium found: {CHROMIUM_HINT}, or use --no-render")

    @contextmanager
    def session(self, expected: int):
        """Start the browser, and Marp too when one deck is `expected`; yield the
        session to `submit()` decks to and `collect()` measurements from. Leaving
        the block kills whatever is still running."""
        session = RenderSession(self, stdin=expected == 1)
        try:
            session.open()
            yield session
        finally:
            session.close()

    def render(self, decks: list[Path], sources: dict[Path, str] | None = None
               ) -> dict[Path, RenderedDeck]:
        with self.session(len(decks)) as session:
            session.submit(decks, sources or {})
            return session.collect()

    def node_env(self) -> dict[str, str]:
        """Node's on-disk compile cache (Node >= 22) for Playwright's driver and
        Marp: it skips compiling their bundles again, run after run."""
        if self.cache_dir is None or "NODE_COMPILE_CACHE" in os.environ:
            return {}
        return {"NODE_COMPILE_CACHE": str(self.cache_dir / "node-compile-cache")}

    def marp_config(self, tmp: Path) -> Path:
        """The build's engine options (emoji as text, local KaTeX fonts, the project's
        themes), so lint measures the slides the build publishes."""
        from marpkit.marp import engine_config

        fonts = self.root / "node_modules" / "katex" / "dist" / "fonts"
        config = engine_config(fonts.as_uri() + "/" if fonts.is_dir() else None)
        if self.themes_dir is not None:
            config["themeSet"] = [str(p.resolve()) for p in sorted(self.themes_dir.glob("*.css"))]
        config["html"] = True
        path = tmp / "marp.config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return path


class RenderSession:
    def __init__(self, renderer: Renderer, stdin: bool):
        self.r = renderer
        self.stdin = stdin
        self.tmp = Path(tempfile.mkdtemp(prefix="marpkit-lint-"))
        self.outputs: dict[Path, Path] = {}
        self.marp: subprocess.Popen | None = None
        self.chrome: subprocess.Popen | None = None
        self.started = 0.0

    def open(self) -> None:
        self.started = time.perf_counter()
        if self.stdin:
            self._spawn_marp([], self.tmp / "stdin.html")
        self._spawn_chrome()

    def _spawn_marp(self, inputs: list[Path], output: Path | None = None) -> None:
        from marpkit.marp import marp_command

        # The bare template holds the same slide markup and CSS as the default
        # bespoke one, without the presenter UI: Chromium loads it in half the time.
        args = ["--template", "bare", *(["-o", str(output)] if output else [])]
        cmd, env = marp_command(self.r.root, inputs, args, self.r.marp_config(self.tmp),
                                chromium=self.r.chromium, node_args=MARP_NODE_ARGS)
        env.update(self.r.node_env())
        with open(self.tmp / "marp.log", "wb") as log:
            self.marp = subprocess.Popen(
                cmd, cwd=self.r.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE if not inputs else subprocess.DEVNULL)

    def submit(self, decks: list[Path], sources: dict[Path, str]) -> None:
        """Hand Marp the decks to render: `sources` gives the text to render instead
        of a deck's file (the expanded copy, so lint sees what the build publishes)."""
        if self.stdin and len(decks) == 1 and self.marp is not None:
            deck = decks[0]
            text = sources[deck] if deck in sources else deck.read_text(encoding="utf-8")
            self.outputs[deck] = self.tmp / "stdin.html"
            try:
                self.marp.stdin.write(text.encode("utf-8"))
                self.marp.stdin.close()
            except BrokenPipeError:
                pass  # Marp died; collect() reports its output
            return
        self._stop_marp()  # a stdin Marp that got no deck, or more than one
        (self.tmp / "in").mkdir()
        inputs = []
        for i, deck in enumerate(decks):
            source = self.tmp / "in" / f"{i}.md"
            if deck in sources:
                source.write_text(sources[deck], encoding="utf-8")
            else:
                shutil.copyfile(deck, source)
            inputs.append(source)
            self.outputs[deck] = source.with_suffix(".html")
        if inputs:
            self._spawn_marp(inputs)

    def _spawn_chrome(self) -> None:
        profile = self.tmp / "profile"
        with open(self.tmp / "chromium.log", "wb") as log:
            # A session of its own, so that killing it takes its renderer and
            # utility processes along.
            self.chrome = subprocess.Popen(
                [self.r.chromium, *CHROME_ARGS, f"--user-data-dir={profile}",
                 "--remote-debugging-port=0", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)

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

    def collect(self) -> dict[Path, RenderedDeck]:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - lazy by design

        saved = {k: os.environ.get(k) for k in self.r.node_env()}
        os.environ.update(self.r.node_env())  # Playwright hands its driver os.environ
        try:
            pw = sync_playwright().start()
        finally:
            for key, value in saved.items():
                os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
        try:
            if self.marp is None:
                raise RuntimeError("collect() before submit()")
            browser = pw.chromium.connect_over_cdp(self._endpoint())
            context = browser.contexts[0]
            page = context.pages[0] if context.pages else context.new_page()
            page.set_viewport_size({"width": 1280, "height": 720})
            try:
                code = self.marp.wait(timeout=MARP_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise UsageError(f"Marp CLI did not finish within {MARP_TIMEOUT:.0f}s") from None
            seconds = time.perf_counter() - self.started
            results: dict[Path, RenderedDeck] = {}
            for deck, out in self.outputs.items():
                result = results[deck] = RenderedDeck(seconds_marp=seconds)
                if not out.exists():
                    result.error = _tail(self.tmp / "marp.log") or f"exit code {code}"
                    continue
                out.write_text(_with_base(out.read_text(encoding="utf-8"), deck), encoding="utf-8")
                result.slides = self._measure(page, out)
            return results
        finally:
            self._kill_browser()
            pw.stop()

    def _measure(self, page, html: Path) -> list[dict]:
        from marpkit.lint.measure_js import MEASURE_JS

        page.goto(html.as_uri(), wait_until="load")
        t = self.r.thresholds
        return page.evaluate(MEASURE_JS, {
            "tolerance": t["overflow_tolerance_px"],
            "minCodePx": t["min_code_font_px"],
            "minContrast": t["min_contrast"],
            "minContrastLarge": t["min_contrast_large"],
        })

    def _kill_browser(self) -> None:
        if self.chrome is not None and self.chrome.poll() is None:
            try:
                os.killpg(self.chrome.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.chrome.wait()

    def _stop_marp(self) -> None:
        if self.marp is not None and self.marp.poll() is None:
            self.marp.kill()
            self.marp.wait()
        self.marp = None

    def close(self) -> None:
        self._kill_browser()
        self._stop_marp()
        shutil.rmtree(self.tmp, ignore_errors=True)
