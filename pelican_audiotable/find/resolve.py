"""Resolving a clip's URL to the file behind it, the way the reader's browser will.

A plain URL is resolved against the page's *published* URL and looked up among the
files Pelican publishes, so a clip that would 404 on the live site is caught at build
time. Pelican's ``{static}``/``{attach}``/``{filename}`` links are resolved against the
content folder as Pelican does. Nothing outside the content folder is ever read.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from ..formats import AUDIO_EXTENSIONS
from ..model import PageRef, ProblemKind

__all__ = [
    "PageRef",
    "ResolvedClip",
    "SiteFiles",
    "first_playable_source",
    "resolve_clip",
]

_AUDIO_SUFFIXES = tuple(AUDIO_EXTENSIONS)
_INTRASITE = re.compile(r"^[{|](?P<what>static|attach|filename)[|}](?P<value>.*)$")


@dataclass(frozen=True)
class SiteFiles:
    """What a build publishes: the map from URL path to source file."""

    content_root: Path
    site_url: str = ""
    #: unquoted URL path below the site root -> source path below content_root
    published: Mapping[str, str] = field(default_factory=dict)
    #: The regular files below the content folder, by real path (see
    #: :func:`~.files.regular_files`): resolving asks them, and reads nothing.
    files: frozenset[str] = frozenset()
    #: Folders below the root with their symlinks resolved, filled as clips ask.
    _real_folders: dict[str, str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def root_path(self) -> str:
        """The URL path of the site root: "/" or "/blog/"."""
        split = urlsplit(self.site_url)
        if not split.scheme and not self.site_url.startswith("/"):
            return "/"  # a relative SITEURL (RELATIVE_URLS): the root is the root
        return split.path.rstrip("/") + "/"

    @cached_property
    def real_root(self) -> Path:
        """The content folder with its symlinks resolved: what "inside" means."""
        return self.content_root.resolve()

    @cached_property
    def _inside_prefix(self) -> str:
        return os.path.join(str(self.real_root), "")

    def holds(self, real_path: str) -> bool:
        """Whether a real path (symlinks resolved) is the content folder or below
        it: a string test, for ``os.path.commonpath`` costs more."""
        return (real_path + os.sep).startswith(self._inside_prefix)

    def real_path(self, relative: str) -> str:
        """``relative`` below the content folder, every symlink on its way resolved.

        Folders are resolved once per build and remembered: a site's clips share
        a few folders, and resolving each clip's whole path would stat every
        folder above it again.
        """
        folder, name = posixpath.split(relative)
        if name in ("", ".", ".."):
            return os.path.realpath(os.path.join(self.real_root, relative))
        real_folder = self._real_folders.get(folder)
        if real_folder is None:
            real_folder = os.path.realpath(os.path.join(self.real_root, folder))
            self._real_folders[folder] = real_folder
        candidate = os.path.join(real_folder, name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate

    @cached_property
    def _url_of_source(self) -> dict[str, str]:
        return {source: url for url, source in self.published.items()}

    def public_url(self, path: str) -> str:
        """A site-root URL path as the world sees it: absolute when SITEURL is."""
        split = urlsplit(self.site_url)
        if split.scheme and split.netloc:
            return f"{split.scheme}://{split.netloc}{path}"
        return path

    def url_of(self, source: str) -> str | None:
        return self._url_of_source.get(source)

    def has_file(self, path: Path) -> bool:
        """Whether a regular file is at ``path`` (a real path below the folder)."""
        return str(path) in self.files


@dataclass(frozen=True)
class ResolvedClip:
    """A clip's file (to read), or why there is none."""

    path: Path | None = None
    url: str | None = None  # where the reader's browser fetches it
    #: ``path`` relative to the content folder: what templates are shown of it.
    source: str | None = None
    remote: bool = False
    problem: ProblemKind | None = None  # missing, unpublished or outside
    message: str | None = None
    #: The content folder that is not published, for an "unpublished" clip: the
    #: clips of one such folder are one warning.
    folder: str | None = None


def first_playable_source(
    sources: tuple[str, ...] | list[str], page: PageRef, site: SiteFiles
) -> ResolvedClip:
    """As the browser does: the first ``<source>`` that is there wins (and the
    first one's problem is reported when none is)."""
    first: ResolvedClip | None = None
    for src in sources:
        resolved = resolve_clip(src, page, site)
        if resolved.path is not None or resolved.remote:
            return resolved
        first = first or resolved
    return first or ResolvedClip(
        problem=ProblemKind.MISSING, message="the player has no source"
    )


def resolve_clip(src: str, page: PageRef, site: SiteFiles) -> ResolvedClip:
    """Find the file a clip URL points at."""
    src = src.strip()
    intrasite = _INTRASITE.match(src)
    if intrasite:
        return _resolve_intrasite(intrasite["what"], intrasite["value"], page, site)
    src = _as_browsers_read(src)
    split = urlsplit(src)
    if split.scheme or split.netloc:
        own = _below_site_url(src, site)
        if own is None:
            if split.scheme in ("http", "https", "") and split.netloc:
                return ResolvedClip(url=src, remote=True)
            return ResolvedClip(
                problem=ProblemKind.OUTSIDE,
                message=f"{split.scheme}: URLs are never read, only files of the site",
            )
        split = urlsplit(own)
    return _resolve_url_path(split.path, page, site, src)


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
#: The schemes whose URLs browsers read a backslash in as a slash (WHATWG URL's
#: "special" schemes): a page's own, so every relative clip URL too.
_SPECIAL = {"http", "https", "ws", "wss", "ftp", "file"}


