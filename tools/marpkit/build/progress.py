"""A rich progress bar on a terminal; plain lines in logs and CI."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int):
        self.bar = None
        if sys.stdout.isatty() and total:
            # Only on a terminal: logs and CI never load rich.
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress(transient=True)
            self.task = self.bar.add_task("building", total=total)
            self.bar.start()

    def step(self, fmt: str, stems: list[str]) -> None:
        if self.bar:
            self.bar.update(self.task, description=f"{fmt}: {', '.join(stems)}")

    def advance(self, n: int) -> None:
        if self.bar:
            self.bar.advance(self.task, n)

    def close(self) -> None:
        if self.bar:
            self.bar.stop()
