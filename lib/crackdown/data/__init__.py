"""The project's data: validated loaders, checks, the manifest and the price-snapshot refresh.

See data/README.md for what every file holds and where its facts come from.
"""

from crackdown.data.check import check_all
from crackdown.data.loaders import (
    clear_cache,
    explode_list,
    load_alignment,
    load_events,
    load_firms,
    load_ipos,
    load_penalties,
    load_prices,
    load_return_spans,
    load_returns,
    load_securities,
)
from crackdown.data.manifest import check_manifest, write_manifest
from crackdown.data.violations import Violation

__all__ = [
    "Violation",
    "check_all",
    "check_manifest",
    "clear_cache",
    "explode_list",
    "load_alignment",
    "load_events",
    "load_firms",
    "load_ipos",
    "load_penalties",
    "load_prices",
    "load_return_spans",
    "load_returns",
    "load_securities",
    "write_manifest",
]
