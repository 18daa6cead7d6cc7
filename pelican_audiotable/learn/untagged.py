"""A clip's copy with every tag removed, for blind tables: the title, artist,
album, comments, cover and encoder tags a curious reader would look at first.

The copy is checked by reading it back: a copy whose reader still finds a tag, or
that no longer reads as the clip it was made from, is refused. The original is
never touched. File I/O at the edge; what is stripped is mutagen's work (its
writers keep every format's frames and pages intact), except for WAV, whose
``RIFF`` chunks are simple enough to rebuild here.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

from ..errors import UntaggableClip, short_reason
from ..files import open_regular
from ..model import TAG_FIELDS, ClipContent

#: The WAV chunks a copy keeps: what plays, nothing that describes.
_WAV_KEPT = (b"fmt ", b"fact", b"data")


def untagged_copy(
    source: Path,
    target: Path,
    original: ClipContent,
    read: Callable[[Path], ClipContent],
) -> None:
    """Write ``source`` (read as ``original``) without its tags to ``target``, and
    check the copy with ``read`` (the metadata reader). Raises
    :class:`UntaggableClip` when it cannot be done, leaving no ``target``."""
    try:
        with open_regular(source) as handle:
            riff = handle.read(4) in (b"RIFF", b"RF64")
            handle.seek(0)
            if riff:
                target.write_bytes(_wav_without_tags(handle.read()))
            else:
                with target.open("wb") as copy:
                    shutil.copyfileobj(handle, copy)
        if not riff:
            _strip_with_mutagen(target)
        _check(source, target, original, read)
    except UntaggableClip:
        target.unlink(missing_ok=True)
        raise
    except Exception as error:  # untrusted bytes: whatever breaks, no copy
        target.unlink(missing_ok=True)
        raise UntaggableClip(
            f"its tags cannot be removed ({short_reason(error)})"
        ) from None


def _strip_with_mutagen(path: Path) -> None:
    import mutagen
    from mutagen import apev2, id3

    audio = mutagen.File(path)
    if audio is None:
        raise UntaggableClip("mutagen does not know its format")
    kind = type(audio).__name__
    if kind in ("MP3", "EasyMP3"):
        id3.delete(path, delete_v1=True, delete_v2=True)
        apev2.delete(path)
    elif kind == "FLAC":
        audio.clear_pictures()
        audio.delete()
        audio = mutagen.File(path)
        audio.save(deleteid3=True)
    elif kind in ("OggVorbis", "OggOpus", "OggFLAC", "OggSpeex"):
        if audio.tags is not None:
            audio.tags.clear()
            audio.tags.vendor = ""
            audio.save()
    elif kind == "MP4":
        audio.delete()
    else:
        raise UntaggableClip(f"removing the tags of {kind} files is not supported")


def _wav_without_tags(data: bytes) -> bytes:
    """The RIFF file rebuilt of its ``fmt ``, ``fact`` and ``data`` chunks."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise UntaggableClip("only RIFF WAVE files (not RF64) can be copied untagged")
    kept = []
    pos = 12
    while pos + 8 <= len(data):
        kind, length = struct.unpack_from("<4sI", data, pos)
        body = data[pos + 8 : pos + 8 + length]
        if kind in _WAV_KEPT:
            padding = b"\0" if len(body) & 1 else b""
            kept.append(struct.pack("<4sI", kind, len(body)) + body + padding)
        pos += 8 + length + (length & 1)
    chunks = b"".join(kept)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def _check(
    source: Path,
    target: Path,
    before: ClipContent,
    read: Callable[[Path], ClipContent],
) -> None:
    """The copy plays as the original did, and its reader finds no tag in it."""
    after = read(target)
    left = [name for name in TAG_FIELDS if getattr(after, name)]
    if after.has_cover:
        left.append("cover")
    if left:
        raise UntaggableClip(f"tags are left in its copy ({', '.join(left)})")
    if (after.format, after.duration) != (before.format, before.duration):
        raise UntaggableClip("its copy does not read as the same audio")
    if os.path.getsize(target) > os.path.getsize(source):
        raise UntaggableClip("its copy came out larger than the clip")
