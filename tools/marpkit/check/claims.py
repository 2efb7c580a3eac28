"""Claims: what a slide shows the code doing, and whether what ran agrees.

Nothing is read off the source's shape. The child records every W&B call as
it happens, with its call site (check/record.py), and which lines of the
snippet ran (check/line_coverage.py). A call is *shown* when its statement is on a
slide; then:

* a shown W&B call that never ran is an error on its line, naming the keys
  its literal arguments claim and the block that kept it from running
  (`CallSite`); any other shown line that never ran is a warning (MK308);
* a shown `log` call: each key it logged is in *that call's run's* history with
  at least one non-null value (summary does not count), no row it logged was
  dropped for a step behind the run's, and a custom chart's fields are columns
  of its table (stored under `<key>_table`, or `Custom Chart Tables/<key>_table`
  with `split_table=True`), and a logged table holds rows, none of them added
  after it was last logged;
* a shown config write (`wandb.init(config=...)`, `run.config[...]`,
  `.update`, attribute writes): each key, nested ones as dotted paths, is in
  that run's config; a `wandb.init` that returned the run already open
  passed no config value that run does not hold;
* a shown `summary` write: each key is in that run's summary;
* a shown `save`: the file was registered with that run, under the name W&B
  gives it (`record.saved_name`), and exists in its files;
* any of these on a disabled run (`mode="disabled"`) is unverifiable: an error.

Declared claims come from the header's `expect:` table (`verify_expectations`).
The static part (`wandb_call_sites`) only decides which lines are W&B calls,
for the "never ran" error; it resolves `import wandb as wb`, `from wandb
import log` and names bound from `init(...)`.
"""

from __future__ import annotations

import ast
import fnmatch
import math
import os
from dataclasses import dataclass

from marpkit.check.header import Header
from marpkit.check.run_files import RunData

NEVER_RAN = "MK308"


@dataclass(frozen=True)
class Problem:
    line: int  # file line to report on
    message: str
    code: str = "MK302"
    severity: str = "error"


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Statements:
    """Each statement's (first line, last line), and the statement a line belongs to."""

    def __init__(self, tree):
        self.spans: list[tuple[int, int]] = []
        self.owner: dict[int, tuple[int, int]] = {}  # id(expression node) -> span
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                span = (node.lineno, node.end_lineno or node.lineno)
                self.spans.append(span)
                stack = [c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.stmt)]
                while stack:
                    child = stack.pop()
                    self.owner[id(child)] = span
                    stack += [c for c in ast.iter_child_nodes(child)
                              if not isinstance(c, ast.stmt)]

    def of_line(self, line: int) -> tuple[int, int]:
        best = (line, line)
        for first, last in self.spans:
            if first <= line <= last and (best == (line, line)
                                          or last - first < best[1] - best[0]):
                best = (first, last)
        return best


def parse(source: str):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


@dataclass(frozen=True, eq=False)
class CallSite:
    """A call into W&B in the source: where, and what a slide showing it claims."""

    first: int  # its statement's first line
    line: int  # the call's own line
    label: str  # `run.log(...)`
    claim: str  # what never happened if it never ran: "`val/acc` was never logged", or ""
    # The compound statements around it, innermost first, with the field of each
    # it sits in ("body", "orelse", "handlers", ...): to say why it never ran.
    within: tuple = ()


def _blocks(tree) -> dict[int, tuple]:
    """id(node) -> its enclosing (compound statement, field) pairs, innermost first."""
    out: dict[int, tuple] = {}
    stack = [(tree, ())]
    while stack:
        node, chain = stack.pop()
        for name, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            inner = ((node, name), *chain) if isinstance(node, ast.stmt | ast.ExceptHandler) \
                and name in ("body", "orelse", "handlers", "finalbody") else chain
            for child in children:
                if isinstance(child, ast.AST):
                    out[id(child)] = inner
                    stack.append((child, inner))
    return out


