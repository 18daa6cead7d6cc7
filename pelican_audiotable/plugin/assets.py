"""The grid CSS and listening JS, for sites that keep their own theme.

The files live in ``static/audiotable/``; the plugin has Pelican copy them to
``output/theme/audiotable/`` and links them from each rendered page that holds an
audio table, unless the page (its theme) links them already. Linking happens as a
template renders, in memory, so no written file is read back.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

import jinja2

from ..files import write_whole

#: The package's own folder, where ``static/`` and (in the wheel) ``theme/`` are.
PACKAGE_FOLDER = Path(__file__).parent.parent
ASSETS_FOLDER = str(PACKAGE_FOLDER / "static")
STYLESHEET = "audiotable/audiotable.css"
SCRIPT = "audiotable/audiotable.js"
#: Linked only from pages with a blind table.
BLIND_STYLESHEET = "audiotable/audiotable-blind.css"

_AUDIO_TABLE = re.compile(r"<table\b[^>]*\bclass=\"[^\"]*\baudiotable\b", re.IGNORECASE)
_BLIND_TABLE = re.compile(
    r"<table\b[^>]*\bclass=\"[^\"]*\baudiotable-blind\b", re.IGNORECASE
)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)


def publish_assets(settings: dict[str, Any], scratch: Path | None = None) -> None:
    """The CSS and the script's modules into the output's theme folder, where
    pages link them (each under a temporary name first, in ``scratch`` when
    given: a build killed midway leaves no half file)."""
    target = Path(settings["OUTPUT_PATH"]) / settings.get("THEME_STATIC_DIR", "theme")
    for source in asset_files():
        published = target / source.relative_to(ASSETS_FOLDER)
        if not published.exists() or published.read_bytes() != source.read_bytes():
            write_whole(published, source, scratch)


def asset_files() -> list[Path]:
    """The stylesheet and every module of the script (the blind tables' ones
    load only on pages that have one)."""
    folder = Path(ASSETS_FOLDER) / "audiotable"
    return sorted(p for p in folder.rglob("*") if p.suffix in (".css", ".js"))


def bundled_theme() -> str:
    """The bundled theme's folder: in the wheel, or beside the package in a
    checkout."""
    here = PACKAGE_FOLDER
    for candidate in (here / "theme", here.parent / "theme"):
        if (candidate / "templates").is_dir():
            return str(candidate)
    raise FileNotFoundError("the pelican-audiotable theme is not installed")


def link_assets(html: str, base_url: str, jsonld: str = "") -> str:
    """``html`` with the stylesheet and script linked in its head if it needs them,
    and the page's JSON-LD there too (unless the theme wrote them already)."""
    if "audiotable" not in html or not _AUDIO_TABLE.search(html):
        return html  # two C searches for most pages: no table of ours

    tags = ""
    base = escape(base_url.rstrip("/"), quote=True)
    if STYLESHEET not in html:
        tags += (
            f'<link rel="stylesheet" href="{base}/{STYLESHEET}">\n'
            f'<script type="module" src="{base}/{SCRIPT}"></script>\n'
        )
    if BLIND_STYLESHEET not in html and holds_blind_table(html):
        tags += f'<link rel="stylesheet" href="{base}/{BLIND_STYLESHEET}">\n'
    if jsonld and 'class="audiotable-jsonld"' not in html:
        tags += jsonld + "\n"
    if not tags:
        return html
    head_end = _HEAD_END.search(html)
    if head_end is None:
        return tags + html
    return html[: head_end.start()] + tags + html[head_end.start() :]


def holds_blind_table(html: str) -> bool:
    """Whether a page shows a blind table: only then is its stylesheet linked."""
    return "audiotable-blind" in html and _BLIND_TABLE.search(html) is not None


class AssetLinkingTemplate(jinja2.Template):
    """A Jinja template whose rendered pages link the assets when they need them,
    and carry their clips' JSON-LD in the head.

    Installed as the environment's ``template_class`` for themes that do not link
    the files themselves.
    """

    def render(self, *args: Any, **kwargs: Any) -> str:
        html = super().render(*args, **kwargs)
        context = dict(*args, **kwargs)
        site_url = context.get("SITEURL", "")
        static_dir = context.get("THEME_STATIC_DIR", "theme")
        content = context.get("article") or context.get("page")
        jsonld = str(getattr(content, "audiotable_jsonld", "") or "")
        return link_assets(html, f"{site_url}/{static_dir}", jsonld)
