"""MK2xx: text encoding problems."""

from __future__ import annotations

import re
import unicodedata

from marpkit.findings import Fix
from marpkit.lint.context import DeckContext
from marpkit.lint.registry import rule

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
# Direction marks, embeddings, overrides and isolates: how right-to-left text
# lays out a left-to-right word ("W&B" in Arabic). On a line with right-to-left
# letters they are the author's; on a line without, nothing needs them and
# they can only hide what the text says (Trojan Source).
BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_rtl(line: str) -> bool:
    """A strong right-to-left letter (bidi class R or AL: Hebrew, Arabic, Syriac, Thaana, N'Ko...)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in line if not ch.isascii())


# Joiners are legitimate inside emoji sequences and in many scripts; they are
# only suspicious next to ASCII or at a word edge.
_JOINERS = {"\u200c": "ZERO WIDTH NON-JOINER", "\u200d": "ZERO WIDTH JOINER"}
_INVISIBLE_RE = re.compile("[" + "".join(INVISIBLE) + "".join(_JOINERS) + "]")


# A run of non-ASCII characters: UTF-8 read as a single-byte encoding turns
# every multi-byte character into 2-4 non-ASCII characters, so mojibake never
# spans ASCII.
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")
# The single-byte decoders that garble UTF-8.
# Latin-1 differs from Windows-1252 only in 0x80-0x9F, where it has the C1
# controls: encoding those as their own byte makes "cp1252" read both, and
# text where a tool mixed the two.
_ENCODINGS = ("cp1252", "mac_roman")
# Mac Roman mojibake that ftfy's badness measure does not see ("ư" reads
# "∆∞"): the symbols Mac Roman puts where UTF-8 has lead or continuation
# bytes, and the Apple logo (U+F8FF, private use) where 4-byte emoji start.
# Correct text next to typographic quotes ("’é", "«É") has none.
_MAC_ROMAN_MARKS = set("¬√ƒ≈∆◊⁄ﬁﬂ‡·‚„‰÷†°¢£§•¶®©™´¨≠∞±≤≥¥µ∂∑∏π∫ªºΩ\uf8ff")
_MAX_ROUNDS = 3  # text encoded twice (or three times) unwinds one round each
# Mojibake starts with a character standing for a UTF-8 lead byte (0xC2-0xF4)
# in one of those encodings, right before another non-ASCII one: most lines
# with non-ASCII text have none, and need no closer look.
_LEAD = bytes(range(0xC2, 0xF5))
_SUSPECT = re.compile("[" + re.escape("".join(sorted(set(
    _LEAD.decode("cp1252", errors="ignore") + _LEAD.decode("mac_roman"))))) + "][^\x00-\x7f]")


def _encode(text: str, encoding: str) -> bytes | None:
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode(encoding)
        except UnicodeEncodeError:
            if encoding == "cp1252" and 0x80 <= ord(ch) <= 0x9F:
                out.append(ord(ch))
            else:
                return None
    return bytes(out)


def _utf8_length(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _candidates(run: str, encoding: str):
    """(start, end, decoded) for each stretch of `run` whose bytes in `encoding`
    are complete, valid UTF-8 multi-byte sequences."""
    encoded = [_encode(ch, encoding) for ch in run]
    i = 0
    while i < len(run):
        j, raw = i, b""
        while j < len(run):
            first = encoded[j]
            need = _utf8_length(first[0]) if first and len(first) == 1 else 0
            if not need or j + need > len(run):
                break
            seq = b"".join(e for e in encoded[j:j + need] if e is not None)
            if len(seq) != need or not all(0x80 <= b <= 0xBF for b in seq[1:]):
                break
            try:
                seq.decode("utf-8")
            except UnicodeDecodeError:
                break
            raw += seq
            j += need
        if j > i:
            yield i, j, raw.decode("utf-8")
            i = j
        else:
            i += 1


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def _rare(text: str) -> bool:
    """Letters from the Latin Extended-B/IPA/modifier blocks and combining
    marks, which pairs of symbols in correct text decode into ("\u00a0•" ->
    "ʥ", "«É" -> "ǃ", "“à" -> U+0488);
    Vietnamese "ơ" and "ư" are the Latin Extended-B letters text really uses."""
    return any((0x180 <= ord(ch) <= 0x36F and ch not in "ƠơƯư")
               or unicodedata.category(ch).startswith("M") for ch in text)


def _printable(text: str) -> bool:
    return all(unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn") for ch in text)


def _judge(garbled: str, fixed: str, encoding: str, scripts: set[str]) -> str | None:
    """How sure is it that `fixed` is the text `garbled` was before a wrong
    decode: "sure" when ftfy's badness drops (or, for Mac Roman, which ftfy
    does not model, when the run holds Mac Roman's tell-tale symbols and
    decodes to letters of the line's own scripts), "likely" when nothing gets
    worse, else None."""
    from ftfy.badness import badness  # noqa: PLC0415 - only for lines that look garbled

    if not fixed or "\ufffd" in fixed or not _printable(fixed):
        return None
    before, after = badness(garbled), badness(fixed)
    if after < before:
        return "sure"
    if after > before:
        return None
    own = not scripts or all(s in scripts for ch in fixed if (s := _script(ch)))
    if _rare(fixed):
        return None
    if own and encoding == "mac_roman" and _MAC_ROMAN_MARKS & set(garbled):
        return "sure"
    return "likely"


def _unwind(decoded: str, encoding: str, scripts: set[str]) -> str:
    """Text encoded more than once: while the whole of it re-decodes into
    something less bad, or as good and in the line's scripts, decode again
    ("’é" re-decodes too, into Armenian)."""
    from ftfy.badness import badness  # noqa: PLC0415 - only for lines that look garbled

    for _ in range(_MAX_ROUNDS - 1):
        whole = [c for c in _candidates(decoded, encoding) if c[:2] == (0, len(decoded))]
        if not whole:
            break
        again = whole[0][2]
        before, after = badness(decoded), badness(again)
        own = all(s in scripts for ch in again if (s := _script(ch)))
        if after > before or (after == before and not (own and not _rare(again))) \
                or not _printable(again):
            break
        decoded = again
    return decoded


def _spans(line: str, runs, encoding: str, scripts: set[str]):
    """Each run's garbled stretches in `encoding`, as (run, start, end, fixed, judgement)."""
    for n, match in enumerate(runs):
        run = match.group(0)
        for start, end, decoded in _candidates(run, encoding):
            fixed = _unwind(decoded, encoding, scripts)
            verdict = _judge(run[start:end], fixed, encoding, scripts)
            if verdict:
                yield n, match.start() + start, match.start() + end, fixed, verdict


