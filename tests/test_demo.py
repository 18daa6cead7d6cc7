"""The demo site, built as CI builds it (strict, warnings fatal), is also a fixture."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import html5lib
import pytest
from bs4 import BeautifulSoup

from pelican_audiotable.learn.metadata import read_metadata
from tests.conftest import DEMO, decoded_seconds

POST = "posts/human-vs-ai-music-generation-services/index.html"
SEED = Path(__file__).parents[2] / "shared" / "seed"
GUITAR_CLIPS = [
    "actual-verse",
    "actual-prechorus",
    "actual-chorus",
    "actual-bridge",
    "ai-prechorus",
    "ai-chorus",
    "ai-bridge",
]


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def clip_file(output: Path, src: str) -> Path:
    """The published file a player of the post plays (blind copies are relative)."""
    return output / unquote(urljoin("/" + POST, src)).lstrip("/")


def test_post_keeps_the_seed_front_matter(demo_output: Path) -> None:
    soup = soup_of(demo_output / POST)
    assert soup.h1.get_text() == "Human vs AI Music Generation Services"
    assert soup.find("meta", attrs={"name": "description"})["content"] == (
        "Musiversal is awesome and AI music still sucks"
    )
    assert soup.find("time")["datetime"].startswith("2025-08-10")
    tags = [a.get_text() for a in soup.select(".post-tags a")]
    assert tags == ["#AI", "#music", "#musiversal"]
    assert (demo_output / "about-this-demo" / "index.html").exists()
    about = soup_of(demo_output / "about-this-demo" / "index.html").get_text()
    assert "synthesized" in about and "stand-in" in about


def test_post_keeps_the_seed_headings_and_clip_paths(demo_output: Path) -> None:
    seed = (
        next(SEED.glob("*.md")).read_text(encoding="utf-8") if SEED.exists() else None
    )
    source = DEMO / "content" / "posts" / "human-vs-ai-music-generation-services.md"
    text = source.read_text(encoding="utf-8")
    soup = soup_of(demo_output / POST)
    headings = [h.get_text() for h in soup.select(".post-content h2, .post-content h3")]
    expected = re.findall(r"^#{2,3} (.+)$", seed or text, flags=re.MULTILINE)
    assert headings == expected
    written = re.findall(r'src="(/music-generation/[^"]+)"', seed or text)
    assert written == re.findall(r'src="(/music-generation/[^"]+)"', text)
    sources = [s["src"] for s in soup.select(".post-content source")]
    blind = [s for s in sources if not s.startswith("/music-generation/")]
    open_ones = [s for s in sources if s not in blind]
    guitar = [s for s in written if "solo" not in s]
    assert sorted(open_ones) == sorted(guitar)  # the grid layout reorders them
    # The violin table is blind: its clips play untagged copies named by digest.
    assert len(blind) == 2
    assert all(
        re.fullmatch(r"\.\./\.\./audiotable/blind/[0-9a-f]{24}\.mp3", s) for s in blind
    )


def test_both_tables_are_annotated_with_decoder_exact_durations(demo_output: Path):
    soup = soup_of(demo_output / POST)
    tables = soup.select("table.audiotable")
    assert len(tables) == 2
    assert tables[0]["data-audiotable-layout"] == "grid"
    assert tables[0].caption.get_text().startswith("7 clips · ")
    assert "audiotable-blind" in tables[1]["class"]
    assert tables[1].caption.get_text() == "Which one is the human player?"
    # Its takes differ in bitrate: the technical line would tell them apart.
    assert not tables[1].select(".audiotable-tech")
    players = soup.select("table.audiotable audio")
    names = [Path(p.source["src"]).stem for p in tables[0].select("audio")]
    assert sorted(names) == sorted(GUITAR_CLIPS)
    lengths = set()
    for player in players:
        clip = clip_file(demo_output, player.source["src"])
        truth = decoded_seconds(clip)
        frame = 1152 / read_metadata(clip).sample_rate
        assert float(player["data-duration"]) == pytest.approx(truth, abs=frame)
        assert 10 <= truth <= 45
        lengths.add(round(truth))
        shown = player.find_next(class_="audiotable-duration").get_text()
        minutes, seconds = shown.split(":")
        assert int(minutes) * 60 + int(seconds) == int(float(player["data-duration"]))
    # Every clip of the open table has a length of its own; the blind table's
    # copies share one: they are cut to its shorter take.
    assert len(lengths) == len(players) - 1


def test_stand_ins_cover_the_encodings_authors_upload(demo_output: Path) -> None:
    soup = soup_of(demo_output / POST)
    players = soup.select("table.audiotable:not(.audiotable-blind) audio")
    published = ("actual-solo.mp3", "ai-solo.mp3")
    clips = [read_metadata(demo_output / p.source["src"].lstrip("/")) for p in players]
    clips += [read_metadata(demo_output / "music-generation" / n) for n in published]
    seen = {
        (m.duration_source, m.bitrate_mode, m.channels, m.sample_rate) for m in clips
    }
    sources = {s[0] for s in seen}
    assert sources == {"header", "frame-count"}  # VBR without a Xing header counted
    assert {s[1] for s in seen} == {"CBR", "VBR"}
    assert {s[2] for s in seen} == {1, 2}
    assert {s[3] for s in seen} == {44100, 48000}
    assert any(m.has_cover for m in clips)
    assert all(m.artist == "Stand-in" for m in clips)
    shown = [p.find_next(class_="audiotable-artist").get_text() for p in players]
    assert shown == ["Stand-in"] * len(players)
    # The blind table's copies play the same audio with no tag at all.
    for player in soup.select("table.audiotable-blind audio"):
        copy = read_metadata(clip_file(demo_output, player.source["src"]))
        assert (copy.artist, copy.title, copy.has_cover) == (None, None, False)


def local_targets(page: Path, root: Path) -> list[tuple[str, Path]]:
    soup = soup_of(page)
    base = "/" + page.relative_to(root).as_posix()
    found = []
    for tag, attribute in [
        ("a", "href"),
        ("link", "href"),
        ("script", "src"),
        ("source", "src"),
        ("audio", "src"),
        ("img", "src"),
    ]:
        for element in soup.find_all(tag):
            url = element.get(attribute)
            if not url or url.startswith(("data:", "mailto:", "#")):
                continue
            split = urlsplit(urljoin(base, url))
            if split.scheme or split.netloc:
                continue
            target = root / unquote(split.path).lstrip("/")
            if target.is_dir() or split.path.endswith("/"):
                target = target / "index.html"
            found.append((url, target))
    return found


def test_no_broken_links_or_missing_assets(demo_output: Path) -> None:
    pages = sorted(demo_output.rglob("*.html"))
    assert len(pages) > 5
    broken = [
        f"{page.relative_to(demo_output)}: {url}"
        for page in pages
        for url, target in local_targets(page, demo_output)
        if not target.exists()
    ]
    assert broken == []


@pytest.mark.parametrize(
    "name",
    [
        POST,
        "index.html",
        "about-this-demo/index.html",
        "archives.html",
        "tags.html",
        "404.html",
    ],
)
def test_pages_are_valid_html(demo_output: Path, name: str) -> None:
    parser = html5lib.HTMLParser(strict=True)
    parser.parse((demo_output / name).read_text(encoding="utf-8"))


def test_index_shows_clip_count_and_length(demo_output: Path) -> None:
    badge = soup_of(demo_output / "index.html").select_one(".clips-badge")
    assert re.fullmatch(r"9 clips · \d+:\d\d", badge.get_text())
