"""A blind table's trials: which tables are asked to be blind, the clips each
trial sets side by side with their labels, what it asks, and why a table cannot
be blind. Pure: clips in, trials out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..annotate.fairness import row_name, rows_compared
from ..model import ClipInfo, MadeCopy

BLIND_CLASS = "audiotable-blind"
QUESTION_CLASS = "audiotable-question"
REVEAL_CLASS = "audiotable-reveal"
#: A sealed study's ``data-audiotable-blind``: its answer is not on the page.
SEALED = "sealed"
#: What stands in the place of a blind table that could not be built: never the
#: table open, whose labels would give the answers away.
NOT_BUILT_HTML = (
    '<p class="audiotable-not-built" role="note">'
    "This listening test could not be built.</p>"
)
#: What a trial's clips are called, in the order a reader meets them.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


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
    widest = max(len(t.clips) for t in trials)
    if widest > len(LETTERS):
        return (
            f"a trial holds {widest} clips, and a reader picks among at most "
            f"{len(LETTERS)} (A to Z)"
        )
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
