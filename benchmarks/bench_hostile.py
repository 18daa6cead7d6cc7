"""Reading hostile 16 MiB files: the work must be bounded by what can be a frame.

Each file is made to slow a naive reader down (runs of sync bytes, lone headers,
huge length fields, tables that multiply). Printed: the best of three reads with
this reader and with ``mutagen.File``, side by side in one run; the target is any
16 MiB file read in under 0.2 s.

    python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import contextlib
import random
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pelican_audiotable.learn.metadata import read_metadata
from tests import hostile

SIZE = 16 * 1024 * 1024


def _mp4_boxes() -> bytes:
    ftyp = hostile.box(b"ftyp", b"M4A \x00\x00\x02\x00isomM4A ")
    return ftyp + hostile.box(b"free", b"") * ((SIZE - len(ftyp)) // 8)


def _mp4_index() -> bytes:
    ftyp = hostile.box(b"ftyp", b"M4A \x00\x00\x02\x00isomM4A ")
    return ftyp + hostile.box(b"moov", hostile.box(b"udta", b"") * (SIZE // 8 - 4))


def _mp4_tables() -> bytes:
    chunks = 400_000
    return hostile.mp4(
        seconds=chunks * 1024 / 44100,
        chunk_offsets=list(range(1000, 1000 + chunks)),
        stsc=[(n + 1, 1) for n in range(chunks)],
        mdat=b"\x00" * 64,
    )


def _wav_chunks() -> bytes:
    chunks = hostile.chunk(b"junk", b"") * ((SIZE - 64) // 8)
    fmt = hostile.chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16))
    body = fmt + chunks + hostile.chunk(b"data", b"\x00" * 16)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def _ogg_bad_pages() -> bytes:
    vorbis = b"\x01vorbis" + bytes(4) + b"\x02" + (44100).to_bytes(4, "little")
    first = hostile.ogg_page(
        vorbis + bytes(16), serial=1, sequence=0, granule=0, flags=2
    )
    page = bytearray(
        hostile.ogg_page(bytes(255 * 254), serial=1, sequence=1, granule=9)
    )
    page[22] ^= 0xFF  # the checksum, wrong
    return first + bytes(page) * (SIZE // len(page))


FILES: dict[str, Callable[[], bytes]] = {
    "ID3 then 0xFF.mp3": lambda: hostile.id3_then_ff(SIZE),
    "ID3 then zeros.mp3": lambda: hostile.id3v2(b"") + b"\x00" * SIZE,
    "lone MPEG headers.mp3": lambda: b"\xff\xfb\x90\x00" * (SIZE // 4),
    "frames then garbage.mp3": lambda: (
        hostile.mp3_frame() * 8 + random.Random(1).randbytes(SIZE)
    ),
    "FLAC, huge frames, 0xFF.flac": lambda: hostile.flac_huge_frames_then_ff(SIZE),
    "FLAC, sync pairs.flac": lambda: (
        b"fLaC" + hostile.streaminfo(total=10**9) + b"\xff\xf8" * (SIZE // 2)
    ),
    "8-byte MP4 boxes.m4a": _mp4_boxes,
    "an index of 8-byte boxes.m4a": _mp4_index,
    "400,000 x 400,000 MP4 tables.m4a": _mp4_tables,
    "2 M empty WAV chunks.wav": _wav_chunks,
    "Ogg pages of zeros.ogg": lambda: b"OggS\x00" * (SIZE // 5),
    "Ogg pages, every checksum bad.ogg": _ogg_bad_pages,
    "random bytes.mp3": lambda: random.Random(2).randbytes(SIZE),
}


def best_of(read: Callable[[Path], object], path: Path, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        with contextlib.suppress(Exception):  # refusing is an answer too
            read(path)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    print(f"{'file':34} {'size':>9} {'reader':>9} {'mutagen':>9}")
    worst = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for name, make in FILES.items():
            path = Path(folder) / name
            path.write_bytes(make())
            ours = best_of(read_metadata, path)
            theirs = best_of(mutagen.File, path)
            worst = max(worst, ours)
            size = path.stat().st_size / 2**20
            ms = f"{ours * 1000:7.1f} ms {theirs * 1000:7.1f} ms"
            print(f"{name:34} {size:7.1f} MB {ms}")
    print(f"slowest read: {worst * 1000:.1f} ms (target: under 200 ms)")


if __name__ == "__main__":
    main()
