"""What learns a clip, as the pool is handed it: read its metadata, decode it for
its analysis, copy it without tags. Each imports its stage on first use (a warm
build loads none of them), and each is a module-level function, so that worker
processes receive it by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UndecodableClip
from .pool import DecodeBudget, Jobs

if TYPE_CHECKING:
    from ..blind.recipes import CopyRecipe
    from ..model import ClipAnalysis, ClipContent, ClipMetadata, NotDecoded


def read_clip(path: Path) -> ClipContent:
    from .metadata import read_content

    return read_content(path)


def decode_clip(path: Path, budget: float) -> ClipAnalysis | NotDecoded:
    from .analysis import analyse_guarded

    return analyse_guarded(path, budget)


def untag_clip(source: Path, target: Path, original: ClipContent) -> None:
    from .untagged import untagged_copy

    untagged_copy(source, target, original, read_clip)


def equalise_clip(
    source: Path, target: Path, recipe: CopyRecipe, budget: float
) -> ClipMetadata:
    """A blind trial's copy of ``source`` written to ``target``, and what a reader
    can learn of it: read and decoded as any clip is."""
    from dataclasses import replace

    from ..model import ClipAnalysis
    from .equalise import equalised_copy

    equalised_copy(source, target, recipe, budget)
    metadata = read_clip(target)
    analysis = decode_clip(target, budget)
    if not isinstance(analysis, ClipAnalysis):
        target.unlink(missing_ok=True)
        raise UndecodableClip(f"its copy cannot be decoded ({analysis.message})")
    return metadata.at("", replace(analysis, picture=b""))


def jobs_for(analyse: bool, budget: DecodeBudget | None = None) -> Jobs:
    """What a build runs to learn its clips: with the decoder when it decodes."""
    return Jobs(
        read_clip,
        decode_clip if analyse else None,
        untag_clip,
        budget or DecodeBudget(),
        equalise_clip if analyse else None,
    )
