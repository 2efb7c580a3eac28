"""`marpkit check` end to end: real snippets, real W&B offline runs, real wandb-core."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from conftest import SNIPPETS_EXTRA, LoopbackListener
from marpkit.findings import Exit

pytestmark = pytest.mark.integration


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def deck(root: Path, name: str, *fences: tuple[str, str, str]) -> Path:
    """A deck with one slide per (title, lang, snippet reference)."""
    parts = ["---", "marp: true", "---", ""]
    for index, (title, lang, ref) in enumerate(fences):
        if index:
            parts += ["---", ""]
        parts += [f"# {title}", "", f"```{lang} snippet={ref}", "```", ""]
    path = root / "slides" / name
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def fence_line(deck_path: Path, ref: str) -> int:
    lines = deck_path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if f"snippet={ref}" in line)


@pytest.fixture
def proj(tmp_path, monkeypatch):
    (tmp_path / "slides").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.marpkit]\n")
    monkeypatch.chdir(tmp_path)
    for var in ("WANDB_MODE", "WANDB_DIR", "WANDB_SILENT"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def check(run_cli, *args, sync: bool = True):
    # The fences show their snippets' code, as a presenter's synced deck does:
    # a finding lands on the deck line that shows its snippet line.
    if sync:
        run_cli("sync")
    code, out, err = run_cli("check", "--format", "json", *args)
    return code, json.loads(out), err


def by_snippet(report: dict) -> dict:
    return {s["snippet"]: s for s in report["snippets"]}


PASSING = """
    import wandb

    # region train
    run = wandb.init(project="demo", config={"learning_rate": 0.001, "epochs": 3})
    for epoch in range(run.config.epochs):
        run.log({"train/loss": 1.0 / (epoch + 1)})
    print(f"trained run {run.id}")
    run.finish()
    # endregion
