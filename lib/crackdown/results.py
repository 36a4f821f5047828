"""Key results of a notebook, written to ``outputs/results/<notebook>.json`` and read back by the summary."""

from __future__ import annotations

import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crackdown import paths
from crackdown.errors import CrackdownError

RESULTS_DIR_ENV = "CRACKDOWN_RESULTS_DIR"  # set by the runner to stage results until a notebook succeeds


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, pd.DataFrame):
        return _to_jsonable(value.to_dict(orient="records"))
    if isinstance(value, pd.Series):
        return _to_jsonable(value.to_dict())
    if isinstance(value, np.ndarray):
        return _to_jsonable(value.tolist())
    return value


def write_directory() -> Path:
    """Where results are written: the runner's staging folder during a run, else ``outputs/results``."""
    return Path(os.environ.get(RESULTS_DIR_ENV) or paths.results_dir())


def write_results(notebook: str, results: dict[str, Any]) -> Path:
    """Write a notebook's key results (estimates, n, statistics, p-values, parameters) as JSON, atomically.

    ``results`` may hold an ``answer``: the one-line answer the report's index shows for the notebook.
    """
    directory = write_directory()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{notebook}.json"
    text = json.dumps(_to_jsonable({"notebook": notebook, **results}), indent=2, sort_keys=True, allow_nan=False)
    tmp = directory / f".{notebook}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_results(notebook: str) -> dict[str, Any]:
    """The published results of ``notebook``; a clear error if it has not been run successfully."""
    path = paths.results_dir() / f"{notebook}.json"
    if not path.exists():
        raise CrackdownError(
            f"results of {notebook} not found at {paths.relative_to_root(path)}: run `crackdown run {notebook}` first"
        )
    return json.loads(path.read_text())
