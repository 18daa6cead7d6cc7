"""Writing what the build learnt into a table's HTML. Pure: no files, no Pelican.

Everything the author wrote stays; what this module adds is marked (``audiotable-*``
classes, ``data-*`` attributes) and replaced on every run, so running it twice gives
the same HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..find.clips import FoundClip, FoundTable
from ..markup.tree import Element, Raw
from ..model import SPECTRA, AudioTableInfo, ClipInfo
from ..settings import AudioTableSettings
from .render import (
    CAPTION_CLASS,
    DENSE_CLASS,
    DENSE_ROWS,
    FAIRNESS_CLASS,
    MIME_TYPES,
    PALETTE_CLASS,
    SHARED_CLASS,
    TABLE_CLASS,
    WAVEFORM_CLASS,
    WIDE_CLASS,
    WIDE_COLUMNS,
    audio_object,
    caption_html,
    data_attributes,
    fairness_text,
    jsonld_text,
    palette_classes,
    table_id,
    tech_line,
    waveform_svg,
)

SUMMARY_CLASS = "audiotable-summary"
JSONLD_CLASS = "audiotable-jsonld"
UNAVAILABLE_CLASS = "audiotable-unavailable"

#: The attributes this plugin owns on an <audio>; cleared before each run writes them
#: (with those that earlier versions wrote).
OWNED_AUDIO_ATTRIBUTES = (
    "data-duration",
    "data-duration-source",
    "data-format",
    "data-codec",
    "data-bitrate",
    "data-bitrate-mode",
    "data-sample-rate",
    "data-channels",
    "data-size",
    "data-title",
    "data-artist",
    "data-album",
    "data-year",
    "data-track",
    "data-has-cover",
    "data-truncated",
    "data-audiotable-error",
    "data-audiotable-row",
    "data-audiotable-column",
    "data-loudness",
    "data-peak",
)
WHERE_ATTRIBUTE = "data-audiotable-where"


def annotate_table(
    table: FoundTable,
    clips: list[ClipInfo],
    settings: AudioTableSettings,
    unfair: Sequence[str] = (),
    taken: set[str] | None = None,
    number: int = 1,
    published: str = "audiotable",
) -> AudioTableInfo:
    """Annotate one table in place; ``clips`` pairs with ``table.clips`` by position,
    and ``unfair`` says what makes its comparisons unfair (noted under it).
    ``taken`` holds the players' names given so far on the page, where this is
    table ``number``; ``published`` is where the page finds the build's files."""
    names = player_names(table.clips, set() if taken is None else taken, number)
    wide = clip_columns(table.clips) >= WIDE_COLUMNS
    dense = is_dense(table.clips, settings.dense)
    told = (
        shared_facts(table.clips, clips)
        if dense and "tech" in settings.caption_fields
        else {}
    )
    for found, info, name in zip(table.clips, clips, names, strict=True):
        said_once = found.column_label in told or None in told
        _annotate_clip(found, info, settings, name, published, said_once)
    summary = AudioTableInfo(tuple(clips))
    _annotate_table_element(table.element, summary, settings, wide, dense)
    if not table.element.get("id"):  # what a link to a moment names it by
        table.element.set("id", table_id(number))
    _add_notes(table.element, unfair, told)
    return summary


def is_dense(clips: Sequence[FoundClip], asked: str) -> bool:
    """Whether a table's cells are compact: asked, or a table of many clip
    columns or rows (a research page's grid), unless asked not to be."""
    if asked != "auto":
        return asked == "always"
    rows = len({clip.row for clip in clips})
    return clip_columns(clips) >= WIDE_COLUMNS or rows >= DENSE_ROWS


def shared_facts(
    found: Sequence[FoundClip], clips: Sequence[ClipInfo]
) -> dict[str | None, str]:
    """The technical line said once for the whole table (under None) when every
    clip's is the same; else for each labelled column whose clips all share one.
    A line said once is not said in the cards it covers."""
    lines: dict[str | None, list[str | None]] = {}
    for where, clip in zip(found, clips, strict=True):
        line = tech_line(clip.metadata) if clip.metadata else None
        lines.setdefault(where.column_label, []).append(line)
    every = [line for column in lines.values() for line in column]
    if len(every) >= 2 and every[0] is not None and len(set(every)) == 1:
        return {None: every[0]}
    return {
        column: column_lines[0]
        for column, column_lines in lines.items()
        if column is not None
        and len(column_lines) >= 2
        and column_lines[0] is not None
        and len(set(column_lines)) == 1
    }


def clip_columns(clips: Sequence[FoundClip]) -> int:
    """The most cells with clips in one row (two clips in one cell count once)."""
    cells: dict[int, set[int]] = {}
    for clip in clips:
        cell = clip.element.ancestor("td", "th")
        cells.setdefault(clip.row, set()).add(id(cell or clip.element))
    return max((len(row) for row in cells.values()), default=0)


