"""A blind trial's copy of a clip, written from its decoded audio by its
:class:`~.blind.recipes.CopyRecipe`: resampled, low-passed, brought to the trial's
loudness (measured once low-passed), trimmed and faded, then encoded as a
constant-bitrate MP3 of bare frames (no ID3, no Xing or LAME header, no encoder
string), so that its size and headers say nothing a sibling's do not.

Runs in the pool's workers, as decoding does: FFmpeg's C code over untrusted
bytes. PyAV (FFmpeg) decodes and encodes, scipy filters; both come with the
``[analysis]`` extra.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..blind.recipes import BITRATE, FADE_IN, FADE_OUT, RATE, CopyRecipe
from ..errors import TooCostly, UndecodableClip
from .analysis import audio_stream, packets

if TYPE_CHECKING:
    import numpy as np

#: LAME's signature, as it writes it into the padding it drains from its bit
#: reservoir (as much of "LAME3.100" as fits).
_SIGNATURE = re.compile(rb"LAME[\d.]*[a-z]?")
#: The loudest sample a copy may reach, in dBFS: the encoder's overshoot fits.
HEADROOM = -1.0
#: The low-pass keeps this share of the cutoff whole, and stops at the cutoff.
_PASSBAND = 0.95
#: Samples a frame of MPEG-1 Layer III holds: what the encoder is fed at a time.
_FRAME = 1152


def equalised_copy(
    source: Path, target: Path, recipe: CopyRecipe, budget: float
) -> None:
    """Write ``source``'s copy by ``recipe`` to ``target`` within ``budget`` CPU
    seconds. Raises :class:`~.errors.ClipError` when it cannot, leaving no
    ``target``."""
    deadline = time.process_time() + budget
    try:
        samples = _decoded(source, recipe, deadline)
        _encode(_shaped(samples, recipe), target, recipe.channels, deadline)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _decoded(source: Path, recipe: CopyRecipe, deadline: float) -> np.ndarray:
    """The part of the clip the recipe keeps, as float32 channels by samples at
    the copies' rate and channel count."""
    import av
    import numpy as np

    layout = "stereo" if recipe.channels == 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=RATE)
    first = round(recipe.start * RATE) + recipe.shift
    wanted = first + round(recipe.length * RATE)
    pieces: list[np.ndarray] = []
    gathered = 0
    with audio_stream(source) as (container, stream):
        shape = None
        for packet in packets(container, stream):
            _check(deadline)
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue  # a damaged packet: skipped, as analysis and browsers do
            for frame in frames:
                frame_shape = (frame.format.name, frame.layout.name, frame.sample_rate)
                shape = shape or frame_shape
                if frame_shape != shape:
                    continue  # as analysis measured it: the first shape wins
                frame.pts = None
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray())
                    gathered += out.samples
            if gathered >= wanted:
                break
        for out in resampler.resample(None):
            pieces.append(out.to_ndarray())
    if not pieces:
        raise UndecodableClip("FFmpeg decodes no sound from it")
    audio = np.concatenate(pieces, axis=1)[:, first:wanted]
    missing = wanted - first - audio.shape[1]
    if missing > 0:  # a hair shorter than analysis counted: padded with silence
        audio = np.pad(audio, ((0, 0), (0, missing)))
    return np.ascontiguousarray(audio, dtype=np.float32)


def _shaped(audio: np.ndarray, recipe: CopyRecipe) -> np.ndarray:
    """Its DC offset removed, low-passed, brought to its gain, given its noise
    and faded at both ends."""
    import numpy as np

    audio = audio - audio.mean(axis=1, keepdims=True, dtype=np.float64)
    audio = _low_passed(audio.astype(np.float32), recipe.cutoff)
    audio = audio * np.float32(10 ** (_gain(audio, recipe.loudness) / 20))
    if recipe.noise is not None:
        # Seeded by the trial's salt and the recipe: the same copy every build.
        seed = int(hashlib.sha256(repr(recipe).encode()).hexdigest()[:16], 16)
        noise = _low_passed(_room_tone(audio.shape, seed), recipe.cutoff)
        audio = audio + noise * np.float32(10 ** (recipe.noise / 20))
    rise, fall = round(FADE_IN * RATE), round(FADE_OUT * RATE)
    audio[:, :rise] *= np.linspace(0, 1, rise, endpoint=False, dtype=np.float32)
    audio[:, audio.shape[1] - fall :] *= np.linspace(1, 0, fall, dtype=np.float32)
    return np.asarray(np.clip(audio, -1.0, 1.0), dtype=np.float32)


