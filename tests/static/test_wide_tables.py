"""The shapes research demo pages publish, in Chromium: wide tables (4-5 clip
columns, 10-16 rows), rows with repeated or no labels, two clips in a cell, under
notmyidea (which clips overflow), simple and the bundled theme, on a desktop and a
phone. Every audio table stays inside its theme's content box, the page never
scrolls sideways, and every player is reachable and usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from pelican_audiotable import theme_path
from tests.conftest import build_site, serve

SYSTEMS = ["Ground truth", "Baseline A", "Baseline B", "Ours", "Ours (large)"]


def paper_demo(rows: int, columns: int) -> str:
    """One row per example, one column per system; the label repeats ("L"/"H")."""
    head = "| Prompt | " + " | ".join(SYSTEMS[:columns]) + " |\n"
    head += "|---" * (columns + 1) + "|\n"
    body = ""
    for row in range(rows):
        cells = [
            f'<audio controls src="/samples/{(row + column) % 3}.mp3"></audio>'
            for column in range(columns)
        ]
        body += f"| {'LH'[row % 2]} | " + " | ".join(cells) + " |\n"
    return head + body


SEPARATION = "| Mixture | Oracle | Ours |\n|---|---|---|\n" + "".join(
    '| <audio controls src="/samples/0.mp3"></audio> | '
    '<audio controls src="/samples/1.mp3"></audio><br>'
    '<audio controls src="/samples/2.mp3"></audio> | '
    '<audio controls src="/samples/2.mp3"></audio><br>'
    '<audio controls src="/samples/1.mp3"></audio> |\n'
    for _ in range(6)
)
NO_LABELS = "| Source | Target | Converted |\n|---|---|---|\n" + "".join(
    '| <audio controls src="/samples/0.mp3"></audio> | '
    '<audio controls src="/samples/1.mp3"></audio> | '
    '<audio controls src="/samples/2.mp3"></audio> |\n'
    for _ in range(4)
)
POST = (
    "Title: Demo\nSlug: demo\nDate: 2025-01-01\n\nSome words before the tables.\n\n"
    + paper_demo(10, 4)
    + "\n\n"
    + paper_demo(16, 5)
    + "\n\n"
    + SEPARATION
    + "\n\n"
    + NO_LABELS
    + "\n\n<!-- audiotable-blind -->\n\n"
    + paper_demo(2, 4)  # blind rows of four clips: seek bars of 14 px before
    # 12 rows of 5 with a 48 kHz clip among 44.1 kHz ones: the note under it
    # spanned 1,000 columns and grew the table with every row.
    + "\n\n<!-- audiotable-fairness-note -->\n\n"
    + paper_demo(12, 5).replace("/samples/2.mp3", "/samples/wide.mp3")
)

MEASURE = """() => {
  const tables = [...document.querySelectorAll("table.audiotable")];
  return {
    page: document.documentElement.scrollWidth - window.innerWidth,
    notes: document.querySelectorAll("tfoot.audiotable-fairness").length,
    tables: tables.map((table) => {
      const box = table.getBoundingClientRect();
      const content = table.parentElement.getBoundingClientRect();
      const players = [...table.querySelectorAll(".audiotable-player")].map((p) => {
        const bar = p.querySelector("input[type=range]").getBoundingClientRect();
        const wave = p.closest("td").querySelector("svg.audiotable-seekable");
        const time = p.querySelector(".audiotable-time").getBoundingClientRect();
        const overlaps =
          time.width > 0 &&
          time.left < bar.right && bar.left < time.right &&
          time.top < bar.bottom && bar.top < time.bottom;
        return { bar: bar.width, overlaps, wave: wave ? wave.getBoundingClientRect().width : 0 };
      });
      return {
        over: box.right - content.right,
        left: box.left - content.left,
        scrollable: table.scrollWidth > table.clientWidth + 1,
        scrolls: ["auto", "scroll"].includes(getComputedStyle(table).overflowX),
        reach: table.scrollWidth,
        dense: table.classList.contains("audiotable-dense"),
        players,
      };
    }),
  };
}"""

TOOLS = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  over: [...document.querySelectorAll(".audiotable-tools")].map((tools) =>
    tools.getBoundingClientRect().right - tools.parentElement.getBoundingClientRect().right),
  links: document.querySelectorAll("button.audiotable-link").length,
})"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory, clips) -> dict[str, Path]:
    files = {
        **{f"samples/{n}.mp3": clips["cbr-128-stereo-44k.mp3"] for n in range(3)},
        "samples/wide.mp3": clips["vbr-xing-48k.mp3"],
        "demo.md": POST,
    }
    built = {}
    for theme in ("notmyidea", "simple", "bundled"):
        root = tmp_path_factory.mktemp(theme)
        built[theme] = build_site(
            root,
            files,
            THEME=theme_path() if theme == "bundled" else theme,
            AUDIOTABLE_ASSETS=True,
            STATIC_PATHS=["samples"],
        )
    return built


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("theme", ["notmyidea", "simple", "bundled"])
def test_wide_tables_stay_in_their_column_and_every_player_is_usable(
    browser, sites: dict[str, Path], theme: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    try:
        with serve(sites[theme]) as url:
            tab.goto(url + "/demo.html")
            tab.wait_for_selector("table.audiotable-enhanced")
            measured = tab.evaluate(MEASURE)
            # With every control the reader can bring up: a loop said in the
            # status line, "Copy link", the spectrograms.
            wide = tab.locator("table.audiotable").last
            wide.locator(".audiotable-player button").first.click()
            wide.focus()
            tab.keyboard.press("[")
            tab.wait_for_timeout(600)
            tab.keyboard.press("]")
            for view in tab.locator("button.audiotable-view").all():
                view.click()
            tools = tab.evaluate(TOOLS)
    finally:
        context.close()
    print(
        theme,
        width,
        [
            (
                round(t["over"]),
                t["reach"],
                min((p["bar"] for p in t["players"]), default=0),
            )
            for t in measured["tables"]
        ],
    )
    assert measured["page"] <= 0, "the page scrolls sideways"
    assert len(measured["tables"]) == 6
    assert measured["notes"] == 1  # the unfair table's note is there, and measured
    for table in measured["tables"]:
        assert table["over"] <= 1 and table["left"] >= -1, table
        if table["scrollable"]:  # every player reachable: the box scrolls itself
            assert table["scrolls"], table
        assert len(table["players"]) in (40, 80, 30, 12, 8, 60)
        for player in table["players"]:
            # A hand's seek control: the bar, or in a dense grid the waveform
            # (the bar shows when a key reaches it).
            seeks = max(player["bar"], player["wave"] if table["dense"] else 0)
            assert seeks >= 120, player
            assert not player["overlaps"], player
    assert tools["links"] == 1 and tools["page"] <= 0, tools
    assert all(over <= 1 for over in tools["over"]), tools


#: A paper's grid: ten examples, five systems, each clip a minute long.
GRID = (
    "Title: Grid\nSlug: grid\nDate: 2025-01-01\n\nA grid of takes.\n\n"
    + ("| Example | " + " | ".join(SYSTEMS) + " |\n" + "|---" * 6 + "|\n")
    + "".join(
        f"| {row + 1} | "
        + " | ".join(f"[t](/minute/{row}-{c}.mp3)" for c in range(5))
        + " |\n"
        for row in range(10)
    )
)

GRID_MEASURE = """() => {
  const table = document.querySelector("table.audiotable");
  return {
    screens: table.getBoundingClientRect().height / window.innerHeight,
    page: document.documentElement.scrollWidth - window.innerWidth,
    scrollable: table.scrollWidth > table.clientWidth + 1,
    classes: [...table.classList],
    shared: [...table.querySelectorAll("tfoot tr.audiotable-shared")].map((r) => r.textContent),
    techs: table.querySelectorAll(".audiotable-caption .audiotable-tech").length,
  };
}"""


@pytest.fixture(scope="module")
def grids(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The grid under each theme, dense (the default for it) and not."""
    import subprocess

    minute = tmp_path_factory.mktemp("minute") / "minute.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=330:d=60",
         "-ac", "1", "-b:a", "128k", str(minute)],
        check=True,
    )  # fmt: skip
    files: dict[str, str | bytes | Path] = {
        f"minute/{row}-{c}.mp3": minute for row in range(10) for c in range(5)
    }
    files["grid.md"] = GRID
    built = {}
    for theme in ("notmyidea", "simple", "bundled"):
        for dense in ("auto", "never"):
            built[theme, dense] = build_site(
                tmp_path_factory.mktemp(f"{theme}-{dense}"),
                files,
                THEME=theme_path() if theme == "bundled" else theme,
                AUDIOTABLE_ASSETS=True,
                AUDIOTABLE_DENSE=dense,
                STATIC_PATHS=["minute"],
            )
    return built


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("theme", ["notmyidea", "simple", "bundled"])
def test_a_dense_grid_reads_at_a_glance(
    browser, grids: dict[tuple[str, str], Path], theme: str, width: int
) -> None:
    """A 10x5 grid of one-minute clips: compact cards, their shared facts said
    once under the table, at most half the height it had, the page never
    scrolling sideways, and a wide box that scrolls saying so at its edge."""
    from tests.static.test_browser import SCREENSHOTS

    measured = {}
    for dense in ("never", "auto"):
        context = browser.new_context(viewport={"width": width, "height": 800})
        tab = context.new_page()
        try:
            with serve(grids[theme, dense]) as url:
                tab.goto(url + "/grid.html")
                tab.wait_for_selector("table.audiotable-enhanced")
                measured[dense] = tab.evaluate(GRID_MEASURE)
                if dense == "auto":
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    shot = SCREENSHOTS / f"grid-{theme}-{width}.png"
                    tab.screenshot(path=str(shot), full_page=True)
                    if measured[dense]["scrollable"]:
                        tab.evaluate(
                            "() => { const t = document.querySelector('table.audiotable');"
                            " t.scrollLeft = t.scrollWidth; }"
                        )
                        tab.wait_for_timeout(100)
                        measured["scrolled"] = tab.evaluate(GRID_MEASURE)
        finally:
            context.close()
    before, after = measured["never"], measured["auto"]
    print(
        f"{theme} {width}px: {before['screens']:.2f} screens before, "
        f"{after['screens']:.2f} dense; sideways box: {after['scrollable']}"
    )
    assert before["page"] <= 0 and after["page"] <= 0, "the page scrolls sideways"
    assert "audiotable-dense" in after["classes"]
    [shared] = after["shared"]
    assert shared.startswith("Every clip: MP3 · 128 kbps · 44.1 kHz mono")
    assert after["techs"] == 0 and before["techs"] == 50
    assert after["screens"] <= before["screens"] / 2 + 0.05 or width == 375
    assert after["screens"] < before["screens"]
    if after["scrollable"]:  # more columns to the right: the edge says so
        assert "audiotable-more-after" in after["classes"]
        scrolled = measured["scrolled"]["classes"]
        assert "audiotable-more-before" in scrolled
        assert "audiotable-more-after" not in scrolled
    else:
        assert not {"audiotable-more-after", "audiotable-more-before"} & set(
            after["classes"]
        )
