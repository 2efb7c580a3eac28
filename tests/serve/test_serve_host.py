"""`marpkit serve` shows unpublished slides to this machine only, unless asked."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess

import pytest

from conftest import Serving, make_project, needs_marp

pytestmark = pytest.mark.integration


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # /proc/net/tcp6 prints four 32-bit words, each in host (little-endian) order.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def listening_sockets(pids: list[int]) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the processes listen on, from /proc."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            next(handle)
            for line in handle:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in inodes:  # 0A: LISTEN
                    address, port = local.rsplit(":", 1)
                    found.add((_address(address), int(port, 16)))
    return found


def own_addresses() -> list[str]:
    """This machine's own non-loopback IPv4 addresses (never another machine's)."""
    if shutil.which("ip") is None:
        return []
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            address = fields[fields.index("inet") + 1].split("/")[0]
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    return found


def test_the_preview_listens_on_loopback_only(tmp_path):
    needs_marp()
    make_project(tmp_path)
    server = Serving(tmp_path)
    try:
        sockets = listening_sockets(server.marp_pids)
        assert any(port == server.port for _, port in sockets), sockets
        # Marp's page server and its reload notifier alike.
        assert all(ipaddress.ip_address(address).is_loopback for address, _ in sockets), sockets
        for address in own_addresses():
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((address, server.port)) != 0, address
    finally:
        server.close()


def test_host_option_chooses_the_address(tmp_path):
    needs_marp()
    make_project(tmp_path)
    server = Serving(tmp_path, "--host", "0.0.0.0")
    try:
        sockets = listening_sockets(server.marp_pids)
        assert ("0.0.0.0", server.port) in sockets, sockets
    finally:
        server.close()
