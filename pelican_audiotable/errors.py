"""The plugin's one error hierarchy: what can go wrong with a clip, a setting, a
build in strict mode. Plain exceptions; a clip's error carries the
:class:`~.model.ProblemKind` its player is marked with."""

from __future__ import annotations

from typing import Any, ClassVar

from .model import ProblemKind


class AudioTableError(Exception):
    """Anything pelican-audiotable reports as an error."""


class ClipError(AudioTableError):
    """A clip that cannot be read; ``kind`` is what the page marks it with.

    ``tags`` holds what its tags say when they could be read (a file with tags and
    no audio): reported beside the error, never shown as a playable clip.
    """

    kind: ClassVar[ProblemKind] = ProblemKind.UNREADABLE

    def __init__(self, message: str, tags: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.tags: dict[str, Any] = tags or {}


class EmptyClip(ClipError):
    kind = ProblemKind.EMPTY


class NotAudio(ClipError):
    kind = ProblemKind.NOT_AUDIO


class CorruptClip(ClipError):
    kind = ProblemKind.CORRUPT


class UnsupportedCodec(ClipError):
    kind = ProblemKind.UNSUPPORTED


class NotARegularFile(ClipError):
    """A path that names a FIFO, socket, device or folder, not a file."""


class UndecodableClip(ClipError):
    """FFmpeg finds no sound in a clip that its reader read."""

    kind = ProblemKind.UNDECODABLE


class TooCostly(UndecodableClip):
    """Decoding it would cost more than the build allows a clip."""


class UntaggableClip(ClipError):
    """A clip that cannot be copied without its tags (for a blind table)."""

    kind = ProblemKind.UNTAGGABLE


class SettingsError(AudioTableError, ValueError):
    """An ``AUDIOTABLE_*`` setting has a value the plugin cannot use."""


class BlindTestError(AudioTableError):
    """A table asked to be blind that cannot be written as blind: it is never
    published open (a note stands in its place), and a study fails the build."""


class StrictModeError(AudioTableError):
    """Raised when ``AUDIOTABLE_STRICT`` is on and a page has problems: each one
    was a warning already; the message sums them up, ``problems`` holds them."""

    def __init__(self, message: str, problems: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


def short_reason(error: BaseException) -> str:
    """An exception as a warning quotes it: its message, cut at 80 characters."""
    text = str(error) or type(error).__name__
    return text if len(text) <= 80 else text[:77] + "…"
