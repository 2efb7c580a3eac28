"""The light commands: inspect, sync, extract. None of them loads wandb,
playwright or rich."""

from __future__ import annotations

import json
from pathlib import Path

import click

from marpkit.config import Project, load_project
from marpkit.deck import Deck, DeckError, load_deck
from marpkit.edits import apply_fixes, atomic_write, body_fix
from marpkit.findings import Exit, Finding, UsageError
from marpkit.snippets import SnippetStore, resolve_deck

DRIFT = "MK313"


def deck_paths(project: Project, paths: tuple[str, ...]) -> list[Path]:
    if not paths:
        decks = project.decks()
        if not decks:
            raise UsageError(f"no decks found in {project.rel(project.slides_dir)}/")
        return decks
    out = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(path.glob("*.md"))
        elif path.is_file():
            out.append(path)
        else:
            raise UsageError(f"{raw}: no such file or directory")
    return out


NOT_A_DECK = "MK204"


class Unreadable(Exception):
    """A deck file that cannot be read as text: reported as a finding, the rest goes on."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def open_deck(project: Project, path: Path) -> Deck:
    """Load a deck; a file that cannot be a deck raises Unreadable with its finding."""
    display = project.rel(path)
    try:
        return load_deck(path, display)
    except DeckError as exc:
        raise Unreadable(Finding(exc.path, exc.line, exc.column, NOT_A_DECK, str(exc))) from None
    except OSError as exc:
        raise Unreadable(Finding(display, 1, 1, NOT_A_DECK, f"cannot read: {exc.strerror}")) from None


def print_findings(findings: list[Finding]) -> None:
    for finding in findings:
        click.echo(finding.format())


# --------------------------------------------------------------------------- inspect

def deck_summary(deck: Deck) -> dict:
    return {
        "path": deck.display_path,
        "marp": deck.is_marp,
        "global_directives": deck.global_directives,
        "heading_divider": deck.heading_divider,
        "slides": [
            {
                "index": slide.index,
                "start_line": slide.start_line,
                "end_line": slide.end_line,
                "title": slide.title,
                "directives": slide.directives,
                "headings": [{"level": h.level, "text": h.text, "line": h.line}
                             for h in slide.headings],
                "code_blocks": [
                    {"line": b.line, "lang": b.lang or None, "info": b.info or None,
                     "snippet": b.snippet, "output": b.output}
                    for b in slide.code_blocks
                ],
                "images": [{"src": i.src, "alt": i.alt, "line": i.line} for i in slide.images],
                "notes": slide.notes,
            }
            for slide in deck.slides
        ],
    }


@click.command("inspect")
@click.argument("decks", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def inspect_cmd(decks, fmt):
    """Show how Marp splits DECKS into slides, with directives and code blocks."""
    project = load_project()
    try:
        summaries = [deck_summary(open_deck(project, Path(p))) for p in decks]
    except Unreadable as exc:
        print_findings([exc.finding])
        return Exit.FINDINGS
    if fmt == "json":
        click.echo(json.dumps(summaries[0] if len(summaries) == 1 else summaries,
                              indent=2, ensure_ascii=False))
        return Exit.OK
    for summary in summaries:
        click.echo(f"{summary['path']}: {len(summary['slides'])} slides")
        for slide in summary["slides"]:
            title = slide["title"] or "(untitled)"
            click.echo(f"  {slide['index']:>3}  lines {slide['start_line']}-{slide['end_line']}"
                       f"  {title}")
            for block in slide["code_blocks"]:
                ref = f"  -> {block['snippet']}" if block["snippet"] else ""
                click.echo(f"         line {block['line']}: ```{block['lang'] or ''}{ref}")
    return Exit.OK


# --------------------------------------------------------------------------- sync

def output_reader(project: Project, store: SnippetStore):
    """rel path -> the snippet's checked, normalised stdout (None if not checked as it is now)."""
    from marpkit.check.outputs import read_output

    def read(rel: str) -> str | None:
        if store.safe_path(rel) is None:
            return None  # never look outside the snippets folder
        return read_output(project, rel)

    return read


def sync_deck(deck: Deck, store: SnippetStore, outputs=None) -> tuple[list[Finding], list, str]:
    """Errors, drifted fences (finding, fix) pairs, and the synced text.

    `outputs` fills `output=` fences with a snippet's checked stdout; fences
    whose snippet has no current check result are left as they are.
    """
    errors, drifted = [], []
    for block in deck.code_blocks if outputs else []:
        text = outputs(block.output) if block.output else None
        if text is not None and (fix := body_fix(deck, block, text, f"output of {block.output}")):
            slide = deck.slides[block.slide - 1]
            drifted.append((Finding(
                deck.display_path, block.body_line, 1, DRIFT,
                f"fence differs from the checked output of {block.output} (run `marpkit sync`)",
                "error", slide.index, slide.title), fix))
    for res in resolve_deck(deck, store):
        if not res.ok:
            errors.append(res.finding)
            continue
        fix = body_fix(deck, res.block, res.code, f"sync fence body from {res.ref}")
        if fix is None:
            continue
        slide = deck.slides[res.block.slide - 1]
        first_diff = _first_differing_line(res.block.body, res.code)
        drifted.append((Finding(
            deck.display_path, res.block.body_line + first_diff, 1, DRIFT,
            f"fence body differs from snippet {res.ref} (run `marpkit sync`)",
            "error", slide.index, slide.title), fix))
    text, _ = apply_fixes(deck.text, [fix for _, fix in drifted])
    return errors, drifted, text


