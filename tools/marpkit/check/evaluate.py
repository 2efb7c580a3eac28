"""From a snippet's execution record to findings placed on the slides.

An execution record (`Execution`) is what the cache stores: exit status,
exception frames, W&B warnings, recorded runs and normalised stdout. Verdicts
are computed here from it and from what the decks show *now*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from marpkit.charts.state import DATA as CHART_DATA
from marpkit.charts.state import finding as chart_finding
from marpkit.charts.state import select
from marpkit.check.claims import (
    Statements,
    call_problems,
    coverage_problems,
    parse,
    rows_after_logging,
    verify_expectations,
    wandb_call_sites,
)
from marpkit.check.plan import Shown, Task
from marpkit.check.run_files import RunData
from marpkit.findings import Finding
from marpkit.snippets.expand import drift, first_difference
from marpkit.text import split_lines

EXEC_FAILED = "MK301"
CLAIM_FAILED = "MK302"
TIMEOUT = "MK303"
WANDB_WARNING = "MK304"
SHELL = "MK305"
BAD_HEADER = "MK306"
SKIPPED = "MK307"

_WARNING_LINE = re.compile(r"^wandb: WARNING (?P<message>.*)$")
# Printed at WARNING level on every successful wandb.save(), yet it reports
# what happened rather than anything wrong: a clean slide must not show it.
_NOTICES = (re.compile(r"^Symlinked \d+ files? into the W&B run directory"),)
_DROPPED = re.compile(r"^Tried to log to step \d+ that is less than the current step")
_TABLE_MUTATED = re.compile(r"^You are mutating a Table .* that has been logged already")


@dataclass
class Execution:
    returncode: int | None = None
    timed_out: bool = False
    duration_s: float = 0.0
    exception: dict | None = None  # type, message, frames [[file, line, name]]
    warnings: list[dict] = field(default_factory=list)  # message, line (file line or None)
    stderr_tail: str = ""
    stdout: str = ""  # normalised
    runs: list[RunData] = field(default_factory=list)
    # What the child observed (check/record.py, check/line_coverage.py):
    calls: list[dict] = field(default_factory=list)  # aggregated W&B calls with call sites
    lines: dict | None = None  # {"statements": [...], "executed": [...]} of the snippet file
    problems: list[dict] = field(default_factory=list)  # exceptions in threads / unraisable
    observed: bool = False  # the W&B calls were recorded (a tested wandb version)

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["runs"] = [r.to_json() for r in self.runs]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Execution:
        data = dict(data)
        data["runs"] = [RunData.from_json(r) for r in data.get("runs", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def wandb_warnings(stderr: str, events: list[dict]) -> list[dict]:
    """W&B's own warning lines from stderr, each with the snippet line if known."""
    found: list[dict] = []
    seen: set[str] = set()
    for raw in split_lines(stderr):
        match = _WARNING_LINE.match(raw.strip())
        if not match:
            continue
        message = match.group("message").strip()
        if not message or message in seen or any(n.match(message) for n in _NOTICES):
            continue
        seen.add(message)
        line = next((e["line"] for e in events
                     if e.get("line") and message in e.get("message", "")), None)
        found.append({"message": message, "line": line})
    return found


def _guess_warning_line(message: str, text: str) -> int | None:
    """For warnings W&B prints from its own threads: the call that most likely caused them."""
    if "step" not in message.lower():
        return None
    calls = [(number, line) for number, line in enumerate(split_lines(text), start=1)
             if ".log(" in line and "step=" in line]
    wanted = re.search(r"log to step (\d+)", message)
    if wanted:
        exact = re.compile(rf"step\s*=\s*{wanted.group(1)}\b")
        for number, line in calls:
            if exact.search(line):
                return number
    return calls[0][0] if calls else None


def is_stale(shown: Shown) -> bool:
    """Whether the fence shows other code than its snippet's region holds now."""
    return first_difference(shown.res.block.body, shown.res.code or "") is not None


