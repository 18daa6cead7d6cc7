"""A clip's tags as text fit to show: ID3 (v1, v2.2–2.4), Vorbis comments, MP4
atoms, WAV INFO chunks. Every tag is untrusted: it is bounded, stripped of control
characters, and carries no character that markup is made of."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import short_reason

if TYPE_CHECKING:
    from .parsers.wav import Wav

#: How far into a tag value we read: a huge frame must not flood the page.
MAX_TAG_CHARS = 300


@dataclass
class Tags:
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: str | None = None
    track: str | None = None
    comment: str | None = None
    has_cover: bool = False


#: Tags, and a note when damaged ones were ignored.
Read = tuple["Tags", str | None]


def read_id3(path: Path, whole: bytes | None = None) -> Read:
    """Tags from ID3v2 (v2.2–v2.4) or ID3v1; a damaged tag is noted, never fatal.

    Parsed from ``whole``, the file's bytes, when a frame walk has read them already.
    """
    from mutagen.id3 import ID3, ID3NoHeaderError  # on first use: see _mutagen_classes

    try:
        id3 = ID3(io.BytesIO(whole) if whole is not None else path)
    except ID3NoHeaderError:
        return Tags(), None
    except Exception as error:  # mutagen raises many kinds for broken tags
        return Tags(), f"damaged ID3 tag ignored ({short_reason(error)})"
    return id3_tags(id3), None


def id3_tags(id3: Any) -> Tags:
    def text(key: str) -> str | None:
        frame = id3.get(key)
        return clean(str(frame)) if frame is not None and frame.text else None

    comment = next(
        (clean(str(f)) for f in id3.getall("COMM") if f.text and str(f).strip()),
        None,
    )
    year = text("TDRC") or text("TYER")
    return Tags(
        title=text("TIT2"),
        artist=text("TPE1"),
        album=text("TALB"),
        year=year[:4] if year else None,
        track=text("TRCK"),
        comment=comment,
        has_cover=bool(id3.getall("APIC") or id3.getall("PIC")),
    )


def container_tags(kind: str, audio: Any) -> Read:
    if audio is None or audio.tags is None:
        return Tags(), None
    try:
        if kind == "mp4":
            return mp4_tags(audio.tags), None
        pictures = getattr(audio, "pictures", None) or []
        return vorbis_tags(audio.tags, bool(pictures)), None
    except Exception as error:
        return Tags(), f"damaged tags ignored ({short_reason(error)})"


def vorbis_tags(comments: Any, has_pictures: bool) -> Tags:
    def text(*keys: str) -> str | None:
        for key in keys:
            values = comments.get(key)
            if values:
                return clean(values[0])
        return None

    year = text("date", "year")
    return Tags(
        title=text("title"),
        artist=text("artist"),
        album=text("album"),
        year=year[:4] if year else None,
        track=text("tracknumber"),
        comment=text("comment", "description"),
        has_cover=has_pictures or bool(comments.get("metadata_block_picture")),
    )


def mp4_tags(tags: Any) -> Tags:
    def text(key: str) -> str | None:
        values = tags.get(key)
        return clean(str(values[0])) if values else None

    track = tags.get("trkn")
    year = text("\xa9day")
    return Tags(
        title=text("\xa9nam"),
        artist=text("\xa9ART"),
        album=text("\xa9alb"),
        year=year[:4] if year else None,
        track=str(track[0][0]) if track and track[0][0] else None,
        comment=text("\xa9cmt"),
        has_cover=bool(tags.get("covr")),
    )


def wav_tags(parsed: Wav) -> Read:
    """An ``id3 `` chunk's tags, else those of ``LIST/INFO``."""
    if parsed.id3:
        from mutagen.id3 import ID3

        try:
            return id3_tags(ID3(io.BytesIO(parsed.id3))), None
        except Exception as error:
            note = f"damaged ID3 tag ignored ({short_reason(error)})"
            return _info_tags(parsed), note
    return _info_tags(parsed), None


def _info_tags(parsed: Wav) -> Tags:
    """A WAV's ``LIST/INFO`` tags."""
    info = parsed.info
    if not info:
        return Tags()
    year = clean(info.get("ICRD", ""))
    return Tags(
        title=clean(info.get("INAM", "")),
        artist=clean(info.get("IART", "")),
        album=clean(info.get("IPRD", "")),
        year=year[:4] if year else None,
        track=clean(info.get("ITRK", "")),
        comment=clean(info.get("ICMT", "")),
    )


#: Characters tag text never carries into a page: shown as their typographic
#: look-alikes. Escaping alone is not enough, for themes undo it: ``striptags``
#: turns ``&lt;`` back into ``<``, and a tag that reached a ``<meta>`` attribute
#: that way could end it and start a script.
LOOK_ALIKES = str.maketrans({"<": "‹", ">": "›", '"': "”", "'": "’", "`": "‘"})


def clean(value: str) -> str | None:
    """A tag value fit to show: control characters gone, markup characters as
    look-alikes, length bounded."""
    value = "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()
    value = value.translate(LOOK_ALIKES)
    if len(value) > MAX_TAG_CHARS:
        value = value[: MAX_TAG_CHARS - 1].rstrip() + "…"
    return value or None
