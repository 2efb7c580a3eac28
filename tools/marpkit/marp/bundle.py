"""Marp's engine as one browser script, built once per engine version.

Rendered lint renders in the browser it measures in (see render.py). esbuild
bundles marp-core from the project's node_modules with marpkit's small entry
(assets/marp_render.js); the result is cached under the cache dir, keyed by
everything that goes into it, and rebuilt only when one of those changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from marpkit import procs
from marpkit.findings import UsageError

ENTRY = Path(__file__).resolve().parent.parent / "assets" / "marp_render.js"


def _inputs(root: Path) -> list[Path]:
    modules = root / "node_modules"
    return [ENTRY, root / "package-lock.json",
            modules / "@marp-team" / "marp-core" / "package.json",
            modules / "@marp-team" / "marpit" / "package.json",
            modules / "esbuild" / "package.json"]


def marp_bundle(root: Path, cache_dir: Path) -> Path:
    """Path of the bundled engine, building it first if needed (about 0.3 s)."""
    from marpkit.marp import MARP_HINT

    esbuild = root / "node_modules" / ".bin" / "esbuild"
    core = root / "node_modules" / "@marp-team" / "marp-core"
    if not esbuild.exists() or not core.is_dir():
        raise UsageError(f"Marp's engine or esbuild is not installed: {MARP_HINT}")
    digest = hashlib.sha256()
    for path in _inputs(root):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"-")
    out = cache_dir / f"marp-render-{digest.hexdigest()[:16]}.js"
    if out.is_file():
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    # The entry comes on stdin with the project root as working directory, so
    # that marp-core resolves from the project's node_modules wherever marpkit
    # itself is installed.
    try:
        proc = procs.run(
            [str(esbuild), "--bundle", "--platform=browser", "--format=iife", "--minify",
             "--log-level=error", "--sourcefile=marp_render.js", f"--outfile={tmp}"],
            input=ENTRY.read_bytes(), cwd=root, timeout=120)
    except subprocess.TimeoutExpired:
        tmp.unlink(missing_ok=True)
        raise UsageError("could not bundle Marp's engine for rendered lint: esbuild did not "
                         "finish within 120s") from None
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        message = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()
        raise UsageError(f"could not bundle Marp's engine for rendered lint: {message[-500:]}")
    os.replace(tmp, out)  # atomic: a concurrent run sees the old state or the whole bundle
    for old in cache_dir.glob("marp-render-*.js"):
        if old != out:
            old.unlink(missing_ok=True)
    return out