class Placer:
    """Places a snippet file line on the deck line that shows it."""

    def __init__(self, task: Task, project_rel):
        self.task = task
        self.project_rel = project_rel

    def at(self, file_line: int | None, code: str, message: str,
           severity: str = "error") -> Finding:
        task = self.task
        if file_line is not None:
            for shown in task.shown:
                deck_line = shown.res.slide_line_of(file_line)
                if deck_line is None:
                    continue
                if is_stale(shown):
                    # The fence shows other lines than the file's: a line number
                    # inside it would point at the wrong code, or past its end.
                    block = shown.res.block
                    state = "is empty" if not block.body.strip() else \
                        "is stale: it does not show the file's current code"
                    return self._finding(shown, block.line, code,
                                         f"snippet {task.rel}:{file_line} {message} (the fence at line "
                                         f"{block.line} {state}; run `marpkit sync`)", severity)
                return self._finding(shown, deck_line, code,
                                     f"snippet {task.rel}:{file_line} {message}", severity)
        if task.shown:
            where = f"{task.rel}" + (f" hidden setup line {file_line}" if file_line else "")
            shown = task.shown[0]
            return self._finding(shown, shown.res.block.line, code,
                                 f"snippet {where} {message}", severity)
        return Finding(self.project_rel(task.path), file_line or 1, 1, code,
                       f"snippet {task.rel} {message}", severity)

    @staticmethod
    def _finding(shown, line, code, message, severity) -> Finding:
        deck = shown.deck
        slide = deck.slides[shown.res.block.slide - 1]
        return Finding(deck.display_path, line, shown.res.block.column, code, message,
                       severity, slide.index, slide.title)


def evaluate(task: Task, run: Execution, placer: Placer) -> list[Finding]:
    if run.timed_out:
        return [placer.at(None, TIMEOUT, f"timed out after {run.duration_s:.1f}s and was killed")]
    findings = _crashes(task, run, placer) + _warnings(task, run, placer) + _stale_fences(task)
    if any(f.code == EXEC_FAILED for f in findings):
        # Claims on a crashed run would only repeat the crash; a chart says where it is.
        return findings + [chart_finding(chart, CHART_DATA, f"{task.rel} failed: the chart is "
                                                            "not drawn from a failed run")
                           for chart in task.charts]
    runs = [r.to_json() for r in run.runs] if task.charts else []
    for chart in task.charts:
        chosen = select(chart.ref.spec, runs)
        if isinstance(chosen, str):
            findings.append(chart_finding(chart, CHART_DATA, chosen))
    if task.kind == "python":
        for finding in _shown_claims(task, run, placer):
            if finding not in findings:
                findings.append(finding)
    return findings + _declared_claims(task, run, placer)


def _stale_fences(task: Task) -> list[Finding]:
    """A fence that shows other code than what ran: the slide a presenter
    previews shows code check never ran (lint and `sync --check` say it too)."""
    found = []
    for shown in task.shown:
        if not shown.res.block.body.strip():
            continue  # an empty fence shows no code: the build fills it in
        if (stale := drift(shown.deck, shown.res)) is not None:
            finding = stale[0]
            finding.severity = "warning"
            finding.message += "; the code check ran is the file's, not this fence's"
            finding.fix = None
            found.append(finding)
    return found


