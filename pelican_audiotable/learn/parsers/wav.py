"""WAV (RIFF and RF64) read chunk by chunk: what its data chunk really holds.

A WAV states its format in ``fmt `` and its audio in ``data``; a PCM file's length
is the data's size over the block size. Compressed WAVs (ADPCM, GSM 6.10, MP3 in
WAV) keep their length in a ``fact`` chunk, and otherwise their byte rate says it,
as decoders read them; mutagen measures them all as PCM (almost 0 s). RF64, for
files past 4 GB, keeps the real sizes in a ``ds64`` chunk.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO

#: Chunks looked at before the walk gives up: a file of empty chunks ends here.
MAX_CHUNKS = 4096

#: Format tags, and the codec each names. Extensible files name theirs in a GUID.
CODECS = {
    0x0001: "PCM",
    0x0002: "MS ADPCM",
    0x0003: "PCM",  # IEEE float
    0x0006: "A-law",
    0x0007: "µ-law",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MP2",
    0x0055: "MP3",
}
#: Formats whose length is their data over their block size.
_LINEAR = {0x0001, 0x0003, 0x0006, 0x0007}
_EXTENSIBLE = 0xFFFE


class WavError(ValueError):
    """A WAV whose chunks say nothing playable."""


@dataclass
class Wav:
    """What a WAV's chunks say."""

    format_tag: int
    channels: int
    sample_rate: int
    byte_rate: int
    block_align: int
    bits_per_sample: int
    data_offset: int
    data_size: int  # as declared
    fact_samples: int | None = None
    #: ``id3 `` chunk bytes, and ``LIST/INFO`` texts by their four-letter keys.
    id3: bytes | None = None
    info: dict[str, str] = field(default_factory=dict)

    @property
    def codec(self) -> str:
        return CODECS.get(self.format_tag, f"WAV format 0x{self.format_tag:04x}")

    def seconds(self, available: int) -> float:
        """Seconds that ``available`` bytes of the data chunk play."""
        data = min(available, self.data_size)
        if self.format_tag in _LINEAR:
            if not self.block_align or not self.sample_rate:
                raise WavError("the WAV format chunk has no block size or sample rate")
            return data // self.block_align / self.sample_rate
        if self.fact_samples and self.sample_rate and self.data_size:
            # The fact chunk counts the whole stream: a cut file plays its share.
            return self.fact_samples / self.sample_rate * data / self.data_size
        if self.byte_rate:
            return data / self.byte_rate
        raise WavError(f"the {self.codec} WAV states no length and no byte rate")


def parse(handle: BinaryIO, size: int) -> Wav:
    """The chunks of the WAV open in ``handle``, which is ``size`` bytes long."""
    handle.seek(0)
    head = handle.read(12)
    if head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise WavError("not a RIFF WAVE file")
    rf64_data_size: int | None = None
    fmt: tuple[int, ...] | None = None
    fact: int | None = None
    data: tuple[int, int] | None = None
    id3: bytes | None = None
    info: dict[str, str] = {}
    pos = 12
    for _ in range(MAX_CHUNKS):
        handle.seek(pos)
        header = handle.read(8)
        if len(header) < 8:
            break
        kind, length = struct.unpack("<4sI", header)
        body = pos + 8
        if kind == b"data":
            if length == 0xFFFFFFFF and rf64_data_size is not None:
                length = rf64_data_size
            data = (body, length)
        elif kind in _READ_CHUNKS and length <= MAX_CHUNK_READ:
            payload = handle.read(length)
            if kind == b"ds64" and len(payload) >= 16:
                (rf64_data_size,) = struct.unpack_from("<Q", payload, 8)
            elif kind == b"fmt " and len(payload) >= 16:
                fmt = struct.unpack_from("<HHIIHH", payload)
                if fmt[0] == _EXTENSIBLE and len(payload) >= 26:
                    (subformat,) = struct.unpack_from("<H", payload, 24)
                    fmt = (subformat, *fmt[1:])
            elif kind == b"fact" and len(payload) >= 4:
                (fact,) = struct.unpack_from("<I", payload)
            elif kind in (b"id3 ", b"ID3 "):
                id3 = payload
            elif kind == b"LIST" and payload[:4] == b"INFO":
                info.update(_info_texts(payload[4:]))
        pos = body + length + (length & 1)
        if pos >= size:
            break
    if fmt is None:
        raise WavError("the WAV has no format chunk")
    if data is None:
        raise WavError("the WAV has no data chunk")
    tag, channels, rate, byte_rate, block_align, bits = fmt
    if not channels:
        raise WavError("the WAV format chunk has no channels")
    return Wav(
        format_tag=tag,
        channels=channels,
        sample_rate=rate,
        byte_rate=byte_rate,
        block_align=block_align,
        bits_per_sample=bits,
        data_offset=data[0],
        data_size=data[1],
        fact_samples=fact,
        id3=id3,
        info=info,
    )


#: Chunks whose contents are read, and how large one may be to be read at all.
_READ_CHUNKS = frozenset((b"ds64", b"fmt ", b"fact", b"id3 ", b"ID3 ", b"LIST"))
MAX_CHUNK_READ = 1 << 20


def _info_texts(payload: bytes) -> dict[str, str]:
    """The sub-chunks of a ``LIST/INFO`` chunk: ``INAM``, ``IART``, …"""
    texts: dict[str, str] = {}
    pos = 0
    while pos + 8 <= len(payload) and len(texts) < 64:
        kind, length = struct.unpack_from("<4sI", payload, pos)
        raw = payload[pos + 8 : pos + 8 + length].split(b"\x00", 1)[0]
        texts[kind.decode("latin-1")] = raw.decode("utf-8", "replace")
        pos += 8 + length + (length & 1)
    return texts
