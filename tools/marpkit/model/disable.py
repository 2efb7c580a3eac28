"""`<!-- marpkit-disable ... -->` comments: which rules a slide or a deck silences.

Read by the linter (to drop findings) and by the editor (to add a code to a
slide's comment); both ask `parse_disable`, so they agree on what a comment says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The keyword ends where a word would go on: `marpkit-disable-files` or
# `marpkit-disabled` are not disable comments (a typo silences nothing).
_DISABLE = re.compile(r"^marpkit-disable(?P<file>-file)?(?![\w-])(?P<codes>.*)$", re.DOTALL)
_CODE = re.compile(r"MK\d+")


@dataclass(frozen=True)
class Disable:
    whole_file: bool  # `marpkit-disable-file`, else the comment's slide
    codes: frozenset[str]  # codes or prefixes (`MK4`); empty: every rule

    def silences(self, code: str) -> bool:
        return not self.codes or any(code.startswith(c) for c in self.codes)


def parse_disable(content: str) -> Disable | None:
    """What a comment's content (between `<!--` and `-->`) disables; None if it is no disable comment."""
    match = _DISABLE.match(content.strip())
    if match is None:
        return None
    return Disable(bool(match.group("file")), frozenset(_CODE.findall(match.group("codes").upper())))
