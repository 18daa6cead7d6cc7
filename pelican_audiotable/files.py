"""Opening a clip: regular files only.

A FIFO, socket or device named ``*.mp3`` under the content folder would hang a
build that opens it (a FIFO blocks until someone writes) or feed it forever
(``/dev/zero``). Every step that reads a clip's bytes (hashing, reading, decoding,
copying, serving) opens it here: without blocking, then checked by the open
descriptor itself, so no swap between a check and the open can slip one through.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, NamedTuple

import xxhash

from .errors import ClipError, NotARegularFile

_CHUNK = 4 * 1024 * 1024


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


def regular_files(root: Path) -> frozenset[str]:
    """Every regular file below ``root``, by its real path: what a clip may name.
    Listed once a build, at its edge, so that resolving a clip reads nothing;
    symbolic links are not followed here (the resolver follows each on its way,
    and a file they lead to inside the folder is listed where it lies)."""
    found: set[str] = set()
    pending = [os.path.realpath(root)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # a folder that cannot be listed holds nothing for us
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    found.add(entry.path)
            except OSError:
                continue
    return frozenset(found)


def read_regular(path: str | os.PathLike[str]) -> bytes:
    with open_regular(path) as handle:
        return handle.read()


def content_key(path: str | os.PathLike[str]) -> str:
    """A digest of a file's bytes: xxHash's XXH3, 128 bits (7 GB/s here)."""
    digest = xxhash.xxh3_128()
    with open_regular(path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Stamp(NamedTuple):
    """What must all be unchanged for a file's content key to be trusted without
    hashing it again. Not the mtime alone: ``cp -p``, ``tar`` and ``rsync -t``
    keep an old one over new bytes, but no tool can keep the inode's change time."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, status: os.stat_result) -> Stamp:
        return cls(
            status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino
        )


def stamp_and_key(path: str) -> tuple[Stamp, str] | None:
    """A file's stamp and content key (the stat first: a file changed while it is
    hashed is hashed again next time); None when it cannot be read."""
    try:
        status = os.stat(path)
        return Stamp.of(status), content_key(path)
    except (OSError, ClipError):  # gone, or not a regular file
        return None


def write_whole(
    target: Path, data: bytes | str | Path, scratch: Path | None = None
) -> None:
    """``target`` written whole or not at all: ``data`` (bytes, text, or the file
    at a path, copied) goes under a temporary name first, then takes the name,
    so that a build killed midway leaves the old file or the new one, never a
    part of one under the name pages use. The temporary is in ``scratch`` when
    given (outside the published site: a kill leaves no part there either),
    else beside ``target``. Raises ``OSError``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.parent if scratch is None else scratch
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{target.name}.{os.getpid()}.partial"
    try:
        if isinstance(data, Path):
            shutil.copyfile(data, partial)
        elif isinstance(data, str):
            partial.write_text(data, encoding="utf-8")
        else:
            partial.write_bytes(data)
        try:
            os.replace(partial, target)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            write_whole(target, partial)  # another file system: by its side
    finally:  # a full disk, an interrupt: no part left behind
        partial.unlink(missing_ok=True)


class FolderLock:
    """A folder held against every other process that asks for it here: a read,
    a change and a write in it are then one step. The lock is the system's (on
    the folder itself, or on Windows a file in it), so a holder killed midway
    holds nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handle: int | None = None

    def acquire(self, waiting: str = "") -> None:
        """Hold it, waiting for another holder; ``waiting`` is said (on stderr)
        when there is one."""
        if self._handle is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            name = self.folder / ".audiotable.lock"
            handle = os.open(name, os.O_RDWR | os.O_CREAT)
            msvcrt.locking(handle, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
            self._handle = handle
            return
        handle = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                print(waiting, file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            os.close(handle)
            raise
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # the lock goes with it
            self._handle = None


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """``folder`` held (see :class:`FolderLock`) until the block ends."""
    lock = FolderLock(folder)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


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


#: Strings encoders and muxers leave in a file whatever its tags say.
ENCODER_MARKS = (b"LAME", b"Lavf", b"Lavc", b"libVorbis", b"Xiph", b"iTunes", b"Nero")


def encoder_marks(path: Path, within: int = 65_536) -> tuple[str, ...]:
    """The encoder strings found in a file's first and last ``within`` bytes
    (where headers and trailers are): what a curious reader's ``strings`` finds."""
    with open_regular(path) as handle:
        head = handle.read(within)
        handle.seek(0, os.SEEK_END)
        handle.seek(max(len(head), handle.tell() - within))
        tail = handle.read(within)
    return tuple(
        mark.decode() for mark in ENCODER_MARKS if mark in head or mark in tail
    )
