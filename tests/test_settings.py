"""Every ``AUDIOTABLE_*`` setting checked in one table: a wrong value is one clear
error naming the setting, the value and what is allowed, and no value of any
JSON type or size gives anything else (no traceback, ever)."""

from __future__ import annotations

import json
import random
from dataclasses import fields
from typing import Any

import pytest

from pelican_audiotable.settings import MOST_WORKERS, AudioTableSettings, SettingsError

KEYS = ["AUDIOTABLE_" + f.name.upper() for f in fields(AudioTableSettings)]


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("AUDIOTABLE_CAPTION_FIELDS", None, "a list of words from"),
        ("AUDIOTABLE_CAPTION_FIELDS", 5, "a list of words from"),
        ("AUDIOTABLE_REFERENCE_COLUMNS", 3, "a list of words"),
        ("AUDIOTABLE_RESULTS_URL", 5, "an https:// or mailto: address"),
        ("AUDIOTABLE_RESULTS_URL", "http://forms.example/x", "an https://"),
        ("AUDIOTABLE_RESULTS_FILE", 5, "a file name relative to the content folder"),
        ("AUDIOTABLE_RESULTS_FILE", "../../x.json", "relative to the content folder"),
        ("AUDIOTABLE_RESULTS_FILE", "/etc/x.json", "relative to the content folder"),
        ("AUDIOTABLE_RESULTS_FILE", "..\\x.json", "relative to the content folder"),
        ("AUDIOTABLE_WORKERS", 10**9, f"from 1 to {MOST_WORKERS}"),
        ("AUDIOTABLE_WORKERS", True, "a whole number of processes"),
        ("AUDIOTABLE_DECODE_MEMORY", 10**18, "megabytes (this machine's memory)"),
        ("AUDIOTABLE_DECODE_BUDGET", float("nan"), "a number of seconds above 0"),
        ("AUDIOTABLE_STUDY_SECRET", 42, "text"),
        ("AUDIOTABLE_STRICT", "yes", "True or False"),
    ],
)
def test_a_wrong_value_is_one_clear_error(key: str, value: Any, allowed: str) -> None:
    with pytest.raises(SettingsError) as raised:
        AudioTableSettings.from_mapping({key: value})
    said = str(raised.value)
    assert said.startswith(f"{key} must be ") and allowed in said
    assert "not " + repr(value)[:20] in said


def test_values_are_taken_as_authors_write_them() -> None:
    taken = AudioTableSettings.from_mapping(
        {
            "AUDIOTABLE_REFERENCE_COLUMNS": "reference",  # one word, not letters
            "AUDIOTABLE_CAPTION_FIELDS": ["duration", "tech"],
            "AUDIOTABLE_STUDY_SECRET": None,  # os.environ.get of an unset name
            "AUDIOTABLE_RESULTS_FILE": "data/results.json",
            "AUDIOTABLE_RESULTS_URL": "mailto:me@example.test",
            "AUDIOTABLE_WORKERS": 4,
            "AUDIOTABLE_DECODE_BUDGET": 2.5,
        }
    )
    assert taken.reference_columns == ("reference",)
    assert taken.caption_fields == ("duration", "tech")
    assert taken.study_secret == "" and taken.workers == 4


def json_values(rng: random.Random, depth: int = 0) -> Any:
    """A value of any JSON type, sometimes absurd in size."""
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 1, 7, 2**31, 10**18, -(10**30), 10**400])
    if kind == 2:
        return rng.choice([0.0, -0.5, 1e-300, 3.5, 1e308, float("inf"), float("nan")])
    if kind == 3:
        return rng.choice(["", "x", "yes", "prefix", "../../x", "/abs", "~/x", "a" * 100_000,
                           "https://ok.example/x", "http://x", "mailto:a@b", "\0", "é\u2028"])  # fmt: skip
    if kind == 4:
        return rng.choice(
            ["duration", "none", "sealed", "matched", "theme", "reference"]
        )
    if kind in (5, 6):
        return [json_values(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {str(i): json_values(rng, depth + 1) for i in range(rng.randrange(3))}


@pytest.mark.parametrize("key", KEYS)
def test_no_value_of_any_json_type_gives_a_traceback(key: str) -> None:
    rng = random.Random(key)
    for _ in range(300):
        value = json_values(rng)
        try:
            AudioTableSettings.from_mapping({key: value})
        except SettingsError as error:
            assert str(error).startswith(key), (value, error)
            assert len(str(error)) < 400, "an error quotes a long value whole"
        except Exception as error:  # pragma: no cover - what the test looks for
            shown = json.dumps(value, default=str)[:80]
            raise AssertionError(f"{key} = {shown}: {error!r}") from error


def test_an_articles_overlong_question_keeps_its_table_blind(
    tmp_path, clips, warnings
) -> None:
    """A question past the limit in an article's metadata is warned of, and the
    table is blind all the same, asked from its labels: never published open."""
    from tests.conftest import build_site

    post = (
        f"Title: Takes\nSlug: takes\nAudiotable_blind: {'Which? ' * 60}\n\n"
        "| Take | Human | AI |\n|---|---|---|\n"
        "| Verse | [h](/clips/h.mp3) | [a](/clips/a.mp3) |\n"
    )
    output = build_site(
        tmp_path,
        {
            "clips/h.mp3": clips["cbr-128-stereo-44k.mp3"],
            "clips/a.mp3": clips["vbr-xing-48k.mp3"],
            "takes.md": post,
        },
        AUDIOTABLE_ANALYSIS=False,
        AUDIOTABLE_BLIND_COPIES="untagged",
    )
    page = (output / "takes.html").read_text()
    assert "audiotable-blind" in page and "Which one is Human?" in page
    assert any("AUDIOTABLE_BLIND must be" in w for w in warnings())
