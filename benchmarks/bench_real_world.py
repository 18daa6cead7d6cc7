"""Durations of real-world files nobody here made, against a full decode by ffmpeg.

The files are other audio libraries' test media (mutagen's, beets' MediaFile's),
many of them from their users' bug reports. For each file ffmpeg decodes, a
duration counts as right within max(0.1 s, 1 %) of the decoded length; for each it
cannot, the reader should refuse it rather than show a length.

    python benchmarks/bench_real_world.py [--list]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pelican_audiotable.formats import AUDIO_EXTENSIONS
from pelican_audiotable.learn.metadata import ClipError, read_metadata
from tests.conftest import (
    MEDIAFILE_SDIST,
    MUTAGEN_SDIST,
    decoded_seconds,
    sdist_test_files,
)


def close(value: float | None, truth: float) -> bool:
    return value is not None and abs(value - truth) <= max(0.1, 0.01 * truth)


def ours(path: Path) -> float | None:
    try:
        return read_metadata(path).duration
    except ClipError:
        return None


def theirs(path: Path) -> float | None:
    try:
        audio = mutagen.File(path)
        return float(audio.info.length) if audio is not None else None
    except Exception:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="print every miss")
    args = parser.parse_args()
    folders = [
        sdist_test_files(MUTAGEN_SDIST, "/tests/data/"),
        sdist_test_files(MEDIAFILE_SDIST, "/test/rsrc/"),
    ]
    files = sorted(
        path
        for folder in folders
        for path in folder.iterdir()
        if path.suffix.lower() in AUDIO_EXTENSIONS
    )
    decoded = right = mutagen_right = refused_broken = broken = 0
    misses: list[str] = []
    for path in files:
        truth = decoded_seconds(path)
        mine, other = ours(path), theirs(path)
        if truth > 0:
            decoded += 1
            right += close(mine, truth)
            mutagen_right += close(other, truth)
            if not close(mine, truth):
                misses.append(
                    f"{path.name}: decoded {truth:.3f}, read {mine}, mutagen {other}"
                )
        else:
            broken += 1
            refused_broken += mine is None
            if mine is not None:
                misses.append(f"{path.name}: ffmpeg decodes nothing, read {mine:.3f}")
    print(f"{len(files)} audio files from {len(folders)} libraries' test data")
    print(
        f"ffmpeg decodes {decoded}: within max(0.1 s, 1 %): this reader {right} "
        f"({right / decoded:.0%}), mutagen {mutagen_right} "
        f"({mutagen_right / decoded:.0%})"
    )
    print(f"ffmpeg decodes nothing of {broken}: this reader refuses {refused_broken}")
    if args.list:
        print("\n".join("  " + miss for miss in misses))


if __name__ == "__main__":
    main()