def mojibake_runs(line: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) for each garbled span in a line; nothing else
    in the line is touched by the fix.

    A span whose repair ftfy's badness measure prefers is garbled. One it
    rates the same ("Æ¡" and "ơ" both look fine to it) counts only on a line
    that holds surely garbled text in the same encoding: correct text has none.
    Each run is read with the one encoding that explains most of it."""
    if not _SUSPECT.search(line):
        return []
    runs = list(_NON_ASCII_RUN.finditer(line))
    scripts = {s for ch in _NON_ASCII_RUN.sub(" ", line) if (s := _script(ch))}
    per_run: dict[int, tuple[int, list]] = {}
    for encoding in _ENCODINGS:
        found = list(_spans(line, runs, encoding, scripts))
        sure = [f for f in found if f[4] == "sure"]
        if not sure:
            continue
        wider = scripts | {s for f in sure for ch in f[3] if (s := _script(ch))}
        kept = [f for f in found if f[4] == "sure"
                or all(s in wider for ch in f[3] if (s := _script(ch)))]
        for n in {f[0] for f in kept}:
            mine = [f for f in kept if f[0] == n]
            covered = sum(f[2] - f[1] for f in mine)
            if covered > per_run.get(n, (0, []))[0]:
                per_run[n] = (covered, mine)
    return sorted((f[1], f[2], f[3]) for _, mine in per_run.values() for f in mine)


def fix_mojibake(run: str) -> str | None:
    """`run` with its garbled stretches repaired, or None if none is garbled."""
    spans = mojibake_runs(run)
    if not spans:
        return None
    for start, end, fixed in reversed(spans):
        run = run[:start] + fixed + run[end:]
    return run


# CommonMark's code span: a run of backticks up to the next run of the same length.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")


def code_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of each inline code span of one line, backticks included."""
    return [m.span() for m in _CODE_SPAN.finditer(line)]


