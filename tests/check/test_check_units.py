"""Pieces of `marpkit check` that need no W&B run: header, claims, output normalisation."""

from __future__ import annotations

import textwrap

import pytest

from marpkit.check.claims import (
    Statements,
    call_problems,
    coverage_problems,
    parse,
    verify_expectations,
    wandb_call_sites,
)
from marpkit.check.header import HeaderError, parse_header
from marpkit.check.output_fences import normalise
from marpkit.check.run_files import RunData, _collapse, _scan


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_header_full():
    header = parse_header(src('''
        #!/usr/bin/env python
        """Docstring first is fine."""
        # /// marpkit
        # timeout: 30
        # exit: 3
        # requires: torch
        # expect:
        #   config: [lr]
        #   summary: {"train/loss": {approx: 0.1, tol: 0.05}}
        #   min_steps: 5
        #   media: [table, image]
        # ///
        print()
    '''))
    assert header.line == 3 and header.timeout == 30 and header.exit == 3
    assert header.requires == ["torch"]
    assert header.expect.config_keys == ["lr"]
    assert header.expect.summary == {"train/loss": {"approx": 0.1, "tol": 0.05}}
    assert header.expect.min_steps == 5 and header.expect.media == ["table", "image"]


def test_header_absent_or_after_code_is_ignored():
    assert parse_header("print(1)\n").line == 0
    assert parse_header("x = 1\n# /// marpkit\n# timeout: x\n# ///\n").line == 0


@pytest.mark.parametrize(("body", "line", "text"), [
    ("# /// marpkit\n# timeout: 30\n", 1, "never closed"),
    ("# /// marpkit\n# timeout: -1\n# ///\n", 2, "positive"),
    ("# /// marpkit\n# skip: [a]\n# ///\n", 2, "reason"),
    ("# /// marpkit\n# run: yes please\n# ///\n", 2, "true or false"),
    ("# /// marpkit\n# a: 1\n# expect: {media: [gif]}\n# ///\n", 2, "unknown header key"),
    ("# /// marpkit\n# expect: {media: [gif]}\n# ///\n", 2, "unknown kind 'gif'"),
    ("# /// marpkit\n# expect:\n#   summary: {a: {approx: x}}\n# ///\n", 2, "numbers"),
    ("# /// marpkit\n# timeout: 1\n# expect: {config: [x}\n# ///\n", 3, "not valid YAML"),
])
def test_header_errors_carry_a_line(body, line, text):
    with pytest.raises(HeaderError) as exc:
        parse_header(body)
    assert exc.value.line == line
    assert text in str(exc.value)


CODE = src('''
    import wandb as wb
    from wandb import log as wlog
    run = wb.init(project="p", config={"lr": 0.1, "epochs": 2})
    with wb.init() as other:
        other.log({"other/loss": 1})
    for step in range(3):
        run.log({"train/loss": 0.5,
                 "step": step})
        if step > 10:
            wlog({"val/acc": 1.0})
    logger.log({"not/a/run": 1})
    wb.save("model.pt")
''')


def test_wandb_call_sites_resolve_aliases_and_run_names():
    tree = parse(CODE)
    sites = wandb_call_sites(tree, Statements(tree))
    assert [(site.first, site.label) for site in sites] == [
        (3, "wb.init(...)"), (4, "wb.init(...)"), (5, "other.log(...)"), (7, "run.log(...)"),
        (10, "wlog(...)"), (12, "wb.save(...)")]


def test_statement_of_a_continuation_line():
    statements = Statements(parse(CODE))
    assert statements.of_line(8) == (7, 8)
    assert statements.of_line(10) == (10, 10)


def test_never_ran_wandb_call_is_an_error_other_lines_warn():
    lines = {"statements": [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12],
             "executed": [1, 2, 3, 4, 5, 6, 7, 9, 11, 12]}
    problems = coverage_problems(CODE, set(range(1, 13)), lines)
    assert [(p.line, p.code, p.severity) for p in problems] == [(10, "MK302", "error")]
    assert "`wlog(...)`, which never ran" in problems[0].message
    plain = src('''
        x = 1
        if x > 2:
            x = 3
            x = 4
    ''')
    problems = coverage_problems(plain, {1, 2, 3, 4},
                                 {"statements": [1, 2, 3, 4], "executed": [1, 2]})
    assert [(p.line, p.code, p.message) for p in problems] == [
        (3, "MK308", "is shown (lines 3-4) but never ran")]
    assert coverage_problems(plain, {1}, None) == []


