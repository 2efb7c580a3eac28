"""fsutil: a write that cannot happen is a clear marpkit error, never half a file;
the private TMPDIR and the build lock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from marpkit.findings import UsageError
from marpkit.fsutil import WriteError, atomic_write, exclusive


def test_a_write_beyond_the_file_size_limit_is_a_write_error(tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: the write fails part-way."""
    target = tmp_path / "deck.md"
    target.write_text("old\n")
    script = textwrap.dedent(f"""
        import resource, signal
        from marpkit.fsutil import WriteError, atomic_write
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))
        try:
            atomic_write({str(target)!r}, "x" * 1000)
        except WriteError as exc:
            print(exc)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env=dict(os.environ), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "cannot write deck.md: File too large"
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.md"]


def test_an_unwritable_folder_is_a_usage_error_naming_it(tmp_path, monkeypatch):
    blocker = tmp_path / "build"
    blocker.write_text("a file where a folder should be")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WriteError) as exc:
        atomic_write(blocker / ".marpkit" / "manifest.json", "{}")
    assert isinstance(exc.value, UsageError)  # exit 2 at the command boundary
    assert str(exc.value).startswith("cannot write build/.marpkit/manifest.json: ")


def test_exclusive_waits_for_the_holder(tmp_path):
    lock = tmp_path / "x" / "build.lock"
    waited = []
    with exclusive(lock):
        script = ("import sys; from pathlib import Path; from marpkit.fsutil import exclusive\n"
                  f"with exclusive(Path({str(lock)!r}), on_wait=lambda: print('waiting', flush=True)):\n"
                  "    print('got it')\n")
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        waited.append(proc.stdout.readline().strip())
        assert proc.poll() is None
    assert proc.stdout.read().strip() == "got it"
    assert proc.wait(timeout=30) == 0
    assert waited == ["waiting"]
