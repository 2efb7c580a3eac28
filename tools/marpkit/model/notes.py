"""Presenter notes: the HTML comments Marp does not read as directives."""

from __future__ import annotations

import re
from pathlib import Path

from marpkit.model.deck import load_deck

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)


def without_notes(text: str, path: Path) -> str:
    """`text` (a deck) with its presenter notes cut out and everything else kept:
    directive comments, comments inside code, the lines around them."""
    deck = load_deck(path, text=text)
    cuts = []
    for slide in deck.slides:
        for comment in slide.comments:
            if comment.is_directive or not comment.content:
                continue
            start = deck.offset(comment.line)
            end = deck.offset(comment.end_line) + len(deck.line_text(comment.end_line))
            for match in _COMMENT.finditer(text, start, end):
                if match.group(1).strip() == comment.content.strip():
                    cuts.append(match.span())
                    break
    for start, end in sorted(set(cuts), reverse=True):
        text = text[:start] + text[end:]
    return text
