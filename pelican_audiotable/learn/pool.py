"""Learning clips: every clip a build needs hashed, then each content it does not
know read and, with analysis on, decoded. One way for every build: in a pool of
processes when it decodes or has many clips to read, else here.

Freshly started processes (the same under every start method, and safe beside the
threads Pelican runs) do the work. Decoding runs FFmpeg's C code over untrusted
bytes, and a damaged file can crash it: the crash takes only a worker down. The
clips the pool had not finished are then tried again, each in a process of its
own, and a clip that crashes that one too is kept as undecodable. So no file can
crash the build, and decoding never runs in the build's own process.
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
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..errors import ClipError, short_reason
from ..files import Stamp, stamp_and_key
from ..log import get_logger
from ..model import (
    ClipAnalysis,
    ClipContent,
    ClipFacts,
    ClipMetadata,
    NotDecoded,
    ProblemKind,
    Unreadable,
)
from .progress import Progress

logger = get_logger(__name__)

CRASHED = "FFmpeg crashed decoding it"
#: Fewer clips to read than this, and starting processes costs more than it saves
#: (decoding, for analysis, is always done in processes of its own).
MIN_CLIPS_FOR_A_POOL = 16


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
class Jobs:
    """What learning a clip runs, handed in: the pool and the stores import none
    of it. Module-level functions, so that worker processes get them by name."""

    #: A clip's metadata; raises :class:`ClipError` when nothing plays.
    read: Callable[[Path], ClipContent]
    #: Its analysis within a CPU budget (seconds), or why there is none; None:
    #: this build does not decode.
    decode: Callable[[Path, float], ClipAnalysis | NotDecoded] | None = None
    #: Writes its copy without tags (source, target, its metadata); raises
    #: :class:`ClipError` when it cannot.
    untag: Callable[[Path, Path, ClipContent], None] | None = None
    #: What decoding one clip may cost.
    budget: DecodeBudget = DECODE_BUDGET
    #: Writes a blind trial's copy of a clip by its recipe (source, target,
    #: recipe, CPU seconds) and returns the copy's metadata; None: this build
    #: copies clips untagged only.
    equalise: Callable[[Path, Path, Any, float], ClipMetadata] | None = None

    @property
    def decoding(self) -> float | None:
        """The CPU seconds a clip's decoding may take; None: no decoding."""
        return self.budget.seconds if self.decode is not None else None


_budget = DECODE_BUDGET  # in a worker: as the build set it
_PR_SET_PDEATHSIG = 1


#: Whether all a build needs of a content (by its key) is known already.
Known = Callable[[str], bool]
#: New stamps (path -> stamp and content key) and facts (content key -> facts).
Learnt = tuple[dict[str, tuple[Stamp, str]], dict[str, ClipFacts]]


def learn(names: Iterable[str], known: Known, jobs: Jobs, workers: int) -> Learnt:
    """Every file of ``names`` hashed, then each content not ``known`` learnt
    once. Returns the new stamps and facts."""
    names = sorted(set(names))
    here = jobs.decode is None and (workers < 2 or len(names) < MIN_CLIPS_FOR_A_POOL)
    workers = max(1, min(workers, len(names)))
    try:
        return _learn(names, known, jobs, workers, here)
    except (OSError, RuntimeError, NotImplementedError) as error:
        if here:
            raise
        # No process can start here (a sandbox): read in this process, never
        # decode (the clips are decoded by a build that can).
        logger.info("clips are read in this process, not decoded (%r)", error)
        return _learn(names, known, replace(jobs, decode=None), 1, True)


def _learn(
    names: list[str], known: Known, jobs: Jobs, workers: int, here: bool
) -> Learnt:
    hashing = Progress("hashing clips:", len(names))
    with _executor(workers, jobs.budget, here) as pool:
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
        for name, (_, key) in stamps.items():
            if not known(key):
                first_of.setdefault(key, name)
        learning = Progress(
            "reading and decoding clips:" if jobs.decode else "reading clips:",
            len(first_of),
        )
        facts, remaining = _round(pool, list(first_of.items()), jobs, learning)
    # A clip that crashes a worker breaks the pool: the clips it was running
    # beside are learnt alone, each in a process of its own, the rest in a new pool.
    while remaining:
        suspects, remaining = remaining[:workers], remaining[workers:]
        for key, name in suspects:
            facts[key] = _alone(name, jobs)
        if remaining:
            with _executor(workers, jobs.budget, here) as pool:
                more, remaining = _round(pool, remaining, jobs)
            facts.update(more)
    verb = "read and decoded" if jobs.decode else "read"
    learning.finish(f"{len(names)} clips hashed, {len(facts)} new ones {verb}")
    return stamps, facts


