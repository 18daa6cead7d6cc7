"""What blind tables cost a build, through ``pelican content``: the same generated
site (articles of a 4-clip list table each, clips of 20-40 s) built cold and warm,
its tables open, blind with untagged copies, and blind with matched copies
(re-encoded from the decoded audio), interleaved; medians side by side.

    python benchmarks/bench_blind.py [--articles 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_build import WORK, build, make_site

MODES = {
    "open": {},
    "blind, untagged copies": {
        "AUDIOTABLE_BLIND": "yes",
        "AUDIOTABLE_BLIND_COPIES": "untagged",
    },
    "blind, matched copies": {"AUDIOTABLE_BLIND": "yes"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = WORK / f"blind-{args.articles}"
    content = make_site(root, args.articles, 4, 72, (20, 40))
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for name, extra in MODES.items():
            out = root / f"out-{name.split(',')[0]}-{len(extra)}"
            for case in ("cold", "warm"):
                seconds = build(content, out, True, case, dict(extra))
                times.setdefault((name, case), []).append(seconds)
    clips = args.articles * 4
    print(f"{args.articles} articles of 4 clips (20-40 s), {args.rounds} rounds")
    for case in ("cold", "warm"):
        base = statistics.median(times[("open", case)])
        for name in MODES:
            median = statistics.median(times[(name, case)])
            extra = (median - base) / clips * 1000
            each = f"  ({extra:.0f} ms a clip)" if case == "cold" and extra > 0 else ""
            print(
                f"  {case:4} {name:24} {median:6.2f} s  {median / base:5.2f}x open"
                + each
            )


if __name__ == "__main__":
    main()
