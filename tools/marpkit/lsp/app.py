"""The server with every capability attached.

The capability modules build on `server` (its class, `uri_to_path`); the
server itself knows none of them, so they are put together here.
"""

from __future__ import annotations

from marpkit.lsp import actions, completion, navigation, sync
from marpkit.lsp.server import MarpkitServer


def create_server() -> MarpkitServer:
    server = MarpkitServer()
    for module in (sync, actions, navigation, completion):
        module.register(server)
    return server
