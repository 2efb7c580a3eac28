"""What `marpkit diff` tells: a text or Markdown summary, JSON for tools, and
build/diff/index.html, a self-contained page of before and after."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from marpkit.diff.pipeline import DiffResult
from marpkit.diff.verdicts import VERDICTS, DeckDiff, SlideDiff
from marpkit.fsutil import atomic_write

WHOLE = 0.8  # of a slide's area: a difference that large is not highlighted
PAD = 0.006  # of a slide's width, round the highlighted box


def _slide_label(slide: SlideDiff) -> str:
    if slide.old is not None and slide.new is not None and slide.old != slide.new:
        number = f"{slide.old}->{slide.new}"
    else:
        number = str(slide.new if slide.new is not None else slide.old)
    return f'slide {number}' + (f' "{slide.title}"' if slide.title else "")


def _deck_label(deck: DeckDiff) -> str:
    if deck.renamed:
        return f"{deck.old_path} -> {deck.new_path}"
    return deck.path


def _counts(deck: DeckDiff) -> str:
    counts = deck.counts()
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def _notes(slide) -> list[str]:
    """What to say of a slide: its causes, and a shown snippet whose check
    verdict changed (from the check cache)."""
    return [*slide.causes, *(f"check {c}" for c in slide.checks)]


def text(result: DiffResult) -> str:
    lines = []
    for deck in result.decks:
        lines.append(f"{_deck_label(deck)}: {_counts(deck)}")
        for slide in deck.shown:
            cause = f" ({'; '.join(_notes(slide))})" if _notes(slide) else ""
            lines.append(f"  {slide.verdict}: {_slide_label(slide)}{cause}")
    return "\n".join(lines)


def markdown(result: DiffResult) -> str:
    """A summary for $GITHUB_STEP_SUMMARY or a pull-request comment."""
    lines = [f"### Slides changed since `{result.revision.name}` ({result.revision.commit[:10]})", "",
             "| deck | " + " | ".join(VERDICTS) + " |", "|---|" + "---:|" * len(VERDICTS)]
    for deck in result.decks:
        counts = deck.counts()
        lines.append(f"| `{_deck_label(deck)}` | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
    details = [f"- `{deck.path}` {slide.verdict} {_slide_label(slide)}"
               + (f": {'; '.join(_notes(slide))}" if _notes(slide) else "")
               for deck in result.decks for slide in deck.shown]
    return "\n".join(lines + ([""] + details if details else ["", "No slide changed."])) + "\n"


def as_json(result: DiffResult) -> str:
    return json.dumps({
        "revision": result.revision.name, "commit": result.revision.commit,
        "decks": [{"old_path": d.old_path, "new_path": d.new_path, "rendered": d.rendered,
                   "counts": d.counts(),
                   "slides": [{"verdict": s.verdict, "old": s.old, "new": s.new, "title": s.title,
                               "causes": s.causes, "checks": s.checks,
                               "box": list(s.box) if s.box else None}
                              for s in d.slides]} for d in result.decks],
        "findings": [f.format() for f in result.findings]}, indent=2)


def _data_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def html(result: DiffResult, target: Path) -> None:
    """One file, images inlined: it works from disk and as a CI artifact."""
    from marpkit.pages import render_page

    decks = []
    for deck in result.decks:
        rows = []
        for slide in deck.shown:
            box = None
            if slide.box and slide.size:
                w, h = slide.size
                left, top, right, bottom = slide.box
            # A box round the whole slide says nothing the verdict does not.
            if slide.box and slide.size and (right - left) * (bottom - top) < WHOLE * w * h:
                # A few pixels of margin, so the outline does not cover what changed.
                pad = PAD * w
                left, top, right, bottom = (max(left - pad, 0), max(top - pad, 0),
                                            min(right + pad, w), min(bottom + pad, h))
                box = {"left": 100 * left / w, "top": 100 * top / h,
                       "width": 100 * (right - left) / w, "height": 100 * (bottom - top) / h}
            rows.append({"label": _slide_label(slide), "verdict": slide.verdict, "causes": _notes(slide),
                         "before": _data_uri(slide.before), "after": _data_uri(slide.after), "box": box})
        decks.append({"label": _deck_label(deck), "counts": deck.counts(), "rows": rows})
    page = render_page("diff.html.j2", trim=False, revision=result.revision, decks=decks,
                       verdicts=VERDICTS,
                       total={v: sum(d.counts()[v] for d in result.decks) for v in VERDICTS})
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, page)
