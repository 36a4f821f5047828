"""Robustness at scale: a specification grid, the long-short CAR of every specification, placebo curves.

A *specification* is one choice on each axis of :data:`AXES`: event window, estimation window, normal-return
model, benchmark, event set, how the aligned group is defined (rule, score threshold, indicator weights) and
which firm (if any) is left out. Its estimate is the long-short CAR of the engine's :func:`eventstudy.long_short`
(equal-weighted targeted platforms minus equal-weighted aligned AI firms, daily series averaged over events,
SE from the estimation-window series) with its SE, t and p, and the number of firms and events used.

One module per concern:

- :mod:`.grid`: the axes, the sweep's data (:class:`SweepData`, :func:`load_sweep_data`) and
  :func:`expand_grid` (one row per specification);
- :mod:`.evaluation`: one :func:`eventstudy.fit` per (model, estimation window, benchmark) covers every event
  set, grouping, leave-one-out and window, read off one (events x securities x days) array of the engine's
  abnormal returns; placebo curves re-run the same specifications with every event moved to a random non-event
  session (:mod:`crackdown.placebo`; one date per event and draw, fixed by ``seed`` and the event id, so a
  placebo draw is the same fake calendar in every specification);
- :mod:`.cache`: each specification's row as parquet, keyed on the specification, placebo settings and data
  (:func:`crackdown.data.manifest.data_hash`) and on the code that computes it (:func:`code_hash`);
- :mod:`.driver`: :func:`run_sweep`, serially or on a Dask cluster;
- :mod:`.inference`: the curve as a whole (which specifications enter it, permutation tests, verdict);
- :mod:`.clustered`: the baseline specification's long-short tested four ways per window (pairs, events,
  clusters, calendar time) and Kolari-Pynnonen with and without overlap;
- :mod:`.narrative`: notebook 08's results record and the facts its words read (:mod:`crackdown.words.robustness`).

Every name stays importable from ``crackdown.robustness``.
"""

from crackdown.robustness.cache import (
    CACHE_COLUMNS,
    CODE_MODULES,
    CacheWarning,
    cache_dir,
    code_hash,
    read_cache,
    spec_hashes,
    write_cache,
)
from crackdown.robustness.clustered import four_way_table, window_inference
from crackdown.robustness.driver import (
    FIT_KEY,
    SweepResult,
    _compute,
    _compute_dask,
    _task,
    _tasks,
    check_scheduler,
    local_cluster,
    run_sweep,
)
from crackdown.robustness.evaluation import (
    PlaceboConfig,
    _block_stats,
    _leg_cols,
    _panel_and_pairs,
    _placebo_pooled,
    _pooled,
    _pseudo_pairs,
    _tensor,
    _window_cars,
    evaluate,
    placebo_candidates,
    placebo_dates,
    regime_returns,
)
from crackdown.robustness.grid import (
    AXES,
    CRACKDOWN_PERIOD,
    DEFAULT_GRID,
    EVENT_SETS,
    LOCAL,
    MIN_EVENTS,
    MIN_FIRMS,
    NO_BENCHMARK,
    NOT_APPLICABLE,
    RESULT_COLUMNS,
    RULE_TYPES,
    WEIGHT_SCHEMES,
    SweepData,
    _check_combinations,
    _grouping_parts,
    _groupings,
    _leave_outs,
    _parse_label,
    _scores,
    _window_label,
    crackdown_event_sets,
    expand_grid,
    load_sweep_data,
    validate_axes,
)
from crackdown.robustness.inference import (
    axis_spread,
    choice_effects,
    choice_matrix,
    curve_summary,
    curve_table,
    most_influential_firm,
    placebo_curves,
    usable,
    verdict,
)
from crackdown.robustness.narrative import (
    SUMMARY_KEYS,
    clustered_facts,
    results_record,
    sweep_facts,
    sweep_table,
)
from crackdown.vocab import THESIS_SIGN

__all__ = [
    "AXES", "CACHE_COLUMNS", "CODE_MODULES", "CRACKDOWN_PERIOD", "DEFAULT_GRID", "EVENT_SETS", "FIT_KEY", "LOCAL",
    "MIN_EVENTS", "MIN_FIRMS", "NOT_APPLICABLE", "NO_BENCHMARK", "RESULT_COLUMNS", "RULE_TYPES", "SUMMARY_KEYS",
    "THESIS_SIGN", "WEIGHT_SCHEMES", "CacheWarning", "PlaceboConfig", "SweepData", "SweepResult",
    "clustered_facts",
    "axis_spread", "cache_dir", "check_scheduler", "choice_effects", "choice_matrix", "code_hash",
    "crackdown_event_sets", "curve_summary", "curve_table", "evaluate", "expand_grid", "four_way_table",
    "load_sweep_data", "regime_returns", "window_inference",
    "local_cluster", "most_influential_firm", "placebo_candidates", "placebo_curves", "placebo_dates",
    "read_cache", "results_record", "run_sweep", "spec_hashes", "sweep_facts", "sweep_table",
    "usable", "validate_axes", "verdict", "write_cache",
    # private helpers, importable for tests and benchmarks written against the single-module layout
    "_block_stats", "_check_combinations", "_compute", "_compute_dask", "_grouping_parts", "_groupings", "_leave_outs", "_leg_cols",
    "_panel_and_pairs", "_parse_label", "_placebo_pooled", "_pooled", "_pseudo_pairs", "_scores",
    "_task", "_tasks", "_tensor", "_window_cars", "_window_label",
]