def player_names(
    clips: Sequence[FoundClip], taken: set[str], table: int = 1
) -> list[str]:
    """A name for each player, unique on its page (screen readers list them): its
    row and column labels and the words beside it in its cell, with the row's
    number where these repeat or rows have none, the table's where another table
    has the same, and a count where that is still not enough."""
    spoken = [_spoken(clip) for clip in clips]
    counts = Counter(spoken)
    several_rows = len({clip.row for clip in clips}) > 1
    names = []
    for clip, name in zip(clips, spoken, strict=True):
        unlabelled = several_rows and not clip.row_label and not clip.beside
        if not name or counts[name] > 1 or unlabelled:
            name = f"{name}, row {clip.row + 1}" if name else f"Row {clip.row + 1}"
        if name in taken and table > 1:
            name = f"{name}, table {table}"
        unique, number = name, 2
        while unique in taken:
            unique, number = f"{name} ({number})", number + 1
        taken.add(unique)
        names.append(unique)
    return names


def _spoken(clip: FoundClip) -> str:
    """The clip's labels, and the words beside it unless the labels say them."""
    parts = [clip.label]
    if clip.beside and clip.beside.casefold() not in _said(clip):
        parts.append(clip.beside)
    return " · ".join(part for part in parts if part)


def _annotate_clip(
    found: FoundClip,
    info: ClipInfo,
    settings: AudioTableSettings,
    name: str,
    published: str,
    said_once: bool = False,
) -> None:
    """``said_once``: its technical line is said under the table, not in its card."""
    audio = _player_for(found, settings.preload) if info.metadata else found.element
    if audio.name == "audio":
        audio.remove(*OWNED_AUDIO_ATTRIBUTES)
        _drop_ours_after(audio)
    if info.metadata and not audio.get("aria-label"):
        audio.set("aria-label", name)  # before the data-*: a rerun keeps order
    _mark_cell(audio, found)
    if found.row_label:
        audio.set("data-audiotable-row", found.row_label)
    if found.column_label:
        audio.set("data-audiotable-column", found.column_label)
    if info.error:
        audio.set("data-audiotable-error", info.error)
        if audio.name == "audio":  # a card without a word would say nothing
            audio.insert_after(
                Raw(
                    f'<div class="{CAPTION_CLASS} {UNAVAILABLE_CLASS}">'
                    "Clip unavailable</div>"
                )
            )
        return
    meta = info.metadata
    if meta is None:  # remote: nothing known, nothing claimed
        return
    for name, value in data_attributes(meta).items():
        audio.set(name, value)
    if settings.preload != "keep":
        audio.set("preload", settings.preload)
    analysis = meta.analysis
    spectrum = analysis.spectrum if analysis else None
    picture = f"{published}/{SPECTRA}/{spectrum}" if spectrum else None
    waveform = waveform_svg(analysis, picture) if analysis else ""
    label = _link_text(audio)
    if label and label.casefold() in _said(found):
        label = None  # the table says it already, in the row or column
    fields = [f for f in settings.caption_fields if not (said_once and f == "tech")]
    audio.insert_after(Raw(waveform + caption_html(meta, label, fields)))


def _said(found: FoundClip) -> set[str]:
    labels = (found.row_label, found.column_label, found.label)
    return {label.casefold() for label in labels if label}


def _mark_cell(audio: Element, found: FoundClip) -> None:
    """Name the card's row and column on its cell, for layouts that hide the headers."""
    cell = audio.ancestor("td", "th")
    if cell is None:
        return
    if found.column_label:  # the row's own label heads the cards on a phone
        cell.set(WHERE_ATTRIBUTE, found.column_label)
    else:
        cell.remove(WHERE_ATTRIBUTE)


def _player_for(found: FoundClip, preload: str) -> Element:
    """The clip's <audio>; a link-only cell's link becomes one, kept as its fallback."""
    if not found.is_link:
        return found.element
    link = found.element
    attrs = {"controls": "", "preload": preload, "src": link.get("href") or ""}
    if preload == "keep":
        del attrs["preload"]
    audio = Element.new("audio", attrs)
    link.replace_with(audio)
    audio.append(link)
    found.element = audio
    return audio


def _link_text(audio: Element) -> str | None:
    """The text of a fallback link the author wrote, when it says more than a URL."""
    link = next(audio.descendants("a"), None)
    if link is None:
        return None
    text = link.text()
    href = link.get("href") or ""
    if not text or text == href or href.endswith("/" + text):
        return None
    return text


