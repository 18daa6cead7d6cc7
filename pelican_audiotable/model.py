"""The domain model: the values that flow between the stages, what templates and
the command line see, and how a length reads. Plain dataclasses; this module
imports nothing of the package, so every stage can import it.

The words the code uses, each in one meaning:

- **clip**: one audio file a table plays, as the page names it (``src``).
- **learn**: what the build does to a clip's *content*, once per digest of its
  bytes, in worker processes: read its metadata, decode and measure it, copy it.
- **facts** (:class:`ClipFacts`): what learning gives, as the clip store keeps
  it: true of the bytes wherever they lie, so without a path: what the bytes say
  (:class:`ClipContent`), what decoding told, its untagged copy.
- **shown** (:meth:`ClipFacts.shown`): the facts a page shows of a clip at one
  place in the site (:class:`ClipMetadata`): with its path, its analysis if this
  build decodes, and the decoder's last word on a length its header
  overpromised.
- **reader**: a person reading the page (never code: the byte parsers are
  ``learn/parsers``, what the pool runs are its jobs).
- **trial**: one row of a blind table: clips to tell apart, in an order the
  reader's browser shuffles.
- **copy** (:class:`MadeCopy`): what a blind trial plays instead of a clip: made
  alike for every clip of the trial, named by its own bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any, TypeVar, overload


@dataclass(frozen=True)
class ClipAnalysis:
    """What decoding a clip tells: how loud it is and how it is shaped. ``None``
    where there is nothing to measure (silence)."""

    loudness: float | None  # integrated, LUFS (BS.1770-4)
    sample_peak: float | None  # dBFS
    true_peak: float | None  # dBTP, 4x oversampled
    leading_silence: float  # seconds
    #: Lowest and highest sample of each column of the clip, -100..100, interleaved.
    envelope: tuple[int, ...] = ()
    #: Seconds the decoder gave: what plays, whatever a header promised (None
    #: when decoding stopped at the analysis' one-hour cap).
    decoded: float | None = None
    #: Where its content stops, in Hz (an encoder's low-pass shows here).
    bandwidth: float | None = None
    #: The file name of its spectrogram (a PNG the clip store keeps and the site
    #: publishes), named by its own digest.
    spectrum: str | None = None
    #: That PNG, on its way from the decoding worker to the clip store, which
    #: keeps it as a file: never in the store's JSON.
    picture: bytes = field(default=b"", repr=False, compare=False)
    #: What tells two takes apart besides their music (:mod:`.learn.cues`): DC
    #: offset, side-to-mid energy (dB; None: one channel), share of exact zeros,
    #: onset (seconds, relative to the clip's own level), noise floor (dBFS;
    #: None: too short), share of samples on the peak's plateau (clipping).
    dc: float = 0.0
    side: float | None = None
    zeros: float = 0.0
    onset: float = 0.0
    floor: float | None = None
    plateau: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {**asdict(self), "envelope": list(self.envelope)}
        del data["picture"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipAnalysis:
        """As kept; ``ValueError`` (or ``TypeError``) when a field is not of its
        type: a store damaged by hand is learnt again, never believed."""
        return cls(**_typed(cls, {**data, "envelope": tuple(data.get("envelope", ()))}))


_Content = TypeVar("_Content", bound="ClipContent")


@dataclass(frozen=True)
class ClipContent:
    """What a clip's bytes say, wherever they lie: its format and stream, its
    tags, the notes its reading left. The clip store keeps it by content; a page
    shows it as :class:`ClipMetadata`, at the path the clip lies at. ``None``
    means unknown."""

    format: str  # container: MP3, Ogg, FLAC, MP4, WAV
    codec: str  # MP3, Vorbis, Opus, FLAC, AAC, ALAC, PCM …
    duration: float | None  # seconds that will play
    duration_source: str | None  # "header", "frame-count" or "data-size"
    bitrate: int | None  # bits per second
    bitrate_mode: str | None  # "CBR", "VBR" or "ABR"
    sample_rate: int | None
    channels: int | None
    size: int
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: str | None = None
    track: str | None = None
    comment: str | None = None
    has_cover: bool = False
    truncated: bool = False
    #: Problems that did not stop the reading (truncation, a damaged tag, …).
    notes: tuple[str, ...] = field(default=())

    def at(self, path: str, analysis: ClipAnalysis | None = None) -> ClipMetadata:
        """The clip as a page shows it: at ``path``, with what decoding told."""
        content = {name: getattr(self, name) for name in _CONTENT_FIELDS}
        return ClipMetadata(**content, path=path, analysis=analysis)

    def without_tags(self: _Content) -> _Content:
        """The same audio with no tag: what a copy for a blind table reads as."""
        cleared: dict[str, Any] = dict.fromkeys(TAG_FIELDS)
        return replace(self, **cleared, has_cover=False)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _CONTENT_FIELDS}
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipContent:
        """As kept; ``ValueError`` when a field is not of its type."""
        content = {name: data[name] for name in _CONTENT_FIELDS if name in data}
        content["notes"] = tuple(data.get("notes", ()))
        return ClipContent(**_typed(ClipContent, content))


@dataclass(frozen=True)
class ClipMetadata(ClipContent):
    """Everything a page shows of one clip: what its bytes say, where it lies in
    the site, and what decoding told (when analysis is on)."""

    path: str = ""
    #: What decoding it told, when analysis is on.
    analysis: ClipAnalysis | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {**super().to_dict(), "path": self.path}
        data["analysis"] = self.analysis.to_dict() if self.analysis else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipMetadata:
        analysis = data.get("analysis")
        return ClipContent.from_dict(data).at(
            str(data.get("path", "")),
            ClipAnalysis.from_dict(analysis) if analysis else None,
        )


_CONTENT_FIELDS = tuple(f.name for f in fields(ClipContent))


def _typed(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` when each is of its field's declared type (as this module
    writes them: ``float | None``, ``tuple[int, ...]``…); ``ValueError`` naming
    the first that is not."""
    declared = {f.name: str(f.type) for f in fields(cls)}
    for name, value in values.items():
        kinds = [kind.strip() for kind in declared.get(name, "").split("|")]
        if not any(_is(value, kind) for kind in kinds):
            raise ValueError(f"{cls.__name__}.{name} is not {declared.get(name)}")
    return values


