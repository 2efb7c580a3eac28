"""Where the project's settings become a Marp run: the one place, as Marp CLI's
converter.ts is for Marp CLI.

`marpkit build` converts with Marp CLI, `marpkit serve` runs Marp CLI's server,
rendered lint runs Marp's engine in the browser it measures in (the bundle of
assets/marp_render.js). All three take their engine options, theme set, HTML
setting and KaTeX fonts from a MarpSettings, so that what lint measures and
what serve shows is what the build publishes (tests/lint/test_lint_parity.py holds
the CLI's and the browser's output equal).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from marpkit.config import CHOOSABLE_FORMATS, TIMEOUT_SETTING
from marpkit.fsutil import atomic_write, real
from marpkit.marp import PROCESS_TIMEOUT, themes

if TYPE_CHECKING:
    from marpkit.config import Project
    from marpkit.model.deck import Deck

# Where published HTML finds the KaTeX fonts: copied next to it, so the
# folder works from disk or any static host.
KATEX_DIR = "assets/katex/"
# Marp CLI would take the language from the machine's locale (`C` in CI);
# a deck's `lang` directive still wins.
LANG = "en"
# Marp CLI gives each browser operation (loading a deck, printing it) 30 s.
# A deck's load and print grow with its slides: a 1,000-slide PDF took 6 s;
# a 10,000-slide one 990 s (plain Marp CLI) and 1,647 s (marpkit's build, with
# outlines and notes) on a two-core machine under heavy load, where Marp's 30 s
# failed it. The limit only catches a hung browser, so it errs long: 0.3 s a
# slide.
BROWSER_TIMEOUT = 30.0
SECONDS_PER_SLIDE = 0.3


@dataclass(frozen=True)
class Format:
    """One of Marp CLI's converters, as an output format."""

    name: str
    args: tuple[str, ...]
    suffix: str
    needs_browser: bool
    many: bool = False  # one file per slide: <stem>.001.png, …


FORMATS = {
    "html": Format("html", (), ".html", False),
    "pdf": Format("pdf", ("--pdf",), ".pdf", True),
    "pptx": Format("pptx", ("--pptx",), ".pptx", True),
    "notes": Format("notes", ("--notes",), ".txt", False),
    "png": Format("png", ("--images", "png"), ".png", True, many=True),
    # Slides beside their notes, printed by marpkit (build/handout.py) from
    # Marp CLI's HTML: Marp converts to HTML only for a deck whose html format
    # is neither built now nor up to date.
    "handout": Format("handout", (), "-handout.pdf", True),
    # The first slide as the course index's thumbnail. A build captures it
    # while Marp prints the PDF, with the steps Marp takes for these arguments
    # (assets/marp_calls.js; a test compares the two byte for byte).
    "thumbnail": Format("thumbnail", ("--image", "png"), ".png", True),
}
CHOOSABLE = CHOOSABLE_FORMATS  # the names config.py accepts
assert set(FORMATS) == {*CHOOSABLE, "thumbnail"}, "config.CHOOSABLE_FORMATS and FORMATS disagree"


def uses_katex(decks: Iterable[Deck]) -> bool:
    return any(deck.global_directives.get("math") == "katex" for deck in decks)


@dataclass(frozen=True)
class MarpRun:
    """A Marp CLI run set up: the config file it reads, the arguments every call takes."""

    config: Path
    args: tuple[str, ...]