def _call(**fields):
    return {"op": "log", "run": "r1", "file": "s.py", "line": 7, "mode": "offline",
            "count": 1, **fields}


def test_log_claims_use_the_calls_own_run():
    shown = {7, 8}
    statements = Statements(parse(CODE))
    mine = RunData(run_id="r1", history_keys=["train/loss", "gone"], null_keys=["gone"],
                   summary={"best": 1})
    other = RunData(run_id="r2", history_keys=["best", "gone"])
    calls = [_call(keys={"train/loss": True, "best": True, "gone": True, "nul": False})]
    messages = [p.message for p in call_problems(calls, [mine, other], "s.py", shown,
                                                 statements)]
    assert len(messages) == 3
    assert "'best' logged here is not in run r1's history" in messages[0]  # summary is not history
    assert "'gone'" in messages[1] and "only ever logged as None" in messages[2]
    assert call_problems(calls, [mine], "s.py", {1}, statements) == []  # not shown
    assert call_problems(calls, [mine], "other.py", shown, statements) == []
    disabled = [_call(mode="disabled", keys={"x": True})]
    [problem] = call_problems(disabled, [], "s.py", shown, statements)
    assert "disabled run" in problem.message and problem.code == "MK302"


def test_chart_fields_and_dropped_rows():
    statements = Statements(parse(CODE))
    run = RunData(run_id="r1", history_keys=["curve_table", "val"])
    chart = {"key": "curve", "table_key": "curve_table", "columns": ["epoch", "loss"],
             "fields": {"x": "epoch", "y": "acc"}}
    calls = [_call(keys={"curve": True}, charts=[chart]),
             _call(line=8, keys={"val": True}, dropped=2, step=1, behind=4,
                   dropped_keys=["val"])]
    messages = [p.message for p in call_problems(calls, [run], "s.py", {7}, statements)]
    assert messages == [
        "chart 'curve': field y='acc' is not a column of its table (epoch, loss); "
        "W&B draws it empty",
        "W&B dropped 2 row(s) of `val` logged here: step 1 is behind the run's step 4"]


def test_config_claims_use_dotted_paths():
    statements = Statements(parse(CODE))
    run = RunData(run_id="r1", config={"optimizer": {"lr": 0.1}})
    assert run.flat_config()["optimizer.lr"] == 0.1
    calls = [_call(op="config", line=3, keys={"optimizer.lr": True, "optimizer.wd": True})]
    [problem] = call_problems(calls, [run], "s.py", {3}, statements)
    assert "'optimizer.wd'" in problem.message


def test_expectations():
    header = parse_header(src('''
        # /// marpkit
        # expect:
        #   config: {lr: 0.1, batch: 32}
        #   summary: {"loss": {approx: 0.2, tol: 0.01}}
        #   min_steps: 5
        #   media: [table]
        # ///
    '''))
    run = RunData(config={"lr": 0.1}, summary={"loss": 0.5}, steps=3)
    problems = verify_expectations(header, [run])
    assert problems == [
        "expected config key 'batch' is not in the run config",
        "summary 'loss' is 0.5, header expects ≈0.2 ± 0.01",
        "run logged 3 step(s), header expects at least 5",
        "expected media of kind 'table' was never logged",
    ]


def test_collapse_groups_media_objects():
    item = {"tbl._type": "table-file", "tbl.path": "media/x.json", "a.b": 1, "loss": 2}
    assert _collapse(item) == {"tbl": {"_type": "table-file", "path": "media/x.json"},
                               "a.b": 1, "loss": 2}


