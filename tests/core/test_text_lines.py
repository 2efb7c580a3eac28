"""Lines break at CRLF, CR and LF only, in every command: a snippet or deck
holding a character that `str.splitlines()` also breaks at (form feed, NEL,
U+2028, ...) shows and numbers the same lines everywhere, as Marp and editors do.

The oracle here is the definition itself (a regex of the three breaks), not
marpkit's own splitter."""

from __future__ import annotations

import ast
import os
import re
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import ROOT, CodeText, needs_marp

PACKAGE = ROOT / "tools" / "marpkit"
ORACLE = re.compile(r"\r\n|\r|\n")
# Every character str.splitlines() breaks at, then the three real breaks (controls).
OTHER_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
BREAKS = [*OTHER_BREAKS, "\r\n", "\r", "\n"]
IDS = ["CRLF" if c == "\r\n" else f"U+{ord(c):04X}" for c in BREAKS]
SNIPPET = "x = 1\n{c}\n# region a\nprint(1)\n# endregion\n"


def lines(text: str) -> list[str]:
    parts = ORACLE.split(text)
    return parts[:-1] if parts[-1] == "" else parts


def snippet(c: str) -> str:
    return SNIPPET.format(c=c)


def write_raw(path, text: str):
    """Write `text` exactly (no dedent, no newline translation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def fence_deck(count: int) -> str:
    """A deck with one slide per snippet m/N.py, each fence showing region a, synced."""
    slides = [f"# Break {n}\n\n```python snippet=m/{n}.py#a\nprint(1)\n```\n" for n in range(count)]
    return "---\nmarp: true\n---\n\n" + "\n---\n\n".join(slides)


@pytest.fixture
def breaks_course(project):
    for n, c in enumerate(BREAKS):
        write_raw(project / "snippets" / "m" / f"{n}.py", snippet(c))
    write_raw(project / "slides" / "d.md", fence_deck(len(BREAKS)))
    return project


# --------------------------------------------------------------------------- the module


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
@pytest.mark.parametrize("keepends", [False, True])
def test_split_lines_breaks_where_marp_does(c, keepends):
    from marpkit.text import split_lines

    text = f"a{c}b\r\nc\rd\n\ne"
    assert "".join(split_lines(text, keepends=True)) == text
    assert split_lines(text) == lines(text)
    if c in OTHER_BREAKS:
        assert split_lines(text, keepends)[0] != text.splitlines(keepends)[0]
    assert split_lines("", keepends) == [] and split_lines("x\n") == ["x"]


# --------------------------------------------------------------------------- deck parsing


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_deck_lines_and_slide_positions(c):
    from marpkit.model.deck import parse_deck
    from marpkit.text import split_lines

    text = f"---\nmarp: true\n---\n\n# One\n\nx{c}y\n\n---\n\n# Two\n"
    want = lines(text)
    deck = parse_deck(text, ROOT / "d.md", "d.md")
    assert split_lines(text) == want
    assert deck.line_count == len(want)
    assert [deck.line_text(n) for n in range(1, len(want) + 1)] == want
    assert deck.slides[1].headings[0].line == want.index("# Two") + 1
    assert deck.slides[0].end_line == want.index("---", 3)  # the line before the separator


@pytest.mark.parametrize("c", OTHER_BREAKS, ids=IDS[:len(OTHER_BREAKS)])
def test_new_names_the_deck_line_of_a_stale_module_count(project, run_cli, c):
    text = f"---\nmarp: true\n---\n\n# A{c}\n\n**Module 1 of 1**\n"
    write_raw(project / "slides" / "01-a.md", text)
    code, out, err = run_cli("new", "02-b")
    assert code == 0, err
    assert f"slides/01-a.md:{lines(text).index('**Module 1 of 1**') + 1}: 'Module 1 of 1'" in out


# --------------------------------------------------------------------------- snippets


@pytest.mark.parametrize("suffix", ["py", "sh", "txt"])
@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_snippet_region_shows_its_code(tmp_path, c, suffix):
    from marpkit.snippets.store import SnippetStore

    text = snippet(c)
    path = write_raw(tmp_path / f"a.{suffix}", text)
    loaded = SnippetStore(tmp_path).load(path)
    want = lines(text)
    assert loaded.lines == want
    assert loaded.regions["a"].start == want.index("# region a") + 1
    assert loaded.shown("a") == ("print(1)\n", [want.index("print(1)") + 1])


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_check_header_errors_name_the_file_line(c):
    from marpkit.check.header import HeaderError, parse_header

    text = f"#{c}\n# /// marpkit\n# timeout: -1\n# ///\n"
    with pytest.raises(HeaderError) as exc:
        parse_header(text)
    assert exc.value.line == lines(text).index("# timeout: -1") + 1


# --------------------------------------------------------------------------- drift


def test_sync_check_finds_no_drift(breaks_course, run_cli):
    code, out, err = run_cli("sync", "--check")
    assert code == 0, out + err
    assert "MK313" not in out


# --------------------------------------------------------------------------- LSP


@pytest.mark.parametrize("c", BREAKS, ids=IDS)
def test_lsp_positions_round_trip_on_marp_lines(c):
    from marpkit.lsp.positions import Text
    from marpkit.text import split_lines

    text = snippet(c)
    want = lines(text)
    t = Text(text)
    assert split_lines(text) == want
    assert [t.line(n) for n in range(t.line_count)] == want
    region = want.index("# region a")
    assert t.at_offset(text.index("# region a")) == types.Position(region, 0)
    assert t.offset(types.Position(region + 1, 0)) == text.index("print(1)")
    for number, line in enumerate(want):
        for column in range(len(line) + 1):
            position = types.Position(number, column)
            assert t.at_offset(t.offset(position)) == position


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "marpkit", "lsp"],
    server_env={**os.environ, "PYTHONPATH": str(ROOT / "tools")}))
async def client(lsp_client: LanguageClient):
    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        pass  # the server asks to watch snippet files: granted, nothing to do here

    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_lsp_shows_and_finds_the_region(client: LanguageClient, breaks_course):
    """The server itself: no drift on the deck, hover shows the code, definition
    lands on the marker's line as the client counts lines."""
    import asyncio

    from marpkit.lsp.positions import Text

    deck = breaks_course / "slides" / "d.md"
    text = deck.read_text(encoding="utf-8")
    uri = deck.resolve().as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri, "markdown", 1, text)))
    for _ in range(1500):  # the first analysis; a bound, not a measure of speed
        if uri in client.diagnostics:
            break
        await asyncio.sleep(0.02)
    assert uri in client.diagnostics
    assert [d.message for d in client.diagnostics[uri] if d.code == "MK313"] == []
    t = Text(text)
    for n, c in enumerate(BREAKS):
        fence = t.at_offset(text.index(f"snippet=m/{n}.py#a"))
        target = await client.text_document_definition_async(types.DefinitionParams(
            types.TextDocumentIdentifier(uri), fence))
        assert target.range.start.line == lines(snippet(c)).index("# region a"), IDS[n]
        hover = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), fence))
        assert "print(1)" in hover.contents.value, IDS[n]
        assert "# region a" not in hover.contents.value, IDS[n]


