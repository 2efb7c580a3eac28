"""The one comparison of a fence with its snippet file, and the one expander.

Drift (sync --check, lint MK313), `sync` and `build` all decide here whether a
fence body differs from the code its reference shows, and how to replace it.
"""

from __future__ import annotations

from marpkit.edits import apply_fixes
from marpkit.findings import Finding, Fix
from marpkit.model.deck import CodeBlock, Deck
from marpkit.snippets.store import Resolution, SnippetStore, resolve_deck
from marpkit.text import split_lines

DRIFT = "MK313"


def _normalized(code: str) -> list[str]:
    # Trailing whitespace and trailing blank lines are invisible on a slide:
    # they are not drift. Anything else (tabs, leading blank lines, text) is.
    lines = [line.rstrip() for line in split_lines(code)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def first_difference(body: str, code: str) -> int | None:
    """The 0-based body line where a fence first differs from `code`, or None
    if the audience would see the same code: the one drift decision."""
    shown, wanted = _normalized(body), _normalized(code)
    if shown == wanted:
        return None
    for number, (a, b) in enumerate(zip(shown, wanted, strict=False)):
        if a != b:
            return number
    return min(len(shown), len(wanted))


def fence_body_matches(block: CodeBlock, code: str) -> bool:
    return first_difference(block.body, code) is None


def body_fix(deck: Deck, block: CodeBlock, code: str, description: str) -> Fix | None:
    """Replace a fence's body with `code`, keeping the fence's indent (or
    blockquote prefix) and line endings; None if nothing differs or the fence
    is unclosed (its end is a guess)."""
    if not block.closed or fence_body_matches(block, code):
        return None
    if block.indent.strip():
        # A fence in a blockquote: safe only if every body line carries the prefix.
        lines = [deck.line_text(n) for n in range(block.body_line, block.end_line)]
        if not all(line.startswith(block.indent) for line in lines):
            return None
    start = deck.offset(block.body_line)
    end = deck.offset(block.end_line)
    prefix_blank = block.indent.rstrip()
    replacement = "".join(block.indent + line + deck.newline if line else prefix_blank + deck.newline
                          for line in split_lines(code))
    return Fix(description, start, end, replacement)


def drift(deck: Deck, res: Resolution) -> tuple[Finding, Fix | None] | None:
    """The MK313 finding (and its fix) for a resolved fence whose body is not the
    file's code; None when it shows the same code."""
    differ = first_difference(res.block.body, res.code)
    if differ is None:
        return None
    block = res.block
    slide = deck.slides[block.slide - 1]
    line = min(block.body_line + differ, max(block.end_line, block.line))
    fix = body_fix(deck, block, res.code, f"line {block.line}: update code from {res.ref}")
    return Finding(deck.display_path, line, 1, DRIFT,
                   f"fence body differs from snippet {res.ref} (first at body line {differ + 1}; "
                   "run `marpkit sync`)", "error", slide.index, slide.title,
                   end_line=block.end_line, fix=fix), fix


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
        if found := drift(deck, res):
            drifted.append(found)
    text, _ = apply_fixes(deck.text, [fix for _, fix in drifted if fix is not None])
    return errors, drifted, text
