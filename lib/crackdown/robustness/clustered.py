"""Clustered inference for the sweep's baseline specification, window by window: the long-short tested with
pairs, events, clusters of overlapping events and a calendar-time portfolio (:mod:`crackdown.inference`), and
each leg's Kolari-Pynnonen test without and with cross-event correlation where windows overlap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crackdown import eventstudy, inference
from crackdown.errors import CrackdownError
from crackdown.robustness.evaluation import _panel_and_pairs
from crackdown.robustness.grid import LOCAL, SAME, SweepData, _window_label
from crackdown.vocab import LONG, SHORT

TESTS = ("pairs", "events", "clusters", "calendar_time")
COLUMNS = ("window", "target", "test", "estimate", "se", "t", "p_value", "n")


def _legs(data: SweepData) -> tuple[list[str], list[str]]:
    """Securities of the targeted and aligned groups under the sector rule (firms with a priced security)."""
    out = []
    for group in (LONG, SHORT):
        firms = [f for f in data.groups.index[data.groups == group] if f in data.firm_symbol]
        out.append([data.firm_symbol[f] for f in firms])
    return out[0], out[1]


def window_inference(data: SweepData, windows: Sequence[Sequence[int]], estimation: Sequence[int] = (-250, -11),
                     model: str = "market", benchmark: str = LOCAL, event_set: str = "punitive") -> pd.DataFrame:
    """One fit of the baseline specification (``model``, ``estimation``, ``benchmark``, ``event_set``, sector
    grouping, no firm left out), then per window: the long-short (targeted minus aligned, events with both
    legs) under the four tests of :func:`crackdown.inference.side_by_side`, and each leg's Kolari-Pynnonen
    (``kp``) and Kolari-Pynnonen with overlap (``kp_overlap``) rows from :func:`crackdown.eventstudy.caar_tests`
    (estimate: CAAR; t and p of the adjusted BMP test). Columns window, target, test, estimate, se, t, p_value,
    n; a test that cannot be computed (e.g. fewer than 3 window days) is left out."""
    if event_set not in data.event_sets:
        raise CrackdownError(f"event_set: {event_set!r} is not one of {', '.join(data.event_sets)}")
    if benchmark == SAME:
        raise CrackdownError("benchmark: window_inference compares one listing per firm across markets; "
                             "same_market is reported by notebook 04 (crackdown.reaction.benchmark_rule_tests)")
    est = eventstudy._check_window(estimation, "estimation")
    panel, pairs = _panel_and_pairs(data, model, benchmark)
    long, short = _legs(data)
    keep = np.isin(data.events["event_id"].to_numpy()[pairs["event_id"].to_numpy(dtype=np.int64)],
                   data.event_sets[event_set]) & pairs["symbol"].isin(long + short).to_numpy()
    f = eventstudy.fit(panel, pairs[keep].reset_index(drop=True), model, est, data.min_obs, errors="drop")
    labels = {**dict.fromkeys(long, LONG), **dict.fromkeys(short, SHORT)}
    rows = []
    for w in windows:  # a handful of windows
        win = eventstudy._check_window(w, "window")
        label = _window_label(win)
        cars, wins, daily = inference.inputs_from_event_study(  # event ids here: positions in data.events
            eventstudy.car(f, win), eventstudy.abnormal_returns(f, win), labels)
        tests = {"pairs": (inference.pairs_test, (cars,)), "events": (inference.events_test, (cars,)),
                 "clusters": (inference.clusters_test, (cars, wins)),
                 "calendar_time": (inference.calendar_time_test, (daily,))}
        for name, (run, inputs) in tests.items():  # four tests
            try:
                result = run(*inputs, (LONG, SHORT))
            except CrackdownError:
                continue
            rows.append({"window": label, "target": "long_short", "test": name, **result.as_dict()})
        battery = eventstudy.caar_tests(f, win, {LONG: long, SHORT: short}).set_index("group")
        for group in (LONG, SHORT):
            if group not in battery.index or not battery.loc[group, "n"]:
                continue
            b = battery.loc[group]
            for name, t, p in (("kp", "kp_t", "p_kp"), ("kp_overlap", "kp_overlap_t", "p_kp_overlap")):
                rows.append({"window": label, "target": group, "test": name, "estimate": b["caar"],
                             "se": b["caar"] / b[t] if b[t] else np.nan, "t": b[t], "p_value": b[p],
                             "n": int(b["n"])})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def four_way_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The long-short rows of :func:`window_inference` as windows x (test, statistic) for display."""
    ls = rows[rows["target"] == "long_short"]
    wide = ls.pivot(index="window", columns="test", values=["estimate", "t", "p_value", "n"])
    return wide.swaplevel(axis=1).reindex(columns=[c for t in TESTS for c in wide.swaplevel(axis=1).columns
                                                   if c[0] == t])