def _is(value: object, kind: str) -> bool:
    if kind == "None":
        return value is None
    if kind in ("bool", "str"):
        return type(value) is {"bool": bool, "str": str}[kind]
    if kind in ("int", "float"):  # a number, finite (JSON keeps 3.0 as 3)
        return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
    if kind.startswith("tuple[") and kind.endswith(", ...]"):
        item = kind[len("tuple[") : -len(", ...]")]
        return isinstance(value, list | tuple) and all(_is(v, item) for v in value)
    return True  # a type this check does not know: not checked


#: The tags a clip's metadata carries (a cover, besides): what blind copies drop.
TAG_FIELDS = ("title", "artist", "album", "year", "track", "comment")


@dataclass(frozen=True)
class PageRef:
    """Where a page comes from and where it is published (both relative)."""

    source_path: str  # relative to the content folder, e.g. "posts/take.md"
    url: str  # relative to the site root, e.g. "posts/take.html"
    save_as: str


class ProblemKind(str, Enum):
    """What is wrong with a clip: also what its player is marked with."""

    MISSING = "missing"
    UNPUBLISHED = "unpublished"
    OUTSIDE = "outside"
    EMPTY = "empty"
    NOT_AUDIO = "not-audio"
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"
    UNREADABLE = "unreadable"
    TRUNCATED = "truncated"
    SUSPECT = "suspect"  # read, with a note (a damaged tag, a misnamed file)
    UNFAIR = "unfair"  # clips compared in one row differ in what matching can't fix
    NOT_BLIND = "not-blind"  # a blind table could not be built: a note instead
    STUDY_NOT_BUILT = "study-not-built"  # the same, of a study: the build fails
    UNDECODABLE = "undecodable"  # read, but FFmpeg decodes no sound from it
    UNTAGGABLE = "untaggable"  # no copy of it without tags can be made
    LEAK = "leak"  # a blind trial's copies differ in more than their sound
    RESULTS = "results"  # a reader's result token that does not count

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Unreadable:
    """Why a clip cannot be read, or copied without its tags: what its player is
    marked with, and what its tags said when they could be read (a file with tags
    and no audio: reported beside the error, never shown as a playable clip)."""

    kind: ProblemKind
    message: str
    tags: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class NotDecoded:
    """Why a clip has no analysis. ``budget``: the CPU seconds it was given when
    it cost more (it is tried again under a larger budget)."""

    message: str
    budget: float | None = None


@dataclass(frozen=True)
class MadeCopy:
    """A blind table's copy of a clip: its file name among the published copies,
    and all a reader can learn of it (what the copy is, not what the clip was)."""

    name: str
    metadata: ClipMetadata
    #: Encoder strings left in its bytes (the leak audit reports them).
    marks: tuple[str, ...] = ()
    #: The content key of the clip it was made from (never on a page).
    source: str = ""


