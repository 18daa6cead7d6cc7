"""A seeded mutation fuzzer for the reader, and for the untagged and matched
copies of blind tables: real clips of every format, damaged the ways uploads and
attackers damage them. Only the reader's own errors (and the copier's refusals) may escape.

``make fuzz`` runs it long (``python -m tests.fuzz --cases 20000 --copy-cases
200``); the test suite
runs a short, fixed-seed pass of the same code.
"""

from __future__ import annotations

import argparse
import random
import signal
import struct
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pelican_audiotable.errors import UntaggableClip
from pelican_audiotable.learn.metadata import ClipError, ClipMetadata, read_metadata
from pelican_audiotable.learn.untagged import untagged_copy

#: A read slower than this is a hang, and fails the run.
TIME_LIMIT = 5.0


def _flip_bits(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randrange(1, 16)):
        at = rng.randrange(len(data))
        data[at] ^= 1 << rng.randrange(8)


def _truncate(data: bytearray, rng: random.Random) -> None:
    del data[rng.randrange(1, len(data)) :]


def _giant_length(data: bytearray, rng: random.Random) -> None:
    """A length field made huge (or zero): near a box, chunk or page marker when
    there is one, anywhere otherwise."""
    markers = [b"moov", b"trak", b"stco", b"stsz", b"stsc", b"stts", b"mdat", b"data",
               b"fmt ", b"fact", b"OggS", b"fLaC", b"ID3", b"Xing", b"Info", b"LIST"]  # fmt: skip
    marker = rng.choice(markers)
    at = data.find(marker)
    if at < 0 or rng.random() < 0.3:
        at = rng.randrange(len(data))
    else:
        at = max(0, at + rng.choice((-4, 4, 8, 12, 16, 20)))
    value = rng.choice((0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFF, 0x80000000))
    data[at : at + 4] = struct.pack(">I", value)


def _repeat_slice(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(len(data))
    piece = data[start : start + rng.randrange(1, 4096)]
    at = rng.randrange(len(data))
    data[at:at] = piece * rng.randrange(1, 8)


def _remove_slice(data: bytearray, rng: random.Random) -> None:
    start = rng.randrange(len(data))
    del data[start : start + rng.randrange(1, 4096)]


def _fill_run(data: bytearray, rng: random.Random) -> None:
    """A long run of 0xFF or 0x00: what slows sync searches down."""
    at = rng.randrange(len(data))
    data[at:at] = bytes((rng.choice((0x00, 0xFF)),)) * rng.randrange(1, 1 << 18)


MUTATIONS: tuple[Callable[[bytearray, random.Random], None], ...] = (
    _flip_bits,
    _truncate,
    _giant_length,
    _repeat_slice,
    _remove_slice,
    _fill_run,
)


def mutants(data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """Endless damaged copies of ``data``, each named by what was done to it."""
    while True:
        mutant = bytearray(data)
        done = []
        for mutate in rng.sample(MUTATIONS, rng.randrange(1, 3)):
            if mutant:
                mutate(mutant, rng)
                done.append(mutate.__name__.strip("_"))
        yield "+".join(done), bytes(mutant)


@dataclass
class Report:
    files: int = 0
    read: int = 0
    copied: int = 0  # untagged copies made of what was read
    refused: Counter[str] = field(default_factory=Counter)
    escaped: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")

    def __str__(self) -> str:
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.refused.most_common())
        return (
            f"{self.files} files: {self.read} read, {sum(self.refused.values())} "
            f"refused ({kinds}); {self.copied} copied untagged; "
            f"{len(self.escaped)} other exceptions; slowest read "
            f"{self.slowest[0] * 1000:.1f} ms ({self.slowest[1]})"
        )


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Hang(f"a read took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def fuzz(clips: list[Path], cases: int, seed: int, folder: Path) -> Report:
    """Read ``cases`` mutants of each clip; every outcome is counted in the report."""
    report = Report()
    rng = random.Random(seed)
    for clip in clips:
        original = clip.read_bytes()
        target = folder / clip.name
        for number, (how, data) in enumerate(mutants(original, rng)):
            if number == cases:
                break
            target.write_bytes(data)
            report.files += 1
            name = f"{clip.name} #{number} {how}"
            started = time.perf_counter()
            try:
                with time_limit(TIME_LIMIT):
                    meta = read_metadata(target)
                assert meta.duration is not None and 0 <= meta.duration < 1e6, name
                report.read += 1
                copy = folder / f"copy-{clip.name}"
                report.copied += _copied_untagged(target, copy, meta)
            except ClipError as error:
                if "reader failed" in str(error):  # the last guard: a parser's bug
                    report.escaped.append(f"{name}: {error.__cause__!r}")
                report.refused[error.kind] += 1
            except Exception as error:  # a hang, or anything the guard let through
                report.escaped.append(f"{name}: {error!r}")
            elapsed = time.perf_counter() - started
            if elapsed > report.slowest[0]:
                report.slowest = (elapsed, name)
    return report


def _copied_untagged(source: Path, copy: Path, original: ClipMetadata) -> int:
    """1 when an untagged copy was made (and holds no tag), 0 when refused."""
    try:
        with time_limit(TIME_LIMIT):
            untagged_copy(source, copy, original, read_metadata)
    except UntaggableClip:
        assert not copy.exists(), "a refused copy was left behind"
        return 0
    after = read_metadata(copy)
    assert not (after.title or after.artist or after.has_cover), "tags left"
    return 1


@dataclass
class CopyReport:
    files: int = 0
    copied: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    escaped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.files} damaged files copied for a blind trial: {self.copied} "
            f"copied, {sum(self.refused.values())} refused, {len(self.escaped)} "
            "other outcomes"
        )


