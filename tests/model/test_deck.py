import csv
from pathlib import Path

import pytest

from conftest import shared_path
from marpkit.model.deck import DeckError, load_deck, parse_deck


def parse(text):
    from pathlib import Path

    return parse_deck(text, Path("deck.md"), "deck.md")


def corpus_cases():
    root = shared_path("corpus", "decks")
    with open(root / "EXPECTED.tsv", encoding="utf-8") as handle:
        return [(root / row["file"], int(row["slides"])) for row in csv.DictReader(handle, delimiter="\t")]


def test_slide_counts_match_marp_on_the_corpus():
    cases = corpus_cases()
    assert len(cases) == 27
    wrong = {p.name: (len(load_deck(p).slides), n) for p, n in cases if len(load_deck(p).slides) != n}
    assert wrong == {}


def test_front_matter_only_at_the_very_start():
    deck = parse("\n---\nmarp: true\n---\n\n# A\n")
    assert deck.front_matter is None
    # The first dashes are a ruler; the second underline "marp: true" as a heading.
    assert [s.title for s in deck.slides] == [None, "marp: true"]


def test_setext_heading_is_not_a_separator():
    deck = parse("---\nmarp: true\n---\n\nTitle\n---\n\n# B\n\n---\n\nC\n")
    assert [s.title for s in deck.slides] == ["Title", None]
    assert len(deck.slides) == 2


def test_math_block_ends_before_a_ruler():
    # Without marp-core's math rule, `$$` would be paragraph text and `---` its setext underline.
    deck = parse("$$\nx = 1\n$$\n---\n\nnext\n")
    assert len(deck.slides) == 2


def test_ruler_inside_code_fence_and_list_does_not_split():
    deck = parse("```\n---\n```\n\n- item\n\n  ---\n")
    assert len(deck.slides) == 1


def test_indented_and_crlf_rulers_split():
    deck = parse("# A\r\n\r\n ---\r\n\r\n# B\r\n\r\n***\r\n\r\n# C\r\n")
    assert [s.title for s in deck.slides] == ["A", "B", "C"]
    assert deck.slides[1].start_line == 4
    assert deck.newline == "\r\n"


def test_zero_width_space_before_dashes_is_text():
    deck = parse("\u200b---\nmarp: true\n\u200b---\n\n# A\n")
    assert deck.front_matter is None
    assert len(deck.slides) == 1


def test_heading_divider_from_front_matter_and_comment():
    deck = parse("---\nheadingDivider: 2\n---\n\n# A\n\n## B\n\n### c\n\n## D\n")
    assert [s.title for s in deck.slides] == ["A", "B", "D"]
    assert [s.start_line for s in deck.slides] == [4, 7, 11]
    deck = parse("# A\n\n<!-- headingDivider: 1 -->\n\n# B\n")
    assert len(deck.slides) == 2


def test_directives_local_spot_and_global():
    deck = parse(
        "---\nmarp: true\ntheme: gaia\npaginate: true\n_class: lead\n---\n\n# One\n\n---\n\n"
        "<!-- _backgroundColor: #000 -->\n<!-- color: red -->\n# Two\n\n---\n\n# Three\n"
    )
    one, two, three = deck.slides
    assert one.directives["class"] == "lead" and one.directives["theme"] == "gaia"
    assert "class" not in two.directives
    assert two.directives["backgroundColor"] == "#000"  # loose YAML keeps the '#'
    assert "backgroundColor" not in three.directives and three.directives["color"] == "red"
    assert deck.is_marp


def test_notes_are_comments_that_are_not_directives():
    deck = parse("# A\n\n<!-- say hello -->\n<!-- _backgroundColr: red -->\n<!-- class: x -->\n")
    slide = deck.slides[0]
    assert slide.notes == ["say hello", "_backgroundColr: red"]
    typo = slide.comments[1]
    assert typo.directives == {"_backgroundColr": "red"} and not typo.is_directive


def test_code_blocks_carry_language_info_and_positions():
    deck = parse("# A\n\n```python snippet=m/a.py#init extra\nprint(1)\n```\n\n~~~\nx\n~~~\n")
    first, second = deck.code_blocks
    assert (first.line, first.lang, first.snippet, first.body_line, first.end_line) == (
        3, "python", "m/a.py#init", 4, 5)
    assert first.info == "snippet=m/a.py#init extra"
    assert second.lang == "" and second.fence == "~~~" and second.closed


def test_images_tables_and_headings_have_lines():
    deck = parse("# T\n\nText ![alt](img/a.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n")
    slide = deck.slides[0]
    assert [(i.src, i.line, i.column) for i in slide.images] == [("img/a.png", 3, 6)]
    assert [(t.line, t.columns, t.rows) for t in slide.tables] == [(5, 2, 2)]
    assert slide.headings[0].line == 1


def test_non_utf8_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.md"
    path.write_bytes(b"# ok\n\ncaf\xe9\n")
    with pytest.raises(DeckError) as exc:
        load_deck(path)
    assert (exc.value.line, exc.value.column) == (3, 4)
    assert "not UTF-8" in str(exc.value)


def test_malformed_front_matter_yaml_is_kept_as_error():
    deck = parse("---\nmarp: true\ntheme: [unclosed\n---\n\n# A\n")
    assert deck.front_matter.error is not None
    assert deck.front_matter.data is None
    assert len(deck.slides) == 1


def test_a_fit_comment_in_a_heading_is_marp_cores_not_a_note():
    # As `marp --notes` prints it: marp-core's fitting header takes `<!--fit-->`
    # inside a heading; the same comment on its own is a presenter note.
    text = "---\nmarp: true\n---\n\n# <!--fit--> Big title\n\n<!-- fit -->\n\nText <!-- a note -->\n"
    slide = parse_deck(text, Path("d.md"), "d.md").slides[0]
    assert slide.notes == ["fit", "a note"]
    assert slide.title == "Big title"
