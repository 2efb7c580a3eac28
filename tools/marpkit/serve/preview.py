"""`marpkit serve`: a live preview for presenters.

marpkit writes an expanded copy of every deck (snippet fences replaced by the
files' current code) to a preview folder under the cache dir (never in the
build folder, which is published), and Marp CLI's own server serves that
folder, on loopback only unless `--host` says otherwise. Marp's server
watches the folder and tells open pages to reload over its websocket, so
marpkit only has to rewrite a preview when its source changes: saving a
snippet re-expands just the decks that reference it.

The preview folder mirrors the build folder's layout (assets copied next to
the previews) so relative image paths resolve exactly as in `marpkit build`.
Marp reads themes from atomic copies of themes/*.css (see Preview.sync_themes)
and reloads the pages that use a theme when its copy changes.

Marp runs in its own process group, stopped as a whole on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import click

from marpkit import marp, procs
from marpkit.build.assets import copy_assets
from marpkit.config import Project
from marpkit.findings import Exit, Finding, UsageError, print_findings
from marpkit.fsutil import WriteError, atomic_write, inside, real
from marpkit.marp import themes as theme_check
from marpkit.marp.converter import MarpSettings
from marpkit.model.assets import asset_file, local_assets
from marpkit.model.load import Unreadable, open_deck
from marpkit.snippets.expand import expand, sync_deck
from marpkit.snippets.store import SnippetStore, resolve_deck

SERVE_DIR = "serve"  # under the cache dir: the preview, the themes Marp reads, its config
DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"  # unpublished slides are not for the whole network
# Marp CLI's server takes a port (PORT) but no host: its HTTP server and its
# reload notifier listen on every interface. Preloaded into its Node, this
# makes a listen that names no host bind to MARPKIT_LISTEN_HOST.
LISTEN_HOST_JS = Path(__file__).resolve().parent.parent / "assets" / "listen_host.js"
READY_TIMEOUT = 30.0  # seconds for Marp's server to start listening
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL for Marp's process group
# How long the saves must have been quiet before their decks are linted. The
# pages a save reloads are served first: Marp converts a deck when its page
# asks for it, and the rendered lint's browser, started at the same moment,
# took the two cores from that conversion (a snippet save was served in 2.9
# times plain Marp's time). It also makes a burst of saves one lint.
LINT_SETTLE = 0.3
# Watching: how long a burst of changes must stay quiet before it is handled
# (an editor's save, truncate-and-write or write-and-rename, takes well under
# a millisecond), and the longest a stream of changes is held back.
WATCH_STEP_MS, WATCH_DEBOUNCE_MS = 5, 400


@dataclass
class Preview:
    """The preview folder, and which files each deck's preview is made from."""

    project: Project
    folder: Path
    snippets: dict[Path, set[Path]] = field(default_factory=dict)  # deck -> snippet files
    assets: dict[Path, set[Path]] = field(default_factory=dict)  # deck -> images it names
    rendered_lint: bool = True  # off for the session once the browser or engine is missing

    @property
    def assets_project(self) -> Project:
        # copy_assets writes into project.build_dir; aim it at the preview.
        return replace(self.project, build_dir=self.folder)

    @property
    def themes(self) -> Path:
        # Outside the served folder, so the page index lists decks only.
        return self.folder.parent / "themes"

    def target(self, deck_path: Path) -> Path:
        return self.folder / deck_path.name

    def sync_themes(self) -> None:
        """Mirror themes/*.css for Marp, each copy replaced in one step.

        Marp reads a theme the moment it changes; an editor that truncates and
        rewrites the file in place can show it an empty theme, after which Marp
        neither registers the theme nor reloads pages again. Copies written
        atomically, once the save is complete, never look half-written.
        """
        self.themes.mkdir(parents=True, exist_ok=True)
        wanted = {path.name: path for path in theme_check.theme_files(self.project.themes_dir)}
        for copy in self.themes.glob("*.css"):
            if copy.name not in wanted:
                copy.unlink()
        for name, source in wanted.items():
            try:
                data = source.read_bytes()
            except OSError:
                continue  # deleted mid-save; the next event brings it back
            if b"@theme" not in data:
                continue  # caught mid-save (or broken): keep what Marp has now
            copy = self.themes / name
            if not copy.is_file() or copy.read_bytes() != data:
                atomic_write(copy, data)

    def render(self, deck_path: Path, store: SnippetStore,
               force: bool = False) -> list[Finding] | None:
        """Re-expand one deck; None if it cannot be read (its last preview stays).

        `force` rewrites the preview even if its text is unchanged, so that Marp
        reloads pages whose images changed.
        """
        try:
            deck = open_deck(self.project, deck_path)
        except Unreadable as exc:
            print_findings([exc.finding])
            return None
        resolutions = resolve_deck(deck, store)
        # Unresolved references are remembered too: creating the missing file
        # must update the deck.
        self.snippets[deck_path] = {_resolved(store, r.rel_path) for r in resolutions} - {None}
        self.assets[deck_path] = {
            real(deck_path.parent / asset_file(src))
            for src, _, _ in local_assets(deck)
        }
        # A fence whose reference does not resolve keeps its body: the presenter
        # still sees the deck, and the finding says what is wrong.
        text, findings = expand(deck, store, outputs=None, resolutions=resolutions)
        findings += copy_assets(deck, self.assets_project, deck_path.parent)
        target = self.target(deck_path)
        # Rewriting an unchanged preview would make Marp reload every open page.
        if force or not target.is_file() or target.read_text(encoding="utf-8") != text:
            atomic_write(target, text)
        return findings

    def remove(self, deck_path: Path) -> None:
        self.snippets.pop(deck_path, None)
        self.assets.pop(deck_path, None)
        self.target(deck_path).unlink(missing_ok=True)

    def decks_using(self, snippet: Path) -> list[Path]:
        snippet = real(snippet)
        return sorted(deck for deck, used in self.snippets.items() if snippet in used)

    def decks_showing(self, asset: Path) -> list[Path]:
        asset = real(asset)
        return sorted(deck for deck, used in self.assets.items() if asset in used)


