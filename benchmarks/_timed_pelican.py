"""``pelican`` as ``python -m pelican`` runs it, with the plugin's own time
measured in the process: importing its modules (what Pelican's own imports do
not already load), its signal handlers (with the stages they load), and its
linking of assets into each rendered page. Printed as JSON on the last line of
standard error.

    python benchmarks/_timed_pelican.py CONTENT -s CONF [pelican's options]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import pelican  # Pelican's own imports: loaded with or without the plugin
import pelican.contents
import pelican.generators
import pelican.settings
import pelican.utils

spent = {"imports": 0.0, "handlers": 0.0, "linking": 0.0}

start = time.perf_counter()
import pelican_audiotable.plugin.signals as signals  # noqa: E402 (what is timed)
from pelican_audiotable.plugin import assets  # noqa: E402

spent["imports"] = time.perf_counter() - start


def timed(function: Callable[..., Any], bucket: str) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[bucket] += time.perf_counter() - began

    return run


for name in dir(signals):
    if name.startswith("on_"):
        setattr(signals, name, timed(getattr(signals, name), "handlers"))
assets.link_assets = timed(assets.link_assets, "linking")

try:
    pelican.main(sys.argv[1:])
finally:
    print(
        json.dumps({k: round(v * 1000, 2) for k, v in spent.items()}), file=sys.stderr
    )
