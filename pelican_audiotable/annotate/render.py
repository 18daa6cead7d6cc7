"""How clip facts read to people and machines: technical lines, captions, data
attributes, waveforms, JSON-LD; what open and blind tables both write. Pure:
values in, escaped text out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..markup.tokens import escape_attribute, escape_text
from ..model import format_duration

if TYPE_CHECKING:
    from ..model import ClipAnalysis, ClipMetadata

WAVEFORM_CLASS = "audiotable-waveform"
TABLE_CLASS = "audiotable"
PALETTE_CLASS = "audiotable-palette-os"
CAPTION_CLASS = "audiotable-caption"
FAIRNESS_CLASS = "audiotable-fairness"
WIDE_CLASS = "audiotable-wide"
DENSE_CLASS = "audiotable-dense"
SHARED_CLASS = "audiotable-shared"

#: From this many clip columns on, a table is its own horizontal scroll box: five
#: players of 120 px seek bars do not fit a 760 px text column side by side.
WIDE_COLUMNS = 4
#: A table of this many rows of clips or more is dense too: compact cells.
DENSE_ROWS = 8


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration, as schema.org wants it: ``PT1M31.033S``."""
    minutes, secs = divmod(round(seconds, 3), 60)
    hours, minutes = divmod(int(minutes), 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    return text + f"{secs:.3f}".rstrip("0").rstrip(".") + "S"


def tech_line(meta: ClipMetadata) -> str:
    """``MP3 · 128 kbps · 44.1 kHz stereo · content to 16.0 kHz``: what an
    engineer asks first."""
    parts = [meta.codec]
    if meta.bitrate:
        rate = f"{round(meta.bitrate / 1000)} kbps"
        if meta.bitrate_mode in ("VBR", "ABR") and meta.codec in ("MP3", "AAC"):
            rate += f" {meta.bitrate_mode}"
        parts.append(rate)
    sound = []
    if meta.sample_rate:
        sound.append(f"{meta.sample_rate / 1000:g} kHz")
    if meta.channels:
        sound.append({1: "mono", 2: "stereo"}.get(meta.channels, f"{meta.channels} ch"))
    if sound:
        parts.append(" ".join(sound))
    if meta.analysis and meta.analysis.bandwidth:  # where its content stops
        parts.append(f"content to {meta.analysis.bandwidth / 1000:.1f} kHz")
    return " · ".join(parts)


def audio_object(
    name: str, meta: ClipMetadata, url: str | None, mime: str | None
) -> dict[str, Any]:
    """A schema.org ``AudioObject`` describing one clip."""
    data: dict[str, Any] = {"@type": "AudioObject", "name": name}
    if url:
        data["contentUrl"] = url
    if meta.duration is not None:
        data["duration"] = iso_duration(meta.duration)
    if mime:
        data["encodingFormat"] = mime
    data["contentSize"] = f"{meta.size} B"
    if meta.artist:
        data["byArtist"] = {"@type": "Person", "name": meta.artist}
    return data


def jsonld_text(objects: Iterable[dict[str, Any]]) -> str:
    """JSON-LD that is safe inside ``<script>`` whatever the tags hold."""
    graph = {"@context": "https://schema.org", "@graph": list(objects)}
    text = json.dumps(graph, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


MIME_TYPES = {
    "MP3": "audio/mpeg",
    "Ogg": "audio/ogg",
    "FLAC": "audio/flac",
    "MP4": "audio/mp4",
    "WAV": "audio/wav",
}


def decibels(value: float) -> str:
    """``−3.2``: one decimal, with a real minus sign, and never a minus zero
    (−0.04 dBTP reads ``0.0``)."""
    return f"{round(value, 1) + 0.0:.1f}".replace("-", "\u2212")


def loudness_line(analysis: ClipAnalysis) -> str:
    """``−23.0 LUFS · peak −1.2 dBTP``."""
    parts = []
    if analysis.loudness is not None:
        parts.append(f"{decibels(analysis.loudness)} LUFS")
    if analysis.true_peak is not None:
        parts.append(f"peak {decibels(analysis.true_peak)} dBTP")
    return " · ".join(parts)


def waveform_svg(analysis: ClipAnalysis, spectrum: str | None = None) -> str:
    """The clip's envelope as an inline SVG: a bar from the lowest to the highest
    sample of each column (200 units high, 0 in the middle), and a progress band
    the listening script widens. Decorative: the seek control is the real one.
    ``data-lead`` is the leading silence, by which switching clips aligns them.
    With the URL of its spectrogram, the picture the script shows instead when
    the reader asks (``data-href``: nothing is fetched before)."""
    envelope = analysis.envelope
    columns = len(envelope) // 2
    if not columns:
        return ""
    # Relative moves ("m1-27v33": one column right, up to its top, down to its
    # bottom): a third shorter than absolute ones, and every byte of a tag costs
    # Pelican's link regex time on every build.
    bars, bottom = [], 0
    for column in range(columns):
        low, high = envelope[2 * column], envelope[2 * column + 1]
        top = min(100 - high, 99)
        step = f"M.5 {top}" if column == 0 else f"m1{_signed(top - bottom)}"
        bottom = max(100 - low, 101)  # silence: a line
        bars.append(f"{step}v{bottom - top}")
    picture = (
        f'<image class="audiotable-spectrum" width="{columns}" height="200" '
        f'preserveAspectRatio="none" data-href="{escape_attribute(spectrum)}"/>'
        if spectrum
        else ""
    )
    return (
        f'<svg class="{WAVEFORM_CLASS}" viewBox="0 0 {columns} 200" '
        'preserveAspectRatio="none" aria-hidden="true" focusable="false" '
        f'data-lead="{analysis.leading_silence:.3f}">'
        + picture
        + '<rect class="audiotable-progress" width="0" height="200"/>'
        f'<path d="{"".join(bars)}"/></svg>'
    )


def _signed(number: int) -> str:
    """A path number after another: a minus sign separates it, else a space."""
    return str(number) if number < 0 else f" {number}"


# --- What open and blind tables both write ------------------------------------


def data_attributes(meta: ClipMetadata) -> dict[str, str]:
    """What the listening script and the stylesheet use, and nothing more: each
    fact is said once per audience (the caption for people, JSON-LD for search
    engines, ``article.audiotables`` for templates), and every attribute here is
    matched by Pelican's link regex on every build."""
    analysis = meta.analysis
    values: dict[str, object] = {
        "data-duration": f"{meta.duration:.3f}" if meta.duration is not None else None,
        "data-title": meta.title,
        "data-truncated": "true" if meta.truncated else None,
        "data-loudness": _one_decimal(analysis.loudness) if analysis else None,
        "data-peak": _one_decimal(analysis.true_peak) if analysis else None,
    }
    return {key: str(value) for key, value in values.items() if value is not None}


def _one_decimal(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def caption_html(meta: ClipMetadata, label: str | None, fields: Sequence[str]) -> str:
    """The visible line under a player: label, duration, technical line, tags."""
    parts: list[str] = []
    if label:
        parts.append(_span("audiotable-label", label))
    for name in fields:
        if name == "duration" and meta.duration is not None:
            parts.append(
                f'<time class="audiotable-duration" '
                f'datetime="{escape_attribute(iso_duration(meta.duration))}">'
                f"{escape_text(format_duration(meta.duration))}</time>"
            )
        elif name == "tech":
            parts.append(_span("audiotable-tech", tech_line(meta)))
        elif name == "loudness" and meta.analysis and meta.analysis.loudness:
            parts.append(_span("audiotable-loudness", loudness_line(meta.analysis)))
        elif name == "title" and meta.title:
            parts.append(_span("audiotable-title", meta.title, tag="cite"))
        elif name in ("artist", "album") and getattr(meta, name):
            parts.append(_span(f"audiotable-{name}", getattr(meta, name)))
    return f'<div class="{CAPTION_CLASS}">{" ".join(parts)}</div>'


def _span(css_class: str, text: str, tag: str = "span") -> str:
    # Tag values are untrusted: every one is escaped here.
    return f'<{tag} class="{css_class}">{escape_text(text)}</{tag}>'


def palette_classes(palette: str) -> list[str]:
    """The class that gives a table the plugin's own OS palettes, when asked."""
    return [PALETTE_CLASS] if palette == "os" else []


def fairness_text(unfair: Sequence[str]) -> str:
    return "Not a fair comparison: " + "; ".join(unfair) + "."


def table_id(number: int) -> str:
    """The id of the page's table ``number`` when its author gave it none (what a
    link to a moment names it by): stable while the tables keep their order."""
    return f"audiotable-{number}"
