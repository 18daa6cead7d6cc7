"""Jinja filters for any theme, such as ``{{ article|audiotable_summary }}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..model import clips_summary, format_duration

if TYPE_CHECKING:
    from ..model import AudioTableInfo


def audiotable_duration(seconds: float | None) -> str:
    """Seconds as ``m:ss`` (``h:mm:ss`` from an hour on); empty when unknown."""
    return format_duration(seconds)


def audiotable_clips(content: Any) -> list[Any]:
    """Every clip of an article or page, across its audio tables."""
    tables: Sequence[AudioTableInfo] = getattr(content, "audiotables", None) or ()
    return [clip for table in tables for clip in table.clips]


def audiotable_summary(content: Any) -> str:
    """``7 clips · 3:41`` for an article or page with audio tables, else ``""``."""
    clips = audiotable_clips(content)
    if not clips:
        return ""
    durations = [clip.duration for clip in clips]
    total = None if None in durations else sum(durations)
    return clips_summary(len(clips), total)


def audiotable_jsonld(content: Any) -> str:
    """The schema.org JSON-LD ``<script>`` of an article's or page's clips, for the
    ``<head>``: ``{{ article|audiotable_jsonld }}``; empty when it has none."""
    return str(getattr(content, "audiotable_jsonld", "") or "")


FILTERS = {
    "audiotable_jsonld": audiotable_jsonld,
    "audiotable_duration": audiotable_duration,
    "audiotable_clips": audiotable_clips,
    "audiotable_summary": audiotable_summary,
}
