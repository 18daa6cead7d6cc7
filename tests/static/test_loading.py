"""A page loads the script's modules and stylesheets it uses, and no other: the
blind tables' code and stylesheet only where a blind table is, the links' only
when the address names a moment or the reader plays, same-sample switching only
at a row's first switch. Under a theme of the site's own (``simple``) and the
bundled one, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pelican_audiotable import theme_path
from tests.conftest import build_site, serve

pytestmark = pytest.mark.browser

TABLE = (
    "| Take | Human | AI |\n|---|---|---|\n"
    "| Verse | [h](/clips/h.mp3) | [a](/clips/a.mp3) |\n"
)
PAGES = {
    "open.md": f"Title: Open\nSlug: open\n\n{TABLE}",
    "blind.md": f"Title: Blind\nSlug: blind\nAudiotable_blind: yes\n\n{TABLE}",
}
OPEN_MODULES = {
    "audiotable.js", "clock.js", "clips.js", "loops.js", "engine.js",
    "controls.js", "matching.js",
}  # fmt: skip
BLIND_MODULES = {
    "blind/tables.js",
    "blind/shuffle.js",
    "blind/stats.js",
    "blind/tokens.js",
}


@pytest.fixture(scope="module", params=["simple", "bundled"])
def site(request, tmp_path_factory, clips) -> Iterator[str]:
    root = tmp_path_factory.mktemp(f"loading-{request.param}")
    theme = theme_path() if request.param == "bundled" else "simple"
    files: dict[str, str | bytes | Path] = {
        "clips/h.mp3": clips["cbr-128-stereo-44k.mp3"],
        "clips/a.mp3": clips["vbr-xing-48k.mp3"],
        **PAGES,
    }
    output = build_site(
        root, files, THEME=theme, AUDIOTABLE_ANALYSIS=False, AUDIOTABLE_ASSETS=True
    )
    with serve(output) as url:
        yield url


def loaded(tab) -> set[str]:
    """The script's modules and stylesheets the page has asked for, by name."""
    names = set()
    for address in tab.requests:
        path = urlparse(address).path
        if "/audiotable/" in path and path.endswith((".js", ".css")):
            names.add(path.split("/audiotable/", 1)[1])
    return names


def no_errors(tab) -> None:
    """Nothing failed but the favicon ``simple`` asks for and the site lacks."""
    assert [u for u in tab.failed if not u.endswith("favicon.ico")] == []
    assert [e for e in tab.console_errors if "404" not in e] == []


def test_a_page_of_open_tables_loads_no_blind_code(tab, site: str) -> None:
    tab.goto(site + "/open.html", wait_until="networkidle")
    assert loaded(tab) == OPEN_MODULES | {"audiotable.css"}
    tab.locator(".audiotable-player button").first.click()
    tab.wait_for_selector(".audiotable-link")  # "Copy link", once it played
    assert "links.js" in loaded(tab)
    no_errors(tab)


def test_a_page_with_a_blind_table_loads_its_code(tab, site: str) -> None:
    tab.goto(site + "/blind.html", wait_until="networkidle")
    assert tab.locator("[data-audiotable-choice]").count() == 2
    names = loaded(tab)
    assert names >= OPEN_MODULES | BLIND_MODULES | {"audiotable-blind.css"}
    assert "links.js" not in names and "voices.js" not in names
    no_errors(tab)


def test_a_link_to_a_moment_loads_the_links(tab, site: str) -> None:
    tab.goto(site + "/open.html#t=1,2", wait_until="networkidle")
    assert "links.js" in loaded(tab)
    said = tab.locator(".audiotable-tools .audiotable-said").first
    assert said.inner_text().startswith("Looping 0:01.0 to 0:02.0 in the row of")
    no_errors(tab)


@pytest.mark.parametrize("fragment", ["#%", "#%E0%A4%A&t=1", "#t=%zz,1"])
def test_a_malformed_address_stops_no_later_link(tab, site: str, fragment: str) -> None:
    """A fragment that is no valid escape is passed over, and the links the
    reader follows after it still work."""
    tab.goto(site + "/open.html" + fragment, wait_until="networkidle")
    tab.evaluate("location.hash = '#t=1,2'")
    said = tab.locator(".audiotable-tools .audiotable-said").first
    said.wait_for(state="attached")
    tab.wait_for_function(
        "() => document.querySelector('.audiotable-said').textContent"
        ".startsWith('Looping')"
    )
    assert said.inner_text().startswith("Looping 0:01.0 to 0:02.0")
    no_errors(tab)
