"""The pure core: HTML in, HTML out. No Pelican, no files: clips come from a table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import html5lib
import pytest
from bs4 import BeautifulSoup

from pelican_audiotable.find.resolve import PageRef, SiteFiles
from pelican_audiotable.learn.metadata import ClipMetadata, CorruptClip
from pelican_audiotable.model import StoredTables
from pelican_audiotable.page import process_page
from pelican_audiotable.settings import AudioTableSettings

ROOT = Path("/site/content")


def meta(name: str, duration: float, **tags: str) -> ClipMetadata:
    return ClipMetadata(
        path=str(ROOT / name),
        format="MP3",
        codec="MP3",
        duration=duration,
        duration_source="header",
        bitrate=128000,
        bitrate_mode="CBR",
        sample_rate=44100,
        channels=2,
        size=500_000,
        **tags,
    )


LIBRARY = {
    "clips/verse.mp3": meta("clips/verse.mp3", 31.033, title="Verse", artist="Band"),
    "clips/chorus.mp3": meta("clips/chorus.mp3", 12.5),
    "clips/long.mp3": meta("clips/long.mp3", 3725.2),
    "clips/evil.mp3": meta(
        "clips/evil.mp3", 5.0, title='<img src=x onerror="alert(1)">', artist="a&b"
    ),
}
SITE = SiteFiles(
    content_root=ROOT,
    published={path: path for path in [*LIBRARY, "clips/bad.mp3"]},
    # The site's files, as the build lists them: these live only in LIBRARY.
    files=frozenset(str(ROOT.resolve() / p) for p in [*LIBRARY, "clips/bad.mp3"]),
)
PAGE = PageRef(source_path="post.md", url="post.html", save_as="post.html")


def read(path: Path) -> ClipMetadata:
    relative = path.relative_to(ROOT.resolve()).as_posix()
    if relative == "clips/bad.mp3":
        raise CorruptClip("no MPEG audio frames found")
    return LIBRARY[relative]


def run(html: str, **settings: object):
    return process_page(html, PAGE, SITE, read, AudioTableSettings(**settings))


def audio(src: str, preload: str = "metadata") -> str:
    return (
        f'<audio controls preload="{preload}">'
        f'<source src="{src}" type="audio/mpeg"></audio>'
    )


SEED_TABLE = f"""<p>Intro &amp; more.</p>
<table>
<thead><tr><th style="text-align: left;">Guitar Riff</th><th></th></tr></thead>
<tbody>
<tr><td style="text-align: left;">Actual verse</td><td>{audio("/clips/verse.mp3")}</td></tr>
<tr><td style="text-align: left;">AI chorus</td><td>{audio("/clips/chorus.mp3")}</td></tr>
</tbody>
</table>
<p>After.</p>"""


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_seed_table_is_annotated() -> None:
    result = run(SEED_TABLE)
    soup = soup_of(result.html)
    table = soup.table
    assert table["class"] == ["audiotable"]
    assert table.caption.get_text() == "2 clips · 0:43"
    first, second = soup.find_all("audio")
    assert first["data-duration"] == "31.033"
    assert first["preload"] == "none"
    assert first["data-title"] == "Verse" and "data-artist" not in first.attrs
    assert len([a for a in first.attrs if a.startswith("data-")]) <= 8
    assert first["data-audiotable-row"] == "Actual verse"
    caption = first.find_next_sibling("div", class_="audiotable-caption")
    assert caption.find(class_="audiotable-duration").get_text() == "0:31"
    assert caption.find(class_="audiotable-tech").get_text() == (
        "MP3 · 128 kbps · 44.1 kHz stereo"
    )
    assert caption.find(class_="audiotable-title").get_text() == "Verse"
    assert second["data-duration"] == "12.500"
    assert result.problems == ()
    assert [c.label for c in result.tables[0].clips] == ["Actual verse", "AI chorus"]


def test_text_outside_tables_is_untouched_byte_for_byte() -> None:
    html = SEED_TABLE.replace("<p>After.</p>", "<p>Caf&eacute; <br/> &nbsp;</p>")
    result = run(html)
    assert result.html.startswith("<p>Intro &amp; more.</p>\n<table")
    assert result.html.endswith("</table>\n<p>Caf&eacute; <br/> &nbsp;</p>")


def test_what_the_plugin_did_not_change_inside_a_table_keeps_its_bytes() -> None:
    html = (
        "<table>\n<TR><TD ALIGN=left>Caf&eacute; &amp; <em>bar</em>&nbsp;<!-- x -->"
        f"<td>{audio('/clips/verse.mp3')}\n</table>"
    )
    result = run(html, table_summary=False)
    assert result.html.startswith(
        "<table class"  # the table's own start tag is ours to change
    )
    assert "\n<TR><TD ALIGN=left>Caf&eacute; &amp; <em>bar</em>&nbsp;<!-- x -->" in (
        result.html
    )
    assert '<source src="/clips/verse.mp3" type="audio/mpeg"></audio>' in result.html
    assert result.tables[0].clips[0].label == "Café & bar"


def test_processing_twice_gives_the_same_html() -> None:
    once = run(SEED_TABLE).html
    assert run(once).html == once


def test_nothing_the_author_wrote_is_lost() -> None:
    before = soup_of(SEED_TABLE)
    after = soup_of(run(SEED_TABLE).html)
    for cell_before, cell_after in zip(
        before.find_all(["td", "th"]), after.find_all(["td", "th"]), strict=True
    ):
        assert cell_before.get_text() in cell_after.get_text()
        for key, value in cell_before.attrs.items():
            assert cell_after[key] == value
    sources = [s["src"] for s in after.find_all("source")]
    assert sources == ["/clips/verse.mp3", "/clips/chorus.mp3"]


def test_tag_values_are_escaped() -> None:
    html = f"<table><tr><td>{audio('/clips/evil.mp3')}</td></tr></table>"
    result = run(html).html
    assert "<img" not in result
    assert "&lt;img src=x onerror=" in result
    parsed = soup_of(result)
    assert parsed.find("cite").get_text() == '<img src=x onerror="alert(1)">'
    assert parsed.audio["data-title"] == '<img src=x onerror="alert(1)">'
    assert parsed.find("script") is None  # JSON-LD goes to the head
    script = soup_of(run(html).jsonld).find("script", class_="audiotable-jsonld")
    assert "<" not in script.string and "\\u003cimg" in script.string


def test_link_only_cell_becomes_a_player_keeping_the_link() -> None:
    html = '<table><tr><td><p><a href="clips/chorus.mp3">Chorus, take 3</a></p></td></tr></table>'
    result = run(html)
    player = soup_of(result.html).audio
    assert player["src"] == "clips/chorus.mp3"
    assert player.a["href"] == "clips/chorus.mp3"
    assert player.a.get_text() == "Chorus, take 3"
    assert soup_of(result.html).find(class_="audiotable-label").get_text() == (
        "Chorus, take 3"
    )
    assert run(result.html).html == result.html


def test_broken_clip_keeps_the_player_as_written_and_is_marked() -> None:
    html = f"<table><tr><td>{audio('/clips/bad.mp3')}</td><td>{audio('/clips/gone.mp3')}</td></tr></table>"
    result = run(html)
    bad, gone = soup_of(result.html).find_all("audio")
    assert bad["data-audiotable-error"] == "corrupt" and bad["preload"] == "metadata"
    assert gone["data-audiotable-error"] == "missing"
    assert "data-duration" not in bad.attrs
    assert [(p.clip, p.kind) for p in result.problems] == [
        ("/clips/bad.mp3", "corrupt"),
        ("/clips/gone.mp3", "missing"),
    ]
    assert all(p.page == "post.md" for p in result.problems)


def test_every_duration_is_cut_to_whole_seconds_as_players_show_them() -> None:
    """12.5 s reads 0:12 in the caption, as in native players and the listening
    script (which a browser test holds to the same rule)."""
    html = f"<table><tr><td>{audio('/clips/chorus.mp3')}</td></tr></table>"
    soup = soup_of(run(html).html)
    assert soup.find(class_="audiotable-duration").get_text() == "0:12"
    assert soup.caption.get_text() == "1 clip · 0:12"


def test_hours_long_clip() -> None:
    html = f"<table><tr><td>{audio('/clips/long.mp3')}</td></tr></table>"
    assert soup_of(run(html).html).find(class_="audiotable-duration").get_text() == (
        "1:02:05"
    )


def test_remote_clip_is_left_as_written() -> None:
    html = f"<table><tr><td>{audio('https://cdn.example.org/a.mp3')}</td></tr></table>"
    result = run(html)
    assert result.problems == ()
    assert result.tables[0].clips[0].remote
    assert "data-duration" not in result.html


def test_second_source_is_used_when_the_first_is_missing() -> None:
    html = (
        '<table><tr><td><audio controls><source src="/clips/a.ogg" type="audio/ogg">'
        '<source src="/clips/chorus.mp3" type="audio/mpeg"></audio></td></tr></table>'
    )
    result = run(html)
    assert soup_of(result.html).audio["data-duration"] == "12.500"


@pytest.mark.parametrize(
    "table",
    [
        # no thead, header cells in the first row
        "<table><tr><th>Human</th><th>AI</th></tr>"
        "<tr><td>{verse}</td><td>{chorus}</td></tr></table>",
        # colspan and rowspan
        '<table><tr><th colspan="2">Takes</th></tr><tr><td rowspan="2">{verse}</td>'
        "<td>{chorus}</td></tr><tr><td>text</td></tr></table>",
        # a nested table: each table owns its own clips
        "<table><tr><td><table><tr><td>{verse}</td></tr></table></td>"
        "<td>{chorus}</td></tr></table>",
        # a table with no header at all, and a stray closing tag after it
        "<table><tr><td>{verse}</td></tr></table></table>",
    ],
    ids=["no-thead", "spans", "nested", "stray-close"],
)
def test_malformed_tables_are_annotated_and_stay_valid(table: str) -> None:
    html = table.format(
        verse=audio("/clips/verse.mp3"), chorus=audio("/clips/chorus.mp3")
    )
    result = run(html)
    parsed = soup_of(result.html)
    assert all(a.get("data-duration") for a in parsed.find_all("audio"))
    assert len(parsed.find_all("audio")) == html.count("<audio")
    html5lib.HTMLParser(strict=True).parseFragment(
        result.html.replace("</table></table>", "</table>")
    )
    assert run(result.html).html == result.html


def test_column_labels_come_from_the_header_row() -> None:
    html = (
        "<table><thead><tr><th>Actual solos</th><th>AI solo</th></tr></thead><tbody>"
        f"<tr><td>{audio('/clips/verse.mp3')}</td><td>{audio('/clips/chorus.mp3')}</td>"
        "</tr></tbody></table>"
    )
    clips = run(html).tables[0].clips
    assert [(c.row_label, c.column_label) for c in clips] == [
        (None, "Actual solos"),
        (None, "AI solo"),
    ]


def test_author_caption_and_preload_are_kept_when_asked() -> None:
    html = f'<table class="mine"><caption>Takes</caption><tr><td>{audio("/clips/verse.mp3", "auto")}</td></tr></table>'
    parsed = soup_of(run(html, preload="keep").html)
    assert parsed.table["class"] == ["mine", "audiotable"]
    assert parsed.caption.get_text() == "Takes"
    assert parsed.audio["preload"] == "auto"


def test_settings_turn_off_jsonld_and_summary() -> None:
    result = run(SEED_TABLE, jsonld=False, table_summary=False)
    assert soup_of(result.html).find("caption") is None and result.jsonld == ""


def test_caption_fields_setting() -> None:
    parsed = soup_of(run(SEED_TABLE, caption_fields=("duration",)).html)
    caption = parsed.find(class_="audiotable-caption")
    assert caption.get_text() == "0:31"


def test_jsonld_describes_each_clip() -> None:
    import json

    result = run(SEED_TABLE)
    assert soup_of(result.html).find("script") is None
    graph = json.loads(soup_of(result.jsonld).find("script").string)
    verse = graph["@graph"][0]
    assert verse == {
        "@type": "AudioObject",
        "name": "Verse",
        "contentUrl": "/clips/verse.mp3",
        "duration": "PT31.033S",
        "encodingFormat": "audio/mpeg",
        "contentSize": "500000 B",
        "byArtist": {"@type": "Person", "name": "Band"},
    }


def test_page_without_audio_tables_is_returned_as_is() -> None:
    html = (
        "<table><tr><td>plain</td></tr></table><audio src='/clips/verse.mp3'></audio>"
    )
    result = run(html)
    assert result.html is html and result.tables == ()


def test_tables_kept_as_json_read_like_the_tables() -> None:
    tables = run(SEED_TABLE).tables
    kept = StoredTables.of(tables)
    assert json.loads(kept.text)[0]["clips"][0]["metadata"]["duration"] == 31.033
    again = StoredTables(kept.text)
    assert again == list(tables) and len(again) == 1
    assert again[0].clips[0].duration == 31.033 and again[0].summary == "2 clips · 0:43"


def with_a_48_khz_clip(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[SiteFiles, Callable[[Path], ClipMetadata]]:
    """The site and reader, with clips/wide.mp3 at 48 kHz beside the 44.1 kHz ones."""
    wide = replace(meta("clips/wide.mp3", 31.0), sample_rate=48000)
    site = SiteFiles(
        ROOT,
        published={**SITE.published, "clips/wide.mp3": "x"},
        files=SITE.files | {str(ROOT.resolve() / "x")},
    )

    def read_both(path: Path) -> ClipMetadata:
        return wide if path.name == "x" else read(path)

    return site, read_both


def test_an_unfair_row_is_warned_and_noted_under_its_table_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site, read_both = with_a_48_khz_clip(monkeypatch)
    table = (
        "<table><tr><th></th><th>Human</th><th>AI</th></tr>"
        f"<tr><th>verse</th><td>{audio('/clips/verse.mp3')}</td>"
        f"<td>{audio('/clips/wide.mp3')}</td></tr></table>"
    )
    noted = AudioTableSettings(fairness_note=True)
    result = process_page(table, PAGE, site, read_both, noted)
    again = process_page(result.html, PAGE, site, read_both, noted)
    [problem] = [p for p in result.problems if p.kind == "unfair"]
    assert problem.message == "table 1: verse: sample rates differ (44.1 kHz, 48 kHz)"
    notes = soup_of(result.html).select("tfoot.audiotable-fairness td")
    assert [n.get_text() for n in notes] == [
        "Not a fair comparison: verse: sample rates differ (44.1 kHz, 48 kHz)."
    ]
    assert again.html == result.html


def _rows(html: str) -> list[list[str]]:
    """The clips each compared row holds, by their file names."""
    from pelican_audiotable.annotate.fairness import rows_compared

    clips = run(html).tables[0].clips
    return [
        [clips[i].src.rsplit("/", 1)[-1] for i in members]
        for members in rows_compared(clips).values()
    ]


def test_rows_are_rows_whatever_their_labels_say() -> None:
    verse, chorus = audio("/clips/verse.mp3"), audio("/clips/chorus.mp3")
    repeated = "".join(
        f"<tr><td>L</td><td>{verse}</td><td>{chorus}</td></tr>" for _ in range(8)
    )
    table = f"<table><thead><tr><th></th><th>A</th><th>B</th></tr></thead>{repeated}</table>"
    assert _rows(table) == [["verse.mp3", "chorus.mp3"]] * 8
    unlabelled = (
        "<table><thead><tr><th>Source</th><th>Target</th></tr></thead>"
        f"<tr><td>{verse}</td><td>{chorus}</td></tr>"
        f"<tr><td>{chorus}</td><td>{verse}</td></tr></table>"
    )
    assert _rows(unlabelled) == [
        ["verse.mp3", "chorus.mp3"],
        ["chorus.mp3", "verse.mp3"],
    ]


def test_every_player_has_a_name_of_its_own_on_the_page() -> None:
    verse, chorus = audio("/clips/verse.mp3"), audio("/clips/chorus.mp3")
    rows = "".join(
        f"<tr><td>{label}</td><td>{verse}</td><td>{chorus}<br>{verse}</td></tr>"
        for label in ("L", "H", "L", "H", "")
    )
    table = f"<table><thead><tr><th></th><th>Audio</th><th>Other</th></tr></thead>{rows}</table>"
    names = [
        a["aria-label"] for a in soup_of(run(table + table).html).find_all("audio")
    ]
    assert len(names) == 30 and len(set(names)) == 30
    assert names[:3] == ["L · Audio, row 2", "L · Other, row 2", "L · Other, row 2 (2)"]
    assert "Audio, row 6" in names  # the row without a label
    assert "L · Audio, row 2, table 2" in names


def test_a_players_name_takes_the_words_beside_it_in_its_cell() -> None:
    """Research tables name their systems in the cells ("Model A" above each
    player); a name made of the row and column alone would repeat "(2)"."""
    verse, chorus = audio("/clips/verse.mp3"), audio("/clips/chorus.mp3")
    long = "a note on this take that runs on for far longer than any name should"
    rows = [
        f"<td>Model A<br>{verse}<br>Model B<br>{chorus}</td>",
        f"<td>{verse} StarGAN, {chorus} AutoVC</td>",
        f'<td><p>Ours</p>{verse}<span class="audiotable-caption">0:31 MP3</span></td>',
        f"<td>{verse}<script>var x = 'nope'</script>"
        "<table><tr><td>inner</td></tr></table></td>",
        f"<td><b>{long}</b> {verse}</td>",
    ]
    body = "".join(f"<tr><td>{i}</td>{row}</tr>" for i, row in enumerate(rows, 1))
    table = f"<table><thead><tr><th>#</th><th>Converted</th></tr></thead>{body}</table>"
    once = run(table).html
    names = [a["aria-label"] for a in soup_of(once).find_all("audio")]
    assert names == [
        "1 · Converted · Model A",
        "1 · Converted · Model B",
        "2 · Converted · StarGAN",
        "2 · Converted · AutoVC",
        "3 · Converted · Ours",
        "4 · Converted",
        "5 · Converted · a note on this take that runs on for far longer than any\u2026",
    ]
    assert run(once).html == once  # its own captions are not its words


def test_fairness_is_advice_the_author_decides_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No note under the table unless asked; a reference column is no contender;
    values shown as precisely as it takes to tell them apart."""
    from pelican_audiotable.annotate.fairness import unfair_rows
    from pelican_audiotable.model import ClipInfo, failing

    site, read_both = with_a_48_khz_clip(monkeypatch)
    table = (
        "<table><tr><th></th><th>Reference</th><th>Ours</th></tr>"
        f"<tr><th>verse</th><td>{audio('/clips/wide.mp3')}</td>"
        f"<td>{audio('/clips/verse.mp3')}</td></tr></table>"
    )
    result = process_page(table, PAGE, site, read_both, AudioTableSettings())
    assert not [p for p in result.problems if p.kind == "unfair"]  # a reference
    contenders = table.replace("Reference", "Theirs")
    result = process_page(contenders, PAGE, site, read_both, AudioTableSettings())
    unfair = [p for p in result.problems if p.kind == "unfair"]
    assert len(unfair) == 1 and "tfoot" not in result.html  # warned, not noted
    assert failing(unfair, strict_fairness=False) == []
    assert failing(unfair, strict_fairness=True) == unfair
    marked = "<!-- audiotable-fairness-note -->\n" + contenders
    result = process_page(marked, PAGE, site, read_both, AudioTableSettings())
    assert (
        "Not a fair comparison" in soup_of(result.html).select_one("tfoot").get_text()
    )
    off = "<!-- audiotable-fairness-note: off -->" + contenders
    noted = AudioTableSettings(fairness_note=True)
    assert "tfoot" not in process_page(off, PAGE, site, read_both, noted).html
    close = [
        ClipInfo("a", row_label="x", column_label="A", row=0, metadata=meta("a", 10.0)),
        ClipInfo(
            "b", row_label="x", column_label="B", row=0, metadata=meta("b", 10.04)
        ),
        ClipInfo("c", row_label="x", column_label="C", row=0, metadata=meta("c", 12.0)),
    ]
    [finding] = unfair_rows(close)
    assert "A 10.00 s, B 10.04 s, C 12.00 s" in finding


