"""The plugin's voice in Pelican's log: every message it says starts with one
prefix, so that a reader of a long build log can find them all."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

PREFIX = "audiotable: "
#: Fairness findings, the leak audit, readers' results that do not count: shown
#: in a build's log like warnings, but under WARNING, so that ``pelican
#: --fatal warnings`` fails on what is wrong, never on advice
#: (``AUDIOTABLE_STRICT_FAIRNESS`` makes advice warnings again).
ADVICE = 25
logging.addLevelName(ADVICE, "ADVICE")


def show_advice() -> None:
    """Let advice through this package's loggers wherever Pelican shows warnings
    (its default level), and not under ``pelican -q``."""
    shown = logging.getLogger().getEffectiveLevel()
    package = logging.getLogger(__package__)
    package.setLevel(ADVICE if ADVICE < shown <= logging.WARNING else logging.NOTSET)


class _Prefixed(logging.LoggerAdapter[logging.Logger]):
    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return PREFIX + str(msg), kwargs


def get_logger(name: str) -> logging.LoggerAdapter[logging.Logger]:
    return _Prefixed(logging.getLogger(name), {})


class AnswersNotCrashes(logging.Filter):
    """On Pelican's own logger: a build this plugin stops on purpose (a bad setting,
    strict mode) ends with the reason in one line, not with a Python traceback.
    Pelican logs every exception that ends a build with its traceback; for ours
    the message is the whole answer."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if _ours(error):
            record.msg, record.args = "%s", (PREFIX + str(error),)
            record.exc_info = record.exc_text = None
        return True


def quiet_tracebacks_of_ours() -> None:
    """Install :class:`AnswersNotCrashes` on Pelican's logger, once."""
    pelican = logging.getLogger("pelican")
    if not any(isinstance(f, AnswersNotCrashes) for f in pelican.filters):
        pelican.addFilter(AnswersNotCrashes())


def _ours(error: BaseException | None) -> bool:
    """Whether ``error`` is one of this package's errors (told by where its class
    lives, so that logging, which everything imports, imports nothing)."""
    return error is not None and any(
        cls.__module__ == f"{__package__}.errors" for cls in type(error).__mro__
    )
