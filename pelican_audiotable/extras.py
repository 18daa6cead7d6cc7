"""Which optional extras are installed: asked of the import system, never by
importing them (PyAV and numpy take a quarter of a second to load)."""

from __future__ import annotations

import functools
import importlib.util


@functools.cache
def analysis_installed() -> bool:
    """Whether the ``[analysis]`` extra (PyAV, numpy, scipy) is installed."""
    return all(importlib.util.find_spec(name) for name in ("av", "numpy", "scipy"))
