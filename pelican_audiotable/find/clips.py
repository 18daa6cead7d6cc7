"""The clips of a table: its HTML parsed, each player (or bare link) found, and
its place in its table (the labels of its row and column)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..formats import AUDIO_EXTENSIONS
from ..markup.tokens import RAW_TEXT_ELEMENTS
from ..markup.tree import Element, Raw, Text, parse


@dataclass
class FoundClip:
    """A player (or a bare link that will become one) in a table cell."""

    element: Element  # the <audio>, or the <a> of a link-only cell
    sources: tuple[str, ...]  # as the author wrote them, in the browser's order
    row_label: str | None
    column_label: str | None
    row: int = 0  # the row of the table it sits in
    #: The words of its cell that go with it ("Model A", "spk2 → spk1"): what a
    #: research table names its systems by when its rows and columns do not.
    beside: str | None = None

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
    element: Element
    clips: list[FoundClip]


@dataclass
class ParsedFragment:
    """A piece of a page's HTML (a table span), parsed, with its audio tables."""

    root: Element
    tables: list[FoundTable]


def parse_tables(fragment: str) -> ParsedFragment:
    """Parse a table span and find its audio tables: all that needs nothing but
    the HTML, so it can be done before the site's files are known."""
    root = parse(fragment)
    return ParsedFragment(root, find_audio_tables(root))


def table_of(node: Element) -> Element | None:
    """The innermost table that holds ``node``."""
    return node.ancestor("table")


def find_audio_tables(root: Element) -> list[FoundTable]:
    """Every table that holds at least one clip of its own (not of a nested table)."""
    found = [find_clips(table) for table in root.descendants("table")]
    return [table for table in found if table.clips]


def find_clips(table: Element) -> FoundTable:
    """The clips of one table, with their labels (nested tables' clips excluded)."""
    return FoundTable(table, list(_clips_of(table)))


def is_audio_link(href: str | None) -> bool:
    if not href:
        return False
    path = unquote(urlsplit(href).path).lower()
    return any(path.endswith(ext) for ext in AUDIO_EXTENSIONS)


def _clips_of(table: Element) -> Iterator[FoundClip]:
    grid = _TableGrid(table)
    for row_index, row in enumerate(grid.rows):
        for cell in row.elements("td", "th"):
            elements = [e for e in _clip_elements(cell, table) if _sources(e)]
            for element, beside in zip(
                elements, _words_beside(cell, elements), strict=True
            ):
                yield FoundClip(
                    element=element,
                    sources=_sources(element),
                    row_label=grid.row_label(row_index, cell),
                    column_label=grid.column_label(row_index, cell),
                    row=row_index,
                    beside=beside,
                )


#: The most characters of a cell's words a clip's name takes.
BESIDE_LENGTH = 60


def _words_beside(cell: Element, clips: list[Element]) -> list[str | None]:
    """The words of ``cell`` that go with each of its ``clips``: all its words for
    one clip; for several, those before each, or after each where the cell starts
    with a clip ("<audio> A <audio> B"). Not the clips' own words (a fallback), a
    nested table's, a script's, or this plugin's (its captions, on a rerun)."""
    if not clips:
        return []
    mine = {id(clip) for clip in clips}
    pieces: list[list[str]] = [[]]
    pending: list[Element | Text | Raw] = cell.children[::-1]
    while pending:
        node = pending.pop()
        if type(node) is Text:
            pieces[-1].append(node.decoded)
        elif not isinstance(node, Element):
            continue
        elif id(node) in mine:
            pieces.append([])
        elif (
            node.name != "table"
            and node.name not in RAW_TEXT_ELEMENTS
            and not any(name.startswith("audiotable-") for name in node.classes())
        ):
            pending += node.children[::-1]
    words = [_short(" ".join(" ".join(piece).split())) for piece in pieces]
    if len(clips) == 1:
        return [_short(" ".join(w for w in words if w))]
    if not words[0] and words[-1]:
        return words[1:]
    return words[:-1]


