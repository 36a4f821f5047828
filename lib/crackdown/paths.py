"""The one place where project paths are built.

Everything is relative to the project root, found from this file's location
(``lib/crackdown/paths.py`` -> two levels up) or from ``CRACKDOWN_ROOT`` when set
(tests use it to point the package at a scratch copy of the project).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Root of the project checkout (holds ``data/``, ``notebooks/``, ``outputs/``)."""
    env = os.environ.get("CRACKDOWN_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return project_root() / "data"


def prices_dir() -> Path:
    return data_dir() / "prices"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def profiles_dir() -> Path:
    return project_root() / "profiles"


def outputs_dir() -> Path:
    return project_root() / "outputs"


def results_dir() -> Path:
    return outputs_dir() / "results"


def data_cache_dir() -> Path:
    """Validated data shared by every kernel (``outputs/.cache/data``; ``CRACKDOWN_DATA_CACHE_DIR`` overrides)."""
    env = os.environ.get("CRACKDOWN_DATA_CACHE_DIR")
    if env:
        return Path(env).resolve()
    return outputs_dir() / ".cache" / "data"


def calendar_cache_dir() -> Path:
    """Built exchange calendars shared by every kernel (``outputs/.cache/calendars``; ``CRACKDOWN_CALENDAR_CACHE_DIR``
    overrides)."""
    env = os.environ.get("CRACKDOWN_CALENDAR_CACHE_DIR")
    if env:
        return Path(env).resolve()
    return outputs_dir() / ".cache" / "calendars"


def relative_to_root(path: Path) -> str:
    """A path as shown to users and written into outputs: relative to the root, never absolute."""
    try:
        return Path(path).resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return Path(path).name
