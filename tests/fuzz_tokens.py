"""A seeded fuzzer for readers' result tokens: valid tokens damaged byte by byte,
tokens built of hostile JSON (markup in strings, huge and negative numbers, deep
nesting, wrong types), and random text. The parser may only answer a
:class:`~pelican_audiotable.blind.results.Token` or raise
:class:`~pelican_audiotable.blind.results.BadToken`, quickly; a token it accepts is
within every bound, and checking it against a table raises nothing.

``make fuzz`` runs it long (``python -m tests.fuzz_tokens --cases 200000``); the
test suite runs a short, fixed-seed pass of the same code.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from pelican_audiotable.blind.results import (
    MOST_CHOICES,
    MOST_MILLISECONDS,
    MOST_SEED,
    MOST_TRIALS,
    BadToken,
    TableShape,
    parse_token,
    tokens_in,
    why_not_for,
)

#: A parse slower than this is a hang, and fails the run.
TIME_LIMIT = 0.05
KEY = "0123456789abcdef"
TABLE = TableShape(KEY, "", (2, 2, 3))
HOSTILE_VALUES: list[object] = [
    None, True, -1, 2**31, 2**64, 1e308, float("nan"), "", "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>', [], {}, [[[]]], "0" * 10_000, 0.5, [0], [0, -5],
    [0, 1, 2], ["0", "1"], [True, 1], [25, MOST_MILLISECONDS + 1],
]  # fmt: skip


def encode(data: object) -> str:
    text = json.dumps(data, allow_nan=True)
    return "AT1." + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def valid(rng: random.Random) -> dict[str, object]:
    return {
        "v": 2,
        "k": KEY,
        "c": rng.choice(["", "a" * 64]),
        "s": rng.randrange(MOST_SEED + 1),
        "w": rng.randrange(2**20),
        "h": f"{rng.getrandbits(64):016x}",
        "p": [
            rng.choice([None, [rng.randrange(2), rng.randrange(99_999)]])
            for _ in range(rng.randrange(1, 5))
        ],
    }


def _hostile_json(rng: random.Random) -> str:
    data = valid(rng)
    for _ in range(rng.randrange(1, 4)):
        key = rng.choice(["v", "k", "c", "s", "p", "w", "h", "x", "__proto__"])
        data[key] = rng.choice(HOSTILE_VALUES)
    if rng.random() < 0.2:  # nested deeper than json.dumps would write
        depth = rng.randrange(10, 100_000)
        data["p"] = "@"
        text = json.dumps(data).replace('"@"', "[" * depth + "0" + "]" * depth)
        return "AT1." + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return encode(data)


def _damaged(rng: random.Random) -> str:
    token = bytearray(encode(valid(rng)).encode())
    for _ in range(rng.randrange(1, 8)):
        at = rng.randrange(len(token))
        action = rng.randrange(3)
        if action == 0:
            token[at] = rng.randrange(256)
        elif action == 1:
            del token[at]
        else:
            token[at:at] = bytes([rng.randrange(32, 127)])
    return token.decode("latin-1")


def _random_text(rng: random.Random) -> str:
    alphabet = 'AT1.-_=+/ \n{}[]"<>&;abcdefABCDEF0123456789\u00e9\u202e\x00'
    return "AT1." * rng.randrange(2) + "".join(
        rng.choice(alphabet) for _ in range(rng.randrange(0, 6000))
    )


@dataclass
class Report:
    cases: int = 0
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    escaped: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.cases} tokens: {self.accepted} accepted, "
            f"{sum(self.refused.values())} refused, {len(self.escaped)} other "
            f"outcomes; the slowest parse took {self.slowest * 1000:.1f} ms"
        )


def fuzz(cases: int, seed: int) -> Report:
    rng = random.Random(seed)
    report = Report()
    makers = (_hostile_json, _damaged, _random_text, lambda r: encode(valid(r)))
    for _ in range(cases):
        text = rng.choice(makers)(rng)
        report.cases += 1
        started = time.perf_counter()
        try:
            token = parse_token(text)
        except BadToken as error:
            report.refused[str(error)] += 1
        except Exception as error:  # the finding
            report.escaped.append(f"{type(error).__name__}: {error} <- {text[:80]!r}")
        else:
            report.accepted += 1
            problems = _out_of_bounds(token)
            try:
                why_not_for(token, TABLE)
                tokens_in(text)
            except Exception as error:
                problems.append(f"checking raised {type(error).__name__}")
            report.escaped += [f"{p} <- {text[:80]!r}" for p in problems]
        elapsed = time.perf_counter() - started
        if elapsed > TIME_LIMIT:
            # A pause of the machine's (the other core busy, a collection) is
            # not the parser's: a case is slow only if it is slow every time.
            elapsed = min([elapsed, *(_timed_parse(text) for _ in range(3))])
        report.slowest = max(report.slowest, elapsed)
        if elapsed > TIME_LIMIT:
            report.escaped.append(f"took {elapsed:.3f} s <- {text[:80]!r}")
    return report


def _timed_parse(text: str) -> float:
    """Seconds one parse of ``text`` takes, whatever it gives."""
    started = time.perf_counter()
    with contextlib.suppress(Exception):
        parse_token(text)
    return time.perf_counter() - started


def _out_of_bounds(token: object) -> list[str]:
    from pelican_audiotable.blind.results import Token

    assert isinstance(token, Token)
    found = []
    if not 1 <= len(token.picks) <= MOST_TRIALS:
        found.append("too many trials")
    for pick in token.picks:
        if pick is None:
            continue
        place, ms = pick
        if type(place) is not int or not 0 <= place < MOST_CHOICES:
            found.append(f"a pick out of bounds: {place!r}")
        if type(ms) is not int or not 0 <= ms <= MOST_MILLISECONDS:
            found.append(f"a time out of bounds: {ms!r}")
    if not 0 <= token.seed <= MOST_SEED:
        found.append("a seed out of bounds")
    if type(token.work) is not int or not 0 <= token.work <= 2**53:
        found.append("a proof out of bounds")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    report = fuzz(args.cases, args.seed)
    print(report)
    for line in report.escaped[:20]:
        print("FOUND", line)
    raise SystemExit(1 if report.escaped else 0)


if __name__ == "__main__":
    main()