def _resolved(store: SnippetStore, rel: str) -> Path | None:
    path = store.safe_path(rel)
    return real(path) if path is not None else None


# --------------------------------------------------------------------------- findings

def lint_findings(preview: Preview, deck_paths: list[Path], store: SnippetStore,
                  notes: list[str] | None = None) -> dict[Path, list[Finding]]:
    """Lint findings per deck, rendered rules included while a browser is at hand
    (one browser for all the decks of a save); without the lint package, the
    snippet sync findings. What the presenter should know about the lint itself
    goes to `notes` (printed at once without it)."""
    project = preview.project
    note = notes.append if notes is not None else click.echo
    try:
        from marpkit.lint import engine
        from marpkit.lint.settings import load_settings
    except ImportError:
        return {path: _sync_findings(project, path, store) for path in deck_paths}
    settings = load_settings(project.section("lint"))
    found = None
    if preview.rendered_lint:
        from marpkit.lint.render import RenderUnavailable

        try:
            found = engine.run(project, settings, deck_paths, render=True).findings
        except RenderUnavailable as exc:
            preview.rendered_lint = False
            note(f"marpkit: rendered lint rules are off in this preview: {exc.reason}")
        except theme_check.ThemeError:
            pass  # report() has shown where; static rules still run
        except UsageError as exc:  # this save's decks only (a crash, a deck Marp rejects)
            note(f"marpkit: rendered lint skipped for this save: {exc}")
    if found is None:
        found = engine.run(project, settings, deck_paths, render=False).findings
    by_deck: dict[Path, list[Finding]] = {path: [] for path in deck_paths}
    displays = {project.rel(path): path for path in deck_paths}
    for finding in found:
        if finding.path in displays:
            by_deck[displays[finding.path]].append(finding)
    return by_deck