@dataclass(frozen=True)
class MarpSettings:
    """Everything a Marp run is made from, read from the project once."""

    root: Path
    themes: tuple[Path, ...] = ()  # the theme set
    html: bool = False
    katex_fonts: Path | None = None  # the local KaTeX fonts, None when not installed
    lang: str = LANG
    pdf_outlines: bool = True
    pdf_notes: bool = True
    browser_timeout: float | None = None  # as configured; None: scaled with the deck

    @classmethod
    def of(cls, project: Project) -> MarpSettings:
        build = project.build_settings
        fonts = project.root / "node_modules" / "katex" / "dist" / "fonts"
        return cls(project.root, tuple(themes.theme_files(project.themes_dir)), build.html,
                   fonts if fonts.is_dir() else None, LANG, build.pdf_outlines,
                   build.pdf_notes and not build.private_notes, build.browser_timeout)

    # ------------------------------------------------------------------ the engine

    def engine(self, katex_font_path: str | None) -> dict:
        """Marp options that keep every asset local and the output reproducible:
        Unicode and shortcode emoji render as text (through a local emoji font)
        instead of twemoji images from a CDN; KaTeX fonts come from a local copy."""
        options: dict = {"emoji": {"shortcode": True, "unicode": False}}
        if katex_font_path:
            options["math"] = {"katexFontPath": katex_font_path}
        return {"options": options, "lang": self.lang}

    def identity(self) -> str:
        """The engine options an output depends on, for a build's input hash
        (where the fonts are found aside: that never changes the slides)."""
        return json.dumps(self.engine(None), sort_keys=True)

    def katex_path(self, out_dir: Path | None, math: bool = True) -> str | None:
        """How HTML finds the KaTeX fonts: copied into `out_dir` (published with
        it) and named relative to it, or with no out_dir, in place by file URI.
        None when no deck may use KaTeX or it is not installed."""
        if not math or self.katex_fonts is None:
            return None
        if out_dir is None:
            return self.katex_fonts.as_uri() + "/"
        target = out_dir / KATEX_DIR
        if not target.is_dir():
            shutil.copytree(self.katex_fonts, target)
        return KATEX_DIR

    # ------------------------------------------------------------------ Marp CLI

    def cli_run(self, config: Path, *, out_dir: Path | None, math: bool = True,
                theme_set: Sequence[Path] | None = None) -> MarpRun:
        """Write the config file Marp CLI reads (engine options and theme set)
        and return the run. `math`: whether any deck may use KaTeX; `theme_set`
        instead of the project's theme files (a folder Marp watches)."""
        engine = self.engine(self.katex_path(out_dir, math))
        # In the config file, not on the command line: `--theme-set` takes a list
        # and would swallow the input files that follow it.
        engine["themeSet"] = [str(real(p)) for p in
                              (self.themes if theme_set is None else theme_set)]
        atomic_write(config, json.dumps(engine))
        # Local files: decks show images from their own folder.
        return MarpRun(config, ("--allow-local-files", *(("--html",) if self.html else ())))

    def convert_args(self, run: MarpRun, fmt: Format, slides: int) -> list[str]:
        """Marp CLI's arguments for converting decks of up to `slides` slides to `fmt`."""
        args = [*fmt.args, *run.args]
        if fmt.name == "pdf":
            args += ["--pdf-outlines"] if self.pdf_outlines else []
            args += ["--pdf-notes"] if self.pdf_notes else []
        if fmt.needs_browser:
            args += ["--browser-timeout", f"{self.browser_seconds(slides):g}"]
        return args

    def browser_seconds(self, slides: int) -> float:
        """Seconds Marp CLI's browser may take per operation on a deck of
        `slides` (0: no limit): the configured value, else Marp's 30 s scaled."""
        if self.browser_timeout is not None:
            return self.browser_timeout
        return max(BROWSER_TIMEOUT, round(slides * SECONDS_PER_SLIDE))

    def call_timeout(self, fmt: Format, slides: int, decks: int) -> float | None:
        """How long one Marp CLI call on `decks` decks may take: a safety net
        against a hung Marp, never shorter than its browser could legitimately take."""
        if not fmt.needs_browser:
            return PROCESS_TIMEOUT
        seconds = self.browser_seconds(slides)
        return None if seconds == 0 else max(PROCESS_TIMEOUT, 3 * seconds * decks)

    # ------------------------------------------------------------------ the browser's engine

    def browser_engine(self, cache_dir: Path) -> dict:
        """The options lint's in-browser engine (assets/marp_render.js) renders
        with: what the CLI's config file and arguments give Marp CLI."""
        # A theme Marp cannot parse is reported where it breaks (exit 2),
        # not as an engine error on every deck.
        themes.check_themes(self.root, cache_dir, list(self.themes))
        css = [p.read_text(encoding="utf-8", errors="replace") for p in self.themes]
        return {**self.engine(self.katex_path(None)), "themes": css,
                **({"html": True} if self.html else {})}


def timeout_advice(slides: int, waited_ms: int) -> str:
    """Why the browser gave up on a deck, and the setting that gives it longer."""
    waited = waited_ms / 1000
    suggested = max(60, int(-(-waited * 4 // 60)) * 60)  # four times as long, in whole minutes
    return (f"the browser timed out after {waited:g} s on this deck ({slides} slides); "
            f"set {TIMEOUT_SETTING} = {suggested} (seconds, 0 for no limit) in pyproject.toml")
