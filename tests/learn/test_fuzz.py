"""A short, seeded pass of the mutation fuzzer (``make fuzz`` runs it long)."""

from __future__ import annotations

from pathlib import Path

from tests.fuzz import fuzz


def test_damaged_clips_of_every_format_give_only_clip_errors(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    report = fuzz(sorted(clips.values()), cases=120, seed=2026, folder=tmp_path)
    print(report)
    assert report.files == 120 * len(clips)
    assert report.escaped == []
    assert report.read and report.refused  # both outcomes were met
    assert 0 < report.copied <= report.read  # damaged, yet copied untagged


def test_hostile_result_tokens_give_only_refusals() -> None:
    from tests.fuzz_tokens import fuzz as fuzz_tokens

    report = fuzz_tokens(cases=3000, seed=2026)
    print(report)
    assert report.escaped == []
    assert report.accepted and report.refused  # both outcomes were met


def test_damaged_clips_make_matched_copies_or_give_a_reason(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    from tests.fuzz import fuzz_copies

    report = fuzz_copies(sorted(clips.values()), cases=3, seed=2026, folder=tmp_path)
    print(report)
    assert report.files == 3 * len(clips)
    assert report.escaped == []
    assert report.copied  # damaged, yet copied from what decodes