@dataclass(frozen=True)
class ClipFacts:
    """What learning one clip's content gives, as the clip store keeps it: its
    metadata (without a path: the same content may lie at many) or why it cannot
    be read; its analysis, when decoded; the name of its untagged copy (or why
    there is none), once a blind table asked for it."""

    metadata: ClipContent | Unreadable
    analysis: ClipAnalysis | NotDecoded | None = None
    copy: str | Unreadable | None = None

    def complete(self, decoding: float | None) -> bool:
        """Whether this holds all a build needs: its analysis when it decodes
        (``decoding``: the CPU seconds a clip may take), unless it cannot be
        read; one given up under a smaller budget is tried again."""
        if decoding is None or isinstance(self.metadata, Unreadable):
            return True
        if isinstance(self.analysis, NotDecoded):
            return (self.analysis.budget or math.inf) >= decoding
        return self.analysis is not None

    def shown(self, path: str, analysed: bool) -> ClipMetadata | Unreadable:
        """The facts a page shows of the clip at ``path`` (where it lies in the
        site). With its analysis, where the decoder gave out well before the
        length its header promised, the decoder has the last word: the clip shows
        the length that plays and is marked truncated."""
        if isinstance(self.metadata, Unreadable):
            return self.metadata
        metadata = self.metadata.at(path)
        analysis = self.analysis if analysed else None
        if isinstance(analysis, NotDecoded):
            note = f"FFmpeg cannot decode it ({analysis.message}): nor may browsers"
            return replace(metadata, notes=(*metadata.notes, note))
        if analysis is None:
            return metadata
        metadata = replace(metadata, analysis=analysis)
        promised, decoded = metadata.duration, analysis.decoded
        if promised is None or decoded is None:
            return metadata
        if promised - decoded <= max(0.1, 0.01 * promised):
            return metadata
        return replace(
            metadata,
            duration=decoded,
            duration_source="decoded",
            truncated=True,
            notes=(
                *metadata.notes,
                truncation_note(decoded, promised) + " that decodes",
            ),
        )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one clip of one page: a warning (an error when strict)."""

    page: str  # the page's source path
    clip: str | None  # the clip as the author wrote it; None for a whole table
    kind: ProblemKind
    message: str
    #: Problems of one group share one fix, and are warned about once (the clips
    #: of a folder missing from STATIC_PATHS).
    group: str | None = None

    def __str__(self) -> str:
        message = _shortened(self.message, 400)
        if self.clip is None:
            return f"{self.page}: {message}"
        return f"{self.page}: clip {_shortened(self.clip, 120)!r}: {message}"


def failing(problems: Iterable[Problem], strict_fairness: bool) -> list[Problem]:
    """The problems that fail a strict build or ``check``: every one but advice,
    the fairness findings and the leak audit's (``AUDIOTABLE_STRICT_FAIRNESS``
    counts those too)."""
    return [p for p in problems if p.kind not in ADVICE_KINDS or strict_fairness]


#: What is advice, not wrong: comparisons that are unfair, blind copies that can
#: still be told apart, readers' results that do not count.
ADVICE_KINDS = (ProblemKind.UNFAIR, ProblemKind.LEAK, ProblemKind.RESULTS)


def warning_lines(problems: Sequence[Problem]) -> list[str]:
    """Each problem as its warning, but one warning for each group of problems
    that share a fix, with the count of clips and the pages."""
    groups: dict[str, list[Problem]] = {}
    lines: list[str | Problem] = []
    for problem in problems:
        if problem.group is None:
            lines.append(str(problem))
            continue
        if problem.group not in groups:
            groups[problem.group] = []
            lines.append(problem)  # stands for its group, in its place
        groups[problem.group].append(problem)
    return [
        line if isinstance(line, str) else _group_line(groups[line.group or ""])
        for line in lines
    ]


def _group_line(problems: list[Problem]) -> str:
    first = problems[0]
    if len(problems) == 1:
        return str(first)
    pages = sorted({problem.page for problem in problems})
    return (
        f"{len(problems)} clips in the content folder {first.group}/ would 404 on "
        f"the live site: it is not published (add {first.group!r} to "
        f"STATIC_PATHS); on {', '.join(_shortened(p, 80) for p in pages[:5])}"
        + (f" and {len(pages) - 5} more pages" if len(pages) > 5 else "")
    )


def _shortened(text: str, most: int) -> str:
    """Text as a warning quotes it: a 5,000-character clip name is cut."""
    return text if len(text) <= most else text[: most - 40] + "…" + text[-30:]


@dataclass(frozen=True)
class ClipInfo:
    """One clip of an audio table, with what the build learnt about it."""

    src: str
    label: str | None = None
    row_label: str | None = None
    column_label: str | None = None
    url: str | None = None
    metadata: ClipMetadata | None = None
    error: str | None = None  # the kind of problem that left it unannotated
    remote: bool = False
    #: The table row it sits in (0 for the first row): rows are compared as rows,
    #: never by their labels' text (labels repeat, or are missing).
    row: int | None = None

    @property
    def duration(self) -> float | None:
        return self.metadata.duration if self.metadata else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["metadata"] = self.metadata.to_dict() if self.metadata else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipInfo:
        meta = data.get("metadata")
        return cls(
            **{**data, "metadata": ClipMetadata.from_dict(meta) if meta else None}
        )


@dataclass(frozen=True)
class AudioTableInfo:
    """One audio table of a page, for templates: ``{{ table.summary }}``."""

    clips: tuple[ClipInfo, ...]
    #: A blind table: its clips are anonymous (no labels, names or tags).
    blind: bool = False
    #: A blind table's leak audit: a line a trial, what tells its copies apart
    #: besides their sound ("no leaks", normally).
    audit: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.clips)

    @property
    def duration(self) -> float | None:
        """Total length, or None when any clip's length is unknown."""
        durations = [clip.duration for clip in self.clips]
        if any(d is None for d in durations):
            return None
        return sum(d for d in durations if d is not None)

    @property
    def summary(self) -> str:
        return clips_summary(self.count, self.duration)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clips": [clip.to_dict() for clip in self.clips],
            "blind": self.blind,
            "audit": list(self.audit),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioTableInfo:
        clips = tuple(ClipInfo.from_dict(clip) for clip in data["clips"])
        return cls(clips, bool(data.get("blind")), tuple(data.get("audit", ())))


