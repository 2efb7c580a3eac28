"""Claims: what a slide shows the code doing, and whether the recorded run agrees.

Automatic claims come from the code the slide *shows* (not hidden setup), read
with `ast` from the whole file so line numbers stay the file's:

* every string key of a literal dict passed to `wandb.log(...)` / `run.log(...)`
  is in the run's history or summary (a `wandb.plot.*` custom chart as
  `<key>_table`, where W&B stores its data);
* every string key of a literal `config={...}` passed to `wandb.init` is in the
  run config;
* every literal path passed to `wandb.save(...)` / `run.save(...)` was
  registered with the run and exists in its files.

`run` is any name bound from `wandb.init(...)` (assignment or `with ... as`),
plus the conventional names `run` and `wandb.run`. Declared claims come from
the header's `expect:` table.
"""

from __future__ import annotations

import ast
import fnmatch
import math
import os
from dataclasses import dataclass

from marpkit.check.header import Header
from marpkit.check.runs import RunData


@dataclass(frozen=True)
class Claim:
    kind: str  # "log" | "config" | "save"
    key: str
    line: int  # file line that shows it
    call: str  # e.g. "run.log"
    chart: bool = False  # the value is a wandb.plot.* custom chart


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _is_init(node) -> bool:
    return isinstance(node, ast.Call) and _dotted(node.func) in ("wandb.init", "init")


def _run_names(tree) -> set[str]:
    names = {"run", "wandb.run"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_init(node.value):
            for target in node.targets:
                if (name := _dotted(target)) is not None:
                    names.add(name)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and _is_init(node.value):
            if (name := _dotted(node.target)) is not None:
                names.add(name)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if _is_init(item.context_expr) and item.optional_vars is not None:
                    if (name := _dotted(item.optional_vars)) is not None:
                        names.add(name)
    return names


def _literal_keys(node) -> list[tuple[str, int, bool]]:
    """(key, line, value is a custom chart) for each string key of a dict literal."""
    if not isinstance(node, ast.Dict):
        return []
    out = []
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            out.append((key.value, key.lineno, _is_chart(value)))
    return out


def _is_chart(node) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = _dotted(node.func) or ""
    return name.startswith(("wandb.plot.", "plot.")) or name in ("wandb.plot_table",
                                                                 "plot_table")


def _arg(call: ast.Call, index: int | None, name: str):
    """A call's argument by position or keyword; index None: keyword-only."""
    if index is not None and len(call.args) > index:
        arg = call.args[index]
        return None if isinstance(arg, ast.Starred) else arg
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def extract_claims(source: str, shown_lines: list[int] | set[int]) -> list[Claim]:
    """Claims made by the shown lines of `source`; [] if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    shown = set(shown_lines)
    runs = _run_names(tree)
    claims: list[Claim] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if not name:
            continue
        owner, _, method = name.rpartition(".")
        if method == "log" and (owner == "wandb" or owner in runs):
            for key, line, chart in _literal_keys(_arg(node, 0, "data")):
                if line in shown or node.lineno in shown:
                    claims.append(Claim("log", key, line, name, chart))
        elif name == "wandb.init" or (name == "init" and _is_init(node)):
            for key, line, _chart in _literal_keys(_arg(node, None, "config")):
                if line in shown or node.lineno in shown:
                    claims.append(Claim("config", key, line, name))
        elif method == "save" and (owner == "wandb" or owner in runs):
            target = _arg(node, 0, "glob_str")
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                if node.lineno in shown:
                    claims.append(Claim("save", target.value, node.lineno, name))
    claims.sort(key=lambda c: (c.line, c.kind, c.key))
    return claims


def verify_claim(claim: Claim, runs: list[RunData]) -> str | None:
    """None if some recorded run backs the claim, else why not."""
    if not runs:
        return f"no W&B run was recorded, so {claim.call} key {claim.key!r} is unverified"
    if claim.kind == "log":
        # A custom chart's data is stored as `<key>_table` (wandb.plot.*).
        keys = [claim.key] + ([f"{claim.key}_table"] if claim.chart else [])
        if any(run.has_metric(key) for run in runs for key in keys):
            return None
        return f"metric {claim.key!r} shown in {claim.call}(...) was never logged"
    if claim.kind == "config":
        if any(claim.key in run.config for run in runs):
            return None
        return (f"config key {claim.key!r} shown in {claim.call}(config=...) "
                "is not in the run config")
    if claim.kind == "save":
        if any(_saved(run, claim.key) for run in runs):
            return None
        return f"file {claim.key!r} shown in {claim.call}(...) was not saved with the run"
    return None


def _saved(run: RunData, pattern: str) -> bool:
    name = pattern.replace("\\", "/").removeprefix("./")
    for path in run.saved:
        base = os.path.basename(path)
        if path == name or fnmatch.fnmatch(path, name) or fnmatch.fnmatch(base, name):
            return True
    return False


def _matches(actual, expected) -> bool:
    if isinstance(expected, dict) and "approx" in expected:
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        tol = expected.get("tol", 1e-6 * max(1.0, abs(expected["approx"])))
        return math.isfinite(actual) and abs(actual - expected["approx"]) <= tol
    if isinstance(expected, float) or isinstance(actual, float):
        try:
            return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return actual == expected


def _show(value) -> str:
    if isinstance(value, dict) and "approx" in value:
        return f"≈{value['approx']} ± {value.get('tol', 'tiny')}"
    return repr(value)


def verify_expectations(header: Header, runs: list[RunData]) -> list[str]:
    """Messages for every `expect:` entry no run satisfies."""
    exp = header.expect
    problems: list[str] = []
    declared = (exp.config or exp.config_keys or exp.summary or exp.summary_keys or exp.history
                or exp.media or exp.files or exp.min_steps is not None)
    if declared and not runs:
        return ["header expects a W&B run but none was recorded"]
    for key in exp.config_keys:
        if not any(key in run.config for run in runs):
            problems.append(f"expected config key {key!r} is not in the run config")
    for key, value in exp.config.items():
        seen = [run.config[key] for run in runs if key in run.config]
        if not seen:
            problems.append(f"expected config key {key!r} is not in the run config")
        elif not any(_matches(v, value) for v in seen):
            problems.append(f"config {key!r} is {seen[-1]!r}, header expects {_show(value)}")
    for key in exp.summary_keys:
        if not any(key in run.summary or run.has_metric(key) for run in runs):
            problems.append(f"expected summary key {key!r} was never logged")
    for key, value in exp.summary.items():
        seen = [run.summary[key] for run in runs if key in run.summary]
        if not seen:
            problems.append(f"expected summary key {key!r} was never logged")
        elif not any(_matches(v, value) for v in seen):
            problems.append(f"summary {key!r} is {seen[-1]!r}, header expects {_show(value)}")
    for key in exp.history:
        if not any(key in run.history_keys for run in runs):
            problems.append(f"expected history key {key!r} was never logged as a step")
    if exp.min_steps is not None:
        most = max((run.steps for run in runs), default=0)
        if most < exp.min_steps:
            problems.append(f"run logged {most} step(s), header expects at least {exp.min_steps}")
    for kind in exp.media:
        if not any(kind in run.media for run in runs):
            problems.append(f"expected media of kind {kind!r} was never logged")
    for name in exp.files:
        if not any(_saved(run, name) for run in runs):
            problems.append(f"expected file {name!r} was not saved with the run")
    return problems
