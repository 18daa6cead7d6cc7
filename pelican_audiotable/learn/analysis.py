"""Analyse: a clip decoded and measured, once per content, in the pool's workers.

Decoding is PyAV's (FFmpeg's decoders, bundled in its wheel: every format this
plugin reads, no program to install); measuring is :mod:`.loudness`'s. Both come
with the ``[analysis]`` extra; without it everything else works and analysis is off.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClipError, TooCostly, UndecodableClip, short_reason
from ..files import is_regular
from ..model import ClipAnalysis, NotDecoded

if TYPE_CHECKING:
    import numpy as np

    from .cues import CueMeter
    from .loudness import LoudnessMeter
    from .spectrum import SpectrumMeter

#: Only so much of a clip is decoded: a comparison's clips are minutes long, and a
#: file claiming days must not hold up the build.
MAX_SECONDS = 3600
#: Decoded samples are measured a second at a time, in whole 100 ms steps.
_CHUNK_HOPS = 10


def analyse_guarded(path: Path, budget: float = math.inf) -> ClipAnalysis | NotDecoded:
    """A clip's analysis, or why there is none. Whatever the bytes, nothing else
    comes out."""
    try:
        return analyse(path, budget)
    except TooCostly as error:  # tried again under a larger budget
        return NotDecoded(str(error), budget)
    except MemoryError:
        return NotDecoded(
            "too costly to analyse (over the memory a worker may take: "
            "AUDIOTABLE_DECODE_MEMORY raises it)"
        )
    except ClipError as error:
        return NotDecoded(str(error))
    except Exception as error:  # a bug of ours or PyAV's: the build goes on
        return NotDecoded(f"analysis failed ({short_reason(error)}); please report it")


def analyse(path: Path, budget: float = math.inf) -> ClipAnalysis:
    """Decode the clip at ``path`` and measure it, within ``budget`` CPU seconds.
    Raises :class:`UndecodableClip` when FFmpeg finds no sound in it, or when it
    costs more than the budget."""
    with audio_stream(path) as (container, stream):
        return _measure(container, stream, budget)


@contextmanager
def audio_stream(path: Path) -> Iterator[tuple[Any, Any]]:
    """A clip opened by FFmpeg, with its first audio stream; raises
    :class:`UndecodableClip` when there is none."""
    import av

    if not is_regular(path):  # FFmpeg would wait on a FIFO forever
        raise UndecodableClip("it is not a regular file")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError, UnicodeError) as error:
        raise UndecodableClip(f"FFmpeg cannot open it ({error})") from None
    with container:
        if not container.streams.audio:
            raise UndecodableClip("FFmpeg finds no audio stream in it")
        yield container, container.streams.audio[0]


def packets(container: Any, stream: Any) -> Iterator[Any]:
    """The stream's packets, up to where the rest cannot be demuxed (where a
    browser stops too)."""
    import av

    demuxed = container.demux(stream)
    while True:
        try:
            yield next(demuxed)
        except (StopIteration, av.FFmpegError):
            return


def _measure(container: Any, stream: Any, budget: float) -> ClipAnalysis:
    """Decoded frames gathered in FFmpeg's own FIFO and measured a second at a
    time: one conversion to numpy a second, not one a frame (half the cost)."""
    import av

    meter: LoudnessMeter | None = None
    spectrum: SpectrumMeter | None = None
    cues: CueMeter | None = None
    fifo = av.AudioFifo()
    shape = None
    deadline = time.process_time() + budget
    capped = False
    for packet in packets(container, stream):
        if time.process_time() > deadline:
            raise TooCostly(
                f"too costly to analyse (over {budget:g} s of CPU: "
                "AUDIOTABLE_DECODE_BUDGET raises it)"
            )
        try:
            frames = packet.decode()
        except av.FFmpegError:
            continue  # a damaged packet: the browser skips it too
        for frame in frames:
            frame_shape = (frame.format.name, frame.layout.name, frame.sample_rate)
            if meter is None:
                shape, meter = frame_shape, _meter_for(frame)
                spectrum = _spectrum_for(meter.rate)
                cues = _cues_for(meter)
            if frame_shape != shape:
                continue  # a stream that changes shape midway: its first shape wins
            frame.pts = None  # the FIFO checks timestamps a damaged file may break
            fifo.write(frame)
            chunk = _CHUNK_HOPS * meter.hop
            while fifo.samples >= chunk:
                samples = _as_floats(fifo.read(chunk))
                meter.feed(samples)
                if spectrum is not None and cues is not None:
                    spectrum.feed(samples)
                    cues.feed(samples)
        if meter is not None and meter.frames > meter.rate * MAX_SECONDS:
            capped = True
            break
    if meter is None or spectrum is None or cues is None:
        raise UndecodableClip("FFmpeg decodes no sound from it")
    if fifo.samples:
        samples = _as_floats(fifo.read())
        meter.feed(samples)
        spectrum.feed(samples)
        cues.feed(samples)
    picture = spectrum.picture() or b""
    result = replace(
        meter.result(),
        bandwidth=spectrum.bandwidth(),
        spectrum=_named(picture),
        picture=picture,
        **asdict(cues.result()),
    )
    return replace(result, decoded=None) if capped else result


def _meter_for(frame: Any) -> LoudnessMeter:
    from .loudness import LoudnessMeter

    rate, channels = frame.sample_rate, frame.layout.nb_channels
    if not 1000 <= rate <= 768_000 or not 1 <= channels <= 8:
        raise UndecodableClip(f"an unusual stream ({rate} Hz, {channels} channels)")
    return LoudnessMeter(rate, [channel.name for channel in frame.layout.channels])


def _cues_for(meter: LoudnessMeter) -> CueMeter:
    from .cues import CueMeter

    return CueMeter(meter.rate, meter.channels)


def _spectrum_for(rate: int) -> SpectrumMeter:
    from .spectrum import SpectrumMeter

    return SpectrumMeter(rate)


def _named(picture: bytes) -> str | None:
    """A spectrogram's file name: its own digest, so a page never shows a stale one."""
    if not picture:
        return None
    return hashlib.sha256(picture).hexdigest()[:20] + ".png"


def _as_floats(frame: Any) -> np.ndarray:
    """A decoded frame as floats, channels by samples, full scale at 1.0."""
    import numpy as np

    array = frame.to_ndarray()
    if not frame.format.is_planar:
        array = array.reshape(-1, frame.layout.nb_channels).T
    if array.dtype.kind == "f":
        return np.asarray(array, dtype=np.float32)  # no copy when it is float32
    if array.dtype.kind == "u":  # 8-bit PCM is unsigned
        middle = 2 ** (8 * array.dtype.itemsize - 1)
        floats = (array.astype(np.float32) - middle) / middle
    else:
        floats = array.astype(np.float32) / 2 ** (8 * array.dtype.itemsize - 1)
    return np.asarray(floats, dtype=np.float32)
