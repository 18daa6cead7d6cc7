"""Real Pelican builds of small sites in temporary folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import html5lib
import pytest
from bs4 import BeautifulSoup

from pelican_audiotable.errors import StrictModeError
from tests.conftest import build_site, decoded_seconds, site_settings


def page(output: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((output / name).read_text(encoding="utf-8"), "html.parser")


def seed_post(clip_paths: list[str], *, status: str = "published", slug="seed") -> str:
    rows = "\n".join(
        f'| Take {i} | <audio controls preload="metadata"><source src="{src}" '
        f'type="audio/mpeg"></audio> |'
        for i, src in enumerate(clip_paths, 1)
    )
    return (
        f"Title: Human vs AI\nDate: 2025-08-10\nSlug: {slug}\nStatus: {status}\n\n"
        "Intro text.\n\n| Guitar Riff | |\n|:--|--|\n" + rows + "\n\nOutro.\n"
    )


def test_markdown_seed_table_gets_exact_durations(site, clips) -> None:
    output = site(
        {
            "music-generation/verse.mp3": clips["vbr-noheader-44k.mp3"],
            "music-generation/chorus.mp3": clips["vbr-xing-48k.mp3"],
            "posts/seed.md": seed_post(
                ["/music-generation/verse.mp3", "/music-generation/chorus.mp3"]
            ),
        }
    )
    soup = page(output, "seed.html")
    table = soup.find("table", class_="audiotable")
    players = table.find_all("audio")
    for player, name in zip(
        players, ["vbr-noheader-44k.mp3", "vbr-xing-48k.mp3"], strict=True
    ):
        truth = decoded_seconds(clips[name])
        assert float(player["data-duration"]) == pytest.approx(truth, abs=0.027)
        assert player["preload"] == "none"
    labels = [p.find_next(class_="audiotable-duration").get_text() for p in players]
    assert labels == [
        "0:11",
        "0:09.7",
    ]  # whole seconds cut, as players show; tenths under 10 s
    assert table.caption.get_text() == "2 clips · 0:20"
    assert (output / "music-generation" / "verse.mp3").exists()


def test_restructuredtext_tables(site, clips) -> None:
    rst = """Takes
#####

:date: 2025-08-10
:slug: takes

======== ==============================================
Section  Clip
======== ==============================================
Verse    `verse take <{static}/clips/verse.mp3>`_
Chorus   `{static}/clips/chorus.ogg <{static}/clips/chorus.ogg>`_
======== ==============================================

.. raw:: html

   <table><tr><th>Raw</th><td><audio controls src="/clips/chorus.ogg"></audio></td></tr></table>
