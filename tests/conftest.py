"""Shared fixtures: clips made by real encoders, real-world files, real Pelican builds."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pelican import Pelican
from pelican.settings import read_settings

from pelican_audiotable.cli.server import serving
from tests.clips import CLIPS, make_clip
from tests.engines import ENGINES, SERVED, WebDriverTab, desktop, start_driver

CACHE = Path(__file__).parent / ".cache"

#: Real-world files from outside the project: mutagen's own test data (GPL-2.0),
#: taken from its source distribution on PyPI.
MUTAGEN_SDIST = "mutagen==1.47.0"


@pytest.fixture(scope="session")
def clips() -> dict[str, Path]:
    """Every clip of :data:`tests.clips.CLIPS`, encoded once per machine."""
    folder = CACHE / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    return {name: make_clip(name, folder) for name in CLIPS}


@pytest.fixture(scope="session")
def real_world() -> Path:
    """mutagen's test files: MP3s from many encoders, FLAC, Ogg, M4A and WAV."""
    return sdist_test_files(MUTAGEN_SDIST, "/tests/data/")


#: More real-world files: beets' MediaFile test media (MIT), from its sdist.
MEDIAFILE_SDIST = "mediafile==0.9.0"


def sdist_test_files(spec: str, inside: str) -> Path:
    """The files under ``inside`` of a PyPI source distribution, fetched once."""
    name = spec.split("==")[0]
    folder = CACHE / f"{name}-data"
    if not (folder / ".complete").exists():
        download = CACHE / "sdist"
        download.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                str(download),
                spec,
            ],
            check=True,
        )
        archive = next(download.glob(f"{name}-{spec.split('==')[1]}.tar.gz"))
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if inside in member.name and member.isfile():
                    member.name = os.path.basename(member.name)
                    tar.extract(member, folder, filter="data")
        (folder / ".complete").touch()
    return folder


def decoded_seconds(path: Path) -> float:
    """What a real decoder (ffmpeg) plays: decoded samples over the sample rate."""
    pcm = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "quiet",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "48000",
            "-",
        ],
        capture_output=True,
        check=False,
    ).stdout
    return len(pcm) / 2 / 48000


def build_site(
    root: Path,
    files: dict[str, str | bytes | Path],
    **settings: object,
) -> Path:
    """Build a small site with Pelican in ``root``; return its output folder.

    ``files`` maps paths below the content folder to text, bytes or a file to copy.
    """
    content = root / "content"
    for name, data in files.items():
        target = content / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        elif isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    override = site_settings(root, **settings)
    Pelican(read_settings(path=None, override=override)).run()
    return Path(override["OUTPUT_PATH"])


def site_settings(root: Path, **settings: object) -> dict[str, object]:
    """Pelican settings for the small site in ``root``."""
    return {
        "PATH": str(root / "content"),
        "OUTPUT_PATH": str(root / "output"),
        "CACHE_PATH": str(root / "cache"),
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "SITEURL": "",
        "TIMEZONE": "UTC",
        "DEFAULT_DATE": (2025, 8, 10),
        "STATIC_PATHS": ["music-generation", "clips", "images"],
        "PLUGINS": ["pelican_audiotable"],
        "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "AUDIOTABLE_ASSETS": False,
        **settings,
    }


@pytest.fixture
def site(tmp_path: Path):
    """``site(files, **settings)`` builds a site in a fresh folder."""

    def build(files: dict[str, str | bytes | Path], **settings: object) -> Path:
        return build_site(tmp_path, files, **settings)

    return build


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture):
    """The plugin's warning messages (and its advice), as text."""
    from pelican.log import LimitFilter

    from pelican_audiotable.log import ADVICE

    LimitFilter._raised_messages.clear()  # Pelican drops repeats across builds
    caplog.set_level(logging.INFO)

    def messages() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= ADVICE and "audiotable" in r.getMessage()
        ]

    return messages


# --- The demo site and a browser ------------------------------------------------------

DEMO = Path(__file__).parent.parent / "demo_site"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo site built as CI builds it: strict, warnings fatal."""
    subprocess.run([sys.executable, str(DEMO / "make_clips.py")], check=True)
    output = tmp_path_factory.mktemp("demo-output")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pelican",
            "content",
            "-s",
            "publishconf.py",
            "-o",
            str(output),
            "--fatal",
            "warnings",
        ],
        cwd=DEMO,
        check=True,
    )
    return output


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The folder on a server with byte ranges (browsers seek audio with them),
    known to the WebDriver tabs (they open copies of its pages)."""
    with serving(folder) as url:
        SERVED[url] = folder
        try:
            yield url
        finally:
            SERVED.pop(url, None)


@pytest.fixture(scope="session")
def demo_url(demo_output: Path) -> Iterator[str]:
    with serve(demo_output) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright. Missing, it fails the run: no skipping."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (make test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def desktop_env() -> Iterator[dict[str, str]]:
    """A virtual screen and a null audio sink for the WebDriver engines."""
    with desktop() as env:
        yield env


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``every_engine`` runs in Chromium, Firefox and WebKit."""
    marker = metafunc.definition.get_closest_marker("every_engine")
    if marker:
        known = marker.kwargs.get("fails_in", {})
        metafunc.parametrize(
            "engine",
            [
                pytest.param(e, marks=pytest.mark.xfail(reason=known[e], strict=False))
                if e in known
                else e
                for e in ENGINES
            ],
        )


@pytest.fixture
def engine() -> str:
    """The engine of a test not marked ``every_engine``."""
    return "chromium"


@pytest.fixture
def tab(request: pytest.FixtureRequest, engine: str):
    """A fresh page that records console errors and every request it makes, in
    Chromium (Playwright) or, for a test marked ``every_engine``, in each engine."""
    if engine != "chromium":
        driver = start_driver(engine, request.getfixturevalue("desktop_env"))
        try:
            yield WebDriverTab(driver, engine)
        finally:
            driver.quit()
        return
    browser = request.getfixturevalue("browser")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.console_errors = []
    tab.requests = []
    tab.failed = []
    tab.on("response", lambda r: r.status >= 400 and tab.failed.append(r.url))
    tab.on("console", lambda m: m.type == "error" and tab.console_errors.append(m.text))
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    tab.on("request", lambda r: tab.requests.append(r.url))
    tab.engine = "chromium"
    yield tab
    context.close()
