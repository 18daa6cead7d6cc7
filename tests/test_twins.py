"""The algorithms the build and the listening script both run (a length's clock,
the blind tables' generator, shuffle and scrambled answer, a hit rate's interval,
a result token), in Python: each gives the values of ``tests/twins.json``, which
``tests/static/test_twins.py`` asks of the script in a browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pelican_audiotable.blind.answer import Shuffle, answer_bytes, scrambled
from pelican_audiotable.blind.results import interval, parse_token, prove_work
from pelican_audiotable.model import format_duration

TWINS: dict[str, Any] = json.loads((Path(__file__).parent / "twins.json").read_text())


@pytest.mark.parametrize("case", TWINS["clock"], ids=lambda c: str(c["seconds"]))
def test_clock(case: dict[str, Any]) -> None:
    assert format_duration(case["seconds"], case["length"]) == case["text"]


@pytest.mark.parametrize("case", TWINS["generator"], ids=lambda c: str(c["seed"]))
def test_generator(case: dict[str, Any]) -> None:
    stream = Shuffle(case["seed"])
    assert [stream.next() for _ in case["next"]] == case["next"]


@pytest.mark.parametrize("case", TWINS["permutation"], ids=str)
def test_permutation(case: dict[str, Any]) -> None:
    assert Shuffle(case["seed"]).permutation(case["count"]) == case["places"]


@pytest.mark.parametrize("case", TWINS["scramble"], ids=lambda c: c["attribute"][:8])
def test_scrambled_answer(case: dict[str, Any]) -> None:
    """The build scrambles the answer into the attribute the script reads."""
    seed = int(case["attribute"].split(".")[0])
    assert (
        f"{seed}.{scrambled(answer_bytes(case['answer']), seed)}" == case["attribute"]
    )


@pytest.mark.parametrize("case", TWINS["interval"], ids=str)
def test_interval(case: dict[str, Any]) -> None:
    low, high = interval(case["hits"], case["tries"])
    assert low == pytest.approx(case["low"], abs=1e-9)
    assert high == pytest.approx(case["high"], abs=1e-9)


@pytest.mark.parametrize("case", TWINS["token"], ids=lambda c: c["token"][:12])
def test_token(case: dict[str, Any]) -> None:
    token, fields = parse_token(case["token"]), case["fields"]
    assert (token.table, token.commitment, token.seed) == (
        fields["k"],
        fields["c"],
        fields["s"],
    )
    assert [list(p) if p else None for p in token.picks] == fields["p"]
    assert (token.work, token.proof) == (fields["w"], fields["h"])


@pytest.mark.parametrize("case", TWINS["work"], ids=lambda c: str(c["s"]))
def test_work(case: dict[str, Any]) -> None:
    assert prove_work(case["k"], case["c"], case["s"]) == (case["w"], case["h"])
