"""On-disk cache of validated data, shared by every kernel (``outputs/.cache/data/<key>/``).

A cache entry holds the validated, typed tables (``tables/<name>-<sha256>.parquet``), the validated price
frames (``prices/<SYMBOL>-<sha256>.parquet``) and the wide frames of earlier ``load_prices``/``load_returns``
calls (``wide/<what>-<hash of the call>-<sha256>.parquet``) of one data version read by one version of the code. Its key is the sha256 of
every data file (:func:`crackdown.data.manifest.compute_manifest`) together with :func:`code_hash` (package
and library versions, and the source of the modules that read, validate and type the data), so a change to
either is a different entry and old entries are never read.

The cache never changes a result: a frame is stored only if reading it back gives an identical frame (dtypes
included), every file is named after the sha256 of its bytes and carries its key, and a file that is truncated,
corrupt, unreadable or from another key is a miss (with a :class:`DataCacheWarning` naming it): the data are validated again. Files
are written to a temporary file in the same folder and moved into place with ``os.replace``, so kernels
writing the same entry at once each leave a complete file. ``CRACKDOWN_DATA_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import glob
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
    "returns.py",
    "claims/evaluators.py",  # the evaluators' parameters are part of validating claims.csv
)
LIBRARIES = ("numpy", "pandas", "pyarrow", "pandera", "exchange_calendars")
DIGEST_CHARS = 32  # hex characters of the sha256 kept in each file name
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


def _time_units(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: dtype}`` of datetime/timedelta columns (parquet keeps no second unit: [s] comes back as [ms])."""
    return {c: str(t) for c, t in frame.dtypes.items()
            if isinstance(c, str) and isinstance(t, np.dtype) and t.kind in "mM"}


def _decode(data: bytes) -> tuple[dict, pd.DataFrame]:
    """The stamp and the frame of a cache file's bytes."""
    with pq.ParquetFile(pa.BufferReader(data)) as handle:
        table = handle.read(use_threads=False)
    stamp = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    frame = table.to_pandas()
    units = stamp.get("units") or {}
    changed = {c: t for c, t in units.items() if str(frame[c].dtype) != t}
    return stamp, frame.astype(changed) if changed else frame


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_CHARS]


class CacheEntry:
    """The cache files of one data folder's current version (see the module docstring).

    Object ``tables/firms`` is stored as ``tables/firms-<sha256 of the file>.parquet``, so any change to a
    file's bytes (truncation, garbage, a flipped bit in data or metadata) is detected before it is parsed.
    """

    def __init__(self, data_dir: Path, root: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.manifest = compute_manifest(self.data_dir)
        self.key = entry_key(self.manifest)
        self.directory = (root or paths.data_cache_dir()) / self.key
        self._used = False

    def files(self, name: str) -> list[Path]:
        """The stored files of object ``name`` (``tables/firms``, ``prices/BABA``); normally one."""
        folder, stem = (self.directory / name).parent, Path(name).name
        found = []
        for path in sorted(folder.glob(f"{glob.escape(stem)}-*.parquet")):
            digest = path.name[len(stem) + 1:-len(".parquet")]
            if len(digest) == DIGEST_CHARS and all(ch in "0123456789abcdef" for ch in digest):
                found.append(path)
        return found

    def read(self, name: str) -> pd.DataFrame | None:
        """The stored frame, or None on a miss (a file that exists but cannot be used also warns and is removed)."""
        expected = {"format": FORMAT_VERSION, "key": self.key, "name": name}
        for path in self.files(name):
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # removed meanwhile (pruned, or replaced by another kernel)
                continue
            except OSError as exc:
                _warn(f"ignoring unreadable {path} ({type(exc).__name__}: {exc}); validating the data again")
                continue
            digest = path.name[len(Path(name).name) + 1:-len(".parquet")]
            problem = None
            if _digest(data) != digest:
                problem = "its content does not match the checksum in its name (truncated or corrupt)"
            else:
                try:
                    stamp, frame = _decode(data)
                    if {k: stamp.get(k) for k in expected} != expected:
                        problem = f"it was written for another entry or object ({stamp.get('key')}, {stamp.get('name')})"
                except Exception as exc:  # noqa: BLE001 - an unusable file is a miss, never an error
                    problem = f"{type(exc).__name__}: {exc}"
            if problem is None:
                if not self._used:  # mark the entry as recently used, so pruning keeps it
                    self._used = True
                    with contextlib.suppress(OSError):
                        os.utime(self.directory)
                return frame
            _warn(f"ignoring {path}: {problem}; validating the data again")
            path.unlink(missing_ok=True)
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
        """Store ``frame`` atomically; False (with a warning) when it cannot be stored faithfully.

        Frames without rows or columns are not stored (nothing to save, and parquet loses their index types).
        """
        if frame.empty:
            return False
        target = self.directory / name
        try:
            units = _time_units(frame)
            stamp = json.dumps({**{"format": FORMAT_VERSION, "key": self.key, "name": name}, "units": units})
            table = pa.Table.from_pandas(frame)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: stamp.encode()})
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink)
            data = sink.getvalue().to_pybytes()
            faithful = identical(frame, _decode(data)[1])
            path = target.parent / f"{target.name}-{_digest(data)}.parquet"
            if faithful and not path.is_file():
                created = not self.directory.exists()
                path.parent.mkdir(parents=True, exist_ok=True)
                if created:
                    prune(self.directory.parent, keep=KEEP_ENTRIES, current=self.directory)
                _atomic_write_bytes(path, data)
        except Exception as exc:  # noqa: BLE001 - the cache is an optimisation: never fail a load for it
            _warn(f"cannot write {target}.parquet ({type(exc).__name__}: {exc})")
            return False
        if not faithful:
            _warn(f"not caching {name}: it does not survive a parquet round trip unchanged")
        return faithful


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and ``os.replace`` (readers never see half a file)."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def prune(root: Path, keep: int = KEEP_ENTRIES, current: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` most recently used entries under ``root`` (never ``current``)."""
    try:
        entries = sorted((p for p in root.iterdir() if p.is_dir() and p != current),
                         key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    removed = entries[max(keep - 1, 0):]
    for old in removed:
        shutil.rmtree(old, ignore_errors=True)
    return removed
