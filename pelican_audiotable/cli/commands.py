"""``pelican-audiotable``: inspect clip files, or check every clip of a site."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..annotate.render import tech_line
from ..learn.metadata import ClipError, ClipMetadata, read_metadata
from ..model import TAG_FIELDS, format_duration

#: The keys of ``inspect --json``, in order; null where unknown.
INSPECT_KEYS = (
    "path",
    "format",
    "codec",
    "duration",
    "bitrate",
    "bitrate_mode",
    "sample_rate",
    "channels",
    "size",
    *TAG_FIELDS,
    "has_cover",
    "error",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pelican-audiotable",
        description="Exact durations and metadata of a Pelican site's audio clips.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="print each audio file's metadata")
    inspect.add_argument("files", nargs="+", type=Path, metavar="FILE")
    inspect.add_argument("--json", action="store_true", help="print a JSON list")
    check = commands.add_parser(
        "check", help="list every audio table and clip of a site with its problems"
    )
    check.add_argument("content", nargs="?", type=Path, metavar="CONTENT_DIR")
    check.add_argument(
        "-s", "--settings", type=Path, default=None, help="pelicanconf.py to read"
    )
    results = commands.add_parser(
        "results", help="readers' results of the site's blind tables"
    )
    results_commands = results.add_subparsers(dest="action", required=True)
    add = results_commands.add_parser(
        "add",
        help="check the result tokens in FILEs (mails, a form service's export) "
        "against the built site, and keep the new ones in its results file",
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument(
        "-s", "--settings", type=Path, default=Path("pelicanconf.py"),
        help="the site's settings (its content and output folders)",
    )  # fmt: skip
    serve = commands.add_parser(
        "serve",
        help="preview a built site on localhost, with the byte ranges seeking needs",
    )
    serve.add_argument("folder", nargs="?", type=Path, default=None)
    serve.add_argument("-p", "--port", type=int, default=8000)
    serve.add_argument(
        "-r",
        "--autoreload",
        action="store_true",
        help="build the site first, and again whenever content, settings or "
        "theme change (as pelican -lr does)",
    )
    serve.add_argument(
        "-s", "--settings", type=Path, default=Path("pelicanconf.py"),
        help="the settings to build with (with --autoreload)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "serve":
        from .server import serve_forever

        if args.autoreload:
            return _serve_and_rebuild(args.folder, args.port, args.settings)
        return serve_forever(args.folder or Path("output"), args.port)
    if args.command == "inspect":
        return _inspect(args.files, as_json=args.json)
    if args.command == "results":
        return _add_results(args.files, args.settings)
    return _check(args.content, args.settings)


def _add_results(files: list[Path], settings_file: Path) -> int:
    """Tokens checked against the blind tables of the built site (its key, its
    study's commitment, its trials and choices), each result kept once."""
    from pelican.settings import read_settings

    from ..blind.results import (
        BadToken,
        file_text,
        file_tokens,
        new_tokens,
        shapes_in,
        tokens_in,
    )
    from ..files import folder_lock, write_whole
    from ..settings import AudioTableSettings

    if not settings_file.is_file():
        print(f"pelican-audiotable results: no settings file {settings_file}",
              file=sys.stderr)  # fmt: skip
        return 2
    settings = read_settings(str(settings_file))
    output = Path(settings["OUTPUT_PATH"])
    target = (
        Path(settings["PATH"]) / AudioTableSettings.from_mapping(settings).results_file
    )
    tables = {
        shape.key: shape
        for page in sorted(output.rglob("*.html"))
        for shape in shapes_in(page.read_text("utf-8", "replace"))
    }
    if not tables:
        print(f"pelican-audiotable results: no blind table in {output} (build the "
              "site first)", file=sys.stderr)  # fmt: skip
        return 2
    texts = []
    for file in files:
        try:
            texts += tokens_in(file.read_text("utf-8", "replace"))
        except OSError as error:
            print(f"{file}: {error.strerror}", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Read, add and write as one step: a run beside this one waits, then adds
    # to what this one wrote (each writes whole, so a reader sees one or the other).
    with folder_lock(target.parent):
        try:
            kept = file_tokens(_results_text(target)) if target.exists() else []
        except (BadToken, OSError, ClipError) as error:
            print(f"pelican-audiotable results: {target}: {error}", file=sys.stderr)
            return 2
        added, refused = new_tokens(texts, tables, kept)
        if added:
            write_whole(target, file_text([*kept, *added]))
    for line in refused:
        print(f"left out: {line}", file=sys.stderr)
    print(f"{len(added)} result(s) added to {target} ({len(kept) + len(added)} in "
          f"all), {len(refused)} left out")  # fmt: skip
    return 0


def _results_text(path: Path) -> str:
    """A results file's text, read as the build reads it (a FIFO named so would
    hang the command)."""
    from ..blind.results import MOST_RESULTS_BYTES
    from ..files import open_regular

    with open_regular(path) as handle:
        data = handle.read(MOST_RESULTS_BYTES + 1)
    if len(data) > MOST_RESULTS_BYTES:
        raise OSError("it is over 64 MB")
    return data.decode("utf-8", "replace")


def _serve_and_rebuild(folder: Path | None, port: int, settings: Path) -> int:
    import threading

    from .autoreload import build, rebuild_on_change, watched_folders
    from .server import serve_forever

    if not settings.is_file():
        print(f"pelican-audiotable serve: no settings file {settings}", file=sys.stderr)
        return 2
    build(settings)
    folder = folder or watched_folders(settings)[1]
    stop = threading.Event()
    watcher = threading.Thread(
        target=rebuild_on_change, args=(settings, stop), daemon=True
    )
    watcher.start()
    try:
        return serve_forever(folder, port)
    finally:
        stop.set()


def _read(path: Path) -> ClipMetadata | ClipError:
    """One file's metadata or its error: whatever happens, the other files of the
    call are still read and reported."""
    try:
        return read_metadata(path)
    except ClipError as error:
        return error
    except Exception as error:  # read_metadata raises only ClipError; belt and braces
        return ClipError(f"{type(error).__name__}: {error}")


def as_record(path: Path, outcome: ClipMetadata | ClipError) -> dict[str, Any]:
    """One file as the ``--json`` object: ``error`` says why it is broken, if it is."""
    record: dict[str, Any] = dict.fromkeys(INSPECT_KEYS)
    record["path"] = str(path)
    if isinstance(outcome, ClipError):
        record.update((k, v) for k, v in outcome.tags.items() if k in record)
        record["error"] = str(outcome)
        return record
    for key in INSPECT_KEYS[1:-1]:
        record[key] = getattr(outcome, key)
    if outcome.truncated:
        record["error"] = "; ".join(outcome.notes)
    return record


def _inspect(files: list[Path], as_json: bool) -> int:
    """Exit 0 when every file reads, 1 when any cannot (each is still reported)."""
    if hasattr(sys.stdout, "reconfigure"):  # odd names and tags never stop the list
        sys.stdout.reconfigure(errors="backslashreplace")
    outcomes = [_read(path) for path in files]
    if as_json:
        records = [as_record(p, o) for p, o in zip(files, outcomes, strict=True)]
        json.dump(records, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for path, outcome in zip(files, outcomes, strict=True):
            print(_describe(path, outcome))
    return 1 if any(isinstance(o, ClipError) for o in outcomes) else 0


def _describe(path: Path, meta: ClipMetadata | ClipError) -> str:
    if isinstance(meta, ClipError):
        tags = [str(t) for k, t in meta.tags.items() if t and k != "has_cover"]
        return f"{path}: error: {meta}" + (
            " — tags: " + " / ".join(tags) if tags else ""
        )
    assert meta.duration is not None
    line = f"{path}: {format_duration(meta.duration)} ({meta.duration:.3f} s, "
    line += f"{meta.duration_source}) {tech_line(meta)}"
    tags = [t for t in (meta.title, meta.artist, meta.album, meta.year) if t]
    if tags:
        line += " — " + " / ".join(tags)
    for note in meta.notes:
        line += f"\n    warning: {note}"
    return line


def _check(content: Path | None, settings_file: Path | None) -> int:
    from ..plugin.check import check_site

    report = check_site(content, settings_file)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for page in report.pages:
        print(page.source_path)
        for number, table in enumerate(page.tables, 1):
            blind = " (blind: clips as readers see them)" if table.blind else ""
            print(f"  table {number}: {table.summary}{blind}")
            for clip in table.clips:
                where = clip.label or clip.row_label or "(unlabelled)"
                if clip.metadata is not None:
                    state = (
                        format_duration(clip.duration) + "  " + tech_line(clip.metadata)
                    )
                elif clip.remote:
                    state = "remote, not checked"
                else:
                    state = f"BROKEN ({clip.error})"
                print(f"    {where}: {clip.src}  {state}")
            for line in table.audit:
                print(f"    leak audit, {line}")
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    clips = sum(t.count for p in report.pages for t in p.tables)
    print(
        f"{len(report.pages)} page(s) with audio tables, {clips} clip(s), "
        f"{len(report.problems)} problem(s)"
        + (f", {len(report.failing)} failing" if report.problems else "")
    )
    return 1 if report.failing else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
