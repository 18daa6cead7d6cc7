"""Every ``AUDIOTABLE_*`` setting with its default and validation, read once a build."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
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
    #: comparisons (fairness, blind trials). Matched with the column's label,
    #: ignoring case.
    reference_columns: tuple[str, ...] = (
        "reference",
        "ground truth",
        "input",
        "prompt",
        "mixture",
        "source",
        "target",
        "original",
    )
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
    #: Mixed into a study's salt (which is otherwise derived from the clips'
    #: original bytes, which readers do not have).
    study_secret: str = ""
    #: Where a reader's "Send" posts the result token (any form service that
    #: takes a POST), or a ``mailto:`` address; "" shows "Copy" only.
    results_url: str = ""
    #: The readers' result tokens, below the content folder: added by
    #: ``pelican-audiotable results add``, tallied under their tables.
    results_file: str = "audiotable-results.json"

    def __post_init__(self) -> None:
        object.__setattr__(self, "blind", blind_choice(self.blind))
        for setting in fields(self):
            value = getattr(self, setting.name)
            if isinstance(setting.default, bool) and not isinstance(value, bool):
                raise SettingsError(
                    f"AUDIOTABLE_{setting.name.upper()} must be True or False, "
                    f"not {value!r}"
                )
        budget = self.decode_budget
        if (
            isinstance(budget, bool)
            or not isinstance(budget, int | float)
            or not (budget > 0)
        ):
            raise SettingsError(
                "AUDIOTABLE_DECODE_BUDGET must be a number of seconds above 0, "
                f"not {budget!r}"
            )
        memory = self.decode_memory
        if isinstance(memory, bool) or not isinstance(memory, int) or memory < 512:
            raise SettingsError(
                "AUDIOTABLE_DECODE_MEMORY must be a number of megabytes of 512 or "
                f"more, not {memory!r}"
            )
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise SettingsError(
                    f"AUDIOTABLE_{name.upper()} must be one of {choices}, "
                    f"not {getattr(self, name)!r}"
                )
        unknown = set(self.caption_fields) - set(CAPTION_FIELD_CHOICES)
        if unknown:
            raise SettingsError(
                f"AUDIOTABLE_CAPTION_FIELDS has unknown fields {sorted(unknown)}; "
                f"choose from {CAPTION_FIELD_CHOICES}"
            )
        if self.workers is not None and (
            not isinstance(self.workers, int) or self.workers < 1
        ):
            raise SettingsError(
                f"AUDIOTABLE_WORKERS must be a whole number from 1, "
                f"not {self.workers!r}"
            )
        if self.results_url and not self.results_url.startswith(
            ("https://", "http://", "mailto:")
        ):
            raise SettingsError(
                "AUDIOTABLE_RESULTS_URL must be an http(s) or mailto: address, "
                f"not {self.results_url!r}"
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
                if field.name in ("caption_fields", "reference_columns"):
                    value = tuple(value)
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


def blind_choice(value: object) -> str:
    """A blind setting as written (``yes``, ``True``, ``off``, a question), as
    :attr:`AudioTableSettings.blind` keeps it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "yes"
    if not isinstance(value, str):
        raise SettingsError(
            f"AUDIOTABLE_BLIND must be yes, no or a question, not {value!r}"
        )
    text = " ".join(value.split())
    if text.lower() in ("", "no", "false", "off", "0"):
        return ""
    if text.lower() in ("yes", "true", "on", "1"):
        return "yes"
    return text
