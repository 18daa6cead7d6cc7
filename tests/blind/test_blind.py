"""Blind tables: "Which one is …?" in real builds and in Chromium, and what a curious
reader finds in the page, in its feed and in the published files."""

from __future__ import annotations

import html
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import mutagen
import pytest

from pelican_audiotable.blind import answer
from pelican_audiotable.blind.results import parse_token
from pelican_audiotable.blind.trials import (
    blind_question,
    question_of,
    trials_of,
    why_not_blind,
)
from pelican_audiotable.find.tables import scan_page
from pelican_audiotable.learn.metadata import read_metadata
from pelican_audiotable.learn.untagged import untagged_copy
from pelican_audiotable.model import ClipInfo
from pelican_audiotable.settings import AudioTableSettings
from tests.conftest import build_site, serve
from tests.static.test_browser import (
    GAINS,
    INSTRUMENTED_GRAPH,
    expected_volumes,
    wait_until_playing,
)

#: What must not show before the reader's choice: the labels, the original file
#: names and the tags inside the files.
LABELS = ("Session violinist", "Machine generated")
SECRETS = (*LABELS, "jory-violin", "suno-fiddle", "Jory Lane", "Fiddle take")
TABLE = (
    "| Session violinist | Machine generated |\n|---|---|\n"
    '| <audio controls preload="metadata"><source src="/clips/jory-violin.mp3" '
    'type="audio/mpeg"></audio> | <audio controls preload="metadata">'
    '<source src="/clips/suno-fiddle.mp3" type="audio/mpeg"></audio> |\n'
)
MARKDOWN = (
    "Title: Blind\nSlug: blind\n\nCan you tell?\n\n"
    "<!-- audiotable-blind: Which one is the human player? -->\n\n" + TABLE + "\n"
    "And an open table:\n\n| Open | Shut |\n|---|---|\n"
    "| [one](/clips/open.mp3) | [two](/clips/open.mp3) |\n"
)
REST = """Blind in reST
#############

:slug: rest

.. raw:: html

   <!-- audiotable-blind -->

+-------------------------------------------+-------------------------------------------+
| Session violinist                         | Machine generated                         |
+===========================================+===========================================+
| .. raw:: html                             | .. raw:: html                             |
|                                           |                                           |
|    <audio src="/clips/jory-violin.mp3">   |    <audio src="/clips/suno-fiddle.mp3">   |
|    </audio>                               |    </audio>                               |
+-------------------------------------------+-------------------------------------------+
"""
GRID = (
    "Title: Grid\nSlug: grid\nAudiotable_blind: yes\n\n"
    "| Section | Session violinist | Machine generated |\n|---|---|---|\n"
    "| Verse | [a](/clips/jory-violin.mp3) | [b](/clips/suno-fiddle.mp3) |\n"
    "| Chorus | [c](/clips/quiet-jory.mp3) | [d](/clips/suno-fiddle.mp3) |\n"
)


