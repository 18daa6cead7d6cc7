"""What a result token costs: a reader's browser (Debian's Chromium, at full
speed and with its CPU slowed 4x and 6x, as phones are), a forger on one core of
this machine (OpenSSL's PBKDF2 through hashlib, the fastest code at hand), and
the author checking tokens with ``results add``. Target: 5,000 forged tokens
cost a forger at least an hour of one core.

    python benchmarks/bench_forging.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from pelican_audiotable.blind.results import (
    WORK_ITERATIONS,
    Token,
    prove_work,
    work_done,
)
from pelican_audiotable.cli.server import serving

sys.path.insert(0, str(Path(__file__).parent))
from bench_page_weight import CHROMIUM_ARGS

ASSETS = Path(__file__).parents[1] / "pelican_audiotable" / "static"
SESSIONS = 24  # tries are geometric: the mean of many sessions, not one
KEY = "0123456789abcdef"


def forger() -> tuple[float, float]:
    """CPU seconds per token found, and per token checked, on one core."""
    found = checked = 0.0
    for seed in range(SESSIONS):
        start = time.process_time()
        work, proof = prove_work(KEY, "", seed)
        found += time.process_time() - start
        start = time.process_time()
        assert work_done(Token(KEY, "", seed, (), work, proof))
        checked += time.process_time() - start
    return found / SESSIONS, checked / SESSIONS


def browser(slowdown: int) -> float:
    """Seconds a reader's browser takes per token, its CPU slowed ``slowdown``x."""
    with sync_playwright() as playwright, serving(ASSETS, 0) as url:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = chromium.new_page()
        page.goto(f"{url}/audiotable/blind/tokens.js")
        if slowdown > 1:
            session = page.context.new_cdp_session(page)
            session.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
        times = page.evaluate(
            """async ([key, sessions]) => {
                const { proveWork } = await import("/audiotable/blind/tokens.js");
                const times = [];
                for (let seed = 0; seed < sessions; seed++) {
                    const start = performance.now();
                    await proveWork(key, "", seed);
                    times.push((performance.now() - start) / 1000);
                }
                return times;
            }""",
            [KEY, SESSIONS],
        )
        chromium.close()
    return statistics.mean(times)


def main() -> int:
    per_token, per_check = forger()
    print(
        f"proof of work: {WORK_ITERATIONS:,} PBKDF2-SHA256 rounds a try, "
        "8 tries on average"
    )
    print(f"forger, one core, hashlib (OpenSSL): {per_token:.2f} s a token")
    readers = {slowdown: browser(slowdown) for slowdown in (1, 4)}
    for slowdown, seconds in readers.items():
        print(
            f"reader, Chromium, CPU slowed {slowdown}x: {seconds:.2f} s a token "
            "(WebCrypto's native code runs off the page's thread: the slowdown "
            "does not reach it)"
        )
    fastest = min(per_token, *readers.values())
    hours = 5000 * fastest / 3600
    print(
        f"forger at the fastest code measured here: {fastest:.2f} s a token; "
        f"5,000 tokens: {hours:.2f} h of one core"
    )
    print(
        f"author, results add: {per_check * 1000:.0f} ms to check a token; "
        f"5,000: {5000 * per_check / 60:.1f} min"
    )
    met = "met" if hours >= 1 else "NOT met"
    print(f"target, 5,000 forged tokens >= 1 h of one core: {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