"""
    output = site(
        {
            "clips/verse.mp3": clips["cbr-128-stereo-44k.mp3"],
            "clips/chorus.ogg": clips["vorbis-48k.ogg"],
            "takes.rst": rst,
        }
    )
    soup = page(output, "takes.html")
    tables = soup.find_all("table", class_="audiotable")
    assert len(tables) == 2
    verse = tables[0].find("audio")
    assert verse["src"] == "/clips/verse.mp3"  # Pelican rewrote {static}
    assert verse["data-duration"] == "7.300"
    assert verse["data-audiotable-row"] == "Verse"
    assert verse.a.get_text() == "verse take"
    assert "Vorbis" in tables[1].find(class_="audiotable-tech").get_text()


def test_drafts_pages_hidden_and_translations(site, clips) -> None:
    clip = (
        '<table><tr><td><audio controls src="/clips/a.mp3"></audio></td></tr></table>'
    )
    output = site(
        {
            "clips/a.mp3": clips["lameenc-mono-22k.mp3"],
            "draft.md": f"Title: Draft\nStatus: draft\nSlug: draft\n\n{clip}",
            "hidden.md": f"Title: Hidden\nStatus: hidden\nSlug: hidden\n\n{clip}",
            "post.md": f"Title: Post\nSlug: post\nLang: en\n\n{clip}",
            "post-fr.md": f"Title: Billet\nSlug: post\nLang: fr\n\n{clip}",
            "pages/about.md": f"Title: About\nSlug: about\n\n{clip}",
            "pages/hidden-page.md": f"Title: HP\nStatus: hidden\nSlug: hp\n\n{clip}",
        }
    )
    for name in [
        "drafts/draft.html",
        "hidden.html",
        "post.html",
        "post-fr.html",
        "pages/about.html",
        "pages/hp.html",
    ]:
        assert page(output, name).find("audio")["data-duration"] == "5.172", name


def test_broken_clips_warn_once_each_and_keep_the_player(site, clips, warnings):
    output = site(
        {
            "clips/ok.mp3": clips["cbr-128-stereo-44k.mp3"],
            "clips/empty.mp3": b"",
            "clips/html.mp3": b"<!doctype html><title>404</title>",
            "clips/cut.mp3": clips["vbr-xing-48k.mp3"].read_bytes()[:40_000],
            "post.md": seed_post(
                [
                    "/clips/ok.mp3",
                    "/clips/missing.mp3",
                    "/clips/empty.mp3",
                    "/clips/html.mp3",
                    "/clips/cut.mp3",
                ],
                slug="post",
            ),
        }
    )
    messages = warnings()
    assert len(messages) == 4, messages
    for clip in ["missing", "empty", "html", "cut"]:
        hits = [m for m in messages if f"/clips/{clip}.mp3" in m]
        assert len(hits) == 1 and "post.md" in hits[0], clip
    players = page(output, "post.html").find_all("audio")
    errors = [p.get("data-audiotable-error") for p in players]
    assert errors == [None, "missing", "empty", "not-audio", None]
    assert players[1]["preload"] == "metadata"  # as the author wrote it
    assert players[4]["data-truncated"] == "true"


def test_strict_mode_fails_the_build_with_the_same_problems(site, clips) -> None:
    with pytest.raises(StrictModeError, match="1 problem on 1 page") as failed:
        site(
            {"post.md": seed_post(["/clips/missing.mp3"], slug="post")},
            AUDIOTABLE_STRICT=True,
        )
    [problem] = failed.value.problems
    assert str(problem).startswith("post.md: clip '/clips/missing.mp3'")


def test_clip_outside_static_paths_is_reported_with_the_fix(site, clips, warnings):
    site(
        {
            "elsewhere/take.mp3": clips["cbr-128-stereo-44k.mp3"],
            "post.md": seed_post(["/elsewhere/take.mp3"], slug="post"),
        }
    )
    (message,) = warnings()
    assert "would 404" in message and "add 'elsewhere' to STATIC_PATHS" in message


def test_clip_paths_with_backslashes_play_as_browsers_read_them(
    site, clips, warnings
) -> None:
    """``clips\\take.mp3``, as pages written on Windows have it: every browser
    reads the backslash as a slash, and so does the plugin."""
    output = site(
        {
            "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
            "clips/b.mp3": clips["vbr-xing-48k.mp3"],
            "post.md": seed_post(["clips\\a.mp3", "\\clips\\b.mp3"], slug="post"),
        }
    )
    page = (output / "post.html").read_text()
    assert page.count("data-duration=") == 2
    assert "data-audiotable-error" not in page
    assert 'src="clips\\a.mp3"' in page  # as the author wrote it
    assert warnings() == []


def test_a_folder_missing_from_static_paths_is_one_warning(site, clips, warnings):
    site(
        {
            "elsewhere/a.mp3": clips["cbr-128-stereo-44k.mp3"],
            "elsewhere/b.mp3": clips["vbr-xing-48k.mp3"],
            "one.md": seed_post(["/elsewhere/a.mp3", "/elsewhere/b.mp3"], slug="one"),
            "two.md": seed_post(["/elsewhere/a.mp3"], slug="two"),
        }
    )
    assert warnings() == [
        "audiotable: 3 clips in the content folder elsewhere/ would 404 on the live "
        "site: it is not published (add 'elsewhere' to STATIC_PATHS); on one.md, "
        "two.md"
    ]


def test_a_misspelt_or_miscased_clip_name_gets_the_nearest(site, clips, warnings):
    site(
        {
            "clips/Verse-Take2.mp3": clips["cbr-128-stereo-44k.mp3"],
            "one.md": seed_post(["/clips/verse-take2.mp3"], slug="one"),
            "two.md": seed_post(["/clips/Verse-Tkae2.mp3"], slug="two"),
            "three.md": seed_post(["/clips/chorus.mp3"], slug="three"),
        },
        STATIC_PATHS=["clips"],
    )
    said = sorted(warnings())
    assert said[0].startswith("audiotable: one.md: clip '/clips/verse-take2.mp3'")
    assert said[0].endswith("did you mean /clips/Verse-Take2.mp3?")
    assert said[2].startswith("audiotable: two.md")
    assert said[2].endswith("did you mean /clips/Verse-Take2.mp3?")
    assert said[1].startswith("audiotable: three.md") and "did you mean" not in said[1]


def test_attach_moves_the_clip_beside_the_article(site, clips) -> None:
    output = site(
        {
            "posts/take.mp3": clips["cbr-128-stereo-44k.mp3"],
            "posts/post.md": seed_post(["{attach}take.mp3"], slug="post"),
        },
        ARTICLE_URL="2025/{slug}/",
        ARTICLE_SAVE_AS="2025/{slug}/index.html",
    )
    player = page(output, "2025/post/index.html").find("audio")
    assert player.source["src"] == "/2025/post/take.mp3"
    assert player["data-duration"] == "7.300"
    assert (output / "2025" / "post" / "take.mp3").exists()


def test_metadata_cache_notices_a_changed_clip(tmp_path: Path, clips) -> None:
    files = {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "post.md": seed_post(["/clips/a.mp3"], slug="post"),
    }
    output = build_site(tmp_path, files)
    assert page(output, "post.html").audio["data-duration"] == "7.300"
    assert (tmp_path / "cache" / "audiotable" / "clips.json").exists()
    shutil.copyfile(clips["vbr-xing-48k.mp3"], tmp_path / "content" / "clips" / "a.mp3")
    output = build_site(tmp_path, {})
    assert page(output, "post.html").audio["data-duration"] == "9.700"


def test_pelican_content_cache_never_serves_stale_or_double_annotations(
    tmp_path: Path, clips
) -> None:
    files = {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "post.md": seed_post(["/clips/a.mp3"], slug="post"),
    }
    cached = {
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        "CONTENT_CACHING_LAYER": "generator",
    }
    first = (build_site(tmp_path, files, **cached) / "post.html").read_text()
    second = (build_site(tmp_path, {}, **cached) / "post.html").read_text()
    assert first == second
    assert second.count("audiotable-caption") == 1
    shutil.copyfile(clips["vbr-xing-48k.mp3"], tmp_path / "content" / "clips" / "a.mp3")
    third = page(build_site(tmp_path, {}, **cached), "post.html")
    assert third.audio["data-duration"] == "9.700"


def test_feeds_and_summaries_stay_valid_with_durations_as_text(site, clips) -> None:
    output = site(
        {
            "clips/a.mp3": clips["hostile-tags.mp3"],
            "post.md": seed_post(["/clips/a.mp3"] * 3, slug="post"),
        },
        SITEURL="https://example.org",
        FEED_ALL_ATOM="feeds/all.atom.xml",
        FEED_ALL_RSS="feeds/all.rss.xml",
        SUMMARY_MAX_LENGTH=12,
    )
    atom = ElementTree.parse(output / "feeds" / "all.atom.xml")
    content = atom.find(".//{http://www.w3.org/2005/Atom}content").text
    html5lib.HTMLParser(strict=True).parseFragment(content)
    assert "0:03.3" in content and "<script>alert" not in content
    assert "<audio controls" in content
    ElementTree.parse(output / "feeds" / "all.rss.xml")
    index = (output / "index.html").read_text()
    html5lib.HTMLParser(strict=True).parse(index)


def test_theme_templates_get_the_tables_and_the_filters(tmp_path: Path, clips) -> None:
    """Cold, and warm where the tables come undecoded from the page store."""
    from pelican_audiotable.plugin import signals

    templates = tmp_path / "overrides"
    templates.mkdir()
    (templates / "article.html").write_text(
        '{% extends "!simple/article.html" %}{% block content %}'
        '<p id="summary">{{ article|audiotable_summary }}</p>'
        '<p id="total">{{ article.audiotables[0].duration|audiotable_duration }}</p>'
        '<p id="count">{{ article.audiotables|length }}</p>'
        '<p id="path">{{ article.audiotables[0].clips[0].metadata.path }}</p>'
        "{{ super() }}{% endblock %}"
    )
    files = {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "clips/b.mp3": clips["vbr-xing-48k.mp3"],
        "post.md": seed_post(["/clips/a.mp3", "/clips/b.mp3"], slug="post"),
    }
    for build, files_to_add in enumerate((files, {})):
        output = build_site(
            tmp_path, files_to_add, THEME_TEMPLATES_OVERRIDES=[str(templates)]
        )
        assert signals.last_build().pages_served == build
        soup = page(output, "post.html")
        assert soup.find(id="summary").get_text() == "2 clips · 0:17"
        assert soup.find(id="total").get_text() == "0:17"
        assert soup.find(id="count").get_text() == "1"
        # Where the clip lies in the site, never on the author's machine.
        assert soup.find(id="path").get_text() == "clips/a.mp3"
        assert str(tmp_path) not in (output / "post.html").read_text()


def test_plugin_is_found_when_plugins_is_unset(tmp_path: Path, clips) -> None:
    from pelican.plugins._utils import get_namespace_plugins

    # Signals are global, so the build alone cannot tell how the plugin came in.
    assert "pelican.plugins.audiotable" in get_namespace_plugins()
    output = build_site(
        tmp_path,
        {
            "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
            "post.md": seed_post(["/clips/a.mp3"], slug="post"),
        },
        PLUGINS=None,
    )
    assert page(output, "post.html").audio["data-duration"] == "7.300"


def test_warm_build_serves_pages_from_the_cache_and_still_warns(
    tmp_path: Path, clips, warnings
) -> None:
    from pelican.log import LimitFilter

    from pelican_audiotable.plugin import signals

    files = {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "good.md": seed_post(["/clips/a.mp3"], slug="good"),
        "bad.md": seed_post(["/clips/gone.mp3"], slug="bad"),
    }
    cold = (build_site(tmp_path, files) / "good.html").read_text()
    assert (signals.last_build().pages_served, signals.last_build().clips_read) == (
        0,
        1,
    )
    assert len(warnings()) == 1
    LimitFilter._raised_messages.clear()  # Pelican says a warning once a process
    warm = (build_site(tmp_path, {}) / "good.html").read_text()
    assert warm == cold
    assert signals.last_build().pages_served == 2  # neither parsed again…
    assert signals.last_build().clips_read == 0
    assert len(warnings()) == 2  # …and bad.md's warning said again
    LimitFilter._raised_messages.clear()
    build_site(tmp_path, {"clips/gone.mp3": clips["cbr-128-stereo-44k.mp3"]})
    assert (
        signals.last_build().pages_served == 1
    )  # the clip came: bad.md annotated anew
    assert len(warnings()) == 2  # with nothing to warn about
    assert "audiotable-caption" in (tmp_path / "output" / "bad.html").read_text()


def test_a_warm_build_loads_no_parser_and_no_clip_reader(tmp_path: Path, clips) -> None:
    """Served from the page store, a build parses no HTML and reads no clip, so the
    libraries that do (most of a warm build's plugin time, to import) stay unloaded;
    pages without audio tables are passed over without them too."""
    files = {
        "clips/a.mp3": clips["vbr-noheader-44k.mp3"],
        "good.md": seed_post(["/clips/a.mp3"], slug="good"),
        "words.md": "Title: Words\n\n| Just | words |\n|---|---|\n| a | b |\n",
    }
    cold = (build_site(tmp_path, files) / "good.html").read_text()
    warm_build = (
        "import json, sys\n"
        "from pelican import Pelican\n"
        "from pelican.settings import read_settings\n"
        "Pelican(read_settings(path=None, override=json.loads(sys.argv[1]))).run()\n"
        "loaded = ('pelican_audiotable.markup.tree', 'mutagen', 'pelican_audiotable.learn.metadata')\n"
        "print(json.dumps([m for m in loaded if m in sys.modules]))\n"
    )
    settings = json.dumps(site_settings(tmp_path))
    run = subprocess.run(
        [sys.executable, "-c", warm_build, settings],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout.splitlines()[-1]) == []
    assert (tmp_path / "output" / "good.html").read_text() == cold


def test_foreign_theme_pages_link_the_assets_only_where_needed(site, clips) -> None:
    output = site(
        {
            "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
            "takes.md": "Title: Takes\nSlug: takes\n\n| A |\n|---|\n"
            "| [a](/clips/a.mp3) |\n",
            "words.md": "Title: Words\nSlug: words\n\nNo audio here.\n",
        },
        THEME="notmyidea",
        AUDIOTABLE_ASSETS=True,
        RELATIVE_URLS=True,
        ARTICLE_SAVE_AS="posts/{slug}.html",
        ARTICLE_URL="posts/{slug}.html",
    )
    takes = (output / "posts" / "takes.html").read_text(encoding="utf-8")
    head = takes[: takes.index("</head>")]
    assert head.count('href="../theme/audiotable/audiotable.css"') == 1
    assert head.count('src="../theme/audiotable/audiotable.js"') == 1
    assert "audiotable.css" not in (output / "posts" / "words.html").read_text()
    # The index shows the table too, so it links them, once, relative to itself.
    index = (output / "index.html").read_text(encoding="utf-8")
    assert index.count('href="./theme/audiotable/audiotable.css"') == 1
    assert (output / "theme" / "audiotable" / "audiotable.css").exists()


def test_a_pool_of_processes_gives_the_same_site_as_one_process(
    tmp_path: Path, clips, warnings
) -> None:
    """Clips are learnt in a pool of spawned processes when there are many; the
    site is the one a single process builds, and its warnings the same."""
    from pelican.log import LimitFilter

    from pelican_audiotable.plugin import signals

    names = sorted(clips)
    files: dict[str, str | bytes | Path] = {
        f"clips/{name}": clips[name] for name in names
    }
    for copy in range(2):  # the same contents under other names: read once
        for name in names:
            files[f"clips/copy{copy}-{name}"] = clips[name]
    for number in range(12):
        takes = [f"/clips/{names[(number + k) % len(names)]}" for k in range(2)]
        takes += [f"/clips/copy{number % 2}-{names[number % len(names)]}"]
        if number == 7:
            takes.append("/clips/gone.mp3")
        files[f"post-{number}.md"] = seed_post(takes, slug=f"post-{number}")
    files["words.md"] = "Title: Words\nSlug: words\n\nNo tables.\n"

    def build(folder: str, workers: int, content: dict = files) -> dict[str, str]:
        LimitFilter._raised_messages.clear()
        output = build_site(tmp_path / folder, content, AUDIOTABLE_WORKERS=workers)
        return {p.name: p.read_text() for p in output.glob("*.html")}

    alone = build("alone", 1)
    alone_warnings = warnings()
    assert signals.last_build().clips_read == len(names)  # one read per content
    pooled = build("pooled", 2)
    assert pooled == alone
    assert "gone.mp3" in alone_warnings[0]
    assert warnings()[len(alone_warnings) :] == alone_warnings
    assert signals.last_build().clips_read == len(names)
    pooled_warm = build("pooled", 2, content={})
    assert pooled_warm == alone
    assert (signals.last_build().clips_read, signals.last_build().pages_served) == (
        0,
        12,
    )


def test_bundled_theme_warm_build_is_the_cold_one(tmp_path: Path, clips) -> None:
    """The theme's clip badges read every page's tables: from the page store, still
    undecoded JSON, they must give the same site."""
    from pelican_audiotable import theme_path
    from pelican_audiotable.plugin import signals

    files = {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "clips/b.mp3": clips["vbr-noheader-44k.mp3"],
        "one.md": seed_post(["/clips/a.mp3", "/clips/b.mp3"], slug="one"),
        "two.md": seed_post(["/clips/b.mp3"], slug="two"),
        "words.md": "Title: Words\nSlug: words\n\nNo clips.\n",
    }

    def build(files_to_add: dict) -> dict[str, str]:
        output = build_site(tmp_path, files_to_add, THEME=theme_path())
        return {
            str(p.relative_to(output)): p.read_text() for p in output.rglob("*.html")
        }

    cold = build(files)
    warm = build({})
    assert signals.last_build().pages_served == 2
    assert warm == cold
    assert "2 clips ·" in cold["index.html"] and "1 clip ·" in cold["index.html"]


@pytest.mark.parametrize("theme", ["bundled", "default"])
def test_the_readme_snippet_builds_under_either_theme(tmp_path: Path, clips, theme):
    """The README's pelicanconf.py, as written, under the bundled theme and, with
    its THEME line left out, under Pelican's default: a clean build."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    snippet = readme.split("```python\n# pelicanconf.py\n", 1)[1].split("```", 1)[0]
    if theme == "default":
        snippet = "\n".join(
            line for line in snippet.splitlines() if not line.startswith("THEME")
        )
    content = tmp_path / "content"
    (content / "clips").mkdir(parents=True)
    shutil.copyfile(clips["cbr-128-stereo-44k.mp3"], content / "clips" / "a.mp3")
    (content / "post.md").write_text(seed_post(["/clips/a.mp3"], slug="post"))
    (tmp_path / "pelicanconf.py").write_text(
        snippet + '\nSTATIC_PATHS = ["clips"]\nTIMEZONE = "UTC"\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "pelican", "content", "--fatal", "errors"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "output" / "post.html").exists()
    assert (tmp_path / "output" / "404.html").exists() == (theme == "bundled")


def test_a_summary_never_cuts_an_audio_table(tmp_path: Path, clips) -> None:
    """Pelican cuts summaries at 50 words, which once landed inside a table under a
    caption counting clips it no longer showed: each table is now a teaser line."""
    words = " ".join(f"word{n}" for n in range(20))
    rows = "\n".join(f"| take {n} | [t](/clips/{n}.mp3) |" for n in range(7))
    output = build_site(
        tmp_path,
        {
            **{f"clips/{n}.mp3": clips["cbr-128-stereo-44k.mp3"] for n in range(7)},
            "post.md": f"Title: Takes\nSlug: takes\nDate: 2025-01-01\n\n{words} "
            "[the newer one]({filename}/newer.md)\n\n"
            f"| Take | Clip |\n|---|---|\n{rows}\n\n{words} {words}\n",
            # The newest article is shown whole on notmyidea's index; the rest
            # by their summaries.
            "newer.md": "Title: Newer\nDate: 2025-02-01\n\nNo clips here.\n",
        },
        RSS_FEED_SUMMARY_ONLY=True,
        FEED_ALL_RSS="feeds/all.rss.xml",
    )
    index = page(output, "index.html")
    assert index.find("table") is None
    teaser = index.select_one("p.audiotable-teaser a")
    assert teaser is not None and teaser.get_text() == "▶ 7 clips · 0:51"
    assert teaser["href"].endswith("takes.html")
    link = teaser.find_previous("a", string="the newer one")  # rewritten by Pelican
    assert link is not None and link["href"].endswith("newer.html"), link
    feed = (output / "feeds" / "all.rss.xml").read_text()
    assert "&lt;table" not in feed and "audiotable-teaser" in feed
    assert "word19" in feed  # words after the table still count towards the cut


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_site_without_audio_tables_is_written_as_if_the_plugin_were_not_there(
    tmp_path: Path, clips
) -> None:
    """Pages, feeds and files alike: no asset is published that no page links."""
    files = {
        "clips/podcast.mp3": clips["cbr-128-stereo-44k.mp3"],
        "post.md": "Title: Words\nDate: 2025-01-01\n\n| Just | words |\n|---|---|\n"
        "| a | [the episode](/clips/podcast.mp3) and more |\n",
    }
    feeds = {
        "FEED_ALL_ATOM": "feeds/all.atom.xml",
        "THEME": "notmyidea",
        "AUDIOTABLE_ASSETS": True,
    }
    without = build_site(tmp_path / "without", files, PLUGINS=[], **feeds)
    plain = build_site(tmp_path / "with", files, **feeds)
    assert _tree(plain) == _tree(without)
    files["table.md"] = seed_post(["/clips/podcast.mp3"], slug="table")
    output = build_site(tmp_path / "tables", files, **feeds)
    assert (output / "theme" / "audiotable" / "audiotable.css").is_file()
    assert (output / "theme" / "audiotable" / "audiotable.js").is_file()
