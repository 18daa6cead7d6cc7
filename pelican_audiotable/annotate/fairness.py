"""Whether the clips a table compares are a fair fight, checked at build time.

Clips that share a row are compared (in a prefix grid, the takes of one section).
A louder clip sounds better; here loudness is matched at playback, so what is left
to warn about is what matching cannot fix: a different sample rate or channel
count, a clip that clips, sounding lengths (past the leading silence) far apart,
one take starting later than the other, or one whose content stops well below
another's (an encoder's low-pass: the duller take loses). Pure: the table's clip
facts in, findings out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..model import ClipInfo, ClipMetadata

#: At or above this true peak (dBTP) a clip clips on playback.
CLIPPING = -0.1
#: Lengths further apart than this share of the longer one are not one passage.
LENGTH_SPREAD = 0.10
#: Leading silences further apart than this (seconds) are heard as a late start.
SILENCE_SPREAD = 0.3
#: Bandwidths further apart than this (Hz) are heard: one take is duller.
BANDWIDTH_SPREAD = 2000.0


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


@dataclass(frozen=True)
class ColumnRoles:
    """Which columns hold a reference or an input, not a contender: those whose
    label is one of ``references`` or begins with one ("Target speaker", "Noisy
    input"), ignoring case and punctuation, unless ``contenders`` names them."""

    references: Sequence[str] = ()
    contenders: Sequence[str] = ()

    def is_reference(self, label: str | None) -> bool:
        words = _words(label or "")
        if not words or any(_words(name) == words for name in self.contenders):
            return False
        return any(
            (reference := _words(name)) and words[: len(reference)] == reference
            for name in self.references
        )


def rows_compared(
    clips: Sequence[ClipInfo], roles: ColumnRoles = ColumnRoles()
) -> dict[int | str | None, list[int]]:
    """The clips compared with each other, by the table row they sit in (rows
    with the same label, or none, are rows all the same): a labelled row's, and
    a row without a label whose clips its columns name (a table of one row,
    "Actual" | "AI"). Positions in ``clips``; rows of one clip are no comparison,
    and clips of a column ``roles`` calls a reference (or an input) are no
    contenders."""
    rows: dict[int | str | None, list[int]] = {}
    for index, clip in enumerate(clips):
        if roles.is_reference(clip.column_label):
            continue
        if clip.row_label or clip.column_label:
            key = clip.row if clip.row is not None else clip.row_label
            rows.setdefault(key, []).append(index)
    return {row: members for row, members in rows.items() if len(members) >= 2}


def row_name(clips: Sequence[ClipInfo], members: Sequence[int]) -> str | None:
    """What a compared row is called in messages: its label, with its number
    where labels repeat or are missing."""
    first = clips[members[0]]
    number = None if first.row is None else first.row + 1
    label = first.row_label
    repeated = sum(
        1
        for clip in clips
        if clip.row_label == label and clip.row != first.row and clip.column_label
    )
    if label and not repeated:
        return label
    if number is None:
        return label
    return f"{label} (row {number})" if label else f"row {number}"


@dataclass(frozen=True)
class Finding:
    """What makes one comparison unfair, in general ("sample rates differ": all a
    blind table may say, where naming a take or listing values in the author's
    order would tell which is which) and in detail, naming the takes."""

    general: str
    detail: str


def unfair_rows(
    clips: Sequence[ClipInfo], roles: ColumnRoles = ColumnRoles()
) -> list[str]:
    """One sentence per unfair comparison, naming the row and the clips."""
    return [
        f"{row}: {finding.detail}" if row else finding.detail
        for row, finding in _row_findings(clips, roles)
    ]


def unfair_in_general(
    clips: Sequence[ClipInfo], roles: ColumnRoles = ColumnRoles()
) -> list[str]:
    """What makes the table's comparisons unfair, naming no take, once each."""
    findings = _row_findings(clips, roles)
    return list(dict.fromkeys(finding.general for _, finding in findings))


def _row_findings(
    clips: Sequence[ClipInfo], roles: ColumnRoles
) -> Iterator[tuple[str | None, Finding]]:
    for members in rows_compared(clips, roles).values():
        compared = [clips[i] for i in members if clips[i].metadata is not None]
        if len(compared) >= 2:
            for finding in _findings(compared):
                yield row_name(clips, members), finding


def _name(clip: ClipInfo) -> str:
    return clip.column_label or clip.src.rsplit("/", 1)[-1]


def _sounding(meta: ClipMetadata) -> float:
    """How long a clip sounds: its length past its leading silence, when known."""
    assert meta.duration is not None
    lead = meta.analysis.leading_silence if meta.analysis else 0.0
    return meta.duration - lead


def _findings(clips: list[ClipInfo]) -> list[Finding]:
    found = []
    metas = [clip.metadata for clip in clips if clip.metadata is not None]
    for what, values in (
        (
            "sample rates",
            [f"{m.sample_rate / 1000:g} kHz" for m in metas if m.sample_rate],
        ),
        ("channels", [str(m.channels) for m in metas if m.channels]),
    ):
        if len(set(values)) > 1:
            general = f"{what} differ"
            found.append(Finding(general, f"{general} ({', '.join(values)})"))
    durations = [_sounding(m) for m in metas if m.duration]
    if len(durations) == len(metas) and max(durations) - min(durations) > (
        LENGTH_SPREAD * max(durations)
    ):
        shown = _seconds(durations)
        lengths = ", ".join(
            f"{_name(c)} {d} s" for c, d in zip(clips, shown, strict=True)
        )
        general = "lengths differ by more than 10 %"
        found.append(Finding(general, f"{general} ({lengths})"))
    analyses = [
        (c, m.analysis) for c, m in zip(clips, metas, strict=True) if m.analysis
    ]
    for clip, analysis in analyses:
        if analysis.true_peak is not None and analysis.true_peak >= CLIPPING:
            found.append(
                Finding(
                    "a take clips",
                    f"{_name(clip)} clips (true peak "
                    f"{round(analysis.true_peak, 1) + 0.0:.1f} dBTP)",
                )
            )
    widths = [(c, a.bandwidth) for c, a in analyses if a.bandwidth]
    if len(widths) >= 2:
        hertz = [width for _, width in widths]
        if max(hertz) - min(hertz) > BANDWIDTH_SPREAD:
            listed = ", ".join(f"{_name(c)} {w / 1000:.1f} kHz" for c, w in widths)
            general = "bandwidths differ by more than 2 kHz"
            found.append(Finding(general, f"{general} ({listed})"))
    leads = [analysis.leading_silence for _, analysis in analyses]
    if len(leads) >= 2 and max(leads) - min(leads) > SILENCE_SPREAD:
        shown = _seconds(leads)
        starts = ", ".join(
            f"{_name(c)} {s} s" for (c, _), s in zip(analyses, shown, strict=True)
        )
        general = "one starts later than another"
        found.append(Finding(general, f"{general} (silence first: {starts})"))
    return found


def _seconds(values: Sequence[float]) -> list[str]:
    """Seconds with as many decimals (one to three) as it takes for values that
    differ to read differently; never "-0.0"."""
    for decimals in (1, 2, 3):
        shown = [f"{max(value, 0.0):.{decimals}f}" for value in values]
        if len(set(shown)) == len(set(values)):
            break
    return shown
