"""The first look at a page: where its tables that may hold clips are.

Every page of every build passes through here: a page whose HTML names no table
and no clip is left alone before anything is tokenized. The others are read token
by token as a browser reads them (:mod:`~.markup.tokens`), so that a table a
browser does not build (in a script's text, a comment, a ``<textarea>``, a
``<template>``) is never touched, and the comment right before a table is known
(a blind marker).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..formats import AUDIO_EXTENSIONS

_TABLE = re.compile(r"<table", re.IGNORECASE)
_MAY_HOLD_CLIP = re.compile(
    r"<audio\b|\.(?:" + "|".join(e[1:] for e in AUDIO_EXTENSIONS) + r")\b",
    re.IGNORECASE,
)
_WS = "\t\n\f\r "
#: The comments that are this plugin's markers ("audiotable-blind", …).
_MARKER = re.compile(r"[\t\n\f\r ]*audiotable-")


#: ``<!-- audiotable-blind -->``, or with its question:
#: ``<!-- audiotable-blind: Which one is the human player? -->``.
_BLIND = re.compile(r"\s*audiotable-blind(?:\s*:(.*)|\s*)\Z", re.S)
#: What a page that may hold a blind table holds.
BLIND_MARKER = "audiotable-blind"
#: ``<!-- audiotable-fairness-note -->`` (or ``: off``).
_NOTE = re.compile(r"\s*audiotable-fairness-note(?:\s*:\s*(\w+))?\s*\Z")


@dataclass(frozen=True)
class Markers:
    """What the ``<!-- audiotable-… -->`` comments right before a table ask of it
    (a run of them, with only white space between them and it). Markdown writes
    them as they are; reST through ``.. raw:: html``."""

    #: Blind: its question ("": asked from its labels); None: not asked.
    blind: str | None = None
    #: Its own say on the fairness note; None: the page's setting.
    fairness_note: bool | None = None

    @classmethod
    def of(cls, comments: list[str]) -> Markers:
        blind = note = None
        for comment in comments:
            if blind is None and (marker := _BLIND.match(comment)):
                blind = (marker[1] or "").strip()
            elif note is None and (marker := _NOTE.match(comment)):
                note = (marker[1] or "on").lower() not in ("off", "no", "false")
        return cls(blind, note)


@dataclass(frozen=True)
class TableSpan:
    """Where a top-level ``<table>…</table>`` sits in a page's HTML, and what its
    markers ask of it."""

    start: int
    end: int
    markers: Markers = Markers()


@dataclass
class PageScan:
    spans: list[TableSpan] = field(default_factory=list)
    #: Where, and why, the HTML stops being read as surely as a browser reads it
    #: (the tables from there on are left as written), or None.
    unsure: tuple[int, str] | None = None


def might_hold_clips(html: str) -> bool:
    """Whether a page names a table and a clip at all: two searches in C, so that
    most pages of most sites are passed over before anything is read."""
    return bool(_TABLE.search(html) and _MAY_HOLD_CLIP.search(html))


def scan_page(html: str) -> PageScan:
    """The outermost tables of a page that may hold clips (nested ones ride along)."""
    scan = PageScan()
    if not might_hold_clips(html):
        return scan
    from ..markup.tokens import (
        FOREIGN_ELEMENTS,
        LANDMARK,
        RAW_TEXT_ELEMENTS,
        lower,
        raw_text_end,
    )

    depth = start = template = foreign = 0
    comments: list[str] = []  # a run of comments with only white space between
    comments_end = 0
    position = 0
    while found := LANDMARK.search(html, position):
        position = found.end()
        if found.lastindex is None:
            continue  # any other tag: read past, nothing to do
        if found["comment"]:
            text = _comment_text(found[0])
            if html[comments_end : found.start()].strip(_WS) or not _MARKER.match(text):
                comments = []  # text, or a comment of the author's, between
            if _MARKER.match(text):
                comments.append(text)
            comments_end = position
        elif found["cdata"]:
            scan.unsure = (found.start(), "a CDATA section (SVG and HTML differ)")
            return scan
        elif name := found["start"]:
            name = lower(name)
            if name in RAW_TEXT_ELEMENTS:
                end = raw_text_end(html, name, position)
                if foreign and "<" in html[position:end]:
                    scan.unsure = (found.start(), f"a <{name}> with markup in SVG")
                    return scan
                position = end
            elif name == "table":
                if depth == 0:
                    start = found.start()
                    right_before = comments and not html[comments_end:start].strip(_WS)
                    markers = Markers.of(comments) if right_before else Markers()
                depth += 1
            elif name == "template":
                template += 1
            elif name in FOREIGN_ELEMENTS and not found["attrs"].rstrip(_WS).endswith(
                "/"
            ):
                foreign += 1
        elif name := found["end"]:
            name = lower(name)
            if name == "table" and depth:
                depth -= 1
                if (
                    depth == 0
                    and not template
                    and _MAY_HOLD_CLIP.search(html, start, position)
                ):
                    scan.spans.append(TableSpan(start, position, markers))
            elif name == "template" and template:
                template -= 1
            elif name in FOREIGN_ELEMENTS and foreign:
                foreign -= 1
    return scan


def _comment_text(comment: str) -> str:
    body = comment[4:]
    for close in ("--!>", "-->"):
        if body.endswith(close):
            return body[: -len(close)]
    return body.removesuffix(">").removesuffix("-")