def tagged(source: Path, target: Path, title: str, *filters: str) -> Path:
    """``source`` again, tagged as AI services and collaborators tag their files."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(source), *filters,
         "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3",
         "-metadata", f"title={title}", "-metadata", "artist=Jory Lane",
         "-metadata", "comment=Session violinist", str(target)],
        check=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def files(tmp_path_factory, clips) -> dict[str, str | bytes | Path]:
    made = tmp_path_factory.mktemp("tagged")
    take = clips["cbr-128-stereo-44k.mp3"]
    return {
        "clips/jory-violin.mp3": tagged(take, made / "a.mp3", "Fiddle take 1"),
        "clips/suno-fiddle.mp3": tagged(
            take, made / "b.mp3", "Fiddle take 2", "-af", "volume=-6dB"
        ),
        "clips/quiet-jory.mp3": tagged(
            take, made / "c.mp3", "Fiddle take 3", "-af", "volume=-3dB"
        ),
        "clips/open.mp3": take,
        "blind.md": MARKDOWN,
        "rest.rst": REST,
        "grid.md": GRID,
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory, files) -> Path:
    root = tmp_path_factory.mktemp("blind")
    return build_site(root, files, AUDIOTABLE_ASSETS=True)


def blind_tables(html: str) -> list[str]:
    return re.findall(
        r'<table id="audiotable-\d+" class="audiotable audiotable-blind".*?</table>',
        html,
    )


def without_question(table: str) -> str:
    return re.sub(r"<caption.*?</caption>", "", table)


def test_a_marked_table_is_blind_and_gives_nothing_away(site: Path) -> None:
    html = (site / "blind.html").read_text()
    [table] = blind_tables(html)
    assert "Which one is the human player?" in table
    for secret in SECRETS:
        assert secret.lower() not in table.lower()
    sources = re.findall(r'src="([^"]+)"', table)
    assert len(sources) == 2
    for source in sources:
        assert re.fullmatch(r"\.\./audiotable/blind/[0-9a-f]{24}\.mp3", source) or (
            re.fullmatch(r"audiotable/blind/[0-9a-f]{24}\.mp3", source)
        )
    # The same encoding: the technical line can show (it differs in the demo's).
    assert table.count('class="audiotable-tech"') == 2
    # The open table beside it stays open, with its labels.
    assert "<th>Open</th>" in html and len(blind_tables(html)) == 1
    # Nothing of the blind table reaches the page's JSON-LD.
    assert "audiotable/blind" not in html.split("<body", 1)[0]


def test_published_copies_hold_no_tag_and_the_originals_are_untouched(
    site: Path, files
) -> None:
    copies = sorted((site / "audiotable/blind").iterdir())
    # A copy for each clip of each trial of each page: none recurs, so a file met
    # in several trials cannot name the take that recurs.
    played = [
        name
        for page in ("blind.html", "rest.html", "grid.html")
        for name in re.findall(r"audiotable/blind/([0-9a-f]+\.mp3)",
                               (site / page).read_text().split("<source", 1)[-1])
    ]  # fmt: skip
    assert len(copies) == 8 and len({c.name for c in copies}) == 8
    assert len(set(played)) == len(played) / 2  # each named by <source> and <a>
    for copy in copies:
        assert re.fullmatch(r"[0-9a-f]{24}\.mp3", copy.name)
        data = copy.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data
        assert not mutagen.File(copy).tags
        assert read_metadata(copy).duration == pytest.approx(7.3, abs=0.1)
    for name in ("jory-violin.mp3", "suno-fiddle.mp3"):
        published = (site / "clips" / name).read_bytes()
        assert published == Path(files[f"clips/{name}"]).read_bytes()
        assert b"Jory Lane" in published


def test_every_table_of_a_page_has_its_own_id(site: Path) -> None:
    """What a link to a moment names a table by: the open one and the blind one."""
    html = (site / "blind.html").read_text()
    ids = re.findall(r'<table[^>]* id="(audiotable-\d+)"', html)
    assert sorted(ids) == ["audiotable-1", "audiotable-2"]


def test_the_marker_works_in_rest_and_metadata_blinds_every_table(site: Path):
    [rest] = blind_tables((site / "rest.html").read_text())
    assert "Which one is Session violinist?" in rest  # asked from the labels
    [grid] = blind_tables((site / "grid.html").read_text())
    assert grid.count("data-audiotable-trial=") == 2
    # The rows say where (not who); the columns' labels are the answer.
    assert ">Verse</th>" in grid and ">Chorus</th>" in grid
    for secret in SECRETS:
        assert secret.lower() not in without_question(grid).lower()


def test_processing_twice_gives_the_same_html(site: Path, files) -> None:
    from pelican_audiotable.find.resolve import PageRef, SiteFiles
    from pelican_audiotable.page import process_page

    html = (site / "blind.html").read_text()
    body = html[html.index("<p>Can you tell?") : html.index("</article>")]
    again = process_page(
        body,
        PageRef("blind.md", "blind.html", "blind.html"),
        SiteFiles(content_root=site, published={}),
        read_metadata,
        AudioTableSettings(),
    )
    assert blind_tables(again.html) == blind_tables(body)


NOT_BUILT = "This listening test could not be built."


def test_a_table_that_cannot_be_blind_is_never_published_open(
    tmp_path: Path, files, warnings
) -> None:
    """Its labels would give the answer away: a note stands in its place."""
    post = MARKDOWN.replace("/clips/suno-fiddle.mp3", "/clips/missing.mp3")
    output = build_site(tmp_path, {**files, "blind.md": post})
    html = (output / "blind.html").read_text()
    assert not blind_tables(html) and "Session violinist" not in html
    assert NOT_BUILT in html
    said = [w for w in warnings() if "could not be built" in w]
    assert said == [
        "audiotable: blind.md: table 1 could not be built as a blind test, and a "
        "note stands in its place: its clip '/clips/missing.mp3' cannot be read: "
        "it has no copy"
    ]
    with pytest.raises(Exception, match="the build fails"):
        build_site(tmp_path, {}, AUDIOTABLE_STRICT=True)


def test_a_clip_that_is_no_audio_closes_its_blind_table(
    tmp_path: Path, files, warnings
) -> None:
    """Bytes that read as no audio at all: its trial gets no copy, a note stands
    in the table's place, and the build goes on."""
    post = MARKDOWN.replace("/clips/suno-fiddle.mp3", "/clips/notes.mp3")
    notes = b"<html>not audio, whatever its name says</html>\n" * 40
    output = build_site(tmp_path, {**files, "clips/notes.mp3": notes, "blind.md": post})
    written = (output / "blind.html").read_text()
    assert not blind_tables(written) and NOT_BUILT in written
    said = [w for w in warnings() if "blind.md" in w]
    assert any("'/clips/notes.mp3'" in w and "could not be built" in w for w in said)