@pytest.mark.parametrize(
    ("label", "reference"),
    [
        ("Reference", True),
        ("Target Speaker", True),
        ("target speaker", True),
        ("Noisy", True),
        ("Noisy input", True),
        ("Clean (oracle)", True),
        ("Ground-truth", True),
        ("GT", True),
        ("Mixture", True),
        ("Source speaker", True),
        ("Input: text prompt", True),
        ("Ours", False),
        ("Open-source baseline", False),  # only a label's first words say
        ("Ours w/o reference", False),
        ("Targeted TTS", False),  # a word, not a prefix of one
        ("Source-Net", False),  # a system named so, and the author says so
        ("", False),
        (None, False),
    ],
)
def test_reference_columns_are_found_by_what_their_labels_say(
    label: str | None, reference: bool
) -> None:
    """Research tables set the input and the ground truth beside the systems:
    those columns are no contenders, whatever the words around the role."""
    from pelican_audiotable.annotate.fairness import ColumnRoles

    settings = AudioTableSettings.from_mapping(
        {"AUDIOTABLE_CONTENDER_COLUMNS": ["source-net"]}
    )
    roles = ColumnRoles(settings.reference_columns, settings.contender_columns)
    assert roles.is_reference(label) is reference


def test_a_dense_grid_says_what_its_clips_share_once_under_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A research grid (4 clip columns, or 8 rows) has compact cards; the
    technical line every clip shares is said once in its footer, or a column's
    under it, and the cards say only what differs."""
    site, read_both = with_a_48_khz_clip(monkeypatch)
    verse, wide = audio("/clips/verse.mp3"), audio("/clips/wide.mp3")
    head = "<tr><th></th><th>A</th><th>B</th><th>C</th><th>D</th><th>Notes</th></tr>"

    def grid(*cells: str) -> str:
        rows = "".join(
            f"<tr><td>Row {i}</td>{''.join(f'<td>{c}</td>' for c in cells)}"
            "<td>a note</td></tr>"
            for i in range(2)
        )
        return f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"

    def footer_and_cards(html: str, **settings: object) -> tuple[list[str], int]:
        page = process_page(html, PAGE, site, read_both, AudioTableSettings(**settings))
        soup = soup_of(page.html)
        notes = [tr.get_text() for tr in soup.select("tfoot tr.audiotable-shared")]
        assert (
            process_page(
                page.html, PAGE, site, read_both, AudioTableSettings(**settings)
            ).html
            == page.html
        )
        return notes, len(soup.select(".audiotable-caption .audiotable-tech"))

    same = grid(verse, verse, verse, verse)
    notes, techs = footer_and_cards(same)
    assert notes == ["Every clip: MP3 · 128 kbps · 44.1 kHz stereo"] and techs == 0
    assert (
        "audiotable-dense"
        in soup_of(
            process_page(same, PAGE, site, read_both, AudioTableSettings()).html
        ).table["class"]
    )
    notes, techs = footer_and_cards(grid(verse, wide, verse, verse))
    assert notes == [
        "Every clip of A, C, D: MP3 · 128 kbps · 44.1 kHz stereo; "
        "B: MP3 · 128 kbps · 48 kHz stereo"
    ]
    assert techs == 0
    mixed = grid(
        verse, f"{verse}{wide}", verse, verse
    )  # B's clips differ: said in B's cards
    notes, techs = footer_and_cards(mixed)
    assert notes == ["Every clip of A, C, D: MP3 · 128 kbps · 44.1 kHz stereo"]
    assert techs == 4
    assert footer_and_cards(same, dense="never") == ([], 8)
    two = (
        "<table><tr><th>A</th><th>B</th></tr>"
        f"<tr><td>{verse}</td><td>{verse}</td></tr></table>"
    )
    assert footer_and_cards(two) == ([], 2)  # not dense: each card says it
    assert footer_and_cards(two, dense="always") == (
        ["Every clip: MP3 · 128 kbps · 44.1 kHz stereo"],
        0,
    )


def test_a_missing_clip_says_so_in_its_card() -> None:
    table = '<table><tr><th>Verse</th><td><audio controls src="/clips/gone.mp3"></audio></td></tr></table>'
    once = run(table).html
    assert (
        soup_of(once).select_one(".audiotable-unavailable").get_text()
        == "Clip unavailable"
    )
    assert run(once).html == once  # said once, however often it is processed


def test_a_cell_of_several_links_to_clips_gets_a_player_for_each() -> None:
    two = '<a href="/clips/verse.mp3">spk1</a> <a href="/clips/chorus.mp3">spk2</a>'
    one = '<a href="/clips/verse.mp3">mix</a>'
    rows = "".join(
        f"<tr><td>{one}</td><td>{two}</td><td>{two.replace('</a> <a', '</a>, <a')}</td></tr>"
        for _ in range(3)
    )
    table = f"<table><thead><tr><th>Mixture</th><th>Oracle</th><th>Ours</th></tr></thead>{rows}</table>"
    result = run(table)
    assert result.tables[0].count == 15  # every link of every cell, none left out
    assert len(soup_of(result.html).find_all("audio")) == 15
    prose = '<table><tr><td>Hear <a href="/clips/verse.mp3">one</a> then <a href="/clips/chorus.mp3">two</a>.</td></tr></table>'
    assert run(prose).html == prose  # links inside prose stay links


def test_preparing_a_page_opens_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding and resolving a page's clips asks the site's file list: no file is
    opened or tested for (the build lists the content folder once, at its edge)."""
    import builtins
    import os

    from pelican_audiotable.page import prepare_page

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a file was touched: {args}")

    html = (
        f"<table><tr><td>{audio('/clips/verse.mp3')}</td>"
        f"<td>{audio('/nope.mp3')}</td></tr></table>"
    )
    prepare_page(html, PAGE, SITE, AudioTableSettings())  # its modules loaded
    for module, name in [(builtins, "open"), (os, "open"), (Path, "is_file")]:
        monkeypatch.setattr(module, name, refused)
    prepared = prepare_page(html, PAGE, SITE, AudioTableSettings())
    monkeypatch.undo()
    resolved = [r for _, r in prepared.clips()]
    assert resolved[0].path == ROOT.resolve() / "clips/verse.mp3"
    assert resolved[1].path is None and resolved[1].problem is not None


def test_a_level_just_under_zero_reads_zero_not_minus_zero() -> None:
    """A true peak of −0.04 dBTP is written 0.0, in a caption and in a warning."""
    from pelican_audiotable.annotate.fairness import unfair_rows
    from pelican_audiotable.annotate.render import decibels
    from pelican_audiotable.model import ClipAnalysis, ClipInfo

    assert decibels(-0.04) == "0.0" and decibels(-3.24) == "\u22123.2"
    loud = ClipAnalysis(-9.0, -0.04, -0.04, 0.0)
    clips = [
        ClipInfo(name, row_label="x", column_label=name, row=0, metadata=replace(
            meta(name, 10.0), analysis=loud if name == "A" else None))
        for name in ("A", "B")
    ]  # fmt: skip
    [finding] = unfair_rows(clips)
    assert "(true peak 0.0 dBTP)" in finding and "-0.0" not in finding