#: Where the files pages play or show from the build are published, below the
#: output folder (and kept, below the clip store's): the blind tables' untagged
#: copies and the clips' spectrograms, each named by its own digest.
PUBLISHED = "audiotable"
COPIES = "blind"
SPECTRA = "spectra"


@dataclass(frozen=True)
class ProcessedPage:
    """A page after the build: its annotated HTML, its tables, what went wrong."""

    html: str
    tables: Sequence[AudioTableInfo]
    problems: tuple[Problem, ...]
    #: The page's JSON-LD ``<script>``, for its head (empty when none).
    jsonld: str = ""
    #: The files it plays or shows that the build publishes (its blind tables'
    #: untagged copies, its spectrograms), below :data:`PUBLISHED`.
    files: tuple[str, ...] = ()
    #: Where its audio tables are in ``html`` (start, end): what a summary
    #: replaces with teasers, without reading the page again.
    spans: tuple[tuple[int, int], ...] = ()
    #: Its key in the page store ("": not kept there).
    key: str = ""
    #: The takes its blind tables play, as (content key, the clip as written).
    takes: tuple[tuple[str, str], ...] = ()


class StoredTables(Sequence[AudioTableInfo]):
    """A page's tables as the page store keeps them: JSON, decoded when a template
    first reads them (most themes never do, and decoding every clip of every page
    would be half of a warm build's plugin time)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tables: tuple[AudioTableInfo, ...] | None = None

    @classmethod
    def of(cls, tables: Sequence[AudioTableInfo]) -> StoredTables:
        return cls(json.dumps([table.to_dict() for table in tables]))

    @property
    def tables(self) -> tuple[AudioTableInfo, ...]:
        if self._tables is None:
            self._tables = tuple(
                AudioTableInfo.from_dict(t) for t in json.loads(self.text)
            )
        return self._tables

    @overload
    def __getitem__(self, index: int) -> AudioTableInfo: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[AudioTableInfo]: ...
    def __getitem__(self, index: int | slice) -> object:
        return self.tables[index]

    def __len__(self) -> int:
        return len(self.tables)

    def __bool__(self) -> bool:  # without decoding: a served page asks only this
        return self.text not in ("", "[]")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"StoredTables({list(self)!r})"


# --- How a length reads -------------------------------------------------------

#: Lengths under this many seconds are shown in tenths: whole seconds say nothing
#: of a 0.5 s sound effect or a 3.4 s word.
TENTHS_BELOW = 10.0


def format_duration(seconds: float | None, length: float | None = None) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on; whole seconds cut, not rounded,
    as native players show a length (12.5 s is 0:12), and tenths cut too when the
    clip (``length``: ``seconds`` itself unless given) is shorter than 10 s (0.5 s
    is 0:00.5)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    length = seconds if length is None else length
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    if length < TENTHS_BELOW:
        tenths = int(round(seconds * 10, 6)) % 10  # cut, past float noise
        return f"{minutes}:{secs:02d}.{tenths}"
    return f"{minutes}:{secs:02d}"


def clips_summary(count: int, total: float | None) -> str:
    """``7 clips · 3:41`` (the length only when every clip's is known)."""
    text = f"{count} clip" + ("" if count == 1 else "s")
    if total is not None and count:
        text += f" · {format_duration(total)}"
    return text


def truncation_note(playable: float, promised: float | None) -> str:
    if promised and promised > playable:
        return (
            f"truncated: the header promises {promised:.1f} s "
            f"but the file holds {playable:.1f} s"
        )
    return f"truncated: the file breaks off after {playable:.1f} s"
