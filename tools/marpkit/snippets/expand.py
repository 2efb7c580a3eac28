"""The one comparison of a fence with its snippet file, and the one expander.

Drift (sync --check, lint MK313), `sync` and `build` all decide here whether a
fence body differs from the code its reference shows, and how to replace it.
"""

from __future__ import annotations

from marpkit.edits import apply_fixes
from marpkit.findings import Finding, Fix
from marpkit.model.deck import CodeBlock, Deck
from marpkit.snippets.store import SnippetStore, resolve_deck

DRIFT = "MK313"


def body_fix(deck: Deck, block: CodeBlock, code: str, description: str) -> Fix | None:
    """Replace a fence's body with `code`, keeping the fence's indent and line endings."""
    if not block.closed or block.indent.strip():
        return None  # inside a blockquote or unclosed: not a safe mechanical edit
    if fence_body_matches(block, code):
        return None
    start = deck.offset(block.body_line)
    end = deck.offset(block.end_line)
    replacement = "".join(block.indent + line + deck.newline if line else deck.newline
                          for line in code.splitlines())
    return Fix(description, start, end, replacement)


def _normalized(code: str) -> list[str]:
    # Trailing blanks are invisible on a slide; they are not drift.
    lines = [line.rstrip() for line in code.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def fence_body_matches(block: CodeBlock, code: str) -> bool:
    return _normalized(block.body) == _normalized(code)


def expand(deck: Deck, store: SnippetStore, outputs=None, resolutions=None
           ) -> tuple[str, list[Finding]]:
    """The deck as Marp should see it: every reference replaced by the file's current code."""
    findings: list[Finding] = []
    fixes = []
    for res in resolve_deck(deck, store) if resolutions is None else resolutions:
        if not res.ok:
            findings.append(res.finding)
            continue
        if fix := body_fix(deck, res.block, res.code, "expand"):
            fixes.append(fix)
    if outputs is not None:
        for block in deck.code_blocks:
            if block.output:
                text = outputs(block.output)
                if text is not None and (fix := body_fix(deck, block, text, "output")):
                    fixes.append(fix)
    return apply_fixes(deck.text, fixes)[0], findings


def sync_deck(deck: Deck, store: SnippetStore, outputs=None) -> tuple[list[Finding], list, str]:
    """Errors, drifted fences (finding, fix) pairs, and the synced text.

    `outputs` fills `output=` fences with a snippet's checked stdout; fences
    whose snippet has no current check result are left as they are.
    """
    errors, drifted = [], []
    for block in deck.code_blocks if outputs else []:
        text = outputs(block.output) if block.output else None
        if text is not None and (fix := body_fix(deck, block, text, f"output of {block.output}")):
            slide = deck.slides[block.slide - 1]
            drifted.append((Finding(
                deck.display_path, block.body_line, 1, DRIFT,
                f"fence differs from the checked output of {block.output} (run `marpkit sync`)",
                "error", slide.index, slide.title), fix))
    for res in resolve_deck(deck, store):
        if not res.ok:
            errors.append(res.finding)
            continue
        fix = body_fix(deck, res.block, res.code, f"sync fence body from {res.ref}")
        if fix is None:
            continue
        slide = deck.slides[res.block.slide - 1]
        first_diff = _first_differing_line(res.block.body, res.code)
        drifted.append((Finding(
            deck.display_path, res.block.body_line + first_diff, 1, DRIFT,
            f"fence body differs from snippet {res.ref} (run `marpkit sync`)",
            "error", slide.index, slide.title), fix))
    text, _ = apply_fixes(deck.text, [fix for _, fix in drifted])
    return errors, drifted, text


def _first_differing_line(body: str, code: str) -> int:
    a, b = body.splitlines(), code.splitlines()
    for number, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return number
    return min(len(a), len(b))
