"""Completion: snippet paths and region names in a fence's `snippet=`, directive
names, and directive values (themes of the project, sizes the theme defines,
`paginate`, `class`...)."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from marpkit.fsutil import inside
from marpkit.lsp.server import MarpkitServer, uri_to_path
from marpkit.lsp.vocabulary import MEANINGS
from marpkit.lsp.workspace import BufferStore
from marpkit.model import directives as dirs
from marpkit.model.themes import load_themes
from marpkit.snippets.store import SnippetFile, parse_ref
from marpkit.text import split_lines

_FENCE = re.compile(r"^[\s>]*(```|~~~)")
_SNIPPET_TYPED = re.compile(r"""snippet=["']?(?P<typed>[^\s"']*)$""")
_KEY_TYPED = re.compile(r"^\s*(?:<!--\s*)?(?P<key>[_$]?[\w-]*)$")
_VALUE_TYPED = re.compile(r"^\s*(?:<!--\s*)?(?P<key>[_$]?[A-Za-z][\w-]*)\s*:\s*(?P<typed>[^\s]*)$")
_CLASS = re.compile(r"section\.([A-Za-z][\w-]*)")
BUILTIN_CLASSES = {"default": ["invert"], "gaia": ["lead", "invert", "gaia"], "uncover": ["invert"]}
FIXED_VALUES = {
    "marp": ["true"],
    "paginate": ["true", "false"],
    "math": ["katex", "mathjax"],
    "headingDivider": ["1", "2", "3", "4", "5", "6"],
    "transition": ["fade", "slide", "none"],
}
SKIP_DIRS = {"__pycache__", ".git", "wandb", ".ipynb_checkpoints"}


def _item(label: str, kind, start: types.Position, end: types.Position, detail: str | None = None,
          doc: str | None = None) -> types.CompletionItem:
    return types.CompletionItem(
        label=label, kind=kind, detail=detail,
        documentation=types.MarkupContent(types.MarkupKind.Markdown, doc) if doc else None,
        text_edit=types.TextEdit(types.Range(start, end), label), filter_text=label)


def _snippet_files(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.rglob("*")):
        rel = inside(path, root)
        if rel and path.is_file() and not (set(rel.parts) & SKIP_DIRS) and not rel.name.startswith("."):
            out.append(rel.as_posix())
    return out


def _in_directives(text: str, offset: int) -> bool:
    """Inside the front matter (closed or still being typed) or an HTML comment."""
    lines = split_lines(text[:offset])
    if lines and lines[0].strip() == "---" and not any(ln.strip() == "---" for ln in lines[1:-1]):
        return True
    opened = text.rfind("<!--", 0, offset)
    return opened >= 0 and text.rfind("-->", opened, offset) < 0


async def _values(ls: MarpkitServer, uri: str, key: str, project) -> list[str]:
    name = key.lstrip("_$")
    if name in FIXED_VALUES:
        return FIXED_VALUES[name]
    themes = load_themes(project.themes_dir)
    if name == "theme":
        return sorted(themes)
    a = await ls.analysis(uri)
    theme_name = "default"
    if a is not None and a.ctx is not None and a.deck is not None:
        theme_name = a.ctx.theme_name
    theme = themes.get(theme_name) or themes["default"]
    if name == "size":
        return list(theme.sizes)
    if name == "class":
        found = list(BUILTIN_CLASSES.get(theme_name, []))
        found += [c for c in _CLASS.findall(theme.text) if c not in found]
        return found
    return []


async def complete(ls: MarpkitServer, params: types.CompletionParams):
    uri = params.text_document.uri
    path = uri_to_path(uri)
    text = ls.text_of(uri)
    if path is None or text is None:
        return None
    from marpkit.lsp.positions import Text

    t = Text(text, ls.encoding)
    position = params.position
    line = t.line(position.line)
    before = line[: t.column(position)]
    scope = ls.scope(path)
    project = scope.project
    end = position

    typed = _SNIPPET_TYPED.search(before)
    if typed and _FENCE.match(line) and scope.in_project:
        value = typed.group("typed")
        typed_ref = parse_ref(value)
        rel = typed_ref.path
        if typed_ref.hash_mark:
            start = t.position(position.line + 1, len(before) - len(typed_ref.region or "") + 1)
            store = BufferStore(project.snippets_dir, ls.buffers())
            safe = store.safe_path(rel)
            loaded = store.load(safe) if safe is not None and safe.is_file() else None
            if not isinstance(loaded, SnippetFile):
                return []
            return types.CompletionList(False, [
                _item(name, types.CompletionItemKind.Reference, start, end,
                      f"{rel}: lines {r.start + 1}-{r.end - 1}")
                for name, r in sorted(loaded.regions.items())])
        start = t.position(position.line + 1, len(before) - len(value) + 1)
        return types.CompletionList(False, [
            _item(rel_path, types.CompletionItemKind.File, start, end)
            for rel_path in _snippet_files(project.snippets_dir)])

    if not _in_directives(text, t.offset(position)):
        return None
    value = _VALUE_TYPED.match(before)
    if value:
        start = t.position(position.line + 1, len(before) - len(value.group("typed")) + 1)
        return types.CompletionList(False, [
            _item(v, types.CompletionItemKind.Value, start, end, value.group("key"))
            for v in await _values(ls, uri, value.group("key"), project)])
    key = _KEY_TYPED.match(before)
    if key:
        start = t.position(position.line + 1, len(before) - len(key.group("key")) + 1)
        names = sorted(dirs.ALL) + sorted(f"_{n}" for n in dirs.LOCALS)
        return types.CompletionList(False, [
            _item(n, types.CompletionItemKind.Property, start, end,
                  "global directive" if n in dirs.GLOBALS else "local directive",
                  MEANINGS.get(n.lstrip("_")))
            for n in names])
    return None


def register(server: MarpkitServer) -> None:
    server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(
        trigger_characters=["=", "#", "/", ":"]))(complete)
