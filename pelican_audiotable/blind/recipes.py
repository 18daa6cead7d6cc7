"""How a blind trial's clips are copied so that nothing but their sound tells them
apart: one recipe a clip, computed from what the build learnt of the trial's clips.

Every copy of a trial is made the same way (one codec, bitrate, sample rate and
channel layout: mono when any clip is mono or dual-mono), its DC offset removed,
band-limited to the narrowest clip's bandwidth, brought to the quietest clip's
loudness (measured once low-passed, within the headroom a copy has: nothing
clips), given the trial's noise floor (noise added to the cleaner copies, so that
digital silence and room tone read alike), started where its sound starts
(relative to its own level, so a room-tone lead-in goes too), and cut to the
shortest clip's length with the same short fades. Each trial's copies are salted
(a few samples skipped, the noise seeded): no copy recurs across trials or pages.
Pure: clip facts in, recipes out; :mod:`~.learn.equalise` writes the files.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import ClipAnalysis, ClipMetadata

#: Bump when a copy made from the same recipe would come out differently.
RECIPE_VERSION = 3
#: What every copy is: MP3 plays in every browser, and at a constant bitrate two
#: copies of one length are of one size to the byte.
RATE = 44_100
BITRATE = 192_000
#: The same short fades on every copy: no copy starts or ends on a click.
FADE_IN = 0.005
FADE_OUT = 0.05
#: Content above this is kept as the codec keeps it: no low-pass is needed.
FULL_BAND = 19_000.0
#: A clip whose side carries this little energy against its mid (dB) is mono.
MONO_SIDE = -40.0
#: A quietest 100 ms louder than this (dBFS) is music, not a noise floor.
NOISE_CEILING = -45.0
#: Copies whose floors are within this many dB of the trial's get no noise.
NOISE_SLACK = 1.0
#: Every copy's floor is at least this (dBFS): no copy is digitally silent where
#: a sibling holds the faintest noise (inaudible: 16-bit dither is -96).
LEAST_FLOOR = -80.0
#: At most this many samples are skipped at a copy's start, by its salt.
MOST_SHIFT = 32


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
    #: Noise added once the copy is at its loudness (dBFS RMS); None: none.
    noise: float | None = None
    #: The trial's own: where its copies start within a few samples, and their
    #: noise.
    salt: str = ""

    @property
    def shift(self) -> int:
        """Samples skipped at the start, by the salt (under a millisecond)."""
        return int(self.salt[:4] or "0", 16) % MOST_SHIFT

    def key(self, content_key: str) -> str:
        """The copy's name in the clip store: its source's content and the recipe
        (the file it becomes is named by its own bytes)."""
        cutoff = f"{self.cutoff:.0f}" if self.cutoff else "-"
        loudness = f"{self.loudness:.2f}" if self.loudness is not None else "-"
        noise = f"{self.noise:.1f}" if self.noise is not None else "-"
        text = (
            f"{RECIPE_VERSION}|{content_key}|{self.start:.3f}|{self.length:.3f}|"
            f"{loudness}|{cutoff}|{self.channels}|{noise}|{self.salt}|{RATE}|"
            f"{BITRATE}"
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def trial_recipes(
    clips: Sequence[ClipMetadata], salt: str = ""
) -> list[CopyRecipe] | str:
    """The recipe of each clip of a trial (salted with ``salt``), or why its
    copies cannot be matched (a clip was not decoded: the build then copies the
    clips untagged)."""
    analyses = []
    for clip in clips:
        analysis = clip.analysis
        if analysis is None or analysis.decoded is None:
            return "its clips were not all decoded (the [analysis] extra is needed)"
        analyses.append(analysis)
    starts = [min(a.onset, a.decoded or 0.0) for a in analyses]
    heard = [
        (a.decoded or 0.0) - start for a, start in zip(analyses, starts, strict=True)
    ]
    length = min(heard)  # the salt's few samples more are padded: faded out
    if length <= FADE_IN + FADE_OUT:
        return f"its shortest clip holds {max(length, 0.0):.2f} s of sound"
    loud = [a.loudness for a in analyses if a.loudness is not None]
    target = min(loud) if loud else None
    bands = [a.bandwidth for a in analyses if a.bandwidth]
    narrowest = min(bands) if bands else None
    cutoff = narrowest if narrowest is not None and narrowest < FULL_BAND else None
    mono = any(
        (clip.channels or 1) == 1 or (a.side is not None and a.side <= MONO_SIDE)
        for clip, a in zip(clips, analyses, strict=True)
    )
    return [
        CopyRecipe(
            start=round(start, 3),
            length=round(length, 3),
            loudness=round(target, 2) if target is not None else None,
            cutoff=round(cutoff) if cutoff else None,
            channels=1 if mono else 2,
            noise=noise,
            salt=salt,
        )
        for start, noise in zip(starts, _noises(analyses, target), strict=True)
    ]


def _noises(
    analyses: Sequence[ClipAnalysis], target: float | None
) -> list[float | None]:
    """The noise each copy gets so that every copy's floor is the trial's: the
    noisiest floor, as it will be once each copy is at the trial's loudness."""
    floors = [
        None
        if a.floor is None
        else a.floor
        + (
            target - a.loudness
            if target is not None and a.loudness is not None
            else 0.0
        )
        for a in analyses
    ]
    noisy = [f for f in floors if f is not None and f <= NOISE_CEILING]
    trial = max([*noisy, LEAST_FLOOR])
    return [
        round(10 * math.log10(10 ** (trial / 10) - 10 ** (f / 10)), 1)
        if f is not None and f < trial - NOISE_SLACK
        else None
        for f in floors
    ]
