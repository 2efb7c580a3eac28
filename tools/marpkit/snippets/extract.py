"""Migrating a deck's inline code into snippet files referenced by its fences."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from marpkit.findings import UsageError
from marpkit.model.deck import Deck
from marpkit.snippets import languages


def slugify(text: str | None, limit: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "code"


def extract_deck(deck: Deck, snippets_dir: Path) -> tuple[str, dict[Path, str]]:
    """The deck text with `snippet=` added to every inline fence, and the files to create."""
    stem = deck.path.stem
    files: dict[Path, str] = {}
    inserts = []
    for slide in deck.slides:
        inline = [b for b in slide.code_blocks if not b.snippet and not b.output]
        for number, block in enumerate(inline, start=1):
            if not block.closed or block.indent.strip():
                continue
            ext = languages.extension_for(block.lang)
            suffix = f"-{number}" if len(inline) > 1 else ""
            name = f"{slide.index:02d}-{slugify(slide.title)}{suffix}.{ext}"
            rel = f"{stem}/{name}"
            content = block.body if block.body.endswith("\n") or not block.body else block.body + "\n"
            target = snippets_dir / stem / name
            if target.exists() and target.read_text(encoding="utf-8") != content:
                raise UsageError(f"{deck.display_path}:{block.line}: {rel} exists with other "
                                 "content; move it away or reference it by hand")
            files[target] = content
            line_end = deck.offset(block.line) + len(deck.line_text(block.line))
            # A fence with no language gets one, or Marp would read the reference as the language.
            addition = f" snippet={rel}" if block.lang else f"{ext if ext != 'txt' else 'text'} snippet={rel}"
            inserts.append((line_end, addition))
    text = deck.text
    for offset, addition in sorted(inserts, reverse=True):
        text = text[:offset] + addition + text[offset:]
    return text, files
