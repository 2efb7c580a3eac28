"""Code actions: every fix `marpkit lint --fix` would apply (drift sync included,
as MK313's fix), "disable MKxxx on this slide", and all fixes at once."""

from __future__ import annotations

from lsprotocol import types

from marpkit.edits import apply_fixes
from marpkit.findings import Finding
from marpkit.lsp.analysis import Analysis
from marpkit.lsp.diagnostics import finding_range, to_diagnostic
from marpkit.lsp.server import MarpkitServer
from marpkit.model.disable import parse_disable

FIX_ALL = "source.fixAll.marpkit"


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position):
        return (p.line, p.character)
    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _edit(uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
        types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits)])


def fix_action(a: Analysis, f: Finding) -> types.CodeAction:
    text = a.text
    edit = types.TextEdit(text.range(f.fix.start, f.fix.end), f.fix.replacement)
    return types.CodeAction(
        title=f"{f.code}: {f.fix.description}", kind=types.CodeActionKind.QuickFix,
        diagnostics=[to_diagnostic(f, a, text)], is_preferred=True,
        edit=_edit(a.uri, a.version, [edit]))


def disable_action(a: Analysis, f: Finding) -> types.CodeAction | None:
    """`<!-- marpkit-disable CODE -->` on the finding's slide: added to the slide's
    own disable comment if it has one, else as a new comment at its top."""
    deck = a.deck
    if deck is None or not deck.slides:
        return None
    slide = deck.slides[(f.slide or deck.slide_at(f.line).index) - 1]
    text = a.text
    edit = None
    for comment in slide.comments:
        mark = parse_disable(comment.content)
        # A comment that silences every rule already covers this one's code
        # (no finding would be shown); only one naming codes gets another.
        if mark is None or mark.whole_file or not mark.codes or comment.line != comment.end_line:
            continue
        line = deck.line_text(comment.line)
        close = line.find("-->")
        if close >= 0:
            at = text.position(comment.line, len(line[:close].rstrip()) + 1)
            edit = types.TextEdit(types.Range(at, at), f" {f.code}")
            break
    if edit is None:
        line = min(slide.start_line, max(deck.line_count, 1))
        at = types.Position(line - 1, 0)
        if deck.line_count == 0 or slide.start_line > deck.line_count:
            at = text.line_end(deck.line_count or 1)
            insert = f"{deck.newline}<!-- marpkit-disable {f.code} -->{deck.newline}"
        else:
            insert = f"<!-- marpkit-disable {f.code} -->{deck.newline}"
        edit = types.TextEdit(types.Range(at, at), insert)
    return types.CodeAction(
        title=f"Disable {f.code} on this slide (slide {slide.index})",
        kind=types.CodeActionKind.QuickFix, diagnostics=[to_diagnostic(f, a, text)],
        edit=_edit(a.uri, a.version, [edit]))


def fix_all_action(a: Analysis) -> types.CodeAction | None:
    fixes = [f.fix for f in a.findings if f.fix is not None]
    if not fixes:
        return None
    new_text, applied = apply_fixes(a.text.text, fixes)
    if not applied or new_text == a.text.text:
        return None
    whole = types.Range(types.Position(0, 0), a.text.at_offset(len(a.text.text)))
    return types.CodeAction(title=f"marpkit: apply {len(applied)} safe fix(es)", kind=FIX_ALL,
                            edit=_edit(a.uri, a.version, [types.TextEdit(whole, new_text)]))


async def code_actions(ls: MarpkitServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    a = await ls.analysis(params.text_document.uri)
    if a is None:
        return []
    only = params.context.only
    out: list[types.CodeAction] = []
    wants_quickfix = not only or any(k.startswith(types.CodeActionKind.QuickFix) for k in only)
    if wants_quickfix:
        disabled = set()
        for f in a.findings:
            if not _overlaps(finding_range(f, a.text), params.range):
                continue
            if f.fix is not None:
                out.append(fix_action(a, f))
            if (f.code, f.slide) not in disabled and (action := disable_action(a, f)):
                disabled.add((f.code, f.slide))
                out.append(action)
    if not only or any(FIX_ALL.startswith(k) for k in only):
        if action := fix_all_action(a):
            out.append(action)
    return out


def register(server: MarpkitServer) -> None:
    server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))(code_actions)
