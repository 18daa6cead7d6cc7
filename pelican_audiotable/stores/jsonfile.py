"""The one way both stores are kept: a JSON file stamped with the version that
wrote it, written atomically, and the files beside it pruned of what is no longer
kept. A damaged or foreign file is never an error: the store is rebuilt."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..files import write_whole
from ..log import get_logger

logger = get_logger(__name__)


def load(file: Path | None, stamp: str, what: str) -> dict[str, Any] | None:
    """The payload kept in ``file`` if ``stamp`` wrote it; None (the store starts
    empty) when there is none, or it is damaged, or another version wrote it."""
    if file is None:
        return None
    try:
        with collector_paused():
            kept = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.info("the %s is unreadable (%s); rebuilt", what, error)
        return None
    if not isinstance(kept, dict) or kept.get("version") != stamp:
        logger.info("the %s is from another version; rebuilt", what)
        return None
    payload = kept.get("payload")
    return payload if isinstance(payload, dict) else None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading a store makes thousands of small objects at once, and every few
    hundred of them would set Python's cycle collector off over Pelican's whole
    heap (a third of a warm build's plugin time): none of them forms a cycle, so
    the collector waits until they are made."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def dropped(what: str, entry: str) -> None:
    """A damaged entry of a store (by hand, a bad disk, another tool) is dropped,
    and said so: what it held is learnt or made again, never trusted."""
    logger.info(
        "the %s had a damaged entry (%s); dropped, made again", what, entry[:60]
    )


def save(file: Path, stamp: str, payload: dict[str, Any]) -> bool:
    text = json.dumps({"version": stamp, "payload": payload}, separators=(",", ":"))
    return write_atomically(file, text)


def write_atomically(file: Path, data: str | bytes) -> bool:
    """``data`` written whole to ``file`` (:func:`~.files.write_whole`); a store
    that cannot be written is said, never an error: the next build learns again."""
    try:
        write_whole(file, data)
        return True
    except OSError as error:
        logger.warning("cannot save %s: %s", file, error)
        return False


def prune(folder: Path, kept: Iterable[str]) -> None:
    """Every file of ``folder`` not named in ``kept`` removed (with what a killed
    build left half-written)."""
    if not folder.is_dir():
        return
    names = set(kept)
    for path in folder.iterdir():
        if path.name not in names and path.is_file():
            path.unlink(missing_ok=True)
