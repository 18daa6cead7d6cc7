"""Clips for the benchmarks: real LAME encodes of 20-180 s, in the three MP3 shapes."""

from __future__ import annotations

import subprocess
from pathlib import Path

WORK = Path(__file__).parent / ".work"
SWING = "volume='0.03+0.97*gt(sin(2*PI*t/3),0)':eval=frame"
SHAPES = {
    "cbr": ["-c:a", "libmp3lame", "-b:a", "160k"],
    "vbr-xing": ["-c:a", "libmp3lame", "-q:a", "2"],
    "vbr-noheader": ["-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0"],
}


def benchmark_clips(
    count: int = 12, shortest: int = 20, longest: int = 180
) -> list[Path]:
    """``count`` clips per shape, lengths spread over ``shortest``-``longest`` seconds
    (made once)."""
    folder = WORK / (
        "clips" if (shortest, longest) == (20, 180) else f"clips-{shortest}-{longest}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        seconds = shortest + ((longest - shortest) * index) // max(1, count - 1)
        for shape, args in SHAPES.items():
            path = folder / f"{shape}-{seconds:03d}s.mp3"
            if not path.exists():
                subprocess.run(
                    [
                        "ffmpeg",
                        "-v",
                        "error",
                        "-y",
                        "-f",
                        "lavfi",
                        "-i",
                        f"anoisesrc=d={seconds}:c=pink:a=0.4:seed={index}",
                        "-af",
                        SWING,
                        "-ac",
                        "2",
                        "-metadata",
                        f"title=Clip {index}",
                        *args,
                        str(path),
                    ],
                    check=True,
                )
            made.append(path)
    return made
