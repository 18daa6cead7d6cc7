"""MP4 sample tables: how much of an MP4's audio its bytes really hold.

An MP4 (M4A) states its length in the ``moov`` box. When the index comes first
(``+faststart``, as streaming sites want) and the upload is cut, the index still
promises the whole length while the media data stops early. The sample tables say
where every sample lies, so counting the samples that fit in the file gives the
length a player will actually play.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from . import flac

#: Boxes whose children are boxes, on the way to the sample tables.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int  # of the box's payload
    end: int  # as declared: may lie past the end of a cut file


#: More top-level boxes than this (a fragmented hour has a few thousand), or more
#: boxes inside ``moov``, and the file is refused before mutagen walks them all:
#: 16 MiB of empty boxes take it six seconds. And how deep boxes may nest on the
#: way to the sample tables.
MAX_TOP_LEVEL_BOXES = 65_536
MAX_INDEX_BOXES = 20_000
MAX_DEPTH = 12


class TooManyBoxes(ValueError):
    """A file made of more boxes than any MP4 a player opens."""


def top_level_boxes(handle: BinaryIO, size: int) -> list[Box]:
    """The boxes at the top of a file, read header by header."""
    boxes: list[Box] = []
    pos = 0
    while pos + 8 <= size:
        if len(boxes) == MAX_TOP_LEVEL_BOXES:
            raise TooManyBoxes(f"more than {MAX_TOP_LEVEL_BOXES} top-level boxes")
        handle.seek(pos)
        header = handle.read(16)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header[:8])
        start = pos + 8
        if length == 1 and len(header) == 16:
            (length,) = struct.unpack(">Q", header[8:16])
            start = pos + 16
        elif length == 0:
            length = size - pos
        if length < start - pos:
            break  # a damaged header: stop where the file stops making sense
        boxes.append(Box(kind, start, pos + length))
        pos += length
    return boxes


#: The boxes mutagen descends into (``meta`` is a full box: its children start 4
#: bytes in).
_MUTAGEN_CONTAINERS = {b"moov", b"udta", b"trak", b"mdia", b"meta", b"ilst",
                       b"stbl", b"minf", b"moof", b"traf"}  # fmt: skip


def check_index(moov: bytes) -> None:
    """Refuse a ``moov`` (its payload) made of more boxes than any real index."""
    count = 0
    stack = [(0, len(moov))]
    while stack:
        start, end = stack.pop()
        for box in _boxes(moov, start, end):
            count += 1
            if count > MAX_INDEX_BOXES:
                raise TooManyBoxes(f"more than {MAX_INDEX_BOXES} boxes in its index")
            if box.kind in _MUTAGEN_CONTAINERS:
                stack.append((box.start + 4 * (box.kind == b"meta"), box.end))


@dataclass(frozen=True)
class Track:
    """What the first sound track's tables say, and what of it the file holds."""

    declared: float | None  # seconds, by its sample tables
    playable: float | None  # seconds whose samples lie inside the media data
    channels: int | None  # from the codec's own setup, where it has one
    sample_rate: int | None


def sound_track(moov: bytes, media: list[tuple[int, int]]) -> Track | None:
    """The first sound track of ``moov`` (the ``moov`` box's payload), measured
    against ``media``: the byte ranges of the file's media data, clamped to it.

    None when there is none, or its tables cannot be read.
    """
    try:
        for trak in _children(moov, 0, len(moov), b"trak"):
            found: dict[bytes, Box] = {}
            for kind, box in _descendants(moov, trak):
                found.setdefault(kind, box)  # the first of each: stbl's, not udta's
            # The media's own handler says what the track is, not another one
            # after it (QuickTime's data handler in minf, a metadata handler).
            mdia = found.get(b"mdia")
            hdlr = (
                next(_children(moov, mdia.start, mdia.end, b"hdlr"), None)
                if mdia
                else None
            )
            if hdlr is None or moov[hdlr.start + 8 :][:4] != b"soun":
                continue
            channels, rate = _codec_setup(moov, found.get(b"stsd"))
            tables = _audio_tables(moov, found)
            if tables is None or not tables.count or not tables.timescale:
                return Track(None, None, channels, rate)
            declared = _seconds(tables, tables.count)
            return Track(declared, _playable(tables, media), channels, rate)
    except (IndexError, KeyError, struct.error, ValueError):
        pass  # tables that do not add up: nothing better than the header is known
    return None