def test_a_feed_stays_valid_and_spoils_nothing(tmp_path: Path, files) -> None:
    output = build_site(
        tmp_path,
        files,
        SITEURL="https://example.test",
        FEED_ALL_ATOM="feeds/all.atom.xml",
    )
    feed = (output / "feeds/all.atom.xml").read_text()
    root = ET.fromstring(feed)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    blind_entry = next(e for e in entries if "blind" in ET.tostring(e, "unicode"))
    # As a feed reader shows it: its markup's character references decoded.
    text = html.unescape(ET.tostring(blind_entry, "unicode"))
    assert "audiotable-blind" in text and "Reveal" not in text
    for secret in SECRETS:
        assert secret.lower() not in text.lower()
    assert "https://example.test/audiotable/blind/" in feed


def test_a_warm_build_publishes_the_copies_again(tmp_path: Path, files) -> None:
    cold = build_site(tmp_path, files, DELETE_OUTPUT_DIRECTORY=True)
    names = sorted(p.name for p in (cold / "audiotable/blind").iterdir())
    warm = build_site(tmp_path, {}, DELETE_OUTPUT_DIRECTORY=True)
    assert sorted(p.name for p in (warm / "audiotable/blind").iterdir()) == names
    from pelican_audiotable.plugin import signals

    assert signals.last_build().pages_served >= 3


# --- Pure parts ---------------------------------------------------------------------


def _questions(page: str, setting: str = "") -> list[str | None]:
    """What each table of a page asks, as the page scan and the marker rule see it."""
    return [
        blind_question(setting, span.markers.blind) for span in scan_page(page).spans
    ]


MARKED = "<!-- audiotable-blind -->"
ASKED = "<!-- audiotable-blind: Which one is the human player? -->"
OTHER = "<!-- TODO: check levels -->"
PLAIN = '<table><tr><td><audio src="a.mp3"></audio></td></tr></table>'


def test_markers_and_settings_say_which_tables_are_blind() -> None:
    assert _questions(f"<p>x</p>{PLAIN}") == [None]
    assert _questions(f"{MARKED}\n{PLAIN}") == [""]
    assert _questions(f"{ASKED}\n  \t{PLAIN}") == ["Which one is the human player?"]
    assert _questions(f"<p>x</p>{PLAIN}", "yes") == [""]
    assert _questions(f"<p>x</p>{PLAIN}", "Who plays?") == ["Who plays?"]
    # A marker further up the page, before other content, is another table's.
    assert _questions(f"{MARKED}\n<p>text</p>\n{PLAIN}") == [None]
    # A comment that only starts like a marker is not one.
    assert _questions(f"<!-- audiotable-blindfold -->{PLAIN}") == [None]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # Two marked tables: each asks its own question, never the other's source.
        (f"{MARKED}{PLAIN}\n{MARKED}{PLAIN}", ["", ""]),
        (f"{ASKED}{PLAIN}\n{MARKED}{PLAIN}", ["Which one is the human player?", ""]),
        (f"{MARKED}{PLAIN}\n{ASKED}{PLAIN}", ["", "Which one is the human player?"]),
        # An ordinary comment after a marked table marks nothing.
        (f"{MARKED}{PLAIN}\n{OTHER}\n{PLAIN}", ["", None]),
        (f"{MARKED}\n{OTHER}\n{PLAIN}", [None]),  # the marker is not right before
        (f"{OTHER}\n{MARKED}\n{PLAIN}", [""]),
        (f"{MARKED}{OTHER}{PLAIN}{MARKED}{PLAIN}", [None, ""]),
        (f"{PLAIN}{MARKED}", [None]),  # a marker after the last table
        (f"{MARKED}<p>{PLAIN}</p>", [None]),
        # Markers written inside other markup mark nothing.
        (f"<script>var s = '{MARKED}';</script>{PLAIN}", [None]),
        (f"<!-- {MARKED} -->{PLAIN}", [None]),
        # Markers in a row, only white space between, all belong to the table.
        (f"{MARKED}\n<!-- audiotable-fairness-note -->\n{PLAIN}", [""]),
        (
            f"<!-- audiotable-fairness-note -->\n{ASKED}\n{PLAIN}",
            ["Which one is the human player?"],
        ),
        (f"{MARKED}\n<p>x</p><!-- audiotable-fairness-note -->\n{PLAIN}", [None]),
    ],
)
def test_a_marker_belongs_to_the_table_right_after_it(
    page: str, expected: list[str | None]
) -> None:
    assert _questions(page) == expected


MARKERS = (
    "Title: Markers\nSlug: markers\n\n<!-- audiotable-blind -->\n\n"
    + TABLE
    + "\n<!-- audiotable-blind -->\n\n"
    + TABLE
    + "\n<!-- TODO: check levels -->\n\n"
    + TABLE
    + "\n"
)


