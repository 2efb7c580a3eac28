"""Each slide's verdict (unchanged, changed, added, removed, moved) and, for a
changed one, the box that differs and the cause."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.diff import pixels
from marpkit.diff.align import Pair, Signature, align, signatures
from marpkit.diff.sides import DeckSide, Side

UNCHANGED, CHANGED, ADDED, REMOVED, MOVED = "unchanged", "changed", "added", "removed", "moved"
VERDICTS = (CHANGED, ADDED, REMOVED, MOVED, UNCHANGED)


@dataclass
class SlideDiff:
    verdict: str
    old: int | None  # 1-based page numbers
    new: int | None
    title: str | None
    causes: list[str] = field(default_factory=list)
    box: pixels.Box | None = None
    before: Path | None = None
    after: Path | None = None
    size: tuple[int, int] | None = None  # of the render, for the box
    # A snippet the slide shows whose check verdict differs between the two
    # revisions, from the check cache: "m/a.py: passed -> failed".
    checks: list[str] = field(default_factory=list)


@dataclass
class DeckDiff:
    old_path: str | None
    new_path: str | None
    slides: list[SlideDiff]
    rendered: bool

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"

    @property
    def renamed(self) -> bool:
        return bool(self.old_path and self.new_path and self.old_path != self.new_path)

    def counts(self) -> dict[str, int]:
        return {v: sum(s.verdict == v for s in self.slides) for v in VERDICTS}

    @property
    def shown(self) -> list[SlideDiff]:
        """Slides to show: all but the unchanged, and those whose snippet's check
        verdict changed although they look the same."""
        return [s for s in self.slides if s.verdict != UNCHANGED or s.checks]


def unchanged_deck(old_side: Side, old: DeckSide, new_side: Side, new: DeckSide) -> DeckDiff:
    """Inputs identical at both revisions: every slide unchanged, nothing rendered
    (a snippet's check verdict may still have changed: a line outside what it shows)."""
    return DeckDiff(old.rel, new.rel, [
        SlideDiff(UNCHANGED, s.index, s.index, s.title,
                  checks=check_changes(old_side, old, s.index - 1, new_side, new, s.index - 1))
        for s in new.job.deck.slides], False)


def one_sided(deck: DeckSide, verdict: str) -> DeckDiff:
    slides = deck.job.deck.slides
    made = [SlideDiff(verdict, s.index if verdict == REMOVED else None,
                      s.index if verdict == ADDED else None, s.title,
                      before=deck.pngs[s.index - 1] if verdict == REMOVED and deck.pngs else None,
                      after=deck.pngs[s.index - 1] if verdict == ADDED and deck.pngs else None)
            for s in slides]
    return DeckDiff(deck.rel if verdict == REMOVED else None, deck.rel if verdict == ADDED else None,
                    made, bool(deck.pngs))


Pairing = Callable[[list[Signature], list[Signature]], list[Pair]]


def compare_deck(old_side: Side, old: DeckSide, new_side: Side, new: DeckSide,
                 pairing: Pairing = align) -> DeckDiff:
    """Both renders of a changed deck, slide by slide, as `pairing` pairs them."""
    old_sigs, new_sigs = signatures(old), signatures(new)
    pairs = pairing(old_sigs, new_sigs)
    causes = _deck_causes(old_side, old, new_side, new)
    slides = []
    for pair in pairs:
        before = old.pngs[pair.old] if pair.old is not None else None
        after = new.pngs[pair.new] if pair.new is not None else None
        model = new.job.deck.slides[pair.new] if pair.new is not None else old.job.deck.slides[pair.old]
        made = SlideDiff(pair.kind if pair.kind in (ADDED, REMOVED, MOVED) else UNCHANGED,
                         None if pair.old is None else pair.old + 1,
                         None if pair.new is None else pair.new + 1, model.title,
                         before=before, after=after)
        if before is not None and after is not None:
            made.size = pixels.size_of(after)
            box = pixels.difference(before, after, renumbered=pair.old != pair.new)
            if box is not None:
                made.box = box
                if made.verdict == UNCHANGED:
                    made.verdict = CHANGED
                made.causes = _slide_causes(old_sigs[pair.old], new_sigs[pair.new], new, pair.new) + causes
                made.causes = made.causes or ["rendering (a directive or style of another slide)"]
        if pair.old is not None and pair.new is not None:
            made.checks = check_changes(old_side, old, pair.old, new_side, new, pair.new)
        slides.append(made)
    return DeckDiff(old.rel, new.rel, slides, True)


def _verdicts(side: Side, deck: DeckSide, index: int, cache_dir: Path) -> dict[str, bool | None]:
    """Snippet file -> its check verdict at this revision, for the files slide
    `index` shows: the working tree's check cache answers for both revisions
    (its entries are keyed by the snippet folder's content)."""
    from marpkit.check.output_fences import check_verdict

    return {res.rel_path: check_verdict(cache_dir, side.project.snippets_dir, res.rel_path)
            for res in deck.job.resolutions if res.block.slide == index + 1 and res.ok}


def check_changes(old_side: Side, old: DeckSide, old_index: int,
                  new_side: Side, new: DeckSide, new_index: int) -> list[str]:
    """The shown snippets whose check verdict changed between the revisions
    (both checked, as each revision has them)."""
    word = {True: "passed", False: "failed"}
    cache_dir = new_side.project.cache_dir
    before = _verdicts(old_side, old, old_index, cache_dir)
    after = _verdicts(new_side, new, new_index, cache_dir)
    return [f"{rel}: {word[before[rel]]} -> {word[now]}" for rel, now in sorted(after.items())
            if now is not None and before.get(rel) is not None and before[rel] != now]


def _slide_causes(old: Signature, new: Signature, deck: DeckSide, index: int) -> list[str]:
    causes = []
    slide = deck.job.deck.slides[index]
    if old.text != new.text or old.title != new.title:
        causes.append(f"deck lines {slide.start_line}-{slide.end_line}")
    before = dict(old.shown)
    for ref, code in new.shown:
        if before.get(ref) != code:
            causes.append(f"snippet {ref}")
    return causes


def _deck_causes(old_side: Side, old: DeckSide, new_side: Side, new: DeckSide) -> list[str]:
    """Causes that reach every slide of the deck."""
    causes = []
    if old.job.deck.global_directives != new.job.deck.global_directives:
        causes.append("deck directives (front matter)")
    theme = new_side.theme_of(new)
    if old_side.theme_of(old) != theme:
        causes.append(f"theme ({old_side.theme_of(old)} -> {theme})")
    elif old_side.themes.get(theme) != new_side.themes.get(theme):
        causes.append(f"theme {theme}")
    for src, key in new.assets.items():
        if old.assets.get(src) != key:
            causes.append(f"image {src}")
    if old_side.config_key != new_side.config_key:
        causes.append("configuration")
    return causes
