"""MK2xx: text encoding problems."""

from __future__ import annotations

import re
import unicodedata

from marpkit.findings import Fix
from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule

# A run of non-ASCII characters: UTF-8 read as a single-byte encoding turns
# every multi-byte character into 2-4 non-ASCII characters, so mojibake never
# spans ASCII.
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ENCODINGS = ("mac_roman", "cp1252", "latin-1")

INVISIBLE = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE (BOM)",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR",
    "\u00ad": "SOFT HYPHEN",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}
# Joiners are legitimate inside emoji sequences and in many scripts; they are
# only suspicious next to ASCII or at a word edge.
_JOINERS = {"\u200c": "ZERO WIDTH NON-JOINER", "\u200d": "ZERO WIDTH JOINER"}
_INVISIBLE_RE = re.compile("[" + "".join(INVISIBLE) + "".join(_JOINERS) + "]")


def _plausible(original: str, fixed: str) -> bool:
    """Is `fixed` a more believable reading of `original`?"""
    if not fixed or len(fixed) >= len(original) or "\ufffd" in fixed:
        return False
    for ch in fixed:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn"):
            return False
    return True


def _redecode(run: str) -> str | None:
    """`run` decoded as the UTF-8 it was before a single-byte decoder garbled it."""
    for encoding in _ENCODINGS:
        try:
            raw = run.encode(encoding)
        except UnicodeEncodeError:
            continue
        # The whole run must be valid UTF-8 multi-byte sequences: a partial
        # match is how real Latin-1 text (e.g. "Ã©tÃ©" vs "été") is told apart.
        if _UTF8_SEQ.sub(b"", raw):
            continue
        try:
            fixed = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if _plausible(run, fixed):
            return fixed
    return None


def fix_mojibake(run: str) -> str | None:
    """The repaired text of one non-ASCII run, or None if it does not look garbled.

    ftfy knows cp1252/Latin-1 mojibake well but not Mac Roman, so it is
    asked first and our re-decoding covers the rest.
    """
    import ftfy  # noqa: PLC0415 - only needed when a line has non-ASCII text

    fixed = ftfy.fix_encoding(run)
    if fixed != run and _plausible(run, fixed):
        return fixed
    return _redecode(run)


def mojibake_runs(line: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each garbled run in a line."""
    out = []
    for match in _NON_ASCII_RUN.finditer(line):
        run = match.group(0)
        if len(run) < 2:
            continue
        fixed = fix_mojibake(run)
        if fixed is not None:
            out.append((match.start(), match.end(), fixed))
    return out


@rule("MK201", "mojibake", fixable=True,
      summary="Text that is UTF-8 decoded with the wrong encoding (mojibake).",
      rationale="""When a UTF-8 file passes through a tool that reads it as Mac Roman,
Windows-1252 or Latin-1, every accented letter or symbol becomes two to four
junk characters ("•" turns into "‚Ä¢"). Audiences see the junk on the slide.
The fix re-encodes the junk and decodes it as UTF-8, restoring the original.""",
      example="""footer: "BAI Lab ‚Ä¢ V∆∞∆°ng"   ->   footer: "BAI Lab • Vương\"""")
def mojibake(ctx: DeckContext):
    deck = ctx.deck
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        if line.isascii():
            continue
        runs = mojibake_runs(line)
        if not runs:
            continue
        first_start, first_end, first_fixed = runs[0]
        start, end = runs[0][0], runs[-1][1]
        repaired = line[start:end]
        for s, e, fixed in reversed(runs):
            repaired = repaired[: s - start] + fixed + repaired[e - start:]
        base = deck.offset(number)
        more = f" (and {len(runs) - 1} more on this line)" if len(runs) > 1 else ""
        yield ctx.finding(
            "MK201", number, first_start + 1,
            f'mojibake: "{line[first_start:first_end]}" should read "{first_fixed}"{more}',
            fix=Fix(f"line {number}: restore {len(runs)} garbled run(s)",
                    base + start, base + end, repaired))


@rule("MK202", "replacement-character",
      summary="U+FFFD REPLACEMENT CHARACTER: text was lost in a bad decode.",
      rationale=""""\ufffd" is what a decoder writes when it could not read a byte; the
original character is gone and has to be typed again by hand.""",
      example="""Caf\ufffd   ->   Café""")
def replacement_char(ctx: DeckContext):
    deck = ctx.deck
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        col = line.find("\ufffd")
        if col >= 0:
            yield ctx.finding("MK202", number, col + 1,
                              "U+FFFD replacement character: the original text was lost")


@rule("MK203", "invisible-character", severity="warning", fixable=True,
      summary="An invisible or zero-width character.",
      rationale="""Zero-width spaces, stray BOMs and direction marks are invisible in the
editor but break directive names, code that students copy, search and
diff. A zero-width space before `marp: true` makes Marp ignore the front matter.""",
      example="""mar\u200bp: true   (a ZERO WIDTH SPACE inside `marp`)""")
def invisible(ctx: DeckContext):
    deck = ctx.deck
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        if line.isascii():
            continue
        for match in _INVISIBLE_RE.finditer(line):
            ch, col = match.group(0), match.start()
            if ch in _JOINERS:
                before = line[col - 1] if col else " "
                after = line[col + 1] if col + 1 < len(line) else " "
                if not (before.isascii() or after.isascii()):
                    continue
            name = INVISIBLE.get(ch) or _JOINERS[ch]
            offset = deck.offset(number, col + 1)
            yield ctx.finding("MK203", number, col + 1,
                              f"invisible character U+{ord(ch):04X} {name}",
                              fix=Fix(f"line {number}: remove U+{ord(ch):04X}",
                                      offset, offset + 1, ""))


@rule("MK204", "not-utf8",
      summary="The file is not UTF-8.",
      rationale="""Marp reads decks as UTF-8; any other encoding shows as junk or fails.
Re-save the file as UTF-8.""",
      example="""A deck saved as Windows-1252: byte 0xe9 where UTF-8 expects "é".""")
def not_utf8(ctx: DeckContext):
    # Produced by the engine when the deck cannot be decoded (there is no deck
    # model to run rules on); registered here so it can be selected and explained.
    return ()
