"""A site full of hostile input, built for real under three themes: it builds, every
problem is one warning naming its page and clip, nothing is lost, strict mode fails,
and Chromium runs no injected script on any page or feed entry."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import pelican_audiotable
from pelican_audiotable.log import ADVICE
from tests import hostile
from tests.conftest import build_site, serve, site_settings
from tests.learn.test_hostile_files import encode

#: Tags that, once a theme's filters undo the escaping, would run a script.
XSS_TAGS = {
    "artist": '"><img src=x onerror=alert(1)>',
    "title": "<script>alert(2)</script>",
    "album": "</title><svg onload=alert(3)>",
    "comment": "' onmouseover='alert(4)",
}

#: Clips no reader should trust, each one problem: its name and the kind it gets.
BAD_CLIPS = {
    "wav-rate-0.wav": (hostile.wav(rate=0), "corrupt"),
    "xing-without-count.mp3": (hostile.xing_without_frame_count(), "corrupt"),
    "id3-partial-frame.mp3": (hostile.id3_then_partial_frame(), "corrupt"),
    "edts-3000-deep.m4a": (hostile.mp4(nested_edts=3000), "corrupt"),
    "id3-then-ff.mp3": (hostile.id3_then_ff(1 << 20), "corrupt"),
    "flac-ff.flac": (hostile.flac_huge_frames_then_ff(2 << 20), "corrupt"),
    "flac-no-frames.flac": (hostile.flac_metadata_only(), "corrupt"),
    "liar.mp3": (hostile.info_claiming_frames(0x7FFFFFFF), "truncated"),
    "empty-mdat.m4a": (hostile.mp4(seconds=620), "corrupt"),
    "tables.m4a": (
        hostile.mp4(
            seconds=20_000 * 1024 / 44100,
            chunk_offsets=[10_000_000 + n for n in range(20_000)],
            stsc=[(n + 1, 1) for n in range(20_000)],
        ),
        "corrupt",
    ),
    "empty.mp3": (b"", "empty"),
    "page.mp3": (b"<!DOCTYPE html><html><body>404</body></html>", "not-audio"),
}
LONG_NAME = "x" * 5000 + ".mp3"


def odd_but_fine() -> dict[str, Path]:
    """Files that bend the rules as real uploads do, and play: no warning each."""
    mp3 = encode(
        "cbr-no-id3.mp3", "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"
    )
    flac = encode("plain.flac", "-c:a", "flac")
    odd = mp3.parent
    (odd / "junk-first.mp3").write_bytes(b"\x00" * 3000 + mp3.read_bytes())
    tag = hostile.id3v2(hostile.id3_text_frame(b"TIT2", "Tagged"))
    (odd / "id3-first.flac").write_bytes(tag + flac.read_bytes())
    return {
        "junk-first.mp3": odd / "junk-first.mp3",
        "id3-first.flac": odd / "id3-first.flac",
        "rf64.wav": encode(
            "rf64.wav", "-c:a", "pcm_s16le", "-rf64", "always", "-f", "wav"
        ),
        "adpcm.wav": encode("ms-adpcm.wav", "-c:a", "adpcm_ms", "-f", "wav"),
    }


def player(src: str) -> str:
    return f'<audio controls src="{src}"></audio>'


def hostile_files(xss_clip: Path) -> dict[str, str | bytes | Path]:
    rows = "\n".join(
        f"| {name} | {player('/clips/' + name)} |" for name in sorted(BAD_CLIPS)
    )
    fine = odd_but_fine()
    fine_rows = "\n".join(
        f"| {name} | {player('/clips/' + name)} |" for name in sorted(fine)
    )
    nested = (
        "<table><tr><td>" * 200 + player("/clips/fine.mp3") + "</td></tr></table>" * 200
    )
    files: dict[str, str | bytes | Path] = {
        "xss.md": (
            "Title: Tags that bite\nDate: 2025-08-10\nTags: hostile\n\n"
            f"| Take | |\n|--|--|\n| Evil | {player('/clips/xss.mp3')} |\n\n"
            "Some words after the table.\n"
        ),
        "broken.md": (
            "Title: Broken clips\nDate: 2025-08-09\n\n"
            f"| Clip | |\n|--|--|\n{rows}\n"
            f"| Gone | {player('/clips/not-there.mp3')} |\n"
            f"| Long | {player('/clips/' + LONG_NAME)} |\n"
            f"| Speex | {player('/clips/speech.spx')} |\n"
        ),
        "odd.md": (
            "Title: Odd but fine\nDate: 2025-08-06\n\n"
            f"| Clip | |\n|--|--|\n{fine_rows}\n"
        ),
        "nested.html": (
            "<html><head><title>Nested</title>"
            '<meta name="date" content="2025-08-08"></head>'
            f"<body>{nested}</body></html>"
        ),
        "calm.md": "Title: A calm post\nDate: 2025-08-07\n\nNo clips here.\n",
        # Blind: the odd files beside a take with hostile tags, each row a trial
        # of matched copies (no warning); and a trial with a file of no audio,
        # left open (its clip's warning and the table's).
        "blind-odd.md": (
            "Title: Blind and odd\nDate: 2025-08-05\nAudiotable_blind: yes\n\n"
            "| | Take | Odd |\n|--|--|--|\n"
            + "\n".join(
                f"| {name} | {player('/clips/xss.mp3')} | {player('/clips/' + name)} |"
                for name in sorted(fine)
            )
            + "\n"
        ),
        "blind-broken.md": (
            "Title: Blind and broken\nDate: 2025-08-04\nAudiotable_blind: yes\n\n"
            f"| Take | Page |\n|--|--|\n"
            f"| {player('/clips/xss.mp3')} | {player('/clips/page.mp3')} |\n"
        ),
        "clips/xss.mp3": xss_clip,
        "clips/fine.mp3": xss_clip,
        "clips/speech.spx": encode(
            "speech.spx", "-c:a", "libspeex", "-ar", "16000", "-f", "ogg", rate=16000
        ),
    }
    files.update({f"clips/{name}": path for name, path in fine.items()})
    files.update({f"clips/{name}": data for name, (data, _) in BAD_CLIPS.items()})
    return files


#: One warning per bad clip, the missing one, the one with the long name, Speex,
#: and on the blind page of a broken clip: that clip's, and its table left open.
EXPECTED_PROBLEMS = len(BAD_CLIPS) + 3 + 2


@pytest.fixture(scope="module")
def xss_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("xss") / "xss.mp3"
    metadata = [arg for key, value in XSS_TAGS.items() for arg in ("-metadata", f"{key}={value}")]  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=2",
         *metadata, "-c:a", "libmp3lame", "-b:a", "64k", str(target)],
        check=True,
    )  # fmt: skip
    return target


THEMES = {
    "notmyidea": {},
    "simple": {"THEME": "simple"},
    "bundled": {"THEME": pelican_audiotable.theme_path(), "AUDIOTABLE_ASSETS": True},
}
FEEDS = {"FEED_ALL_ATOM": "feeds/all.atom.xml", "FEED_ALL_RSS": "feeds/all.rss.xml"}


@pytest.fixture(scope="module", params=sorted(THEMES))
def built(request, xss_clip: Path, tmp_path_factory: pytest.TempPathFactory):
    import logging

    from pelican.log import LimitFilter

    root = tmp_path_factory.mktemp(f"hostile-{request.param}")
    LimitFilter._raised_messages.clear()  # Pelican drops repeats across builds
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("pelican_audiotable").addHandler(handler)
    try:
        output = build_site(
            root, hostile_files(xss_clip), **THEMES[request.param], **FEEDS
        )
    finally:
        logging.getLogger("pelican_audiotable").removeHandler(handler)
    warnings = [r.getMessage() for r in records if r.levelno >= ADVICE]
    return request.param, root, output, warnings


def test_every_page_builds_with_one_warning_per_problem(built) -> None:
    _, _, output, said = built
    # The odd files beside a 2 s sine differ from it in length and bandwidth: the
    # fairness findings, advice on the originals, two a row. Their matched
    # copies leave no leak to report.
    unfair = [w for w in said if w.startswith("audiotable: blind-odd.md: table 1:")]
    assert len(unfair) == 2 * len(odd_but_fine()), unfair
    # Odd files of other music than the take's: the audit names the dynamics no
    # copy removes (peaks, clipping), and nothing else.
    leaks = [w for w in said if "blind-odd.md: blind table 1, trial" in w]
    for leak in leaks:
        cues = leak.split("without listening, by their ", 1)[1]
        assert all(c.startswith(("peaks", "clipping")) for c in cues.split("; ")), leak
    # One take against every odd file: heard again, it names itself.
    leaks += [w for w in said if "blind-odd.md: blind table 1: the take" in w]
    assert sum("knows it for the take that recurs" in w for w in leaks) == 1
    warnings = [w for w in said if w not in unfair and w not in leaks]
    assert len(warnings) == EXPECTED_PROBLEMS, "\n".join(warnings)
    for name in BAD_CLIPS:
        (one,) = [
            w
            for w in warnings
            if f"/clips/{name}'" in w and w.startswith("audiotable: broken.md")
        ]
        assert one.startswith("audiotable: broken.md: clip")
    blind = [w for w in warnings if "blind-" in w]
    assert len(blind) == 2 and all("blind-broken.md" in w for w in blind), blind
    assert any("could not be built" in w for w in blind)
    odd = (output / "blind-and-odd.html").read_text()
    assert odd.count('data-audiotable-trial="') == len(odd_but_fine())
    assert "Stand-in" not in odd and "alert" not in odd
    (long,) = [w for w in warnings if "xxxx" in w]
    assert len(long) < 700  # the name is cut in the message
    (speex,) = [w for w in warnings if "speech.spx" in w]
    assert speex.endswith("Speex in Ogg: browsers cannot play it; convert it to Opus")
    for slug in (
        "tags-that-bite",
        "broken-clips",
        "nested",
        "a-calm-post",
        "odd-but-fine",
        "blind-and-odd",
        "blind-and-broken",
    ):
        assert (output / f"{slug}.html").exists(), slug
    odd = BeautifulSoup((output / "odd-but-fine.html").read_text(), "html.parser")
    assert all(a.get("data-duration") for a in odd.find_all("audio"))


def test_broken_players_stay_as_written(built) -> None:
    _, _, output, _ = built
    page = BeautifulSoup((output / "broken-clips.html").read_text(), "html.parser")
    players = {a["src"]: a for a in page.find_all("audio")}
    for name, (_, kind) in BAD_CLIPS.items():
        audio = players[f"/clips/{name}"]
        if kind == "truncated":
            assert audio["data-truncated"] == "true"
        else:
            assert audio["data-audiotable-error"] == kind, name
    assert players["/clips/" + LONG_NAME]["data-audiotable-error"] == "missing"
    nested = BeautifulSoup((output / "nested.html").read_text(), "html.parser")
    assert len(nested.find_all("table")) == 200
    assert nested.find("audio")["data-duration"] == "2.000"


def pelican_content(root: Path, **settings: object) -> subprocess.CompletedProcess[str]:
    """``pelican content`` run as users run it, on the site laid out in ``root``."""
    conf = root / "pelicanconf.py"
    overrides = site_settings(root, **settings)
    conf.write_text("".join(f"{key} = {value!r}\n" for key, value in overrides.items()))
    return subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", str(conf)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_pelican_content_exits_0_and_strict_mode_fails(xss_clip: Path, tmp_path: Path):
    build_site(tmp_path, hostile_files(xss_clip))  # lays the files out
    calm = pelican_content(tmp_path)
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert (calm.stdout + calm.stderr).count("audiotable: broken.md") == len(
        BAD_CLIPS
    ) + 3
    strict = pelican_content(tmp_path, AUDIOTABLE_STRICT=True)
    said = strict.stdout + strict.stderr
    assert strict.returncode != 0
    # Each problem once, then one line that sums them up; no traceback.
    assert said.count("audiotable: broken.md") == len(BAD_CLIPS) + 3
    assert "the build fails:" in said and "AUDIOTABLE_STRICT" in said
    assert "Traceback" not in said and "pelican_audiotable/" not in said


def test_a_bad_setting_value_is_an_answer_not_a_crash(tmp_path: Path) -> None:
    build_site(tmp_path, {"post.md": "Title: Post\n\nNo clips."})
    run = pelican_content(tmp_path, AUDIOTABLE_PRELOAD="sometimes")
    said = " ".join((run.stdout + run.stderr).split())  # rich wraps long lines
    assert run.returncode != 0
    assert "audiotable: AUDIOTABLE_PRELOAD must be one" in said
    assert "'keep'), not 'sometimes'" in said
    assert "Traceback" not in said


def test_a_reader_bug_or_an_annotator_bug_fails_no_build(
    xss_clip: Path, tmp_path: Path, monkeypatch, warnings
) -> None:
    """A bug met on one file or one table: a warning, the rest of the site as ever."""
    from pelican_audiotable.annotate import tables as annotate
    from pelican_audiotable.learn.parsers import wav

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(wav, "parse", broken)
    calls = {"n": 0}
    original = annotate.annotate_table

    def fails_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RecursionError("maximum recursion depth exceeded")
        return original(*args, **kwargs)

    monkeypatch.setattr("pelican_audiotable.page.annotate_table", fails_once)
    # In this process, where the bugs are patched in (a spawned reader has none;
    # analysis would read in processes too).
    output = build_site(
        tmp_path,
        hostile_files(xss_clip),
        AUDIOTABLE_WORKERS=1,
        AUDIOTABLE_ANALYSIS=False,
    )
    said = warnings()
    assert any("wav-rate-0.wav" in w and "reader failed" in w for w in said)
    assert sum("could not be annotated" in w for w in said) == 1
    assert (output / "broken-clips.html").exists() and (output / "nested.html").exists()


def feed_entries(output: Path) -> list[str]:
    """The HTML of every entry of every feed, as a feed reader would show it."""
    entries = []
    for feed in (output / "feeds").glob("*.xml"):
        tree = ET.parse(feed)
        for element in tree.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            if tag in ("content", "summary", "description") and element.text:
                entries.append(element.text)
    return entries


@pytest.mark.browser
def test_chromium_runs_no_injected_script(built, browser) -> None:
    theme, _, output, _ = built
    fired: list[str] = []
    context = browser.new_context()
    tab = context.new_page()
    tab.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    assert "tags-that-bite.html" in pages and "index.html" in pages
    with serve(output) as url:
        for page in pages:
            tab.goto(f"{url}/{page}")
            tab.wait_for_load_state("load")
            tab.wait_for_timeout(30)
        entries = feed_entries(output)
        for entry in entries:
            tab.set_content(entry)
            tab.wait_for_timeout(30)
    context.close()
    assert fired == [], f"{theme}: scripts ran: {fired}"
    assert entries and any("‹" in entry for entry in entries)


def test_tag_text_survives_striptags_as_text(built) -> None:
    """What notmyidea writes into its description: the tags stay text."""
    theme, _, output, _ = built
    html = (output / "tags-that-bite.html").read_text()
    head = html.split("</head>", 1)[0]
    description = re.search(r'<meta name="description" content="([^"]*)"', head)
    if theme == "simple":
        assert description is None  # simple writes none without Description
        return
    assert description is not None
    # The summary shows the table as its teaser line: no tag reaches it at all.
    assert "<" not in description.group(1) and "▶ " in description.group(1)
    assert head.count("<img") == 0 and head.count("<svg") == 0
