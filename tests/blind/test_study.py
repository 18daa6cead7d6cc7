"""A sealed study against a curious reader who reads the page, the published files
and the listening script: the answer is not on the page, and a blind table that
cannot be built is never published open."""

from __future__ import annotations

import html
import math
import random
import re
from pathlib import Path

import pytest

from pelican_audiotable.blind.answer import Shuffle
from pelican_audiotable.blind.tables import blind_table
from pelican_audiotable.blind.trials import BlindClip, Trial
from pelican_audiotable.errors import SettingsError
from pelican_audiotable.model import ClipInfo, ClipMetadata, MadeCopy
from pelican_audiotable.settings import AudioTableSettings
from tests.conftest import build_site

SECRET = "a study secret no reader has"


def _copy(number: int) -> BlindClip:
    meta = ClipMetadata(
        path=f"{number}.mp3", format="MP3", codec="MP3", duration=10.0,
        duration_source="frame-count", bitrate=192_000, bitrate_mode="CBR",
        sample_rate=44_100, channels=2, size=240_000,
    )  # fmt: skip
    copy = MadeCopy(f"{number:032x}.mp3", meta, source=f"{number:064x}")
    url = f"/audiotable/blind/{copy.name}"
    return BlindClip(ClipInfo(f"/clips/{number}.mp3"), url, copy)


def _study(rng: random.Random, trials: int, choices: int) -> list:
    """A generated study: ``trials`` rows of ``choices`` takes, the asked-for one
    ("Human") always in the author's first column, as people write them."""
    labels = ("Human", *(f"AI {n}" for n in range(1, choices)))
    design = []
    for row in range(trials):
        members = [_copy(rng.getrandbits(60)) for _ in range(choices)]
        where = tuple(range(row * choices, (row + 1) * choices))
        design.append((Trial(f"Row {row + 1}", where, labels, 0), members))
    return design


def _page_answers(page: str, choices: int) -> list[int]:
    """Where a script reading the page, with the listening script's own generator
    and everything the page publishes, would say each trial's asked-for clip is:
    where a build seeded from the published key puts it."""
    key = re.search(r'data-audiotable-key="([0-9a-f]{16})"', page)
    assert key is not None
    order = Shuffle(int(key[1][:8], 16))
    trials = len(re.findall(r"<tr data-audiotable-trial=", page))
    return [order.permutation(choices).index(0) for _ in range(trials)]


def _true_answers(page: str) -> list[int]:
    """The answer as the revealed page publishes it."""
    import base64
    import json

    attribute = html.unescape(re.findall(r'data-audiotable-blind="([^"]*)"', page)[0])
    seed, scrambled = attribute.split(".")
    stream = Shuffle(int(seed) ^ 0x5EED)
    data = bytes(b ^ (stream.next() >> 24) for b in base64.b64decode(scrambled))
    answers: list[int] = json.loads(data)["answers"]
    return answers


def test_no_script_reading_a_sealed_page_finds_its_answer_better_than_chance() -> None:
    """Over 300 generated studies (900 trials of 2 to 4 takes), a script that
    reads all a sealed page publishes names the asked-for clip no more often than
    guessing; where it sits is uniform over a trial's cells."""
    rng = random.Random(31)
    hits = tries = 0
    expected = 0.0
    positions: dict[int, list[int]] = {2: [0, 0], 3: [0, 0, 0], 4: [0, 0, 0, 0]}
    for study in range(300):
        choices = 2 + study % 3
        design = _study(rng, 3, choices)
        secret = f"{SECRET} {rng.getrandbits(64):x}"
        sealed = AudioTableSettings(study="sealed", study_secret=secret)
        page = blind_table(design, "Which one is Human?", sealed).html
        assert "Human" not in page.split("</caption>", 1)[1]  # no label after it
        revealed = AudioTableSettings(study="revealed", study_secret=secret)
        truth = _true_answers(blind_table(design, "Which one is Human?", revealed).html)
        for guess, answer in zip(_page_answers(page, choices), truth, strict=True):
            hits += guess == answer
            tries += 1
            expected += 1 / choices
            positions[choices][answer] += 1
    # Guessing gets `expected` of them; a script that computes the answer gets all.
    spread = math.sqrt(tries * 0.25)
    assert abs(hits - expected) < 4 * spread, (hits, expected, tries)
    assert 'data-audiotable-blind="sealed"' in page  # not even a seed
    for choices, counts in positions.items():
        each = sum(counts) / choices
        assert all(abs(count - each) < 4 * math.sqrt(each) for count in counts), (
            choices,
            counts,
        )