def test_two_marked_tables_each_ask_their_own_question(tmp_path: Path, files) -> None:
    site = build_site(
        tmp_path,
        {**files, "markers.md": MARKERS},
        AUDIOTABLE_ASSETS=True,
        FEED_ALL_ATOM="feeds/all.atom.xml",
    )
    page = (site / "markers.html").read_text()
    first, second = blind_tables(page)
    for table in (first, second):
        assert "Which one is Session violinist?" in table
        for secret in SECRETS:
            assert secret.lower() not in without_question(table).lower()
    assert "jory-violin" not in first + second  # no source became a question
    # The ordinary comment after them marks nothing and shows nowhere.
    assert page.count("audiotable audiotable-blind") == 2
    assert "check levels" not in re.sub(r"<!--.*?-->", "", page, flags=re.S)
    feed = html.unescape((site / "feeds" / "all.atom.xml").read_text())
    feed = re.sub(r"<!--.*?-->", "", feed, flags=re.S)
    [feed] = [entry for entry in feed.split("<entry>") if "markers.html" in entry]
    assert "Which one is Session violinist?" in feed
    assert "check levels" not in feed
    assert len(blind_tables(feed)) == 2
    assert not any("jory-violin" in table for table in blind_tables(feed))


def test_a_grid_is_one_trial_a_row_and_a_list_one_trial() -> None:
    grid = [
        ClipInfo("a", row_label="Verse", column_label="Actual"),
        ClipInfo("b", row_label="Verse", column_label="AI"),
        ClipInfo("c", row_label="Chorus", column_label="AI"),
        ClipInfo("d", row_label="Chorus", column_label="Actual"),
    ]
    trials = trials_of(grid)
    assert [(t.heading, t.clips, t.answer) for t in trials] == [
        ("Verse", (0, 1), 0),
        ("Chorus", (2, 3), 1),  # the clip labelled as the question asks
    ]
    assert question_of(trials, "") == "Which one is Actual?"
    rows = [ClipInfo("a", label="Take 1"), ClipInfo("b", label="Take 2")]
    assert [t.labels for t in trials_of(rows)] == [("Take 1", "Take 2")]


def grid_of(rows: int, columns: list[str]) -> list[ClipInfo]:
    """A table of ``rows`` rows without labels, its columns headed ``columns``."""
    from pelican_audiotable.model import ClipMetadata

    meta = ClipMetadata("MP3", "MP3", 30.0, "header", 128000, "CBR",
                        44100, 2, 480_000, path="x.mp3")  # fmt: skip
    return [
        ClipInfo(f"{row}-{column}", column_label=label, row=row, metadata=meta)
        for row in range(rows)
        for column, label in enumerate(columns)
    ]


@pytest.mark.parametrize(
    ("rows", "columns"),
    [(2, ["Human", "AI"]), (2, ["Human", "AI one", "AI two"]), (3, ["Human", "AI"])],
)
def test_each_row_of_a_grid_is_a_trial_with_one_right_answer(
    rows: int, columns: list[str]
) -> None:
    """2x2, 2x3, 3x2 without row labels: a trial a row, never one trial of all."""
    clips = grid_of(rows, columns)
    trials = trials_of(clips)
    assert len(trials) == rows
    assert all(t.labels == tuple(columns) and t.answer == 0 for t in trials)
    assert question_of(trials, "") == "Which one is Human?"
    assert why_not_blind(clips, trials) is None
    assert [t.heading for t in trials] == [f"row {n + 1}" for n in range(rows)]
    [single] = trials_of(grid_of(1, columns))
    assert single.heading is None  # one trial: no "row 1" to say where


def test_a_trial_with_two_right_answers_or_none_is_refused() -> None:
    twice = grid_of(2, ["Human", "Human", "AI"])
    assert why_not_blind(twice, trials_of(twice)) == (
        "its row 'row 1' has 2 clips labelled 'Human': 2 right answers to one question"
    )
    clips = grid_of(1, ["Human", "AI"]) + [
        replace(clip, row=1, column_label=label)
        for clip, label in zip(
            grid_of(1, ["AI", "Remix"]), ["AI", "Remix"], strict=True
        )
    ]
    assert why_not_blind(clips, trials_of(clips)) == (
        "its row 'row 2' has no clip labelled 'Human', the one asked for"
    )


def test_a_list_whose_labels_pair_is_a_trial_a_pair() -> None:
    """The seed's list: "Actual verse" has no AI take and sits out; the others pair
    by section, without asking for a grid."""
    labels = [
        "Actual verse",
        "Actual chorus",
        "AI chorus",
        "Actual bridge",
        "AI bridge",
    ]
    clips = [
        replace(clip, row_label=label, row=row, column_label=None)
        for row, (clip, label) in enumerate(zip(grid_of(5, ["x"]), labels, strict=True))
    ]
    trials = trials_of(clips)
    assert [(t.heading, t.clips, t.labels, t.answer) for t in trials] == [
        ("chorus", (1, 2), ("Actual", "AI"), 0),
        ("bridge", (3, 4), ("Actual", "AI"), 0),
    ]
    assert question_of(trials, "") == "Which one is Actual?"
    assert why_not_blind(clips, trials) is None
    takes = [replace(clip, row_label=f"Take {n}") for n, clip in enumerate(clips[:2])]
    assert [t.labels for t in trials_of(takes)] == [("Take 0", "Take 1")]  # no pairs


