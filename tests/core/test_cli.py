import json
import subprocess
import sys

from conftest import ROOT, write


def test_inspect_json_schema(project, run_cli):
    write(project / "slides" / "d.md",
          "---\nmarp: true\n---\n\n# One\n\n```python snippet=a.py#r\nx\n```\n\n---\n\n<!-- _class: x -->\n## Two\n")
    code, out, _ = run_cli("inspect", "slides/d.md", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["path"] == "slides/d.md"
    one, two = data["slides"]
    assert {k: one[k] for k in ("index", "start_line", "end_line", "title")} == {
        "index": 1, "start_line": 4, "end_line": 10, "title": "One"}
    assert one["code_blocks"] == [{"line": 7, "lang": "python", "info": "snippet=a.py#r",
                                   "snippet": "a.py#r", "output": None}]
    assert two["directives"]["class"] == "x" and two["title"] == "Two"


def test_non_utf8_deck_is_a_finding_not_a_traceback(project, run_cli):
    (project / "slides" / "bad.md").write_bytes(b"# T\n\n\xff\xfe broken\n")
    for args in (("inspect", "slides/bad.md"), ("sync", "--check"), ("build", "--format", "html")):
        code, out, err = run_cli(*args)
        assert code == 1, args
        assert "slides/bad.md:3:1: MK204 not UTF-8" in out, args
        assert "Traceback" not in out + err


def test_usage_errors_exit_2(project, run_cli):
    assert run_cli("inspect", "nope.md")[0] == 2
    assert run_cli("sync", "missing-dir/")[0] == 2
    assert run_cli("frobnicate")[0] == 2
    write(project / "pyproject.toml", "[tool.marpkit\n")
    code, _, err = run_cli("sync")
    assert code == 2 and "invalid TOML" in err


def test_python_dash_m_entry_point(project):
    proc = subprocess.run([sys.executable, "-m", "marpkit", "--version"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0 and "marpkit" in proc.stdout
