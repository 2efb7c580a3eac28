"""Every MK code marpkit can print, whichever command prints it.

All of them are declared here, lint rules included: a lint rule's function
attaches itself to its code with `@rule("MK401")` (lint/registry.py). So this
module imports nothing from the stages, every code is known whatever was
imported before (`marpkit rule`, SARIF, the editor's links), and the code
tables in docs/rules.md and docs/check.md are generated from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from marpkit.text import split_lines

STAGES = ("lint", "check", "build")
# Which context a lint rule's function receives:
#   "deck"     -> DeckContext, once per deck (static)
#   "project"  -> ProjectContext, once per run (rules across decks or files)
#   "rendered" -> (DeckContext, RenderedDeck), once per deck after rendering
SCOPES = ("deck", "project", "rendered")


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
    scope: str | None = None  # lint codes only: one of SCOPES

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
    if (code.scope in SCOPES) != (code.stage == "lint") or (code.stage == "lint" and code.severity == "info"):
        raise ValueError(f"{code.code}: a lint rule needs a scope and an error or warning severity")
    CODES[code.code] = code
    return code


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in split_lines(text))


def all_codes() -> dict[str, Code]:
    """Every code, in code order."""
    return dict(sorted(CODES.items()))


def _declare(code, name, severity, stage, summary, rationale, example):
    register(Code(code, name, severity, summary, rationale.strip(), example.strip("\n"), stage))


def _rule(code, name, *, summary, rationale, example, severity="error", scope="deck", fixable=False):
    register(Code(code, name, severity, summary, rationale.strip(), example.strip("\n"), "lint",
                  fixable, scope))


# --------------------------------------------------------------------------- lint
_rule("MK101", "yaml-syntax-error",
      summary="Front matter or a directive comment is not valid YAML.",
      rationale="""Marp silently ignores a directive block it cannot parse, so every
directive in it (theme, paginate, footer, ...) is lost without any message.""",
      example="""---
marp: true
theme: default
footer: "unclosed
---""")
_rule("MK102", "marp-not-enabled", severity="warning",
      summary="The front matter does not say `marp: true`.",
      rationale="""Without `marp: true` the VS Code extension and other Marp tools treat
the file as plain Markdown: no slide preview, no directive completion.""",
      example="""---
theme: default
---

# Title""")
_rule("MK103", "unknown-directive",
      summary="A directive name Marp does not know (often a typo).",
      rationale="""Marp ignores unknown directives without a word; a misspelt
`_backgroundColr` leaves the slide with its default background, and the whole
comment then counts as a speaker note.""",
      example="""<!-- _backgroundColr: #0d1117 -->
Did you mean `_backgroundColor`?""")
_rule("MK104", "global-directive-as-local",
      summary="A global directive written with a `_` (spot) prefix.",
      rationale="""Global directives such as `theme`, `size` or `headingDivider` apply to
the whole deck; `_theme` is not a directive at all and is ignored.""",
      example="""<!-- _theme: gaia -->""")
_rule("MK105", "unknown-theme",
      summary="The theme is neither built in nor in the project's themes folder.",
      rationale="""Marp falls back to the default theme when it cannot find the named one,
so the deck renders with different fonts, colours and layout than its author saw.""",
      example="""---
marp: true
theme: gaya
---""")
_rule("MK106", "unknown-size",
      summary="The `size` directive names a size the theme does not define.",
      rationale="""Marp ignores an undefined size and renders 16:9, so a deck meant for
4:3 (or a custom size) comes out in the wrong shape.""",
      example="""---
marp: true
size: 16:10
---""")
_rule("MK107", "deprecated-dollar-directive", severity="warning",
      summary="A `$`-prefixed directive (deprecated Marp syntax).",
      rationale="""`$theme`, `$size` and other `$` directives come from the old Marp app;
Marp ignores them today.""",
      example="""<!-- $theme: gaia -->   ->   <!-- theme: gaia -->""")
