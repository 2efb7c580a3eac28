"""Pieces of `marpkit check` that need no W&B run: header, claims, output normalisation."""

from __future__ import annotations

import textwrap

import pytest

from marpkit.check.claims import extract_claims, verify_claim, verify_expectations
from marpkit.check.header import HeaderError, parse_header
from marpkit.check.outputs import normalise
from marpkit.check.runs import RunData, _collapse, _scan


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
    import wandb
    config = {"lr": 0.1}
    run = wandb.init(project="p", config={"lr": 0.1, "epochs": 2})
    with wandb.init() as other:
        other.log({"other/loss": 1})
    for step in range(3):
        run.log({"train/loss": 0.5, "step": step})
        if step > 10:
            wandb.log({"val/acc": 1.0})
    logger.log({"not/a/run": 1})
    wandb.save("model.pt")
    run.log(dict(x=1))
''')


def test_claims_only_from_shown_lines():
    everything = extract_claims(CODE, range(1, 20))
    assert [(c.kind, c.key, c.line) for c in everything] == [
        ("config", "epochs", 3), ("config", "lr", 3), ("log", "other/loss", 5),
        ("log", "step", 7), ("log", "train/loss", 7), ("log", "val/acc", 9),
        ("save", "model.pt", 11)]
    assert [c.key for c in extract_claims(CODE, [6, 7])] == ["step", "train/loss"]
    assert extract_claims("def f(:\n", [1]) == []


def test_claim_verification():
    run = RunData(config={"lr": 0.1}, summary={"train/loss": 0.5, "nested.a": 1},
                  history_keys=["train/loss"], steps=3)
    [val] = [c for c in extract_claims(CODE, [9]) if c.key == "val/acc"]
    assert "'val/acc'" in verify_claim(val, [run])
    [loss] = [c for c in extract_claims(CODE, [7]) if c.key == "train/loss"]
    assert verify_claim(loss, [run]) is None
    assert "no W&B run" in verify_claim(loss, [])
    assert run.has_metric("nested") and not run.has_metric("nest")


def test_custom_chart_claims_match_their_table_key():
    code = src('''
        import wandb
        wandb.log({"cm": wandb.plot.confusion_matrix(y_true=[0], preds=[0]), "plain": 1})
    ''')
    chart, plain = extract_claims(code, [2])
    assert chart.chart and not plain.chart
    run = RunData(summary={"cm_table": {}, "plain_table": {}})
    assert verify_claim(chart, [run]) is None
    assert verify_claim(plain, [run]) is not None


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

    from marpkit.check.command import in_shard, parse_shard
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
