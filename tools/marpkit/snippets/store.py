"""Snippet references: from a fence's `snippet=path#region` to the code shown.

A snippet file marks regions with `region NAME` / `endregion` comments in its
own language (`# region`, `// region`, `-- region`, `<!-- region -->`, …; see
languages.py). Regions nest; marker lines are never shown; shown code is
dedented. A file whose markers are malformed is refused by every command
(MK316), never half-used. A reference that cannot be resolved is a finding, never a silent
fallback, and a path that leaves the snippets folder is never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.findings import Finding
from marpkit.fsutil import SNIPPET_LIMIT, inside, read_input, real
from marpkit.model.deck import CodeBlock, Deck
from marpkit.snippets import languages
from marpkit.text import split_lines

MISSING_FILE = "MK310"
UNKNOWN_REGION = "MK311"
ESCAPING_PATH = "MK312"
BAD_MARKERS = "MK316"


@dataclass(frozen=True)
class Region:
    name: str
    start: int  # 1-based line of the `# region` marker
    end: int  # 1-based line of the `# endregion` marker


@dataclass
class SnippetFile:
    path: Path
    text: str
    lines: list[str]
    regions: dict[str, Region]
    marker_lines: frozenset[int]
    errors: list[tuple[int, str]] = field(default_factory=list)

    def shown(self, region: str | None) -> tuple[str, list[int]]:
        """The code a slide shows and, for each shown line, its file line number."""
        if region is None:
            first, last = 1, len(self.lines)
        else:
            r = self.regions[region]
            first, last = r.start + 1, r.end - 1
        numbers = [n for n in range(first, last + 1) if n not in self.marker_lines]
        picked = [self.lines[n - 1] for n in numbers]
        while picked and not picked[-1].strip():
            picked.pop()
            numbers.pop()
        while picked and not picked[0].strip():
            picked.pop(0)
            numbers.pop(0)
        return _dedent(picked), numbers


def _dedent(lines: list[str]) -> str:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "".join((line[cut:] if line.strip() else "") + "\n" for line in lines)


def parse_snippet(path: Path, text: str, found: list[languages.Marker] | None = None) -> SnippetFile:
    """`found`: the file's markers when already known (MarkerCache)."""
    lines = split_lines(text)
    regions: dict[str, Region] = {}
    markers: set[int] = set()
    stack: list[tuple[str, int]] = []
    errors: list[tuple[int, str]] = []
    for marker in languages.markers(path, text) if found is None else found:
        number, name = marker.line, marker.name
        markers.add(number)
        if marker.kind == "region":
            if not name:
                errors.append((number, "region marker without a name"))
            stack.append((name, number))
        elif not stack:
            errors.append((number, "endregion without a matching region"))
        else:
            opened, start = stack.pop()
            if name and name != opened:
                errors.append((number, f"endregion {name!r} closes region {opened!r}"))
            if opened:
                if opened in regions:
                    errors.append((start, f"region {opened!r} is defined twice"))
                regions.setdefault(opened, Region(opened, start, number))
    for name, start in stack:
        errors.append((start, f"region {name!r} is never closed"))
    return SnippetFile(path, text, lines, regions, frozenset(markers), errors)


@dataclass(frozen=True)
class SnippetRef:
    """A fence's `snippet=path#region`, split the one way every reader splits it."""

    path: str  # as written, relative to snippets/
    region: str | None  # None: the whole file
    hash_mark: bool  # a `#` was written: `file.py#` names an empty region (an error)

    @property
    def file_key(self) -> str:
        return file_key(self.path)


def file_key(rel: str) -> str:
    """A path under snippets/ as `/`-separated parts without `.` or empty ones, as
    safe_path reads it: `./m//a.py` and `m\\a.py` name the file `m/a.py`."""
    return "/".join(part for part in re.split(r"[\\/]", rel) if part not in ("", "."))


def parse_ref(ref: str) -> SnippetRef:
    """`m/a.py#init` -> path `m/a.py`, region `init`; the first `#` splits (region names have none)."""
    path, hash_mark, region = ref.partition("#")
    return SnippetRef(path, region or None, bool(hash_mark))


@dataclass
class Resolution:
    """One fence's reference, resolved against the snippets folder."""

    block: CodeBlock
    ref: str
    rel_path: str
    region: str | None
    file: SnippetFile | None = None
    code: str | None = None  # what the slide shows
    line_numbers: list[int] = field(default_factory=list)  # file line of each shown line
    finding: Finding | None = None

    @property
    def ok(self) -> bool:
        return self.finding is None

    def slide_line_of(self, file_line: int) -> int | None:
        """The deck line that shows `file_line` of the snippet, if the slide shows it."""
        try:
            return self.block.body_line + self.line_numbers.index(file_line)
        except ValueError:
            return None


