"""Blind tables: "Which one is Actual?", listened to without the labels.

A blind table is written anew from its clips: each plays an untagged copy under a
name of digits, in a cell that says only "A" or "B", in an order shuffled at build
time (and again per visit by the listening script). What would tell the answer, the
labels and which clip is the one asked for, is kept in one attribute, scrambled, for
the script to reveal after the reader's choice; a reader without JavaScript finds
each label behind a "Reveal" written in character references. Nothing of the
original table is kept: any text in it could name a clip. Pure: clip facts in, HTML
out.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..annotate.fairness import row_name, rows_compared, unfair_in_general
from ..annotate.render import (
    FAIRNESS_CLASS,
    MIME_TYPES,
    TABLE_CLASS,
    WIDE_CLASS,
    WIDE_COLUMNS,
    caption_html,
    data_attributes,
    fairness_text,
    palette_classes,
    table_id,
    tech_line,
    waveform_svg,
)
from ..markup.tokens import escape_attribute, escape_text
from ..model import AudioTableInfo, ClipInfo, ClipMetadata, MadeCopy
from ..settings import AudioTableSettings
from .results import Results, TableShape, results_html, tally, why_not_for

BLIND_CLASS = "audiotable-blind"
QUESTION_CLASS = "audiotable-question"
REVEAL_CLASS = "audiotable-reveal"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Trial:
    """Clips heard against each other: a row of a grid, the clips of a list whose
    labels pair ("Actual chorus" with "AI chorus"), or a whole table."""

    heading: str | None  # a grid row's label ("Verse"): it says where, not who
    clips: tuple[int, ...]  # positions in the table's clips, as the author wrote
    labels: tuple[str, ...]  # what each is, revealed after the choice
    answer: int  # which of ``clips`` the question asks for
    #: Paired by their labels: a list's clips without a counterpart sit out.
    paired: bool = False


@dataclass(frozen=True)
class BlindClip:
    """A clip of a blind table, with the copy it plays."""

    info: ClipInfo
    copy_url: str
    copy: MadeCopy


def blind_question(setting: str, marker: str | None) -> str | None:
    """Whether a table is blind, from the page's setting and the table's marker,
    and its question ("" to ask from the labels); None when it is not."""
    if marker is not None:
        return marker
    if setting:
        return "" if setting == "yes" else setting
    return None


def trials_of(clips: Sequence[ClipInfo]) -> list[Trial]:
    """Each row with two clips or more is a trial, its columns the choices; a list
    whose labels pair by their first word ("Actual chorus", "AI chorus") is a trial
    a pair, the rest of the label saying where; any other table of rows of one clip
    each is one trial. The question asks for the first label."""
    rows = rows_compared(clips)
    paired = False
    if rows:
        groups = [
            (
                # A table of one trial needs no name for it ("row 2" says nothing).
                row_name(clips, members)
                if len(rows) > 1
                else clips[members[0]].row_label,
                members,
                [clips[i].column_label or _fallback(i) for i in members],
            )
            for members in rows.values()
        ]
    elif pairs := _pairs_by_prefix(clips):
        groups, paired = pairs, True
    else:
        members = list(range(len(clips)))
        labels = [clips[i].label or clips[i].row_label or _fallback(i) for i in members]
        groups = [(None, members, labels)]
    wanted = groups[0][2][0]
    return [
        Trial(row, tuple(members), tuple(labels), _index(labels, wanted), paired)
        for row, members, labels in groups
    ]


def _pairs_by_prefix(
    clips: Sequence[ClipInfo],
) -> list[tuple[str | None, list[int], list[str]]] | None:
    """A list's clips grouped by the rest of their labels, the first word of each
    its choice ("Actual" | "AI" in "chorus"), as a prefix grid lays them out; None
    when the labels do not pair so."""
    sections: dict[str, tuple[str, list[int], list[str]]] = {}
    families = set()
    for index, clip in enumerate(clips):
        words = (clip.row_label or clip.label or "").split(None, 1)
        if len(words) != 2:
            return None
        family, section = words
        families.add(family.casefold())
        _, members, labels = sections.setdefault(section.casefold(), (section, [], []))
        members.append(index)
        labels.append(family)
    groups: list[tuple[str | None, list[int], list[str]]] = [
        (section, members, labels)
        for section, members, labels in sections.values()
        if len(members) >= 2
    ]
    return groups if len(families) >= 2 and groups else None


def _fallback(index: int) -> str:
    return f"clip {index + 1}"


def _index(labels: list[str], wanted: str) -> int:
    return labels.index(wanted) if wanted in labels else 0


def question_of(trials: Sequence[Trial], asked: str) -> str:
    return asked or f"Which one is {trials[0].labels[trials[0].answer]}?"


def why_not_blind(clips: Sequence[ClipInfo], trials: Sequence[Trial]) -> str | None:
    """What keeps a table from being blind, or None: an unplayable clip, a row
    with nothing to compare, or a trial without exactly one right answer."""
    unread = [clip.src for clip in clips if clip.metadata is None]
    if unread:
        return f"its clip {unread[0]!r} cannot be read: it has no copy"
    paired = all(trial.paired for trial in trials)
    if any(len(t.clips) < 2 for t in trials) or (
        not paired and sum(len(t.clips) for t in trials) < len(clips)
    ):
        return "a row holds a single clip, with nothing to compare it with"
    wanted = trials[0].labels[trials[0].answer].casefold()
    for trial in trials:
        where = f"its row {trial.heading!r}" if trial.heading else "it"
        right = sum(1 for label in trial.labels if label.casefold() == wanted)
        asked = trials[0].labels[trials[0].answer]
        if right == 0:
            return f"{where} has no clip labelled {asked!r}, the one asked for"
        if right > 1:
            return (
                f"{where} has {right} clips labelled {asked!r}: "
                f"{right} right answers to one question"
            )
    return None


@dataclass(frozen=True)
class BlindTable:
    """A blind table as the build writes it."""

    html: str
    #: Its clips as templates may see them (no label, no original name, no tag).
    shown: list[ClipInfo]
    #: Why each of its readers' results that does not count was left out.
    refused: list[str]


def blind_table(
    trials: Sequence[tuple[Trial, Sequence[BlindClip]]],
    question: str,
    settings: AudioTableSettings,
    number: int = 1,
    results: Results | None = None,
) -> BlindTable:
    """The blind table (the page's table ``number``) of ``trials``, each with its
    clips (in the order of :attr:`Trial.clips`), with its readers' results (the
    tokens of ``results`` taken on it) tallied under it."""
    clips = [clip for _, members in trials for clip in members]
    key = table_key(trials, question)
    seed = int(key[:8], 16)  # the same test, the same order, on every machine
    order = _Shuffle(seed)
    rows, labels, answers, shown = [], [], [], []
    sealed = settings.study == "sealed"
    for row_number, (trial, trial_clips) in enumerate(trials, 1):
        # From here on the clips are what a reader may know of them: whatever a
        # caption or an attribute shows comes from this, with no tag in it.
        anonymous = [_anonymous(clip) for clip in trial_clips]
        places = order.permutation(len(trial.clips))
        members = [anonymous[p] for p in places]
        rows.append(_row(row_number, trial, members, places, settings, sealed))
        labels.append([trial.labels[p] for p in places])
        answers.append(places.index(trial.answer))
        shown += [replace(member, row_label=trial.heading) for member in members]
    payload = _payload({"labels": labels, "answers": answers})
    attributes = {"data-audiotable-key": key}
    commitment = ""
    if settings.study:
        salt = _salt(clips, settings.study_secret)
        commitment = hashlib.sha256(f"{salt}:".encode() + payload).hexdigest()
        attributes["data-audiotable-commitment"] = commitment
        if not sealed:
            attributes["data-audiotable-salt"] = salt
    attributes["data-audiotable-blind"] = (
        f"{seed}.sealed" if sealed else f"{seed}.{_scrambled(payload, seed)}"
    )
    if settings.results_url:
        attributes["data-audiotable-send"] = settings.results_url
    choices = tuple(len(trial.clips) for trial, _ in trials)
    shape = TableShape(key, commitment, choices)
    counted, refused = [], []
    for token in (results or {}).get(key, ()):
        why = why_not_for(token, shape)
        if why is None:
            counted.append(token)
        else:
            refused.append(why)
    widest = max(choices)
    wide = [WIDE_CLASS] if widest >= WIDE_COLUMNS else []
    classes = [TABLE_CLASS, BLIND_CLASS, *palette_classes(settings.palette), *wide]
    total = AudioTableInfo(tuple(shown)).duration
    duration = f' data-audiotable-duration="{total:.3f}"' if total is not None else ""
    unfair = (
        unfair_in_general(
            [replace(clip.info, metadata=clip.copy.metadata) for clip in clips],
            settings.reference_columns,
        )
        if settings.fairness_note
        else []
    )
    footer = (
        f'<tfoot class="{FAIRNESS_CLASS}"><tr><td colspan="{widest + 1}">'
        f"{escape_text(fairness_text(unfair))}</td></tr></tfoot>"
        if unfair
        else ""
    )
    written = "".join(f' {k}="{escape_attribute(v)}"' for k, v in attributes.items())
    tallied = (
        results_html(
            tally(counted, answers, choices),
            [t.heading or f"Trial {n}" for n, (t, _) in enumerate(trials, 1)],
        )
        if counted
        else ""
    )
    html = (
        f'<table id="{table_id(number)}" class="{" ".join(classes)}" '
        f'data-audiotable-clips="{len(clips)}"{duration}{written}>'
        f'<caption class="{QUESTION_CLASS}">{escape_text(question)}</caption>'
        f"<tbody>{''.join(rows)}</tbody>{footer}</table>{tallied}"
    )
    return BlindTable(html, shown, refused)


def table_key(
    trials: Sequence[tuple[Trial, Sequence[BlindClip]]], question: str
) -> str:
    """What names a blind test wherever it is built: its question, and each
    trial's clips (their originals' content) with their labels. Readers' result
    tokens carry it."""
    design = [
        [[clip.copy.source, label] for clip, label in zip(clips, t.labels, strict=True)]
        for t, clips in trials
    ]
    text = json.dumps([question, design], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _salt(clips: Sequence[BlindClip], secret: str) -> str:
    """A study's salt: from its originals' bytes (their content keys, which no
    reader has: the page plays re-encoded copies) and the author's secret, so the
    commitment cannot be brute-forced over the few answer keys there are."""
    text = "\n".join(["audiotable-study", *(c.copy.source for c in clips), secret])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _row(
    number: int,
    trial: Trial,
    members: list[ClipInfo],
    places: list[int],
    settings: AudioTableSettings,
    sealed: bool = False,
) -> str:
    """One trial's row: its clips in the order ``places`` shuffled them to (a
    sealed study's without their reveals: its answer is not on the page)."""
    lines = {tech_line(member.metadata) for member in members if member.metadata}
    same_tech = len(lines) == 1  # else "MP3 · 320 kbps" could tell which is which
    fields = tuple(
        name
        for name in settings.caption_fields
        if name == "duration" or (name == "tech" and same_tech)
    )
    caption_settings = replace(settings, caption_fields=fields)
    heading = (
        f'<th scope="row">{escape_text(trial.heading)}</th>' if trial.heading else ""
    )
    cells = [
        _cell(
            _LETTERS[position % 26],
            str(number),
            member,
            ""
            if sealed
            else trial.labels[place]
            + (" (the one asked for)" if place == trial.answer else ""),
            caption_settings,
        )
        for position, (member, place) in enumerate(zip(members, places, strict=True))
    ]
    return f'<tr data-audiotable-trial="{number}">{heading}{"".join(cells)}</tr>'


