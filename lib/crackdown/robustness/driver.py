"""Running a sweep: expand the grid, read what the cache holds, compute the rest serially or on a Dask cluster,
write it to the cache."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crackdown.errors import CrackdownError
from crackdown.robustness.cache import read_cache, spec_hashes, write_cache
from crackdown.robustness.evaluation import PlaceboConfig, _panel_and_pairs, evaluate, placebo_dates
from crackdown.robustness.grid import (
    DEFAULT_GRID,
    SweepData,
    _check_combinations,
    expand_grid,
    load_sweep_data,
    validate_axes,
)


@dataclass(frozen=True)
class SweepResult:
    """Specification table (:data:`AXES`, grouping, legs, spec_hash, results, placebo CARs) and run counts."""

    specs: pd.DataFrame
    n_computed: int
    n_cached: int
    config: PlaceboConfig


FIT_KEY = ["model", "estimation", "benchmark"]


def _tasks(todo: pd.DataFrame) -> list[pd.DataFrame]:
    """Work units: one per (model, estimation, benchmark) (one fit each), largest first."""
    groups = [g for _, g in todo.groupby(FIT_KEY, sort=True)]
    return sorted(groups, key=len, reverse=True)


def _task(data: SweepData, specs: pd.DataFrame, dates: np.ndarray | None) -> pd.DataFrame:
    res = evaluate(data, specs, dates)
    return pd.concat([specs[["spec_hash"]], res], axis=1)


def run_sweep(axes: Mapping[str, Sequence] | None = None, *, data: SweepData | None = None,
              placebo: PlaceboConfig | None = None, scheduler: str | None = None, client: Any = None,
              cache: bool = True, progress: bool = False,
              on_progress: Callable[[int, int], None] | None = None, gaps: str = "drop",
              max_span: int | None = None) -> SweepResult:
    """Expand the grid, load what the cache holds, compute the rest, write it to the cache.

    ``scheduler``: None or "" = serially in this process; "local" = a Dask LocalCluster with one worker process
    per CPU; "tcp://HOST:PORT" = an existing Dask scheduler. ``client``: an existing distributed.Client (wins
    over ``scheduler``). ``progress``: a tqdm bar on stderr. ``gaps``/``max_span``: the returns' rule across
    suspensions when the data is loaded here (``data`` carries its own).
    """
    _check_combinations(validate_axes(axes or {}))  # fail fast, before loading any data
    if client is None and scheduler:
        check_scheduler(scheduler)
    config = placebo or PlaceboConfig()
    data = data or load_sweep_data(list((axes or {}).get("benchmark", DEFAULT_GRID["benchmark"])), gaps=gaps,
                                   max_span=max_span,
                                   regime_benchmark=config.regime_benchmark if config.pool == "regime" else None)
    specs = expand_grid(axes or {}, data)
    specs["spec_hash"] = spec_hashes(specs, data.data_hash, config, data.min_obs, data.gaps)
    cached = read_cache() if cache else pd.DataFrame(columns=["spec_hash"])
    have = specs["spec_hash"].isin(cached["spec_hash"])
    todo = specs[~have]
    dates = placebo_dates(data, config) if config.n > 0 and len(todo) else None
    for model, benchmark in todo[["model", "benchmark"]].drop_duplicates().itertuples(index=False):
        _panel_and_pairs(data, model, benchmark)  # built here once, shipped to the workers with ``data``
    computed = _compute(_tasks(todo), data, dates, scheduler, client, progress, on_progress) if len(todo) else None
    if cache and computed is not None:
        write_cache(computed)
    rows = pd.concat([c for c in (cached[cached["spec_hash"].isin(specs["spec_hash"])], computed) if c is not None
                      and len(c)], ignore_index=True)
    out = specs.merge(rows.drop_duplicates("spec_hash"), on="spec_hash", how="left")
    out["placebo"] = [np.asarray(v, dtype=float) for v in out["placebo"]]
    return SweepResult(out, int((~have).sum()), int(have.sum()), config)


def _compute(tasks: list[pd.DataFrame], data: SweepData, dates, scheduler, client, progress, on_progress):
    bar = _bar(len(tasks), progress)
    done = 0

    def tick():
        nonlocal done
        done += 1
        bar.update(1) if bar else None
        on_progress(done, len(tasks)) if on_progress else None

    try:
        if client is None and not scheduler:
            parts = []
            for t in tasks:
                parts.append(_task(data, t, dates))
                tick()
            return pd.concat(parts)
        return _compute_dask(tasks, data, dates, scheduler, client, tick)
    finally:
        bar.close() if bar else None


def _bar(total: int, progress: bool):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="sweep", unit="task")


def local_cluster(n_workers: int | None = None):
    """A LocalCluster of worker processes (one thread each; one per CPU by default), dashboard off."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                        dashboard_address=None, host="127.0.0.1")


def _compute_dask(tasks, data, dates, scheduler, client, tick):
    from distributed import Client, as_completed

    cluster = own = None
    if client is None:
        if scheduler == "local":
            cluster = local_cluster()
            own = client = Client(cluster)
        elif str(scheduler).startswith("tcp://"):
            try:
                own = client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise CrackdownError(f"scheduler: cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        else:
            raise CrackdownError(f"scheduler: expected '', 'local' or tcp://HOST:PORT, got {scheduler!r}")
    try:
        data_f = client.scatter(data, broadcast=True)
        dates_f = client.scatter(dates, broadcast=True) if dates is not None else None
        futures = [client.submit(_task, data_f, t, dates_f, pure=False) for t in tasks]
        parts = []
        for fut in as_completed(futures):
            parts.append(fut.result())
            tick()
        order = pd.concat([t[[]] for t in tasks]).index
        return pd.concat(parts).reindex(order)
    finally:
        if own is not None:
            own.close()
        if cluster is not None:
            cluster.close()


def check_scheduler(scheduler: str) -> str:
    """'' (serial), 'local' or tcp://HOST:PORT; else a CrackdownError naming ``scheduler``."""
    if not isinstance(scheduler, str) or not (scheduler in ("", "local") or (
            scheduler.startswith("tcp://") and ":" in scheduler.removeprefix("tcp://"))):
        raise CrackdownError(f"scheduler: expected '' (serial), 'local' or tcp://HOST:PORT, got {scheduler!r}")
    return scheduler