def test_a_study_is_refused_without_a_secret_no_reader_can_guess() -> None:
    for secret in ("", None, "   ", "short secret"):
        with pytest.raises(SettingsError, match="needs AUDIOTABLE_STUDY_SECRET"):
            AudioTableSettings.from_mapping(
                {"AUDIOTABLE_STUDY": "sealed", "AUDIOTABLE_STUDY_SECRET": secret}
            )
    assert AudioTableSettings(study="revealed", study_secret=SECRET).study


GRID = (
    "Title: Takes\nSlug: takes\nAudiotable_blind: yes\n{extra}\n"
    "| | Human | AI |\n|---|---|---|\n"
    '| Verse | <audio controls src="/clips/a.mp3"></audio> '
    '| <audio controls src="/clips/b.mp3"></audio> |\n'
    '| Chorus | <audio controls src="/clips/b.mp3"></audio> |\n'
)


#: GRID with two clips in each row: a table that can be blind.
FULL_GRID = GRID.format(extra="").replace(
    '| Chorus | <audio controls src="/clips/b.mp3"></audio> |',
    '| Chorus | <audio controls src="/clips/b.mp3"></audio> '
    '| <audio controls src="/clips/a.mp3"></audio> |',
)


def _takes(clips: dict[str, Path]) -> dict[str, str | bytes | Path]:
    take = clips["cbr-128-stereo-44k.mp3"]
    return {"clips/a.mp3": take, "clips/b.mp3": take}


def test_a_blind_table_that_cannot_be_built_is_never_published_open(
    tmp_path: Path, clips, caplog
) -> None:
    """A row with one clip cannot be blind: the reader gets a note in the table's
    place, never its labels over the originals; the author an error."""
    files = _takes(clips)
    output = build_site(tmp_path, {**files, "takes.md": GRID.format(extra="")})
    page = (output / "takes.html").read_text()
    assert "This listening test could not be built." in page
    assert "Human" not in page and "AI</th>" not in page
    assert "clips/a.mp3" not in page
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("could not be built as a blind test" in e for e in errors), errors


def test_a_study_that_cannot_be_built_fails_the_build(tmp_path: Path, clips) -> None:
    from pelican_audiotable.errors import BlindTestError

    files = _takes(clips)
    with pytest.raises(BlindTestError, match="a study's blind table"):
        build_site(
            tmp_path,
            {**files, "takes.md": GRID.format(extra="Audiotable_study: sealed")},
            AUDIOTABLE_STUDY_SECRET=SECRET,
        )


def test_an_article_asking_for_a_study_without_a_secret_fails_the_build(
    tmp_path: Path, clips
) -> None:
    """Never published as a self-test instead, with its answer on the page."""
    files = _takes(clips)
    with pytest.raises(SettingsError, match=r"takes\.md: .*STUDY_SECRET"):
        build_site(
            tmp_path,
            {**files, "takes.md": GRID.format(extra="Audiotable_study: sealed")},
            AUDIOTABLE_STUDY_SECRET=None,
        )


