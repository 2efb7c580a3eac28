"""Marp's engine as one browser script, built once per engine version.

Rendered lint renders in the browser it measures in (see render.py). esbuild
bundles marp-core from the project's node_modules with marpkit's small entry
(assets/marp_render.js), whole and without MathJax (assets/marp_bundle.js);
the results are cached under the cache dir, keyed by everything that goes
into them, and rebuilt only when one of those changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from marpkit import procs
from marpkit.findings import UsageError

ASSETS = Path(__file__).resolve().parent.parent / "assets"
ENTRY = ASSETS / "marp_render.js"
BUILD_JS = ASSETS / "marp_bundle.js"


def _inputs(root: Path) -> list[Path]:
    modules = root / "node_modules"
    return [ENTRY, BUILD_JS, root / "package-lock.json",
            modules / "@marp-team" / "marp-core" / "package.json",
            modules / "@marp-team" / "marpit" / "package.json",
            modules / "esbuild" / "package.json"]


def light(bundle: Path) -> Path:
    """The bundle without MathJax, built beside `bundle` (see assets/marp_bundle.js)."""
    return bundle.with_name(bundle.stem + ".light.js")


def marp_bundle(root: Path, cache_dir: Path) -> Path:
    """Path of the bundled engine (and `light()` of it), building them first if
    needed (about half a second)."""
    from marpkit.marp import MARP_HINT, require_node

    esbuild = root / "node_modules" / "esbuild" / "package.json"
    core = root / "node_modules" / "@marp-team" / "marp-core"
    require_node()
    if not esbuild.exists() or not core.is_dir():
        raise UsageError(f"Marp's engine or esbuild is not installed: {MARP_HINT}")
    digest = hashlib.sha256()
    for path in _inputs(root):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"-")
    out = cache_dir / f"marp-render-{digest.hexdigest()[:16]}.js"
    if out.is_file() and light(out).is_file():
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp_light = out.with_name(f".{light(out).name}.{os.getpid()}.tmp")
    # Run with the project root as working directory, so that marp-core
    # resolves from the project's node_modules wherever marpkit itself is installed.
    try:
        proc = procs.run(["node", str(BUILD_JS), str(ENTRY), str(tmp), str(tmp_light)],
                         cwd=root, timeout=120)
    except subprocess.TimeoutExpired:
        proc = None
    except BaseException:  # interrupted: the cache folder keeps no half bundle
        tmp.unlink(missing_ok=True)
        tmp_light.unlink(missing_ok=True)
        raise
    if proc is None or proc.returncode != 0 or not tmp.is_file() or not tmp_light.is_file():
        tmp.unlink(missing_ok=True)
        tmp_light.unlink(missing_ok=True)
        message = ("esbuild did not finish within 120s" if proc is None else
                   (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()[-500:])
        raise UsageError(f"could not bundle Marp's engine for rendered lint: {message}")
    # Atomic, the light one first: a concurrent run sees both or builds them.
    os.replace(tmp_light, light(out))
    os.replace(tmp, out)
    for old in cache_dir.glob("marp-render-*.js"):
        if old not in (out, light(out)):
            old.unlink(missing_ok=True)
    return out
