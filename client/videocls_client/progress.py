"""A one-line progress bar on stderr, for terminals only (no dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``[#####-----] 12/40 videos, 1 failed, 3.1/s`` redrawn in place.

    Disabled (every method a no-op) unless *enabled*; :meth:`for_stream` enables it only
    when the stream is a terminal and there is more than one input.
    """

    WIDTH = 30

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.done = 0
        self.failed = 0
        self._start = time.monotonic()
        self._shown = False

    @classmethod
    def for_stream(cls, total: int, stream: TextIO | None = None) -> Progress:
        """A bar shown only when *stream* (stderr by default) is a TTY and total > 1."""
        stream = stream or sys.stderr
        is_tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(total, enabled=bool(is_tty and total > 1), stream=stream)

    def update(self, ok: bool = True) -> None:
        """Counts one finished input and redraws."""
        self.done += 1
        self.failed += 0 if ok else 1
        self.draw()

    def draw(self) -> None:
        """Redraws the bar in place."""
        if not self.enabled:
            return
        filled = self.WIDTH * self.done // max(1, self.total)
        rate = self.done / max(1e-6, time.monotonic() - self._start)
        failed = f", {self.failed} failed" if self.failed else ""
        line = (
            f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] "
            f"{self.done}/{self.total} videos{failed}, {rate:.1f}/s"
        )
        self.stream.write(line)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erases the bar (before other output is written to the same terminal)."""
        if self.enabled and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def close(self) -> None:
        """Ends the bar's line."""
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