def _round(
    pool: Executor,
    todo: list[tuple[str, str]],
    jobs: Jobs,
    progress: Progress | None = None,
) -> tuple[dict[str, ClipFacts], list[tuple[str, str]]]:
    """What a pool learns of ``todo`` (content key, path) before it ends or breaks,
    and what it did not finish, in the order given (the order they ran in)."""
    with _main_module_hidden():
        futures = [(key, name, pool.submit(facts_of, name, jobs)) for key, name in todo]
    for _ in as_completed([future for _, _, future in futures]):
        if progress is not None:
            progress.advance()
    learnt, unfinished = {}, []
    for key, name, future in futures:
        facts = _result(future)
        if facts is None:
            unfinished.append((key, name))
        else:
            learnt[key] = facts
    return learnt, unfinished


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except BrokenProcessPool:
        return None


def _alone(name: str, jobs: Jobs) -> ClipFacts:
    """A clip learnt in a process of its own; if that crashes too, its metadata is
    read here (the jobs are Python) and its decoding given up."""
    try:
        with _executor(1, jobs.budget, False) as pool, _main_module_hidden():
            return pool.submit(facts_of, name, jobs).result()
    except BrokenProcessPool:
        facts = facts_of(name, replace(jobs, decode=None))  # Python: here
        return replace(facts, analysis=NotDecoded(CRASHED))


@contextmanager
def _executor(workers: int, budget: DecodeBudget, here: bool) -> Iterator[Executor]:
    if here:
        yield _Here()
        return
    with _pool(workers, budget) as pool:
        yield pool


class _Here(Executor):
    """The clips learnt in this process, one after the other, by the same code."""

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:
            future.set_exception(error)
        return future


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


def each_apart(
    make: Callable[..., Any],
    jobs: list[tuple[Any, ...]],
    workers: int,
    budget: DecodeBudget,
    label: str,
    made: str = "made",
) -> list[Any]:
    """``make(*job)`` for each job, in worker processes (FFmpeg's C code over
    untrusted bytes never runs in the build's): its result, or an
    :class:`Unreadable` when it raised :class:`ClipError`, crashed its worker
    (then alone too), or no process could start."""
    results: list[Any] = [None] * len(jobs)
    progress = Progress(label, len(jobs))
    try:
        with _pool(max(1, min(workers, len(jobs))), budget) as pool:
            with _main_module_hidden():
                futures = [pool.submit(_guarded, make, *job) for job in jobs]
            for _ in as_completed(futures):
                progress.advance()
            for index, future in enumerate(futures):
                results[index] = _result(future)
        for index, result in enumerate(results):
            if result is None:  # beside a crash, or the crash: alone
                with _pool(1, budget) as pool, _main_module_hidden():
                    alone = _result(pool.submit(_guarded, make, *jobs[index]))
                crashed = Unreadable(ProblemKind.UNDECODABLE, CRASHED)
                results[index] = crashed if alone is None else alone
    except (OSError, RuntimeError, NotImplementedError) as error:
        why = Unreadable(
            ProblemKind.UNDECODABLE, f"no worker process can start here ({error})"
        )
        results = [why if r is None else r for r in results]
    progress.finish(f"{len(jobs)} {made}")
    return results


def _guarded(make: Callable[..., Any], *job: Any) -> Any:
    """``make(*job)``, or why it could not: whatever the bytes, nothing else
    comes out of a worker."""
    try:
        return make(*job)
    except ClipError as error:
        return Unreadable(error.kind, str(error))
    except MemoryError:
        return Unreadable(
            ProblemKind.UNDECODABLE,
            "too costly (over the memory a worker may take: "
            "AUDIOTABLE_DECODE_MEMORY raises it)",
        )
    except Exception as error:  # a bug of ours or FFmpeg's: the build goes on
        return Unreadable(
            ProblemKind.UNDECODABLE,
            f"it failed ({short_reason(error)}); please report it",
        )


# --- What a worker computes -----------------------------------------------------


def facts_of(name: str, jobs: Jobs) -> ClipFacts:
    """A clip read and, when asked, decoded (in a worker whenever it decodes)."""
    path = Path(name)
    try:
        metadata = jobs.read(path)
    except ClipError as error:
        return ClipFacts(Unreadable(error.kind, str(error), error.tags))
    facts = ClipFacts(metadata)
    if jobs.decode is not None:
        facts = replace(facts, analysis=jobs.decode(path, _budget.seconds))
    return facts
