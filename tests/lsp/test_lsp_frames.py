"""`marpkit lsp` against a client that breaks the protocol: raw frames over stdio.

pytest-lsp's client cannot send a wrong Content-Length or a negative
position, so these tests speak JSON-RPC to the real server themselves.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading

import pytest

from conftest import ROOT, write

DECK = "---\nmarp: true\n---\n\n# Hi\n"
WAIT_S = 60  # a guard against a hung server, not a measurement


class RawClient:
    def __init__(self, cwd):
        self.proc = subprocess.Popen([sys.executable, "-m", "marpkit", "lsp"], cwd=cwd,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, "PYTHONPATH": str(ROOT / "tools")})
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line == b"\r\n":
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(out.read(length)))

    def send_raw(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params) -> int:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def response(self, msg_id: int) -> dict:
        while True:
            message = self.messages.get(timeout=WAIT_S)
            assert message is not None, "the server closed its output: " + self.stderr()
            if message.get("id") == msg_id and "method" not in message:
                return message

    def notifications(self, method: str):
        while True:
            message = self.messages.get(timeout=WAIT_S)
            assert message is not None, "the server closed its output: " + self.stderr()
            if message.get("method") == method:
                yield message["params"]

    def stderr(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        return self.proc.stderr.read().decode(errors="replace")

    def close(self) -> int:
        if self.proc.poll() is None:
            self.response(self.request("shutdown", None))
            self.send({"method": "exit"})
            return self.proc.wait(WAIT_S)
        return self.proc.returncode


@pytest.fixture
def client(project):
    deck = write(project / "slides" / "d.md", DECK)
    raw = RawClient(project)
    reply = raw.response(raw.request("initialize", {"processId": None, "rootUri": project.as_uri(),
                                                    "capabilities": {}}))
    assert "capabilities" in reply["result"]
    raw.send({"method": "initialized", "params": {}})
    raw.uri = deck.resolve().as_uri()
    raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": raw.uri, "languageId": "markdown", "version": 1, "text": DECK}}})
    yield raw
    if raw.proc.poll() is None:
        raw.proc.kill()
        raw.proc.wait()


def completion(client, line: int, character: int) -> int:
    return client.request("textDocument/completion", {
        "textDocument": {"uri": client.uri}, "position": {"line": line, "character": character}})


def test_a_request_with_a_negative_position_gets_an_error_response(client):
    reply = client.response(completion(client, -1, -5))
    assert reply["error"]["code"] == -32602  # InvalidParams
    assert "textDocument/completion" in reply["error"]["message"]
    assert "result" in client.response(completion(client, 1, 0))  # and it goes on serving
    assert client.close() == 0


def test_an_absurd_frame_is_refused_and_the_server_keeps_serving(client):
    client.send_raw(b"Content-Length: 99999999999999\r\n\r\n{}")
    assert "result" in client.response(completion(client, 1, 0))
    client.send_raw(b"Content-Length: 99999999999999\r\n\r\n")  # a body that never comes
    client.send_raw(b"x" * 100_000 + b"\r\n")  # then garbage, then a real message
    assert "result" in client.response(completion(client, 3, 0))
    assert client.close() == 0
    assert "refused a frame of 99999999999999 bytes (the limit is 64 MiB)" in client.stderr()


def test_a_malformed_pyproject_is_a_diagnostic_not_a_dead_server(project):
    write(project / "pyproject.toml", "tool = 5\n")
    raw = RawClient(project)
    try:
        raw.response(raw.request("initialize", {"processId": None, "rootUri": project.as_uri(),
                                                "capabilities": {}}))
        raw.send({"method": "initialized", "params": {}})
        uri = write(project / "slides" / "d.md", DECK).resolve().as_uri()
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "markdown", "version": 1, "text": DECK}}})
        published = next(p for p in raw.notifications("textDocument/publishDiagnostics") if p["uri"] == uri)
        assert any("tool must be a table, not 5" in d["message"] for d in published["diagnostics"])
        assert raw.close() == 0
    finally:
        if raw.proc.poll() is None:
            raw.proc.kill()
            raw.proc.wait()
