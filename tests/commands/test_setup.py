"""What the set-up messages promise: `make setup` installs what is missing."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from conftest import ROOT

FILES = ("Makefile", "pyproject.toml", "package.json", "package-lock.json")


@pytest.fixture
def checkout(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("no make")
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    time.sleep(0.01)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".marpkit-setup").touch()  # the Python side is set up
    return tmp_path


def plan(folder) -> str:
    """What `make setup` would run, without running it."""
    return subprocess.run(["make", "-n", "setup"], cwd=folder, capture_output=True, text=True,
                          check=True).stdout


def test_make_setup_installs_node_modules_when_they_are_missing(checkout):
    from marpkit.marp import MARP_HINT

    assert "make setup" in MARP_HINT  # what marpkit tells a user without node_modules
    assert "npm ci" in plan(checkout)


def test_make_setup_does_nothing_when_all_is_installed(checkout):
    (checkout / "node_modules").mkdir()
    (checkout / "node_modules" / ".package-lock.json").touch()  # what npm ci leaves
    (checkout / ".venv" / ".marpkit-setup").touch()
    assert "Nothing to be done" in plan(checkout)