def _drop_ours_after(audio: Element) -> None:
    """An earlier run's waveform and caption: this plugin wrote them, and writes
    them again."""
    parent = audio.parent
    if parent is None:
        return
    siblings = parent.children
    start = end = parent.children.index(audio) + 1
    while end < len(siblings):
        sibling = siblings[end]
        if isinstance(sibling, Element):
            if not {CAPTION_CLASS, WAVEFORM_CLASS} & set(sibling.classes()):
                break
        elif sibling.strip():
            break
        end += 1
    while end > start and not isinstance(siblings[end - 1], Element):
        end -= 1  # white space after the last of ours is the author's
    del siblings[start:end]


def _annotate_table_element(
    table: Element,
    summary: AudioTableInfo,
    settings: AudioTableSettings,
    wide: bool,
    dense: bool,
) -> None:
    ours = (PALETTE_CLASS, WIDE_CLASS, DENSE_CLASS)
    classes = [c for c in table.classes() if c not in ours]
    wanted = [
        TABLE_CLASS,
        *palette_classes(settings.palette),
        *([WIDE_CLASS] if wide else []),
        *([DENSE_CLASS] if dense else []),
    ]
    table.set("class", " ".join([*classes, *(c for c in wanted if c not in classes)]))
    table.set("data-audiotable-clips", str(summary.count))
    if summary.duration is not None:
        table.set("data-audiotable-duration", f"{summary.duration:.3f}")
    else:
        table.remove("data-audiotable-duration")

    captions = table.elements("caption")
    if captions and SUMMARY_CLASS in captions[0].classes():
        captions[0].detach()  # ours, from an earlier run
        captions = []
    if not captions and settings.table_summary:
        caption = Element.new("caption", {"class": SUMMARY_CLASS}, summary.summary)
        table.insert(0, caption)

    # JSON-LD lives in the page's head now (see page_jsonld): an older build's,
    # written inside the table, is dropped.
    for old in table.elements("script"):
        if JSONLD_CLASS in old.classes():
            old.detach()


def _add_notes(
    table: Element, unfair: Sequence[str], told: dict[str | None, str]
) -> None:
    """Said under the table, in its footer: what makes its comparisons unfair,
    and the technical line its clips (or a column's) share."""
    for old in table.elements("tfoot"):
        if {FAIRNESS_CLASS, SHARED_CLASS} & set(old.classes()):
            old.detach()  # ours, from an earlier run
    notes: list[tuple[str, str]] = []
    if unfair:
        notes.append((FAIRNESS_CLASS, fairness_text(unfair)))
    if None in told:
        notes.append((SHARED_CLASS, f"Every clip: {told[None]}"))
    elif told:
        sharing: dict[str, list[str]] = {}  # the columns that share each line
        for column, line in told.items():
            sharing.setdefault(line, []).append(str(column))
        said = "; ".join(f"{', '.join(c)}: {line}" for line, c in sharing.items())
        notes.append((SHARED_CLASS, f"Every clip of {said}"))
    if not notes:
        return
    footer = Element.new("tfoot", {"class": " ".join(kind for kind, _ in notes)})
    span = str(column_count(table))  # not more: each column adds its spacing
    for kind, text in notes:
        row = Element.new("tr", {"class": kind})
        row.append(Element.new("td", {"colspan": span}, text))
        footer.append(row)
    table.append(footer)


def column_count(table: Element) -> int:
    """How many columns the table's widest row spans."""
    widest = 1
    for row in table.descendants("tr"):
        if row.ancestor("table") is table:
            spans = [_colspan(cell) for cell in row.elements("td", "th")]
            widest = max(widest, sum(spans))
    return widest


def _colspan(cell: Element) -> int:
    try:
        return max(1, min(int(cell.get("colspan") or 1), 1000))
    except ValueError:
        return 1


def page_jsonld(tables: Sequence[AudioTableInfo]) -> str:
    """A ``<script type="application/ld+json">`` describing every clip read, for
    the page's head; empty when none was.

    Kept out of the content, where themes' ``striptags`` and Pelican's summaries
    would turn it into visible text, cut it in half, or carry its quotes into
    an attribute.
    """
    objects = [
        audio_object(
            _clip_name(clip, index),
            clip.metadata,
            clip.url,
            MIME_TYPES.get(clip.metadata.format),
        )
        for table in tables
        for index, clip in enumerate(table.clips, 1)
        if clip.metadata is not None
    ]
    if not objects:
        return ""
    return (
        f'<script type="application/ld+json" class="{JSONLD_CLASS}">'
        f"{jsonld_text(objects)}</script>"
    )


def _clip_name(clip: ClipInfo, index: int) -> str:
    assert clip.metadata is not None
    return (
        clip.metadata.title or clip.label or clip.src.rsplit("/", 1)[-1] or str(index)
    )
