"""A progress bar for the long commands of the `fidelio` command line, drawn on a terminal
only: on a pipe, a file or a CI log it writes nothing, so scripted output stays as it was.

Hand-rolled rather than a dependency: one line redrawn in place with a carriage return, at
most ten times a second, on standard error (standard output keeps the command's answer).
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

WIDTH = 30
REDRAW_SECONDS = 0.1


class ProgressBar:
    """`update(done, total)` as work advances (the use cases' `progress` callback); the line
    is finished by `close()` or the end of a `with` block."""

    def __init__(
        self, label: str, stream: TextIO | None = None, *, redraw_seconds: float = REDRAW_SECONDS
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.redraw_seconds = redraw_seconds
        self._drawn_at: float | None = None
        self._last = ""

    def update(self, done: int, total: int) -> None:
        """Show `done` of `total` (redrawn at most every `redraw_seconds`, and at the end)."""
        if not self.enabled:
            return
        now = time.monotonic()
        finished = total > 0 and done >= total
        if (
            not finished
            and self._drawn_at is not None
            and now - self._drawn_at < self.redraw_seconds
        ):
            return
        self._drawn_at = now
        self._last = render(self.label, done, total)
        self.stream.write("\r" + self._last)
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (nothing when nothing was drawn)."""
        if self.enabled and self._drawn_at is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn_at = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def render(label: str, done: int, total: int) -> str:
    """`label [#######.......] done/total  NN%` (no bar while the total is unknown or 0)."""
    if total <= 0:
        return f"{label} {done}"
    share = min(1.0, max(0.0, done / total))
    filled = round(share * WIDTH)
    return f"{label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {share:4.0%}"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