def _as_browsers_read(src: str) -> str:
    """A clip URL as a browser parses it: before its query, a backslash is a
    slash (``audio\\take.mp3`` is ``audio/take.mp3``; ``\\\\host\\x`` names a
    host), unless its scheme is not one browsers treat so."""
    if "\\" not in src:
        return src
    scheme = _SCHEME.match(src)
    if scheme and scheme[1].lower() not in _SPECIAL:
        return src
    cut = min((i for i in (src.find("?"), src.find("#")) if i >= 0), default=len(src))
    return src[:cut].replace("\\", "/") + src[cut:]


def _below_site_url(src: str, site: SiteFiles) -> str | None:
    """``src`` as a site-root path when it is a full URL of this very site."""
    base = site.site_url.rstrip("/")
    if urlsplit(base).netloc and (src == base or src.startswith(base + "/")):
        return site.root_path + src[len(base) + 1 :]
    return None


def _resolve_url_path(
    url_path: str, page: PageRef, site: SiteFiles, src: str
) -> ResolvedClip:
    root = site.root_path
    target = url_path
    if not _plain_root_path(url_path):  # relative, or with dots to resolve
        target = urljoin(urljoin(root, page.url), url_path)
    if not target.startswith(root):
        return ResolvedClip(
            problem=ProblemKind.MISSING,
            message=f"resolves to {target}, outside the site at {root}",
        )
    site_path = unquote(target[len(root) :])
    source = site.published.get(site_path)
    if source is not None:
        return _inside(site, source, url=site.public_url(target))
    # Not published: say why, and how to fix it.
    unpublished = _contained(site, site_path)
    if unpublished is not None and site.has_file(unpublished):
        folder = site_path.split("/", 1)[0]
        return ResolvedClip(
            problem=ProblemKind.UNPUBLISHED,
            message=(
                f"would 404 on the live site: {site_path} is in the content folder "
                f"but is not published (add {folder!r} to STATIC_PATHS, "
                f"or link it as {{static}}/{site_path})"
            ),
            folder=folder,
        )
    beside = posixpath.normpath(
        posixpath.join(posixpath.dirname(page.source_path), unquote(url_path))
    )
    near = _contained(site, beside)
    if near is not None and site.has_file(near) and not url_path.startswith("/"):
        return ResolvedClip(
            problem=ProblemKind.MISSING,
            message=(
                f"resolves to {target}, where nothing is published; the file beside "
                f"the source is {beside}: link it as {{attach}}{url_path}"
            ),
        )
    return ResolvedClip(
        problem=ProblemKind.MISSING,
        message=f"no published file at {target} (not found)"
        + _did_you_mean(site, site_path),
    )


def _did_you_mean(site: SiteFiles, site_path: str) -> str:
    """The published clip a misspelt or wrongly cased name most likely meant."""
    clips = [p for p in site.published if p.lower().endswith(_AUDIO_SUFFIXES)]
    near = [p for p in clips if p.casefold() == site_path.casefold()]
    if not near:
        folder = posixpath.dirname(site_path)
        beside = [p for p in clips if posixpath.dirname(p) == folder] or clips
        near = difflib.get_close_matches(site_path, beside, n=1, cutoff=0.75)
    return f"; did you mean {site.root_path}{near[0]}?" if near else ""


def _plain_root_path(url_path: str) -> bool:
    """A site-root path that resolves to itself, as most clips' do: no need for
    ``urljoin`` (a third of resolving a clip)."""
    return (
        url_path.startswith("/")
        and not url_path.startswith("//")
        and "/." not in url_path
    )


def _resolve_intrasite(
    what: str, value: str, page: PageRef, site: SiteFiles
) -> ResolvedClip:
    path = unquote(urlsplit(value).path)
    if path.startswith("/"):
        source = path.lstrip("/")
    else:
        source = posixpath.join(posixpath.dirname(page.source_path), path)
    source = posixpath.normpath(source)
    resolved = _inside(site, source)
    if resolved.path is None:
        return resolved
    if what == "attach":
        url = _attach_url(source, page)
    else:
        url = site.url_of(source) or source
    return ResolvedClip(
        path=resolved.path,
        url=site.public_url(site.root_path + url),
        source=resolved.source,
    )


def _attach_url(source: str, page: PageRef) -> str:
    """Where Pelican moves an ``{attach}``-ed file: beside the page's output."""
    tail = posixpath.relpath(source, posixpath.dirname(page.source_path))
    if tail.startswith(".."):
        tail = posixpath.basename(tail)
    return posixpath.join(posixpath.dirname(page.save_as), tail)


def _inside(site: SiteFiles, source: str, url: str | None = None) -> ResolvedClip:
    path = _contained(site, source)
    if path is None:
        return ResolvedClip(
            problem=ProblemKind.OUTSIDE,
            message=f"{source} is outside the content folder; it is never read",
        )
    if not site.has_file(path):
        return ResolvedClip(
            problem=ProblemKind.MISSING,
            message=f"no file at {source} in the content folder",
        )
    return ResolvedClip(path=path, url=url, source=source)


def _contained(site: SiteFiles, relative: str) -> Path | None:
    """The file at ``relative`` if it (and every symlink on its way) stays inside
    the content folder."""
    if posixpath.isabs(relative) or relative.split("/", 1)[0] == "..":
        return None
    try:
        candidate = site.real_path(relative)
    except (OSError, ValueError):  # a name too long for the system; a NUL byte
        return None
    if not site.holds(candidate):
        return None
    return Path(candidate)
