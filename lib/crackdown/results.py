"""The results layer: each notebook's key results, written to ``outputs/results/<notebook>.json`` and read back
by the summary, with the one record type of a line of evidence's headline (:class:`Headline`).

Analysis modules compute; their ``results_record`` functions build the notebook's payload, whose ``headline``
is always a :class:`Headline` (``Headline(...).as_record()``), so every notebook's headline has the same keys.
:mod:`crackdown.words` words each record (the notebook's prose and its ``answer``) from the record alone.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crackdown import paths
from crackdown.errors import CrackdownError

OPTIONAL_HEADLINE_KEYS = ("p_value_rule", "benchmark_rule")  # left out of a headline record when None
RESULTS_DIR_ENV = "CRACKDOWN_RESULTS_DIR"  # set by the runner to stage results until a notebook succeeds
SCRATCH_DIR = "scratch"  # outputs/scratch/<notebook>-<short hash>/: one-off runs, never the report


@dataclass(frozen=True)
class Headline:
    """The one statistic a notebook contributes to the summary's table of evidence.

    ``label``: what the estimate measures; ``statistic``: how it is tested; ``estimate`` and ``p_value`` (None
    when there is none); ``n``: observations behind it; ``thesis_sign``: the sign the estimate has if the thesis
    (aligned firms were spared) is right; ``p_value_rule``: how the p-value was chosen when it combines several
    tests (left out of the record when None); ``benchmark_rule``: for a market-reaction headline, the rule under
    which each leg's abnormal returns are measured (left out of the record when None).
    """

    label: str
    statistic: str
    estimate: float | None
    p_value: float | None
    n: int
    thesis_sign: int
    p_value_rule: str | None = None
    benchmark_rule: str | None = None

    def __post_init__(self) -> None:
        for name in ("label", "statistic"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise CrackdownError(f"headline.{name}: expected a non-empty text, got {getattr(self, name)!r}")
        if self.benchmark_rule is not None and (not isinstance(self.benchmark_rule, str)
                                                 or not self.benchmark_rule.strip()):
            raise CrackdownError(f"headline.benchmark_rule: expected a non-empty text or None, got {self.benchmark_rule!r}")
        if self.thesis_sign not in (-1, 1):
            raise CrackdownError(f"headline.thesis_sign: must be -1 or 1, got {self.thesis_sign!r}")

    def as_record(self) -> dict[str, Any]:
        """The headline as written into a results file (``p_value_rule`` and ``benchmark_rule`` only when set)."""
        record = asdict(self)
        for optional in OPTIONAL_HEADLINE_KEYS:
            if record[optional] is None:
                del record[optional]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Headline:
        """A headline read back from a results file; an error naming any missing or unknown key."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(record) - set(names))
        missing = [n for n in names if n not in record and n not in OPTIONAL_HEADLINE_KEYS]
        if unknown or missing:
            raise CrackdownError(f"headline: missing key(s) {missing}, unknown key(s) {unknown}")
        return cls(**record)


HEADLINE_KEYS = tuple(f.name for f in fields(Headline))


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, Headline):
        return _to_jsonable(value.as_record())
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


def parameters_hash(parameters: Mapping[str, Any]) -> str:
    """A short hash of a notebook's parameter values (all of them, defaults included): names its scratch folder."""
    text = json.dumps(_to_jsonable(dict(parameters)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def scratch_folder(notebook: str, parameters: Mapping[str, Any]) -> Path:
    """``outputs/scratch/<notebook>-<short hash>/``: where a one-off run with ``parameters`` writes."""
    return paths.outputs_dir() / SCRATCH_DIR / f"{notebook}-{parameters_hash(parameters)}"


def write_directory(notebook: str | None = None, parameters: Mapping[str, Any] | None = None) -> Path:
    """Where results are written: the runner's staging folder during a run (the runner sets
    ``CRACKDOWN_RESULTS_DIR`` and publishes them only for the report); outside the runner (a notebook run in
    JupyterLab) the notebook's scratch folder ``outputs/scratch/<notebook>-<hash>/results``, so trying things
    out never changes the report's ``outputs/results``."""
    staged = os.environ.get(RESULTS_DIR_ENV)
    if staged:
        return Path(staged)
    return scratch_folder(notebook or "notebook", parameters or {}) / "results"


def write_results(notebook: str, results: dict[str, Any]) -> Path:
    """Write a notebook's key results (estimates, n, statistics, p-values, parameters) as JSON, atomically.

    ``results`` may hold an ``answer``: the one-line answer the report's index shows for the notebook.
    """
    params = results.get("parameters")
    directory = write_directory(notebook, params if isinstance(params, Mapping) else {})
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{notebook}.json"
    text = _record_text(notebook, results, indent=2)
    tmp = directory / f".{notebook}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _record_text(notebook: str, results: Mapping[str, Any], indent: int | None = None) -> str:
    return json.dumps(_to_jsonable({"notebook": notebook, **results}), indent=indent, sort_keys=True, allow_nan=False)


def as_written(notebook: str, results: Mapping[str, Any]) -> dict[str, Any]:
    """``results`` as :func:`write_results` writes them and a reader reads them back (keys sorted, NaN as None,
    dates as ISO text, frames as lists of rows)."""
    return json.loads(_record_text(notebook, results))


def read_results(notebook: str) -> dict[str, Any]:
    """The published results of ``notebook``; a clear error if it has not been run successfully."""
    path = paths.results_dir() / f"{notebook}.json"
    if not path.exists():
        raise CrackdownError(
            f"results of {notebook} not found at {paths.relative_to_root(path)}: run `crackdown run {notebook}` first"
        )
    return json.loads(path.read_text())


def parameter_names(notebook: str) -> list[str]:
    """Names assigned in the cell tagged ``parameters`` of ``notebooks/<notebook>.ipynb``, in order."""
    path = paths.notebooks_dir() / f"{notebook}.ipynb"
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as exc:
        raise CrackdownError(f"notebook: cannot read the cells of {paths.relative_to_root(path)}: {exc}") from None
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise CrackdownError(f"notebook: {paths.relative_to_root(path)} needs exactly one cell tagged 'parameters', "
                             f"found {len(tagged)}")
    source = "".join(tagged[0]["source"])
    return [target.id for node in ast.parse(source).body if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)]


def notebook_parameters(notebook: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's parameters as its kernel holds them: each name of its ``parameters`` cell
    (:func:`parameter_names`) with its value in ``namespace`` (pass ``globals()``), so values injected by
    papermill or a profile are the ones recorded, and no notebook retypes its parameter list."""
    names = parameter_names(notebook)
    missing = [n for n in names if n not in namespace]
    if missing:
        raise CrackdownError(f"notebook: parameter(s) {', '.join(missing)} of {notebook} are not defined")
    return {n: namespace[n] for n in names}
