"""On-disk cache of validated data, shared by every kernel (``outputs/.cache/data/<key>/``).

A cache entry holds the validated, typed tables (``tables/<name>.parquet``) and the validated price frames
(``prices/<SYMBOL>.parquet``) of one data version read by one version of the code. Its key is the sha256 of
every data file (:func:`crackdown.data.manifest.compute_manifest`) together with :func:`code_hash` (package
and library versions, and the source of the modules that read, validate and type the data), so a change to
either is a different entry and old entries are never read.

The cache never changes a result: a frame is stored only if reading it back gives an identical frame (dtypes
included), every file carries its key and page checksums, and a file that is truncated, corrupt, unreadable or
from another key is a miss (with a :class:`DataCacheWarning` naming it): the data are validated again. Files
are written to a temporary file in the same folder and moved into place with ``os.replace``, so kernels
writing the same entry at once each leave a complete file. ``CRACKDOWN_DATA_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
import warnings
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import crackdown
from crackdown import paths
from crackdown.data.manifest import compute_manifest, sha256

CACHE_ENV = "CRACKDOWN_DATA_CACHE"
FORMAT_VERSION = 1
METADATA_KEY = b"crackdown.data_cache"
# The modules whose code decides what a validated frame holds (relative to the crackdown package).
CODE_MODULES = (
    "data/schemas.py",
    "data/check.py",
    "data/prices.py",
    "data/loaders.py",
    "data/violations.py",
    "data/cache.py",
    "calendars.py",
    "errors.py",
)
LIBRARIES = ("numpy", "pandas", "pyarrow", "pandera", "exchange_calendars")
KEEP_ENTRIES = 8  # entries (data versions) kept on disk; older ones are removed when a new one is made


class DataCacheWarning(UserWarning):
    """A data cache file could not be used or written (the data are validated instead)."""


def enabled() -> bool:
    """False when ``CRACKDOWN_DATA_CACHE`` is 0/false/no/off (read on every load, so tests can flip it)."""
    return os.environ.get(CACHE_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "absent"


@cache
def code_hash() -> str:
    """sha256 of the package version, Python and library versions, and the source of :data:`CODE_MODULES`."""
    package = Path(crackdown.__file__).parent
    digest = hashlib.sha256()
    versions = {"crackdown": crackdown.__version__, "python": platform.python_version(),
                **{lib: _version(lib) for lib in LIBRARIES}}
    digest.update(json.dumps(versions, sort_keys=True).encode())
    for module in CODE_MODULES:
        path = package / module
        digest.update(f"\0{module}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def entry_key(manifest: dict[str, str]) -> str:
    """The key of the entry holding data with this manifest read by this code."""
    text = json.dumps({"format": FORMAT_VERSION, "code": code_hash(), "data": manifest}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _warn(message: str) -> None:
    warnings.warn(f"data cache: {message}", DataCacheWarning, stacklevel=4)


def identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """True when the frames are equal value for value, with the same dtypes, index, names and attrs."""
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_freq=True, check_flags=True)
    except AssertionError:
        return False
    return a.attrs == b.attrs and a.columns.name == b.columns.name


def _read_parquet(path: Path | str) -> pa.Table:
    """A whole parquet file, its page checksums verified (ParquetFile: a third of read_table's cost here)."""
    with pq.ParquetFile(path, page_checksum_verification=True) as handle:
        return handle.read(use_threads=False)


def _time_units(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: dtype}`` of datetime/timedelta columns (parquet keeps no second unit: [s] comes back as [ms])."""
    return {c: str(t) for c, t in frame.dtypes.items()
            if isinstance(c, str) and isinstance(t, np.dtype) and t.kind in "mM"}


def _to_pandas(table: pa.Table, units: dict[str, str]) -> pd.DataFrame:
    frame = table.to_pandas()
    changed = {c: t for c, t in units.items() if str(frame[c].dtype) != t}
    return frame.astype(changed) if changed else frame


class CacheEntry:
    """The cache files of one data folder's current version (see the module docstring)."""

    def __init__(self, data_dir: Path, root: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.manifest = compute_manifest(self.data_dir)
        self.key = entry_key(self.manifest)
        self.directory = (root or paths.data_cache_dir()) / self.key

    def path(self, name: str) -> Path:
        """File of object ``name`` (``tables/firms``, ``prices/BABA``)."""
        return self.directory / f"{name}.parquet"

    def read(self, name: str) -> pd.DataFrame | None:
        """The stored frame, or None on a miss (a file that exists but cannot be used also warns)."""
        path = self.path(name)
        try:
            table = _read_parquet(path)
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a miss, never an error
            _warn(f"ignoring unreadable {path} ({type(exc).__name__}: {exc}); validating the data again")
            return None
        try:
            stamp = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
            units = stamp.pop("units", None)
            if stamp != {"format": FORMAT_VERSION, "key": self.key, "name": name} or not isinstance(units, dict):
                _warn(f"ignoring {path}: written for another key or object ({stamp}); validating the data again")
                return None
            return _to_pandas(table, units)
        except Exception as exc:  # noqa: BLE001
            _warn(f"ignoring unusable {path} ({type(exc).__name__}: {exc}); validating the data again")
            return None

    def read_all(self, names: list[str]) -> dict[str, pd.DataFrame] | None:
        """Every named frame, or None if any is missing or unusable."""
        found = {}
        for name in names:
            frame = self.read(name)
            if frame is None:
                return None
            found[name] = frame
        return found

    def unchanged(self, files: list[str]) -> bool:
        """True when these data files (relative to the data folder) still have the hashes of the key."""
        try:
            return all(sha256(self.data_dir / f) == self.manifest.get(f) for f in files)
        except OSError:
            return False

    def write(self, name: str, frame: pd.DataFrame) -> bool:
        """Store ``frame`` atomically; False (with a warning) when it cannot be stored faithfully."""
        path = self.path(name)
        try:
            created = not self.directory.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            if created:
                prune(self.directory.parent, keep=KEEP_ENTRIES, current=self.directory)
            table = pa.Table.from_pandas(frame)
            units = _time_units(frame)
            stamp = json.dumps({"format": FORMAT_VERSION, "key": self.key, "name": name, "units": units}).encode()
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: stamp})
            handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            os.close(handle)
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation: never fail a load for it
            _warn(f"cannot write {path} ({type(exc).__name__}: {exc})")
            return False
        try:
            pq.write_table(table, tmp, write_page_checksum=True)
            back = _to_pandas(_read_parquet(tmp), units)
            if not identical(frame, back):
                _warn(f"not caching {name}: it does not survive a parquet round trip unchanged")
                return False
            os.replace(tmp, path)
            return True
        except Exception as exc:  # noqa: BLE001
            _warn(f"cannot write {path} ({type(exc).__name__}: {exc})")
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)


def prune(root: Path, keep: int = KEEP_ENTRIES, current: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` most recently modified entries under ``root`` (never ``current``)."""
    try:
        entries = sorted((p for p in root.iterdir() if p.is_dir() and p != current),
                         key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    removed = entries[max(keep - 1, 0):]
    for old in removed:
        shutil.rmtree(old, ignore_errors=True)
    return removed


def clear_disk_cache(root: Path | None = None) -> None:
    """Delete every on-disk entry (the in-process cache is :func:`crackdown.data.clear_cache`)."""
    shutil.rmtree(root or paths.data_cache_dir(), ignore_errors=True)
