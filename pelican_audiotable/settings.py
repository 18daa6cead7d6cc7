"""Every ``AUDIOTABLE_*`` setting with its default and validation, read once a build."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from .errors import SettingsError
from .log import get_logger

__all__ = ["AudioTableSettings", "SettingsError"]

CAPTION_FIELD_CHOICES = ("duration", "tech", "title", "artist", "album", "loudness")
#: The settings that take one of a few words, and those words.
CHOICES: dict[str, tuple[str, ...]] = {
    "preload": ("none", "metadata", "auto", "keep"),
    "grid": ("off", "prefix"),
    "blind_copies": ("matched", "untagged"),
    "study": ("", "sealed", "revealed"),
    "palette": ("theme", "os"),
    "dense": ("auto", "always", "never"),
}

logger = get_logger(__name__)


@dataclass(frozen=True)
class AudioTableSettings:
    """The plugin's settings; field ``x`` is read from ``AUDIOTABLE_X``."""

    #: ``preload`` written on every player; ``"keep"`` leaves the author's value.
    preload: str = "none"
    #: What the caption under each player shows, in this order.
    caption_fields: tuple[str, ...] = ("duration", "tech", "title", "artist")
    #: Add a "7 clips · 3:41" caption to audio tables that have none.
    table_summary: bool = True
    #: A broken or missing clip fails the build (for CI).
    strict: bool = False
    #: An unfair comparison (sample rates, lengths, clipping) fails strict builds
    #: and ``check`` too: it is advice otherwise, warned about and noted.
    strict_fairness: bool = False
    #: Write a "Not a fair comparison" note under a table whose comparisons are
    #: unfair (the author is warned either way). Off by default: demo pages set
    #: references and generations side by side on purpose. Articles override
    #: with the ``audiotable_fairness_note`` metadata field.
    fairness_note: bool = False
    #: Columns that hold a reference or an input, not a contender: left out of
    #: comparisons (fairness). A column is one when its label is one of these or
    #: begins with one, ignoring case and punctuation ("Target speaker", "Noisy
    #: input", "Ground-truth").
    reference_columns: tuple[str, ...] = (
        "reference",
        "ground truth",
        "gt",
        "input",
        "prompt",
        "mixture",
        "source",
        "target",
        "original",
        "noisy",
        "clean",
        "unprocessed",
    )
    #: Columns that are contenders whatever their labels begin with (a system
    #: called "Source-Net"): matched with the whole label, ignoring case.
    contender_columns: tuple[str, ...] = ()
    #: Compact cells (a shorter waveform, a smaller caption) and the facts shared
    #: by a whole table or column said once under it: ``"auto"`` for a table of
    #: 4 clip columns or more, or of 8 rows of clips or more; ``"always"``;
    #: ``"never"``.
    dense: str = "auto"
    #: Keep clip metadata in ``CACHE_PATH`` between builds.
    cache: bool = True
    #: Describe every clip as a schema.org ``AudioObject`` in JSON-LD.
    jsonld: bool = True
    #: Copy the grid CSS and listening JS into the output and link them from
    #: pages with audio tables (turn off when a theme includes them itself).
    assets: bool = True
    #: Lay out list tables whose labels share prefixes ("Actual …", "AI …") as
    #: a real grid: ``"off"`` or ``"prefix"``. Articles override with the
    #: ``audiotable_grid`` metadata field.
    grid: str = "off"
    #: Processes that read clips when many are new (a cold build of a big site);
    #: ``None``: one per CPU, at most 8. ``1`` keeps everything in-process.
    workers: int | None = None
    #: Decode every clip once (per content) for loudness, peaks and a waveform,
    #: and play each table's clips loudness-matched. Needs the ``[analysis]``
    #: extra; without it this is off, with one info line.
    analysis: bool = True
    #: CPU seconds the decoding of one clip may take, in its worker: past it the
    #: clip is "too costly to analyse" (its other facts kept). A song takes one
    #: or two; raise it for clips over half an hour.
    decode_budget: float = 10.0
    #: Megabytes a worker that decodes clips may allocate: past it the clip is
    #: too costly to analyse too.
    decode_memory: int = 4096
    #: The grid's colours: ``"theme"`` follows the theme's text and background;
    #: ``"os"`` uses the plugin's own light or dark palette, by the OS setting.
    palette: str = "theme"
    #: Blind tables: ``""`` (none), ``"yes"`` (every comparison, asking for its
    #: first label), or the question to ask. Articles set it with the
    #: ``audiotable_blind`` metadata field; one table, with a marker before it.
    blind: str = ""
    #: A blind trial's copies: ``"matched"`` re-encodes them from the decoded
    #: audio alike (one format, the narrowest bandwidth, one loudness, one
    #: length: nothing but their sound tells them apart; needs the ``[analysis]``
    #: extra); ``"untagged"`` only removes their tags.
    blind_copies: str = "matched"
    #: A blind table as a study: ``""`` (a self-test: the answer comes at once),
    #: ``"sealed"`` (the page holds only a salted SHA-256 commitment of the
    #: answer; readers' picks are kept in their browser), ``"revealed"`` (the
    #: answer published, checked against the commitment, the kept picks
    #: scored). Articles set it with the ``audiotable_study`` metadata field.
    study: str = ""
    #: What a study's order of clips and its salt are keyed by: text of at
    #: least 16 characters that no reader has (kept out of the site's
    #: repository); a study without one is refused.
    study_secret: str = ""
    #: Where a reader's "Send" posts the result token (any form service that
    #: takes a POST), or a ``mailto:`` address; "" shows "Copy" only.
    results_url: str = ""
    #: The readers' result tokens, below the content folder: added by
    #: ``pelican-audiotable results add``, tallied under their tables.
    results_file: str = "audiotable-results.json"
    #: What a reader's result token costs: the PBKDF2 rounds of each try of its
    #: proof of work (8 tries on average; checking one costs one try).
    results_work: int = 1_000_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "blind", blind_choice(self.blind))
        for setting in fields(self):
            name, value = setting.name, getattr(self, setting.name)
            if isinstance(setting.default, bool):
                checked = _boolean(value)
            elif name in CHOICES:
                checked = _choice(value, CHOICES[name])
            elif name in _CHECKS:
                checked = _CHECKS[name](value)
            else:
                continue
            if isinstance(checked, _Refused):
                raise SettingsError(
                    f"AUDIOTABLE_{name.upper()} must be {checked.allowed}, "
                    f"not {_shown(value)}"
                )
            object.__setattr__(self, name, checked)
        if self.study and len(self.study_secret.strip()) < SHORTEST_SECRET:
            raise SettingsError(
                f"AUDIOTABLE_STUDY {self.study!r} needs AUDIOTABLE_STUDY_SECRET: "
                f"text of {SHORTEST_SECRET} characters or more that no reader has "
                "(it orders the clips and salts the commitment; a short one could "
                "be guessed). Keep it out of the site's repository: "
                'os.environ["AUDIOTABLE_STUDY_SECRET"] in publishconf.py; '
                '`python3 -c "import secrets; print(secrets.token_urlsafe())"` '
                "makes one"
            )

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> AudioTableSettings:
        """Build from a Pelican settings dict, keeping defaults for absent keys; a
        key of ours misspelt is warned about, with the nearest valid name."""
        names = ["AUDIOTABLE_" + field.name.upper() for field in fields(cls)]
        for key in settings:
            if key.startswith("AUDIOTABLE_") and key not in names:
                near = difflib.get_close_matches(key, names, n=1)
                logger.warning(
                    "unknown setting %s%s",
                    key,
                    f"; did you mean {near[0]}?" if near else "",
                )
        values: dict[str, Any] = {}
        for field in fields(cls):
            key = "AUDIOTABLE_" + field.name.upper()
            if key in settings:
                value = settings[key]
                values[field.name] = value
        return cls(**values)

    @cached_property
    def decodes(self) -> bool:
        """Whether this build decodes its clips (loudness, waveforms, spectra, matched
        copies): ``analysis`` asked for it, and the [analysis] extra is installed."""
        if not self.analysis:
            return False
        from .extras import analysis_installed

        return analysis_installed()

    @cached_property
    def fingerprint(self) -> str:
        """A stable text that changes whenever what shapes output changes (the
        analysis extra being installed included)."""
        values = [getattr(self, f.name) for f in fields(self) if f.name != "workers"]
        return repr((*values, self.decodes))