@rule("MK201")
def mojibake(ctx: DeckContext):
    deck = ctx.deck
    fenced = {n for block in deck.code_blocks for n in range(block.line, block.end_line + 1)}
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        if line.isascii():
            continue
        runs = mojibake_runs(line)
        if not runs:
            continue
        spans = [(0, len(line))] if number in fenced else code_spans(line)
        in_code = [r for r in runs if any(s < r[1] and r[0] < e for s, e in spans)]
        prose = [r for r in runs if r not in in_code]
        if prose:
            first_start, first_end, first_fixed = prose[0]
            start, end = prose[0][0], prose[-1][1]
            repaired = line[start:end]
            for s, e, fixed in reversed(prose):  # code spans between them stay as they are
                repaired = repaired[: s - start] + fixed + repaired[e - start:]
            base = deck.offset(number)
            more = f" (and {len(prose) - 1} more on this line)" if len(prose) > 1 else ""
            yield ctx.finding(
                "MK201", number, first_start + 1,
                f'mojibake: "{line[first_start:first_end]}" should read "{first_fixed}"{more}',
                fix=Fix(f"line {number}: restore {len(prose)} garbled run(s)",
                        base + start, base + end, repaired))
        if in_code:
            s, e, fixed = in_code[0]
            yield ctx.finding(
                "MK201", number, s + 1,
                f'"{line[s:e]}" in code may be mojibake for "{fixed}" (code is never fixed: '
                "it may show it on purpose)", severity="info")


@rule("MK202")
def replacement_char(ctx: DeckContext):
    deck = ctx.deck
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        col = line.find("\ufffd")
        if col >= 0:
            yield ctx.finding("MK202", number, col + 1,
                              "U+FFFD replacement character: the original text was lost")


@rule("MK203")
def invisible(ctx: DeckContext):
    deck = ctx.deck
    for number in range(1, deck.line_count + 1):
        line = deck.line_text(number)
        if line.isascii():
            continue
        rtl = has_rtl(line)
        for match in _INVISIBLE_RE.finditer(line):
            ch, col = match.group(0), match.start()
            if rtl and ch in BIDI_CONTROLS:
                continue
            before = line[col - 1] if col else " "
            after = line[col + 1] if col + 1 < len(line) else " "
            if ch in _JOINERS and not (before.isascii() or after.isascii()):
                continue
            # A soft hyphen inside a word is a hyphenation hint the author put
            # there ("Donau\u00addampf"); only a stray one at a word edge is noise.
            if ch == "\u00ad" and before.isalpha() and after.isalpha():
                continue
            name = INVISIBLE.get(ch) or _JOINERS[ch]
            offset = deck.offset(number, col + 1)
            yield ctx.finding("MK203", number, col + 1,
                              f"invisible character U+{ord(ch):04X} {name}",
                              fix=Fix(f"line {number}: remove U+{ord(ch):04X}",
                                      offset, offset + 1, ""))


@rule("MK204")
def not_utf8(ctx: DeckContext):
    # Produced by the engine when the deck cannot be decoded (there is no deck
    # model to run rules on); registered here so it can be selected and explained.
    return ()