def _crashes(task: Task, run: Execution, placer: Placer) -> list[Finding]:
    """An exception, an unexpected exit code, exceptions in threads."""
    findings: list[Finding] = []
    header = task.header
    # An uncaught exception exits 1: with `exit: 1` declared that is the expected end.
    expected_crash = run.exception is not None and header.exit != 0 \
        and run.returncode == header.exit
    if run.exception and not expected_crash:
        exc = run.exception
        line = None
        for filename, lineno, _name in reversed(exc.get("frames", [])):
            if _same_file(filename, task):
                line = lineno
                break
        text = " ".join(str(exc["message"]).split())
        if len(text) > 300:
            text = text[:297] + "..."
        message = f"raised {exc['type']}: {text}".rstrip(": ")
        findings.append(placer.at(line, EXEC_FAILED, message))
    elif run.returncode != header.exit:
        detail = f"exited with code {run.returncode}, expected {header.exit}"
        if run.returncode is not None and run.returncode < 0:
            detail = f"was killed by signal {-run.returncode}"
        tail = split_lines(run.stderr_tail.strip())[-1:] if run.stderr_tail else []
        if tail:
            detail += f": {tail[0][:200]}"
        findings.append(placer.at(None, EXEC_FAILED, detail))
    for problem in run.problems:
        # Python prints these and carries on (exit 0), yet the slide's code failed.
        where = f"in thread {problem['thread']!r}" if problem.get("thread") else "(unraisable)"
        text = " ".join(str(problem.get("message", "")).split())[:300]
        line = problem["line"] if problem.get("file") == task.path.name else None
        findings.append(placer.at(line, EXEC_FAILED,
                                  f"raised {problem['type']} {where}: {text}".rstrip(": ")))
    return findings


def _warnings(task: Task, run: Execution, placer: Placer) -> list[Finding]:
    findings: list[Finding] = []
    dropped = any(c.get("dropped") for c in run.calls)
    rows_lost = any(rows_after_logging(t) for c in run.calls for t in c.get("tables") or [])
    for warning in run.warnings:
        if any(n.match(warning["message"]) for n in _NOTICES):
            continue  # also in executions cached before the notice was recognised
        if dropped and _DROPPED.match(warning["message"]):
            continue  # reported as an error on the call that lost the data
        if rows_lost and _TABLE_MUTATED.match(warning["message"]):
            continue  # the same: an error on the log call that froze the table
        line = warning.get("line") or _guess_warning_line(warning["message"], task.text)
        findings.append(placer.at(line, WANDB_WARNING, f"W&B warning: {warning['message']}",
                                  "warning"))
    return findings


def _shown_claims(task: Task, run: Execution, placer: Placer) -> list[Finding]:
    """What each slide shows of a Python snippet: lines that ran, W&B calls that did."""
    findings: list[Finding] = []
    tree = parse(task.text)
    statements = Statements(tree) if tree is not None else None
    sites = wandb_call_sites(tree, statements) if tree is not None else []
    if _shows_wandb(sites, task) and not run.observed:
        findings.append(placer.at(None, CLAIM_FAILED,
                                  "W&B calls were not recorded (wandb version outside "
                                  "the tested range), so what the slides show is "
                                  "unverified"))
    for shown in task.shown:
        lines = set(shown.res.line_numbers)
        problems = coverage_problems(task.text, lines, run.lines, tree, statements, sites)
        problems += call_problems(run.calls, run.runs, task.path.name, lines, statements)
        for problem in problems:
            finding = placer.at(problem.line, problem.code, problem.message, problem.severity)
            if finding not in findings:
                findings.append(finding)
    return findings


def _declared_claims(task: Task, run: Execution, placer: Placer) -> list[Finding]:
    """The header's `expect:` table, and runs that finished with an error."""
    header = task.header
    findings = [placer.at(header.line or None, CLAIM_FAILED,
                          f"{problem} (header line {header.line})")
                for problem in verify_expectations(header, run.runs)]
    if header.expect.run_exit is None and header.exit == 0:
        for data in run.runs:
            if data.finished and data.exit_code not in (None, 0):
                findings.append(placer.at(None, CLAIM_FAILED,
                                          f"W&B run {data.run_id} finished with exit code "
                                          f"{data.exit_code}"))
    return findings


def _shows_wandb(sites, task: Task) -> bool:
    shown = {n for s in task.shown for n in s.res.line_numbers}
    return any(site.first in shown for site in sites)


def _same_file(filename: str, task: Task) -> bool:
    # Frames inside the sandbox's working copy were made relative to it, so
    # the snippet itself is exactly its file name.
    return filename == task.path.name
