"""pelican-audiotable: tables of audio clips with exact durations and metadata.

Enable it with ``PLUGINS = ["pelican_audiotable"]``; the theme is at :func:`theme_path`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .learn.metadata import ClipError, ClipMetadata, read_metadata
    from .model import AudioTableInfo, ClipContent, ClipInfo, Problem
    from .settings import AudioTableSettings

from ._version import __version__ as __version__

__all__ = [
    "AudioTableInfo",
    "AudioTableSettings",
    "ClipContent",
    "ClipError",
    "ClipInfo",
    "ClipMetadata",
    "Problem",
    "read_metadata",
    "register",
    "theme_path",
]


#: The public names, by the module that has them: imported on first use, since
#: Pelican imports this package on every build, also of sites without a clip.
_PUBLIC = {
    "ClipError": "learn.metadata",
    "ClipMetadata": "learn.metadata",
    "read_metadata": "learn.metadata",
    "AudioTableInfo": "model",
    "ClipContent": "model",
    "ClipInfo": "model",
    "Problem": "model",
    "AudioTableSettings": "settings",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register() -> None:
    """Pelican's entry point: connect the plugin's signals."""
    from .plugin.signals import register as connect_signals

    connect_signals()


def theme_path() -> str:
    """The bundled theme's folder, for ``THEME = pelican_audiotable.theme_path()``."""
    from .plugin.assets import bundled_theme

    return bundled_theme()
