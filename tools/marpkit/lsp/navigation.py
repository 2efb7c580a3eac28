"""Navigation: definition and references between fences and snippet regions,
hover (fence code and check status, directives, rule codes), document links
(images, snippet files) and document symbols (slides)."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from marpkit.codes import all_codes
from marpkit.fsutil import inside, real
from marpkit.lsp.analysis import Analysis
from marpkit.lsp.server import MarpkitServer, uri_to_path
from marpkit.lsp.vocabulary import meaning
from marpkit.model.assets import asset_file
from marpkit.model.load import Unreadable, open_deck
from marpkit.snippets.store import Resolution, file_key, parse_ref, parse_snippet

_SNIPPET_ATTR = re.compile(r"""snippet=(?P<q>["']?)(?P<ref>[^\s"']+)(?P=q)""")
_CODE = re.compile(r"MK\d{3}", re.IGNORECASE)
_KEY = re.compile(r"^\s*(?:<!--\s*)?(?P<key>[_$]?[A-Za-z][\w-]*)\s*:")


def _point(line: int) -> types.Range:
    return types.Range(types.Position(line, 0), types.Position(line, 0))


def resolution_at(a: Analysis, line: int) -> Resolution | None:
    """The snippet fence that `line` (1-based) is part of."""
    for res in a.resolutions:
        if res.block.line <= line <= max(res.block.end_line, res.block.line):
            return res
    return None


def _target_line(res: Resolution, line: int) -> int:
    """File line (1-based) to jump to from deck line `line` of the fence."""
    if res.file is None:
        return 1
    if line >= res.block.body_line and res.line_numbers:
        index = line - res.block.body_line
        if 0 <= index < len(res.line_numbers):
            return res.line_numbers[index]
    if res.region and res.region in res.file.regions:
        return res.file.regions[res.region].start
    return 1


async def definition(ls: MarpkitServer, params: types.DefinitionParams):
    a = await ls.analysis(params.text_document.uri)
    if a is None:
        return None
    res = resolution_at(a, params.position.line + 1)
    if res is None or res.file is None:
        return None
    line = _target_line(res, params.position.line + 1)
    return types.Location(real(res.file.path).as_uri(), _point(line - 1))


def _word(a: Analysis, position: types.Position, pattern: re.Pattern) -> re.Match | None:
    line = a.text.line(position.line)
    col = a.text.column(position)
    return next((m for m in pattern.finditer(line) if m.start() <= col <= m.end()), None)


def _in_directive_block(a: Analysis, line: int) -> bool:
    deck = a.deck
    fm = deck.front_matter
    if fm is not None and fm.line < line < fm.end_line + (0 if fm.closed else 1):
        return True
    return any(c.line <= line <= c.end_line for s in deck.slides for c in s.comments)


def _fence_hover(ls: MarpkitServer, a: Analysis, res: Resolution) -> str:
    parts = [f"**snippet** `{res.ref}`"]
    if not res.ok:
        parts.append(res.finding.message)
        return "\n\n".join(parts)
    numbers = res.line_numbers
    where = f"lines {numbers[0]}-{numbers[-1]}" if numbers else "no lines"
    parts[0] += f" ({a.scope.project.rel(res.file.path)}, {where})"
    fence = "````" if "```" in (res.code or "") else "```"
    parts.append(f"{fence}{res.block.lang}\n{res.code or ''}{fence}")
    status = next((s for r, s in a.checks if r is res), None)
    if status is not None:
        parts.append(status.label)
    return "\n\n".join(parts)


async def hover(ls: MarpkitServer, params: types.HoverParams):
    uri = params.text_document.uri
    path = uri_to_path(uri)
    line = params.position.line + 1
    a = await ls.analysis(uri) if path is not None and path.suffix == ".md" else None
    text = a.text if a is not None else None
    if a is None:
        source = ls.text_of(uri)
        if source is None:
            return None
        from marpkit.lsp.positions import Text

        text = Text(source, ls.encoding)
    word = None
    col = text.column(params.position)
    for m in _CODE.finditer(text.line(params.position.line)):
        if m.start() <= col <= m.end():
            word = m
    if word is not None:
        code = all_codes().get(word.group(0).upper())  # check and build codes too
        if code is not None:
            return _hover(code.describe(), text, params.position.line, word, markdown=False)
    if a is None or a.deck is None:
        return None
    res = resolution_at(a, line)
    if res is not None:
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, _fence_hover(ls, a, res)))
    key = _KEY.match(text.line(params.position.line))
    if key is not None and _in_directive_block(a, line):
        if (col <= key.end("key")) and (about := meaning(key.group("key"))):
            return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, about))
    return None


def _hover(content: str, text, line: int, match: re.Match, markdown: bool = True) -> types.Hover:
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    start = text.position(line + 1, match.start() + 1)
    end = text.position(line + 1, match.end() + 1)
    return types.Hover(types.MarkupContent(kind, content), types.Range(start, end))