@dataclass(frozen=True)
class _Refused:
    """A setting's value refused: ``allowed`` says what would be taken."""

    allowed: str


def _shown(value: object) -> str:
    """A refused value as an error quotes it: its start, if it is long."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _boolean(value: object) -> object:
    return value if isinstance(value, bool) else _Refused("True or False")


def _choice(value: object, choices: tuple[str, ...]) -> object:
    return value if value in choices else _Refused(f"one of {choices}")


def _words(value: object, allowed: tuple[str, ...] | None = None) -> object:
    """A list of words (a string alone is one word), each among ``allowed``."""
    if isinstance(value, str):
        value = (value,)
    what = f"a list of {f'words from {allowed}' if allowed else 'words'}"
    if not isinstance(value, list | tuple) or len(value) > 100:
        return _Refused(what)
    if not all(isinstance(word, str) and len(word) <= 200 for word in value):
        return _Refused(what)
    if allowed is not None and not set(value) <= set(allowed):
        return _Refused(what)
    return tuple(value)


def _whole(value: object, low: int, high: int, unit: str) -> object:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        return _Refused(f"a whole number of {unit} from {low:,} to {high:,}")
    return value


def _workers(value: object) -> object:
    return None if value is None else _whole(value, 1, MOST_WORKERS, "processes")


def _memory(value: object) -> object:
    return _whole(value, 512, _most_megabytes(), "megabytes (this machine's memory)")


def _most_megabytes() -> int:
    """The machine's memory in megabytes, and never under the default."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 1 << 20  # a terabyte: unknown here
    return max(4096, pages // (1 << 20))


def _seconds(value: object) -> object:
    refused = _Refused("a number of seconds above 0, at most 3,600")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return refused
    return value if 0 < value <= 3600 else refused


def _text(value: object) -> object:
    """Any text; unset (None, as ``os.environ.get`` gives) is empty."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _Refused("text")


def _address(value: object) -> object:
    """Where tokens are sent: in the clear over http they could be read or changed
    on their way, so https or mail only."""
    if value == "" or value is None:
        return ""
    allowed = _Refused("an https:// or mailto: address")
    if not isinstance(value, str) or not value.startswith(("https://", "mailto:")):
        return allowed
    return value if len(value) <= 2000 and value.isprintable() else allowed


def _inside(value: object) -> object:
    """A file below the content folder, named relative to it."""
    refused = _Refused("a file name relative to the content folder, inside it")
    if not isinstance(value, str) or not value or len(value) > 255 or "\0" in value:
        return refused
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or value.startswith("~") or ":" in value:
        return refused
    return refused if ".." in path.parts else value


#: A study secret shorter than this could be guessed, tried against the page.
SHORTEST_SECRET = 16

#: A blind table's question, at its longest: a caption, not a page.
MOST_QUESTION = 300

#: Whatever a process may start: more is a mistake, not a machine.
MOST_WORKERS = 256

#: Each setting that is neither a switch nor a choice, and its check: the value
#: it is taken as, or why it is refused.
_CHECKS: dict[str, Callable[[object], object]] = {
    "caption_fields": lambda value: _words(value, CAPTION_FIELD_CHOICES),
    "reference_columns": _words,
    "contender_columns": _words,
    "workers": _workers,
    "decode_budget": _seconds,
    "decode_memory": _memory,
    "study_secret": _text,
    "results_url": _address,
    "results_file": _inside,
    "results_work": lambda value: _whole(value, 1000, 10_000_000, "PBKDF2 rounds"),
}


def blind_choice(value: object) -> str:
    """A blind setting as written (``yes``, ``True``, ``off``, a question), as
    :attr:`AudioTableSettings.blind` keeps it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if not isinstance(value, str) or len(value) > MOST_QUESTION:
        raise SettingsError(
            "AUDIOTABLE_BLIND must be yes, no or a question (of at most "
            f"{MOST_QUESTION} characters), not {_shown(value)}"
        )
    text = " ".join(value.split())
    if text.lower() in ("", "no", "false", "off", "0"):
        return ""
    if text.lower() in ("yes", "true", "on", "1"):
        return "yes"
    return text