def _short(text: str) -> str | None:
    """Text cut at a word to BESIDE_LENGTH, its separators trimmed."""
    text = text.strip(_SEPARATORS)
    if len(text) > BESIDE_LENGTH:
        text = text[:BESIDE_LENGTH].rsplit(" ", 1)[0].rstrip(_SEPARATORS) + "\u2026"
    return text or None


def _clip_elements(cell: Element, table: Element) -> Iterator[Element]:
    audios = [a for a in cell.descendants("audio") if table_of(a) is table]
    if audios:
        yield from audios
        return
    yield from _clip_links(cell, table)


def _clip_links(cell: Element, table: Element) -> list[Element]:
    """The links to audio files that are all a cell holds (between them nothing
    but white space and separators, "spk1, spk2"): each becomes a player. A cell
    with other text around its links is prose, and its links stay links."""
    link = _sole_link(cell)
    if link is not None:
        return [link] if is_audio_link(link.get("href")) else []
    links = [
        a
        for a in cell.descendants("a")
        if table_of(a) is table and a.ancestor("a") is None
    ]
    if len(links) < 2 or not all(is_audio_link(a.get("href")) for a in links):
        return []
    rest = cell.text()
    for link in links:
        rest = rest.replace(link.text(), "", 1)
    return links if not rest.strip(_SEPARATORS) else []


#: What may stand between links to clips in one cell.
_SEPARATORS = " \t\n,;/|·•-–—&+"


def _holds_clip(cell: Element) -> bool:
    if next(cell.descendants("audio"), None) is not None:
        return True
    table = cell.ancestor("table")
    return table is not None and bool(_clip_links(cell, table))


def _sole_link(cell: Element) -> Element | None:
    """The one ``<a>`` that is all a cell holds (through a wrapping ``<p>``)."""
    node = cell
    while True:
        children = [c for c in node.children if isinstance(c, Element) or c.strip()]
        if len(children) != 1 or type(children[0]) is not Element:
            return None
        child = children[0]
        if child.name == "a":
            return child
        if child.name not in ("p", "span", "div"):
            return None
        node = child


def _sources(element: Element) -> tuple[str, ...]:
    if element.name == "a":
        return (element.get("href") or "",)
    sources = [element.get("src")]
    sources += [source.get("src") for source in element.descendants("source")]
    return tuple(source for source in sources if source)


def _text(cell: Element) -> str | None:
    return cell.text() or None


class _TableGrid:
    """A table's cells laid on a grid of rows and columns, honouring spans."""

    def __init__(self, table: Element) -> None:
        self.rows = [r for r in table.descendants("tr") if table_of(r) is table]
        self.header_rows = {
            i
            for i, row in enumerate(self.rows)
            if (row.parent is not None and row.parent.name == "thead")
            or all(c.name == "th" for c in row.elements("td", "th"))
        }
        self.columns: dict[int, int] = {}  # id(cell) -> first column
        self.at: dict[tuple[int, int], Element] = {}
        for r, row in enumerate(self.rows):
            column = 0
            for cell in row.elements("td", "th"):
                while (r, column) in self.at:
                    column += 1
                self.columns[id(cell)] = column
                for dr in range(_span(cell, "rowspan")):
                    for dc in range(_span(cell, "colspan")):
                        self.at.setdefault((r + dr, column + dc), cell)
                column += _span(cell, "colspan")

    def column_label(self, row: int, cell: Element) -> str | None:
        if row in self.header_rows:
            return None
        column = self.columns[id(cell)]
        labels = [
            _text(self.at[(r, column)])
            for r in sorted(self.header_rows)
            if (r, column) in self.at
        ]
        return " ".join(label for label in labels if label) or None

    def row_label(self, row: int, cell: Element) -> str | None:
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


def _span(cell: Element, attribute: str) -> int:
    try:
        return max(1, min(int(cell.get(attribute) or 1), 1000))
    except ValueError:
        return 1
