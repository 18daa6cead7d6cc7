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

#: Boxes whose children are boxes, on the way to the sample tables.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass(frozen=True)
class Box:
    kind: bytes
    start: int  # of the box's payload
    end: int  # as declared: may lie past the end of a cut file


def top_level_boxes(handle: BinaryIO, size: int) -> list[Box]:
    """The boxes at the top of a file, read header by header."""
    boxes, pos = [], 0
    while pos + 8 <= size:
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


def playable_seconds(moov: bytes, file_size: int) -> float | None:
    """Seconds of the first audio track whose samples lie inside the file.

    ``moov`` is the ``moov`` box's payload. None when the tables cannot be read.
    """
    try:
        for trak in _children(moov, 0, len(moov), b"trak"):
            tables = _audio_tables(moov, trak)
            if tables is not None:
                return _playable(tables, file_size)
    except (IndexError, KeyError, struct.error):
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


def _audio_tables(data: bytes, trak: Box) -> _Tables | None:
    """The sample tables of a sound track (None for other tracks). A missing table
    raises KeyError, a short one IndexError or struct.error."""
    found = dict(_descendants(data, trak))
    if b"hdlr" not in found or data[found[b"hdlr"].start + 8 :][:4] != b"soun":
        return None
    mdhd = found[b"mdhd"]
    version = data[mdhd.start]
    if version == 1:
        (timescale,) = struct.unpack_from(">I", data, mdhd.start + 20)
    else:
        (timescale,) = struct.unpack_from(">I", data, mdhd.start + 12)
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


def _playable(tables: _Tables, file_size: int) -> float | None:
    if not tables.timescale:
        return None
    fitting = 0
    for offset, per_chunk in _chunks(tables):
        for _ in range(per_chunk):
            if fitting >= tables.count:
                break
            size = (
                tables.sizes if isinstance(tables.sizes, int) else tables.sizes[fitting]
            )
            offset += size
            if offset > file_size:
                return _seconds(tables, fitting)
            fitting += 1
    return _seconds(tables, fitting)


def _chunks(tables: _Tables) -> Iterator[tuple[int, int]]:
    """Each chunk's offset with how many samples it holds."""
    runs = tables.chunks_runs
    for index, offset in enumerate(tables.offsets, start=1):
        per_chunk = 0
        for first, per in runs:
            if first > index:
                break
            per_chunk = per
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
    for child in _boxes(data, box.start, box.end):
        yield child.kind, child
        if child.kind in _CONTAINERS:
            yield from _descendants(data, child)


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
    if version == 1:
        (media_time,) = struct.unpack_from(">q", data, elst.start + 16)
    else:
        (media_time,) = struct.unpack_from(">i", data, elst.start + 12)
    return max(0, media_time)
