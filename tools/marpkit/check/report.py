"""Reporting: progress while checking, then text, JSON or JUnit results.

JSON (`--format json`) is one object:

    {"schema": "marpkit-check/1",
     "snippets": [{"snippet": "05-wandb-tracking/train.py", "kind": "python",
                   "status": "passed" | "failed" | "skipped" | "cached",
                   "duration_s": 0.41, "skip_reason": null, "error": null,
                   "slides": [{"deck": "slides/05.md", "line": 140, "slide": 10,
                               "title": "Step 2: ..."}],
                   "findings": [Finding.to_json(), ...],
                   "runs": [{"id": "...", "config_keys": [...], "summary_keys": [...],
                             "history_keys": [...], "steps": 5, "exit_code": 0,
                             "name": "...", "history": {"loss": Series, ...}}],
                   "lines": {"shown": [...], "executed": [...], "never_ran": [...]},
                   "calls": [recorded W&B calls, see docs/check.md]}],
     "findings": [every finding, including unresolved references],
     "totals": {"passed": 0, "failed": 0, "skipped": 0, "cached": 0}}

`history` holds each metric as charts/series.py's Series.to_json(): the steps
and values to draw (a long history downsampled, every bucket's extremes
kept) and the exact count, first, last, min and max of the whole run.
`error` is the first error finding's message. `cached` means passed, from the
cache. JUnit (`--junit PATH`) has one testcase per snippet.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from marpkit.check.evaluate import Execution
from marpkit.check.plan import Task
from marpkit.findings import Finding
from marpkit.fsutil import atomic_write


@dataclass
class SnippetResult:
    task: Task
    status: str = "passed"
    duration_s: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    execution: Execution | None = None
    skip_reason: str | None = None

    @property
    def error(self) -> str | None:
        return next((f.message for f in self.findings if f.severity == "error"), None)

    def to_json(self) -> dict:
        runs = []
        for run in (self.execution.runs if self.execution else []):
            runs.append({"id": run.run_id, "config_keys": sorted(run.config),
                         "summary_keys": sorted(run.summary), "history_keys": run.history_keys,
                         "steps": run.steps, "exit_code": run.exit_code,
                         "media": run.media, "files": run.files,
                         "null_keys": run.null_keys, "artifacts": run.artifacts,
                         "name": run.name, "history": run.history})
        slides = []
        for shown in self.task.shown:
            slide = shown.deck.slides[shown.res.block.slide - 1]
            slides.append({"deck": shown.deck.display_path, "line": shown.res.block.line,
                           "slide": slide.index, "title": slide.title,
                           "region": shown.res.region})
        return {"snippet": self.task.rel, "kind": self.task.kind, "status": self.status,
                "duration_s": round(self.duration_s, 3), "skip_reason": self.skip_reason,
                "error": self.error, "slides": slides,
                "findings": [f.to_json() for f in self.findings], "runs": runs,
                "lines": self._lines(),
                "calls": list(self.execution.calls) if self.execution else []}

    def _lines(self) -> dict | None:
        """The statements the slides show, and which of them ran (None: not measured)."""
        measured = self.execution.lines if self.execution else None
        if not measured:
            return None
        shown = {n for s in self.task.shown for n in s.res.line_numbers}
        statements = [n for n in measured.get("statements", []) if n in shown]
        ran = set(measured.get("executed", []))
        return {"shown": statements, "executed": [n for n in statements if n in ran],
                "never_ran": [n for n in statements if n not in ran]}


class Progress:
    """A rich bar on a terminal, one plain line per snippet otherwise (CI logs)."""

    def __init__(self, total: int, stream=None):
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.bar = None
        if total and self.stream.isatty():
            from rich.console import Console  # only `check` pays for rich
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.description}"),
                           console=Console(file=self.stream), transient=True)
            self.bar.start()
            self.task_id = self.bar.add_task("", total=total)

    def advance(self, result: SnippetResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task_id, advance=1, description=result.task.rel)
        else:
            print(f"[{self.done}/{self.total}] {result.status:7} {result.task.rel} "
                  f"({result.duration_s:.2f}s)", file=self.stream, flush=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def totals(results: list[SnippetResult]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0, "cached": 0}
    for result in results:
        counts[result.status] += 1
    return counts


def text_report(results: list[SnippetResult], extra: list[Finding], elapsed: float) -> str:
    lines = [f.format() for f in extra]
    for result in results:
        for finding in result.findings:
            text = finding.format()
            if finding.severity == "info":
                text = text.replace(f" {finding.code} ", f" {finding.code} (info) ", 1)
            lines.append(text)
    counts = totals(results)
    lines.append(f"checked {len(results)} snippet(s) in {elapsed:.2f}s: "
                 f"{counts['passed'] + counts['cached']} passed ({counts['cached']} cached), "
                 f"{counts['failed']} failed, {counts['skipped']} skipped")
    return "\n".join(lines) + "\n"


def json_report(results: list[SnippetResult], extra: list[Finding]) -> str:
    everything = list(extra) + [f for r in results for f in r.findings]
    return json.dumps({"schema": "marpkit-check/1",
                       "snippets": [r.to_json() for r in results],
                       "findings": [f.to_json() for f in everything],
                       "totals": totals(results)}, indent=2) + "\n"


def write_junit(path: Path, results: list[SnippetResult], extra: list[Finding]) -> None:
    suite = ET.Element("testsuite", name="marpkit check")
    failures = skipped = 0
    for finding in extra:
        case = ET.SubElement(suite, "testcase", classname="references",
                             name=f"{finding.path}:{finding.line}", time="0")
        ET.SubElement(case, "failure", message=finding.message, type=finding.code).text = \
            finding.format()
        failures += 1
    for result in results:
        classname = result.task.shown[0].deck.display_path if result.task.shown else "snippets"
        case = ET.SubElement(suite, "testcase", classname=classname, name=result.task.rel,
                             time=f"{result.duration_s:.3f}")
        if result.status == "failed":
            failures += 1
            errors = [f for f in result.findings if f.severity == "error"]
            ET.SubElement(case, "failure", message=errors[0].message if errors else "failed",
                          type=errors[0].code if errors else "MK301").text = \
                "\n".join(f.format() for f in result.findings)
        elif result.status == "skipped":
            skipped += 1
            ET.SubElement(case, "skipped", message=result.skip_reason or "skipped")
        if result.execution and result.execution.stdout:
            ET.SubElement(case, "system-out").text = result.execution.stdout
    suite.set("tests", str(len(results) + len(extra)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    atomic_write(Path(path), ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n")
