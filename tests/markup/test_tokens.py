"""HTML read as browsers read it: what is not a table to a browser is never touched,
and a tag's attributes are the ones the standard's parser finds."""

from __future__ import annotations

import html5lib
import pytest

from pelican_audiotable.find.tables import scan_page
from pelican_audiotable.markup.tokens import attributes, raw_text_end
from pelican_audiotable.markup.tree import parse, serialize
from tests import fuzz_markup
from tests.fuzz_markup import PAGE, SETTINGS, SITE, process_page, read

TABLE = (
    '<table><tr><th>Verse</th><td><audio src="/clips/a.mp3"></audio></td></tr></table>'
)


def annotated(page: str) -> str:
    return process_page(page, PAGE, SITE, read, SETTINGS).html


@pytest.mark.parametrize(
    "hidden",
    [
        f"<script>const page = `{TABLE}`;</script>",
        f"<SCRIPT type=module>document.body.innerHTML = '{TABLE}'</SCRIPT >",
        f"<script><!--<script>{TABLE}</script>{TABLE}--></script>",
        f"<style>/* {TABLE} */</style>",
        f"<textarea>{TABLE}</textarea>",
        f"<title>{TABLE}</title>",
        f"<template>{TABLE}</template>",
        f"<template><div><template></template>{TABLE}</div></template>",
        f"<noscript>{TABLE}</noscript>",
        f"<xmp>{TABLE}</xmp>",
        f"<iframe>{TABLE}</iframe>",
        f"<!-- {TABLE} -->",
        f"<!-- a -- {TABLE} -- b -->",
        f'<p title="{TABLE}">x</p>',
        f"<p title='{TABLE}'>x</p>",
        f"<plaintext>{TABLE}",
    ],
)
def test_what_a_browser_does_not_read_as_a_table_is_never_touched(hidden: str) -> None:
    assert annotated(hidden) == hidden
    # …and a real table after it still is (unless nothing after it is markup).
    after = annotated(f"{hidden}\n{TABLE}")
    if "plaintext" not in hidden:
        assert after.startswith(hidden) and "audiotable-caption" in after


@pytest.mark.parametrize(
    "unsure",
    [
        f"<![CDATA[ {TABLE} ]]>",
        f"<svg><![CDATA[ x> ]]></svg>{TABLE}",
        f"<svg><style><!--</style></svg>{TABLE}-->",
    ],
)
def test_markup_read_otherwise_in_svg_leaves_the_rest_as_written(unsure: str) -> None:
    result = process_page(unsure + TABLE, PAGE, SITE, read, SETTINGS)
    assert result.html == unsure + TABLE
    [problem] = result.problems
    assert "line 1" in problem.message and "left as written" in problem.message


def test_comments_end_where_browsers_end_them() -> None:
    for comment in ("<!-->", "<!--->", "<!-- x --!>", "<!---->"):
        assert "audiotable-caption" in annotated(comment + TABLE), comment


@pytest.mark.parametrize(
    "tag",
    [
        '<audio title=it"s onfocus="x">',
        '<audio title=it"s>text "onloadstart=alert(1) x="',
        '<audio a"b="c" d=\'e\'>',
        "<audio a<b=c src=x.mp3>",
        '<audio =x="y" /z=1 src=a.mp3>',
        '<audio src="a.mp3"title="t"preload=auto>',
        "<audio src = 'a.mp3' controls / >",
        '<audio SRC="A.mp3" src="b.mp3" Title=T>',
        '<audio data-x="?a=1&copy=2&amp;b&notit;&not &lt&ampx &#x41;&#65">',
        "<audio title=>",
        '<audio title="a>b">',
        "<audio\ttitle\n=\f'x'\r>",
    ],
)
def test_attributes_are_the_ones_the_standard_finds(tag: str) -> None:
    expected = html5lib.parseFragment(tag + "</audio>", namespaceHTMLElements=False)
    [element] = expected.iter("audio")
    assert attributes(tag[: tag.index(">", _end_of_tag(tag)) + 1]) == dict(
        element.attrib
    )


def _end_of_tag(tag: str) -> int:
    """Where the tag's closing ">" is looked for from (past quoted values)."""
    from pelican_audiotable.markup.tokens import TOKEN

    found = TOKEN.match(tag)
    assert found is not None
    return found.end() - 1


def test_a_script_ends_where_the_standard_ends_it() -> None:
    script = "<script>a<!--b<script>c</script>d-->e</script>f"
    assert script[raw_text_end(script, "script", 8) :] == "</script>f"
    assert raw_text_end("x</scripts></script >", "script", 0) == 11
    assert raw_text_end("x<!--></script>", "script", 0) == 6  # "<!-->" is closed


def test_the_tree_writes_back_the_bytes_it_read() -> None:
    for page in fuzz_markup.pieces(__import__("random").Random(1)):
        assert serialize(parse(page)) == page


def test_the_page_scan_finds_tables_as_a_browser_builds_them() -> None:
    page = f'<p title="<table>">{TABLE}</p><script>"{TABLE}"</script>{TABLE}'
    spans = scan_page(page).spans
    assert [page[s.start : s.end] for s in spans] == [TABLE, TABLE]


def test_the_differential_fuzzer_finds_nothing() -> None:
    """A seeded slice of ``make fuzz``'s differential pass against html5lib."""
    cases, found = fuzz_markup.run(400, seed=2026)
    assert cases == 400
    assert found == []