def _room_tone(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Noise at 0 dBFS RMS falling 3 dB an octave (pink), as a room's does: white
    noise would brighten a copy's top octaves, which its siblings' floors lack."""
    import numpy as np

    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(shape), axis=-1)
    bins = np.arange(spectrum.shape[-1], dtype=np.float64)
    spectrum /= np.sqrt(np.maximum(bins, 1.0))
    pink = np.fft.irfft(spectrum, n=shape[-1], axis=-1)
    return np.asarray(pink / (np.sqrt(np.mean(pink**2)) or 1.0), dtype=np.float32)


def _low_passed(audio: np.ndarray, cutoff: float | None) -> np.ndarray:
    """Steep (elliptic: 60 dB within 5 % of the cutoff, twice over) and zero-phase
    (each copy stays aligned with its siblings): every copy's content then stops
    where the narrowest clip's does."""
    import numpy as np

    if cutoff is None or cutoff >= RATE / 2:
        return audio
    from scipy.signal import ellip, ellipord, sosfiltfilt

    edge = _PASSBAND * cutoff
    order, band = ellipord(edge, cutoff, 0.05, 60, fs=RATE)
    sections = ellip(order, 0.05, 60, band, fs=RATE, output="sos")
    if audio.shape[1] <= 3 * 2 * len(sections):
        return audio
    return np.asarray(sosfiltfilt(sections, audio, axis=1), dtype=np.float32)


def _gain(audio: np.ndarray, target: float | None) -> float:
    """The dB that bring ``audio`` (low-passed already: a low-pass takes loudness
    away) to ``target`` LUFS, within the headroom its peak leaves."""
    from .loudness import LoudnessMeter

    if target is None:
        return 0.0
    names = ["FL", "FR"] if audio.shape[0] == 2 else ["FC"]
    meter = LoudnessMeter(RATE, names)
    meter.feed(audio)
    measured = meter.result()
    if measured.loudness is None or measured.sample_peak is None:
        return 0.0  # silence: nothing to bring anywhere
    return min(target - measured.loudness, HEADROOM - measured.sample_peak)


def _encode(audio: np.ndarray, target: Path, channels: int, deadline: float) -> None:
    """Bare MP3 frames at a constant bitrate: nothing but the sound."""
    import av

    layout = "stereo" if channels == 2 else "mono"
    options = {"id3v2_version": "0", "write_id3v1": "0", "write_xing": "0"}
    with av.open(str(target), "w", format="mp3", options=options) as output:
        output.flags |= av.container.Flags.bitexact.value
        stream: Any = output.add_stream("libmp3lame", rate=RATE, layout=layout)
        stream.bit_rate = BITRATE
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        for start in range(0, audio.shape[1], _FRAME):
            _check(deadline)
            frame = av.AudioFrame.from_ndarray(
                audio[:, start : start + _FRAME], format="fltp", layout=layout
            )
            frame.sample_rate = RATE
            frame.pts = start
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    _scrub(target)


def _scrub(target: Path) -> None:
    """LAME signs the padding it drains from its bit reservoir ("LAME3.100", or
    as much of it as fits): ancillary data, bytes no decoder reads, zeroed. (Four
    bytes of audio spelling "LAME" by chance: once in about 25,000 copies.)"""
    data = target.read_bytes()
    scrubbed = _SIGNATURE.sub(lambda found: bytes(len(found[0])), data)
    if scrubbed != data:
        target.write_bytes(scrubbed)


def _check(deadline: float) -> None:
    if time.process_time() > deadline:
        raise TooCostly(
            "too costly to copy for a blind test (over its CPU budget: "
            "AUDIOTABLE_DECODE_BUDGET raises it)"
        )