@dataclass(frozen=True)
class _Tables:
    timescale: int
    skip: int  # priming samples the edit list skips, in timescale units
    durations: list[tuple[int, int]]  # stts: (count, delta)
    chunks_runs: list[tuple[int, int]]  # stsc: (first chunk, samples per chunk)
    sizes: list[int] | int  # stsz: a size per sample, or one for all
    count: int  # samples in the track
    offsets: list[int]  # stco/co64: where each chunk starts


def _audio_tables(data: bytes, found: dict[bytes, Box]) -> _Tables | None:
    """The sample tables of a sound track. A missing table raises KeyError, a
    short one IndexError or struct.error."""
    mdhd = found[b"mdhd"]
    version = data[mdhd.start]
    if version == 1:
        (timescale,) = struct.unpack_from(">I", data, mdhd.start + 20)
    else:
        (timescale,) = struct.unpack_from(">I", data, mdhd.start + 12)
    if b"stsz" not in found:
        return None  # fragmented: the samples are described in the fragments
    sizes, count = _stsz(data, found[b"stsz"])
    offsets_box = found.get(b"stco") or found[b"co64"]
    wide = offsets_box.kind == b"co64"
    return _Tables(
        timescale=timescale,
        skip=_edit_skip(data, found.get(b"elst")),
        durations=_pairs(data, found[b"stts"]),
        chunks_runs=[(first, per) for first, per, _ in _triples(data, found[b"stsc"])],
        sizes=sizes,
        count=count,
        offsets=_offsets(data, offsets_box, wide),
    )


def _playable(tables: _Tables, media: list[tuple[int, int]]) -> float:
    """Seconds of the samples that lie inside the media data, up to the first
    that does not: a player stops there."""
    fitting = 0
    start = end = 0  # the media data box the last chunk lay in
    for offset, per_chunk in _chunks(tables):
        if not start <= offset < end:
            start, end = next(((s, e) for s, e in media if s <= offset < e), (0, 0))
        limit = end if start <= offset < end else offset
        if isinstance(tables.sizes, int):
            room = (limit - offset) // tables.sizes if tables.sizes else per_chunk
            fits = min(per_chunk, room, tables.count - fitting)
            fitting += fits
            if fits < per_chunk:
                break
            continue
        for _ in range(per_chunk):
            if fitting >= tables.count:
                return _seconds(tables, fitting)
            offset += tables.sizes[fitting]
            if offset > limit:
                return _seconds(tables, fitting)
            fitting += 1
    return _seconds(tables, fitting)


def _chunks(tables: _Tables) -> Iterator[tuple[int, int]]:
    """Each chunk's offset with how many samples it holds (one pass over both
    tables: chunk runs are sorted by their first chunk)."""
    runs = tables.chunks_runs
    run, per_chunk = 0, 0
    for index, offset in enumerate(tables.offsets, start=1):
        while run < len(runs) and runs[run][0] <= index:
            per_chunk = runs[run][1]
            run += 1
        yield offset, per_chunk


def _seconds(tables: _Tables, samples: int) -> float:
    ticks = 0
    for count, delta in tables.durations:
        taken = min(count, samples)
        ticks += taken * delta
        samples -= taken
        if samples <= 0:
            break
    return max(0, ticks - tables.skip) / tables.timescale


def _codec_setup(data: bytes, stsd: Box | None) -> tuple[int | None, int | None]:
    """Channels and sample rate as the codec's own setup states them: an AAC
    voice memo's sample entry says stereo where its config says mono, and a sample
    entry cannot hold a rate above 65535 Hz."""
    if stsd is None:
        return None, None
    entry = next(_boxes(data, stsd.start + 8, stsd.end), None)
    if entry is None or entry.end - entry.start < 28:
        return None, None
    channels, _, _, _, rate = struct.unpack_from(">HHHHI", data, entry.start + 16)
    setup: tuple[int | None, int | None] = (channels or None, (rate >> 16) or None)
    for child in _boxes(data, entry.start + 28, entry.end):
        if child.kind == b"esds":
            return _aac_config(data[child.start + 4 : child.end]) or setup
        if child.kind == b"dfLa":
            info = flac.parse_streaminfo(data[child.start + 8 : child.start + 42])
            return (info.channels, info.sample_rate) if info else setup
        if child.kind == b"alac" and child.end - child.start >= 28:
            alac_channels = data[child.start + 13]
            (alac_rate,) = struct.unpack_from(">I", data, child.start + 24)
            return alac_channels or setup[0], alac_rate or setup[1]
    return setup


