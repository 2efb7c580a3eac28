"""`marpkit lint` / `marpkit rule` as users run them: formats, exit codes, --fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SHARED, write

HEAD = "---\nmarp: true\n---\n\n"
GARBLED = HEAD + 'Footer "BAI Lab \u201a\u00c4\u00a2 Demo"\n\n- \u201a\u00fa\u00d6 done\n'


@pytest.fixture
def deck(project):
    return write(project / "slides" / "01-demo.md", GARBLED)


def test_text_format_and_exit_code(run_cli, deck):
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == ('slides/01-demo.md:5:17: MK201 mojibake: "\u201a\u00c4\u00a2" should read '
                        '"\u2022" [fix available] (slide 1)')
    assert lines[-2].startswith("Found 2 problems (2 errors, 0 warnings).")


def test_clean_exit_zero(run_cli, project):
    write(project / "slides" / "01-ok.md", HEAD + "# Fine\n")
    code, out, _ = run_cli("lint", "--no-render")
    assert (code, out.strip()) == (0, "All checks passed.")


def test_warnings_only_exit_zero(run_cli, project):
    write(project / "slides" / "01-ok.md", HEAD + "# Fine\n\n```python\nprint(1)\n```\n")
    code, out, _ = run_cli("lint", "--no-render")
    assert code == 0 and "MK315" in out


def test_json_format(run_cli, deck):
    code, out, _ = run_cli("lint", "--no-render", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data[0]) == {"path", "line", "column", "end_line", "slide", "code", "severity",
                            "message", "fix"}
    assert data[0]["path"] == "slides/01-demo.md" and data[0]["fix"]


def test_github_format(run_cli, deck):
    _, out, _ = run_cli("lint", "--no-render", "--format", "github")
    first = out.splitlines()[0]
    assert first.startswith("::error file=slides/01-demo.md,line=5,col=17,endLine=5,title=MK201::")


def test_sarif_is_valid(run_cli, deck):
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if not schema_path.is_file():
        pytest.skip(f"{schema_path} is absent (../shared only exists beside the project)")
    _, out, _ = run_cli("lint", "--no-render", "--format", "sarif")
    log = json.loads(out)
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    result = log["runs"][0]["results"][0]
    assert result["ruleId"] == "MK201"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "MK201"


def test_fix_is_atomic_and_idempotent(run_cli, project, deck):
    crlf = write(project / "slides" / "02-crlf.md", "")
    crlf.write_bytes(GARBLED.replace("\n", "\r\n").encode())
    code, out, err = run_cli("lint", "--no-render", "--fix")
    assert code == 0, out
    assert "Fixed 2 issue(s) in slides/01-demo.md" in err
    clean = HEAD + 'Footer "BAI Lab \u2022 Demo"\n\n- \u2705 done\n'
    assert deck.read_text(encoding="utf-8") == clean
    assert b"\r\n" in crlf.read_bytes() and b"\n\n" not in crlf.read_bytes().replace(b"\r\n", b"")
    assert sorted(p.name for p in (project / "slides").iterdir()) == ["01-demo.md", "02-crlf.md"]
    before = deck.stat().st_mtime_ns
    code, out, err = run_cli("lint", "--no-render", "--fix")
    assert (code, err) == (0, "") and deck.stat().st_mtime_ns == before


def test_fix_rewrites_drifted_snippet(run_cli, project):
    write(project / "snippets" / "demo.py", "# region main\nprint('new')\n# endregion\n")
    deck = write(project / "slides" / "01-demo.md",
                 HEAD + "```python snippet=demo.py#main\nprint('old')\n```\n")
    code, _, _ = run_cli("lint", "--no-render", "--fix")
    assert code == 0
    assert "print('new')\n```" in deck.read_text()


def test_select_and_ignore_flags(run_cli, deck):
    _, out, _ = run_cli("lint", "--no-render", "--format", "json", "--ignore", "MK201")
    assert json.loads(out) == []
    _, out, _ = run_cli("lint", "--no-render", "--format", "json", "--select", "MK2,MK3")
    assert {f["code"] for f in json.loads(out)} == {"MK201"}


@pytest.mark.parametrize("args, config", [
    (["--select", "bogus"], ""),
    (["no/such/deck.md"], ""),
    ([], "[tool.marpkit.lint]\nselect = 3\n"),
    ([], "[tool.marpkit.lint.thresholds]\nmax_code_lines = -1\n"),
    ([], "[tool.marpkit.lint.thresholds]\nmax_cod_lines = 3\n"),
])
def test_usage_errors_exit_two(run_cli, deck, project, args, config):
    (project / "pyproject.toml").write_text("[tool.marpkit]\n" + config)
    code, _, err = run_cli("lint", "--no-render", *args)
    assert code == 2 and "error" in err.lower()


def test_rule_command(run_cli):
    code, out, _ = run_cli("rule", "MK201")
    assert code == 0 and "mojibake" in out and "Example:" in out and "Fix: yes" in out
    code, out, _ = run_cli("rule")
    assert code == 0 and "MK501" in out and "MK315" in out
    code, _, err = run_cli("rule", "MK999")
    assert code == 2


def test_missing_browser_is_a_usage_error_with_render(run_cli, deck, monkeypatch):
    """Without --render, lint goes on with the static rules (tests/commands/test_newcomer.py)."""
    monkeypatch.setenv("CHROME_PATH", str(deck.parent / "no-such-chromium"))
    code, _, err = run_cli("lint", "--render")
    assert code == 2 and "CHROME_PATH=" in err and "points nowhere" in err and "--no-render" in err


def test_missing_engine_is_a_usage_error(run_cli, deck, project):
    """node_modules from before esbuild joined package.json: say what to run, exit 2."""
    from conftest import needs_chromium

    needs_chromium()
    (project / "node_modules").unlink()
    (project / "node_modules" / "@marp-team").mkdir(parents=True)
    (project / "node_modules" / "@marp-team" / "marp-core").symlink_to(
        ROOT / "node_modules" / "@marp-team" / "marp-core")
    code, _, err = run_cli("lint", "--render")
    assert code == 2 and "esbuild is not installed" in err and "npm ci" in err and "--no-render" in err
    assert "Traceback" not in err
    # Without --render: the static verdict, and the same advice once.
    code, out, err = run_cli("lint")
    assert code == 1 and "MK201" in out
    assert err.count("rendered rules (MK5xx) skipped") == 1 and "npm ci" in err


def test_engine_bundle_is_built_once_and_reused(run_cli, deck, project):
    from conftest import needs_chromium, needs_marp

    needs_marp()
    needs_chromium()
    run_cli("lint", "--select", "MK5")
    bundles = sorted((project / ".marpkit-cache").glob("marp-render-*.js"))
    assert [b.name.endswith(".light.js") for b in bundles] == [False, True]  # whole, no MathJax
    built = [b.stat().st_mtime_ns for b in bundles]
    code, _, _ = run_cli("lint", "--select", "MK5")
    assert code in (0, 1) and [b.stat().st_mtime_ns for b in bundles] == built


def test_a_browser_that_dies_is_a_usage_error(run_cli, deck, monkeypatch):
    """Chromium killed mid-run (out of memory, say): exit 2 with what happened."""
    from conftest import needs_chromium, needs_marp
    from marpkit.lint import render

    needs_marp()
    needs_chromium()

    def measure_after_a_crash(self, session, name):
        os.killpg(self.browser.proc.pid, signal.SIGKILL)
        return original(self, session, name)

    original = render.RenderSession._wait
    monkeypatch.setattr(render.RenderSession, "_wait", measure_after_a_crash)
    code, _, err = run_cli("lint")
    assert code == 2 and "failed while rendering" in err and "Traceback" not in err
    # How it ended, and none of the D-Bus complaints of the whole browser.
    assert "killed by SIGKILL" in err and ":ERROR:dbus/" not in err


def test_a_browser_that_will_not_start_is_a_usage_error(run_cli, deck, monkeypatch):
    from conftest import needs_marp

    needs_marp()
    monkeypatch.setenv("CHROME_PATH", "/bin/false")
    started = time.monotonic()
    code, _, err = run_cli("lint")
    assert code == 2 and "did not start" in err and "Traceback" not in err
    assert time.monotonic() - started < 10  # noticed at once, not after the start-up timeout


def test_a_killed_lint_leaves_no_browser_behind(deck, project):
    """SIGKILL gives marpkit no chance to clean up: its browser must still go."""
    from conftest import needs_chromium, needs_marp

    needs_marp()
    needs_chromium()
    def browsers() -> list[str]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "marpkit-lint-" in cmdline and "--user-data-dir" in cmdline and entry.name not in before:
                found.append(entry.name)
        return found

    before: list[str] = []
    before = browsers()  # other runs' browsers are not this test's business
    proc = subprocess.Popen([sys.executable, "-m", "marpkit", "lint"], cwd=project,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    deadline = time.monotonic() + 30
    while not browsers():
        assert proc.poll() is None and time.monotonic() < deadline, "the browser never started"
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while browsers():
        assert time.monotonic() < deadline, f"browser processes outlived marpkit: {browsers()}"
        time.sleep(0.05)


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
def test_unknown_code_is_usage_error_with_suggestion(run_cli, deck, flag):
    code, out, err = run_cli("lint", "--no-render", flag, "MK2O1")
    assert code == 2 and "All checks passed" not in out
    assert "MK2O1" in err and "did you mean MK201?" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("lint", "--no-render", flag, "MK999")
    assert code == 2 and "MK999" in err


def test_unknown_code_in_config_is_usage_error(run_cli, deck, project):
    (project / "pyproject.toml").write_text('[tool.marpkit.lint]\nignore = ["MK999"]\n')
    code, _, err = run_cli("lint", "--no-render")
    assert code == 2 and "MK999" in err


ARABIC = ("# \u0645\u0642\u062f\u0645\u0629\n\n"
          # "W&B" held in place inside Arabic by an embedding and marks
          "\u062a\u062a\u0628\u0639 \u0627\u0644\u062a\u062c\u0627\u0631\u0628 \u0645\u0639 "
          "\u202bW&B\u202c\u200f \u0628\u0633\u0647\u0648\u0644\u0629\n")


def test_fix_keeps_direction_controls_in_right_to_left_text(project, run_cli):
    deck = write(project / "slides" / "01-ar.md", HEAD + ARABIC)
    code, out, _ = run_cli("lint", "--no-render", "--fix", "--select", "MK203")
    assert code == 0 and "MK203" not in out
    assert deck.read_text() == HEAD + ARABIC


def test_direction_controls_in_left_to_right_text_are_still_reported(project, run_cli):
    # Trojan Source: an override that makes the line read differently than it runs
    deck = write(project / "slides" / "01-en.md", HEAD + "access = \"user\u202e \u2066// admin\u2069 \u2066\"\n")
    _, out, _ = run_cli("lint", "--no-render", "--select", "MK203")
    assert out.count("MK203") == 4, out  # warnings: exit 0
    run_cli("lint", "--no-render", "--fix", "--select", "MK203")
    assert deck.read_text() == HEAD + 'access = "user // admin "\n'


TEACHES_MOJIBAKE = (HEAD + "# Encodings\n\nUTF-8 read as Latin-1 turns \u00e9 into `\u00c3\u00a9`.\n\n"
                    "```text\ncaf\u00c3\u00a9 cr\u00c3\u00a8me\n```\n")


def test_code_that_shows_mojibake_is_never_fixed(project, run_cli):
    deck = write(project / "slides" / "01-enc.md", TEACHES_MOJIBAKE + "\nCaf\u00c3\u00a9 `ok`\n")
    code, out, _ = run_cli("lint", "--no-render", "--select", "MK201", "--format", "json")
    found = [(f["line"], f["column"], f["severity"], f.get("fix")) for f in json.loads(out)]
    assert found == [(7, 37, "info", None), (10, 4, "info", None),
                     (13, 4, "error", "line 13: restore 1 garbled run(s)")], out
    run_cli("lint", "--no-render", "--fix", "--select", "MK201")
    assert deck.read_text() == TEACHES_MOJIBAKE + "\nCaf\u00e9 `ok`\n"


def test_info_findings_are_notices_not_warnings_in_ci_formats(project, run_cli):
    write(project / "slides" / "01-enc.md", TEACHES_MOJIBAKE)
    _, out, _ = run_cli("lint", "--no-render", "--select", "MK201", "--format", "github")
    assert out.startswith("::notice file=slides/01-enc.md,line=7,") and "::warning" not in out
    _, out, _ = run_cli("lint", "--no-render", "--select", "MK201", "--format", "sarif")
    assert {r["level"] for r in json.loads(out)["runs"][0]["results"]} == {"note"}
