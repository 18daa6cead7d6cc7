"""How a blind trial's clips are copied so that nothing but their sound tells them
apart: one recipe a clip, computed from what the build learnt of the trial's clips.

Every copy of a trial is made the same way (one codec, bitrate, sample rate and
channel count), band-limited to the narrowest clip's bandwidth, brought to the
quietest clip's loudness (measured once low-passed, within the headroom a copy
has: nothing clips), started where its sound starts, and cut to the shortest
clip's length with the same short fades. Pure: clip
facts in, recipes out; :mod:`~.learn.equalise` writes the files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import ClipMetadata

#: Bump when a copy made from the same recipe would come out differently.
RECIPE_VERSION = 2
#: What every copy is: MP3 plays in every browser, and at a constant bitrate two
#: copies of one length are of one size to the byte.
RATE = 44_100
BITRATE = 192_000
#: The same short fades on every copy: no copy starts or ends on a click.
FADE_IN = 0.005
FADE_OUT = 0.05
#: Content above this is kept as the codec keeps it: no low-pass is needed.
FULL_BAND = 19_000.0


@dataclass(frozen=True)
class CopyRecipe:
    """How one clip of a trial is copied."""

    start: float  # seconds of leading silence skipped
    length: float  # seconds kept
    #: The loudness every copy of the trial is brought to (LUFS), measured on
    #: the copy once low-passed; None: silence, left as it is.
    loudness: float | None
    cutoff: float | None  # Hz of the low-pass; None: none
    channels: int  # 1 or 2

    def key(self, content_key: str) -> str:
        """The copy's name in the clip store: its source's content and the recipe
        (the file it becomes is named by its own bytes)."""
        cutoff = f"{self.cutoff:.0f}" if self.cutoff else "-"
        loudness = f"{self.loudness:.2f}" if self.loudness is not None else "-"
        text = (
            f"{RECIPE_VERSION}|{content_key}|{self.start:.3f}|{self.length:.3f}|"
            f"{loudness}|{cutoff}|{self.channels}|{RATE}|{BITRATE}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def trial_recipes(clips: Sequence[ClipMetadata]) -> list[CopyRecipe] | str:
    """The recipe of each clip of a trial, or why its copies cannot be matched
    (a clip was not decoded: the build then copies the clips untagged)."""
    analyses = []
    for clip in clips:
        analysis = clip.analysis
        if analysis is None or analysis.decoded is None:
            return "its clips were not all decoded (the [analysis] extra is needed)"
        analyses.append(analysis)
    starts = [a.leading_silence for a in analyses]
    heard = [
        (a.decoded or 0.0) - start for a, start in zip(analyses, starts, strict=True)
    ]
    length = min(heard)
    if length <= FADE_IN + FADE_OUT:
        return f"its shortest clip holds {max(length, 0.0):.2f} s of sound"
    loud = [a.loudness for a in analyses if a.loudness is not None]
    target = min(loud) if loud else None
    bands = [a.bandwidth for a in analyses if a.bandwidth]
    narrowest = min(bands) if bands else None
    cutoff = narrowest if narrowest is not None and narrowest < FULL_BAND else None
    channels = 2 if any((clip.channels or 1) > 1 for clip in clips) else 1
    return [
        CopyRecipe(
            start=round(start, 3),
            length=round(length, 3),
            loudness=round(target, 2) if target is not None else None,
            cutoff=round(cutoff) if cutoff else None,
            channels=channels,
        )
        for start in starts
    ]
