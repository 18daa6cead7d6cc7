"""Lengths as readers read them: the one rule every place a duration is shown
follows (captions, summaries, templates, the listening script's clock)."""

from __future__ import annotations

import math

#: Lengths under this many seconds are shown in tenths: whole seconds say nothing
#: of a 0.5 s sound effect or a 3.4 s word.
TENTHS_BELOW = 10.0


def format_duration(seconds: float | None, length: float | None = None) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on; whole seconds cut, not rounded,
    as native players show a length (12.5 s is 0:12), and tenths cut too when the
    clip (``length``: ``seconds`` itself unless given) is shorter than 10 s (0.5 s
    is 0:00.5)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    length = seconds if length is None else length
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if length < TENTHS_BELOW:
        tenths = int(round(seconds * 10, 6)) % 10  # cut, past float noise
        return f"{minutes}:{secs:02d}.{tenths}"
    return f"{minutes}:{secs:02d}"


def clips_summary(count: int, total: float | None) -> str:
    """``7 clips · 3:41`` (the length only when every clip's is known)."""
    text = f"{count} clip" + ("" if count == 1 else "s")
    if total is not None and count:
        text += f" · {format_duration(total)}"
    return text
