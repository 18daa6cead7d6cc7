"""The clip store: facts about clips, kept by their content.

A digest of a clip's bytes names everything known about it (its metadata, its
analysis, its untagged copy), whatever path or page uses it and on whichever
machine: a fresh clone with its ``CACHE_PATH`` restored, where every file has a
new mtime, reads nothing again, and other audio copied over a clip with its old
size and mtime kept is read anew, since only the bytes decide. A file's stamp (its
size, mtime, ctime and inode) serves only as a shortcut that spares hashing a file
seen before.

Kept in ``CACHE_PATH/audiotable/``: the stamps (``stamps.json``, all a warm build
reads) apart from the facts (``clips.json``, read when a page is annotated anew),
and the files pages publish in ``published/`` (untagged copies in ``blind/``,
spectrograms in ``spectra/``); pruned of what no page used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ClipError
from ..files import Stamp, content_key
from ..model import (
    COPIES,
    SPECTRA,
    ClipAnalysis,
    ClipContent,
    ClipFacts,
    ClipMetadata,
    MadeCopy,
    NotDecoded,
    ProblemKind,
    Unreadable,
)
from . import jsonfile

#: Bump when what is stored, or how it is computed, changes.
STORE_FORMAT = 3

Untag = Callable[[Path, Path, ClipContent], None]


@dataclass
class ClipStore:
    """Facts by content key, and the shortcut from a file's stamp to its key."""

    folder: Path | None
    version: str
    #: What this build did: files hashed, contents learnt (for tests, benchmarks).
    hashed: int = 0
    learnt: int = 0
    _stamps: dict[str, tuple[Stamp, str]] | None = None
    #: The facts as kept (JSON), each made a :class:`ClipFacts` when first asked.
    _kept: dict[str, Any] | None = None
    _facts: dict[str, ClipFacts] = field(default_factory=dict)
    _used_files: set[str] = field(default_factory=set)
    _used_facts: set[str] = field(default_factory=set)
    #: Blind trials' matched copies, by recipe key (as kept, JSON).
    _matched: dict[str, Any] | None = None
    _used_matched: set[str] = field(default_factory=set)
    _used_published: set[str] = field(default_factory=set)
    _changed: set[str] = field(default_factory=set)  # "stamps", "facts", "matched"
    _temporary: tempfile.TemporaryDirectory[str] | None = None
    #: Published files found true to their names in this build (hashed once).
    _verified: set[str] = field(default_factory=set)
    _scratch: Path | None = None

    def _file(self, name: str) -> Path | None:
        return self.folder / name if self.folder else None

    def _stamp(self) -> str:
        return f"{self.version}/{STORE_FORMAT}"

    @property
    def stamps(self) -> dict[str, tuple[Stamp, str]]:
        """Path -> stamp and content key: loaded when first asked (a warm build
        asks for nothing else)."""
        if self._stamps is None:
            kept = jsonfile.load(self._file("stamps.json"), self._stamp(), "clip store")
            with jsonfile.collector_paused():
                self._stamps = {
                    name: (Stamp(*entry[:4]), entry[4])
                    for name, entry in (kept or {}).items()
                    if _stamp_entry(entry)
                }
            for name in (kept or {}).keys() - self._stamps.keys():
                jsonfile.dropped("clip store's stamps", name)  # hashed again
        return self._stamps

    def known_key(self, path: Path | str) -> str | None:
        """The content key kept for the file at ``path``, while its stamp is as it
        was; None when it must be hashed (or is missing)."""
        name = str(path)
        known = self.stamps.get(name)
        if known is None:
            return None
        try:
            status = os.stat(name)
        except OSError:
            return None
        if known[0] != Stamp.of(status):
            return None
        self._used_files.add(name)
        return known[1]

    def key_of(self, path: Path | str) -> str | None:
        """The content key of the file at ``path``, hashed unless its stamp is
        known; None when it cannot be read."""
        known = self.known_key(path)
        if known is not None:
            return known
        name = str(path)
        try:
            stamp, key = Stamp.of(os.stat(name)), content_key(name)
        except (OSError, ClipError):
            return None
        self.hashed += 1
        self._took_stamps({name: (stamp, key)})
        return key

    def facts(self, key: str) -> ClipFacts | None:
        """What is known of a content, marked as used by this build."""
        found = self._facts.get(key)
        if found is None:
            if self._kept is None:
                kept = jsonfile.load(
                    self._file("clips.json"), self._stamp(), "clip store"
                )
                self._kept = kept or {}
            raw = self._kept.get(key)
            if raw is None:
                return None
            try:
                found = _facts_from_json(raw)
            except (KeyError, TypeError, ValueError):
                jsonfile.dropped("clip store", key)  # learnt again
                return None
            analysis = found.analysis
            if (
                isinstance(analysis, ClipAnalysis)
                and analysis.spectrum
                and not self.has_file(f"{SPECTRA}/{analysis.spectrum}")
            ):
                return None  # its spectrogram lost, or named wrongly: learnt again
            self._facts[key] = found
        self._used_facts.add(key)
        return found

    def take(
        self, stamps: dict[str, tuple[Stamp, str]], facts: dict[str, ClipFacts]
    ) -> None:
        """What a build learnt: new stamps, and facts by content key (a
        spectrogram kept as a file, not in the facts)."""
        self.hashed += len(stamps)
        self.learnt += len(facts)
        self._took_stamps(stamps)
        for key, learnt in facts.items():
            analysis = learnt.analysis
            if isinstance(analysis, ClipAnalysis) and analysis.picture:
                name = f"{SPECTRA}/{analysis.spectrum}"
                if analysis.spectrum and not self.has_file(name):
                    jsonfile.write_atomically(self.published / name, analysis.picture)
                facts[key] = replace(learnt, analysis=replace(analysis, picture=b""))
        self._facts.update(facts)
        self._used_facts.update(facts)
        self._changed.add("facts")

    def _took_stamps(self, stamps: dict[str, tuple[Stamp, str]]) -> None:
        self.stamps.update(stamps)
        self._used_files.update(stamps)
        self._changed.add("stamps")

    def keep(self, keys: Iterable[str], files: Iterable[str] = ()) -> None:
        """Facts that pages served from the page store still show, and the files
        (``blind/…``, ``spectra/…``) they still publish: kept."""
        self._used_facts.update(keys)
        self._used_published.update(files)

    # --- Published files -------------------------------------------------------

    @property
    def published(self) -> Path:
        """The files pages publish (untagged copies, spectrograms), named by their
        own digest: beside the store's files, or a temporary folder without them."""
        if self.folder is not None:
            return self.folder / "published"
        if self._temporary is None:  # removed with the store
            self._temporary = tempfile.TemporaryDirectory(prefix="audiotable-")
        return Path(self._temporary.name)

    @property
    def scratch(self) -> Path:
        """Where files are written before they take their names in the site's
        output: outside it, so a build killed midway leaves no part there. What a
        killed build left here is removed when the next one first asks (one
        build at a time holds the store)."""
        if self._scratch is None:
            self._scratch = self.published.parent / "scratch"
            if self.folder is None:
                self._scratch = self.published / ".scratch"
            shutil.rmtree(self._scratch, ignore_errors=True)
        return self._scratch

    def clear_scratch(self) -> None:
        """The scratch folder gone once the build has published (empty by then)."""
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def has_file(self, name: str) -> bool:
        """Whether ``name`` (``blind/…``, ``spectra/…``) is kept, its bytes true
        to its name (each is named by a digest of them): a file cut or changed
        in the store is removed, to be made again, never published as it is.
        Hashed once a build (a copy of a minute: a tenth of a millisecond)."""
        if name in self._verified:
            return True
        path = self.published / name
        if not path.is_file():
            return False
        if not _true_to_name(path):
            path.unlink(missing_ok=True)
            return False
        self._verified.add(name)
        return True

    def copy_of(self, path: Path, key: str, untag: Untag) -> str | Unreadable:
        """The file name, in ``published/blind``, of the clip's copy with every tag
        removed (made once per content by ``untag``), or why there is none."""
        facts = self.facts(key)
        if facts is None or isinstance(facts.metadata, Unreadable):
            return Unreadable(ProblemKind.UNREADABLE, "it cannot be read")
        if isinstance(facts.copy, Unreadable):
            return facts.copy
        if isinstance(facts.copy, str) and self.has_file(f"{COPIES}/{facts.copy}"):
            return facts.copy
        folder = self.published / COPIES
        folder.mkdir(parents=True, exist_ok=True)
        made = folder / f".{key[:16]}.{os.getpid()}{path.suffix.lower()}"
        copy: str | Unreadable
        try:
            untag(path, made, facts.metadata)
        except ClipError as error:
            made.unlink(missing_ok=True)
            copy = Unreadable(error.kind, str(error))
        else:
            copy = content_key(made)[:24] + path.suffix.lower()
            os.replace(made, folder / copy)
        self._facts[key] = replace(facts, copy=copy)
        self._changed.add("facts")
        return copy

    @property
    def matched(self) -> dict[str, Any]:
        if self._matched is None:
            kept = jsonfile.load(self._file("copies.json"), self._stamp(), "clip store")
            self._matched = kept or {}
        return self._matched

    def matched_copy(self, recipe_key: str) -> MadeCopy | Unreadable | None:
        """A blind trial's copy made by the recipe of ``recipe_key`` (see
        :meth:`~.blind.recipes.CopyRecipe.key`), or why it could not be; None when
        it is to be made."""
        raw = self.matched.get(recipe_key)
        try:
            if raw is None:
                return None
            if "error" in raw:
                made: MadeCopy | Unreadable = _unreadable_from_json(raw["error"])
            else:
                metadata = ClipMetadata.from_dict({**raw["metadata"], "path": ""})
                made = MadeCopy(raw["name"], metadata)
                if not self.has_file(f"{COPIES}/{made.name}"):
                    return None
        except (KeyError, TypeError, ValueError):
            jsonfile.dropped("blind copies' store", recipe_key)  # made again
            return None
        self._used_matched.add(recipe_key)
        return made

    def matched_target(self, recipe_key: str) -> Path:
        """Where a copy is written before :meth:`ClipStore.take_matched` names it."""
        folder = self.published / COPIES
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f".{recipe_key[:16]}.{os.getpid()}.mp3"

    def take_matched(
        self, recipe_key: str, made: ClipMetadata | Unreadable
    ) -> MadeCopy | Unreadable:
        """A copy written at :meth:`ClipStore.matched_target`, named by its own
        bytes (or why there is none), kept."""
        written = self.matched_target(recipe_key)
        result: MadeCopy | Unreadable
        if isinstance(made, Unreadable):
            written.unlink(missing_ok=True)
            result = made
            self.matched[recipe_key] = {"error": _unreadable_to_json(made)}
        else:
            name = content_key(written)[:24] + ".mp3"
            os.replace(written, self.published / COPIES / name)
            result = MadeCopy(name, made)
            metadata = made.to_dict()
            del metadata["path"]
            self.matched[recipe_key] = {"name": name, "metadata": metadata}
        self._used_matched.add(recipe_key)
        self._changed.add("matched")
        return result

    # --- Saving ----------------------------------------------------------------

    def save(self) -> None:
        """Keep what this build used, atomically; what no page used is pruned."""
        if self.folder is None or self._stamps is None:
            return  # nothing was asked of it
        stamps = {k: v for k, v in self._stamps.items() if k in self._used_files}
        dropped = stamps.keys() != self._stamps.keys()
        if "stamps" in self._changed or dropped:
            payload = {name: [*stamp, key] for name, (stamp, key) in stamps.items()}
            if jsonfile.save(self.folder / "stamps.json", self._stamp(), payload):
                self._stamps = stamps
        if self._matched is not None:  # a blind table was annotated anew
            matched = {
                key: entry
                for key, entry in sorted(self._matched.items())
                if key in self._used_matched
                or f"{COPIES}/{entry.get('name')}" in self._used_published
            }
            changed = "matched" in self._changed
            if (changed or matched.keys() != self._matched.keys()) and jsonfile.save(
                self.folder / "copies.json", self._stamp(), matched
            ):
                self._matched = matched
                self._changed.add("facts")  # the published copies are pruned
        if not dropped and "facts" not in self._changed:
            return  # a warm build: every fact it kept is still used
        if self._kept is None:
            loaded = jsonfile.load(
                self.folder / "clips.json", self._stamp(), "clip store"
            )
            self._kept = loaded or {}
        kept = self._kept
        facts = {
            key: _facts_to_json(self._facts[key]) if key in self._facts else kept[key]
            for key in sorted(self._used_facts)
            if key in self._facts or key in kept
        }
        changed = "facts" in self._changed or facts.keys() != kept.keys()
        if changed and jsonfile.save(self.folder / "clips.json", self._stamp(), facts):
            self._kept, self._facts = facts, {}
            analyses = [entry.get("analysis") or {} for entry in facts.values()]
            copies = {entry["copy"] for entry in facts.values() if entry.get("copy")}
            copies |= {e["name"] for e in self.matched.values() if "name" in e}
            pictures = {a["spectrum"] for a in analyses if a.get("spectrum")}
            jsonfile.prune(self.published / COPIES, copies)
            jsonfile.prune(self.published / SPECTRA, pictures)
        self._changed.clear()


