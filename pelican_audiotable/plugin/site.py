"""The site as Pelican publishes it: the files a clip may name, and the version
the stores are stamped with."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from pelican.contents import Content
from pelican.generators import StaticGenerator

from .._version import __version__
from ..files import regular_files
from ..find.resolve import SiteFiles


def code_version(suffixes: tuple[str, ...] = (".py", ".js", ".css")) -> str:
    """The package version and a digest of its own code: what the stores are
    stamped with, so that a checkout changed without a new version number (an
    editable install, a ``git pull``) never shows what old code wrote. The clip
    store takes only the Python's (``(".py",)``): a stylesheet changes no clip's
    facts."""
    python, everything = _code_digests()
    return f"{__version__}+{python if suffixes == ('.py',) else everything}"


@functools.cache
def _code_digests() -> tuple[str, str]:
    """The digests of the package's Python, and of all its code: one pass."""
    python = hashlib.sha1(usedforsecurity=False)
    everything = hashlib.sha1(usedforsecurity=False)
    for path in sorted(Path(__file__).parent.parent.rglob("*")):
        if path.suffix in (".py", ".js", ".css") and "__pycache__" not in path.parts:
            data = path.read_bytes()
            everything.update(data)
            if path.suffix == ".py":
                python.update(data)
    return python.hexdigest()[:12], everything.hexdigest()[:12]


class PublishedSite:
    """The published files, computed only if a page is not in the page store (or
    the files changed since it was kept)."""

    def __init__(self, generators: list[Any]) -> None:
        self.generators = generators
        self._site: SiteFiles | None = None
        static = next(g for g in generators if isinstance(g, StaticGenerator))
        settings = static.settings
        parts = (
            sorted(static.context.get("static_content", {})),
            settings["PATH"],
            settings.get("SITEURL", ""),
            settings.get("STATIC_URL"),
            settings.get("STATIC_SAVE_AS"),
            repr(settings.get("EXTRA_PATH_METADATA")),
        )
        self.root = Path(settings["PATH"]).resolve()
        self.fingerprint = hashlib.sha256(
            json.dumps(parts, default=str).encode()
        ).hexdigest()

    @property
    def files(self) -> SiteFiles:
        if self._site is None:
            self._site = site_files(self.generators)
        return self._site


def site_files(generators: list[Any]) -> SiteFiles:
    """What this build publishes, by URL path."""
    static = next(g for g in generators if isinstance(g, StaticGenerator))
    context = static.context
    settings = static.settings
    published = {
        # Content.url, not Static.url: reading Static.url pins the file's output
        # location and would break {attach} links resolved later. Pelican keys
        # the files by their relative source path already.
        Content.url.fget(item): source
        for source, item in context.get("static_content", {}).items()
        if hasattr(item, "source_path")
    }
    return SiteFiles(
        files=regular_files(Path(settings["PATH"])),
        content_root=Path(settings["PATH"]),
        site_url=settings.get("SITEURL", "") or "",
        published=published,
    )
