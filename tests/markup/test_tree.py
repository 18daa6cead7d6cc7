"""The table tree: what it reads, and that it writes back what it did not change."""

from __future__ import annotations

import random

import pytest

from pelican_audiotable.find.clips import find_audio_tables
from pelican_audiotable.markup.tree import Element, Raw, Text, parse, serialize

#: Pieces real and broken HTML is made of; random strings of them are fuzz cases.
PIECES = (
    "<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th scope=row>",
    "<thead>", "<tbody>", "</tbody>", "<caption>", "<audio controls>", "</audio>",
    '<source src="/a.mp3">', "<a href='/b.ogg'>", "</a>", "<p>", "</p>", "<br/>",
    "<script>", "</script>", "<style>", "</STYLE>", "<!--", "-->", "<!DOCTYPE x>",
    "<![CDATA[", "]]>", "<?pi?>", "<", ">", "</", "/>", '"', "'", "=", " ", "\n",
    "\t", "&amp;", "&eacute;", "&#x27;", "&", "é", "text", "<TD ALIGN=left>",
    '<td title="a>b">', "<td colspan=2 colspan=3>", "<x y='<z>'>", "</nope>",
    "<div/>", "\x00", "<svg><path d='M0 0'/></svg>",
)  # fmt: skip


def random_fragments(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 60)))
        for _ in range(count)
    ]


def test_any_fragment_is_written_back_byte_for_byte() -> None:
    for fragment in random_fragments(3000, seed=11):
        root = parse(fragment)
        assert serialize(root) == fragment, fragment
        find_audio_tables(root)  # and finding clips in it never fails


@pytest.mark.parametrize(
    "hostile",
    [
        "<a " * 70_000,  # start tags that never end
        "</a " * 70_000,  # end tags that never end
        '<a "' * 50_000,
        "<!--" * 50_000,
        "<table><tr><td>" * 20_000,  # deep, with every end tag left out
        "<td title='" + "x" * 200_000,
    ],
    ids=["start", "end", "quote", "comment", "deep", "open-quote"],
)
def test_hostile_fragments_parse_in_linear_time(hostile: str) -> None:
    """Each of these would take minutes if a search could rescan the rest."""
    assert serialize(parse(hostile)) == hostile


def test_table_end_tags_left_out_close_as_in_browsers() -> None:
    root = parse(
        "<table><tr><th>Take<th>Clip"
        "<tr><td>Actual<td><audio src=/a.mp3></audio>"
        "<tr><td>AI<td><a href=/b.mp3>b</a></table>"
    )
    table = next(root.descendants("table"))
    rows = list(table.descendants("tr"))
    assert [len(row.elements("td", "th")) for row in rows] == [2, 2, 2]
    [found] = find_audio_tables(root)
    assert [(c.row_label, c.column_label) for c in found.clips] == [
        ("Actual", "Clip"),
        ("AI", "Clip"),
    ]


def test_an_end_tag_never_closes_past_a_nested_table() -> None:
    root = parse("<table><tr><td><table><tr><td>in</tr></td></table>x</td></table>")
    outer = next(root.descendants("table"))
    inner = next(outer.descendants("table"))
    assert inner.ancestor("td") is not None
    assert inner.ancestor("table") is outer
    assert outer.text() == "in x"


def test_attributes_are_read_as_browsers_read_them() -> None:
    [td] = parse(
        "<TD Colspan=2 colspan=3 title=\"a &amp; b\" nowrap data-x='y'>"
    ).children
    assert isinstance(td, Element) and td.name == "td"
    assert td.attrs == {"colspan": "2", "title": "a & b", "nowrap": "", "data-x": "y"}


def test_text_is_decoded_and_scripts_are_not_text() -> None:
    [cell] = parse(
        "<td>Caf&eacute;\n  <b>au</b><script>var x = '<b>';</script>lait"
    ).children
    assert isinstance(cell, Element)
    assert cell.text() == "Café au lait"
    script = next(cell.descendants("script"))
    assert script.children == [Raw("var x = '<b>';")]


def test_only_a_changed_start_tag_is_written_anew() -> None:
    root = parse("<TD  class=x>a &eacute;</TD><td CLASS='y'>b</td>")
    first, second = root.elements()
    second.set("title", 'say "hi" & <go>')
    assert serialize(root) == (
        '<TD  class=x>a &eacute;</TD><td class="y" '
        'title="say &quot;hi&quot; &amp; &lt;go&gt;">b</td>'
    )
    second.set("title", 'say "hi" & <go>')  # the same value: no change
    first.set("class", "x")
    assert serialize(root).startswith("<TD  class=x>")


def test_new_elements_escape_their_text() -> None:
    caption = Element.new("caption", {"class": "c"}, "<3 & more")
    root = parse("<table></table>")
    next(root.descendants("table")).insert(0, caption)
    assert (
        serialize(root)
        == '<table><caption class="c">&lt;3 &amp; more</caption></table>'
    )
    assert caption.children == [Text("&lt;3 &amp; more")]
