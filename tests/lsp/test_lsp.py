"""`marpkit lsp` end to end: pytest-lsp's client over stdio against the real server."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import ROOT, needs_chromium, needs_marp, shared_path, write
from marpkit.lsp.positions import Text

pytestmark = pytest.mark.asyncio
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "marpkit", "lsp"],
    server_env={**os.environ, "PYTHONPATH": str(ROOT / "tools")},
)

SNIPPET = """\
import wandb

# region init
run = wandb.init(project="demo")
# endregion

# region loop
for step in range(3):
    run.log({"loss": 1 / (step + 1)})
# endregion
"""

DECK = """\
---
marp: true
theme: default
---

# Tracking

```python snippet=demo/train.py#loop
for step in range(3):
    run.log({"loss": 1 / (step + 1)})
```
"""


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient):
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        lsp_client.registrations += params.registrations

    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def bare_client(lsp_client: LanguageClient):
    """A client that announces no capabilities at all (it watches no files for the server)."""
    await lsp_client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    yield
    await lsp_client.shutdown_session()


class Doc:
    """An open buffer on the client side: its text and version, kept in step with the server."""

    def __init__(self, client: LanguageClient, path: Path, text: str | None = None):
        self.client, self.path, self.uri = client, path, path.resolve().as_uri()
        self.text = path.read_text(encoding="utf-8") if text is None else text
        self.version = 1
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            self.uri, "markdown" if path.suffix == ".md" else "python", self.version, self.text)))

    def replace(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(self.version, self.uri),
            [types.TextDocumentContentChangeWholeDocument(text)]))

    def apply(self, edits: list[types.TextEdit]) -> None:
        t = Text(self.text)
        out = self.text
        for edit in sorted(edits, key=lambda e: t.offset(e.range.start), reverse=True):
            out = out[: t.offset(edit.range.start)] + edit.new_text + out[t.offset(edit.range.end):]
        self.replace(out)

    def save(self) -> None:
        self.path.write_text(self.text, encoding="utf-8")
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(
            types.TextDocumentIdentifier(self.uri)))

    def at(self, needle: str, line_offset: int = 0) -> types.Position:
        """Position of `needle` (first occurrence)."""
        offset = self.text.index(needle) + line_offset
        return Text(self.text).at_offset(offset)

    async def diagnostics(self, until, timeout: float = 30.0, source: str | None = "marpkit"):
        """Wait until `until(diagnostics)` holds for the published diagnostics."""
        deadline = time.monotonic() + timeout
        while True:
            found = [d for d in self.client.diagnostics.get(self.uri, [])
                     if source is None or d.source == source]
            if until(found):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"diagnostics never matched: {[(d.code, d.message) for d in found]}")
            await asyncio.sleep(0.02)


def codes(diagnostics) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


@pytest.fixture
def demo_course(project):
    write(project / "snippets" / "demo" / "train.py", SNIPPET)
    write(project / "slides" / "01-demo.md", DECK)
    return project


async def test_seed_deck_mojibake_fix_round_trip(client: LanguageClient, project):
    seed = shared_path("seed", "05-wandb-tracking.original.md")
    deck = project / "slides" / "05-wandb-tracking.md"
    shutil.copyfile(seed, deck)
    from marpkit.config import load_project
    from marpkit.lint import engine
    from marpkit.lint.settings import load_settings

    p = load_project(project)
    expected = sorted({f.line - 1 for f in engine.run(p, load_settings({}), [deck], render=False).findings
                       if f.code == "MK201"})
    assert expected  # the seed deck's mojibake
    doc = Doc(client, deck)
    found = await doc.diagnostics(lambda ds: any(d.code == "MK201" for d in ds))
    mojibake = [d for d in found if d.code == "MK201"]
    assert sorted({d.range.start.line for d in mojibake}) == expected
    first = mojibake[0]
    assert first.severity == types.DiagnosticSeverity.Error
    assert first.code_description is not None and "#mk201-mojibake" in first.code_description.href

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(doc.uri), first.range,
        types.CodeActionContext([first], only=[types.CodeActionKind.QuickFix])))
    titles = [a.title for a in actions]
    fix = next(a for a in actions if a.title.startswith("MK201:"))
    assert any(t.startswith("Disable MK201 on this slide") for t in titles)
    (change,) = fix.edit.document_changes
    line_before = doc.text.splitlines()[first.range.start.line]
    doc.apply(change.edits)
    line_after = doc.text.splitlines()[first.range.start.line]
    assert line_after != line_before and "‚Ä" not in line_after

    fixed_line = first.range.start.line
    await doc.diagnostics(lambda ds: not any(d.code == "MK201" and d.range.start.line == fixed_line
                                             for d in ds)
                          and sum(d.code == "MK201" for d in ds) == len(mojibake) - 1)


async def test_disable_on_this_slide_silences_the_rule(client: LanguageClient, demo_course):
    deck = demo_course / "slides" / "01-demo.md"
    doc = Doc(client, deck, DECK + "\n---\n\n# Inline\n\n```python\nprint('hi')\n```\n")
    found = await doc.diagnostics(lambda ds: "MK315" in codes(ds))
    target = next(d for d in found if d.code == "MK315")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(doc.uri), target.range, types.CodeActionContext([target])))
    disable = next(a for a in actions if a.title.startswith("Disable MK315"))
    doc.apply(disable.edit.document_changes[0].edits)
    assert "<!-- marpkit-disable MK315 -->" in doc.text
    await doc.diagnostics(lambda ds: "MK315" not in codes(ds))


async def test_definition_hover_and_references(client: LanguageClient, demo_course):
    (demo_course / "slides" / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    deck = write(demo_course / "slides" / "01-demo.md", DECK + "\n![a chart](chart.png)\n")
    doc = Doc(client, deck)
    await doc.diagnostics(lambda ds: True)
    fence = doc.at("snippet=demo/train.py#loop")
    result = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(doc.uri), fence))
    assert result.uri == (demo_course / "snippets" / "demo" / "train.py").resolve().as_uri()
    assert result.range.start.line == SNIPPET.splitlines().index("# region loop")
    # From a body line: the very file line it shows.
    body = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(doc.uri), doc.at("    run.log")))
    assert body.range.start.line == SNIPPET.splitlines().index('    run.log({"loss": 1 / (step + 1)})')

    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc.uri), fence))
    assert "demo/train.py#loop" in hover.contents.value
    assert "for step in range(3):" in hover.contents.value
    assert "check: no result" in hover.contents.value

    directive = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc.uri), doc.at("theme:")))
    assert "theme" in directive.contents.value and "global" in directive.contents.value

    snippet_uri = (demo_course / "snippets" / "demo" / "train.py").resolve().as_uri()
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(snippet_uri),
        position=types.Position(SNIPPET.splitlines().index("for step in range(3):"), 2),
        context=types.ReferenceContext(include_declaration=False)))
    assert [(r.uri, r.range.start.line) for r in refs] == [(doc.uri, doc.at("```python").line)]

    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(doc.uri)))
    assert [s.name for s in symbols] == ["1. Tracking"]
    links = await client.text_document_document_link_async(types.DocumentLinkParams(
        types.TextDocumentIdentifier(doc.uri)))
    assert sorted(link.target for link in links) == sorted(
        [snippet_uri, (demo_course / "slides" / "chart.png").resolve().as_uri()])


async def test_hover_on_rule_code(client: LanguageClient, demo_course):
    doc = Doc(client, demo_course / "slides" / "01-demo.md", DECK + "\n<!-- marpkit-disable MK315 -->\n")
    await doc.diagnostics(lambda ds: True)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc.uri), doc.at("MK315", 2)))
    assert "MK315 (inline-code-without-snippet)" in hover.contents.value


async def test_completion_of_paths_regions_and_directives(client: LanguageClient, demo_course):
    write(demo_course / "themes" / "bailab.css", "/* @theme bailab\n@size wide 1600px 900px */\n"
          "section.lead { color: red }\n")
    text = DECK.replace("#loop", "#")
    doc = Doc(client, demo_course / "slides" / "01-demo.md", text)
    await doc.diagnostics(lambda ds: True)

    def labels(result):
        return sorted(item.label for item in (result.items if hasattr(result, "items") else result))

    after_hash = doc.at("snippet=demo/train.py#", len("snippet=demo/train.py#"))
    regions = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(doc.uri), after_hash))
    assert labels(regions) == ["init", "loop"]

    after_eq = doc.at("snippet=", len("snippet="))
    paths = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(doc.uri), after_eq))
    assert "demo/train.py" in labels(paths)

    theme = doc.at("theme: default", len("theme: "))
    themes = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(doc.uri), theme))
    assert {"bailab", "default", "gaia", "uncover"} <= set(labels(themes))

    names = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(doc.uri), doc.at("theme:")))
    assert {"paginate", "headingDivider", "_class", "size"} <= set(labels(names))

    doc.replace(text.replace("theme: default", "theme: bailab\nsize: \nclass: \npaginate: "))

    async def values(key: str) -> list[str]:
        return labels(await client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(doc.uri), doc.at(f"{key}: ", len(key) + 2))))

    assert await values("size") == ["wide"]  # what bailab's @size defines
    assert "lead" in await values("class")
    assert await values("paginate") == ["false", "true"]


CHECKED_SNIPPET = """\
import wandb