# --------------------------------------------------------------------------- build


@pytest.mark.integration
def test_build_shows_the_region_code(breaks_course, run_cli):
    needs_marp()
    code, out, err = run_cli("build", "--format", "html")
    assert code == 0, out + err
    pre = CodeText()
    pre.feed((breaks_course / "build" / "d.html").read_text(encoding="utf-8"))
    assert [block.strip() for block in pre.blocks] == ["print(1)"] * len(BREAKS)


# --------------------------------------------------------------------------- guards


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


def _is_line_break_pattern(pattern: str) -> bool:
    """A regex that matches a bare line break and nothing else of a line (no
    text, space or nothing at all): a definition of where lines end."""
    try:
        compiled = re.compile(pattern)
    except (re.error, TypeError):
        return False
    return any(compiled.fullmatch(b) for b in ("\n", "\r", "\r\n")) and \
        not any(compiled.fullmatch(other) for other in ("", " ", "\t", "a", "Z", "0", "-", "!", "#"))


_REGEX_CALLS = {"compile", "split", "finditer", "findall", "sub", "subn", "search", "match",
                "fullmatch"}


def _line_break_patterns(source: str) -> list[tuple[int, str]]:
    """Regexes of `re` calls in `source` that define where lines break."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" \
                and node.func.attr in _REGEX_CALLS and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and _is_line_break_pattern(node.args[0].value):
            found.append((node.lineno, node.args[0].value))
    return found


def test_only_the_text_module_splits_lines():
    offenders = []
    for _path, rel, source in _sources():
        if rel == "text.py":
            continue
        if ".splitlines(" in source:
            offenders.append(f"{rel}: .splitlines(")
        offenders += [f"{rel}:{line}: line-break regex {pattern!r}"
                      for line, pattern in _line_break_patterns(source)]
    assert not offenders, offenders


def test_the_guard_sees_a_line_break_regex():
    assert _line_break_patterns('import re\nBREAK = re.compile(r"\\r\\n|\\r|\\n")\n')
    assert _line_break_patterns('import re\nre.split(r"\\r?\\n", text)\n')
    assert not _line_break_patterns('import re\nre.match(r"^\\s*$", line)\nx = "\\n".join(y)\n')
    text_module = (PACKAGE / "text.py").read_text(encoding="utf-8")
    assert _line_break_patterns(text_module)  # the one definition is where the guard looks


def test_only_fsutil_computes_relative_paths():
    offenders = [f"{rel}: {word}" for _path, rel, source in _sources() if rel != "fsutil.py"
                 for word in ("relative_to(", "is_relative_to(") if word in source]
    assert not offenders, offenders
