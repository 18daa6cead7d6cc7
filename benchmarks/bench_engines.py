"""The listening engine in the three engines readers' browsers run on: for each,
20 cold tries (a new browser each) of a row's first switch, on two takes of one
440 Hz tone, heard through the suite's audio tap. Prints per engine: how many
first switches worked (the first take paused, the second heard at the tone's
level), the largest step heard at start, switch and pause against the tone's
own, and the level heard after a seek while playing and after a loop's wrap.

    python benchmarks/bench_engines.py [TRIES]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.conftest import serve
from tests.engines import ENGINES, WebDriverTab, desktop, start_driver
from tests.static.test_browser import (
    INSTRUMENTED_GRAPH,
    TONE,
    heard_level,
    largest_steps,
    states,
    two_takes,
    wait_until_playing,
)

TRIES = int(sys.argv[1]) if len(sys.argv) > 1 else 20


def one_try(tab, url: str) -> dict[str, float]:
    """A first switch, then a seek and a loop's wrap in the second take."""
    tab.add_init_script(INSTRUMENTED_GRAPH)
    tab.goto(url, wait_until="networkidle")
    buttons = tab.locator(".audiotable-player button")
    buttons.nth(0).click()
    wait_until_playing(tab, 0, past=1.0)
    tab.wait_for_timeout(300)
    before = heard_level(tab, 0.3)
    buttons.nth(1).click()
    tab.wait_for_timeout(1000)
    paused = [p for p, _ in states(tab)]
    after = heard_level(tab, 0.3)
    step, own = largest_steps(tab)
    worked = paused == [True, False] and after > 0.7 * before
    tab.keyboard.press("ArrowRight")  # the focused take seeks 5 s on
    tab.keyboard.press("ArrowLeft")
    tab.wait_for_timeout(700)
    sought = heard_level(tab, 0.3)
    tab.keyboard.press("[")  # a loop of about half a second, then its wraps
    tab.wait_for_timeout(500)
    tab.keyboard.press("]")
    tab.wait_for_timeout(1500)
    looped = heard_level(tab, 1.0)
    return {
        "worked": float(worked),
        "ratio": step / own,
        "seek": sought / before if before else 0.0,
        "loop": looped / before if before else 0.0,
    }


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(two_takes(Path(folder), "tones", TONE)) as base,
    ):
        url = base + "/tones.html"
        with desktop() as env:
            for engine in ENGINES:
                results = []
                for _ in range(TRIES):
                    if engine == "chromium":
                        results.append(chromium_try(url))
                        continue
                    driver = start_driver(engine, env)
                    try:
                        results.append(one_try(WebDriverTab(driver, engine), url))
                    except Exception as failure:  # a timeout: the try failed
                        print(f"  {engine}: a try failed: {str(failure)[:100]}")
                        results.append(
                            {"worked": 0.0, "ratio": 0, "seek": 0, "loop": 0}
                        )
                    finally:
                        driver.quit()
                worked = sum(r["worked"] for r in results)
                ratios = [r["ratio"] for r in results if r["ratio"]]
                print(
                    f"{engine:9} first switch worked {worked:.0f}/{TRIES}; click "
                    f"ratio median {statistics.median(ratios or [0]):.2f}, worst "
                    f"{max(ratios or [0]):.2f}; level after a seek "
                    f"{statistics.median(r['seek'] for r in results):.2f}, over "
                    f"loop wraps {statistics.median(r['loop'] for r in results):.2f} "
                    "(of the level before)"
                )


def chromium_try(url: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        tab.engine = "chromium"
        try:
            return one_try(tab, url)
        except Exception as failure:  # a timeout: the try failed
            print(f"  chromium: a try failed: {str(failure)[:100]}")
            return {"worked": 0.0, "ratio": 0, "seek": 0, "loop": 0}
        finally:
            browser.close()


if __name__ == "__main__":
    main()