def test_the_seeds_list_asked_to_be_blind_becomes_trials_by_pairing(
    tmp_path: Path, files, warnings
) -> None:
    """A list table, "Actual verse" | "Actual chorus" | "AI chorus" …, with the
    article's Audiotable_blind: yes: blind, a trial a section both sides played."""
    rows = "\n".join(
        f"| {label} | [take](/clips/{name}.mp3) |"
        for label, name in (
            ("Actual verse", "open"),
            ("Actual chorus", "jory-violin"),
            ("AI chorus", "suno-fiddle"),
            ("Actual bridge", "quiet-jory"),
            ("AI bridge", "suno-fiddle"),
        )
    )
    post = f"Title: List\nSlug: list\nAudiotable_blind: yes\n\n| Section | Clip |\n|---|---|\n{rows}\n"
    output = build_site(tmp_path, {**files, "list.md": post})
    [table] = blind_tables((output / "list.html").read_text())
    assert table.count("data-audiotable-trial=") == 2
    assert ">chorus</th>" in table and ">bridge</th>" in table
    assert "Which one is Actual?" in table and "verse" not in table
    # One AI take in both trials: heard again, it names itself (its copies differ).
    assert [w for w in warnings() if w.startswith("audiotable: list.md:")] == [
        "audiotable: list.md: blind table 1: the take '/clips/suno-fiddle.mp3' is "
        "in trials 1, 2: a reader who hears it again knows it for the take that "
        "recurs"
    ]
    names = re.findall(r'<source src="[^"]*/blind/([0-9a-f]+\.mp3)"', table)
    assert len(set(names)) == 4  # no file recurs


def test_the_scrambled_answer_round_trips_and_is_not_readable() -> None:
    import base64

    expected = {"labels": [["Actual Guitar and Violon solos", "AI"]], "answers": [0]}
    written = answer.scrambled(answer.answer_bytes(expected), 1234)
    assert "Actual" not in base64.b64decode(written).decode("latin-1")
    stream = answer.Shuffle(1234 ^ 0x5EED)
    plain = bytes(b ^ (stream.next() >> 24) for b in base64.b64decode(written))
    assert json.loads(plain) == expected


@pytest.mark.parametrize("name", ["flac-44k.flac", "vorbis-48k.ogg", "opus-stereo.opus",
                                  "aac-44k.m4a", "pcm-mono-22k.wav", "cover-art.mp3"])  # fmt: skip
def test_every_format_is_copied_without_its_tags(tmp_path: Path, clips, name) -> None:
    source = tmp_path / f"tagged{clips[name].suffix}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clips[name]), "-map", "0", "-c", "copy",
         "-metadata", "title=Fiddle take", "-metadata", "artist=Jory Lane",
         str(source)],
        check=True,
    )  # fmt: skip
    before = read_metadata(source)
    assert before.title and before.artist  # (Ogg keeps its stream's own tags)
    target = tmp_path / f"copy{source.suffix}"
    untagged_copy(source, target, before, read_metadata)
    after = read_metadata(target)
    assert (after.title, after.artist, after.album, after.has_cover) == (
        None,
        None,
        None,
        False,
    )
    assert after.duration == before.duration
    assert read_metadata(source) == before  # the original is untouched
    for secret in (before.title, before.artist):
        assert secret.encode() not in target.read_bytes()


# --- In Chromium ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def blind_url(site: Path):
    with serve(site) as url:
        yield url


TABLE_TEXT = "() => document.querySelector('table.audiotable-blind').textContent"
ORDER = """() => Array.from(document.querySelectorAll('table.audiotable-blind audio'))
    .map(a => a.querySelector('source').getAttribute('src'))"""


def visit(browser, url: str, seed: int):
    context = browser.new_context()
    context.add_init_script(f"window.audiotableSeed = {seed}")
    context.add_init_script(INSTRUMENTED_GRAPH)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(url, wait_until="networkidle")
    tab.errors = errors
    return tab


@pytest.mark.browser
def test_nothing_names_a_clip_before_the_choice(browser, blind_url: str) -> None:
    tab = visit(browser, blind_url + "/blind.html", 1)
    text = tab.evaluate(TABLE_TEXT)
    for secret in SECRETS:
        assert secret.lower() not in text.lower()
    source = tab.content()
    for table in blind_tables(source):
        for secret in SECRETS:
            assert secret.lower() not in table.lower()
    assert tab.locator("details.audiotable-reveal").count() == 0
    choices = tab.locator("[data-audiotable-choice]")
    assert choices.all_inner_texts() == ["A", "B"]
    assert tab.errors == []
    tab.context.close()


