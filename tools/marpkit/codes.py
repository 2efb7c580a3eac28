"""Every MK code marpkit can print, whichever command prints it.

Lint rules register here through `@rule` (lint/registry.py) as they are
defined; the codes of check, build and the deck loader are declared below,
so `marpkit rule CODE` answers for all of them and the code tables in
docs/rules.md and docs/check.md are generated from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("lint", "check", "build")


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: str  # "error" | "warning" | "info"
    summary: str
    rationale: str
    example: str
    stage: str  # which command reports it; lint codes may be reported by others too
    fixable: bool = False

    def describe(self) -> str:
        fix = "yes (safe, applied by --fix)" if self.fixable else "no"
        return (f"{self.code} ({self.name}) [{self.severity}, marpkit {self.stage}]\n\n"
                f"{self.summary}\n\nWhy: {self.rationale}\n\nExample:\n{_indent(self.example)}\n\n"
                f"Fix: {fix}\n")


CODES: dict[str, Code] = {}


def register(code: Code) -> Code:
    if code.code in CODES:
        raise ValueError(f"code {code.code} registered twice")
    if code.stage not in STAGES or code.severity not in ("error", "warning", "info"):
        raise ValueError(f"{code.code}: bad stage or severity")
    CODES[code.code] = code
    return code


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def all_codes() -> dict[str, Code]:
    """Every code, lint rules included (importing them registers them)."""
    from marpkit.lint.registry import load_rules

    load_rules()
    return dict(sorted(CODES.items()))


def _declare(code, name, severity, stage, summary, rationale, example):
    register(Code(code, name, severity, summary, rationale.strip(), example.strip("\n"), stage))


# --------------------------------------------------------------------------- check
_declare("MK301", "snippet-failed", "error", "check",
         "A snippet did not run as its slide says: an exception, the wrong exit code, "
         "or code that does not compile.",
         """The slide shows code that students will copy; if it does not run, the
slide is wrong. The message names the snippet line and the slide line that shows
it (or "hidden setup line N").""",
         "slides/05.md:142:1: MK301 snippet 05/train.py:17 raised AttributeError: … (slide 10)")
_declare("MK302", "claim-not-backed", "error", "check",
         "What the slide shows (a logged key, a config value, a saved file) or a declared "
         "`expect:` is not backed by the recorded run.",
         """A slide that shows `run.log({"loss": …})` promises a loss chart; if the run never
logged it, the audience is shown a chart that cannot exist.""",
         """# /// marpkit
# expect:
#   summary: {epoch: 4}
# ///                       (the run's summary has epoch = 3)""")
_declare("MK303", "snippet-limit", "error", "check",
         "A snippet hit a limit: it ran longer than its timeout (it and everything it "
         "started were killed), or it used up its memory, process or disk limit (the "
         "message names the limit and its amount).",
         """A check that never ends, forks without end, eats the machine's memory or fills
the disk blocks CI. Raise a limit with the header's `timeout:`, `memory:`,
`processes:` or `disk:` if the snippet really needs it, up to the ceiling the
project sets in `[tool.marpkit.check]`.""",
         """# /// marpkit
# timeout: 120
# memory: 4 GiB
# disk: 512MiB
# ///""")
_declare("MK304", "wandb-warning", "warning", "check",
         "W&B printed a warning while the snippet ran (on the slide line that was running).",
         """W&B warns about deprecated arguments and dropped data; a slide should not
teach code that W&B itself complains about.""",
         """wandb.init(reinit=True)   -> W&B: `reinit=True` is deprecated""")
_declare("MK305", "shell-snippet", "error", "check",
         "A shell snippet has a syntax error (`bash -n`) or a shellcheck finding.",
         """Shell on slides is copied into terminals; a quoting bug there deletes the
wrong files. Errors fail the check, shellcheck's style notes are warnings.""",
         """rm -rf $DIR/build   (SC2086: double quote to prevent globbing)""")
_declare("MK306", "bad-header", "error", "check",
         "A snippet's `# /// marpkit` header is malformed, has an unknown key, or asks for "
         "a limit above the project's ceiling (exit 2).",
         """The header configures how the snippet is judged; a typo would silently
judge it differently than its author meant.""",
         """# /// marpkit
# timout: 30     <- unknown key
# ///""")
_declare("MK307", "snippet-skipped", "info", "check",
         "A snippet was not run, with the reason (`skip:`, a missing `requires:` package).",
         """Never silent: a skipped snippet is reported so nobody mistakes it for a pass.""",
         """# /// marpkit
# requires: [torch]
# ///             -> skipped: torch not installed""")
_declare("MK308", "shown-line-never-ran", "warning", "check",
         "A line a slide shows never executed when its snippet ran (line coverage).",
         """Code that never runs is never tested: the slide may show a branch, a loop
body or a helper that the check could not vouch for. (A shown W&B call that
never ran is an MK302 error instead: the slide promises what it logs.)""",
         """for epoch in range(0):      # the loop body on the slide never runs
    run.log({"loss": loss})""")
# --------------------------------------------------------------------------- build
_declare("MK900", "marp-failed", "error", "build",
         "Marp CLI failed to convert a deck (the previous good output is kept).",
         """A build that fails must not publish half a file; the message carries
Marp's own error.""",
         """build/05.pdf: MK900 failed to build PDF: …""")
_declare("MK901", "marp-warning", "warning", "build",
         "Marp CLI printed a warning while converting a deck.",
         """Marp warns about things the audience will see (a missing theme, an
unsupported option); the warning is shown where the deck can be fixed.""",
         """slides/05.md:1:1: MK901 The specified theme "gaiaa" is not recognized""")
_declare("MK902", "asset-unpublishable", "error", "build",
         "A deck references a local image (or theme asset) that is missing or lies "
         "outside the folder the build publishes.",
         """`build/` must work from any static host; an image that is not copied there
is a broken picture on the published slide.""",
         """![diagram](../../Desktop/diagram.png)""")
_declare("MK903", "theme-invalid", "error", "build",
         "Marp cannot register a theme CSS of the themes folder: a syntax error "
         "(at the line and column postcss reports) or no `/* @theme NAME */` comment. "
         "`marpkit build` converts nothing (exit 1, previous outputs kept); rendered "
         "lint stops (exit 2).",
         """Marp CLI only warns about a theme it cannot parse and converts without it:
every deck that uses the theme would be published themeless, and the good
outputs replaced.""",
         """themes/course.css:12:1: MK903 Marp cannot use this theme: Unclosed block""")
