"""Which images of a deck are charts, and what each one asks for.

A chart is an ordinary Markdown image whose title starts with `chart:`:

    ![](charts/train-loss.svg "chart: 05-wandb-tracking/train.py train/loss val/loss")

then the snippet (as `snippet=` fences name it), one or more metrics, and
options: `x=<metric>` (default: the step) and `run=<N|name>` (which run, by
its order of creation from 1 or its name, when the snippet makes several;
default: the first run that logged the metrics). A metric with a space is
quoted. Plain Marp shows the image file that `marpkit sync` draws at the
image's path; the alt text is sync's too (Marp's keywords in it, `w:900`,
stay). Nothing here reads a file: this is the deck model's view.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from marpkit.charts.series import STEP
from marpkit.model.deck import Deck, Image
from marpkit.snippets.store import parse_ref

PREFIX = "chart:"
OPTIONS = ("x", "run")


@dataclass(frozen=True)
class ChartSpec:
    snippet: str  # relative to the snippets folder
    metrics: tuple[str, ...]
    x: str = STEP
    run: str | None = None

    def canonical(self) -> str:
        """One spelling of the spec: what the drawn file records it was drawn for."""
        words = [self.snippet, *self.metrics, f"x={self.x}"]
        if self.run is not None:
            words.append(f"run={self.run}")
        return " ".join(shlex.quote(word) for word in words)


@dataclass(frozen=True)
class ChartRef:
    image: Image
    slide: int
    spec: ChartSpec | None
    error: str | None = None  # why the title is not a chart spec


def is_chart(image: Image) -> bool:
    return image.title.strip().lower().startswith(PREFIX)


def parse_spec(title: str) -> ChartSpec | str:
    """The spec of a `chart:` title, or the message saying what is wrong with it."""
    body = title.strip()[len(PREFIX):]
    try:
        words = shlex.split(body.replace(",", " "))
    except ValueError as exc:
        return f"chart reference cannot be read ({exc})"
    if not words:
        return "chart reference names no snippet: write `chart: <module>/<file>.py <metric> ...`"
    snippet, *rest = words
    options: dict[str, str] = {}
    metrics: list[str] = []
    for word in rest:
        name, equals, value = word.partition("=")
        if equals and name in OPTIONS:
            if not value:
                return f"chart option {name}= has no value"
            options[name] = value
        elif equals and "/" not in name:
            return f"unknown chart option {name}= (known: {', '.join(OPTIONS)})"
        else:
            metrics.append(word)
    ref = parse_ref(snippet)
    if ref.region:
        return f"a chart is drawn from a whole run: drop #{ref.region} from {snippet}"
    if not metrics:
        return f"chart of {snippet} names no metric: add the logged keys to draw"
    run = options.get("run")
    if run is not None and run.isdigit() and int(run) < 1:
        return "chart option run= counts from 1"
    return ChartSpec(ref.path, tuple(dict.fromkeys(metrics)), options.get("x", STEP), run)


def deck_charts(deck: Deck) -> list[ChartRef]:
    out = []
    for slide in deck.slides:
        for image in slide.images:
            if is_chart(image):
                spec = parse_spec(image.title)
                if isinstance(spec, str):
                    out.append(ChartRef(image, slide.index, None, spec))
                else:
                    out.append(ChartRef(image, slide.index, spec))
    return out
