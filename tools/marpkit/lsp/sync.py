"""Document life cycle and file watching: what makes the passes run."""

from __future__ import annotations

import asyncio
import threading

from lsprotocol import types

from marpkit.config import DEFAULT_DIRS
from marpkit.lsp.server import MarpkitServer, uri_to_path

# Files whose change can alter what an open deck shows or how it lints.
# The check cache too: a `marpkit check` in a terminal updates the fences' status.
# (A client takes these once for every project: the default folders.)
WATCHED = (f"**/{DEFAULT_DIRS['snippets_dir']}/**", f"**/{DEFAULT_DIRS['themes_dir']}/**",
           "**/pyproject.toml", f"**/{DEFAULT_DIRS['cache_dir']}/check/**")


def register(server: MarpkitServer) -> None:
    @server.feature(types.INITIALIZED)
    def initialized(ls: MarpkitServer, params: types.InitializedParams):
        caps = ls.client_capabilities.workspace
        watch = caps.did_change_watched_files if caps is not None else None
        ls.client_watches = bool(watch is not None and watch.dynamic_registration)
        if ls.client_watches:
            ls.client_register_capability(types.RegistrationParams([types.Registration(
                id="marpkit-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    [types.FileSystemWatcher(glob_pattern=g) for g in WATCHED]))]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MarpkitServer, params: types.DidOpenTextDocumentParams):
        ls.schedule(params.text_document.uri, delay=0)
        _watch_project(ls, params.text_document.uri)
        _touch_snippet(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MarpkitServer, params: types.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri)
        _touch_snippet(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MarpkitServer, params: types.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        path = uri_to_path(uri)
        if path is not None and path.name == "pyproject.toml":
            ls.revalidate_all()
            return
        ls.schedule(uri, delay=0)
        ls.lint_rendered(uri)
        _touch_snippet(ls, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MarpkitServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.forget(uri)
        ls.publish(uri)
        _touch_snippet(ls, uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MarpkitServer, params):
        for stop in ls.self_watched.values():
            stop.set()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: MarpkitServer, params: types.DidChangeWatchedFilesParams):
        ls.revalidate_all()


def _touch_snippet(ls: MarpkitServer, uri: str) -> None:
    """An edit to a snippet or theme buffer re-lints the decks that read it."""
    path = uri_to_path(uri)
    if path is None or path.suffix == ".md":
        return
    scope = ls.scope(path)
    if scope.is_snippet(path) or scope.is_theme(path):
        if scope.project.root in ls.statuses:
            ls.statuses[scope.project.root].forget()
        for deck in ls.open_decks(scope):
            ls.schedule(deck)


def _watch_project(ls: MarpkitServer, uri: str) -> None:
    """For a client that cannot watch files for the server: watch the project's
    snippets and themes folders from a thread of our own."""
    if ls.client_watches:
        return
    path = uri_to_path(uri)
    if path is None:
        return
    scope = ls.scope(path)
    root = scope.project.root
    watched = ls.self_watched
    if not scope.in_project or root in watched:
        return
    from marpkit.check.cache import Cache

    folders = [str(d) for d in (scope.project.snippets_dir, scope.project.themes_dir,
                                Cache(scope.project.cache_dir).dir) if d.is_dir()]
    if not folders:
        return
    stop = watched[root] = threading.Event()
    loop = asyncio.get_running_loop()

    def run() -> None:
        import watchfiles

        try:
            for _changes in watchfiles.watch(*folders, stop_event=stop, debounce=100, rust_timeout=500):
                loop.call_soon_threadsafe(ls.revalidate_all)
        except Exception:  # noqa: BLE001 - a folder that vanished ends the watch, not the server
            return

    threading.Thread(target=run, name="marpkit-watch", daemon=True).start()