_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
              11025, 8000, 7350)  # fmt: skip


def _aac_config(esds: bytes) -> tuple[int | None, int | None] | None:
    """Channels and rate from an AAC AudioSpecificConfig (plain AAC only: with SBR
    or PS the decoder's output differs from the config's core)."""
    pos = 0
    tag = None
    while pos < len(esds) and tag != 0x05:
        tag = esds[pos]
        length, pos = _descriptor_length(esds, pos + 1)
        if tag == 0x03:
            flags = esds[pos + 2]
            pos += 3 + 2 * bool(flags & 0x80) + 2 * bool(flags & 0x20)
            if flags & 0x40:
                pos += 1 + esds[pos]
        elif tag == 0x04:
            pos += 13
        elif tag != 0x05:
            pos += length
    if tag != 0x05 or pos + 2 > len(esds):
        return None
    bits = int.from_bytes(esds[pos : pos + 5].ljust(5, b"\x00"), "big")
    object_type, index = bits >> 35, (bits >> 31) & 0x0F
    if object_type in (0, 5, 29, 31) or index >= len(_AAC_RATES):
        return None
    channels = (bits >> 27) & 0x0F
    return (channels if 0 < channels < 7 else None), _AAC_RATES[index]


def _descriptor_length(data: bytes, pos: int) -> tuple[int, int]:
    length = 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return length, pos


def _children(data: bytes, start: int, end: int, kind: bytes) -> Iterator[Box]:
    return (box for box in _boxes(data, start, end) if box.kind == kind)


def _boxes(data: bytes, start: int, end: int) -> Iterator[Box]:
    pos = start
    while pos + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if length == 1:
            (length,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif length == 0:
            length = end - pos
        if length < header or pos + length > end:
            return
        yield Box(kind, pos + header, pos + length)
        pos += length


def _descendants(data: bytes, box: Box) -> Iterator[tuple[bytes, Box]]:
    """Every box below ``box`` on the way to the sample tables, first found
    first; walked with a stack, as deep as :data:`MAX_DEPTH`."""
    stack = [(iter(_boxes(data, box.start, box.end)), 1)]
    while stack:
        children, depth = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        yield child.kind, child
        if child.kind in _CONTAINERS and depth < MAX_DEPTH:
            stack.append((iter(_boxes(data, child.start, child.end)), depth + 1))


def _pairs(data: bytes, box: Box) -> list[tuple[int, int]]:
    (entries,) = struct.unpack_from(">I", data, box.start + 4)
    return list(
        struct.iter_unpack(">II", data[box.start + 8 : box.start + 8 + 8 * entries])
    )


def _triples(data: bytes, box: Box) -> list[tuple[int, int, int]]:
    (entries,) = struct.unpack_from(">I", data, box.start + 4)
    table = data[box.start + 8 : box.start + 8 + 12 * entries]
    return list(struct.iter_unpack(">III", table))


def _stsz(data: bytes, box: Box) -> tuple[list[int] | int, int]:
    uniform, count = struct.unpack_from(">II", data, box.start + 4)
    if uniform:
        return uniform, count
    table = data[box.start + 12 : box.start + 12 + 4 * count]
    return [size for (size,) in struct.iter_unpack(">I", table)], count


def _offsets(data: bytes, box: Box, wide: bool) -> list[int]:
    (entries,) = struct.unpack_from(">I", data, box.start + 4)
    width = 8 if wide else 4
    table = data[box.start + 8 : box.start + 8 + width * entries]
    return [offset for (offset,) in struct.iter_unpack(">Q" if wide else ">I", table)]


def _edit_skip(data: bytes, elst: Box | None) -> int:
    """Media time the first edit starts at: the encoder's priming, in media units."""
    if elst is None:
        return 0
    version = data[elst.start]
    (entries,) = struct.unpack_from(">I", data, elst.start + 4)
    if not entries:
        return 0
    layout, at = (">q", 16) if version == 1 else (">i", 12)
    media_time: int = struct.unpack_from(layout, data, elst.start + at)[0]
    return max(0, media_time)
