"""MK201/MK203 must never touch correct text, and must repair real mojibake.

Correct text: words of many scripts, typographic punctuation next to accented
letters (the French `l’écart` that Mac Roman re-decoding turns into Armenian),
CJK, Vietnamese, emoji ZWJ sequences, soft hyphens inside words.
Garbled text: the same kind of sentences passed through a wrong decoder.
"""

from __future__ import annotations

import ftfy.bad_codecs  # noqa: F401 - registers sloppy-windows-1252, the decoder that garbles
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marpkit.lint.rules.text import mojibake_runs

WORDS = {
    "fr": ["l’écart", "d’être", "qu’à", "“à la place”", "«Édition»", "où", "Noël", "naïve",
           "cœur", "œuvre", "déjà", "Ça", "s’il", "aujourd’hui", "—", "…", "côté", "été"],
    "de": ["Straße", "Ärger", "Öl", "über", "Donau\u00addampf\u00adschiff", "Grüße", "„Zitat“",
           "Maß", "Fluß\u00adufer"],
    "es": ["¿Qué?", "¡Sí!", "niño", "canción", "año", "pingüino"],
    "pt": ["não", "coração", "ação", "você", "à", "órgão"],
    "vi": ["Tiếng", "Việt", "Vương", "người", "được", "những", "Hà", "Nội", "ơn", "đẹp"],
    "cjk": ["中文", "日本語", "한국어", "スライド", "「引用」", "、", "。", "全角（括弧）"],
    "other": ["Привет", "мир", "Ελληνικά", "עברית", "العربية", "हिन्दी", "ไทย", "Ȼ"],
    "symbols": ["•", "€5", "©", "™", "°C", "±", "→", "≈", "π", "√2", "∞", "×", "½", "–", "‘x’"],
    "emoji": ["👨\u200d👩\u200d👧", "👍🏽", "🏳\ufe0f\u200d🌈", "❤\ufe0f", "🇫🇷", "😀"],
}
ALL_WORDS = [w for words in WORDS.values() for w in words]
# Words meet through a space or punctuation; typographic marks that touch a
# letter ("l’écart", "“à", "€5", "°C") are inside the words above.
SEPARATORS = st.sampled_from([" ", " ", ", ", ": ", " – ", "\u00a0", " (", ") ", "\n"])


def sentence(words):
    return st.lists(st.tuples(st.sampled_from(words), SEPARATORS), min_size=1, max_size=12).map(
        lambda parts: "".join(w + sep for w, sep in parts))


def repaired(line: str) -> str:
    for start, end, fixed in reversed(mojibake_runs(line)):
        line = line[:start] + fixed + line[end:]
    return line


@settings(max_examples=1500, deadline=None)
@given(text=sentence(ALL_WORDS))
def test_correct_text_in_any_script_is_never_mojibake(text):
    assert mojibake_runs(text) == []


# Sentences a wrong decoder garbles recognisably: Latin-script languages,
# typographic punctuation, CJK. Garbles that ftfy's badness measure rates as
# fine text ("Å’" for "Œ", "á»™" for "ộ") are repaired only on a line that
# also holds clear mojibake, so every sentence here has a clear word; see
# docs/rules.md for what stays.
GARBLED_WORDS = (WORDS["fr"] + WORDS["de"] + WORDS["es"] + WORDS["pt"] + WORDS["vi"]
                 + ["•", "“x”", "…", "—", "中文"])
GARBLED_WORDS = [w for w in GARBLED_WORDS if "œ" not in w.lower() and "\u00ad" not in w]
UNCLEAR = {"Nội", "ơn"}
CLEAR = [w for w in GARBLED_WORDS if w not in UNCLEAR]


def _cp1252(text: str) -> str:
    return text.encode("utf-8").decode("sloppy-windows-1252")


DECODERS = {
    "cp1252": _cp1252,
    "mac_roman": lambda t: t.encode("utf-8").decode("mac_roman"),
    "latin-1": lambda t: t.encode("utf-8").decode("latin-1"),
    "double cp1252": lambda t: _cp1252(_cp1252(t)),
}


@pytest.mark.parametrize("decoder", DECODERS)
@settings(max_examples=300, deadline=None)
@given(text=st.tuples(st.sampled_from(CLEAR), SEPARATORS, sentence(GARBLED_WORDS)).map("".join))
def test_garbled_text_is_found_and_fixed_back(decoder, text):
    garbled = DECODERS[decoder](text)
    if garbled == text:
        return
    assert mojibake_runs(garbled), garbled
    assert repaired(garbled) == text


@pytest.mark.parametrize("garbled, clean", [
    ("footer: \u201aÄ¢ V∆∞∆°ng", "footer: • Vương"),  # Mac Roman, the seed deck's footer
    ("l‚Äô√©cart", "l’écart"),  # Mac Roman of the French that must not be "fixed" to Armenian
    ("cafÃƒÂ©", "café"),  # encoded twice
    ("qu\u00e2\u0080\u0099il", "qu’il"),  # Latin-1: C1 controls
])
def test_known_garbles(garbled, clean):
    assert repaired(garbled) == clean


def test_fix_changes_only_reported_spans():
    line = "« l’écart » ‚Ä¢ bullets — “à” ‚Ä¢ end"
    spans = mojibake_runs(line)
    assert [line[s:e] for s, e, _ in spans] == ["‚Ä¢", "‚Ä¢"]
    assert repaired(line) == "« l’écart » • bullets — “à” • end"


def test_soft_hyphen_inside_a_word_is_intended(tmp_path):
    from marpkit.config import Project
    from marpkit.lint.context import DeckContext, load_themes
    from marpkit.lint.rules.text import invisible
    from marpkit.lint.settings import LintSettings
    from marpkit.model.deck import parse_deck
    from marpkit.snippets.store import SnippetStore

    project = Project(tmp_path, tmp_path / "slides", tmp_path / "snippets", tmp_path / "build",
                      tmp_path / "themes", tmp_path / ".cache")
    ctx = DeckContext(tmp_path / "slides" / "01-x.md", "slides/01-x.md", project, LintSettings(),
                      SnippetStore(project.snippets_dir), load_themes(project.themes_dir))
    ctx.deck = parse_deck("# Donau\u00addampf\u00adschiff\n\nstray\u00ad here\n", ctx.path,
                          ctx.display)
    assert [(f.line, f.column) for f in invisible(ctx)] == [(3, 6)]
