"""Opening a clip: regular files only.

A FIFO, socket or device named ``*.mp3`` under the content folder would hang a
build that opens it (a FIFO blocks until someone writes) or feed it forever
(``/dev/zero``). Every step that reads a clip's bytes (hashing, reading, decoding,
copying, serving) opens it here: without blocking, then checked by the open
descriptor itself, so no swap between a check and the open can slip one through.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from .errors import ClipError


class NotARegularFile(ClipError):
    """A path that names a FIFO, socket, device or folder, not a file."""

    kind = "unreadable"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading in binary; :class:`NotARegularFile` if it is
    not a regular file (after following symlinks), ``OSError`` if it cannot be
    opened at all."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"it is not a regular file but {_what(mode)}")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def is_regular(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular file (after following symlinks); never opens it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_regular(path: str | os.PathLike[str]) -> bytes:
    with open_regular(path) as handle:
        return handle.read()


def _what(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a file"