def _cell(
    letter: str,
    trial: str,
    clip: ClipInfo,
    reveal: str,
    settings: AudioTableSettings,
) -> str:
    meta = clip.metadata
    assert meta is not None and clip.url is not None
    url = escape_attribute(clip.url)
    attributes = {
        "data-audiotable-row": trial,
        "data-audiotable-column": letter,
        **data_attributes(meta),
    }
    written = "".join(f' {k}="{escape_attribute(v)}"' for k, v in attributes.items())
    mime = MIME_TYPES.get(meta.format)
    kind = f' type="{escape_attribute(mime)}"' if mime else ""
    preload = "none" if settings.preload == "keep" else settings.preload
    player = (
        f'<audio controls preload="{preload}" aria-label="Clip {letter}"{written}>'
        f'<source src="{url}"{kind}><a href="{url}">Clip {letter}</a></audio>'
    )
    waveform = waveform_svg(meta.analysis) if meta.analysis else ""
    caption = caption_html(meta, f"Clip {letter}", settings.caption_fields)
    hidden = "".join(f"&#{ord(c)};" for c in reveal)
    details = (
        f'<details class="{REVEAL_CLASS}"><summary>Reveal</summary>'
        f"<span>{hidden}</span></details>"
        if reveal
        else ""
    )
    return (
        f'<td data-audiotable-where="Clip {letter}">'
        f"{player}{waveform}{caption}{details}</td>"
    )


