"""How many processes the plugin may start, and how it starts them."""

from __future__ import annotations

import os
import threading
from multiprocessing import get_context
from typing import Any


def worker_count(configured: int | None) -> int:
    """``AUDIOTABLE_WORKERS``, or one process per CPU this process may use, up to 8."""
    if configured:
        return configured
    count = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return min(count, 8)


def process_context() -> Any:
    """Forking is cheapest, but not safe once this process runs threads (as
    ``pelican --listen`` does); then processes start afresh."""
    return get_context("spawn" if threading.active_count() > 1 else None)
