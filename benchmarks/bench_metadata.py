"""Metadata throughput and accuracy: pelican-audiotable's reader vs plain mutagen.File.

Both read the same files, interleaved, in one run; the figures are ratios so the
machine's speed cancels out. Accuracy is against what ffmpeg decodes.

    python benchmarks/bench_metadata.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import mutagen

sys.path.insert(0, str(Path(__file__).parent))
from _clips import benchmark_clips

from pelican_audiotable.learn.metadata import read_metadata

ROUNDS = 7


def decoded_seconds(path: Path) -> float:
    pcm = subprocess.run(
        ["ffmpeg", "-v", "quiet", "-i", str(path), "-f", "s16le", "-ac", "1", "-"],
        capture_output=True,
        check=True,
    ).stdout
    rate = mutagen.File(path).info.sample_rate
    return len(pcm) / 2 / rate


def per_file_seconds(read, files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        read(path)
    return (time.perf_counter() - start) / len(files)


def main() -> None:
    files = benchmark_clips()
    groups = {
        "all": files,
        "with header": [f for f in files if "noheader" not in f.name],
        "VBR, no header": [f for f in files if "noheader" in f.name],
    }
    print(f"{len(files)} MP3 files, 20-180 s; median of {ROUNDS} interleaved rounds\n")
    print(f"{'files':<16}{'mutagen.File':>14}{'audiotable':>14}{'speed ratio':>14}")
    for label, group in groups.items():
        ours, theirs = [], []
        for _ in range(ROUNDS):
            theirs.append(per_file_seconds(mutagen.File, group))
            ours.append(per_file_seconds(read_metadata, group))
        m, a = statistics.median(theirs), statistics.median(ours)
        print(f"{label:<16}{m * 1000:>11.3f} ms{a * 1000:>11.3f} ms{m / a:>13.2f}x")

    print("\nduration error against ffmpeg's decode (seconds)")
    print(
        f"{'files':<16}{'mutagen max':>14}{'audiotable max':>16}{'mutagen worst %':>18}"
    )
    for label, group in groups.items():
        errors_m, errors_a, worst = [], [], 0.0
        for path in group:
            truth = decoded_seconds(path)
            theirs = mutagen.File(path).info.length
            errors_m.append(abs(theirs - truth))
            errors_a.append(abs(read_metadata(path).duration - truth))
            worst = max(worst, abs(theirs - truth) / truth * 100)
        print(f"{label:<16}{max(errors_m):>14.3f}{max(errors_a):>16.3f}{worst:>17.1f}%")


if __name__ == "__main__":
    main()
