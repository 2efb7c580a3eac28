"""The client's pipe, made safe for the server: every request is answered and
no frame can take the server down.

pygls reads a frame by its `Content-Length` alone (99999999999999 bytes was a
MemoryError that ended the server) and drops a request whose parameters fail
validation (a negative position) without a response, so the client waits
forever. Here a frame over MAX_FRAME is refused: the server skips to the next
`Content-Length` header and goes on. A request that cannot be read gets the
JSON-RPC error response the specification asks for (InvalidParams, with its id).
"""

from __future__ import annotations

import logging
import re
from typing import BinaryIO

from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification

from marpkit.text import split_lines

# Far above any real message (a whole course's decks in one didOpen is a few
# MiB), far below what a 64-bit length can ask of memory.
MAX_FRAME = 64 * 1024 * 1024
# Header lines are read at most this long, so a line without an end cannot
# fill memory either; a longer one is read in pieces and ignored as garbage.
_LINE = 64 * 1024
_HEADER = re.compile(rb"Content-Length: \d+\r\n")
# What the server is handed instead of a refused frame: a notification nobody
# handles ($/ methods may be ignored, says the specification).
_IGNORED = "$/marpkit/refused"
log = logging.getLogger("marpkit.lsp")


class FrameGuard:
    """stdin as pygls reads it (readline for headers, read for the body), with
    MAX_FRAME enforced."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.skipping = False  # the body of a refused frame is still on the pipe

    def readline(self) -> bytes:
        while True:
            line = self.stream.readline(_LINE)
            if not line or not self.skipping:
                return line
            # A body need not end in a newline: the next header may share its line.
            at = line.find(b"Content-Length: ")
            if at >= 0 and _HEADER.fullmatch(line, at):
                self.skipping = False
                return line[at:]

    def read(self, size: int) -> bytes:
        if size <= MAX_FRAME:
            return self.stream.read(size)
        log.error("refused a frame of %d bytes (the limit is %d MiB); skipping to the next message",
                  size, MAX_FRAME // 2**20)
        self.skipping = True
        return b'{"jsonrpc": "2.0", "method": "%s", "params": null}' % _IGNORED.encode()


class Protocol(LanguageServerProtocol):
    """pygls' protocol, except that a request it cannot read is answered."""

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not (isinstance(data.get("id"), int | str) and "method" in data):
                raise  # a notification or a response: nobody waits for an answer
            message = f"{exc.message} for {data['method']}: {_why(exc)}"
            log.warning("%s (answered with an error)", message)
            self._send_response(data["id"], error=ResponseError(exc.code, message))
            return JsonRPCNotification(method=_IGNORED, jsonrpc="2.0", params=None)

    def _handle_notification(self, method_name, params):
        if method_name != _IGNORED:
            super()._handle_notification(method_name, params)


def _why(exc: Exception) -> str:
    """cattrs' reasons, one line ("invalid value for type, expected ... @ $.position.line")."""
    from cattrs import transform_error
    from cattrs.errors import ClassValidationError

    cause = exc.__cause__
    if isinstance(cause, ClassValidationError):
        return "; ".join(transform_error(cause, path="$"))
    return split_lines(str(cause or exc))[0] if str(cause or exc) else type(cause or exc).__name__
