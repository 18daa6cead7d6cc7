"""Ogg pages: which logical stream is the audio, and how far its last good page goes.

An Ogg file is a run of pages, each with a checksum; a stream states no total length,
so its last page's granule position is its length. A page whose checksum fails is
damaged (or made up), and a decoder drops it: so does this reader. A file may carry
several streams (Theora video, then Vorbis); the audio one is found by its first
packet, on the pages that begin each stream.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

#: The largest page: header, 255 lacing values, 255 segments of 255 bytes.
MAX_PAGE = 27 + 255 + 255 * 255

#: What the first packet of a stream starts with, by the kind of audio it is.
_CODEC_MAGIC = (
    (b"\x01vorbis", "vorbis"),
    (b"OpusHead", "opus"),
    (b"\x7fFLAC", "ogg-flac"),
    (b"Speex   ", "speex"),
)


@dataclass(frozen=True)
class Page:
    offset: int
    serial: int
    granule: int
    flags: int
    end: int  # where the page ends, as its header says
    whole: bool  # all of it is in the bytes, and its checksum matches

    @property
    def last(self) -> bool:
        return bool(self.flags & 0x04)


@dataclass(frozen=True)
class AudioStream:
    kind: str  # "vorbis", "opus", "ogg-flac", "speex"
    serial: int
    sample_rate: int  # what granule positions count in (0 when unknown)
    pre_skip: int = 0  # samples the decoder drops at the start (Opus)


def page_at(data: bytes, offset: int) -> Page | None:
    """The page whose header starts at ``offset``, checked if all of it is there."""
    if data[offset : offset + 5] != b"OggS\x00" or offset + 27 > len(data):
        return None
    flags = data[offset + 5]
    granule, serial = struct.unpack_from("<qI", data, offset + 6)
    count = data[offset + 26]
    lacing = data[offset + 27 : offset + 27 + count]
    end = offset + 27 + count + sum(lacing)
    whole = (
        len(lacing) == count and end <= len(data) and _checksum_ok(data, offset, end)
    )
    return Page(offset, serial, granule, flags, end, whole)


def audio_stream(head: bytes) -> AudioStream | None:
    """The first audio stream among those the file begins with (their first pages
    come first, each marked as a beginning)."""
    offset = 0
    while True:
        page = page_at(head, offset)
        if page is None or not page.flags & 0x02:  # no more beginning pages
            return None
        body = offset + 27 + head[offset + 26]
        packet = head[body : min(page.end, body + 64)]
        for magic, kind in _CODEC_MAGIC:
            if packet.startswith(magic):
                return _stream_of(kind, page.serial, packet)
        offset = page.end


def _stream_of(kind: str, serial: int, packet: bytes) -> AudioStream:
    """The identification packet's rate (and Opus's pre-skip)."""
    rate = pre_skip = 0
    if kind == "opus" and len(packet) >= 12:
        (pre_skip,) = struct.unpack_from("<H", packet, 10)
        rate = 48000  # Opus granules always count 48 kHz samples
    elif kind == "vorbis" and len(packet) >= 16:
        (rate,) = struct.unpack_from("<I", packet, 12)
    elif kind == "ogg-flac" and len(packet) >= 13 + 4 + 18:
        rate = int.from_bytes(packet[13 + 4 + 10 : 13 + 4 + 13], "big") >> 4
    return AudioStream(kind, serial, rate, pre_skip)


#: Pages of the stream looked at from the end before the search gives up.
MAX_PAGES_BACK = 256


def last_good_page(tail: bytes, serial: int) -> tuple[Page | None, bool]:
    """The last whole page of the stream ``serial`` in ``tail`` that ends a packet,
    and whether anything of the stream (a broken or cut page) follows it."""
    marker = b"OggS\x00"
    damaged_after = False
    at = tail.rfind(marker)
    for _ in range(MAX_PAGES_BACK):
        if at < 0:
            break
        page = page_at(tail, at)
        if page is not None and page.serial == serial:
            if page.whole and page.granule >= 0:
                return page, damaged_after
            damaged_after = damaged_after or not page.whole
        at = tail.rfind(marker, 0, at)
    return None, damaged_after


def _checksum_ok(data: bytes, start: int, end: int) -> bool:
    """Whether a page's CRC holds. Ogg's CRC-32 is zlib's with the bits of every
    byte and of the result reversed, and no inversions: computed by zlib, in C."""
    (stored,) = struct.unpack_from("<I", data, start + 22)
    page = data[start : start + 22] + b"\x00\x00\x00\x00" + data[start + 26 : end]
    crc = zlib.crc32(page.translate(_REVERSED_BITS), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return bool(int(f"{crc:032b}"[::-1], 2) == stored)


_REVERSED_BITS = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))