def visit_in(tab, url: str, seed: int):
    """``tab`` (any engine) at ``url``, its session seeded."""
    tab.add_init_script(f"window.audiotableSeed = {seed}")
    tab.add_init_script(INSTRUMENTED_GRAPH)
    tab.goto(url, wait_until="networkidle")
    return tab


@pytest.mark.browser
@pytest.mark.every_engine
def test_a_choice_reveals_the_labels_and_keeps_a_score(tab, blind_url: str):
    visit_in(tab, blind_url + "/blind.html", 7)
    table = tab.locator("table.audiotable-blind")
    tab.locator("[data-audiotable-choice=A]").click()
    revealed = table.locator(".audiotable-revealed").all_inner_texts()
    assert sorted(revealed) == sorted(LABELS)
    verdict = table.locator(".audiotable-verdict").inner_text()
    first = table.locator("td[data-audiotable-where='Clip A'] .audiotable-revealed")
    right = first.inner_text() == "Session violinist"  # what the question asks for
    assert verdict.startswith("Right" if right else "Not this time")
    chance = "50" if right else "100"  # one right of one two-way trial, or none
    assert verdict.endswith(f"{int(right)} of 1 \u2014 {chance} % chance by guessing.")
    # Try again, by keyboard: the labels go, the clips are lettered anew.
    tab.locator(".audiotable-again").press("Enter")
    assert table.locator(".audiotable-revealed").count() == 0
    assert "Session violinist" not in tab.evaluate(TABLE_TEXT)
    tab.locator("[data-audiotable-choice=B]").focus()
    tab.keyboard.press("Enter")
    assert (
        table.locator(".audiotable-verdict")
        .inner_text()
        .endswith(
            "Practice: not counted."  # the answer was known: no second count
        )
    )
    assert table.locator("[data-audiotable-choice=B]").get_attribute(
        "aria-pressed"
    ) == ("true")
    # Named by what it shows ("B"), not by a longer name it does not show.
    assert (
        table.locator("[data-audiotable-choice=B]").get_attribute("aria-label") is None
    )
    # No script error (the test site has no favicon: Chromium logs its 404).
    assert [e for e in tab.console_errors if "Failed to load resource" not in e] == []


TRIAL_ORDER = """() => Array.from(document.querySelectorAll(
    'table.audiotable-blind tr[data-audiotable-trial]')).map(r => r.dataset.audiotableTrial)"""


@pytest.mark.browser
@pytest.mark.every_engine
def test_a_score_says_its_chance_by_guessing_and_its_interval(
    tab, blind_url: str
) -> None:
    """Two two-way trials: after both picks, the whole table's score with the
    exact chance of doing as well by guessing and the Clopper-Pearson interval."""
    visit_in(tab, blind_url + "/grid.html", 4)
    for row in range(2):
        tab.locator("tr.audiotable-choices").nth(row).locator(
            "[data-audiotable-choice=A]"
        ).click()
    rights = tab.evaluate(
        "Array.from(document.querySelectorAll('.audiotable-verdict'))"
        ".map(v => v.dataset.right === 'true')"
    )
    hits = sum(rights)
    chance, low, high = {2: ("25", "16", "100"), 1: ("75", "1.3", "99"),
                         0: ("100", "0.0", "84")}[hits]  # fmt: skip
    said = tab.locator(".audiotable-said").inner_text()
    assert said == (
        f"All 2 trials: {hits} of 2 \u2014 {chance} % chance by guessing. Your hit "
        f"rate, 95 % interval: {low}\u2013{high} %. Session 4: "
        "#audiotable-1&seed=4 replays it."
    )


@pytest.mark.browser
def test_a_session_comes_back_from_its_seed_in_the_address(browser, blind_url: str):
    orders = set()
    for seed in range(8):
        tab = visit(browser, blind_url + "/grid.html", seed)
        orders.add(tuple(tab.evaluate(TRIAL_ORDER)))
        tab.context.close()
    assert orders == {("1", "2"), ("2", "1")}  # the trials come in either order
    seen = []
    for _ in range(2):
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(blind_url + "/grid.html#seed=5", wait_until="networkidle")
        seen.append((tab.evaluate(TRIAL_ORDER), tab.evaluate(ORDER)))
        context.close()
    assert seen[0] == seen[1]  # the same session: the same trials, the same clips


@pytest.mark.browser
def test_the_order_is_shuffled_per_visit(browser, blind_url: str) -> None:
    orders = []
    for seed in range(6):
        tab = visit(browser, blind_url + "/blind.html", seed)
        orders.append(tuple(tab.evaluate(ORDER)))
        tab.context.close()
    assert len(set(orders)) == 2  # both orders come up
    again = visit(browser, blind_url + "/blind.html", 3)
    assert tuple(again.evaluate(ORDER)) == orders[3]  # a seed, one order
    again.context.close()