def test_scan_reads_framing_across_blocks():
    def frame(payload: bytes, kind: int) -> bytes:
        return b"\0\0\0\0" + len(payload).to_bytes(2, "little") + bytes([kind]) + payload

    big = b"x" * 40000
    first = 32768 - 7 - 7
    data = b":W&B\xe1\xbe\x00" + frame(big[:first], 2)
    rest = big[first:]
    data += frame(rest, 4) + frame(b"small", 1)
    assert list(_scan(data)) == [big, b"small"]
    assert list(_scan(b"nope")) == []


def test_normalise_output():
    text = ("wandb: Tracking run\nrun abc123xy finished at 2025-01-31T12:00:00.5Z in 1.25s\n"
            "saved /tmp/sb/work/model.pt and /tmp/sb/home/x  \n"
            "dir offline-run-20250131_120000-abc123xy took 0:00:03 <obj at 0x7f00ab>\n")
    assert normalise(text, ["abc123xy"], "/tmp/sb/work", "/tmp/sb") == (
        "run <run-id> finished at <timestamp> in <duration>\n"
        "saved <workdir>/model.pt and <tmp>/home/x\n"
        "dir offline-run-<timestamp>-<run-id> took <duration> <obj at 0x<address>>\n")


def test_wandb_save_notice_is_not_a_warning_but_real_warnings_are():
    from marpkit.check.evaluate import wandb_warnings

    stderr = ("wandb: WARNING Symlinked 1 file into the W&B run directory; call wandb.save again "
              "to sync new files.\n"
              "wandb: WARNING Tried to log to step 3 that is less than the current step 5.\n")
    assert [w["message"] for w in wandb_warnings(stderr, [])] == [
        "Tried to log to step 3 that is less than the current step 5."]


def test_shards_partition_snippets_deterministically():
    import pytest

    from marpkit.check.pipeline import in_shard
    from marpkit.commands.check import parse_shard
    from marpkit.findings import UsageError

    names = [f"m{i}/s{j}.py" for i in range(5) for j in range(7)]
    slices = [[n for n in names if in_shard(n, (k, 3))] for k in (1, 2, 3)]
    assert sorted(sum(slices, [])) == sorted(names)  # every snippet in exactly one shard
    assert all(slices)
    assert [n for n in names if in_shard(n, (2, 3))] == slices[1]  # same answer every time
    assert parse_shard("2/3") == (2, 3) and parse_shard(None) is None
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_cache_key_includes_the_execution_mode(tmp_path, monkeypatch):
    from marpkit.check.cache import cache_key

    snippet = tmp_path / "s" / "train.py"
    snippet.parent.mkdir()
    snippet.write_text("print(1)\n")
    for var in ("MARPKIT_CHECK_NO_FORK", "MARPKIT_CHECK_SHARED_SERVICE",
                "MARPKIT_CHECK_NO_RECORD", "MARPKIT_CHECK_NO_COVERAGE"):
        monkeypatch.delenv(var, raising=False)
    keys = {cache_key(tmp_path, snippet)}
    for var, value in (("MARPKIT_CHECK_NO_FORK", "1"), ("MARPKIT_CHECK_SHARED_SERVICE", "0"),
                       ("MARPKIT_CHECK_NO_RECORD", "1"), ("MARPKIT_CHECK_NO_COVERAGE", "1")):
        with monkeypatch.context() as m:
            m.setenv(var, value)
            keys.add(cache_key(tmp_path, snippet))
    assert len(keys) == 5


def test_header_run_exit():
    header = parse_header("# /// marpkit\n# expect:\n#   run_exit: 3\n# ///\n")
    assert header.expect.run_exit == 3
    with pytest.raises(HeaderError, match="run_exit must be an integer"):
        parse_header("# /// marpkit\n# expect:\n#   run_exit: yes\n# ///\n")
    run = RunData(run_id="r", finished=True, exit_code=0)
    assert verify_expectations(header, [run]) == [
        "W&B run r finished with exit code 0, header expects run_exit 3"]
    assert verify_expectations(header, [RunData(finished=True, exit_code=3)]) == []


