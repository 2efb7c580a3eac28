"""`marpkit lsp` speed, through a real client over stdio.

Targets (one run): after a one-character change in the Module 5 deck, static
diagnostics published <= 50 ms (median of 20); hover and definition on a
snippet fence <= 20 ms (median of 20); rendered diagnostics after a save <=
1.2x a fresh `marpkit lint` process on the same deck, measured in this run.
Reported: the server's memory after opening every deck of the course and the
corpus decks, beside its memory when idle. Run from the project root:

    .venv/bin/python bench/bench_lsp.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "decks"
DECK = ROOT / "slides" / "05-wandb-tracking.md"
RUNS = 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Client(LanguageClient):
    def __init__(self):
        super().__init__("marpkit-bench", "1")
        self.published: dict[str, list[tuple[int | None, float]]] = {}
        self.logs: list[tuple[str, float]] = []
        self.changed = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams):
            self.published.setdefault(params.uri, []).append((params.version, time.perf_counter()))
            self.changed.set()

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams):
            self.logs.append((params.message, time.perf_counter()))
            self.changed.set()

        @self.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params):
            return None

    async def until(self, test, timeout: float = 120.0):
        deadline = time.perf_counter() + timeout
        while not (found := test()):
            self.changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("the server did not answer in time")
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass
        return found

    def open(self, path: Path) -> str:
        uri = path.resolve().as_uri()
        self.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri, "markdown", 1, path.read_text(encoding="utf-8", errors="replace"))))
        return uri


def static_lint_ms(runs: int = RUNS) -> float:
    """The plain baseline for a keystroke: static lint of the deck in this process
    (the engine's own cost, without protocol, debounce or threads)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from marpkit.config import load_project
    from marpkit.lint import engine
    from marpkit.lint.settings import load_settings

    project = load_project(ROOT)
    settings = load_settings(project.section("lint"))
    engine.run(project, settings, [DECK], render=False, whole_project=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        engine.run(project, settings, [DECK], render=False, whole_project=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def fresh_lint_s(runs: int = 3) -> float:
    cmd = [str(ROOT / ".venv" / "bin" / "marpkit"), "lint", str(DECK)]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def measure() -> list[dict]:
    client = Client()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools")}
    await client.start_io(sys.executable, "-m", "marpkit", "lsp", env=env)
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri()))
    client.initialized(types.InitializedParams())
    pid = client._server.pid
    idle = rss_mb(pid)

    text = DECK.read_text(encoding="utf-8")
    uri = client.open(DECK)
    await client.until(lambda: client.published.get(uri))
    line = next(n for n, s in enumerate(text.splitlines()) if s.startswith("# "))
    version = 1
    latencies = []
    for n in range(RUNS):
        version += 1
        at = types.Position(line, 2)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(at, at) if n % 2 == 0 else types.Range(at, types.Position(line, 3)),
            text="x" if n % 2 == 0 else "")
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version, uri), [change]))
        got = await client.until(lambda v=version: next(
            (t for ver, t in client.published.get(uri, []) if ver == v), None))
        latencies.append(got - sent)
        await asyncio.sleep(0.05)  # the next keystroke comes after this one is shown

    fence_line = next(n for n, s in enumerate(text.splitlines()) if "snippet=" in s)
    fence = types.Position(fence_line, s_col(text, fence_line))
    doc = types.TextDocumentIdentifier(uri)
    hovers, definitions = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        await client.text_document_hover_async(types.HoverParams(doc, fence))
        hovers.append(time.perf_counter() - start)
        start = time.perf_counter()
        await client.text_document_definition_async(types.DefinitionParams(doc, fence))
        definitions.append(time.perf_counter() - start)

    # The buffer is back to the file's text (an even number of changes): save it.
    baseline = fresh_lint_s()
    saves = []
    for _ in range(3):
        seen = len(client.logs)
        start = time.perf_counter()
        client.text_document_did_save(types.DidSaveTextDocumentParams(doc))
        done = await client.until(lambda s=seen: next(
            (t for m, t in client.logs[s:] if "rendered rules" in m), None))
        saves.append(done - start)
    rendered = statistics.median(saves)

    decks = sorted((ROOT / "slides").glob("*.md")) + sorted(CORPUS.glob("*.md"))
    uris = [client.open(p) for p in decks if p.resolve() != DECK.resolve()]
    await client.until(lambda: all(u in client.published for u in uris), timeout=300)
    loaded = rss_mb(pid)

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()

    static_ms = statistics.median(latencies) * 1000
    engine_ms = static_lint_ms()
    hover_ms = statistics.median(hovers) * 1000
    definition_ms = statistics.median(definitions) * 1000
    return [
        {"name": "static diagnostics after 1-char change, median (ms)", "value": static_ms,
         "unit": "ms", "target": "<= 50", "ok": static_ms <= 50},
        {"name": "static lint of the deck in-process (baseline, ms)", "value": engine_ms, "unit": "ms"},
        {"name": "hover on a snippet fence, median (ms)", "value": hover_ms, "unit": "ms",
         "target": "<= 20", "ok": hover_ms <= 20},
        {"name": "definition from snippet=, median (ms)", "value": definition_ms, "unit": "ms",
         "target": "<= 20", "ok": definition_ms <= 20},
        {"name": "`marpkit lint DECK`, fresh process (baseline, s)", "value": baseline, "unit": "s"},
        {"name": "rendered diagnostics after save, median of 3 (s)", "value": rendered, "unit": "s"},
        {"name": "rendered after save / fresh lint", "value": rendered / baseline, "unit": "x",
         "target": "<= 1.2", "ok": rendered / baseline <= 1.2},
        {"name": "server memory, idle (MB)", "value": idle, "unit": "MB"},
        {"name": f"server memory, {len(decks)} decks open (MB)", "value": loaded, "unit": "MB"},
    ]


def s_col(text: str, line: int) -> int:
    return text.splitlines()[line].index("snippet=")


def main() -> list[dict]:
    return asyncio.run(measure())


if __name__ == "__main__":
    for row in main():
        print(row)
