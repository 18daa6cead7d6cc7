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

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..annotate.fairness import ColumnRoles, unfair_in_general
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
from ..errors import BlindTestError
from ..markup.tokens import escape_attribute, escape_text
from ..markup.tree import Element, Raw
from ..model import (
    COPIES,
    AudioTableInfo,
    ClipInfo,
    ClipMetadata,
    MadeCopy,
    PageRef,
    Problem,
    ProblemKind,
    Unreadable,
)
from ..settings import AudioTableSettings
from .answer import (
    Shuffle,
    answer_bytes,
    order_seed,
    scrambled,
    study_salt,
    table_key,
)
from .leaks import trial_leaks
from .results import (
    Results,
    TableShape,
    results_html,
    set_aside,
    tally,
    why_not_for,
)
from .trials import (
    BLIND_CLASS,
    LETTERS,
    NOT_BUILT_HTML,
    QUESTION_CLASS,
    REVEAL_CLASS,
    SEALED,
    BlindClip,
    Trial,
    question_of,
    trials_of,
    why_not_blind,
)


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
    key = table_key(
        question,
        [
            [
                (clip.copy.source, label)
                for clip, label in zip(clips, t.labels, strict=True)
            ]
            for t, clips in trials
        ],
    )
    if settings.study and not settings.study_secret:
        raise BlindTestError("a study needs AUDIOTABLE_STUDY_SECRET")
    order = Shuffle(order_seed(key, settings.study_secret if settings.study else ""))
    rows, labels, answers, shown = [], [], [], []
    sealed = settings.study == "sealed"
    for row_number, (trial, trial_clips) in enumerate(trials, 1):
        # From here on the clips are what a reader may know of them: whatever a
        # caption or an attribute shows comes from this, with no tag in it.
        anonymous = _alike([_anonymous(clip) for clip in trial_clips])
        places = order.permutation(len(trial.clips))
        members = [anonymous[p] for p in places]
        rows.append(_row(row_number, trial, members, places, settings, sealed))
        labels.append([trial.labels[p] for p in places])
        answers.append(places.index(trial.answer))
        shown += [replace(member, row_label=trial.heading) for member in members]
    payload = answer_bytes({"labels": labels, "answers": answers})
    attributes = {
        "data-audiotable-key": key,
        "data-audiotable-work": str(settings.results_work),
    }
    commitment = ""
    if settings.study:
        salt = study_salt([c.copy.source for c in clips], settings.study_secret)
        commitment = hashlib.sha256(f"{salt}:".encode() + payload).hexdigest()
        attributes["data-audiotable-commitment"] = commitment
        if not sealed:
            attributes["data-audiotable-salt"] = salt
    seed = int(key[:8], 16)  # scrambles the answer: hides it from a search only
    attributes["data-audiotable-blind"] = (
        SEALED if sealed else f"{seed}.{scrambled(payload, seed)}"
    )
    if settings.results_url:
        attributes["data-audiotable-send"] = settings.results_url
    choices = tuple(len(trial.clips) for trial, _ in trials)
    shape = TableShape(key, commitment, choices, settings.results_work)
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
            ColumnRoles(settings.reference_columns, settings.contender_columns),
        )
        if settings.fairness_note
        else []
    )
    footer = (
        f'<tfoot class="{FAIRNESS_CLASS}"><tr class="{FAIRNESS_CLASS}">'
        f'<td colspan="{widest + 1}">'
        f"{escape_text(fairness_text(unfair))}</td></tr></tfoot>"
        if unfair
        else ""
    )
    written = "".join(f' {k}="{escape_attribute(v)}"' for k, v in attributes.items())
    kept, aside = set_aside(counted)
    tallied = (
        results_html(
            tally(kept, answers, choices),
            [t.heading or f"Trial {n}" for n, (t, _) in enumerate(trials, 1)],
            aside,
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
            LETTERS[position],
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
    # Hidden until the pick (the script shows it then): a take's shape, seen at
    # a glance, is not what a listening test asks about.
    waveform = (
        waveform_svg(meta.analysis).replace("<svg ", '<svg visibility="hidden" ', 1)
        if meta.analysis
        else ""
    )
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


def _alike(clips: list[ClipInfo]) -> list[ClipInfo]:
    """A trial's clips with one loudness, one peak and one lead-in between them
    (the trial's: its copies are matched): a figure that differed in the page's
    source would tell them apart without a listen."""
    analyses = [
        c.metadata.analysis for c in clips if c.metadata and c.metadata.analysis
    ]
    if len(analyses) < len(clips):
        return clips
    loud = [a.loudness for a in analyses if a.loudness is not None]
    peaks = [a.true_peak for a in analyses if a.true_peak is not None]
    samples = [a.sample_peak for a in analyses if a.sample_peak is not None]
    loudness = round(sum(loud) / len(loud), 1) if loud else None
    true_peak = max(peaks) if peaks else None
    sample_peak = max(samples) if samples else None
    lead = max(a.leading_silence for a in analyses)
    return [
        replace(
            clip,
            metadata=replace(
                meta,
                analysis=replace(
                    analysis,
                    loudness=loudness,
                    true_peak=true_peak,
                    sample_peak=sample_peak,
                    leading_silence=lead,
                ),
            ),
        )
        for clip, analysis in zip(clips, analyses, strict=True)
        if (meta := clip.metadata)
    ]


@dataclass(frozen=True)
class Blinded:
    """What making a table blind gives: the table written anew (``info``; with no
    clips when a note stands in its place), the copies it plays (their names
    among the published ones), and what is wrong either way."""

    info: AudioTableInfo
    copies: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    #: The takes it plays, as (content key, the clip as written): never on a
    #: page, but what tells the build a take recurs across pages.
    takes: tuple[tuple[str, str], ...] = ()


def make_blind(
    element: Element,
    clips: list[ClipInfo],
    paths: Sequence[Path | None],
    copies: Callable[[int, tuple[Path, ...]], Sequence[MadeCopy | Unreadable]],
    asked: str,
    settings: AudioTableSettings,
    page: PageRef,
    where: str,
    number: int,
    url_of: Callable[[str], str],
    results: Results | None = None,
) -> Blinded:
    """The table ``element`` (the page's table ``number``, named ``where`` in
    messages) written anew as a blind test asking ``asked`` ("": from its
    labels), each trial playing the copies ``copies`` gives for it (its place
    among the trials, from 0) and its clip files (``paths``, one a clip), found by
    the page at ``url_of(name)``."""

    def problem(kind: ProblemKind, message: str) -> Problem:
        return Problem(page.source_path, None, kind, message)

    trials = trials_of(clips)
    played = _played(trials, clips, paths, copies, url_of)
    if isinstance(played, str):
        return not_built(element, settings, page, where, played)
    audit, problems = [], []
    problems += [
        problem(ProblemKind.LEAK, f"blind {where}: {line}")
        for line in recurring_takes(played)
    ]
    for count, (trial, members) in enumerate(played, 1):
        leaks = trial_leaks([member.copy for member in members])
        heading = f" ({trial.heading})" if trial.heading else ""
        audit.append(f"trial {count}{heading}: " + ("; ".join(leaks) or "no leaks"))
        if leaks:
            named = f", trial {trial.heading[:40]!r}" if trial.heading else ""
            problems.append(
                problem(
                    ProblemKind.LEAK,
                    f"blind {where}{named}: its copies can be told apart without "
                    f"listening, by their {'; '.join(leaks)}",
                )
            )
    written = blind_table(played, question_of(trials, asked), settings, number, results)
    problems += [
        problem(
            ProblemKind.RESULTS,
            f"blind {where}: a reader's result is not counted: {why}",
        )
        for why in written.refused
    ]
    element.replace_with(Raw(written.html))
    names = tuple(member.copy.name for _, members in played for member in members)
    info = AudioTableInfo(tuple(written.shown), blind=True, audit=tuple(audit))
    takes = tuple(
        dict.fromkeys(
            (member.copy.source, member.info.src)
            for _, members in played
            for member in members
            if member.copy.source
        )
    )
    return Blinded(
        info, tuple(f"{COPIES}/{name}" for name in names), tuple(problems), takes
    )


def recurring_takes(played: Sequence[tuple[Trial, Sequence[BlindClip]]]) -> list[str]:
    """Each take heard in several trials of a table: whatever its copies, a reader
    who hears it again knows it for the one that recurs (the human take against
    three AI ones, say)."""
    trials: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for number, (_, members) in enumerate(played, 1):
        for member in members:
            if member.copy.source:
                trials.setdefault(member.copy.source, []).append(number)
                names.setdefault(member.copy.source, member.info.src)
    return [
        f"the take {names[source]!r} is in trials "
        f"{', '.join(map(str, sorted(set(numbers))))}: a reader who hears it again "
        "knows it for the take that recurs"
        for source, numbers in trials.items()
        if len(set(numbers)) > 1
    ]


def takes_across_pages(
    pages: Sequence[tuple[str, Sequence[tuple[str, str]]]],
) -> list[Problem]:
    """A problem for each take that blind tables of several pages play (pages as
    their source paths with their takes): a reader of the site who meets it again
    knows it for the take that recurs, whatever its copies."""
    found: dict[str, list[tuple[str, str]]] = {}
    for source, takes in pages:
        for key, src in dict(takes).items():
            found.setdefault(key, []).append((source, src))
    return [
        Problem(
            places[0][0],
            places[0][1],
            ProblemKind.LEAK,
            f"this take is in blind tables of {len(places)} pages "
            f"({', '.join(sorted(page for page, _ in places))}): a reader who "
            "meets it again knows it for the take that recurs",
        )
        for places in found.values()
        if len({page for page, _ in places}) > 1
    ]


def not_built_kind(settings: AudioTableSettings) -> ProblemKind:
    """What a blind table that could not be built is: an error, and for a study
    one that fails the build."""
    return ProblemKind.STUDY_NOT_BUILT if settings.study else ProblemKind.NOT_BLIND


def not_built(
    element: Element, settings: AudioTableSettings, page: PageRef, where: str, why: str
) -> Blinded:
    """A note in the place of the table ``element`` that could not be written as
    blind, and the error saying why: a blind table is never published open."""
    element.replace_with(Raw(NOT_BUILT_HTML))
    kind = not_built_kind(settings)
    message = (
        f"{where} could not be built as a blind test, and a note stands in "
        f"its place: {why}"
    )
    return Blinded(
        AudioTableInfo((), blind=True),
        problems=(Problem(page.source_path, None, kind, message),),
    )


def _played(
    trials: list[Trial],
    clips: list[ClipInfo],
    paths: Sequence[Path | None],
    copies: Callable[[int, tuple[Path, ...]], Sequence[MadeCopy | Unreadable]],
    url_of: Callable[[str], str],
) -> list[tuple[Trial, list[BlindClip]]] | str:
    """Each trial with the copies its clips play, or why the table cannot be
    blind."""
    reason = why_not_blind(clips, trials)
    if reason is not None:
        return reason
    played = []
    for number, trial in enumerate(trials):
        files = tuple(p for i in trial.clips if (p := paths[i]))
        members = []
        for index, copy in zip(trial.clips, copies(number, files), strict=False):
            if isinstance(copy, Unreadable):
                return f"its clip {clips[index].src!r} has no copy: {copy.message}"
            members.append(
                BlindClip(clips[index], url_of(f"{COPIES}/{copy.name}"), copy)
            )
        if len(members) < len(trial.clips):
            return "this build makes no copies of its clips"
        played.append((trial, members))
    return played
