"""What ``pip install`` brings: the plugin, its namespace entry, its assets, the theme."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pelican_audiotable import theme_path
from pelican_audiotable.settings import AudioTableSettings, SettingsError

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return zipfile.ZipFile(next(out.glob("*.whl")))


def test_wheel_holds_plugin_theme_and_assets(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    package = ROOT / "pelican_audiotable"
    modules = sorted(p.relative_to(ROOT).as_posix() for p in package.rglob("*.py"))
    assert "pelican_audiotable/learn/parsers/mpeg.py" in modules  # every folder
    for name in [
        *modules,
        "pelican/plugins/audiotable/__init__.py",
        "pelican_audiotable/static/audiotable/audiotable.css",
        "pelican_audiotable/static/audiotable/audiotable.js",
        "pelican_audiotable/theme/templates/base.html",
        "pelican_audiotable/theme/templates/article.html",
        "pelican_audiotable/theme/templates/404.html",
        "pelican_audiotable/theme/static/css/site.css",
    ]:
        assert name in names, name
    assert not any(n.startswith("pelican/__init__") for n in names)  # a namespace
    assert not any(n.startswith(("pelican/plugins/__init__", "tests/")) for n in names)
    metadata = next(n for n in names if n.endswith("METADATA"))
    requires = [
        line.split()[1]
        for line in wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert sorted(r.split(">")[0] for r in requires) == [
        "mutagen",
        "pelican",
        "pelican-jinja-filters",
        "xxhash",
    ]


def test_theme_path_points_at_the_templates() -> None:
    templates = Path(theme_path()) / "templates"
    expected = {
        "index.html",
        "article.html",
        "page.html",
        "archives.html",
        "period_archives.html",
        "tags.html",
        "tag.html",
        "categories.html",
        "category.html",
        "authors.html",
        "author.html",
        "drafts.html",
        "404.html",
    }
    assert expected <= {p.name for p in templates.iterdir()}


def test_settings_are_validated_with_the_key_named() -> None:
    with pytest.raises(SettingsError, match="AUDIOTABLE_PRELOAD"):
        AudioTableSettings.from_mapping({"AUDIOTABLE_PRELOAD": "eager"})
    with pytest.raises(SettingsError, match="AUDIOTABLE_CAPTION_FIELDS"):
        AudioTableSettings.from_mapping({"AUDIOTABLE_CAPTION_FIELDS": ["colour"]})
    settings = AudioTableSettings.from_mapping({"AUDIOTABLE_CAPTION_FIELDS": ["tech"]})
    assert settings.caption_fields == ("tech",)