@pytest.mark.browser
def test_blind_tables_always_play_loudness_matched(browser, blind_url: str) -> None:
    tab = visit(browser, blind_url + "/grid.html", 2)
    tab.evaluate("localStorage.setItem('audiotable-loudness-matching', 'off')")
    tab.reload(wait_until="networkidle")
    volumes, levels = zip(
        *tab.evaluate(
            "() => Array.from(document.querySelectorAll('table.audiotable audio'))"
            ".map(a => [a.volume, Number(a.dataset.loudness)])"
        ),
        strict=True,
    )
    # The takes differ by 6 dB; their copies were matched in the files
    # themselves, and the script matches what is left.
    assert max(levels) - min(levels) < 0.5
    assert set(volumes) == {1.0}  # matched on the gain nodes, as each plays
    expected = expected_volumes(list(levels))
    buttons = tab.locator(".audiotable-player button")
    for index in (0, 1):
        buttons.nth(index).click()
        wait_until_playing(tab, index)
        tab.wait_for_function(
            f"() => Math.abs(({GAINS})()[{index}] - {expected[index]}) < 0.01",
            timeout=2000,
        )
    assert tab.locator("button.audiotable-matching").count() == 0
    assert tab.locator(".audiotable-gain").count() == 0  # "−6 dB" would tell
    assert tab.locator("tr.audiotable-choices").count() == 2  # a pick per row
    tab.context.close()


@pytest.mark.browser
def test_without_javascript_the_labels_wait_behind_reveal(browser, blind_url: str):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(blind_url + "/blind.html")
    table = tab.locator("table.audiotable-blind")
    assert table.locator("audio").count() == 2
    visible = table.inner_text()
    for label in LABELS:
        assert label not in visible
    first = table.locator("details.audiotable-reveal summary").first
    first.click()
    assert sum(label in table.inner_text() for label in LABELS) == 1  # one at a time
    for summary in table.locator("details.audiotable-reveal summary").all()[1:]:
        summary.click()
    shown = table.inner_text()
    assert all(label in shown for label in LABELS)
    # The question asks for the first label, and exactly that clip says so.
    assert shown.count("(the one asked for)") == 1
    assert f"{LABELS[0]} (the one asked for)" in shown


def test_a_row_without_a_label_is_compared_too() -> None:
    """A table of one row, "Actual" | "AI", is a comparison: checked for fairness,
    and one trial when blind."""
    from pelican_audiotable.annotate.fairness import unfair_rows
    from pelican_audiotable.model import ClipMetadata

    def take(rate: int) -> ClipMetadata:
        return ClipMetadata("MP3", "MP3", 30.0, "header", 128000, "CBR",
                            rate, 2, 480_000, path="x.mp3")  # fmt: skip

    row = [
        ClipInfo("a", column_label="Actual", metadata=take(44100)),
        ClipInfo("b", column_label="AI", metadata=take(48000)),
    ]
    assert unfair_rows(row) == ["sample rates differ (44.1 kHz, 48 kHz)"]
    assert [(t.heading, t.labels) for t in trials_of(row)] == [(None, ("Actual", "AI"))]


@pytest.mark.browser
def test_hostile_labels_and_questions_stay_text(tmp_path: Path, files, browser):
    """Labels and the question are the author's (or a collaborator's) text: after
    the choice, and in the question, they show as text and never run."""
    post = (
        "Title: Hostile\nSlug: hostile\n"
        "Audiotable_blind: <script>alert(1)</script> Which one?\n\n"
        "| &lt;img src=x onerror=alert(2)&gt; | <b>AI</b> |\n|---|---|\n"
        "| [a](/clips/jory-violin.mp3) | [b](/clips/suno-fiddle.mp3) |\n"
    )
    output = build_site(tmp_path, {**files, "hostile.md": post}, AUDIOTABLE_ASSETS=True)
    [table] = blind_tables((output / "hostile.html").read_text())
    assert "<script>" not in table and "<img" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Which one?" in table
    with serve(output) as url:
        tab = visit(browser, url + "/hostile.html", 5)
        dialogs: list[str] = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.locator("[data-audiotable-choice=A]").click()
        shown = tab.locator(".audiotable-revealed").all_inner_texts()
        assert sorted(shown) == ["<img src=x onerror=alert(2)>", "AI"]
        assert tab.locator("table.audiotable-blind img").count() == 0
        assert dialogs == [] and tab.errors == []
        tab.context.close()