def test_cache_entries_round_trip_and_a_damaged_one_is_a_miss(tmp_path):
    import json

    from marpkit.check.cache import Cache, CacheEntry

    cache = Cache(tmp_path)
    cache.put("aa" + "1" * 62, CacheEntry("m/a.py", True, "out\n", {"returncode": 0}))
    assert cache.get("aa" + "1" * 62) == CacheEntry("m/a.py", True, "out\n", {"returncode": 0})
    assert cache.written_at("aa" + "1" * 62) is not None
    assert cache.written_at("bb" + "1" * 62) is None
    # Same format, but a field lost or of the wrong type (a hand edit, a bug):
    # the check runs the snippet again instead of failing on the entry.
    damages = ({"execution": None}, {"passed": "yes"}, {"snippet": 3}, {"stdout": None})
    for n, damage in enumerate(damages):
        key = "bb" + str(n) * 62
        cache.put(key, CacheEntry("m/b.py", True, "", {}))
        (file,) = (tmp_path / "check" / "bb").glob(f"{key}.json")
        file.write_text(json.dumps({**json.loads(file.read_text()), **damage}))
        assert cache.get(key) is None, damage
    assert set(cache.newest_per_snippet()) == {"m/a.py"}
    assert Cache(tmp_path, enabled=False).get("aa" + "1" * 62) is None


def test_a_job_crosses_the_process_boundary_as_json(tmp_path):
    import json

    from marpkit.check.job import Job

    job = Job(id="s0", kind="python", source="/p/snippets/m", root="/r/s0", out="/r/s0.out",
              script="/r/s0/work/a.py", cwd="/r/s0/work", env={"HOME": "/r/s0/home"},
              timeout=60.0, disk=1 << 20, memory=1 << 30, output=1 << 20,
              visible=["/r/service"], alone=True)
    back = Job.from_json(json.loads(json.dumps(job.to_json())))
    assert back == job
    assert (back.stdout, back.stderr, back.result) == (
        "/r/s0.out/stdout.txt", "/r/s0.out/stderr.txt", "/r/s0.out/result.json")


def test_limits_defaults_ceilings_and_a_lower_project_ceiling():
    from marpkit.check.limits import CEILINGS, DEFAULTS, GiB, MiB, project_ceiling, resolve

    assert DEFAULTS.processes < 2000 and DEFAULTS.memory < 9 * GiB  # a fork bomb, a hog
    assert project_ceiling({}) == CEILINGS
    low = project_ceiling({"max_memory": "1 GiB", "max_processes": 64, "max_disk": 100})
    assert (low.memory, low.processes, low.disk) == (GiB, 64, 100 * MiB)
    # A project ceiling below a default lowers the default too; a header stays as it is.
    assert resolve(parse_header(""), low) == low
    header = parse_header("# /// marpkit\n# memory: 512 MiB\n# processes: 8\n# ///\n", low)
    assert (resolve(header, low).memory, resolve(header, low).processes) == (512 * MiB, 8)
    with pytest.raises(HeaderError, match=r"processes: 65 is above the project's ceiling of 64 "
                                          r"\(`max_processes`"):
        parse_header("# /// marpkit\n# processes: 65\n# ///\n", low)
    with pytest.raises(HeaderError, match="processes must be a positive whole number"):
        parse_header("# /// marpkit\n# processes: many\n# ///\n", low)


def test_saved_name_follows_wandb_naming_rule(tmp_path, monkeypatch):
    """The names `wandb.save` registers, as wandb 0.31's `Run.save` docstring and code give them."""
    from marpkit.check.record import saved_name

    monkeypatch.chdir(tmp_path)
    here = str(tmp_path)
    assert saved_name("model.pt") == "model.pt"
    assert saved_name("./out/model.pt") == "out/model.pt"
    assert saved_name(f"{here}/predictions.csv", base_path=here) == "predictions.csv"
    assert saved_name("these/are/myfiles/*", base_path="these") == "are/myfiles/*"
    # An absolute path without base_path keeps one folder.
    assert saved_name(f"{here}/run123/a.txt") == "run123/a.txt"
    with pytest.raises(ValueError):  # W&B refuses it too: the snippet raises
        saved_name("/elsewhere/a.txt", base_path=here)