def _literal_keys(node) -> list[str]:
    """Keys of a dict literal or `dict(k=...)` call, as written."""
    if isinstance(node, ast.Dict):
        return [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return [k.arg for k in node.keywords if k.arg]
    return []


def _claim(call: ast.Call, label: str) -> str:
    """What a shown call says happens, in the words of its literal arguments."""
    def never(names, done: str, what: str = "") -> str:
        if not names:
            return ""
        quoted = ", ".join(f"`{n}`" for n in names)
        return f"{what}{quoted} {'was' if len(names) == 1 else 'were'} never {done}"

    parts = label.removesuffix("(...)").split(".")
    method = parts[-1]
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    first = call.args[0] if call.args else None
    if method == "log":
        return never(_literal_keys(first if first is not None else keywords.get("data")),
                     "logged")
    if method == "init":
        return never(_literal_keys(keywords.get("config")), "set", "config ")
    if method == "update" and ("config" in parts or "summary" in parts):
        return never(_literal_keys(first), "written", f"{parts[-2]} ")
    if method == "save":
        target = first if first is not None else keywords.get("glob_str")
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            return never([target.value], "saved")
    if method == "log_artifact":
        return "no artifact was logged"
    return ""


def _short(node) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


def _why(site: CallSite, ran: set[int]) -> str:
    """The block around a call that never ran, in the words of the source."""
    inner = None
    for block, name in site.within:
        # A `try:` line is no statement of its own: it ran if its body began.
        started = block.lineno in ran or (isinstance(block, ast.Try | ast.TryStar)
                                          and block.body and block.body[0].lineno in ran)
        if not started:
            inner = block
            continue
        if isinstance(block, ast.Try | ast.TryStar) and name == "handlers" \
                and isinstance(inner, ast.ExceptHandler):
            block = inner  # the try ran, the handler around the call did not
        if isinstance(block, ast.If):
            test = _short(block.test)
            return f"the `if {test}` branch was never taken" if name == "body" else \
                f"the `else` of `if {test}` was never taken"
        if isinstance(block, ast.For | ast.AsyncFor):
            return (f"the loop `for {_short(block.target)} in {_short(block.iter)}` never "
                    "iterated") if name == "body" else "the loop's `else` never ran (it broke)"
        if isinstance(block, ast.While):
            return f"the loop `while {_short(block.test)}` never iterated" if name == "body" \
                else "the loop's `else` never ran (it broke)"
        if isinstance(block, ast.ExceptHandler):
            caught = f"except {_short(block.type)}" if block.type is not None else "except"
            return f"the `{caught}` handler never ran: nothing raised it"
        if isinstance(block, ast.FunctionDef | ast.AsyncFunctionDef):
            return f"`{block.name}()` was never called"
        return ""
    return ""


def wandb_call_sites(tree, statements: Statements) -> list[CallSite]:
    """Every call into W&B, in line order."""
    modules, functions, runs = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "wandb" or alias.name.startswith("wandb."):
                    modules.add(alias.asname or "wandb")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "wandb":
            for alias in node.names:
                functions.add(alias.asname or alias.name)

    def is_wandb(func) -> bool:
        name = _dotted(func)
        if not name:
            return False
        root = name.split(".")[0]
        return root in modules or name in functions or root in functions or any(
            name == r or name.startswith(r + ".") for r in runs)

    def is_init(node) -> bool:
        return isinstance(node, ast.Call) and is_wandb(node.func) and (
            (_dotted(node.func) or "").rsplit(".", 1)[-1] == "init")

    for node in ast.walk(tree):  # names bound to runs, once the imports are known
        targets = []
        if isinstance(node, ast.Assign) and is_init(node.value):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None and is_init(node.value):
            targets = [node.target]
        elif isinstance(node, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in node.items
                       if is_init(i.context_expr) and i.optional_vars is not None]
        for target in targets:
            if (name := _dotted(target)) is not None:
                runs.add(name)
    blocks = _blocks(tree)
    sites: dict[tuple[int, int, str], CallSite] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and is_wandb(node.func):
            first, _last = statements.owner.get(id(node), (node.lineno, node.lineno))
            label = f"{_dotted(node.func)}(...)"
            sites.setdefault((first, node.lineno, label), CallSite(
                first, node.lineno, label, _claim(node, label), blocks.get(id(node), ())))
    return [sites[key] for key in sorted(sites)]


def _ranges(lines: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for line in sorted(lines):
        if out and line == out[-1][1] + 1:
            out[-1] = (out[-1][0], line)
        else:
            out.append((line, line))
    return out


def coverage_problems(source: str, shown: set[int], lines: dict | None,
                      tree=None, statements: Statements | None = None,
                      sites: list | None = None) -> list[Problem]:
    """Shown W&B calls that never ran (errors) and other shown lines that never ran."""
    if lines is None:
        return []
    tree = tree or parse(source)
    if tree is None:
        return []
    statements = statements or Statements(tree)
    ran = set(lines.get("executed", []))
    missed = [n for n in lines.get("statements", []) if n in shown and n not in ran]
    problems = []
    reported: set[int] = set()
    if sites is None:
        sites = wandb_call_sites(tree, statements)
    for site in sites:
        first = site.first
        # Not only coverage's statements: the compiler drops `if False:` bodies,
        # which then are no statement at all, yet the slide shows the call.
        if first in shown and first not in ran and first not in reported:
            reported.add(first)
            line = site.line if site.line in shown else first
            message = f"shows `{site.label}`, which never ran"
            why = _why(site, ran)
            if site.claim:
                message += f": {site.claim}" + (f" ({why})" if why else "")
            elif why:
                message += f" ({why})"
            problems.append(Problem(line, message))
    rest = [n for n in missed if n not in reported]
    for first, last in _ranges(rest):
        span = f"line {first}" if first == last else f"lines {first}-{last}"
        problems.append(Problem(first, f"is shown ({span}) but never ran", NEVER_RAN, "warning"))
    return problems


def _run_for(call: dict, runs: list[RunData]) -> RunData | None:
    return next((r for r in runs if r.run_id and r.run_id == call.get("run")), None)


def call_problems(calls: list[dict], runs: list[RunData], file_name: str, shown: set[int],
                  statements: Statements | None) -> list[Problem]:
    """What the recorded calls made on shown lines claim, checked against their runs."""
    problems: list[Problem] = []
    for call in calls:
        if call.get("file") != file_name:
            continue
        line = int(call.get("line") or 0)
        first, last = statements.of_line(line) if statements else (line, line)
        visible = [n for n in range(first, last + 1) if n in shown]
        if not visible:
            continue
        at = line if line in shown else visible[0]
        op = call.get("op")
        if op not in ("log", "config", "summary", "save", "init", "artifact"):
            continue
        label = {"log": "log", "config": "config write", "summary": "summary write",
                 "save": "save", "init": "wandb.init(config=...)",
                 "artifact": "log_artifact"}[op]
        if call.get("mode") == "disabled":
            if op != "init" or call.get("keys"):
                problems.append(Problem(at, f"{label} on a disabled run (mode=\"disabled\"): "
                                            "W&B records nothing, so this is unverifiable"))
            continue
        if op == "init" and not call.get("keys") and not call.get("reused"):
            continue
        run = _run_for(call, runs)
        if run is None:
            problems.append(Problem(at, f"{label} went to run {call.get('run')!r}, "
                                        "which left no record"))
            continue
        problems += _check_call(op, call, run, at)
    return problems


def _check_call(op: str, call: dict, run: RunData, at: int) -> list[Problem]:
    out = []
    keys = call.get("keys") or {}
    if op == "log":
        charts = {c["key"]: c for c in call.get("charts") or []}
        for key, had_value in keys.items():
            if key.startswith("_"):
                continue
            chart = charts.get(key)
            if chart is not None:
                if chart["table_key"] not in run.history_keys:
                    out.append(Problem(at, f"chart {key!r} never reached the run's history "
                                           f"(as {chart['table_key']!r})"))
                for field_name, column in chart.get("fields", {}).items():
                    if column not in chart.get("columns", []):
                        columns = ", ".join(chart.get("columns", [])) or "none"
                        out.append(Problem(at, f"chart {key!r}: field {field_name}={column!r} "
                                               f"is not a column of its table ({columns}); "
                                               "W&B draws it empty"))
                continue
            if not had_value:
                out.append(Problem(at, f"metric {key!r} was only ever logged as None or NaN here: "
                                       "W&B shows nothing"))
            elif not run.in_history(key) and not call.get("dropped"):
                out.append(Problem(at, f"metric {key!r} logged here is not in run "
                                       f"{run.run_id}'s history"))
        if call.get("dropped"):
            keys = ", ".join(f"`{k}`" for k in call.get("dropped_keys") or [])
            what = f"row(s) of {keys}" if keys else "row(s)"
            out.append(Problem(at, f"W&B dropped {call['dropped']} {what} logged here: step "
                                   f"{call.get('step')} is behind the run's step "
                                   f"{call.get('behind')}"))
        out += _table_problems(call, at)
    elif op in ("config", "init"):
        config = run.flat_config()
        if call.get("reused"):
            out.append(_reused_run_problem(call, config, at))
        for key in keys:
            if key not in config and not key.startswith("_"):
                out.append(Problem(at, f"config key {key!r} written here is not in run "
                                       f"{run.run_id}'s config"))
    elif op == "summary":
        for key in keys:
            if key not in run.summary and not any(k.startswith(key + ".") for k in run.summary):
                out.append(Problem(at, f"summary key {key!r} written here is not in run "
                                       f"{run.run_id}'s summary"))
    elif op == "save":
        for name in call.get("files") or []:
            if not _saved(run, name, exact=True, literal=bool(call.get("literal"))):
                out.append(Problem(at, f"file {name!r} saved here was not registered with "
                                       f"run {run.run_id}"))
    elif op == "artifact":
        out += _artifact_problems(call, run, at)
    return out


def rows_after_logging(table: dict) -> int:
    """Rows added to a logged table after it was last logged: W&B never sees them."""
    return max(0, table["rows"] - table["logged"])


def _table_problems(call: dict, at: int) -> list[Problem]:
    """A shown table must hold what the shown code put in it, like an artifact."""
    out = []
    for table in call.get("tables") or []:
        logged, rows = table["logged"], table["rows"]
        if rows_after_logging(table):
            out.append(Problem(at, f"table {table['key']!r} was logged with {logged} row(s); "
                                   f"the {rows - logged} added after it never reach W&B, "
                                   "which stores a table as it was when logged (log it "
                                   "after adding its rows)"))
        elif rows == 0:
            out.append(Problem(at, f"table {table['key']!r} logged here holds no rows"))
    return out


def _reused_run_problem(call: dict, config: dict, at: int) -> Problem:
    """`wandb.init` returned the run already open: what this call configured is lost."""
    count, reused = int(call.get("count") or 0), int(call["reused"])
    made = count - reused
    lost: dict[str, list] = {}
    for given in call.get("ignored") or []:
        for key, value in given.items():
            if not key.startswith("_") and (key not in config
                                            or not _matches(config[key], value)):
                seen = lost.setdefault(key, [])
                if value not in seen:
                    seen.append(value)
    runs = "no new run" if made <= 0 else f"{made} run" + ("s" if made > 1 else "")
    message = (f"`wandb.init(...)` ran {count} time(s) here and made {runs}: {reused} call(s) "
               "returned the run already open (no `run.finish()` before them, no `reinit`), and "
               "what they logged went to it")
    if not lost:
        return Problem(at, message, severity="warning")
    values = "; ".join(f"{key}={', '.join(repr(v) for v in seen)}" for key, seen in lost.items())
    return Problem(at, f"{message}: config {values} never reached a run")


def _artifact_problems(call: dict, run: RunData, at: int) -> list[Problem]:
    """Each artifact logged here is in the run, and holds at least one file."""
    out = []
    for name in call.get("files") or []:
        found = [a for a in run.artifacts
                 if not call.get("named") or a["name"] == name.split(":", 1)[0]]
        if not found:
            out.append(Problem(at, f"artifact {name!r} logged here is not in run {run.run_id}"))
        elif not any(a["files"] for a in found):
            out.append(Problem(at, f"artifact {name!r} logged here holds no files: W&B stores "
                                   "an empty version"))
    return out


def _saved(run: RunData, pattern: str, exact: bool = False, literal: bool = False) -> bool:
    """Whether the run holds a file of that name. A recorded save is named as W&B
    named it (record.saved_name): `exact`; a header's `files:` may name the file
    by its base name alone."""
    name = pattern.replace("\\", "/").removeprefix("./")
    for path in run.saved:
        if path == name or (not literal and fnmatch.fnmatch(path, name)):
            return True
        if not exact and fnmatch.fnmatch(os.path.basename(path), name):
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
                or exp.media or exp.files or exp.min_steps is not None or exp.run_exit is not None)
    if declared and not runs:
        return ["header expects a W&B run but none was recorded"]
    configs = [run.flat_config() for run in runs]
    for key in exp.config_keys:
        if not any(key in config for config in configs):
            problems.append(f"expected config key {key!r} is not in the run config")
    for key, value in exp.config.items():
        seen = [config[key] for config in configs if key in config]
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
    if exp.run_exit is not None:
        ended = [run for run in runs if run.finished]
        if not ended:
            problems.append(f"header expects a run to finish with exit code {exp.run_exit}, "
                            "but no run finished")
        for run in ended:
            if run.exit_code != exp.run_exit:
                problems.append(f"W&B run {run.run_id} finished with exit code "
                                f"{run.exit_code}, header expects run_exit {exp.run_exit}")
    for name in exp.files:
        if not any(_saved(run, name) for run in runs):
            problems.append(f"expected file {name!r} was not saved with the run")
    return problems
