"""Hostile and odd files, built byte by byte: what a fuzzer or a careless upload
hands the reader. Each builder returns the bytes of one file."""

from __future__ import annotations

import struct


def id3v2(frames: bytes, version: int = 4) -> bytes:
    """An ID3v2 tag holding ``frames`` (already encoded)."""
    size = len(frames)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3" + bytes((version, 0, 0)) + syncsafe + frames


def id3_text_frame(name: bytes, text: str, version: int = 4) -> bytes:
    payload = b"\x03" + text.encode("utf-8")
    size = len(payload)
    if version == 4:
        encoded = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    else:
        encoded = size.to_bytes(4, "big")
    return name + encoded + b"\x00\x00" + payload


def mp3_frame(padding: bool = False, fill: int = 0) -> bytes:
    """One MPEG-1 Layer III frame, 128 kbps, 44.1 kHz, stereo: 417 bytes."""
    header = bytes((0xFF, 0xFB, 0x92 if padding else 0x90, 0x00))
    return header + bytes((fill,)) * (417 + padding - 4)


def xing_without_frame_count() -> bytes:
    """417 bytes: ``ff fb 90 00``, zeros, and ``Xing`` at 36 with no frame count."""
    frame = bytearray(mp3_frame())
    frame[36:44] = b"Xing" + (0).to_bytes(4, "big")
    return bytes(frame)


def id3_then_partial_frame() -> bytes:
    """252 bytes: an ID3v2.4 tag with a TSSE frame, then part of one frame."""
    tag = id3v2(id3_text_frame(b"TSSE", "Lavf58.76.100"))
    return tag + mp3_frame()[: 252 - len(tag)]


def info_claiming_frames(frames: int, audio_frames: int = 45) -> bytes:
    """A CBR MP3 whose Info header claims ``frames`` frames (19 KB of audio)."""
    first = bytearray(mp3_frame())
    first[36:48] = b"Info" + (1).to_bytes(4, "big") + frames.to_bytes(4, "big")
    return bytes(first) + mp3_frame() * audio_frames


def id3_then_ff(size: int) -> bytes:
    return id3v2(id3_text_frame(b"TIT2", "Noise")) + b"\xff" * size


def junk_then_frames(junk: bytes, frames: int = 40) -> bytes:
    return junk + mp3_frame() * frames


# --- WAV ---------------------------------------------------------------------------


def chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        kind + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) & 1)
    )


def wav(
    fmt_tag: int = 1,
    channels: int = 1,
    rate: int = 8000,
    byte_rate: int | None = None,
    block_align: int | None = None,
    bits: int = 16,
    data: bytes = b"\x00" * 16000,
    fact: int | None = None,
    extra: bytes = b"",
) -> bytes:
    block = block_align if block_align is not None else channels * bits // 8
    per_second = byte_rate if byte_rate is not None else rate * block
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, per_second, block, bits)
    body = chunk(b"fmt ", fmt + extra)
    if fact is not None:
        body += chunk(b"fact", struct.pack("<I", fact))
    body += chunk(b"data", data)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def rf64(rate: int = 8000, seconds: float = 1.0) -> bytes:
    """An RF64 WAV: sizes in its ds64 chunk, 0xFFFFFFFF where RIFF keeps them."""
    data = b"\x00" * int(rate * 2 * seconds)
    fmt = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16))
    ds64 = chunk(b"ds64", struct.pack("<QQQI", 0, len(data), len(data) // 2, 0))
    body = ds64 + fmt + b"data" + b"\xff\xff\xff\xff" + data
    return b"RF64" + b"\xff\xff\xff\xff" + b"WAVE" + body


# --- FLAC --------------------------------------------------------------------------


def streaminfo(
    rate: int = 44100,
    channels: int = 2,
    bits: int = 16,
    total: int = 0,
    max_frame: int = 0,
    last: bool = True,
) -> bytes:
    packed = (rate << 44) | ((channels - 1) << 41) | ((bits - 1) << 36) | total
    body = (
        (4096).to_bytes(2, "big")
        + (4096).to_bytes(2, "big")
        + (0).to_bytes(3, "big")
        + max_frame.to_bytes(3, "big")
        + packed.to_bytes(8, "big")
        + b"\x00" * 16
    )
    return bytes((0x80 if last else 0,)) + len(body).to_bytes(3, "big") + body


def flac_metadata_only(total: int = 44100 * 600) -> bytes:
    """STREAMINFO promising ``total`` samples, a padding block, and no frames."""
    padding = b"\x81" + (1024).to_bytes(3, "big") + b"\x00" * 1024
    return b"fLaC" + streaminfo(total=total, last=False) + padding


def flac_huge_frames_then_ff(size: int) -> bytes:
    return b"fLaC" + streaminfo(total=44100, max_frame=0xFFFFFF) + b"\xff" * size


# --- MP4 ---------------------------------------------------------------------------


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full(kind: bytes, payload: bytes, version: int = 0) -> bytes:
    return box(kind, bytes((version, 0, 0, 0)) + payload)


def mp4(
    seconds: float = 620.0,
    chunk_offsets: list[int] | None = None,
    stsc: list[tuple[int, int]] | None = None,
    sample_size: int = 10,
    mdat: bytes = b"\x00" * 8,
    nested_edts: int = 0,
) -> bytes:
    """An M4A whose moov describes ``seconds`` of AAC at 44.1 kHz, and a small mdat."""
    timescale = 44100
    samples = int(seconds * timescale / 1024)
    offsets = chunk_offsets if chunk_offsets is not None else [48]
    runs = stsc if stsc is not None else [(1, max(1, samples // len(offsets)))]
    ftyp = box(b"ftyp", b"M4A \x00\x00\x02\x00isomM4A ")
    mdhd = full(b"mdhd", struct.pack(">IIIIHH", 0, 0, timescale, samples * 1024, 0, 0))
    hdlr = full(b"hdlr", b"\x00" * 4 + b"soun" + b"\x00" * 12 + b"\x00")
    stts = full(b"stts", struct.pack(">III", 1, samples, 1024))
    stsc_box = full(
        b"stsc",
        struct.pack(">I", len(runs))
        + b"".join(struct.pack(">III", first, per, 1) for first, per in runs),
    )
    stsz = full(b"stsz", struct.pack(">II", sample_size, samples))
    stco = full(
        b"stco",
        struct.pack(">I", len(offsets))
        + b"".join(struct.pack(">I", o) for o in offsets),
    )
    stbl = box(b"stbl", stts + stsc_box + stsz + stco)
    minf = box(b"minf", stbl)
    mdia = box(b"mdia", mdhd + hdlr + minf)
    edts = b""
    if nested_edts:
        edts = box(b"elst", b"")
        for _ in range(nested_edts):
            edts = box(b"edts", edts)
    trak = box(b"trak", edts + mdia)
    mvhd = full(
        b"mvhd", struct.pack(">IIII", 0, 0, 1000, int(seconds * 1000)) + b"\x00" * 80
    )
    moov = box(b"moov", mvhd + trak)
    return ftyp + moov + box(b"mdat", mdat)


# --- Ogg ---------------------------------------------------------------------------


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_page(
    payload: bytes, serial: int, sequence: int, granule: int, flags: int = 0
) -> bytes:
    lacing = bytes([255] * (len(payload) // 255) + [len(payload) % 255])
    header = (
        struct.pack("<4sBBqIII", b"OggS", 0, flags, granule, serial, sequence, 0)
        + bytes((len(lacing),))
        + lacing
    )
    crc = _ogg_crc(header + payload)
    return header[:22] + struct.pack("<I", crc) + header[26:] + payload
