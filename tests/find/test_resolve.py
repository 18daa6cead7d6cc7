"""Resolving clip URLs the way the reader's browser will, and never leaving PATH."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urljoin

import pytest

from pelican_audiotable.files import regular_files
from pelican_audiotable.find.resolve import (
    PageRef,
    SiteFiles,
    _plain_root_path,
    resolve_clip,
)


@pytest.fixture
def site(tmp_path: Path) -> SiteFiles:
    content = tmp_path / "content"
    for name in [
        "music-generation/actual-verse.mp3",
        "music-generation/take [1] final.mp3",
        "posts/2025/beside.mp3",
        "unpublished/hidden.mp3",
    ]:
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_bytes(b"ID3")
    (tmp_path / "secret.mp3").write_bytes(b"ID3")
    os.symlink(tmp_path / "secret.mp3", content / "music-generation" / "link.mp3")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.mp3").write_bytes(b"ID3")
    os.symlink(tmp_path / "elsewhere", content / "linked-folder")
    os.symlink(content / "music-generation", content / "alias")
    published = {
        "music-generation/actual-verse.mp3": "music-generation/actual-verse.mp3",
        "music-generation/take [1] final.mp3": "music-generation/take [1] final.mp3",
        "music-generation/link.mp3": "music-generation/link.mp3",
        "linked-folder/secret.mp3": "linked-folder/secret.mp3",
    }
    return SiteFiles(
        content_root=content,
        site_url="",
        published=published,
        files=regular_files(content),
    )


POST = PageRef(
    source_path="posts/2025/post.md",
    url="posts/2025/post/",
    save_as="posts/2025/post/index.html",
)

VERSE = "music-generation/actual-verse.mp3"


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("/music-generation/actual-verse.mp3", VERSE),
        ("../../../music-generation/actual-verse.mp3", VERSE),  # from posts/2025/post/
        ("/music-generation/./x/../actual-verse.mp3", VERSE),
        (
            "/music-generation/take%20%5B1%5D%20final.mp3",
            "music-generation/take [1] final.mp3",
        ),
        ("{static}/music-generation/actual-verse.mp3", VERSE),
        ("|static|/music-generation/actual-verse.mp3", VERSE),
        ("{static}../../music-generation/actual-verse.mp3", VERSE),
        ("{attach}beside.mp3", "posts/2025/beside.mp3"),
        ("{filename}/music-generation/actual-verse.mp3", VERSE),
        (
            "{static}/music-generation/take%20[1]%20final.mp3",
            "music-generation/take [1] final.mp3",
        ),
        ("/music-generation/actual-verse.mp3?v=2#t=10", VERSE),
        # Browsers read a backslash as a slash in a page's URLs (WHATWG URL).
        ("\\music-generation\\actual-verse.mp3", VERSE),
        ("..\\..\\..\\music-generation\\actual-verse.mp3", VERSE),
        (
            "/music-generation\\take%20%5B1%5D%20final.mp3?a=\\b",
            "music-generation/take [1] final.mp3",
        ),
    ],
)
def test_resolves_to_the_published_file(site: SiteFiles, src: str, expected: str):
    resolved = resolve_clip(src, POST, site)
    assert resolved.problem is None, resolved.message
    assert resolved.path == (site.content_root / expected).resolve()


def test_full_url_under_siteurl_is_local(site: SiteFiles) -> None:
    here = SiteFiles(
        site.content_root, "https://example.org/blog", site.published, site.files
    )
    resolved = resolve_clip(
        "https://example.org/blog/music-generation/actual-verse.mp3", POST, here
    )
    assert resolved.path is not None
    assert resolved.url == "https://example.org/blog/music-generation/actual-verse.mp3"


def test_site_root_path_misses_a_site_in_a_subfolder(site: SiteFiles) -> None:
    """With SITEURL .../blog, "/music-generation/x.mp3" 404s: the browser says so."""
    here = SiteFiles(
        site.content_root, "https://example.org/blog", site.published, site.files
    )
    resolved = resolve_clip("/music-generation/actual-verse.mp3", POST, here)
    assert resolved.problem == "missing"
    assert "outside the site at /blog/" in resolved.message


def test_relative_url_resolves_against_the_published_page(site: SiteFiles) -> None:
    """The source sits beside the clip, but the page is published elsewhere."""
    resolved = resolve_clip("beside.mp3", POST, site)
    assert resolved.problem == "missing"
    assert "{attach}beside.mp3" in resolved.message


def test_file_outside_static_paths_would_404(site: SiteFiles) -> None:
    resolved = resolve_clip("/unpublished/hidden.mp3", POST, site)
    assert resolved.problem == "unpublished"
    assert "add 'unpublished' to STATIC_PATHS" in resolved.message


def test_remote_clips_are_left_alone(site: SiteFiles) -> None:
    resolved = resolve_clip("https://cdn.example.net/x.mp3", POST, site)
    assert resolved.remote and resolved.path is None and resolved.problem is None
    # Backslashes as a browser reads them: a host, never a path of the site.
    resolved = resolve_clip("\\\\cdn.example.net\\x.mp3", POST, site)
    assert resolved.remote and resolved.url == "//cdn.example.net/x.mp3"
    windows = resolve_clip("C:\\clips\\x.mp3", POST, site)
    assert windows.path is None and windows.problem == "outside"


@pytest.mark.parametrize(
    "src",
    [
        "{static}/../secret.mp3",
        "{static}../../../../secret.mp3",
        "{attach}../../../secret.mp3",
        "/music-generation/link.mp3",  # a symlink that leads outside
        "{static}/music-generation/link.mp3",
        "/linked-folder/secret.mp3",  # a symlinked folder that leads outside
        "{static}/linked-folder/secret.mp3",
        "file:///etc/passwd",
    ],
)
def test_never_reads_outside_the_content_folder(site: SiteFiles, src: str) -> None:
    resolved = resolve_clip(src, POST, site)
    assert resolved.path is None
    assert resolved.problem == "outside"


def test_symlinks_that_stay_inside_are_followed(site: SiteFiles) -> None:
    resolved = resolve_clip("{static}/alias/actual-verse.mp3", POST, site)
    assert resolved.path == site.real_root / VERSE


@pytest.mark.parametrize(
    "src",
    [
        "/../../secret.mp3",
        "/%2e%2e/%2e%2e/secret.mp3",
        "/etc/passwd",
        "{static}//etc/passwd",
    ],
)
def test_url_dots_stop_at_the_site_root_like_a_browser(site: SiteFiles, src: str):
    resolved = resolve_clip(src, POST, site)
    assert resolved.path is None
    assert resolved.problem in ("missing", "outside")


@pytest.mark.parametrize(
    ("url_path", "plain"),
    [
        ("/clips/take.mp3", True),
        ("/clips/take%20one.mp3", True),
        ("/clips;v=1/take.mp3", True),
        ("/clips//take.mp3", True),
        ("/clips/./take.mp3", False),
        ("/clips/../take.mp3", False),
        ("/.hidden/take.mp3", False),
        ("//cdn.example.com/take.mp3", False),
        ("clips/take.mp3", False),
    ],
)
def test_paths_resolved_without_urljoin_are_those_it_leaves_alone(
    url_path: str, plain: bool
) -> None:
    assert _plain_root_path(url_path) == plain
    for page_url in ("/", "/posts/take.html", "/blog/2025/08/seed/"):
        assert (urljoin(page_url, url_path) == url_path) or not plain
