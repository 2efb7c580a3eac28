"""Between marpkit's positions (1-based lines, columns in characters) and the
protocol's (0-based lines, columns in the negotiated encoding, UTF-16 unless
the client offered better).

Line breaks are marpkit.text's (CRLF, CR or LF), which are also the
protocol's; pygls' own line splitting also breaks at U+2028 and friends, so
it is not used here.
"""

from __future__ import annotations

from lsprotocol import types

from marpkit.text import line_at, line_of, line_starts


class Text:
    """A buffer's text with a line table, for converting positions both ways."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.text = text
        self.starts = line_starts(text)
        self.encoding = encoding

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line(self, number: int) -> str:
        """Line `number` (0-based) without its line break; "" past the end."""
        if not 0 <= number < len(self.starts):
            return ""
        return line_at(self.text, self.starts, number)

    def _units(self, chars: str) -> int:
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(chars.encode("utf-8", "surrogatepass"))
        if self.encoding == types.PositionEncodingKind.Utf32:
            return len(chars)
        return len(chars.encode("utf-16-le", "surrogatepass")) // 2

    def _chars(self, line: str, units: int) -> int:
        """Characters of `line` that span `units` code units (clamped to the line)."""
        if self.encoding == types.PositionEncodingKind.Utf32:
            return min(units, len(line))
        count = 0
        for index, char in enumerate(line):
            if count >= units:
                return index
            count += self._units(char)
        return len(line)

    def position(self, line: int, column: int) -> types.Position:
        """Protocol position of marpkit's (line, column), both 1-based, in characters."""
        number = max(0, min(line - 1, len(self.starts) - 1))
        text = self.line(number)
        return types.Position(number, self._units(text[: max(column - 1, 0)]))

    def at_offset(self, offset: int) -> types.Position:
        index = line_of(self.starts, offset)
        return self.position(index + 1, offset - self.starts[index] + 1)

    def offset(self, position: types.Position) -> int:
        """Character offset of a protocol position (clamped to the text)."""
        if position.line >= len(self.starts):
            return len(self.text)
        text = self.line(position.line)
        return self.starts[position.line] + self._chars(text, position.character)

    def column(self, position: types.Position) -> int:
        """0-based character index in its line of a protocol position."""
        return self._chars(self.line(position.line), position.character)

    def line_end(self, line: int) -> types.Position:
        """End of marpkit's line `line` (1-based)."""
        number = max(0, min(line - 1, len(self.starts) - 1))
        return types.Position(number, self._units(self.line(number)))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(self.at_offset(start), self.at_offset(end))