def _first_differing_line(body: str, code: str) -> int:
    a, b = body.splitlines(), code.splitlines()
    for number, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return number
    return min(len(a), len(b))


@click.command("sync")
@click.argument("decks", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any fence has drifted.")
def sync_cmd(decks, check):
    """Rewrite snippet fence bodies in DECKS from the snippet files."""
    project = load_project()
    store = SnippetStore(project.snippets_dir)
    status = Exit.OK
    in_sync = 0
    paths = deck_paths(project, decks)
    for path in paths:
        try:
            deck = open_deck(project, path)
        except Unreadable as exc:
            print_findings([exc.finding])
            status = Exit.FINDINGS
            continue
        errors, drifted, text = sync_deck(deck, store, output_reader(project, store))
        print_findings(errors)
        if errors:
            status = Exit.FINDINGS
        if check:
            print_findings([finding for finding, _ in drifted])
            if drifted:
                status = Exit.FINDINGS
        elif drifted:
            atomic_write(path, text.encode("utf-8"))
            click.echo(f"{deck.display_path}: synced {len(drifted)} fence(s)")
        in_sync += not errors and not drifted
    if in_sync == len(paths):  # nothing to do: say so rather than print nothing
        click.echo(f"{in_sync} deck{'s' if in_sync != 1 else ''} in sync")
    return status


# --------------------------------------------------------------------------- extract

_EXTENSIONS = {
    "python": "py", "py": "py", "python3": "py", "bash": "sh", "sh": "sh", "shell": "sh",
    "zsh": "sh", "console": "sh", "javascript": "js", "js": "js", "typescript": "ts",
    "ts": "ts", "yaml": "yaml", "yml": "yaml", "json": "json", "toml": "toml", "sql": "sql",
    "r": "R", "c": "c", "cpp": "cpp", "c++": "cpp", "rust": "rs", "go": "go", "java": "java",
    "html": "html", "css": "css", "text": "txt", "": "txt",
}


def slugify(text: str | None, limit: int = 40) -> str:
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "code"


def extract_deck(deck: Deck, snippets_dir: Path) -> tuple[str, dict[Path, str]]:
    """The deck text with `snippet=` added to every inline fence, and the files to create."""
    stem = deck.path.stem
    files: dict[Path, str] = {}
    inserts = []
    for slide in deck.slides:
        inline = [b for b in slide.code_blocks if not b.snippet and not b.output]
        for number, block in enumerate(inline, start=1):
            if not block.closed or block.indent.strip():
                continue
            ext = _EXTENSIONS.get(block.lang.lower(), block.lang.lower() or "txt")
            suffix = f"-{number}" if len(inline) > 1 else ""
            name = f"{slide.index:02d}-{slugify(slide.title)}{suffix}.{ext}"
            rel = f"{stem}/{name}"
            content = block.body if block.body.endswith("\n") or not block.body else block.body + "\n"
            target = snippets_dir / stem / name
            if target.exists() and target.read_text(encoding="utf-8") != content:
                raise UsageError(f"{deck.display_path}:{block.line}: {rel} exists with other "
                                 "content; move it away or reference it by hand")
            files[target] = content
            line_end = deck.offset(block.line) + len(deck.line_text(block.line))
            # A fence with no language gets one, or Marp would read the reference as the language.
            addition = f" snippet={rel}" if block.lang else f"{ext if ext != 'txt' else 'text'} snippet={rel}"
            inserts.append((line_end, addition))
    text = deck.text
    for offset, addition in sorted(inserts, reverse=True):
        text = text[:offset] + addition + text[offset:]
    return text, files


@click.command("extract")
@click.argument("deck", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "destination", type=click.Path(dir_okay=False),
              help="Write the migrated deck here instead of rewriting DECK in place.")
def extract_cmd(deck, destination):
    """Move DECK's inline code blocks into snippet files and reference them."""
    project = load_project()
    try:
        model = open_deck(project, Path(deck))
    except Unreadable as exc:
        print_findings([exc.finding])
        return Exit.FINDINGS
    text, files = extract_deck(model, project.snippets_dir)
    for path, content in files.items():
        if not path.exists():
            atomic_write(path, content)
            click.echo(f"created {project.rel(path)}")
    target = Path(destination) if destination else Path(deck)
    if text != model.text or destination:
        atomic_write(target, text.encode("utf-8"))
        click.echo(f"{project.rel(target)}: {len(files)} fence(s) now reference snippets")
    else:
        click.echo(f"{model.display_path}: nothing to extract")
    return Exit.OK
