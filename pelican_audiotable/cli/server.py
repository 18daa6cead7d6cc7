"""A local preview server that answers HTTP Range requests, and nothing it should not.

Browsers seek in audio by asking for byte ranges. Python's ``http.server`` (and so
``pelican --listen``) always sends the whole file, which leaves a player unable to
seek, or to continue a comparison at the same position, until everything is
downloaded. ``pelican-audiotable serve`` is that server with ranges, made safe to
leave running: it binds 127.0.0.1, serves regular files inside its folder only
(no ``..``, no symlink out, no FIFO, no dotfile, no listing), answers a malformed
request with 400 or 416, and never lets slow or idle connections take its
threads: a connection waits in one selector until its request's whole head has
arrived (read as it comes, without a thread), then a bounded pool answers it; one
whose head has not arrived within a deadline is closed.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import http.server
import io
import os
import re
import selectors
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from ..errors import ClipError
from ..files import open_regular

_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")
#: Threads that answer requests, and how long a connection may take to send its
#: request's head (a slow client, or one that says nothing, is closed then).
WORKERS = 16
IDLE_SECONDS = 10.0
#: Connections kept waiting for their request at most; the oldest go first.
MAX_WAITING = 2000
#: A request's head longer than this is answered by the pool (414/431), unread.
MAX_HEAD = 64 * 1024
_CHUNK = 64 * 1024
_HEAD_END = re.compile(rb"\r?\n\r?\n")


class _Replay(io.RawIOBase):
    """A connection's bytes: first those the selector read before the pool took
    it, then the rest from the socket."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        result: int = self._rest.readinto(buffer)
        return result


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Regular files under ``directory``, whole or as one byte range."""

    timeout = IDLE_SECONDS  # a request line or body that stalls ends the connection

    def setup(self) -> None:
        super().setup()
        head = self.server.take_head(self.connection)  # type: ignore[attr-defined]
        if head:
            raw = self.connection.makefile("rb", buffering=0)
            self.rfile = io.BufferedReader(_Replay(head, raw))

    def send_head(self) -> BinaryIO | None:
        self._range: tuple[int, int] | None = None
        try:
            path, slash_missing = self._file()
        except ValueError:
            self.send_error(400, "Bad request path")
            return None
        if slash_missing:  # a folder asked for without its slash
            self.send_response(301)
            self.send_header("Location", urlsplit(self.path).path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path is None:
            self.send_error(404, "File not found")
            return None
        try:
            handle = open_regular(path)
        except (OSError, ClipError):
            self.send_error(404, "File not found")
            return None
        stat = os.fstat(handle.fileno())
        size = stat.st_size
        status, start, end = 200, 0, size - 1
        header = self.headers.get("Range")
        if header is not None and header.strip().startswith("bytes="):
            match = _RANGE.fullmatch(header.strip())
            if match is None or match.groups() == ("", ""):
                handle.close()
                self._unsatisfiable(size)
                return None
            first, last = match.groups()
            if first == "":  # the final N bytes
                start, end = max(0, size - int(last)), size - 1
            else:
                start, end = int(first), min(int(last) if last else size - 1, size - 1)
            if start >= size or start > end:
                handle.close()
                self._unsatisfiable(size)
                return None
            status = 206
            self._range = (start, end)
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        handle.seek(start)
        return handle

    def _file(self) -> tuple[str | None, bool]:
        """The regular file a request path names inside the served folder (its
        ``index.html`` for a folder), or None; and whether it names a folder
        without its slash (redirected). Raises ValueError on a NUL."""
        url_path = unquote(urlsplit(self.path).path)
        if "\x00" in url_path or "\\" in url_path:
            raise ValueError(url_path)
        parts = [part for part in url_path.split("/") if part not in ("", ".")]
        if any(part.startswith(".") for part in parts):  # "..", dotfiles
            return None, False
        root = os.path.realpath(self.directory)
        path = os.path.realpath(os.path.join(root, *parts))
        if path != root and not path.startswith(root + os.sep):
            return None, False  # a symlink out of the folder
        if os.path.isdir(path):
            if not url_path.endswith("/"):
                return None, True
            path = os.path.join(path, "index.html")
        return (path if os.path.isfile(path) else None), False

    def _unsatisfiable(self, size: int) -> None:
        self.send_response(416)
        self.send_header("Content-Range", f"bytes */{size}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def list_directory(self, path: Any) -> None:
        self.send_error(404, "File not found")

    def send_error(self, code: int, message: str | None = None, explain=None) -> None:  # type: ignore[no-untyped-def]
        """A missing page answers with the site's own 404.html, when it has one."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        start, end = getattr(self, "_range", None) or (0, None)
        remaining = None if end is None else end - start + 1
        with source:
            while remaining is None or remaining > 0:
                want = _CHUNK if remaining is None else min(_CHUNK, remaining)
                chunk = source.read(want)
                if not chunk:
                    break
                outputfile.write(chunk)
                if remaining is not None:
                    remaining -= len(chunk)

    def log_message(self, format: str, *args: object) -> None:
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)