# region loop
run = wandb.init(project="demo", mode="offline")
for step in range(3):
    run.log({"loss": 1 / (step + 1)})
run.finish()
# endregion
print("logged 3 steps")
"""


@pytest.mark.integration
async def test_check_status_on_a_fence_and_stale_after_a_change(client: LanguageClient, project):
    import subprocess

    snippet = write(project / "snippets" / "demo" / "train.py", CHECKED_SNIPPET)
    body = CHECKED_SNIPPET.split("# region loop\n")[1].split("# endregion")[0]
    deck = write(project / "slides" / "01-demo.md",
                 f"---\nmarp: true\n---\n\n# Tracking\n\n```python snippet=demo/train.py#loop\n{body}```\n"
                 "\n```text output=demo/train.py\n```\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools")}
    proc = subprocess.run([sys.executable, "-m", "marpkit", "check"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = Doc(client, deck)
    # The output= fence is empty: filling it from the checked run is `marpkit sync`'s fix.
    (output,) = await doc.diagnostics(lambda ds: "MK313" in codes(ds))
    assert "checked output of demo/train.py" in output.message
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(doc.uri), output.range, types.CodeActionContext([output])))
    fill = next(a for a in actions if a.title.startswith("MK313:"))
    doc.apply(fill.edit.document_changes[0].edits)
    assert "```text output=demo/train.py\nlogged 3 steps\n```" in doc.text
    await doc.diagnostics(lambda ds: "MK313" not in codes(ds))
    (status,) = await doc.diagnostics(lambda ds: len(ds) == 1, source="marpkit check")
    assert status.severity == types.DiagnosticSeverity.Hint
    assert "demo/train.py#loop: check: passed" in status.message
    assert status.range.start.line == doc.at("```python").line
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc.uri), doc.at("snippet=")))
    assert "check: passed" in hover.contents.value

    snippet.write_text(CHECKED_SNIPPET + "# a change after the check\n", encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent(snippet.resolve().as_uri(), types.FileChangeType.Changed)]))
    (stale,) = await doc.diagnostics(lambda ds: len(ds) == 1 and "stale" in ds[0].message,
                                     source="marpkit check")
    assert "stale: passed before the snippet changed" in stale.message
    assert stale.severity == types.DiagnosticSeverity.Information


@pytest.mark.integration
async def test_rendered_rules_after_save_with_a_real_browser(client: LanguageClient, project):
    needs_marp()
    needs_chromium()
    tall = "\n".join(f"- point number {n} of a slide that says far too much" for n in range(40))
    deck = write(project / "slides" / "01-demo.md", "---\nmarp: true\n---\n\n# Short\n")
    doc = Doc(client, deck)
    await doc.diagnostics(lambda ds: True)
    doc.replace(doc.text + f"\n---\n\n# Too much\n\n{tall}\n")
    static = await doc.diagnostics(lambda ds: "MK405" in codes(ds))
    assert not any(str(d.code).startswith("MK5") for d in static)  # rendered rules wait for a save
    doc.save()
    found = await doc.diagnostics(lambda ds: "MK501" in codes(ds), timeout=120)
    cut = next(d for d in found if d.code == "MK501")
    assert cut.range.start.line >= doc.at("# Too much").line
    assert "MK405" in codes(found)  # static findings stay beside the rendered ones


async def test_bad_input_answers_and_never_crashes(client: LanguageClient, demo_course):
    deck = demo_course / "slides" / "01-demo.md"
    # Bytes that are not UTF-8, as a client passes them through: lone surrogates.
    doc = Doc(client, deck, "---\nmarp: true\n---\n\n# Caf\udce9\n")
    (bad,) = await doc.diagnostics(lambda ds: len(ds) == 1)
    assert bad.code == "MK204" and bad.range.start.line == 4
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc.uri), types.Position(4, 3)))
    assert hover is None

    # Half-typed front matter: still diagnostics, hover and completion.
    doc.replace("---\nmarp: true\ntheme: \n")
    await doc.diagnostics(lambda ds: "MK204" not in codes(ds))
    items = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(doc.uri), types.Position(2, 7)))
    assert "gaia" in [i.label for i in items.items]
    doc.replace("---\nmarp: true\nthe")
    names = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(doc.uri), types.Position(2, 3)))
    assert "theme" in [i.label for i in names.items]
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(doc.uri), types.Position(1, 1)))
    assert hover is None or "marp" in hover.contents.value


async def test_a_snippet_deleted_while_open(client: LanguageClient, demo_course):
    snippet = demo_course / "snippets" / "demo" / "train.py"
    deck = Doc(client, demo_course / "slides" / "01-demo.md")
    Doc(client, snippet)
    await deck.diagnostics(lambda ds: not ds)
    snippet.unlink()
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent(snippet.resolve().as_uri(), types.FileChangeType.Deleted)]))
    found = await deck.diagnostics(lambda ds: "MK310" in codes(ds))
    assert found[0].range.start.line == deck.at("```python").line
    definition = await client.text_document_definition_async(types.DefinitionParams(
        types.TextDocumentIdentifier(deck.uri), deck.at("snippet=")))
    assert definition is None


async def test_snippet_file_diagnostics(client: LanguageClient, demo_course):
    snippet = demo_course / "snippets" / "demo" / "train.py"
    write(demo_course / "snippets" / "demo" / "old.py", "print('nobody shows me')\n")
    Doc(client, demo_course / "slides" / "01-demo.md")
    doc = Doc(client, snippet)
    doc.replace(SNIPPET.replace("# endregion\n\n# region loop", "# endregion\n\n# region loop\n# region"))
    found = await doc.diagnostics(lambda ds: "MK316" in codes(ds))
    assert any("never closed" in d.message or "without a name" in d.message for d in found)
    unused = (demo_course / "snippets" / "demo" / "old.py").resolve().as_uri()
    for _ in range(200):
        if any(d.code == "MK314" for d in client.diagnostics.get(unused, [])):
            break
        await asyncio.sleep(0.05)
    assert [d.code for d in client.diagnostics.get(unused, [])] == ["MK314"]


async def test_the_last_of_200_rapid_changes_wins(client: LanguageClient, demo_course):
    deck = demo_course / "slides" / "01-demo.md"
    doc = Doc(client, deck)
    await doc.diagnostics(lambda ds: True)
    for n in range(200):
        doc.replace(DECK + f"\n---\n\n# Slide {n}\n\n" + ("```python\nprint(1)\n```\n" * (n % 3)))
    doc.replace(DECK + "\n---\n\n# Last\n\nBAI Lab ‚Ä¢ V∆∞∆°ng\n")
    last = doc.text.splitlines().index("BAI Lab ‚Ä¢ V∆∞∆°ng")
    found = await doc.diagnostics(lambda ds: "MK201" in codes(ds))
    await asyncio.sleep(0.5)  # nothing older may arrive afterwards
    found = await doc.diagnostics(lambda ds: True)
    assert codes(found) == ["MK201"] and found[0].range.start.line == last


async def test_a_10000_slide_deck_does_not_block(client: LanguageClient, demo_course):
    deck = demo_course / "slides" / "01-demo.md"
    huge = DECK + "".join(f"\n---\n\n# Slide {n}\n\nText of slide {n}.\n" for n in range(10_000))
    huge += "\nBAI Lab ‚Ä¢ V∆∞∆°ng\n"
    doc = Doc(client, deck, huge)
    other = Doc(client, demo_course / "slides" / "02-small.md", DECK)
    # While the big deck lints, every request is answered at once, and the small
    # deck's hover soon has its content.
    hover = None
    for _ in range(20):
        started = time.monotonic()
        hover = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(other.uri), other.at("snippet=")))
        assert time.monotonic() - started < 5
        if hover is not None:
            break
    assert "demo/train.py#loop" in hover.contents.value
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(doc.uri)))
    assert symbols is not None  # an answer (empty while the deck is still being read)
    found = await doc.diagnostics(lambda ds: "MK201" in codes(ds), timeout=120)
    assert [d.range.start.line for d in found if d.code == "MK201"] == [huge.count("\n") - 1]
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(doc.uri)))
    assert len(symbols) == 10_001


async def test_a_deck_outside_any_project_gets_project_free_rules(client: LanguageClient, tmp_path):
    loose = tmp_path / "loose" / "talk.md"
    write(loose, "---\nmarp: true\n---\n\n# Talk ‚Ä¢ one\n\n```python snippet=nowhere.py\n```\n"
          "\n```python\nprint(1)\n```\n")
    doc = Doc(client, loose)
    found = await doc.diagnostics(lambda ds: "MK201" in codes(ds))
    assert not [c for c in codes(found) if c.startswith(("MK3", "MK6"))]


async def test_the_server_watches_snippets_itself_for_a_client_that_cannot(bare_client: LanguageClient,
                                                                           demo_course):
    deck = Doc(bare_client, demo_course / "slides" / "01-demo.md")
    await deck.diagnostics(lambda ds: not ds)
    await asyncio.sleep(0.5)  # the watcher is up
    (demo_course / "snippets" / "demo" / "train.py").unlink()
    await deck.diagnostics(lambda ds: "MK310" in codes(ds))


async def test_drift_is_a_quick_fix_with_the_snippet_as_related_location(client: LanguageClient, demo_course):
    doc = Doc(client, demo_course / "slides" / "01-demo.md", DECK.replace("range(3)", "range(10)"))
    found = await doc.diagnostics(lambda ds: "MK313" in codes(ds))
    drift = next(d for d in found if d.code == "MK313")
    (related,) = drift.related_information
    assert related.location.uri == (demo_course / "snippets" / "demo" / "train.py").resolve().as_uri()
    assert related.location.range.start.line == SNIPPET.splitlines().index("# region loop")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(doc.uri), drift.range, types.CodeActionContext([drift])))
    sync = next(a for a in actions if a.title.startswith("MK313:"))
    doc.apply(sync.edit.document_changes[0].edits)
    assert doc.text == DECK
    await doc.diagnostics(lambda ds: not ds)


async def test_a_broken_configuration_is_reported_on_the_deck(client: LanguageClient, demo_course):
    (demo_course / "pyproject.toml").write_text('[tool.marpkit.lint]\nselect = ["XX"]\n')
    doc = Doc(client, demo_course / "slides" / "01-demo.md", DECK + "\nBAI Lab ‚Ä¢ V∆∞∆°ng\n")
    found = await doc.diagnostics(lambda ds: "MK201" in codes(ds))
    (config,) = [d for d in found if d.code is None]
    assert "'XX' is not a rule code" in config.message and config.range.start.line == 0


async def test_a_symlink_loop_among_the_decks_stops_no_diagnostics(client: LanguageClient, demo_course):
    """One open file in a symlink loop stopped diagnostics for every deck
    (Path.resolve raises RuntimeError on a loop in Python 3.11)."""
    slides = demo_course / "slides"
    (slides / "loop1.md").symlink_to("loop2.md")
    (slides / "loop2.md").symlink_to("loop1.md")
    loop_uri = (slides / "loop1.md").absolute().as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        loop_uri, "markdown", 1, "---\nmarp: true\n---\n\n# Loop\n")))
    deck = slides / "01-demo.md"
    doc = Doc(client, deck, DECK + "\n---\n\n# Inline\n\n```python\nprint('hi')\n```\n")
    await doc.diagnostics(lambda ds: "MK315" in codes(ds))
    # The server still answers requests about the looping file.
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(loop_uri)))
    assert symbols is not None
