"""Finding the audio tables in a page's HTML, and each clip's place in its table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Tag

from .formats import AUDIO_EXTENSIONS


@dataclass
class FoundClip:
    """A player (or a bare link that will become one) in a table cell."""

    element: Tag  # the <audio>, or the <a> of a link-only cell
    sources: tuple[str, ...]  # as the author wrote them, in the browser's order
    row_label: str | None
    column_label: str | None

    @property
    def src(self) -> str:
        return self.sources[0]

    @property
    def is_link(self) -> bool:
        return self.element.name == "a"

    @property
    def label(self) -> str | None:
        """What the table calls this clip: row and column headers joined."""
        parts = [p for p in (self.row_label, self.column_label) if p]
        return " · ".join(parts) or None


@dataclass
class FoundTable:
    element: Tag
    clips: list[FoundClip]


@dataclass
class ParsedFragment:
    """A piece of a page's HTML (a table span), parsed, with its audio tables."""

    soup: BeautifulSoup
    tables: list[FoundTable]


def parse_fragment(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def parse_tables(fragment: str) -> ParsedFragment:
    """Parse a table span and find its audio tables: all that needs nothing but
    the HTML, so it can be done before the site's files are known."""
    soup = parse_fragment(fragment)
    return ParsedFragment(soup, find_audio_tables(soup))


def tags_named(node: Tag, name: str) -> Iterator[Tag]:
    """The elements called ``name`` below ``node``, in document order.

    What ``find_all(name)`` finds, without building bs4's matching machinery on
    every call, which dominated finding clips.
    """
    for tag in node.descendants:
        if isinstance(tag, Tag) and tag.name == name:
            yield tag


def enclosing(node: Tag, *names: str) -> Tag | None:
    """The nearest element around ``node`` called one of ``names``."""
    parent = node.parent
    while parent is not None and parent.name not in names:
        parent = parent.parent
    return parent


def table_of(node: Tag) -> Tag | None:
    """The innermost table that holds ``node``."""
    return enclosing(node, "table")


def find_audio_tables(soup: BeautifulSoup) -> list[FoundTable]:
    """Every table that holds at least one clip of its own (not of a nested table)."""
    found = [find_clips(table) for table in tags_named(soup, "table")]
    return [table for table in found if table.clips]


def find_clips(table: Tag) -> FoundTable:
    """The clips of one table, with their labels (nested tables' clips excluded)."""
    return FoundTable(table, list(_clips_of(table)))


def is_audio_link(href: str | None) -> bool:
    if not href:
        return False
    path = unquote(urlsplit(href).path).lower()
    return any(path.endswith(ext) for ext in AUDIO_EXTENSIONS)


def _clips_of(table: Tag) -> Iterator[FoundClip]:
    grid = _TableGrid(table)
    for row_index, row in enumerate(grid.rows):
        for cell in _own(row, ("td", "th")):
            for element in _clip_elements(cell, table):
                sources = _sources(element)
                if not sources:
                    continue
                yield FoundClip(
                    element=element,
                    sources=sources,
                    row_label=grid.row_label(row_index, cell),
                    column_label=grid.column_label(row_index, cell),
                )


def _clip_elements(cell: Tag, table: Tag) -> Iterator[Tag]:
    audios = [a for a in tags_named(cell, "audio") if table_of(a) is table]
    if audios:
        yield from audios
        return
    link = _sole_link(cell)
    if link is not None and is_audio_link(_attribute(link, "href")):
        yield link


def _holds_clip(cell: Tag) -> bool:
    if next(tags_named(cell, "audio"), None) is not None:
        return True
    link = _sole_link(cell)
    return link is not None and is_audio_link(_attribute(link, "href"))


def _sole_link(cell: Tag) -> Tag | None:
    """The one ``<a>`` that is all a cell holds (through a wrapping ``<p>``)."""
    node: Tag = cell
    while True:
        children = [
            c for c in node.children if not (isinstance(c, str) and not c.strip())
        ]
        if len(children) != 1 or not isinstance(children[0], Tag):
            return None
        child = children[0]
        if child.name == "a":
            return child
        if child.name not in ("p", "span", "div"):
            return None
        node = child


def _sources(element: Tag) -> tuple[str, ...]:
    if element.name == "a":
        return (str(element["href"]),)
    sources = []
    if element.get("src"):
        sources.append(str(element["src"]))
    sources += [str(s["src"]) for s in tags_named(element, "source") if s.get("src")]
    return tuple(sources)


def _own(node: Tag, names: tuple[str, ...]) -> list[Tag]:
    return [c for c in node.children if isinstance(c, Tag) and c.name in names]


def _text(cell: Tag) -> str | None:
    text = " ".join(cell.get_text(" ", strip=True).split())
    return text or None


class _TableGrid:
    """A table's cells laid on a grid of rows and columns, honouring spans."""

    def __init__(self, table: Tag) -> None:
        self.rows = [r for r in tags_named(table, "tr") if table_of(r) is table]
        self.header_rows = {
            i
            for i, row in enumerate(self.rows)
            if (row.parent is not None and row.parent.name == "thead")
            or all(c.name == "th" for c in _own(row, ("td", "th")))
        }
        self.columns: dict[int, int] = {}  # id(cell) -> first column
        self.at: dict[tuple[int, int], Tag] = {}
        for r, row in enumerate(self.rows):
            column = 0
            for cell in _own(row, ("td", "th")):
                while (r, column) in self.at:
                    column += 1
                self.columns[id(cell)] = column
                for dr in range(_span(cell, "rowspan")):
                    for dc in range(_span(cell, "colspan")):
                        self.at.setdefault((r + dr, column + dc), cell)
                column += _span(cell, "colspan")

    def column_label(self, row: int, cell: Tag) -> str | None:
        if row in self.header_rows:
            return None
        column = self.columns[id(cell)]
        labels = [
            _text(self.at[(r, column)])
            for r in sorted(self.header_rows)
            if (r, column) in self.at
        ]
        return " ".join(label for label in labels if label) or None

    def row_label(self, row: int, cell: Tag) -> str | None:
        """The first cell of the row that is not a clip: a ``<th>`` or plain text."""
        column = 0
        while (row, column) in self.at:
            candidate = self.at[(row, column)]
            if candidate is cell:
                return None
            if candidate.name == "th" or not _holds_clip(candidate):
                return _text(candidate)
            column += 1
        return None


def _span(cell: Tag, attribute: str) -> int:
    try:
        return max(1, min(int(_attribute(cell, attribute) or 1), 1000))
    except ValueError:
        return 1


def class_list(tag: Tag) -> list[str]:
    """An element's classes, whichever way the parser kept them."""
    value = tag.get("class")
    if value is None:
        return []
    return value.split() if isinstance(value, str) else list(value)


def _attribute(tag: Tag, name: str) -> str | None:
    """An attribute as one string (bs4 keeps some as lists)."""
    value = tag.get(name)
    if value is None or isinstance(value, str):
        return value
    return " ".join(value)