def test_without_analysis_blind_tables_say_they_play_unmatched(
    tmp_path: Path, files, caplog
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    output = build_site(tmp_path, files, AUDIOTABLE_ANALYSIS=False)
    assert blind_tables((output / "blind.html").read_text())
    assert "data-loudness" not in (output / "blind.html").read_text()
    said = [
        r.getMessage() for r in caplog.records if "published loudness" in r.getMessage()
    ]
    assert said == [
        "audiotable: blind tables play at their published loudness: loudness "
        "matching needs pip install av numpy scipy and AUDIOTABLE_ANALYSIS on"
    ]


@pytest.mark.browser
def test_the_verdict_fits_a_phone(browser, demo_url: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812})
    context.add_init_script("window.audiotableSeed = 1")
    tab = context.new_page()
    tab.goto(demo_url + "/posts/human-vs-ai-music-generation-services/")
    tab.locator("[data-audiotable-choice=A]").click()
    assert tab.locator(".audiotable-verdict").inner_text().endswith("by guessing.")
    # The seed post's one trial done: the reader's result token, wrapped to fit.
    token = tab.locator("p.audiotable-token code").inner_text()
    key = tab.locator("table.audiotable-blind").get_attribute("data-audiotable-key")
    assert parse_token(token).table == key and parse_token(token).seed == 1
    assert tab.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_a_clip_with_no_untagged_copy_closes_the_table(
    tmp_path: Path, files, clips, warnings
) -> None:
    rf64 = tmp_path / "rf64.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(clips["pcm-mono-22k.wav"]),
         "-rf64", "always", str(rf64)],
        check=True,
    )  # fmt: skip
    post = MARKDOWN.replace("/clips/suno-fiddle.mp3", "/clips/take.wav")
    site = {**files, "clips/take.wav": rf64, "blind.md": post}
    output = build_site(tmp_path, site, AUDIOTABLE_BLIND_COPIES="untagged")
    assert NOT_BUILT in (output / "blind.html").read_text()
    assert [w for w in warnings() if "could not be built" in w] == [
        "audiotable: blind.md: table 1 could not be built as a blind test, and a "
        "note stands in its place: its clip '/clips/take.wav' has no copy: only "
        "RIFF WAVE files (not RF64) can be copied untagged"
    ]
    # Copies made from the decoded audio need no tag removed: it is blind.
    output = build_site(tmp_path / "matched", site)
    assert blind_tables((output / "blind.html").read_text())


def test_an_unfair_blind_table_says_so_naming_no_take(
    tmp_path: Path, files, clips, warnings
) -> None:
    post = MARKDOWN.replace("/clips/suno-fiddle.mp3", "/clips/other.mp3")
    files = {**files, "clips/other.mp3": clips["vbr-xing-48k.mp3"], "blind.md": post}
    # Matched copies share a rate and a length: nothing is left to note.
    output = build_site(tmp_path / "matched", files, AUDIOTABLE_FAIRNESS_NOTE=True)
    [table] = blind_tables((output / "blind.html").read_text())
    assert "audiotable-fairness" not in table
    output = build_site(
        tmp_path,
        files,
        AUDIOTABLE_FAIRNESS_NOTE=True,
        AUDIOTABLE_BLIND_COPIES="untagged",
    )
    [table] = blind_tables((output / "blind.html").read_text())
    note = re.search(r'<tfoot class="audiotable-fairness">.*?</tfoot>', table)
    assert note is not None
    assert re.sub("<[^>]+>", "", note[0]) == (
        "Not a fair comparison: sample rates differ; lengths differ by more than 10 %."
    )
    # The author is told in detail, naming the takes.
    assert any("sample rates differ (44.1 kHz, 48 kHz)" in w for w in warnings())


@pytest.mark.browser
def test_a_blind_grids_players_are_named_by_row_and_letter(browser, blind_url: str):
    tab = visit(browser, blind_url + "/grid.html", 4)
    names = tab.locator("table.audiotable-blind .audiotable-player").evaluate_all(
        "players => players.map(p => p.getAttribute('aria-label'))"
    )
    first, second = sorted(  # the trials come in the session's order
        [names[:2], names[2:]], key=lambda row: row[0] != "Verse, clip A"
    )
    assert first == ["Verse, clip A", "Verse, clip B"]
    assert second == ["Chorus, clip A", "Chorus, clip B"]
    tab.context.close()


@pytest.mark.browser
def test_a_blind_tables_link_carries_the_loop_never_the_clip(
    browser, blind_url: str
) -> None:
    tab = visit(browser, blind_url + "/grid.html", 2)
    tab.locator("table.audiotable").focus()
    tab.keyboard.press("2")
    wait_until_playing(tab, 1, past=1.0)
    tab.keyboard.press("[")
    wait_until_playing(tab, 1, past=2.0)
    tab.keyboard.press("]")
    tab.locator("button.audiotable-link").first.click()
    fragment = tab.evaluate("location.hash")
    assert fragment.startswith("#audiotable-") and "&t=" in fragment
    assert "clip=" not in fragment
    tab.context.close()
