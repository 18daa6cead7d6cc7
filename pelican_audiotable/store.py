"""The clip store: facts about clips, kept by their content.

A digest of a clip's bytes names everything known about it (its metadata now; more
later), whatever path or page uses it and on whichever machine: a fresh clone with
its ``CACHE_PATH`` restored, where every file has a new mtime, reads nothing again,
and other audio copied over a clip with its old size and mtime kept is read anew,
since only the bytes decide. A file's path, size and mtime serve only as a shortcut
that spares hashing a file seen before.

Kept as plain JSON in ``CACHE_PATH/audiotable/clips.json``, stamped with the package
version, written atomically, pruned of the facts no page used.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import types
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import xxhash

from .errors import ClipError
from .log import get_logger
from .model import ClipAnalysis, ClipMetadata

logger = get_logger(__name__)

#: Bump when what is stored, or how it is computed, changes.
STORE_FORMAT = 1
#: Fewer clips to learn than this, and starting processes costs more than it saves.
MIN_CLIPS_FOR_A_POOL = 16
_CHUNK = 4 * 1024 * 1024


def content_key(path: Path | str) -> str:
    """A digest of a file's bytes: xxHash's XXH3, 128 bits (7 GB/s here)."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_of_stat(stat: os.stat_result) -> list[int]:
    """What must all be unchanged for a file's content key to be trusted without
    hashing it again. Not the mtime alone: ``cp -p``, ``tar`` and ``rsync -t``
    keep an old one over new bytes, but no tool can keep the inode's change time."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def worker_count(configured: int | None) -> int:
    """``AUDIOTABLE_WORKERS``, or one process per CPU this process may use, up to 8."""
    if configured:
        return configured
    count = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return min(count, 8)


@dataclass
class ClipStore:
    """Facts by content key, and the shortcut from a file's stamp to its key."""

    file: Path | None
    version: str
    #: Decode each clip for its loudness and shape too (the analysis extra).
    analyse: bool = False
    #: path -> [size, mtime_ns, ctime_ns, inode, content key]
    files: dict[str, list[Any]] = field(default_factory=dict)
    #: content key -> {"metadata": {...}, "analysis": {...}} (analysis: when on; or
    #: {"error": message} when FFmpeg decodes nothing), or {"error": [kind,
    #: message], "tags": {...}} when the clip cannot be read
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What this build learnt: clips hashed, clips read (for tests and benchmarks).
    hashed: int = 0
    read: int = 0
    _loaded: bool = False
    _changed: bool = False
    _early: _Learning | None = None
    _used_files: set[str] = field(default_factory=set)
    _used_facts: set[str] = field(default_factory=set)

    def _load(self) -> None:
        """Loaded when first asked: a build whose pages all come from the page store
        asks only for content keys, and a warm build for none at all."""
        if self._loaded:
            return
        self._loaded = True
        if self.file is None:
            return
        try:
            payload = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            logger.info("the clip store is unreadable (%s); rebuilt", error)
            return
        if not isinstance(payload, dict) or payload.get("version") != self._stamp():
            logger.info("the clip store is from another version; rebuilt")
            return
        files, facts = payload.get("files"), payload.get("facts")
        if isinstance(files, dict) and isinstance(facts, dict):
            self.files, self.facts = files, facts

    def _stamp(self) -> str:
        return f"{self.version}/{STORE_FORMAT}"

    def key_of(self, path: Path | str) -> str | None:
        """The content key of the file at ``path`` (hashed unless its stamp is
        known); None when it cannot be read."""
        self._load()
        name = str(path)
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self._known_key(name, stat)
        if known is not None:
            self._used_files.add(name)
            return known
        try:
            key = content_key(path)
        except OSError:
            return None
        self.hashed += 1
        self.files[name] = [*_stamp_of_stat(stat), key]
        self._used_files.add(name)
        self._changed = True
        return key

    def metadata(self, path: Path) -> ClipMetadata:
        """The facts of the clip at ``path``, read once per content. Raises
        :class:`ClipError` (the reader's, as it was kept)."""
        key = self.key_of(path)
        if key is None:
            raise ClipError("cannot read the file")
        entry = self.facts.get(key)
        if entry is None or not self._complete(entry):
            from .metadata import read_metadata  # the readers load with a new clip

            entry = facts_entry(read_metadata, path, self.analyse)
            self.read += 1
            self.facts[key] = entry
            self._changed = True
        self._used_facts.add(key)
        if "error" in entry:
            kind, message = entry["error"]
            error = ClipError(message, entry.get("tags"))
            error.kind = kind
            raise error
        metadata = ClipMetadata.from_dict({**entry["metadata"], "path": str(path)})
        analysis = entry.get("analysis") if self.analyse else None
        if analysis and "error" in analysis:
            note = f"FFmpeg cannot decode it ({analysis['error']}): nor may browsers"
            return replace(metadata, notes=(*metadata.notes, note))
        if analysis:
            return replace(metadata, analysis=ClipAnalysis.from_dict(analysis))
        return metadata

    def _complete(self, entry: dict[str, Any]) -> bool:
        """Whether an entry holds all this build needs (its analysis, when on)."""
        return not self.analyse or "analysis" in entry or "metadata" not in entry

    def keep(self, keys: Iterable[str]) -> None:
        """Facts that pages served from the page store still show: kept."""
        self._used_facts.update(keys)

    def learn_soon(self, folder: Path, skip: tuple[Path, ...], workers: int) -> None:
        """Start learning the audio files below ``folder`` that are new to the
        store, while Pelican reads the site: clips are files from the start, and
        Pelican reads on one core. :meth:`learn` collects what was learnt."""
        self._load()
        unknown = [p for p in audio_files(folder, skip) if not self._learnt(p)]
        if workers >= 2 and len(unknown) >= MIN_CLIPS_FOR_A_POOL:
            self._early = _Learning(
                [str(p) for p in unknown], self._known(), workers, self.analyse
            )

    def learn(self, paths: Iterable[Path], workers: int) -> None:
        """Hash and read every clip of ``paths`` not known yet, in a pool of
        processes when there are many (the only parallel work of a build)."""
        self._load()
        if self._early is not None:
            self._take(self._early.result())
            self._early = None
        unknown = sorted({str(path) for path in paths if not self._learnt(path)})
        if workers < 2 or len(unknown) < MIN_CLIPS_FOR_A_POOL:
            return  # asked one by one, as pages are annotated
        self._take(_Learning(unknown, self._known(), workers, self.analyse).result())

    def _known(self) -> set[str]:
        return {key for key, entry in self.facts.items() if self._complete(entry)}

    def _learnt(self, path: Path) -> bool:
        """Whether all this build needs of ``path`` is known without reading it."""
        try:
            stat = os.stat(path)
        except OSError:
            return True  # nothing to learn: it is missing
        key = self._known_key(str(path), stat)
        entry = self.facts.get(key) if key else None
        return entry is not None and self._complete(entry)

    def _take(self, learnt: _Learnt | None) -> None:
        if learnt is None:
            return
        stamps, facts = learnt
        self.files.update(stamps)
        self.hashed += len(stamps)
        self.facts.update(facts)
        self.read += len(facts)
        self._changed = True

    def _known_key(self, name: str, stat: os.stat_result) -> str | None:
        """The content key kept for ``name``, while its stamp is as it was."""
        known = self.files.get(name)
        if known and known[:-1] == _stamp_of_stat(stat):
            return str(known[-1])
        return None

    def save(self) -> None:
        """Keep what this build used, atomically; facts no page used are pruned."""
        if self.file is None or not self._loaded:
            return
        files = {k: v for k, v in self.files.items() if k in self._used_files}
        facts = {k: v for k, v in self.facts.items() if k in self._used_facts}
        if not self._changed and files == self.files and facts == self.facts:
            return
        payload = {"version": self._stamp(), "files": files, "facts": facts}
        if write_atomically(self.file, json.dumps(payload, separators=(",", ":"))):
            self.files, self.facts, self._changed = files, facts, False