def _facts_to_json(facts: ClipFacts) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if isinstance(facts.metadata, Unreadable):
        data["error"] = _unreadable_to_json(facts.metadata)
    else:
        data["metadata"] = ClipContent.to_dict(facts.metadata)
    if isinstance(facts.analysis, ClipAnalysis):
        data["analysis"] = facts.analysis.to_dict()
    elif isinstance(facts.analysis, NotDecoded):
        data["not_decoded"] = [facts.analysis.message, facts.analysis.budget]
    if isinstance(facts.copy, str):
        data["copy"] = facts.copy
    elif isinstance(facts.copy, Unreadable):
        data["no_copy"] = _unreadable_to_json(facts.copy)
    return data


def _unreadable_to_json(why: Unreadable) -> list[Any]:
    return [why.kind.value, why.message, why.tags]


def _facts_from_json(data: dict[str, Any]) -> ClipFacts:
    metadata: ClipContent | Unreadable
    if "error" in data:
        metadata = _unreadable_from_json(data["error"])
    else:
        metadata = ClipContent.from_dict(data["metadata"])
    analysis: ClipAnalysis | NotDecoded | None = None
    if "analysis" in data:
        analysis = ClipAnalysis.from_dict(data["analysis"])
    elif "not_decoded" in data:
        analysis = NotDecoded(*data["not_decoded"])
    copy: str | Unreadable | None = data.get("copy")
    if "no_copy" in data:
        copy = _unreadable_from_json(data["no_copy"])
    return ClipFacts(metadata, analysis, copy)


def _unreadable_from_json(data: list[Any]) -> Unreadable:
    kind, message, tags = data
    return Unreadable(ProblemKind(kind), str(message), dict(tags or {}))


def _true_to_name(path: Path) -> bool:
    """Whether a published file's bytes give its name: a copy's content key, a
    spectrogram's SHA-256 (see :func:`~.learn.analysis._named`)."""
    import hashlib

    try:
        if path.parent.name == SPECTRA:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest = content_key(path)
    except (OSError, ClipError):
        return False
    return digest.startswith(path.stem) and len(path.stem) >= 20


def _stamp_entry(entry: object) -> bool:
    """Whether a kept stamp is four whole numbers and a content key."""
    return (
        isinstance(entry, list)
        and len(entry) == 5
        and all(type(value) is int for value in entry[:4])
        and isinstance(entry[4], str)
        and len(entry[4]) == 32
    )