def _sync_findings(project: Project, deck_path: Path, store: SnippetStore) -> list[Finding]:
    try:
        deck = open_deck(project, deck_path)
    except Unreadable:
        return []  # already reported by Preview.render
    errors, drifted, _ = sync_deck(deck, store)
    return errors + [finding for finding, _ in drifted]


def report(preview: Preview, updated: list[tuple[Path, list[Finding], float]],
           store: SnippetStore, before_printing=None) -> None:
    """Print what the presenter should fix in each updated deck: lint's view plus
    what only expansion sees. `before_printing` is called between linting and
    printing (serve's start-up holds the findings back until its URL is out)."""
    project = preview.project
    notes: list[str] = []
    # A theme Marp cannot parse leaves its decks themeless: say where it breaks.
    # Judged here, off the watch loop, so a theme's save reloads pages at once.
    try:
        print_findings(theme_check.theme_problems(project.root, project.cache_dir,
                                                  theme_check.theme_files(project.themes_dir)))
    except UsageError as exc:
        click.echo(f"marpkit: error: {exc}", err=True)
    try:
        linted = lint_findings(preview, [path for path, _, _ in updated], store, notes)
    except UsageError as exc:
        notes.append(f"not linted: {exc}")
        linted = {}
    if before_printing is not None:
        before_printing()
    for note in notes:
        click.echo(note)
    for deck_path, findings, elapsed in updated:
        mine = linted.get(deck_path, [])
        # Lint reports unresolved snippets itself; keep expansion's findings it lacks
        # (e.g. MK902 missing assets) without printing the same problem twice.
        seen = {(f.line, f.code) for f in mine}
        everything = mine + [f for f in findings if (f.line, f.code) not in seen]
        everything.sort(key=lambda f: (f.line, f.column, f.code))
        click.echo(f"{project.rel(deck_path)}: preview updated in {elapsed * 1000:.0f} ms, "
                   f"{len(everything)} finding(s)")
        print_findings(everything)


class Reporter:
    """Lints and reports updated decks off the watch loop.

    A rendered lint takes a browser run (about half a second): done inline, it
    would hold back the preview of the next save. Here the watch loop only
    hands decks over; saves that pile up during a lint are linted together,
    once, with the newest snippet files.
    """

    def __init__(self, preview: Preview, held: bool = False):
        self.preview = preview
        self._settle = LINT_SETTLE
        self._quiet_from = 0.0  # monotonic time from which the pending saves may be linted
        # While held, decks are linted but nothing is printed: `marpkit serve`
        # prints its URL first, and lints while Marp's server starts.
        self._released = threading.Event()
        if not held:
            self._released.set()
        self._pending: dict[Path, tuple[list[Finding], float]] = {}
        self._store: SnippetStore | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="marpkit-lint", daemon=True)
        self._thread.start()

    def submit(self, updated: list[tuple[Path, list[Finding], float]], store: SnippetStore) -> None:
        if not updated:
            return
        with self._lock:
            self._pending.update({path: (findings, elapsed) for path, findings, elapsed in updated})
            self._store = store
            self._quiet_from = time.monotonic() + self._settle
            self._idle.clear()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            # A save that comes while waiting moves the start on (LINT_SETTLE).
            while not self._stop and (left := self._quiet_from - time.monotonic()) > 0:
                self._wake.wait(left)
                self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, {}
                store = self._store
            if self._stop:
                self._idle.set()
                return
            if batch:
                try:
                    report(self.preview, [(p, f, e) for p, (f, e) in sorted(batch.items())], store,
                           self._released.wait)
                except Exception as exc:  # noqa: BLE001 - the preview must outlive a failed lint
                    click.echo(f"marpkit: error: lint failed: {exc}", err=True)
            with self._lock:
                if not self._pending:
                    self._idle.set()

    def release(self) -> None:
        """Print what is held back, and everything from now on as it comes."""
        self._released.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submitted deck is reported (True) or `timeout` passes."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Let a running lint finish (it owns a browser to kill), then stop."""
        self.release()
        self.wait(timeout)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout)


