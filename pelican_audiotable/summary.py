"""A page's summary that never cuts an audio table.

Pelican cuts summaries at a number of words, wherever that lands: inside a table,
under a caption that still counts every clip. Before it cuts, each audio table
becomes one line that links to the page. Regular expressions over the annotated
HTML only: summaries are made on every build, warm ones too, which parse nothing.
"""

from __future__ import annotations

import re

from .durations import clips_summary
from .scan import table_spans
from .tokens import escape_attribute, escape_text

_AUDIO_TABLE_TAG = re.compile(
    r'<table\b[^>]*?\sdata-audiotable-clips="(\d+)"'
    r'(?:[^>]*?\sdata-audiotable-duration="([\d.]+)")?',
    re.IGNORECASE,
)


def with_tables_as_teasers(html: str, link: str) -> str:
    """A page's HTML with each audio table as one line, ``▶ 7 clips · 1:52``,
    linking to the page: what a summary is cut from, so that no cut lands inside
    a table and no caption counts clips the teaser does not show."""
    pieces, done = [], 0
    for span in table_spans(html):
        found = _AUDIO_TABLE_TAG.findall(html, span.start, span.end)
        if not found:
            continue
        lines = [
            clips_summary(int(count), float(duration) if duration else None)
            for count, duration in found
        ]
        teaser = "".join(
            f'<p class="audiotable-teaser"><a href="{escape_attribute(link)}">'
            f"▶ {escape_text(line)}</a></p>"
            for line in lines
        )
        pieces += [html[done : span.start], teaser]
        done = span.end
    return "".join(pieces) + html[done:]
