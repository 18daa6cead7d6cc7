"""A probe of the preview server as an attacker (or a stray browser tab) meets it:
only regular files inside its folder, no listing, bad requests answered as such,
and idle connections that never starve a real request."""

from __future__ import annotations

import http.client
import os
import socket
import time

import pytest

from pelican_audiotable.cli.server import serving

SECRET = b"root:$6$secret-hash"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("served")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "site"
    (root / "clips").mkdir(parents=True)
    (root / "index.html").write_text("<h1>Home</h1>")
    (root / "clips" / "a.mp3").write_bytes(bytes(range(256)) * 4)
    (root / ".env").write_bytes(SECRET)
    (root / "audiotable" / "originals").mkdir(parents=True)
    (root / "audiotable" / "originals" / "x.mp3").write_bytes(b"original")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "outside").symlink_to(tmp_path)
    os.mkfifo(root / "clips" / "pipe.mp3")
    with serving(root) as url:
        yield url.rsplit(":", 1)[1]


def get(port: str, path: str, **headers: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/clips/../../secret.txt",
    "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/clips/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/..%2Fsecret.txt", "/%2e%2e%2fsecret.txt",
    "/..\\secret.txt", "/..%5csecret.txt", "/clips/..%5c..%5csecret.txt",
    "/.%2e/secret.txt", "/%2e./secret.txt", "//../secret.txt",
    "/./../secret.txt", "/clips/./../../secret.txt", "/%252e%252e/secret.txt",
    "/....//secret.txt", "/..;/secret.txt", "/clips/..%00/secret.txt",
    "/link.txt", "/outside/secret.txt", "/outside/site/../secret.txt",
]  # fmt: skip


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_folder_is_served(site: str, path: str) -> None:
    status, body = get(site, path)
    assert status in (400, 404), path
    assert SECRET not in body


def test_no_listing_no_dotfile_no_fifo(site: str) -> None:
    assert get(site, "/")[0] == 200  # index.html
    assert get(site, "/audiotable/originals/")[0] == 404  # no listing
    assert get(site, "/audiotable/originals")[0] == 301
    assert get(site, "/.env")[0] == 404
    started = time.monotonic()
    assert get(site, "/clips/pipe.mp3")[0] == 404
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("headers", "path", "status"),
    [
        ({"Range": "bytes=" + "9" * 4300 + "-"}, "/clips/a.mp3", 416),
        ({"Range": "bytes=1-" + "9" * 4300}, "/clips/a.mp3", 416),
        ({"Range": "bytes=abc"}, "/clips/a.mp3", 416),
        ({"Range": "bytes=-"}, "/clips/a.mp3", 416),
        ({"Range": "bytes=900-100"}, "/clips/a.mp3", 416),
        ({"Range": "bytes=5000-"}, "/clips/a.mp3", 416),
        ({"Range": "bytes=0-1,5-6"}, "/clips/a.mp3", 416),
        ({}, "/clips/a%00.mp3", 400),
        ({}, "/%00", 400),
        ({"Range": "bytes=10-19"}, "/clips/a.mp3", 206),
        ({"Range": "items=1-2"}, "/clips/a.mp3", 200),  # not bytes: the whole file
    ],
)
def test_malformed_requests_are_answered_as_such(
    site: str, headers: dict[str, str], path: str, status: int
) -> None:
    assert get(site, path, **headers)[0] == status


def test_idle_connections_never_starve_a_request(site: str) -> None:
    idle = []
    try:
        for _ in range(500):
            idle.append(socket.create_connection(("127.0.0.1", int(site))))
        time.sleep(0.3)
        started = time.monotonic()
        status, body = get(site, "/clips/a.mp3", Range="bytes=0-9")
        assert status == 206 and body == bytes(range(10))
        assert time.monotonic() - started < 1
    finally:
        for connection in idle:
            connection.close()


def test_slow_clients_never_starve_a_request(site: str) -> None:
    """1,000 connections that send part of a request and stall, beside 1,000
    that send nothing: a real request is answered within a second (before, the
    16 threads each held a stalled client until its timeout, 10 s)."""
    import resource

    # Two descriptors a connection (ours and the server's): 4,000 and some.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4500 if hard == resource.RLIM_INFINITY else min(hard, 4500)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    assert wanted >= 4500, f"this machine allows {hard} open files, under 4,500"
    stalled = []
    try:
        for number in range(2000):
            connection = socket.create_connection(("127.0.0.1", int(site)))
            if number % 2:
                connection.sendall(b"GET /clips/a.mp3 HTTP/1.1\r\nHost: x\r\n")
            stalled.append(connection)
        time.sleep(0.5)
        started = time.monotonic()
        status, body = get(site, "/clips/a.mp3", Range="bytes=0-9")
        took = time.monotonic() - started
        assert status == 206 and body == bytes(range(10))
        assert took < 1, took
        # A request that arrives a byte at a time is still answered whole.
        slow = socket.create_connection(("127.0.0.1", int(site)))
        for byte in b"GET /index.html HTTP/1.0\r\n\r\n":
            slow.sendall(bytes([byte]))
        slow.settimeout(5)
        answer = b""
        while chunk := slow.recv(65536):
            answer += chunk
        slow.close()
        assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(b"<h1>Home</h1>")
    finally:
        for connection in stalled:
            connection.close()
