"""The sweep cache: one parquet row per computed specification, keyed on the specification, the placebo
settings, the data (:func:`spec_hashes`) and the code that computes it (:func:`code_hash`, stored with every
row). A part that cannot be read is a miss, with a warning naming the file."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import uuid
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import crackdown
from crackdown import paths
from crackdown.robustness.evaluation import PlaceboConfig
from crackdown.robustness.grid import AXES, RESULT_COLUMNS

#: Modules whose source decides a cached number: the engine and its calendars, placebo draws, the groups and
#: events of the market study, the data loaders, and the sweep's grid, evaluation and cache.
CODE_MODULES = (
    "crackdown.vocab", "crackdown.calendars", "crackdown.eventstudy", "crackdown.placebo", "crackdown.alignment",
    "crackdown.returns", "crackdown.cumulate", "crackdown.announce", "crackdown.regime",
    "crackdown.reaction", "crackdown.data.loaders", "crackdown.data.prices", "crackdown.data.schemas",
    "crackdown.robustness.grid", "crackdown.robustness.evaluation", "crackdown.robustness.cache",
)
CACHE_COLUMNS = ("spec_hash", "code_hash", *RESULT_COLUMNS, "placebo")


class CacheWarning(UserWarning):
    """A cache part could not be read; its specifications are computed again."""


@cache
def code_hash(modules: tuple[str, ...] = CODE_MODULES) -> str:
    """sha256 of the package version and the source of ``modules``: a change to any of them is a cache miss."""
    digest = hashlib.sha256(f"crackdown {crackdown.__version__}".encode())
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is None or not origin.is_file():
            raise RuntimeError(f"code_hash: cannot find the source of {name}")
        digest.update(b"\0" + name.encode() + b"\0" + origin.read_bytes())
    return digest.hexdigest()


def spec_hashes(specs: pd.DataFrame, data_hash: str, config: PlaceboConfig, min_obs: int,
                gaps: str = "drop") -> pd.Series:
    """sha256 of each specification's choices, the placebo settings (pool included), min_obs, the returns' rule
    across suspensions (``gaps``) and the data hash."""
    common = {"placebo": [config.n, config.seed, config.start, config.end, config.gap, config.pool,
                          config.regime_benchmark if config.pool == "regime" else None],
              "min_obs": int(min_obs), "gaps": gaps, "data": data_hash}
    cols = [*AXES, "long", "short"]
    def one(row) -> str:
        choice = {c: (None if isinstance(v, float) and np.isnan(v) else v) for c, v in zip(cols, row, strict=True)}
        return hashlib.sha256(json.dumps({**choice, **common}, sort_keys=True).encode()).hexdigest()
    return pd.Series([one(r) for r in specs[cols].itertuples(index=False)], index=specs.index, name="spec_hash")


def cache_dir() -> Path:
    """outputs/sweep_cache: parquet parts holding one row per computed specification."""
    return paths.outputs_dir() / "sweep_cache"


def _read_part(path: Path) -> pd.DataFrame | None:
    """One cache part, or None: with a :class:`CacheWarning` naming the file if it is unreadable or lacks a
    result column, silently if it predates code hashes (no ``code_hash`` column: computed by unknown code)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable part (truncated, not parquet, no access) is a miss
        reason = f"{type(exc).__name__}: {exc}"
    else:
        missing = [c for c in CACHE_COLUMNS if c not in frame.columns]
        if not missing:
            return frame
        if missing == ["code_hash"]:
            return None
        reason = f"missing column(s) {', '.join(missing)}"
    warnings.warn(f"sweep cache: ignoring {paths.relative_to_root(path)} ({reason}); its specifications are "
                  "computed again", CacheWarning, stacklevel=3)
    return None


def read_cache(directory: Path | None = None, code: str | None = None) -> pd.DataFrame:
    """Every cached specification row computed by the current code (``code``, default :func:`code_hash`); the
    latest part wins for a repeated hash. Unreadable parts are skipped with a :class:`CacheWarning`."""
    directory = directory or cache_dir()
    code = code or code_hash()
    paths_ = sorted(directory.glob("part-*.parquet")) if directory.exists() else []
    parts = [f for f in map(_read_part, paths_) if f is not None]
    columns = [c for c in CACHE_COLUMNS if c != "code_hash"]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    return frame.loc[frame["code_hash"] == code, columns].drop_duplicates("spec_hash", keep="last")


def write_cache(rows: pd.DataFrame, directory: Path | None = None, code: str | None = None) -> Path | None:
    """Append ``rows`` (spec_hash, results, placebo) computed by ``code`` (default :func:`code_hash`) as a new
    parquet part (atomic rename)."""
    if rows.empty:
        return None
    directory = directory or cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"part-{pd.Timestamp.now('UTC').strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = directory / f".{name}.tmp"
    frame = rows.copy()
    frame.insert(1, "code_hash", code or code_hash())
    frame["placebo"] = [np.asarray(v, dtype=float).tolist() for v in frame["placebo"]]
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, directory / name)
    return directory / name
