"""The leak audit: every cue besides their sound that still tells a blind trial's
copies apart, as a curious reader could find it (file sizes, lengths, headers,
encoder strings, lead-ins, bandwidths, loudness) or a classifier reading the
copies' samples (DC offsets, channel layouts and widths, exact zeros, noise
floors, clipping, peaks, onsets: :mod:`~.learn.cues`). "No leaks" is the normal
outcome; any cue found is reported to the author: what copying cannot equalise
(clipping, a production's dynamics or stereo image) is named here. Pure: the
copies' facts in, findings out.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import TAG_FIELDS, ClipAnalysis, ClipMetadata, MadeCopy
from .recipes import MONO_SIDE, NOISE_CEILING

#: Beyond these, copies differ in a way a reader can see or hear without
#: comparing the music: sizes (a share of the largest), lengths and lead-ins
#: (seconds), bandwidths (Hz), loudness (LU).
SIZE = 0.03
LENGTH = 0.05
LEAD_IN = 0.05
BANDWIDTH = 1000.0
LOUDNESS = 1.0
#: ... DC offsets (full scale 1.0), side-to-mid energies (dB), shares of exact
#: zeros, noise floors (dB, where one is a floor, not music), shares of samples on
#: the peak's plateau (a ratio, once one is clipped), sample peaks (dB), onsets (s).
DC = 0.002
WIDTH = 15.0
ZEROS = 0.01
FLOOR = 6.0
CLIPPED = 1e-4
CLIPPING = 3.0
PEAK = 3.0
ONSET = 0.05

_HEADERS = (
    ("format", "formats"),
    ("codec", "codecs"),
    ("bitrate", "bitrates"),
    ("sample_rate", "sample rates"),
    ("channels", "channel counts"),
)


def trial_leaks(copies: Sequence[MadeCopy]) -> list[str]:
    """What tells the copies of one trial apart besides their sound."""
    metadata = [copy.metadata for copy in copies]
    found = []
    sizes = [m.size for m in metadata]
    if max(sizes) and (max(sizes) - min(sizes)) / max(sizes) > SIZE:
        share = (max(sizes) - min(sizes)) / max(sizes)
        found.append(f"sizes ({share:.0%} apart)")
    found += _spread([m.duration for m in metadata], LENGTH, "lengths", "{:.2f} s")
    for name, plural in _HEADERS:
        values = {getattr(m, name) for m in metadata}
        if len(values) > 1:
            found.append(f"{plural} ({', '.join(sorted(str(v) for v in values))})")
    tagged = sorted({t for m in metadata for t in TAG_FIELDS if getattr(m, t)})
    if any(m.has_cover for m in metadata):
        tagged.append("cover")
    if tagged:
        found.append(f"tags ({', '.join(tagged)})")
    marks = {copy.marks for copy in copies}
    if any(marks):
        shown = ", ".join(sorted({mark for m in marks for mark in m}))
        found.append(f"encoder strings ({shown})")
    found += _analysis_leaks(metadata)
    return found


def _analysis_leaks(metadata: Sequence[ClipMetadata]) -> list[str]:
    analyses = [m.analysis for m in metadata]
    if any(a is None for a in analyses):
        return ["lead-ins, bandwidths and loudness unchecked (not all decoded)"]
    found = _spread(
        [a.leading_silence for a in analyses if a], LEAD_IN, "lead-ins", "{:.2f} s"
    )
    found += _spread(
        [a.bandwidth for a in analyses if a], BANDWIDTH, "bandwidths", "{:.0f} Hz"
    )
    found += _spread(
        [a.loudness for a in analyses if a], LOUDNESS, "loudness", "{:.1f} LUFS"
    )
    return found + _cue_leaks([a for a in analyses if a])


def _cue_leaks(analyses: Sequence[ClipAnalysis]) -> list[str]:
    """What a classifier reading the copies' samples would tell them apart by."""
    found = _spread([a.dc for a in analyses], DC, "DC offsets", "{:.4f}")
    sides = [a.side for a in analyses]
    mono = [side is None or side <= MONO_SIDE for side in sides]
    if any(mono) and not all(mono):
        found.append("channel layouts (mono and stereo)")
    elif not any(mono):
        found += _spread(sides, WIDTH, "stereo widths", "{:.0f} dB side")
    found += _spread(
        [a.zeros * 100 for a in analyses], ZEROS * 100, "exact zeros", "{:.1f} %"
    )
    floors = [a.floor for a in analyses if a.floor is not None]
    if any(f <= NOISE_CEILING for f in floors):
        found += _spread(floors, FLOOR, "noise floors", "{:.0f} dBFS")
    plateaus = [a.plateau for a in analyses]
    if max(plateaus) > CLIPPED and max(plateaus) > CLIPPING * min(plateaus):
        low, high = min(plateaus) * 100, max(plateaus) * 100
        found.append(
            f"clipping ({low:.3f} % to {high:.3f} % of samples on the peak), which "
            "no copy removes"
        )
    found += _spread([a.sample_peak for a in analyses], PEAK, "peaks", "{:.1f} dBFS")
    found += _spread([a.onset for a in analyses], ONSET, "onsets", "{:.2f} s")
    return found


def _spread(
    values: Sequence[float | None], beyond: float, plural: str, unit: str
) -> list[str]:
    known = [v for v in values if v is not None]
    if len(known) < 2 or max(known) - min(known) <= beyond:
        return []
    low, high = unit.format(min(known)), unit.format(max(known))
    return [f"{plural} ({low} to {high})"]
