"""A page's summary that never cuts an audio table.

Pelican cuts summaries at a number of words, wherever that lands: inside a table,
under a caption that still counts every clip. Before it cuts, each audio table
becomes one line that links to the page. The annotation says where its tables
are: summaries are made on every build, warm ones too, which read no page again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..markup.tokens import escape_attribute, escape_text
from ..model import clips_summary

_AUDIO_TABLE_TAG = re.compile(
    r'<table\b[^>]*?\sdata-audiotable-clips="(\d+)"'
    r'(?:[^>]*?\sdata-audiotable-duration="([\d.]+)")?',
    re.IGNORECASE,
)


def with_tables_as_teasers(
    html: str, spans: Iterable[tuple[int, int]], link: str
) -> str:
    """A page's annotated HTML with each audio table (at ``spans``) as one line,
    ``▶ 7 clips · 1:52``, linking to the page: what a summary is cut from, so that
    no cut lands inside a table and no caption counts clips the teaser does not
    show."""
    pieces, done = [], 0
    for start, end in spans:
        found = _AUDIO_TABLE_TAG.findall(html, start, end)
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
        pieces += [html[done:start], teaser]
        done = end
    return "".join(pieces) + html[done:]