def fuzz_copies(clips: list[Path], cases: int, seed: int, folder: Path) -> CopyReport:
    """Mutants of each clip made into matched blind copies, as a build makes them
    (FFmpeg decoding and encoding in worker processes): each is a copy that reads
    back untagged, or a reason; nothing else comes out, and nothing is left."""
    from pelican_audiotable.blind.recipes import CopyRecipe
    from pelican_audiotable.learn.jobs import equalise_clip
    from pelican_audiotable.learn.pool import DecodeBudget, each_apart
    from pelican_audiotable.model import Unreadable

    rng = random.Random(seed)
    recipe = CopyRecipe(0.05, 1.0, -23.0, 8000, 2)
    jobs, names = [], []
    for clip in clips:
        for number, (how, data) in enumerate(mutants(clip.read_bytes(), rng)):
            if number == cases:
                break
            source = folder / f"{len(jobs)}-{clip.name}"
            source.write_bytes(data)
            jobs.append((source, folder / f"{len(jobs)}.mp3", recipe, 10.0))
            names.append(f"{clip.name} #{number} {how}")
    results = each_apart(equalise_clip, jobs, 2, DecodeBudget(), "fuzzing copies:")
    report = CopyReport(files=len(jobs))
    for (_, target, _, _), name, result in zip(jobs, names, results, strict=True):
        if isinstance(result, Unreadable):
            report.refused[result.kind] += 1
            if target.exists():
                report.escaped.append(f"{name}: a refused copy was left behind")
        elif isinstance(result, ClipMetadata) and not (result.title or result.artist):
            report.copied += 1
        else:
            report.escaped.append(f"{name}: {result!r}")
    return report


def main() -> None:
    from tests.clips import CLIPS, make_clip
    from tests.conftest import CACHE

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000, help="mutants per clip")
    parser.add_argument(
        "--copy-cases", type=int, default=0, help="mutants per clip made into copies"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = CACHE / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    clips = [make_clip(name, folder) for name in CLIPS]
    with tempfile.TemporaryDirectory() as scratch:
        report = fuzz(clips, args.cases, args.seed, Path(scratch))
        print(report)
        escaped = report.escaped
        if args.copy_cases:
            copies = fuzz_copies(clips, args.copy_cases, args.seed, Path(scratch))
            print(copies)
            escaped = escaped + copies.escaped
    for line in escaped[:50]:
        print("  " + line)
    raise SystemExit(1 if escaped else 0)


if __name__ == "__main__":
    main()