#: A reveal as :func:`_cell` writes it: the answer in character references.
_REVEAL = re.compile(
    f'<details class="{REVEAL_CLASS}"><summary>Reveal</summary>'
    r"<span>(?:&#\d+;)*</span></details>"
)


def without_reveals(html: str) -> str:
    """``html`` without its blind tables' reveals: what a feed carries, where no
    script runs and many readers show a ``<details>`` open."""
    return _REVEAL.sub("", html) if REVEAL_CLASS in html else html


def _anonymous(clip: BlindClip) -> ClipInfo:
    """The clip as a reader may know it (and ``article.audiotables`` shows it):
    its copy, under the copy's name, with no label and no tag."""
    meta = clip.copy.metadata
    name = clip.copy_url.rsplit("/", 1)[-1]
    # Field by field, not a copy with the tags cleared: a tag field added to
    # ClipMetadata later stays out of blind tables until it is added here.
    kept = ClipMetadata(
        path=name,
        format=meta.format,
        codec=meta.codec,
        duration=meta.duration,
        duration_source=meta.duration_source,
        bitrate=meta.bitrate,
        bitrate_mode=meta.bitrate_mode,
        sample_rate=meta.sample_rate,
        channels=meta.channels,
        size=meta.size,
        analysis=meta.analysis,
    )
    return ClipInfo(clip.copy_url, url=clip.copy_url, metadata=kept)


class _Shuffle:
    """Mulberry32, the listening script's generator too: the build and the
    browser scramble and unscramble the same way."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFF

    def next(self) -> int:
        """The next 32 random bits."""
        a = self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        t = _imul(a ^ (a >> 15), a | 1)
        t = ((t + _imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF) ^ t
        return (t ^ (t >> 14)) & 0xFFFFFFFF

    def permutation(self, count: int) -> list[int]:
        """Fisher-Yates, as the script does it."""
        places = list(range(count))
        for i in range(count - 1, 0, -1):
            j = self.next() % (i + 1)
            places[i], places[j] = places[j], places[i]
        return places


def _imul(a: int, b: int) -> int:
    return (a * b) & 0xFFFFFFFF


def _payload(answer: object) -> bytes:
    """The answer as the page carries it (scrambled) and a study commits to."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def _scrambled(data: bytes, seed: int) -> str:
    """``data``, each byte XORed with the generator's next top byte, in base64:
    nothing a reader can read, or search, in the page's source."""
    stream = _Shuffle(seed ^ 0x5EED)
    return base64.b64encode(bytes(b ^ (stream.next() >> 24) for b in data)).decode()
