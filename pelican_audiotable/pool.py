"""The build's one parallel part: clip facts computed in a pool of processes.

Freshly started processes (the same under every start method, and safe beside the
threads Pelican runs) hash the clips, read them and, with analysis on, decode them.
Decoding runs FFmpeg's C code over untrusted bytes, and a damaged file can crash
it: the crash takes only a worker down. The clips the pool had not finished are
then tried again, each in a process of its own, and a clip that crashes that one
too is kept as undecodable. So no file can crash the build, and decoding never
runs in the build's own process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import xxhash

from .errors import ClipError
from .files import open_regular
from .log import get_logger
from .progress import Progress

logger = get_logger(__name__)

#: New stamps (path -> stamp and content key) and facts (content key -> entry).
Learnt = tuple[dict[str, list[Any]], dict[str, dict[str, Any]]]
CRASHED = "FFmpeg crashed decoding it"


@dataclass(frozen=True)
class DecodeBudget:
    """What one clip's decoding may cost a worker: CPU seconds (a song takes one
    or two, 40 minutes of 48 kHz stereo about eight; a hand-made hour at 768 kHz
    and 8 channels, 1.5 MB of FLAC, would take ten minutes) and the worker's
    memory. ``AUDIOTABLE_DECODE_BUDGET`` and ``AUDIOTABLE_DECODE_MEMORY``."""

    seconds: float = 10.0
    megabytes: int = 4096


DECODE_BUDGET = DecodeBudget()


@dataclass(frozen=True)
class Readers:
    """What learning a clip runs, handed in: the pool and the store import none
    of it. Module-level functions, so that worker processes get them by name."""

    #: A clip's metadata; raises :class:`ClipError` when nothing plays.
    read: Callable[[Path], Any]
    #: Its analysis entry, within a CPU budget (seconds); None: no analysis.
    decode: Callable[[Path, float], dict[str, Any]] | None = None
    #: Writes its copy without tags (source, target, its metadata); raises
    #: :class:`ClipError` when it cannot.
    untag: Callable[[Path, Path, Any], None] | None = None

    @property
    def analyse(self) -> bool:
        return self.decode is not None


_budget = DECODE_BUDGET  # in a worker: as the build set it
_PR_SET_PDEATHSIG = 1
_CHUNK = 4 * 1024 * 1024


def learn_in_processes(
    names: list[str],
    known: set[str],
    workers: int,
    readers: Readers,
    budget: DecodeBudget = DECODE_BUDGET,
) -> Learnt:
    """Every clip of ``names`` hashed, then each content not in ``known`` learnt
    once, decoding each within ``budget``. Returns the new stamps and
    facts."""
    hashing = Progress("hashing clips:", len(names))
    with _pool(workers, budget) as pool:
        chunk = max(1, len(names) // (workers * 4))
        hashed = []
        with _main_module_hidden():  # the processes start as work is submitted
            for stamp in pool.map(stamp_and_key, names, chunksize=chunk):
                hashed.append(stamp)
                hashing.advance()
        hashing.finish()
        stamps = {
            name: stamp
            for name, stamp in zip(names, hashed, strict=True)
            if stamp is not None
        }
        first_of: dict[str, str] = {}
        for name, stamp in stamps.items():
            if stamp[-1] not in known:
                first_of.setdefault(stamp[-1], name)
        learning = Progress(
            "reading and decoding clips:" if readers.analyse else "reading clips:",
            len(first_of),
        )
        facts, remaining = _round(pool, list(first_of.items()), readers, learning)
    # A clip that crashes a worker breaks the pool: the clips it was running
    # beside are learnt alone, each in a process of its own, the rest in a new pool.
    while remaining:
        suspects, remaining = remaining[:workers], remaining[workers:]
        for key, name in suspects:
            facts[key] = _alone(name, readers, budget)
        if remaining:
            with _pool(workers, budget) as pool:
                learnt, remaining = _round(pool, remaining, readers)
            facts.update(learnt)
    verb = "read and decoded" if readers.analyse else "read"
    learning.finish(f"{len(names)} clips hashed, {len(facts)} new ones {verb}")
    return stamps, facts


def _round(
    pool: ProcessPoolExecutor,
    todo: list[tuple[str, str]],
    readers: Readers,
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """What a pool learns of ``todo`` (content key, path) before it ends or breaks,
    and what it did not finish, in the order given (the order they ran in)."""
    with _main_module_hidden():
        futures = [
            (key, name, pool.submit(_facts_of, name, readers)) for key, name in todo
        ]
    for _ in as_completed([future for _, _, future in futures]):
        if progress is not None:
            progress.advance()
    learnt, unfinished = {}, []
    for key, name, future in futures:
        entry = _result(future)
        if entry is None:
            unfinished.append((key, name))
        else:
            learnt[key] = entry
    return learnt, unfinished


def _result(future: Future[dict[str, Any]]) -> dict[str, Any] | None:
    try:
        return future.result()
    except BrokenProcessPool:
        return None


def _alone(name: str, readers: Readers, budget: DecodeBudget) -> dict[str, Any]:
    """A clip learnt in a process of its own; if that crashes too, its metadata is
    read here (the readers are Python) and its decoding given up."""
    try:
        with _pool(1, budget) as pool, _main_module_hidden():
            return pool.submit(_facts_of, name, readers).result()
    except BrokenProcessPool:
        entry = _facts_of(name, replace(readers, decode=None))  # Python: here
        if readers.analyse and "metadata" in entry:
            entry["analysis"] = {"error": CRASHED}
        return entry


@contextmanager
def _pool(workers: int, budget: DecodeBudget) -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), budget),
    ) as pool:
        yield pool


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """A spawned process imports this one's ``__main__`` before it starts working:
    a build script without an ``if __name__ == "__main__"`` guard would build the
    site again in every worker. The workers need nothing of it, so while they
    start, the main module they are told about is an empty one."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _start_worker(parent: int, budget: DecodeBudget) -> None:
    """A worker yields to Pelican's own reading (on its one core), decodes each
    clip within ``budget``, and dies with the build: a build killed
    with ``kill -9`` leaves no worker behind to finish a costly file."""
    if hasattr(os, "nice"):
        os.nice(10)
    global _budget
    _budget = budget
    with contextlib.suppress(ImportError, ValueError, OSError):  # POSIX only
        import resource  # past the limit, allocations fail: too costly

        limit = budget.megabytes * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    _die_with(parent)