def test_saved_file_matches_wandb_name_exactly():
    from marpkit.check.claims import _saved

    run = RunData(saved=["epoch_1/weights.txt", "output.log", "m[1].pt"])
    assert _saved(run, "epoch_1/*.txt", exact=True)
    assert not _saved(run, "weights.txt", exact=True)  # another folder's file would pass
    assert _saved(run, "weights.txt")  # a header's `files:` may give the base name
    assert _saved(run, "m[1].pt", exact=True, literal=True)


NEVER_RAN = src('''
    import wandb
    run = wandb.init()
    def evaluate():
        run.log(dict(val_acc=1.0))
    for batch in []:
        run.log({"train/loss": 1.0, "lr": 0.1})
    try:
        pass
    except OSError:
        run.save("crash.txt")
    if run is None:
        run.log(metrics)
    else:
        run.config.update({"seed": 1})
    if run is None:
        wandb.init(config={"lr": 0.1, "epochs": 2})
''')


def test_never_ran_call_names_its_keys_and_the_block():
    lines = {"statements": list(range(1, 17)), "executed": [1, 2, 3, 5, 7, 8, 11, 14, 15]}
    problems = coverage_problems(NEVER_RAN, set(range(1, 17)), lines)
    messages = {p.line: p.message for p in problems if p.code == "MK302"}
    assert messages == {
        4: "shows `run.log(...)`, which never ran: `val_acc` was never logged "
           "(`evaluate()` was never called)",
        6: "shows `run.log(...)`, which never ran: `train/loss`, `lr` were never logged "
           "(the loop `for batch in []` never iterated)",
        10: "shows `run.save(...)`, which never ran: `crash.txt` was never saved "
            "(the `except OSError` handler never ran: nothing raised it)",
        12: "shows `run.log(...)`, which never ran (the `if run is None` branch was never "
            "taken)",
        16: "shows `wandb.init(...)`, which never ran: config `lr`, `epochs` were never set "
            "(the `if run is None` branch was never taken)",
    }


def test_table_logged_before_its_rows_and_init_returning_the_open_run():
    statements = Statements(parse(CODE))
    run = RunData(run_id="r1", history_keys=["t", "e"], config={"lr": 0.1})
    calls = [_call(keys={"t": True, "e": True},
                   tables=[{"key": "t", "logged": 0, "rows": 3},
                           {"key": "e", "logged": 0, "rows": 0},
                           {"key": "ok", "logged": 2, "rows": 2}])]
    messages = [p.message for p in call_problems(calls, [run], "s.py", {7}, statements)]
    assert messages == [
        "table 't' was logged with 0 row(s); the 3 added after it never reach W&B, which "
        "stores a table as it was when logged (log it after adding its rows)",
        "table 'e' logged here holds no rows"]
    init = _call(op="init", keys={"lr": True}, count=3, reused=2,
                 ignored=[{"lr": 0.01}, {"lr": 0.1}])
    [lost] = call_problems([init], [run], "s.py", {7}, statements)
    assert lost.severity == "error" and lost.message.endswith(
        "config lr=0.01 never reached a run")
    assert "ran 3 time(s) here and made 1 run" in lost.message
    same = _call(op="init", keys={"lr": True}, count=2, reused=1, ignored=[{"lr": 0.1}])
    [warning] = call_problems([same], [run], "s.py", {7}, statements)
    assert warning.severity == "warning" and "made 1 run" in warning.message
    bare = _call(op="init", count=2, reused=1)  # `wandb.init()` twice, no config
    [warning] = call_problems([bare], [run], "s.py", {7}, statements)
    assert warning.severity == "warning" and "ran 2 time(s) here and made 1 run" in \
        warning.message


def test_installation_bin_comes_first_on_path():
    import os
    import sys

    from marpkit.check.env import installation_path

    own = os.path.dirname(os.path.abspath(sys.executable))
    assert installation_path(f"/usr/bin{os.pathsep}{own}") == f"{own}{os.pathsep}/usr/bin"
    assert installation_path("").split(os.pathsep) == [own]