_rule("MK108", "image-color-shorthand", severity="warning",
      summary="An image whose source is a colour (`![](red)`, `![bg](#fff)`).",
      rationale="""Colour shorthand images are deprecated in Marp and will stop working;
the `color` / `backgroundColor` directives say the same thing explicitly.""",
      example="""![bg](#fff)   ->   <!-- _backgroundColor: #fff -->""")
_rule("MK109", "global-directive-twice",
      summary="A global directive is set more than once.",
      rationale="""Only the last value of a global directive applies to the whole deck,
so the earlier one is dead and usually a leftover.""",
      example="""---
theme: default
---
<!-- theme: gaia -->""")
_rule("MK110", "math-without-directive", severity="warning",
      summary="Math syntax (`$...$`, `$$`) in a deck with no `math` directive.",
      rationale="""Which engine typesets the formulas (MathJax or KaTeX) is then left to
the Marp version's default; say `math: mathjax` or `math: katex` so the deck
renders the same everywhere (and so a literal `$` is a conscious choice).""",
      example="""The loss is $\\mathcal{L}(x)$.""")
_rule("MK111", "front-matter-swallows-slide", severity="warning",
      summary="The front matter runs on into the slides (its closing `---` is missing).",
      rationale="""Front matter ends at the next `---` line. If the closing one is missing,
the first slide's headings end up inside the YAML, where `# Title` is a YAML
comment: the title slide silently loses its content.""",
      example="""---
marp: true
theme: default

# Welcome          <- meant as the first slide, read as a YAML comment
## Subtitle
---""")
_rule("MK201", "mojibake", fixable=True,
      summary="Text that is UTF-8 decoded with the wrong encoding (mojibake).",
      rationale="""When a UTF-8 file passes through a tool that reads it as Mac Roman,
Windows-1252 or Latin-1, every accented letter or symbol becomes two to four
junk characters ("•" turns into "‚Ä¢"). Audiences see the junk on the slide.
The fix re-encodes the junk and decodes it as UTF-8, restoring the original.
In code (fences and `code spans`) it is only an info finding and never fixed:
a slide that teaches mojibake shows it there on purpose.""",
      example="""footer: "BAI Lab ‚Ä¢ V∆∞∆°ng"   ->   footer: "BAI Lab • Vương\"""")
_rule("MK202", "replacement-character",
      summary="U+FFFD REPLACEMENT CHARACTER: text was lost in a bad decode.",
      rationale=""""\ufffd" is what a decoder writes when it could not read a byte; the
original character is gone and has to be typed again by hand.""",
      example="""Caf\ufffd   ->   Café""")
_rule("MK203", "invisible-character", severity="warning", fixable=True,
      summary="An invisible or zero-width character.",
      rationale="""Zero-width spaces, stray BOMs and direction marks are invisible in the
editor but break directive names, code that students copy, search and
diff. A zero-width space before `marp: true` makes Marp ignore the front matter.
Direction controls (U+200E/U+200F marks, U+202A-U+202E embeddings and
overrides, U+2066-U+2069 isolates) are reported only on a line without
right-to-left letters (Unicode bidi class R or AL, e.g. Arabic or Hebrew):
there they can only disguise text (Trojan Source); on a right-to-left line
they place the left-to-right words and are left alone.""",
      example="""mar\u200bp: true   (a ZERO WIDTH SPACE inside `marp`)""")
_rule("MK204", "not-utf8",
      summary="The file is not UTF-8.",
      rationale="""Marp reads decks as UTF-8; any other encoding shows as junk or fails.
Re-save the file as UTF-8.""",
      example="""A deck saved as Windows-1252: byte 0xe9 where UTF-8 expects "é".""")
