"""The clip store: facts about clips, kept by their content.

A digest of a clip's bytes names everything known about it (its metadata, its
analysis, its untagged copy), whatever path or page uses it and on whichever
machine: a fresh clone with
its ``CACHE_PATH`` restored, where every file has a new mtime, reads nothing again,
and other audio copied over a clip with its old size and mtime kept is read anew,
since only the bytes decide. A file's path, size and mtime serve only as a shortcut
that spares hashing a file seen before.

Kept as plain JSON in ``CACHE_PATH/audiotable/clips.json``, stamped with the package
version, written atomically, pruned of the facts no page used.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ClipError
from .log import get_logger
from .model import ClipAnalysis, ClipMetadata
from .pool import (
    DECODE_BUDGET,
    DecodeBudget,
    Learnt,
    Readers,
    content_key,
    facts_entry,
    learn_in_processes,
    stamp_of_stat,
)
from .render import truncation_note

logger = get_logger(__name__)

#: Bump when what is stored, or how it is computed, changes.
STORE_FORMAT = 1
#: Fewer clips to read than this, and starting processes costs more than it saves
#: (decoding, for analysis, is always done in processes of its own).
MIN_CLIPS_FOR_A_POOL = 16


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
    #: What reads, decodes and untags a clip (handed in: the store imports none).
    readers: Readers | None = None
    #: What one clip's decoding may cost (``AUDIOTABLE_DECODE_*``).
    budget: DecodeBudget = DECODE_BUDGET
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
    _no_processes: bool = False
    _used_files: set[str] = field(default_factory=set)
    _used_facts: set[str] = field(default_factory=set)
    _copies: Path | None = None
    _temporary: tempfile.TemporaryDirectory[str] | None = None

    @property
    def analyse(self) -> bool:
        """Whether each clip is decoded for its loudness and shape too."""
        return self.readers is not None and self.readers.analyse

    @property
    def _readers(self) -> Readers:
        if self.readers is None:
            raise ClipError("this build reads no clip")  # a store for lookups only
        return self.readers

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
        self.files[name] = [*stamp_of_stat(stat), key]
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
            entry = self._learn_one(path, key)
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
            return with_decoded_length(metadata, ClipAnalysis.from_dict(analysis))
        return metadata

    @property
    def copies(self) -> Path:
        """The folder of untagged copies (blind tables' clips), by their own
        digest: next to the store's file, or a temporary folder without one."""
        if self._copies is None:
            if self.file is not None:
                self._copies = self.file.parent / "untagged"
            else:  # removed with the store
                self._temporary = tempfile.TemporaryDirectory(prefix="audiotable-")
                self._copies = Path(self._temporary.name)
        return self._copies

    def untagged(self, path: Path) -> str:
        """The file name, in :attr:`copies`, of the clip's copy with every tag
        removed, made once per content. Raises :class:`ClipError`."""
        key = self.key_of(path)
        if self.readers is None or self.readers.untag is None:
            raise ClipError("this build makes no untagged copies")
        if key is None:
            raise ClipError("cannot read the file")
        entry = self.facts.get(key)
        if entry is None or "metadata" not in entry:
            raise ClipError("it cannot be read")
        self._used_facts.add(key)
        known = entry.get("untagged")
        if isinstance(known, dict):
            raise ClipError(str(known.get("error")))
        if isinstance(known, str) and self.has_copy(known):
            return known
        self.copies.mkdir(parents=True, exist_ok=True)
        made = self.copies / f".{key[:16]}.{os.getpid()}{path.suffix.lower()}"
        original = ClipMetadata.from_dict({**entry["metadata"], "path": str(path)})
        try:
            self.readers.untag(path, made, original)
        except ClipError as error:
            entry["untagged"] = {"error": str(error)}
            self._changed = True
            raise
        name = content_key(made)[:24] + path.suffix.lower()
        os.replace(made, self.copies / name)
        entry["untagged"] = name
        self._changed = True
        return name

    def has_copy(self, name: str) -> bool:
        return (self.copies / name).is_file()

    def _learn_one(self, path: Path, key: str) -> dict[str, Any]:
        """One clip learnt as pages ask: decoded in a process of its own when
        analysis is on, else read here."""
        if self.analyse and not self._no_processes:
            try:
                self._take(
                    learn_in_processes(
                        [str(path)], self._known(), 1, self._readers, self.budget
                    )
                )
            except Exception as error:  # no processes here (a sandbox)
                logger.info("no process can start to decode clips (%r)", error)
                self._no_processes = True
            if key in self.facts:
                return self.facts[key]
        entry = facts_entry(self._readers.read, path)
        self.read += 1
        self.facts[key] = entry
        self._changed = True
        return entry

    def _complete(self, entry: dict[str, Any]) -> bool:
        """Whether an entry holds all this build needs (its analysis, when on; one
        given up under a smaller budget is tried again)."""
        if not self.analyse or "metadata" not in entry:
            return True
        analysis = entry.get("analysis")
        return (
            analysis is not None
            and analysis.get("budget", math.inf) >= self.budget.seconds
        )

    def keep(self, keys: Iterable[str]) -> None:
        """Facts that pages served from the page store still show: kept."""
        self._used_facts.update(keys)

    def learn(self, paths: Iterable[Path], workers: int) -> None:
        """Hash and read every clip of ``paths`` not known yet, in a pool of
        processes when there are many (the only parallel work of a build)."""
        self._load()
        unknown = sorted({str(path) for path in paths if not self._learnt(path)})
        if not self._worth_a_pool(unknown, workers):
            return  # asked one by one, as pages are annotated
        workers = max(1, min(workers, len(unknown)))
        try:
            learnt = learn_in_processes(
                unknown, self._known(), workers, self._readers, self.budget
            )
        except Exception as error:  # no processes here (a sandbox)
            logger.info("clips are read in this process (%r)", error)
            return
        self._take(learnt)

    def _worth_a_pool(self, unknown: list[Any], workers: int) -> bool:
        if self.analyse:
            return bool(unknown)  # decoding never runs in this process
        return workers >= 2 and len(unknown) >= MIN_CLIPS_FOR_A_POOL

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

    def _take(self, learnt: Learnt | None) -> None:
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
        if known and known[:-1] == stamp_of_stat(stat):
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
            self._prune_copies(facts)

    def _prune_copies(self, facts: dict[str, dict[str, Any]]) -> None:
        """Copies of clips no page uses any more go with their facts."""
        if not self.copies.is_dir():
            return
        names = (entry.get("untagged") for entry in facts.values())
        kept = {name for name in names if isinstance(name, str)}
        for made in self.copies.glob("*"):
            if made.name not in kept:
                made.unlink(missing_ok=True)


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


def with_decoded_length(metadata: ClipMetadata, analysis: ClipAnalysis) -> ClipMetadata:
    """A clip's facts with its analysis; where the decoder gave out well before
    the length its header promised, the decoder has the last word: the clip shows
    the length that plays and is marked truncated."""
    metadata = replace(metadata, analysis=analysis)
    promised, decoded = metadata.duration, analysis.decoded
    if promised is None or decoded is None:
        return metadata
    if promised - decoded <= max(0.1, 0.01 * promised):
        return metadata
    note = truncation_note(decoded, promised) + " that decodes"
    return replace(
        metadata,
        duration=decoded,
        duration_source="decoded",
        truncated=True,
        notes=(*metadata.notes, note),
    )
