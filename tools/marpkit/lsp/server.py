"""The server: documents, projects and the passes that lint them.

Linting never runs on the event loop. A change schedules the deck pass of its
buffer after a short quiet period (typing a word lints once); the pass runs on
a worker thread, and its result is published only if the buffer has not
changed meanwhile, so the last state always wins. The project pass (rules
across decks, snippet files) follows on the same worker after a longer pause;
rendered rules run after a save on a worker of their own, so a browser run
never holds back the diagnostics of the next keystroke.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from marpkit import __version__
from marpkit.findings import Finding, UsageError
from marpkit.fsutil import real
from marpkit.lsp import analysis as passes
from marpkit.lsp.analysis import Analysis
from marpkit.lsp.checkstatus import CheckStatuses
from marpkit.lsp.diagnostics import SOURCE, check_diagnostic, to_diagnostic
from marpkit.lsp.frames import FrameGuard, Protocol
from marpkit.lsp.positions import Text
from marpkit.lsp.workspace import Scope, Scopes

DEBOUNCE_S = 0.01
PROJECT_DEBOUNCE_S = 0.3
NAVIGATION_WAIT_S = 1.0
log = logging.getLogger("marpkit.lsp")


def uri_to_path(uri: str) -> Path | None:
    """The file a `file:` URI names (drive letters and UNC paths included); None otherwise."""
    path = to_fs_path(uri)
    return Path(path) if path else None


class MarpkitServer(LanguageServer):
    def __init__(self):
        super().__init__("marpkit", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=Protocol)
        self.scopes = Scopes()
        self.statuses: dict[Path, CheckStatuses] = {}
        self.analyses: dict[str, Analysis] = {}
        self.project_findings: dict[Path, dict[Path, list[Finding]]] = {}  # root -> file -> found
        self.rendered: dict[str, list[Finding]] = {}
        self.rendered_off: dict[Path, str] = {}  # project root -> why rendered rules are off there
        self.published: set[str] = set()
        self.client_watches = True  # until `initialized` says the client cannot
        self.self_watched: dict[Path, threading.Event] = {}  # project root -> stop
        self._lint_pool = ThreadPoolExecutor(1, thread_name_prefix="marpkit-lint")
        self._render_pool = ThreadPoolExecutor(1, thread_name_prefix="marpkit-render")
        self._nav_pool = ThreadPoolExecutor(1, thread_name_prefix="marpkit-navigate")
        self._navigation: dict[tuple[str, int | None], asyncio.Future] = {}
        self._pending: dict[str, asyncio.Task] = {}
        self._render_queued: set[str] = set()
        self._project_pending: dict[Path, asyncio.Task] = {}

    def start_io(self, stdin=None, stdout=None):
        super().start_io(FrameGuard(stdin or sys.stdin.buffer), stdout)

    # -- documents ---------------------------------------------------------

    @property
    def encoding(self) -> str:
        try:
            return self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        except (AttributeError, RuntimeError):
            return types.PositionEncodingKind.Utf16

    def text_of(self, uri: str) -> str | None:
        doc = self.workspace.text_documents.get(uri)
        return doc.source if doc is not None else None

    def version_of(self, uri: str) -> int | None:
        doc = self.workspace.text_documents.get(uri)
        return doc.version if doc is not None else None

    def scope(self, path: Path) -> Scope:
        return self.scopes.for_path(path)

    def buffers(self) -> dict[Path, str]:
        """Every open file's text, by resolved path."""
        out = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            path = uri_to_path(uri)
            if path is not None:
                out[real(path)] = doc.source
        return out

    def open_decks(self, scope: Scope | None = None) -> list[str]:
        out = []
        for uri in list(self.workspace.text_documents):
            path = uri_to_path(uri)
            if path is not None and path.suffix == ".md":
                if scope is None or self.scope(path).project.root == scope.project.root:
                    out.append(uri)
        return out

    async def analysis(self, uri: str) -> Analysis | None:
        """The analysis of an open deck as the buffer is now. Made on a worker if
        the buffer changed since the last one; a deck that takes longer than
        NAVIGATION_WAIT_S gets the previous analysis, never a blocked editor."""
        current = self.analyses.get(uri)
        version = self.version_of(uri)
        if current is not None and current.version == version:
            return current
        text = self.text_of(uri)
        path = uri_to_path(uri)
        if text is None or path is None or path.suffix != ".md":
            return current
        key = (uri, version)
        job = self._navigation.get(key)
        if job is None:
            loop = asyncio.get_running_loop()
            job = self._navigation[key] = loop.run_in_executor(
                self._nav_pool, self._analyse, uri, path, version, text, self.scope(path), self.buffers())
            job.add_done_callback(lambda _: self._navigation.pop(key, None))
        try:
            result = await asyncio.wait_for(asyncio.shield(job), NAVIGATION_WAIT_S)
        except TimeoutError:
            return current
        except Exception:  # noqa: BLE001 - a feature answers with what it has
            log.exception("analysis of %s failed", uri)
            return current
        if self.version_of(uri) == version and (
                uri not in self.analyses or self.analyses[uri].version != version):
            self.analyses[uri] = result
        return result

    def _analyse(self, uri: str, path: Path, version: int | None, text: str, scope: Scope,
                 buffers: dict[Path, str]) -> Analysis:
        """On a worker: everything it reads was taken on the event loop."""
        statuses = None
        if scope.in_project:
            root = scope.project.root
            if root not in self.statuses or self.statuses[root].project is not scope.project:
                self.statuses[root] = CheckStatuses(scope.project)
            statuses = self.statuses[root]
        return passes.analyse(uri, path, version, text, scope, buffers, statuses, self.encoding)

    # -- scheduling --------------------------------------------------------

    def schedule(self, uri: str, delay: float = DEBOUNCE_S) -> None:
        """Lint `uri` (a deck or a snippet file) once the buffer has been quiet for `delay`."""
        path = uri_to_path(uri)
        if path is None:
            return
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        scope = self.scope(path)
        if path.suffix == ".md":
            self._pending[uri] = asyncio.ensure_future(self._lint_deck(uri, path, delay))
        elif not (scope.is_snippet(path) or scope.is_theme(path)):
            return  # another file of the project: nothing marpkit reads
        if scope.in_project:
            self.schedule_project(scope)

    def schedule_project(self, scope: Scope, delay: float = PROJECT_DEBOUNCE_S) -> None:
        root = scope.project.root
        pending = self._project_pending.pop(root, None)
        if pending is not None:
            pending.cancel()
        self._project_pending[root] = asyncio.ensure_future(self._lint_project(scope, delay))

    def revalidate_all(self) -> None:
        """Snippets or themes changed on disk: every open deck may read differently."""
        self.scopes.forget()
        for statuses in self.statuses.values():
            statuses.forget()
        for uri in self.open_decks():
            self.schedule(uri)
        roots = {}
        for uri in self.open_decks():
            scope = self.scope(uri_to_path(uri))
            if scope.in_project:
                roots[scope.project.root] = scope
        for scope in roots.values():
            self.schedule_project(scope)

    async def _lint_deck(self, uri: str, path: Path, delay: float) -> None:
        await asyncio.sleep(delay)
        text, version = self.text_of(uri), self.version_of(uri)
        if text is None:
            return
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._lint_pool, self._analyse, uri, path, version, text,
                                                self.scope(path), self.buffers())
        except UsageError as exc:
            self.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"marpkit: {exc}"))
            return
        except Exception:  # noqa: BLE001 - the server outlives a failing rule
            log.exception("lint of %s failed", uri)
            return
        if self.version_of(uri) != version:
            return  # a newer change is already scheduled
        self.analyses[uri] = result
        self.publish(uri)

    async def _lint_project(self, scope: Scope, delay: float) -> None:
        await asyncio.sleep(delay)
        decks = [uri_to_path(u) for u in self.open_decks(scope)]
        buffers = self.buffers()
        texts = {p: buffers[real(p)] for p in decks if real(p) in buffers}
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(self._lint_pool, passes.project_pass, scope, decks,
                                               texts, buffers)
        except Exception:  # noqa: BLE001
            log.exception("project lint of %s failed", scope.project.root)
            return
        before = self.project_findings.get(scope.project.root, {})
        self.project_findings[scope.project.root] = found
        for path in {*before, *found}:
            uri = path.as_uri()
            known = next((u for u in self.workspace.text_documents if uri_to_path(u) == path), uri)
            self.publish(known)

    def lint_rendered(self, uri: str) -> None:
        path = uri_to_path(uri)
        if path is None or path.suffix != ".md":
            return
        scope = self.scope(path)
        # Rendering needs the project's Marp engine: a file outside a project has none.
        if not scope.in_project or scope.project.root in self.rendered_off:
            return
        if uri in self._render_queued:
            return  # saves that pile up while a browser run is busy are rendered once
        self._render_queued.add(uri)
        asyncio.ensure_future(self._lint_rendered(uri, path))

    def _rendered_job(self, uri: str, scope: Scope, path: Path) -> list[Finding]:
        self._render_queued.discard(uri)  # a save from now on needs a run of its own
        return passes.rendered_pass(scope, path)

    async def _lint_rendered(self, uri: str, path: Path) -> None:
        from marpkit.lint.render import RenderUnavailable

        loop = asyncio.get_running_loop()
        scope = self.scope(path)
        started = time.monotonic()
        try:
            found = await loop.run_in_executor(self._render_pool, self._rendered_job, uri, scope, path)
        except RenderUnavailable as exc:
            self.rendered_off[scope.project.root] = str(exc)
            self.window_log_message(types.LogMessageParams(
                types.MessageType.Warning, f"marpkit: rendered lint rules are off: {exc}"))
            return
        except UsageError as exc:
            self.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"marpkit: {exc}"))
            return
        except Exception:  # noqa: BLE001
            log.exception("rendered lint of %s failed", uri)
            return
        self.rendered[uri] = found
        self.publish(uri)
        self.window_log_message(types.LogMessageParams(types.MessageType.Log, (
            f"marpkit: rendered rules: {len(found)} finding(s) in {path.name} "
            f"({time.monotonic() - started:.2f} s)")))

    # -- publishing --------------------------------------------------------

    def diagnostics_for(self, uri: str) -> list[types.Diagnostic]:
        path = uri_to_path(uri)
        current = self.analyses.get(uri)
        if current is not None:
            text = current.text
        else:
            source = self.text_of(uri)
            if source is None and path is not None:
                try:
                    source = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    source = ""
            text = Text(source or "", self.encoding)
        root = current.scope.project.root if current is not None else None
        out = []
        if current is not None and current.scope.error:
            out.append(types.Diagnostic(
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                message=f"marpkit: {current.scope.error} (linting with the default settings)",
                severity=types.DiagnosticSeverity.Error, source=SOURCE))
        if current is not None:
            out += [to_diagnostic(f, current, text, root) for f in current.findings]
            out += [d for res, status in current.checks if (d := check_diagnostic(current, res, status))]
        if path is not None:
            key = real(path)
            for project_root, by_file in self.project_findings.items():
                out += [to_diagnostic(f, current, text, project_root) for f in by_file.get(key, [])]
        out += [to_diagnostic(f, current, text, root) for f in self.rendered.get(uri, [])]
        return out

    def publish(self, uri: str) -> None:
        diagnostics = self.diagnostics_for(uri)
        if not diagnostics and uri not in self.published and uri not in self.workspace.text_documents:
            return
        self.published.add(uri)
        current = self.analyses.get(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=current.version if current else None))

    def forget(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.analyses.pop(uri, None)
        self.rendered.pop(uri, None)


__all__ = ["MarpkitServer", "SOURCE", "uri_to_path"]