class MarkerCache:
    """Region markers by file content, kept in the cache folder between runs.

    Finding markers means lexing the file with pygments, and a lexer's first use
    in a process compiles its whole grammar (about 0.1 s for Python): without
    this, a build with nothing to do would spend most of its time there.
    """

    LIMIT = 2000  # entries kept; the oldest go first

    def __init__(self, cache_dir: Path):
        self.file = cache_dir / "snippet-markers.json"
        self.known: dict[str, list] | None = None

    def markers(self, path: Path, text: str) -> list[languages.Marker]:
        import hashlib
        import json

        if self.known is None:
            try:
                data = json.loads(self.file.read_text(encoding="utf-8"))
                self.known = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self.known = {}
        # The lexer is chosen by the file's name: the same text under another
        # extension may mark regions differently.
        kind = path.suffix.lower() or path.name
        key = hashlib.sha256(f"{languages.VERSION}\0{kind}\0{text}".encode()).hexdigest()[:32]
        hit = self.known.get(key)
        if hit is None:
            hit = [[m.line, m.kind, m.name] for m in languages.markers(path, text)]
            self.known[key] = hit
            while len(self.known) > self.LIMIT:
                self.known.pop(next(iter(self.known)))
            from marpkit.fsutil import WriteError, atomic_write

            try:
                atomic_write(self.file, json.dumps(self.known))
            except (OSError, WriteError):
                pass  # a read-only cache only costs speed
        return [languages.Marker(*m) for m in hit]


class SnippetStore:
    """Reads each snippet file once, however many fences reference it."""

    def __init__(self, root: Path, cache_dir: Path | None = None):
        self.root = root
        self.marker_cache = MarkerCache(cache_dir) if cache_dir is not None else None
        self._cache: dict[Path, SnippetFile | OSError | UnicodeDecodeError] = {}

    def safe_path(self, rel: str) -> Path | None:
        """The file a reference names, or None if it would leave the snippets folder."""
        if not rel or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
            return None
        parts = re.split(r"[\\/]", rel)
        if ".." in parts:
            return None
        candidate = self.root / Path(*parts)
        # Where it points decides: a symlink out of the folder is never read.
        return candidate if inside(candidate, self.root, follow=True) is not None else None

    def load(self, path: Path) -> SnippetFile | OSError | UnicodeDecodeError:
        key = real(path)
        if key not in self._cache:
            try:
                text = read_input(path, SNIPPET_LIMIT).decode("utf-8")
                found = self.marker_cache.markers(path, text) if self.marker_cache else None
                self._cache[key] = parse_snippet(path, text, found)
            except (OSError, UnicodeDecodeError) as exc:
                self._cache[key] = exc
        return self._cache[key]


def _finding(deck: Deck, block: CodeBlock, code: str, message: str) -> Finding:
    line_text = deck.line_text(block.line)
    col = line_text.find("snippet=")
    slide = deck.slides[block.slide - 1]
    return Finding(deck.display_path, block.line, col + 1 if col >= 0 else block.column, code,
                   message, "error", block.slide, slide.title)


def resolve_reference(deck: Deck, block: CodeBlock, store: SnippetStore) -> Resolution:
    ref = block.snippet or ""
    parsed = parse_ref(ref)
    rel = parsed.path
    res = Resolution(block, ref, rel, parsed.region)
    path = store.safe_path(rel)
    if path is None:
        res.finding = _finding(deck, block, ESCAPING_PATH,
                               f"snippet path {rel!r} leaves the snippets folder")
        return res
    if not path.is_file():
        res.finding = _finding(deck, block, MISSING_FILE, f"snippet file {rel!r} does not exist")
        return res
    loaded = store.load(path)
    if isinstance(loaded, UnicodeDecodeError):
        res.finding = _finding(deck, block, MISSING_FILE, f"snippet file {rel!r} is not UTF-8")
        return res
    if isinstance(loaded, OSError):
        res.finding = _finding(deck, block, MISSING_FILE,
                               f"snippet file {rel!r} cannot be read: {loaded.strerror}")
        return res
    res.file = loaded
    if loaded.errors:
        line, message = loaded.errors[0]
        more = f" (and {len(loaded.errors) - 1} more)" if len(loaded.errors) > 1 else ""
        res.finding = _finding(deck, block, BAD_MARKERS,
                               f"snippet {rel!r} has malformed region markers: line {line}: "
                               f"{message}{more}")
        return res
    if parsed.hash_mark and parsed.region is None:
        res.finding = _finding(deck, block, UNKNOWN_REGION,
                               f"snippet reference {ref!r} has an empty region name "
                               f"(drop the `#` to show the whole file)")
        return res
    if res.region is not None and res.region not in loaded.regions:
        known = ", ".join(sorted(loaded.regions)) or "none"
        res.finding = _finding(deck, block, UNKNOWN_REGION,
                               f"snippet {rel!r} has no region {res.region!r} (regions: {known})")
        return res
    res.code, res.line_numbers = loaded.shown(res.region)
    return res


def resolve_deck(deck: Deck, store: SnippetStore) -> list[Resolution]:
    return [resolve_reference(deck, block, store) for block in deck.code_blocks if block.snippet]