class PreviewServer(http.server.HTTPServer):
    """Connections wait in a selector until their request's head has arrived; a
    bounded pool answers."""

    quiet = False
    request_queue_size = 1024  # a page opens many connections at once

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="preview")
        self._selector = selectors.DefaultSelector()
        #: Each waiting connection: its address, since when, its head so far.
        self._waiting: dict[socket.socket, tuple[Any, float, bytearray]] = {}
        self._heads: dict[socket.socket, bytes] = {}
        self._lock = threading.Lock()
        self._closed = False
        super().__init__(address, handler)  # closes the above if it cannot bind
        threading.Thread(target=self._wait_for_requests, daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            if len(self._waiting) >= MAX_WAITING:  # the oldest one goes
                oldest = min(self._waiting, key=lambda s: self._waiting[s][1])
                self._drop(oldest)
            request.setblocking(False)
            self._waiting[request] = (client_address, time.monotonic(), bytearray())
            self._selector.register(request, selectors.EVENT_READ)

    def _wait_for_requests(self) -> None:
        while not self._closed:
            try:
                ready = self._selector.select(timeout=0.25)
            except (OSError, ValueError):
                if self._closed:
                    return
                time.sleep(0.05)  # a socket closed while selected: next round
                continue
            now = time.monotonic()
            with self._lock:
                for key, _ in ready:
                    self._read_head(key.fileobj)  # type: ignore[arg-type]
                for request, (_, since, _head) in list(self._waiting.items()):
                    if now - since > IDLE_SECONDS:
                        self._drop(request)

    def _read_head(self, request: socket.socket) -> None:
        """What the connection has sent so far; once its head is whole (or too
        long to be one), it goes to the pool."""
        if request not in self._waiting:
            return
        address, _since, head = self._waiting[request]
        try:
            data = request.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(request)
            return
        if not data:  # closed by the client before its request
            self._drop(request)
            return
        head += data
        if _HEAD_END.search(head) or len(head) > MAX_HEAD:
            del self._waiting[request]
            self._selector.unregister(request)
            request.setblocking(True)
            self._heads[request] = bytes(head)
            self._pool.submit(self._answer, request, address)

    def take_head(self, request: socket.socket) -> bytes:
        """The head the selector read for ``request`` (for its handler)."""
        with self._lock:
            return self._heads.pop(request, b"")

    def _drop(self, request: socket.socket) -> None:
        del self._waiting[request]
        self._selector.unregister(request)
        self.shutdown_request(request)

    def _answer(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self._heads.pop(request, None)
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away mid-answer is no news; anything else is said
        in one line, never as a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | TimeoutError) and not self.quiet:
            print(f"preview: {client_address[0]}: {error!r}", file=sys.stderr)

    def server_close(self) -> None:
        self._closed = True
        super().server_close()
        with self._lock:
            for request in list(self._waiting):
                self._drop(request)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._selector.close()


def _server(folder: Path, port: int) -> PreviewServer:
    handler = functools.partial(RangeRequestHandler, directory=str(folder))
    return PreviewServer(("127.0.0.1", port), handler)


@contextlib.contextmanager
def serving(folder: Path, port: int = 0, quiet: bool = True) -> Iterator[str]:
    """Serve ``folder`` on localhost in a background thread; yield its base URL."""
    server = _server(folder, port)
    server.quiet = quiet
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve_forever(folder: Path, port: int) -> int:
    """Serve until Ctrl-C; an exit code, with the reason said, when it cannot."""
    if not folder.is_dir():
        print(
            f"pelican-audiotable serve: there is no folder {folder}: build the site "
            "first (pelican content), or name the output folder",
            file=sys.stderr,
        )
        return 2
    try:
        server = _server(folder, port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"pelican-audiotable serve: port {port} is in use (another server?): "
            f"try --port {port + 1}",
            file=sys.stderr,
        )
        return 2
    with server:
        print(f"Serving {folder} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