_rule("MK310", "snippet-file-missing",
      summary="A fence's `snippet=` names a file that does not exist (or cannot be read).",
      rationale="""The slide shows code that no file backs, so nothing tests it and
`marpkit sync` cannot update it.""",
      example="""```python snippet=train/loop.py#epoch
```   (snippets/train/loop.py does not exist)""")
_rule("MK311", "snippet-region-unknown",
      summary="A fence's `snippet=file#region` names a region the file does not mark.",
      rationale="""The region was renamed or removed in the code; the slide is stale.""",
      example="""```python snippet=loop.py#epoch
```   (loop.py has `# region train` but no `# region epoch`)""")
_rule("MK312", "snippet-path-escapes",
      summary="A `snippet=` path leaves the snippets folder.",
      rationale="""Absolute paths and `..` make the deck depend on the machine it was
written on, and could make marpkit read files it should not.""",
      example="""```python snippet=../../etc/passwd
```""")
_rule("MK313", "snippet-drift", fixable=True,
      summary="The code in a fence differs from the snippet it says it shows.",
      rationale="""The file is what runs in CI; the slide must show exactly that code.
The fix rewrites the fence body from the file (as `marpkit sync` does).""",
      example="""```python snippet=loop.py#epoch
for epoch in range(10):   # the file now says range(config.epochs)
```""")
_rule("MK314", "snippet-file-unused", severity="warning", scope="project",
      summary="A file in the snippets folder that no deck references.",
      rationale="""Either a deck lost its `snippet=` reference (so its code is no longer
checked) or the file is dead and can go.""",
      example="""snippets/old_loop.py   (no fence says snippet=old_loop.py)""")
_rule("MK315", "inline-code-without-snippet", severity="warning",
      summary="A python or shell fence that is not backed by a snippet file.",
      rationale="""Code typed straight into a slide is never run; it drifts from the
real API and breaks for students. Move it to snippets/ and reference it
with `snippet=file#region`.""",
      example="""```python
wandb.init(project="demo")
```   ->   ```python snippet=tracking.py#init""")
_rule("MK316", "snippet-region-markers", scope="project",
      summary="Malformed `# region` / `# endregion` markers in a snippet file.",
      rationale="""An unclosed or mismatched region makes the shown code ambiguous; marpkit
refuses to guess which lines a slide meant.""",
      example="""# region setup
...
# endregion train   <- closes `setup`""")
_rule("MK317", "chart-stale",
      summary="A chart image is not drawn yet, or was drawn from something else: another "
              "version of its snippet, another `chart:` reference, or its alt text was "
              "changed by hand.",
      rationale="""A chart on a slide claims to show what the shown code logged. Once the
snippet changes, the picture is of code nobody shows any more. `marpkit check`
records the run as it is now and `marpkit sync` redraws the chart and its alt
text from it (as it refills `output=` fences).""",
      example="""![...](charts/loss.svg "chart: 05/train.py train/loss")   (train.py edited since)""")
_rule("MK318", "chart-reference",
      summary="An image titled `chart:` that cannot be a chart: no snippet or metric named, "
              "an unknown option, a snippet that does not exist, or an image path that is "
              "not an .svg beside the deck (or lies in the snippets folder).",
      rationale="""The title says what to draw: `chart: <module>/<file>.py <metric> ... [x=<metric>]
[run=<N|name>]`. marpkit draws the file at the image's path, so the path must
be a local .svg in the project, outside the snippets folder (a file there
counts as a change of the snippet).""",
      example="""![](loss.svg "chart: 05/train.py")   <- no metric named""")
