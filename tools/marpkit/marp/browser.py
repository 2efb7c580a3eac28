"""Chromium as a child process of ours, driven over the DevTools protocol on a pipe.

Lint's rendered rules need only a few protocol calls: find the page, evaluate a
script in it, navigate, take a screenshot. Chromium answers them itself on
`--remote-debugging-pipe` (commands on its fd 3, replies on fd 4, each message
JSON ended by a NUL byte), so no driver process stands between marpkit and the
browser: Playwright's Node driver took longer to start and attach than the
rest of a one-deck lint run.

The browser is started and ended by procs, in a process group of its own
(Debian's `chromium` is a wrapper script around the real binary: ending
the group ends both, and every renderer).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from pathlib import Path

from marpkit import procs
from marpkit.text import split_lines

# Every Chromium marpkit starts, its own or Marp CLI's, renders offline: a
# dead proxy makes every network request fail at once, and the implicit
# bypass Chromium keeps for loopback addresses is removed (with it, a deck's
# `http://127.0.0.1:…/img.png` was still fetched). No request means no DNS
# look-up either: names are left to the proxy, which never answers.
OFFLINE_ARGS = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")
# How marpkit starts its own Chromium (lint's measuring, the build's handouts).
HEADLESS_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-extensions", "--disable-default-apps",
    "--force-color-profile=srgb",
    *OFFLINE_ARGS,
    "--no-zygote",
    # Every page of ours is working, none is a tab left in the background.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


def offline_launcher(chromium: str, folder: Path) -> Path:
    """A script in `folder` that starts `chromium` with OFFLINE_ARGS, for a
    program that takes a browser path but no browser flags (Marp CLI)."""
    import shlex

    from marpkit.procs import GROUPS_FILE

    script = folder / "chromium-offline"
    # Puppeteer starts the browser in a session of its own, out of Marp's
    # group: the launcher lists it, for procs to end (exec keeps the pid).
    listed = shlex.quote(str(folder / GROUPS_FILE))
    (folder / (GROUPS_FILE + ".mark")).write_text(OFFLINE_ARGS[-1] + "\n", encoding="utf-8")
    script.write_text(f"#!/bin/sh\necho $$ >> {listed}\nexec "
                      + " ".join(shlex.quote(a) for a in (chromium, *OFFLINE_ARGS)) + ' "$@"\n',
                      encoding="utf-8")
    script.chmod(0o700)
    return script


# Chromium reads commands on its fd 3 and writes replies on fd 4: the shell
# moves the pipes there from its stdin and stdout, and becomes Chromium.
_ON_FDS = 'exec "$@" 3<&0 4>&1 0</dev/null 1>/dev/null'


class BrowserError(Exception):
    """The browser died, hung, or refused a command; the message says which.
    `started` is False when it never answered at all (it could not start)."""

    def __init__(self, message: str, started: bool = True):
        super().__init__(message)
        self.started = started


class Browser:
    def __init__(self, chromium: str, args: list[str], log: Path):
        self.chromium = chromium
        self.log = log
        self._buffer = b""
        self._events: list[dict] = []
        self._next_id = 0
        self._answered = False
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        try:
            with open(log, "ab") as stderr:
                self.proc = procs.spawn(
                    ["/bin/sh", "-c", _ON_FDS, "marpkit-chromium", chromium,
                     "--remote-debugging-pipe", *args],
                    stdin=commands_read, stdout=replies_write, stderr=stderr)
        except BaseException:
            os.close(self._commands)
            os.close(self._replies)
            raise
        finally:
            os.close(commands_read)
            os.close(replies_write)

    # The protocol.

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Send one command without waiting: its reply is read (and dropped) later."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._commands, data):]
        except OSError:
            raise self._gone() from None
        return self._next_id

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        """Send one command and return its result."""
        ident = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline, f"no reply to {method} within {timeout:.0f}s")
            if reply.get("id") == ident:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, session: str | None, timeout: float = 30.0) -> dict:
        """The next event `method` on `session` (events that came before are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            while self._events:
                event = self._events.pop(0)
                if event["method"] == method and event.get("sessionId") == session:
                    return event.get("params", {})
            self._events.append(self._read(deadline, f"no {method} within {timeout:.0f}s"))

    def evaluate(self, session: str, function: str, arg=None, timeout: float = 30.0):
        """Call the JavaScript function `function` with `arg` (JSON) in the page and
        return its value, awaited if it is a promise."""
        result = self.call("Runtime.evaluate", {
            "expression": f"({function})({json.dumps(arg)})",
            "awaitPromise": True, "returnByValue": True}, session, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = (details.get("exception") or {}).get("description") or details.get("text")
            raise BrowserError(f"script failed: {split_lines(str(text))[0] if text else details}")
        return result.get("result", {}).get("value")

    def pages(self, suffixes: list[str], timeout: float = 30.0) -> list[str]:
        """Sessions attached to the pages whose addresses end in `suffixes`, in
        that order, once the browser has opened them all."""
        deadline = time.monotonic() + timeout
        while True:
            targets = [t for t in self.call("Target.getTargets", timeout=timeout)["targetInfos"]
                       if t["type"] == "page"]
            found = [next((t for t in targets if t["url"].endswith(s)), None) for s in suffixes]
            if all(found):
                return [self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True}
                                  )["sessionId"] for t in found]
            if time.monotonic() > deadline:
                missing = [s for s, t in zip(suffixes, found, strict=True) if t is None]
                raise BrowserError(f"the browser did not open its page {missing[0]}")
            time.sleep(0.005)

    def print_pdf(self, session: str, url: str, options: dict, timeout: float = 30.0,
                  ready: str | None = None) -> bytes:
        """Load `url` in the page of `session` and print it with Page.printToPDF
        `options` (paper, margins, header and footer templates).

        `ready`: a JavaScript function awaited in the loaded page before it is
        printed; a string it returns says why the page cannot be printed."""
        import base64

        self.call("Page.enable", session=session, timeout=timeout)
        self.call("Page.navigate", {"url": url}, session, timeout)
        self.wait_event("Page.loadEventFired", session, timeout)
        if ready and (problem := self.evaluate(session, ready, timeout=timeout)):
            raise BrowserError(str(problem))
        data = self.call("Page.printToPDF", {**options, "transferMode": "ReturnAsBase64"},
                         session, timeout)["data"]
        return base64.b64decode(data)

    # The process.

    def _read(self, deadline: float, late: str) -> dict:
        # A reply may be megabytes (a course's rendered HTML): the chunks are
        # joined once, not the buffer copied per chunk.
        chunks = [self._buffer]
        while b"\0" not in chunks[-1]:
            left = deadline - time.monotonic()
            if left <= 0:
                self._buffer = b"".join(chunks)
                raise BrowserError(late)
            ready, _, _ = select.select([self._replies], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise self._gone()
            chunks.append(chunk)
        message, self._buffer = b"".join(chunks).split(b"\0", 1)
        self._answered = True
        return json.loads(message)

    def _gone(self) -> BrowserError:
        try:
            said = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            said = ""
        # The whole browser asks for a D-Bus that containers and CI machines
        # lack, a line each time: they would fill the tail that says why it ended.
        tail = "\n".join(line for line in split_lines(said)
                         if line.strip() and ":ERROR:dbus/" not in line)[-500:]
        if not self._answered:
            return BrowserError(tail or "no output", started=False)
        return BrowserError(f"the browser {self._how_it_ended()}{': ' + tail if tail else ''}")

    def _how_it_ended(self) -> str:
        """Its exit status or signal, read without reaping it (WNOWAIT): procs.end
        still ends its whole group by the leader's pid, which must not be free."""
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                break
            if info is not None:
                if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
                    with contextlib.suppress(ValueError):
                        return f"was killed by {signal.Signals(info.si_status).name}"
                return f"exited with status {info.si_status}"
            time.sleep(0.01)
        return "exited"

    def kill(self) -> None:
        if self._commands < 0:
            return
        procs.end(self.proc)
        for fd in (self._commands, self._replies):
            os.close(fd)
        self._commands = self._replies = -1