def test_whatever_fails_on_the_blind_path_publishes_no_label(
    tmp_path: Path, clips, caplog, monkeypatch
) -> None:
    """An exception anywhere in making a table blind: the note, never the table."""
    import pelican_audiotable.blind.tables as tables

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(tables, "blind_table", broken)
    files = _takes(clips)
    text = FULL_GRID
    output = build_site(tmp_path, {**files, "takes.md": text},
                        AUDIOTABLE_BLIND_COPIES="untagged")  # fmt: skip
    page = (output / "takes.html").read_text()
    assert "This listening test could not be built." in page
    assert "Human" not in page and "clips/a.mp3" not in page
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("something nobody foresaw" in e for e in errors), errors


def test_blind_tables_past_where_a_page_stops_being_sure_are_closed(
    tmp_path: Path, clips, caplog
) -> None:
    """Past a CDATA section the page is not read as surely as a browser reads it:
    a blind table there cannot be written, so the rest of the page is a note."""
    files = _takes(clips)
    text = FULL_GRID
    head, table = text.split("\n\n", 1)
    text = f"{head}\n\nA figure first.\n\n<svg><![CDATA[ x ]]></svg>\n\n{table}"
    output = build_site(tmp_path, {**files, "takes.md": text})
    page = (output / "takes.html").read_text()
    assert "This listening test could not be built." in page
    assert "Human" not in page and "clips/a.mp3" not in page
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("CDATA" in e and "rest of the page" in e for e in errors), errors


def test_a_take_in_blind_tables_of_several_pages_is_named_on_every_build(
    tmp_path: Path, clips, warnings, caplog
) -> None:
    """One human take against three AI takes on three pages: its copies differ
    page by page (no file recurs), and the audit names the take that recurs, on a
    warm build too (from the page store)."""
    human = clips["cbr-128-stereo-44k.mp3"]
    others = [n for n in clips if n.endswith(".mp3") and n != human.name][:3]
    files: dict[str, str | bytes | Path] = {"clips/human.mp3": human}
    for number, name in enumerate(others):
        files[f"clips/ai-{number}.mp3"] = clips[name]
        files[f"page-{number}.md"] = (
            f"Title: Page {number}\nSlug: page-{number}\nAudiotable_blind: yes\n\n"
            "| Human | AI |\n|---|---|\n"
            f'| <audio controls src="/clips/human.mp3"></audio> '
            f'| <audio controls src="/clips/ai-{number}.mp3"></audio> |\n'
        )
    from pelican.log import LimitFilter

    for build in ("cold", "warm"):
        caplog.clear()
        LimitFilter._raised_messages.clear()
        output = build_site(tmp_path, files if build == "cold" else {})
        said = [w for w in warnings() if "blind tables of 3 pages" in w]
        assert said == [
            "audiotable: page-0.md: clip '/clips/human.mp3': this take is in blind "
            "tables of 3 pages (page-0.md, page-1.md, page-2.md): a reader who "
            "meets it again knows it for the take that recurs"
        ], (build, said)
    played = [
        set(re.findall(r'<source src="[^"]*/blind/([0-9a-f]+\.mp3)"',
                       (output / f"page-{n}.html").read_text()))
        for n in range(3)
    ]  # fmt: skip
    assert all(len(names) == 2 for names in played)
    assert not (played[0] & played[1]) and not (played[1] & played[2])


def test_a_copy_cut_in_the_store_is_made_again_not_published(
    tmp_path: Path, clips
) -> None:
    """Each kept copy is named by a digest of its bytes: a copy cut to 1,000
    bytes in the store is found out on the next build and made again."""
    output = build_site(tmp_path, {**_takes(clips), "takes.md": FULL_GRID})
    published = sorted((output / "audiotable/blind").iterdir())
    whole = {copy.name: copy.read_bytes() for copy in published}
    kept = tmp_path / "cache/audiotable/published/blind" / published[0].name
    kept.write_bytes(whole[published[0].name][:1000])
    (output / "audiotable/blind" / published[0].name).unlink()
    output = build_site(tmp_path, {})
    again = {c.name: c.read_bytes() for c in (output / "audiotable/blind").iterdir()}
    assert again == whole
    assert kept.read_bytes() == whole[published[0].name]