_rule("MK401", "code-too-tall",
      summary="A code block has more lines than fit on the slide.",
      rationale="""Marp shrinks a tall code block until it fits the content box; with a
heading above it the block then runs into the footer, and past about 16
lines (default theme, 720 px high) the code is too small to read from the back.""",
      example="""## Training loop
```python
# 30 lines of code
```""")
_rule("MK402", "code-too-wide",
      summary="A code line is wider than the slide.",
      rationale="""Marp shrinks the whole block to fit its longest line, so one long line
makes every line of the block smaller.""",
      example="""```python
print(f"Epoch {epoch}: loss={train_loss:.3f}, acc={val_accuracy:.3f}, lr={lr}")
```""")
_rule("MK403", "table-too-wide",
      summary="A table is wider than the slide even with its text wrapped.",
      rationale="""A table cell wraps between words but never inside one, so a table
cannot get narrower than its longest words. Past that, Marp's default theme
lets the table scroll sideways, and on a slide the last columns are simply
not shown.""",
      example="""| Method | Visualization | Comparison | Collaboration | Reproducibility |
|---|---|---|---|---|""")
_rule("MK404", "table-too-tall",
      summary="A table has more rows than fit on the slide.",
      rationale="""Rows past the bottom edge are not shown (or run into the footer).""",
      example="""| Step | What |
|---|---|
| 1 | ... |   (20 rows)""")
_rule("MK405", "slide-too-long", severity="warning",
      summary="Too many lines of text on one slide.",
      rationale="""Text past the bottom of the slide is cut off; long slides are also
hard to follow. Split the slide.""",
      example="""## Everything
- 20 bullet points ...""")
_rule("MK501", "content-cut-off", scope="rendered",
      summary="Rendered content the audience cannot see: past the slide's edge, clipped "
              "inside a box, under the header, footer or page number, or under other text.",
      rationale="""A slide cannot scroll. Marp's default theme gives a wide table a
horizontal scrollbar, so its last columns silently disappear; a long slide
runs off the bottom; a 200-column line in a <pre> is cut at the right edge.
Every line of text and every image is measured in Chromium on Marp's HTML,
and so is every painted box (a code block's background and border): the
footer drawn over a code box collides with it even where the code itself fits.
Text drawn over other text (a big decorative number over the heading) is
reported too. Content that only reaches into the slide's padding is visible
and fine; a transparent box, and what paints nothing, are not content.
Blocks cut off one after the other (an overflowing list) are one finding, at
the first one's line.""",
      example="""## Comparison
| A | B | C | D | E | F |   (six wide columns: F is not visible)""")
_rule("MK502", "code-shrunk", scope="rendered",
      summary="Marp auto-shrank a code block below a readable size.",
      rationale="""Marp scales a code block down until it fits; the result can be far
too small to read from the back of a room. Default limit: 16px effective on a
1280×720 slide (configurable as min_code_font_px).""",
      example="""## Step 2
```python
# 35 lines, some of them 80 characters wide
```""")
_rule("MK503", "low-contrast", scope="rendered",
      summary="Text contrast below WCAG AA (4.5:1, or 3:1 for large text).",
      rationale="""Projectors wash colours out; text below AA contrast is unreadable
for part of any audience. Colours are the rendered ones, including the
section background set by `backgroundColor`. Over a background image or
gradient (or a band or glow a theme paints with `::before`/`::after`), the
slide is rendered with its text transparent and the pixels behind each line
are sampled: the verdict is the worst tenth of them. Letters painted with a
gradient (`background-clip: text`) are judged by the gradient's hardest
colour. The page number counts
as text where one is drawn legibly (not where a theme turns `::after` into a
blurred decoration). A theme's header, footer and page number colours are
one warning at the place to change them: once in the theme's CSS, or for a
built-in theme once per deck at its `header:`/`footer:`/`paginate:` line,
with the CSS override that fixes them; a slide that colours its own
page number (a scoped style) is reported on that slide.""",
      example="""<!-- _backgroundColor: #0d1117 -->
# Dark slide, default dark text""")
_rule("MK504", "image-not-loaded", scope="rendered",
      summary="A local image does not load.",
      rationale="""A missing or misnamed image file leaves an empty box (or no
background) on the slide; Marp does not complain.""",
      example="""![w:400](img/chart.png)   (img/chart.png does not exist)""")
_rule("MK505", "math-error", scope="rendered",
      summary="Math that KaTeX or MathJax could not typeset.",
      rationale="""A typo in a formula does not stop Marp: KaTeX prints the source in red
with the error as a tooltip, MathJax draws its own error box. Either way the
slide shows broken math to the audience.""",
      example="""$\\frac{1}{2$   (a missing brace: KaTeX shows the raw source in red)""")
_rule("MK601", "module-numbering",
      summary="`Module N of M` disagrees with the deck's file name or the course's size.",
      rationale="""Decks get renumbered and added; the title slide's "Module 5 of 7"
is then wrong. N must match the file's number (05-...) and M the number of
modules (decks present plus those planned in [tool.marpkit.course]).""",
      example="""slides/05-tracking.md:  **Module 4 of 7**""")