# --------------------------------------------------------------------------- Marp server

def probe_address(host: str) -> str:
    """Where to look for the server: the host itself, or loopback for a wildcard."""
    return {"": DEFAULT_HOST, "0.0.0.0": DEFAULT_HOST, "::": "::1"}.get(host, host)


def port_in_use(port: int, host: str = DEFAULT_HOST) -> bool:
    try:
        with socket.create_connection((probe_address(host), port), timeout=0.2):
            return True
    except OSError:
        return False


def start_marp(preview: Preview, port: int, host: str = DEFAULT_HOST) -> subprocess.Popen:
    project, folder = preview.project, preview.folder
    marp_js = marp.find_marp(project.root)
    # Any deck may take up KaTeX while it is served: its fonts are there from the start.
    # The theme set is the folder of copies: Marp watches it (new themes
    # included) and reloads the pages that use a changed theme.
    run = MarpSettings.of(project).cli_run(folder.parent / "marp.config.json", out_dir=folder,
                                           theme_set=[preview.themes])
    cmd = ["node", "--require", str(LISTEN_HOST_JS), str(marp_js), "--server", "--no-stdin",
           "-c", str(run.config), *run.args, str(folder)]
    # The browser is for ?pdf and ?pptx requests. The scratch folder is in the
    # command's private TMPDIR, which goes when serve does.
    env = marp.marp_env(Path(tempfile.mkdtemp(prefix="marp-")), marp.find_chromium())
    env.update(PORT=str(port), MARPKIT_LISTEN_HOST=host)
    # Its output is the terminal's; stopping its group also stops any browser
    # Marp started for ?pdf.
    return procs.spawn(cmd, cwd=project.root, env=env, stdout=None)


def wait_until_listening(proc: subprocess.Popen, port: int, host: str = DEFAULT_HOST) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UsageError(f"Marp CLI's server stopped with exit status {proc.returncode} "
                             "(see its message above)")
        if port_in_use(port, host):
            return
        time.sleep(0.05)
    raise UsageError(f"Marp CLI's server did not listen on port {port} within "
                     f"{READY_TIMEOUT:.0f}s")


def stop_marp(proc: subprocess.Popen) -> None:
    """Stop Marp and everything it started: its whole process group."""
    procs.end(proc, grace=STOP_TIMEOUT)


# --------------------------------------------------------------------------- watching

class _Stop(Exception):
    """SIGTERM: leave the watch loop the same way Ctrl-C does."""


def handle_changes(preview: Preview, changed: set[Path], reporter: Reporter | None = None) -> None:
    """Update the previews of what `changed` touches, then lint them: in the
    background with a `reporter`, before returning without one."""
    project = preview.project
    started = time.monotonic()
    store = SnippetStore(project.snippets_dir, project.cache_dir)  # fresh: files just changed
    decks: set[Path] = set()
    forced: set[Path] = set()  # same text but new images: reload anyway
    removed: set[Path] = set()
    theme_changed = False
    for path in changed:
        if path.parent == project.slides_dir and path.suffix == ".md":
            (decks if path.is_file() else removed).add(path)
            continue
        if inside(path, project.snippets_dir) is not None:
            decks.update(preview.decks_using(path))
        if inside(path, project.themes_dir) is not None:
            theme_changed = True
        forced.update(preview.decks_showing(path))
    for path in sorted(removed):
        preview.remove(path)
        click.echo(f"{project.rel(path)} removed from the preview")
    if theme_changed:
        # Marp reloads the pages once their theme's copy changes; marpkit only
        # re-lints, as theme names and slide sizes may have changed.
        preview.sync_themes()
        decks.update(project.decks())
    forced -= removed
    # Write every preview before linting any deck, so pages reload as early as possible.
    rendered = []
    for path in sorted(decks | forced):
        findings = preview.render(path, store, force=path in forced)
        if findings is not None:
            rendered.append((path, findings, time.monotonic() - started))
    if reporter is not None:
        reporter.submit(rendered, store)
    elif rendered:
        report(preview, rendered, store)


