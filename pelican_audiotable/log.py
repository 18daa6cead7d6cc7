"""The plugin's voice in Pelican's log: every message it says starts with one
prefix, so that a reader of a long build log can find them all."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

PREFIX = "audiotable: "


class _Prefixed(logging.LoggerAdapter[logging.Logger]):
    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        return PREFIX + str(msg), kwargs


def get_logger(name: str) -> logging.LoggerAdapter[logging.Logger]:
    return _Prefixed(logging.getLogger(name), {})
