"""Laying a list table out as the comparison it is: sections as rows, takes as columns.

The seed post lists "Actual verse, Actual pre-chorus, …, AI chorus, AI bridge" one per
row. When the author asks (``AUDIOTABLE_GRID = "prefix"`` or ``audiotable_grid:
prefix`` in an article), labels that share a first word become columns ("Actual",
"AI") and the rest of each label a row ("verse", "chorus"), with an empty cell where
a side has no clip. Pure: works on the parsed table only.
"""

from __future__ import annotations

from ..markup.tree import Element
from .clips import FoundTable

LAYOUT_ATTRIBUTE = "data-audiotable-layout"


def regroup_by_prefix(table: FoundTable) -> bool:
    """Rebuild ``table`` as a grid if its labels form prefix families; say if it did."""
    element = table.element
    if element.get(LAYOUT_ATTRIBUTE) == "grid":
        return False  # done on an earlier run
    plan = _plan(table)
    if plan is None:
        return False
    families, sections, cells = plan
    corner = _corner_text(element)

    thead = Element.new("thead")
    head_row = Element.new("tr")
    head_row.append(_cell("th", corner or "", scope="col" if corner else None))
    for family in families:
        head_row.append(_cell("th", family, scope="col"))
    thead.append(head_row)

    tbody = Element.new("tbody")
    for section in sections:
        row = Element.new("tr")
        row.append(_cell("th", section, scope="row"))
        for family in families:
            cell = cells.get((family, section.casefold()))
            if cell is None:
                empty = _cell("td", "—")
                empty.set("class", "audiotable-empty")
                empty.set("aria-label", f"No {family} take of {section}")
                row.append(empty)
            else:
                row.append(cell)
        tbody.append(row)

    kept = element.elements("caption")[:1]
    element.empty()
    for child in [*kept, thead, tbody]:
        element.append(child)
    element.set(LAYOUT_ATTRIBUTE, "grid")
    return True


def _plan(
    table: FoundTable,
) -> tuple[list[str], list[str], dict[tuple[str, str], Element]] | None:
    """Families, sections (in order of first appearance) and each clip's cell."""
    families: list[str] = []
    sections: list[str] = []
    cells: dict[tuple[str, str], Element] = {}
    rows = set()
    for clip in table.clips:
        label = clip.row_label
        if not label or clip.column_label:
            return None  # not a plain list of labelled clips
        parts = label.split(None, 1)
        if len(parts) != 2:
            return None
        family, section = parts
        key = (family, section.casefold())
        cell = clip.element.ancestor("td", "th")
        if key in cells or cell is None:
            return None
        row = cell.ancestor("tr")
        if id(row) in rows:
            return None  # two clips in one row: already a grid of some kind
        rows.add(id(row))
        cells[key] = cell
        if family not in families:
            families.append(family)
        if section.casefold() not in [s.casefold() for s in sections]:
            sections.append(section)
    if len(families) < 2:
        return None
    shared = any(
        sum((family, section.casefold()) in cells for family in families) > 1
        for section in sections
    )
    if not shared:
        return None
    return families, sections, cells


def _corner_text(element: Element) -> str | None:
    header = next(element.descendants("th"), None)
    if header is not None and header.ancestor("table") is element:
        return header.text() or None
    return None


def _cell(name: str, text: str, scope: str | None = None) -> Element:
    return Element.new(name, {"scope": scope} if scope else None, text)
