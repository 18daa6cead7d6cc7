"""A table span's HTML as a small tree that writes back, byte for byte, everything
this plugin did not change.

Each element keeps its start and end tags as the author wrote them, and text keeps
its entities; only an element whose attributes were set is written anew. So the
tree needs no formatter and no entity table, and building it costs a fifth of what
Beautiful Soup's did (which was two thirds of annotating a page).

The parser is the part of HTML's that tables need: tokens as the standard reads
them (:mod:`.tokens`: tags, attributes, comments, raw text), and the end tags a table's
author may leave out (``<td>``, ``<th>``, ``<tr>`` and the row groups close when the
next one opens). Whatever it cannot read as markup is text. Walks use stacks, not
recursion: tables nested hundreds deep are HTML too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from .tokens import (
    FOREIGN_ELEMENTS,
    RAW_TEXT_ELEMENTS,
    TOKEN,
    attributes,
    escape_attribute,
    escape_text,
    lower,
    raw_text_end,
)

#: Elements that have no end tag, and those whose text is written as it is.
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
#: A start tag of the key closes open elements of the value, up to the table.
_CLOSED_BY = {
    "td": ("td", "th"),
    "th": ("td", "th"),
    "tr": ("tr", "td", "th"),
    "thead": ("thead", "tbody", "tfoot", "tr", "td", "th", "caption"),
    "tbody": ("thead", "tbody", "tfoot", "tr", "td", "th", "caption"),
    "tfoot": ("thead", "tbody", "tfoot", "tr", "td", "th", "caption"),
}


class Text(str):
    """Text as written, entities and all."""

    @property
    def decoded(self) -> str:
        return html.unescape(self) if "&" in self else str(self)


class Raw(str):
    """Markup written out as it is and never read as text: comments, declarations,
    a stray end tag, a script's body, and this plugin's own markup (its values
    already escaped; a caption built as text costs a fifth of one built as
    elements)."""


class Element:
    """An element: its tags as written, its children, and its attributes, read
    from the start tag only when asked for."""

    __slots__ = ("_attrs", "children", "end_tag", "name", "parent", "start_tag")

    def __init__(self, name: str, start_tag: str = "", end_tag: str = "") -> None:
        self.name = name
        self.parent: Element | None = None
        self.children: list[Element | Text | Raw] = []
        self.start_tag = start_tag  # "" once an attribute was set: written anew
        self.end_tag = end_tag  # "" where the author left it out
        self._attrs: dict[str, str] | None = None

    @classmethod
    def new(
        cls, name: str, attrs: dict[str, str] | None = None, text: str | None = None
    ) -> Element:
        """An element of this plugin's own, with its text (escaped here)."""
        element = cls(name, end_tag="" if name in VOID_ELEMENTS else f"</{name}>")
        element._attrs = dict(attrs or {})
        if text is not None:
            element.append(Text(escape_text(text)))
        return element

    def __repr__(self) -> str:
        return f"<Element {self.name}>"

    # Attributes

    @property
    def attrs(self) -> dict[str, str]:
        """The attributes, read-only: change them with ``set`` and ``remove``."""
        if self._attrs is None:
            bare = len(self.start_tag) == len(self.name) + 2  # "<td>", as most are
            self._attrs = {} if bare else attributes(self.start_tag)
        return self._attrs

    def get(self, name: str) -> str | None:
        attrs = self._attrs if self._attrs is not None else self.attrs
        return attrs.get(name)

    def set(self, name: str, value: str) -> None:
        if self.attrs.get(name) != value:
            self.attrs[name] = value
            self.start_tag = ""

    def remove(self, *names: str) -> None:
        attrs = self.attrs
        for name in names:
            if name in attrs:
                del attrs[name]
                self.start_tag = ""

    def classes(self) -> list[str]:
        return (self.get("class") or "").split()

    # Finding

    def elements(self, *names: str) -> list[Element]:
        """Own child elements (called one of ``names``, if given)."""
        return [
            c
            for c in self.children
            if type(c) is Element and (not names or c.name in names)
        ]

    def descendants(self, name: str) -> Iterator[Element]:
        """The elements called ``name`` below this one, in document order."""
        pending = self.children[::-1]
        while pending:
            child = pending.pop()
            if type(child) is Element:
                if child.name == name:
                    yield child
                pending += child.children[::-1]

    def ancestor(self, *names: str) -> Element | None:
        """The nearest element around this one called one of ``names``."""
        parent = self.parent
        while parent is not None and parent.name not in names:
            parent = parent.parent
        return parent

    def text(self) -> str:
        """The element's text, decoded, its white space collapsed (no script's)."""
        pieces: list[str] = []
        pending = self.children[::-1]
        while pending:
            child = pending.pop()
            if type(child) is Text:
                pieces.append(child.decoded)
            elif type(child) is Element and child.name not in RAW_TEXT_ELEMENTS:
                pending += child.children[::-1]
        return " ".join(" ".join(pieces).split())

    # Editing

    def append(self, child: Element | Text | Raw) -> None:
        self.insert(len(self.children), child)

    def insert(self, index: int, child: Element | Text | Raw) -> None:
        if type(child) is Element:
            child.detach()
            child.parent = self
        self.children.insert(index, child)

    def insert_after(self, child: Element | Text | Raw) -> None:
        assert self.parent is not None
        self.parent.insert(self.parent.children.index(self) + 1, child)

    def replace_with(self, other: Element | Raw) -> None:
        parent = self.parent
        assert parent is not None
        index = parent.children.index(self)
        self.detach()
        parent.insert(index, other)

    def detach(self) -> None:
        if self.parent is not None:
            self.parent.children.remove(self)
            self.parent = None

    def empty(self) -> None:
        for child in self.children:
            if type(child) is Element:
                child.parent = None
        self.children = []

    # Writing

    def write_start_tag(self) -> str:
        if self.start_tag:
            return self.start_tag
        parts = ["<" + self.name]
        names = list(self.attrs)
        for index, key in enumerate(names):
            value = self.attrs[key]
            following = names[index + 1] if index + 1 < len(names) else ""
            # A bare name before one that starts with "=" would take it as a value.
            if value or following.startswith("="):
                parts.append(f' {key}="{escape_attribute(value)}"')
            else:
                parts.append(" " + key)
        parts.append(">")
        return "".join(parts)


