"""What a long first build is doing: clips hashed, read and decoded, "N of M" with
an estimate, so that two hours of audio never build for a minute in silence.

On a terminal, one line that updates: the text of the spinner ``pelican content``
shows while it builds, or a line of its own rewritten in place. Elsewhere (CI, a
log file) a plain line every ten seconds. Nothing under ``pelican -q``. Work that
ends within a second says nothing at all; longer work ends with one summary line.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

#: Quiet for this long, then the first report; then as often as below.
_FIRST_AFTER = 1.0
_EVERY_ON_A_TERMINAL = 0.2
_EVERY_IN_A_LOG = 10.0


class Progress:
    """Reports on ``total`` things being done, as ``advance`` is called."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.done = what, total, 0
        self.started = time.monotonic()
        self._said_at = self.started + _FIRST_AFTER - self._every
        self._line_open = False

    @property
    def _every(self) -> float:
        return _EVERY_ON_A_TERMINAL if _on_a_terminal() else _EVERY_IN_A_LOG

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.started < _FIRST_AFTER or now - self._said_at < self._every:
            return
        if not _said():
            return
        self._said_at = now
        elapsed = now - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        estimate = f", about {_seconds(left)} left" if left is not None else ""
        _show(f"audiotable: {self.what} {self.done} of {self.total}{estimate}", self)

    def finish(self, summary: str | None = None) -> None:
        """One line saying what was done, when it took long enough to notice."""
        elapsed = time.monotonic() - self.started
        if self._line_open:
            _end_line()
            self._line_open = False
        _restore_spinner()
        if summary and elapsed >= _FIRST_AFTER and _said():
            print(f"audiotable: {summary} in {elapsed:.1f} s", file=sys.stderr)


def _seconds(value: float) -> str:
    if value >= 90:
        return f"{value / 60:.0f} min"
    return f"{max(value, 1):.0f} s"


def _said() -> bool:
    """Whether Pelican shows warnings (not under ``-q``): progress goes with them."""
    return logging.getLogger("pelican").isEnabledFor(logging.WARNING)


def _on_a_terminal() -> bool:
    return sys.stderr.isatty() or _spinner() is not None


_SPINNER_TEXT: list[Any] = []  # the spinner's own text, to give back


def _spinner() -> Any:
    """The spinner ``pelican content`` shows while it builds, if one is live and
    shown (into a log, rich keeps one that prints nothing)."""
    try:
        from pelican.log import console
    except ImportError:
        return None
    if not console.is_terminal:
        return None
    stack = getattr(console, "_live_stack", None) or []
    live = stack[-1] if stack else None
    for name in ("_renderable", "renderable"):  # rich keeps its spinner here
        renderable = getattr(live, name, None)
        if hasattr(renderable, "update") and hasattr(renderable, "text"):
            return renderable
    return None


def _show(line: str, progress: Progress) -> None:
    spinner = _spinner()
    if spinner is not None:
        if not _SPINNER_TEXT:
            _SPINNER_TEXT.append(getattr(spinner, "text", ""))
        spinner.update(text=line)
    elif sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + line)
        sys.stderr.flush()
        progress._line_open = True
    else:
        print(line, file=sys.stderr, flush=True)


def _end_line() -> None:
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()


def _restore_spinner() -> None:
    spinner = _spinner()
    if spinner is not None and _SPINNER_TEXT:
        spinner.update(text=_SPINNER_TEXT.pop())
