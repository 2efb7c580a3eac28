"""The editor set-ups the README and editors/ ship: each parses and starts `marpkit lsp`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib

import pytest

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section() -> str:
    return README.split("## In your editor", 1)[1].split("\n## ", 1)[0]


def _blocks(lang: str) -> list[str]:
    return [re.sub(r"(?m)^  ", "", b) for b in re.findall(rf"```{lang}\n(.*?)```", _section(), re.DOTALL)]


def test_helix_set_up_is_valid_toml_that_runs_marpkit_lsp():
    (helix,) = _blocks("toml")
    config = tomllib.loads(helix)
    assert config["language-server"]["marpkit"] == {"command": "marpkit", "args": ["lsp"]}
    assert "marpkit" in config["language"][0]["language-servers"]


def test_zed_settings_are_json_and_the_extension_declares_the_server():
    (zed,) = _blocks("json")
    assert "marpkit" in json.loads(zed)["languages"]["Markdown"]["language_servers"]
    extension = tomllib.loads((ROOT / "editors" / "zed" / "extension.toml").read_text())
    assert extension["language_servers"]["marpkit"]["languages"] == ["Markdown"]
    assert 'args: vec!["lsp".into()]' in (ROOT / "editors" / "zed" / "src" / "lib.rs").read_text()


def test_neovim_and_emacs_set_ups_start_marpkit_lsp():
    (lua,) = _blocks("lua")
    assert 'cmd = { "marpkit", "lsp" }' in lua and "vim.lsp.start(" in lua
    (elisp,) = _blocks("elisp")
    assert '("marpkit" "lsp")' in elisp and elisp.count("(") == elisp.count(")")


def test_vscode_extension_manifest_and_script():
    folder = ROOT / "editors" / "vscode"
    manifest = json.loads((folder / "package.json").read_text())
    assert (folder / manifest["main"]).is_file()
    assert "vsce package" in manifest["scripts"]["package"]
    assert "vscode-languageclient" in manifest["dependencies"]
    assert "args: ['lsp']" in (folder / manifest["main"]).read_text()
    node = shutil.which("node")
    if node is None:
        pytest.skip("no Node.js")
    subprocess.run([node, "--check", str(folder / manifest["main"])], check=True)
    # Its packages stay its own: the course's package.json and lock do not list them.
    root = json.loads((ROOT / "package.json").read_text())
    assert "vscode-languageclient" not in json.dumps(root)