def _die_with(parent: int) -> None:
    """Exit when ``parent`` does: at once on Linux (the kernel's parent-death
    signal), within half a second elsewhere (a thread that watches)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


# --- What a worker computes -----------------------------------------------------


def content_key(path: Path | str) -> str:
    """A digest of a file's bytes: xxHash's XXH3, 128 bits (7 GB/s here)."""
    digest = xxhash.xxh3_128()
    with open_regular(path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stamp_of_stat(stat: os.stat_result) -> list[int]:
    """What must all be unchanged for a file's content key to be trusted without
    hashing it again. Not the mtime alone: ``cp -p``, ``tar`` and ``rsync -t``
    keep an old one over new bytes, but no tool can keep the inode's change time."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def stamp_and_key(name: str) -> list[Any] | None:
    """A file's stamp and content key (the stat first: a file changed while it is
    hashed is hashed again next time)."""
    try:
        stat = os.stat(name)
        return [*stamp_of_stat(stat), content_key(name)]
    except (OSError, ClipError):  # gone, or not a regular file
        return None


def facts_entry(read: Any, path: Path) -> dict[str, Any]:
    """What the store keeps of one clip's reading: its metadata (without its path:
    the same content may lie at many), or the reader's error with the tags it
    found."""
    try:
        metadata = read(path).to_dict()
    except ClipError as error:
        return {"error": [error.kind, str(error)], "tags": error.tags}
    del metadata["path"], metadata["analysis"]
    return {"metadata": metadata}


def _facts_of(name: str, readers: Readers) -> dict[str, Any]:
    """A clip read and, when asked, decoded: in a worker, never in the build."""
    entry = facts_entry(readers.read, Path(name))
    if readers.decode is not None and "metadata" in entry:
        entry["analysis"] = readers.decode(Path(name), _budget.seconds)
    return entry