async def document_links(ls: MarpkitServer, params: types.DocumentLinkParams):
    a = await ls.analysis(params.text_document.uri)
    if a is None or a.deck is None:
        return []
    out = []
    base = a.path.parent
    for image in a.deck.images:
        src = image.src
        if not src or re.match(r"^(data|#)", src) or "://" in src and not src.startswith(("http", "file")):
            continue
        line_text = a.text.line(image.line - 1)
        at = line_text.find(src, max(image.column - 1, 0))
        if at < 0:
            continue
        if "://" in src:
            target = src
        else:
            file = real(base / asset_file(src))
            if not file.exists():
                continue
            target = file.as_uri()
        out.append(types.DocumentLink(types.Range(a.text.position(image.line, at + 1),
                                                  a.text.position(image.line, at + 1 + len(src))),
                                      target=target, tooltip="image"))
    for res in a.resolutions:
        if res.file is None:
            continue
        m = _SNIPPET_ATTR.search(a.text.line(res.block.line - 1))
        if m is None:
            continue
        start, end = m.start("ref"), m.start("ref") + len(res.rel_path)
        out.append(types.DocumentLink(types.Range(a.text.position(res.block.line, start + 1),
                                                  a.text.position(res.block.line, end + 1)),
                                      target=real(res.file.path).as_uri(),
                                      tooltip="snippet file"))
    return out


async def document_symbols(ls: MarpkitServer, params: types.DocumentSymbolParams):
    a = await ls.analysis(params.text_document.uri)
    if a is None or a.deck is None:
        return []
    out = []
    text = a.text
    for slide in a.deck.slides:
        first = max(1, min(slide.start_line, text.line_count))
        last = max(first, min(slide.end_line, text.line_count))
        whole = types.Range(text.position(first, 1), text.line_end(last))
        heading = slide.headings[0].line if slide.headings else first
        heading = max(first, min(heading, last))
        children = [types.DocumentSymbol(
            name=h.text or "(empty heading)", kind=types.SymbolKind.String,
            range=types.Range(text.position(h.line, 1), text.line_end(h.line)),
            selection_range=types.Range(text.position(h.line, 1), text.line_end(h.line)))
            for h in slide.headings[1:] if first <= h.line <= last]
        out.append(types.DocumentSymbol(
            name=f"{slide.index}. {slide.title or '(untitled)'}", kind=types.SymbolKind.Namespace,
            range=whole, selection_range=types.Range(text.position(heading, 1), text.line_end(heading)),
            children=children or None))
    return out


async def _deck_refs(ls: MarpkitServer, decks: list[Path]) -> list[tuple[str, int, str]]:
    """(uri, fence line, ref) of every snippet fence of these decks, from open
    buffers where they are open, else from disk."""
    open_by_path = {real(uri_to_path(u)): u for u in ls.open_decks()}
    out = []
    for path in decks:
        uri = open_by_path.get(real(path))
        if uri is not None and (a := await ls.analysis(uri)) is not None and a.deck is not None:
            deck = a.deck
        else:
            try:
                deck = open_deck(ls.scope(path).project, path)
            except (Unreadable, OSError):  # a deck that cannot be read shows nothing
                continue
            uri = real(path).as_uri()
        out += [(uri, block.line, block.snippet) for block in deck.code_blocks if block.snippet]
    return out


async def references(ls: MarpkitServer, params: types.ReferenceParams):
    uri = params.text_document.uri
    path = uri_to_path(uri)
    if path is None:
        return []
    scope = ls.scope(path)
    line = params.position.line + 1
    if path.suffix == ".md":
        a = await ls.analysis(uri)
        res = resolution_at(a, line) if a is not None else None
        if res is None:
            return []
        rel, region = res.rel_path, res.region
    else:
        found = inside(path, scope.project.snippets_dir, follow=True) if scope.is_snippet(path) else None
        if found is None:
            return []
        rel = found.as_posix()
        snippet = parse_snippet(path, ls.text_of(uri) or "")
        around = [r for r in snippet.regions.values() if r.start <= line <= r.end]
        region = min(around, key=lambda r: r.end - r.start).name if around else None
    decks = sorted({*scope.project.decks(), *(uri_to_path(u) for u in ls.open_decks(scope))}, key=str)
    out = []
    for deck_uri, fence_line, ref in await _deck_refs(ls, decks):
        shown = parse_ref(ref)
        if shown.file_key != file_key(rel):
            continue
        if region is not None and shown.region and shown.region != region:
            continue
        out.append(types.Location(deck_uri, _point(fence_line - 1)))
    return out


def register(server: MarpkitServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DEFINITION)(definition)
    server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
    server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)(document_links)
    server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(document_symbols)
    server.feature(types.TEXT_DOCUMENT_REFERENCES)(references)
