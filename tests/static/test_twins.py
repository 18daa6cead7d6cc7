"""The listening script's halves of the algorithms the build runs too, in
Chromium: each module, imported as a page imports it, gives the values of
``tests/twins.json`` that ``tests/test_twins.py`` asks of the Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pelican_audiotable.plugin.assets import ASSETS_FOLDER
from tests.conftest import serve

pytestmark = pytest.mark.browser

TWINS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "twins.json").read_text()
)

#: Runs in the page: every vector through the script's own functions.
SCRIPT = """async (twins) => {
  const { clock } = await import("/audiotable/clock.js");
  const { generator, permutation, unscramble } = await import("/audiotable/blind/shuffle.js");
  const { interval } = await import("/audiotable/blind/stats.js");
  const { writeToken, readToken, proveWork } = await import("/audiotable/blind/tokens.js");
  return {
    clock: twins.clock.map((c) => clock(c.seconds, c.length)),
    generator: twins.generator.map((c) => {
      const next = generator(c.seed);
      return c.next.map(() => next());
    }),
    permutation: twins.permutation.map((c) => permutation(generator(c.seed), c.count)),
    scramble: twins.scramble.map((c) => {
      const { labels, answers } = unscramble(c.attribute);
      return { labels, answers };
    }),
    interval: twins.interval.map((c) => interval(c.tries, c.hits)),
    token: twins.token.map((c) => writeToken(c.fields)),
    read: twins.token.map((c) => readToken(c.token)),
    work: await Promise.all(twins.work.map((c) => proveWork(c.k, c.c, c.s))),
  };
}"""


@pytest.fixture(scope="module")
def script_says(browser) -> dict[str, Any]:
    """What the script's modules give for every vector, served as a site serves
    them."""
    with serve(Path(ASSETS_FOLDER)) as url:
        page = browser.new_page()
        page.goto(url + "/audiotable/clock.js")  # the modules' origin
        said: dict[str, Any] = page.evaluate(SCRIPT, TWINS)
        page.close()
    return said


def test_clock(script_says: dict[str, Any]) -> None:
    assert script_says["clock"] == [c["text"] for c in TWINS["clock"]]


def test_generator_and_shuffle(script_says: dict[str, Any]) -> None:
    assert script_says["generator"] == [c["next"] for c in TWINS["generator"]]
    assert script_says["permutation"] == [c["places"] for c in TWINS["permutation"]]


def test_scrambled_answer(script_says: dict[str, Any]) -> None:
    assert script_says["scramble"] == [c["answer"] for c in TWINS["scramble"]]


def test_interval(script_says: dict[str, Any]) -> None:
    for (low, high), case in zip(
        script_says["interval"], TWINS["interval"], strict=True
    ):
        assert low == pytest.approx(case["low"], abs=1e-9), case
        assert high == pytest.approx(case["high"], abs=1e-9), case


def test_token(script_says: dict[str, Any]) -> None:
    assert script_says["token"] == [c["token"] for c in TWINS["token"]]
    assert script_says["read"] == [c["fields"] for c in TWINS["token"]]


def test_work(script_says: dict[str, Any]) -> None:
    assert script_says["work"] == [{"w": c["w"], "h": c["h"]} for c in TWINS["work"]]