def watch_loop(preview: Preview, marp_proc: subprocess.Popen, reporter: Reporter) -> None:
    import watchfiles

    project = preview.project
    folders = [d for d in (project.slides_dir, project.snippets_dir, project.themes_dir)
               if d.is_dir()]
    # watchfiles' defaults (step 50 ms, debounce 1.6 s) would hold every save
    # back for 50 to 100 ms, longer than re-expanding and writing its preview.
    for changes in watchfiles.watch(*folders, debounce=WATCH_DEBOUNCE_MS, step=WATCH_STEP_MS,
                                    rust_timeout=500, yield_on_timeout=True, raise_interrupt=True):
        if marp_proc.poll() is not None:
            raise UsageError(f"Marp CLI's server stopped with exit status {marp_proc.returncode}")
        if not changes:
            continue
        try:
            handle_changes(preview, {real(Path(p)) for _, p in changes}, reporter)
        except (OSError, UsageError) as exc:
            # A presenter's preview must survive a bad save; the next one retries.
            click.echo(f"marpkit: error: {exc}", err=True)


def serve(project: Project, port: int, host: str = DEFAULT_HOST) -> int:
    marp.find_marp(project.root)  # a set-up problem is reported before anything is written
    if port_in_use(port, host):
        raise UsageError(f"port {port} is already in use: pass --port with a free one")
    # The address first, at once: Marp's server takes seconds to start, and
    # the findings of the first lint are printed only once it listens.
    shown_host = "localhost" if host in (DEFAULT_HOST, "::1") else host
    click.echo(f"marpkit serve: http://{shown_host}:{port}/ (starting Marp's server)")
    folder = project.cache_dir / SERVE_DIR / "preview"
    # On the way out, serve removes what it made and nothing else (config.py
    # has made sure the cache folder itself is marpkit's).
    made = folder.parent if not folder.parent.exists() else folder
    if folder.is_dir():
        shutil.rmtree(folder)  # no stale decks from an earlier session
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise WriteError.from_os(exc, folder) from None
    preview = Preview(project, folder)
    preview.sync_themes()
    store = SnippetStore(project.snippets_dir, project.cache_dir)
    updated = []
    for path in project.decks():
        started = time.monotonic()
        findings = preview.render(path, store)
        if findings is not None:
            updated.append((path, findings, time.monotonic() - started))
    reporter = Reporter(preview, held=True)
    reporter.submit(updated, store)  # linted while Marp's server starts, printed after the URL

    def on_term(signum, frame):
        raise _Stop()

    previous = signal.signal(signal.SIGTERM, on_term)
    proc = None
    try:
        proc = start_marp(preview, port, host)
        wait_until_listening(proc, port, host)
        where = probe_address(host)
        where = "localhost" if where in (DEFAULT_HOST, "::1") else (
            f"[{where}]" if ":" in where else where)
        click.echo(f"Serving {project.rel(folder)}/ at http://{where}:{port}/ "
                   "(Ctrl-C to stop)")
        for path in project.decks():
            click.echo(f"  http://{where}:{port}/{path.name}")
        reporter.release()
        watch_loop(preview, proc, reporter)
    except (KeyboardInterrupt, _Stop):
        click.echo("stopping")
    finally:
        # A second Ctrl-C must not cut the clean-up short and strand Marp.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            reporter.close()  # a lint in progress kills its browser on the way out
            if proc is not None:
                stop_marp(proc)
            shutil.rmtree(made, ignore_errors=True)  # the preview was this session's
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous)
    return Exit.OK