_rule("MK602", "next-module-missing",
      summary='"Next: Module N" points to a deck that does not exist and is not planned.',
      rationale="""A closing slide that announces a module nobody wrote (or that was
renumbered) sends students looking for something that is not there. Declare
future modules in [tool.marpkit.course] planned = [6, 7].""",
      example="""## Next Steps
➡️ **Module 6: Notifications**   (no slides/06-*.md, 6 not planned)""")
_rule("MK603", "footer-inconsistent", scope="project",
      summary="A deck's footer differs from the course's `footer` in [tool.marpkit.course].",
      rationale="""Every module should carry the course's footer (course, lab, presenter);
drift shows up as one deck with an old name or a typo. The footer is a template:
`{title}` is the module's title (from [tool.marpkit.course.titles], else the
deck's `title` directive or first heading) and `{number}` its number, as
`marpkit new` fills them in.""",
      example="""[tool.marpkit.course]
footer = "BAI Lab • {title}"
# slides/06-notifications.md, "# Telegram Notifications":
footer: "BAI Lab • Weights & Biases\"""")
_rule("MK604", "theme-inconsistent", scope="project",
      summary="A deck's theme differs from the course's `theme` in [tool.marpkit.course].",
      rationale="""Mixed themes make a course look stitched together, and layout limits
(MK4xx) differ per theme.""",
      example="""[tool.marpkit.course]
theme = "default\"""")
_rule("MK605", "deck-named-index", severity="warning",
      summary="A deck named `index.md` builds `index.html`, the course index page's name.",
      rationale="""The build writes each deck to `<name>.html` and the course index to
`index.html`; a deck `slides/index.md` would be overwritten by the index (or
hide it). Both are kept: the deck keeps `index.html` (links to it stay valid)
and the course index moves to `course-index.html`, so the folder a static host
serves opens on the deck instead of the course index. Rename the deck to keep
the index where visitors expect it.""",
      example="""slides/index.md  ->  build/index.html (the deck), build/course-index.html (the index)""")
_rule("MK701", "image-without-alt", severity="warning",
      summary="An image with no description (alt text) besides Marp's keywords.",
      rationale="""Screen readers, the exported PDF's accessibility tree and anyone whose
image fails to load get the alt text, nothing else. Marp's sizing and filter
keywords (`w:200`, `left`, `sepia`) live in the same brackets but describe
nothing. Background images (`bg`) are decoration and need none.""",
      example="""![w:400](img/loss-curve.png)   ->   ![w:400 Loss falls from 2.3 to 0.4](img/loss-curve.png)""")
_rule("MK702", "image-not-published",
      summary="A local image outside the deck's folder: the build cannot publish it.",
      rationale="""`marpkit build` copies the images a deck uses from the deck's folder
into build/; a file elsewhere (`../figures/x.png`) works in the editor's preview
but is missing from the published course (the build says so as MK902).""",
      example="""![Loss curve](../figures/loss.png)   (move it beside the deck)""")
_rule("MK703", "remote-resource", severity="warning",
      summary="An image, background or stylesheet fetched from the network.",
      rationale="""marpkit builds and lints offline: a remote image, `url()` or `@import`
is never fetched, so the PDF and the rendered checks show nothing in its place,
while every viewer of the published HTML asks that host for it (a tracking
pixel, a leak of who is reading, and a slide that changes when the host does).
Code blocks are text and are not looked at.""",
      example="""![bg](https://example.org/photo.jpg)   ->   ![bg](img/photo.jpg)   (the file beside the deck)""")
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
_declare("MK309", "chart-data", "error", "check",
         "A chart cannot be drawn from its snippet's run: the snippet failed or was never "
         "checked as it is now, the run never logged a named metric (or logged text, "
         "not numbers), or the named run does not exist.",
         """A chart is drawn from the run `marpkit check` recorded, never from numbers typed
into the deck; when the run cannot give it, the slide would show an empty or
invented curve, so the chart's line gets this finding instead. `check` reports
it on the run it just made, `sync` before it draws.""",
         """![...](charts/loss.svg "chart: 05/train.py val/loss")   (train.py logs only train/loss)""")
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
