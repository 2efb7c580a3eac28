"""One decision, one place: a Marp run is set up in marp/converter.py, the
configuration is read in config.py, and the build's modules stay short.

The guards read the package's source (as test_layout's do): a second copy of
a decision fails here, whoever writes it."""

from __future__ import annotations

import ast
import json
from dataclasses import replace

from conftest import ROOT, write

PACKAGE = ROOT / "tools" / "marpkit"
CONVERTER = "marp/converter.py"
CONFIG = "config.py"
# What only the converter may write: the engine's options and Marp CLI's config keys.
ENGINE_KEYS = {"themeSet", "katexFontPath"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def docstrings(tree) -> set[int]:
    """ids of the docstring nodes: prose may name what code must not do."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def called_name(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def test_only_the_converter_sets_up_marps_engine():
    offenders = []
    for name, tree in modules():
        if name == CONVERTER:
            continue
        prose = docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called_name(node) == "engine_config":
                offenders.append(f"{name}:{node.lineno} calls engine_config()")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in prose and node.value in ENGINE_KEYS):
                offenders.append(f"{name}:{node.lineno} writes {node.value!r}")
    assert not offenders, offenders


def test_only_config_reads_toml():
    readers = []
    for name, tree in modules():
        for node in ast.walk(tree):
            imported = ([a.name for a in node.names] if isinstance(node, ast.Import)
                        else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(m.split(".")[0] in ("tomllib", "tomli") for m in imported):
                readers.append(name)
    assert sorted(set(readers)) == [CONFIG]


def is_root(node) -> bool:
    """`root`, `x.root`: a project's folders are named relative to its root."""
    return (isinstance(node, ast.Name) and node.id == "root"
            or isinstance(node, ast.Attribute) and node.attr == "root")


def test_folder_name_defaults_live_in_config():
    """No `root / "slides"` or "**/snippets/**" outside config.py: a
    project that names its folders otherwise would be half-followed."""
    from marpkit.config import DEFAULT_DIRS

    names = set(DEFAULT_DIRS.values())
    offenders = []
    for name, tree in modules():
        if name == CONFIG:
            continue
        prose = docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and is_root(node.left)
                    and isinstance(node.right, ast.Constant) and node.right.value in names):
                offenders.append(f"{name}:{node.lineno} / {node.right.value!r}")
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose
                  and any(f"/{n}/" in node.value for n in names)):
                offenders.append(f"{name}:{node.lineno} {node.value!r}")
    assert not offenders, offenders


def test_no_function_in_build_is_longer_than_a_screen():
    long = [f"build/{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in sorted((PACKAGE / "build").glob("*.py"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > 60]
    assert not long, long


# --------------------------------------------------------------------------- the converter's settings

def _settings(tmp_path, **kwargs):
    from marpkit.marp.converter import MarpSettings

    fonts = tmp_path / "fonts"
    fonts.mkdir(exist_ok=True)
    (fonts / "KaTeX_Main-Regular.woff2").write_bytes(b"font")
    themes = tmp_path / "themes"
    themes.mkdir(exist_ok=True)
    (themes / "b.css").write_text("/* @theme b */\nsection { color: #123; }\n")
    (themes / "a.css").write_text("/* @theme a */\n")
    return MarpSettings(tmp_path, (themes / "a.css", themes / "b.css"), katex_fonts=fonts, **kwargs)


def _config(run) -> dict:
    return json.loads(run.config.read_text(encoding="utf-8"))


def test_html_is_one_setting_for_the_cli_and_the_browser(tmp_path):
    off, on = _settings(tmp_path), _settings(tmp_path, html=True)
    assert "--html" not in off.cli_run(tmp_path / "off.json", out_dir=None).args
    assert "--html" in on.cli_run(tmp_path / "on.json", out_dir=None).args
    # Unset, not false: Marp's own allowlist of HTML elements, as Marp CLI without --html.
    assert "html" not in off.browser_engine(tmp_path / "cache")
    assert on.browser_engine(tmp_path / "cache")["html"] is True


def test_katex_fonts_only_when_a_deck_uses_math(tmp_path):
    from marpkit.marp.converter import KATEX_DIR, uses_katex
    from marpkit.model.deck import load_deck

    settings = _settings(tmp_path)
    out = tmp_path / "build"
    plain = load_deck(write(tmp_path / "plain.md", "---\nmarp: true\n---\n\n# $x$\n"))
    math = load_deck(write(tmp_path / "math.md", "---\nmarp: true\nmath: katex\n---\n\n# $x$\n"))
    assert not uses_katex([plain]) and uses_katex([plain, math])

    run = settings.cli_run(tmp_path / "c.json", out_dir=out, math=uses_katex([plain]))
    assert "math" not in _config(run)["options"] and not (out / KATEX_DIR).exists()
    run = settings.cli_run(tmp_path / "c.json", out_dir=out, math=uses_katex([plain, math]))
    assert _config(run)["options"]["math"] == {"katexFontPath": KATEX_DIR}
    assert (out / KATEX_DIR / "KaTeX_Main-Regular.woff2").read_bytes() == b"font"  # published with it
    # Rendered in place (lint), the fonts are found where they are.
    fonts = settings.katex_fonts.as_uri() + "/"
    assert settings.browser_engine(tmp_path / "cache")["options"]["math"] == {"katexFontPath": fonts}
    # Not installed: no font path at all rather than one that points nowhere.
    bare = replace(settings, katex_fonts=None)
    assert "math" not in _config(bare.cli_run(tmp_path / "c.json", out_dir=out))["options"]


def test_the_theme_set_is_the_same_for_the_cli_and_the_browser(tmp_path):
    settings = _settings(tmp_path)
    run = settings.cli_run(tmp_path / "c.json", out_dir=None)
    assert _config(run)["themeSet"] == [str(p.resolve()) for p in settings.themes]
    assert settings.browser_engine(tmp_path / "cache")["themes"] == [
        p.read_text() for p in settings.themes]
    served = tmp_path / "served-themes"
    run = settings.cli_run(tmp_path / "c.json", out_dir=None, theme_set=[served])
    assert _config(run)["themeSet"] == [str(served.resolve())]


def test_the_settings_come_from_the_projects_config(project):
    from marpkit.config import load_project
    from marpkit.marp.converter import FORMATS, MarpSettings

    write(project / "themes" / "t.css", "/* @theme t */\n")
    write(project / "pyproject.toml", "[tool.marpkit.build]\nhtml = true\npdf_notes = false\n"
                                      "browser_timeout = 90\n")
    settings = MarpSettings.of(load_project())
    assert settings.html and settings.themes == (project / "themes" / "t.css",)
    run = settings.cli_run(project / "c.json", out_dir=None)
    args = settings.convert_args(run, FORMATS["pdf"], slides=10)
    assert args[:1] == ["--pdf"] and "--pdf-outlines" in args and "--pdf-notes" not in args
    assert args[args.index("--browser-timeout") + 1] == "90"
    assert "--browser-timeout" not in settings.convert_args(run, FORMATS["html"], slides=10)
