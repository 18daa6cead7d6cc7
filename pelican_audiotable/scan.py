"""The first look at a page: where its tables that may hold clips are.

Every page of every build passes through here, so it is a pair of regular
expressions and nothing else: a page without such a table is left alone before
anything is parsed, keyed or imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .formats import AUDIO_EXTENSIONS

_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)
_MAY_HOLD_CLIP = re.compile(
    r"<audio\b|\.(?:" + "|".join(e[1:] for e in AUDIO_EXTENSIONS) + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TableSpan:
    """Where a top-level ``<table>…</table>`` sits in a page's HTML."""

    start: int
    end: int


def table_spans(html: str) -> Iterator[TableSpan]:
    """The outermost tables of a page that may hold clips; nested ones ride along."""
    depth, start = 0, 0
    for match in _TABLE_TAG.finditer(html):
        if match.group(1):  # </table>
            if depth == 0:
                continue  # stray closing tag
            depth -= 1
            if depth == 0 and _MAY_HOLD_CLIP.search(html, start, match.end()):
                yield TableSpan(start, match.end())
        else:
            if depth == 0:
                start = match.start()
            depth += 1


def may_hold_clips(html: str) -> bool:
    """Whether any table of the page may hold a clip."""
    return next(table_spans(html), None) is not None