"""


def test_mixed_deck_reports_each_failure_on_its_slide_line(proj, run_cli):
    snippets = proj / "snippets"
    write(snippets / "ok" / "train.py", PASSING)
    write(snippets / "attr" / "train.py", """
        import wandb

        run = wandb.init(project="demo", config={"learning_rate": 0.001})
        # region show
        lr = run.config.learning_rate
        batch = run.config.batch_size
        # endregion
        run.finish()
    """)
    write(snippets / "cond" / "train.py", """
        import wandb

        run = wandb.init(project="demo")
        # region loop
        for step in range(3):
            run.log({"train/loss": 0.5})
            if step > 10:
                run.log({"val/accuracy": 0.9})
        # endregion
        run.finish()
    """)
    write(snippets / "syntax" / "broken.py", """
        import wandb
        def f(:
            pass
    """)
    write(snippets / "shell" / "setup.sh", """
        pip install wandb
        if [ -n "$X" ]; then
          echo yes
    """)
    write(snippets / "hang" / "loop.py", """
        # /// marpkit
        # timeout: 2
        # ///
        import subprocess
        import time
        subprocess.Popen(["sleep", "537"])  # a child of the snippet: must die with it
        while True:
            time.sleep(0.1)
    """)
    write(snippets / "mem" / "big.py", "blob = bytearray(6 * 1024**3)\n")
    path = deck(proj, "05-wandb.md",
                ("Passing", "python", "ok/train.py#train"),
                ("Memory", "python", "mem/big.py"),
                ("Step 2: config", "python", "attr/train.py#show"),
                ("Step 3: loop", "python", "cond/train.py#loop"),
                ("Broken", "python", "syntax/broken.py"),
                ("Setup", "bash", "shell/setup.sh"),
                ("Hang", "python", "hang/loop.py"))
    started = time.monotonic()
    code, report, _ = check(run_cli, "--no-cache")
    elapsed = time.monotonic() - started
    assert code == Exit.FINDINGS
    snippets_ = by_snippet(report)

    ok = snippets_["ok/train.py"]
    assert ok["status"] == "passed", ok
    assert ok["runs"][0]["config_keys"] == ["epochs", "learning_rate"]
    assert ok["runs"][0]["steps"] == 3

    assert "raised MemoryError" in snippets_["mem/big.py"]["error"]  # RLIMIT_AS applies

    attr = snippets_["attr/train.py"]
    assert attr["status"] == "failed"
    [finding] = attr["findings"]
    assert finding["code"] == "MK301"
    assert "AttributeError" in finding["message"] and "batch_size" in finding["message"]
    # line 6 of the file is the second shown line of the region
    assert finding["line"] == fence_line(path, "attr/train.py#show") + 2
    assert finding["slide"] == 3
    assert "attr/train.py:6 raised AttributeError" in finding["message"]

    cond = snippets_["cond/train.py"]
    assert cond["status"] == "failed"
    [finding] = cond["findings"]
    assert finding["code"] == "MK302"
    assert "shows `run.log(...)`, which never ran" in finding["message"]
    assert finding["line"] == fence_line(path, "cond/train.py#loop") + 4

    broken = snippets_["syntax/broken.py"]
    assert broken["status"] == "failed"
    assert broken["findings"][0]["code"] == "MK301"
    assert "SyntaxError" in broken["findings"][0]["message"]

    shell = snippets_["shell/setup.sh"]
    assert shell["status"] == "failed"
    assert {f["code"] for f in shell["findings"]} == {"MK305"}
    assert "syntax error" in shell["findings"][0]["message"]

    hang = snippets_["hang/loop.py"]
    assert hang["status"] == "failed"
    assert hang["findings"][0]["code"] == "MK303"
    assert elapsed < 30  # the hanging snippet was killed, the others ran
    leftovers = subprocess.run(["pgrep", "-f", "sleep 537"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""

    text_code, text, _ = run_cli("check")
    assert text_code == Exit.FINDINGS
    assert (f"slides/05-wandb.md:{fence_line(path, 'attr/train.py#show') + 2}:1: MK301 snippet "
            f"attr/train.py:6 raised AttributeError") in text
    assert '(slide 3 "Step 2: config")' in text


def test_hidden_setup_line_and_header_options(proj, run_cli):
    write(proj / "snippets" / "hidden.py", """
        import wandb
        run = wandb.init(project="demo")
        value = run.config.missing_key
        # region shown
        run.log({"a": 1})
        # endregion
    """)
    write(proj / "snippets" / "skipme.py", """
        # /// marpkit
        # skip: "needs a GPU"
        # ///
        raise SystemExit(3)
    """)
    write(proj / "snippets" / "needs.py", """
        # /// marpkit
        # requires: [surely_not_installed_pkg]
        # ///
        import surely_not_installed_pkg
    """)
    write(proj / "snippets" / "watch.py", """
        import torch
        import wandb
        run = wandb.init()
        run.watch(torch.nn.Linear(2, 2), log="all")
    """)
    deck(proj, "d.md", ("Hidden", "python", "hidden.py#shown"),
         ("Skip", "python", "skipme.py"), ("Needs", "python", "needs.py"),
         ("Watch", "python", "watch.py"))
    code, report, _ = check(run_cli)
    snippets_ = by_snippet(report)
    assert "hidden setup line 3 raised AttributeError" in snippets_["hidden.py"]["error"]
    assert snippets_["skipme.py"]["status"] == "skipped"
    assert snippets_["skipme.py"]["skip_reason"] == "needs a GPU"
    assert snippets_["skipme.py"]["findings"][0]["severity"] == "info"
    assert snippets_["needs.py"]["skip_reason"] == "surely_not_installed_pkg not installed"
    if importlib.util.find_spec("torch") is None:
        assert snippets_["watch.py"]["skip_reason"] == "torch not installed"
    else:
        assert snippets_["watch.py"]["status"] == "passed", snippets_["watch.py"]
    assert code == Exit.FINDINGS  # only hidden.py fails; skips do not

    (proj / "snippets" / "hidden.py").unlink()
    (proj / "slides" / "d.md").unlink()
    deck(proj, "d.md", ("Skip", "python", "skipme.py"), ("Needs", "python", "needs.py"))
    code, report, _ = check(run_cli)
    assert code == Exit.OK


def test_malformed_header_is_a_config_error_with_its_line(proj, run_cli):
    write(proj / "snippets" / "bad.py", """
        # /// marpkit
        # timeout: 30
        # expect: {config: [lr}
        # ///
        print("hi")
    """)
    write(proj / "snippets" / "typo.py", """
        # /// marpkit
        # timout: 30
        # ///
        print("hi")
    """)
    path = deck(proj, "d.md", ("Bad", "python", "bad.py"), ("Typo", "python", "typo.py"))
    code, report, err = check(run_cli)
    assert code == Exit.USAGE
    assert "Traceback" not in err
    snippets_ = by_snippet(report)
    assert snippets_["bad.py"]["findings"][0]["code"] == "MK306"
    # the whole file is shown, header included: the finding sits on its deck line
    assert snippets_["bad.py"]["error"].startswith("snippet bad.py:3 has a bad")
    assert snippets_["bad.py"]["findings"][0]["line"] == fence_line(path, "bad.py") + 3
    assert "unknown header key 'timout'" in snippets_["typo.py"]["error"]
    assert snippets_["typo.py"]["error"].startswith("snippet typo.py:2 ")


def test_declared_expectations(proj, run_cli):
    write(proj / "snippets" / "exp.py", """
        # /// marpkit
        # expect:
        #   config: {learning_rate: 0.001}
        #   summary: {"train/loss": {approx: 0.25, tol: 0.01}, "acc": 1.0}
        #   min_steps: 4
        #   media: [table]
        # ///
        import wandb
        run = wandb.init(config={"learning_rate": 0.001})
        for i in range(4):
            run.log({"train/loss": 1 / (i + 1), "acc": 0.5})
        run.log({"t": wandb.Table(columns=["a"], data=[[1]])})
        wandb.save("never_written.pt")
        run.finish()
    """)
    deck(proj, "d.md", ("Exp", "python", "exp.py"))
    code, report, _ = check(run_cli)
    [snippet] = report["snippets"]
    messages = [f["message"] for f in snippet["findings"]]
    assert code == Exit.FINDINGS
    assert len(messages) == 2, messages
    assert "file 'never_written.pt' saved here was not registered with run" in messages[0]
    assert "summary 'acc' is 0.5, header expects 1.0" in messages[1]
    assert snippet["runs"][0]["media"] == ["table"]


def test_online_mode_fails_fast_without_traffic(proj, run_cli, monkeypatch):
    server = LoopbackListener()
    # The user's environment points at a reachable server with a key: check must ignore both.
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{server.sock.getsockname()[1]}")
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    write(proj / "snippets" / "online.py", """
        import wandb
        run = wandb.init(project="demo", mode="online")
        run.finish()
    """)
    write(proj / "snippets" / "online_key.py", """
        import os
        import wandb
        os.environ["WANDB_API_KEY"] = "a" * 40
        run = wandb.init(project="demo", mode="online")
        run.finish()
    """)
    deck(proj, "d.md", ("Online", "python", "online.py"), ("Key", "python", "online_key.py"))
    started = time.monotonic()
    try:
        code, report, _ = check(run_cli)
    finally:
        server.close()
    assert time.monotonic() - started < 15
    assert code == Exit.FINDINGS
    snippets_ = by_snippet(report)
    assert "No API key" in snippets_["online.py"]["error"]
    assert "connection refused" in snippets_["online_key.py"]["error"]
    assert server.connections == 0


def test_writes_stay_in_the_sandbox(proj, run_cli):
    write(proj / ".gitignore", "/.marpkit-cache/\n")
    write(proj / "snippets" / "w" / "writer.py", """
        import os
        import tempfile
        from pathlib import Path
        import wandb

        Path("model.txt").write_text("weights")
        os.makedirs("outputs/deep", exist_ok=True)
        Path("outputs/deep/x.bin").write_bytes(b"0" * 100)
        Path("~/.marpkit-test-home").expanduser().write_text("home")
        tempfile.NamedTemporaryFile(delete=False).write(b"tmp")
        run = wandb.init(project="demo")
        # region save
        wandb.save("model.txt")
        run.log({"loss": 1.0})
        # endregion
        artifact = wandb.Artifact("data", type="dataset")
        artifact.add_file("model.txt")
        run.log_artifact(artifact)
        run.finish()
    """)
    deck(proj, "d.md", ("Writer", "python", "w/writer.py#save"))
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    code, report, _ = check(run_cli, sync=False)
    assert code == Exit.OK, report
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], capture_output=True,
                            text=True, check=True).stdout
    assert status.strip() == "!! .marpkit-cache/"
    assert not (Path.home() / ".marpkit-test-home").exists()
    # re-verified from the cache, after the sandbox is gone: the save claim still holds
    code, report, _ = check(run_cli)
    assert code == Exit.OK and report["snippets"][0]["status"] == "cached", report


def test_unfinished_run_and_state_do_not_leak(proj, run_cli):
    write(proj / "snippets" / "a_leaky.py", """
        import os
        import wandb
        os.environ["MARPKIT_LEAK"] = "1"
        wandb.setup(settings=wandb.Settings(project="leaky"))
        run = wandb.init(config={"from_a": 1})
        run.log({"a_metric": 1})
        print("A", run.id)
        # no run.finish(): wandb finishes it at exit
    """)
    write(proj / "snippets" / "b_clean.py", """
        import os
        import signal
        import sys
        import wandb
        assert "MARPKIT_LEAK" not in os.environ, "env var leaked"
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, "pool's handler leaked"
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL, "pool's handler leaked"
        assert signal.set_wakeup_fd(-1) == -1, "pool's wake-up fd leaked"
        assert sys.argv[0].endswith("b_clean.py") and __name__ == "__main__"
        assert os.getcwd() == os.path.dirname(os.path.abspath(__file__))
        assert wandb.run is None, "run leaked"
        run = wandb.init()
        assert run.project != "leaky", "setup settings leaked"
        assert "from_a" not in run.config, "config leaked"
        run.log({"b_metric": 2})
        print("B", run.id)
        run.finish()
    """)
    deck(proj, "d.md", ("A", "python", "a_leaky.py"), ("B", "python", "b_clean.py"))
    code, report, _ = check(run_cli, "-j", "1", "--no-cache")
    snippets_ = by_snippet(report)
    assert code == Exit.OK, report
    [run_a] = snippets_["a_leaky.py"]["runs"]
    [run_b] = snippets_["b_clean.py"]["runs"]
    assert run_a["summary_keys"] == ["a_metric"] and run_a["exit_code"] == 0
    assert run_b["summary_keys"] == ["b_metric"]
    assert run_a["id"] != run_b["id"]


def test_wandb_calls_in_the_pool_start_no_process_and_import_nothing(proj, run_cli):
    """What every child would do the same way is done once in the pool: what
    wandb.init imports lazily, the platform string it reads (`uname -p`, a
    process per child), and the wandb-core it talks to."""
    write(proj / "snippets" / "warm.py", """
        import subprocess
        import sys

        started = []
        popen_init = subprocess.Popen.__init__

        def spy(self, args, *rest, **kwargs):
            started.append(args)
            popen_init(self, args, *rest, **kwargs)

        subprocess.Popen.__init__ = spy
        loaded = set(sys.modules)
        import wandb

        run = wandb.init(project="warm", config={"lr": 0.1})
        run.log({"loss": 0.5})
        run.finish()
        assert not started, f"processes started: {started}"
        assert set(sys.modules) <= loaded, f"imported: {sorted(set(sys.modules) - loaded)}"
    """)
    deck(proj, "d.md", ("Warm", "python", "warm.py"))
    code, report, _ = check(run_cli, "--no-cache")
    assert code == Exit.OK, [f["message"] for f in by_snippet(report)["warm.py"]["findings"]]


def test_bench_off_switches_reach_the_child(proj, run_cli, monkeypatch):
    """MARPKIT_CHECK_NO_COVERAGE / NO_RECORD (bench/bench_check.py's measure of what
    each costs) are marpkit's settings, not the snippet's: they reach its child
    though its environment is an allow-list."""
    write(proj / "snippets" / "train.py", PASSING)
    deck(proj, "d.md", ("Train", "python", "train.py#train"))
    code, report, _ = check(run_cli, "--no-cache")
    measured = by_snippet(report)["train.py"]
    assert code == Exit.OK and measured["lines"]["executed"] and measured["calls"], measured
    monkeypatch.setenv("MARPKIT_CHECK_NO_COVERAGE", "1")
    monkeypatch.setenv("MARPKIT_CHECK_NO_RECORD", "1")
    _code, report, _ = check(run_cli, "--no-cache")
    unmeasured = by_snippet(report)["train.py"]
    assert unmeasured["lines"] is None and unmeasured["calls"] == [], unmeasured
    assert any("were not recorded" in f["message"] for f in unmeasured["findings"])


def test_media_temp_dir_is_per_snippet(proj, run_cli):
    """wandb makes one media temp dir at import and deletes it at exit: imported
    once in the pool, the first child to exit must not delete the next one's."""
    for module in ("PIL", "numpy"):  # the snippets extra, as the course's media snippets need
        pytest.importorskip(module, reason=f"{module} is missing: {SNIPPETS_EXTRA}")
    write(proj / "snippets" / "a_first.py", "import wandb\nprint('nothing')\n")
    write(proj / "snippets" / "b_image.py", """
        import numpy as np
        import wandb
        run = wandb.init(project="demo")
        run.log({"picture": wandb.Image(np.zeros((8, 8, 3), dtype=np.uint8))})
        run.finish()
    """)
    deck(proj, "d.md", ("A", "python", "a_first.py"), ("B", "python", "b_image.py"))
    code, report, _ = check(run_cli, "-j", "1", "--no-cache")
    assert code == Exit.OK, report
    assert by_snippet(report)["b_image.py"]["runs"][0]["media"] == ["image"]


def test_cache_hits_unless_snippet_or_helper_changes(proj, run_cli):
    from marpkit.check.output_fences import read_output
    from marpkit.config import load_project

    write(proj / "snippets" / "c" / "helpers.py", "SCALE = 2\n")
    main = write(proj / "snippets" / "c" / "train.py", """
        import wandb
        from helpers import SCALE

        run = wandb.init(project="demo")
        run.log({"loss": 1.0 * SCALE})
        print(f"run {run.id} logged loss {SCALE} in 0.52s")
        run.finish()
    """)
    deck(proj, "d.md", ("Cache", "python", "c/train.py"))

    def status():
        code, report, _ = check(run_cli)
        assert code == Exit.OK, report
        return report["snippets"][0]["status"]

    assert status() == "passed"
    assert status() == "cached"
    assert read_output(load_project(), "c/train.py") == "run <run-id> logged loss 2 in <duration>\n"
    (proj / "snippets" / "c" / "helpers.py").write_text("SCALE = 3\n")
    assert read_output(load_project(), "c/train.py") is None  # stale output is never served
    assert status() == "passed"
    assert status() == "cached"
    main.write_text(main.read_text() + "# edited\n")
    assert status() == "passed"
    assert status() == "cached"
    code, report, _ = check(run_cli, "--no-cache")
    assert report["snippets"][0]["status"] == "passed"
    # a slide now shows a claim the run does not back: no output for the fence
    main.write_text(main.read_text() + "if False:\n    run.log({'never': 1})\n")
    code, report, _ = check(run_cli)
    assert code == Exit.FINDINGS and report["snippets"][0]["status"] == "failed"
    assert read_output(load_project(), "c/train.py") is None


def test_warnings_and_junit(proj, run_cli, tmp_path):
    write(proj / "snippets" / "warn.py", """
        import wandb
        # region show
        run = wandb.init(project="demo", reinit=True)
        run.log({"x": 1}, step=5)
        run.log({"x": 2}, step=3)
        # endregion
        run.finish()
    """)
    write(proj / "snippets" / "fine.sh", 'echo "hello"\n')
    path = deck(proj, "d.md", ("Warn", "python", "warn.py#show"), ("Sh", "bash", "fine.sh"))
    junit = tmp_path / "report.xml"
    code, report, _ = check(run_cli, "--junit", str(junit))
    assert code == Exit.FINDINGS, report
    snippets_ = by_snippet(report)
    warnings = [f for f in snippets_["warn.py"]["findings"] if f["code"] == "MK304"]
    [reinit] = warnings
    assert reinit["severity"] == "warning" and "reinit" in reinit["message"]
    assert reinit["line"] == fence_line(path, "warn.py#show") + 1
    # W&B only warns that it dropped the row; the slide's metric lost data: an error
    [dropped] = [f for f in snippets_["warn.py"]["findings"] if f["code"] == "MK302"]
    assert "dropped 1 row(s) of `x` logged here: step 3 is behind the run's step 5" in \
        dropped["message"]
    assert dropped["line"] == fence_line(path, "warn.py#show") + 3
    assert snippets_["fine.sh"]["status"] == "passed"
    xml = junit.read_text()
    assert '<testsuite name="marpkit check"' in xml and 'name="warn.py"' in xml


def test_usage_errors_and_broken_references(proj, run_cli):
    code, _, err = run_cli("check", "nope.md")
    assert code == Exit.USAGE
    assert "nope.md: no such file or folder" in err
    deck(proj, "d.md", ("Gone", "python", "gone.py"))
    code, report, _ = check(run_cli)
    assert code == Exit.FINDINGS
    assert [f["code"] for f in report["findings"]] == ["MK310"]


def test_subprocess_fallback_and_memory_cap(proj, run_cli, monkeypatch):
    """Without fork each snippet gets a fresh interpreter (and its own wandb-core,
    which must start under the 4 GiB address-space cap); results are the same."""
    monkeypatch.setenv("MARPKIT_CHECK_NO_FORK", "1")
    monkeypatch.setenv("MARPKIT_CHECK_ISOLATION", "basic")  # no sandbox without the fork pool
    write(proj / "snippets" / "ok" / "train.py", PASSING)
    write(proj / "snippets" / "mem" / "big.py", """
        import wandb
        run = wandb.init(project="demo")
        run.log({"before": 1})
        blob = bytearray(6 * 1024**3)
        run.finish()
    """)
    deck(proj, "d.md", ("Ok", "python", "ok/train.py#train"), ("Mem", "python", "mem/big.py"))
    code, report, _ = check(run_cli, "--no-cache")
    snippets_ = by_snippet(report)
    assert snippets_["ok/train.py"]["status"] == "passed", snippets_["ok/train.py"]
    assert snippets_["ok/train.py"]["runs"][0]["steps"] == 3
    assert "raised MemoryError" in snippets_["mem/big.py"]["error"]
    assert snippets_["mem/big.py"]["runs"][0]["exit_code"] == 1  # the run saw the crash
    assert code == Exit.FINDINGS


def test_interrupted_check_leaves_no_processes(proj):
    import signal
    import sys

    write(proj / "snippets" / "hang.py", """
        import subprocess
        import time
        import wandb
        run = wandb.init(project="demo")
        subprocess.Popen(["sleep", "779"])
        time.sleep(1000)
    """)
    deck(proj, "d.md", ("Hang", "python", "hang.py"))
    marpkit = Path(sys.executable).with_name("marpkit")
    proc = subprocess.Popen([str(marpkit), "check", "--no-cache"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # wait until the snippet really runs
        if subprocess.run(["pgrep", "-f", "sleep 779"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the snippet never started")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 130
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-f", "sleep 779"],
                               capture_output=True, text=True)
    assert leftovers.stdout.strip() == ""