def facts_entry(read: Any, path: Path, analyse: bool = False) -> dict[str, Any]:
    """What the store keeps of one clip: its metadata (without its path: the same
    content may lie at many) and what decoding it told, or the reader's error with
    the tags it found."""
    try:
        metadata = read(path).to_dict()
    except ClipError as error:
        return {"error": [error.kind, str(error)], "tags": error.tags}
    del metadata["path"], metadata["analysis"]
    entry: dict[str, Any] = {"metadata": metadata}
    if analyse:
        from .analysis import analyse_guarded

        entry["analysis"] = analyse_guarded(path)
    return entry


def write_atomically(file: Path, text: str) -> bool:
    """Write ``text`` to ``file`` through a temporary file, so that a build stopped
    halfway leaves the old file or the new one, never half of one."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, file)
        return True
    except OSError as error:
        logger.warning("cannot save %s: %s", file, error)
        return False


# --- The pool ------------------------------------------------------------------------

_Learnt = tuple[dict[str, list[Any]], dict[str, dict[str, Any]]]


class _Learning:
    """Clips learnt in a pool of processes, driven from a thread of this process
    (which only waits: the work is in the pool), so that it can start early."""

    def __init__(
        self, names: list[str], known: set[str], workers: int, analyse: bool
    ) -> None:
        self.names, self.known, self.analyse = names, known, analyse
        self.workers = min(workers, len(names))
        self.learnt: _Learnt | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.learnt = _in_a_pool(self.names, self.known, self.workers, self.analyse)
        except Exception as error:  # no processes here (a sandbox), or one died
            logger.info("clips are read in this process (%r)", error)

    def result(self) -> _Learnt | None:
        self.thread.join()
        return self.learnt


def _in_a_pool(
    names: list[str], known: set[str], workers: int, analyse: bool
) -> _Learnt:
    """Every clip of ``names`` hashed, then each content not in ``known`` read once,
    in freshly started processes: the same under every start method, and safe
    beside the threads Pelican runs. Returns the new stamps and facts."""
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_lower_priority
    ) as pool:
        chunk = max(1, len(names) // (workers * 4))
        with _main_module_hidden():  # the processes start as work is submitted
            hashed = pool.map(_stamp_of, names, chunksize=chunk)
        stamps = {
            name: stamp
            for name, stamp in zip(names, hashed, strict=True)
            if stamp is not None
        }
        first_of: dict[str, str] = {}
        for name, stamp in stamps.items():
            if stamp[-1] not in known:
                first_of.setdefault(stamp[-1], name)
        chunk = max(1, len(first_of) // (workers * 4))
        with _main_module_hidden():
            entries = pool.map(
                functools.partial(_facts_of, analyse=analyse),
                first_of.values(),
                chunksize=chunk,
            )
        return stamps, dict(zip(first_of, entries, strict=True))


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


def _lower_priority() -> None:
    """Pelican's own reading, on its one core, comes first."""
    if hasattr(os, "nice"):
        os.nice(10)


def _stamp_of(name: str) -> list[Any] | None:
    """A file's stamp and content key (the stat first: a file changed while it is
    hashed is hashed again next time)."""
    try:
        stat = os.stat(name)
        return [*_stamp_of_stat(stat), content_key(name)]
    except OSError:
        return None


def _facts_of(name: str, analyse: bool) -> dict[str, Any]:
    from .metadata import read_metadata

    return facts_entry(read_metadata, Path(name), analyse)


def audio_files(root: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Every regular audio file below ``root``, by the path resolving gives it
    (symlinks and hidden folders left out, and the folders in ``skip``)."""
    from .formats import AUDIO_EXTENSIONS

    real_root = os.path.realpath(root)
    skipped = {os.path.realpath(folder) for folder in skip}
    found = []
    for folder, subfolders, files in os.walk(real_root):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".") and os.path.join(folder, name) not in skipped
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS and not (
                os.path.islink(path)
            ):
                found.append(Path(path))
    return found
