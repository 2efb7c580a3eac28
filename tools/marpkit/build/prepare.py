"""Every deck loaded and expanded once, with the hash of all its outputs depend on."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from marpkit import __version__, marp
from marpkit.build.assets import collect_assets, fingerprint
from marpkit.build.manifest import digest
from marpkit.check.output_fences import output_reader
from marpkit.config import Project
from marpkit.findings import Finding
from marpkit.marp.converter import MarpSettings
from marpkit.model.deck import Deck
from marpkit.model.load import Unreadable, deck_paths, open_deck
from marpkit.model.notes import without_notes
from marpkit.model.themes import load_themes
from marpkit.snippets.expand import expand
from marpkit.snippets.store import Resolution, SnippetStore, resolve_deck


@dataclass
class Job:
    deck: Deck
    source: Path
    text: str  # expanded
    digest: str  # hash of everything the outputs depend on, whatever the format
    first_slide_digest: str  # what the thumbnail (the first slide alone) depends on
    findings: list[Finding] = field(default_factory=list)
    handout_digest: str = ""  # the digest and the handout's own settings
    # Resolved once here, for every later stage (conversion, diff).
    resolutions: list[Resolution] = field(default_factory=list)
    assets: list[tuple[Path, Path]] = field(default_factory=list)  # (file, its place in build/)

    def digest_for(self, fmt: str) -> str:
        if fmt == "thumbnail":
            return self.first_slide_digest
        return self.handout_digest if fmt == "handout" else self.digest

    @property
    def stem(self) -> str:
        return self.source.stem


def configuration(project: Project, settings: MarpSettings) -> str:
    """The hash of the settings that reach Marp (themes aside): marpkit's and
    Marp CLI's versions, the build options, the engine options."""
    options = asdict(project.build_settings)
    # It changes how long marpkit waits, never what it builds.
    del options["browser_timeout"]
    for key in HANDOUT_KEYS:  # the handout's own: handout_context
        del options[key]
    return digest(__version__, marp.marp_version(project.root), json.dumps(options, sort_keys=True),
                  settings.identity())


def context(project: Project, settings: MarpSettings) -> str:
    """The hash of what every output depends on besides its deck."""
    return digest(configuration(project, settings),
                  *(p.name.encode() + b":" + p.read_bytes() for p in settings.themes))


HANDOUT_KEYS = ("handout_layout", "handout_lines", "handout_paper")


def handout_context(project: Project) -> str:
    """What a handout depends on besides its deck and the shared context."""
    options = asdict(project.build_settings)
    return json.dumps({key: options[key] for key in HANDOUT_KEYS}, sort_keys=True)


def silent_fallbacks(deck: Deck, themes: dict) -> list[Finding]:
    """What Marp builds differently from what the deck asks, without a word:
    front matter it cannot parse is dropped whole, an unknown theme becomes
    the default one. Warnings: the build goes on, as Marp's does."""
    found = []
    fm = deck.front_matter
    if fm is not None and fm.error is not None:
        found.append(Finding(deck.display_path, fm.line + 1 + (fm.error.line or 0), (fm.error.column or 0) + 1,
                             "MK101", f"front matter is not valid YAML ({fm.error}): Marp drops all of it "
                             "(theme, paginate, footer…) and builds the deck without it", "warning", 1,
                             deck.slides[0].title if deck.slides else None))
    theme = deck.global_directives.get("theme")
    if isinstance(theme, str) and theme.strip() and theme.strip() not in themes:
        use = next((u for u in reversed(deck.directive_uses) if u.key in ("theme", "$theme")), None)
        found.append(Finding(deck.display_path, use.line if use else 1, 1, "MK105",
                             f"unknown theme `{theme.strip()}` (known: {', '.join(sorted(themes))}): "
                             "Marp builds the deck in the default theme", "warning", 1,
                             deck.slides[0].title if deck.slides else None))
    return found


def prepare(project: Project, paths: tuple[str, ...], store: SnippetStore,
            settings: MarpSettings | None = None) -> tuple[list[Job], list[Finding], str]:
    """Load and expand every deck once; the digest covers all the build depends on."""
    shared = context(project, settings or MarpSettings.of(project))
    handout = handout_context(project)
    private = project.build_settings.private_notes
    reader = output_reader(project, store)
    themes = load_themes(project.themes_dir)
    jobs, errors = [], []
    for path in deck_paths(project, paths):
        try:
            deck = open_deck(project, path)
        except Unreadable as exc:
            errors.append(exc.finding)
            continue
        resolutions = resolve_deck(deck, store)
        text, findings = expand(deck, store, reader, resolutions)
        pairs, asset_findings = collect_assets(deck, project, path.parent)
        findings += asset_findings + silent_fallbacks(deck, themes)
        if any(f.severity == "error" for f in findings):
            errors += findings
            continue
        assets = fingerprint(pairs)
        # Global directives (theme, style) may sit anywhere in the deck; the rest
        # of the first slide is its lines and the code its fences show.
        first = deck.slides[0]
        first_slide = digest(shared, assets, json.dumps(deck.global_directives, sort_keys=True),
                             deck.text[:deck.offset(first.end_line) + len(deck.line_text(first.end_line))],
                             *(r.code for r in resolutions if r.block.slide == 1))
        # The digest covers the notes even when Marp is given the deck without them:
        # the handout shows them.
        whole = digest(shared, text, assets)
        published = without_notes(text, path) if private else text
        jobs.append(Job(deck, path, published, whole, first_slide, findings,
                        digest(whole, handout), resolutions, pairs))
    return jobs, errors, shared
