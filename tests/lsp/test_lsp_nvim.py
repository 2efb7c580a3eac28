"""One real editor: Neovim's built-in LSP client attached to `marpkit lsp`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, write

pytestmark = pytest.mark.integration

# vim.lsp.start (Neovim >= 0.8) is what the README shows; start_client and
# buf_attach_client also work on Debian bookworm's 0.7.
SCRIPT = r"""
local out, deck, python = arg_out, arg_deck, arg_python
vim.cmd('edit ' .. vim.fn.fnameescape(deck))
local id = vim.lsp.start_client({
  name = 'marpkit',
  cmd = { python, '-m', 'marpkit', 'lsp' },
  root_dir = vim.fn.fnamemodify(deck, ':h:h'),
})
vim.lsp.buf_attach_client(0, id)
local ok = vim.wait(30000, function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.code == 'MK201' then return true end
  end
  return false
end, 50)
local found = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(found, { code = d.code, lnum = d.lnum, severity = d.severity, source = d.source })
end
local f = io.open(out, 'w')
f:write(vim.fn.json_encode({ ok = ok, diagnostics = found }))
f:close()
vim.lsp.stop_client(id, true)
vim.cmd('qall!')
"""


def test_neovim_shows_marpkit_diagnostics(tmp_path):
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("no Neovim: apt-get install neovim")
    (tmp_path / "pyproject.toml").write_text("[tool.marpkit]\n")
    deck = write(tmp_path / "slides" / "01-talk.md",
                 "---\nmarp: true\n---\n\n# Talk\n\nBAI Lab ‚Ä¢ V∆∞∆°ng\n")
    out = tmp_path / "diagnostics.json"
    script = tmp_path / "attach.lua"
    script.write_text("\n".join([f"local arg_out = {json.dumps(str(out))}",
                                 f"local arg_deck = {json.dumps(str(deck))}",
                                 f"local arg_python = {json.dumps(sys.executable)}",
                                 SCRIPT]))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run([nvim, "--headless", "-n", "-i", "NONE", "-u", "NONE", "-c", f"luafile {script}"],
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert out.is_file(), proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert result["ok"], result
    (mojibake,) = [d for d in result["diagnostics"] if d["code"] == "MK201"]
    assert mojibake["lnum"] == 6 and mojibake["source"] == "marpkit"
    assert mojibake["severity"] == 1  # vim.diagnostic.severity.ERROR
