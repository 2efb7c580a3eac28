"""Slides paired by identity, not by position: a sequence alignment over slide
signatures, so an inserted slide is one added slide and every other one pairs
with its old self."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from marpkit.diff.sides import DeckSide
from marpkit.model.deck import Slide
from marpkit.text import split_lines


@dataclass(frozen=True)
class Signature:
    """What a slide is made of in its deck: its title, its own lines (fence
    bodies aside: they are copies) and the code its snippet fences show."""

    title: str | None
    text: str
    shown: tuple[tuple[str, str], ...]  # (reference, code)


@dataclass(frozen=True)
class Pair:
    """How an old slide and a new one relate (0-based indices; None: absent)."""

    old: int | None
    new: int | None
    kind: str  # "same" (equal signatures), "edited", "moved", "added", "removed"


def signatures(deck: DeckSide) -> list[Signature]:
    model = deck.job.deck
    lines = split_lines(model.text)
    shown: dict[int, list[tuple[str, str]]] = {}
    copies: set[int] = set()
    for res in deck.job.resolutions:
        shown.setdefault(res.block.slide, []).append((res.ref, res.code or ""))
        copies.update(range(res.block.body_line, res.block.body_end_line))
    return [Signature(slide.title, slide_text(slide, lines, copies), tuple(shown.get(slide.index, ())))
            for slide in model.slides]


def slide_text(slide: Slide, lines: list[str], skip: set[int] = frozenset()) -> str:
    return "\n".join(lines[n - 1] for n in range(slide.start_line, slide.end_line + 1)
                     if n not in skip and n <= len(lines)).strip()


def align(old: list[Signature], new: list[Signature]) -> list[Pair]:
    pairs: list[Pair] = []
    removed: list[int] = []
    added: list[int] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [Pair(i, j, "same") for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        # A replaced run pairs slide by slide: an edit in place.
        common = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        pairs += [Pair(i1 + k, j1 + k, "edited") for k in range(common)]
        removed += range(i1 + common, i2)
        added += range(j1 + common, j2)
    # A slide removed in one place and added, unchanged, in another moved.
    for i in list(removed):
        j = next((j for j in added if new[j] == old[i]), None)
        if j is not None:
            removed.remove(i)
            added.remove(j)
            pairs.append(Pair(i, j, "moved"))
    pairs += [Pair(i, None, "removed") for i in removed]
    pairs += [Pair(None, j, "added") for j in added]
    return sorted(pairs, key=lambda p: (p.new if p.new is not None else p.old, p.new is None))


def by_position(old_sigs: list[Signature], new_sigs: list[Signature]) -> list[Pair]:
    """What a comparison of image folders by file name pairs: slide N with slide N
    (the generic visual-regression tools' way; kept to show what alignment avoids)."""
    old, new = len(old_sigs), len(new_sigs)
    pairs = [Pair(i, i, "edited") for i in range(min(old, new))]
    pairs += [Pair(i, None, "removed") for i in range(new, old)]
    return pairs + [Pair(None, j, "added") for j in range(old, new)]
