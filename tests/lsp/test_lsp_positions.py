"""Positions between marpkit (1-based, characters) and the protocol (0-based, UTF-16 by default)."""

from __future__ import annotations

from lsprotocol.types import Position, PositionEncodingKind

from marpkit.lsp.positions import Text

TEXT = "a😀b\r\nsecond\rthird\n"


def test_utf16_counts_an_astral_character_as_two_units():
    t = Text(TEXT)
    assert t.position(1, 3) == Position(0, 3)  # after "a😀"
    assert t.offset(Position(0, 3)) == 2
    assert t.column(Position(0, 3)) == 2


def test_crlf_and_lone_cr_break_lines_as_in_the_deck_model():
    t = Text(TEXT)
    assert t.line_count == 3
    assert [t.line(n) for n in range(3)] == ["a😀b", "second", "third"]
    assert t.at_offset(TEXT.index("third")) == Position(2, 0)
    assert t.line_end(1) == Position(0, 4)


def test_utf8_and_utf32_encodings():
    assert Text(TEXT, PositionEncodingKind.Utf8).position(1, 3) == Position(0, 5)
    assert Text(TEXT, PositionEncodingKind.Utf32).position(1, 3) == Position(0, 2)


def test_positions_past_the_end_are_clamped():
    t = Text(TEXT)
    assert t.offset(Position(99, 0)) == len(TEXT)
    assert t.offset(Position(0, 99)) == len("a😀b")
    assert t.position(99, 1) == Position(2, 0)


def test_lone_surrogates_do_not_break_conversion():
    t = Text("Caf\udce9!\n")
    assert t.position(1, 5) == Position(0, 4)