def parse(fragment: str) -> Element:
    """A fragment of HTML as a tree under a nameless root, its tokens read as a
    browser reads them (:mod:`.tokens`)."""
    root = Element("")
    open_elements = [root]
    position = 0
    while True:
        match = TOKEN.search(fragment, position)
        end = match.start() if match else len(fragment)
        if end > position:
            open_elements[-1].children.append(Text(fragment[position:end]))
        if match is None:
            return root
        position = match.end()
        if name := match["start"]:
            element = _start(match, lower(name), open_elements)
            if element.name in RAW_TEXT_ELEMENTS:
                stop = raw_text_end(fragment, element.name, position)
                if stop > position:
                    element.children.append(Raw(fragment[position:stop]))
                position = stop
        elif name := match["end"]:
            _end(match[0], lower(name), open_elements)
        else:  # comments, declarations, and what browsers drop
            open_elements[-1].children.append(Raw(match[0]))


def _start(match: re.Match[str], name: str, open_elements: list[Element]) -> Element:
    closes = _CLOSED_BY.get(name)
    if closes:  # close the outermost of them inside the innermost table
        cut = 0
        for index in range(len(open_elements) - 1, 0, -1):
            candidate = open_elements[index].name
            if candidate == "table":
                break
            if candidate in closes:
                cut = index
        if cut:
            del open_elements[cut:]
    element = Element(name, match[0])
    element.parent = open_elements[-1]
    open_elements[-1].children.append(element)
    if name not in VOID_ELEMENTS and not _closes_itself(match, name, open_elements):
        open_elements.append(element)
    return element


def _closes_itself(match: re.Match[str], name: str, open: list[Element]) -> bool:
    """``<x/>`` is a whole element in SVG and MathML only: HTML ignores the slash."""
    if not match["attrs"].rstrip("\t\n\f\r ").endswith("/"):
        return False
    return name in FOREIGN_ELEMENTS or any(e.name in FOREIGN_ELEMENTS for e in open)


def _end(tag: str, name: str, open_elements: list[Element]) -> None:
    """Close the nearest open ``name`` (not past a table); a stray end tag is kept
    as it is, and ignored as browsers do."""
    for index in range(len(open_elements) - 1, 0, -1):
        candidate = open_elements[index]
        if candidate.name == name:
            candidate.end_tag = tag
            del open_elements[index:]
            return
        if candidate.name == "table":
            break
    open_elements[-1].children.append(Raw(tag))


def serialize(node: Element) -> str:
    """The HTML of a node's children: as written, except what was changed."""
    out: list[str] = []
    pending: list[Element | str] = [*reversed(node.children)]
    while pending:
        child = pending.pop()
        if isinstance(child, Element):
            out.append(child.start_tag or child.write_start_tag())
            pending.append(child.end_tag)
            pending += reversed(child.children)
        else:
            out.append(child)
    return "".join(out)
