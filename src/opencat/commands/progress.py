"""Progress of long work on standard error: a bar on a terminal, plain periodic lines otherwise.

Logs and CI keep every line they are given, so off a terminal a line is printed at most every
``interval`` seconds (and at the end) instead of redrawing a bar.
"""

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    """Call it with ``(done, total)`` (``total`` may be None when unknown); ``finish()`` at the end."""

    def __init__(
        self,
        verb: str,
        unit: str,
        stream: TextIO | None = None,
        interval: float = 2.0,
        terminal: bool | None = None,
    ) -> None:
        self.verb = verb
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.interval = interval
        self._last_line: float | None = None  # the first call prints at once
        self._done = 0
        self._total: int | None = None
        self._finished = False
        self._printed = ""

    def _text(self) -> str:
        if self._total is None:
            return f"{self.verb} {self._done} {self.unit}"
        return f"{self.verb} {self._done}/{self._total} {self.unit}"

    def __call__(self, done: int, total: int | None = None) -> None:
        self._done, self._total = done, total
        if self.terminal:
            self._draw()
        elif (
            (total is not None and done >= total)
            or self._last_line is None
            or time.monotonic() - self._last_line >= self.interval
        ):
            self._line()
        if total is not None and done >= total:
            self.finish()

    def _draw(self) -> None:
        if self._total:
            filled = int(BAR_WIDTH * min(self._done, self._total) / self._total)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            percent = 100 * self._done // self._total
            self.stream.write(f"\r[{bar}] {percent:3d}% {self._text()}")
        else:
            self.stream.write(f"\r{self._text()}")
        self.stream.flush()

    def _line(self) -> None:
        self._last_line = time.monotonic()
        self._printed = self._text()
        self.stream.write(self._printed + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the bar's line, or print the last count if it was not printed yet."""
        if self._finished:
            return
        self._finished = True
        if self.terminal:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
        elif self._printed != self._text():
            self._line()
