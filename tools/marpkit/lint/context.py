"""What rules read: one deck (parsed once), the project, settings, themes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from marpkit.config import Project
from marpkit.findings import Finding, Fix
from marpkit.fsutil import inside
from marpkit.lint.registry import REGISTRY
from marpkit.lint.settings import LintSettings
from marpkit.model.deck import Deck
from marpkit.model.load import Unreadable
from marpkit.model.themes import BUILTIN_SIZES, Theme, load_themes  # noqa: F401 - rules and the LSP import them here
from marpkit.snippets.store import Resolution, SnippetStore, resolve_deck


@dataclass
class DeckContext:
    path: Path
    display: str
    project: Project
    settings: LintSettings
    store: SnippetStore
    themes: dict[str, Theme]
    deck: Deck | None = None
    error: Unreadable | None = None
    findings: list[Finding] = field(default_factory=list)

    @cached_property
    def resolutions(self) -> list[Resolution]:
        return resolve_deck(self.deck, self.store) if self.deck else []

    @cached_property
    def charts(self) -> list:
        """The deck's `chart:` images with their files found (charts/state.py)."""
        from marpkit.charts.state import deck_chart_list

        return deck_chart_list(self.project, self.deck, self.store) if self.deck else []

    @property
    def theme_name(self) -> str:
        value = self.deck.global_directives.get("theme") if self.deck else None
        return str(value).strip() if isinstance(value, str) and value.strip() else "default"

    @property
    def size(self) -> tuple[float, float]:
        """Slide size in px, as Marp would use it (unknown sizes fall back to 16:9)."""
        theme = self.themes.get(self.theme_name) or self.themes["default"]
        wanted = self.deck.global_directives.get("size") if self.deck else None
        if isinstance(wanted, str) and wanted.strip() in theme.sizes:
            return theme.sizes[wanted.strip()]
        return theme.sizes.get("16:9", BUILTIN_SIZES["16:9"])

    @property
    def in_slides_dir(self) -> bool:
        return inside(self.path, self.project.slides_dir, follow=True) is not None

    def column_of(self, line: int, needle: str) -> int:
        """1-based column of `needle` on `line`, or 1 (positions from the model can be
        approximate in malformed decks)."""
        if self.deck is None or not 1 <= line <= self.deck.line_count:
            return 1
        return self.deck.line_text(line).find(needle) + 1 or 1

    def finding(self, code: str, line: int, column: int, message: str, *,
                fix: Fix | None = None, end_line: int | None = None,
                severity: str | None = None, slide: int | None = None) -> Finding:
        rule = REGISTRY[code]
        deck = self.deck
        if deck is not None and deck.line_count:
            # Never point outside the file, whatever a malformed deck made of positions.
            line = max(1, min(line, deck.line_count))
            column = min(column, len(deck.line_text(line)) + 1)
            if end_line is not None:
                end_line = max(line, min(end_line, deck.line_count))
        if deck is not None and deck.slides:
            target = deck.slides[slide - 1] if slide else deck.slide_at(line)
            slide_no, title = target.index, target.title
        else:
            slide_no, title = slide, None
        return Finding(self.display, line, max(column, 1), code, message,
                       severity or rule.severity, slide_no, title, end_line, fix)


@dataclass
class ProjectContext:
    """All decks of a run, for rules that compare decks or look at files no deck names."""

    project: Project
    settings: LintSettings
    store: SnippetStore
    decks: list[DeckContext]
    whole_project: bool  # every deck in slides/ is being linted
    unreadable: list[DeckContext] = field(default_factory=list)  # decks that could not be parsed

    def finding(self, path: str, code: str, line: int, column: int, message: str,
                severity: str | None = None) -> Finding:
        return Finding(path, line, column, code, message, severity or REGISTRY[code].severity)
